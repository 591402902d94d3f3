/*
 * credit_window.c
 *		The window function attribution.credit(model, touched_at, ...):
 *		the credit of the current row's touch within its partition (journey).
 *
 * On the first row of a partition it reads the touches of the whole
 * partition, puts them in the documented order (rule_input.h: touched_at,
 * touch_id NULLS LAST, channel bytewise; then the partition's own row
 * order), credits them with the shared core, and keeps the credits in
 * partition-local memory; every row then returns its own.  So the result
 * never depends on how the OVER clause orders ties.  It owns the window
 * function's reading of a partition; the touch order, the NULL-touch errors
 * and the model arguments are rule_input.c's.
 */
#include "postgres.h"

#include "compat.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "nodes/primnodes.h"
#include "rule_input.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "windowapi.h"

PG_FUNCTION_INFO_V1(attribution_credit_window);

/* argument numbers of credit() */
enum
{
	CW_MODEL, CW_TOUCHED_AT, CW_CONVERTED_AT, CW_HALF_LIFE, CW_LEAD_AT,
	CW_OPPORTUNITY_AT, CW_CLOSED_AT, CW_IS_DIRECT, CW_WEIGHTS, CW_LOOKBACK,
	CW_TOUCH_ID, CW_CHANNEL, CW_NARGS
};

/*
 * The partition-level arguments (the journey-level ones), which must not
 * change within a partition, in the order of the SQL signature, with the
 * storage of their types (text, timestamptz, interval, float8[]).
 */
typedef struct PartitionArg
{
	int			argno;
	JourneyArg	which;
	int16		typlen;
	bool		typbyval;
} PartitionArg;

static const PartitionArg partition_args[] = {
	{CW_MODEL, JARG_MODEL, -1, false},
	{CW_CONVERTED_AT, JARG_CONVERTED_AT, sizeof(TimestampTz), FLOAT8PASSBYVAL},
	{CW_HALF_LIFE, JARG_HALF_LIFE, sizeof(Interval), false},
	{CW_LEAD_AT, JARG_LEAD_AT, sizeof(TimestampTz), FLOAT8PASSBYVAL},
	{CW_OPPORTUNITY_AT, JARG_OPPORTUNITY_AT, sizeof(TimestampTz), FLOAT8PASSBYVAL},
	{CW_CLOSED_AT, JARG_CLOSED_AT, sizeof(TimestampTz), FLOAT8PASSBYVAL},
	{CW_WEIGHTS, JARG_WEIGHTS, -1, false},
	{CW_LOOKBACK, JARG_LOOKBACK, sizeof(Interval), false},
};

/*
 * A touch of the partition; its channel is numbered in the partition's
 * dictionary (all 0 when the channel argument is not given).
 */
typedef struct WindowTouch
{
	TouchKey	key;
	bool		is_direct;
	int64		row;			/* position in the partition */
} WindowTouch;

/* per call site, in fn_extra */
typedef struct CreditCallInfo
{
	bool		arg_varies[CW_NARGS];	/* not a constant or parameter */
	bool		arg_given[CW_NARGS];	/* not the NULL constant default */
} CreditCallInfo;

/* per partition, in partition-local memory */
typedef struct PartitionCredits
{
	bool		computed;
	int64		nrows;
	double	   *credit;			/* by row position */
	NullableDatum first_args[NUM_JOURNEY_ARGS]; /* partition-level args of row 0 */
	AttributionModel model;		/* what they define */
	JourneyTimes times;
} PartitionCredits;

static CreditCallInfo *
call_info(FunctionCallInfo fcinfo)
{
	CreditCallInfo *info = fcinfo->flinfo->fn_extra;
	WindowFunc *wfunc = (WindowFunc *) fcinfo->flinfo->fn_expr;
	int			argno;

	if (info != NULL)
		return info;
	info = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CreditCallInfo));
	for (argno = 0; argno < CW_NARGS; argno++)
	{
		Node	   *arg = (wfunc && IsA(wfunc, WindowFunc) && argno < list_length(wfunc->args)) ?
			list_nth(wfunc->args, argno) : NULL;

		info->arg_varies[argno] = !get_fn_expr_arg_stable(fcinfo->flinfo, argno);
		info->arg_given[argno] = !(arg && IsA(arg, Const) && ((Const *) arg)->constisnull);
	}
	fcinfo->flinfo->fn_extra = info;
	return info;
}

static Datum
row_arg(WindowObject winobj, int argno, int64 row, bool *isnull)
{
	bool		isout;
	Datum		value = WinGetFuncArgInPartition(winobj, argno, row, WINDOW_SEEK_HEAD,
												 false, isnull, &isout);

	Assert(!isout);
	return value;
}

static TimestampTz
touch_time(WindowObject winobj, int64 row)
{
	bool		isnull;
	Datum		value = row_arg(winobj, CW_TOUCHED_AT, row, &isnull);

	return touched_at_value(value, isnull);
}

/* the documented order, then the partition's row order */
static int
compare_window_touches(const void *a, const void *b, void *arg)
{
	const WindowTouch *ta = a;
	const WindowTouch *tb = b;
	int			cmp = touch_key_compare(&ta->key, &tb->key, (const StrDict *) arg);

	if (cmp != 0)
		return cmp;
	return (ta->row > tb->row) - (ta->row < tb->row);
}

/* the channel of a row as its number in dict */
static int32
touch_channel(WindowObject winobj, int64 row, StrDict *dict)
{
	bool		isnull;
	Datum		value = row_arg(winobj, CW_CHANNEL, row, &isnull);
	text	   *channel;

	if (isnull)
		channel_null_error("The channel argument breaks ties between touches.");
	channel = DatumGetTextPP(value);
	return strdict_intern(dict, VARDATA_ANY(channel), VARSIZE_ANY_EXHDR(channel));
}

/* the touch of a row; the channel and touch id only when given */
static void
read_touch(WindowObject winobj, const CreditCallInfo *info, bool need_direct,
		   int64 row, StrDict *dict, WindowTouch *t)
{
	bool		isnull;
	Datum		value;

	memset(t, 0, sizeof(*t));
	t->row = row;
	t->key.at = touch_time(winobj, row);
	t->key.id_isnull = true;
	t->key.valid = true;
	if (info->arg_given[CW_TOUCH_ID])
	{
		value = row_arg(winobj, CW_TOUCH_ID, row, &isnull);
		t->key.id_isnull = isnull;
		t->key.id = isnull ? 0 : DatumGetInt64(value);
	}
	if (info->arg_given[CW_CHANNEL])
		t->key.channel = touch_channel(winobj, row, dict);
	if (need_direct)
	{
		value = row_arg(winobj, CW_IS_DIRECT, row, &isnull);
		t->is_direct = !isnull && DatumGetBool(value);
	}
}

/* the touches of the partition; *sorted: already in the documented order */
static WindowTouch *
read_partition_touches(WindowObject winobj, const CreditCallInfo *info,
					   bool need_direct, int64 nrows, StrDict *dict, bool *sorted)
{
	WindowTouch *touches = palloc(nrows * sizeof(WindowTouch));
	int64		row;

	*sorted = true;
	for (row = 0; row < nrows; row++)
	{
		read_touch(winobj, info, need_direct, row, dict, &touches[row]);
		if (row > 0 && *sorted &&
			compare_window_touches(&touches[row - 1], &touches[row], dict) > 0)
			*sorted = false;
		if ((row & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return touches;
}

/* the first row's partition-level arguments, copied into partition memory */
static void
keep_first_args(WindowObject winobj, PartitionCredits *pc)
{
	size_t		i;

	for (i = 0; i < lengthof(partition_args); i++)
	{
		const PartitionArg *arg = &partition_args[i];
		NullableDatum *first = &pc->first_args[arg->which];
		Datum		value = row_arg(winobj, arg->argno, 0, &first->isnull);

		first->value = first->isnull ? (Datum) 0 :
			datumCopy(value, arg->typbyval, arg->typlen);
	}
}

static void
compute_partition(WindowObject winobj, const CreditCallInfo *info, PartitionCredits *pc)
{
	MemoryContext partcontext = GetMemoryChunkContext(pc);
	MemoryContext old = MemoryContextSwitchTo(partcontext);
	StrDict    *dict = strdict_create(64);
	WindowTouch *touches;
	TimestampTz *at;
	bool	   *is_direct;
	double	   *sorted_credit;
	bool		sorted;
	int			window_start;
	int64		k;

	/* the first row's partition-level arguments define the partition */
	keep_first_args(winobj, pc);
	journey_args_model(pc->first_args, HALF_LIFE_NULL_NOT_GIVEN, &pc->model);
	journey_args_times(pc->first_args, &pc->times);

	pc->nrows = WinGetPartitionRowCount(winobj);
	model_check_journey_length(pc->nrows);
	touches = read_partition_touches(winobj, info, pc->model.shares[POS_LAST_NON_DIRECT] > 0,
									 pc->nrows, dict, &sorted);
	if (!sorted)
		qsort_interruptible(touches, pc->nrows, sizeof(WindowTouch), compare_window_touches, dict);

	at = palloc(pc->nrows * sizeof(TimestampTz));
	is_direct = palloc(pc->nrows * sizeof(bool));
	sorted_credit = palloc(pc->nrows * sizeof(double));
	for (k = 0; k < pc->nrows; k++)
	{
		at[k] = touches[k].key.at;
		is_direct[k] = touches[k].is_direct;
	}
	model_credit_sorted(&pc->model, &pc->times, (int) pc->nrows, at, is_direct,
						sorted_credit, &window_start);
	pc->credit = palloc(pc->nrows * sizeof(double));
	for (k = 0; k < pc->nrows; k++)
		pc->credit[touches[k].row] = sorted_credit[k];

	pfree(at);
	pfree(is_direct);
	pfree(sorted_credit);
	pfree(touches);
	pc->computed = true;
	MemoryContextSwitchTo(old);
}

/* two float8[] weights arrays hold the same numbers (and NULLs) */
static bool
weights_equal(ArrayType *a, ArrayType *b)
{
	Datum	   *ea,
			   *eb;
	bool	   *na,
			   *nb;
	int			ca,
				cb;
	int			i;

	deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &ea, &na, &ca);
	deconstruct_array(b, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &eb, &nb, &cb);
	if (ca != cb)
		return false;
	for (i = 0; i < ca; i++)
	{
		if (na[i] != nb[i])
			return false;
		if (!na[i] && DatumGetFloat8(ea[i]) != DatumGetFloat8(eb[i]))
			return false;
	}
	return true;
}

/*
 * Whether two values of a partition-level argument are the same, by their
 * meaning rather than their bytes: the same value may come stored in
 * different forms (a text with a short or a long header, compressed or not;
 * interval '1 day' and '24 hours').  Texts are equal when their characters
 * are; intervals when their lengths in microseconds as the models use them
 * are (interval_microseconds: so '1 day' = '24 hours' and '1 mon' =
 * '30 days', as interval equality has it too, but also '1 year' differs from
 * '360 days', which give different credits); weights when their numbers are.
 */
static bool
partition_arg_equal(JourneyArg which, Datum a, Datum b)
{
	switch (which)
	{
		case JARG_MODEL:
			{
				text	   *ta = DatumGetTextPP(a);
				text	   *tb = DatumGetTextPP(b);

				return VARSIZE_ANY_EXHDR(ta) == VARSIZE_ANY_EXHDR(tb) &&
					memcmp(VARDATA_ANY(ta), VARDATA_ANY(tb), VARSIZE_ANY_EXHDR(ta)) == 0;
			}
		case JARG_HALF_LIFE:
		case JARG_LOOKBACK:
			{
				Interval   *ia = DatumGetIntervalP(a);
				Interval   *ib = DatumGetIntervalP(b);

				if (INTERVAL_NOT_FINITE(ia) || INTERVAL_NOT_FINITE(ib))
					return memcmp(ia, ib, sizeof(Interval)) == 0;
				return interval_microseconds(ia) == interval_microseconds(ib);
			}
		case JARG_WEIGHTS:
			return weights_equal(DatumGetArrayTypeP(a), DatumGetArrayTypeP(b));
		default:
			/* the timestamps, passed by value */
			return DatumGetTimestampTz(a) == DatumGetTimestampTz(b);
	}
}

/* the current row's partition-level arguments must match the first row's */
static void
check_partition_args(WindowObject winobj, const CreditCallInfo *info,
					 const PartitionCredits *pc)
{
	size_t		i;

	for (i = 0; i < lengthof(partition_args); i++)
	{
		const PartitionArg *arg = &partition_args[i];
		const NullableDatum *first = &pc->first_args[arg->which];
		const char *name = journey_arg_names[arg->which];
		bool		isnull;
		Datum		value;
		bool		same;

		if (!info->arg_varies[arg->argno])
			continue;
		value = WinGetFuncArgCurrent(winobj, arg->argno, &isnull);
		if (isnull || first->isnull)
			same = isnull == first->isnull;
		else
			same = datumIsEqual(value, first->value, arg->typbyval, arg->typlen) ||
				partition_arg_equal(arg->which, value, first->value);
		if (!same)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("argument %s of credit() differs within one partition", name),
					 errdetail("Argument %d, %s, has another value than on the first row of the partition.",
							   arg->argno + 1, name),
					 errhint("Partition by the journey so that the model, the conversion and milestone times, "
							 "half_life, weights and lookback are the same on all its rows.")));
	}
}

Datum
attribution_credit_window(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	const CreditCallInfo *info = call_info(fcinfo);
	PartitionCredits *pc = WinGetPartitionLocalMemory(winobj, sizeof(PartitionCredits));
	int64		row = WinGetCurrentPosition(winobj);

	if (!pc->computed)
		compute_partition(winobj, info, pc);
	else
		check_partition_args(winobj, info, pc);
	Assert(row >= 0 && row < pc->nrows);
	PG_RETURN_FLOAT8(pc->credit[row]);
}
