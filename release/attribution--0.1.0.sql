-- attribution: the install script is generated from the files of src/sql/,
-- concatenated in the order of their names.  Edit those, never the result.

\echo Use "CREATE EXTENSION attribution" to load this file. \quit
-- Rule-based attribution (SPEC section 2): the journey type and its
-- aggregate, credits(), the window function credit(), and the summary path
-- channel_credit() / sum() / each().

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
CREATE FUNCTION @extschema@.journey_agg_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'journey_agg_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
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
	AS 'MODULE_PATHNAME', 'channel_credit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
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

-- sum(channel_credits [, weight]): credit by channel over many journeys
CREATE FUNCTION @extschema@.channel_credits_sum_trans(internal, @extschema@.channel_credits) RETURNS internal
	AS 'MODULE_PATHNAME', 'channel_credits_sum_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_credits_sum_trans(internal, @extschema@.channel_credits, float8) RETURNS internal
	AS 'MODULE_PATHNAME', 'channel_credits_sum_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_credits_sum_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'channel_credits_sum_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_credits_sum_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'channel_credits_sum_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_credits_sum_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'channel_credits_sum_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.channel_credits_sum_final(internal) RETURNS @extschema@.channel_credits
	AS 'MODULE_PATHNAME', 'channel_credits_sum_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.channel_credits_sum_trans(internal, @extschema@.channel_credits) IS 'Transition function of sum(channel_credits)';
COMMENT ON FUNCTION @extschema@.channel_credits_sum_trans(internal, @extschema@.channel_credits, float8) IS 'Transition function of sum(channel_credits, float8)';
COMMENT ON FUNCTION @extschema@.channel_credits_sum_combine(internal, internal) IS 'Combine function of sum(channel_credits)';
COMMENT ON FUNCTION @extschema@.channel_credits_sum_serialize(internal) IS 'Serialize function of sum(channel_credits)';
COMMENT ON FUNCTION @extschema@.channel_credits_sum_deserialize(bytea, internal) IS 'Deserialize function of sum(channel_credits)';
COMMENT ON FUNCTION @extschema@.channel_credits_sum_final(internal) IS 'Final function of sum(channel_credits)';

CREATE AGGREGATE @extschema@.sum(@extschema@.channel_credits) (
	SFUNC = @extschema@.channel_credits_sum_trans, STYPE = internal, SSPACE = 1000,
	COMBINEFUNC = @extschema@.channel_credits_sum_combine,
	SERIALFUNC = @extschema@.channel_credits_sum_serialize,
	DESERIALFUNC = @extschema@.channel_credits_sum_deserialize,
	FINALFUNC = @extschema@.channel_credits_sum_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.sum(@extschema@.channel_credits, weight float8) (
	SFUNC = @extschema@.channel_credits_sum_trans, STYPE = internal, SSPACE = 1000,
	COMBINEFUNC = @extschema@.channel_credits_sum_combine,
	SERIALFUNC = @extschema@.channel_credits_sum_serialize,
	DESERIALFUNC = @extschema@.channel_credits_sum_deserialize,
	FINALFUNC = @extschema@.channel_credits_sum_final, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.sum(@extschema@.channel_credits) IS
	'Credit by channel added up over many journeys';
COMMENT ON AGGREGATE @extschema@.sum(@extschema@.channel_credits, float8) IS
	'Credit by channel times a weight per journey (its revenue, say), added up over many journeys';

-- credit_by_channel(): the summary path in one aggregate over many journeys
CREATE FUNCTION @extschema@.credit_by_channel_trans(internal, bigint, text, timestamptz, text) RETURNS internal
	AS 'MODULE_PATHNAME', 'credit_by_channel_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_by_channel_trans(internal, bigint, text, timestamptz, text, timestamptz) RETURNS internal
	AS 'MODULE_PATHNAME', 'credit_by_channel_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_by_channel_trans(internal, bigint, text, timestamptz, text, bigint, boolean,
	timestamptz, timestamptz, timestamptz, timestamptz, interval, float8[], interval) RETURNS internal
	AS 'MODULE_PATHNAME', 'credit_by_channel_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_by_channel_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'credit_by_channel_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_by_channel_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'credit_by_channel_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_by_channel_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'credit_by_channel_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_by_channel_final(internal) RETURNS @extschema@.channel_credits
	AS 'MODULE_PATHNAME', 'credit_by_channel_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.credit_by_channel_trans(internal, bigint, text, timestamptz, text) IS 'Transition function of credit_by_channel';
COMMENT ON FUNCTION @extschema@.credit_by_channel_trans(internal, bigint, text, timestamptz, text, timestamptz) IS 'Transition function of credit_by_channel';
COMMENT ON FUNCTION @extschema@.credit_by_channel_trans(internal, bigint, text, timestamptz, text, bigint, boolean,
	timestamptz, timestamptz, timestamptz, timestamptz, interval, float8[], interval) IS 'Transition function of credit_by_channel';
COMMENT ON FUNCTION @extschema@.credit_by_channel_combine(internal, internal) IS 'Combine function of credit_by_channel';
COMMENT ON FUNCTION @extschema@.credit_by_channel_serialize(internal) IS 'Serialize function of credit_by_channel';
COMMENT ON FUNCTION @extschema@.credit_by_channel_deserialize(bytea, internal) IS 'Deserialize function of credit_by_channel';
COMMENT ON FUNCTION @extschema@.credit_by_channel_final(internal) IS 'Final function of credit_by_channel';

CREATE AGGREGATE @extschema@.credit_by_channel(journey_id bigint, model text, touched_at timestamptz, channel text) (
	SFUNC = @extschema@.credit_by_channel_trans, STYPE = internal, SSPACE = 100000000,
	COMBINEFUNC = @extschema@.credit_by_channel_combine,
	SERIALFUNC = @extschema@.credit_by_channel_serialize,
	DESERIALFUNC = @extschema@.credit_by_channel_deserialize,
	FINALFUNC = @extschema@.credit_by_channel_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.credit_by_channel(journey_id bigint, model text, touched_at timestamptz, channel text,
	converted_at timestamptz) (
	SFUNC = @extschema@.credit_by_channel_trans, STYPE = internal, SSPACE = 100000000,
	COMBINEFUNC = @extschema@.credit_by_channel_combine,
	SERIALFUNC = @extschema@.credit_by_channel_serialize,
	DESERIALFUNC = @extschema@.credit_by_channel_deserialize,
	FINALFUNC = @extschema@.credit_by_channel_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.credit_by_channel(journey_id bigint, model text, touched_at timestamptz, channel text,
	touch_id bigint, is_direct boolean, converted_at timestamptz, lead_created_at timestamptz,
	opportunity_created_at timestamptz, closed_at timestamptz, half_life interval, weights float8[],
	lookback interval) (
	SFUNC = @extschema@.credit_by_channel_trans, STYPE = internal, SSPACE = 100000000,
	COMBINEFUNC = @extschema@.credit_by_channel_combine,
	SERIALFUNC = @extschema@.credit_by_channel_serialize,
	DESERIALFUNC = @extschema@.credit_by_channel_deserialize,
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
-- Data-driven attribution (SPEC section 3): path transforms, the
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

CREATE FUNCTION @extschema@.path_agg_trans(internal, text[], boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'attribution_path_agg_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_agg_trans(internal, text[], boolean) IS
'Transition function of path_agg(path, converted).';

CREATE FUNCTION @extschema@.path_agg_trans(internal, text[], boolean, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'attribution_path_agg_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_agg_trans(internal, text[], boolean, double precision) IS
'Transition function of path_agg(path, converted, value).';

CREATE FUNCTION @extschema@.path_agg_trans(internal, text[], double precision, double precision, double precision)
RETURNS internal
AS 'MODULE_PATHNAME', 'attribution_path_agg_counts_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_agg_trans(internal, text[], double precision, double precision, double precision) IS
'Transition function of path_agg(path, conversions, value, non_conversions).';

CREATE FUNCTION @extschema@.path_summary_merge_trans(internal, @extschema@.path_summary)
RETURNS internal
AS 'MODULE_PATHNAME', 'attribution_path_summary_merge_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_summary_merge_trans(internal, @extschema@.path_summary) IS
'Transition function of merge(path_summary).';

CREATE FUNCTION @extschema@.path_agg_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'attribution_path_agg_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_agg_combine(internal, internal) IS
'Combine function of path_agg and merge(path_summary).';

CREATE FUNCTION @extschema@.path_agg_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'attribution_path_agg_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_agg_serialize(internal) IS
'Serialization function of path_agg and merge(path_summary).';

CREATE FUNCTION @extschema@.path_agg_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'attribution_path_agg_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_agg_deserialize(bytea, internal) IS
'Deserialization function of path_agg and merge(path_summary).';

CREATE FUNCTION @extschema@.path_agg_final(internal)
RETURNS @extschema@.path_summary
AS 'MODULE_PATHNAME', 'attribution_path_agg_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.path_agg_final(internal) IS
'Final function of path_agg and merge(path_summary): the canonical summary.';

CREATE AGGREGATE @extschema@.path_agg(path text[], converted boolean) (
	SFUNC = @extschema@.path_agg_trans,
	STYPE = internal,
	SSPACE = 131072,
	FINALFUNC = @extschema@.path_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.path_agg_combine,
	SERIALFUNC = @extschema@.path_agg_serialize,
	DESERIALFUNC = @extschema@.path_agg_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.path_agg(text[], boolean) IS
'Summarizes journeys (path, converted) into a path_summary; each conversion has value 1.';

CREATE AGGREGATE @extschema@.path_agg(path text[], converted boolean, value double precision) (
	SFUNC = @extschema@.path_agg_trans,
	STYPE = internal,
	SSPACE = 131072,
	FINALFUNC = @extschema@.path_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.path_agg_combine,
	SERIALFUNC = @extschema@.path_agg_serialize,
	DESERIALFUNC = @extschema@.path_agg_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.path_agg(text[], boolean, double precision) IS
'Summarizes journeys (path, converted, value of the conversion) into a path_summary.';

CREATE AGGREGATE @extschema@.path_agg(path text[], conversions double precision,
									  value double precision, non_conversions double precision) (
	SFUNC = @extschema@.path_agg_trans,
	STYPE = internal,
	SSPACE = 131072,
	FINALFUNC = @extschema@.path_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.path_agg_combine,
	SERIALFUNC = @extschema@.path_agg_serialize,
	DESERIALFUNC = @extschema@.path_agg_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.path_agg(text[], double precision, double precision, double precision) IS
'Summarizes a pre-counted path table (path, conversions, value, non_conversions) into a path_summary.';

CREATE AGGREGATE @extschema@.merge(@extschema@.path_summary) (
	SFUNC = @extschema@.path_summary_merge_trans,
	STYPE = internal,
	SSPACE = 131072,
	FINALFUNC = @extschema@.path_agg_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = @extschema@.path_agg_combine,
	SERIALFUNC = @extschema@.path_agg_serialize,
	DESERIALFUNC = @extschema@.path_agg_deserialize,
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

-- The demand waterfall (SPEC section 4): stage histories, their accessors,
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
LANGUAGE C IMMUTABLE PARALLEL SAFE;

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

CREATE FUNCTION @extschema@.waterfall_agg_trans(internal, @extschema@.stage_history)
RETURNS internal
AS 'MODULE_PATHNAME', 'waterfall_agg_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.waterfall_merge_trans(internal, @extschema@.waterfall_summary)
RETURNS internal
AS 'MODULE_PATHNAME', 'waterfall_merge_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.waterfall_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'waterfall_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.waterfall_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'waterfall_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.waterfall_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'waterfall_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.waterfall_final(internal)
RETURNS @extschema@.waterfall_summary
AS 'MODULE_PATHNAME', 'waterfall_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.waterfall_agg(h @extschema@.stage_history) (
	SFUNC = @extschema@.waterfall_agg_trans,
	STYPE = internal,
	SSPACE = 8192,
	COMBINEFUNC = @extschema@.waterfall_combine,
	SERIALFUNC = @extschema@.waterfall_serialize,
	DESERIALFUNC = @extschema@.waterfall_deserialize,
	FINALFUNC = @extschema@.waterfall_final,
	PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.merge(ws @extschema@.waterfall_summary) (
	SFUNC = @extschema@.waterfall_merge_trans,
	STYPE = internal,
	SSPACE = 8192,
	COMBINEFUNC = @extschema@.waterfall_combine,
	SERIALFUNC = @extschema@.waterfall_serialize,
	DESERIALFUNC = @extschema@.waterfall_deserialize,
	FINALFUNC = @extschema@.waterfall_final,
	PARALLEL = SAFE
);

COMMENT ON FUNCTION @extschema@.waterfall_agg_trans(internal, @extschema@.stage_history) IS
'Transition function of waterfall_agg: counts one stage history';
COMMENT ON FUNCTION @extschema@.waterfall_merge_trans(internal, @extschema@.waterfall_summary) IS
'Transition function of merge(waterfall_summary): adds one summary';
COMMENT ON FUNCTION @extschema@.waterfall_combine(internal, internal) IS
'Combine function of waterfall_agg and merge(waterfall_summary)';
COMMENT ON FUNCTION @extschema@.waterfall_serialize(internal) IS
'Serialize function of waterfall_agg and merge(waterfall_summary)';
COMMENT ON FUNCTION @extschema@.waterfall_deserialize(bytea, internal) IS
'Deserialize function of waterfall_agg and merge(waterfall_summary)';
COMMENT ON FUNCTION @extschema@.waterfall_final(internal) IS
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
-- Reporting layer (SPEC section 5), part 1: the canonical tables that ETL
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
BEGIN
	IF ladder IS NULL OR exits IS NULL THEN
		RETURN true;			-- NOT NULL is the columns' business
	END IF;
	IF coalesce(cardinality(ladder), 0) < 2 OR array_ndims(ladder) <> 1 OR coalesce(array_ndims(exits), 1) <> 1 THEN
		RAISE EXCEPTION 'a waterfall ladder must be a one-dimensional array of at least two stage names'
			USING ERRCODE = 'check_violation',
			DETAIL = format('The ladder is %L.', ladder),
			HINT = 'Write the ladder as an array literal such as ''{inquiry,mql,sal,sql,opportunity,won}''.';
	END IF;
	IF cardinality(stages) > 100 THEN
		RAISE EXCEPTION 'a waterfall has at most 100 stages'
			USING ERRCODE = 'check_violation',
			DETAIL = format('The ladder and the exits have %s stages.', cardinality(stages)),
			HINT = 'Group stages, or use several waterfalls.';
	END IF;
	IF array_position(stages, NULL) IS NOT NULL OR '' = ANY (stages)
		OR EXISTS (SELECT FROM unnest(stages) s WHERE octet_length(s) > 255) THEN
		RAISE EXCEPTION 'a waterfall stage name must be 1 to 255 bytes long'
			USING ERRCODE = 'check_violation',
			DETAIL = format('The ladder is %L and the exits are %L.', ladder, exits),
			HINT = 'Remove the NULL, empty or too long element.';
	END IF;
	SELECT s INTO dup FROM unnest(stages) s GROUP BY s HAVING count(*) > 1 ORDER BY s LIMIT 1;
	IF dup IS NOT NULL THEN
		RAISE EXCEPTION 'stage "%" appears more than once in a waterfall', dup
			USING ERRCODE = 'check_violation',
			DETAIL = format('The ladder is %L and the exits are %L.', ladder, exits),
			HINT = 'Every stage appears once, either in the ladder or in the exits.';
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

-- Built-in rows are marked builtin and left out of pg_dump (the extension
-- installs them again).  A change to a built-in row makes it a user row, so
-- pg_dump keeps the change; inserting a row with the name of a built-in row
-- replaces it (this is how a restore brings the change back).  Built-in
-- rows cannot be deleted (disable a model instead).
CREATE FUNCTION @extschema@.protect_builtin_models() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		IF OLD.builtin THEN
			RAISE EXCEPTION 'built-in model "%" cannot be deleted', OLD.name
				USING ERRCODE = 'restrict_violation',
				DETAIL = 'The extension installs its built-in models; a restore would bring the row back.',
				HINT = 'Set enabled = false to stop reporting it.';
		END IF;
		RETURN OLD;
	END IF;
	NEW.builtin := false;
	IF TG_OP = 'INSERT' AND EXISTS (SELECT FROM @extschema@.models m WHERE m.name = NEW.name AND m.builtin) THEN
		UPDATE @extschema@.models m
		SET model = NEW.model, half_life = NEW.half_life, weights = NEW.weights, lookback = NEW.lookback,
			enabled = NEW.enabled, description = NEW.description
		WHERE m.name = NEW.name;
		RETURN NULL;
	END IF;
	RETURN NEW;
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
	IF TG_OP = 'DELETE' THEN
		IF OLD.builtin THEN
			RAISE EXCEPTION 'built-in waterfall "%" cannot be deleted', OLD.name
				USING ERRCODE = 'restrict_violation',
				DETAIL = 'The extension installs its built-in waterfall; a restore would bring the row back.',
				HINT = 'Update its ladder and exits instead, or use a waterfall of your own.';
		END IF;
		RETURN OLD;
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.name <> OLD.name THEN
		RAISE EXCEPTION 'a waterfall cannot be renamed'
			USING ERRCODE = 'feature_not_supported',
			DETAIL = format('Waterfall %L would become %L.', OLD.name, NEW.name),
			HINT = 'Insert a waterfall with the new name and move the stage events and targets to it.';
	END IF;
	NEW.builtin := false;
	IF TG_OP = 'INSERT' AND EXISTS (SELECT FROM @extschema@.waterfalls w WHERE w.name = NEW.name AND w.builtin) THEN
		UPDATE @extschema@.waterfalls w
		SET ladder = NEW.ladder, exits = NEW.exits, unit = NEW.unit, description = NEW.description
		WHERE w.name = NEW.name;
		RETURN NULL;
	END IF;
	RETURN NEW;
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
BEGIN
	DELETE FROM @extschema@.waterfall_stages s
	WHERE s.waterfall = NEW.name AND NOT s.stage = ANY (NEW.ladder || NEW.exits);
	INSERT INTO @extschema@.waterfall_stages AS s (waterfall, stage, rank, is_exit)
	SELECT NEW.name, u.stage, u.rank::integer, u.rank > cardinality(NEW.ladder)
	FROM unnest(NEW.ladder || NEW.exits) WITH ORDINALITY u(stage, rank)
	ON CONFLICT (waterfall, stage) DO UPDATE SET rank = excluded.rank, is_exit = excluded.is_exit;
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
-- Reporting layer, part 2: bring your own tables.
--
-- The views never read the tables above directly: they read six source
-- functions, source_touchpoints() ... source_campaign_costs(), each a
-- one-SELECT SQL function that the planner inlines into the calling query
-- (so filters reach the underlying tables, their indexes are used, and their
-- row-level security applies to whoever queries: the functions are not
-- SECURITY DEFINER).  use_source(kind, relation) checks the columns of the
-- user's table or view and re-creates the matching function's body to read
-- it; use_source(kind, NULL) goes back to the built-in table.
--
-- Why functions rather than views in between: a view on the user's relation
-- would make the extension depend on it, and DROP ... CASCADE of the user's
-- relation would then drop the whole extension with its data.  A function
-- body is not a dependency: dropping the user's relation only makes the
-- views fail with "relation does not exist" until use_source is called again.
--
-- The choice lives in the table sources (dumped by pg_dump); a trigger
-- re-creates the function whenever a row changes, so a restore re-applies
-- the choice by itself.

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

-- ---------------------------------------------------------------- the source functions (built-in bodies)

CREATE FUNCTION @extschema@.source_touchpoints()
RETURNS TABLE(touchpoint_id bigint, contact_id text, touched_at timestamptz, channel text, campaign text,
	is_direct boolean)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT touchpoint_id, contact_id, touched_at, channel, campaign, is_direct FROM @extschema@.touchpoints $$;
COMMENT ON FUNCTION @extschema@.source_touchpoints() IS
	'The touchpoints the reporting views read: the built-in table, or the relation set with use_source()';

CREATE FUNCTION @extschema@.source_contacts()
RETURNS TABLE(contact_id text, account_id text, created_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT contact_id, account_id, created_at FROM @extschema@.contacts $$;
COMMENT ON FUNCTION @extschema@.source_contacts() IS
	'The contacts the reporting views read: the built-in table, or the relation set with use_source()';

CREATE FUNCTION @extschema@.source_opportunities()
RETURNS TABLE(opportunity_id text, account_id text, created_at timestamptz, closed_at timestamptz,
	is_won boolean, amount numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT opportunity_id, account_id, created_at, closed_at, is_won, amount FROM @extschema@.opportunities $$;
COMMENT ON FUNCTION @extschema@.source_opportunities() IS
	'The opportunities the reporting views read: the built-in table, or the relation set with use_source()';

CREATE FUNCTION @extschema@.source_opportunity_contacts()
RETURNS TABLE(opportunity_id text, contact_id text, role text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT opportunity_id, contact_id, role FROM @extschema@.opportunity_contacts $$;
COMMENT ON FUNCTION @extschema@.source_opportunity_contacts() IS
	'The opportunity contacts the reporting views read: the built-in table, or the relation set with use_source()';

CREATE FUNCTION @extschema@.source_stage_events()
RETURNS TABLE(unit_id text, stage text, entered_at timestamptz, waterfall text, reason text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT unit_id, stage, entered_at, waterfall, reason FROM @extschema@.stage_events $$;
COMMENT ON FUNCTION @extschema@.source_stage_events() IS
	'The stage events the reporting views read: the built-in table, or the relation set with use_source()';

CREATE FUNCTION @extschema@.source_campaign_costs()
RETURNS TABLE(campaign text, channel text, spent_on date, cost numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT campaign, channel, spent_on, cost FROM @extschema@.campaign_costs $$;
COMMENT ON FUNCTION @extschema@.source_campaign_costs() IS
	'The campaign costs the reporting views read: the built-in table, or the relation set with use_source()';

-- ---------------------------------------------------------------- the choice, and how it is applied

CREATE TABLE @extschema@.sources (
	kind text NOT NULL,
	relation text NOT NULL,
	CONSTRAINT sources_pkey PRIMARY KEY (kind),
	CONSTRAINT sources_kind_known CHECK (kind IN ('touchpoints', 'contacts', 'opportunities',
		'opportunity_contacts', 'stage_events', 'campaign_costs'))
);
COMMENT ON TABLE @extschema@.sources IS
	'Your own tables or views the reporting layer reads instead of the built-in tables (set with use_source(); no row: the built-in table)';
COMMENT ON COLUMN @extschema@.sources.kind IS 'Kind of source (see source_columns)';
COMMENT ON COLUMN @extschema@.sources.relation IS 'Schema-qualified name of the table, view, materialized view or foreign table';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sources', '');

-- The SELECT that reads a source: the built-in table when relation is NULL,
-- otherwise the relation's columns checked against source_columns and cast
-- to the types the views expect.
CREATE FUNCTION @extschema@.source_query(kind text, relation text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
	rel oid;
	relkind "char";
	qualified text;
	spec record;
	col record;
	items text[] := '{}';
BEGIN
	IF kind IS NULL THEN
		RAISE EXCEPTION 'kind of source must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'A source replaces one of the built-in tables.',
			HINT = 'Use touchpoints, contacts, opportunities, opportunity_contacts, stage_events or campaign_costs.';
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.source_columns c WHERE c.kind = source_query.kind) THEN
		RAISE EXCEPTION 'unknown kind of source "%"', kind
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = 'A source replaces one of the built-in tables.',
			HINT = 'Use touchpoints, contacts, opportunities, opportunity_contacts, stage_events or campaign_costs.';
	END IF;
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
	END IF;

	FOR spec IN SELECT * FROM @extschema@.source_columns c WHERE c.kind = source_query.kind ORDER BY c.position
	LOOP
		IF relation IS NULL THEN
			items := pg_catalog.array_append(items, pg_catalog.format('%I', spec.column_name));
			CONTINUE;
		END IF;
		SELECT a.attname,
			   pg_catalog.format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END, NULL) AS type_name,
			   pg_catalog.format_type(a.atttypid, a.atttypmod) AS declared
		INTO col
		FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = rel AND a.attname = spec.column_name AND a.attnum > 0 AND NOT a.attisdropped;
		IF NOT FOUND THEN
			IF spec.required THEN
				RAISE EXCEPTION 'column "%" of % is missing', spec.column_name, qualified
					USING ERRCODE = 'undefined_column',
					DETAIL = pg_catalog.format('A source of %s needs the columns %s.', kind,
						(SELECT pg_catalog.string_agg(pg_catalog.format('%s %s', c.column_name, c.data_type), ', ' ORDER BY c.position)
						 FROM @extschema@.source_columns c WHERE c.kind = source_query.kind AND c.required)),
					HINT = 'Rename the column in a view over your table, for example SELECT my_column AS '
						|| spec.column_name || ' ...';
			END IF;
			items := pg_catalog.array_append(items, pg_catalog.format('%s::%s AS %I', spec.default_value, spec.data_type, spec.column_name));
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
		IF col.type_name = spec.data_type THEN
			items := pg_catalog.array_append(items, pg_catalog.format('s.%I', spec.column_name));
		ELSE
			items := pg_catalog.array_append(items, pg_catalog.format('s.%I::%s AS %I', spec.column_name, spec.data_type, spec.column_name));
		END IF;
	END LOOP;
	RETURN pg_catalog.format('SELECT %s FROM %s%s', pg_catalog.array_to_string(items, ', '), qualified,
				  CASE WHEN relation IS NULL THEN '' ELSE ' s' END);
END
$$;
COMMENT ON FUNCTION @extschema@.source_query(text, text) IS
	'The SELECT the source function of a kind runs for a relation (NULL: the built-in table), after checking its columns';

-- Re-creates the source function of one kind to read the relation given
-- (NULL: the built-in table).
CREATE FUNCTION @extschema@.source_apply(kind text, relation text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	query text := @extschema@.source_query(kind, relation);
	result_columns text;
BEGIN
	SELECT string_agg(format('%I %s', c.column_name, c.data_type), ', ' ORDER BY c.position)
	INTO result_columns
	FROM @extschema@.source_columns c WHERE c.kind = source_apply.kind;
	EXECUTE format('CREATE OR REPLACE FUNCTION %I.%I() RETURNS TABLE(%s) LANGUAGE sql STABLE PARALLEL SAFE AS %L',
				   '@extschema@', 'source_' || kind, result_columns, ' ' || query || ' ');
END
$$;
COMMENT ON FUNCTION @extschema@.source_apply(text, text) IS
	'Re-creates the source function of a kind to read the relation (NULL: the built-in table); called by the trigger of sources';

CREATE FUNCTION @extschema@.sources_apply() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		PERFORM @extschema@.source_apply(OLD.kind, NULL);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		PERFORM @extschema@.source_apply(NEW.kind, NEW.relation);
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.sources_apply() IS
	'Trigger of sources: re-creates the source functions of the changed kinds';

CREATE TRIGGER sources_apply AFTER INSERT OR UPDATE OR DELETE ON @extschema@.sources
	FOR EACH ROW EXECUTE FUNCTION @extschema@.sources_apply();

CREATE FUNCTION @extschema@.use_source(kind text, relation text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
	qualified text;
BEGIN
	-- checks the kind and, if given, the relation and its columns
	PERFORM @extschema@.source_query(kind, relation);
	IF relation IS NOT NULL THEN
		SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) INTO qualified
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = pg_catalog.to_regclass(relation);
		IF qualified = pg_catalog.format('%I.%I', '@extschema@', kind) THEN
			qualified := NULL;		-- the built-in table itself
		END IF;
	END IF;
	IF qualified IS NULL THEN
		DELETE FROM @extschema@.sources s WHERE s.kind = use_source.kind;
		IF NOT FOUND THEN
			PERFORM @extschema@.source_apply(kind, NULL);
		END IF;
		RETURN pg_catalog.format('%I.%I', '@extschema@', kind);
	END IF;
	INSERT INTO @extschema@.sources AS s (kind, relation) VALUES (use_source.kind, qualified)
	ON CONFLICT ON CONSTRAINT sources_pkey DO UPDATE SET relation = excluded.relation;
	RETURN qualified;
END
$$;
COMMENT ON FUNCTION @extschema@.use_source(text, text) IS
	'Points the reporting views at your own table or view for one kind of source (touchpoints, contacts, ...) after checking its columns; NULL: back to the built-in table. Returns the relation now read';
-- Reporting layer, part 3: the opportunity journey and the rule-based views.
--
-- Every view is security_invoker, so privileges and row-level security of
-- the tables behind the source functions apply to whoever queries it.

-- ---------------------------------------------------------------- the opportunity journey

CREATE VIEW @extschema@.opportunity_touchpoints WITH (security_invoker = true) AS
SELECT o.opportunity_id, t.touchpoint_id, t.contact_id, t.touched_at, t.channel, t.campaign,
	   coalesce(t.is_direct, t.channel = 'direct') AS is_direct
FROM @extschema@.source_opportunities() o
JOIN (SELECT DISTINCT oc.opportunity_id, oc.contact_id FROM @extschema@.source_opportunity_contacts() oc) oc
	ON oc.opportunity_id = o.opportunity_id
JOIN @extschema@.source_touchpoints() t ON t.contact_id = oc.contact_id
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
FROM @extschema@.source_opportunities() o
LEFT JOIN (
	SELECT oc.opportunity_id, min(c.created_at) AS lead_created_at, count(DISTINCT oc.contact_id) AS contacts
	FROM @extschema@.source_opportunity_contacts() oc
	JOIN @extschema@.source_contacts() c ON c.contact_id = oc.contact_id
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
-- order, a touch gets round(A x credits up to and including it) -
-- round(A x credits before it), A the amount in cents.  Each touch is
-- within a cent of credit x amount, no touch with zero credit gets a cent,
-- and the touches of an opportunity add up exactly to its amount, so any sum
-- over channels, campaigns or months is exact to the cent.
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
	SELECT x.position, x.touch_id, x.credit,
		   (round((x.before + x.credit) * round(j.amount * 100)::float8)
			- round(x.before * round(j.amount * 100)::float8))::bigint AS credit_cents
	FROM (
		SELECT cr.position, cr.touch_id, cr.credit,
			   coalesce(sum(cr.credit) OVER (ORDER BY cr.position ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
						0) AS before
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
	'Share of the opportunity credited to the touch (the touches of an attributed opportunity sum to 1); NULL when unattributed';
COMMENT ON COLUMN @extschema@.opportunity_credits.pipeline_cents IS
	'credit x amount as a whole number of cents (the whole amount on an unattributed row); an opportunity''s rows add up exactly to its amount';

CREATE VIEW @extschema@.opportunity_touch_credits WITH (security_invoker = true) AS
SELECT oc.model, oc.opportunity_id, oc.account_id, oc.touchpoint_id, t.contact_id, t.touched_at, t.channel,
	   t.campaign, oc.touch_number, oc.credit, (oc.pipeline_cents * 0.01)::numeric(16,2) AS pipeline_credit,
	   (CASE WHEN oc.is_won THEN oc.pipeline_cents ELSE 0 END * 0.01)::numeric(16,2) AS revenue_credit, oc.is_won
FROM @extschema@.opportunity_credits oc
JOIN @extschema@.source_touchpoints() t ON t.touchpoint_id = oc.touchpoint_id;
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
	'Share of the opportunity credited to the touch; the touches of one opportunity and model sum to 1';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.pipeline_credit IS
	'credit x amount in whole cents; the touches of an opportunity add up exactly to its amount';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.revenue_credit IS 'pipeline_credit of a won opportunity, 0 otherwise';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.is_won IS 'True when the opportunity was won';

-- ---------------------------------------------------------------- performance per channel and campaign

CREATE FUNCTION @extschema@.touch_key_part(touch_key text, part text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE part
		WHEN 'month' THEN substr(touch_key, 2, strpos(touch_key, chr(30)) - 2) || '-01'
		WHEN 'channel' THEN split_part(substr(touch_key, strpos(touch_key, chr(30)) + 1), chr(31), 1)
		WHEN 'campaign' THEN CASE WHEN strpos(substr(touch_key, strpos(touch_key, chr(30)) + 1), chr(31)) > 0
			THEN substr(substr(touch_key, strpos(touch_key, chr(30)) + 1),
						strpos(substr(touch_key, strpos(touch_key, chr(30)) + 1), chr(31)) + 1) END
		WHEN 'direct' THEN (left(touch_key, 1) = 'd')::text
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
SELECT m.name AS model, j.opportunity_id, j.created_at, j.is_won, round(j.amount * 100)::float8 AS amount_cents,
	   c.touch_id AS touchpoint_id, c.touched_at, c.channel AS touch_key,
	   @extschema@.touch_key_part(c.channel, 'channel') AS channel,
	   @extschema@.touch_key_part(c.channel, 'campaign') AS campaign,
	   c.credit
FROM @extschema@.models m
CROSS JOIN @extschema@.opportunity_journeys j
LEFT JOIN (
	SELECT t.opportunity_id,
		   @extschema@.journey_agg(t.touched_at, t.key, t.touchpoint_id) AS journey,
		   coalesce(array_agg(t.key) FILTER (WHERE t.is_direct), '{}') AS direct_keys
	FROM (SELECT ot.opportunity_id, ot.touchpoint_id, ot.touched_at, ot.is_direct,
				 CASE WHEN ot.is_direct THEN 'd' ELSE 'n' END || to_char(ot.touched_at, 'YYYY-MM') || chr(30)
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
COMMENT ON COLUMN @extschema@.credit_facts.amount_cents IS 'Amount of the opportunity in cents';
COMMENT ON COLUMN @extschema@.credit_facts.touchpoint_id IS 'The touchpoint credited; NULL when the opportunity is unattributed';
COMMENT ON COLUMN @extschema@.credit_facts.touched_at IS 'When the touch happened';
COMMENT ON COLUMN @extschema@.credit_facts.touch_key IS
	'The touch''s direct flag (d or n), month (YYYY-MM, session time zone), chr(30), channel, chr(31) and campaign in one value, to add up by';
COMMENT ON COLUMN @extschema@.credit_facts.channel IS 'Channel of the touch';
COMMENT ON COLUMN @extschema@.credit_facts.campaign IS 'Campaign of the touch';
COMMENT ON COLUMN @extschema@.credit_facts.credit IS 'Share of the opportunity credited to the touch; NULL when unattributed';

-- Credits and costs are each added up to the same grain before they meet,
-- so a cost row is never repeated by the join; every model gets a (zero)
-- credit row for every key with spend, so spend without credited touches
-- shows too.  The model column always comes from models or credit_facts,
-- so a filter on it reaches the credits.  The unattributed opportunities
-- of a model form one row with attributed = false and NULL channel and
-- campaign, so every model's rows add up to the whole pipeline.
CREATE VIEW @extschema@.channel_performance WITH (security_invoker = true) AS
WITH spend AS (
	SELECT channel, sum(cost) AS cost
	FROM @extschema@.source_campaign_costs()
	GROUP BY channel
),
by_key AS (
	SELECT model, touch_key,
		   count(touchpoint_id) AS touches, sum(coalesce(credit, 1)) AS opportunities,
		   sum(CASE WHEN is_won THEN coalesce(credit, 1) ELSE 0 END) AS won,
		   sum(coalesce(credit, 1) * amount_cents) AS pipeline_cents,
		   sum(CASE WHEN is_won THEN coalesce(credit, 1) * amount_cents ELSE 0 END) AS revenue_cents
	FROM @extschema@.credit_facts
	GROUP BY 1, 2
),
credits AS (
	SELECT model, channel, attributed, sum(touches)::bigint AS touches,
		   sum(opportunities) AS attributed_opportunities, sum(won) AS attributed_won,
		   sum(pipeline_cents) AS pipeline_cents, sum(revenue_cents) AS revenue_cents
	FROM (
		SELECT k.model, @extschema@.touch_key_part(k.touch_key, 'channel') AS channel,
			   k.touch_key IS NOT NULL AS attributed, k.touches, k.opportunities, k.won, k.pipeline_cents,
			   k.revenue_cents
		FROM by_key k
		UNION ALL
		-- every model gets a row for all spend, even where no touch was credited
		SELECT m.name, channel, true, 0, 0, 0, 0, 0
		FROM @extschema@.models m CROSS JOIN spend
		WHERE m.enabled
	) c
	GROUP BY model, channel, attributed
),
-- whole cents: the floor of every row, and the cents left over to the
-- rows with the largest remainders, so a model's rows add up exactly
ranked AS (
	SELECT cr.*,
		   round(sum(cr.pipeline_cents) OVER w) - sum(floor(cr.pipeline_cents)) OVER w AS pipeline_left,
		   round(sum(cr.revenue_cents) OVER w) - sum(floor(cr.revenue_cents)) OVER w AS revenue_left,
		   row_number() OVER (w ORDER BY cr.pipeline_cents - floor(cr.pipeline_cents) DESC, cr.attributed DESC,
							  cr.channel, cr.touches DESC) AS pipeline_rank,
		   row_number() OVER (w ORDER BY cr.revenue_cents - floor(cr.revenue_cents) DESC, cr.attributed DESC,
							  cr.channel, cr.touches DESC) AS revenue_rank
	FROM credits cr
	WINDOW w AS (PARTITION BY cr.model)
),
performance AS (
	SELECT r.model, r.channel, r.attributed, r.touches, r.attributed_opportunities,
		   r.attributed_won,
		   ((floor(r.pipeline_cents) + CASE WHEN r.pipeline_rank <= r.pipeline_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS pipeline,
		   ((floor(r.revenue_cents) + CASE WHEN r.revenue_rank <= r.revenue_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS revenue,
		   co.cost::numeric(16,2) AS cost
	FROM ranked r
	LEFT JOIN spend co
		ON r.attributed AND co.channel = r.channel
)
SELECT model, channel, attributed, touches,
	   round(attributed_opportunities::numeric, 4) AS attributed_opportunities,
	   round(attributed_won::numeric, 4) AS attributed_won,
	   pipeline, revenue, cost,
	   round((revenue - cost) / nullif(cost, 0), 4) AS roi,
	   round(cost / nullif(attributed_opportunities, 0)::numeric, 2) AS cost_per_opportunity,
	   round(cost / nullif(attributed_won, 0)::numeric, 2) AS cost_per_won
FROM performance;
COMMENT ON VIEW @extschema@.channel_performance IS
	'Attributed touches, pipeline, revenue, cost and ROI per enabled model and channel, over all time';
COMMENT ON COLUMN @extschema@.channel_performance.channel IS 'Channel; NULL on the unattributed row';
COMMENT ON COLUMN @extschema@.channel_performance.cost IS 'Spend recorded for the channel in campaign_costs; NULL when none';
COMMENT ON COLUMN @extschema@.channel_performance.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.channel_performance.attributed IS
	'False on the row of the opportunities with no touch in the model''s window (unattributed, not lost)';
COMMENT ON COLUMN @extschema@.channel_performance.touches IS 'Touches in the models'' windows of the opportunities'' journeys';
COMMENT ON COLUMN @extschema@.channel_performance.attributed_opportunities IS
	'Sum of the credits: opportunities attributed, as a fraction (unattributed row: the number of those opportunities)';
COMMENT ON COLUMN @extschema@.channel_performance.attributed_won IS 'The same for won opportunities';
COMMENT ON COLUMN @extschema@.channel_performance.pipeline IS
	'Attributed pipeline (credit x amount of every opportunity) in cents, rounded so that a model''s rows add up exactly to the total amount';
COMMENT ON COLUMN @extschema@.channel_performance.revenue IS
	'Attributed revenue (credit x amount of won opportunities) in cents, rounded so that a model''s rows add up exactly to the won amount';
COMMENT ON COLUMN @extschema@.channel_performance.roi IS '(revenue - cost) / cost; NULL without cost';
COMMENT ON COLUMN @extschema@.channel_performance.cost_per_opportunity IS 'cost / attributed_opportunities';
COMMENT ON COLUMN @extschema@.channel_performance.cost_per_won IS 'cost / attributed_won: cost per attributed won deal';

CREATE VIEW @extschema@.campaign_performance WITH (security_invoker = true) AS
WITH spend AS (
	SELECT channel, campaign, sum(cost) AS cost
	FROM @extschema@.source_campaign_costs()
	GROUP BY channel, campaign
),
by_key AS (
	SELECT model, touch_key,
		   count(touchpoint_id) AS touches, sum(coalesce(credit, 1)) AS opportunities,
		   sum(CASE WHEN is_won THEN coalesce(credit, 1) ELSE 0 END) AS won,
		   sum(coalesce(credit, 1) * amount_cents) AS pipeline_cents,
		   sum(CASE WHEN is_won THEN coalesce(credit, 1) * amount_cents ELSE 0 END) AS revenue_cents
	FROM @extschema@.credit_facts
	GROUP BY 1, 2
),
credits AS (
	SELECT model, channel, campaign, attributed, sum(touches)::bigint AS touches,
		   sum(opportunities) AS attributed_opportunities, sum(won) AS attributed_won,
		   sum(pipeline_cents) AS pipeline_cents, sum(revenue_cents) AS revenue_cents
	FROM (
		SELECT k.model, @extschema@.touch_key_part(k.touch_key, 'channel') AS channel,
			   @extschema@.touch_key_part(k.touch_key, 'campaign') AS campaign,
			   k.touch_key IS NOT NULL AS attributed, k.touches, k.opportunities, k.won, k.pipeline_cents,
			   k.revenue_cents
		FROM by_key k
		UNION ALL
		-- every model gets a row for all spend, even where no touch was credited
		SELECT m.name, channel, campaign, true, 0, 0, 0, 0, 0
		FROM @extschema@.models m CROSS JOIN spend
		WHERE m.enabled
	) c
	GROUP BY model, channel, campaign, attributed
),
-- whole cents: the floor of every row, and the cents left over to the
-- rows with the largest remainders, so a model's rows add up exactly
ranked AS (
	SELECT cr.*,
		   round(sum(cr.pipeline_cents) OVER w) - sum(floor(cr.pipeline_cents)) OVER w AS pipeline_left,
		   round(sum(cr.revenue_cents) OVER w) - sum(floor(cr.revenue_cents)) OVER w AS revenue_left,
		   row_number() OVER (w ORDER BY cr.pipeline_cents - floor(cr.pipeline_cents) DESC, cr.attributed DESC,
							  cr.channel, cr.campaign, cr.touches DESC) AS pipeline_rank,
		   row_number() OVER (w ORDER BY cr.revenue_cents - floor(cr.revenue_cents) DESC, cr.attributed DESC,
							  cr.channel, cr.campaign, cr.touches DESC) AS revenue_rank
	FROM credits cr
	WINDOW w AS (PARTITION BY cr.model)
),
performance AS (
	SELECT r.model, r.channel, r.campaign, r.attributed, r.touches, r.attributed_opportunities,
		   r.attributed_won,
		   ((floor(r.pipeline_cents) + CASE WHEN r.pipeline_rank <= r.pipeline_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS pipeline,
		   ((floor(r.revenue_cents) + CASE WHEN r.revenue_rank <= r.revenue_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS revenue,
		   co.cost::numeric(16,2) AS cost
	FROM ranked r
	LEFT JOIN spend co
		ON r.attributed AND co.channel = r.channel AND co.campaign = r.campaign
)
SELECT model, channel, campaign, attributed, touches,
	   round(attributed_opportunities::numeric, 4) AS attributed_opportunities,
	   round(attributed_won::numeric, 4) AS attributed_won,
	   pipeline, revenue, cost,
	   round((revenue - cost) / nullif(cost, 0), 4) AS roi,
	   round(cost / nullif(attributed_opportunities, 0)::numeric, 2) AS cost_per_opportunity,
	   round(cost / nullif(attributed_won, 0)::numeric, 2) AS cost_per_won
FROM performance;
COMMENT ON VIEW @extschema@.campaign_performance IS
	'Attributed touches, pipeline, revenue, cost and ROI per enabled model, channel and campaign, over all time';
COMMENT ON COLUMN @extschema@.campaign_performance.channel IS 'Channel; NULL on the unattributed row';
COMMENT ON COLUMN @extschema@.campaign_performance.campaign IS 'Campaign; NULL for touches without a campaign and on the unattributed row';
COMMENT ON COLUMN @extschema@.campaign_performance.cost IS 'Spend recorded for the campaign and channel in campaign_costs; NULL when none';
COMMENT ON COLUMN @extschema@.campaign_performance.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.campaign_performance.attributed IS
	'False on the row of the opportunities with no touch in the model''s window (unattributed, not lost)';
COMMENT ON COLUMN @extschema@.campaign_performance.touches IS 'Touches in the models'' windows of the opportunities'' journeys';
COMMENT ON COLUMN @extschema@.campaign_performance.attributed_opportunities IS
	'Sum of the credits: opportunities attributed, as a fraction (unattributed row: the number of those opportunities)';
COMMENT ON COLUMN @extschema@.campaign_performance.attributed_won IS 'The same for won opportunities';
COMMENT ON COLUMN @extschema@.campaign_performance.pipeline IS
	'Attributed pipeline (credit x amount of every opportunity) in cents, rounded so that a model''s rows add up exactly to the total amount';
COMMENT ON COLUMN @extschema@.campaign_performance.revenue IS
	'Attributed revenue (credit x amount of won opportunities) in cents, rounded so that a model''s rows add up exactly to the won amount';
COMMENT ON COLUMN @extschema@.campaign_performance.roi IS '(revenue - cost) / cost; NULL without cost';
COMMENT ON COLUMN @extschema@.campaign_performance.cost_per_opportunity IS 'cost / attributed_opportunities';
COMMENT ON COLUMN @extschema@.campaign_performance.cost_per_won IS 'cost / attributed_won: cost per attributed won deal';

-- The month of a credit is the month of its touch, so spend and the credit
-- of the touches it bought fall in the same month; unattributed
-- opportunities count in the month of their creation.
CREATE VIEW @extschema@.campaign_performance_monthly WITH (security_invoker = true) AS
WITH spend AS (
	SELECT date_trunc('month', spent_on)::date AS month, channel, campaign, sum(cost) AS cost
	FROM @extschema@.source_campaign_costs()
	GROUP BY month, channel, campaign
),
by_key AS (
	SELECT model, touch_key,
		   CASE WHEN touch_key IS NULL THEN date_trunc('month', created_at)::date END AS unattributed_month,
		   count(touchpoint_id) AS touches, sum(coalesce(credit, 1)) AS opportunities,
		   sum(CASE WHEN is_won THEN coalesce(credit, 1) ELSE 0 END) AS won,
		   sum(coalesce(credit, 1) * amount_cents) AS pipeline_cents,
		   sum(CASE WHEN is_won THEN coalesce(credit, 1) * amount_cents ELSE 0 END) AS revenue_cents
	FROM @extschema@.credit_facts
	GROUP BY 1, 2, 3
),
credits AS (
	SELECT model, month, channel, campaign, attributed, sum(touches)::bigint AS touches,
		   sum(opportunities) AS attributed_opportunities, sum(won) AS attributed_won,
		   sum(pipeline_cents) AS pipeline_cents, sum(revenue_cents) AS revenue_cents
	FROM (
		SELECT k.model, coalesce(@extschema@.touch_key_part(k.touch_key, 'month')::date, k.unattributed_month) AS month,
			   @extschema@.touch_key_part(k.touch_key, 'channel') AS channel,
			   @extschema@.touch_key_part(k.touch_key, 'campaign') AS campaign,
			   k.touch_key IS NOT NULL AS attributed, k.touches, k.opportunities, k.won, k.pipeline_cents,
			   k.revenue_cents
		FROM by_key k
		UNION ALL
		-- every model gets a row for all spend, even where no touch was credited
		SELECT m.name, month, channel, campaign, true, 0, 0, 0, 0, 0
		FROM @extschema@.models m CROSS JOIN spend
		WHERE m.enabled
	) c
	GROUP BY model, month, channel, campaign, attributed
),
-- whole cents: the floor of every row, and the cents left over to the
-- rows with the largest remainders, so a model's rows add up exactly
ranked AS (
	SELECT cr.*,
		   round(sum(cr.pipeline_cents) OVER w) - sum(floor(cr.pipeline_cents)) OVER w AS pipeline_left,
		   round(sum(cr.revenue_cents) OVER w) - sum(floor(cr.revenue_cents)) OVER w AS revenue_left,
		   row_number() OVER (w ORDER BY cr.pipeline_cents - floor(cr.pipeline_cents) DESC, cr.attributed DESC,
							  cr.month, cr.channel, cr.campaign, cr.touches DESC) AS pipeline_rank,
		   row_number() OVER (w ORDER BY cr.revenue_cents - floor(cr.revenue_cents) DESC, cr.attributed DESC,
							  cr.month, cr.channel, cr.campaign, cr.touches DESC) AS revenue_rank
	FROM credits cr
	WINDOW w AS (PARTITION BY cr.model)
),
performance AS (
	SELECT r.model, r.month, r.channel, r.campaign, r.attributed, r.touches, r.attributed_opportunities,
		   r.attributed_won,
		   ((floor(r.pipeline_cents) + CASE WHEN r.pipeline_rank <= r.pipeline_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS pipeline,
		   ((floor(r.revenue_cents) + CASE WHEN r.revenue_rank <= r.revenue_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS revenue,
		   co.cost::numeric(16,2) AS cost
	FROM ranked r
	LEFT JOIN spend co
		ON r.attributed AND co.month = r.month AND co.channel = r.channel AND co.campaign = r.campaign
)
SELECT model, month, channel, campaign, attributed, touches,
	   round(attributed_opportunities::numeric, 4) AS attributed_opportunities,
	   round(attributed_won::numeric, 4) AS attributed_won,
	   pipeline, revenue, cost,
	   round((revenue - cost) / nullif(cost, 0), 4) AS roi,
	   round(cost / nullif(attributed_opportunities, 0)::numeric, 2) AS cost_per_opportunity,
	   round(cost / nullif(attributed_won, 0)::numeric, 2) AS cost_per_won
FROM performance;
COMMENT ON VIEW @extschema@.campaign_performance_monthly IS
	'campaign_performance per month: credits in the month of their touch, spend in the month it was spent';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.month IS
	'First day of the month of the touches and of the spend (unattributed row: of the opportunities'' creation), in the session''s time zone';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.channel IS 'Channel; NULL on the unattributed row';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.campaign IS 'Campaign; NULL for touches without a campaign and on the unattributed row';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.cost IS 'Spend of the campaign and channel in the month; NULL when none';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.attributed IS
	'False on the row of the opportunities with no touch in the model''s window (unattributed, not lost)';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.touches IS 'Touches in the models'' windows of the opportunities'' journeys';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.attributed_opportunities IS
	'Sum of the credits: opportunities attributed, as a fraction (unattributed row: the number of those opportunities)';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.attributed_won IS 'The same for won opportunities';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.pipeline IS
	'Attributed pipeline (credit x amount of every opportunity) in cents, rounded so that a model''s rows add up exactly to the total amount';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.revenue IS
	'Attributed revenue (credit x amount of won opportunities) in cents, rounded so that a model''s rows add up exactly to the won amount';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.roi IS '(revenue - cost) / cost; NULL without cost';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.cost_per_opportunity IS 'cost / attributed_opportunities';
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.cost_per_won IS 'cost / attributed_won: cost per attributed won deal';
-- Reporting layer, part 4: a deterministic demo data generator.
--
-- generate_demo_data(opportunities, seed) fills the canonical tables with a
-- realistic B2B data set: accounts of varying quality, contacts who touch
-- marketing over weeks, campaigns with daily costs, opportunities with
-- several contacts (some with two roles), wins and losses, and the demand
-- waterfall of every contact with recycling, disqualification and the
-- reasons sales gave, plus monthly stage targets.  Every random number is a
-- hash of (seed, entity, attribute), so the same arguments give the same
-- rows whatever the plan, and a larger size keeps the smaller one's shape.

CREATE FUNCTION @extschema@.demo_uniform(seed bigint, entity bigint, attribute integer)
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT ((pg_catalog.hashint8extended(entity * 1000 + attribute, seed) >> 11) & 9007199254740991)::float8
		   / 9007199254740992.0
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
	SELECT string_agg(t, ', ') INTO busy FROM (
		SELECT 'contacts' AS t WHERE EXISTS (SELECT FROM @extschema@.contacts)
		UNION ALL SELECT 'opportunities' WHERE EXISTS (SELECT FROM @extschema@.opportunities)
		UNION ALL SELECT 'touchpoints' WHERE EXISTS (SELECT FROM @extschema@.touchpoints)
		UNION ALL SELECT 'campaign_costs' WHERE EXISTS (SELECT FROM @extschema@.campaign_costs)
		UNION ALL SELECT 'stage_events' WHERE EXISTS (SELECT FROM @extschema@.stage_events)
		UNION ALL SELECT 'stage_targets' WHERE EXISTS (SELECT FROM @extschema@.stage_targets)) s;
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
	INSERT INTO @extschema@.opportunity_contacts (opportunity_id, contact_id, role)
	SELECT o.opportunity_id, c.contact_id,
		   (ARRAY['decision_maker', 'champion', 'influencer', 'technical_evaluator', 'end_user'])[c.contact_number]
	FROM demo_opportunities o
	JOIN demo_contacts c ON c.account_key = o.account_key AND c.created_at <= as_of
	WHERE NOT o.without_contacts
	  AND (c.contact_number = 1 OR @extschema@.demo_uniform(seed, o.opportunity_key * 8 + c.contact_number, 501) < 0.6)
	UNION ALL
	SELECT o.opportunity_id, c.contact_id, 'economic_buyer'
	FROM demo_opportunities o
	JOIN demo_contacts c ON c.account_key = o.account_key AND c.contact_number = 1 AND c.created_at <= as_of
	WHERE NOT o.without_contacts AND @extschema@.demo_uniform(seed, o.opportunity_key, 502) < 0.15;

	-- the demand waterfall of every contact
	CREATE TEMP TABLE demo_stage_events (unit_id text, stage text, entered_at timestamptz, reason text) ON COMMIT DROP;

	-- contacts on an opportunity: inquiry, mql, sal and sql spread before
	-- the opportunity's creation, then opportunity, then won or lost
	INSERT INTO demo_stage_events
	SELECT c.contact_id, e.stage, e.entered_at, e.reason
	FROM (
		SELECT DISTINCT ON (oc.contact_id) oc.contact_id, o.created_at AS opened_at, o.closed_at, o.is_won
		FROM @extschema@.opportunity_contacts oc
		JOIN @extschema@.opportunities o ON o.opportunity_id = oc.opportunity_id
		ORDER BY oc.contact_id, o.created_at, o.opportunity_id
	) f
	JOIN @extschema@.contacts c ON c.contact_id = f.contact_id
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
			FROM @extschema@.contacts c
			JOIN demo_contacts dc ON dc.contact_id = c.contact_id
			JOIN demo_accounts a ON a.account_key = dc.account_key
			LEFT JOIN LATERAL (
				SELECT t.channel FROM @extschema@.touchpoints t
				WHERE t.contact_id = c.contact_id AND t.touched_at <= c.created_at
				ORDER BY t.touched_at DESC, t.touchpoint_id DESC LIMIT 1) t ON true
			WHERE NOT EXISTS (SELECT FROM @extschema@.opportunity_contacts oc WHERE oc.contact_id = c.contact_id)
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

	-- targets for 2025: last year's monthly average of first entries, plus growth
	INSERT INTO @extschema@.stage_targets (waterfall, period, stage, target, grain)
	SELECT 'default', m::date, f.stage,
		   round(f.per_month * (1.05 + 0.2 * @extschema@.demo_uniform(seed, s.rank * 100 + extract(month FROM m)::integer, 801))),
		   'month'
	FROM (
		SELECT e.stage, count(*) / 12.0 AS per_month
		FROM (SELECT unit_id, stage, min(entered_at) AS first_at FROM @extschema@.stage_events
			  WHERE waterfall = 'default' GROUP BY unit_id, stage) e
		WHERE e.first_at >= timestamptz '2024-01-01 00:00:00+00' AND e.first_at < timestamptz '2025-01-01 00:00:00+00'
		GROUP BY e.stage
	) f
	JOIN @extschema@.waterfall_stages s ON s.waterfall = 'default' AND s.stage = f.stage AND NOT s.is_exit,
	generate_series(timestamp '2025-01-01', timestamp '2025-12-01', interval '1 month') m;

	DROP TABLE demo_accounts, demo_contacts, demo_touches, demo_opportunities, demo_stage_events;
	-- the views' plans depend on the statistics of what was just loaded
	ANALYZE @extschema@.contacts, @extschema@.opportunities, @extschema@.opportunity_contacts,
		@extschema@.touchpoints, @extschema@.campaign_costs, @extschema@.stage_events, @extschema@.stage_targets,
		@extschema@.models;

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
END
$$;
COMMENT ON FUNCTION @extschema@.generate_demo_data(integer, bigint) IS
	'Fills the empty canonical tables with a deterministic B2B demo data set of the given number of opportunities (default 3000) from a seed';
-- Reporting layer, part 4: data-driven attribution over the opportunity
-- journeys (SPEC section 3): the path of channels of every closed
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
-- Reporting layer, part 5: the demand waterfall views (SPEC sections 4 and
-- 5) over stage_events: one stage history per unit and waterfall, then the
-- waterfall by cohort, the flow by period, velocity, leakage, plan against
-- actual, and the lead-quality feedback from sales to marketing.
--
-- "As of" for the age of cohorts and whether a period is complete is the
-- latest stage event of the waterfall: the views give the same answer on
-- the same data whatever day they are read.

CREATE FUNCTION @extschema@.unknown_waterfall(waterfall text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
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
	FROM @extschema@.source_stage_events() e
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
	SELECT h.waterfall, date_trunc('month', h.first_reached_at)::date AS cohort, count(*) AS units,
		   @extschema@.waterfall_agg(h.history) AS summary
	FROM @extschema@.stage_histories h
	WHERE h.first_reached_at IS NOT NULL
	GROUP BY h.waterfall, date_trunc('month', h.first_reached_at)::date
),
as_of AS (
	SELECT e.waterfall, max(e.entered_at) AS as_of FROM @extschema@.source_stage_events() e GROUP BY e.waterfall
)
SELECT c.waterfall, c.cohort, r.stage, r.stage_rank::integer AS stage_rank, c.units, r.reached, r.advanced,
	   round(r.conversion_rate::numeric, 4) AS conversion_rate,
	   round(r.cumulative_rate::numeric, 4) AS cumulative_rate,
	   r.recycled, r.disqualified, r.still_open,
	   round(r.median_days_to_next::numeric, 1) AS median_days_to_next,
	   (a.as_of::date - c.cohort) AS cohort_age_days, a.as_of
FROM cohorts c
JOIN as_of a ON a.waterfall = c.waterfall
CROSS JOIN LATERAL @extschema@.waterfall_report(c.summary) WITH ORDINALITY
	r(stage, reached, advanced, conversion_rate, cumulative_rate, recycled, disqualified, still_open,
	  median_days_to_next, p90_days_to_next, stage_rank);
COMMENT ON VIEW @extschema@.waterfall_cohorts IS
	'The waterfall of each monthly cohort (units grouped by the month they reached the first stage), followed forward with no horizon; young cohorts have not finished converting, see cohort_age_days';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.cohort IS 'First day of the month in which the units reached the first ladder stage (session time zone)';
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

-- ---------------------------------------------------------------- flow by period

CREATE VIEW @extschema@.waterfall_flow WITH (security_invoker = true) AS
WITH entries AS (
	SELECT h.waterfall, x.stage, date_trunc('month', x.first_entered_at)::date AS month
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
			 4) AS ratio_to_previous
FROM grid g
LEFT JOIN counts c ON c.waterfall = g.waterfall AND c.month = g.month AND c.stage = g.stage;
COMMENT ON VIEW @extschema@.waterfall_flow IS
	'The waterfall by period: how many units first reached each stage in each month, and the ratio to the stage before in the same month';
COMMENT ON COLUMN @extschema@.waterfall_flow.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_flow.month IS 'First day of the month (session time zone)';
COMMENT ON COLUMN @extschema@.waterfall_flow.stage IS 'Ladder stage';
COMMENT ON COLUMN @extschema@.waterfall_flow.stage_rank IS 'Position of the stage in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.waterfall_flow.first_entries IS 'Units that first reached the stage (inferred) in the month';
COMMENT ON COLUMN @extschema@.waterfall_flow.ratio_to_previous IS
	'first_entries / first_entries of the stage before, in the same month; NULL for the first stage or when the stage before had none';

-- ---------------------------------------------------------------- velocity and leakage over all units

CREATE VIEW @extschema@.waterfall_velocity WITH (security_invoker = true) AS
WITH summaries AS (
	SELECT h.waterfall, @extschema@.waterfall_agg(h.history) AS summary
	FROM @extschema@.stage_histories h GROUP BY h.waterfall
)
SELECT s.waterfall, r.stage, r.stage_rank::integer AS stage_rank, r.reached, r.advanced,
	   round(r.conversion_rate::numeric, 4) AS conversion_rate,
	   round(r.median_days_to_next::numeric, 1) AS median_days_to_next,
	   round(r.p90_days_to_next::numeric, 1) AS p90_days_to_next
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
	   round(r.disqualified::numeric / nullif(r.reached, 0), 4) AS exit_rate
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

-- ---------------------------------------------------------------- goals: plan against actual

CREATE VIEW @extschema@.plan_vs_actual WITH (security_invoker = true) AS
WITH firsts AS (
	-- first entries per day (the periods are whole days in the session's time zone)
	SELECT h.waterfall, x.stage, x.first_entered_at::date AS day, count(*) AS units
	FROM @extschema@.stage_histories h CROSS JOIN LATERAL @extschema@.stage_entries(h.history) x
	GROUP BY h.waterfall, x.stage, x.first_entered_at::date
),
as_of AS (
	SELECT e.waterfall, max(e.entered_at) AS as_of FROM @extschema@.source_stage_events() e GROUP BY e.waterfall
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
	   coalesce(a.as_of >= p.period_end, false) AS complete
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
	'Units that first reached the stage (inferred for ladder stages, first entry for exits) in the period (session time zone)';
COMMENT ON COLUMN @extschema@.plan_vs_actual.gap IS 'actual - target';
COMMENT ON COLUMN @extschema@.plan_vs_actual.attainment IS 'actual / target; NULL for a target of 0';
COMMENT ON COLUMN @extschema@.plan_vs_actual.complete IS 'True when the latest stage event of the waterfall is past the end of the period';

-- ---------------------------------------------------------------- feedback: lead quality by source

-- The source of a lead is its lead-creation touch: the contact's last touch
-- at or before contacts.created_at (ties: the larger touchpoint id).  The
-- qualification stage is the ladder stage named mql (else the second stage
-- of the ladder), acceptance is reaching the stage after it (sal in the
-- default ladder), and disqualification is being in the first exit stage
-- of the waterfall (disqualified) now.
CREATE VIEW @extschema@.lead_sources WITH (security_invoker = true) AS
SELECT DISTINCT ON (c.contact_id) c.contact_id, c.created_at, t.touchpoint_id, t.touched_at, t.channel, t.campaign
FROM @extschema@.source_contacts() c
LEFT JOIN @extschema@.source_touchpoints() t ON t.contact_id = c.contact_id AND t.touched_at <= c.created_at
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
		   w.exits[1] AS disqualified_stage
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
	SELECT l.waterfall, l.channel, l.campaign, e.reason, count(*) AS times,
		   row_number() OVER (PARTITION BY l.waterfall, l.channel, l.campaign ORDER BY count(*) DESC, e.reason)
			   AS reason_rank
	FROM leads l
	JOIN @extschema@.source_stage_events() e ON e.waterfall = l.waterfall AND e.unit_id = l.unit_id
	WHERE e.reason IS NOT NULL
	GROUP BY l.waterfall, l.channel, l.campaign, e.reason
)
SELECT q.waterfall, q.channel AS source_channel, q.campaign AS source_campaign, q.leads, q.qualified, q.accepted,
	   round(q.accepted::numeric / nullif(q.qualified, 0), 4) AS acceptance_rate,
	   q.disqualified, round(q.disqualified::numeric / q.leads, 4) AS disqualification_rate,
	   q.recycled, round(q.recycled::numeric / q.leads, 4) AS recycle_rate,
	   (SELECT string_agg(format('%s (%s)', r.reason, r.times), ', ' ORDER BY r.reason_rank)
		FROM reasons r
		WHERE r.waterfall = q.waterfall AND r.channel IS NOT DISTINCT FROM q.channel
		  AND r.campaign IS NOT DISTINCT FROM q.campaign AND r.reason_rank <= 3) AS top_reasons
FROM quality q;
COMMENT ON VIEW @extschema@.lead_quality IS
	'Which leads were worth it, per source channel and campaign (the lead-creation touch): how many marketing qualified, how many sales accepted, disqualified or recycled, and the reasons sales gave most';
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
COMMENT ON COLUMN @extschema@.lead_quality.top_reasons IS
	'The three reasons given most often on the stage events of these leads, with their counts (ties: alphabetical)';

CREATE VIEW @extschema@.lead_feedback WITH (security_invoker = true) AS
SELECT h.waterfall, ls.channel AS source_channel, ls.campaign AS source_campaign, e.stage, e.reason,
	   count(*) AS events, count(DISTINCT e.unit_id) AS leads
FROM @extschema@.stage_histories h
JOIN @extschema@.waterfalls w ON w.name = h.waterfall AND w.unit = 'contact'
JOIN @extschema@.source_stage_events() e ON e.waterfall = h.waterfall AND e.unit_id = h.unit_id
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
	('lead_feedback', '{waterfall,source_channel,source_campaign,stage,reason}')
) v(view_name, key_columns);
COMMENT ON VIEW @extschema@.reporting_views IS
	'The reporting views that materialize() can store, with the columns that identify their rows';
COMMENT ON COLUMN @extschema@.reporting_views.view_name IS 'Name of the view in the extension''s schema';
COMMENT ON COLUMN @extschema@.reporting_views.key_columns IS
	'Columns that identify a row (the unique index of a materialized copy; NULL values never repeat a key)';
GRANT SELECT ON @extschema@.reporting_views TO PUBLIC;

CREATE FUNCTION @extschema@.materialize(view_name text, matview text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
	keys text[] := (SELECT r.key_columns FROM @extschema@.reporting_views r WHERE r.view_name = materialize.view_name);
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
		target_schema := '@extschema@';
		target_name := view_name || '_materialized';
	ELSE
		parts := pg_catalog.parse_ident(matview);
		IF pg_catalog.cardinality(parts) > 2 THEN
			RAISE EXCEPTION 'improper materialized view name "%"', matview
				USING ERRCODE = 'invalid_name',
				DETAIL = 'The name has more than two parts.',
				HINT = 'Give name or schema.name.';
		END IF;
		target_schema := CASE WHEN pg_catalog.cardinality(parts) = 2 THEN parts[1] ELSE pg_catalog.current_schema() END;
		target_name := parts[pg_catalog.cardinality(parts)];
	END IF;
	target := pg_catalog.format('%I.%I', target_schema, target_name);
	EXECUTE pg_catalog.format('CREATE MATERIALIZED VIEW %s AS SELECT * FROM %I.%I', target, '@extschema@', view_name);
	EXECUTE pg_catalog.format('CREATE UNIQUE INDEX %I ON %s (%s)', target_name || '_key', target,
				   (SELECT pg_catalog.string_agg(pg_catalog.format('%I', k), ', ') FROM pg_catalog.unnest(keys) k));
	EXECUTE pg_catalog.format('COMMENT ON MATERIALIZED VIEW %s IS %L', target,
				   pg_catalog.format('Materialized copy of %I.%I, refreshed by %I.refresh_materialized()', '@extschema@',
						  view_name, '@extschema@'));
	INSERT INTO @extschema@.materialized_views (matview, view_name, key_columns) VALUES (target, view_name, keys);
	RETURN target;
END
$$;
COMMENT ON FUNCTION @extschema@.materialize(text, text) IS
	'Stores a reporting view as a materialized view (default name: attribution.<view>_materialized) with a unique index on its key, for refresh_materialized(); returns its name';

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
