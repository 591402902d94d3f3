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
