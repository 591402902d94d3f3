/*
 * duration_hist.h
 *		A mergeable histogram of durations with a bounded relative error: the
 *		days-to-next percentiles of the waterfall summary.
 *
 * Durations are whole microseconds, >= 0.  Zero has its own count; a
 * positive duration d falls in bucket i = ceil(log(d) / log(DHIST_GAMMA)),
 * which holds the durations in (GAMMA^(i-1), GAMMA^i].  A bucket stands for
 * its durations by 2 GAMMA^i / (GAMMA + 1), which is within
 * (GAMMA - 1) / (GAMMA + 1) = 0.4975% of each of them.  Percentiles
 * interpolate between the values at the two neighbouring ranks exactly as
 * percentile_cont does, and an interpolation of values that are each within
 * 0.5% is within 0.5% too: the percentiles are within 0.5% relative error of
 * percentile_cont over the exact durations (zero is exact).
 *
 * Buckets run from 0 (1 microsecond) to DHIST_MAX_BUCKET (the longest
 * possible interval between two timestamps), so a histogram never holds more
 * than DHIST_MAX_BUCKET + 1 counts, whatever the number of durations.  The
 * counts are dense over the range of buckets in use, which grows as needed.
 */
#ifndef ATTRIBUTION_DURATION_HIST_H
#define ATTRIBUTION_DURATION_HIST_H

#include "postgres.h"

#include "binio.h"
#include "lib/stringinfo.h"
#include "textio.h"

#define DHIST_GAMMA 1.01
/* ceil(log(2^63) / log(1.01)) = 4390 */
#define DHIST_MAX_BUCKET 4400

typedef struct DurationHist
{
	int64		zero;			/* durations of exactly 0 */
	int64		total;			/* all durations, zero included */
	int32		lo;				/* bucket of counts[0] */
	int32		size;			/* entries of counts; 0 when none is positive */
	int64	   *counts;
} DurationHist;

extern void dhist_init(DurationHist *hist);
/* add one duration; new memory comes from cxt */
extern void dhist_add(DurationHist *hist, int64 usecs, MemoryContext cxt);
extern void dhist_merge(DurationHist *into, const DurationHist *from, MemoryContext cxt);
extern void dhist_copy(DurationHist *into, const DurationHist *from, MemoryContext cxt);
/* percentile_cont(fraction) in microseconds; the histogram must not be empty */
extern double dhist_percentile(const DurationHist *hist, double fraction);

/* binary form: zero count, number of non-empty buckets, (bucket, count) pairs */
extern void dhist_send(StringInfo buf, const DurationHist *hist);
/*
 * *into += count, or "waterfall summary count out of range" (the counts of
 * a waterfall summary and of its histograms all add this way)
 */
extern void dhist_add_count(int64 *into, int64 count);

extern void dhist_recv(BinReader *in, DurationHist *hist, MemoryContext cxt);
/* text form: {"zero":N,"buckets":[[bucket,count],...]} */
extern void dhist_append_text(StringInfo buf, const DurationHist *hist);
extern void dhist_read_text(TextScanner *scan, DurationHist *hist, MemoryContext cxt);

#endif							/* ATTRIBUTION_DURATION_HIST_H */
