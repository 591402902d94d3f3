-- Numeric edges, values equal in meaning but not in form, and the memory
-- limit attribution.max_memory (doc/reliability.md).
SET timezone = 'UTC';
SET extra_float_digits = 0;

-- the SQLSTATE and message of a statement, or 'ok'
CREATE FUNCTION pg_temp.outcome(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE statement;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- ---------------------------------------------------------------- time across the whole timestamptz range

-- The first and the last touch 298,989 years apart: more microseconds than
-- int64 holds (109,203,527 days).  With a half-life of 100,000 years
-- (36,525,000 days) the first touch weighs 2^-2.98983 = 0.1259 of the last:
-- credits 0.1118 and 0.8882 (they used to be NaN, or the oldest touch took
-- everything).
SELECT position, channel, round(credit::numeric, 4) AS credit
FROM attribution.credits('[("4714-11-24 00:00:00+00 BC", null, "oldest"), ("294276-12-31 00:00:00+00", null, "newest")]'::attribution.journey,
						 'time_decay', half_life => '100000 years');
SELECT channel, round(credit::numeric, 4) AS credit
FROM attribution.each((SELECT attribution.channel_credit('time_decay', t, c, NULL, NULL, NULL, NULL, NULL, NULL,
															 '100000 years', NULL, NULL)
	FROM (VALUES (timestamptz '4714-11-24 00:00:00+00 BC', 'oldest'), ('294276-12-31 00:00:00+00', 'newest')) v(t, c)))
ORDER BY channel;
SELECT c, round(attribution.credit('time_decay', t, half_life => '100000 years') OVER ()::numeric, 4) AS credit
FROM (VALUES (timestamptz '4714-11-24 00:00:00+00 BC', 'oldest'), ('294276-12-31 00:00:00+00', 'newest')) v(t, c)
ORDER BY t;
-- the window of a funnel as long as the range itself: both steps are
-- within 400,000 years of the first (used to give 1: the distance overflowed)
SELECT attribution.funnel_depth(h, '400000 years', 'default') AS within_400000_years,
	   attribution.funnel_depth(h, '290000 years', 'default') AS within_290000_years
FROM (SELECT attribution.stage_agg(s, t) h
	  FROM (VALUES ('inquiry', timestamptz '4714-11-24 00:00:00+00 BC'), ('mql', '294276-12-31 00:00:00+00')) v(s, t)) x;

-- ---------------------------------------------------------------- counts near the largest double in a path summary

-- each path's sums fit a double, but the summary's do not: the models
-- raise numeric_value_out_of_range instead of NaN, infinite or zero results
CREATE TEMP TABLE huge AS
SELECT '[[["a","b"],1e308,1e308,1e308],[["a"],1e308,1e308,1e308],[["a","c"],1e308,0,1e308]]'::attribution.path_summary AS ps;
SELECT pg_temp.outcome('SELECT * FROM attribution.heuristics((SELECT ps FROM huge))');
SELECT pg_temp.outcome('SELECT * FROM attribution.counterfactual((SELECT ps FROM huge))');
SELECT pg_temp.outcome('SELECT * FROM attribution.shapley((SELECT ps FROM huge))');
SELECT pg_temp.outcome('SELECT * FROM attribution.shapley((SELECT ps FROM huge), ''ordered'')');
SELECT pg_temp.outcome('SELECT * FROM attribution.markov((SELECT ps FROM huge))');
SELECT pg_temp.outcome('SELECT * FROM attribution.markov((SELECT ps FROM huge), 2)');
SELECT pg_temp.outcome('SELECT * FROM attribution.transition_matrix((SELECT ps FROM huge))');
-- as path_agg and merge do on the same sums
SELECT pg_temp.outcome('SELECT attribution.merge(ps) FROM (SELECT ps FROM huge UNION ALL SELECT ps FROM huge) x');
-- one path of 1e308 conversions and 1e308 non-conversions: its journeys
-- overflow, its conversion rate (1/2) does not
SELECT channel, conversions, value
FROM attribution.counterfactual('[[["a","b"],1e308,1,1e308],[["a"],1,1,1]]'::attribution.path_summary);
-- conversions that add up past the range over the summary, but not per
-- channel: exact results
SELECT channel, first_touch, last_touch, linear
FROM attribution.heuristics('[[["a","b"],1e308,1,1e308],[["c"],1e308,1,0]]'::attribution.path_summary);
-- large but within range: markov works
SELECT channel, removal_effect, conversions
FROM attribution.markov('[[["a","b"],1e200,1e200,1e200],[["b"],1e199,1e199,1e200]]'::attribution.path_summary);

-- ---------------------------------------------------------------- strict numbers in the text forms

SELECT '[[["a"],0x1p3,0,0]]'::attribution.path_summary;
SELECT '{"a": 0x10}'::attribution.channel_credits;
SELECT '{"a": 1e-400}'::attribution.channel_credits;
SELECT '[[["a"],1,1e-400,0]]'::attribution.path_summary;
SELECT '{"a": 1e400}'::attribution.channel_credits;
SELECT '{"a": nan}'::attribution.channel_credits;
SELECT '{"a": infinity}'::attribution.channel_credits;
SELECT '{"a": 1.}'::attribution.channel_credits, '{"a": .5}'::attribution.channel_credits,
	   '{"a": -2.5E+2}'::attribution.channel_credits, '{"a": 0e-999}'::attribution.channel_credits;
-- below the normal range but not zero: kept, as float8 input keeps it
SELECT '{"a": 4e-320}'::attribution.channel_credits;
SELECT '{"a": 1e}'::attribution.channel_credits;
SELECT '{"a": 1.5.5}'::attribution.channel_credits;

-- ---------------------------------------------------------------- waterfall summaries with huge counts

-- two exits of 2^62 each at a stage that 2^62 units reached: the exits
-- overflow bigint when added, and the summary is refused (it used to pass
-- and report a negative disqualified and still_open)
SELECT '{"ladder":["a","b"],"exits":["x","y"],"units":4611686018427387904,"stages":[{"reached":4611686018427387904,"recycled":0,"exited":[4611686018427387904,4611686018427387904],"to_next":{"zero":0,"buckets":[]}},{"reached":0,"recycled":0,"exited":[0,0],"to_next":null}]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":["x","y"],"units":9223372036854775807,"stages":[{"reached":9223372036854775807,"recycled":0,"exited":[9223372036854775807,9223372036854775807],"to_next":{"zero":0,"buckets":[]}},{"reached":0,"recycled":0,"exited":[0,0],"to_next":null}]}'::attribution.waterfall_summary;
-- the largest valid counts still report
SELECT stage, reached, advanced, disqualified, still_open
FROM attribution.waterfall_report('{"ladder":["a","b"],"exits":["x","y"],"units":9223372036854775807,"stages":[{"reached":9223372036854775807,"recycled":0,"exited":[4611686018427387903,4611686018427387904],"to_next":{"zero":0,"buckets":[]}},{"reached":0,"recycled":0,"exited":[0,0],"to_next":null}]}'::attribution.waterfall_summary);

-- a target whose volumes leave the range of double precision is an error,
-- not Infinity; a large one that fits is fine
CREATE TEMP TABLE funnel AS
SELECT attribution.waterfall_agg(h) AS ws FROM (
	SELECT attribution.stage_agg(s, t, ARRAY['lead', 'deal', 'won']) h
	FROM (VALUES (1, 'lead', timestamptz '2024-01-01'), (1, 'deal', '2024-01-05'), (1, 'won', '2024-01-09'),
				 (2, 'lead', '2024-01-02'), (2, 'deal', '2024-01-04'),
				 (3, 'lead', '2024-01-03')) v(u, s, t)
	GROUP BY u) x;
SELECT pg_temp.outcome('SELECT * FROM attribution.reverse_waterfall((SELECT ws FROM funnel), 1e308)');
SELECT stage, volume FROM attribution.reverse_waterfall((SELECT ws FROM funnel), 1e307);

-- ---------------------------------------------------------------- cents that add up for every amount

-- opportunity_credits allocates an amount in cents by cumulative rounding;
-- on float8 it drifted by cents for amounts near the largest numeric(14,2)
-- with hundreds of touches (linear, position_based, j_shaped, inverse_j and
-- full_path: 50 of these 100 opportunities and models were off by 1 to 3
-- cents).  Ten opportunities of one contact touched 700 times.
INSERT INTO attribution.contacts VALUES ('limits C1', 'limits A1', '2024-01-01');
INSERT INTO attribution.opportunities
SELECT 'limits O' || k, 'limits A1', '2024-06-01', '2024-06-30', true, 999999999999.99 - k * 7777777.77
FROM generate_series(1, 10) k;
INSERT INTO attribution.opportunity_contacts SELECT 'limits O' || k, 'limits C1', 'champion' FROM generate_series(1, 10) k;
INSERT INTO attribution.touchpoints
SELECT 900000 + g, 'limits C1', timestamptz '2024-01-01' + g * interval '7 minutes',
	   (ARRAY['email', 'web', 'direct', 'events'])[1 + g % 4], NULL, NULL
FROM generate_series(1, 700) g;
SELECT count(*) FILTER (WHERE cents <> round(amount * 100)) AS off_by_cents, count(*) >= 100 AS checked,
	   -- credit is shown to six decimals, so credit x amount is known to within
	   -- 1e-6 x amount: a touch's cents must lie within a cent of that
	   count(*) FILTER (WHERE max_off >= 1 + amount * 100 * 1e-6) AS touches_off
FROM (SELECT model, opportunity_id, amount, sum(pipeline_cents) AS cents,
			 max(abs(pipeline_cents - credit * amount * 100)) AS max_off
	  FROM attribution.opportunity_credits WHERE opportunity_id LIKE 'limits O%' GROUP BY 1, 2, 3) x;
DELETE FROM attribution.opportunities WHERE opportunity_id LIKE 'limits O%';
DELETE FROM attribution.contacts WHERE contact_id = 'limits C1';

-- ---------------------------------------------------------------- equal values in other forms

-- credit(): the journey-level arguments compare by meaning, not bytes.  A
-- text read from a table (short header) next to the same text computed
-- (long header), and interval '1 day' next to '24 hours', are the same.
CREATE TEMP TABLE forms (journey int, touch int, touched_at timestamptz, model text, half_life interval);
INSERT INTO forms VALUES
	(1, 1, '2024-01-01', 'time_decay', '1 day'), (1, 2, '2024-01-02', 'time_decay', '24 hours'),
	(1, 3, '2024-01-03', 'time_decay', '1 day'), (2, 1, '2024-01-01', 'linear', NULL), (2, 2, '2024-01-02', 'linear', NULL);
SELECT journey, touch, round(attribution.credit(CASE WHEN touch % 2 = 0 THEN lower(model) ELSE model END, touched_at,
		half_life => coalesce(half_life, '7 days')) OVER (PARTITION BY journey)::numeric, 6) AS credit
FROM forms ORDER BY journey, touch;
-- '1 mon' is 30 days to the models and to interval equality alike
SELECT round(attribution.credit('time_decay', t, half_life => CASE WHEN k = 1 THEN interval '1 mon' ELSE '30 days' END)
	OVER ()::numeric, 6) AS credit
FROM (VALUES (1, timestamptz '2024-01-01'), (2, '2024-02-01')) v(k, t) ORDER BY k;
-- weights equal as numbers
SELECT round(attribution.credit('custom', t, weights => CASE WHEN k = 1 THEN '{0.5,0,0,0,0.5,0}'::float8[]
		ELSE '{0.50,0,0,0,5e-1,0}' END) OVER ()::numeric, 6) AS credit
FROM (VALUES (1, timestamptz '2024-01-01'), (2, '2024-02-01'), (3, '2024-03-01')) v(k, t) ORDER BY k;
-- values that differ in meaning are still an error: '1 year' is 365.25 days
-- to the models, '360 days' is not, whatever interval equality says
SELECT attribution.credit('time_decay', t, half_life => CASE WHEN k = 1 THEN interval '1 year' ELSE '360 days' END) OVER ()
FROM (VALUES (1, timestamptz '2024-01-01'), (2, '2024-02-01')) v(k, t);
SELECT attribution.credit(CASE WHEN k = 1 THEN 'linear' ELSE 'first_touch' END, t) OVER ()
FROM (VALUES (1, timestamptz '2024-01-01'), (2, '2024-02-01')) v(k, t);

-- channel_credit(): any number of models in one call (it stopped at 64):
-- 200 journeys, each with its own half-life, in one grouped aggregate, and
-- the same through credit_by_channel()
CREATE TEMP TABLE many_models AS
SELECT j, k, timestamptz '2024-01-01' + (j * 3 + k) * interval '1 hour' AS t,
	   (ARRAY['email', 'web', 'events'])[1 + (j + k) % 3] AS channel, (j || ' hours')::interval AS half_life
FROM generate_series(1, 200) j, generate_series(1, 3) k;
SELECT count(*) AS journeys, round(sum(c)::numeric, 9) AS credit
FROM (SELECT sum(e.credit) c FROM (
		SELECT j, attribution.channel_credit('time_decay', t, channel, k::bigint, false, NULL, NULL, NULL, NULL,
											 half_life, NULL, NULL) cc
		FROM many_models GROUP BY j) x, attribution.each(x.cc) e GROUP BY j) y;
SELECT channel, round(credit::numeric, 9) AS credit
FROM attribution.each((SELECT attribution.credit_by_channel(j, 'time_decay', t, channel, k::bigint, false, NULL, NULL,
														   NULL, NULL, half_life, NULL, NULL) FROM many_models))
ORDER BY channel;
-- equal to the sum over journeys of credits()
SELECT channel, round(sum(credit)::numeric, 9) AS credit
FROM (SELECT j, attribution.journey_agg(t, channel, k) jr, min(half_life) hl FROM many_models GROUP BY j) x,
	 attribution.credits(x.jr, 'time_decay', half_life => x.hl)
GROUP BY channel ORDER BY channel;

-- ---------------------------------------------------------------- attribution.max_memory

SHOW attribution.max_memory;
SET attribution.max_memory = '1MB';
CREATE TEMP TABLE wide AS
SELECT attribution.path_agg(ARRAY(SELECT 'c' || (abs(hashint8(g * 100 + k)) % 300) FROM generate_series(1, 2 + g % 5) k),
							g % 3 = 0) AS ps
FROM generate_series(1, 20000) g;
-- the chain of order 3 needs far more than 1 MB: an error before taking it
SELECT pg_temp.outcome('SELECT count(*) FROM attribution.markov((SELECT ps FROM wide), 3)');
SELECT pg_temp.outcome('SELECT count(*) FROM attribution.transition_matrix((SELECT ps FROM wide), 3)');
SELECT pg_temp.outcome('SELECT attribution.credit_by_channel(g, ''linear'', timestamptz ''2024-01-01'', ''email'') FROM generate_series(1, 100000) g');
SET attribution.max_memory = '1GB';
SELECT count(*) FROM attribution.markov((SELECT ps FROM wide), 3);
SELECT attribution.credit_by_channel(g, 'linear', timestamptz '2024-01-01', 'email') FROM generate_series(1, 100000) g;
-- below the least value (the message's wording of the range differs between versions)
SELECT split_part(pg_temp.outcome('SET attribution.max_memory = ''100kB'''), ' (', 1);
RESET attribution.max_memory;
SHOW attribution.max_memory;
