-- The database test/fuzz.sh points sqlsmith at: the extension, the demo
-- data, stored values of every type of the extension, and a role without
-- rights to anything dangerous.  Run by psql with ON_ERROR_STOP.
SET client_min_messages = warning;
CREATE EXTENSION attribution;

-- the demo data of the reporting layer's generator
SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'path_agg' AND pronamespace = 'attribution'::regnamespace) AS has_paths \gset
SELECT count(*) > 0 AS loaded FROM attribution.generate_demo_data(300, 42);
CREATE VIEW fuzz_touches AS
SELECT dense_rank() OVER (ORDER BY contact_id) AS journey_id, touchpoint_id AS touch_id, touched_at, channel
FROM attribution.touchpoints;

-- stored values of every type, so that generated queries read real ones
CREATE TABLE fuzz_journeys AS
SELECT journey_id, attribution.journey_agg(touched_at, channel, touch_id) AS j,
       attribution.channel_credit('position_based', touched_at, channel) AS cc
FROM fuzz_touches GROUP BY journey_id;
CREATE TABLE fuzz_stage_events AS
SELECT journey_id AS unit_id,
       (ARRAY['inquiry', 'mql', 'sal', 'sql', 'opportunity', 'won', 'mql', 'disqualified', 'lost'])
         [1 + (row_number() OVER (PARTITION BY journey_id ORDER BY touched_at, touch_id) - 1 + journey_id % 3)::int % 9]
         AS stage,
       touched_at AS entered_at
FROM fuzz_touches;
CREATE TABLE fuzz_histories AS
SELECT unit_id, attribution.stage_agg(stage, entered_at) AS h FROM fuzz_stage_events GROUP BY unit_id;
CREATE TABLE fuzz_waterfalls AS
SELECT unit_id % 10 AS cohort, attribution.waterfall_agg(h) AS ws FROM fuzz_histories GROUP BY 1;
\if :has_paths
CREATE TABLE fuzz_paths AS
SELECT journey_id, array_agg(channel ORDER BY touched_at, touch_id) AS path, journey_id % 3 = 0 AS converted,
       (journey_id % 97) * 100.0::float8 AS value
FROM fuzz_touches GROUP BY journey_id;
CREATE TABLE fuzz_path_summaries AS
SELECT journey_id % 5 AS g, attribution.path_agg(path, converted, value) AS ps FROM fuzz_paths GROUP BY 1;
\endif
ANALYZE;

-- the fuzzing role: reads everything, runs no function that could stop,
-- block or reconfigure the server or another session
DROP ROLE IF EXISTS attribution_fuzzer;
CREATE ROLE attribution_fuzzer LOGIN;
GRANT USAGE ON SCHEMA attribution TO attribution_fuzzer;
GRANT SELECT ON ALL TABLES IN SCHEMA public, attribution TO attribution_fuzzer;
REVOKE EXECUTE ON FUNCTION pg_terminate_backend(integer, bigint), pg_cancel_backend(integer),
	pg_sleep(double precision), pg_sleep_for(interval), pg_sleep_until(timestamptz),
	set_config(text, text, boolean),
	pg_advisory_lock(bigint), pg_advisory_lock(integer, integer),
	pg_advisory_lock_shared(bigint), pg_advisory_lock_shared(integer, integer),
	pg_advisory_xact_lock(bigint), pg_advisory_xact_lock(integer, integer),
	pg_advisory_xact_lock_shared(bigint), pg_advisory_xact_lock_shared(integer, integer)
FROM PUBLIC;
-- count the calls of the extension's functions (coverage of the run)
SELECT current_database() AS db \gset
ALTER DATABASE :"db" SET track_functions = 'all';
