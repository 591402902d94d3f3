/*
 * credit_window.c
 *		The window function attribution.credit(model, touched_at, ...):
 *		the credit of the current row's touch within its partition (journey).
 *
 * On the first row of a partition it reads the touches of the whole
 * partition, puts them in the documented order (touched_at, touch_id NULLS
 * LAST, channel bytewise, then the partition's own row order), credits them
 * with the shared core, and keeps the credits in partition-local memory;
 * every row then returns its own.  So the result never depends on how the
 * OVER clause orders ties.
 */
#include "postgres.h"

#include "compat.h"

#include "miscadmin.h"
#include "models.h"
#include "nodes/primnodes.h"
#include "nodes/pg_list.h"
#include "catalog/pg_type.h"
#include "strdict.h"
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
 * The partition-level arguments, which must not change within a partition,
 * with the storage of their types (text, timestamptz, interval, float8[]).
 */
typedef struct PartitionArg
{
	int			argno;
	int16		typlen;
	bool		typbyval;
	const char *name;			/* the parameter's name in the SQL signature */
} PartitionArg;

static const PartitionArg partition_args[] = {
	{CW_MODEL, -1, false, "model"},
	{CW_CONVERTED_AT, sizeof(TimestampTz), FLOAT8PASSBYVAL, "converted_at"},
	{CW_HALF_LIFE, sizeof(Interval), false, "half_life"},
	{CW_LEAD_AT, sizeof(TimestampTz), FLOAT8PASSBYVAL, "lead_created_at"},
	{CW_OPPORTUNITY_AT, sizeof(TimestampTz), FLOAT8PASSBYVAL, "opportunity_created_at"},
	{CW_CLOSED_AT, sizeof(TimestampTz), FLOAT8PASSBYVAL, "closed_at"},
	{CW_WEIGHTS, -1, false, "weights"},
	{CW_LOOKBACK, sizeof(Interval), false, "lookback"},
};

typedef struct WindowTouch
{
	TimestampTz at;
	int64		id;
	bool		id_isnull;
	bool		is_direct;
	text	   *channel;		/* NULL when the channel argument is not given */
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
	Datum		first_args[CW_NARGS];	/* partition-level args of row 0 */
	bool		first_isnull[CW_NARGS];
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

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("touched_at must not be NULL"),
				 errdetail("Every touch of a journey needs a time."),
				 errhint("Filter out touches without a time, or give them one.")));
	return check_finite_timestamp(DatumGetTimestampTz(value), "touched_at");
}

static int
compare_window_touches(const void *a, const void *b, void *arg)
{
	const WindowTouch *ta = a;
	const WindowTouch *tb = b;
	int			cmp;

	if (ta->at != tb->at)
		return ta->at < tb->at ? -1 : 1;
	if (ta->id_isnull != tb->id_isnull)
		return ta->id_isnull ? 1 : -1;
	if (ta->id != tb->id)
		return ta->id < tb->id ? -1 : 1;
	if (ta->channel && tb->channel)
	{
		cmp = strdict_compare_bytes(VARDATA_ANY(ta->channel), VARSIZE_ANY_EXHDR(ta->channel),
									VARDATA_ANY(tb->channel), VARSIZE_ANY_EXHDR(tb->channel));
		if (cmp != 0)
			return cmp;
	}
	return (ta->row > tb->row) - (ta->row < tb->row);
}

static WindowTouch *
read_partition_touches(WindowObject winobj, const CreditCallInfo *info,
					   bool need_direct, int64 nrows, bool *sorted)
{
	WindowTouch *touches = palloc(nrows * sizeof(WindowTouch));
	int64		row;
	bool		isnull;

	*sorted = true;
	for (row = 0; row < nrows; row++)
	{
		WindowTouch *t = &touches[row];
		Datum		value;

		t->row = row;
		t->at = touch_time(winobj, row);
		t->id_isnull = true;
		t->id = 0;
		t->channel = NULL;
		t->is_direct = false;
		if (info->arg_given[CW_TOUCH_ID])
		{
			value = row_arg(winobj, CW_TOUCH_ID, row, &isnull);
			t->id_isnull = isnull;
			t->id = isnull ? 0 : DatumGetInt64(value);
		}
		if (info->arg_given[CW_CHANNEL])
		{
			value = row_arg(winobj, CW_CHANNEL, row, &isnull);
			if (isnull)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("channel must not be NULL"),
						 errdetail("The channel argument breaks ties between touches."),
						 errhint("Map missing channels to a name such as 'unknown'.")));
			t->channel = DatumGetTextPCopy(value);
		}
		if (need_direct)
		{
			value = row_arg(winobj, CW_IS_DIRECT, row, &isnull);
			t->is_direct = !isnull && DatumGetBool(value);
		}
		if (row > 0 && *sorted &&
			compare_window_touches(&touches[row - 1], t, NULL) > 0)
			*sorted = false;
		if ((row & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return touches;
}

static bool
optional_time(const Datum *args, const bool *isnull, int argno, const char *argname,
			  TimestampTz *value)
{
	if (isnull[argno])
		return false;
	*value = check_finite_timestamp(DatumGetTimestampTz(args[argno]), argname);
	return true;
}

/* the model and times that the partition-level arguments define */
static void
partition_model(const Datum *args, const bool *isnull, AttributionModel *model, JourneyTimes *times)
{
	if (isnull[CW_MODEL])
		model_null_error();
	model_init(model, DatumGetTextPP(args[CW_MODEL]),
			   !isnull[CW_HALF_LIFE],
			   isnull[CW_HALF_LIFE] ? NULL : DatumGetIntervalP(args[CW_HALF_LIFE]),
			   isnull[CW_WEIGHTS] ? NULL : DatumGetArrayTypeP(args[CW_WEIGHTS]),
			   isnull[CW_LOOKBACK] ? NULL : DatumGetIntervalP(args[CW_LOOKBACK]));
	memset(times, 0, sizeof(*times));
	times->has_converted = optional_time(args, isnull, CW_CONVERTED_AT, "converted_at", &times->converted_at);
	times->has_lead = optional_time(args, isnull, CW_LEAD_AT, "lead_created_at", &times->lead_at);
	times->has_opportunity = optional_time(args, isnull, CW_OPPORTUNITY_AT, "opportunity_created_at",
										   &times->opportunity_at);
	times->has_closed = optional_time(args, isnull, CW_CLOSED_AT, "closed_at", &times->closed_at);
}

static void
compute_partition(WindowObject winobj, const CreditCallInfo *info, PartitionCredits *pc)
{
	MemoryContext partcontext = GetMemoryChunkContext(pc);
	MemoryContext old = MemoryContextSwitchTo(partcontext);
	WindowTouch *touches;
	TimestampTz *at;
	bool	   *is_direct;
	double	   *sorted_credit;
	bool		sorted;
	int			window_start;
	size_t		i;
	int64		k;

	/* the first row's partition-level arguments define the partition */
	for (i = 0; i < lengthof(partition_args); i++)
	{
		const PartitionArg *arg = &partition_args[i];
		Datum		value = row_arg(winobj, arg->argno, 0, &pc->first_isnull[arg->argno]);

		pc->first_args[arg->argno] = pc->first_isnull[arg->argno] ? (Datum) 0 :
			datumCopy(value, arg->typbyval, arg->typlen);
	}
	partition_model(pc->first_args, pc->first_isnull, &pc->model, &pc->times);

	pc->nrows = WinGetPartitionRowCount(winobj);
	model_check_journey_length(pc->nrows);
	touches = read_partition_touches(winobj, info, pc->model.shares[POS_LAST_NON_DIRECT] > 0,
									 pc->nrows, &sorted);
	if (!sorted)
		qsort_interruptible(touches, pc->nrows, sizeof(WindowTouch), compare_window_touches, NULL);

	at = palloc(pc->nrows * sizeof(TimestampTz));
	is_direct = palloc(pc->nrows * sizeof(bool));
	sorted_credit = palloc(pc->nrows * sizeof(double));
	for (k = 0; k < pc->nrows; k++)
	{
		at[k] = touches[k].at;
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
	for (k = 0; k < pc->nrows; k++)
		if (touches[k].channel)
			pfree(touches[k].channel);
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
partition_arg_equal(int argno, Datum a, Datum b)
{
	switch (argno)
	{
		case CW_MODEL:
			{
				text	   *ta = DatumGetTextPP(a);
				text	   *tb = DatumGetTextPP(b);

				return VARSIZE_ANY_EXHDR(ta) == VARSIZE_ANY_EXHDR(tb) &&
					memcmp(VARDATA_ANY(ta), VARDATA_ANY(tb), VARSIZE_ANY_EXHDR(ta)) == 0;
			}
		case CW_HALF_LIFE:
		case CW_LOOKBACK:
			{
				Interval   *ia = DatumGetIntervalP(a);
				Interval   *ib = DatumGetIntervalP(b);

				if (INTERVAL_NOT_FINITE(ia) || INTERVAL_NOT_FINITE(ib))
					return memcmp(ia, ib, sizeof(Interval)) == 0;
				return interval_microseconds(ia) == interval_microseconds(ib);
			}
		case CW_WEIGHTS:
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
		int			argno = arg->argno;
		bool		isnull;
		Datum		value;
		bool		same;

		if (!info->arg_varies[argno])
			continue;
		value = WinGetFuncArgCurrent(winobj, argno, &isnull);
		if (isnull || pc->first_isnull[argno])
			same = isnull == pc->first_isnull[argno];
		else
			same = datumIsEqual(value, pc->first_args[argno], arg->typbyval, arg->typlen) ||
				partition_arg_equal(argno, value, pc->first_args[argno]);
		if (!same)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("argument %s of credit() differs within one partition", arg->name),
					 errdetail("Argument %d, %s, has another value than on the first row of the partition.",
							   argno + 1, arg->name),
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
