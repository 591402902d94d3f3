-- Data of the path benchmark (bench/paths.sh): :rows journeys over :channels
-- channels, paths of 1 to :max_touches touches, 30% converting with a value
-- of 0 to 500; deterministic (setseed).  Also the tables the accessors read:
-- the summary of all journeys, ten daily summaries, and the plain-SQL
-- GROUP BY of the paths.
\set ON_ERROR_STOP on
SELECT setseed(0.42);
CREATE TABLE bench_paths AS
SELECT i AS id, array(SELECT 'channel_' || lpad((1 + floor(random() * :channels))::int::text, 3, '0')
                      FROM generate_series(1, n)) AS path,
       c::float8 AS conversions,
       (c * round((random() * 500)::numeric, 2))::float8 AS value,
       (1 - c)::float8 AS non_conversions
FROM (SELECT i, 1 + floor(random() * :max_touches)::int AS n, (random() < 0.3)::int AS c
      FROM generate_series(1, :rows) i) s;
VACUUM ANALYZE bench_paths;
-- the runner (bench/bench.c) reports the touches and journeys it reads
CREATE VIEW bench_touches AS
SELECT id AS journey_id, channel FROM bench_paths, unnest(path) AS channel;
CREATE TABLE bench_summary AS
SELECT attribution.path_agg(path, conversions, value, non_conversions) AS ps FROM bench_paths;
CREATE TABLE bench_daily AS
SELECT id % 10 AS day, attribution.path_agg(path, conversions, value, non_conversions) AS ps
FROM bench_paths GROUP BY 1;
CREATE TABLE bench_grouped AS
SELECT path, sum(conversions) AS conversions, sum(value) AS value, sum(non_conversions) AS non_conversions
FROM bench_paths GROUP BY path;
VACUUM ANALYZE bench_summary, bench_daily, bench_grouped;
