-- Demand waterfall benchmark, run by bench/waterfall.sh (psql variable:
-- units).  Builds :units units with 6 to 12 stage events each, stored
-- interleaved (events appended in time order, as a CRM export would be).
-- The queries:
--   baseline   SELECT unit, count(*) ... GROUP BY unit (the cheapest query
--              that reads the same rows and groups them the same way)
--   histories  stage_agg grouped by unit (the histories alone)
--   waterfall  stage_agg grouped by unit, then waterfall_agg (the target)
--   plain_sql  reached per stage and median days to next in plain SQL
--              (a part of the same answer, for comparison)
-- are timed interleaved in one session, three rounds; the script takes the
-- median of each.  Each timed query is followed by a line "cpu <ticks>"
-- with the CPU time the backend has used so far (utime + stime from
-- /proc, in clock ticks), so that the CPU time of each query is known too:
-- on a shared machine it varies less than the elapsed time.
\set ON_ERROR_STOP 1
\pset pager off
SET jit = off;
SET max_parallel_workers_per_gather = 0;
SET work_mem = '1GB';

DROP TABLE IF EXISTS bench_events;
CREATE UNLOGGED TABLE bench_events (unit int, stage text, entered_at timestamptz);
\timing on
INSERT INTO bench_events
SELECT u, (ARRAY['inquiry','mql','sal','sql','opportunity','won','disqualified','lost'])[1 + (hashint4(u * 16 + j) & 7)],
	   timestamptz '2024-01-01 00:00+00' + (u % 365) * interval '1 day'
	   + (j * 3 + (hashint4(u * 32 + j) & 7)) * interval '1 day' + (hashint4(u + j) & 1023) * interval '1 minute'
FROM generate_series(1, 12) j, generate_series(1, :units) u
WHERE j <= 6 + u % 7;
\timing off
VACUUM ANALYZE bench_events;
SELECT count(*) AS events, count(DISTINCT unit) AS units,
	   pg_size_pretty(pg_table_size('bench_events')) AS table_size
FROM bench_events;
SELECT name, setting, unit FROM pg_settings
WHERE name IN ('work_mem', 'hash_mem_multiplier', 'shared_buffers', 'max_parallel_workers_per_gather', 'jit')
ORDER BY name;
SELECT pg_backend_pid() AS backend_pid \gset
\setenv BENCH_PID :backend_pid
-- warm the cache
SELECT count(*) FROM bench_events \g /dev/null

\set q_baseline 'SELECT count(*) FROM (SELECT unit, count(*) FROM bench_events GROUP BY unit) s'
\set q_histories 'SELECT count(h) FROM (SELECT unit, attribution.stage_agg(stage, entered_at) AS h FROM bench_events GROUP BY unit) s'
\set q_waterfall 'SELECT attribution.waterfall_agg(h) FROM (SELECT unit, attribution.stage_agg(stage, entered_at) AS h FROM bench_events GROUP BY unit) s'
\set q_plain_sql 'WITH l(stage, k) AS (VALUES (''inquiry'', 0), (''mql'', 1), (''sal'', 2), (''sql'', 3), (''opportunity'', 4), (''won'', 5)), f AS (SELECT e.unit, l.k, min(e.entered_at) AS first_at FROM bench_events e JOIN l USING (stage) GROUP BY e.unit, l.k), reach AS (SELECT f.unit, s.k, min(f.first_at) AS at FROM f JOIN l s ON f.k >= s.k GROUP BY f.unit, s.k) SELECT a.k, count(*) AS reached, count(b.at) AS advanced, percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM b.at - a.at) / 86400) AS median_days FROM reach a LEFT JOIN reach b ON b.unit = a.unit AND b.k = a.k + 1 GROUP BY a.k ORDER BY a.k'

-- plans and memory (one run each, not timed)
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) :q_baseline;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) :q_waterfall;

-- timed runs, interleaved
\o /dev/null
\timing on
\! awk '{ print "cpu", $14 + $15 }' /proc/$BENCH_PID/stat
\echo ==round
:q_baseline;
\! awk '{ print "cpu", $14 + $15 }' /proc/$BENCH_PID/stat
:q_histories;
\! awk '{ print "cpu", $14 + $15 }' /proc/$BENCH_PID/stat
:q_waterfall;
\! awk '{ print "cpu", $14 + $15 }' /proc/$BENCH_PID/stat
:q_plain_sql;
\! awk '{ print "cpu", $14 + $15 }' /proc/$BENCH_PID/stat
\echo ==round
:q_baseline;
\! awk '{ print "cpu", $14 + $15 }' /proc/$BENCH_PID/stat
:q_histories;
\! awk '{ print "cpu", $14 + $15 }' /proc/$BENCH_PID/stat
:q_waterfall;
\! awk '{ print "cpu", $14 + $15 }' /proc/$BENCH_PID/stat
:q_plain_sql;
\! awk '{ print "cpu", $14 + $15 }' /proc/$BENCH_PID/stat
\echo ==round
:q_baseline;
\! awk '{ print "cpu", $14 + $15 }' /proc/$BENCH_PID/stat
:q_histories;
\! awk '{ print "cpu", $14 + $15 }' /proc/$BENCH_PID/stat
:q_waterfall;
\! awk '{ print "cpu", $14 + $15 }' /proc/$BENCH_PID/stat
:q_plain_sql;
\! awk '{ print "cpu", $14 + $15 }' /proc/$BENCH_PID/stat
\timing off
\o

-- the default work_mem (4MB): both hash aggregates spill to disk
SET work_mem = '4MB';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) :q_baseline;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) :q_waterfall;
RESET work_mem;

-- the answer
SELECT r.* FROM (:q_waterfall) w(ws), attribution.waterfall_report(ws) r;
