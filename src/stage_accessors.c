/*
 * stage_accessors.c
 *		Functions that read a stage_history: transitions, reached_at,
 *		current_stage, furthest_stage, time_in_stage, funnel_depth and
 *		stage_entries.
 *
 * Terms used below.  The position of a unit after an event is the rank of
 * the last ladder stage it entered (an exit leaves the position where it
 * was; before any ladder stage the position is -1).  A move into a ladder
 * stage above the position is forward, into one at or below it backward (a
 * recycle: back to an earlier stage, or re-entering the ladder after an
 * exit); a move into an exit stage is an exit.  A ladder stage counts as
 * reached (inferred) at the first event into it or into any later ladder
 * stage, as CRM funnels count skipped stages.
 */
#include "postgres.h"

#include "compat.h"

#include "common/int.h"
#include "common/int128.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "stage_history.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(stage_history_transitions);
PG_FUNCTION_INFO_V1(stage_history_reached_at);
PG_FUNCTION_INFO_V1(stage_history_current_stage);
PG_FUNCTION_INFO_V1(stage_history_furthest_stage);
PG_FUNCTION_INFO_V1(stage_history_time_in_stage);
PG_FUNCTION_INFO_V1(stage_history_funnel_depth);
PG_FUNCTION_INFO_V1(stage_history_entries);

static Interval *
usecs_to_interval(int64 usecs)
{
	Interval   *result = palloc(sizeof(Interval));

	/* the form of timestamptz subtraction: whole days, then the rest */
	result->month = 0;
	result->day = (int32) (usecs / USECS_PER_DAY);
	result->time = usecs % USECS_PER_DAY;
	return result;
}

static text *
stage_text(const HistoryView *view, int stage)
{
	return cstring_to_text_with_len(view->ladder->names[stage], view->ladder->name_lens[stage]);
}

static int
stage_arg(const HistoryView *view, text *name)
{
	return ladder_lookup_or_error(view->ladder, VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
}

/*
 * transitions(h): one row per event.  Row i describes the stay that event
 * i starts: from_stage is the stage before (NULL for the first event),
 * exited_at the time of the next event (NULL for the last, open stage).
 */
enum
{
	TR_SEQ,
	TR_FROM_STAGE,
	TR_TO_STAGE,
	TR_ENTERED_AT,
	TR_EXITED_AT,
	TR_TIME_IN_STAGE,
	TR_DIRECTION,
	TR_SKIPPED,
	TR_COLUMNS
};

static const char *
classify_move(const HistoryView *view, int stage, int *position, int *skipped)
{
	*skipped = 0;
	if (ladder_is_exit(view->ladder, stage))
		return "exit";
	if (stage > *position)
	{
		*skipped = stage - *position - 1;
		*position = stage;
		return "forward";
	}
	*position = stage;
	return "backward";
}

Datum
stage_history_transitions(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *store = srf_start(fcinfo, &tupdesc);
	HistoryView view;
	int			position = -1;	/* ladder position before the next event */
	int			i;

	history_view(PG_GETARG_VARLENA_PP(0), &view);
	Assert(view.n_events >= 1);
	for (i = 0; i < view.n_events; i++)
	{
		Datum		values[TR_COLUMNS];
		bool		nulls[TR_COLUMNS];
		int			stage = view.stages[i];
		int			skipped;
		const char *direction = classify_move(&view, stage, &position, &skipped);
		TimestampTz entered = history_time(&view, i);

		Assert(stage >= 0 && stage < view.ladder->n_stages);
		Assert(skipped >= 0);
		memset(nulls, false, sizeof(nulls));
		values[TR_SEQ] = Int32GetDatum(i + 1);
		if (i == 0)
			nulls[TR_FROM_STAGE] = true;
		else
			values[TR_FROM_STAGE] = PointerGetDatum(stage_text(&view, view.stages[i - 1]));
		values[TR_TO_STAGE] = PointerGetDatum(stage_text(&view, stage));
		values[TR_ENTERED_AT] = TimestampTzGetDatum(entered);
		if (i + 1 < view.n_events)
		{
			TimestampTz exited = history_time(&view, i + 1);

			/* events are in time order */
			Assert(exited >= entered);
			values[TR_EXITED_AT] = TimestampTzGetDatum(exited);
			values[TR_TIME_IN_STAGE] =
				PointerGetDatum(usecs_to_interval(history_usecs_between(entered, exited)));
		}
		else
			nulls[TR_EXITED_AT] = nulls[TR_TIME_IN_STAGE] = true;
		values[TR_DIRECTION] = CStringGetTextDatum(direction);
		values[TR_SKIPPED] = Int32GetDatum(skipped);
		tuplestore_putvalues(store, tupdesc, values, nulls);
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return (Datum) 0;
}

/* first event into the stage or, for an inferred ladder stage, any later one */
static int
first_reach(const HistoryView *view, int stage, bool inferred)
{
	bool		any_later = inferred && !ladder_is_exit(view->ladder, stage);
	int			i;

	for (i = 0; i < view->n_events; i++)
	{
		int			s = view->stages[i];

		if (s == stage ||
			(any_later && s > stage && !ladder_is_exit(view->ladder, s)))
			return i;
	}
	return -1;
}

Datum
stage_history_reached_at(PG_FUNCTION_ARGS)
{
	struct varlena *value = PG_GETARG_VARLENA_PP(0);
	text	   *kind = PG_GETARG_TEXT_PP(2);
	char	   *kind_str = text_to_cstring(kind);
	HistoryView view;
	bool		inferred;
	int			event;

	history_view(value, &view);
	if (strcmp(kind_str, "inferred") == 0)
		inferred = true;
	else if (strcmp(kind_str, "recorded") == 0)
		inferred = false;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown kind of reach \"%s\"", kind_str),
				 errdetail("The kinds are \"inferred\" (a skipped stage counts as reached when a later stage is) and \"recorded\" (only recorded entries)."),
				 errhint("Pass 'inferred' or 'recorded', or leave the argument out for 'inferred'.")));
	event = first_reach(&view, stage_arg(&view, PG_GETARG_TEXT_PP(1)), inferred);
	if (event < 0)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(history_time(&view, event));
}

Datum
stage_history_current_stage(PG_FUNCTION_ARGS)
{
	HistoryView view;

	history_view(PG_GETARG_VARLENA_PP(0), &view);
	PG_RETURN_TEXT_P(stage_text(&view, view.stages[view.n_events - 1]));
}

static int
furthest_ladder_stage(const HistoryView *view)
{
	int			furthest = -1;
	int			i;

	for (i = 0; i < view->n_events; i++)
	{
		int			s = view->stages[i];

		if (!ladder_is_exit(view->ladder, s) && s > furthest)
			furthest = s;
	}
	return furthest;
}

Datum
stage_history_furthest_stage(PG_FUNCTION_ARGS)
{
	HistoryView view;
	int			furthest;

	history_view(PG_GETARG_VARLENA_PP(0), &view);
	furthest = furthest_ladder_stage(&view);
	if (furthest < 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(stage_text(&view, furthest));
}

static void
check_finite_as_of(TimestampTz as_of)
{
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("as_of must be finite"),
				 errdetail("An infinite as_of would make the time in the open stage infinite."),
				 errhint("Pass the time up to which the open stage counts, for example now(), or leave it out.")));
}

/*
 * time_in_stage(h, stage [, as_of]): the summed length of the stays in the
 * stage.  The last, open stay counts up to as_of (not before its start);
 * without as_of it counts nothing.  NULL when the stage was never recorded.
 * Not STRICT, because as_of may be NULL.
 */
Datum
stage_history_time_in_stage(PG_FUNCTION_ARGS)
{
	HistoryView view;
	int			stage;
	int64		total = 0;
	bool		visited = false;
	int			i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	history_view(PG_GETARG_VARLENA_PP(0), &view);
	stage = stage_arg(&view, PG_GETARG_TEXT_PP(1));
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
		check_finite_as_of(PG_GETARG_TIMESTAMPTZ(2));

	for (i = 0; i < view.n_events; i++)
	{
		TimestampTz entered;
		TimestampTz left;

		if (view.stages[i] != stage)
			continue;
		visited = true;
		entered = history_time(&view, i);
		if (i + 1 < view.n_events)
			left = history_time(&view, i + 1);
		else if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
			left = Max(PG_GETARG_TIMESTAMPTZ(2), entered);
		else
			left = entered;
		if (pg_add_s64_overflow(total, history_usecs_between(entered, left), &total))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("interval out of range"),
					 errdetail("The summed time in stage \"%s\" does not fit an interval.",
							   view.ladder->names[stage]),
					 errhint("Check the entered_at values for wrong years.")));
	}
	if (!visited)
		PG_RETURN_NULL();
	PG_RETURN_INTERVAL_P(usecs_to_interval(total));
}

/*
 * funnel_depth(h, within, mode): ClickHouse's windowFunnel over the ladder.
 * The steps are the ladder stages in order; the events are the entries of
 * the history (exits match no step).  Every entry into the first step
 * starts a chain; an entry into step k extends the chain that reached step
 * k - 1 when it lies within `within` of that chain's start (and, under
 * strict_increase, strictly after the chain's previous step).  The result is
 * the deepest step any chain reached, 0 when the first step was never
 * entered.  Under strict_order an event that matches no step (an exit)
 * ends the search once a chain has started, and an entry into a step whose
 * previous step no chain has reached ends it too.
 */
#define FUNNEL_STRICT_INCREASE 0x01
#define FUNNEL_STRICT_ORDER 0x02

static int
parse_funnel_mode(const char *mode)
{
	int			flags = 0;
	char	   *copy = pstrdup(mode);
	char	   *token;
	char	   *saveptr = NULL;

	for (token = strtok_r(copy, ",", &saveptr); token != NULL;
		 token = strtok_r(NULL, ",", &saveptr))
	{
		char	   *end;

		while (*token == ' ')
			token++;
		end = token + strlen(token);
		while (end > token && end[-1] == ' ')
			*--end = '\0';
		if (strcmp(token, "default") == 0)
			continue;
		if (strcmp(token, "strict_increase") == 0)
			flags |= FUNNEL_STRICT_INCREASE;
		else if (strcmp(token, "strict_order") == 0)
			flags |= FUNNEL_STRICT_ORDER;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown funnel mode \"%s\"", token),
					 errdetail("The modes are \"default\", \"strict_increase\" and \"strict_order\"; several may be given, separated by commas."),
					 errhint("Pass for example 'strict_increase' or 'strict_increase,strict_order'.")));
	}
	pfree(copy);
	return flags;
}

/*
 * start + within, with the interval as a fixed length (1 day = 24 h, 1 month
 * = 30 days), in 128 bits: both the interval and the distance between two
 * timestamps can exceed int64 microseconds.
 */
static INT128
window_end(TimestampTz start, const Interval *within)
{
	INT128		end = int64_to_int128(start);

	int128_add_int64_mul_int64(&end, (int64) within->month * DAYS_PER_MONTH + within->day,
							   USECS_PER_DAY);
	int128_add_int64(&end, within->time);
	return end;
}

Datum
stage_history_funnel_depth(PG_FUNCTION_ARGS)
{
	HistoryView view;
	Interval   *within = PG_GETARG_INTERVAL_P(1);
	int			flags = parse_funnel_mode(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	bool		reached[LADDER_MAX_STAGES];
	TimestampTz chain_start[LADDER_MAX_STAGES];
	TimestampTz step_time[LADDER_MAX_STAGES];
	bool		started = false;
	int			steps;
	int			i;

	if (int128_compare(window_end(0, within), int64_to_int128(0)) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("funnel window must be positive"),
				 errdetail("The window is %s.",
						   DatumGetCString(DirectFunctionCall1(interval_out,
															   IntervalPGetDatum(within)))),
				 errhint("Pass the time allowed from entering the first stage, for example interval '30 days'.")));
	history_view(PG_GETARG_VARLENA_PP(0), &view);
	steps = view.ladder->n_ladder;
	memset(reached, false, sizeof(reached));

	for (i = 0; i < view.n_events; i++)
	{
		int			step = view.stages[i];
		TimestampTz at = history_time(&view, i);

		if (ladder_is_exit(view.ladder, step))
		{
			if ((flags & FUNNEL_STRICT_ORDER) && started)
				break;
			continue;
		}
		if (step == 0)
		{
			reached[0] = true;
			chain_start[0] = step_time[0] = at;
			started = true;
		}
		else if ((flags & FUNNEL_STRICT_ORDER) && started && !reached[step - 1])
			break;
		else if (reached[step - 1])
		{
			/* within the window of the chain's start, computed without overflow */
			bool		matched = int128_compare(int64_to_int128(at),
												 window_end(chain_start[step - 1], within)) <= 0;

			if ((flags & FUNNEL_STRICT_INCREASE) && !(step_time[step - 1] < at))
				matched = false;
			if (matched)
			{
				reached[step] = true;
				chain_start[step] = chain_start[step - 1];
				step_time[step] = at;
				if (step + 1 == steps)
					break;
			}
		}
	}

	/*
	 * windowFunnel reports the deepest step reached; under strict_order a
	 * stop reports the number of steps reached before the first gap, which
	 * is the same number because steps are only reached in order.
	 */
	for (i = steps; i > 0; i--)
	{
		if (reached[i - 1])
			PG_RETURN_INT32(i);
	}
	PG_RETURN_INT32(0);
}

/*
 * stage_entries(h): one row per stage the unit reached: the ladder stages
 * reached (inferred) in ladder order, then the exit stages entered.
 * first_entered_at is reached_at(h, stage); entries counts the recorded
 * entries into the stage (0 for a stage only inferred).
 */
enum
{
	SE_STAGE,
	SE_LADDER_RANK,
	SE_FIRST_ENTERED_AT,
	SE_ENTRIES,
	SE_COLUMNS
};

Datum
stage_history_entries(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *store = srf_start(fcinfo, &tupdesc);
	HistoryView view;
	int			counts[LADDER_MAX_STAGES];
	int			furthest = -1;
	int			s,
				i;

	history_view(PG_GETARG_VARLENA_PP(0), &view);
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < view.n_events; i++)
	{
		s = view.stages[i];
		counts[s]++;
		if (!ladder_is_exit(view.ladder, s))
			furthest = Max(furthest, s);
	}
	for (s = 0; s < view.ladder->n_stages; s++)
	{
		bool		is_exit = ladder_is_exit(view.ladder, s);
		Datum		values[SE_COLUMNS];
		bool		nulls[SE_COLUMNS] = {false, false, false, false};
		int			event;

		if (is_exit ? counts[s] == 0 : s > furthest)
			continue;
		event = first_reach(&view, s, true);
		/* a stage reached has an event into it or (inferred) into a later one */
		Assert(event >= 0 && event < view.n_events);
		values[SE_STAGE] = PointerGetDatum(stage_text(&view, s));
		values[SE_LADDER_RANK] = Int32GetDatum(is_exit ? 0 : s + 1);
		nulls[SE_LADDER_RANK] = is_exit;
		values[SE_FIRST_ENTERED_AT] = TimestampTzGetDatum(history_time(&view, event));
		values[SE_ENTRIES] = Int32GetDatum(counts[s]);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	return (Datum) 0;
}
