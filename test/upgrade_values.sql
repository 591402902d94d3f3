-- Stored values of every type of the extension, written by the version
-- installed when this runs (the oldest of an upgrade chain), in tables of
-- public.  test/upgrade_read.sql reads them after each update.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'path_agg' AND pronamespace = 'attribution'::regnamespace) AS has_paths \gset

CREATE TABLE upgrade_touches AS
SELECT j AS journey_id, t::bigint AS touch_id,
	   timestamptz '2024-01-01 00:00:00+00' + ((j * 7919 + t * 104729) % 50000) * interval '1 minute' AS touched_at,
	   (ARRAY['email', 'paid_search', 'direct', 'web', 'say "hi"', 'back\slash', 'x'])[1 + (j * 31 + t * 17) % 7] AS channel
FROM generate_series(1, 30) j, generate_series(1, 1 + j % 7) t;
CREATE TABLE upgrade_stage_events AS
SELECT u AS unit_id,
	   (ARRAY['inquiry', 'mql', 'sal', 'sql', 'opportunity', 'won', 'disqualified', 'lost', 'mql'])[1 + (u * 7 + s * 3) % 9] AS stage,
	   timestamptz '2024-01-01 00:00:00+00' + ((u * 7919 + s * 104729) % 20000) * interval '1 hour' AS entered_at
FROM generate_series(1, 30) u, generate_series(1, 1 + u % 6) s;

CREATE TABLE upgrade_journeys AS
SELECT journey_id, attribution.journey_agg(touched_at, channel, touch_id) AS j,
	   attribution.channel_credit('position_based', touched_at, channel) AS cc
FROM upgrade_touches GROUP BY journey_id;
CREATE TABLE upgrade_totals AS
SELECT attribution.credit_by_channel(journey_id, 'time_decay', touched_at, channel) AS cc FROM upgrade_touches;
CREATE TABLE upgrade_histories AS
SELECT unit_id, attribution.stage_agg(stage, entered_at) AS h FROM upgrade_stage_events GROUP BY unit_id
UNION ALL
SELECT 1000 + unit_id, attribution.stage_agg((ARRAY['a', 'b', 'c', 'x'])[1 + unit_id % 4], entered_at, '{a,b,c}', '{x}')
FROM upgrade_stage_events GROUP BY unit_id;
CREATE TABLE upgrade_waterfalls AS
SELECT unit_id % 3 AS cohort, attribution.waterfall_agg(h) AS ws FROM upgrade_histories WHERE unit_id < 1000 GROUP BY 1;
-- each journey's channels in touch order: the input of the path aggregates
CREATE TABLE upgrade_journey_paths AS
SELECT journey_id, array_agg(channel ORDER BY touched_at, touch_id) AS p FROM upgrade_touches GROUP BY 1;
\if :has_paths
CREATE TABLE upgrade_paths AS
SELECT journey_id % 4 AS g, attribution.path_agg(p, journey_id % 3 = 0, journey_id * 10.0::float8) AS ps
FROM upgrade_journey_paths
GROUP BY 1;
\endif
-- The storable aggregate states (0.2.0 on): a partial state is a value a
-- user can keep (Citus ships them as text), so it must read the same after
-- an update too.  Aggregates without a final function return the state.
SELECT to_regtype('attribution.credit_sum_state') IS NOT NULL AS has_states \gset
\if :has_states
CREATE AGGREGATE public.upgrade_credit_sum_state(attribution.channel_credits) (
	SFUNC = attribution.credit_sum_trans, STYPE = attribution.credit_sum_state);
CREATE AGGREGATE public.upgrade_credit_by_channel_state(bigint, text, timestamptz, text) (
	SFUNC = attribution.credit_by_channel_trans, STYPE = attribution.credit_by_channel_state);
CREATE AGGREGATE public.upgrade_path_agg_state(text[], boolean) (
	SFUNC = attribution.path_agg_trans, STYPE = attribution.path_agg_state);
CREATE TABLE upgrade_states AS
SELECT (SELECT public.upgrade_credit_sum_state(cc) FROM upgrade_journeys) AS credit_sum,
	   (SELECT public.upgrade_credit_by_channel_state(journey_id, 'linear', touched_at, channel)
		FROM upgrade_touches) AS credit_by_channel,
	   (SELECT public.upgrade_path_agg_state(p, journey_id % 3 = 0) FROM upgrade_journey_paths) AS paths;
\endif
