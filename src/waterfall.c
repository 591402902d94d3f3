/*
 * waterfall.c
 *		The type attribution.waterfall_summary, the aggregates waterfall_agg()
 *		and merge(), and the reports waterfall_report(), waterfall_exits()
 *		and reverse_waterfall().
 *
 * A summary counts, per ladder stage k, over the units summarised:
 *		reached[k]		units that reached k (inferred: k or any later ladder
 *						stage was entered), so reached[k+1] is also the number
 *						that advanced from k;
 *		recycled[k]		units that moved back at least once while their
 *						position was k (to an earlier ladder stage, or into
 *						the ladder again after an exit taken at k);
 *		exited[k][e]	units whose furthest stage is k and whose current
 *						stage is exit stage e;
 *		to_next[k]		the durations from reaching k to reaching k+1, for
 *						the units that advanced (k below the last stage).
 * Units whose furthest stage is k and who are not in an exit stage now are
 * still open at k: reached[k] = reached[k+1] + sum_e exited[k][e] + still
 * open, for every stage below the last.  Units that never entered a ladder
 * stage (only exits) count in `units` only.
 *
 * The stored value is the binary form below (a version byte first); the
 * serialized aggregate state is the same bytes.  Reading it validates every
 * count, so a damaged or hand-made value is an error, never a wrong report.
 *		version byte, ladder, units,
 *		per stage: reached, recycled, exited[n_exits], and below the last
 *		stage the histogram of days to next (duration_hist.h)
 */
#include "postgres.h"

#include "compat.h"

#include <float.h>
#include <math.h>

#include "aggstate.h"
#include "aggutil.h"
#include "common/int.h"
#include "duration_hist.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "stage_history.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#define SUMMARY_VERSION 1

PG_FUNCTION_INFO_V1(waterfall_summary_in);
PG_FUNCTION_INFO_V1(waterfall_summary_out);
PG_FUNCTION_INFO_V1(waterfall_summary_recv);
PG_FUNCTION_INFO_V1(waterfall_summary_send);
PG_FUNCTION_INFO_V1(waterfall_agg_trans);
PG_FUNCTION_INFO_V1(waterfall_merge_trans);
PG_FUNCTION_INFO_V1(waterfall_combine);
PG_FUNCTION_INFO_V1(waterfall_serialize);
PG_FUNCTION_INFO_V1(waterfall_deserialize);
PG_FUNCTION_INFO_V1(waterfall_final);
PG_FUNCTION_INFO_V1(waterfall_report);
PG_FUNCTION_INFO_V1(waterfall_exits);
PG_FUNCTION_INFO_V1(reverse_waterfall);
PG_FUNCTION_INFO_V1(waterfall_state_trans);
PG_FUNCTION_INFO_V1(waterfall_state_combine);
PG_FUNCTION_INFO_V1(waterfall_state_final);

typedef struct WaterfallState
{
	const StageLadder *ladder;
	int64		units;
	int64	   *reached;		/* [n_ladder] */
	int64	   *recycled;		/* [n_ladder] */
	int64	   *exited;			/* [n_ladder * n_exits], k * n_exits + e */
	DurationHist *to_next;		/* [n_ladder - 1] */
} WaterfallState;

static WaterfallState *
state_create(const StageLadder *ladder, MemoryContext cxt)
{
	int			n = ladder->n_ladder;
	Size		counts = (Size) n * (2 + ladder->n_exits);
	WaterfallState *state;
	int			k;

	state = MemoryContextAllocZero(cxt, sizeof(WaterfallState) + counts * sizeof(int64) +
								   (n - 1) * sizeof(DurationHist));
	state->ladder = ladder_copy(ladder, cxt);
	state->reached = (int64 *) (state + 1);
	state->recycled = state->reached + n;
	state->exited = state->recycled + n;
	state->to_next = (DurationHist *) (state->exited + n * ladder->n_exits);
	for (k = 0; k < n - 1; k++)
		dhist_init(&state->to_next[k]);
	return state;
}

/* the units that exited at stage k; false when the sum overflows bigint */
static bool
exits_sum(const WaterfallState *state, int k, int64 *sum)
{
	int			e;

	*sum = 0;
	for (e = 0; e < state->ladder->n_exits; e++)
		if (pg_add_s64_overflow(*sum, state->exited[k * state->ladder->n_exits + e], sum))
			return false;
	return true;
}

/* the same, of a validated summary (where it cannot overflow) */
static int64
exits_at(const WaterfallState *state, int k)
{
	int64		sum;

	if (!exits_sum(state, k, &sum))
		elog(ERROR, "waterfall summary exit counts overflow after validation");
	return sum;
}

static const char *state_problem(const WaterfallState *state);

/*
 * Every way of making a state keeps the counts of the header in agreement
 * (what state_problem() checks on input); asserted after each change.
 */

/* add one unit's history */
static void
state_add_history(WaterfallState *state, const HistoryView *view, MemoryContext cxt)
{
	const StageLadder *ladder = view->ladder;
	int			n = ladder->n_ladder;
	TimestampTz first_entry[LADDER_MAX_STAGES];
	bool		entered[LADDER_MAX_STAGES];
	bool		recycled_from[LADDER_MAX_STAGES];
	TimestampTz reach_next = 0;
	TimestampTz reach;
	int			position = -1;
	int			furthest = -1;
	int			current = view->stages[view->n_events - 1];
	int			i,
				k;

	memset(entered, false, n * sizeof(bool));
	memset(recycled_from, false, n * sizeof(bool));
	for (i = 0; i < view->n_events; i++)
	{
		int			s = view->stages[i];

		if (ladder_is_exit(ladder, s))
			continue;
		if (!entered[s])
		{
			entered[s] = true;
			first_entry[s] = history_time(view, i);
		}
		if (position >= 0 && s <= position)
			recycled_from[position] = true;
		position = s;
		furthest = Max(furthest, s);
	}

	dhist_add_count(&state->units, 1);
	if (furthest < 0)
	{
		Assert(state_problem(state) == NULL);
		return;
	}

	/* reached (inferred) at: the first entry into k or any later stage */
	for (k = furthest; k >= 0; k--)
	{
		reach = entered[k] ? first_entry[k] : reach_next;
		if (k < furthest)
		{
			reach = Min(reach, reach_next);
			dhist_add(&state->to_next[k], history_usecs_between(reach, reach_next), cxt);
		}
		dhist_add_count(&state->reached[k], 1);
		if (recycled_from[k])
			dhist_add_count(&state->recycled[k], 1);
		reach_next = reach;
	}
	if (ladder_is_exit(ladder, current))
		dhist_add_count(&state->exited[furthest * ladder->n_exits + (current - n)], 1);
	Assert(state_problem(state) == NULL);
}

static void
state_merge(WaterfallState *into, const WaterfallState *from, MemoryContext cxt)
{
	const StageLadder *ladder = into->ladder;
	int			n = ladder->n_ladder;
	int			k;

	if (!ladder_equal(into->ladder, from->ladder))
		ladder_different_error(into->ladder, from->ladder, "waterfall summaries");
	dhist_add_count(&into->units, from->units);
	for (k = 0; k < n * (2 + ladder->n_exits); k++)
		dhist_add_count(&into->reached[k], from->reached[k]);	/* the three arrays are one block */
	for (k = 0; k < n - 1; k++)
	{
		CHECK_FOR_INTERRUPTS();
		dhist_merge(&into->to_next[k], &from->to_next[k], cxt);
	}
	Assert(state_problem(into) == NULL);
}

static WaterfallState *
state_copy(const WaterfallState *from, MemoryContext cxt)
{
	WaterfallState *state = state_create(from->ladder, cxt);
	int			n = from->ladder->n_ladder;
	int			k;

	state->units = from->units;
	memcpy(state->reached, from->reached, n * (2 + from->ladder->n_exits) * sizeof(int64));
	for (k = 0; k < n - 1; k++)
		dhist_copy(&state->to_next[k], &from->to_next[k], cxt);
	return state;
}

/* validation shared by every way in */

/* the counts of a text form do not agree (binary forms: bin_error()) */
static void
bad_summary(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid waterfall_summary value"),
			 errdetail("%s", detail),
			 errhint("A waterfall summary is made by waterfall_agg() or merge(); its counts must agree with each other.")));
}

/*
 * The counts of a summary must agree with each other: the problem (the
 * detail of an error), or NULL when there is none.
 */
static const char *
state_problem(const WaterfallState *state)
{
	int			n = state->ladder->n_ladder;
	int			k;
	int			e;

	if (state->units < 0)
		return "The number of units is negative.";
	for (k = 0; k < n; k++)
	{
		if (state->reached[k] < 0 || state->recycled[k] < 0)
			return "A count is negative.";
		for (e = 0; e < state->ladder->n_exits; e++)
		{
			int64		exited = state->exited[k * state->ladder->n_exits + e];

			if (exited < 0)
				return "A count is negative.";
			if (exited > state->reached[k])
				return "More units exited at a stage than stopped there.";
		}
		if (state->reached[k] > (k == 0 ? state->units : state->reached[k - 1]))
			return "More units reached a stage than reached the stage before it (or than there are units).";
	}
	for (k = 0; k < n; k++)
	{
		int64		next = k + 1 < n ? state->reached[k + 1] : 0;
		int64		exits;

		if (state->recycled[k] > state->reached[k])
			return "More units were recycled at a stage than reached it.";
		/* each exit count is at most reached[k], but their sum may overflow */
		if (!exits_sum(state, k, &exits) || exits > state->reached[k] - next)
			return "More units exited at a stage than stopped there.";
		if (k + 1 < n && state->to_next[k].total != next)
			return "The days-to-next histogram of a stage does not count the units that advanced from it.";
	}
	return NULL;
}

/* binary form (also the stored form and the serialized state) */

static void
state_write(StringInfo buf, const WaterfallState *state, bool client_encoding)
{
	int			n = state->ladder->n_ladder;
	int			k;
	int			e;

	pq_sendbyte(buf, SUMMARY_VERSION);
	ladder_send(buf, state->ladder, client_encoding);
	pq_sendint64(buf, state->units);
	for (k = 0; k < n; k++)
	{
		pq_sendint64(buf, state->reached[k]);
		pq_sendint64(buf, state->recycled[k]);
		for (e = 0; e < state->ladder->n_exits; e++)
			pq_sendint64(buf, state->exited[k * state->ladder->n_exits + e]);
		if (k + 1 < n)
			dhist_send(buf, &state->to_next[k]);
	}
}

static WaterfallState *
state_read(BinReader *in, bool client_encoding, MemoryContext cxt)
{
	StageLadder *ladder;
	WaterfallState *state;
	int			n;
	int			k;
	int			e;

	const char *problem;

	bin_version(in, SUMMARY_VERSION);
	ladder = ladder_recv(in, client_encoding);
	state = state_create(ladder, cxt);
	n = ladder->n_ladder;
	state->units = bin_int64(in);
	for (k = 0; k < n; k++)
	{
		state->reached[k] = bin_int64(in);
		state->recycled[k] = bin_int64(in);
		for (e = 0; e < ladder->n_exits; e++)
			state->exited[k * ladder->n_exits + e] = bin_int64(in);
		if (k + 1 < n)
			dhist_recv(in, &state->to_next[k], cxt);
	}
	bin_end(in, "stage");
	problem = state_problem(state);
	if (problem != NULL)
		bin_error(in, "%s", problem);
	return state;
}

static bytea *
state_to_value(const WaterfallState *state)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	state_write(&buf, state, false);
	return pq_endtypsend(&buf);
}

static WaterfallState *
value_to_state(const struct varlena *value, MemoryContext cxt)
{
	StringInfoData msg;
	BinReader	in;

	/* the stored form is the serialized state */
	bin_message(&msg, value);
	bin_init(&in, &msg, "waterfall_summary", BIN_STORED);
	return state_read(&in, false, cxt);
}

/* type I/O */

Datum
waterfall_summary_recv(PG_FUNCTION_ARGS)
{
	BinReader	in;

	bin_init(&in, (StringInfo) PG_GETARG_POINTER(0), "waterfall_summary", BIN_CLIENT);
	PG_RETURN_BYTEA_P(state_to_value(state_read(&in, true, CurrentMemoryContext)));
}

Datum
waterfall_summary_send(PG_FUNCTION_ARGS)
{
	WaterfallState *state = value_to_state(PG_GETARG_VARLENA_PP(0), CurrentMemoryContext);
	StringInfoData buf;

	pq_begintypsend(&buf);
	state_write(&buf, state, true);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
waterfall_summary_out(PG_FUNCTION_ARGS)
{
	WaterfallState *state = value_to_state(PG_GETARG_VARLENA_PP(0), CurrentMemoryContext);
	const StageLadder *ladder = state->ladder;
	StringInfoData buf;
	int			k;
	int			e;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	ladder_append_text(&buf, ladder);
	appendStringInfo(&buf, ",\"units\":" INT64_FORMAT ",\"stages\":[", state->units);
	for (k = 0; k < ladder->n_ladder; k++)
	{
		appendStringInfo(&buf, "%s{\"reached\":" INT64_FORMAT ",\"recycled\":" INT64_FORMAT ",\"exited\":[",
						 k > 0 ? "," : "", state->reached[k], state->recycled[k]);
		for (e = 0; e < ladder->n_exits; e++)
			appendStringInfo(&buf, "%s" INT64_FORMAT, e > 0 ? "," : "",
							 state->exited[k * ladder->n_exits + e]);
		appendStringInfoString(&buf, "],\"to_next\":");
		if (k + 1 < ladder->n_ladder)
			dhist_append_text(&buf, &state->to_next[k]);
		else
			appendStringInfoString(&buf, "null");
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

static int64
read_count(TextScanner *scan, const char *key)
{
	int64		value;

	ladder_expect_key(scan, key);
	value = ts_read_int64(scan);
	if (value < 0)
		ts_error(scan, "The count \"%s\" is negative", key);
	return value;
}

static void
read_stage_text(TextScanner *scan, WaterfallState *state, int k)
{
	const StageLadder *ladder = state->ladder;
	int			e;

	ts_expect(scan, '{');
	state->reached[k] = read_count(scan, "reached");
	ts_expect(scan, ',');
	state->recycled[k] = read_count(scan, "recycled");
	ts_expect(scan, ',');
	ladder_expect_key(scan, "exited");
	ts_expect(scan, '[');
	for (e = 0; e < ladder->n_exits; e++)
	{
		if (e > 0)
			ts_expect(scan, ',');
		state->exited[k * ladder->n_exits + e] = ts_read_int64(scan);
	}
	ts_expect(scan, ']');
	ts_expect(scan, ',');
	ladder_expect_key(scan, "to_next");
	if (k + 1 < ladder->n_ladder)
		dhist_read_text(scan, &state->to_next[k], CurrentMemoryContext);
	else if (!ts_accept_null(scan))
		ts_error(scan, "The last ladder stage has no days to next; expected null");
	ts_expect(scan, '}');
}

Datum
waterfall_summary_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	TextScanner scan;
	StageLadder *ladder;
	WaterfallState *state;
	const char *problem;
	int			k;

	ts_init(&scan, input, "waterfall_summary");
	ts_expect(&scan, '{');
	ladder = ladder_read_text(&scan);
	state = state_create(ladder, CurrentMemoryContext);
	ts_expect(&scan, ',');
	state->units = read_count(&scan, "units");
	ts_expect(&scan, ',');
	ladder_expect_key(&scan, "stages");
	ts_expect(&scan, '[');
	for (k = 0; k < ladder->n_ladder; k++)
	{
		if (k > 0)
			ts_expect(&scan, ',');
		read_stage_text(&scan, state, k);
	}
	ts_expect(&scan, ']');
	ts_expect(&scan, '}');
	ts_expect_end(&scan);
	problem = state_problem(state);
	if (problem != NULL)
		bad_summary(problem);
	PG_RETURN_BYTEA_P(state_to_value(state));
}

/*
 * The aggregates waterfall_agg(stage_history) and merge(waterfall_summary).
 *
 * Their state type is waterfall_summary itself (see aggstate.h): while they
 * run, a WaterfallState in an expanded object; flattened, the stored form
 * of the summary.  So a partial state that a parallel worker or a node of a
 * distributed table ships is a summary (its text form lossless and a few
 * kB whatever the number of units), the combine function is merge()'s
 * transition function, and the final function only flattens the state.
 */
typedef struct WaterfallBox
{
	WaterfallState *state;		/* NULL until the first history or summary */
} WaterfallBox;

static void *
box_create(void)
{
	return palloc0(sizeof(WaterfallBox));
}

static void
box_write(void *state, StringInfo buf)
{
	WaterfallBox *box = state;

	if (box->state == NULL)
		elog(ERROR, "an empty waterfall_agg state has no flat form");
	state_write(buf, box->state, false);
}

static void
box_merge_state(void *state, void *other)
{
	WaterfallBox *box = state;
	WaterfallBox *from = other;

	if (from->state == NULL)
		return;
	if (box->state == NULL)
		box->state = state_copy(from->state, CurrentMemoryContext);
	else
		state_merge(box->state, from->state, CurrentMemoryContext);
}

static void
box_merge_flat(void *state, BinReader *in)
{
	WaterfallBox *box = state;
	MemoryContext tmp;
	MemoryContext old;
	WaterfallState *summary;

	if (box->state == NULL)
	{
		box->state = state_read(in, false, CurrentMemoryContext);
		return;
	}
	/* read into a scratch context, then add into the state's */
	tmp = AllocSetContextCreate(CurrentMemoryContext, "waterfall merge", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(tmp);
	summary = state_read(in, false, tmp);
	MemoryContextSwitchTo(old);
	state_merge(box->state, summary, CurrentMemoryContext);
	MemoryContextDelete(tmp);
}

static const AggStateKind waterfall_kind = {
	"waterfall_summary", box_create, box_write, box_merge_flat, box_merge_state, NULL
};

Datum
waterfall_state_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "waterfall_agg_trans");
	ExpandedAggState *eas;
	WaterfallBox *box;
	HistoryView view;

	if (PG_ARGISNULL(1))
		return agg_state_unchanged(fcinfo);
	history_view(PG_GETARG_VARLENA_PP(1), &view);
	eas = aggstate_for_update(fcinfo, 0, &waterfall_kind, aggcontext);
	box = eas->state;
	if (box->state == NULL)
		box->state = state_create(view.ladder, eas->hdr.eoh_context);
	else if (!ladder_equal(box->state->ladder, view.ladder))
		ladder_different_error(box->state->ladder, view.ladder, "stage histories of one waterfall summary");
	state_add_history(box->state, &view, eas->hdr.eoh_context);
	aggstate_changed(eas);
	PG_RETURN_DATUM(aggstate_datum(eas));
}

/* the combine function, and merge()'s transition function */
Datum
waterfall_state_combine(PG_FUNCTION_ARGS)
{
	return aggstate_combine(fcinfo, &waterfall_kind, "waterfall_combine");
}

/* the summary: the state's flat form, in the caller's memory */
Datum
waterfall_state_final(PG_FUNCTION_ARGS)
{
	WaterfallBox *box;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	box = aggstate_read(PG_GETARG_DATUM(0), &waterfall_kind);
	if (box->state == NULL)
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(state_to_value(box->state));
}

/*
 * The support functions of version 0.1.0, with an `internal` state (a
 * WaterfallState), kept so that a database still on 0.1.0 works with this
 * library until it is updated.
 */

Datum
waterfall_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "waterfall_agg_trans");
	WaterfallState *state = agg_state_arg(fcinfo, 0);
	HistoryView view;

	if (PG_ARGISNULL(1))
		return agg_state_unchanged(fcinfo);
	history_view(PG_GETARG_VARLENA_PP(1), &view);
	if (state == NULL)
		state = state_create(view.ladder, aggcontext);
	else if (!ladder_equal(state->ladder, view.ladder))
		ladder_different_error(state->ladder, view.ladder, "stage histories of one waterfall summary");
	state_add_history(state, &view, aggcontext);
	PG_RETURN_POINTER(state);
}

Datum
waterfall_merge_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "waterfall_merge_trans");
	WaterfallState *state = agg_state_arg(fcinfo, 0);
	WaterfallState *summary;

	if (PG_ARGISNULL(1))
		return agg_state_unchanged(fcinfo);
	/* read in the per-row context, then add into the aggregate's */
	summary = value_to_state(PG_GETARG_VARLENA_PP(1), CurrentMemoryContext);
	if (state == NULL)
		state = state_copy(summary, aggcontext);
	else
		state_merge(state, summary, aggcontext);
	PG_RETURN_POINTER(state);
}

Datum
waterfall_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "waterfall_combine");
	WaterfallState *a = agg_state_arg(fcinfo, 0);
	WaterfallState *b = agg_state_arg(fcinfo, 1);

	if (b == NULL)
		return agg_state_unchanged(fcinfo);
	if (a == NULL)
		PG_RETURN_POINTER(state_copy(b, aggcontext));
	state_merge(a, b, aggcontext);
	PG_RETURN_POINTER(a);
}

Datum
waterfall_serialize(PG_FUNCTION_ARGS)
{
	(void) agg_memory_context(fcinfo, "waterfall_serialize");
	PG_RETURN_BYTEA_P(state_to_value((WaterfallState *) PG_GETARG_POINTER(0)));
}

Datum
waterfall_deserialize(PG_FUNCTION_ARGS)
{
	(void) agg_memory_context(fcinfo, "waterfall_deserialize");
	PG_RETURN_POINTER(value_to_state(PG_GETARG_BYTEA_PP(0), CurrentMemoryContext));
}

Datum
waterfall_final(PG_FUNCTION_ARGS)
{
	(void) agg_memory_context(fcinfo, "waterfall_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(state_to_value((WaterfallState *) PG_GETARG_POINTER(0)));
}

/*
 * Reports: all rows are computed at once into a ReportRows (reverse_waterfall
 * fills them from the last stage up), then returned in a tuplestore.
 */

typedef struct ReportRows
{
	int			n_rows;
	int			n_cols;
	Datum	   *values;			/* n_rows * n_cols */
	bool	   *nulls;
} ReportRows;

/* every report has the name of a ladder stage in its first column */
#define REPORT_STAGE_COLUMN 0

static Datum
stage_name_datum(const StageLadder *ladder, int stage)
{
	return PointerGetDatum(cstring_to_text_with_len(ladder->names[stage], ladder->name_lens[stage]));
}

static void
rows_set(ReportRows *rows, int row, int col, Datum value)
{
	Assert(row >= 0 && row < rows->n_rows && col >= 0 && col < rows->n_cols);
	rows->values[row * rows->n_cols + col] = value;
	rows->nulls[row * rows->n_cols + col] = false;
}

/*
 * The rows of a report, per_stage of them for each stage of the ladder in
 * turn, with the stage's name set and every other column NULL.
 */
static ReportRows *
rows_create(const StageLadder *ladder, int per_stage, int n_cols)
{
	ReportRows *rows = palloc(sizeof(ReportRows));
	int			n_rows = ladder->n_ladder * per_stage;
	int			row;

	rows->n_rows = n_rows;
	rows->n_cols = n_cols;
	rows->values = palloc0(sizeof(Datum) * Max(n_rows * n_cols, 1));
	rows->nulls = palloc(sizeof(bool) * Max(n_rows * n_cols, 1));
	memset(rows->nulls, true, sizeof(bool) * n_rows * n_cols);
	for (row = 0; row < n_rows; row++)
		rows_set(rows, row, REPORT_STAGE_COLUMN, stage_name_datum(ladder, row / per_stage));
	return rows;
}

/* the result of a report: its rows in a tuplestore */
static Datum
rows_return(FunctionCallInfo fcinfo, const ReportRows *rows)
{
	TupleDesc	tupdesc;
	Tuplestorestate *store = srf_start(fcinfo, &tupdesc);
	int			row;

	Assert(tupdesc->natts == rows->n_cols);
	for (row = 0; row < rows->n_rows; row++)
		tuplestore_putvalues(store, tupdesc, rows->values + row * rows->n_cols,
							 rows->nulls + row * rows->n_cols);
	return (Datum) 0;
}

static Datum
days_datum(double usecs)
{
	return Float8GetDatum(usecs / (double) USECS_PER_DAY);
}

/*
 * waterfall_report(ws): per ladder stage reached, advanced, conversion_rate,
 * cumulative_rate, recycled, disqualified (exited, any exit stage),
 * still_open, median and p90 days to next.  advanced, conversion_rate,
 * still_open and the days to next are NULL for the last stage (the goal);
 * rates are NULL where their denominator is 0.
 */
/* the columns of waterfall_report() */
enum
{
	WR_STAGE = REPORT_STAGE_COLUMN,
	WR_REACHED,
	WR_ADVANCED,
	WR_CONVERSION_RATE,
	WR_CUMULATIVE_RATE,
	WR_RECYCLED,
	WR_DISQUALIFIED,
	WR_STILL_OPEN,
	WR_MEDIAN_DAYS,
	WR_P90_DAYS,
	WR_COLUMNS
};

Datum
waterfall_report(PG_FUNCTION_ARGS)
{
	WaterfallState *state = value_to_state(PG_GETARG_VARLENA_PP(0), CurrentMemoryContext);
	int			n_ladder = state->ladder->n_ladder;
	ReportRows *rows = rows_create(state->ladder, 1, WR_COLUMNS);
	int			k;

	for (k = 0; k < n_ladder; k++)
	{
		bool		last = k + 1 == n_ladder;
		int64		reached = state->reached[k];
		int64		disqualified = exits_at(state, k);

		rows_set(rows, k, WR_REACHED, Int64GetDatum(reached));
		if (!last)
		{
			int64		advanced = state->reached[k + 1];

			Assert(advanced <= reached && disqualified <= reached - advanced);
			rows_set(rows, k, WR_ADVANCED, Int64GetDatum(advanced));
			if (reached > 0)
				rows_set(rows, k, WR_CONVERSION_RATE, Float8GetDatum((double) advanced / (double) reached));
			rows_set(rows, k, WR_STILL_OPEN, Int64GetDatum(reached - advanced - disqualified));
			if (state->to_next[k].total > 0)
			{
				rows_set(rows, k, WR_MEDIAN_DAYS, days_datum(dhist_percentile(&state->to_next[k], 0.5)));
				rows_set(rows, k, WR_P90_DAYS, days_datum(dhist_percentile(&state->to_next[k], 0.9)));
			}
		}
		if (state->reached[0] > 0)
			rows_set(rows, k, WR_CUMULATIVE_RATE, Float8GetDatum((double) reached / (double) state->reached[0]));
		rows_set(rows, k, WR_RECYCLED, Int64GetDatum(state->recycled[k]));
		rows_set(rows, k, WR_DISQUALIFIED, Int64GetDatum(disqualified));
	}
	return rows_return(fcinfo, rows);
}

/* waterfall_exits(ws): per ladder stage and exit stage, the units that stopped there */
/* the columns of waterfall_exits() */
enum
{
	WE_STAGE = REPORT_STAGE_COLUMN,
	WE_EXIT_STAGE,
	WE_UNITS,
	WE_COLUMNS
};

Datum
waterfall_exits(PG_FUNCTION_ARGS)
{
	WaterfallState *state = value_to_state(PG_GETARG_VARLENA_PP(0), CurrentMemoryContext);
	const StageLadder *ladder = state->ladder;
	ReportRows *rows = rows_create(ladder, ladder->n_exits, WE_COLUMNS);
	int			k;
	int			e;

	for (k = 0; k < ladder->n_ladder; k++)
	{
		for (e = 0; e < ladder->n_exits; e++)
		{
			int			row = k * ladder->n_exits + e;

			rows_set(rows, row, WE_EXIT_STAGE, stage_name_datum(ladder, ladder->n_ladder + e));
			rows_set(rows, row, WE_UNITS, Int64GetDatum(state->exited[row]));
		}
	}
	return rows_return(fcinfo, rows);
}

/*
 * reverse_waterfall(ws, target_wins): walking down from the last stage,
 * the volume a stage needs is the volume of the next stage divided by the
 * stage's conversion rate, and it is needed the stage's median days to next
 * before the next stage is.  A stage whose rate is zero (or undefined: no
 * unit reached it) gets a NULL volume, with a NOTICE, and so do the stages
 * before it; likewise a stage with no median makes the days NULL.
 */
/* the columns of reverse_waterfall() */
enum
{
	RW_STAGE = REPORT_STAGE_COLUMN,
	RW_CONVERSION_RATE,
	RW_VOLUME,
	RW_MEDIAN_DAYS,
	RW_DAYS_BEFORE_WIN,
	RW_COLUMNS
};

Datum
reverse_waterfall(PG_FUNCTION_ARGS)
{
	WaterfallState *state;
	const StageLadder *ladder;
	ReportRows *rows;
	double		target = PG_GETARG_FLOAT8(1);
	double		volume;
	double		days = 0.0;
	bool		volume_known = true;
	bool		days_known = true;
	int			last;
	int			k;

	if (isnan(target) || isinf(target) || target < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target_wins must be a finite number at least 0"),
				 errdetail("The target given is %g.", target),
				 errhint("Pass the number of units wanted at the last stage of the ladder.")));
	state = value_to_state(PG_GETARG_VARLENA_PP(0), CurrentMemoryContext);
	ladder = state->ladder;
	rows = rows_create(ladder, 1, RW_COLUMNS);
	last = ladder->n_ladder - 1;
	volume = target;
	for (k = last; k >= 0; k--)
	{
		if (k < last)
		{
			int64		reached = state->reached[k];
			int64		advanced = state->reached[k + 1];

			if (reached > 0)
				rows_set(rows, k, RW_CONVERSION_RATE, Float8GetDatum((double) advanced / (double) reached));
			if (volume_known && advanced == 0)
			{
				ereport(NOTICE,
						(errmsg("the conversion rate of stage \"%s\" is %s, so the volume it needs is unknown",
								ladder->names[k], reached > 0 ? "zero" : "undefined"),
						 errdetail("%s", reached > 0 ?
								   "None of the units that reached the stage advanced." :
								   "No unit reached the stage."),
						 errhint("Its volume and the volumes of the stages before it are NULL.")));
				volume_known = false;
			}
			if (volume_known)
			{
				double		needed = volume * (double) reached / (double) advanced;

				/* the product may overflow where the result does not */
				if (!isfinite(needed))
					needed = volume * ((double) reached / (double) advanced);
				volume = needed;
				if (!isfinite(volume))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("the volume stage \"%s\" needs is out of the range of double precision",
									ladder->names[k]),
							 errdetail("A target of %g units at the last stage needs more than %g units at stage \"%s\".",
									   target, DBL_MAX, ladder->names[k]),
							 errhint("Give a smaller target_wins.")));
			}
			if (state->to_next[k].total > 0)
			{
				double		median = dhist_percentile(&state->to_next[k], 0.5) / (double) USECS_PER_DAY;

				rows_set(rows, k, RW_MEDIAN_DAYS, Float8GetDatum(median));
				days += median;
			}
			else
				days_known = false;
		}
		if (volume_known)
			rows_set(rows, k, RW_VOLUME, Float8GetDatum(volume));
		if (days_known)
			rows_set(rows, k, RW_DAYS_BEFORE_WIN, Float8GetDatum(days));
	}
	return rows_return(fcinfo, rows);
}
