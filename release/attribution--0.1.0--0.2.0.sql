-- attribution: update from 0.1.0 to 0.2.0.  Each part of the change has its
-- own section below; the install script of 0.2.0 is generated from src/sql/,
-- and test/upgrade.sh checks that this update gives the same catalog.

\echo Use "ALTER EXTENSION attribution UPDATE TO '0.2.0'" to load this file. \quit

-- ==== security ====



-- ==== robustness ====



-- ==== scale-out: reporting ====



-- ==== scale-out: aggregates ====

-- credit_sum_agg(channel_credits [, weight]): credit by channel over many
-- journeys with a storable state, which distributed engines split into
-- partial aggregates; sum() keeps working as its deprecated alias (replaced
-- in place, so that views using it stay).
CREATE TYPE @extschema@.credit_sum_state;

CREATE FUNCTION @extschema@.credit_sum_state_in(cstring) RETURNS @extschema@.credit_sum_state
	AS 'MODULE_PATHNAME', 'credit_sum_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_sum_state_out(@extschema@.credit_sum_state) RETURNS cstring
	AS 'MODULE_PATHNAME', 'credit_sum_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_sum_state_recv(internal) RETURNS @extschema@.credit_sum_state
	AS 'MODULE_PATHNAME', 'credit_sum_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_sum_state_send(@extschema@.credit_sum_state) RETURNS bytea
	AS 'MODULE_PATHNAME', 'credit_sum_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.credit_sum_state (
	INPUT = @extschema@.credit_sum_state_in,
	OUTPUT = @extschema@.credit_sum_state_out,
	RECEIVE = @extschema@.credit_sum_state_recv,
	SEND = @extschema@.credit_sum_state_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended
);
COMMENT ON TYPE @extschema@.credit_sum_state IS
	'Partial state of credit_sum_agg(): compensated credit sums by channel (text form: base64 of the binary form)';
COMMENT ON FUNCTION @extschema@.credit_sum_state_in(cstring) IS 'Text input of credit_sum_state';
COMMENT ON FUNCTION @extschema@.credit_sum_state_out(@extschema@.credit_sum_state) IS 'Text output of credit_sum_state';
COMMENT ON FUNCTION @extschema@.credit_sum_state_recv(internal) IS 'Binary input of credit_sum_state';
COMMENT ON FUNCTION @extschema@.credit_sum_state_send(@extschema@.credit_sum_state) IS 'Binary output of credit_sum_state';

CREATE FUNCTION @extschema@.credit_sum_trans(@extschema@.credit_sum_state, @extschema@.channel_credits)
	RETURNS @extschema@.credit_sum_state
	AS 'MODULE_PATHNAME', 'credit_sum_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_sum_trans(@extschema@.credit_sum_state, @extschema@.channel_credits, float8)
	RETURNS @extschema@.credit_sum_state
	AS 'MODULE_PATHNAME', 'credit_sum_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_sum_combine(@extschema@.credit_sum_state, @extschema@.credit_sum_state)
	RETURNS @extschema@.credit_sum_state
	AS 'MODULE_PATHNAME', 'credit_sum_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_sum_final(@extschema@.credit_sum_state) RETURNS @extschema@.channel_credits
	AS 'MODULE_PATHNAME', 'credit_sum_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.credit_sum_trans(@extschema@.credit_sum_state, @extschema@.channel_credits) IS
	'Transition function of credit_sum_agg(channel_credits)';
COMMENT ON FUNCTION @extschema@.credit_sum_trans(@extschema@.credit_sum_state, @extschema@.channel_credits, float8) IS
	'Transition function of credit_sum_agg(channel_credits, float8)';
COMMENT ON FUNCTION @extschema@.credit_sum_combine(@extschema@.credit_sum_state, @extschema@.credit_sum_state) IS
	'Combine function of credit_sum_agg: adds two partial states';
COMMENT ON FUNCTION @extschema@.credit_sum_final(@extschema@.credit_sum_state) IS
	'Final function of credit_sum_agg: the credit by channel of a state';

CREATE AGGREGATE @extschema@.credit_sum_agg(@extschema@.channel_credits) (
	SFUNC = @extschema@.credit_sum_trans, STYPE = @extschema@.credit_sum_state, SSPACE = 1000,
	COMBINEFUNC = @extschema@.credit_sum_combine,
	FINALFUNC = @extschema@.credit_sum_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.credit_sum_agg(@extschema@.channel_credits, weight float8) (
	SFUNC = @extschema@.credit_sum_trans, STYPE = @extschema@.credit_sum_state, SSPACE = 1000,
	COMBINEFUNC = @extschema@.credit_sum_combine,
	FINALFUNC = @extschema@.credit_sum_final, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.credit_sum_agg(@extschema@.channel_credits) IS
	'Credit by channel added up over many journeys';
COMMENT ON AGGREGATE @extschema@.credit_sum_agg(@extschema@.channel_credits, float8) IS
	'Credit by channel times a weight per journey (its revenue, say), added up over many journeys';
CREATE OR REPLACE AGGREGATE @extschema@.sum(@extschema@.channel_credits) (
	SFUNC = @extschema@.credit_sum_trans, STYPE = @extschema@.credit_sum_state, SSPACE = 1000,
	COMBINEFUNC = @extschema@.credit_sum_combine,
	FINALFUNC = @extschema@.credit_sum_final, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE @extschema@.sum(@extschema@.channel_credits, weight float8) (
	SFUNC = @extschema@.credit_sum_trans, STYPE = @extschema@.credit_sum_state, SSPACE = 1000,
	COMBINEFUNC = @extschema@.credit_sum_combine,
	FINALFUNC = @extschema@.credit_sum_final, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.sum(@extschema@.channel_credits) IS
	'Deprecated name of credit_sum_agg(channel_credits): credit by channel added up over many journeys';
COMMENT ON AGGREGATE @extschema@.sum(@extschema@.channel_credits, float8) IS
	'Deprecated name of credit_sum_agg(channel_credits, float8): credit by channel times a weight per journey, added up';
DROP FUNCTION @extschema@.channel_credits_sum_trans(internal, @extschema@.channel_credits);
DROP FUNCTION @extschema@.channel_credits_sum_trans(internal, @extschema@.channel_credits, float8);
DROP FUNCTION @extschema@.channel_credits_sum_combine(internal, internal);
DROP FUNCTION @extschema@.channel_credits_sum_serialize(internal);
DROP FUNCTION @extschema@.channel_credits_sum_deserialize(bytea, internal);
DROP FUNCTION @extschema@.channel_credits_sum_final(internal);

-- path_agg() and merge(path_summary) with a storable state (replaced in
-- place, so that views using them stay).
CREATE TYPE @extschema@.path_agg_state;

CREATE FUNCTION @extschema@.path_agg_state_in(cstring) RETURNS @extschema@.path_agg_state
AS 'MODULE_PATHNAME', 'attribution_path_agg_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.path_agg_state_out(@extschema@.path_agg_state) RETURNS cstring
AS 'MODULE_PATHNAME', 'attribution_path_agg_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.path_agg_state_recv(internal) RETURNS @extschema@.path_agg_state
AS 'MODULE_PATHNAME', 'attribution_path_agg_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.path_agg_state_send(@extschema@.path_agg_state) RETURNS bytea
AS 'MODULE_PATHNAME', 'attribution_path_agg_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.path_agg_state (
	INPUT = @extschema@.path_agg_state_in,
	OUTPUT = @extschema@.path_agg_state_out,
	RECEIVE = @extschema@.path_agg_state_recv,
	SEND = @extschema@.path_agg_state_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended
);
COMMENT ON TYPE @extschema@.path_agg_state IS
'Partial state of path_agg() and merge(path_summary): the distinct paths with exact sums (text form: base64 of the binary form).';
COMMENT ON FUNCTION @extschema@.path_agg_state_in(cstring) IS
'Text input of path_agg_state.';
COMMENT ON FUNCTION @extschema@.path_agg_state_out(@extschema@.path_agg_state) IS
'Text output of path_agg_state.';
COMMENT ON FUNCTION @extschema@.path_agg_state_recv(internal) IS
'Binary input of path_agg_state.';
COMMENT ON FUNCTION @extschema@.path_agg_state_send(@extschema@.path_agg_state) IS
'Binary output of path_agg_state.';

CREATE FUNCTION @extschema@.path_agg_trans(@extschema@.path_agg_state, text[], boolean)
RETURNS @extschema@.path_agg_state
AS 'MODULE_PATHNAME', 'attribution_path_agg_state_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_agg_trans(@extschema@.path_agg_state, text[], boolean) IS
'Transition function of path_agg(path, converted).';

CREATE FUNCTION @extschema@.path_agg_trans(@extschema@.path_agg_state, text[], boolean, double precision)
RETURNS @extschema@.path_agg_state
AS 'MODULE_PATHNAME', 'attribution_path_agg_state_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_agg_trans(@extschema@.path_agg_state, text[], boolean, double precision) IS
'Transition function of path_agg(path, converted, value).';

CREATE FUNCTION @extschema@.path_agg_trans(@extschema@.path_agg_state, text[], double precision, double precision,
										  double precision)
RETURNS @extschema@.path_agg_state
AS 'MODULE_PATHNAME', 'attribution_path_agg_state_counts_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_agg_trans(@extschema@.path_agg_state, text[], double precision, double precision,
											   double precision) IS
'Transition function of path_agg(path, conversions, value, non_conversions).';

CREATE FUNCTION @extschema@.path_summary_merge_trans(@extschema@.path_agg_state, @extschema@.path_summary)
RETURNS @extschema@.path_agg_state
AS 'MODULE_PATHNAME', 'attribution_path_summary_merge_state_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_summary_merge_trans(@extschema@.path_agg_state, @extschema@.path_summary) IS
'Transition function of merge(path_summary).';

CREATE FUNCTION @extschema@.path_agg_combine(@extschema@.path_agg_state, @extschema@.path_agg_state)
RETURNS @extschema@.path_agg_state
AS 'MODULE_PATHNAME', 'attribution_path_agg_state_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_agg_combine(@extschema@.path_agg_state, @extschema@.path_agg_state) IS
'Combine function of path_agg and merge(path_summary): adds two partial states.';

CREATE FUNCTION @extschema@.path_agg_final(@extschema@.path_agg_state)
RETURNS @extschema@.path_summary
AS 'MODULE_PATHNAME', 'attribution_path_agg_state_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_agg_final(@extschema@.path_agg_state) IS
'Final function of path_agg and merge(path_summary): the canonical summary.';
CREATE OR REPLACE AGGREGATE @extschema@.path_agg(path text[], converted boolean) (
	SFUNC = @extschema@.path_agg_trans,
	STYPE = @extschema@.path_agg_state,
	SSPACE = 131072,
	FINALFUNC = @extschema@.path_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.path_agg_combine,
	PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE @extschema@.path_agg(path text[], converted boolean, value double precision) (
	SFUNC = @extschema@.path_agg_trans,
	STYPE = @extschema@.path_agg_state,
	SSPACE = 131072,
	FINALFUNC = @extschema@.path_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.path_agg_combine,
	PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE @extschema@.path_agg(path text[], conversions double precision,
									  value double precision, non_conversions double precision) (
	SFUNC = @extschema@.path_agg_trans,
	STYPE = @extschema@.path_agg_state,
	SSPACE = 131072,
	FINALFUNC = @extschema@.path_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.path_agg_combine,
	PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE @extschema@.merge(@extschema@.path_summary) (
	SFUNC = @extschema@.path_summary_merge_trans,
	STYPE = @extschema@.path_agg_state,
	SSPACE = 131072,
	FINALFUNC = @extschema@.path_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.path_agg_combine,
	PARALLEL = SAFE
);
DROP FUNCTION @extschema@.path_agg_trans(internal, text[], boolean);
DROP FUNCTION @extschema@.path_agg_trans(internal, text[], boolean, double precision);
DROP FUNCTION @extschema@.path_agg_trans(internal, text[], double precision, double precision, double precision);
DROP FUNCTION @extschema@.path_summary_merge_trans(internal, @extschema@.path_summary);
DROP FUNCTION @extschema@.path_agg_combine(internal, internal);
DROP FUNCTION @extschema@.path_agg_serialize(internal);
DROP FUNCTION @extschema@.path_agg_deserialize(bytea, internal);
DROP FUNCTION @extschema@.path_agg_final(internal);

-- waterfall_agg() and merge(waterfall_summary) with the summary as their
-- state (replaced in place, so that views using them stay).
CREATE FUNCTION @extschema@.waterfall_agg_trans(@extschema@.waterfall_summary, @extschema@.stage_history)
RETURNS @extschema@.waterfall_summary
AS 'MODULE_PATHNAME', 'waterfall_state_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.waterfall_combine(@extschema@.waterfall_summary, @extschema@.waterfall_summary)
RETURNS @extschema@.waterfall_summary
AS 'MODULE_PATHNAME', 'waterfall_state_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.waterfall_final(@extschema@.waterfall_summary)
RETURNS @extschema@.waterfall_summary
AS 'MODULE_PATHNAME', 'waterfall_state_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE AGGREGATE @extschema@.waterfall_agg(h @extschema@.stage_history) (
	SFUNC = @extschema@.waterfall_agg_trans,
	STYPE = @extschema@.waterfall_summary,
	SSPACE = 8192,
	COMBINEFUNC = @extschema@.waterfall_combine,
	FINALFUNC = @extschema@.waterfall_final,
	PARALLEL = SAFE
);

CREATE OR REPLACE AGGREGATE @extschema@.merge(ws @extschema@.waterfall_summary) (
	SFUNC = @extschema@.waterfall_combine,
	STYPE = @extschema@.waterfall_summary,
	SSPACE = 8192,
	COMBINEFUNC = @extschema@.waterfall_combine,
	FINALFUNC = @extschema@.waterfall_final,
	PARALLEL = SAFE
);

COMMENT ON FUNCTION @extschema@.waterfall_agg_trans(@extschema@.waterfall_summary, @extschema@.stage_history) IS
'Transition function of waterfall_agg: counts one stage history';
COMMENT ON FUNCTION @extschema@.waterfall_combine(@extschema@.waterfall_summary, @extschema@.waterfall_summary) IS
'Transition function of merge(waterfall_summary) and combine function of both waterfall aggregates: adds a summary';
COMMENT ON FUNCTION @extschema@.waterfall_final(@extschema@.waterfall_summary) IS
'Final function of waterfall_agg and merge(waterfall_summary)';
DROP FUNCTION @extschema@.waterfall_agg_trans(internal, @extschema@.stage_history);
DROP FUNCTION @extschema@.waterfall_merge_trans(internal, @extschema@.waterfall_summary);
DROP FUNCTION @extschema@.waterfall_combine(internal, internal);
DROP FUNCTION @extschema@.waterfall_serialize(internal);
DROP FUNCTION @extschema@.waterfall_deserialize(bytea, internal);
DROP FUNCTION @extschema@.waterfall_final(internal);

-- credit_by_channel() with a storable state (replaced in place, so that
-- views using it stay).
CREATE TYPE @extschema@.credit_by_channel_state;

CREATE FUNCTION @extschema@.credit_by_channel_state_in(cstring) RETURNS @extschema@.credit_by_channel_state
	AS 'MODULE_PATHNAME', 'credit_by_channel_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_by_channel_state_out(@extschema@.credit_by_channel_state) RETURNS cstring
	AS 'MODULE_PATHNAME', 'credit_by_channel_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_by_channel_state_recv(internal) RETURNS @extschema@.credit_by_channel_state
	AS 'MODULE_PATHNAME', 'credit_by_channel_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_by_channel_state_send(@extschema@.credit_by_channel_state) RETURNS bytea
	AS 'MODULE_PATHNAME', 'credit_by_channel_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.credit_by_channel_state (
	INPUT = @extschema@.credit_by_channel_state_in,
	OUTPUT = @extschema@.credit_by_channel_state_out,
	RECEIVE = @extschema@.credit_by_channel_state_recv,
	SEND = @extschema@.credit_by_channel_state_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended
);
COMMENT ON TYPE @extschema@.credit_by_channel_state IS
	'Partial state of credit_by_channel(): each journey summarised (text form: base64 of the binary form)';
COMMENT ON FUNCTION @extschema@.credit_by_channel_state_in(cstring) IS 'Text input of credit_by_channel_state';
COMMENT ON FUNCTION @extschema@.credit_by_channel_state_out(@extschema@.credit_by_channel_state) IS
	'Text output of credit_by_channel_state';
COMMENT ON FUNCTION @extschema@.credit_by_channel_state_recv(internal) IS 'Binary input of credit_by_channel_state';
COMMENT ON FUNCTION @extschema@.credit_by_channel_state_send(@extschema@.credit_by_channel_state) IS
	'Binary output of credit_by_channel_state';

CREATE FUNCTION @extschema@.credit_by_channel_trans(@extschema@.credit_by_channel_state, bigint, text, timestamptz, text)
	RETURNS @extschema@.credit_by_channel_state
	AS 'MODULE_PATHNAME', 'credit_by_channel_state_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_by_channel_trans(@extschema@.credit_by_channel_state, bigint, text, timestamptz, text,
	timestamptz) RETURNS @extschema@.credit_by_channel_state
	AS 'MODULE_PATHNAME', 'credit_by_channel_state_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_by_channel_trans(@extschema@.credit_by_channel_state, bigint, text, timestamptz, text,
	bigint, boolean, timestamptz, timestamptz, timestamptz, timestamptz, interval, float8[], interval)
	RETURNS @extschema@.credit_by_channel_state
	AS 'MODULE_PATHNAME', 'credit_by_channel_state_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_by_channel_combine(@extschema@.credit_by_channel_state,
	@extschema@.credit_by_channel_state) RETURNS @extschema@.credit_by_channel_state
	AS 'MODULE_PATHNAME', 'credit_by_channel_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_by_channel_final(@extschema@.credit_by_channel_state)
	RETURNS @extschema@.channel_credits
	AS 'MODULE_PATHNAME', 'credit_by_channel_state_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.credit_by_channel_trans(@extschema@.credit_by_channel_state, bigint, text, timestamptz,
	text) IS 'Transition function of credit_by_channel';
COMMENT ON FUNCTION @extschema@.credit_by_channel_trans(@extschema@.credit_by_channel_state, bigint, text, timestamptz,
	text, timestamptz) IS 'Transition function of credit_by_channel';
COMMENT ON FUNCTION @extschema@.credit_by_channel_trans(@extschema@.credit_by_channel_state, bigint, text, timestamptz,
	text, bigint, boolean, timestamptz, timestamptz, timestamptz, timestamptz, interval, float8[], interval) IS
	'Transition function of credit_by_channel';
COMMENT ON FUNCTION @extschema@.credit_by_channel_combine(@extschema@.credit_by_channel_state,
	@extschema@.credit_by_channel_state) IS 'Combine function of credit_by_channel: merges the journeys of two partial states';
COMMENT ON FUNCTION @extschema@.credit_by_channel_final(@extschema@.credit_by_channel_state) IS
	'Final function of credit_by_channel: each journey''s credit, summed by channel in the order of the journey ids';

CREATE OR REPLACE AGGREGATE @extschema@.credit_by_channel(journey_id bigint, model text, touched_at timestamptz, channel text) (
	SFUNC = @extschema@.credit_by_channel_trans, STYPE = @extschema@.credit_by_channel_state, SSPACE = 100000000,
	COMBINEFUNC = @extschema@.credit_by_channel_combine,
	FINALFUNC = @extschema@.credit_by_channel_final, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE @extschema@.credit_by_channel(journey_id bigint, model text, touched_at timestamptz, channel text,
	converted_at timestamptz) (
	SFUNC = @extschema@.credit_by_channel_trans, STYPE = @extschema@.credit_by_channel_state, SSPACE = 100000000,
	COMBINEFUNC = @extschema@.credit_by_channel_combine,
	FINALFUNC = @extschema@.credit_by_channel_final, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE @extschema@.credit_by_channel(journey_id bigint, model text, touched_at timestamptz, channel text,
	touch_id bigint, is_direct boolean, converted_at timestamptz, lead_created_at timestamptz,
	opportunity_created_at timestamptz, closed_at timestamptz, half_life interval, weights float8[],
	lookback interval) (
	SFUNC = @extschema@.credit_by_channel_trans, STYPE = @extschema@.credit_by_channel_state, SSPACE = 100000000,
	COMBINEFUNC = @extschema@.credit_by_channel_combine,
	FINALFUNC = @extschema@.credit_by_channel_final, PARALLEL = SAFE
);
DROP FUNCTION @extschema@.credit_by_channel_trans(internal, bigint, text, timestamptz, text);
DROP FUNCTION @extschema@.credit_by_channel_trans(internal, bigint, text, timestamptz, text, timestamptz);
DROP FUNCTION @extschema@.credit_by_channel_trans(internal, bigint, text, timestamptz, text, bigint, boolean,
	timestamptz, timestamptz, timestamptz, timestamptz, interval, float8[], interval);
DROP FUNCTION @extschema@.credit_by_channel_combine(internal, internal);
DROP FUNCTION @extschema@.credit_by_channel_serialize(internal);
DROP FUNCTION @extschema@.credit_by_channel_deserialize(bytea, internal);
DROP FUNCTION @extschema@.credit_by_channel_final(internal);


-- ==== compatibility ====



-- ==== reporting for BI ====



-- ==== maintenance ====



-- ==== end ====
