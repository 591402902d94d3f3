-- Deterministic benchmark data: :touches touchpoints over about :journeys
-- journeys (touches per journey vary around touches/journeys), 20 channels
-- (skewed), timestamps within 60 days of the journey's start, a conversion
-- time per journey 50 days after its start (some touches fall after it).
--   psql -v touches=10000000 -v journeys=1000000 -f bench/generate.sql
SET max_parallel_workers_per_gather = 0;
SELECT setseed(0.17);
DROP TABLE IF EXISTS bench_touches;
CREATE UNLOGGED TABLE bench_touches AS
SELECT journey_id, touch_id,
	   timestamptz '2025-01-01' + ((journey_id::bigint * 7919) % 300) * interval '1 day'
		   + floor(random() * 60 * 86400) * interval '1 second' AS touched_at,
	   'channel_' || lpad(floor(20 * power(random(), 1.5))::int::text, 2, '0') AS channel,
	   timestamptz '2025-01-01' + ((journey_id::bigint * 7919) % 300) * interval '1 day' + interval '50 days' AS converted_at
FROM (SELECT g AS touch_id, 1 + floor(random() * :journeys)::int AS journey_id
	  FROM generate_series(1, :touches) g) t;
ANALYZE bench_touches;
SELECT count(*) AS touches, count(DISTINCT journey_id) AS journeys, count(DISTINCT channel) AS channels,
	   pg_size_pretty(pg_total_relation_size('bench_touches')) AS size
FROM bench_touches;
