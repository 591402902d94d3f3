/*
 * shapley.c
 *		Shapley-value attribution over a path summary (Zhao et al. 2018,
 *		"Shapley Value Methods for Attribution Modeling in Online
 *		Advertising").
 *
 * shapley(ps): the simplified Shapley value.  With the characteristic
 * function v(S) = the conversions of the journeys whose channels all lie in
 * S, the Shapley value of a channel reduces to the sum, over the converting
 * journeys that touched it, of the conversions divided by the number of
 * distinct channels of the journey.  So each path's conversions (and value)
 * are split equally over its distinct channels; the order and repetition of
 * touches do not matter.  The computation is linear in the size of the
 * summary, so the only limit on channels is the summary's own.
 *
 * shapley(ps, 'ordered'): the ordered Shapley value of the same paper.  The
 * share of a channel in a path is credited to the position at which the
 * channel first appears among the path's distinct channels (1 = the first
 * distinct channel).  Summed over positions, it equals the simplified value.
 */
#include "postgres.h"

#include "compat.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "path_summary.h"
#include "u64map.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(attribution_shapley);
PG_FUNCTION_INFO_V1(attribution_shapley_ordered);

/*
 * A walk over the converting paths of a summary: walk_next() advances the
 * reader to the next path with conversions and lists its distinct channels,
 * in order of first appearance, in distinct[0 .. n - 1].  last_seen[c] holds
 * the index of the last path in which channel c was seen.
 */
typedef struct DistinctWalk
{
	PathReader	reader;
	int32	   *last_seen;
	int32	   *distinct;
	int			n;
} DistinctWalk;

static void
walk_init(DistinctWalk *walk, const PathSummary *summary)
{
	int			c;

	path_reader_init(&walk->reader, summary);
	walk->last_seen = palloc(Max(walk->reader.n_channels, 1) * sizeof(int32));
	for (c = 0; c < walk->reader.n_channels; c++)
		walk->last_seen[c] = -1;
	walk->distinct = palloc(Max(walk->reader.max_path_len, 1) * sizeof(int32));
	walk->n = 0;
}

static bool
walk_next(DistinctWalk *walk)
{
	PathReader *reader = &walk->reader;

	while (path_reader_next(reader))
	{
		int			t;

		CHECK_FOR_INTERRUPTS();
		if (reader->conversions == 0)
			continue;
		walk->n = 0;
		for (t = 0; t < reader->length; t++)
		{
			int32		c = reader->channels[t];

			if (walk->last_seen[c] != reader->index)
			{
				walk->last_seen[c] = reader->index;
				walk->distinct[walk->n++] = c;
			}
		}
		/* a path has at least one touch, so at least one distinct channel */
		Assert(walk->n >= 1 && walk->n <= reader->length);
		return true;
	}
	return false;
}

Datum
attribution_shapley(PG_FUNCTION_ARGS)
{
	DistinctWalk walk;
	CompensatedSum *conversions;
	CompensatedSum *value;

	walk_init(&walk, PG_GETARG_PATH_SUMMARY_P(0));
	conversions = palloc0(Max(walk.reader.n_channels, 1) * sizeof(CompensatedSum));
	value = palloc0(Max(walk.reader.n_channels, 1) * sizeof(CompensatedSum));
	while (walk_next(&walk))
	{
		int			k;

		for (k = 0; k < walk.n; k++)
		{
			csum_add(&conversions[walk.distinct[k]], walk.reader.conversions / walk.n);
			csum_add(&value[walk.distinct[k]], walk.reader.value / walk.n);
		}
	}
	return ps_return_channel_credits(fcinfo, &walk.reader, conversions, value, "shapley");
}

typedef struct OrderedCredit
{
	uint64		key;			/* channel << 32 | position */
	CompensatedSum conversions;
	CompensatedSum value;
} OrderedCredit;

static int
compare_ordered_credits(const void *a, const void *b, void *arg)
{
	uint64		ka = ((const OrderedCredit *) a)->key;
	uint64		kb = ((const OrderedCredit *) b)->key;

	return (ka > kb) - (ka < kb);
}

/* the columns of shapley(ps, 'ordered') */
enum
{
	SO_CHANNEL,
	SO_POSITION,
	SO_CONVERSIONS,
	SO_VALUE,
	SO_COLUMNS
};

Datum
attribution_shapley_ordered(PG_FUNCTION_ARGS)
{
	PathSummary *summary = PG_GETARG_PATH_SUMMARY_P(0);
	char	   *mode = text_to_cstring(PG_GETARG_TEXT_PP(1));
	TupleDesc	tupdesc;
	Tuplestorestate *store;
	DistinctWalk walk;
	keymap_hash *pairs;
	OrderedCredit *credits;
	int32		n_credits = 0;
	int32		credits_allocated = 64;
	int32		i;

	if (strcmp(mode, "ordered") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown Shapley mode \"%s\"", mode),
				 errdetail("The only mode is \"ordered\"."),
				 errhint("Use shapley(ps, 'ordered') for credit by position, or shapley(ps) for the simplified Shapley value.")));
	store = srf_start(fcinfo, &tupdesc);
	walk_init(&walk, summary);
	pairs = keymap_create(CurrentMemoryContext, 256, NULL);
	credits = palloc(credits_allocated * sizeof(OrderedCredit));
	while (walk_next(&walk))
	{
		int			n = walk.n;
		int			k;

		for (k = 0; k < n; k++)
		{
			uint64		key = ((uint64) walk.distinct[k] << 32) | (uint32) (k + 1);
			bool		found;
			KeyEntry   *entry = keymap_insert(pairs, key, &found);

			if (!found)
			{
				if (n_credits == credits_allocated)
				{
					credits_allocated *= 2;
					credits = repalloc_huge(credits, credits_allocated * sizeof(OrderedCredit));
				}
				credits[n_credits].key = key;
				memset(&credits[n_credits].conversions, 0, sizeof(CompensatedSum));
				memset(&credits[n_credits].value, 0, sizeof(CompensatedSum));
				entry->index = n_credits++;
			}
			csum_add(&credits[entry->index].conversions, walk.reader.conversions / n);
			csum_add(&credits[entry->index].value, walk.reader.value / n);
		}
	}
	qsort_interruptible(credits, n_credits, sizeof(OrderedCredit), compare_ordered_credits, NULL);
	for (i = 0; i < n_credits; i++)
	{
		Datum		values[SO_COLUMNS];
		bool		nulls[SO_COLUMNS] = {false, false, false, false};

		CHECK_FOR_INTERRUPTS();
		ps_check_finite(csum_value(&credits[i].conversions), "a credit", "shapley");
		ps_check_finite(csum_value(&credits[i].value), "a value credit", "shapley");
		values[SO_CHANNEL] = PointerGetDatum(path_reader_channel_text(&walk.reader, (int) (credits[i].key >> 32)));
		values[SO_POSITION] = Int32GetDatum((int32) (credits[i].key & 0xFFFFFFFF));
		values[SO_CONVERSIONS] = Float8GetDatum(csum_value(&credits[i].conversions));
		values[SO_VALUE] = Float8GetDatum(csum_value(&credits[i].value));
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	return (Datum) 0;
}
