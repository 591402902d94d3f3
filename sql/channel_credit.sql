-- The summary path: channel_credit() per journey, sum() over journeys,
-- each() to read; it agrees with credits() summed by channel.
SET timezone = 'UTC';
SET extra_float_digits = 0;

SELECT '{"b": 0.25, "a": 0.75}'::attribution.channel_credits;
SELECT '{}'::attribution.channel_credits;
SELECT * FROM attribution.each('{"email": 0.5, "web \"x\"": 0.5}');
SELECT '{"a": 1, "a": 2}'::attribution.channel_credits;
SELECT '{"a": NaN}'::attribution.channel_credits;
SELECT '{"a": 1e999}'::attribution.channel_credits;
SELECT '{"a" 1}'::attribution.channel_credits;
SELECT '{a: 1}'::attribution.channel_credits;
SELECT attribution.channel_credits_send('{"a": 0.5}');

-- a test population: 300 journeys, ties, direct touches, touches after the conversion
CREATE TABLE st AS
SELECT (i % 300) AS journey, i::bigint AS touch_id,
	   timestamptz '2024-01-01' + ((i * 7919) % 41) * interval '6 hours' AS touched_at,
	   (ARRAY['email','search','social','direct','display'])[1 + (i * 31) % 5] AS channel,
	   timestamptz '2024-01-01' + (5 + i % 300 % 7) * interval '1 day' AS converted_at,
	   timestamptz '2024-01-01' + (2 + i % 300 % 3) * interval '1 day' AS lead_at,
	   timestamptz '2024-01-01' + (4 + i % 300 % 4) * interval '1 day' AS opp_at,
	   timestamptz '2024-01-01' + (6 + i % 300 % 5) * interval '1 day' AS closed_at
FROM generate_series(1, 3000) i;

CREATE FUNCTION compare(model text, weights float8[] DEFAULT NULL, lookback interval DEFAULT NULL)
RETURNS TABLE(model text, channels bigint, max_difference_below_1e_12 bool, total numeric)
LANGUAGE sql AS $$
	WITH by_journey AS (
		SELECT journey, attribution.journey_agg(touched_at, channel, touch_id) AS j,
			   min(converted_at) c, min(lead_at) l, min(opp_at) o, min(closed_at) cl
		FROM st GROUP BY journey),
	reference AS (
		SELECT x.channel, sum(x.credit) AS credit
		FROM by_journey, attribution.credits(j, model, converted_at => c, lead_created_at => l,
			opportunity_created_at => o, closed_at => cl, weights => weights, lookback => lookback) x
		GROUP BY x.channel),
	summary AS (
		SELECT e.* FROM attribution.each((
			SELECT attribution.sum(cc) FROM (
				SELECT attribution.channel_credit(model, touched_at, channel, touch_id, channel = 'direct',
					converted_at, lead_at, opp_at, closed_at, NULL, weights, lookback) AS cc
				FROM st GROUP BY journey) s)) e)
	SELECT model, count(*), max(abs(r.credit - s.credit)) < 1e-12, round(sum(s.credit)::numeric, 9)
	FROM reference r FULL JOIN summary s USING (channel)
$$;
SELECT c.* FROM unnest(ARRAY['first_touch', 'last_touch', 'last_non_direct', 'linear', 'position_based',
	'j_shaped', 'inverse_j', 'w_shaped', 'full_path', 'time_decay']) m, compare(m) c;
SELECT * FROM compare('custom', '{0.1,0.2,0.3,0.1,0.2,0.1}');
SELECT * FROM compare('custom', '{0,1,0,0,0,0}');
SELECT * FROM compare('linear', lookback => '3 days');
SELECT * FROM compare('time_decay', lookback => '2 days');

-- the short forms
SELECT * FROM attribution.each((SELECT attribution.sum(cc) FROM (
	SELECT attribution.channel_credit('position_based', touched_at, channel) cc FROM st GROUP BY journey) s));
SELECT * FROM attribution.each((SELECT attribution.sum(cc, 100) FROM (
	SELECT attribution.channel_credit('linear', touched_at, channel, converted_at) cc FROM st GROUP BY journey) s));
-- exact duplicates (same time, no id, same channel) are distinct touches
SELECT e.channel, round(e.credit::numeric, 12) FROM (SELECT attribution.channel_credit('position_based', t, c) cc FROM (VALUES
	(timestamptz '2024-01-01', 'a'), ('2024-01-01', 'a'), ('2024-01-02', 'b')) v(t, c)) s, attribution.each(cc) e;
SELECT channel, sum(credit) FROM attribution.credits(
	'[("2024-01-01 00:00:00+00", null, "a"), ("2024-01-01 00:00:00+00", null, "a"), ("2024-01-02 00:00:00+00", null, "b")]',
	'position_based') GROUP BY channel ORDER BY channel;
-- a journey with no touch in the window gives an empty value
SELECT attribution.channel_credit('linear', t, c, timestamptz '2023-01-01') FROM (VALUES (timestamptz '2024-01-01', 'a')) v(t, c);

-- in parallel: the per-journey and the total aggregates split over workers
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
-- the combine function's planner cost would keep tables this small serial: lower it to test the parallel plan
ALTER FUNCTION attribution.channel_credit_combine(internal, internal) COST 1;
EXPLAIN (COSTS OFF) SELECT attribution.channel_credit('linear', touched_at, channel) FROM st GROUP BY journey;
SELECT c.* FROM unnest(ARRAY['first_touch', 'w_shaped', 'full_path', 'time_decay', 'last_non_direct']) m, compare(m) c;
-- one journey split across workers
EXPLAIN (COSTS OFF) SELECT attribution.channel_credit('time_decay', touched_at, channel) FROM st;
CREATE TABLE parallel_value AS SELECT attribution.channel_credit('time_decay', touched_at, channel, touch_id,
	channel = 'direct', NULL, NULL, NULL, NULL, '3 days', NULL, NULL) AS cc FROM st;
RESET max_parallel_workers_per_gather;
CREATE TABLE serial_value AS SELECT attribution.channel_credit('time_decay', touched_at, channel, touch_id,
	channel = 'direct', NULL, NULL, NULL, NULL, '3 days', NULL, NULL) AS cc FROM st;
-- time decay sums floats: equal up to rounding (see doc/rule_based.md, Rounding)
SELECT p.channel, round(p.credit::numeric, 12) AS credit, abs(p.credit - s.credit) < 1e-14 AS same
FROM parallel_value, attribution.each(parallel_value.cc) p
JOIN (SELECT e.* FROM serial_value, attribution.each(serial_value.cc) e) s USING (channel);
RESET parallel_setup_cost;
ALTER FUNCTION attribution.channel_credit_combine(internal, internal) COST 100;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;

-- errors
SELECT attribution.channel_credit(m, t, c) FROM (VALUES ('linear', timestamptz '2024-01-01', 'a'),
	('first_touch', '2024-01-02', 'b')) v(m, t, c);
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.channel_credit('linear', t, c, x) FROM (VALUES (timestamptz '2024-01-01', 'a', timestamptz '2024-02-01'),
	('2024-01-02', 'b', '2024-02-02')) v(t, c, x);
\echo :LAST_ERROR_SQLSTATE
-- the error names the argument that differs
SELECT attribution.channel_credit('time_decay', t, c, NULL, false, NULL, NULL, NULL, NULL, h, NULL, NULL)
FROM (VALUES (timestamptz '2024-01-01', 'a', interval '7 days'), ('2024-01-02', 'b', '8 days')) v(t, c, h);
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.channel_credit('w_shaped', t, c, NULL, false, NULL, l, NULL, NULL, NULL, NULL, NULL)
FROM (VALUES (timestamptz '2024-01-01', 'a', timestamptz '2024-01-01'), ('2024-01-02', 'b', NULL)) v(t, c, l);
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.channel_credit('linear', t, c, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, '1 day')
FROM (VALUES (timestamptz '2024-01-01', 'a')) v(t, c);
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.channel_credit('linear', NULL, 'a');
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.channel_credit('linear', now(), NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.channel_credit(NULL, now(), 'a');
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.channel_credit('bogus', now(), 'a');
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.channel_credit('time_decay', now(), 'a', NULL, false, NULL, NULL, NULL, NULL, '-1 day', NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.sum(cc, 'NaN') FROM (VALUES ('{"a": 1}'::attribution.channel_credits)) v(cc);
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.channel_credit('linear', timestamptz '2024-01-01', 'c' || i) FROM generate_series(1, 4097) i;
\echo :LAST_ERROR_SQLSTATE

-- credit_by_channel(): the same totals in one aggregate, grouping inside
CREATE FUNCTION compare_one_pass(model text, weights float8[] DEFAULT NULL)
RETURNS TABLE(model text, channels bigint, max_difference_below_1e_12 bool, total numeric)
LANGUAGE sql AS $$
	WITH two_level AS (
		SELECT e.* FROM attribution.each((
			SELECT attribution.sum(cc) FROM (
				SELECT attribution.channel_credit(model, touched_at, channel, touch_id, channel = 'direct',
					converted_at, lead_at, opp_at, closed_at, NULL, weights, NULL) AS cc
				FROM st GROUP BY journey) s)) e),
	one_pass AS (
		SELECT e.* FROM attribution.each((
			SELECT attribution.credit_by_channel(journey, model, touched_at, channel, touch_id, channel = 'direct',
				converted_at, lead_at, opp_at, closed_at, NULL, weights, NULL) FROM st)) e)
	SELECT model, count(*), max(abs(t.credit - o.credit)) < 1e-12, round(sum(o.credit)::numeric, 9)
	FROM two_level t FULL JOIN one_pass o USING (channel)
$$;
SELECT c.* FROM unnest(ARRAY['first_touch', 'last_non_direct', 'linear', 'position_based', 'w_shaped',
	'full_path', 'time_decay']) m, compare_one_pass(m) c;
SELECT * FROM compare_one_pass('custom', '{0.1,0.2,0.3,0.1,0.2,0.1}');
SELECT * FROM attribution.each((SELECT attribution.credit_by_channel(journey, 'j_shaped', touched_at, channel) FROM st));
SELECT * FROM attribution.each((SELECT attribution.credit_by_channel(journey, 'linear', touched_at, channel, converted_at) FROM st));
SELECT attribution.credit_by_channel(j, 'linear', t, c) IS NULL AS no_rows
FROM (SELECT 1::bigint, now(), 'a' WHERE false) v(j, t, c);
-- in parallel: partial states of many journeys merged; the result is the same to the bit
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
-- the combine function's planner cost would keep tables this small serial: lower it to test the parallel plan
ALTER FUNCTION attribution.credit_by_channel_combine(attribution.credit_by_channel_state, attribution.credit_by_channel_state) COST 1;
EXPLAIN (COSTS OFF) SELECT attribution.credit_by_channel(journey, 'position_based', touched_at, channel) FROM st;
CREATE TABLE one_pass_parallel AS
SELECT m, attribution.credit_by_channel(journey, m, touched_at, channel, touch_id, channel = 'direct',
	converted_at, lead_at, opp_at, closed_at, NULL, NULL, NULL)::text AS cc
FROM st, unnest(ARRAY['first_touch', 'position_based', 'full_path']) m GROUP BY m;
RESET max_parallel_workers_per_gather;
SELECT p.m, p.cc = s.cc AS identical
FROM one_pass_parallel p JOIN (
	SELECT m, attribution.credit_by_channel(journey, m, touched_at, channel, touch_id, channel = 'direct',
		converted_at, lead_at, opp_at, closed_at, NULL, NULL, NULL)::text AS cc
	FROM st, unnest(ARRAY['first_touch', 'position_based', 'full_path']) m GROUP BY m) s USING (m)
ORDER BY p.m;
RESET parallel_setup_cost;
ALTER FUNCTION attribution.credit_by_channel_combine(attribution.credit_by_channel_state, attribution.credit_by_channel_state) COST 100000000;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
-- errors
SELECT attribution.credit_by_channel(NULL, 'linear', now(), 'a');
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.credit_by_channel(j, 'linear', t, 'a', t) FROM (VALUES (1::bigint, timestamptz '2024-01-01'),
	(1, '2024-01-02')) v(j, t);
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.credit_by_channel(1, 'nope', now(), 'a');
\echo :LAST_ERROR_SQLSTATE
