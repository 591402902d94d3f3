-- The journey type: text form, round trips, validation, journey_agg in any
-- order and in parallel.
SET timezone = 'UTC';

SELECT '[("2024-03-01 09:00:00+00", 17, "email"), ("2024-03-01 08:00:00+00", null, "di\"rect\\")]'::attribution.journey;
SELECT '[]'::attribution.journey, attribution.touch_count('[]');
-- output is in UTC whatever the session's time zone; input takes any zone
SET timezone = 'America/New_York';
SELECT '[("2024-03-01 09:00:00-05", 1, "a")]'::attribution.journey;
SET timezone = 'UTC';
-- text round trip: out, in, out again gives the same text
WITH v(j) AS (SELECT '[("2024-03-01 09:00:00.123456+02", -5, "é ü"), ("2024-03-01 09:00:00+00", 9223372036854775807, "")]'::attribution.journey)
SELECT j::text = j::text::attribution.journey::text AS round_trip, j FROM v;
-- the binary form (the test driver sends it back through journey_recv)
SELECT attribution.journey_send('[("2024-03-01 09:00:00+00", 1, "a"), ("2024-03-02 09:00:00+00", null, "b")]');

-- malformed literals
SELECT 'x'::attribution.journey;
SELECT '['::attribution.journey;
SELECT '[("2024-03-01", 1, "a")'::attribution.journey;
SELECT '[("2024-03-01", 1, a)]'::attribution.journey;
SELECT '[("2024-03-01", 1.5, "a")]'::attribution.journey;
SELECT '[("2024-03-01", 99999999999999999999, "a")]'::attribution.journey;
SELECT '[("not a time", 1, "a")]'::attribution.journey;
SELECT '[("infinity", 1, "a")]'::attribution.journey;
SELECT '[("2024-03-01", 1, "a\x")]'::attribution.journey;
SELECT '[("2024-03-01", 1, "a")] trailing'::attribution.journey;
SELECT '[("2024-03-01", 1, "a"),]'::attribution.journey;
SELECT '[("2024-03-01", 1, "unterminated)]'::attribution.journey;
\echo :LAST_ERROR_SQLSTATE

-- journey_agg sorts: any input order gives the same journey
CREATE TABLE t AS
SELECT (i % 50) AS journey, timestamptz '2024-01-01' + ((i * 7919) % 97) * interval '1 hour' AS touched_at,
	   'ch' || (i % 5) AS channel, i::bigint AS touch_id
FROM generate_series(1, 5000) i;
CREATE TABLE a AS SELECT journey, attribution.journey_agg(touched_at, channel, touch_id)::text AS j
	FROM (SELECT * FROM t ORDER BY touch_id) s GROUP BY journey;
CREATE TABLE b AS SELECT journey, attribution.journey_agg(touched_at, channel, touch_id)::text AS j
	FROM (SELECT * FROM t ORDER BY touch_id DESC) s GROUP BY journey;
SELECT count(*) AS journeys, count(*) FILTER (WHERE a.j = b.j) AS identical FROM a JOIN b USING (journey);

-- in parallel: partial aggregates in workers, combined in the leader
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
-- the combine function's planner cost would keep tables this small serial: lower it to test the parallel plan
ALTER FUNCTION attribution.journey_agg_combine(internal, internal) COST 1;
EXPLAIN (COSTS OFF) SELECT journey, attribution.journey_agg(touched_at, channel, touch_id) FROM t GROUP BY journey;
CREATE TABLE p AS SELECT journey, attribution.journey_agg(touched_at, channel, touch_id)::text AS j FROM t GROUP BY journey;
SELECT count(*) AS journeys, count(*) FILTER (WHERE a.j = p.j) AS identical FROM a JOIN p USING (journey);
-- one journey over all rows, split across workers
EXPLAIN (COSTS OFF) SELECT attribution.journey_agg(touched_at, channel, touch_id) FROM t;
SELECT (SELECT attribution.journey_agg(touched_at, channel, touch_id)::text FROM t) =
	   (SELECT attribution.journey_agg(touched_at, channel, touch_id ORDER BY touch_id)::text FROM t) AS same;
RESET parallel_setup_cost;
ALTER FUNCTION attribution.journey_agg_combine(internal, internal) COST 100;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
