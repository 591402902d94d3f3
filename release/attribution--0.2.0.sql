-- attribution: the install script is generated from the files of src/sql/,
-- concatenated in the order of their names.  Edit those, never the result.

\echo Use "CREATE EXTENSION attribution" to load this file. \quit
-- Rule-based attribution (doc/rule_based.md): the journey type and its
-- aggregate, credits(), the window function credit(), and the summary path
-- channel_credit() / credit_sum_agg() / each().

-- ---------------------------------------------------------------- journey

CREATE TYPE @extschema@.journey;

CREATE FUNCTION @extschema@.journey_in(cstring) RETURNS @extschema@.journey
	AS 'MODULE_PATHNAME', 'journey_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.journey_out(@extschema@.journey) RETURNS cstring
	AS 'MODULE_PATHNAME', 'journey_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.journey_recv(internal) RETURNS @extschema@.journey
	AS 'MODULE_PATHNAME', 'journey_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.journey_send(@extschema@.journey) RETURNS bytea
	AS 'MODULE_PATHNAME', 'journey_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.journey (
	INPUT = @extschema@.journey_in,
	OUTPUT = @extschema@.journey_out,
	RECEIVE = @extschema@.journey_recv,
	SEND = @extschema@.journey_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE @extschema@.journey IS
	'The touches of one journey, sorted by (touched_at, touch_id NULLS LAST, channel); built by journey_agg()';
COMMENT ON FUNCTION @extschema@.journey_in(cstring) IS 'Text input of journey';
COMMENT ON FUNCTION @extschema@.journey_out(@extschema@.journey) IS 'Text output of journey (times in UTC)';
COMMENT ON FUNCTION @extschema@.journey_recv(internal) IS 'Binary input of journey';
COMMENT ON FUNCTION @extschema@.journey_send(@extschema@.journey) IS 'Binary output of journey';

CREATE FUNCTION @extschema@.touch_count(@extschema@.journey) RETURNS integer
	AS 'MODULE_PATHNAME', 'journey_touch_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.touch_count(@extschema@.journey) IS 'Number of touches of a journey';

CREATE FUNCTION @extschema@.journey_agg_trans(internal, timestamptz, text) RETURNS internal
	AS 'MODULE_PATHNAME', 'journey_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.journey_agg_trans(internal, timestamptz, text, bigint) RETURNS internal
	AS 'MODULE_PATHNAME', 'journey_agg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
-- The combine functions of the per-journey aggregates cost like merging the
-- touches of two parts of a journey: a parallel GROUP BY journey would split
-- most journeys between workers and gain nothing (bench/RESULTS.md).
CREATE FUNCTION @extschema@.journey_agg_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'journey_agg_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE COST 100;
CREATE FUNCTION @extschema@.journey_agg_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'journey_agg_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.journey_agg_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'journey_agg_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.journey_agg_final(internal) RETURNS @extschema@.journey
	AS 'MODULE_PATHNAME', 'journey_agg_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.journey_agg_trans(internal, timestamptz, text) IS 'Transition function of journey_agg';
COMMENT ON FUNCTION @extschema@.journey_agg_trans(internal, timestamptz, text, bigint) IS 'Transition function of journey_agg';
COMMENT ON FUNCTION @extschema@.journey_agg_combine(internal, internal) IS 'Combine function of journey_agg';
COMMENT ON FUNCTION @extschema@.journey_agg_serialize(internal) IS 'Serialize function of journey_agg';
COMMENT ON FUNCTION @extschema@.journey_agg_deserialize(bytea, internal) IS 'Deserialize function of journey_agg';
COMMENT ON FUNCTION @extschema@.journey_agg_final(internal) IS 'Final function of journey_agg: sorts the touches';

-- The final function sorts the buffered touches in place, which leaves the
-- state valid (the same touches), so READ_ONLY is right.
CREATE AGGREGATE @extschema@.journey_agg(touched_at timestamptz, channel text) (
	SFUNC = @extschema@.journey_agg_trans,
	STYPE = internal,
	SSPACE = 400,
	COMBINEFUNC = @extschema@.journey_agg_combine,
	SERIALFUNC = @extschema@.journey_agg_serialize,
	DESERIALFUNC = @extschema@.journey_agg_deserialize,
	FINALFUNC = @extschema@.journey_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.journey_agg(touched_at timestamptz, channel text, touch_id bigint) (
	SFUNC = @extschema@.journey_agg_trans,
	STYPE = internal,
	SSPACE = 400,
	COMBINEFUNC = @extschema@.journey_agg_combine,
	SERIALFUNC = @extschema@.journey_agg_serialize,
	DESERIALFUNC = @extschema@.journey_agg_deserialize,
	FINALFUNC = @extschema@.journey_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.journey_agg(timestamptz, text) IS
	'The touches of one journey as a journey value, in the documented order whatever the input order';
COMMENT ON AGGREGATE @extschema@.journey_agg(timestamptz, text, bigint) IS
	'The touches of one journey as a journey value, in the documented order whatever the input order';

CREATE FUNCTION @extschema@.credits(
	j @extschema@.journey,
	model text,
	converted_at timestamptz DEFAULT NULL,
	half_life interval DEFAULT '7 days',
	lead_created_at timestamptz DEFAULT NULL,
	opportunity_created_at timestamptz DEFAULT NULL,
	closed_at timestamptz DEFAULT NULL,
	direct_channels text[] DEFAULT '{direct}',
	weights float8[] DEFAULT NULL,
	lookback interval DEFAULT NULL)
RETURNS TABLE("position" integer, touch_id bigint, touched_at timestamptz, channel text, credit float8)
	AS 'MODULE_PATHNAME', 'attribution_credits' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.credits(@extschema@.journey, text, timestamptz, interval, timestamptz,
	timestamptz, timestamptz, text[], float8[], interval) IS
	'The credit of each touch in the window of a journey under a rule-based model';

-- ---------------------------------------------------------------- credit() window function

CREATE FUNCTION @extschema@.credit(
	model text,
	touched_at timestamptz,
	converted_at timestamptz DEFAULT NULL,
	half_life interval DEFAULT '7 days',
	lead_created_at timestamptz DEFAULT NULL,
	opportunity_created_at timestamptz DEFAULT NULL,
	closed_at timestamptz DEFAULT NULL,
	is_direct boolean DEFAULT false,
	weights float8[] DEFAULT NULL,
	lookback interval DEFAULT NULL,
	touch_id bigint DEFAULT NULL,
	channel text DEFAULT NULL)
RETURNS float8
	AS 'MODULE_PATHNAME', 'attribution_credit_window' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.credit(text, timestamptz, timestamptz, interval, timestamptz, timestamptz,
	timestamptz, boolean, float8[], interval, bigint, text) IS
	'Window function: the credit of the current touch within its partition (journey) under a rule-based model';

-- ---------------------------------------------------------------- channel_credits

CREATE TYPE @extschema@.channel_credits;

CREATE FUNCTION @extschema@.channel_credits_in(cstring) RETURNS @extschema@.channel_credits
	AS 'MODULE_PATHNAME', 'channel_credits_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_credits_out(@extschema@.channel_credits) RETURNS cstring
	AS 'MODULE_PATHNAME', 'channel_credits_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_credits_recv(internal) RETURNS @extschema@.channel_credits
	AS 'MODULE_PATHNAME', 'channel_credits_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_credits_send(@extschema@.channel_credits) RETURNS bytea
	AS 'MODULE_PATHNAME', 'channel_credits_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.channel_credits (
	INPUT = @extschema@.channel_credits_in,
	OUTPUT = @extschema@.channel_credits_out,
	RECEIVE = @extschema@.channel_credits_recv,
	SEND = @extschema@.channel_credits_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE @extschema@.channel_credits IS
	'Credit by channel (one journey''s, or summed over many); channels in bytewise order';
COMMENT ON FUNCTION @extschema@.channel_credits_in(cstring) IS 'Text input of channel_credits';
COMMENT ON FUNCTION @extschema@.channel_credits_out(@extschema@.channel_credits) IS 'Text output of channel_credits';
COMMENT ON FUNCTION @extschema@.channel_credits_recv(internal) IS 'Binary input of channel_credits';
COMMENT ON FUNCTION @extschema@.channel_credits_send(@extschema@.channel_credits) IS 'Binary output of channel_credits';

CREATE FUNCTION @extschema@.each(cc @extschema@.channel_credits)
RETURNS TABLE(channel text, credit float8)
	AS 'MODULE_PATHNAME', 'channel_credits_each' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION @extschema@.each(@extschema@.channel_credits) IS
	'The channels and credits of a channel_credits value, in bytewise order of the channel names';

-- channel_credit(): one journey's credit by channel, without sorting its touches
CREATE FUNCTION @extschema@.channel_credit_trans(internal, text, timestamptz, text) RETURNS internal
	AS 'MODULE_PATHNAME', 'channel_credit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_credit_trans(internal, text, timestamptz, text, timestamptz) RETURNS internal
	AS 'MODULE_PATHNAME', 'channel_credit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_credit_trans(internal, text, timestamptz, text, bigint, boolean,
	timestamptz, timestamptz, timestamptz, timestamptz, interval, float8[], interval) RETURNS internal
	AS 'MODULE_PATHNAME', 'channel_credit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_credit_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'channel_credit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE COST 100;
CREATE FUNCTION @extschema@.channel_credit_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'channel_credit_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_credit_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'channel_credit_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_credit_final(internal) RETURNS @extschema@.channel_credits
	AS 'MODULE_PATHNAME', 'channel_credit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.channel_credit_trans(internal, text, timestamptz, text) IS 'Transition function of channel_credit';
COMMENT ON FUNCTION @extschema@.channel_credit_trans(internal, text, timestamptz, text, timestamptz) IS 'Transition function of channel_credit';
COMMENT ON FUNCTION @extschema@.channel_credit_trans(internal, text, timestamptz, text, bigint, boolean,
	timestamptz, timestamptz, timestamptz, timestamptz, interval, float8[], interval) IS 'Transition function of channel_credit';
COMMENT ON FUNCTION @extschema@.channel_credit_combine(internal, internal) IS 'Combine function of channel_credit';
COMMENT ON FUNCTION @extschema@.channel_credit_serialize(internal) IS 'Serialize function of channel_credit';
COMMENT ON FUNCTION @extschema@.channel_credit_deserialize(bytea, internal) IS 'Deserialize function of channel_credit';
COMMENT ON FUNCTION @extschema@.channel_credit_final(internal) IS 'Final function of channel_credit';

CREATE AGGREGATE @extschema@.channel_credit(model text, touched_at timestamptz, channel text) (
	SFUNC = @extschema@.channel_credit_trans, STYPE = internal, SSPACE = 300,
	COMBINEFUNC = @extschema@.channel_credit_combine,
	SERIALFUNC = @extschema@.channel_credit_serialize,
	DESERIALFUNC = @extschema@.channel_credit_deserialize,
	FINALFUNC = @extschema@.channel_credit_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.channel_credit(model text, touched_at timestamptz, channel text,
	converted_at timestamptz) (
	SFUNC = @extschema@.channel_credit_trans, STYPE = internal, SSPACE = 300,
	COMBINEFUNC = @extschema@.channel_credit_combine,
	SERIALFUNC = @extschema@.channel_credit_serialize,
	DESERIALFUNC = @extschema@.channel_credit_deserialize,
	FINALFUNC = @extschema@.channel_credit_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.channel_credit(model text, touched_at timestamptz, channel text,
	touch_id bigint, is_direct boolean, converted_at timestamptz, lead_created_at timestamptz,
	opportunity_created_at timestamptz, closed_at timestamptz, half_life interval, weights float8[],
	lookback interval) (
	SFUNC = @extschema@.channel_credit_trans, STYPE = internal, SSPACE = 300,
	COMBINEFUNC = @extschema@.channel_credit_combine,
	SERIALFUNC = @extschema@.channel_credit_serialize,
	DESERIALFUNC = @extschema@.channel_credit_deserialize,
	FINALFUNC = @extschema@.channel_credit_final, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.channel_credit(text, timestamptz, text) IS
	'One journey''s credit by channel under a rule-based model, without sorting its touches';
COMMENT ON AGGREGATE @extschema@.channel_credit(text, timestamptz, text, timestamptz) IS
	'One journey''s credit by channel under a rule-based model, touches up to converted_at';
COMMENT ON AGGREGATE @extschema@.channel_credit(text, timestamptz, text, bigint, boolean, timestamptz,
	timestamptz, timestamptz, timestamptz, interval, float8[], interval) IS
	'One journey''s credit by channel under a rule-based model, every option (NULL = not given; NULL half_life = 7 days)';

-- credit_sum_agg(channel_credits [, weight]): credit by channel over many
-- journeys.  Its state is a storable type, so that parallel query and
-- distributed engines (Citus) aggregate partially where the rows are and
-- ship only the states: the base64 of the binary form in the text form.
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

-- sum(channel_credits [, weight]): the name of 0.1.0, kept as a deprecated
-- alias of credit_sum_agg with the same support functions.  Distributed
-- engines can treat an aggregate named sum as the built-in one; with a
-- storable state Citus splits it like any aggregate with a combine function.
CREATE AGGREGATE @extschema@.sum(@extschema@.channel_credits) (
	SFUNC = @extschema@.credit_sum_trans, STYPE = @extschema@.credit_sum_state, SSPACE = 1000,
	COMBINEFUNC = @extschema@.credit_sum_combine,
	FINALFUNC = @extschema@.credit_sum_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.sum(@extschema@.channel_credits, weight float8) (
	SFUNC = @extschema@.credit_sum_trans, STYPE = @extschema@.credit_sum_state, SSPACE = 1000,
	COMBINEFUNC = @extschema@.credit_sum_combine,
	FINALFUNC = @extschema@.credit_sum_final, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.sum(@extschema@.channel_credits) IS
	'Deprecated name of credit_sum_agg(channel_credits): credit by channel added up over many journeys';
COMMENT ON AGGREGATE @extschema@.sum(@extschema@.channel_credits, float8) IS
	'Deprecated name of credit_sum_agg(channel_credits, float8): credit by channel times a weight per journey, added up';

-- credit_by_channel(): the summary path in one aggregate over many journeys.
-- Its state is a storable type (the journeys, each summarised in a few
-- dozen bytes), so that parallel query and distributed engines (Citus)
-- aggregate partially where the rows are and ship only the states.
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
-- A partial state holds every journey its worker saw, so combining states
-- costs in proportion to the input (and a worker sees a part of most
-- journeys): the cost keeps the planner serial below some 60 million rows,
-- where a parallel plan gained little or lost (bench/RESULTS.md).
CREATE FUNCTION @extschema@.credit_by_channel_combine(@extschema@.credit_by_channel_state,
	@extschema@.credit_by_channel_state) RETURNS @extschema@.credit_by_channel_state
	AS 'MODULE_PATHNAME', 'credit_by_channel_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE COST 100000000;
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

CREATE AGGREGATE @extschema@.credit_by_channel(journey_id bigint, model text, touched_at timestamptz, channel text) (
	SFUNC = @extschema@.credit_by_channel_trans, STYPE = @extschema@.credit_by_channel_state, SSPACE = 100000000,
	COMBINEFUNC = @extschema@.credit_by_channel_combine,
	FINALFUNC = @extschema@.credit_by_channel_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.credit_by_channel(journey_id bigint, model text, touched_at timestamptz, channel text,
	converted_at timestamptz) (
	SFUNC = @extschema@.credit_by_channel_trans, STYPE = @extschema@.credit_by_channel_state, SSPACE = 100000000,
	COMBINEFUNC = @extschema@.credit_by_channel_combine,
	FINALFUNC = @extschema@.credit_by_channel_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.credit_by_channel(journey_id bigint, model text, touched_at timestamptz, channel text,
	touch_id bigint, is_direct boolean, converted_at timestamptz, lead_created_at timestamptz,
	opportunity_created_at timestamptz, closed_at timestamptz, half_life interval, weights float8[],
	lookback interval) (
	SFUNC = @extschema@.credit_by_channel_trans, STYPE = @extschema@.credit_by_channel_state, SSPACE = 100000000,
	COMBINEFUNC = @extschema@.credit_by_channel_combine,
	FINALFUNC = @extschema@.credit_by_channel_final, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.credit_by_channel(bigint, text, timestamptz, text) IS
	'Credit by channel over many journeys (touches in any order, grouped by journey_id inside), without sorting';
COMMENT ON AGGREGATE @extschema@.credit_by_channel(bigint, text, timestamptz, text, timestamptz) IS
	'Credit by channel over many journeys, each journey''s touches up to its converted_at';
COMMENT ON AGGREGATE @extschema@.credit_by_channel(bigint, text, timestamptz, text, bigint, boolean, timestamptz,
	timestamptz, timestamptz, timestamptz, interval, float8[], interval) IS
	'Credit by channel over many journeys, every option (NULL = not given; NULL half_life = 7 days)';

-- ======================================================================
-- Data-driven attribution (doc/paths.md): path transforms, the
-- path_summary type and its aggregates, Markov chains, Shapley values,
-- the counterfactual model and the heuristics.
-- ======================================================================

-- ---------- path transforms ----------

CREATE FUNCTION @extschema@.path_exposure(p text[])
RETURNS text[]
AS 'MODULE_PATHNAME', 'attribution_path_exposure'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_exposure(text[]) IS
'Collapses consecutive repeats of a channel: {a,a,b,a} becomes {a,b,a}.';

CREATE FUNCTION @extschema@.path_first(p text[])
RETURNS text[]
AS 'MODULE_PATHNAME', 'attribution_path_first'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_first(text[]) IS
'Keeps the first occurrence of each channel: {a,b,a,c} becomes {a,b,c}.';

CREATE FUNCTION @extschema@.path_trim(p text[], n integer)
RETURNS text[]
AS 'MODULE_PATHNAME', 'attribution_path_trim'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_trim(text[], integer) IS
'Keeps the last n touches of a path (n at least 1).';

CREATE FUNCTION @extschema@.path_remove_if_not_all(p text[], channels text[])
RETURNS text[]
AS 'MODULE_PATHNAME', 'attribution_path_remove_if_not_all'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_remove_if_not_all(text[], text[]) IS
'Removes the given channels from a path, unless that would empty it (then the path is returned unchanged).';

CREATE FUNCTION @extschema@.path_remove_if_last_and_not_all(p text[], channels text[])
RETURNS text[]
AS 'MODULE_PATHNAME', 'attribution_path_remove_if_last_and_not_all'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_remove_if_last_and_not_all(text[], text[]) IS
'Strips a trailing run of the given channels from a path, unless the whole path is such a run (then it is returned unchanged).';

-- ---------- the path_summary type ----------

CREATE TYPE @extschema@.path_summary;

CREATE FUNCTION @extschema@.path_summary_in(cstring)
RETURNS @extschema@.path_summary
AS 'MODULE_PATHNAME', 'attribution_path_summary_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.path_summary_out(@extschema@.path_summary)
RETURNS cstring
AS 'MODULE_PATHNAME', 'attribution_path_summary_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.path_summary_recv(internal)
RETURNS @extschema@.path_summary
AS 'MODULE_PATHNAME', 'attribution_path_summary_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.path_summary_send(@extschema@.path_summary)
RETURNS bytea
AS 'MODULE_PATHNAME', 'attribution_path_summary_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.path_summary (
	INPUT = @extschema@.path_summary_in,
	OUTPUT = @extschema@.path_summary_out,
	RECEIVE = @extschema@.path_summary_recv,
	SEND = @extschema@.path_summary_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);
COMMENT ON TYPE @extschema@.path_summary IS
'The distinct paths of many journeys with their conversions, value and non-conversions (built by path_agg, combined by merge).';
COMMENT ON FUNCTION @extschema@.path_summary_in(cstring) IS
'Text input of path_summary: [[["a","b"],conversions,value,non_conversions],...].';
COMMENT ON FUNCTION @extschema@.path_summary_out(@extschema@.path_summary) IS
'Text output of path_summary, in canonical order.';
COMMENT ON FUNCTION @extschema@.path_summary_recv(internal) IS
'Binary input of path_summary.';
COMMENT ON FUNCTION @extschema@.path_summary_send(@extschema@.path_summary) IS
'Binary output of path_summary.';

-- ---------- aggregates ----------

-- The state of path_agg() and merge(path_summary) is a storable type, so
-- that parallel query and distributed engines (Citus) aggregate partially
-- where the rows are and ship only the states (the base64 of the binary
-- form in the text form).
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

-- Combining partial states costs in proportion to their distinct paths,
-- which the planner cannot see: the cost keeps path_agg serial below some 20
-- million rows (bench/RESULTS.md).
CREATE FUNCTION @extschema@.path_agg_combine(@extschema@.path_agg_state, @extschema@.path_agg_state)
RETURNS @extschema@.path_agg_state
AS 'MODULE_PATHNAME', 'attribution_path_agg_state_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE COST 10000000;
COMMENT ON FUNCTION @extschema@.path_agg_combine(@extschema@.path_agg_state, @extschema@.path_agg_state) IS
'Combine function of path_agg and merge(path_summary): adds two partial states.';

CREATE FUNCTION @extschema@.path_agg_final(@extschema@.path_agg_state)
RETURNS @extschema@.path_summary
AS 'MODULE_PATHNAME', 'attribution_path_agg_state_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_agg_final(@extschema@.path_agg_state) IS
'Final function of path_agg and merge(path_summary): the canonical summary.';

-- the final function writes a sorted copy and leaves the state as it was
CREATE AGGREGATE @extschema@.path_agg(path text[], converted boolean) (
	SFUNC = @extschema@.path_agg_trans,
	STYPE = @extschema@.path_agg_state,
	SSPACE = 131072,
	FINALFUNC = @extschema@.path_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.path_agg_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.path_agg(text[], boolean) IS
'Summarizes journeys (path, converted) into a path_summary; each conversion has value 1.';

CREATE AGGREGATE @extschema@.path_agg(path text[], converted boolean, value double precision) (
	SFUNC = @extschema@.path_agg_trans,
	STYPE = @extschema@.path_agg_state,
	SSPACE = 131072,
	FINALFUNC = @extschema@.path_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.path_agg_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.path_agg(text[], boolean, double precision) IS
'Summarizes journeys (path, converted, value of the conversion) into a path_summary.';

CREATE AGGREGATE @extschema@.path_agg(path text[], conversions double precision,
									  value double precision, non_conversions double precision) (
	SFUNC = @extschema@.path_agg_trans,
	STYPE = @extschema@.path_agg_state,
	SSPACE = 131072,
	FINALFUNC = @extschema@.path_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.path_agg_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.path_agg(text[], double precision, double precision, double precision) IS
'Summarizes a pre-counted path table (path, conversions, value, non_conversions) into a path_summary.';

CREATE AGGREGATE @extschema@.merge(@extschema@.path_summary) (
	SFUNC = @extschema@.path_summary_merge_trans,
	STYPE = @extschema@.path_agg_state,
	SSPACE = 131072,
	FINALFUNC = @extschema@.path_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.path_agg_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.merge(@extschema@.path_summary) IS
'Merges stored path summaries (for example daily rollups) into one.';

-- ---------- accessors ----------

CREATE FUNCTION @extschema@.paths(ps @extschema@.path_summary,
	OUT path text[], OUT conversions double precision,
	OUT value double precision, OUT non_conversions double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'attribution_paths'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 1000;
COMMENT ON FUNCTION @extschema@.paths(@extschema@.path_summary) IS
'The distinct paths of a summary with their conversions, value and non-conversions, in canonical order.';

CREATE FUNCTION @extschema@.markov(ps @extschema@.path_summary, chain_order integer DEFAULT 1,
	OUT channel text, OUT removal_effect double precision,
	OUT conversions double precision, OUT value double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'attribution_markov'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 20;
COMMENT ON FUNCTION @extschema@.markov(@extschema@.path_summary, integer) IS
'Markov-chain attribution of order 1 to 4, solved exactly: per channel the removal effect and the credited conversions and value.';

CREATE FUNCTION @extschema@.transition_matrix(ps @extschema@.path_summary, chain_order integer DEFAULT 1,
	OUT from_state text, OUT to_state text, OUT probability double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'attribution_transition_matrix'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 100;
COMMENT ON FUNCTION @extschema@.transition_matrix(@extschema@.path_summary, integer) IS
'The transition probabilities of the Markov chain of a path summary, from (start) to (conversion) and (null).';

CREATE FUNCTION @extschema@.shapley(ps @extschema@.path_summary,
	OUT channel text, OUT conversions double precision, OUT value double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'attribution_shapley'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 20;
COMMENT ON FUNCTION @extschema@.shapley(@extschema@.path_summary) IS
'Simplified Shapley value (Zhao et al. 2018): each path''s conversions and value split equally over its distinct channels.';

CREATE FUNCTION @extschema@.shapley(ps @extschema@.path_summary, mode text,
	OUT channel text, OUT "position" integer,
	OUT conversions double precision, OUT value double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'attribution_shapley_ordered'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 100;
COMMENT ON FUNCTION @extschema@.shapley(@extschema@.path_summary, text) IS
'Ordered Shapley value (mode ''ordered''): the simplified Shapley credit of a channel by the position of its first appearance among the distinct channels of a path.';

CREATE FUNCTION @extschema@.counterfactual(ps @extschema@.path_summary,
	OUT channel text, OUT conversions double precision, OUT value double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'attribution_counterfactual'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 20;
COMMENT ON FUNCTION @extschema@.counterfactual(@extschema@.path_summary) IS
'Leave-one-out path-probability model: a path''s conversions split over its touches in proportion to the drop in observed conversion rate without each touch.';

CREATE FUNCTION @extschema@.heuristics(ps @extschema@.path_summary,
	OUT channel text,
	OUT first_touch double precision, OUT last_touch double precision, OUT linear double precision,
	OUT first_touch_value double precision, OUT last_touch_value double precision,
	OUT linear_value double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'attribution_heuristics'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
ROWS 20;
COMMENT ON FUNCTION @extschema@.heuristics(@extschema@.path_summary) IS
'First-touch, last-touch and linear credited conversions and value per channel of a path summary.';

-- The demand waterfall (doc/waterfall.md): stage histories, their accessors,
-- funnel depth, waterfall summaries and the reverse waterfall.

-- stage_history: the stage events of one unit, with their ladder

CREATE TYPE @extschema@.stage_history;

CREATE FUNCTION @extschema@.stage_history_in(cstring)
RETURNS @extschema@.stage_history
AS 'MODULE_PATHNAME', 'stage_history_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.stage_history_out(@extschema@.stage_history)
RETURNS cstring
AS 'MODULE_PATHNAME', 'stage_history_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.stage_history_recv(internal)
RETURNS @extschema@.stage_history
AS 'MODULE_PATHNAME', 'stage_history_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.stage_history_send(@extschema@.stage_history)
RETURNS bytea
AS 'MODULE_PATHNAME', 'stage_history_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.stage_history (
	INPUT = @extschema@.stage_history_in,
	OUTPUT = @extschema@.stage_history_out,
	RECEIVE = @extschema@.stage_history_recv,
	SEND = @extschema@.stage_history_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.stage_history IS
'The stage events of one unit (lead, contact, account, opportunity) in the order (entered_at, ladder rank), with the ladder and exit stages they refer to';
COMMENT ON FUNCTION @extschema@.stage_history_in(cstring) IS
'Text input of stage_history: {"ladder":[...],"exits":[...],"events":[["stage","YYYY-MM-DD HH:MM:SS+00"],...]}';
COMMENT ON FUNCTION @extschema@.stage_history_out(@extschema@.stage_history) IS
'Text output of stage_history (times in UTC, ISO form)';
COMMENT ON FUNCTION @extschema@.stage_history_recv(internal) IS
'Binary input of stage_history';
COMMENT ON FUNCTION @extschema@.stage_history_send(@extschema@.stage_history) IS
'Binary output of stage_history';

-- stage_agg(stage, entered_at [, ladder [, exits]])

CREATE FUNCTION @extschema@.stage_agg_trans(internal, text, timestamptz)
RETURNS internal
AS 'MODULE_PATHNAME', 'stage_agg_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.stage_agg_trans(internal, text, timestamptz, text[])
RETURNS internal
AS 'MODULE_PATHNAME', 'stage_agg_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.stage_agg_trans(internal, text, timestamptz, text[], text[])
RETURNS internal
AS 'MODULE_PATHNAME', 'stage_agg_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.stage_agg_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'stage_agg_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE COST 100;

CREATE FUNCTION @extschema@.stage_agg_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'stage_agg_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.stage_agg_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'stage_agg_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.stage_agg_final(internal)
RETURNS @extschema@.stage_history
AS 'MODULE_PATHNAME', 'stage_agg_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.stage_agg(stage text, entered_at timestamptz) (
	SFUNC = @extschema@.stage_agg_trans,
	STYPE = internal,
	SSPACE = 144,
	COMBINEFUNC = @extschema@.stage_agg_combine,
	SERIALFUNC = @extschema@.stage_agg_serialize,
	DESERIALFUNC = @extschema@.stage_agg_deserialize,
	FINALFUNC = @extschema@.stage_agg_final,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.stage_agg(stage text, entered_at timestamptz, ladder text[]) (
	SFUNC = @extschema@.stage_agg_trans,
	STYPE = internal,
	SSPACE = 144,
	COMBINEFUNC = @extschema@.stage_agg_combine,
	SERIALFUNC = @extschema@.stage_agg_serialize,
	DESERIALFUNC = @extschema@.stage_agg_deserialize,
	FINALFUNC = @extschema@.stage_agg_final,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.stage_agg(stage text, entered_at timestamptz, ladder text[], exits text[]) (
	SFUNC = @extschema@.stage_agg_trans,
	STYPE = internal,
	SSPACE = 144,
	COMBINEFUNC = @extschema@.stage_agg_combine,
	SERIALFUNC = @extschema@.stage_agg_serialize,
	DESERIALFUNC = @extschema@.stage_agg_deserialize,
	FINALFUNC = @extschema@.stage_agg_final,
	PARALLEL = SAFE
);

COMMENT ON FUNCTION @extschema@.stage_agg_trans(internal, text, timestamptz) IS
'Transition function of stage_agg (default ladder and exits)';
COMMENT ON FUNCTION @extschema@.stage_agg_trans(internal, text, timestamptz, text[]) IS
'Transition function of stage_agg (given ladder, default exits)';
COMMENT ON FUNCTION @extschema@.stage_agg_trans(internal, text, timestamptz, text[], text[]) IS
'Transition function of stage_agg (given ladder and exits)';
COMMENT ON FUNCTION @extschema@.stage_agg_combine(internal, internal) IS
'Combine function of stage_agg: concatenates the buffered events of two partial states';
COMMENT ON FUNCTION @extschema@.stage_agg_serialize(internal) IS
'Serialize function of stage_agg';
COMMENT ON FUNCTION @extschema@.stage_agg_deserialize(bytea, internal) IS
'Deserialize function of stage_agg';
COMMENT ON FUNCTION @extschema@.stage_agg_final(internal) IS
'Final function of stage_agg: sorts the events by (entered_at, ladder rank) and builds the stage_history';
COMMENT ON AGGREGATE @extschema@.stage_agg(text, timestamptz) IS
'Stage history of one unit over the default ladder {inquiry,mql,sal,sql,opportunity,won} and exits {disqualified,lost}';
COMMENT ON AGGREGATE @extschema@.stage_agg(text, timestamptz, text[]) IS
'Stage history of one unit over the given ladder and the default exits {disqualified,lost}';
COMMENT ON AGGREGATE @extschema@.stage_agg(text, timestamptz, text[], text[]) IS
'Stage history of one unit over the given ladder and exit stages';

-- accessors

CREATE FUNCTION @extschema@.transitions(h @extschema@.stage_history,
	OUT seq int, OUT from_stage text, OUT to_stage text, OUT entered_at timestamptz,
	OUT exited_at timestamptz, OUT time_in_stage interval, OUT direction text,
	OUT skipped int)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'stage_history_transitions'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;

COMMENT ON FUNCTION @extschema@.transitions(@extschema@.stage_history) IS
'One row per stage entry: the stage before, the stay (entered_at, exited_at, time_in_stage; NULL ends for the open stage), direction forward, backward (recycle) or exit, and the ladder stages skipped';

CREATE FUNCTION @extschema@.reached_at(h @extschema@.stage_history, stage text,
	kind text DEFAULT 'inferred')
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'stage_history_reached_at'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.reached_at(@extschema@.stage_history, text, text) IS
'First time the stage was reached: kind inferred (default: a skipped ladder stage counts as reached when a later one is) or recorded (recorded entries only); NULL if never';

CREATE FUNCTION @extschema@.current_stage(h @extschema@.stage_history)
RETURNS text
AS 'MODULE_PATHNAME', 'stage_history_current_stage'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.current_stage(@extschema@.stage_history) IS
'The stage of the last event (a ladder or an exit stage)';

CREATE FUNCTION @extschema@.furthest_stage(h @extschema@.stage_history)
RETURNS text
AS 'MODULE_PATHNAME', 'stage_history_furthest_stage'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.furthest_stage(@extschema@.stage_history) IS
'The highest ladder stage ever entered; NULL when only exit stages were entered';

CREATE FUNCTION @extschema@.time_in_stage(h @extschema@.stage_history, stage text,
	as_of timestamptz DEFAULT NULL)
RETURNS interval
AS 'MODULE_PATHNAME', 'stage_history_time_in_stage'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.time_in_stage(@extschema@.stage_history, text, timestamptz) IS
'Time spent in the stage, summed over its stays; the open stay counts up to as_of (nothing without it); NULL when the stage was never recorded';

CREATE FUNCTION @extschema@.funnel_depth(h @extschema@.stage_history, within interval,
	mode text DEFAULT 'default')
RETURNS int
AS 'MODULE_PATHNAME', 'stage_history_funnel_depth'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.funnel_depth(@extschema@.stage_history, interval, text) IS
'Deepest ladder step reached in order within the window of entering the first step, as ClickHouse windowFunnel; modes default, strict_increase, strict_order (comma-separated); 0 when the first step was never entered';

CREATE FUNCTION @extschema@.stage_entries(h @extschema@.stage_history,
	OUT stage text, OUT ladder_rank int, OUT first_entered_at timestamptz,
	OUT entries int)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'stage_history_entries'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;

COMMENT ON FUNCTION @extschema@.stage_entries(@extschema@.stage_history) IS
'One row per stage reached: ladder stages reached (inferred) in ladder order with their 1-based rank, then exit stages entered; the first time reached and the number of recorded entries, for cohort and period reports';

-- waterfall_summary: mergeable counts over many stage histories

CREATE TYPE @extschema@.waterfall_summary;

CREATE FUNCTION @extschema@.waterfall_summary_in(cstring)
RETURNS @extschema@.waterfall_summary
AS 'MODULE_PATHNAME', 'waterfall_summary_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.waterfall_summary_out(@extschema@.waterfall_summary)
RETURNS cstring
AS 'MODULE_PATHNAME', 'waterfall_summary_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.waterfall_summary_recv(internal)
RETURNS @extschema@.waterfall_summary
AS 'MODULE_PATHNAME', 'waterfall_summary_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.waterfall_summary_send(@extschema@.waterfall_summary)
RETURNS bytea
AS 'MODULE_PATHNAME', 'waterfall_summary_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.waterfall_summary (
	INPUT = @extschema@.waterfall_summary_in,
	OUTPUT = @extschema@.waterfall_summary_out,
	RECEIVE = @extschema@.waterfall_summary_recv,
	SEND = @extschema@.waterfall_summary_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.waterfall_summary IS
'Waterfall counts over many stage histories (reached, recycled, exits per stage, days to next): mergeable, for stored daily rollups';
COMMENT ON FUNCTION @extschema@.waterfall_summary_in(cstring) IS
'Text input of waterfall_summary (validated: the counts must agree with each other)';
COMMENT ON FUNCTION @extschema@.waterfall_summary_out(@extschema@.waterfall_summary) IS
'Text output of waterfall_summary';
COMMENT ON FUNCTION @extschema@.waterfall_summary_recv(internal) IS
'Binary input of waterfall_summary';
COMMENT ON FUNCTION @extschema@.waterfall_summary_send(@extschema@.waterfall_summary) IS
'Binary output of waterfall_summary';

-- The state of waterfall_agg() and merge(waterfall_summary) is the summary
-- type itself, so that parallel query and distributed engines (Citus)
-- aggregate partially where the rows are and ship only summaries; merging
-- two partial states is merge()'s transition.
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

CREATE AGGREGATE @extschema@.waterfall_agg(h @extschema@.stage_history) (
	SFUNC = @extschema@.waterfall_agg_trans,
	STYPE = @extschema@.waterfall_summary,
	SSPACE = 8192,
	COMBINEFUNC = @extschema@.waterfall_combine,
	FINALFUNC = @extschema@.waterfall_final,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.merge(ws @extschema@.waterfall_summary) (
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
COMMENT ON AGGREGATE @extschema@.waterfall_agg(@extschema@.stage_history) IS
'Waterfall summary of many stage histories (all with the same ladder and exits)';
COMMENT ON AGGREGATE @extschema@.merge(@extschema@.waterfall_summary) IS
'Merges stored waterfall summaries (for example daily rollups) into one';

CREATE FUNCTION @extschema@.waterfall_report(ws @extschema@.waterfall_summary,
	OUT stage text, OUT reached bigint, OUT advanced bigint,
	OUT conversion_rate float8, OUT cumulative_rate float8, OUT recycled bigint,
	OUT disqualified bigint, OUT still_open bigint,
	OUT median_days_to_next float8, OUT p90_days_to_next float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'waterfall_report'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 6;

COMMENT ON FUNCTION @extschema@.waterfall_report(@extschema@.waterfall_summary) IS
'Per ladder stage: reached, advanced, conversion_rate, cumulative_rate, recycled, disqualified (stopped there in an exit stage), still_open, median and p90 days to next (within 0.5% of percentile_cont)';

CREATE FUNCTION @extschema@.waterfall_exits(ws @extschema@.waterfall_summary,
	OUT stage text, OUT exit_stage text, OUT units bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'waterfall_exits'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 12;

COMMENT ON FUNCTION @extschema@.waterfall_exits(@extschema@.waterfall_summary) IS
'Per ladder stage and exit stage: the units whose furthest stage is that stage and who are in that exit stage now (the disqualified column of waterfall_report, split by exit)';

CREATE FUNCTION @extschema@.reverse_waterfall(ws @extschema@.waterfall_summary,
	target_wins float8,
	OUT stage text, OUT conversion_rate float8, OUT volume float8,
	OUT median_days_to_next float8, OUT days_before_win float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'reverse_waterfall'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 6;

COMMENT ON FUNCTION @extschema@.reverse_waterfall(@extschema@.waterfall_summary, float8) IS
'Per ladder stage: the volume needed to produce target_wins at the observed conversion rates, and the days before the win it is needed at the observed median days to next; a zero rate gives NULL volume and a NOTICE';
-- Reporting layer (doc/reporting.md), part 1: the canonical tables that ETL
-- jobs load, with their keys, constraints and indexes, the built-in rows of
-- models and waterfalls, and the pg_dump marks.
--
-- Identifiers of contacts, accounts, opportunities and waterfall units are
-- text (CRM identifiers are strings; numbers load as text), touchpoint ids
-- are bigint (they break ties between touches at the same time).  Money is
-- numeric(14,2): amounts and costs are kept to the cent.

-- ---------------------------------------------------------------- checks used by constraints

CREATE FUNCTION @extschema@.check_model(model text, half_life interval, weights float8[], lookback interval)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	-- Runs the model on a one-touch journey: the model core rejects an
	-- unknown model, a bad half-life or lookback and bad custom weights with
	-- its own error, detail and hint.
	SELECT count(*) = 1
	FROM @extschema@.credits(
		(SELECT @extschema@.journey_agg(timestamptz '2000-01-01 00:00:00+00', 'x')),
		check_model.model, half_life => check_model.half_life, weights => check_model.weights,
		lookback => check_model.lookback)
$$;
COMMENT ON FUNCTION @extschema@.check_model(text, interval, float8[], interval) IS
	'Check constraint of models: true when the model, half-life, weights and lookback are valid, otherwise the model''s own error';

CREATE FUNCTION @extschema@.check_ladder(ladder text[], exits text[])
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	stages text[] := ladder || exits;
	dup text;
	failure record;
BEGIN
	IF ladder IS NULL OR exits IS NULL THEN
		RETURN true;			-- NOT NULL is the columns' business
	END IF;
	SELECT s INTO dup FROM unnest(stages) s GROUP BY s HAVING count(*) > 1 ORDER BY s LIMIT 1;
	-- the rules in order; the first one broken is the error
	SELECT r.message, r.detail, r.hint INTO failure
	FROM (VALUES
		(1, coalesce(cardinality(ladder), 0) < 2 OR array_ndims(ladder) <> 1 OR coalesce(array_ndims(exits), 1) <> 1,
		 'a waterfall ladder must be a one-dimensional array of at least two stage names',
		 format('The ladder is %L.', ladder),
		 'Write the ladder as an array literal such as ''{inquiry,mql,sal,sql,opportunity,won}''.'),
		(2, cardinality(stages) > 100,
		 'a waterfall has at most 100 stages',
		 format('The ladder and the exits have %s stages.', cardinality(stages)),
		 'Group stages, or use several waterfalls.'),
		(3, array_position(stages, NULL) IS NOT NULL OR '' = ANY (stages)
			OR EXISTS (SELECT FROM unnest(stages) s WHERE octet_length(s) > 255),
		 'a waterfall stage name must be 1 to 255 bytes long',
		 format('The ladder is %L and the exits are %L.', ladder, exits),
		 'Remove the NULL, empty or too long element.'),
		(4, dup IS NOT NULL,
		 format('stage "%s" appears more than once in a waterfall', dup),
		 format('The ladder is %L and the exits are %L.', ladder, exits),
		 'Every stage appears once, either in the ladder or in the exits.')
	) AS r(n, broken, message, detail, hint)
	WHERE r.broken
	ORDER BY r.n LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION USING MESSAGE = failure.message, ERRCODE = 'check_violation', DETAIL = failure.detail,
			HINT = failure.hint;
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.check_ladder(text[], text[]) IS
	'Check constraint of waterfalls: true when the ladder (two stages or more) and the exits are distinct stage names of 1 to 255 bytes, at most 100 in all, otherwise an error naming the problem';

-- ---------------------------------------------------------------- people and deals

CREATE TABLE @extschema@.contacts (
	contact_id text NOT NULL,
	account_id text NOT NULL,
	created_at timestamptz NOT NULL,
	CONSTRAINT contacts_pkey PRIMARY KEY (contact_id),
	CONSTRAINT contacts_contact_id_not_empty CHECK (contact_id <> ''),
	CONSTRAINT contacts_account_id_not_empty CHECK (account_id <> ''),
	CONSTRAINT contacts_created_at_finite CHECK (created_at > '-infinity' AND created_at < 'infinity')
);
CREATE INDEX contacts_account_id_idx ON @extschema@.contacts (account_id);
COMMENT ON TABLE @extschema@.contacts IS
	'People at accounts; created_at is when the contact became a lead (the lead-creation milestone)';
COMMENT ON COLUMN @extschema@.contacts.contact_id IS 'Identifier of the contact (the CRM''s id, as text)';
COMMENT ON COLUMN @extschema@.contacts.account_id IS 'Account (company) the contact belongs to';
COMMENT ON COLUMN @extschema@.contacts.created_at IS 'When the contact became a lead';

CREATE TABLE @extschema@.opportunities (
	opportunity_id text NOT NULL,
	account_id text NOT NULL,
	created_at timestamptz NOT NULL,
	closed_at timestamptz,
	is_won boolean NOT NULL DEFAULT false,
	amount numeric(14,2) NOT NULL DEFAULT 0,
	CONSTRAINT opportunities_pkey PRIMARY KEY (opportunity_id),
	CONSTRAINT opportunities_opportunity_id_not_empty CHECK (opportunity_id <> ''),
	CONSTRAINT opportunities_account_id_not_empty CHECK (account_id <> ''),
	CONSTRAINT opportunities_created_at_finite CHECK (created_at > '-infinity' AND created_at < 'infinity'),
	CONSTRAINT opportunities_closed_at_finite CHECK (closed_at < 'infinity'),
	CONSTRAINT opportunities_closed_after_created CHECK (closed_at >= created_at),
	CONSTRAINT opportunities_won_is_closed CHECK (NOT is_won OR closed_at IS NOT NULL),
	CONSTRAINT opportunities_amount_not_negative CHECK (amount >= 0 AND amount <> 'NaN')
);
CREATE INDEX opportunities_account_id_idx ON @extschema@.opportunities (account_id);
CREATE INDEX opportunities_created_at_idx ON @extschema@.opportunities (created_at);
COMMENT ON TABLE @extschema@.opportunities IS
	'Sales opportunities (deals): open while closed_at is NULL, won or lost once closed';
COMMENT ON COLUMN @extschema@.opportunities.opportunity_id IS 'Identifier of the opportunity (the CRM''s id, as text)';
COMMENT ON COLUMN @extschema@.opportunities.account_id IS 'Account (company) of the opportunity';
COMMENT ON COLUMN @extschema@.opportunities.created_at IS 'When the opportunity was created (the opportunity-creation milestone)';
COMMENT ON COLUMN @extschema@.opportunities.closed_at IS 'When the opportunity was closed, won or lost; NULL while open';
COMMENT ON COLUMN @extschema@.opportunities.is_won IS 'True for a closed-won opportunity';
COMMENT ON COLUMN @extschema@.opportunities.amount IS 'Amount of the opportunity: its pipeline, and its revenue when won';

CREATE TABLE @extschema@.opportunity_contacts (
	opportunity_id text NOT NULL,
	contact_id text NOT NULL,
	role text NOT NULL DEFAULT 'contact',
	CONSTRAINT opportunity_contacts_pkey PRIMARY KEY (opportunity_id, contact_id, role),
	CONSTRAINT opportunity_contacts_opportunity_id_fkey FOREIGN KEY (opportunity_id)
		REFERENCES @extschema@.opportunities (opportunity_id) ON DELETE CASCADE,
	CONSTRAINT opportunity_contacts_contact_id_fkey FOREIGN KEY (contact_id)
		REFERENCES @extschema@.contacts (contact_id) ON DELETE CASCADE,
	CONSTRAINT opportunity_contacts_role_not_empty CHECK (role <> '')
);
CREATE INDEX opportunity_contacts_contact_id_idx ON @extschema@.opportunity_contacts (contact_id);
COMMENT ON TABLE @extschema@.opportunity_contacts IS
	'The contacts of each opportunity (contact roles); the touchpoints of all of them form the opportunity''s journey';
COMMENT ON COLUMN @extschema@.opportunity_contacts.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.opportunity_contacts.contact_id IS 'A contact of the opportunity';
COMMENT ON COLUMN @extschema@.opportunity_contacts.role IS
	'The contact''s role on the opportunity; a contact with two roles still contributes each touchpoint once';

CREATE TABLE @extschema@.touchpoints (
	touchpoint_id bigint NOT NULL,
	contact_id text NOT NULL,
	touched_at timestamptz NOT NULL,
	channel text NOT NULL,
	campaign text,
	is_direct boolean,
	CONSTRAINT touchpoints_pkey PRIMARY KEY (touchpoint_id),
	CONSTRAINT touchpoints_contact_id_fkey FOREIGN KEY (contact_id)
		REFERENCES @extschema@.contacts (contact_id) ON DELETE CASCADE,
	CONSTRAINT touchpoints_touched_at_finite CHECK (touched_at > '-infinity' AND touched_at < 'infinity'),
	CONSTRAINT touchpoints_channel_not_empty CHECK (channel <> ''),
	CONSTRAINT touchpoints_channel_no_separator CHECK (strpos(channel, chr(30)) = 0 AND strpos(channel, chr(31)) = 0),
	CONSTRAINT touchpoints_campaign_not_empty CHECK (campaign <> '')
);
CREATE INDEX touchpoints_contact_id_touched_at_idx ON @extschema@.touchpoints (contact_id, touched_at);
COMMENT ON TABLE @extschema@.touchpoints IS
	'Interactions of contacts with marketing and sales (ad clicks, emails, webinars, calls): the raw material of every journey';
COMMENT ON COLUMN @extschema@.touchpoints.touchpoint_id IS
	'Identifier of the touchpoint; breaks ties between touches at the same time';
COMMENT ON COLUMN @extschema@.touchpoints.contact_id IS 'The contact who was touched';
COMMENT ON COLUMN @extschema@.touchpoints.touched_at IS 'When the touch happened';
COMMENT ON COLUMN @extschema@.touchpoints.channel IS 'Marketing or sales channel of the touch';
COMMENT ON COLUMN @extschema@.touchpoints.campaign IS 'Campaign of the touch (joins campaign_costs); NULL for none';
COMMENT ON COLUMN @extschema@.touchpoints.is_direct IS
	'True for a direct (unattributable) touch, skipped by last_non_direct; NULL means: direct when the channel is ''direct''';

CREATE TABLE @extschema@.campaign_costs (
	campaign text NOT NULL,
	channel text NOT NULL,
	spent_on date NOT NULL,
	cost numeric(14,2) NOT NULL,
	CONSTRAINT campaign_costs_pkey PRIMARY KEY (campaign, channel, spent_on),
	CONSTRAINT campaign_costs_campaign_not_empty CHECK (campaign <> ''),
	CONSTRAINT campaign_costs_channel_not_empty CHECK (channel <> ''),
	CONSTRAINT campaign_costs_spent_on_finite CHECK (spent_on > '-infinity' AND spent_on < 'infinity'),
	CONSTRAINT campaign_costs_cost_not_negative CHECK (cost >= 0 AND cost <> 'NaN')
);
CREATE INDEX campaign_costs_channel_spent_on_idx ON @extschema@.campaign_costs (channel, spent_on);
COMMENT ON TABLE @extschema@.campaign_costs IS
	'Spend per campaign, channel and day; joined to credited touches on campaign, channel and date';
COMMENT ON COLUMN @extschema@.campaign_costs.campaign IS 'The campaign (as in touchpoints.campaign)';
COMMENT ON COLUMN @extschema@.campaign_costs.channel IS 'The channel the money was spent in (as in touchpoints.channel)';
COMMENT ON COLUMN @extschema@.campaign_costs.spent_on IS 'The day of the spend';
COMMENT ON COLUMN @extschema@.campaign_costs.cost IS 'The amount spent that day';

-- ---------------------------------------------------------------- configuration: models and waterfalls

CREATE TABLE @extschema@.models (
	name text NOT NULL,
	model text NOT NULL,
	half_life interval NOT NULL DEFAULT '7 days',
	weights float8[],
	lookback interval,
	enabled boolean NOT NULL DEFAULT true,
	builtin boolean NOT NULL DEFAULT false,
	description text,
	CONSTRAINT models_pkey PRIMARY KEY (name),
	CONSTRAINT models_name_not_empty CHECK (name <> ''),
	CONSTRAINT models_model_lower_case CHECK (model = lower(model)),
	CONSTRAINT models_valid CHECK (@extschema@.check_model(model, half_life, weights, lookback))
);
COMMENT ON TABLE @extschema@.models IS
	'Named attribution models: the built-in ones and your own; the reporting views show every enabled row side by side';
COMMENT ON COLUMN @extschema@.models.name IS 'Name of the preset, as the views show it in their model column';
COMMENT ON COLUMN @extschema@.models.model IS 'The rule-based model (first_touch, last_touch, ..., time_decay, custom), lower case';
COMMENT ON COLUMN @extschema@.models.half_life IS 'Half-life of time_decay';
COMMENT ON COLUMN @extschema@.models.weights IS
	'Position weights of a custom model: (first, lead, opportunity, closed, last, middle), summing to 1; NULL for the others';
COMMENT ON COLUMN @extschema@.models.lookback IS 'Touches older than the window''s end minus lookback are ignored; NULL: none';
COMMENT ON COLUMN @extschema@.models.enabled IS 'Reported by the views when true';
COMMENT ON COLUMN @extschema@.models.builtin IS
	'True for the rows the extension installs (not dumped by pg_dump); any change to a row makes it yours (false)';
COMMENT ON COLUMN @extschema@.models.description IS 'Free text';

CREATE TABLE @extschema@.waterfalls (
	name text NOT NULL,
	ladder text[] NOT NULL,
	exits text[] NOT NULL DEFAULT '{disqualified,lost}',
	unit text NOT NULL DEFAULT 'contact',
	builtin boolean NOT NULL DEFAULT false,
	description text,
	CONSTRAINT waterfalls_pkey PRIMARY KEY (name),
	CONSTRAINT waterfalls_name_not_empty CHECK (name <> ''),
	CONSTRAINT waterfalls_unit_known CHECK (unit IN ('contact', 'account', 'opportunity', 'other')),
	CONSTRAINT waterfalls_stages_valid CHECK (@extschema@.check_ladder(ladder, exits))
);
COMMENT ON TABLE @extschema@.waterfalls IS
	'Named demand waterfalls: the ordered ladder of stages and the exit stages; ''default'' is built in';
COMMENT ON COLUMN @extschema@.waterfalls.name IS 'Name of the waterfall (stage_events.waterfall)';
COMMENT ON COLUMN @extschema@.waterfalls.ladder IS 'The stages in order, first to last';
COMMENT ON COLUMN @extschema@.waterfalls.exits IS 'Stages that end a run (disqualified, lost)';
COMMENT ON COLUMN @extschema@.waterfalls.unit IS
	'What stage_events.unit_id identifies: contact (a contacts.contact_id; the lead-quality view needs it), account, opportunity or other';
COMMENT ON COLUMN @extschema@.waterfalls.builtin IS
	'True for the rows the extension installs (not dumped by pg_dump); any change to a row makes it yours (false)';
COMMENT ON COLUMN @extschema@.waterfalls.description IS 'Free text';

-- The stages of every waterfall, one row each, kept up to date from
-- waterfalls by a trigger: the foreign keys of stage_events and
-- stage_targets point here, so an unknown stage is rejected by the database.
CREATE TABLE @extschema@.waterfall_stages (
	waterfall text NOT NULL,
	stage text NOT NULL,
	rank integer NOT NULL,
	is_exit boolean NOT NULL,
	CONSTRAINT waterfall_stages_pkey PRIMARY KEY (waterfall, stage),
	CONSTRAINT waterfall_stages_waterfall_fkey FOREIGN KEY (waterfall)
		REFERENCES @extschema@.waterfalls (name) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.waterfall_stages IS
	'The stages of every waterfall, derived from waterfalls (do not edit): the target of the stage foreign keys, and the stage order for reports';
COMMENT ON COLUMN @extschema@.waterfall_stages.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_stages.stage IS 'A stage of its ladder or of its exits';
COMMENT ON COLUMN @extschema@.waterfall_stages.rank IS 'Position in the ladder (1 = first); exits follow the ladder';
COMMENT ON COLUMN @extschema@.waterfall_stages.is_exit IS 'True for an exit stage';

CREATE TABLE @extschema@.stage_events (
	unit_id text NOT NULL,
	stage text NOT NULL,
	entered_at timestamptz NOT NULL,
	waterfall text NOT NULL DEFAULT 'default',
	reason text,
	CONSTRAINT stage_events_pkey PRIMARY KEY (waterfall, unit_id, entered_at, stage),
	CONSTRAINT stage_events_waterfall_fkey FOREIGN KEY (waterfall) REFERENCES @extschema@.waterfalls (name),
	CONSTRAINT stage_events_stage_fkey FOREIGN KEY (waterfall, stage)
		REFERENCES @extschema@.waterfall_stages (waterfall, stage),
	CONSTRAINT stage_events_unit_id_not_empty CHECK (unit_id <> ''),
	CONSTRAINT stage_events_entered_at_finite CHECK (entered_at > '-infinity' AND entered_at < 'infinity'),
	CONSTRAINT stage_events_reason_not_empty CHECK (reason <> '')
);
CREATE INDEX stage_events_waterfall_stage_entered_at_idx ON @extschema@.stage_events (waterfall, stage, entered_at);
COMMENT ON TABLE @extschema@.stage_events IS
	'Demand waterfall history: each row says a unit (lead, contact, account, opportunity) entered a stage';
COMMENT ON COLUMN @extschema@.stage_events.unit_id IS 'The unit moving through the waterfall (a contact_id for a contact waterfall)';
COMMENT ON COLUMN @extschema@.stage_events.stage IS 'The stage entered (a ladder or exit stage of the waterfall)';
COMMENT ON COLUMN @extschema@.stage_events.entered_at IS 'When the unit entered the stage';
COMMENT ON COLUMN @extschema@.stage_events.waterfall IS 'The waterfall (waterfalls.name)';
COMMENT ON COLUMN @extschema@.stage_events.reason IS
	'Why sales rejected, recycled or disqualified the unit here (the feedback from sales to marketing); NULL for none';

CREATE TABLE @extschema@.stage_targets (
	waterfall text NOT NULL DEFAULT 'default',
	period date NOT NULL,
	stage text NOT NULL,
	target numeric NOT NULL,
	grain text NOT NULL DEFAULT 'month',
	CONSTRAINT stage_targets_pkey PRIMARY KEY (waterfall, grain, period, stage),
	CONSTRAINT stage_targets_waterfall_fkey FOREIGN KEY (waterfall) REFERENCES @extschema@.waterfalls (name),
	CONSTRAINT stage_targets_stage_fkey FOREIGN KEY (waterfall, stage)
		REFERENCES @extschema@.waterfall_stages (waterfall, stage),
	CONSTRAINT stage_targets_grain_known CHECK (grain IN ('month', 'quarter', 'year')),
	CONSTRAINT stage_targets_period_starts_grain CHECK (period = date_trunc(grain, period::timestamp)::date),
	CONSTRAINT stage_targets_target_not_negative CHECK (target >= 0 AND target < 1e15)
);
COMMENT ON TABLE @extschema@.stage_targets IS
	'Shared goals of marketing and sales: how many units should first enter each stage in each period';
COMMENT ON COLUMN @extschema@.stage_targets.waterfall IS 'The waterfall (waterfalls.name)';
COMMENT ON COLUMN @extschema@.stage_targets.period IS 'First day of the period (a month, quarter or year, see grain)';
COMMENT ON COLUMN @extschema@.stage_targets.stage IS 'The stage';
COMMENT ON COLUMN @extschema@.stage_targets.target IS 'Target number of first entries into the stage in the period';
COMMENT ON COLUMN @extschema@.stage_targets.grain IS 'Length of the period: month (default), quarter or year';

-- ---------------------------------------------------------------- built-in rows

INSERT INTO @extschema@.models (name, model, builtin, description) VALUES
	('first_touch', 'first_touch', true, 'All credit to the first touch'),
	('last_touch', 'last_touch', true, 'All credit to the last touch before the close'),
	('last_non_direct', 'last_non_direct', true, 'All credit to the last touch that is not direct'),
	('linear', 'linear', true, 'Equal credit to every touch'),
	('position_based', 'position_based', true, 'U-shaped: 40% first, 40% last, 20% shared by the middle'),
	('j_shaped', 'j_shaped', true, '20% first, 60% last, 20% shared by the middle'),
	('inverse_j', 'inverse_j', true, '60% first, 20% last, 20% shared by the middle'),
	('w_shaped', 'w_shaped', true, 'Pipeline model: 30% first, 30% lead creation, 30% opportunity creation, 10% middle; touches up to the opportunity''s creation'),
	('full_path', 'full_path', true, 'Z-shaped: 22.5% each to first, lead creation, opportunity creation and close, 10% middle'),
	('time_decay', 'time_decay', true, 'Credit halves every 7 days before the close');

INSERT INTO @extschema@.waterfalls (name, ladder, exits, unit, builtin, description) VALUES
	('default', '{inquiry,mql,sal,sql,opportunity,won}', '{disqualified,lost}', 'contact', true,
	 'The SiriusDecisions demand waterfall, per contact');

INSERT INTO @extschema@.waterfall_stages (waterfall, stage, rank, is_exit)
SELECT 'default', s, r::integer, r > 6
FROM unnest('{inquiry,mql,sal,sql,opportunity,won,disqualified,lost}'::text[]) WITH ORDINALITY u(s, r);

-- These small tables are never analyzed by autovacuum (too few changes):
-- without statistics the planner would take them for a few hundred rows
-- and overestimate every reporting query.
ANALYZE @extschema@.models, @extschema@.waterfalls, @extschema@.waterfall_stages;

-- ---------------------------------------------------------------- triggers on the configuration tables

-- The triggers read and write the table they fired on (TG_RELID), never the
-- table by name: on Citus the configuration tables are reference tables, a
-- trigger fires on every node's copy (shard) of the table and may only touch
-- that node's copies.  config_table() finds the copy of another
-- configuration table on the same node (on a single server, the table
-- itself).
CREATE FUNCTION @extschema@.config_table(fired_on regclass, base regclass, wanted regclass)
RETURNS regclass
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	shard bigint;
BEGIN
	IF fired_on = base THEN
		RETURN wanted;
	END IF;
	-- a shard of a reference table: the one shard of the wanted table,
	-- named after it, sits on every node beside it
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_shard') IS NOT NULL THEN
		EXECUTE 'SELECT min(shardid) FROM pg_catalog.pg_dist_shard WHERE logicalrelid = $1' INTO shard USING wanted;
	END IF;
	IF shard IS NULL THEN
		RAISE EXCEPTION 'no copy of % beside %', wanted, fired_on
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = 'A trigger of a configuration table fired on a copy of it, and the other configuration table is not a reference table.',
			HINT = 'Make every configuration table a reference table, as attribution.distribute() does.';
	END IF;
	RETURN pg_catalog.format('%I.%I', (SELECT n.nspname FROM pg_catalog.pg_class c
									   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = wanted),
							 (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = wanted) || '_' || shard)::regclass;
END
$$;
COMMENT ON FUNCTION @extschema@.config_table(regclass, regclass, regclass) IS
	'For the triggers of the configuration tables: the table wanted when the trigger fired on base itself, otherwise (a shard of a Citus reference table) the copy of wanted on the same node';

-- Built-in rows are marked builtin and left out of pg_dump (the extension
-- installs them again).  A change to a built-in row makes it a user row, so
-- pg_dump keeps the change; inserting a row with the name of a built-in row
-- replaces it (this is how a restore brings the change back).  Built-in
-- rows cannot be deleted (disable a model instead).
-- The work of both triggers: what a BEFORE trigger of a table of built-in
-- rows (rel, keyed by name, marked by builtin) returns for the operation op
-- on old_row or new_row.  An inserted row that replaces a built-in row sets
-- every other column of it.
CREATE FUNCTION @extschema@.protect_builtin(op text, rel regclass, old_row anyelement, new_row anyelement,
											noun text, delete_detail text, delete_hint text)
RETURNS anyelement
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	replaces boolean;
	assignments text;
BEGIN
	IF op = 'DELETE' THEN
		IF old_row.builtin THEN
			RAISE EXCEPTION 'built-in % "%" cannot be deleted', noun, old_row.name
				USING ERRCODE = 'restrict_violation', DETAIL = delete_detail, HINT = delete_hint;
		END IF;
		RETURN old_row;
	END IF;
	new_row.builtin := false;
	IF op = 'INSERT' THEN
		EXECUTE format('SELECT EXISTS (SELECT FROM %s r WHERE r.name = $1 AND r.builtin)', rel)
		INTO replaces USING new_row.name;
		IF replaces THEN
			SELECT string_agg(format('%I = ($1).%I', a.attname, a.attname), ', ' ORDER BY a.attnum) INTO assignments
			FROM pg_attribute a
			WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped AND a.attname NOT IN ('name', 'builtin');
			EXECUTE format('UPDATE %s r SET %s WHERE r.name = ($1).name', rel, assignments) USING new_row;
			RETURN NULL;
		END IF;
	END IF;
	RETURN new_row;
END
$$;
COMMENT ON FUNCTION @extschema@.protect_builtin(text, regclass, anyelement, anyelement, text, text, text) IS
	'For protect_builtin_models() and protect_builtin_waterfalls(): the row a trigger of a table of built-in rows returns; a changed built-in row becomes a user row, an inserted row replaces the built-in row of its name, built-in rows cannot be deleted';

CREATE FUNCTION @extschema@.protect_builtin_models() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN @extschema@.protect_builtin(TG_OP, TG_RELID, OLD, NEW, 'model',
		'The extension installs its built-in models; a restore would bring the row back.',
		'Set enabled = false to stop reporting it.');
END
$$;
COMMENT ON FUNCTION @extschema@.protect_builtin_models() IS
	'Trigger of models: a changed built-in row becomes a user row, an inserted row replaces the built-in row of its name, built-in rows cannot be deleted';

CREATE TRIGGER models_protect_builtin BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.models
	FOR EACH ROW EXECUTE FUNCTION @extschema@.protect_builtin_models();

CREATE FUNCTION @extschema@.protect_builtin_waterfalls() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND NEW.name <> OLD.name THEN
		RAISE EXCEPTION 'a waterfall cannot be renamed'
			USING ERRCODE = 'feature_not_supported',
			DETAIL = format('Waterfall %L would become %L.', OLD.name, NEW.name),
			HINT = 'Insert a waterfall with the new name and move the stage events and targets to it.';
	END IF;
	RETURN @extschema@.protect_builtin(TG_OP, TG_RELID, OLD, NEW, 'waterfall',
		'The extension installs its built-in waterfall; a restore would bring the row back.',
		'Update its ladder and exits instead, or use a waterfall of your own.');
END
$$;
COMMENT ON FUNCTION @extschema@.protect_builtin_waterfalls() IS
	'Trigger of waterfalls: a changed built-in row becomes a user row, an inserted row replaces the built-in row of its name, built-in rows cannot be deleted or renamed';

CREATE TRIGGER waterfalls_protect_builtin BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.waterfalls
	FOR EACH ROW EXECUTE FUNCTION @extschema@.protect_builtin_waterfalls();

-- Keeps waterfall_stages in step with the ladder and exits.  A stage still
-- used by stage_events or stage_targets cannot disappear: the foreign key
-- rejects the change.
CREATE FUNCTION @extschema@.sync_waterfall_stages() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	stages regclass := @extschema@.config_table(TG_RELID, '@extschema@.waterfalls', '@extschema@.waterfall_stages');
BEGIN
	EXECUTE format('DELETE FROM %s s WHERE s.waterfall = $1 AND NOT s.stage = ANY ($2)', stages)
	USING NEW.name, NEW.ladder || NEW.exits;
	EXECUTE format('INSERT INTO %s AS s (waterfall, stage, rank, is_exit) '
				   'SELECT $1, u.stage, u.rank::integer, u.rank > $2 FROM unnest($3) WITH ORDINALITY u(stage, rank) '
				   'ON CONFLICT (waterfall, stage) DO UPDATE SET rank = excluded.rank, is_exit = excluded.is_exit', stages)
	USING NEW.name, cardinality(NEW.ladder), NEW.ladder || NEW.exits;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.sync_waterfall_stages() IS
	'Trigger of waterfalls: keeps waterfall_stages in step with the ladders and exits';

CREATE TRIGGER waterfalls_sync_stages AFTER INSERT OR UPDATE OF ladder, exits ON @extschema@.waterfalls
	FOR EACH ROW EXECUTE FUNCTION @extschema@.sync_waterfall_stages();

-- ---------------------------------------------------------------- pg_dump

SELECT pg_catalog.pg_extension_config_dump('@extschema@.contacts', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.opportunities', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.opportunity_contacts', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.touchpoints', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.campaign_costs', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.models', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.waterfalls', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.stage_events', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.stage_targets', '');
-- Reporting layer: comments travel with copies.  copy_comments() gives a
-- view made from another (a performance view from performance_by_grain, a
-- published or materialized copy) the comments of its source.

-- ---------------------------------------------------------------- comments travel with copies

CREATE FUNCTION @extschema@.copy_comments(source regclass, target regclass, relation_comment text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind text;
	copied integer := 0;
	col record;
BEGIN
	IF source IS NULL OR target IS NULL THEN
		RAISE EXCEPTION 'source and target of copy_comments must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'The comments of one relation are copied to another.',
			HINT = 'Give both relations.';
	END IF;
	SELECT CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'TABLE' WHEN 'v' THEN 'VIEW'
						  WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' END
	INTO kind
	FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) target;
	IF kind IS NULL THEN
		RAISE EXCEPTION '"%" is not a table or view', target
			USING ERRCODE = 'wrong_object_type',
			DETAIL = 'Comments are copied to a table, view, materialized view or foreign table.',
			HINT = 'Give a relation of one of these kinds as the target.';
	END IF;
	relation_comment := coalesce(relation_comment, pg_catalog.obj_description(source, 'pg_class'));
	IF relation_comment IS NOT NULL THEN
		EXECUTE pg_catalog.format('COMMENT ON %s %s IS %L', kind, target, relation_comment);
		copied := copied OPERATOR(pg_catalog.+) 1;
	END IF;
	-- the columns of the same name
	FOR col IN
		SELECT t.attname, pg_catalog.col_description(source, s.attnum) AS description
		FROM pg_catalog.pg_attribute s
		JOIN pg_catalog.pg_attribute t ON t.attrelid OPERATOR(pg_catalog.=) target
			AND t.attname OPERATOR(pg_catalog.=) s.attname AND t.attnum OPERATOR(pg_catalog.>) 0
			AND NOT t.attisdropped
		WHERE s.attrelid OPERATOR(pg_catalog.=) source AND s.attnum OPERATOR(pg_catalog.>) 0 AND NOT s.attisdropped
		  AND pg_catalog.col_description(source, s.attnum) IS NOT NULL
		ORDER BY t.attnum
	LOOP
		EXECUTE pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', target, col.attname, col.description);
		copied := copied OPERATOR(pg_catalog.+) 1;
	END LOOP;
	RETURN copied;
END
$$;
COMMENT ON FUNCTION @extschema@.copy_comments(regclass, regclass, text) IS
	'Copies the comment of a relation (or the one given) and the comments of its columns to the columns of the same name of another relation; returns the number of comments written';
-- Reporting layer, part 2a: the settings every reporting view follows,
-- whoever reads it.
--
-- reporting_time_zone: the time zone in which the views cut months, days
-- and cohorts (default UTC), so that a dashboard shows the same months
-- whatever the time zone of the BI client's session.

CREATE FUNCTION @extschema@.check_setting(name text, value text)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF name OPERATOR(pg_catalog.=) 'reporting_time_zone' THEN
		IF value IS NULL THEN
			RETURN true;		-- NOT NULL is the column's business
		END IF;
		BEGIN
			PERFORM pg_catalog.timezone(value, timestamptz '2000-01-01 00:00:00+00');
		EXCEPTION WHEN invalid_parameter_value OR feature_not_supported THEN
			RAISE EXCEPTION 'time zone "%" is not recognized', value
				USING ERRCODE = 'check_violation',
				DETAIL = 'The reporting time zone must be a time zone name PostgreSQL knows.',
				HINT = 'Use a name of pg_timezone_names, such as ''UTC'' or ''Europe/Berlin''.';
		END;
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.check_setting(text, text) IS
	'Check constraint of settings: true when the value is valid for the setting, otherwise an error naming the problem';

CREATE TABLE @extschema@.settings (
	name text NOT NULL,
	value text NOT NULL,
	CONSTRAINT settings_pkey PRIMARY KEY (name),
	CONSTRAINT settings_name_known CHECK (name IN ('reporting_time_zone')),
	CONSTRAINT settings_value_valid CHECK (@extschema@.check_setting(name, value))
);
COMMENT ON TABLE @extschema@.settings IS
	'Settings of the reporting views (no row: the default): reporting_time_zone (default UTC) is the time zone of their months, days and cohorts';
COMMENT ON COLUMN @extschema@.settings.name IS 'Name of the setting: reporting_time_zone';
COMMENT ON COLUMN @extschema@.settings.value IS 'Its value (a time zone name for reporting_time_zone)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.settings', '');
-- read by every view that cuts time into months or days
GRANT SELECT ON @extschema@.settings TO PUBLIC;

CREATE FUNCTION @extschema@.reporting_time_zone()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce((SELECT s.value FROM @extschema@.settings s
					 WHERE s.name OPERATOR(pg_catalog.=) 'reporting_time_zone'), 'UTC')
$$;
COMMENT ON FUNCTION @extschema@.reporting_time_zone() IS
	'The time zone in which the reporting views cut months, days and cohorts: the setting reporting_time_zone, UTC by default';
-- Reporting layer, part 2: bring your own tables.
--
-- The views never read the tables above directly: they read six source
-- views, source_touchpoints_view ... source_campaign_costs_view, one per
-- kind of source.  By default a source view reads the extension's own table
-- (a member reading a member: the planner sees the table, and so does Citus
-- when the table is distributed).  use_source(kind, relation) checks the
-- columns of the user's table or view and points the kind at it:
--
-- - by default through the kind's source function, source_touchpoints() ...
--   source_campaign_costs(): a one-SELECT SQL function that the planner
--   inlines into the calling query (so filters reach the user's relation and
--   its indexes are used), whose body is re-created to read the relation.  A
--   function body is not a dependency: DROP ... CASCADE of the user's
--   relation only makes the views fail with "relation does not exist" until
--   use_source is called again.  A view of the extension that read the
--   user's relation would make the extension depend on it, and PostgreSQL
--   would then drop the whole extension with its data in that cascade.
-- - with direct => true, the source view reads the relation itself, which
--   Citus needs to plan over a distributed table of the user's (it plans
--   before PostgreSQL inlines SQL functions, so it cannot see through one).
--   The extension then depends on the relation: a DROP without CASCADE is
--   refused by PostgreSQL, and one with CASCADE by the extension's event
--   trigger guard (see drop_guard.c), which refuses any command that would
--   drop the extension unless it names the extension or its schema.
--
-- Every source view is security_invoker and no function is SECURITY
-- DEFINER, so privileges and row-level security apply to whoever queries.
-- The choice lives in the table sources (dumped by pg_dump); a trigger
-- re-creates the source function and view whenever a row changes, so a
-- restore re-applies the choice by itself.

-- ---------------------------------------------------------------- what every source must provide

CREATE VIEW @extschema@.source_columns WITH (security_invoker = true) AS
SELECT kind, position, column_name, data_type, required, default_value, accepted_types
FROM (VALUES
	('touchpoints', 1, 'touchpoint_id', 'bigint', true, NULL, '{smallint,integer,bigint}'::text[]),
	('touchpoints', 2, 'contact_id', 'text', true, NULL, NULL),
	('touchpoints', 3, 'touched_at', 'timestamp with time zone', true, NULL, '{}'),
	('touchpoints', 4, 'channel', 'text', true, NULL, NULL),
	('touchpoints', 5, 'campaign', 'text', false, 'NULL', NULL),
	('touchpoints', 6, 'is_direct', 'boolean', false, 'NULL', '{}'),
	('contacts', 1, 'contact_id', 'text', true, NULL, NULL),
	('contacts', 2, 'account_id', 'text', true, NULL, NULL),
	('contacts', 3, 'created_at', 'timestamp with time zone', true, NULL, '{}'),
	('opportunities', 1, 'opportunity_id', 'text', true, NULL, NULL),
	('opportunities', 2, 'account_id', 'text', true, NULL, NULL),
	('opportunities', 3, 'created_at', 'timestamp with time zone', true, NULL, '{}'),
	('opportunities', 4, 'closed_at', 'timestamp with time zone', true, NULL, '{}'),
	('opportunities', 5, 'is_won', 'boolean', true, NULL, '{}'),
	('opportunities', 6, 'amount', 'numeric', true, NULL, '{smallint,integer,bigint,real,"double precision"}'),
	('opportunity_contacts', 1, 'opportunity_id', 'text', true, NULL, NULL),
	('opportunity_contacts', 2, 'contact_id', 'text', true, NULL, NULL),
	('opportunity_contacts', 3, 'role', 'text', false, '''contact''', NULL),
	('stage_events', 1, 'unit_id', 'text', true, NULL, NULL),
	('stage_events', 2, 'stage', 'text', true, NULL, NULL),
	('stage_events', 3, 'entered_at', 'timestamp with time zone', true, NULL, '{}'),
	('stage_events', 4, 'waterfall', 'text', false, '''default''', NULL),
	('stage_events', 5, 'reason', 'text', false, 'NULL', NULL),
	('campaign_costs', 1, 'campaign', 'text', true, NULL, NULL),
	('campaign_costs', 2, 'channel', 'text', true, NULL, NULL),
	('campaign_costs', 3, 'spent_on', 'date', true, NULL, '{}'),
	('campaign_costs', 4, 'cost', 'numeric', true, NULL, '{smallint,integer,bigint,real,"double precision"}')
) AS c(kind, position, column_name, data_type, required, default_value, other_types),
LATERAL (SELECT CASE
	WHEN c.data_type = 'text' THEN '{text,"character varying",character,name,uuid,smallint,integer,bigint}'::text[]
	ELSE c.data_type || c.other_types END AS accepted_types) a;
COMMENT ON VIEW @extschema@.source_columns IS
	'The columns a table or view must have to be used with use_source(), per kind of source';
COMMENT ON COLUMN @extschema@.source_columns.kind IS
	'Kind of source: touchpoints, contacts, opportunities, opportunity_contacts, stage_events or campaign_costs';
COMMENT ON COLUMN @extschema@.source_columns.position IS 'Order of the column in the source';
COMMENT ON COLUMN @extschema@.source_columns.column_name IS 'Name the column must have';
COMMENT ON COLUMN @extschema@.source_columns.data_type IS 'Type the reporting layer reads it as';
COMMENT ON COLUMN @extschema@.source_columns.required IS 'False: the column may be missing, default_value is used instead';
COMMENT ON COLUMN @extschema@.source_columns.default_value IS 'Value used when an optional column is missing';
COMMENT ON COLUMN @extschema@.source_columns.accepted_types IS
	'Types accepted for the column (domains count as their base type); other than data_type they are cast to it';
-- constants, for everyone (the tables and views with data have no grants)
GRANT SELECT ON @extschema@.source_columns TO PUBLIC;

-- Like known_model(): a kind of source written in a filter or given to a
-- function that takes one must be one of source_columns.
CREATE FUNCTION @extschema@.known_source_kind(kind text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM @extschema@.source_columns c WHERE c.kind OPERATOR(pg_catalog.=) known_source_kind.kind) THEN
		RAISE EXCEPTION 'unknown kind of source "%"', kind
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = 'A source replaces one of the built-in tables.',
			HINT = 'Use touchpoints, contacts, opportunities, opportunity_contacts, stage_events or campaign_costs.';
	END IF;
	RETURN kind;
END
$$;
COMMENT ON FUNCTION @extschema@.known_source_kind(text) IS
	'Returns a kind of source (touchpoints, contacts, opportunities, opportunity_contacts, stage_events or campaign_costs) unchanged, fails on any other name: for filters that must not be silently empty';

-- The SELECT that reads a source: the built-in table when relation is NULL,
-- otherwise the relation's columns checked against source_columns and cast
-- to the types the views expect.
CREATE FUNCTION @extschema@.source_query(kind text, relation text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rel oid;
	relkind "char";
	qualified text;
	spec record;
	col record;
	cast_type text;
	items text[] := '{}';
	missing text[];
BEGIN
	IF kind IS NULL THEN
		RAISE EXCEPTION 'kind of source must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'A source replaces one of the built-in tables.',
			HINT = 'Use touchpoints, contacts, opportunities, opportunity_contacts, stage_events or campaign_costs.';
	END IF;
	PERFORM @extschema@.known_source_kind(kind);
	IF relation IS NULL THEN
		qualified := pg_catalog.format('%I.%I', '@extschema@', kind);
	ELSE
		rel := pg_catalog.to_regclass(relation);
		IF rel IS NULL THEN
			RAISE EXCEPTION 'relation "%" does not exist', relation
				USING ERRCODE = 'undefined_table',
				DETAIL = pg_catalog.format('It was given as the source of %s.', kind),
				HINT = 'Give the name of an existing table or view, schema-qualified if it is not on the search_path.';
		END IF;
		SELECT c.relkind, pg_catalog.format('%I.%I', n.nspname, c.relname) INTO relkind, qualified
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = rel;
		IF relkind NOT IN ('r', 'p', 'v', 'm', 'f') THEN
			RAISE EXCEPTION '"%" is not a table or view', relation
				USING ERRCODE = 'wrong_object_type',
				DETAIL = pg_catalog.format('It was given as the source of %s.', kind),
				HINT = 'Give a table, partitioned table, view, materialized view or foreign table.';
		END IF;
		IF EXISTS (SELECT FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
				   WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = rel AND d.deptype = 'e'
				   AND e.extname = 'attribution')
			AND qualified <> pg_catalog.format('%I.%I', '@extschema@', kind) THEN
			RAISE EXCEPTION '"%" belongs to the attribution extension', relation
				USING ERRCODE = 'invalid_parameter_value',
				DETAIL = pg_catalog.format('Only a relation of your own, or the built-in table %s, can be the source of %s.',
								pg_catalog.format('%I.%I', '@extschema@', kind), kind),
				HINT = 'Give a table or view of your own.';
		END IF;
		-- every missing column at once, not one per attempt
		SELECT pg_catalog.array_agg(c.column_name ORDER BY c.position) INTO missing
		FROM @extschema@.source_columns c
		WHERE c.kind OPERATOR(pg_catalog.=) source_query.kind AND c.required
		  AND NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
						  WHERE a.attrelid OPERATOR(pg_catalog.=) rel
							AND a.attname OPERATOR(pg_catalog.=) c.column_name
							AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped);
		IF missing IS NOT NULL THEN
			RAISE EXCEPTION '%', pg_catalog.format('%s %s of %s %s missing',
					CASE WHEN pg_catalog.cardinality(missing) OPERATOR(pg_catalog.=) 1 THEN 'column' ELSE 'columns' END,
					(SELECT pg_catalog.string_agg(pg_catalog.format('"%s"', m), ', ') FROM pg_catalog.unnest(missing) m),
					qualified,
					CASE WHEN pg_catalog.cardinality(missing) OPERATOR(pg_catalog.=) 1 THEN 'is' ELSE 'are' END)
				USING ERRCODE = 'undefined_column',
				DETAIL = pg_catalog.format('A source of %s needs the columns %s.', kind,
					(SELECT pg_catalog.string_agg(pg_catalog.format('%s %s', c.column_name, c.data_type), ', ' ORDER BY c.position)
					 FROM @extschema@.source_columns c WHERE c.kind OPERATOR(pg_catalog.=) source_query.kind AND c.required)),
				HINT = 'Rename the columns in a view over your table, for example SELECT my_column AS '
					|| missing[1] || ' ...';
		END IF;
	END IF;

	FOR spec IN SELECT * FROM @extschema@.source_columns c WHERE c.kind = source_query.kind ORDER BY c.position
	LOOP
		-- the body runs on the search_path of whoever queries the views (it
		-- is inlined): its casts name their types with the schema
		SELECT pg_catalog.format('%I.%I', n.nspname, t.typname) INTO cast_type
		FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
		WHERE t.oid = spec.data_type::regtype;
		IF relation IS NULL THEN
			items := pg_catalog.array_append(items, pg_catalog.format('%I::%s AS %I', spec.column_name, cast_type, spec.column_name));
			CONTINUE;
		END IF;
		SELECT a.attname,
			   pg_catalog.format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END, NULL) AS type_name,
			   pg_catalog.format_type(a.atttypid, a.atttypmod) AS declared
		INTO col
		FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = rel AND a.attname = spec.column_name AND a.attnum > 0 AND NOT a.attisdropped;
		IF NOT FOUND THEN
			-- an optional column (the required ones were checked above)
			items := pg_catalog.array_append(items, pg_catalog.format('%s::%s AS %I', spec.default_value,
								  cast_type, spec.column_name));
			CONTINUE;
		END IF;
		IF NOT col.type_name = ANY (spec.accepted_types) THEN
			RAISE EXCEPTION 'column "%" of % has type %, not %', spec.column_name, qualified, col.declared,
				spec.data_type
				USING ERRCODE = 'datatype_mismatch',
				DETAIL = pg_catalog.format('Accepted types for %s: %s.', spec.column_name, pg_catalog.array_to_string(spec.accepted_types, ', ')),
				HINT = CASE WHEN spec.data_type = 'timestamp with time zone' AND col.type_name = 'timestamp without time zone'
					THEN pg_catalog.format('Convert it in a view over your table, for example SELECT %I AT TIME ZONE ''UTC'' AS %I ...',
								spec.column_name, spec.column_name)
					ELSE pg_catalog.format('Cast it in a view over your table, for example SELECT %I::%s AS %I ...',
								spec.column_name, spec.data_type, spec.column_name) END;
		END IF;
		-- cast even to the same base type: a domain or a typmod would change
		-- the type of the source view's column
		items := pg_catalog.array_append(items, pg_catalog.format('s.%I::%s AS %I', spec.column_name,
							  cast_type, spec.column_name));
	END LOOP;
	RETURN pg_catalog.format('SELECT %s FROM %s%s', pg_catalog.array_to_string(items, ', '), qualified,
				  CASE WHEN relation IS NULL THEN '' ELSE ' s' END);
END
$$;
COMMENT ON FUNCTION @extschema@.source_query(text, text) IS
	'The SELECT the source function of a kind runs for a relation (NULL: the built-in table), after checking its columns';

-- Whether a relation is a Citus table or a view that reads one (through
-- views); false without Citus.
CREATE FUNCTION @extschema@.reads_citus_table(relation regclass)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	found boolean;
BEGIN
	IF relation IS NULL OR pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
		RETURN false;
	END IF;
	EXECUTE 'WITH RECURSIVE rels(oid) AS ('
			'	SELECT $1::oid'
			'	UNION'
			'	SELECT d.refobjid FROM rels r'
			'	JOIN pg_catalog.pg_rewrite w ON w.ev_class = r.oid'
			'	JOIN pg_catalog.pg_depend d ON d.classid = ''pg_catalog.pg_rewrite''::pg_catalog.regclass AND d.objid = w.oid'
			'		AND d.refclassid = ''pg_catalog.pg_class''::pg_catalog.regclass AND d.refobjid <> r.oid)'
			' SELECT EXISTS (SELECT 1 FROM rels JOIN pg_catalog.pg_dist_partition p ON p.logicalrelid = rels.oid)'
	INTO found USING relation;
	RETURN found;
END
$$;
COMMENT ON FUNCTION @extschema@.reads_citus_table(regclass) IS
	'True when the relation is a Citus table or a view that reads one; false without Citus';

-- Re-creates the source function and the source view of one kind to read
-- the relation given (NULL: the built-in table): the view reads the
-- relation itself when it is the built-in table or direct is true,
-- otherwise it reads the function.
--
-- The function is one SELECT in SQL, which the planner inlines into the
-- calling query, except over a Citus table: Citus plans a query before
-- PostgreSQL inlines SQL functions, so an inlined body would read the
-- coordinator's empty copy of the table; a PL/pgSQL body runs its query
-- by itself, which Citus plans (the rows then travel to the coordinator).
-- Whether the relation is a Citus table is decided here: after
-- distributing a relation a source reads, call use_source() again
-- (distribute() does it for the built-in tables).
CREATE FUNCTION @extschema@.source_apply(kind text, relation text, direct boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	query text := @extschema@.source_query(kind, relation);
	result_columns text;
	function_columns text;
BEGIN
	SELECT string_agg(format('%I %s', c.column_name, c.data_type), ', ' ORDER BY c.position),
		   string_agg(format('s.%I', c.column_name), ', ' ORDER BY c.position)
	INTO result_columns, function_columns
	FROM @extschema@.source_columns c WHERE c.kind = source_apply.kind;
	IF @extschema@.reads_citus_table(coalesce(to_regclass(relation), format('%I.%I', '@extschema@', kind)::regclass)) THEN
		EXECUTE format('CREATE OR REPLACE FUNCTION %I.%I() RETURNS TABLE(%s) LANGUAGE plpgsql STABLE PARALLEL RESTRICTED AS %L',
					   '@extschema@', 'source_' || kind, result_columns,
					   E'\n#variable_conflict use_column\nBEGIN\n\tRETURN QUERY ' || query || E';\nEND\n');
	ELSE
		EXECUTE format('CREATE OR REPLACE FUNCTION %I.%I() RETURNS TABLE(%s) LANGUAGE sql STABLE PARALLEL SAFE AS %L',
					   '@extschema@', 'source_' || kind, result_columns, ' ' || query || ' ');
	END IF;
	IF relation IS NOT NULL AND NOT coalesce(direct, false) THEN
		query := format('SELECT %s FROM %I.%I() s', function_columns, '@extschema@', 'source_' || kind);
	END IF;
	EXECUTE format('CREATE OR REPLACE VIEW %I.%I WITH (security_invoker = true) AS %s',
				   '@extschema@', 'source_' || kind || '_view', query);
END
$$;
COMMENT ON FUNCTION @extschema@.source_apply(text, text, boolean) IS
	'Re-creates the source function and view of a kind to read the relation (NULL: the built-in table; direct: the view reads the relation itself, not the function); called by the trigger of sources';

-- ---------------------------------------------------------------- the source functions and views (built-in bodies)

-- Each kind's source function and source view are made by source_apply(),
-- as use_source(kind, NULL) makes them again: they read the built-in table,
-- every column cast to the type of source_columns (numeric without a
-- typmod, for instance), so that the view keeps its column types whatever
-- it reads.
DO $$
DECLARE
	k text;
	what text;
BEGIN
	FOR k IN SELECT DISTINCT c.kind FROM @extschema@.source_columns c ORDER BY c.kind LOOP
		PERFORM @extschema@.source_apply(k, NULL);
		what := pg_catalog.format('The %s the reporting views read: the built-in table, or the relation set with use_source()',
								  pg_catalog.replace(k, '_', ' '));
		EXECUTE pg_catalog.format('COMMENT ON FUNCTION %I.%I() IS %L', '@extschema@', 'source_' || k, what);
		EXECUTE pg_catalog.format('COMMENT ON VIEW %I.%I IS %L', '@extschema@', 'source_' || k || '_view', what);
	END LOOP;
END
$$;
COMMENT ON COLUMN @extschema@.source_touchpoints_view.touchpoint_id IS 'Identifier of the touchpoint (unique; breaks ties between touches at the same time)';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.contact_id IS 'The contact who was touched';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.touched_at IS 'When the touch happened';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.channel IS 'Channel of the touch';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.campaign IS 'Campaign of the touch; NULL for none';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.is_direct IS 'True for a direct touch; NULL: direct when the channel is ''direct''';

COMMENT ON COLUMN @extschema@.source_contacts_view.contact_id IS 'Identifier of the contact';
COMMENT ON COLUMN @extschema@.source_contacts_view.account_id IS 'Account of the contact';
COMMENT ON COLUMN @extschema@.source_contacts_view.created_at IS 'When the contact became a lead';

COMMENT ON COLUMN @extschema@.source_opportunities_view.opportunity_id IS 'Identifier of the opportunity';
COMMENT ON COLUMN @extschema@.source_opportunities_view.account_id IS 'Account of the opportunity';
COMMENT ON COLUMN @extschema@.source_opportunities_view.created_at IS 'When the opportunity was created';
COMMENT ON COLUMN @extschema@.source_opportunities_view.closed_at IS 'When it was closed, won or lost; NULL while open';
COMMENT ON COLUMN @extschema@.source_opportunities_view.is_won IS 'True for a closed-won opportunity';
COMMENT ON COLUMN @extschema@.source_opportunities_view.amount IS 'Amount of the opportunity';

COMMENT ON COLUMN @extschema@.source_opportunity_contacts_view.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.source_opportunity_contacts_view.contact_id IS 'A contact of the opportunity';
COMMENT ON COLUMN @extschema@.source_opportunity_contacts_view.role IS 'The contact''s role on the opportunity';

COMMENT ON COLUMN @extschema@.source_stage_events_view.unit_id IS 'The unit moving through the waterfall';
COMMENT ON COLUMN @extschema@.source_stage_events_view.stage IS 'The stage entered';
COMMENT ON COLUMN @extschema@.source_stage_events_view.entered_at IS 'When the unit entered the stage';
COMMENT ON COLUMN @extschema@.source_stage_events_view.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.source_stage_events_view.reason IS 'Why the unit was rejected, recycled or disqualified here; NULL for none';

COMMENT ON COLUMN @extschema@.source_campaign_costs_view.campaign IS 'The campaign';
COMMENT ON COLUMN @extschema@.source_campaign_costs_view.channel IS 'The channel the money was spent in';
COMMENT ON COLUMN @extschema@.source_campaign_costs_view.spent_on IS 'The day of the spend';
COMMENT ON COLUMN @extschema@.source_campaign_costs_view.cost IS 'The amount spent that day';

-- They pass rows through with the rights of whoever queries (security
-- invoker: the privileges and row-level security of the table, or of the
-- user's relation and the source function, apply), so SELECT on the views
-- themselves gives nothing away; granted to everyone, a role that may read
-- a reporting view and its tables needs no grant on them.
GRANT SELECT ON @extschema@.source_touchpoints_view, @extschema@.source_contacts_view,
	@extschema@.source_opportunities_view, @extschema@.source_opportunity_contacts_view,
	@extschema@.source_stage_events_view, @extschema@.source_campaign_costs_view TO PUBLIC;

-- ---------------------------------------------------------------- the choice, and how it is applied

CREATE TABLE @extschema@.sources (
	kind text NOT NULL,
	relation text NOT NULL,
	direct boolean NOT NULL DEFAULT false,
	CONSTRAINT sources_pkey PRIMARY KEY (kind),
	CONSTRAINT sources_kind_known CHECK (kind IN ('touchpoints', 'contacts', 'opportunities',
		'opportunity_contacts', 'stage_events', 'campaign_costs'))
);
COMMENT ON TABLE @extschema@.sources IS
	'Your own tables or views the reporting layer reads instead of the built-in tables (set with use_source(); no row: the built-in table)';
COMMENT ON COLUMN @extschema@.sources.kind IS 'Kind of source (see source_columns)';
COMMENT ON COLUMN @extschema@.sources.relation IS 'Schema-qualified name of the table, view, materialized view or foreign table';
COMMENT ON COLUMN @extschema@.sources.direct IS
	'True: the source view reads the relation itself (Citus can plan it; the extension depends on the relation), false: through the source function';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sources', '');

CREATE FUNCTION @extschema@.sources_apply() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		PERFORM @extschema@.source_apply(OLD.kind, NULL);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		PERFORM @extschema@.source_apply(NEW.kind, NEW.relation, NEW.direct);
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.sources_apply() IS
	'Trigger of sources: re-creates the source functions and views of the changed kinds';

CREATE TRIGGER sources_apply AFTER INSERT OR UPDATE OR DELETE ON @extschema@.sources
	FOR EACH ROW EXECUTE FUNCTION @extschema@.sources_apply();

-- Switches the source of one kind to a relation that use_source() resolved
-- on the caller's search_path (resolved; NULL when it found none, and then
-- relation is reported as missing).  Concurrent switches queue on the lock
-- of sources: re-creating a function that another transaction re-creates
-- at the same time would fail.
CREATE FUNCTION @extschema@.switch_source(kind text, relation text, resolved regclass,
										  direct boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	qualified text;
	problems text;
BEGIN
	IF direct IS NULL THEN
		RAISE EXCEPTION 'direct must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'direct says whether the reporting views read the relation itself or through the source function.',
			HINT = 'Leave it out (false), or pass true for a relation Citus must see, such as a distributed table.';
	END IF;
	LOCK TABLE @extschema@.sources IN SHARE ROW EXCLUSIVE MODE;
	IF resolved IS NOT NULL THEN
		SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) INTO qualified
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = resolved;
	END IF;
	IF relation IS NOT NULL AND qualified IS NULL THEN
		qualified := relation;		-- reported as missing below, as given
	END IF;
	-- checks the kind and, if given, the relation and its columns
	PERFORM @extschema@.source_query(kind, qualified);
	IF qualified = pg_catalog.format('%I.%I', '@extschema@', kind) THEN
		qualified := NULL;		-- the built-in table itself
	END IF;
	IF qualified IS NULL THEN
		DELETE FROM @extschema@.sources s WHERE s.kind = switch_source.kind;
		IF NOT FOUND THEN
			PERFORM @extschema@.source_apply(kind, NULL);
		END IF;
	ELSE
		INSERT INTO @extschema@.sources AS s (kind, relation, direct) VALUES (switch_source.kind, qualified, switch_source.direct)
		ON CONFLICT ON CONSTRAINT sources_pkey DO UPDATE SET relation = excluded.relation, direct = excluded.direct;
	END IF;
	-- do the sources still agree?  (a quick look at the first rows)
	SELECT pg_catalog.string_agg(pg_catalog.format('%s, %s: %s', c.kind, c."check", c.detail), E'\n' ORDER BY c.n)
	INTO problems
	FROM (SELECT x.*, pg_catalog.row_number() OVER () AS n FROM @extschema@.check_sources(10000) x) c
	WHERE c.status OPERATOR(pg_catalog.=) ANY ('{warning,error}');
	IF problems IS NOT NULL THEN
		RAISE WARNING 'the sources of the reporting views disagree'
			USING DETAIL = problems,
			HINT = 'See SELECT * FROM attribution.check_sources(); for every check on all rows. A kind you have not pointed at your data yet still reads the built-in table.';
	END IF;
	RETURN coalesce(qualified, pg_catalog.format('%I.%I', '@extschema@', kind));
END
$$;
COMMENT ON FUNCTION @extschema@.switch_source(text, text, regclass, boolean) IS
	'The work of use_source() once the relation''s name is resolved: checks it, records it in sources and re-creates the source function; concurrent calls queue';

-- The name is resolved here, on the caller's search_path; the rest runs
-- with a pinned one.
CREATE FUNCTION @extschema@.use_source(kind text, relation text, direct boolean DEFAULT false)
RETURNS text
LANGUAGE sql
AS $$ SELECT @extschema@.switch_source(kind, relation, pg_catalog.to_regclass(relation), direct) $$;
COMMENT ON FUNCTION @extschema@.use_source(text, text, boolean) IS
	'Points the reporting views at your own table or view for one kind of source (touchpoints, contacts, ...) after checking its columns, and warns when check_sources() finds the sources disagree; NULL: back to the built-in table; direct: the views read the relation itself (needed for a distributed table on Citus; the extension then depends on it). Returns the relation now read';

-- ---------------------------------------------------------------- the guard against cascades

-- Refuses a DDL command that would drop the extension without naming it
-- (a DROP ... CASCADE that reaches a member through a relation a direct
-- source reads, for example); see drop_guard.c.
CREATE FUNCTION @extschema@.drop_guard() RETURNS event_trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'attribution_drop_guard';
COMMENT ON FUNCTION @extschema@.drop_guard() IS
	'Event trigger at ddl_command_start: lets only DROP EXTENSION, DROP SCHEMA of the extension''s schema or DROP OWNED drop the extension';

CREATE EVENT TRIGGER attribution_drop_guard ON ddl_command_start
	EXECUTE FUNCTION @extschema@.drop_guard();
COMMENT ON EVENT TRIGGER attribution_drop_guard IS
	'Keeps a DROP ... CASCADE of another object from dropping the attribution extension with its data';
-- Reporting layer, part 3: the opportunity journey and the rule-based views.
--
-- Every view is security_invoker, so privileges and row-level security of
-- the tables behind the source views apply to whoever queries it.

-- ---------------------------------------------------------------- the opportunity journey

CREATE VIEW @extschema@.opportunity_touchpoints WITH (security_invoker = true) AS
SELECT o.opportunity_id, t.touchpoint_id, t.contact_id, t.touched_at, t.channel, t.campaign,
	   coalesce(t.is_direct, t.channel = 'direct') AS is_direct
FROM @extschema@.source_opportunities_view o
JOIN (SELECT DISTINCT oc.opportunity_id, oc.contact_id FROM @extschema@.source_opportunity_contacts_view oc) oc
	ON oc.opportunity_id = o.opportunity_id
JOIN @extschema@.source_touchpoints_view t ON t.contact_id = oc.contact_id
WHERE o.closed_at IS NULL OR t.touched_at <= o.closed_at;
COMMENT ON VIEW @extschema@.opportunity_touchpoints IS
	'The journey of every opportunity: the touchpoints of all its contacts, each once, up to its close';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.touchpoint_id IS 'The touchpoint';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.contact_id IS 'The contact who was touched';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.touched_at IS 'When';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.channel IS 'Channel of the touch';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.campaign IS 'Campaign of the touch';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.is_direct IS 'Direct touch (is_direct, or channel ''direct'' when is_direct is NULL)';

CREATE VIEW @extschema@.opportunity_journeys WITH (security_invoker = true) AS
SELECT o.opportunity_id, o.account_id, o.created_at, o.closed_at, o.is_won, o.amount,
	   CASE WHEN o.closed_at IS NULL THEN 'open' WHEN o.is_won THEN 'won' ELSE 'lost' END AS status,
	   m.lead_created_at, coalesce(m.contacts, 0) AS contacts,
	   coalesce(t.touches, 0) AS touches, t.first_touched_at, t.last_touched_at
FROM @extschema@.source_opportunities_view o
LEFT JOIN (
	SELECT oc.opportunity_id, min(c.created_at) AS lead_created_at, count(DISTINCT oc.contact_id) AS contacts
	FROM @extschema@.source_opportunity_contacts_view oc
	JOIN @extschema@.source_contacts_view c ON c.contact_id = oc.contact_id
	GROUP BY oc.opportunity_id
) m ON m.opportunity_id = o.opportunity_id
LEFT JOIN (
	SELECT ot.opportunity_id, count(*) AS touches, min(ot.touched_at) AS first_touched_at,
		   max(ot.touched_at) AS last_touched_at
	FROM @extschema@.opportunity_touchpoints ot
	GROUP BY ot.opportunity_id
) t ON t.opportunity_id = o.opportunity_id;
COMMENT ON VIEW @extschema@.opportunity_journeys IS
	'One row per opportunity with the milestones of its journey: lead creation (from its contacts), opportunity creation and close';
COMMENT ON COLUMN @extschema@.opportunity_journeys.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.opportunity_journeys.account_id IS 'Its account';
COMMENT ON COLUMN @extschema@.opportunity_journeys.created_at IS 'Opportunity creation: the opportunity-creation milestone';
COMMENT ON COLUMN @extschema@.opportunity_journeys.closed_at IS 'Close (won or lost): the closed milestone and the end of the journey; NULL while open';
COMMENT ON COLUMN @extschema@.opportunity_journeys.is_won IS 'True when closed won';
COMMENT ON COLUMN @extschema@.opportunity_journeys.amount IS 'Amount of the opportunity';
COMMENT ON COLUMN @extschema@.opportunity_journeys.status IS 'open, won or lost';
COMMENT ON COLUMN @extschema@.opportunity_journeys.lead_created_at IS
	'Lead creation: the earliest created_at of the opportunity''s contacts (NULL without contacts)';
COMMENT ON COLUMN @extschema@.opportunity_journeys.contacts IS 'Number of distinct contacts on the opportunity';
COMMENT ON COLUMN @extschema@.opportunity_journeys.touches IS 'Touchpoints in the journey (up to the close)';
COMMENT ON COLUMN @extschema@.opportunity_journeys.first_touched_at IS 'Time of the first touch of the journey';
COMMENT ON COLUMN @extschema@.opportunity_journeys.last_touched_at IS 'Time of the last touch of the journey (at or before the close)';

-- ---------------------------------------------------------------- credits per model and opportunity

-- One journey value per opportunity (journey_agg sorts its touches), then
-- credits() under every enabled model.  The journey's channel slot carries
-- only whether the touch is direct ('direct' or 'other', with
-- direct_channels '{direct}'), so the per-touch is_direct flag decides
-- last_non_direct; channel, campaign and contact are joined back on the
-- touchpoint id, which must therefore be unique and not NULL (the primary
-- key of the built-in table; a requirement on a source of your own).
--
-- Money is allocated in whole cents by cumulative rounding: in journey
-- order, a touch gets round(A x credits up to and including it / all
-- credits) - round(A x credits before it / all credits), A the amount in
-- cents.  The running sums and the products are numeric, so they are exact
-- whatever the amount (float8 would drift by cents at amounts of 10^12 and
-- hundreds of touches), and the last touch's running sum is all credits.
-- Each touch is within a cent of credit x amount (up to the precision of the
-- float8 credit), no touch with zero credit gets a cent, and the touches of
-- an opportunity add up exactly to its amount, so any sum over channels,
-- campaigns or months is exact to the cent.  Credits are shown the same way
-- to six decimals (round(credits up to and including the touch / all
-- credits, 6) - round(credits before it / all credits, 6)): the credits of
-- an opportunity add up exactly to 1.
CREATE VIEW @extschema@.opportunity_credits WITH (security_invoker = true) AS
SELECT m.name AS model, j.opportunity_id, j.account_id, j.created_at, j.is_won, j.amount,
	   c.touch_id AS touchpoint_id, c.position AS touch_number, c.credit,
	   coalesce(c.credit_cents, round(j.amount * 100)::bigint) AS pipeline_cents
FROM @extschema@.models m
CROSS JOIN @extschema@.opportunity_journeys j
LEFT JOIN (
	SELECT t.opportunity_id,
		   @extschema@.journey_agg(t.touched_at, CASE WHEN t.is_direct THEN 'direct' ELSE 'other' END,
								   t.touchpoint_id) AS journey
	FROM @extschema@.opportunity_touchpoints t
	GROUP BY t.opportunity_id
) jt ON jt.opportunity_id = j.opportunity_id
LEFT JOIN LATERAL (
	SELECT x.position, x.touch_id,
		   (round(x.upto / x.total, 6) - round((x.upto - x.credit::numeric) / x.total, 6))::numeric(7,6) AS credit,
		   (round(x.upto * round(j.amount * 100) / x.total)
			- round((x.upto - x.credit::numeric) * round(j.amount * 100) / x.total))::bigint AS credit_cents
	FROM (
		SELECT cr.position, cr.touch_id, cr.credit,
			   sum(cr.credit::numeric) OVER (ORDER BY cr.position ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
				   AS upto,
			   sum(cr.credit::numeric) OVER () AS total
		FROM @extschema@.credits(jt.journey, m.model, converted_at => j.closed_at, half_life => m.half_life,
								 lead_created_at => j.lead_created_at, opportunity_created_at => j.created_at,
								 closed_at => j.closed_at, direct_channels => '{direct}', weights => m.weights,
								 lookback => m.lookback) cr
	) x
) c ON true
WHERE m.enabled;
COMMENT ON VIEW @extschema@.opportunity_credits IS
	'Per enabled model and opportunity: the credited touches of its journey, or one row without a touchpoint when no touch is in the model''s window (unattributed)';
COMMENT ON COLUMN @extschema@.opportunity_credits.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.opportunity_credits.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.opportunity_credits.account_id IS 'Its account';
COMMENT ON COLUMN @extschema@.opportunity_credits.created_at IS 'When the opportunity was created';
COMMENT ON COLUMN @extschema@.opportunity_credits.is_won IS 'True when the opportunity was won';
COMMENT ON COLUMN @extschema@.opportunity_credits.amount IS 'Amount of the opportunity';
COMMENT ON COLUMN @extschema@.opportunity_credits.touchpoint_id IS 'The touchpoint credited; NULL on the row of an unattributed opportunity';
COMMENT ON COLUMN @extschema@.opportunity_credits.touch_number IS
	'Position of the touch in the journey (1 = first), ordered by (touched_at, touchpoint_id)';
COMMENT ON COLUMN @extschema@.opportunity_credits.credit IS
	'Share of the opportunity credited to the touch, to six decimals (the touches of an attributed opportunity sum exactly to 1); NULL when unattributed';
COMMENT ON COLUMN @extschema@.opportunity_credits.pipeline_cents IS
	'credit x amount as a whole number of cents (the whole amount on an unattributed row); an opportunity''s rows add up exactly to its amount';

CREATE VIEW @extschema@.opportunity_touch_credits WITH (security_invoker = true) AS
SELECT oc.model, oc.opportunity_id, oc.account_id, oc.touchpoint_id, t.contact_id, t.touched_at, t.channel,
	   t.campaign, oc.touch_number, oc.credit, (oc.pipeline_cents * 0.01)::numeric(16,2) AS pipeline_credit,
	   (CASE WHEN oc.is_won THEN oc.pipeline_cents ELSE 0 END * 0.01)::numeric(16,2) AS revenue_credit, oc.is_won
FROM @extschema@.opportunity_credits oc
JOIN @extschema@.source_touchpoints_view t ON t.touchpoint_id = oc.touchpoint_id;
COMMENT ON VIEW @extschema@.opportunity_touch_credits IS
	'Row-level attribution: every touch in the window of every opportunity''s journey under every enabled model, with its credit and its share of pipeline and revenue in cents';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.account_id IS 'Its account';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.touchpoint_id IS 'The touchpoint';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.contact_id IS 'The contact who was touched';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.touched_at IS 'When';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.channel IS 'Channel of the touch';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.campaign IS 'Campaign of the touch';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.touch_number IS
	'Position of the touch in the journey (1 = first), ordered by (touched_at, touchpoint_id)';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.credit IS
	'Share of the opportunity credited to the touch, to six decimals; the touches of one opportunity and model sum exactly to 1';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.pipeline_credit IS
	'credit x amount in whole cents; the touches of an opportunity add up exactly to its amount';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.revenue_credit IS 'pipeline_credit of a won opportunity, 0 otherwise';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.is_won IS 'True when the opportunity was won';

-- ---------------------------------------------------------------- performance per channel and campaign

-- Inlined into the views, so its body runs on the search_path of whoever
-- queries them: every operator, function and type is schema-qualified.
CREATE FUNCTION @extschema@.touch_key_part(touch_key text, part text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE
		WHEN part OPERATOR(pg_catalog.=) 'month' THEN
			pg_catalog.substr(touch_key, 2, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.-) 2)
			OPERATOR(pg_catalog.||) '-01'
		WHEN part OPERATOR(pg_catalog.=) 'channel' THEN
			pg_catalog.split_part(pg_catalog.substr(touch_key, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.+) 1),
								  pg_catalog.chr(31), 1)
		WHEN part OPERATOR(pg_catalog.=) 'campaign' THEN
			CASE WHEN pg_catalog.strpos(pg_catalog.substr(touch_key, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.+) 1),
										pg_catalog.chr(31)) OPERATOR(pg_catalog.>) 0
			THEN pg_catalog.substr(pg_catalog.substr(touch_key, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.+) 1),
								   pg_catalog.strpos(pg_catalog.substr(touch_key, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.+) 1),
													 pg_catalog.chr(31)) OPERATOR(pg_catalog.+) 1) END
		WHEN part OPERATOR(pg_catalog.=) 'direct' THEN
			CAST(pg_catalog.left(touch_key, 1) OPERATOR(pg_catalog.=) 'd' AS pg_catalog.text)
		END
$$;
COMMENT ON FUNCTION @extschema@.touch_key_part(text, text) IS
	'A part (month as YYYY-MM-01, channel, campaign or direct) of a touch key of credit_facts';

-- The aggregate views need the channel, campaign and month of each credited
-- touch, not its contact or its cents, so they read a lighter form of the
-- credits: the journey's channel slot carries a key of the direct flag,
-- the month of the touch, the channel and the campaign (the touch id breaks
-- every tie, so the key never decides an order), the touches are not
-- joined back, and the views add the credits up by key before they decode
-- it.  A channel name must therefore not contain chr(30) or chr(31) (the
-- record and unit separators), which end the month and the channel in the
-- key.
CREATE VIEW @extschema@.credit_facts WITH (security_invoker = true) AS
SELECT m.name AS model, j.opportunity_id, j.created_at, j.is_won, round(j.amount * 100)::bigint AS amount_cents,
	   c.touch_id AS touchpoint_id, c.touched_at, c.channel AS touch_key,
	   @extschema@.touch_key_part(c.channel, 'channel') AS channel,
	   @extschema@.touch_key_part(c.channel, 'campaign') AS campaign,
	   c.credit::numeric AS credit
FROM @extschema@.models m
CROSS JOIN @extschema@.opportunity_journeys j
LEFT JOIN (
	SELECT t.opportunity_id,
		   @extschema@.journey_agg(t.touched_at, t.key, t.touchpoint_id) AS journey,
		   coalesce(array_agg(t.key) FILTER (WHERE t.is_direct), '{}') AS direct_keys
	FROM (SELECT ot.opportunity_id, ot.touchpoint_id, ot.touched_at, ot.is_direct,
				 CASE WHEN ot.is_direct THEN 'd' ELSE 'n' END
				 || to_char(timezone((SELECT @extschema@.reporting_time_zone()), ot.touched_at), 'YYYY-MM') || chr(30)
				 || ot.channel || coalesce(chr(31) || ot.campaign, '') AS key
		  FROM @extschema@.opportunity_touchpoints ot) t
	GROUP BY t.opportunity_id
) jt ON jt.opportunity_id = j.opportunity_id
LEFT JOIN LATERAL @extschema@.credits(jt.journey, m.model, converted_at => j.closed_at, half_life => m.half_life,
		lead_created_at => j.lead_created_at, opportunity_created_at => j.created_at, closed_at => j.closed_at,
		direct_channels => jt.direct_keys, weights => m.weights, lookback => m.lookback) c ON true
WHERE m.enabled;
COMMENT ON VIEW @extschema@.credit_facts IS
	'The credits the performance views add up: per enabled model, the credited touches of every opportunity (channel, campaign, time), or one row without a touch for an unattributed opportunity';
COMMENT ON COLUMN @extschema@.credit_facts.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.credit_facts.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.credit_facts.created_at IS 'When the opportunity was created';
COMMENT ON COLUMN @extschema@.credit_facts.is_won IS 'True when the opportunity was won';
COMMENT ON COLUMN @extschema@.credit_facts.amount_cents IS 'Amount of the opportunity in whole cents';
COMMENT ON COLUMN @extschema@.credit_facts.touchpoint_id IS 'The touchpoint credited; NULL when the opportunity is unattributed';
COMMENT ON COLUMN @extschema@.credit_facts.touched_at IS 'When the touch happened';
COMMENT ON COLUMN @extschema@.credit_facts.touch_key IS
	'The touch''s direct flag (d or n), month (YYYY-MM, in the reporting time zone), chr(30), channel, chr(31) and campaign in one value, to add up by';
COMMENT ON COLUMN @extschema@.credit_facts.channel IS 'Channel of the touch';
COMMENT ON COLUMN @extschema@.credit_facts.campaign IS 'Campaign of the touch';
COMMENT ON COLUMN @extschema@.credit_facts.credit IS
	'Share of the opportunity credited to the touch, to 15 significant digits (what the performance views add up); NULL when unattributed';

-- ---------------------------------------------------------------- credit totals, live or maintained

-- The performance views add up performance_totals: the credits of
-- credit_facts summed per model, touch key and month of the opportunity's
-- creation.  Every measure is a sum, and a numeric one, so exact: that is
-- what lets refresh_performance() keep a stored copy up to date by adding
-- the totals of the opportunities that changed and taking away their old
-- ones, and the stored totals then equal the live ones whatever the order
-- of the changes.  The query is written once, here: the live view runs it
-- over all opportunities, the refresh once per changed opportunity (the
-- one whose id is d.opportunity_id in the query around it; a filter on one
-- opportunity reaches every table behind credit_facts, so only its rows are
-- read).
CREATE FUNCTION @extschema@.performance_totals_query(per_opportunity boolean)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT 'SELECT ' || CASE WHEN per_opportunity THEN 'f.opportunity_id, ' ELSE '' END
	|| 'f.model, f.touch_key, '
	|| 'date_trunc(''month'', timezone((SELECT @extschema@.reporting_time_zone()), f.created_at))::date AS created_month, '
	|| 'count(f.touchpoint_id) AS touches, sum(coalesce(f.credit, 1)) AS opportunities, '
	|| 'sum(CASE WHEN f.is_won THEN coalesce(f.credit, 1) ELSE 0 END) AS won, '
	|| 'sum(coalesce(f.credit, 1) * f.amount_cents) AS pipeline_cents, '
	|| 'sum(CASE WHEN f.is_won THEN coalesce(f.credit, 1) * f.amount_cents ELSE 0 END) AS revenue_cents '
	|| 'FROM @extschema@.credit_facts f '
	|| CASE WHEN per_opportunity THEN 'WHERE f.opportunity_id = d.opportunity_id GROUP BY 1, 2, 3, 4 OFFSET 0'
			ELSE 'GROUP BY 1, 2, 3' END
$$;
COMMENT ON FUNCTION @extschema@.performance_totals_query(boolean) IS
	'The query of performance_totals over all opportunities, or (per_opportunity) over the one whose id is d.opportunity_id, grouped by it too';

-- Re-creates performance_totals: live (the query above), or reading the
-- totals refresh_performance() keeps (maintain_performance()).
CREATE FUNCTION @extschema@.performance_totals_apply(maintained boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	EXECUTE format('CREATE OR REPLACE VIEW %I.performance_totals WITH (security_invoker = true) AS %s', '@extschema@',
		CASE WHEN maintained
			 THEN 'SELECT t.model, t.touch_key, t.created_month, t.touches, t.opportunities, t.won, t.pipeline_cents, '
				  || 't.revenue_cents FROM @extschema@.maintained_performance_totals t'
			 ELSE @extschema@.performance_totals_query(false) END);
END
$$;
COMMENT ON FUNCTION @extschema@.performance_totals_apply(boolean) IS
	'Re-creates performance_totals to compute the totals live, or (maintained) to read the totals refresh_performance() keeps';

SELECT @extschema@.performance_totals_apply(false);
COMMENT ON VIEW @extschema@.performance_totals IS
	'The credits the performance views add up, summed per enabled model, touch key and month of the opportunity''s creation: computed live, or read from the totals refresh_performance() keeps after maintain_performance()';
COMMENT ON COLUMN @extschema@.performance_totals.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.performance_totals.touch_key IS
	'The touch key of credit_facts (direct flag, month, channel, campaign); NULL for the unattributed opportunities';
COMMENT ON COLUMN @extschema@.performance_totals.created_month IS
	'First day of the month in which the opportunities were created (reporting time zone)';
COMMENT ON COLUMN @extschema@.performance_totals.touches IS 'Credited touches';
COMMENT ON COLUMN @extschema@.performance_totals.opportunities IS
	'Sum of the credits (an unattributed opportunity counts 1)';
COMMENT ON COLUMN @extschema@.performance_totals.won IS 'The same for won opportunities';
COMMENT ON COLUMN @extschema@.performance_totals.pipeline_cents IS 'Sum of credit x amount in cents, exact';
COMMENT ON COLUMN @extschema@.performance_totals.revenue_cents IS 'The same for won opportunities';

-- The performance views are one computation at four grains: credits and
-- costs are each added up to the grain before they meet, so a cost row is
-- never repeated; every model gets a (zero) credit row for every key with
-- spend, so spend without credited touches shows too.  The model column
-- always comes from models or credit_facts, so a filter on it reaches the
-- credits.  The unattributed opportunities of a model form one row (per
-- month, in the monthly grains) with attributed = false and NULL channel
-- and campaign, so every model's rows add up to the whole pipeline.

-- One row per grain (channel, campaign, month: the month of the touch and
-- of the spend; created_month: the month of the opportunity's creation,
-- without spend), model and key.  Each performance view reads one grain; a
-- filter on grain reaches the VALUES list of the grains, so a view
-- computes its own grain only.  Columns that are not part of a grain are
-- NULL there.  Whole cents: the floor of every row, and the cents left over
-- to the rows with the largest remainders, so a model's rows add up exactly.
CREATE VIEW @extschema@.performance_by_grain WITH (security_invoker = true) AS
WITH grains(grain) AS NOT MATERIALIZED (
	VALUES ('channel'), ('campaign'), ('month'), ('created_month')
),
credits AS (
	SELECT c.grain, c.model, c.month, c.channel, c.campaign, c.attributed, sum(c.touches)::bigint AS touches,
		   sum(c.opportunities) AS attributed_opportunities, sum(c.won) AS attributed_won,
		   sum(c.pipeline_cents) AS pipeline_cents, sum(c.revenue_cents) AS revenue_cents, sum(c.cost) AS cost
	FROM (
		SELECT k.grain, k.model,
			   CASE k.grain WHEN 'month' THEN coalesce(@extschema@.touch_key_part(k.touch_key, 'month')::date, k.created_month)
							WHEN 'created_month' THEN k.created_month END AS month,
			   @extschema@.touch_key_part(k.touch_key, 'channel') AS channel,
			   CASE WHEN k.grain <> 'channel' THEN @extschema@.touch_key_part(k.touch_key, 'campaign') END AS campaign,
			   k.touch_key IS NOT NULL AS attributed, k.touches, k.opportunities, k.won, k.pipeline_cents,
			   k.revenue_cents, NULL::numeric AS cost
		FROM (
			-- added up by touch key first (and by the month of creation where
			-- the grain needs it), decoded after
			SELECT g.grain, t.model, t.touch_key,
				   CASE WHEN g.grain = 'created_month' OR (g.grain = 'month' AND t.touch_key IS NULL)
						THEN t.created_month
				   END AS created_month,
				   sum(t.touches) AS touches, sum(t.opportunities) AS opportunities, sum(t.won) AS won,
				   sum(t.pipeline_cents) AS pipeline_cents, sum(t.revenue_cents) AS revenue_cents
			FROM @extschema@.performance_totals t CROSS JOIN grains g
			GROUP BY 1, 2, 3, 4
		) k
		UNION ALL
		-- every model gets a row for all spend, even where no touch was credited
		SELECT s.grain, m.name, s.month, s.channel, s.campaign, true, 0, 0, 0, 0, 0, s.cost
		FROM @extschema@.models m
		CROSS JOIN (
			SELECT g.grain, CASE WHEN g.grain = 'month' THEN date_trunc('month', co.spent_on)::date END AS month,
				   co.channel, CASE WHEN g.grain <> 'channel' THEN co.campaign END AS campaign, sum(co.cost) AS cost
			FROM @extschema@.source_campaign_costs_view co CROSS JOIN grains g
			WHERE g.grain <> 'created_month'
			GROUP BY 1, 2, 3, 4
		) s
		WHERE m.enabled
	) c
	GROUP BY c.grain, c.model, c.month, c.channel, c.campaign, c.attributed
),
ranked AS (
	SELECT cr.*,
		   round(sum(cr.pipeline_cents) OVER w) - sum(floor(cr.pipeline_cents)) OVER w AS pipeline_left,
		   round(sum(cr.revenue_cents) OVER w) - sum(floor(cr.revenue_cents)) OVER w AS revenue_left,
		   row_number() OVER (w ORDER BY cr.pipeline_cents - floor(cr.pipeline_cents) DESC, cr.attributed DESC,
							  cr.month, cr.channel, cr.campaign, cr.touches DESC) AS pipeline_rank,
		   row_number() OVER (w ORDER BY cr.revenue_cents - floor(cr.revenue_cents) DESC, cr.attributed DESC,
							  cr.month, cr.channel, cr.campaign, cr.touches DESC) AS revenue_rank
	FROM credits cr
	WINDOW w AS (PARTITION BY cr.grain, cr.model)
),
performance AS (
	SELECT r.grain, r.model, r.month, r.channel, r.campaign, r.attributed, r.touches, r.attributed_opportunities,
		   r.attributed_won,
		   ((floor(r.pipeline_cents) + CASE WHEN r.pipeline_rank <= r.pipeline_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS pipeline,
		   ((floor(r.revenue_cents) + CASE WHEN r.revenue_rank <= r.revenue_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS revenue,
		   r.cost::numeric(16,2) AS cost
	FROM ranked r
)
SELECT grain, model, month, channel, campaign, attributed, touches,
	   round(attributed_opportunities, 4) AS attributed_opportunities,
	   round(attributed_won, 4) AS attributed_won,
	   pipeline, revenue, cost,
	   round((revenue - cost) / nullif(cost, 0), 4) AS roi,
	   round(cost / nullif(attributed_opportunities, 0), 2) AS cost_per_opportunity,
	   round(cost / nullif(attributed_won, 0), 2) AS cost_per_won
FROM performance;
COMMENT ON VIEW @extschema@.performance_by_grain IS
	'Internal to the performance views: attributed touches, pipeline, revenue, cost and ROI per grain (channel, campaign, month, created_month), enabled model and key';
COMMENT ON COLUMN @extschema@.performance_by_grain.grain IS
	'channel, campaign, month (of the touch and of the spend) or created_month (of the opportunity, without cost)';
COMMENT ON COLUMN @extschema@.performance_by_grain.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.performance_by_grain.month IS
	'First day of the month of the touches and of the spend (unattributed row: of the opportunities'' creation), in the reporting time zone';
COMMENT ON COLUMN @extschema@.performance_by_grain.channel IS 'Channel; NULL on the unattributed row';
COMMENT ON COLUMN @extschema@.performance_by_grain.campaign IS 'Campaign; NULL for touches without a campaign and on the unattributed row';
COMMENT ON COLUMN @extschema@.performance_by_grain.attributed IS
	'False on the row of the opportunities with no touch in the model''s window (unattributed, not lost)';
COMMENT ON COLUMN @extschema@.performance_by_grain.touches IS 'Touches in the models'' windows of the opportunities'' journeys';
COMMENT ON COLUMN @extschema@.performance_by_grain.attributed_opportunities IS
	'Sum of the credits: opportunities attributed, as a fraction (unattributed row: the number of those opportunities)';
COMMENT ON COLUMN @extschema@.performance_by_grain.attributed_won IS 'The same for won opportunities';
COMMENT ON COLUMN @extschema@.performance_by_grain.pipeline IS
	'Attributed pipeline (credit x amount of every opportunity) in cents, rounded so that a model''s rows add up exactly to the total amount';
COMMENT ON COLUMN @extschema@.performance_by_grain.revenue IS
	'Attributed revenue (credit x amount of won opportunities) in cents, rounded so that a model''s rows add up exactly to the won amount';
COMMENT ON COLUMN @extschema@.performance_by_grain.cost IS 'Spend of the channel (and campaign, and month) in campaign_costs; NULL when none';
COMMENT ON COLUMN @extschema@.performance_by_grain.roi IS '(revenue - cost) / cost; NULL without cost';
COMMENT ON COLUMN @extschema@.performance_by_grain.cost_per_opportunity IS 'cost / attributed_opportunities';
COMMENT ON COLUMN @extschema@.performance_by_grain.cost_per_won IS 'cost / attributed_won: cost per attributed won deal';

-- The performance views are the grains of performance_by_grain, with its
-- column comments (copy_comments()) and their own where they differ.
CREATE VIEW @extschema@.channel_performance WITH (security_invoker = true) AS
SELECT p.model, p.channel, p.attributed, p.touches, p.attributed_opportunities, p.attributed_won, p.pipeline,
	   p.revenue, p.cost, p.roi, p.cost_per_opportunity, p.cost_per_won
FROM @extschema@.performance_by_grain p
WHERE p.grain = 'channel';
SELECT @extschema@.copy_comments('@extschema@.performance_by_grain', '@extschema@.channel_performance',
	'Attributed touches, pipeline, revenue, cost and ROI per enabled model and channel, over all time');
COMMENT ON COLUMN @extschema@.channel_performance.cost IS 'Spend recorded for the channel in campaign_costs; NULL when none';

CREATE VIEW @extschema@.campaign_performance WITH (security_invoker = true) AS
SELECT p.model, p.channel, p.campaign, p.attributed, p.touches, p.attributed_opportunities, p.attributed_won,
	   p.pipeline, p.revenue, p.cost, p.roi, p.cost_per_opportunity, p.cost_per_won
FROM @extschema@.performance_by_grain p
WHERE p.grain = 'campaign';
SELECT @extschema@.copy_comments('@extschema@.performance_by_grain', '@extschema@.campaign_performance',
	'Attributed touches, pipeline, revenue, cost and ROI per enabled model, channel and campaign, over all time');
COMMENT ON COLUMN @extschema@.campaign_performance.cost IS 'Spend recorded for the campaign and channel in campaign_costs; NULL when none';

-- The month of a credit is the month of its touch, so spend and the credit
-- of the touches it bought fall in the same month; unattributed
-- opportunities count in the month of their creation.
CREATE VIEW @extschema@.campaign_performance_monthly WITH (security_invoker = true) AS
SELECT p.model, p.month, p.channel, p.campaign, p.attributed, p.touches, p.attributed_opportunities,
	   p.attributed_won, p.pipeline, p.revenue, p.cost, p.roi, p.cost_per_opportunity, p.cost_per_won
FROM @extschema@.performance_by_grain p
WHERE p.grain = 'month';
SELECT @extschema@.copy_comments('@extschema@.performance_by_grain', '@extschema@.campaign_performance_monthly',
	'campaign_performance per month: credits in the month of their touch, spend in the month it was spent');
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.cost IS 'Spend of the campaign and channel in the month; NULL when none';

-- campaign_performance_monthly puts a credit in the month of its touch, so
-- spend and the touches it bought meet.  Pipeline reports count a deal in
-- the month it was created: this view does, for every credit of the deal.
-- Spend has no creation month, so there is no cost here.
CREATE VIEW @extschema@.campaign_pipeline_by_created_month WITH (security_invoker = true) AS
SELECT p.model, p.month AS created_month, p.channel, p.campaign, p.attributed, p.touches,
	   p.attributed_opportunities, p.attributed_won, p.pipeline, p.revenue
FROM @extschema@.performance_by_grain p
WHERE p.grain = 'created_month';
SELECT @extschema@.copy_comments('@extschema@.performance_by_grain', '@extschema@.campaign_pipeline_by_created_month',
	'Attributed pipeline and revenue per enabled model, month of the opportunity''s creation, channel and campaign (pipeline reports; campaign_performance_monthly uses the month of the touch instead)');
COMMENT ON COLUMN @extschema@.campaign_pipeline_by_created_month.created_month IS
	'First day of the month in which the opportunities were created (reporting time zone)';
-- Reporting layer, part 4: a deterministic demo data generator.
--
-- generate_demo_data(opportunities, seed) fills the canonical tables with a
-- realistic B2B data set: accounts of varying quality, contacts who touch
-- marketing over weeks, campaigns with daily costs, opportunities with
-- several contacts (some with two roles), wins and losses, and the demand
-- waterfall of every contact with recycling, disqualification and the
-- reasons sales gave, the waterfall 'deals' of every opportunity through the
-- sales stages (its unit is the opportunity, so won deals count as deals),
-- plus monthly stage targets.  Every random number is a
-- hash of (seed, entity, attribute), so the same arguments give the same
-- rows whatever the plan, and a larger size keeps the smaller one's shape.

CREATE FUNCTION @extschema@.demo_uniform(seed bigint, entity bigint, attribute integer)
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	-- inlinable, so everything is schema-qualified (the caller's search_path applies)
	SELECT CAST(((pg_catalog.hashint8extended((entity OPERATOR(pg_catalog.*) 1000) OPERATOR(pg_catalog.+) attribute, seed)
				  OPERATOR(pg_catalog.>>) 11) OPERATOR(pg_catalog.&) 9007199254740991) AS pg_catalog.float8)
		   OPERATOR(pg_catalog./) 9007199254740992.0
$$;
COMMENT ON FUNCTION @extschema@.demo_uniform(bigint, bigint, integer) IS
	'A number in [0, 1) that depends only on (seed, entity, attribute): the random source of generate_demo_data';

CREATE FUNCTION @extschema@.generate_demo_data(opportunities integer DEFAULT 3000, seed bigint DEFAULT 42)
RETURNS TABLE(table_name text, rows_loaded bigint)
LANGUAGE plpgsql
-- the generated rows are many more than the planner can guess, and
-- compiling the expressions would take longer than running them
SET jit = off
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n_opp_accounts integer;
	scale float8;
	busy text;
	citus_mode text;
	t0 constant timestamptz := '2024-01-01 00:00:00+00';
	as_of constant timestamptz := '2025-12-31 00:00:00+00';
BEGIN
	IF opportunities IS NULL OR seed IS NULL THEN
		RAISE EXCEPTION 'arguments of generate_demo_data must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'The size and the seed decide every row of the data set.',
			HINT = 'Call generate_demo_data(3000, 42), or leave out the arguments for these defaults.';
	END IF;
	IF opportunities < 1 OR opportunities > 1000000 THEN
		RAISE EXCEPTION 'number of demo opportunities must be between 1 and 1000000'
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = format('%s opportunities were asked for.', opportunities),
			HINT = 'A few thousand opportunities make a demo that answers in about a second.';
	END IF;
	-- On Citus, opportunities and the configuration tables are reference
	-- tables that the distributed tables point at: a transaction that read
	-- or wrote distributed tables in parallel can no longer modify them, so
	-- the whole load runs over one connection per node.
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		citus_mode := current_setting('citus.multi_shard_modify_mode');
		PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
	END IF;
	SELECT string_agg(t, ', ') INTO busy FROM (
		SELECT 'contacts' AS t WHERE EXISTS (SELECT 1 FROM @extschema@.contacts)
		UNION ALL SELECT 'opportunities' WHERE EXISTS (SELECT 1 FROM @extschema@.opportunities)
		UNION ALL SELECT 'touchpoints' WHERE EXISTS (SELECT 1 FROM @extschema@.touchpoints)
		UNION ALL SELECT 'campaign_costs' WHERE EXISTS (SELECT 1 FROM @extschema@.campaign_costs)
		UNION ALL SELECT 'stage_events' WHERE EXISTS (SELECT 1 FROM @extschema@.stage_events)
		UNION ALL SELECT 'stage_targets' WHERE EXISTS (SELECT 1 FROM @extschema@.stage_targets)) s;
	IF EXISTS (SELECT 1 FROM @extschema@.waterfalls w WHERE w.name = 'deals'
			   AND (w.ladder, w.exits, w.unit) IS DISTINCT FROM ('{discovery,proposal,negotiation,won}'::text[], '{lost}'::text[], 'opportunity')) THEN
		RAISE EXCEPTION 'the demo data needs the waterfall "deals" it defines'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = 'A waterfall named deals exists with another ladder, exits or unit.',
			HINT = 'Run it in a fresh database, or rename your waterfall deals.';
	END IF;
	IF busy IS NOT NULL THEN
		RAISE EXCEPTION 'the demo data needs empty tables'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = format('These tables already hold rows: %s.', busy),
			HINT = 'Run it in a fresh database, or empty the tables first (TRUNCATE attribution.contacts, attribution.opportunities, attribution.campaign_costs, attribution.stage_events, attribution.stage_targets CASCADE).';
	END IF;

	n_opp_accounts := ceil(opportunities * 0.8);
	scale := opportunities / 3000.0;

	-- accounts: the first n_opp_accounts get the opportunities, as many
	-- again only produce leads; quality drives conversion, wins and channels
	CREATE TEMP TABLE demo_accounts ON COMMIT DROP AS
	SELECT a AS account_key, 'A' || lpad(a::text, 7, '0') AS account_id,
		   @extschema@.demo_uniform(seed, a, 101) AS quality,
		   t0 + @extschema@.demo_uniform(seed, a, 102) * interval '700 days' AS engaged_at,
		   1 + floor(@extschema@.demo_uniform(seed, a, 103) * 5)::integer AS contact_count
	FROM generate_series(1, 2 * n_opp_accounts) a;
	ANALYZE demo_accounts;

	-- contacts: each touches marketing 2 to 10 times, a few days apart, and
	-- becomes a lead at one of its first three touches
	CREATE TEMP TABLE demo_contacts ON COMMIT DROP AS
	SELECT c.*, c.first_at + (c.lead_touch - 1) * c.gap
			   + @extschema@.demo_uniform(seed, c.contact_key * 16 + c.lead_touch, 301) * 0.8 * c.gap AS created_at
	FROM (
		SELECT a.account_key, a.account_id, a.quality, a.account_key * 8 + i AS contact_key, i AS contact_number,
			   'C' || lpad((a.account_key * 8 + i)::text, 8, '0') AS contact_id,
			   a.engaged_at + (i - 1) * interval '6 days'
				   + @extschema@.demo_uniform(seed, a.account_key * 8 + i, 201) * interval '20 days' AS first_at,
			   n.touch_count,
			   interval '1 day' * (3 + 12 * @extschema@.demo_uniform(seed, a.account_key * 8 + i, 202)) AS gap,
			   1 + floor(@extschema@.demo_uniform(seed, a.account_key * 8 + i, 203) * least(3, n.touch_count))::integer
				   AS lead_touch
		FROM demo_accounts a, generate_series(1, a.contact_count) i,
			 LATERAL (SELECT 2 + floor(@extschema@.demo_uniform(seed, a.account_key * 8 + i, 204) * 9)::integer
					  AS touch_count) n
	) c;
	ANALYZE demo_contacts;

	INSERT INTO @extschema@.contacts (contact_id, account_id, created_at)
	SELECT contact_id, account_id, created_at FROM demo_contacts WHERE created_at <= as_of;

	-- touchpoints: first touches come from acquisition channels, middle ones
	-- from nurture, late ones from sales; good accounts attend more webinars
	-- and events
	CREATE TEMP TABLE demo_touches ON COMMIT DROP AS
	SELECT t.*, CASE WHEN t.channel IN ('organic_search', 'referral', 'direct') THEN NULL
					 ELSE t.channel_prefix || '_' || to_char(t.touched_at AT TIME ZONE 'UTC', 'YYYY"q"Q') END AS campaign
	FROM (
		SELECT s.*, CASE s.channel
				WHEN 'paid_search' THEN CASE WHEN s.u_campaign < 0.4 THEN 'search_brand' ELSE 'search_generic' END
				WHEN 'paid_social' THEN CASE WHEN s.u_campaign < 0.5 THEN 'social_abm' ELSE 'social_retargeting' END
				WHEN 'display' THEN 'display_programmatic'
				WHEN 'email' THEN CASE WHEN s.u_campaign < 0.7 THEN 'email_nurture' ELSE 'email_newsletter' END
				WHEN 'webinar' THEN 'webinar_series'
				WHEN 'events' THEN 'events_tradeshow'
				WHEN 'content' THEN 'content_syndication'
				WHEN 'sales_outreach' THEN 'sdr_outbound'
				ELSE NULL END AS channel_prefix
		FROM (
			SELECT r.contact_id, r.touchpoint_id, r.touched_at, r.u_campaign,
				   CASE
					   WHEN r.u_boost < 0.35 * r.quality AND r.k > 1
						   THEN CASE WHEN r.u_channel < 0.6 THEN 'webinar' ELSE 'events' END
					   WHEN r.k = 1 THEN CASE
						   WHEN r.u_channel < 0.25 THEN 'paid_search' WHEN r.u_channel < 0.45 THEN 'organic_search'
						   WHEN r.u_channel < 0.60 THEN 'paid_social' WHEN r.u_channel < 0.72 THEN 'display'
						   WHEN r.u_channel < 0.84 THEN 'content' WHEN r.u_channel < 0.92 THEN 'referral'
						   WHEN r.u_channel < 0.96 THEN 'events' ELSE 'webinar' END
					   WHEN r.phase < 0.7 THEN CASE
						   WHEN r.u_channel < 0.35 THEN 'email' WHEN r.u_channel < 0.48 THEN 'webinar'
						   WHEN r.u_channel < 0.60 THEN 'content' WHEN r.u_channel < 0.70 THEN 'paid_social'
						   WHEN r.u_channel < 0.80 THEN 'paid_search' WHEN r.u_channel < 0.86 THEN 'events'
						   WHEN r.u_channel < 0.91 THEN 'display' WHEN r.u_channel < 0.96 THEN 'organic_search'
						   ELSE 'direct' END
					   ELSE CASE
						   WHEN r.u_channel < 0.30 THEN 'sales_outreach' WHEN r.u_channel < 0.50 THEN 'email'
						   WHEN r.u_channel < 0.70 THEN 'direct' WHEN r.u_channel < 0.80 THEN 'webinar'
						   WHEN r.u_channel < 0.88 THEN 'events' ELSE 'paid_search' END
				   END AS channel
			FROM (
				SELECT c.contact_id, c.quality, k, c.contact_key * 16 + k AS touchpoint_id,
					   (k - 1)::float8 / (c.touch_count - 1) AS phase,
					   c.first_at + (k - 1) * c.gap
						   + @extschema@.demo_uniform(seed, c.contact_key * 16 + k, 301) * 0.8 * c.gap AS touched_at,
					   @extschema@.demo_uniform(seed, c.contact_key * 16 + k, 302) AS u_channel,
					   @extschema@.demo_uniform(seed, c.contact_key * 16 + k, 303) AS u_boost,
					   @extschema@.demo_uniform(seed, c.contact_key * 16 + k, 304) AS u_campaign
				FROM demo_contacts c, generate_series(1, c.touch_count) k
				WHERE c.created_at <= as_of
			) r
		) s
	) t
	WHERE t.touched_at <= as_of;
	CREATE INDEX ON demo_touches (contact_id, touched_at);
	ANALYZE demo_touches;

	INSERT INTO @extschema@.touchpoints (touchpoint_id, contact_id, touched_at, channel, campaign, is_direct)
	SELECT touchpoint_id, contact_id, touched_at, channel, campaign, channel = 'direct'
	FROM demo_touches;

	-- daily spend of every campaign of every quarter
	INSERT INTO @extschema@.campaign_costs (campaign, channel, spent_on, cost)
	SELECT p.prefix || '_' || to_char(d, 'YYYY"q"Q'), p.channel, d::date,
		   round((3.5 * p.daily * scale * (0.6 + 0.8 * @extschema@.demo_uniform(seed, p.n * 10000 + (d::date - date '2024-01-01'), 701)))::numeric, 2)
	FROM (VALUES (1, 'search_brand', 'paid_search', 260.0), (2, 'search_generic', 'paid_search', 420.0),
				 (3, 'social_abm', 'paid_social', 330.0), (4, 'social_retargeting', 'paid_social', 180.0),
				 (5, 'display_programmatic', 'display', 240.0), (6, 'email_nurture', 'email', 45.0),
				 (7, 'email_newsletter', 'email', 25.0), (8, 'webinar_series', 'webinar', 160.0),
				 (9, 'events_tradeshow', 'events', 520.0), (10, 'content_syndication', 'content', 210.0),
				 (11, 'sdr_outbound', 'sales_outreach', 380.0)) p(n, prefix, channel, daily),
		 generate_series(timestamp '2024-01-01', timestamp '2025-12-31', interval '1 day') d;

	-- opportunities: one per account, a second one for the first accounts
	CREATE TEMP TABLE demo_opportunities ON COMMIT DROP AS
	SELECT o.*,
		   CASE WHEN o.u_closes < 0.85 AND o.created_at + o.cycle <= as_of THEN o.created_at + o.cycle END AS closed_at
	FROM (
		SELECT i AS opportunity_key, 'O' || lpad(i::text, 7, '0') AS opportunity_id, a.account_key, a.account_id,
			   a.quality,
			   least(a.engaged_at + interval '1 day' * (20 + 60 * @extschema@.demo_uniform(seed, i, 401))
						 + ((i - 1) / n_opp_accounts) * interval '1 day' * (90 + 120 * @extschema@.demo_uniform(seed, i, 402)),
					 as_of - interval '1 day' * (1 + 20 * @extschema@.demo_uniform(seed, i, 403))) AS created_at,
			   interval '1 day' * (15 + 150 * @extschema@.demo_uniform(seed, i, 404)) AS cycle,
			   @extschema@.demo_uniform(seed, i, 405) AS u_closes,
			   @extschema@.demo_uniform(seed, i, 406) < 0.12 + 0.45 * a.quality AS wins,
			   round((6000 * exp(2.3 * @extschema@.demo_uniform(seed, i, 407)) * (0.7 + 0.6 * a.quality))::numeric, 2)
				   AS amount,
			   @extschema@.demo_uniform(seed, i, 408) < 0.03 AS without_contacts
		FROM generate_series(1, opportunities) i
		JOIN demo_accounts a ON a.account_key = 1 + (i - 1) % n_opp_accounts
	) o;
	ANALYZE demo_opportunities;

	INSERT INTO @extschema@.opportunities (opportunity_id, account_id, created_at, closed_at, is_won, amount)
	SELECT opportunity_id, account_id, created_at, closed_at, closed_at IS NOT NULL AND wins, amount
	FROM demo_opportunities;

	-- the contacts of each opportunity: the account's first contact always,
	-- the others often; sometimes the first contact holds two roles
	CREATE TEMP TABLE demo_opportunity_contacts ON COMMIT DROP AS
	SELECT o.opportunity_id, c.contact_id,
		   (ARRAY['decision_maker', 'champion', 'influencer', 'technical_evaluator', 'end_user'])[c.contact_number] AS role
	FROM demo_opportunities o
	JOIN demo_contacts c ON c.account_key = o.account_key AND c.created_at <= as_of
	WHERE NOT o.without_contacts
	  AND (c.contact_number = 1 OR @extschema@.demo_uniform(seed, o.opportunity_key * 8 + c.contact_number, 501) < 0.6)
	UNION ALL
	SELECT o.opportunity_id, c.contact_id, 'economic_buyer'
	FROM demo_opportunities o
	JOIN demo_contacts c ON c.account_key = o.account_key AND c.contact_number = 1 AND c.created_at <= as_of
	WHERE NOT o.without_contacts AND @extschema@.demo_uniform(seed, o.opportunity_key, 502) < 0.15;
	ANALYZE demo_opportunity_contacts;

	INSERT INTO @extschema@.opportunity_contacts (opportunity_id, contact_id, role)
	SELECT opportunity_id, contact_id, role FROM demo_opportunity_contacts;

	-- The rest reads the scratch tables only, never the tables just loaded:
	-- on Citus, joins of distributed tables with local ones and lateral
	-- subqueries over them cannot always be planned.

	-- the demand waterfall of every contact
	CREATE TEMP TABLE demo_stage_events (unit_id text, stage text, entered_at timestamptz, reason text) ON COMMIT DROP;

	-- contacts on an opportunity: inquiry, mql, sal and sql spread before
	-- the opportunity's creation, then opportunity, then won or lost
	INSERT INTO demo_stage_events
	SELECT c.contact_id, e.stage, e.entered_at, e.reason
	FROM (
		SELECT DISTINCT ON (oc.contact_id) oc.contact_id, o.created_at AS opened_at, o.closed_at,
			   o.closed_at IS NOT NULL AND o.wins AS is_won
		FROM demo_opportunity_contacts oc
		JOIN demo_opportunities o ON o.opportunity_id = oc.opportunity_id
		ORDER BY oc.contact_id, o.created_at, o.opportunity_id
	) f
	JOIN demo_contacts c ON c.contact_id = f.contact_id
	JOIN demo_contacts dc ON dc.contact_id = f.contact_id
	CROSS JOIN LATERAL (
		SELECT * FROM (VALUES
			('inquiry', c.created_at, NULL::text),
			('mql', CASE WHEN c.created_at < f.opened_at THEN c.created_at + (f.opened_at - c.created_at) * 0.25 END, NULL),
			('sal', CASE WHEN c.created_at < f.opened_at THEN c.created_at + (f.opened_at - c.created_at) * 0.5 END, NULL),
			('sql', CASE WHEN c.created_at < f.opened_at THEN c.created_at + (f.opened_at - c.created_at) * 0.75 END, NULL),
			('opportunity', greatest(f.opened_at, c.created_at + interval '1 day'), NULL),
			(CASE WHEN f.is_won THEN 'won' ELSE 'lost' END, f.closed_at,
			 CASE WHEN NOT f.is_won THEN (ARRAY['chose a competitor', 'no budget', 'no decision', 'price'])
				 [1 + floor(@extschema@.demo_uniform(seed, dc.contact_key, 601) * 4)::integer] END)
		) v(stage, entered_at, reason)
	) e
	WHERE e.entered_at IS NOT NULL
	  AND (f.closed_at IS NULL OR c.created_at < f.closed_at OR e.stage = 'inquiry')
	  AND (e.stage NOT IN ('won', 'lost') OR e.entered_at >= greatest(f.opened_at, c.created_at + interval '1 day'));

	-- the other contacts: marketing qualifies some, sales accepts,
	-- recycles or disqualifies them, with reasons that depend on the source
	INSERT INTO demo_stage_events
	SELECT s.contact_id, e.stage, e.entered_at, e.reason
	FROM (
		SELECT p.*,
			   CASE WHEN p.d_mql < p.p_mql THEN p.created_at + interval '1 day' * (1 + 9 * p.u1) END AS mql_at,
			   CASE WHEN p.d_mql >= p.p_mql AND p.d_mql < p.p_mql + 0.15
					THEN p.created_at + interval '1 day' * (2 + 10 * p.u1) END AS dq1_at
		FROM (
			SELECT c.contact_id, c.created_at, t.channel AS source,
				   0.45 + 0.3 * a.quality - CASE WHEN t.channel IN ('display', 'paid_social') THEN 0.15 ELSE 0 END AS p_mql,
				   0.55 + 0.3 * a.quality - CASE WHEN t.channel IN ('display', 'paid_social') THEN 0.25 ELSE 0 END AS p_sal,
				   0.45 + 0.25 * a.quality AS p_sql,
				   @extschema@.demo_uniform(seed, dc.contact_key, 611) AS d_mql,
				   @extschema@.demo_uniform(seed, dc.contact_key, 612) AS d_sal,
				   @extschema@.demo_uniform(seed, dc.contact_key, 613) AS d_sql,
				   @extschema@.demo_uniform(seed, dc.contact_key, 614) AS u1,
				   @extschema@.demo_uniform(seed, dc.contact_key, 615) AS u2,
				   @extschema@.demo_uniform(seed, dc.contact_key, 616) AS u3,
				   @extschema@.demo_uniform(seed, dc.contact_key, 617) AS u_reason
			FROM demo_contacts c
			JOIN demo_contacts dc ON dc.contact_id = c.contact_id
			JOIN demo_accounts a ON a.account_key = dc.account_key
			LEFT JOIN LATERAL (
				SELECT t.channel FROM demo_touches t
				WHERE t.contact_id = c.contact_id AND t.touched_at <= c.created_at
				ORDER BY t.touched_at DESC, t.touchpoint_id DESC LIMIT 1) t ON true
			WHERE c.created_at <= as_of
			  AND NOT EXISTS (SELECT 1 FROM demo_opportunity_contacts oc WHERE oc.contact_id = c.contact_id)
		) p
	) s
	CROSS JOIN LATERAL (
		SELECT * FROM (VALUES
			('inquiry', s.created_at, NULL::text),
			('disqualified', s.dq1_at,
			 (ARRAY['student or job seeker', 'spam or fake details', 'competitor'])[1 + floor(s.u_reason * 3)::integer]),
			('mql', s.mql_at, NULL),
			-- sales accepts the MQL ...
			('sal', CASE WHEN s.d_sal < s.p_sal THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2) END, NULL),
			-- ... or sends it back to nurture ...
			('inquiry', CASE WHEN s.d_sal >= s.p_sal AND s.d_sal < s.p_sal + (1 - s.p_sal) * 0.5
							 THEN s.mql_at + interval '1 day' * (7 + 20 * s.u2) END,
			 (ARRAY['not sales ready', 'no response', 'timing'])[1 + floor(s.u_reason * 3)::integer]),
			-- ... or disqualifies it
			('disqualified', CASE WHEN s.d_sal >= s.p_sal + (1 - s.p_sal) * 0.5
								  THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2) END,
			 CASE WHEN s.source IN ('display', 'paid_social') AND s.u_reason < 0.6 THEN 'wrong persona'
				  ELSE (ARRAY['wrong persona', 'no budget', 'bad contact data', 'existing customer'])
					   [1 + floor(s.u_reason * 4)::integer] END),
			-- an accepted lead becomes a sales-qualified lead, is recycled or disqualified
			('sql', CASE WHEN s.d_sal < s.p_sal AND s.d_sql < s.p_sql
						 THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2 + 3 + 15 * s.u3) END, NULL),
			('mql', CASE WHEN s.d_sal < s.p_sal AND s.d_sql >= s.p_sql AND s.d_sql < s.p_sql + 0.25
						 THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2 + 10 + 30 * s.u3) END,
			 (ARRAY['timing', 'no project this year'])[1 + floor(s.u_reason * 2)::integer]),
			('disqualified', CASE WHEN s.d_sal < s.p_sal AND s.d_sql >= s.p_sql + 0.25
								  THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2 + 3 + 15 * s.u3) END,
			 (ARRAY['no budget', 'no authority', 'chose a competitor'])[1 + floor(s.u_reason * 3)::integer])
		) v(stage, entered_at, reason)
	) e
	WHERE e.entered_at IS NOT NULL;

	INSERT INTO @extschema@.stage_events (unit_id, stage, entered_at, waterfall, reason)
	SELECT DISTINCT ON (unit_id, entered_at, stage) unit_id, stage, entered_at, 'default', reason
	FROM demo_stage_events
	WHERE entered_at <= as_of
	ORDER BY unit_id, entered_at, stage;

	-- the deals: every opportunity through discovery, proposal and
	-- negotiation (won deals pass them all, lost ones stop on the way) to
	-- won or lost at its close, with the reasons of the lost ones
	INSERT INTO @extschema@.waterfalls (name, ladder, exits, unit, description)
	VALUES ('deals', '{discovery,proposal,negotiation,won}', '{lost}', 'opportunity',
			'The sales stages of every opportunity (demo data): its unit is the deal')
	ON CONFLICT (name) DO NOTHING;
	CREATE TEMP TABLE demo_deal_events ON COMMIT DROP AS
	SELECT o.opportunity_id AS unit_id, e.stage, e.entered_at, e.reason
	FROM demo_opportunities o
	CROSS JOIN LATERAL (SELECT o.closed_at IS NOT NULL AND o.wins AS won,
							   @extschema@.demo_uniform(seed, o.opportunity_key, 901) AS u) w
	CROSS JOIN LATERAL (
		SELECT * FROM (VALUES
			('discovery', o.created_at, NULL::text),
			('proposal', CASE WHEN w.won OR w.u < 0.7 THEN o.created_at + o.cycle * 0.35 END, NULL),
			('negotiation', CASE WHEN w.won OR w.u < 0.4 THEN o.created_at + o.cycle * 0.7 END, NULL),
			(CASE WHEN w.won THEN 'won' ELSE 'lost' END, o.closed_at,
			 CASE WHEN NOT w.won THEN (ARRAY['chose a competitor', 'no budget', 'no decision', 'price'])
				 [1 + floor(@extschema@.demo_uniform(seed, o.opportunity_key, 902) * 4)::integer] END)
		) v(stage, entered_at, reason)
	) e
	WHERE e.entered_at IS NOT NULL AND e.entered_at <= as_of;
	INSERT INTO @extschema@.stage_events (unit_id, stage, entered_at, waterfall, reason)
	SELECT unit_id, stage, entered_at, 'deals', reason FROM demo_deal_events;

	-- targets for 2025: last year's monthly average of first entries, plus growth
	INSERT INTO @extschema@.stage_targets (waterfall, period, stage, target, grain)
	SELECT f.waterfall, m::date, f.stage,
		   round(f.per_month * (1.05 + 0.2 * @extschema@.demo_uniform(seed, s.rank * 100 + extract(month FROM m)::integer,
																	   CASE f.waterfall WHEN 'default' THEN 801 ELSE 802 END))),
		   'month'
	FROM (
		SELECT e.waterfall, e.stage, count(*) / 12.0 AS per_month
		FROM (SELECT 'default' AS waterfall, unit_id, stage, min(entered_at) AS first_at FROM demo_stage_events
			  WHERE entered_at <= as_of GROUP BY unit_id, stage
			  UNION ALL
			  SELECT 'deals', unit_id, stage, min(entered_at) FROM demo_deal_events
			  GROUP BY unit_id, stage) e
		WHERE e.first_at >= timestamptz '2024-01-01 00:00:00+00' AND e.first_at < timestamptz '2025-01-01 00:00:00+00'
		GROUP BY e.waterfall, e.stage
	) f
	JOIN @extschema@.waterfall_stages s ON s.waterfall = f.waterfall AND s.stage = f.stage AND NOT s.is_exit,
	generate_series(timestamp '2025-01-01', timestamp '2025-12-01', interval '1 month') m;

	DROP TABLE demo_accounts, demo_contacts, demo_touches, demo_opportunities, demo_opportunity_contacts,
		demo_stage_events, demo_deal_events;
	-- the views' plans depend on the statistics of what was just loaded
	-- (on Citus, the workers analyze their shards themselves: an ANALYZE of
	-- the tables cannot run in the transaction that loaded them)
	IF citus_mode IS NULL THEN
		ANALYZE @extschema@.contacts, @extschema@.opportunities, @extschema@.opportunity_contacts,
			@extschema@.touchpoints, @extschema@.campaign_costs, @extschema@.stage_events, @extschema@.stage_targets,
			@extschema@.models, @extschema@.waterfalls, @extschema@.waterfall_stages;
	END IF;

	RETURN QUERY
	SELECT t.table_name, t.rows_loaded FROM (
		SELECT 1 AS n, 'contacts' AS table_name, count(*) AS rows_loaded FROM @extschema@.contacts
		UNION ALL SELECT 2, 'opportunities', count(*) FROM @extschema@.opportunities
		UNION ALL SELECT 3, 'opportunity_contacts', count(*) FROM @extschema@.opportunity_contacts
		UNION ALL SELECT 4, 'touchpoints', count(*) FROM @extschema@.touchpoints
		UNION ALL SELECT 5, 'campaign_costs', count(*) FROM @extschema@.campaign_costs
		UNION ALL SELECT 6, 'stage_events', count(*) FROM @extschema@.stage_events
		UNION ALL SELECT 7, 'stage_targets', count(*) FROM @extschema@.stage_targets) t
	ORDER BY t.n;

	IF citus_mode IS NOT NULL THEN
		PERFORM set_config('citus.multi_shard_modify_mode', citus_mode, true);
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.generate_demo_data(integer, bigint) IS
	'Fills the empty canonical tables with a deterministic B2B demo data set of the given number of opportunities (default 3000) from a seed';
-- Reporting layer, part 4: data-driven attribution over the opportunity
-- journeys (doc/paths.md): the path of channels of every closed
-- opportunity, and Markov, Shapley and the heuristics side by side.

CREATE VIEW @extschema@.opportunity_paths WITH (security_invoker = true) AS
SELECT j.opportunity_id, j.status, j.is_won, j.amount,
	   array_agg(t.channel ORDER BY t.touched_at, t.touchpoint_id) AS path
FROM @extschema@.opportunity_journeys j
JOIN @extschema@.opportunity_touchpoints t ON t.opportunity_id = j.opportunity_id
GROUP BY j.opportunity_id, j.status, j.is_won, j.amount;
COMMENT ON VIEW @extschema@.opportunity_paths IS
	'The channels of every opportunity''s journey in time order (the touches of all its contacts up to the close), for path_agg()';
COMMENT ON COLUMN @extschema@.opportunity_paths.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.opportunity_paths.status IS 'open, won or lost';
COMMENT ON COLUMN @extschema@.opportunity_paths.is_won IS 'True when won: the path converted';
COMMENT ON COLUMN @extschema@.opportunity_paths.amount IS 'Amount of the opportunity: the value of a conversion';
COMMENT ON COLUMN @extschema@.opportunity_paths.path IS
	'Channels of the journey ordered by (touched_at, touchpoint_id); opportunities without a touch have no row';

-- Closed opportunities only: won paths convert, lost ones do not; an open
-- opportunity has not decided yet.
CREATE VIEW @extschema@.data_driven_attribution WITH (security_invoker = true) AS
WITH summary AS (
	SELECT @extschema@.path_agg(p.path, p.is_won, CASE WHEN p.is_won THEN p.amount ELSE 0 END::float8) AS paths
	FROM @extschema@.opportunity_paths p
	WHERE p.status <> 'open'
),
markov AS (
	SELECT m.* FROM summary s CROSS JOIN LATERAL @extschema@.markov(s.paths) m
),
shapley AS (
	SELECT x.* FROM summary s CROSS JOIN LATERAL @extschema@.shapley(s.paths) x
),
heuristics AS (
	SELECT h.* FROM summary s CROSS JOIN LATERAL @extschema@.heuristics(s.paths) h
)
SELECT h.channel,
	   round(m.removal_effect::numeric, 4) AS markov_removal_effect,
	   round(m.conversions::numeric, 2) AS markov_conversions,
	   round(x.conversions::numeric, 2) AS shapley_conversions,
	   round(h.first_touch::numeric, 2) AS first_touch_conversions,
	   round(h.last_touch::numeric, 2) AS last_touch_conversions,
	   round(h.linear::numeric, 2) AS linear_conversions,
	   round(m.value::numeric, 2) AS markov_revenue,
	   round(x.value::numeric, 2) AS shapley_revenue,
	   round(h.first_touch_value::numeric, 2) AS first_touch_revenue,
	   round(h.last_touch_value::numeric, 2) AS last_touch_revenue,
	   round(h.linear_value::numeric, 2) AS linear_revenue
FROM heuristics h
LEFT JOIN markov m ON m.channel = h.channel
LEFT JOIN shapley x ON x.channel = h.channel;
COMMENT ON VIEW @extschema@.data_driven_attribution IS
	'Data-driven channel attribution of the closed opportunities: first-order Markov removal effects and Shapley values next to first touch, last touch and linear, in won deals and revenue';
COMMENT ON COLUMN @extschema@.data_driven_attribution.channel IS 'Channel';
COMMENT ON COLUMN @extschema@.data_driven_attribution.markov_removal_effect IS
	'Share of conversions lost when the channel is removed from the first-order Markov chain of the paths';
COMMENT ON COLUMN @extschema@.data_driven_attribution.markov_conversions IS 'Won deals credited by the Markov model (removal effects normalised)';
COMMENT ON COLUMN @extschema@.data_driven_attribution.shapley_conversions IS
	'Won deals credited by the simplified Shapley value (each deal split equally over the distinct channels of its path)';
COMMENT ON COLUMN @extschema@.data_driven_attribution.first_touch_conversions IS 'Won deals credited to the first touch of their path';
COMMENT ON COLUMN @extschema@.data_driven_attribution.last_touch_conversions IS 'Won deals credited to the last touch of their path';
COMMENT ON COLUMN @extschema@.data_driven_attribution.linear_conversions IS 'Won deals split equally over the touches of their path';
COMMENT ON COLUMN @extschema@.data_driven_attribution.markov_revenue IS 'Revenue credited by the Markov model';
COMMENT ON COLUMN @extschema@.data_driven_attribution.shapley_revenue IS 'Revenue credited by the simplified Shapley value';
COMMENT ON COLUMN @extschema@.data_driven_attribution.first_touch_revenue IS 'Revenue credited to the first touch';
COMMENT ON COLUMN @extschema@.data_driven_attribution.last_touch_revenue IS 'Revenue credited to the last touch';
COMMENT ON COLUMN @extschema@.data_driven_attribution.linear_revenue IS 'Revenue split equally over the touches';
-- Reporting layer, part 5: the demand waterfall views (doc/waterfall.md and
-- doc/reporting.md) over stage_events: one stage history per unit and waterfall, then the
-- waterfall by cohort, the flow by period, velocity, leakage, plan against
-- actual, and the lead-quality feedback from sales to marketing.
--
-- "As of" for the age of cohorts and whether a period is complete is the
-- latest stage event of the waterfall: the views give the same answer on
-- the same data whatever day they are read.  Months, days and cohorts are
-- cut in the reporting time zone (reporting_time_zone(), UTC by default),
-- whatever the session's, and every view says what its units are (the
-- unit column: the waterfall's unit, contact in the default one).

-- STABLE, not IMMUTABLE: with a constant argument (a source without a
-- waterfall column reads 'default' for every event) the planner would
-- otherwise call it, and raise its error, while folding constants, even
-- when the waterfall exists.
CREATE FUNCTION @extschema@.unknown_waterfall(waterfall text)
RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'stage events of unknown waterfall "%"', waterfall
		USING ERRCODE = 'foreign_key_violation',
		DETAIL = 'The waterfall of a stage event must be a row of attribution.waterfalls.',
		HINT = 'Insert the waterfall with its ladder and exits, or correct the events.';
END
$$;
COMMENT ON FUNCTION @extschema@.unknown_waterfall(text) IS
	'Raises the error for stage events (of a source of your own) whose waterfall is not in waterfalls';

CREATE VIEW @extschema@.stage_histories WITH (security_invoker = true) AS
SELECT h.waterfall, h.unit_id, h.history,
	   @extschema@.reached_at(h.history, h.ladder[1]) AS first_reached_at,
	   @extschema@.current_stage(h.history) AS current_stage,
	   @extschema@.furthest_stage(h.history) AS furthest_stage
FROM (
	SELECT e.waterfall, e.unit_id, min(w.ladder) AS ladder,
		   @extschema@.stage_agg(e.stage, e.entered_at,
								 coalesce(w.ladder, @extschema@.unknown_waterfall(e.waterfall)), w.exits) AS history
	FROM @extschema@.source_stage_events_view e
	LEFT JOIN @extschema@.waterfalls w ON w.name = e.waterfall
	GROUP BY e.waterfall, e.unit_id
) h;
COMMENT ON VIEW @extschema@.stage_histories IS
	'The stage history of every unit in every waterfall (stage_agg over its stage events, with the waterfall''s ladder and exits)';
COMMENT ON COLUMN @extschema@.stage_histories.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.stage_histories.unit_id IS 'The unit (a contact_id for a contact waterfall)';
COMMENT ON COLUMN @extschema@.stage_histories.history IS 'Its stage history (see transitions(), reached_at(), stage_entries())';
COMMENT ON COLUMN @extschema@.stage_histories.first_reached_at IS
	'When it reached the first ladder stage (inferred: a skipped stage counts as reached with a later one); NULL if only exit stages were entered';
COMMENT ON COLUMN @extschema@.stage_histories.current_stage IS 'The stage of its last event (a ladder or an exit stage)';
COMMENT ON COLUMN @extschema@.stage_histories.furthest_stage IS 'The highest ladder stage it entered';

-- ---------------------------------------------------------------- by cohort

CREATE VIEW @extschema@.waterfall_cohorts WITH (security_invoker = true) AS
WITH cohorts AS (
	SELECT h.waterfall, date_trunc('month', timezone((SELECT @extschema@.reporting_time_zone()), h.first_reached_at))::date AS cohort,
		   count(*) AS units, @extschema@.waterfall_agg(h.history) AS summary
	FROM @extschema@.stage_histories h
	WHERE h.first_reached_at IS NOT NULL
	GROUP BY 1, 2
),
as_of AS (
	SELECT e.waterfall, max(e.entered_at) AS as_of FROM @extschema@.source_stage_events_view e GROUP BY e.waterfall
)
SELECT c.waterfall, c.cohort, r.stage, r.stage_rank::integer AS stage_rank, c.units, r.reached, r.advanced,
	   round(r.conversion_rate::numeric, 4) AS conversion_rate,
	   round(r.cumulative_rate::numeric, 4) AS cumulative_rate,
	   r.recycled, r.disqualified, r.still_open,
	   round(r.median_days_to_next::numeric, 1) AS median_days_to_next,
	   (timezone((SELECT @extschema@.reporting_time_zone()), a.as_of)::date - c.cohort) AS cohort_age_days, a.as_of,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name = c.waterfall) AS unit
FROM cohorts c
JOIN as_of a ON a.waterfall = c.waterfall
CROSS JOIN LATERAL @extschema@.waterfall_report(c.summary) WITH ORDINALITY
	r(stage, reached, advanced, conversion_rate, cumulative_rate, recycled, disqualified, still_open,
	  median_days_to_next, p90_days_to_next, stage_rank);
COMMENT ON VIEW @extschema@.waterfall_cohorts IS
	'The waterfall of each monthly cohort (units grouped by the month they reached the first stage), followed forward with no horizon; young cohorts have not finished converting, see cohort_age_days';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.cohort IS 'First day of the month in which the units reached the first ladder stage (reporting time zone)';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.stage IS 'Ladder stage';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.stage_rank IS 'Position of the stage in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.units IS 'Units in the cohort';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.reached IS 'Units of the cohort that reached the stage (inferred)';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.advanced IS 'Of them, those that reached a later stage; NULL for the last stage';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.conversion_rate IS 'advanced / reached';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.cumulative_rate IS 'reached / reached of the first stage';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.recycled IS 'Units sent back from this stage at least once';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.disqualified IS 'Units that stopped at this stage in an exit stage (disqualified or lost)';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.still_open IS 'Units that are still at this stage';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.median_days_to_next IS 'Median days from reaching the stage to reaching a later one';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.cohort_age_days IS 'Days from the start of the cohort to as_of: how long its units have had to convert';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.as_of IS 'The latest stage event of the waterfall';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.unit IS
	'What the units counted are: contact, account, opportunity or other (the waterfall''s unit)';

-- ---------------------------------------------------------------- flow by period

CREATE VIEW @extschema@.waterfall_flow WITH (security_invoker = true) AS
WITH entries AS (
	SELECT h.waterfall, x.stage, date_trunc('month', timezone((SELECT @extschema@.reporting_time_zone()), x.first_entered_at))::date AS month
	FROM @extschema@.stage_histories h
	CROSS JOIN LATERAL @extschema@.stage_entries(h.history) x
	WHERE x.ladder_rank IS NOT NULL
),
counts AS (
	SELECT waterfall, month, stage, count(*) AS first_entries FROM entries GROUP BY waterfall, month, stage
),
grid AS (
	-- every ladder stage in every month with an entry, so that a quiet month counts 0
	SELECT m.waterfall, m.month, s.stage, s.rank
	FROM (SELECT DISTINCT waterfall, month FROM counts) m
	JOIN @extschema@.waterfall_stages s ON s.waterfall = m.waterfall AND NOT s.is_exit
)
SELECT g.waterfall, g.month, g.stage, g.rank AS stage_rank, coalesce(c.first_entries, 0) AS first_entries,
	   round(coalesce(c.first_entries, 0)::numeric
			 / nullif(lag(coalesce(c.first_entries, 0)) OVER (PARTITION BY g.waterfall, g.month ORDER BY g.rank), 0),
			 4) AS ratio_to_previous,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name = g.waterfall) AS unit
FROM grid g
LEFT JOIN counts c ON c.waterfall = g.waterfall AND c.month = g.month AND c.stage = g.stage;
COMMENT ON VIEW @extschema@.waterfall_flow IS
	'The waterfall by period: how many units first reached each stage in each month, and the ratio to the stage before in the same month';
COMMENT ON COLUMN @extschema@.waterfall_flow.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_flow.month IS 'First day of the month (reporting time zone)';
COMMENT ON COLUMN @extschema@.waterfall_flow.stage IS 'Ladder stage';
COMMENT ON COLUMN @extschema@.waterfall_flow.stage_rank IS 'Position of the stage in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.waterfall_flow.first_entries IS 'Units that first reached the stage (inferred) in the month';
COMMENT ON COLUMN @extschema@.waterfall_flow.ratio_to_previous IS
	'first_entries / first_entries of the stage before, in the same month; NULL for the first stage or when the stage before had none';
COMMENT ON COLUMN @extschema@.waterfall_flow.unit IS
	'What the units counted are: contact, account, opportunity or other (the waterfall''s unit)';

-- ---------------------------------------------------------------- velocity and leakage over all units

CREATE VIEW @extschema@.waterfall_velocity WITH (security_invoker = true) AS
WITH summaries AS (
	SELECT h.waterfall, @extschema@.waterfall_agg(h.history) AS summary
	FROM @extschema@.stage_histories h GROUP BY h.waterfall
)
SELECT s.waterfall, r.stage, r.stage_rank::integer AS stage_rank, r.reached, r.advanced,
	   round(r.conversion_rate::numeric, 4) AS conversion_rate,
	   round(r.median_days_to_next::numeric, 1) AS median_days_to_next,
	   round(r.p90_days_to_next::numeric, 1) AS p90_days_to_next,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name = s.waterfall) AS unit
FROM summaries s
CROSS JOIN LATERAL @extschema@.waterfall_report(s.summary) WITH ORDINALITY
	r(stage, reached, advanced, conversion_rate, cumulative_rate, recycled, disqualified, still_open,
	  median_days_to_next, p90_days_to_next, stage_rank);
COMMENT ON VIEW @extschema@.waterfall_velocity IS
	'How fast units move: median and 90th percentile of the days from reaching each stage to reaching a later one, over every unit';
COMMENT ON COLUMN @extschema@.waterfall_velocity.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_velocity.stage IS 'Ladder stage';
COMMENT ON COLUMN @extschema@.waterfall_velocity.stage_rank IS 'Position of the stage in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.waterfall_velocity.reached IS 'Units that reached the stage';
COMMENT ON COLUMN @extschema@.waterfall_velocity.advanced IS 'Of them, those that reached a later stage';
COMMENT ON COLUMN @extschema@.waterfall_velocity.conversion_rate IS 'advanced / reached';
COMMENT ON COLUMN @extschema@.waterfall_velocity.median_days_to_next IS
	'Median days from reaching the stage to reaching a later one, over the units that advanced (within 0.5%)';
COMMENT ON COLUMN @extschema@.waterfall_velocity.p90_days_to_next IS '90th percentile of the same days (within 0.5%)';
COMMENT ON COLUMN @extschema@.waterfall_velocity.unit IS
	'What the units counted are: contact, account, opportunity or other (the waterfall''s unit)';

CREATE VIEW @extschema@.waterfall_leakage WITH (security_invoker = true) AS
WITH summaries AS (
	SELECT h.waterfall, @extschema@.waterfall_agg(h.history) AS summary
	FROM @extschema@.stage_histories h GROUP BY h.waterfall
),
exits AS (
	SELECT s.waterfall, x.stage,
		   sum(x.units) FILTER (WHERE x.exit_stage = 'disqualified') AS disqualified,
		   sum(x.units) FILTER (WHERE x.exit_stage = 'lost') AS lost,
		   sum(x.units) FILTER (WHERE x.exit_stage NOT IN ('disqualified', 'lost')) AS other_exits
	FROM summaries s CROSS JOIN LATERAL @extschema@.waterfall_exits(s.summary) x
	GROUP BY s.waterfall, x.stage
)
SELECT s.waterfall, r.stage, r.stage_rank::integer AS stage_rank, r.reached, r.advanced, r.recycled,
	   coalesce(x.disqualified, 0)::bigint AS disqualified, coalesce(x.lost, 0)::bigint AS lost,
	   coalesce(x.other_exits, 0)::bigint AS other_exits, r.still_open,
	   round(r.disqualified::numeric / nullif(r.reached, 0), 4) AS exit_rate,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name = s.waterfall) AS unit
FROM summaries s
CROSS JOIN LATERAL @extschema@.waterfall_report(s.summary) WITH ORDINALITY
	r(stage, reached, advanced, conversion_rate, cumulative_rate, recycled, disqualified, still_open,
	  median_days_to_next, p90_days_to_next, stage_rank)
LEFT JOIN exits x ON x.waterfall = s.waterfall AND x.stage = r.stage;
COMMENT ON VIEW @extschema@.waterfall_leakage IS
	'Where the waterfall leaks: per stage, the units recycled from it, those that stopped there disqualified, lost or in another exit, and those still there';
COMMENT ON COLUMN @extschema@.waterfall_leakage.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_leakage.stage IS 'Ladder stage';
COMMENT ON COLUMN @extschema@.waterfall_leakage.stage_rank IS 'Position of the stage in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.waterfall_leakage.reached IS 'Units that reached the stage';
COMMENT ON COLUMN @extschema@.waterfall_leakage.advanced IS 'Of them, those that reached a later stage; NULL for the last stage';
COMMENT ON COLUMN @extschema@.waterfall_leakage.recycled IS 'Units sent back from this stage to an earlier one at least once';
COMMENT ON COLUMN @extschema@.waterfall_leakage.disqualified IS 'Units whose furthest stage is this one and who are now in the exit stage disqualified';
COMMENT ON COLUMN @extschema@.waterfall_leakage.lost IS 'The same in the exit stage lost';
COMMENT ON COLUMN @extschema@.waterfall_leakage.other_exits IS 'The same in any other exit stage of the waterfall';
COMMENT ON COLUMN @extschema@.waterfall_leakage.still_open IS 'Units whose furthest stage is this one and who are still in the ladder; NULL for the last stage';
COMMENT ON COLUMN @extschema@.waterfall_leakage.exit_rate IS '(disqualified + lost + other_exits) / reached';
COMMENT ON COLUMN @extschema@.waterfall_leakage.unit IS
	'What the units counted are: contact, account, opportunity or other (the waterfall''s unit)';

-- ---------------------------------------------------------------- goals: plan against actual

CREATE VIEW @extschema@.plan_vs_actual WITH (security_invoker = true) AS
WITH firsts AS (
	-- first entries per day (the periods are whole days in the reporting time zone)
	SELECT h.waterfall, x.stage, timezone((SELECT @extschema@.reporting_time_zone()), x.first_entered_at)::date AS day, count(*) AS units
	FROM @extschema@.stage_histories h CROSS JOIN LATERAL @extschema@.stage_entries(h.history) x
	GROUP BY 1, 2, 3
),
as_of AS (
	SELECT e.waterfall, max(e.entered_at) AS as_of FROM @extschema@.source_stage_events_view e GROUP BY e.waterfall
),
periods AS (
	SELECT t.waterfall, t.grain, t.period, t.stage, t.target,
		   (t.period + CASE t.grain WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months'
								   ELSE interval '1 year' END)::date AS period_end
	FROM @extschema@.stage_targets t
)
SELECT p.waterfall, p.grain, p.period, p.period_end, p.stage, s.rank AS stage_rank, p.target,
	   coalesce(sum(f.units), 0)::bigint AS actual,
	   coalesce(sum(f.units), 0) - p.target AS gap,
	   round(coalesce(sum(f.units), 0) / nullif(p.target, 0), 4) AS attainment,
	   coalesce(timezone((SELECT @extschema@.reporting_time_zone()), a.as_of) >= p.period_end, false) AS complete,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name = p.waterfall) AS unit
FROM periods p
JOIN @extschema@.waterfall_stages s ON s.waterfall = p.waterfall AND s.stage = p.stage
LEFT JOIN as_of a ON a.waterfall = p.waterfall
LEFT JOIN firsts f ON f.waterfall = p.waterfall AND f.stage = p.stage AND f.day >= p.period AND f.day < p.period_end
GROUP BY p.waterfall, p.grain, p.period, p.period_end, p.stage, s.rank, p.target, a.as_of;
COMMENT ON VIEW @extschema@.plan_vs_actual IS
	'The shared goals of marketing and sales against what happened: per target of stage_targets, the units that first reached the stage in the period';
COMMENT ON COLUMN @extschema@.plan_vs_actual.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.plan_vs_actual.grain IS 'Length of the period: month, quarter or year';
COMMENT ON COLUMN @extschema@.plan_vs_actual.period IS 'First day of the period';
COMMENT ON COLUMN @extschema@.plan_vs_actual.period_end IS 'First day after the period';
COMMENT ON COLUMN @extschema@.plan_vs_actual.stage IS 'The stage';
COMMENT ON COLUMN @extschema@.plan_vs_actual.stage_rank IS 'Position of the stage in the waterfall (exits after the ladder)';
COMMENT ON COLUMN @extschema@.plan_vs_actual.target IS 'The target';
COMMENT ON COLUMN @extschema@.plan_vs_actual.actual IS
	'Units that first reached the stage (inferred for ladder stages, first entry for exits) in the period (reporting time zone)';
COMMENT ON COLUMN @extschema@.plan_vs_actual.gap IS 'actual - target';
COMMENT ON COLUMN @extschema@.plan_vs_actual.attainment IS 'actual / target; NULL for a target of 0';
COMMENT ON COLUMN @extschema@.plan_vs_actual.complete IS 'True when the latest stage event of the waterfall is past the end of the period';
COMMENT ON COLUMN @extschema@.plan_vs_actual.unit IS
	'What the units counted are: contact, account, opportunity or other (the waterfall''s unit)';

-- ---------------------------------------------------------------- feedback: lead quality by source

-- The source of a lead is its lead-creation touch: the contact's last touch
-- at or before contacts.created_at (ties: the larger touchpoint id).  The
-- qualification stage is the ladder stage named mql (else the second stage
-- of the ladder), acceptance is reaching the stage after it (sal in the
-- default ladder), and disqualification is being in the first exit stage
-- of the waterfall (disqualified) now.  The reasons of sales rejections
-- (given on a recycle back into the ladder or on entering the first exit
-- stage) and of closed-lost deals (given on entering another exit stage:
-- lost) answer different questions and are reported apart.
CREATE VIEW @extschema@.lead_sources WITH (security_invoker = true) AS
SELECT DISTINCT ON (c.contact_id) c.contact_id, c.created_at, t.touchpoint_id, t.touched_at, t.channel, t.campaign
FROM @extschema@.source_contacts_view c
LEFT JOIN @extschema@.source_touchpoints_view t ON t.contact_id = c.contact_id AND t.touched_at <= c.created_at
ORDER BY c.contact_id, t.touched_at DESC NULLS LAST, t.touchpoint_id DESC NULLS LAST;
COMMENT ON VIEW @extschema@.lead_sources IS
	'The lead-creation touch of every contact: its last touch at or before it became a lead (its source channel and campaign)';
COMMENT ON COLUMN @extschema@.lead_sources.contact_id IS 'The contact';
COMMENT ON COLUMN @extschema@.lead_sources.created_at IS 'When it became a lead';
COMMENT ON COLUMN @extschema@.lead_sources.touchpoint_id IS 'The lead-creation touch; NULL when no touch came before';
COMMENT ON COLUMN @extschema@.lead_sources.touched_at IS 'When that touch happened';
COMMENT ON COLUMN @extschema@.lead_sources.channel IS 'Its channel: the source channel of the lead';
COMMENT ON COLUMN @extschema@.lead_sources.campaign IS 'Its campaign: the source campaign of the lead';

CREATE VIEW @extschema@.lead_quality WITH (security_invoker = true) AS
WITH leads AS (
	SELECT h.waterfall, h.unit_id, h.history, ls.channel, ls.campaign,
		   q.stage AS qualified_stage, w.ladder[array_position(w.ladder, q.stage) + 1] AS accepted_stage,
		   w.exits[1] AS disqualified_stage, w.exits
	FROM @extschema@.stage_histories h
	JOIN @extschema@.waterfalls w ON w.name = h.waterfall AND w.unit = 'contact'
	CROSS JOIN LATERAL (SELECT CASE WHEN 'mql' = ANY (w.ladder) THEN 'mql' ELSE w.ladder[2] END AS stage) q
	LEFT JOIN @extschema@.lead_sources ls ON ls.contact_id = h.unit_id
),
quality AS (
	SELECT waterfall, channel, campaign, count(*) AS leads,
		   count(*) FILTER (WHERE @extschema@.reached_at(history, qualified_stage) IS NOT NULL) AS qualified,
		   count(*) FILTER (WHERE accepted_stage IS NOT NULL
							  AND @extschema@.reached_at(history, accepted_stage) IS NOT NULL) AS accepted,
		   count(*) FILTER (WHERE @extschema@.current_stage(history) = disqualified_stage) AS disqualified,
		   count(*) FILTER (WHERE EXISTS (SELECT FROM @extschema@.transitions(history) t
										  WHERE t.direction = 'backward')) AS recycled
	FROM leads
	GROUP BY waterfall, channel, campaign
),
reasons AS (
	SELECT l.waterfall, l.channel, l.campaign, r.lost, e.reason, count(*) AS times,
		   row_number() OVER (PARTITION BY l.waterfall, l.channel, l.campaign, r.lost ORDER BY count(*) DESC, e.reason)
			   AS reason_rank
	FROM leads l
	JOIN @extschema@.source_stage_events_view e ON e.waterfall = l.waterfall AND e.unit_id = l.unit_id
	CROSS JOIN LATERAL (SELECT e.stage = ANY (l.exits) AND e.stage <> l.disqualified_stage AS lost) r
	WHERE e.reason IS NOT NULL
	GROUP BY l.waterfall, l.channel, l.campaign, r.lost, e.reason
)
SELECT q.waterfall, q.channel AS source_channel, q.campaign AS source_campaign, q.leads, q.qualified, q.accepted,
	   round(q.accepted::numeric / nullif(q.qualified, 0), 4) AS acceptance_rate,
	   q.disqualified, round(q.disqualified::numeric / q.leads, 4) AS disqualification_rate,
	   q.recycled, round(q.recycled::numeric / q.leads, 4) AS recycle_rate,
	   (SELECT string_agg(format('%s (%s)', r.reason, r.times), ', ' ORDER BY r.reason_rank)
		FROM reasons r
		WHERE r.waterfall = q.waterfall AND r.channel IS NOT DISTINCT FROM q.channel
		  AND r.campaign IS NOT DISTINCT FROM q.campaign AND NOT r.lost AND r.reason_rank <= 3) AS top_rejection_reasons,
	   (SELECT string_agg(format('%s (%s)', r.reason, r.times), ', ' ORDER BY r.reason_rank)
		FROM reasons r
		WHERE r.waterfall = q.waterfall AND r.channel IS NOT DISTINCT FROM q.channel
		  AND r.campaign IS NOT DISTINCT FROM q.campaign AND r.lost AND r.reason_rank <= 3) AS top_lost_reasons
FROM quality q;
COMMENT ON VIEW @extschema@.lead_quality IS
	'Which leads were worth it, per source channel and campaign (the lead-creation touch): how many marketing qualified, how many sales accepted, disqualified or recycled, and the reasons sales gave most for rejections and for lost deals';
COMMENT ON COLUMN @extschema@.lead_quality.waterfall IS 'The waterfall (one whose units are contacts)';
COMMENT ON COLUMN @extschema@.lead_quality.source_channel IS 'Channel of the lead-creation touch; NULL when no touch came before the lead';
COMMENT ON COLUMN @extschema@.lead_quality.source_campaign IS 'Campaign of the lead-creation touch; NULL for none';
COMMENT ON COLUMN @extschema@.lead_quality.leads IS 'Contacts with a history in the waterfall';
COMMENT ON COLUMN @extschema@.lead_quality.qualified IS 'Of them, those that reached mql (or the second ladder stage), inferred';
COMMENT ON COLUMN @extschema@.lead_quality.accepted IS 'Those that reached the stage after it (sal): accepted by sales';
COMMENT ON COLUMN @extschema@.lead_quality.acceptance_rate IS 'accepted / qualified: MQL-to-SAL acceptance';
COMMENT ON COLUMN @extschema@.lead_quality.disqualified IS 'Leads now in the first exit stage of the waterfall (disqualified)';
COMMENT ON COLUMN @extschema@.lead_quality.disqualification_rate IS 'disqualified / leads';
COMMENT ON COLUMN @extschema@.lead_quality.recycled IS 'Leads sent back to an earlier stage at least once';
COMMENT ON COLUMN @extschema@.lead_quality.recycle_rate IS 'recycled / leads';
COMMENT ON COLUMN @extschema@.lead_quality.top_rejection_reasons IS
	'Sales rejections: the three reasons given most often when these leads were sent back (recycled) or disqualified, with their counts (ties: alphabetical)';
COMMENT ON COLUMN @extschema@.lead_quality.top_lost_reasons IS
	'Closed-lost deals: the three reasons given most often when these leads entered an exit stage other than the first (lost), with their counts (ties: alphabetical)';

CREATE VIEW @extschema@.lead_feedback WITH (security_invoker = true) AS
SELECT h.waterfall, ls.channel AS source_channel, ls.campaign AS source_campaign, e.stage, e.reason,
	   count(*) AS events, count(DISTINCT e.unit_id) AS leads
FROM @extschema@.stage_histories h
JOIN @extschema@.waterfalls w ON w.name = h.waterfall AND w.unit = 'contact'
JOIN @extschema@.source_stage_events_view e ON e.waterfall = h.waterfall AND e.unit_id = h.unit_id
LEFT JOIN @extschema@.lead_sources ls ON ls.contact_id = h.unit_id
WHERE e.reason IS NOT NULL
GROUP BY h.waterfall, ls.channel, ls.campaign, e.stage, e.reason;
COMMENT ON VIEW @extschema@.lead_feedback IS
	'Every reason sales gave, per source channel and campaign of the lead and per stage it was given at (rejected back to nurture, disqualified, lost)';
COMMENT ON COLUMN @extschema@.lead_feedback.waterfall IS 'The waterfall (one whose units are contacts)';
COMMENT ON COLUMN @extschema@.lead_feedback.source_channel IS 'Channel of the lead-creation touch';
COMMENT ON COLUMN @extschema@.lead_feedback.source_campaign IS 'Campaign of the lead-creation touch';
COMMENT ON COLUMN @extschema@.lead_feedback.stage IS 'The stage entered with the reason';
COMMENT ON COLUMN @extschema@.lead_feedback.reason IS 'The reason';
COMMENT ON COLUMN @extschema@.lead_feedback.events IS 'Stage events with this reason';
COMMENT ON COLUMN @extschema@.lead_feedback.leads IS 'Distinct leads concerned';
-- Reporting layer, part 7: for BI tools and analysts.
--
-- Lists of the names the views' filter columns take (models, waterfalls,
-- stages) and functions that check a name; every answer a dashboard needs
-- as a view of scalar columns (the reverse waterfall from the targets,
-- stage-to-stage days, the data-driven models side by side, exits with
-- their reasons, lead quality per channel; pipeline by the month the
-- opportunity was created is a grain of performance_by_grain, with the
-- other performance views); a check of the sources against each other; and
-- publish(), which gives a BI role the reports without the raw tables.

-- ---------------------------------------------------------------- the names a filter can take

CREATE VIEW @extschema@.models_enabled WITH (security_invoker = true) AS
SELECT m.name AS model, m.model AS rule,
	   round(extract(epoch FROM m.half_life) / 86400, 4) AS half_life_days,
	   round(extract(epoch FROM m.lookback) / 86400, 4) AS lookback_days,
	   pg_catalog.array_to_string(m.weights, ', ') AS weights,
	   m.builtin, m.description
FROM @extschema@.models m
WHERE m.enabled;
COMMENT ON VIEW @extschema@.models_enabled IS
	'The models the reporting views show: the values their model column takes (a filter on another name returns no rows)';
COMMENT ON COLUMN @extschema@.models_enabled.model IS 'Name of the model, as the views show it in their model column';
COMMENT ON COLUMN @extschema@.models_enabled.rule IS 'The rule-based model it runs (first_touch, ..., time_decay, custom)';
COMMENT ON COLUMN @extschema@.models_enabled.half_life_days IS 'Half-life of time_decay, in days (the other models ignore it)';
COMMENT ON COLUMN @extschema@.models_enabled.lookback_days IS 'Touches older than this many days before the window''s end are ignored; NULL: none';
COMMENT ON COLUMN @extschema@.models_enabled.weights IS
	'Position weights of a custom model: first, lead, opportunity, closed, last, middle; NULL for the others';
COMMENT ON COLUMN @extschema@.models_enabled.builtin IS 'True for a model the extension installs';
COMMENT ON COLUMN @extschema@.models_enabled.description IS 'What the model does';

CREATE VIEW @extschema@.waterfall_list WITH (security_invoker = true) AS
SELECT w.name AS waterfall, w.unit, pg_catalog.array_to_string(w.ladder, ' > ') AS ladder,
	   pg_catalog.array_to_string(w.exits, ', ') AS exits, pg_catalog.cardinality(w.ladder) AS ladder_stages,
	   w.builtin, w.description
FROM @extschema@.waterfalls w;
COMMENT ON VIEW @extschema@.waterfall_list IS
	'The waterfalls: the values the waterfall column of the waterfall views takes, with the unit each one counts';
COMMENT ON COLUMN @extschema@.waterfall_list.waterfall IS 'Name of the waterfall, as the views show it in their waterfall column';
COMMENT ON COLUMN @extschema@.waterfall_list.unit IS
	'What its units are: contact, account, opportunity or other (the default waterfall counts contacts, not deals)';
COMMENT ON COLUMN @extschema@.waterfall_list.ladder IS 'Its ladder stages in order, first to last';
COMMENT ON COLUMN @extschema@.waterfall_list.exits IS 'Its exit stages (disqualified, lost)';
COMMENT ON COLUMN @extschema@.waterfall_list.ladder_stages IS 'Number of ladder stages';
COMMENT ON COLUMN @extschema@.waterfall_list.builtin IS 'True for the waterfall the extension installs';
COMMENT ON COLUMN @extschema@.waterfall_list.description IS 'What the waterfall follows';

CREATE VIEW @extschema@.waterfall_stage_list WITH (security_invoker = true) AS
SELECT s.waterfall, s.stage, s.rank AS stage_rank, s.is_exit, w.unit
FROM @extschema@.waterfall_stages s
JOIN @extschema@.waterfalls w ON w.name OPERATOR(pg_catalog.=) s.waterfall;
COMMENT ON VIEW @extschema@.waterfall_stage_list IS
	'The stages of every waterfall: the values the stage column of the waterfall views takes';
COMMENT ON COLUMN @extschema@.waterfall_stage_list.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_stage_list.stage IS 'A stage of its ladder or of its exits (names are case-sensitive)';
COMMENT ON COLUMN @extschema@.waterfall_stage_list.stage_rank IS 'Position in the ladder (1 = first); exits follow the ladder';
COMMENT ON COLUMN @extschema@.waterfall_stage_list.is_exit IS 'True for an exit stage';
COMMENT ON COLUMN @extschema@.waterfall_stage_list.unit IS 'What the waterfall''s units are';

-- A name written in a filter is data to PostgreSQL: WHERE model = 'W-shaped'
-- cannot fail, it matches nothing.  These functions return a known name
-- unchanged and fail on any other, so a filter written with them cannot be
-- silently empty: WHERE model = attribution.known_model('w_shaped').
CREATE FUNCTION @extschema@.known_model(name text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	enabled_names text;
	close_name text;
BEGIN
	IF name IS NULL THEN
		RAISE EXCEPTION 'model name must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'known_model() checks the name of a model of attribution.models.',
			HINT = 'See the names in attribution.models_enabled.';
	END IF;
	IF EXISTS (SELECT FROM @extschema@.models m
			   WHERE m.name OPERATOR(pg_catalog.=) known_model.name AND m.enabled) THEN
		RETURN name;
	END IF;
	SELECT pg_catalog.string_agg(m.name, ', ' ORDER BY m.name) INTO enabled_names
	FROM @extschema@.models m WHERE m.enabled;
	IF EXISTS (SELECT FROM @extschema@.models m WHERE m.name OPERATOR(pg_catalog.=) known_model.name) THEN
		RAISE EXCEPTION 'model "%" is not enabled', name
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = pg_catalog.format('The views show the enabled models only: %s.', coalesce(enabled_names, 'none')),
			HINT = pg_catalog.format('Enable it: UPDATE attribution.models SET enabled = true WHERE name = %L.', name);
	END IF;
	-- the same name but for case, spaces, hyphens and underscores
	SELECT m.name INTO close_name FROM @extschema@.models m
	WHERE m.enabled
	  AND pg_catalog.regexp_replace(pg_catalog.lower(m.name), '[^a-z0-9]', '', 'g') OPERATOR(pg_catalog.=)
		  pg_catalog.regexp_replace(pg_catalog.lower(known_model.name), '[^a-z0-9]', '', 'g')
	ORDER BY m.name LIMIT 1;
	RAISE EXCEPTION 'unknown model "%"', name
		USING ERRCODE = 'invalid_parameter_value',
		DETAIL = pg_catalog.format('The enabled models are: %s.', coalesce(enabled_names, 'none')),
		HINT = CASE WHEN close_name IS NOT NULL THEN pg_catalog.format('Did you mean %L?', close_name)
				ELSE 'Model names are case-sensitive; see attribution.models_enabled.' END;
END
$$;
COMMENT ON FUNCTION @extschema@.known_model(text) IS
	'Returns the name of an enabled model unchanged, fails on any other name (naming the enabled ones): for filters that must not be silently empty';

CREATE FUNCTION @extschema@.known_waterfall(name text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	names text;
BEGIN
	IF name IS NULL THEN
		RAISE EXCEPTION 'waterfall name must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'known_waterfall() checks the name of a waterfall of attribution.waterfalls.',
			HINT = 'See the names in attribution.waterfall_list.';
	END IF;
	IF EXISTS (SELECT FROM @extschema@.waterfalls w WHERE w.name OPERATOR(pg_catalog.=) known_waterfall.name) THEN
		RETURN name;
	END IF;
	SELECT pg_catalog.string_agg(w.name, ', ' ORDER BY w.name) INTO names FROM @extschema@.waterfalls w;
	RAISE EXCEPTION 'unknown waterfall "%"', name
		USING ERRCODE = 'invalid_parameter_value',
		DETAIL = pg_catalog.format('The waterfalls are: %s.', coalesce(names, 'none')),
		HINT = 'Waterfall names are case-sensitive; see attribution.waterfall_list.';
END
$$;
COMMENT ON FUNCTION @extschema@.known_waterfall(text) IS
	'Returns the name of a waterfall unchanged, fails on any other name (naming the waterfalls): for filters that must not be silently empty';

CREATE FUNCTION @extschema@.known_stage(waterfall text, stage text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ladder text[];
	exits text[];
BEGIN
	IF stage IS NULL THEN
		RAISE EXCEPTION 'stage name must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'known_stage() checks the name of a stage of a waterfall.',
			HINT = 'See the names in attribution.waterfall_stage_list.';
	END IF;
	SELECT w.ladder, w.exits INTO ladder, exits
	FROM @extschema@.waterfalls w WHERE w.name OPERATOR(pg_catalog.=) @extschema@.known_waterfall(known_stage.waterfall);
	IF stage OPERATOR(pg_catalog.=) ANY (ladder OPERATOR(pg_catalog.||) exits) THEN
		RETURN stage;
	END IF;
	RAISE EXCEPTION 'stage "%" is not a stage of waterfall "%"', stage, waterfall
		USING ERRCODE = 'invalid_parameter_value',
		DETAIL = pg_catalog.format('The ladder of %s is %s; its exits are %s.', waterfall,
					pg_catalog.array_to_string(ladder, ', '),
					coalesce(nullif(pg_catalog.array_to_string(exits, ', '), ''), 'none')),
		HINT = 'Stage names are case-sensitive; see attribution.waterfall_stage_list.';
END
$$;
COMMENT ON FUNCTION @extschema@.known_stage(text, text) IS
	'Returns the name of a stage of the waterfall unchanged, fails on any other name (listing the ladder and exits): for filters that must not be silently empty';

-- ---------------------------------------------------------------- a stage that is not in the ladder

-- The foreign keys of stage_events and stage_targets to waterfall_stages
-- only say that the key is not present; this trigger names the stages the
-- waterfall has (the stages are read once per statement, a bulk load pays
-- a lookup in memory per row).
CREATE FUNCTION @extschema@.check_stage()
RETURNS trigger
AS 'MODULE_PATHNAME', 'attribution_check_stage'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.check_stage() IS
	'Trigger of stage_events and stage_targets: a stage that is not in its waterfall is an error that lists the waterfall''s ladder and exits';

CREATE TRIGGER stage_events_check_stage BEFORE INSERT OR UPDATE OF waterfall, stage ON @extschema@.stage_events
	FOR EACH ROW EXECUTE FUNCTION @extschema@.check_stage();
CREATE TRIGGER stage_targets_check_stage BEFORE INSERT OR UPDATE OF waterfall, stage ON @extschema@.stage_targets
	FOR EACH ROW EXECUTE FUNCTION @extschema@.check_stage();

-- ---------------------------------------------------------------- the waterfall, backwards and stage to stage

-- The targets of the last ladder stage (won, in the default waterfall) in
-- stage_targets are the wins each period must produce; the volume every
-- earlier stage needs follows from the conversion rates and median days
-- observed over all the units of the waterfall (reverse_waterfall()).
CREATE VIEW @extschema@.reverse_waterfall_plan WITH (security_invoker = true) AS
WITH summaries AS (
	SELECT h.waterfall, @extschema@.waterfall_agg(h.history) AS summary
	FROM @extschema@.stage_histories h
	GROUP BY h.waterfall
),
goals AS (
	SELECT t.waterfall, t.grain, t.period, t.stage AS goal_stage, t.target, w.unit
	FROM @extschema@.stage_targets t
	JOIN @extschema@.waterfalls w ON w.name OPERATOR(pg_catalog.=) t.waterfall
		AND t.stage OPERATOR(pg_catalog.=) w.ladder[pg_catalog.cardinality(w.ladder)]
)
SELECT g.waterfall, g.grain, g.period, g.goal_stage, g.target AS goal, r.stage, r.stage_rank::integer AS stage_rank,
	   round(r.conversion_rate::numeric, 4) AS conversion_rate,
	   round(r.volume::numeric, 1) AS volume_needed,
	   pt.target AS planned,
	   round(pt.target OPERATOR(pg_catalog.-) r.volume::numeric, 1) AS plan_minus_needed,
	   round(r.median_days_to_next::numeric, 1) AS median_days_to_next,
	   round(r.days_before_win::numeric, 1) AS days_before_goal,
	   (g.period OPERATOR(pg_catalog.-) ceil(r.days_before_win)::integer) AS start_by,
	   g.unit
FROM goals g
JOIN summaries s ON s.waterfall OPERATOR(pg_catalog.=) g.waterfall
CROSS JOIN LATERAL @extschema@.reverse_waterfall(s.summary, g.target::float8) WITH ORDINALITY
	r(stage, conversion_rate, volume, median_days_to_next, days_before_win, stage_rank)
LEFT JOIN @extschema@.stage_targets pt ON pt.waterfall OPERATOR(pg_catalog.=) g.waterfall
	AND pt.grain OPERATOR(pg_catalog.=) g.grain AND pt.period OPERATOR(pg_catalog.=) g.period
	AND pt.stage OPERATOR(pg_catalog.=) r.stage;
COMMENT ON VIEW @extschema@.reverse_waterfall_plan IS
	'The reverse waterfall of every target of the last ladder stage (won) in stage_targets: the volume each stage needs to produce the goal at the conversion rates observed over all units, next to the stage''s own target';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.grain IS 'Length of the period: month, quarter or year';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.period IS 'First day of the period of the goal';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.goal_stage IS 'The last ladder stage, whose target is the goal';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.goal IS 'The target of the last ladder stage in the period';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.stage IS 'Ladder stage';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.stage_rank IS 'Position of the stage in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.conversion_rate IS
	'Observed share of the units that reached the stage and went on to a later one';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.volume_needed IS
	'Units that must reach the stage to produce the goal at the observed rates; NULL when a rate on the way is 0';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.planned IS 'The stage''s own target for the same period in stage_targets; NULL when none';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.plan_minus_needed IS
	'planned - volume_needed: a negative value is a plan below what the goal needs';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.median_days_to_next IS 'Observed median days from the stage to a later one';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.days_before_goal IS
	'Days before reaching the last stage that the units reach this one (the median days to next added up)';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.start_by IS
	'period - days_before_goal: the day by which the stage''s volume is needed for wins from the start of the period';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.unit IS 'What the units counted are (the waterfall''s unit)';

-- The time a stage is reached is inferred like everywhere else (a skipped
-- ladder stage counts as reached when a later one is); an exit stage counts
-- from its first entry.
CREATE VIEW @extschema@.stage_to_stage_days WITH (security_invoker = true) AS
WITH reached AS (
	SELECT h.waterfall, h.unit_id, x.stage, x.first_entered_at, x.ladder_rank IS NULL AS is_exit,
		   coalesce(x.ladder_rank, pg_catalog.cardinality(w.ladder)
					OPERATOR(pg_catalog.+) pg_catalog.array_position(w.exits, x.stage)) AS rank
	FROM @extschema@.stage_histories h
	JOIN @extschema@.waterfalls w ON w.name OPERATOR(pg_catalog.=) h.waterfall
	CROSS JOIN LATERAL @extschema@.stage_entries(h.history) x
),
pairs AS (
	SELECT a.waterfall, a.stage AS from_stage, a.rank AS from_rank, b.stage AS to_stage, b.rank AS to_rank,
		   pg_catalog.date_part('epoch', b.first_entered_at OPERATOR(pg_catalog.-) a.first_entered_at)
			   OPERATOR(pg_catalog./) 86400 AS days
	FROM reached a
	JOIN reached b ON b.waterfall OPERATOR(pg_catalog.=) a.waterfall AND b.unit_id OPERATOR(pg_catalog.=) a.unit_id
		AND b.rank OPERATOR(pg_catalog.>) a.rank
		AND (NOT b.is_exit OR b.first_entered_at OPERATOR(pg_catalog.>=) a.first_entered_at)
	WHERE NOT a.is_exit
)
SELECT p.waterfall, p.from_stage, p.from_rank, p.to_stage, p.to_rank, count(*) AS units,
	   round(avg(p.days)::numeric, 1) AS avg_days,
	   round((percentile_cont(0.5) WITHIN GROUP (ORDER BY p.days))::numeric, 1) AS median_days,
	   round((percentile_cont(0.9) WITHIN GROUP (ORDER BY p.days))::numeric, 1) AS p90_days,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name OPERATOR(pg_catalog.=) p.waterfall) AS unit
FROM pairs p
GROUP BY p.waterfall, p.from_stage, p.from_rank, p.to_stage, p.to_rank;
COMMENT ON VIEW @extschema@.stage_to_stage_days IS
	'Days from reaching one stage to reaching another, for every pair of a ladder stage and a later ladder or exit stage: the units that made the move, average, median and 90th percentile';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.from_stage IS 'The ladder stage the days count from';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.from_rank IS 'Its position in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.to_stage IS
	'The stage the days count to: a later ladder stage, or an exit stage entered after from_stage was reached';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.to_rank IS 'Its position in the waterfall (exits follow the ladder)';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.units IS 'Units that reached both stages, in this order';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.avg_days IS 'Average days between the first time each stage was reached';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.median_days IS 'Median of the same days (exact)';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.p90_days IS '90th percentile of the same days (exact)';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.unit IS 'What the units counted are (the waterfall''s unit)';

-- The exit event of a unit is its last event, in an exit stage; the reason
-- given there is why it left.  Units that entered only exit stages have no
-- furthest stage and are left out, as in waterfall_leakage.
CREATE VIEW @extschema@.waterfall_exit_reasons WITH (security_invoker = true) AS
WITH exited AS (
	SELECT DISTINCT ON (h.waterfall, h.unit_id) h.waterfall, h.unit_id, h.furthest_stage, h.current_stage, e.reason
	FROM @extschema@.stage_histories h
	JOIN @extschema@.waterfall_stages s ON s.waterfall OPERATOR(pg_catalog.=) h.waterfall
		AND s.stage OPERATOR(pg_catalog.=) h.current_stage AND s.is_exit
	JOIN @extschema@.source_stage_events_view e ON e.waterfall OPERATOR(pg_catalog.=) h.waterfall
		AND e.unit_id OPERATOR(pg_catalog.=) h.unit_id AND e.stage OPERATOR(pg_catalog.=) h.current_stage
	WHERE h.furthest_stage IS NOT NULL
	ORDER BY h.waterfall, h.unit_id, e.entered_at DESC
)
SELECT x.waterfall, x.furthest_stage AS stage, s.rank AS stage_rank, x.current_stage AS exit_stage, x.reason,
	   count(*) AS units,
	   round(count(*)::numeric OPERATOR(pg_catalog./)
			 sum(count(*)) OVER (PARTITION BY x.waterfall, x.furthest_stage, x.current_stage), 4) AS share_of_exits,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name OPERATOR(pg_catalog.=) x.waterfall) AS unit
FROM exited x
JOIN @extschema@.waterfall_stages s ON s.waterfall OPERATOR(pg_catalog.=) x.waterfall
	AND s.stage OPERATOR(pg_catalog.=) x.furthest_stage
GROUP BY x.waterfall, x.furthest_stage, s.rank, x.current_stage, x.reason;
COMMENT ON VIEW @extschema@.waterfall_exit_reasons IS
	'Where and why units left: per furthest ladder stage, exit stage (disqualified, lost) and the reason given on the exit, the units now there';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.stage IS 'The furthest ladder stage the units reached before they left';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.stage_rank IS 'Its position in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.exit_stage IS 'The exit stage the units are in now';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.reason IS 'The reason given on the exit event; NULL when none was given';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.units IS
	'Units (the rows of a stage and exit stage add up to that column of waterfall_leakage)';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.share_of_exits IS 'units / all units of the same stage and exit stage';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.unit IS 'What the units counted are (the waterfall''s unit)';

-- ---------------------------------------------------------------- data-driven models side by side

-- Every data-driven model and heuristic over the same closed opportunities
-- as data_driven_attribution, one row per model (Markov of order 1 to 4)
-- and channel.  Revenue is rounded to the cent by the largest remainder
-- per model, so each model's rows add up exactly to the won amount.
CREATE VIEW @extschema@.data_driven_models WITH (security_invoker = true) AS
WITH summary AS (
	SELECT @extschema@.path_agg(p.path, p.is_won, CASE WHEN p.is_won THEN p.amount ELSE 0 END::float8) AS paths
	FROM @extschema@.opportunity_paths p
	WHERE p.status OPERATOR(pg_catalog.<>) 'open'
),
credits AS (
	SELECT 'markov' AS model, o.chain_order AS markov_order, m.channel, m.removal_effect, m.conversions,
		   m.value
	FROM summary s
	CROSS JOIN pg_catalog.generate_series(1, 4) o(chain_order)
	CROSS JOIN LATERAL @extschema@.markov(s.paths, o.chain_order) m
	UNION ALL
	SELECT 'shapley', NULL, x.channel, NULL, x.conversions, x.value
	FROM summary s CROSS JOIN LATERAL @extschema@.shapley(s.paths) x
	UNION ALL
	SELECT 'counterfactual', NULL, c.channel, NULL, c.conversions, c.value
	FROM summary s CROSS JOIN LATERAL @extschema@.counterfactual(s.paths) c
	UNION ALL
	SELECT v.model, NULL, h.channel, NULL, v.conversions, v.value
	FROM summary s
	CROSS JOIN LATERAL @extschema@.heuristics(s.paths) h
	CROSS JOIN LATERAL (VALUES ('first_touch', h.first_touch, h.first_touch_value),
							   ('last_touch', h.last_touch, h.last_touch_value),
							   ('linear', h.linear, h.linear_value)) v(model, conversions, value)
),
ranked AS (
	SELECT c.*, c.value::numeric OPERATOR(pg_catalog.*) 100 AS cents,
		   round(sum(c.value::numeric OPERATOR(pg_catalog.*) 100) OVER w)
			   OPERATOR(pg_catalog.-) sum(floor(c.value::numeric OPERATOR(pg_catalog.*) 100)) OVER w AS cents_left,
		   row_number() OVER (w ORDER BY c.value::numeric OPERATOR(pg_catalog.*) 100
								  OPERATOR(pg_catalog.-) floor(c.value::numeric OPERATOR(pg_catalog.*) 100) DESC,
							  c.channel) AS cents_rank
	FROM credits c
	WINDOW w AS (PARTITION BY c.model, c.markov_order)
)
SELECT r.model, r.markov_order, r.channel, round(r.removal_effect::numeric, 4) AS removal_effect,
	   round(r.conversions::numeric, 4) AS conversions,
	   ((floor(r.cents) OPERATOR(pg_catalog.+) CASE WHEN r.cents_rank OPERATOR(pg_catalog.<=) r.cents_left THEN 1 ELSE 0 END)
		OPERATOR(pg_catalog./) 100)::numeric(16,2) AS revenue
FROM ranked r;
COMMENT ON VIEW @extschema@.data_driven_models IS
	'Data-driven attribution of the closed opportunities, one row per model and channel: Markov chains of order 1 to 4, Shapley, the counterfactual model, first touch, last touch and linear';
COMMENT ON COLUMN @extschema@.data_driven_models.model IS 'markov, shapley, counterfactual, first_touch, last_touch or linear';
COMMENT ON COLUMN @extschema@.data_driven_models.markov_order IS
	'Order of the Markov chain (1 to 4: how many previous channels a step depends on); NULL for the other models';
COMMENT ON COLUMN @extschema@.data_driven_models.channel IS 'Channel';
COMMENT ON COLUMN @extschema@.data_driven_models.removal_effect IS
	'Markov only: share of conversions lost when the channel is removed from the chain';
COMMENT ON COLUMN @extschema@.data_driven_models.conversions IS
	'Won deals credited to the channel (a model''s rows add up to the won deals)';
COMMENT ON COLUMN @extschema@.data_driven_models.revenue IS
	'Revenue credited to the channel, in cents rounded so that a model''s rows add up exactly to the won amount';

-- ---------------------------------------------------------------- lead quality per channel

-- lead_quality rolled up to the source channel: its counts added up over the
-- campaigns, the rates recomputed from them (rates cannot be added up), and
-- the reasons of lead_feedback ranked per channel.  Its columns are those
-- of lead_quality, with their comments (copy_comments()).
CREATE VIEW @extschema@.lead_quality_by_channel WITH (security_invoker = true) AS
WITH quality AS (
	SELECT q.waterfall, q.source_channel, pg_catalog.sum(q.leads)::bigint AS leads,
		   pg_catalog.sum(q.qualified)::bigint AS qualified, pg_catalog.sum(q.accepted)::bigint AS accepted,
		   pg_catalog.sum(q.disqualified)::bigint AS disqualified, pg_catalog.sum(q.recycled)::bigint AS recycled
	FROM @extschema@.lead_quality q
	GROUP BY q.waterfall, q.source_channel
),
reasons AS (
	SELECT f.waterfall, f.source_channel, r.lost, f.reason, pg_catalog.sum(f.events)::bigint AS times,
		   pg_catalog.row_number() OVER (PARTITION BY f.waterfall, f.source_channel, r.lost
										 ORDER BY pg_catalog.sum(f.events) DESC, f.reason) AS reason_rank
	FROM @extschema@.lead_feedback f
	JOIN @extschema@.waterfalls w ON w.name OPERATOR(pg_catalog.=) f.waterfall
	CROSS JOIN LATERAL (SELECT f.stage OPERATOR(pg_catalog.=) ANY (w.exits)
							   AND f.stage OPERATOR(pg_catalog.<>) w.exits[1] AS lost) r
	GROUP BY f.waterfall, f.source_channel, r.lost, f.reason
)
SELECT q.waterfall, q.source_channel, q.leads, q.qualified, q.accepted,
	   round(q.accepted::numeric OPERATOR(pg_catalog./) nullif(q.qualified, 0), 4) AS acceptance_rate,
	   q.disqualified, round(q.disqualified::numeric OPERATOR(pg_catalog./) q.leads, 4) AS disqualification_rate,
	   q.recycled, round(q.recycled::numeric OPERATOR(pg_catalog./) q.leads, 4) AS recycle_rate,
	   (SELECT pg_catalog.string_agg(pg_catalog.format('%s (%s)', r.reason, r.times), ', ' ORDER BY r.reason_rank)
		FROM reasons r
		WHERE r.waterfall OPERATOR(pg_catalog.=) q.waterfall AND r.source_channel IS NOT DISTINCT FROM q.source_channel
		  AND NOT r.lost AND r.reason_rank OPERATOR(pg_catalog.<=) 3) AS top_rejection_reasons,
	   (SELECT pg_catalog.string_agg(pg_catalog.format('%s (%s)', r.reason, r.times), ', ' ORDER BY r.reason_rank)
		FROM reasons r
		WHERE r.waterfall OPERATOR(pg_catalog.=) q.waterfall AND r.source_channel IS NOT DISTINCT FROM q.source_channel
		  AND r.lost AND r.reason_rank OPERATOR(pg_catalog.<=) 3) AS top_lost_reasons
FROM quality q;
SELECT @extschema@.copy_comments('@extschema@.lead_quality', '@extschema@.lead_quality_by_channel',
	'lead_quality per source channel (all campaigns of the channel together): qualified, accepted, disqualified and recycled leads, and the reasons sales gave most');

-- ---------------------------------------------------------------- do the sources agree?

-- The rows of a sample that find no match: sample is a SELECT of one
-- column "key" (the first sample_rows of its rows are checked; NULL: all),
-- lookup a SELECT of one column "key" of the rows that match.  Written
-- without correlated subqueries, which Citus cannot plan over distributed
-- tables: the sample and its matches are materialized, then joined.
CREATE FUNCTION @extschema@.count_unmatched(sample text, lookup text, sample_rows bigint,
										   OUT checked bigint, OUT unmatched bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	EXECUTE pg_catalog.format(
		'WITH s AS MATERIALIZED (SELECT x.key FROM (%s) x LIMIT $1),'
		'     m AS MATERIALIZED (SELECT DISTINCT l.key FROM (%s) l WHERE l.key IN (SELECT s.key FROM s))'
		' SELECT count(*), count(*) FILTER (WHERE m.key IS NULL) FROM s LEFT JOIN m ON m.key OPERATOR(pg_catalog.=) s.key',
		sample, lookup)
	INTO checked, unmatched USING sample_rows;
END
$$;
COMMENT ON FUNCTION @extschema@.count_unmatched(text, text, bigint) IS
	'For check_sources(): how many of the first sample_rows keys of a query find no key of another (NULL: all rows)';

-- Each source can be a table of the extension or a relation of yours, set
-- with use_source(): nothing stops one kind from still reading the empty
-- built-in table while the others read your data, or the ids of two kinds
-- from not matching.  The views then give numbers, just wrong ones (no lead
-- milestone moves W-shaped credit; touches of unknown contacts join
-- nothing).  check_sources() looks for that.  sample_rows limits each check
-- to the first rows read (NULL: all rows); use_source() runs it on 10,000.
CREATE FUNCTION @extschema@.check_sources(sample_rows bigint DEFAULT NULL)
RETURNS TABLE(kind text, "check" text, status text, detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	kinds constant text[] := '{touchpoints,contacts,opportunities,opportunity_contacts,stage_events,campaign_costs}';
	k text;
	readable text[] := '{}';
	nonempty text[] := '{}';
	failure text;
	found_rows boolean;
	checked bigint;
	bad bigint;
	share numeric;
	scope text;
	consequence text;
	c record;
BEGIN
	IF sample_rows OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'sample_rows must be at least 1'
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = pg_catalog.format('It is %s.', sample_rows),
			HINT = 'Give the number of rows each check reads, or NULL to read all rows.';
	END IF;
	scope := CASE WHEN sample_rows IS NULL THEN '' ELSE pg_catalog.format(' Only the first %s rows were read.', sample_rows) END;

	-- 1. every kind: can it be read, does it have rows?
	FOREACH k IN ARRAY kinds LOOP
		BEGIN
			EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %I.%I())', '@extschema@', 'source_' OPERATOR(pg_catalog.||) k)
				INTO found_rows;
			readable := readable OPERATOR(pg_catalog.||) k;
			IF found_rows THEN
				nonempty := nonempty OPERATOR(pg_catalog.||) k;
			END IF;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS failure = MESSAGE_TEXT;
			kind := k; "check" := 'rows'; status := 'error';
			detail := pg_catalog.format('Reading %s fails: %s.', @extschema@.source_name(k), failure);
			RETURN NEXT;
		END;
	END LOOP;
	FOREACH k IN ARRAY kinds LOOP
		CONTINUE WHEN NOT k OPERATOR(pg_catalog.=) ANY (readable);
		kind := k; "check" := 'rows';
		IF k OPERATOR(pg_catalog.=) ANY (nonempty) THEN
			status := 'ok';
			detail := pg_catalog.format('%s has rows.', @extschema@.source_name(k));
		ELSIF pg_catalog.cardinality(nonempty) OPERATOR(pg_catalog.=) 0 THEN
			status := 'ok';
			detail := pg_catalog.format('%s is empty, and so are the other sources.', @extschema@.source_name(k));
		ELSE
			consequence := CASE k
				WHEN 'touchpoints' THEN 'every opportunity is unattributed and no lead has a source'
				WHEN 'contacts' THEN 'no opportunity has a lead-creation milestone (W-shaped and full-path credit moves to the other milestones) and lead_quality has no leads'
				WHEN 'opportunities' THEN 'there is nothing to attribute: the credit and performance views are empty'
				WHEN 'opportunity_contacts' THEN 'no opportunity has a contact, so no journey has a touch: every opportunity is unattributed'
				WHEN 'stage_events' THEN 'the waterfall views are empty'
				ELSE 'cost, ROI and cost per deal are NULL' END;
			status := CASE WHEN k OPERATOR(pg_catalog.=) ANY ('{stage_events,campaign_costs}') THEN 'notice' ELSE 'warning' END;
			detail := pg_catalog.format('%s is empty while %s %s rows: %s.', @extschema@.source_name(k),
							pg_catalog.array_to_string(nonempty, ', '),
							CASE WHEN pg_catalog.cardinality(nonempty) OPERATOR(pg_catalog.=) 1 THEN 'has' ELSE 'have' END,
							consequence);
		END IF;
		RETURN NEXT;
	END LOOP;

	-- 2. do the ids of one kind find the rows of another?  3. the
	-- opportunities: contacts, the lead-creation milestone, touches.  4. stage
	-- events: known stages, and contacts for the contact waterfalls.  Each
	-- check counts the keys of a sample that find no key of a lookup; it
	-- needs rows in some kinds and others readable, and rates what it finds
	-- as an error (any key unmatched), a warning (any) or a notice (up to
	-- half; more is a warning).  Its detail is a format of the unmatched, the
	-- checked, the percentage, the consequence (when any is unmatched) and
	-- the scope.
	FOR c IN
		SELECT * FROM (VALUES
			(1, 'touchpoints', 'contact known', '{touchpoints,contacts}'::text[], '{}'::text[],
			 'SELECT t.contact_id AS key FROM @extschema@.source_touchpoints_view t',
			 'SELECT c.contact_id AS key FROM @extschema@.source_contacts_view c',
			 'warning', '%s of %s touchpoints (%s%%) name a contact_id that is not in contacts%s.%s',
			 ': those contacts have no lead-creation time and their leads no source',
			 'Needs rows in touchpoints and contacts.', NULL),
			(2, 'opportunity_contacts', 'contact known', '{opportunity_contacts,contacts}', '{}',
			 'SELECT oc.contact_id AS key FROM @extschema@.source_opportunity_contacts_view oc',
			 'SELECT c.contact_id AS key FROM @extschema@.source_contacts_view c',
			 'warning', '%s of %s opportunity contacts (%s%%) name a contact_id that is not in contacts%s.%s',
			 ': they give their opportunity no lead-creation time',
			 'Needs rows in opportunity_contacts and contacts.', NULL),
			(3, 'opportunity_contacts', 'opportunity known', '{opportunity_contacts,opportunities}', '{}',
			 'SELECT oc.opportunity_id AS key FROM @extschema@.source_opportunity_contacts_view oc',
			 'SELECT o.opportunity_id AS key FROM @extschema@.source_opportunities_view o',
			 'warning', '%s of %s opportunity contacts (%s%%) name an opportunity_id that is not in opportunities%s.%s',
			 ': they join nothing',
			 'Needs rows in opportunity_contacts and opportunities.', NULL),
			(4, 'opportunities', 'has contacts', '{opportunities}', '{opportunity_contacts}',
			 'SELECT o.opportunity_id AS key FROM @extschema@.source_opportunities_view o',
			 'SELECT oc.opportunity_id AS key FROM @extschema@.source_opportunity_contacts_view oc',
			 'notice', '%s of %s opportunities (%s%%) have no contacts%s.%s',
			 ': they have no journey and stay unattributed',
			 'Needs rows in opportunities, and the sources it joins readable.', NULL),
			(5, 'opportunities', 'lead-creation milestone', '{opportunities}', '{opportunity_contacts,contacts}',
			 'SELECT o.opportunity_id AS key FROM @extschema@.source_opportunities_view o',
			 'SELECT oc.opportunity_id AS key FROM @extschema@.source_opportunity_contacts_view oc JOIN @extschema@.source_contacts_view c ON c.contact_id OPERATOR(pg_catalog.=) oc.contact_id',
			 'notice', '%s of %s opportunities (%s%%) have no contact in contacts, so no lead-creation time%s.%s',
			 ': W-shaped and full-path give the lead-creation share to the other milestones',
			 'Needs rows in opportunities, and the sources it joins readable.', NULL),
			(6, 'opportunities', 'has touches', '{opportunities}', '{opportunity_contacts,touchpoints}',
			 'SELECT o.opportunity_id AS key FROM @extschema@.source_opportunities_view o',
			 'SELECT oc.opportunity_id AS key FROM @extschema@.source_opportunity_contacts_view oc JOIN @extschema@.source_touchpoints_view t ON t.contact_id OPERATOR(pg_catalog.=) oc.contact_id',
			 'notice', '%s of %s opportunities (%s%%) have no touch of any of their contacts%s.%s',
			 ': they are unattributed under every model',
			 'Needs rows in opportunities, and the sources it joins readable.', NULL),
			(7, 'stage_events', 'stage known', '{stage_events}', '{}',
			 'SELECT pg_catalog.jsonb_build_array(e.waterfall, e.stage)::text AS key FROM @extschema@.source_stage_events_view e',
			 'SELECT pg_catalog.jsonb_build_array(s.waterfall, s.stage)::text AS key FROM @extschema@.waterfall_stages s',
			 'error', '%1$s of %2$s stage events name a waterfall or a stage that attribution.waterfalls does not have%4$s.%5$s',
			 ': the waterfall views fail on them',
			 'Needs rows in stage_events.', NULL),
			(8, 'stage_events', 'contact known', '{stage_events,contacts}', '{}',
			 'SELECT e.unit_id AS key FROM @extschema@.source_stage_events_view e JOIN @extschema@.waterfalls w ON w.name OPERATOR(pg_catalog.=) e.waterfall WHERE w.unit OPERATOR(pg_catalog.=) ''contact''',
			 'SELECT c.contact_id AS key FROM @extschema@.source_contacts_view c',
			 'notice', '%s of %s stage events of contact waterfalls (%s%%) name a unit_id that is not in contacts%s.%s',
			 ': lead_quality and lead_feedback find no source for them',
			 'Needs rows in stage_events and contacts.', 'No stage events of a waterfall whose unit is contact.')
		) AS x(n, kind, "check", needs_rows, needs_readable, sample, lookup, level, message, consequence, skipped,
			   none_checked)
		ORDER BY x.n
	LOOP
		kind := c.kind; "check" := c."check";
		IF NOT (c.needs_rows OPERATOR(pg_catalog.<@) nonempty AND c.needs_readable OPERATOR(pg_catalog.<@) readable) THEN
			status := 'skipped'; detail := c.skipped;
		ELSE
			SELECT u.checked, u.unmatched INTO checked, bad FROM @extschema@.count_unmatched(c.sample, c.lookup, sample_rows) u;
			IF checked OPERATOR(pg_catalog.=) 0 AND c.none_checked IS NOT NULL THEN
				status := 'skipped'; detail := c.none_checked;
			ELSE
				share := bad::numeric OPERATOR(pg_catalog./) NULLIF(checked, 0);
				status := CASE WHEN bad OPERATOR(pg_catalog.=) 0 THEN 'ok'
							   WHEN c.level OPERATOR(pg_catalog.=) 'notice' AND share OPERATOR(pg_catalog.<=) 0.5 THEN 'notice'
							   WHEN c.level OPERATOR(pg_catalog.=) 'error' THEN 'error' ELSE 'warning' END;
				detail := pg_catalog.format(c.message, bad, checked, round(100 OPERATOR(pg_catalog.*) share, 1),
								CASE WHEN bad OPERATOR(pg_catalog.>) 0 THEN c.consequence ELSE '' END, scope);
			END IF;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.check_sources(bigint) IS
	'Checks that the sources of the reporting views agree: kinds still empty while others have rows, ids that find nothing in another kind, opportunities without contacts, lead-creation milestone or touches; one row per check with status ok, notice, warning, error or skipped';

CREATE FUNCTION @extschema@.source_name(kind text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	relation text;
BEGIN
	PERFORM @extschema@.known_source_kind(kind);
	SELECT s.relation INTO relation FROM @extschema@.sources s WHERE s.kind OPERATOR(pg_catalog.=) source_name.kind;
	IF relation IS NOT NULL THEN
		RETURN pg_catalog.format('%s (yours, set with use_source())', relation);
	END IF;
	RETURN pg_catalog.format('%I.%I (the built-in table)', '@extschema@', kind);
END
$$;
COMMENT ON FUNCTION @extschema@.source_name(text) IS
	'What the reporting views read for a kind of source, in words: your relation set with use_source(), or the built-in table';

-- ---------------------------------------------------------------- publishing the reports to a BI role

-- The views are security_invoker: whoever reads them needs the privileges
-- on the tables behind them, and row-level security of those tables
-- applies to them.  A BI role that may see the reports but not the raw
-- touchpoints therefore reads published views: publish() creates, in a
-- schema of your choice, one view per reporting view that reads it with
-- the privileges of its owner (you), through a SECURITY DEFINER function
-- (an owner-rights view over an invoker-rights view would still check the
-- reader's privileges on the tables), with the comments of the view and
-- its columns, and grants them to the role.  Columns of the extension's
-- own types are left out and arrays are published as text, so a BI tool
-- sees scalars only.  Publishing again replaces what publish() made and
-- keeps the grants on it.
CREATE FUNCTION @extschema@.publish(target_schema text, grantee text, views text[] DEFAULT NULL)
RETURNS TABLE(view_name text, published_as text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	v record;
	col record;
	g record;
	unknown text;
	select_items text[];
	result_columns text[];
	view_items text[];
	target text;
	target_fn text;
	existing oid;
	existing_fn oid;
	view_grants text[];
	function_grants text[];
	array_comments text[];
	statement text;
BEGIN
	IF target_schema IS NULL OR target_schema OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'schema to publish into must be given'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'publish() creates the published views in a schema of your choice.',
			HINT = 'Give a schema name such as ''bi''; it is created when it does not exist.';
	END IF;
	IF target_schema OPERATOR(pg_catalog.=) '@extschema@' OR target_schema OPERATOR(pg_catalog.=) 'information_schema'
		OR pg_catalog.left(target_schema, 3) OPERATOR(pg_catalog.=) 'pg_' THEN
		RAISE EXCEPTION 'cannot publish into schema "%"', target_schema
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = 'The published views go into a schema of your own, not into the extension''s or a system schema.',
			HINT = 'Give a schema name such as ''bi''.';
	END IF;
	IF grantee IS NOT NULL AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) grantee) THEN
		RAISE EXCEPTION 'role "%" does not exist', grantee
			USING ERRCODE = 'undefined_object',
			DETAIL = 'publish() grants the published views to this role.',
			HINT = 'Create the role first, or give NULL to grant nothing.';
	END IF;
	SELECT pg_catalog.string_agg(pg_catalog.format('%L', u.name), ', ') INTO unknown
	FROM pg_catalog.unnest(views) u(name)
	WHERE u.name IS NULL OR NOT EXISTS (SELECT FROM @extschema@.reporting_views r WHERE r.view_name OPERATOR(pg_catalog.=) u.name);
	IF unknown IS NOT NULL THEN
		RAISE EXCEPTION 'unknown reporting views: %', unknown
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = 'Only the reporting views of the extension can be published.',
			HINT = pg_catalog.format('Use some of: %s; or NULL for all of them.',
				(SELECT pg_catalog.string_agg(r.view_name, ', ' ORDER BY r.view_name) FROM @extschema@.reporting_views r));
	END IF;

	IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) target_schema) THEN
		EXECUTE pg_catalog.format('CREATE SCHEMA %I', target_schema);
	END IF;
	IF grantee IS NOT NULL THEN
		EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %I', target_schema, grantee);
	END IF;

	FOR v IN
		SELECT r.view_name, pg_catalog.format('%I.%I', '@extschema@', r.view_name)::regclass AS source
		FROM @extschema@.reporting_views r
		WHERE views IS NULL OR r.view_name OPERATOR(pg_catalog.=) ANY (views)
		ORDER BY r.view_name
	LOOP
		target := pg_catalog.format('%I.%I', target_schema, v.view_name);
		target_fn := pg_catalog.format('%I.%I', target_schema, v.view_name OPERATOR(pg_catalog.||) '_rows');

		-- only what publish() made is replaced
		SELECT c.oid INTO existing FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
		WHERE n.nspname OPERATOR(pg_catalog.=) target_schema AND c.relname OPERATOR(pg_catalog.=) v.view_name;
		SELECT p.oid INTO existing_fn FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
		WHERE n.nspname OPERATOR(pg_catalog.=) target_schema
		  AND p.proname OPERATOR(pg_catalog.=) (v.view_name OPERATOR(pg_catalog.||) '_rows')
		  AND p.pronargs OPERATOR(pg_catalog.=) 0;
		IF existing IS NOT NULL AND (existing_fn IS NULL OR NOT EXISTS (
				SELECT FROM pg_catalog.pg_rewrite rw JOIN pg_catalog.pg_depend d
					ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid OPERATOR(pg_catalog.=) rw.oid
				WHERE rw.ev_class OPERATOR(pg_catalog.=) existing
				  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
				  AND d.refobjid OPERATOR(pg_catalog.=) existing_fn)) THEN
			RAISE EXCEPTION 'relation % already exists', target
				USING ERRCODE = 'duplicate_table',
				DETAIL = 'It was not made by publish(), which replaces only the views it made.',
				HINT = 'Publish into another schema, or drop or rename that relation.';
		END IF;
		IF existing_fn IS NOT NULL AND existing IS NULL THEN
			RAISE EXCEPTION 'function %() already exists', target_fn
				USING ERRCODE = 'duplicate_function',
				DETAIL = pg_catalog.format('publish() reads the view %s through a function of that name.', target),
				HINT = 'Publish into another schema, or drop or rename that function.';
		END IF;

		-- the grants of what is replaced, to give again
		view_grants := '{}';
		function_grants := '{}';
		IF existing IS NOT NULL THEN
			SELECT coalesce(pg_catalog.array_agg(pg_catalog.format('GRANT %s ON %s TO %s', a.privilege_type, target,
						CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
							 ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END)), '{}')
			INTO view_grants
			FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
			WHERE c.oid OPERATOR(pg_catalog.=) existing AND a.grantee OPERATOR(pg_catalog.<>) c.relowner;
			SELECT coalesce(pg_catalog.array_agg(pg_catalog.format('GRANT %s ON FUNCTION %s() TO %s', a.privilege_type, target_fn,
						CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
							 ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END)), '{}')
			INTO function_grants
			FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
			WHERE p.oid OPERATOR(pg_catalog.=) existing_fn AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
			  AND a.grantee OPERATOR(pg_catalog.<>) 0;
			EXECUTE pg_catalog.format('DROP VIEW %s', target);
			EXECUTE pg_catalog.format('DROP FUNCTION %s()', target_fn);
		END IF;

		-- scalar columns only: the extension's own types are left out, arrays become text
		select_items := '{}';
		result_columns := '{}';
		view_items := '{}';
		array_comments := '{}';
		FOR col IN
			SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS declared, t.typcategory,
				   pg_catalog.col_description(v.source, a.attnum) AS description,
				   EXISTS (SELECT FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid
						   WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass
							 AND d.objid OPERATOR(pg_catalog.=) a.atttypid AND d.deptype OPERATOR(pg_catalog.=) 'e'
							 AND e.extname OPERATOR(pg_catalog.=) 'attribution') AS own_type
			FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
			WHERE a.attrelid OPERATOR(pg_catalog.=) v.source AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
			ORDER BY a.attnum
		LOOP
			CONTINUE WHEN col.own_type;
			IF col.typcategory OPERATOR(pg_catalog.=) 'A' THEN
				select_items := select_items OPERATOR(pg_catalog.||)
					pg_catalog.format('pg_catalog.array_to_string(v.%I, '' > '')', col.attname);
				result_columns := result_columns OPERATOR(pg_catalog.||) pg_catalog.format('%I text', col.attname);
				view_items := view_items OPERATOR(pg_catalog.||) pg_catalog.format('r.%I', col.attname);
				-- given after copy_comments() below, which copies the description alone
				array_comments := array_comments OPERATOR(pg_catalog.||)
					pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', target, col.attname,
									  coalesce(col.description OPERATOR(pg_catalog.||) ' ', '')
									  OPERATOR(pg_catalog.||) '(as text: the elements joined by " > ")');
			ELSE
				select_items := select_items OPERATOR(pg_catalog.||) pg_catalog.format('v.%I', col.attname);
				result_columns := result_columns OPERATOR(pg_catalog.||) pg_catalog.format('%I %s', col.attname, col.declared);
				-- a function's result loses the type modifier (numeric(16,2)); the view gives it back
				view_items := view_items OPERATOR(pg_catalog.||) pg_catalog.format('r.%I::%s AS %I', col.attname, col.declared, col.attname);
			END IF;
		END LOOP;

		EXECUTE pg_catalog.format('CREATE FUNCTION %s() RETURNS TABLE(%s) LANGUAGE sql STABLE SECURITY DEFINER '
								  'SET search_path = pg_catalog, pg_temp AS %L',
								  target_fn, pg_catalog.array_to_string(result_columns, ', '),
								  pg_catalog.format(' SELECT %s FROM %s v ', pg_catalog.array_to_string(select_items, ', '), v.source));
		EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s() FROM PUBLIC', target_fn);
		EXECUTE pg_catalog.format('COMMENT ON FUNCTION %s() IS %L', target_fn,
								  pg_catalog.format('The rows of %s for the published view %s, read with the privileges of the function''s owner (SECURITY DEFINER)',
													v.source, target));
		EXECUTE pg_catalog.format('CREATE VIEW %s WITH (security_invoker = false) AS SELECT %s FROM %s() r', target,
								  pg_catalog.array_to_string(view_items, ', '), target_fn);
		PERFORM @extschema@.copy_comments(v.source, target::regclass);
		FOREACH statement IN ARRAY array_comments LOOP
			EXECUTE statement;
		END LOOP;
		IF grantee IS NOT NULL THEN
			EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s() TO %I', target_fn, grantee);
			EXECUTE pg_catalog.format('GRANT SELECT ON %s TO %I', target, grantee);
		END IF;
		FOREACH statement IN ARRAY view_grants OPERATOR(pg_catalog.||) function_grants LOOP
			EXECUTE statement;
		END LOOP;

		view_name := v.view_name;
		published_as := target;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.publish(text, text, text[]) IS
	'Publishes the reporting views (all, or those named) into a schema of your choice as views that read with your privileges, with their comments, scalar columns only, granted to a role: a BI role can read the reports without any privilege on the tables';
-- Reporting layer: scale-out on Citus (distributed PostgreSQL).
--
-- distribute() turns the canonical tables into Citus tables:
--
-- - contacts, touchpoints, opportunity_contacts and stage_events are
--   distributed by the contact (contact_id, and unit_id for stage events)
--   and co-located, so that a contact's touches, its opportunity
--   memberships and its stage history sit on the same shard and the views
--   join them there;
-- - campaign_costs is distributed by campaign (it only meets the rest once
--   added up);
-- - opportunities and the configuration tables (models, waterfalls,
--   waterfall_stages, stage_targets) become reference tables, copied to
--   every node: the journeys join them to any shard, and the foreign keys
--   of the distributed tables may point at them.
--
-- Citus wants the distribution column in every primary key: touchpoints'
-- key (touchpoint_id) becomes (contact_id, touchpoint_id), so on Citus a
-- touchpoint id is unique per contact only and its uniqueness across
-- contacts is the loader's business (a sequence, as on a single node).
-- The other keys already hold their distribution column.

-- The plan, in order.  Reference tables first, referenced before
-- referencing, so that every foreign key is created between Citus tables
-- (citus.enable_local_reference_table_foreign_keys is off: a reference
-- table with a foreign key to a local table would otherwise turn that
-- table into a Citus local table, which means dropping and re-creating the
-- extension's views that read it, which the extension forbids).  The
-- triggers of models and waterfalls are disabled while Citus copies their
-- rows into the reference table (a copied built-in row must stay built-in)
-- and enabled again after (citus.enable_unsafe_triggers lets Citus put
-- them on every node's copy; they only touch the copy they fire on).
CREATE FUNCTION @extschema@.distribution_plan()
RETURNS TABLE(step integer, table_name text, statement text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT row_number() OVER ()::integer, p.table_name, p.statement
	FROM (VALUES
		(NULL, 'SET LOCAL citus.enable_local_reference_table_foreign_keys = off'),
		(NULL, 'SET LOCAL citus.enable_unsafe_triggers = on'),
		('@extschema@.touchpoints',
		 'ALTER TABLE @extschema@.touchpoints DROP CONSTRAINT touchpoints_pkey, '
		 || 'ADD CONSTRAINT touchpoints_pkey PRIMARY KEY (contact_id, touchpoint_id)'),
		('@extschema@.waterfalls', 'ALTER TABLE @extschema@.waterfalls DISABLE TRIGGER USER'),
		('@extschema@.waterfalls', 'SELECT create_reference_table(''@extschema@.waterfalls'')'),
		('@extschema@.waterfalls', 'ALTER TABLE @extschema@.waterfalls ENABLE TRIGGER USER'),
		('@extschema@.waterfall_stages', 'SELECT create_reference_table(''@extschema@.waterfall_stages'')'),
		('@extschema@.models', 'ALTER TABLE @extschema@.models DISABLE TRIGGER USER'),
		('@extschema@.models', 'SELECT create_reference_table(''@extschema@.models'')'),
		('@extschema@.models', 'ALTER TABLE @extschema@.models ENABLE TRIGGER USER'),
		('@extschema@.stage_targets', 'SELECT create_reference_table(''@extschema@.stage_targets'')'),
		('@extschema@.opportunities', 'SELECT create_reference_table(''@extschema@.opportunities'')'),
		('@extschema@.contacts',
		 'SELECT create_distributed_table(''@extschema@.contacts'', ''contact_id'', colocate_with => ''none'')'),
		('@extschema@.touchpoints',
		 'SELECT create_distributed_table(''@extschema@.touchpoints'', ''contact_id'', colocate_with => ''@extschema@.contacts'')'),
		('@extschema@.opportunity_contacts',
		 'SELECT create_distributed_table(''@extschema@.opportunity_contacts'', ''contact_id'', colocate_with => ''@extschema@.contacts'')'),
		('@extschema@.stage_events',
		 'SELECT create_distributed_table(''@extschema@.stage_events'', ''unit_id'', colocate_with => ''@extschema@.contacts'')'),
		('@extschema@.campaign_costs',
		 'SELECT create_distributed_table(''@extschema@.campaign_costs'', ''campaign'', colocate_with => ''none'')')
	) p(table_name, statement)
$$;
COMMENT ON FUNCTION @extschema@.distribution_plan() IS
	'The statements distribute() runs on a Citus coordinator, in order (the key of touchpoints also on every worker): reference tables, then the co-located distributed tables';

-- Runs the plan.  A table that is already a Citus table is skipped, so it
-- can run again after a failure or after adding a node (whose copy of
-- touchpoints gets the key then).  At the end the
-- source functions of the built-in tables are re-created (see
-- source_apply()), so that calling them on the coordinator gives the
-- distributed rows.  The key of
-- touchpoints is changed on the workers first, in their own transactions
-- (run_command_on_workers): the workers have the extension's tables too
-- (Citus installs the extension there), and it uses them as its
-- descriptions of the distributed tables, so they must have the same key.
CREATE FUNCTION @extschema@.distribute()
RETURNS TABLE(step integer, statement text, done boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record;
	citus_tables regclass[];
	failures text;
	saved_fkeys text;
	saved_triggers text;
	key_change constant text := pg_catalog.format(
		'DO $do$ BEGIN IF (SELECT pg_catalog.cardinality(c.conkey) FROM pg_catalog.pg_constraint c '
		'WHERE c.conrelid = %L::pg_catalog.regclass AND c.contype = ''p'') = 1 THEN '
		'PERFORM pg_catalog.set_config(''citus.enable_ddl_propagation'', ''off'', true); %s; END IF; END $do$',
		'@extschema@.touchpoints',
		(SELECT d.statement FROM @extschema@.distribution_plan() d WHERE d.statement LIKE 'ALTER TABLE%touchpoints_pkey%'));
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'distribute() needs the citus extension'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = 'Citus is not installed in this database, so there is nothing to distribute the tables over.',
			HINT = 'Install Citus on the coordinator and the workers, run CREATE EXTENSION citus and add the workers with citus_add_node(), then call distribute() again. A single server needs no distribution.';
	END IF;
	EXECUTE 'SELECT coalesce(pg_catalog.array_agg(logicalrelid), ''{}'') FROM pg_catalog.pg_dist_partition'
	INTO citus_tables;
	-- the plan sets two settings for the transaction; they are restored at the end
	saved_fkeys := pg_catalog.current_setting('citus.enable_local_reference_table_foreign_keys');
	saved_triggers := pg_catalog.current_setting('citus.enable_unsafe_triggers');

	-- every time: a worker added since has the extension's own key
	EXECUTE 'SELECT pg_catalog.string_agg(pg_catalog.format(''%s:%s: %s'', nodename, nodeport, result), ''; '') '
			'FROM pg_catalog.run_command_on_workers($1) WHERE NOT success'
	INTO failures USING key_change;
	IF failures IS NOT NULL THEN
		RAISE EXCEPTION 'could not change the key of touchpoints on every worker'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = failures || '.',
			HINT = 'Check that every worker is up and has the extension at the coordinator''s version, then call distribute() again.';
	END IF;

	FOR p IN SELECT * FROM @extschema@.distribution_plan() d ORDER BY d.step
	LOOP
		step := p.step;
		statement := p.statement;
		done := p.table_name IS NULL OR NOT p.table_name::regclass = ANY (citus_tables);
		IF done AND p.statement LIKE 'ALTER TABLE%touchpoints_pkey%' THEN
			done := (SELECT pg_catalog.cardinality(c.conkey) = 1 FROM pg_catalog.pg_constraint c
					 WHERE c.conrelid = '@extschema@.touchpoints'::regclass AND c.contype = 'p');
		END IF;
		IF done THEN
			EXECUTE p.statement;
		END IF;
		RETURN NEXT;
	END LOOP;
	-- the source functions of the built-in tables now read Citus tables
	PERFORM @extschema@.source_apply(k.kind, NULL)
	FROM (SELECT DISTINCT c.kind FROM @extschema@.source_columns c) k
	WHERE NOT EXISTS (SELECT 1 FROM @extschema@.sources s WHERE s.kind = k.kind);
	PERFORM pg_catalog.set_config('citus.enable_local_reference_table_foreign_keys', saved_fkeys, true);
	PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', saved_triggers, true);
END
$$;
COMMENT ON FUNCTION @extschema@.distribute() IS
	'On a Citus coordinator: makes the canonical tables distributed by contact (co-located) and opportunities and the configuration tables reference tables (see distribution_plan()); returns every statement and whether it ran (false: already done). Errors without Citus';
-- Reporting layer, last part: materialized copies of the heavy views.
--
-- The views compute on every query, which is right for the demo and for a
-- few hundred thousand touchpoints.  Past that, materialize(view) stores a
-- copy (CREATE MATERIALIZED VIEW ... AS SELECT * FROM the view) with a
-- unique index on the view's key, and refresh_materialized() refreshes the
-- copies CONCURRENTLY, so BI tools keep reading while it runs.

CREATE TABLE @extschema@.materialized_views (
	matview text NOT NULL,
	view_name text NOT NULL,
	key_columns text[] NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT materialized_views_pkey PRIMARY KEY (matview)
);
COMMENT ON TABLE @extschema@.materialized_views IS
	'The materialized copies made by materialize(), refreshed by refresh_materialized()';
COMMENT ON COLUMN @extschema@.materialized_views.matview IS 'Schema-qualified name of the materialized view';
COMMENT ON COLUMN @extschema@.materialized_views.view_name IS 'The view it copies (in the extension''s schema)';
COMMENT ON COLUMN @extschema@.materialized_views.key_columns IS 'Columns of its unique index';
COMMENT ON COLUMN @extschema@.materialized_views.created_at IS 'When it was made';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.materialized_views', '');

CREATE VIEW @extschema@.reporting_views WITH (security_invoker = true) AS
SELECT v.view_name, v.key_columns
FROM (VALUES
	('opportunity_touchpoints', '{opportunity_id,touchpoint_id}'::text[]),
	('opportunity_journeys', '{opportunity_id}'),
	('opportunity_credits', '{model,opportunity_id,touchpoint_id}'),
	('opportunity_touch_credits', '{model,opportunity_id,touchpoint_id}'),
	('channel_performance', '{model,attributed,channel}'),
	('campaign_performance', '{model,attributed,channel,campaign}'),
	('campaign_performance_monthly', '{model,month,attributed,channel,campaign}'),
	('opportunity_paths', '{opportunity_id}'),
	('data_driven_attribution', '{channel}'),
	('stage_histories', '{waterfall,unit_id}'),
	('waterfall_cohorts', '{waterfall,cohort,stage}'),
	('waterfall_flow', '{waterfall,month,stage}'),
	('waterfall_velocity', '{waterfall,stage}'),
	('waterfall_leakage', '{waterfall,stage}'),
	('plan_vs_actual', '{waterfall,grain,period,stage}'),
	('lead_sources', '{contact_id}'),
	('lead_quality', '{waterfall,source_channel,source_campaign}'),
	('lead_feedback', '{waterfall,source_channel,source_campaign,stage,reason}'),
	('models_enabled', '{model}'),
	('waterfall_list', '{waterfall}'),
	('waterfall_stage_list', '{waterfall,stage}'),
	('reverse_waterfall_plan', '{waterfall,grain,period,stage}'),
	('stage_to_stage_days', '{waterfall,from_stage,to_stage}'),
	('waterfall_exit_reasons', '{waterfall,stage,exit_stage,reason}'),
	('data_driven_models', '{model,markov_order,channel}'),
	('lead_quality_by_channel', '{waterfall,source_channel}'),
	('campaign_pipeline_by_created_month', '{model,created_month,attributed,channel,campaign}')
) v(view_name, key_columns);
COMMENT ON VIEW @extschema@.reporting_views IS
	'The reporting views that materialize() can store and publish() can publish, with the columns that identify their rows';
COMMENT ON COLUMN @extschema@.reporting_views.view_name IS 'Name of the view in the extension''s schema';
COMMENT ON COLUMN @extschema@.reporting_views.key_columns IS
	'Columns that identify a row (the unique index of a materialized copy; NULL values never repeat a key)';
GRANT SELECT ON @extschema@.reporting_views TO PUBLIC;

-- A copy holds every row that the role refreshing it can see: row-level
-- security is not applied to materialized views.  So copies never go into
-- the extension's schema, whose tables and views are what BI roles are
-- granted; they go into a schema of the caller's choosing (by default the
-- first schema of the caller's search_path), to be granted on their own.
CREATE FUNCTION @extschema@.materialize_into(view_name text, matview text, default_schema name)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	keys text[] := (SELECT r.key_columns FROM @extschema@.reporting_views r WHERE r.view_name = materialize_into.view_name);
	target text;
	target_schema text;
	target_name text;
	parts text[];
BEGIN
	IF keys IS NULL THEN
		RAISE EXCEPTION 'unknown reporting view "%"', view_name
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = 'Only the reporting views of the extension can be materialized by this function.',
			HINT = pg_catalog.format('Use one of: %s.',
				(SELECT pg_catalog.string_agg(r.view_name, ', ' ORDER BY r.view_name) FROM @extschema@.reporting_views r));
	END IF;
	IF matview IS NULL THEN
		target_schema := default_schema;
		target_name := view_name || '_materialized';
	ELSE
		parts := pg_catalog.parse_ident(matview);
		IF pg_catalog.cardinality(parts) > 2 THEN
			RAISE EXCEPTION 'improper materialized view name "%"', matview
				USING ERRCODE = 'invalid_name',
				DETAIL = 'The name has more than two parts.',
				HINT = 'Give name or schema.name.';
		END IF;
		target_schema := CASE WHEN pg_catalog.cardinality(parts) = 2 THEN parts[1] ELSE default_schema END;
		target_name := parts[pg_catalog.cardinality(parts)];
	END IF;
	IF target_schema IS NULL THEN
		RAISE EXCEPTION 'no schema has been selected for the materialized copy of %', view_name
			USING ERRCODE = 'invalid_schema_name',
			DETAIL = 'No schema of the search_path exists.',
			HINT = 'Give the name as schema.name.';
	END IF;
	IF target_schema = '@extschema@' THEN
		RAISE EXCEPTION 'a materialized copy cannot be stored in the schema of the extension'
			USING ERRCODE = 'invalid_schema_name',
			DETAIL = pg_catalog.format('A copy holds every row its refresher can see (row-level security does not apply to it), and the roles granted the tables and views of schema %s must not read it.', target_schema),
			HINT = pg_catalog.format('Give a schema of your own, for example materialize(%L, %L), and grant the copy only to roles that may see all of its rows.',
						view_name, 'reports.' || view_name);
	END IF;
	target := pg_catalog.format('%I.%I', target_schema, target_name);
	EXECUTE pg_catalog.format('CREATE MATERIALIZED VIEW %s AS SELECT * FROM %I.%I', target, '@extschema@', view_name);
	EXECUTE pg_catalog.format('CREATE UNIQUE INDEX %I ON %s (%s)', target_name || '_key', target,
				   (SELECT pg_catalog.string_agg(pg_catalog.format('%I', k), ', ') FROM pg_catalog.unnest(keys) k));
	-- the view's documentation goes with it
	PERFORM @extschema@.copy_comments(pg_catalog.format('%I.%I', '@extschema@', view_name)::regclass, target::regclass,
		pg_catalog.format('%s (materialized copy of %I.%I, refreshed by %I.refresh_materialized())',
			pg_catalog.obj_description(pg_catalog.format('%I.%I', '@extschema@', view_name)::regclass, 'pg_class'),
			'@extschema@', view_name, '@extschema@'));
	INSERT INTO @extschema@.materialized_views (matview, view_name, key_columns) VALUES (target, view_name, keys);
	RETURN target;
END
$$;
COMMENT ON FUNCTION @extschema@.materialize_into(text, text, name) IS
	'The work of materialize(): stores a reporting view as a materialized view named matview (default <view>_materialized) in default_schema when the name has no schema, never in the extension''s schema';

-- Names resolve here, on the caller's search_path; the rest runs with a
-- pinned one.
CREATE FUNCTION @extschema@.materialize(view_name text, matview text DEFAULT NULL)
RETURNS text
LANGUAGE sql
AS $$ SELECT @extschema@.materialize_into(view_name, matview, pg_catalog.current_schema()) $$;
COMMENT ON FUNCTION @extschema@.materialize(text, text) IS
	'Stores a reporting view as a materialized view (name or schema.name; default: <view>_materialized in the first schema of the search_path, never the extension''s schema) with a unique index on its key, for refresh_materialized(); returns its name';

CREATE FUNCTION @extschema@.refresh_materialized(matview text DEFAULT NULL)
RETURNS TABLE(materialized_view text, refreshed boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
BEGIN
	IF matview IS NOT NULL AND NOT EXISTS (SELECT FROM @extschema@.materialized_views v
										   WHERE v.matview = refresh_materialized.matview) THEN
		RAISE EXCEPTION 'materialized view "%" was not made by materialize()', matview
			USING ERRCODE = 'undefined_object',
			DETAIL = 'refresh_materialized() refreshes the copies listed in materialized_views.',
			HINT = 'Give the name as materialize() returned it, or no name to refresh them all.';
	END IF;
	FOR m IN SELECT v.matview FROM @extschema@.materialized_views v
			 WHERE refresh_materialized.matview IS NULL OR v.matview = refresh_materialized.matview
			 ORDER BY v.matview
	LOOP
		materialized_view := m.matview;
		IF pg_catalog.to_regclass(m.matview) IS NULL THEN
			RAISE NOTICE 'materialized view % no longer exists, skipped', m.matview;
			refreshed := false;
		ELSE
			EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY %s', m.matview);
			refreshed := true;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh_materialized(text) IS
	'Refreshes, concurrently, one materialized copy made by materialize() or (no argument) all of them';
-- Reporting layer, last part: performance totals kept up to date.
--
-- The performance views compute every credit of every opportunity each time
-- they are read, which at 100,000 opportunities takes tens of seconds.
-- maintain_performance() stores the totals they add up, with each
-- opportunity's share of them, and points performance_totals at the stored
-- totals; refresh_performance() then recomputes only the opportunities
-- whose inputs changed since the last refresh and adds the difference
-- (numeric sums, so exact: the stored totals equal the live ones).
--
-- What changed is recorded in maintained_changes: by triggers on the
-- built-in tables while maintenance is on (touchpoints and contacts by
-- contact, opportunities and opportunity_contacts by opportunity; old rows
-- and new), and by note_changes() for sources of your own (use_source()),
-- which no trigger here can see.  A change that cannot be traced to
-- opportunities (the enabled models or their settings, the reporting time
-- zone, the sources, a TRUNCATE) makes the next refresh recompute
-- everything.
--
-- Like a materialized view, the stored totals hold every opportunity that
-- the role refreshing them can see: row-level security on the tables
-- behind them does not apply to the readers of the performance views while
-- maintenance is on.  The tables are granted to no one.

-- ---------------------------------------------------------------- the stored totals

-- One row of performance_totals, as stored per opportunity.
CREATE TYPE @extschema@.performance_total AS (
	model text,
	touch_key text,
	created_month date,
	touches bigint,
	opportunities numeric,
	won numeric,
	pipeline_cents numeric,
	revenue_cents numeric
);
COMMENT ON TYPE @extschema@.performance_total IS
	'One row of performance_totals: what maintained_opportunity_totals stores per opportunity';

CREATE TABLE @extschema@.maintained_opportunity_totals (
	opportunity_id text NOT NULL,
	totals @extschema@.performance_total[] NOT NULL,
	CONSTRAINT maintained_opportunity_totals_pkey PRIMARY KEY (opportunity_id)
);
COMMENT ON TABLE @extschema@.maintained_opportunity_totals IS
	'Each opportunity''s share of the maintained performance totals, as of the last refresh_performance() (kept to take it away when the opportunity changes)';
COMMENT ON COLUMN @extschema@.maintained_opportunity_totals.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.maintained_opportunity_totals.totals IS
	'Its rows of performance_totals (per model, touch key and month of creation)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.maintained_opportunity_totals', '');

CREATE TABLE @extschema@.maintained_performance_totals (
	model text NOT NULL,
	touch_key text,
	created_month date,
	touches bigint NOT NULL,
	opportunities numeric NOT NULL,
	won numeric NOT NULL,
	pipeline_cents numeric NOT NULL,
	revenue_cents numeric NOT NULL,
	contributions bigint NOT NULL,
	CONSTRAINT maintained_performance_totals_key UNIQUE NULLS NOT DISTINCT (model, touch_key, created_month)
);
COMMENT ON TABLE @extschema@.maintained_performance_totals IS
	'The totals performance_totals reads while maintained: the sum of maintained_opportunity_totals per model, touch key and month of creation';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.touch_key IS 'Touch key of credit_facts; NULL for the unattributed';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.created_month IS 'Month of the opportunities'' creation';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.touches IS 'Credited touches';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.opportunities IS 'Sum of the credits';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.won IS 'Sum of the credits of won opportunities';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.pipeline_cents IS 'Sum of credit x amount in cents';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.revenue_cents IS 'The same for won opportunities';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.contributions IS
	'How many opportunities'' rows add up to this one (the row goes when none is left)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.maintained_performance_totals', '');

-- Keeps maintained_performance_totals the sum of
-- maintained_opportunity_totals: the rows an INSERT adds are added, the
-- rows a DELETE takes away are subtracted, per key, in one statement.  The
-- keys (tens of thousands at 100,000 opportunities) are grouped in a hash
-- table that the default work_mem of 4MB would spill to disk many times
-- over; 64MB holds them.
CREATE FUNCTION @extschema@.add_opportunity_totals() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
AS $$
BEGIN
	EXECUTE format($q$
		INSERT INTO @extschema@.maintained_performance_totals AS t
		SELECT u.model, u.touch_key, u.created_month, %1$s * sum(u.touches), %1$s * sum(u.opportunities),
			   %1$s * sum(u.won), %1$s * sum(u.pipeline_cents), %1$s * sum(u.revenue_cents), %1$s * count(*)
		FROM %2$I r CROSS JOIN LATERAL unnest(r.totals) u
		GROUP BY u.model, u.touch_key, u.created_month
		ON CONFLICT ON CONSTRAINT maintained_performance_totals_key DO UPDATE
		SET touches = t.touches + excluded.touches, opportunities = t.opportunities + excluded.opportunities,
			won = t.won + excluded.won, pipeline_cents = t.pipeline_cents + excluded.pipeline_cents,
			revenue_cents = t.revenue_cents + excluded.revenue_cents,
			contributions = t.contributions + excluded.contributions$q$,
		CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END,
		CASE TG_OP WHEN 'INSERT' THEN 'new_rows' ELSE 'old_rows' END);
	DELETE FROM @extschema@.maintained_performance_totals t WHERE t.contributions = 0;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.add_opportunity_totals() IS
	'Trigger of maintained_opportunity_totals: adds inserted rows to maintained_performance_totals and subtracts deleted ones';

CREATE TRIGGER maintained_opportunity_totals_add AFTER INSERT ON @extschema@.maintained_opportunity_totals
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.add_opportunity_totals();
CREATE TRIGGER maintained_opportunity_totals_subtract AFTER DELETE ON @extschema@.maintained_opportunity_totals
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.add_opportunity_totals();

-- ---------------------------------------------------------------- what changed

CREATE TABLE @extschema@.maintained_changes (
	opportunity_id text,
	contact_id text,
	CONSTRAINT maintained_changes_one_id CHECK (num_nonnulls(opportunity_id, contact_id) <= 1)
);
COMMENT ON TABLE @extschema@.maintained_changes IS
	'Opportunities and contacts changed since the last refresh_performance(): recorded by the triggers of the built-in tables and by note_changes(); a row with neither asks for a full refresh (TRUNCATE)';
COMMENT ON COLUMN @extschema@.maintained_changes.opportunity_id IS 'An opportunity whose row or contacts changed';
COMMENT ON COLUMN @extschema@.maintained_changes.contact_id IS 'A contact whose row or touchpoints changed (all its opportunities are recomputed)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.maintained_changes', '');
-- Whoever loads the built-in tables fires the triggers that record the
-- changes, so everyone may add to the queue (not read it): an id there only
-- asks the next refresh to recompute that opportunity from the sources.
GRANT INSERT ON @extschema@.maintained_changes TO PUBLIC;

-- Whether the totals are maintained, and under what they were computed.
CREATE TABLE @extschema@.performance_maintenance (
	maintained boolean NOT NULL DEFAULT true,
	refreshed_at timestamptz,
	computed_under text,
	CONSTRAINT performance_maintenance_pkey PRIMARY KEY (maintained),
	CONSTRAINT performance_maintenance_on CHECK (maintained)
);
COMMENT ON TABLE @extschema@.performance_maintenance IS
	'One row while the performance views read maintained totals (maintain_performance()); none while they compute them live';
COMMENT ON COLUMN @extschema@.performance_maintenance.maintained IS 'Always true: the row is there while maintenance is on';
COMMENT ON COLUMN @extschema@.performance_maintenance.refreshed_at IS 'When refresh_performance() last brought the totals up to date';
COMMENT ON COLUMN @extschema@.performance_maintenance.computed_under IS
	'Digest of the enabled models, the reporting time zone and the sources the totals were computed under; NULL: the next refresh recomputes everything';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.performance_maintenance', '');
GRANT SELECT ON @extschema@.performance_maintenance TO PUBLIC;

-- A digest of everything the totals depend on that no trigger traces to
-- opportunities.
CREATE FUNCTION @extschema@.performance_computed_under()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.md5(pg_catalog.concat_ws(E'\n',
		(SELECT pg_catalog.string_agg(pg_catalog.format('%L %L %L %L %L', m.name, m.model, m.half_life, m.weights, m.lookback),
									  E'\n' ORDER BY m.name)
		 FROM @extschema@.models m WHERE m.enabled),
		@extschema@.reporting_time_zone(),
		(SELECT pg_catalog.string_agg(pg_catalog.format('%L %L %L', s.kind, s.relation, s.direct), E'\n' ORDER BY s.kind)
		 FROM @extschema@.sources s)))
$$;
COMMENT ON FUNCTION @extschema@.performance_computed_under() IS
	'Digest of the enabled models, the reporting time zone and the sources: when it changes, refresh_performance() recomputes everything';

-- Statement triggers of the built-in tables while maintenance is on: the
-- contacts or opportunities of the old and new rows.  TRUNCATE leaves no
-- rows to trace, so it asks for a full refresh (a row with neither id).
CREATE FUNCTION @extschema@.record_changes() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id_column text := CASE WHEN TG_TABLE_NAME IN ('touchpoints', 'contacts') THEN 'contact_id' ELSE 'opportunity_id' END;
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		INSERT INTO @extschema@.maintained_changes DEFAULT VALUES;
		RETURN NULL;
	END IF;
	EXECUTE format('INSERT INTO @extschema@.maintained_changes (%1$I) SELECT DISTINCT r.%1$I FROM (%2$s) r WHERE r.%1$I IS NOT NULL',
		id_column,
		CASE TG_OP WHEN 'INSERT' THEN format('SELECT %I FROM new_rows', id_column)
				   WHEN 'DELETE' THEN format('SELECT %I FROM old_rows', id_column)
				   ELSE format('SELECT %1$I FROM new_rows UNION ALL SELECT %1$I FROM old_rows', id_column) END);
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.record_changes() IS
	'Trigger of the built-in touchpoints, contacts, opportunities and opportunity_contacts while maintenance is on: records the changed contacts or opportunities in maintained_changes';

-- Creates or drops the triggers above and points performance_totals at the
-- stored or the live totals; run when the row of performance_maintenance
-- comes or goes, so a restored dump maintains what was maintained.
CREATE FUNCTION @extschema@.maintenance_apply(maintained boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	tbl text;
	op text;
BEGIN
	FOREACH tbl IN ARRAY ARRAY['touchpoints', 'contacts', 'opportunities', 'opportunity_contacts'] LOOP
		FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
			IF maintained THEN
				EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER %s ON %I.%I %s FOR EACH STATEMENT EXECUTE FUNCTION %I.record_changes()',
					'record_changes_' || op, op, '@extschema@', tbl,
					CASE op WHEN 'insert' THEN 'REFERENCING NEW TABLE AS new_rows'
							WHEN 'update' THEN 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
							WHEN 'delete' THEN 'REFERENCING OLD TABLE AS old_rows'
							ELSE '' END,
					'@extschema@');
			ELSE
				EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I.%I', 'record_changes_' || op, '@extschema@', tbl);
			END IF;
		END LOOP;
	END LOOP;
	PERFORM @extschema@.performance_totals_apply(maintained);
END
$$;
COMMENT ON FUNCTION @extschema@.maintenance_apply(boolean) IS
	'Creates (maintained) or drops the change-recording triggers of the built-in tables and re-creates performance_totals to read the stored or the live totals';

CREATE FUNCTION @extschema@.performance_maintenance_apply() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.maintenance_apply(TG_OP = 'INSERT');
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.performance_maintenance_apply() IS
	'Trigger of performance_maintenance: turns maintenance on when its row comes, off when it goes';

CREATE TRIGGER performance_maintenance_apply AFTER INSERT OR DELETE ON @extschema@.performance_maintenance
	FOR EACH ROW EXECUTE FUNCTION @extschema@.performance_maintenance_apply();

-- ---------------------------------------------------------------- the functions

CREATE FUNCTION @extschema@.note_changes(opportunity_ids text[] DEFAULT NULL, contact_ids text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	noted bigint;
BEGIN
	IF NOT EXISTS (SELECT FROM @extschema@.performance_maintenance) THEN
		RAISE EXCEPTION 'the performance totals are not maintained'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = 'note_changes() records changes for refresh_performance(), which updates maintained totals.',
			HINT = 'Call maintain_performance() first.';
	END IF;
	INSERT INTO @extschema@.maintained_changes (opportunity_id)
	SELECT DISTINCT i FROM pg_catalog.unnest(opportunity_ids) i WHERE i IS NOT NULL;
	GET DIAGNOSTICS noted = ROW_COUNT;
	INSERT INTO @extschema@.maintained_changes (contact_id)
	SELECT DISTINCT i FROM pg_catalog.unnest(contact_ids) i WHERE i IS NOT NULL;
	RETURN noted + (SELECT pg_catalog.count(DISTINCT i) FROM pg_catalog.unnest(contact_ids) i WHERE i IS NOT NULL);
END
$$;
COMMENT ON FUNCTION @extschema@.note_changes(text[], text[]) IS
	'Records opportunities and contacts whose data changed in sources of your own (use_source()), for the next refresh_performance(); returns how many ids it recorded';

-- Recomputes the stored totals of the given opportunities (all of them
-- when opportunity_ids is NULL): their old rows go, their new rows come,
-- and the triggers of maintained_opportunity_totals carry both into the
-- totals.
CREATE FUNCTION @extschema@.recompute_opportunity_totals(opportunity_ids text[])
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	recomputed bigint;
BEGIN
	IF opportunity_ids IS NULL THEN
		TRUNCATE @extschema@.maintained_opportunity_totals, @extschema@.maintained_performance_totals;
	ELSE
		DELETE FROM @extschema@.maintained_opportunity_totals o WHERE o.opportunity_id = ANY (opportunity_ids);
	END IF;
	EXECUTE format($q$
		INSERT INTO @extschema@.maintained_opportunity_totals (opportunity_id, totals)
		SELECT d.opportunity_id,
			   array_agg(ROW(x.model, x.touch_key, x.created_month, x.touches, x.opportunities, x.won, x.pipeline_cents,
							 x.revenue_cents)::@extschema@.performance_total
						 ORDER BY x.model, x.touch_key, x.created_month)
		FROM (%s) d
		CROSS JOIN LATERAL (%s) x
		GROUP BY d.opportunity_id$q$,
		CASE WHEN opportunity_ids IS NULL
			 THEN 'SELECT DISTINCT o.opportunity_id FROM @extschema@.source_opportunities_view o WHERE o.opportunity_id IS NOT NULL'
			 ELSE 'SELECT DISTINCT i AS opportunity_id FROM pg_catalog.unnest($1) i WHERE i IS NOT NULL' END,
		@extschema@.performance_totals_query(true))
	USING opportunity_ids;
	GET DIAGNOSTICS recomputed = ROW_COUNT;
	RETURN recomputed;
END
$$;
COMMENT ON FUNCTION @extschema@.recompute_opportunity_totals(text[]) IS
	'The work of refresh_performance(): recomputes the stored totals of the given opportunities (NULL: all); returns how many opportunities have totals now';

CREATE FUNCTION @extschema@.refresh_performance(recompute_all boolean DEFAULT false)
RETURNS TABLE(opportunities bigint, recomputed_all boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	current_digest text := @extschema@.performance_computed_under();
	previous_digest text;
	changed text[];
BEGIN
	IF recompute_all IS NULL THEN
		RAISE EXCEPTION 'recompute_all must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'recompute_all says whether every opportunity is recomputed or only the changed ones.',
			HINT = 'Leave it out (false), or pass true.';
	END IF;
	-- refreshes queue; readers go on reading the totals of the last one
	LOCK TABLE @extschema@.performance_maintenance IN SHARE ROW EXCLUSIVE MODE;
	SELECT m.computed_under INTO previous_digest FROM @extschema@.performance_maintenance m;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'the performance totals are not maintained'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = 'The performance views compute their totals live; there is nothing to refresh.',
			HINT = 'Call maintain_performance() to store the totals and refresh them after each load.';
	END IF;
	recomputed_all := recompute_all OR previous_digest IS DISTINCT FROM current_digest
		OR EXISTS (SELECT FROM @extschema@.maintained_changes c WHERE c.opportunity_id IS NULL AND c.contact_id IS NULL);
	IF recomputed_all THEN
		DELETE FROM @extschema@.maintained_changes;
		opportunities := @extschema@.recompute_opportunity_totals(NULL);
	ELSE
		WITH taken AS (DELETE FROM @extschema@.maintained_changes c RETURNING c.opportunity_id, c.contact_id)
		SELECT coalesce(array_agg(DISTINCT x.opportunity_id), '{}') INTO changed
		FROM (SELECT t.opportunity_id FROM taken t WHERE t.opportunity_id IS NOT NULL
			  UNION ALL
			  SELECT oc.opportunity_id FROM taken t
			  JOIN @extschema@.source_opportunity_contacts_view oc ON oc.contact_id = t.contact_id) x;
		PERFORM @extschema@.recompute_opportunity_totals(changed);
		opportunities := cardinality(changed);
	END IF;
	UPDATE @extschema@.performance_maintenance m SET refreshed_at = now(), computed_under = current_digest;
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh_performance(boolean) IS
	'Brings the maintained performance totals up to date: recomputes the opportunities changed since the last refresh, or all of them (recompute_all, or when the models, time zone or sources changed); returns how many it recomputed';

CREATE FUNCTION @extschema@.maintain_performance(enabled boolean DEFAULT true)
RETURNS TABLE(opportunities bigint, recomputed_all boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF enabled IS NULL THEN
		RAISE EXCEPTION 'enabled must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'enabled says whether the performance views read maintained totals or compute them live.',
			HINT = 'Pass true to maintain them, false to compute them live again.';
	END IF;
	IF NOT enabled THEN
		DELETE FROM @extschema@.performance_maintenance;
		TRUNCATE @extschema@.maintained_opportunity_totals, @extschema@.maintained_performance_totals,
				 @extschema@.maintained_changes;
		RETURN;
	END IF;
	IF EXISTS (SELECT FROM pg_catalog.unnest(ARRAY['touchpoints', 'contacts', 'opportunities', 'opportunity_contacts']) k
			   LEFT JOIN @extschema@.sources s ON s.kind = k
			   WHERE @extschema@.reads_citus_table(coalesce(pg_catalog.to_regclass(s.relation),
															pg_catalog.format('%I.%I', '@extschema@', k)::regclass))) THEN
		RAISE EXCEPTION 'the performance totals cannot be maintained on distributed tables'
			USING ERRCODE = 'feature_not_supported',
			DETAIL = 'The totals are stored on the coordinator, and changes to distributed tables cannot be traced there.',
			HINT = 'On Citus, keep rollups of the per-journey summaries instead (see the scale-out documentation), or materialize() the views.';
	END IF;
	INSERT INTO @extschema@.performance_maintenance DEFAULT VALUES ON CONFLICT DO NOTHING;
	RETURN QUERY SELECT * FROM @extschema@.refresh_performance(true);
END
$$;
COMMENT ON FUNCTION @extschema@.maintain_performance(boolean) IS
	'Stores the totals of the performance views and makes the views read them, kept up to date by refresh_performance() (enabled false: the views compute them live again); returns the first refresh';
