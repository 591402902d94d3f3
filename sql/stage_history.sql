-- Stage histories (doc/waterfall.md): the type, stage_agg and its accessors.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
\pset null '(null)'

CREATE TEMP TABLE ev (unit int, stage text, entered_at timestamptz);
INSERT INTO ev VALUES
	-- unit 1: inquiry -> mql -> sql, SAL skipped
	(1, 'inquiry', '2024-01-01 09:00+00'),
	(1, 'mql',     '2024-01-03 09:00+00'),
	(1, 'sql',     '2024-01-10 09:00+00'),
	-- unit 2: mql -> sal -> mql -> sal -> sql (one recycle), given out of order
	(2, 'sal',     '2024-02-10 00:00+00'),
	(2, 'mql',     '2024-02-01 00:00+00'),
	(2, 'sql',     '2024-02-11 12:00+00'),
	(2, 'mql',     '2024-02-04 00:00+00'),
	(2, 'sal',     '2024-02-03 00:00+00');
CREATE TEMP TABLE hist AS
SELECT unit, attribution.stage_agg(stage, entered_at) AS h FROM ev GROUP BY unit;

-- The text form: ladder, exits, events in order, times in UTC.
SELECT unit, h FROM hist ORDER BY unit;

-- Unit 1: inquiry -> mql forward, 0 skipped; mql -> sql forward, 1 skipped (sal).
SELECT t.* FROM hist, attribution.transitions(h) t WHERE unit = 1;
-- SAL counts as reached when SQL was (inferred), but it has no recorded entry.
SELECT attribution.reached_at(h, 'sal') AS sal_inferred,
	   attribution.reached_at(h, 'sal', 'recorded') AS sal_recorded,
	   attribution.reached_at(h, 'sql') AS sql_at,
	   attribution.reached_at(h, 'sal') = attribution.reached_at(h, 'sql') AS sal_is_sql_time,
	   attribution.reached_at(h, 'inquiry', 'recorded') AS inquiry_recorded,
	   attribution.reached_at(h, 'won') AS won,
	   attribution.reached_at(h, 'disqualified') AS disqualified
FROM hist WHERE unit = 1;

-- Unit 2: one recycle (sal -> mql), time in mql summed over both stays
-- (Feb 1 - Feb 3 and Feb 4 - Feb 10: 8 days), in sal (1 day + 1.5 days).
SELECT t.* FROM hist, attribution.transitions(h) t WHERE unit = 2;
SELECT (SELECT count(*) FROM attribution.transitions(h) WHERE direction = 'backward') AS recycles,
	   attribution.time_in_stage(h, 'mql') AS in_mql,
	   attribution.time_in_stage(h, 'sal') AS in_sal
FROM hist WHERE unit = 2;
-- inquiry was never recorded: inferred at the first event, recorded NULL
SELECT attribution.reached_at(h, 'inquiry') AS inquiry_inferred,
	   attribution.reached_at(h, 'inquiry', 'recorded') AS inquiry_recorded,
	   attribution.current_stage(h), attribution.furthest_stage(h)
FROM hist WHERE unit = 2;

-- The same events in any input order give the same history.
SELECT count(DISTINCT h::text) AS distinct_histories
FROM (SELECT attribution.stage_agg(stage, entered_at ORDER BY entered_at) AS h FROM ev WHERE unit = 2
	  UNION ALL
	  SELECT attribution.stage_agg(stage, entered_at ORDER BY entered_at DESC) FROM ev WHERE unit = 2
	  UNION ALL
	  SELECT attribution.stage_agg(stage, entered_at ORDER BY md5(stage || entered_at)) FROM ev WHERE unit = 2
	  UNION ALL
	  SELECT h FROM hist WHERE unit = 2) s;

-- Ties: events at the same time are ordered by ladder rank, exits after
-- the ladder (in the order of the exits list), whatever the input order.
SELECT attribution.stage_agg(stage, entered_at ORDER BY ord) AS h
FROM (VALUES (1, 'lost', '2024-03-01 10:00+00'::timestamptz),
			 (2, 'sql', '2024-03-01 10:00+00'),
			 (3, 'disqualified', '2024-03-01 10:00+00'),
			 (4, 'mql', '2024-03-01 10:00+00'),
			 (5, 'inquiry', '2024-03-01 09:00+00')) v(ord, stage, entered_at);
SELECT t.seq, t.from_stage, t.to_stage, t.time_in_stage, t.direction, t.skipped
FROM attribution.transitions(
	(SELECT attribution.stage_agg(stage, entered_at ORDER BY ord)
	 FROM (VALUES (1, 'sql', '2024-03-01 10:00+00'::timestamptz),
				  (2, 'mql', '2024-03-01 10:00+00')) v(ord, stage, entered_at))) t;

-- Duplicates: the same stage at the same time is one event; a second record
-- of the stage the unit is already in is not a new entry (merged into the first).
SELECT attribution.stage_agg(stage, entered_at)
FROM (VALUES ('mql', '2024-03-01 10:00+00'::timestamptz), ('mql', '2024-03-01 10:00+00'),
			 ('mql', '2024-03-02 10:00+00'), ('sal', '2024-03-05 10:00+00'),
			 ('sal', '2024-03-05 10:00+00')) v(stage, entered_at);

-- Exits: a recycle out of an exit is backward; current and furthest stage.
CREATE TEMP TABLE hist3 AS
SELECT attribution.stage_agg(stage, entered_at) AS h
FROM (VALUES ('inquiry', '2024-01-01 00:00+00'::timestamptz), ('mql', '2024-01-02 00:00+00'),
			 ('disqualified', '2024-01-04 00:00+00'), ('mql', '2024-01-10 00:00+00'),
			 ('opportunity', '2024-01-11 00:00+00'), ('lost', '2024-01-20 00:00+00')) v(stage, entered_at);
SELECT t.* FROM hist3, attribution.transitions(h) t;
SELECT attribution.current_stage(h), attribution.furthest_stage(h),
	   attribution.time_in_stage(h, 'mql') AS in_mql,
	   attribution.time_in_stage(h, 'lost') AS in_lost_open,
	   attribution.time_in_stage(h, 'lost', '2024-01-25 06:00+00') AS in_lost_as_of,
	   attribution.time_in_stage(h, 'lost', '2024-01-01 00:00+00') AS as_of_before_entry,
	   attribution.time_in_stage(h, 'sal') AS in_sal_never,
	   attribution.time_in_stage(h, 'mql', NULL) AS null_as_of,
	   attribution.time_in_stage(h, NULL) AS null_stage
FROM hist3;
SELECT attribution.furthest_stage(attribution.stage_agg(stage, entered_at)) AS only_exits,
	   attribution.current_stage(attribution.stage_agg(stage, entered_at))
FROM (VALUES ('disqualified', '2024-01-01 00:00+00'::timestamptz)) v(stage, entered_at);

-- stage_entries: ladder stages reached (inferred) then exits entered.
SELECT e.* FROM hist3, attribution.stage_entries(h) e;
SELECT e.* FROM hist, attribution.stage_entries(h) e WHERE unit = 1;

-- Custom ladders and exits.
SELECT attribution.stage_agg(stage, entered_at, '{lead,trial,paid}', '{churned}')
FROM (VALUES ('trial', '2024-01-02 00:00+00'::timestamptz), ('lead', '2024-01-01 00:00+00'),
			 ('churned', '2024-02-01 00:00+00')) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, '{lead,trial,paid}')
FROM (VALUES ('lost', '2024-01-02 00:00+00'::timestamptz)) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, '{open,won}', '{}')
FROM (VALUES ('won', '2024-01-02 00:00+00'::timestamptz)) v(stage, entered_at);
-- the ladder may come from a column (a named waterfall per unit)
SELECT w, attribution.furthest_stage(attribution.stage_agg(stage, entered_at, ladder, exits))
FROM (VALUES (1, 'b', '2024-01-01 00:00+00'::timestamptz, '{a,b,c}'::text[], '{x}'::text[]),
			 (1, 'a', '2024-01-01 00:00+00', '{a,b,c}', '{x}'),
			 (2, 'q', '2024-01-01 00:00+00', '{p,q}', '{}')) v(w, stage, entered_at, ladder, exits)
GROUP BY w ORDER BY w;

-- An outer join's filler row (stage and time both null) is skipped.
SELECT u.id, attribution.stage_agg(e.stage, e.entered_at) IS NULL AS no_history,
	   attribution.current_stage(attribution.stage_agg(e.stage, e.entered_at))
FROM (VALUES (1), (9)) u(id) LEFT JOIN ev e ON e.unit = u.id
GROUP BY u.id ORDER BY u.id;

-- funnel_depth, as ClickHouse windowFunnel, over the ladder {a,b,c} (exit x).
CREATE TEMP TABLE funnel (name text, stage text, at timestamptz);
INSERT INTO funnel VALUES
	('in order inside the window', 'a', '2024-01-01 00:00+00'),
	('in order inside the window', 'b', '2024-01-02 00:00+00'),
	('in order inside the window', 'c', '2024-01-03 00:00+00'),
	('c outside the window', 'a', '2024-01-01 00:00+00'),
	('c outside the window', 'b', '2024-01-02 00:00+00'),
	('c outside the window', 'c', '2024-01-09 00:00+00'),
	('c at the window end', 'a', '2024-01-01 00:00+00'),
	('c at the window end', 'b', '2024-01-02 00:00+00'),
	('c at the window end', 'c', '2024-01-08 00:00+00'),
	('first step never entered', 'b', '2024-01-01 00:00+00'),
	('first step never entered', 'c', '2024-01-02 00:00+00'),
	('b before a', 'b', '2024-01-01 00:00+00'),
	('b before a', 'a', '2024-01-02 00:00+00'),
	('equal timestamps', 'a', '2024-01-01 00:00+00'),
	('equal timestamps', 'b', '2024-01-01 00:00+00'),
	('equal timestamps', 'c', '2024-01-02 00:00+00'),
	('exit between steps', 'a', '2024-01-01 00:00+00'),
	('exit between steps', 'x', '2024-01-02 00:00+00'),
	('exit between steps', 'b', '2024-01-03 00:00+00'),
	('late restart', 'a', '2024-01-01 00:00+00'),
	('late restart', 'b', '2024-01-20 00:00+00'),
	('late restart', 'a', '2024-02-01 00:00+00'),
	('late restart', 'b', '2024-02-02 00:00+00'),
	('late restart', 'c', '2024-02-03 00:00+00');
SELECT name,
	   attribution.funnel_depth(h, '7 days') AS depth,
	   attribution.funnel_depth(h, '7 days', 'strict_increase') AS strict_increase,
	   attribution.funnel_depth(h, '7 days', 'strict_order') AS strict_order,
	   attribution.funnel_depth(h, '7 days', ' strict_order , strict_increase') AS both,
	   attribution.funnel_depth(h, '1 month') AS month_window
FROM (SELECT name, attribution.stage_agg(stage, at, '{a,b,c}', '{x}') AS h
	  FROM funnel GROUP BY name) s
ORDER BY name;

-- Round trips: text, and binary through COPY.
SELECT count(*) AS text_round_trip_failures
FROM (SELECT h FROM hist UNION ALL SELECT h FROM hist3) s
WHERE h::text::attribution.stage_history::text <> h::text;
SELECT attribution.stage_history_send('{"ladder":["a","b"],"exits":["x"],"events":[["b","2000-01-01 00:00:01+00"]]}');
CREATE TEMP TABLE hist_copy AS SELECT unit, h FROM hist UNION ALL SELECT 3, h FROM hist3;
\copy hist_copy TO 'results/stage_history.bin' WITH (FORMAT binary)
CREATE TEMP TABLE hist_back (LIKE hist_copy);
\copy hist_back FROM 'results/stage_history.bin' WITH (FORMAT binary)
SELECT count(*) AS binary_rows, count(*) FILTER (WHERE a.h::text = b.h::text) AS equal
FROM hist_copy a JOIN hist_back b USING (unit);
-- Other time forms are accepted on input and written back in UTC.
SELECT '{"ladder":["a","b"],"exits":[],"events":[["b","2024-01-01T00:00:00.5-02:30"],["a","2024-01-01 00:00:00Z"],["b","0044-03-15 12:00:00+0100 BC"]]}'::attribution.stage_history;

-- Parallel: histories built from partial states of parallel workers (the
-- events of one unit split over workers) equal the serial ones.
CREATE TABLE stage_par (unit int, stage text, entered_at timestamptz);
INSERT INTO stage_par
SELECT u, (ARRAY['inquiry','mql','sal','sql','opportunity','won','disqualified','lost'])[1 + (hashint4(u * 100 + j) & 7)],
	   '2024-01-01 00:00+00'::timestamptz + ((hashint4(u * 1000 + j) & 65535) % 2000) * interval '1 hour'
FROM generate_series(1, 2000) u, generate_series(1, 12) j
WHERE j <= 6 + (hashint4(u) & 7)
ORDER BY hashint4(u * 31 + j);
ANALYZE stage_par;
CREATE TEMP TABLE par_serial AS
SELECT unit, attribution.stage_agg(stage, entered_at)::text AS h FROM stage_par GROUP BY unit;
CREATE TEMP TABLE one_serial AS
SELECT attribution.stage_agg(stage, entered_at)::text AS h FROM stage_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_hashagg = off;	-- with few events per unit, only the sorted plan is partial
-- the combine function's planner cost would keep tables this small serial: lower it to test the parallel plan
ALTER FUNCTION attribution.stage_agg_combine(internal, internal) COST 1;
EXPLAIN (COSTS OFF)
SELECT unit, attribution.stage_agg(stage, entered_at) FROM stage_par GROUP BY unit;
SELECT count(*) AS units,
	   count(*) FILTER (WHERE p.h::text = s.h) AS equal_to_serial
FROM (SELECT unit, attribution.stage_agg(stage, entered_at) AS h FROM stage_par GROUP BY unit) p
JOIN par_serial s USING (unit);
EXPLAIN (COSTS OFF)
SELECT attribution.stage_agg(stage, entered_at) FROM stage_par;
SELECT attribution.stage_agg(stage, entered_at)::text = (SELECT h FROM one_serial) AS one_history_equal
FROM stage_par;
RESET parallel_setup_cost;
ALTER FUNCTION attribution.stage_agg_combine(internal, internal) COST 100;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
RESET enable_hashagg;
DROP TABLE stage_par;

-- Bad input.
\set VERBOSITY default
SELECT attribution.stage_agg(stage, entered_at)
FROM (VALUES ('inquiry', now()), ('MQL', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, '{a,b,a}')
FROM (VALUES ('a', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, '{a}')
FROM (VALUES ('a', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, '{}')
FROM (VALUES ('a', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, '{a,b}', '{x,b}')
FROM (VALUES ('a', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, '{a,b}', '{x,x}')
FROM (VALUES ('a', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, '{open,won,lost}')
FROM (VALUES ('open', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, '{a,NULL}')
FROM (VALUES ('a', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, '{a,""}')
FROM (VALUES ('a', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, '{{a,b},{c,d}}')
FROM (VALUES ('a', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, NULL)
FROM (VALUES ('a', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, '{a,b}', NULL)
FROM (VALUES ('a', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, (SELECT array_agg('s' || i) FROM generate_series(1, 101) i))
FROM (VALUES ('s1', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, ARRAY['a', repeat('b', 300)])
FROM (VALUES ('a', now())) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at, ladder)
FROM (VALUES ('a', now(), '{a,b}'::text[]), ('a', now(), '{a,c}')) v(stage, entered_at, ladder);
SELECT attribution.stage_agg(stage, entered_at)
FROM (VALUES ('mql', '2024-01-01 00:00+00'::timestamptz), ('sql', NULL)) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at)
FROM (VALUES ('mql', '2024-01-01 00:00+00'::timestamptz), (NULL, '2024-01-02 00:00+00')) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at)
FROM (VALUES ('mql', 'infinity'::timestamptz)) v(stage, entered_at);
SELECT attribution.stage_agg(stage, entered_at)
FROM (VALUES ('mql', '-infinity'::timestamptz)) v(stage, entered_at);
SELECT attribution.funnel_depth(h, '0 days') FROM hist WHERE unit = 1;
SELECT attribution.funnel_depth(h, '-1 hour') FROM hist WHERE unit = 1;
SELECT attribution.funnel_depth(h, '1 day -24 hours') FROM hist WHERE unit = 1;
SELECT attribution.funnel_depth(h, '1 day', 'strict_deduplication') FROM hist WHERE unit = 1;
-- (an empty mode is the default mode)
SELECT attribution.funnel_depth(h, '1 day', '') FROM hist WHERE unit = 1;
SELECT attribution.reached_at(h, 'sal', 'guessed') FROM hist WHERE unit = 1;
SELECT attribution.reached_at(h, 'closed') FROM hist WHERE unit = 1;
SELECT attribution.time_in_stage(h, 'mql', 'infinity') FROM hist WHERE unit = 1;
-- malformed literals
SELECT ''::attribution.stage_history;
SELECT '{}'::attribution.stage_history;
SELECT '{"ladder":["a","b"],"exits":[]}'::attribution.stage_history;
SELECT '{"ladder":["a","b"],"exits":[],"events":[]}'::attribution.stage_history;
SELECT '{"exits":[],"ladder":["a","b"],"events":[["a","2024-01-01 00:00:00+00"]]}'::attribution.stage_history;
SELECT '{"ladder":["a","b"],"exits":[],"events":[["a","2024-01-01 00:00:00"]]}'::attribution.stage_history;
SELECT '{"ladder":["a","b"],"exits":[],"events":[["a","now"]]}'::attribution.stage_history;
SELECT '{"ladder":["a","b"],"exits":[],"events":[["a","infinity"]]}'::attribution.stage_history;
SELECT '{"ladder":["a","b"],"exits":[],"events":[["a","2023-02-29 00:00:00+00"]]}'::attribution.stage_history;
SELECT '{"ladder":["a","b"],"exits":[],"events":[["a","2024-01-01 24:00:00+00"]]}'::attribution.stage_history;
SELECT '{"ladder":["a","b"],"exits":[],"events":[["a","2024-01-01 00:00:00.1234567+00"]]}'::attribution.stage_history;
SELECT '{"ladder":["a","b"],"exits":[],"events":[["a","294277-01-01 00:00:00+00"]]}'::attribution.stage_history;
SELECT '{"ladder":["a","b"],"exits":[],"events":[["c","2024-01-01 00:00:00+00"]]}'::attribution.stage_history;
SELECT '{"ladder":["a","b"],"exits":[],"events":[["a","2024-01-01 00:00:00+00"]] trailing'::attribution.stage_history;
SELECT '{"ladder":["a","b"],"exits":[],"events":[["a" "2024-01-01 00:00:00+00"]]}'::attribution.stage_history;
SELECT '{"ladder":["a\x","b"],"exits":[],"events":[]}'::attribution.stage_history;
SELECT '{"ladder":["a","b"],"exits":[],"events":[["a","2024-01-01 00:00:00+00"]'::attribution.stage_history;

-- Labels: volatility, strictness and parallel safety of every function.
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel,
	   obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
FROM pg_proc p
WHERE p.pronamespace = 'attribution'::regnamespace
  AND (p.proname LIKE 'stage%' OR p.proname IN ('transitions', 'reached_at', 'current_stage',
	   'furthest_stage', 'time_in_stage', 'funnel_depth'))
ORDER BY p.oid::regprocedure::text;
