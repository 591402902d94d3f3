/*
 * counterfactual.c
 *		counterfactual(ps): the leave-one-out path-probability model.
 *
 * p(path) is the observed conversion rate of the exact path,
 * conversions / (conversions + non-conversions); a path that does not occur
 * in the summary has p = 0.  The conversions (and value) of a path are split
 * over its touches in proportion to max(0, p(path) - p(path without that
 * touch)).  A single-touch path, and a path whose every such difference is 0,
 * gives everything to its last touch.  Credits of the touches are summed per
 * channel.
 *
 * Looking up the n shorter paths of a path of n touches must not cost n^2:
 * paths are hashed with a polynomial hash (mod 2^64), so the hash of a path
 * without touch i comes from prefix hashes in constant time, and the hash
 * table compares elements only when the hashes match.
 */
#include "postgres.h"

#include "compat.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "path_summary.h"
#include "u64map.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(attribution_counterfactual);

#define POLY_BASE UINT64CONST(0x9E3779B97F4A7C15)
#define LENGTH_SALT UINT64CONST(0xC2B2AE3D27D4EB4F)
#define PROBE_PATH PG_UINT32_MAX

typedef struct PathTable
{
	int32		n_paths;
	int64	   *start;			/* path i: touches[start[i] .. start[i+1]) */
	int32	   *touches;
	double	   *rate;			/* observed conversion rate */
	uint64	   *poly;			/* polynomial hash */
	/* the probe: path probe_path without its touch probe_skip */
	uint32		probe_path;
	int32		probe_skip;
} PathTable;

typedef struct PathTableEntry
{
	uint32		path;
	uint32		hash;
	char		status;
} PathTableEntry;

static inline uint32
finish_hash(uint64 poly, int64 length)
{
	return mix64(poly ^ ((uint64) length * LENGTH_SALT));
}

/* the elements of a key: a stored path, or the probe (one touch skipped) */
static inline void
key_elements(const PathTable *pt, uint32 key, const int32 **elements,
			 int64 *length, int32 *skip)
{
	uint32		path = key == PROBE_PATH ? pt->probe_path : key;

	*elements = pt->touches + pt->start[path];
	*length = pt->start[path + 1] - pt->start[path];
	*skip = key == PROBE_PATH ? pt->probe_skip : -1;
}

static bool
keys_equal(const PathTable *pt, uint32 a, uint32 b)
{
	const int32 *ea,
			   *eb;
	int64		la,
				lb;
	int32		sa,
				sb;
	int64		i,
				j;

	key_elements(pt, a, &ea, &la, &sa);
	key_elements(pt, b, &eb, &lb, &sb);
	if (la - (sa >= 0) != lb - (sb >= 0))
		return false;
	/* walk both, stepping over the skipped touch; they end together */
	i = 0;
	j = 0;
	for (;;)
	{
		if (i == sa)
			i++;
		if (j == sb)
			j++;
		if (i >= la || j >= lb)
			break;
		if (ea[i] != eb[j])
			return false;
		i++;
		j++;
	}
	return true;
}

static uint32
key_hash(const PathTable *pt, uint32 key)
{
	const int32 *e;
	int64		len;
	int32		skip;
	uint64		poly = 0;
	int64		i;

	key_elements(pt, key, &e, &len, &skip);
	for (i = 0; i < len; i++)
		if (i != skip)
			poly = poly * POLY_BASE + (uint64) (e[i] + 1);
	return finish_hash(poly, len - (skip >= 0));
}

#define SH_PREFIX pathtable
#define SH_ELEMENT_TYPE PathTableEntry
#define SH_KEY_TYPE uint32
#define SH_KEY path
#define SH_HASH_KEY(tb, key) key_hash((const PathTable *) (tb)->private_data, key)
#define SH_EQUAL(tb, a, b) keys_equal((const PathTable *) (tb)->private_data, a, b)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* load every path of the summary and index them */
static pathtable_hash *
load_paths(PathReader *reader, PathTable *pt, double **conversions, double **value)
{
	pathtable_hash *table;
	int64		n_touches = 0;
	int32		i;

	/* first pass: sizes */
	while (path_reader_next(reader))
		n_touches += reader->length;
	path_reader_rewind(reader);

	pt->n_paths = reader->n_paths;
	pt->start = palloc_extended((pt->n_paths + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	pt->touches = palloc_extended(Max(n_touches, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	pt->rate = palloc_extended(Max(pt->n_paths, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	pt->poly = palloc_extended(Max(pt->n_paths, 1) * sizeof(uint64), MCXT_ALLOC_HUGE);
	*conversions = palloc_extended(Max(pt->n_paths, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	*value = palloc_extended(Max(pt->n_paths, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	table = pathtable_create(CurrentMemoryContext, Max(pt->n_paths, 16), pt);

	pt->start[0] = 0;
	for (i = 0; path_reader_next(reader); i++)
	{
		double		journeys = reader->conversions + reader->non_conversions;
		uint64		poly = 0;
		bool		found;
		int			t;

		CHECK_FOR_INTERRUPTS();
		for (t = 0; t < reader->length; t++)
		{
			pt->touches[pt->start[i] + t] = reader->channels[t];
			poly = poly * POLY_BASE + (uint64) (reader->channels[t] + 1);
		}
		pt->start[i + 1] = pt->start[i] + reader->length;
		pt->poly[i] = poly;
		/* halves of the counts when their sum leaves the range of double */
		if (isinf(journeys))
			pt->rate[i] = (reader->conversions / 2) /
				(reader->conversions / 2 + reader->non_conversions / 2);
		else
			pt->rate[i] = journeys > 0 ? reader->conversions / journeys : 0;
		(*conversions)[i] = reader->conversions;
		(*value)[i] = reader->value;
		(void) pathtable_insert_hash(table, (uint32) i,
									 finish_hash(poly, reader->length), &found);
		Assert(!found);
	}
	return table;
}

Datum
attribution_counterfactual(PG_FUNCTION_ARGS)
{
	PathSummary *summary = PG_GETARG_PATH_SUMMARY_P(0);
	PathReader	reader;
	PathTable	pt;
	pathtable_hash *table;
	double	   *path_conversions;
	double	   *path_value;
	CompensatedSum *credit_conversions;
	CompensatedSum *credit_value;
	uint64	   *powers;
	uint64	   *prefix;
	double	   *gain;
	int32		i;
	int			c;

	path_reader_init(&reader, summary);
	table = load_paths(&reader, &pt, &path_conversions, &path_value);
	credit_conversions = palloc0(Max(reader.n_channels, 1) * sizeof(CompensatedSum));
	credit_value = palloc0(Max(reader.n_channels, 1) * sizeof(CompensatedSum));
	powers = palloc((reader.max_path_len + 1) * sizeof(uint64));
	prefix = palloc((reader.max_path_len + 1) * sizeof(uint64));
	gain = palloc(Max(reader.max_path_len, 1) * sizeof(double));
	powers[0] = 1;
	for (c = 1; c <= reader.max_path_len; c++)
		powers[c] = powers[c - 1] * POLY_BASE;

	for (i = 0; i < pt.n_paths; i++)
	{
		const int32 *touches = pt.touches + pt.start[i];
		int64		n = pt.start[i + 1] - pt.start[i];
		double		total_gain = 0;
		double		rate_without = 0;
		int64		t;

		CHECK_FOR_INTERRUPTS();
		if (path_conversions[i] == 0)
			continue;
		prefix[0] = 0;
		for (t = 0; t < n; t++)
			prefix[t + 1] = prefix[t] * POLY_BASE + (uint64) (touches[t] + 1);
		for (t = 0; t < n && n > 1; t++)
		{
			/* after a repeat, leaving out either copy gives the same path */
			if (t == 0 || touches[t] != touches[t - 1])
			{
				uint64		poly = prefix[t] * powers[n - 1 - t] +
					(pt.poly[i] - prefix[t + 1] * powers[n - 1 - t]);
				PathTableEntry *entry;

				pt.probe_path = (uint32) i;
				pt.probe_skip = (int32) t;
				entry = pathtable_lookup_hash(table, PROBE_PATH, finish_hash(poly, n - 1));
				rate_without = entry != NULL ? pt.rate[entry->path] : 0;
			}
			gain[t] = Max(pt.rate[i] - rate_without, 0.0);
			total_gain += gain[t];
		}
		if (total_gain == 0)
		{
			csum_add(&credit_conversions[touches[n - 1]], path_conversions[i]);
			csum_add(&credit_value[touches[n - 1]], path_value[i]);
			continue;
		}
		for (t = 0; t < n; t++)
		{
			csum_add(&credit_conversions[touches[t]], path_conversions[i] * gain[t] / total_gain);
			csum_add(&credit_value[touches[t]], path_value[i] * gain[t] / total_gain);
		}
	}

	return ps_return_channel_credits(fcinfo, &reader, credit_conversions, credit_value, "counterfactual");
}
