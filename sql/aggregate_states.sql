-- The storable states of the whole-table aggregates (credit_sum_agg and its
-- deprecated name sum, path_agg and merge(path_summary), waterfall_agg and
-- merge(waterfall_summary), credit_by_channel): the same answer from
-- partial states that travel through their text and binary forms (as a
-- distributed engine ships them), from parallel plans, grouped, and as
-- window aggregates; the validation of malformed states.
SET timezone = 'UTC';
SET extra_float_digits = 0;

-- a test population: 400 journeys of 1 to 12 touches over 6 channels
CREATE TABLE ast AS
SELECT (i % 400)::bigint AS journey, i::bigint AS touch_id,
	   timestamptz '2024-01-01' + ((i * 7919) % 53) * interval '5 hours' AS touched_at,
	   (ARRAY['email', 'search', 'social', 'direct', 'display', 'say "hi"'])[1 + (i * 31) % 6] AS channel,
	   timestamptz '2024-01-01' + (6 + i % 400 % 5) * interval '1 day' AS converted_at
FROM generate_series(1, 2600) i
WHERE i % 400 < 10 OR (i * 13) % 7 <> 0;
CREATE TABLE ast_journeys AS
SELECT journey, attribution.channel_credit('position_based', touched_at, channel) AS cc,
	   array_agg(channel ORDER BY touched_at, touch_id) AS path, journey % 3 = 0 AS converted,
	   (journey % 17) * 10.5 AS revenue
FROM ast GROUP BY journey;
CREATE TABLE ast_events AS
SELECT u AS unit_id,
	   (ARRAY['inquiry', 'mql', 'sal', 'sql', 'opportunity', 'won', 'disqualified', 'lost', 'mql'])[1 + (u * 7 + s * 3) % 9] AS stage,
	   timestamptz '2024-01-01' + ((u * 7919 + s * 104729) % 20000) * interval '1 hour' AS entered_at
FROM generate_series(1, 500) u, generate_series(1, 1 + u % 6) s;
CREATE TABLE ast_histories AS
SELECT unit_id, attribution.stage_agg(stage, entered_at) AS h FROM ast_events GROUP BY unit_id;

-- aggregates that return the state itself (what a partial aggregate ships),
-- and ones that combine stored states (what the combining side runs)
CREATE AGGREGATE credit_sum_state_of(attribution.channel_credits, float8) (
	SFUNC = attribution.credit_sum_trans, STYPE = attribution.credit_sum_state,
	COMBINEFUNC = attribution.credit_sum_combine, PARALLEL = SAFE);
CREATE AGGREGATE credit_sum_states(attribution.credit_sum_state) (
	SFUNC = attribution.credit_sum_combine, STYPE = attribution.credit_sum_state,
	FINALFUNC = attribution.credit_sum_final);
CREATE AGGREGATE path_state_of(text[], boolean, float8) (
	SFUNC = attribution.path_agg_trans, STYPE = attribution.path_agg_state,
	COMBINEFUNC = attribution.path_agg_combine, PARALLEL = SAFE);
CREATE AGGREGATE path_states(attribution.path_agg_state) (
	SFUNC = attribution.path_agg_combine, STYPE = attribution.path_agg_state,
	FINALFUNC = attribution.path_agg_final);
CREATE AGGREGATE waterfall_state_of(attribution.stage_history) (
	SFUNC = attribution.waterfall_agg_trans, STYPE = attribution.waterfall_summary,
	COMBINEFUNC = attribution.waterfall_combine, PARALLEL = SAFE);
CREATE AGGREGATE journeys_state_of(bigint, text, timestamptz, text, timestamptz) (
	SFUNC = attribution.credit_by_channel_trans, STYPE = attribution.credit_by_channel_state,
	COMBINEFUNC = attribution.credit_by_channel_combine, PARALLEL = SAFE);
CREATE AGGREGATE journeys_states(attribution.credit_by_channel_state) (
	SFUNC = attribution.credit_by_channel_combine, STYPE = attribution.credit_by_channel_state,
	FINALFUNC = attribution.credit_by_channel_final);

-- 1. the whole-table answers
CREATE TABLE ast_answers AS
SELECT (SELECT attribution.credit_sum_agg(cc) FROM ast_journeys)::text AS credit_sum,
	   (SELECT attribution.credit_sum_agg(cc, revenue) FROM ast_journeys)::text AS credit_sum_weighted,
	   (SELECT attribution.path_agg(path, converted, revenue) FROM ast_journeys)::text AS paths,
	   (SELECT attribution.waterfall_agg(h) FROM ast_histories)::text AS waterfall,
	   (SELECT attribution.credit_by_channel(journey, 'time_decay', touched_at, channel, converted_at)
		FROM ast)::text AS credit_by_channel;
SELECT * FROM attribution.each((SELECT credit_sum::attribution.channel_credits FROM ast_answers));
SELECT * FROM attribution.each((SELECT credit_sum_weighted::attribution.channel_credits FROM ast_answers));
SELECT * FROM attribution.each((SELECT credit_by_channel::attribution.channel_credits FROM ast_answers));
SELECT count(*) AS paths, sum(conversions) AS conversions, sum(value) AS value, sum(non_conversions) AS non_conversions
FROM attribution.paths((SELECT paths::attribution.path_summary FROM ast_answers));
-- the deprecated name gives the same, weighted or not
SELECT (SELECT attribution.sum(cc) FROM ast_journeys)::text = credit_sum AS sum_same,
	   (SELECT attribution.sum(cc, revenue) FROM ast_journeys)::text = credit_sum_weighted AS weighted_sum_same
FROM ast_answers;
-- the summary path agrees with credit_by_channel
SELECT max(abs(e.credit - r.credit) / r.credit) < 1e-12 AS summary_paths_agree, count(*) AS channels
FROM attribution.each((SELECT attribution.credit_sum_agg(cc) FROM ast_journeys)) e
JOIN attribution.each((SELECT attribution.credit_by_channel(journey, 'position_based', touched_at, channel) FROM ast)) r
	USING (channel);

-- 2. partial states per group (of 7), shipped through the text form and
-- combined: the whole-table answer, bit for bit
CREATE TABLE ast_partials AS
SELECT g, credit_sum_state_of(cc, 1)::text AS credit_sum, credit_sum_state_of(cc, revenue)::text AS credit_sum_weighted,
	   path_state_of(path, converted, revenue)::text AS paths
FROM (SELECT journey % 7 AS g, * FROM ast_journeys) s GROUP BY g;
CREATE TABLE ast_partial_journeys AS
SELECT touch_id % 7 AS g, journeys_state_of(journey, 'time_decay', touched_at, channel, converted_at)::text AS state
FROM ast GROUP BY 1;
CREATE TABLE ast_partial_waterfalls AS
SELECT unit_id % 7 AS g, waterfall_state_of(h)::text AS state FROM ast_histories GROUP BY 1;
SELECT (SELECT credit_sum_states(credit_sum::attribution.credit_sum_state) FROM ast_partials)::text = credit_sum
		   AS credit_sum_same,
	   (SELECT credit_sum_states(credit_sum_weighted::attribution.credit_sum_state) FROM ast_partials)::text
		   = credit_sum_weighted AS weighted_same,
	   (SELECT path_states(paths::attribution.path_agg_state) FROM ast_partials)::text = paths AS paths_same,
	   (SELECT attribution.merge(state::attribution.waterfall_summary) FROM ast_partial_waterfalls)::text = waterfall
		   AS waterfall_same
FROM ast_answers;
-- journeys split over the groups (by touch, not by journey) are merged
-- before their credit is computed; float sums may differ in the last bits
SELECT max(abs(e.credit - r.credit) / r.credit) < 1e-12 AS credit_by_channel_same, count(*) AS channels
FROM attribution.each((SELECT journeys_states(state::attribution.credit_by_channel_state) FROM ast_partial_journeys)) e
JOIN attribution.each((SELECT credit_by_channel::attribution.channel_credits FROM ast_answers)) r USING (channel);
-- the text form is the base64 of the binary form
SELECT decode(credit_sum, 'base64') = attribution.credit_sum_state_send(credit_sum::attribution.credit_sum_state)
		   AS credit_sum_text_is_base64,
	   decode(paths, 'base64') = attribution.path_agg_state_send(paths::attribution.path_agg_state) AS paths_text_is_base64,
	   length(paths) AS path_state_chars
FROM ast_partials WHERE g = 0;
SELECT decode(state, 'base64') = attribution.credit_by_channel_state_send(state::attribution.credit_by_channel_state)
		   AS journeys_text_is_base64
FROM ast_partial_journeys WHERE g = 0;
-- a state read back writes the same text
SELECT bool_and(credit_sum::attribution.credit_sum_state::text = credit_sum) AND
	   bool_and(paths::attribution.path_agg_state::text = paths) AS states_round_trip
FROM ast_partials;
SELECT bool_and(state::attribution.credit_by_channel_state::text = state) AS journey_states_round_trip
FROM ast_partial_journeys;
-- the final functions read a stored state too
SELECT attribution.credit_sum_final(credit_sum::attribution.credit_sum_state) IS NOT NULL AS final_of_stored
FROM ast_partials WHERE g = 0;
SELECT attribution.credit_sum_final(NULL), attribution.path_agg_final(NULL), attribution.credit_by_channel_final(NULL);
-- the transition and combine functions belong to aggregates
SELECT attribution.credit_sum_trans(NULL, '{"a": 1}');
SELECT attribution.path_agg_combine(NULL, NULL);

-- 3. parallel plans (workers only) give the serial answers, whole-table and grouped
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
-- the combine functions' planner costs would keep tables this small serial: lower them to test the parallel plans
ALTER FUNCTION attribution.credit_by_channel_combine(attribution.credit_by_channel_state, attribution.credit_by_channel_state) COST 1;
ALTER FUNCTION attribution.path_agg_combine(attribution.path_agg_state, attribution.path_agg_state) COST 1;
EXPLAIN (COSTS OFF) SELECT attribution.credit_sum_agg(cc, revenue) FROM ast_journeys;
EXPLAIN (COSTS OFF) SELECT attribution.path_agg(path, converted, revenue) FROM ast_journeys;
EXPLAIN (COSTS OFF) SELECT attribution.waterfall_agg(h) FROM ast_histories;
EXPLAIN (COSTS OFF) SELECT attribution.credit_by_channel(journey, 'time_decay', touched_at, channel, converted_at) FROM ast;
SELECT (SELECT attribution.credit_sum_agg(cc) FROM ast_journeys)::text = credit_sum AS credit_sum_same,
	   (SELECT attribution.sum(cc, revenue) FROM ast_journeys)::text = credit_sum_weighted AS weighted_same,
	   (SELECT attribution.path_agg(path, converted, revenue) FROM ast_journeys)::text = paths AS paths_same,
	   (SELECT attribution.waterfall_agg(h) FROM ast_histories)::text = waterfall AS waterfall_same
FROM ast_answers;
SELECT max(abs(e.credit - r.credit) / r.credit) < 1e-12 AS credit_by_channel_same
FROM attribution.each((SELECT attribution.credit_by_channel(journey, 'time_decay', touched_at, channel, converted_at)
					   FROM ast)) e
JOIN attribution.each((SELECT credit_by_channel::attribution.channel_credits FROM ast_answers)) r USING (channel);
CREATE TABLE ast_grouped_parallel AS
SELECT journey % 5 AS g, attribution.credit_sum_agg(cc, revenue)::text AS credits,
	   attribution.path_agg(path, converted)::text AS paths
FROM ast_journeys GROUP BY 1;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
ALTER FUNCTION attribution.credit_by_channel_combine(attribution.credit_by_channel_state, attribution.credit_by_channel_state) COST 100000000;
ALTER FUNCTION attribution.path_agg_combine(attribution.path_agg_state, attribution.path_agg_state) COST 10000000;
SELECT count(*) AS groups, bool_and(p.credits = s.credits AND p.paths = s.paths) AS grouped_parallel_equals_serial
FROM ast_grouped_parallel p
JOIN (SELECT journey % 5 AS g, attribution.credit_sum_agg(cc, revenue)::text AS credits,
			 attribution.path_agg(path, converted)::text AS paths
	  FROM ast_journeys GROUP BY 1) s USING (g);

-- 4. many groups (hash aggregation keeps a state per group)
SELECT count(*) AS groups, count(DISTINCT c) AS distinct_results
FROM (SELECT journey, attribution.credit_sum_agg(cc)::text AS c FROM ast_journeys GROUP BY journey) s;
SELECT count(*) AS groups
FROM (SELECT journey, attribution.credit_by_channel(journey, 'linear', touched_at, channel) FROM ast GROUP BY journey) s;

-- 5. as window aggregates: the running total ends at the whole-table answer
SELECT count(*) AS rows, bool_or(running = credit_sum) AS last_is_total
FROM (SELECT attribution.credit_sum_agg(cc) OVER (ORDER BY journey)::text AS running FROM ast_journeys) w, ast_answers;
SELECT count(DISTINCT running) AS distinct_running_paths
FROM (SELECT attribution.path_agg(path, converted) OVER (ORDER BY journey ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)::text
	  AS running FROM ast_journeys WHERE journey < 20) w;

-- 6. NULLs, empty input, bad weights
SELECT attribution.credit_sum_agg(cc) IS NULL AS empty_is_null FROM ast_journeys WHERE false;
SELECT attribution.credit_sum_agg(cc, NULL) IS NULL AS null_weights_skipped FROM ast_journeys;
SELECT attribution.credit_sum_agg(NULL::attribution.channel_credits, 2) IS NULL AS null_credits_skipped;
SELECT attribution.credit_sum_agg(cc, 'NaN') FROM ast_journeys;
SELECT attribution.credit_sum_agg(cc, 'Infinity') FROM ast_journeys;
SELECT attribution.credit_sum_agg(cc, 1e308) FROM ast_journeys;
-- an ordered call is allowed (and gives the same answer)
SELECT attribution.credit_sum_agg(cc, revenue ORDER BY journey DESC)::text = credit_sum_weighted AS ordered_same
FROM ast_journeys, ast_answers GROUP BY credit_sum_weighted;

-- 7. malformed states: base64, versions, counts, values
SELECT ''::attribution.credit_sum_state;
SELECT 'AQAAAAA'::attribution.credit_sum_state;
SELECT 'AQAA AA='::attribution.credit_sum_state;
SELECT 'AQAAAA=A'::attribution.credit_sum_state;
SELECT 'AQAAAAB='::attribution.credit_sum_state;
SELECT 'AQAAAAA='::attribution.credit_sum_state, attribution.credit_sum_final('AQAAAAA=');
SELECT encode('\x02'::bytea || '\x00000000'::bytea, 'base64')::attribution.credit_sum_state;
SELECT encode('\x01'::bytea || '\x00000001'::bytea, 'base64')::attribution.credit_sum_state;
SELECT encode('\x01000000010000000161'::bytea || float8send(1) || float8send('NaN'), 'base64')::attribution.credit_sum_state;
SELECT encode('\x01000000020000000161'::bytea || float8send(1) || float8send(0) || '\x0000000161'::bytea
			  || float8send(1) || float8send(0), 'base64')::attribution.credit_sum_state;
SELECT encode('\x01000000010000000161'::bytea || float8send(1) || float8send(0) || '\x00'::bytea,
			  'base64')::attribution.credit_sum_state;
SELECT encode('\x0100000001000000026100'::bytea || float8send(1) || float8send(0), 'base64')::attribution.credit_sum_state;
-- path states: a channel id beyond the channels, an empty path, a negative
-- count, value without conversions, a duplicate channel, trailing bytes
SELECT encode('\x0100000001000000016100000001010101'::bytea || float8send(1), 'base64')::attribution.path_agg_state;
SELECT encode('\x0100000001000000016100000001000000'::bytea, 'base64')::attribution.path_agg_state;
SELECT encode('\x0100000001000000016100000001010001'::bytea || float8send(-1), 'base64')::attribution.path_agg_state;
SELECT encode('\x0100000001000000016100000001010004'::bytea || float8send(1), 'base64')::attribution.path_agg_state;
SELECT encode('\x01000000020000000161000000016100000000'::bytea, 'base64')::attribution.path_agg_state;
SELECT encode('\x0100000001000000016100000001010001'::bytea || float8send(2) || '\xff'::bytea,
			  'base64')::attribution.path_agg_state;
SELECT encode('\x0100000001000000016100000001010001'::bytea || float8send(2), 'base64')::attribution.path_agg_state::text
	= encode('\x0100000001000000016100000001010001'::bytea || float8send(2), 'base64') AS valid_path_state_reads_back;
SELECT * FROM attribution.paths(attribution.path_agg_final(encode('\x0100000001000000016100000001010011'::bytea
	|| float8send(2) || float8send(3), 'base64')::attribution.path_agg_state));
-- journey states: an unknown version, a model or channel that is not there,
-- counts that do not add up
SELECT encode('\x02'::bytea, 'base64')::attribution.credit_by_channel_state;
SELECT encode('\x010000'::bytea || '\x0000000000000000'::bytea, 'base64')::attribution.credit_by_channel_state AS no_journeys;
SELECT encode('\x010000'::bytea || '\x0000000000000001'::bytea || '\x0000000000000007'::bytea || '\x0500000000',
			  'base64')::attribution.credit_by_channel_state;
-- (model number 0 of none: a model inline, which is cut off here)
SELECT encode('\x010000'::bytea || '\x0000000000000001'::bytea || '\x0000000000000007'::bytea || '\x0000000000',
			  'base64')::attribution.credit_by_channel_state;
SELECT left(s, 12) AS prefix, length(s) AS chars
FROM (SELECT journeys_state_of(journey, 'linear', touched_at, channel, NULL)::text AS s FROM ast WHERE journey = 1) x;
-- (encode() breaks base64 lines; the text form has none)
SELECT translate(encode(decode(s, 'base64') || '\x00'::bytea, 'base64'), E'\n', '')::attribution.credit_by_channel_state
FROM (SELECT journeys_state_of(journey, 'linear', touched_at, channel, NULL)::text AS s FROM ast WHERE journey = 1) x;
SELECT translate(encode(overlay(decode(s, 'base64') PLACING '\x7f'::bytea FROM length(decode(s, 'base64')) FOR 1),
						 'base64'), E'\n', '')::attribution.credit_by_channel_state
FROM (SELECT journeys_state_of(journey, 'linear', touched_at, channel, NULL)::text AS s FROM ast WHERE journey = 1) x;

-- 8. the catalog: labels and comments of what this adds
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel,
	   obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
FROM pg_proc p
WHERE p.pronamespace = 'attribution'::regnamespace
  AND (p.proname LIKE 'credit_sum%' OR p.proname LIKE 'credit_by_channel%' OR p.proname LIKE 'path_agg_state%')
ORDER BY p.oid::regprocedure::text;
SELECT t.typname, obj_description(t.oid, 'pg_type') IS NOT NULL AS commented
FROM pg_type t WHERE t.typnamespace = 'attribution'::regnamespace AND t.typname LIKE '%\_state'
  AND t.typname NOT LIKE '\_%' ORDER BY 1;
SELECT a.aggfnoid::regprocedure AS aggregate, a.aggtranstype::regtype AS state_type,
	   a.aggcombinefn::regproc AS combine, a.aggserialfn <> 0 AS serialized
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'attribution'::regnamespace ORDER BY a.aggfnoid::regprocedure::text;

DROP TABLE ast, ast_journeys, ast_events, ast_histories, ast_answers, ast_partials, ast_partial_journeys,
	ast_partial_waterfalls, ast_grouped_parallel;
DROP AGGREGATE credit_sum_state_of(attribution.channel_credits, float8), credit_sum_states(attribution.credit_sum_state),
	path_state_of(text[], boolean, float8), path_states(attribution.path_agg_state),
	waterfall_state_of(attribution.stage_history),
	journeys_state_of(bigint, text, timestamptz, text, timestamptz), journeys_states(attribution.credit_by_channel_state);
