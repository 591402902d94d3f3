/*
 * rule_input.c
 *		The input side shared by every form of the rule-based models: the
 *		documented touch order, the touch arguments and their errors, and the
 *		journey-level arguments; see rule_input.h.
 */
#include "postgres.h"

#include "compat.h"

#include "nodes/primnodes.h"
#include "rule_input.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

const char *const journey_arg_names[NUM_JOURNEY_ARGS] = {
	[JARG_MODEL] = "model",
	[JARG_HALF_LIFE] = "half_life",
	[JARG_WEIGHTS] = "weights",
	[JARG_LOOKBACK] = "lookback",
	[JARG_CONVERTED_AT] = "converted_at",
	[JARG_LEAD_AT] = "lead_created_at",
	[JARG_OPPORTUNITY_AT] = "opportunity_created_at",
	[JARG_CLOSED_AT] = "closed_at",
};

/* ---------- the touch ---------- */

int
touch_key_compare(const TouchKey *a, const TouchKey *b, const StrDict *dict)
{
	int			alen;
	int			blen;
	const char *aname;
	const char *bname;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	if (a->id_isnull != b->id_isnull)
		return a->id_isnull ? 1 : -1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	if (a->channel == b->channel)
		return 0;
	aname = strdict_string(dict, a->channel, &alen);
	bname = strdict_string(dict, b->channel, &blen);
	return strdict_compare_bytes(aname, alen, bname, blen);
}

void
touched_at_null_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("touched_at must not be NULL"),
			 errdetail("Every touch of a journey needs a time."),
			 errhint("Filter out touches without a time, or give them one.")));
	pg_unreachable();
}

void
channel_null_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("channel must not be NULL"),
			 errdetail("%s", detail),
			 errhint("Map missing channels to a name such as 'unknown'.")));
	pg_unreachable();
}

TimestampTz
touched_at_value(Datum value, bool isnull)
{
	if (isnull)
		touched_at_null_error();
	return check_finite_timestamp(DatumGetTimestampTz(value), "touched_at");
}

/* ---------- the journey-level arguments ---------- */

void
journey_args_model(const NullableDatum *args, HalfLifeWhenNull half_life_null,
				   AttributionModel *model)
{
	Interval	default_half_life = {.day = 7};
	Interval   *half_life = NULL;

	if (args[JARG_MODEL].isnull)
		model_null_error();
	if (!args[JARG_HALF_LIFE].isnull)
		half_life = DatumGetIntervalP(args[JARG_HALF_LIFE].value);
	else if (half_life_null == HALF_LIFE_NULL_DEFAULT)
		half_life = &default_half_life;
	model_init(model, DatumGetTextPP(args[JARG_MODEL].value),
			   half_life != NULL, half_life,
			   args[JARG_WEIGHTS].isnull ? NULL : DatumGetArrayTypeP(args[JARG_WEIGHTS].value),
			   args[JARG_LOOKBACK].isnull ? NULL : DatumGetIntervalP(args[JARG_LOOKBACK].value));
}

/* a time that may be given: false when it is NULL */
static bool
optional_time(const NullableDatum *args, JourneyArg which, TimestampTz *value)
{
	if (args[which].isnull)
		return false;
	*value = check_finite_timestamp(DatumGetTimestampTz(args[which].value),
									journey_arg_names[which]);
	return true;
}

void
journey_args_times(const NullableDatum *args, JourneyTimes *times)
{
	memset(times, 0, sizeof(*times));
	times->has_converted = optional_time(args, JARG_CONVERTED_AT, &times->converted_at);
	times->has_lead = optional_time(args, JARG_LEAD_AT, &times->lead_at);
	times->has_opportunity = optional_time(args, JARG_OPPORTUNITY_AT, &times->opportunity_at);
	times->has_closed = optional_time(args, JARG_CLOSED_AT, &times->closed_at);
}

void
summary_row_args(FunctionCallInfo fcinfo, int model_argno, RowArgs *where)
{
	int			given = PG_NARGS() - model_argno;
	int			m = model_argno;

	memset(where, 0, sizeof(*where));
	where->model = m;
	where->touched_at = m + 1;
	where->channel = m + 2;
	if (given == 4)
		where->converted_at = m + 3;
	if (given <= 4)
		return;
	where->touch_id = m + 3;
	where->is_direct = m + 4;
	where->converted_at = m + 5;
	where->lead_at = m + 6;
	where->opportunity_at = m + 7;
	where->closed_at = m + 8;
	where->half_life = m + 9;
	where->weights = m + 10;
	where->lookback = m + 11;
}

/* argument argno of the call, NULL when the form does not have it */
static NullableDatum
call_arg(FunctionCallInfo fcinfo, int argno)
{
	NullableDatum absent = {.value = (Datum) 0,.isnull = true};

	return argno == 0 ? absent : fcinfo->args[argno];
}

void
journey_args_of_call(FunctionCallInfo fcinfo, const RowArgs *where, NullableDatum *args)
{
	args[JARG_MODEL] = call_arg(fcinfo, where->model);
	args[JARG_HALF_LIFE] = call_arg(fcinfo, where->half_life);
	args[JARG_WEIGHTS] = call_arg(fcinfo, where->weights);
	args[JARG_LOOKBACK] = call_arg(fcinfo, where->lookback);
	args[JARG_CONVERTED_AT] = call_arg(fcinfo, where->converted_at);
	args[JARG_LEAD_AT] = call_arg(fcinfo, where->lead_at);
	args[JARG_OPPORTUNITY_AT] = call_arg(fcinfo, where->opportunity_at);
	args[JARG_CLOSED_AT] = call_arg(fcinfo, where->closed_at);
}

/* ---------- one row of an aggregate over touches ---------- */

/*
 * Is the aggregate's argument of transition-function argument argno a
 * constant?  (The transition function's own expression has placeholders
 * for its arguments, so ask the Aggref.)  An absent argument is constant.
 */
static bool
aggregate_arg_is_const(FunctionCallInfo fcinfo, int argno)
{
	Aggref	   *aggref;
	TargetEntry *tle;

	if (argno == 0)
		return true;
	aggref = AggGetAggref(fcinfo);
	if (aggref == NULL || argno - 1 >= list_length(aggref->args))
		return false;
	tle = list_nth_node(TargetEntry, aggref->args, argno - 1);
	return IsA(tle->expr, Const);
}

/* the row's model: parsed once per call when its arguments are constants */
static const AttributionModel *
row_model(FunctionCallInfo fcinfo, const RowArgs *where, RowReader *reader,
		  const NullableDatum *args, AttributionModel *own)
{
	if (!reader->checked)
	{
		reader->constant = aggregate_arg_is_const(fcinfo, where->model) &&
			aggregate_arg_is_const(fcinfo, where->half_life) &&
			aggregate_arg_is_const(fcinfo, where->weights) &&
			aggregate_arg_is_const(fcinfo, where->lookback);
		reader->checked = true;
	}
	if (reader->parsed)
		return &reader->model;
	journey_args_model(args, HALF_LIFE_NULL_DEFAULT, own);
	if (!reader->constant)
		return own;
	reader->model = *own;
	reader->parsed = true;
	return &reader->model;
}

void
touch_row_read(FunctionCallInfo fcinfo, const RowArgs *where, RowReader *reader, TouchRow *row)
{
	NullableDatum args[NUM_JOURNEY_ARGS];
	text	   *channel;

	journey_args_of_call(fcinfo, where, args);
	row->model = row_model(fcinfo, where, reader, args, &row->own_model);
	journey_args_times(args, &row->times);
	if (PG_ARGISNULL(where->touched_at))
		touched_at_null_error();
	if (PG_ARGISNULL(where->channel))
		channel_null_error(CHANNEL_NEEDED_DETAIL);
	memset(&row->key, 0, sizeof(row->key));
	row->key.at = touched_at_value(PG_GETARG_DATUM(where->touched_at), false);
	row->key.id_isnull = where->touch_id == 0 || PG_ARGISNULL(where->touch_id);
	row->key.id = row->key.id_isnull ? 0 : PG_GETARG_INT64(where->touch_id);
	row->key.valid = true;
	channel = PG_GETARG_TEXT_PP(where->channel);
	row->channel = VARDATA_ANY(channel);
	row->channel_len = VARSIZE_ANY_EXHDR(channel);
	row->is_direct = where->is_direct != 0 && !PG_ARGISNULL(where->is_direct) &&
		PG_GETARG_BOOL(where->is_direct);
}
