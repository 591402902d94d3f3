
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
