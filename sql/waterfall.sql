-- Waterfall summaries (doc/waterfall.md): waterfall_agg, merge,
-- waterfall_report, waterfall_exits and reverse_waterfall.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\pset null '(null)'

-- A hand-made population of 10 units on the default ladder
-- {inquiry,mql,sal,sql,opportunity,won}, exits {disqualified,lost};
-- day = days after 2024-01-01.
CREATE TEMP TABLE pop (unit int, stage text, day int);
INSERT INTO pop VALUES
	-- 1: straight to won
	(1, 'inquiry', 0), (1, 'mql', 2), (1, 'sal', 4), (1, 'sql', 6), (1, 'opportunity', 10), (1, 'won', 40),
	-- 2: skips sal (reached at the sql time), won
	(2, 'inquiry', 0), (2, 'mql', 1), (2, 'sql', 5), (2, 'opportunity', 15), (2, 'won', 45),
	-- 3: recycled from sal to mql, lost at opportunity
	(3, 'inquiry', 0), (3, 'mql', 3), (3, 'sal', 5), (3, 'mql', 8), (3, 'sal', 10), (3, 'sql', 12),
	(3, 'opportunity', 20), (3, 'lost', 50),
	-- 4: disqualified at mql
	(4, 'inquiry', 0), (4, 'mql', 2), (4, 'disqualified', 5),
	-- 5: disqualified at inquiry
	(5, 'inquiry', 0), (5, 'disqualified', 1),
	-- 6: still open at sal
	(6, 'inquiry', 0), (6, 'mql', 4), (6, 'sal', 6),
	-- 7: starts at mql (inquiry inferred at day 0), disqualified at sql
	(7, 'mql', 0), (7, 'sal', 2), (7, 'sql', 3), (7, 'disqualified', 9),
	-- 8: still open at inquiry
	(8, 'inquiry', 0),
	-- 9: lost at opportunity, back into opportunity (a recycle), won
	(9, 'inquiry', 0), (9, 'mql', 5), (9, 'sal', 7), (9, 'sql', 9), (9, 'opportunity', 14),
	(9, 'lost', 30), (9, 'opportunity', 60), (9, 'won', 90),
	-- 10: recycled from sal to inquiry, now at mql (furthest: sal)
	(10, 'inquiry', 0), (10, 'mql', 2), (10, 'sal', 3), (10, 'inquiry', 10), (10, 'mql', 20);
CREATE TEMP TABLE pop_hist AS
SELECT unit, attribution.stage_agg(stage, '2024-01-01 00:00+00'::timestamptz + day * interval '1 day') AS h
FROM pop GROUP BY unit;
CREATE TEMP TABLE pop_ws AS SELECT attribution.waterfall_agg(h ORDER BY unit) AS ws FROM pop_hist;

-- By hand: furthest stages 5,5,4,1,0,2,3,0,5,2 (0 = inquiry); reached(k) =
-- units with furthest >= k: 10, 8, 7, 5, 4, 3; advanced = reached of the
-- next stage; recycled: sal (units 3, 10), opportunity (unit 9);
-- disqualified (stopped there, in an exit now): inquiry 5, mql 4, sql 7,
-- opportunity 3 (lost); still open = reached - advanced - disqualified:
-- inquiry 8, sal 6 and 10.
SELECT stage, reached, advanced, conversion_rate, cumulative_rate, recycled,
	   disqualified, still_open
FROM pop_ws, attribution.waterfall_report(ws);

-- Days to next, by hand (inferred reach times):
--   inquiry: 2,1,3,2,4,0,5,2  -> median 2,   p90 4 + 0.3 * 1  = 4.3
--   mql:     2,4,2,2,2,2,1    -> median 2,   p90 2 + 0.4 * 2  = 2.8
--   sal:     2,0,7,1,2        -> median 2,   p90 2 + 0.6 * 5  = 5
--   sql:     4,10,8,5         -> median 6.5, p90 8 + 0.7 * 2  = 9.4
--   opportunity: 30,30,76     -> median 30,  p90 30 + 0.8 * 46 = 66.8
-- The histogram gives them within 0.5%.
SELECT r.stage, x.median, x.p90,
	   abs(r.median_days_to_next - x.median) <= 0.005 * x.median AS median_within_half_percent,
	   abs(r.p90_days_to_next - x.p90) <= 0.005 * x.p90 AS p90_within_half_percent
FROM pop_ws, attribution.waterfall_report(ws) WITH ORDINALITY r
LEFT JOIN (VALUES ('inquiry', 2, 4.3), ('mql', 2, 2.8), ('sal', 2, 5), ('sql', 6.5, 9.4),
				  ('opportunity', 30, 66.8)) x(stage, median, p90) USING (stage)
ORDER BY r.ordinality;

-- The same against percentile_cont over the same data in plain SQL.
WITH ladder(stage, k) AS (
	VALUES ('inquiry', 0), ('mql', 1), ('sal', 2), ('sql', 3), ('opportunity', 4), ('won', 5)),
ev AS (SELECT p.unit, l.k, p.day FROM pop p JOIN ladder l USING (stage)),
reach AS (SELECT u.unit, l.k, (SELECT min(day) FROM ev WHERE ev.unit = u.unit AND ev.k >= l.k) AS day
		  FROM (SELECT DISTINCT unit FROM pop) u CROSS JOIN ladder l),
days AS (SELECT a.k, (b.day - a.day)::float8 AS days FROM reach a JOIN reach b
		 ON b.unit = a.unit AND b.k = a.k + 1 WHERE b.day IS NOT NULL),
exact AS (SELECT k, percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median,
				 percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS p90
		  FROM days GROUP BY k)
SELECT r.stage, e.median, e.p90,
	   abs(r.median_days_to_next - e.median) <= 0.005 * e.median AS median_ok,
	   abs(r.p90_days_to_next - e.p90) <= 0.005 * e.p90 AS p90_ok
FROM pop_ws, attribution.waterfall_report(ws) WITH ORDINALITY r
JOIN ladder l USING (stage) LEFT JOIN exact e USING (k)
ORDER BY r.ordinality;

-- Exits split by exit stage (all pairs; the disqualified column is their sum).
SELECT x.* FROM pop_ws, attribution.waterfall_exits(ws) x;

-- Reverse waterfall for 30 wins: volume = 30 * reached / 3 at each stage;
-- days before the win: 0, 30, 36.5, 38.5, 40.5, 42.5 (sums of medians).
SELECT r.stage, r.conversion_rate, r.volume,
	   abs(r.days_before_win - x.days) <= 0.005 * x.days AS days_within_half_percent
FROM pop_ws, attribution.reverse_waterfall(ws, 30) WITH ORDINALITY r
JOIN (VALUES ('inquiry', 42.5), ('mql', 40.5), ('sal', 38.5), ('sql', 36.5),
			 ('opportunity', 30), ('won', 0)) x(stage, days) USING (stage)
ORDER BY r.ordinality;
SELECT r.stage, r.volume FROM pop_ws, attribution.reverse_waterfall(ws, 0) r;

-- A zero rate gives NULL volumes (there and before) and a NOTICE.
CREATE TEMP TABLE zero_ws AS
SELECT attribution.waterfall_agg(h) AS ws
FROM (SELECT attribution.stage_agg(stage, '2024-01-01 00:00+00'::timestamptz + day * interval '1 day') AS h
	  FROM (VALUES (1, 'inquiry', 0), (1, 'mql', 1), (1, 'sal', 2), (1, 'sql', 3), (1, 'opportunity', 4),
				   (1, 'lost', 9), (2, 'inquiry', 0), (2, 'mql', 3)) v(unit, stage, day)
	  GROUP BY unit) s;
SELECT stage, reached, advanced, conversion_rate, cumulative_rate, disqualified, still_open,
	   round(median_days_to_next::numeric, 1) AS median_days_to_next
FROM zero_ws, attribution.waterfall_report(ws);
SELECT r.stage, r.conversion_rate, r.volume, round(r.median_days_to_next::numeric, 1) AS median_days_to_next,
	   r.days_before_win
FROM zero_ws, attribution.reverse_waterfall(ws, 10) r;
-- no unit reached the stage before the last: the rate is undefined
SELECT r.stage, r.conversion_rate, r.volume
FROM (SELECT attribution.waterfall_agg(h) AS ws
	  FROM (SELECT attribution.stage_agg(stage, at, '{lead,deal,won}', '{}') AS h
			FROM (VALUES ('lead', '2024-01-01 00:00+00'::timestamptz)) v(stage, at)) h) s,
	 attribution.reverse_waterfall(ws, 5) r;

-- Units that only ever entered exit stages count as units, reach nothing.
CREATE TEMP TABLE exit_only AS
SELECT attribution.waterfall_agg(h) AS ws
FROM (SELECT attribution.stage_agg(stage, at, '{lead,won}', '{lost}') AS h
	  FROM (VALUES ('lost', '2024-01-01 00:00+00'::timestamptz)) v(stage, at)) s;
SELECT ws FROM exit_only;
SELECT r.* FROM exit_only, attribution.waterfall_report(ws) r;

-- The text form (two units: days to next are log-bucketed microseconds).
SELECT attribution.waterfall_agg(h) FROM pop_hist WHERE unit IN (5, 8);
SELECT attribution.waterfall_agg(h) FROM pop_hist WHERE unit = 7;

-- merge: stored partial summaries (daily rollups) merge into the whole.
CREATE TEMP TABLE rollups AS
SELECT unit % 3 AS part, attribution.waterfall_agg(h) AS ws FROM pop_hist GROUP BY unit % 3;
SELECT attribution.merge(ws)::text = (SELECT ws::text FROM pop_ws) AS merged_equals_whole
FROM rollups;
SELECT attribution.merge(ws)::text = (SELECT ws::text FROM pop_ws) AS with_nulls_equal
FROM (SELECT ws FROM rollups UNION ALL SELECT NULL) s;
SELECT attribution.merge(ws ORDER BY part DESC)::text = attribution.merge(ws ORDER BY part)::text AS order_free
FROM rollups;
SELECT r.stage, r.reached, r.recycled, r.disqualified
FROM (SELECT attribution.merge(ws) AS ws FROM (SELECT ws FROM pop_ws UNION ALL SELECT ws FROM pop_ws) d) s,
	 attribution.waterfall_report(ws) r;
SELECT attribution.merge(ws) IS NULL AS empty_merge FROM rollups WHERE false;
SELECT attribution.waterfall_agg(h) IS NULL AS empty_agg FROM pop_hist WHERE false;
-- Any input order gives the same summary.
SELECT attribution.waterfall_agg(h ORDER BY unit DESC)::text = (SELECT ws::text FROM pop_ws) AS order_free
FROM pop_hist;

-- Round trips: text and binary.
SELECT ws::text::attribution.waterfall_summary::text = ws::text AS text_round_trip FROM pop_ws;
CREATE TEMP TABLE ws_copy AS SELECT part, ws FROM rollups UNION ALL SELECT -1, ws FROM pop_ws;
\copy ws_copy TO 'results/waterfall.bin' WITH (FORMAT binary)
CREATE TEMP TABLE ws_back (LIKE ws_copy);
\copy ws_back FROM 'results/waterfall.bin' WITH (FORMAT binary)
SELECT count(*) AS binary_rows, count(*) FILTER (WHERE a.ws::text = b.ws::text) AS equal
FROM ws_copy a JOIN ws_back b USING (part);

-- Parallel: partial summaries of workers combine into the serial result.
CREATE TABLE wf_par AS
SELECT u AS unit, attribution.stage_agg(
		(ARRAY['inquiry','mql','sal','sql','opportunity','won','disqualified','lost'])[1 + (hashint4(u * 100 + j) & 7)],
		'2024-01-01 00:00+00'::timestamptz + ((hashint4(u * 1000 + j) & 65535) % 2000) * interval '1 hour') AS h
FROM generate_series(1, 3000) u, generate_series(1, 12) j
WHERE j <= 6 + (hashint4(u) & 7)
GROUP BY u;
ANALYZE wf_par;
CREATE TEMP TABLE wf_serial AS SELECT attribution.waterfall_agg(h)::text AS ws FROM wf_par;
CREATE TABLE wf_daily AS
SELECT unit % 40 AS day, attribution.waterfall_agg(h) AS ws FROM wf_par GROUP BY unit % 40;
ANALYZE wf_daily;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT attribution.waterfall_agg(h) FROM wf_par;
SELECT attribution.waterfall_agg(h)::text = (SELECT ws FROM wf_serial) AS parallel_equals_serial
FROM wf_par;
EXPLAIN (COSTS OFF) SELECT attribution.merge(ws) FROM wf_daily;
SELECT attribution.merge(ws)::text = (SELECT ws FROM wf_serial) AS parallel_merge_equals_serial
FROM wf_daily;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP TABLE wf_par, wf_daily;

-- Bad input.
SELECT attribution.waterfall_agg(h)
FROM (SELECT attribution.stage_agg('a', '2024-01-01 00:00+00', '{a,b}') AS h
	  UNION ALL
	  SELECT attribution.stage_agg('a', '2024-01-01 00:00+00', '{a,b,c}')) s;
SELECT attribution.merge(ws)
FROM (SELECT ws FROM exit_only UNION ALL SELECT ws FROM pop_ws) s;
SELECT attribution.reverse_waterfall(ws, -1) FROM pop_ws;
SELECT attribution.reverse_waterfall(ws, 'NaN') FROM pop_ws;
SELECT attribution.reverse_waterfall(ws, 'infinity') FROM pop_ws;
-- malformed or inconsistent literals
SELECT '{"ladder":["a","b"],"exits":[],"units":1,"stages":[{"reached":1,"recycled":0,"exited":[],"to_next":{"zero":0,"buckets":[]}},{"reached":0,"recycled":0,"exited":[],"to_next":null}]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":[],"units":1,"stages":[{"reached":2,"recycled":0,"exited":[],"to_next":{"zero":0,"buckets":[]}},{"reached":0,"recycled":0,"exited":[],"to_next":null}]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":[],"units":2,"stages":[{"reached":1,"recycled":0,"exited":[],"to_next":{"zero":0,"buckets":[]}},{"reached":2,"recycled":0,"exited":[],"to_next":null}]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":[],"units":2,"stages":[{"reached":2,"recycled":0,"exited":[],"to_next":{"zero":0,"buckets":[]}},{"reached":1,"recycled":0,"exited":[],"to_next":null}]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":["x"],"units":2,"stages":[{"reached":2,"recycled":0,"exited":[2],"to_next":{"zero":1,"buckets":[]}},{"reached":1,"recycled":0,"exited":[0],"to_next":null}]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":["x"],"units":2,"stages":[{"reached":2,"recycled":3,"exited":[0],"to_next":{"zero":1,"buckets":[]}},{"reached":1,"recycled":0,"exited":[0],"to_next":null}]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":["x"],"units":2,"stages":[{"reached":2,"recycled":0,"exited":[-1],"to_next":{"zero":1,"buckets":[]}},{"reached":1,"recycled":0,"exited":[0],"to_next":null}]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":[],"units":2,"stages":[{"reached":2,"recycled":0,"exited":[],"to_next":{"zero":0,"buckets":[[100,1],[90,1]]}},{"reached":2,"recycled":0,"exited":[],"to_next":null}]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":[],"units":2,"stages":[{"reached":2,"recycled":0,"exited":[],"to_next":{"zero":0,"buckets":[[5000,2]]}},{"reached":2,"recycled":0,"exited":[],"to_next":null}]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":[],"units":2,"stages":[{"reached":2,"recycled":0,"exited":[],"to_next":{"zero":0,"buckets":[[50,0],[60,2]]}},{"reached":2,"recycled":0,"exited":[],"to_next":null}]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":[],"units":2,"stages":[{"reached":2,"recycled":0,"exited":[],"to_next":{"zero":0,"buckets":[]}},{"reached":0,"recycled":0,"exited":[],"to_next":{"zero":0,"buckets":[]}}]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":[],"units":2,"stages":[{"reached":2,"recycled":0,"exited":[],"to_next":{"zero":0,"buckets":[]}}]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":[],"units":-1,"stages":[]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":[],"units":99999999999999999999,"stages":[]}'::attribution.waterfall_summary;
SELECT '{"ladder":["a","b"],"exits":[],"stages":[]}'::attribution.waterfall_summary;
SELECT 'garbage'::attribution.waterfall_summary;

-- Labels: volatility, strictness and parallel safety of every function.
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel,
	   obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
FROM pg_proc p
WHERE p.pronamespace = 'attribution'::regnamespace
  AND (p.proname LIKE 'waterfall%' OR p.proname IN ('merge', 'reverse_waterfall'))
ORDER BY p.oid::regprocedure::text;
SELECT t.typname, obj_description(t.oid, 'pg_type') IS NOT NULL AS commented
FROM pg_type t
WHERE t.typnamespace = 'attribution'::regnamespace AND t.typname IN ('stage_history', 'waterfall_summary')
ORDER BY 1;
