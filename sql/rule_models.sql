-- Rule-based models through credits(journey, model, ...): known answers and
-- every edge case of doc/rule_based.md.
SET timezone = 'UTC';
SET extra_float_digits = 0;

-- journeys of 1, 2, 3, 4 and 7 touches, one touch a day, channels c1..c7
CREATE TABLE touches (journey int, touched_at timestamptz, channel text, touch_id bigint);
INSERT INTO touches
SELECT n, timestamptz '2024-01-01' + (i - 1) * interval '1 day', 'c' || i, i
FROM unnest(ARRAY[1, 2, 3, 4, 7]) AS n, generate_series(1, n) AS i;
CREATE TABLE journeys AS
SELECT journey, attribution.journey_agg(touched_at, channel, touch_id) AS j
FROM touches GROUP BY journey;

-- every model at every length: the credits of each journey, and their sum
CREATE FUNCTION show(model text, VARIADIC opts text[] DEFAULT '{}')
RETURNS TABLE(n int, credits text, total numeric) LANGUAGE sql AS $$
	SELECT journey, string_agg(round(c.credit::numeric, 4)::text, ' ' ORDER BY c.position),
		   round(sum(c.credit)::numeric, 12)
	FROM journeys, attribution.credits(j, model,
		weights => CASE WHEN model = 'custom' THEN opts::float8[] END) c
	GROUP BY journey ORDER BY journey
$$;
SELECT m AS model, s.* FROM unnest(ARRAY['first_touch', 'last_touch', 'last_non_direct', 'linear',
	'position_based', 'u_shaped', 'j_shaped', 'inverse_j', 'w_shaped', 'full_path', 'z_shaped',
	'time_decay']) AS m, show(m) s;
SELECT * FROM show('custom', '0.1', '0.2', '0.3', '0', '0.3', '0.1');

-- known answers: U-shaped 4 touches .4 .1 .1 .4; J-shaped 2 touches .25 .75
SELECT credit FROM journeys, attribution.credits(j, 'position_based') WHERE journey = 4;
SELECT credit FROM journeys, attribution.credits(j, 'j_shaped') WHERE journey = 2;

-- time decay: touches 0, 0, 6 and 9 days before the conversion, half-life
-- 7 days, a value of 50: 16.88, 16.88, 9.32, 6.92
SELECT touch_id, round((50 * credit)::numeric, 2) AS value
FROM attribution.credits(
	'[("2024-01-01 00:00:00+00", 1, "a"), ("2024-01-04 00:00:00+00", 2, "b"),
	  ("2024-01-10 00:00:00+00", 3, "c"), ("2024-01-10 00:00:00+00", 4, "d")]',
	'time_decay', converted_at => '2024-01-10', half_life => '7 days')
ORDER BY touch_id DESC;
-- the decay is measured from the conversion, but only relative weights matter
SELECT round(credit::numeric, 6) FROM attribution.credits(
	'[("2000-01-01 00:00:00+00", 1, "a"), ("2000-01-02 00:00:00+00", 2, "b")]',
	'time_decay', converted_at => '2024-01-01', half_life => '1 hour');

-- ties in touched_at: broken by touch_id, then by channel (bytewise), NULL ids last
SELECT position, touch_id, channel, credit FROM attribution.credits(
	'[("2024-01-01 00:00:00+00", 2, "b"), ("2024-01-01 00:00:00+00", 1, "z"),
	  ("2024-01-01 00:00:00+00", null, "a"), ("2024-01-01 00:00:00+00", null, "B")]',
	'first_touch');
SELECT position, touch_id, channel, credit FROM attribution.credits(
	'[("2024-01-01 00:00:00+00", null, "b"), ("2024-01-01 00:00:00+00", null, "a")]',
	'last_touch');

-- W-shaped: first, lead, opportunity; the window ends at opportunity creation
CREATE TABLE b2b AS SELECT j FROM journeys WHERE journey = 7;
SELECT position, round(credit::numeric, 4) AS credit FROM b2b, attribution.credits(j, 'w_shaped',
	lead_created_at => '2024-01-03 12:00', opportunity_created_at => '2024-01-06');
-- two milestones on one touch: that touch gets both shares
SELECT position, round(credit::numeric, 4) AS credit FROM b2b, attribution.credits(j, 'w_shaped',
	lead_created_at => '2024-01-04', opportunity_created_at => '2024-01-04 06:00');
-- a missing milestone (no lead time): its share goes to the others in proportion
SELECT position, round(credit::numeric, 4) AS credit FROM b2b, attribution.credits(j, 'w_shaped',
	opportunity_created_at => '2024-01-05');
-- W-shaped with no middle touch: 1/3 each
SELECT position, round(credit::numeric, 4) AS credit FROM journeys, attribution.credits(j, 'w_shaped',
	lead_created_at => '2024-01-02', opportunity_created_at => '2024-01-03') WHERE journey = 3;
-- full path: first, lead, opportunity, closed .225 each, middle .1
SELECT position, round(credit::numeric, 4) AS credit FROM b2b, attribution.credits(j, 'full_path',
	lead_created_at => '2024-01-02', opportunity_created_at => '2024-01-04', closed_at => '2024-01-06');
-- a milestone before the first touch has no touch
SELECT position, round(credit::numeric, 4) AS credit FROM b2b, attribution.credits(j, 'full_path',
	lead_created_at => '2023-12-01', opportunity_created_at => '2024-01-04', closed_at => '2024-01-07');

-- touches after the window's end are ignored; lookback drops old touches
SELECT position, credit FROM b2b, attribution.credits(j, 'linear', converted_at => '2024-01-03');
SELECT position, credit FROM b2b, attribution.credits(j, 'linear', converted_at => '2024-01-05',
	lookback => '2 days');
-- lookback without a conversion time is measured from the last touch
SELECT position, credit FROM b2b, attribution.credits(j, 'linear', lookback => '36 hours');
-- no touch in the window: no rows
SELECT count(*) FROM b2b, attribution.credits(j, 'linear', converted_at => '2023-01-01');
SELECT count(*) FROM attribution.credits(NULL, 'linear');

-- last non-direct: the last touch not in direct_channels; all direct: the last touch
SELECT channel, credit FROM attribution.credits(
	'[("2024-01-01 00:00:00+00", 1, "email"), ("2024-01-02 00:00:00+00", 2, "direct"),
	  ("2024-01-03 00:00:00+00", 3, "direct")]', 'last_non_direct');
SELECT channel, credit FROM attribution.credits(
	'[("2024-01-01 00:00:00+00", 1, "direct"), ("2024-01-02 00:00:00+00", 2, "typed")]',
	'last_non_direct', direct_channels => '{direct,typed}');

-- custom weights; a position without a share leaves its touch a middle touch
SELECT position, round(credit::numeric, 4) AS credit FROM journeys, attribution.credits(j, 'custom',
	weights => '{0,0,0,0,0,1}') WHERE journey = 3;
-- only a lead weight and no lead time: nothing holds a weighted position, all touches share
SELECT position, round(credit::numeric, 4) AS credit FROM journeys, attribution.credits(j, 'custom',
	weights => '{0,1,0,0,0,0}') WHERE journey = 3;
-- model names are case-insensitive
SELECT count(*) FROM journeys, attribution.credits(j, 'Linear');

-- a long journey: 5000 touches sum to 1
SELECT count(*), round(sum(credit)::numeric, 12), min(credit) >= 0 AS non_negative
FROM (SELECT attribution.journey_agg(timestamptz '2024-01-01' + i * interval '1 minute', 'c' || (i % 13)) AS j
	  FROM generate_series(1, 5000) i) s, attribution.credits(j, 'position_based');
