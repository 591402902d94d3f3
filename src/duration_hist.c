/*
 * duration_hist.c
 *		Log-bucketed histogram of durations; see duration_hist.h.
 */
#include "postgres.h"

#include "compat.h"

#include <math.h>

#include "common/int.h"
#include "duration_hist.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"

/* buckets allocated for the first positive duration */
#define DHIST_INITIAL_SPAN 64

void
dhist_init(DurationHist *hist)
{
	hist->zero = 0;
	hist->total = 0;
	hist->lo = 0;
	hist->size = 0;
	hist->counts = NULL;
}

static int
dhist_bucket(int64 usecs)
{
	double		bucket;

	Assert(usecs > 0);
	bucket = ceil(log((double) usecs) / log(DHIST_GAMMA));
	if (bucket < 0)
		return 0;
	if (bucket > DHIST_MAX_BUCKET)
		return DHIST_MAX_BUCKET;
	return (int) bucket;
}

static double
bucket_value(int bucket)
{
	return 2.0 * pow(DHIST_GAMMA, bucket) / (DHIST_GAMMA + 1.0);
}

void
dhist_add_count(int64 *into, int64 count)
{
	if (pg_add_s64_overflow(*into, count, into))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("waterfall summary count out of range"),
				 errdetail("A count of units exceeds the range of bigint."),
				 errhint("Summarise fewer units at once.")));
}

/* make counts cover [from, to) */
static void
cover_buckets(DurationHist *hist, int from, int to, MemoryContext cxt)
{
	int			new_lo;
	int			new_hi;
	int64	   *counts;

	if (hist->size > 0 && from >= hist->lo && to <= hist->lo + hist->size)
		return;
	if (hist->size == 0)
	{
		new_lo = from;
		new_hi = Max(to, from + DHIST_INITIAL_SPAN);
	}
	else
	{
		int			span;

		new_lo = Min(hist->lo, from);
		new_hi = Max(hist->lo + hist->size, to);
		/* leave room to grow further the same way, so growth stays rare */
		span = new_hi - new_lo;
		if (from < hist->lo)
			new_lo -= span / 2;
		if (to > hist->lo + hist->size)
			new_hi += span / 2;
	}
	new_lo = Max(new_lo, 0);
	new_hi = Min(new_hi, DHIST_MAX_BUCKET + 1);
	counts = MemoryContextAllocZero(cxt, (Size) (new_hi - new_lo) * sizeof(int64));
	if (hist->size > 0)
	{
		memcpy(counts + (hist->lo - new_lo), hist->counts, hist->size * sizeof(int64));
		pfree(hist->counts);
	}
	hist->counts = counts;
	hist->lo = new_lo;
	hist->size = new_hi - new_lo;
}

static void
add_bucket(DurationHist *hist, int bucket, int64 count, MemoryContext cxt)
{
	cover_buckets(hist, bucket, bucket + 1, cxt);
	dhist_add_count(&hist->counts[bucket - hist->lo], count);
	dhist_add_count(&hist->total, count);
}

void
dhist_add(DurationHist *hist, int64 usecs, MemoryContext cxt)
{
	Assert(usecs >= 0);
	if (usecs == 0)
	{
		dhist_add_count(&hist->zero, 1);
		dhist_add_count(&hist->total, 1);
		return;
	}
	add_bucket(hist, dhist_bucket(usecs), 1, cxt);
}

void
dhist_merge(DurationHist *into, const DurationHist *from, MemoryContext cxt)
{
	int			i;

	dhist_add_count(&into->zero, from->zero);
	dhist_add_count(&into->total, from->zero);
	if (from->size == 0)
		return;
	cover_buckets(into, from->lo, from->lo + from->size, cxt);
	for (i = 0; i < from->size; i++)
	{
		if (from->counts[i] == 0)
			continue;
		dhist_add_count(&into->counts[from->lo + i - into->lo], from->counts[i]);
		dhist_add_count(&into->total, from->counts[i]);
	}
}

void
dhist_copy(DurationHist *into, const DurationHist *from, MemoryContext cxt)
{
	*into = *from;
	if (from->size > 0)
	{
		into->counts = MemoryContextAlloc(cxt, from->size * sizeof(int64));
		memcpy(into->counts, from->counts, from->size * sizeof(int64));
	}
}

/* the duration at 0-based rank of the sorted durations, as its bucket gives it */
static double
value_at_rank(const DurationHist *hist, int64 rank)
{
	int			i;

	if (rank < hist->zero)
		return 0.0;
	rank -= hist->zero;
	for (i = 0; i < hist->size; i++)
	{
		if (rank < hist->counts[i])
			return bucket_value(hist->lo + i);
		rank -= hist->counts[i];
	}
	elog(ERROR, "rank beyond the end of a duration histogram");
	return 0.0;					/* keep the compiler quiet */
}

double
dhist_percentile(const DurationHist *hist, double fraction)
{
	double		position;
	int64		below;
	int64		above;
	double		low;
	double		high;

	Assert(hist->total > 0 && fraction >= 0.0 && fraction <= 1.0);
	position = fraction * (double) (hist->total - 1);
	below = (int64) floor(position);
	above = (int64) ceil(position);
	low = value_at_rank(hist, below);
	high = above == below ? low : value_at_rank(hist, above);
	return low + (position - (double) below) * (high - low);
}

/* binary form */

static int
nonempty_buckets(const DurationHist *hist)
{
	int			n = 0;
	int			i;

	for (i = 0; i < hist->size; i++)
		n += hist->counts[i] != 0;
	return n;
}

void
dhist_send(StringInfo buf, const DurationHist *hist)
{
	int			i;

	pq_sendint64(buf, hist->zero);
	pq_sendint32(buf, nonempty_buckets(hist));
	for (i = 0; i < hist->size; i++)
	{
		if (hist->counts[i] == 0)
			continue;
		pq_sendint32(buf, hist->lo + i);
		pq_sendint64(buf, hist->counts[i]);
	}
}

/*
 * Validate and store one (bucket, count) pair read in order; the problem
 * (the detail of an error), or NULL when there is none.
 */
static const char *
store_pair(DurationHist *hist, int bucket, int64 count, int *prev_bucket, MemoryContext cxt)
{
	if (bucket < 0 || bucket > DHIST_MAX_BUCKET)
		return "A bucket number is out of range.";
	if (bucket <= *prev_bucket)
		return "The buckets are not in strictly increasing order.";
	if (count <= 0)
		return "A bucket count is not positive.";
	*prev_bucket = bucket;
	add_bucket(hist, bucket, count, cxt);
	return NULL;
}

void
dhist_recv(BinReader *in, DurationHist *hist, MemoryContext cxt)
{
	int			n;
	int			prev = -1;
	int			i;

	dhist_init(hist);
	hist->zero = bin_int64(in);
	if (hist->zero < 0)
		bin_error(in, "The count of zero durations of a days-to-next histogram is negative.");
	hist->total = hist->zero;
	n = bin_count(in, 0, DHIST_MAX_BUCKET + 1, 12, "buckets of a days-to-next histogram");
	for (i = 0; i < n; i++)
	{
		int			bucket = bin_int32(in);
		int64		count = bin_int64(in);
		const char *problem = store_pair(hist, bucket, count, &prev, cxt);

		if (problem != NULL)
			bin_error(in, "%s", problem);
	}
}

/* text form */

void
dhist_append_text(StringInfo buf, const DurationHist *hist)
{
	bool		first = true;
	int			i;

	appendStringInfo(buf, "{\"zero\":" INT64_FORMAT ",\"buckets\":[", hist->zero);
	for (i = 0; i < hist->size; i++)
	{
		if (hist->counts[i] == 0)
			continue;
		appendStringInfo(buf, "%s[%d," INT64_FORMAT "]", first ? "" : ",",
						 hist->lo + i, hist->counts[i]);
		first = false;
	}
	appendStringInfoString(buf, "]}");
}

void
dhist_read_text(TextScanner *scan, DurationHist *hist, MemoryContext cxt)
{
	char	   *key;
	int			prev = -1;

	dhist_init(hist);
	ts_expect(scan, '{');
	key = ts_read_string(scan, NULL);
	if (strcmp(key, "zero") != 0)
		ts_error(scan, "Expected the key \"zero\"");
	ts_expect(scan, ':');
	hist->zero = ts_read_int64(scan);
	if (hist->zero < 0)
		ts_error(scan, "The count of zero durations is negative");
	hist->total = hist->zero;
	ts_expect(scan, ',');
	key = ts_read_string(scan, NULL);
	if (strcmp(key, "buckets") != 0)
		ts_error(scan, "Expected the key \"buckets\"");
	ts_expect(scan, ':');
	ts_expect(scan, '[');
	if (!ts_accept(scan, ']'))
	{
		do
		{
			int64		bucket;
			int64		count;
			const char *problem;

			ts_expect(scan, '[');
			bucket = ts_read_int64(scan);
			ts_expect(scan, ',');
			count = ts_read_int64(scan);
			ts_expect(scan, ']');
			if (bucket < 0 || bucket > DHIST_MAX_BUCKET)
				ts_error(scan, "Bucket " INT64_FORMAT " is out of range (0 to %d)",
						 bucket, DHIST_MAX_BUCKET);
			CHECK_FOR_INTERRUPTS();
			problem = store_pair(hist, (int) bucket, count, &prev, cxt);
			if (problem != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid days-to-next histogram in a waterfall summary"),
						 errdetail("%s", problem),
						 errhint("The value was not written by this version of the extension, or it is damaged.")));
		} while (ts_accept(scan, ','));
		ts_expect(scan, ']');
	}
	ts_expect(scan, '}');
}
