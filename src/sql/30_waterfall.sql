
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
