/*
 * path_summary_build.c
 *		The builder of path summaries (PathBuilder) and the aggregates that
 *		feed it: path_agg() in its forms and merge(path_summary), with their
 *		storable state path_agg_state and the `internal` state that version
 *		0.1.0 declared; the type itself is in path_summary.c.
 *
 * While an aggregate runs, the state is a PathBuilder: a dictionary of
 * channel names (ids in order of first appearance), a hash table of the
 * distinct paths (keyed by the bytes of their encoded id sequence) and, per
 * path, the exact sums of conversions, value and non-conversions.  Adding a
 * row encodes its path into a probe buffer, looks the probe up and adds to
 * the sums: no allocation per row.  The final function writes the canonical
 * stored form: channels renumbered in bytewise order of their names, paths
 * sorted, all-zero paths dropped.  Because the sums are exact (exactsum.h),
 * the same rows give the same bytes in any order, serially, in parallel or
 * merged from daily summaries.
 *
 * Invariants of a builder: every channel id in a path is below the number
 * of channels of its dictionary; every path has at least one touch; the
 * arena holds the codes of the paths back to back, path i at
 * paths[i].offset; the hash table holds each path once.
 */
#include "postgres.h"

#include "compat.h"

#include <math.h>

#include "aggstate.h"
#include "aggutil.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "path_summary.h"
#include "path_summary_int.h"
#include "strdict.h"
#include "utils/array.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(attribution_path_agg_trans);
PG_FUNCTION_INFO_V1(attribution_path_agg_counts_trans);
PG_FUNCTION_INFO_V1(attribution_path_summary_merge_trans);
PG_FUNCTION_INFO_V1(attribution_path_agg_combine);
PG_FUNCTION_INFO_V1(attribution_path_agg_serialize);
PG_FUNCTION_INFO_V1(attribution_path_agg_deserialize);
PG_FUNCTION_INFO_V1(attribution_path_agg_final);
PG_FUNCTION_INFO_V1(attribution_path_agg_state_in);
PG_FUNCTION_INFO_V1(attribution_path_agg_state_out);
PG_FUNCTION_INFO_V1(attribution_path_agg_state_recv);
PG_FUNCTION_INFO_V1(attribution_path_agg_state_send);
PG_FUNCTION_INFO_V1(attribution_path_agg_state_trans);
PG_FUNCTION_INFO_V1(attribution_path_agg_state_counts_trans);
PG_FUNCTION_INFO_V1(attribution_path_summary_merge_state_trans);
PG_FUNCTION_INFO_V1(attribution_path_agg_state_combine);
PG_FUNCTION_INFO_V1(attribution_path_agg_state_final);

static const char *const quantity_names[PS_QUANTITIES] = {
	"conversions", "value", "non_conversions"
};

/* ---------- the aggregate state ---------- */

typedef struct PathRec
{
	uint32		offset;			/* of the path's code in the arena */
	uint32		nbytes;
	ExactSum	sums[PS_QUANTITIES];
} PathRec;

typedef struct PathSetEntry
{
	uint32		path;			/* index into paths, or PROBE_PATH */
	uint32		hash;
	char		status;
} PathSetEntry;

/* the key that stands for the path in the probe buffer during a lookup */
#define PROBE_PATH PG_UINT32_MAX

#define NAME_CACHE_BITS 8
#define NAME_CACHE_SIZE (1 << NAME_CACHE_BITS)

struct PathBuilder
{
	StrDict    *channels;
	struct pathset_hash *table;
	PathRec    *paths;
	uint32		n_paths;
	uint32		paths_allocated;
	unsigned char *arena;		/* the codes of all paths, back to back */
	Size		arena_used;
	Size		arena_allocated;
	unsigned char *probe;		/* code of the path being added */
	Size		probe_len;
	Size		probe_allocated;
	int			probe_touches;
	/* recently seen channel names: slot -> id + 1 (0: empty); see cached_channel */
	int32		name_cache[NAME_CACHE_SIZE];
};

static inline const unsigned char *
builder_key(PathBuilder *b, uint32 path, Size *len)
{
	if (path == PROBE_PATH)
	{
		*len = b->probe_len;
		return b->probe;
	}
	*len = b->paths[path].nbytes;
	return b->arena + b->paths[path].offset;
}

static inline bool
builder_keys_equal(PathBuilder *b, uint32 x, uint32 y)
{
	Size		xlen,
				ylen;
	const unsigned char *xkey = builder_key(b, x, &xlen);
	const unsigned char *ykey = builder_key(b, y, &ylen);

	return xlen == ylen && memcmp(xkey, ykey, xlen) == 0;
}

static inline uint32
builder_key_hash(PathBuilder *b, uint32 path)
{
	Size		len;
	const unsigned char *key = builder_key(b, path, &len);

	return hash_bytes(key, (int) len);
}

#define SH_PREFIX pathset
#define SH_ELEMENT_TYPE PathSetEntry
#define SH_KEY_TYPE uint32
#define SH_KEY path
#define SH_HASH_KEY(tb, key) builder_key_hash((PathBuilder *) (tb)->private_data, key)
#define SH_EQUAL(tb, a, b) builder_keys_equal((PathBuilder *) (tb)->private_data, a, b)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* create an empty builder in the current memory context */
PathBuilder *
builder_create(void)
{
	PathBuilder *b = palloc0(sizeof(PathBuilder));

	b->channels = strdict_create(32);
	b->paths_allocated = 64;
	b->paths = palloc(b->paths_allocated * sizeof(PathRec));
	b->arena_allocated = 1024;
	b->arena = palloc(b->arena_allocated);
	b->probe_allocated = 256;
	b->probe = palloc(b->probe_allocated);
	b->table = pathset_create(CurrentMemoryContext, 64, b);
	return b;
}

static void
too_large_error(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("path summary too large"),
			 errdetail("The %s would take more than %zu bytes.", what, (Size) MaxAllocSize),
			 errhint("Shorten the paths (path_trim, path_exposure) or summarize fewer journeys at a time.")));
}

int
builder_intern_channel(PathBuilder *b, const char *name, int len)
{
	int			id = strdict_intern(b->channels, name, len);

	if (id >= PS_MAX_CHANNELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct channels in a path summary"),
				 errdetail("A path summary holds at most %d distinct channels.", PS_MAX_CHANNELS),
				 errhint("Group rare channels under a common name before aggregating.")));
	return id;
}

/*
 * The id of a channel name of a row.  Most paths use a few dozen channels, so
 * a small direct-mapped cache of names, indexed by a few of their bytes and
 * checked with memcmp, saves hashing every name of every row.
 */
static inline int
cached_channel(PathBuilder *b, const char *name, int len)
{
	uint32		slot;
	int32		cached;

	if (len == 0)
		return builder_intern_channel(b, name, len);
	/* the length and the first, middle and last two bytes, mixed */
	slot = ((uint32) len << 24) ^ ((uint32) (unsigned char) name[0] << 16) ^
		((uint32) (unsigned char) name[len / 2] << 8) ^
		((uint32) (unsigned char) name[len - 1] << 4) ^
		(uint32) (unsigned char) name[len > 1 ? len - 2 : 0];
	slot = (slot * 0x9E3779B1U) >> (32 - NAME_CACHE_BITS);
	cached = b->name_cache[slot] - 1;
	if (cached >= 0)
	{
		int			cached_len;
		const char *cached_name = strdict_string(b->channels, cached, &cached_len);

		if (cached_len == len && memcmp(cached_name, name, len) == 0)
			return cached;
	}
	cached = builder_intern_channel(b, name, len);
	b->name_cache[slot] = cached + 1;
	return cached;
}

void
probe_reset(PathBuilder *b)
{
	b->probe_len = 0;
	b->probe_touches = 0;
}

void
probe_append(PathBuilder *b, uint32 id)
{
	if (b->probe_len + CODE_MAX_BYTES > b->probe_allocated)
	{
		Size		new_size = b->probe_allocated * 2;

		if (new_size > MaxAllocSize)
			too_large_error("path");
		b->probe = repalloc(b->probe, new_size);
		b->probe_allocated = new_size;
	}
	b->probe_len += channel_code_put(b->probe + b->probe_len, id);
	b->probe_touches++;
}

int
builder_probe_touches(const PathBuilder *b)
{
	return b->probe_touches;
}

/* copy the probe into the arena as a new path with zero sums */
static uint32
builder_store_probe(PathBuilder *b)
{
	PathRec    *rec;
	int			q;

	if (b->arena_used + b->probe_len > b->arena_allocated)
	{
		Size		new_size = Max(b->arena_allocated * 2, b->arena_used + b->probe_len);

		if (new_size > MaxAllocSize)
		{
			if (b->arena_used + b->probe_len > MaxAllocSize)
				too_large_error("set of distinct paths");
			new_size = MaxAllocSize;
		}
		b->arena = repalloc(b->arena, new_size);
		b->arena_allocated = new_size;
	}
	if (b->n_paths == b->paths_allocated)
	{
		Size		new_count = (Size) b->paths_allocated * 2;

		if (new_count * sizeof(PathRec) > MaxAllocSize)
			too_large_error("set of distinct paths");
		b->paths = repalloc(b->paths, new_count * sizeof(PathRec));
		b->paths_allocated = (uint32) new_count;
	}
	memcpy(b->arena + b->arena_used, b->probe, b->probe_len);
	rec = &b->paths[b->n_paths];
	rec->offset = (uint32) b->arena_used;
	rec->nbytes = (uint32) b->probe_len;
	for (q = 0; q < PS_QUANTITIES; q++)
		exactsum_init(&rec->sums[q]);
	b->arena_used += b->probe_len;
	return b->n_paths++;
}

/* the record of the path in the probe, created when new */
static PathRec *
builder_probe_record(PathBuilder *b)
{
	uint32		hash = hash_bytes(b->probe, (int) b->probe_len);
	bool		found;
	PathSetEntry *entry = pathset_insert_hash(b->table, PROBE_PATH, hash, &found);

	if (!found)
		entry->path = builder_store_probe(b);
	return &b->paths[entry->path];
}

/* ---------- validation shared by every way in ---------- */

static void
check_row_quantity(double v, const char *what)
{
	if (isnan(v) || isinf(v) || v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite non-negative number", what),
				 errdetail("A row has %s = %g.", what, v),
				 errhint("Filter or fix the rows with negative, NaN or infinite %s.", what)));
}

/* NULL when a stored term is acceptable, otherwise why not */
static const char *
term_problem(double term)
{
	if (!isfinite(term))
		return "Numbers must be finite";
	if (term < 0)
		return "Numbers must not be negative";
	return NULL;
}

/* NULL when an entry of a literal is acceptable, otherwise why not */
const char *
entry_problem(int touches, const ExactSum *sums)
{
	if (touches == 0)
		return "A path must have at least one channel";
	if (exactsum_is_zero(&sums[PS_CONVERSIONS]) && !exactsum_is_zero(&sums[PS_VALUE]))
		return "A path with a value must have conversions";
	return NULL;
}

/* read the nterms terms of one quantity of path number "path" of a binary form */
static inline void
read_terms(BinReader *in, int nterms, ExactSum *sum, int path)
{
	exactsum_init(sum);
	while (nterms-- > 0)
	{
		double		term = bin_float8(in);
		const char *problem = term_problem(term);

		if (problem != NULL)
			bin_error(in, "%s (path %d).", problem, path);
		exactsum_add_double(sum, term);
	}
}

/* reject path number "path" of a binary form when entry_problem() finds one */
static inline void
check_read_entry(BinReader *in, int touches, const ExactSum *sums, int path)
{
	const char *problem = entry_problem(touches, sums);

	if (problem != NULL)
		bin_error(in, "%s (path %d).", problem, path);
}

/* ---------- adding rows ---------- */

/*
 * Encode a text[] path into the probe.  Elements of an array are stored
 * inline (never compressed or external), one after another, each aligned to
 * int: walk them directly rather than deconstructing the array.
 */
static void
probe_from_array(PathBuilder *b, ArrayType *path)
{
	int			n;
	int			i;
	char	   *p;
	bits8	   *nulls;

	if (ARR_NDIM(path) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("path must be a one-dimensional array"),
				 errdetail("The path has %d dimensions.", ARR_NDIM(path)),
				 errhint("Build paths with array_agg(channel ORDER BY touched_at, touch_id).")));
	n = ARR_NDIM(path) == 0 ? 0 : ARR_DIMS(path)[0];
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("path is empty"),
				 errdetail("A journey without touches cannot be credited to any channel."),
				 errhint("Leave out journeys without touches, for example with WHERE cardinality(path) > 0.")));
	if (ARR_ELEMTYPE(path) != TEXTOID)
		elog(ERROR, "path_agg expects a text[] path");

	probe_reset(b);
	p = ARR_DATA_PTR(path);
	nulls = ARR_NULLBITMAP(path);
	for (i = 0; i < n; i++)
	{
		text	   *element;

		if (nulls != NULL && (nulls[i / 8] & (1 << (i % 8))) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("path contains a null channel"),
					 errdetail("Element %d of the path is null.", i + 1),
					 errhint("Remove nulls first, for example with array_remove(path, NULL).")));
		element = (text *) p;
		probe_append(b, cached_channel(b, VARDATA_ANY(element),
									   VARSIZE_ANY_EXHDR(element)));
		p = att_addlength_pointer(p, -1, p);
		p = (char *) att_align_nominal(p, TYPALIGN_INT);
	}
}

static void
builder_add_row(PathBuilder *b, ArrayType *path, double conversions,
				double value, double non_conversions)
{
	PathRec    *rec;

	probe_from_array(b, path);
	if (conversions == 0 && value == 0 && non_conversions == 0)
		return;					/* a path of no journey */
	rec = builder_probe_record(b);
	if (conversions != 0)
		exactsum_add_double(&rec->sums[PS_CONVERSIONS], conversions);
	if (value != 0)
		exactsum_add_double(&rec->sums[PS_VALUE], value);
	if (non_conversions != 0)
		exactsum_add_double(&rec->sums[PS_NON_CONVERSIONS], non_conversions);
}

/* add exact sums to the path in the probe */
void
builder_add_probe_sums(PathBuilder *b, const ExactSum *sums)
{
	PathRec    *rec;
	int			q;

	if (exactsum_is_zero(&sums[0]) && exactsum_is_zero(&sums[1]) &&
		exactsum_is_zero(&sums[2]))
		return;
	rec = builder_probe_record(b);
	for (q = 0; q < PS_QUANTITIES; q++)
		exactsum_add(&rec->sums[q], &sums[q]);
}

/* add every path of another builder */
static void
builder_merge(PathBuilder *dst, PathBuilder *src)
{
	int			n_channels = strdict_size(src->channels);
	int		   *map = palloc(Max(n_channels, 1) * sizeof(int));
	uint32		i;
	int			c;

	for (c = 0; c < n_channels; c++)
	{
		int			len;
		const char *name = strdict_string(src->channels, c, &len);

		map[c] = builder_intern_channel(dst, name, len);
	}
	for (i = 0; i < src->n_paths; i++)
	{
		const PathRec *rec = &src->paths[i];
		const unsigned char *p = src->arena + rec->offset;
		const unsigned char *end = p + rec->nbytes;

		CHECK_FOR_INTERRUPTS();
		probe_reset(dst);
		while (p < end)
		{
			uint32		id = 0;

			p = channel_code_get(p, end, &id);
			Assert(p != NULL && id < (uint32) n_channels);
			probe_append(dst, map[id]);
		}
		builder_add_probe_sums(dst, rec->sums);
	}
	pfree(map);
}

/* add every path of a stored summary */
static void
builder_add_summary(PathBuilder *b, const PathSummary *summary)
{
	PathReader	reader;
	int		   *map;
	int			c;

	path_reader_init(&reader, summary);
	map = palloc(Max(reader.n_channels, 1) * sizeof(int));
	for (c = 0; c < reader.n_channels; c++)
		map[c] = builder_intern_channel(b, reader.names[c], reader.name_lens[c]);
	while (path_reader_next(&reader))
	{
		ExactSum	sums[PS_QUANTITIES];
		int			q;
		int			t;

		CHECK_FOR_INTERRUPTS();
		probe_reset(b);
		for (t = 0; t < reader.length; t++)
			probe_append(b, map[reader.channels[t]]);
		for (q = 0; q < PS_QUANTITIES; q++)
		{
			exactsum_init(&sums[q]);
			for (t = 0; t < reader.nterms[q]; t++)
				exactsum_add_double(&sums[q], reader.terms[q][t]);
		}
		builder_add_probe_sums(b, sums);
	}
	pfree(map);
	pfree(reader.names);
	pfree(reader.name_lens);
	pfree(reader.channels);
}

/* ---------- the canonical stored form ---------- */

static int
compare_channel_names(const void *a, const void *b, void *arg)
{
	StrDict    *dict = (StrDict *) arg;
	int			alen,
				blen;
	const char *astr = strdict_string(dict, *(const int *) a, &alen);
	const char *bstr = strdict_string(dict, *(const int *) b, &blen);

	return strdict_compare_bytes(astr, alen, bstr, blen);
}

typedef struct SortedPath
{
	uint64		prefix;			/* first 8 code bytes, big-endian, zero-padded */
	uint32		path;			/* index into the builder's paths */
	uint32		offset;			/* of the renumbered code */
	uint32		nbytes;
	uint32		touches;
	uint8		flags;			/* the path's flags byte */
	uint8		nterms;			/* terms of all its quantities */
	uint32		term_offset;	/* of those terms in the term store */
} SortedPath;

static int
compare_sorted_paths(const void *a, const void *b, void *arg)
{
	const unsigned char *codes = (const unsigned char *) arg;
	const SortedPath *pa = (const SortedPath *) a;
	const SortedPath *pb = (const SortedPath *) b;
	int			cmp;

	/* the prefixes decide most comparisons without touching the codes */
	if (pa->prefix != pb->prefix)
		return pa->prefix > pb->prefix ? 1 : -1;
	cmp = memcmp(codes + pa->offset, codes + pb->offset, Min(pa->nbytes, pb->nbytes));
	if (cmp != 0)
		return cmp;
	return (pa->nbytes > pb->nbytes) - (pa->nbytes < pb->nbytes);
}

/* a path to sort: its 8-byte prefix and its place in the SortedPath array */
typedef struct SortKey
{
	uint64		prefix;
	uint32		index;
} SortKey;

typedef struct TieSortArg
{
	const SortedPath *paths;
	const unsigned char *codes;
} TieSortArg;

static int
compare_tied_keys(const void *a, const void *b, void *arg)
{
	const TieSortArg *tie = (const TieSortArg *) arg;

	return compare_sorted_paths(&tie->paths[((const SortKey *) a)->index],
								&tie->paths[((const SortKey *) b)->index],
								(void *) tie->codes);
}

/*
 * Sort the paths: a least-significant-byte-first radix sort of their 8-byte
 * prefixes (passes where every key has the same byte are skipped), then a
 * comparison sort of each run of equal prefixes.  Much cheaper than a
 * comparison sort of a million paths.  The result is in keys.
 */
static void
sort_paths(const SortedPath *paths, const unsigned char *codes, uint32 n, SortKey *keys)
{
	SortKey    *spare = palloc_extended(Max(n, 1) * sizeof(SortKey), MCXT_ALLOC_HUGE);
	TieSortArg	tie = {paths, codes};
	uint32		i,
				run;
	int			pass;

	for (i = 0; i < n; i++)
	{
		keys[i].prefix = paths[i].prefix;
		keys[i].index = i;
	}
	for (pass = 0; pass < 8; pass++)
	{
		uint32		count[256];
		uint32		position = 0;
		int			shift = 8 * pass;
		int			byte;

		CHECK_FOR_INTERRUPTS();
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(keys[i].prefix >> shift) & 0xFF]++;
		if (n == 0 || count[(keys[0].prefix >> shift) & 0xFF] == n)
			continue;
		for (byte = 0; byte < 256; byte++)
		{
			uint32		c = count[byte];

			count[byte] = position;
			position += c;
		}
		for (i = 0; i < n; i++)
			spare[count[(keys[i].prefix >> shift) & 0xFF]++] = keys[i];
		memcpy(keys, spare, n * sizeof(SortKey));
	}
	for (i = 0; i < n; i = run)
	{
		for (run = i + 1; run < n && keys[run].prefix == keys[i].prefix; run++)
			;
		if (run - i > 1)
			qsort_interruptible(keys + i, run - i, sizeof(SortKey), compare_tied_keys, &tie);
	}
	pfree(spare);
}

static bool
path_rec_is_empty(const PathRec *rec)
{
	return exactsum_is_zero(&rec->sums[0]) && exactsum_is_zero(&rec->sums[1]) &&
		exactsum_is_zero(&rec->sums[2]);
}

/* the terms of the quantities of a path, and its flags byte */
static uint8
path_rec_terms(const PathRec *rec, double terms[PS_QUANTITIES][EXACTSUM_MAX_TERMS],
			   int *nterms)
{
	uint8		flags = 0;
	int			q;

	for (q = 0; q < PS_QUANTITIES; q++)
	{
		if (!exactsum_is_finite(&rec->sums[q]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("the sum of %s of a path is out of the range of double precision",
							quantity_names[q]),
					 errhint("Scale the %s down before aggregating.", quantity_names[q])));
		if (q == PS_VALUE && exactsum_equal(&rec->sums[PS_VALUE], &rec->sums[PS_CONVERSIONS]))
		{
			flags |= PS_FLAG_VALUE_IS_CONVERSIONS;
			nterms[q] = 0;
			continue;
		}
		nterms[q] = exactsum_terms(&rec->sums[q], terms[q]);
		flags |= nterms[q] << (2 * q);
	}
	return flags;
}

/*
 * Write the canonical stored form of a builder.  The builder is not changed
 * (the final function may run more than once on the same state).
 */
PathSummary *
builder_finish(PathBuilder *b)
{
	int			n_dict = strdict_size(b->channels);
	bool	   *used = palloc0(Max(n_dict, 1) * sizeof(bool));
	int		   *order = palloc(Max(n_dict, 1) * sizeof(int));
	uint32	   *new_id = palloc(Max(n_dict, 1) * sizeof(uint32));
	SortedPath *sorted = palloc(Max(b->n_paths, 1) * sizeof(SortedPath));
	unsigned char *codes;
	Size		codes_allocated = Max(b->arena_used, 16);
	Size		codes_used = 0;
	uint32		n_kept = 0;
	SortKey    *keys;
	double	   *term_store;
	Size		terms_used = 0;
	Size		terms_allocated;
	uint32		k;
	int			n_channels = 0;
	int			max_len = 0;
	Size		size;
	PathSummary *result;
	char	   *out;
	uint32		i;
	int			c;

	/* the paths to keep, and the channels they use */
	for (i = 0; i < b->n_paths; i++)
	{
		const PathRec *rec = &b->paths[i];
		const unsigned char *p = b->arena + rec->offset;
		const unsigned char *end = p + rec->nbytes;

		if (path_rec_is_empty(rec))
			continue;
		while (p < end)
		{
			uint32		id = 0;

			p = channel_code_get(p, end, &id);
			Assert(p != NULL);
			used[id] = true;
		}
		sorted[n_kept++].path = i;
	}

	/* renumber the used channels in bytewise order of their names */
	for (c = 0; c < n_dict; c++)
		if (used[c])
			order[n_channels++] = c;
	qsort_interruptible(order, n_channels, sizeof(int), compare_channel_names, b->channels);
	for (c = 0; c < n_channels; c++)
		new_id[order[c]] = (uint32) c;

	/* re-encode the kept paths with the new ids, then sort them */
	codes = palloc(codes_allocated);
	terms_allocated = Max((Size) n_kept * 2, 16);
	term_store = palloc_extended(terms_allocated * sizeof(double), MCXT_ALLOC_HUGE);
	for (i = 0; i < n_kept; i++)
	{
		const PathRec *rec = &b->paths[sorted[i].path];
		const unsigned char *p = b->arena + rec->offset;
		const unsigned char *end = p + rec->nbytes;
		uint32		touches = 0;
		double		terms[PS_QUANTITIES][EXACTSUM_MAX_TERMS];
		int			nterms[PS_QUANTITIES];
		int			q;

		CHECK_FOR_INTERRUPTS();
		if (codes_used + (Size) rec->nbytes * CODE_MAX_BYTES > codes_allocated)
		{
			codes_allocated = Max(codes_allocated * 2,
								  codes_used + (Size) rec->nbytes * CODE_MAX_BYTES);
			if (codes_allocated > MaxAllocSize)
				too_large_error("set of distinct paths");
			codes = repalloc(codes, codes_allocated);
		}
		sorted[i].offset = (uint32) codes_used;
		while (p < end)
		{
			uint32		id = 0;

			p = channel_code_get(p, end, &id);
			codes_used += channel_code_put(codes + codes_used, new_id[id]);
			touches++;
		}
		sorted[i].nbytes = (uint32) codes_used - sorted[i].offset;
		sorted[i].touches = touches;
		sorted[i].flags = path_rec_terms(rec, terms, nterms);
		sorted[i].nterms = (uint8) (nterms[0] + nterms[1] + nterms[2]);
		/* keep the terms, in the order they are written, for the write pass */
		if (terms_used + PS_QUANTITIES * EXACTSUM_MAX_TERMS > terms_allocated)
		{
			terms_allocated *= 2;
			term_store = repalloc_huge(term_store, terms_allocated * sizeof(double));
		}
		sorted[i].term_offset = (uint32) terms_used;
		for (q = 0; q < PS_QUANTITIES; q++)
		{
			memcpy(term_store + terms_used, terms[q], sizeof(double) * nterms[q]);
			terms_used += nterms[q];
		}
		sorted[i].prefix = 0;
		for (k = 0; k < 8; k++)
		{
			sorted[i].prefix <<= 8;
			if (k < sorted[i].nbytes)
				sorted[i].prefix |= codes[sorted[i].offset + k];
		}
		max_len = Max(max_len, (int) touches);
	}
	keys = palloc_extended(Max(n_kept, 1) * sizeof(SortKey), MCXT_ALLOC_HUGE);
	sort_paths(sorted, codes, n_kept, keys);

	/* size of the result */
	size = offsetof(PathSummary, data);
	for (c = 0; c < n_channels; c++)
	{
		int			len;

		(void) strdict_string(b->channels, order[c], &len);
		size = add_size(size, (Size) len + 1);
	}
	for (i = 0; i < n_kept; i++)
	{
		const SortedPath *sp = &sorted[i];

		size = add_size(size, 1 + leb128_len(sp->touches) + sp->nbytes +
						sizeof(double) * sp->nterms);
		if (size > MaxAllocSize)
			too_large_error("path summary");
	}

	/* write it */
	result = palloc0(size);
	SET_VARSIZE(result, size);
	result->version = PS_VERSION;
	result->n_channels = n_channels;
	result->n_paths = (int32) n_kept;
	result->max_path_len = max_len;
	out = result->data;
	for (c = 0; c < n_channels; c++)
	{
		int			len;
		const char *name = strdict_string(b->channels, order[c], &len);

		memcpy(out, name, len);
		out[len] = '\0';
		out += len + 1;
	}
	for (i = 0; i < n_kept; i++)
	{
		const SortedPath *sp = &sorted[keys[i].index];

		CHECK_FOR_INTERRUPTS();
		*out++ = (char) sp->flags;
		out += leb128_put((unsigned char *) out, sp->touches);
		memcpy(out, codes + sp->offset, sp->nbytes);
		out += sp->nbytes;
		memcpy(out, term_store + sp->term_offset, sizeof(double) * sp->nterms);
		out += sizeof(double) * sp->nterms;
	}
	Assert(out == (char *) result + size);

	pfree(used);
	pfree(order);
	pfree(new_id);
	pfree(sorted);
	pfree(keys);
	pfree(term_store);
	pfree(codes);
	return result;
}

/* ---------- the binary form (also the serialized internal state) ---------- */

static void
wire_write_quantity(StringInfo buf, const ExactSum *sum)
{
	double		terms[EXACTSUM_MAX_TERMS];
	int			n = exactsum_terms(sum, terms);
	int			t;

	pq_sendbyte(buf, (uint8) n);
	for (t = 0; t < n; t++)
		pq_sendfloat8(buf, terms[t]);
}

/*
 * What the binary form and the flat state begin with: the version byte,
 * int32 number of channels, each as int32 length and bytes (ids in this
 * order), and int32 number of paths.
 */
static void
write_head(StringInfo buf, int version, const PathBuilder *b)
{
	int			n_channels = strdict_size(b->channels);
	int			c;

	pq_sendbyte(buf, version);
	pq_sendint32(buf, n_channels);
	for (c = 0; c < n_channels; c++)
	{
		int			len;
		const char *name = strdict_string(b->channels, c, &len);

		pq_sendint32(buf, len);
		pq_sendbytes(buf, name, len);
	}
	pq_sendint32(buf, (int32) b->n_paths);
}

void
builder_write_wire(StringInfo buf, PathBuilder *b)
{
	uint32		i;

	write_head(buf, PS_WIRE_VERSION, b);
	for (i = 0; i < b->n_paths; i++)
	{
		const PathRec *rec = &b->paths[i];
		const unsigned char *p = b->arena + rec->offset;
		const unsigned char *end = p + rec->nbytes;
		uint32		touches = 0;
		int			count_at = buf->len;
		int			q;

		CHECK_FOR_INTERRUPTS();
		pq_sendint32(buf, 0);	/* the number of touches, filled in below */
		while (p < end)
		{
			uint32		id = 0;

			p = channel_code_get(p, end, &id);
			pq_sendint32(buf, id);
			touches++;
		}
		touches = pg_hton32(touches);
		memcpy(buf->data + count_at, &touches, sizeof(touches));
		for (q = 0; q < PS_QUANTITIES; q++)
			wire_write_quantity(buf, &rec->sums[q]);
	}
}

/*
 * Parse the binary form into a new builder (in the current memory context),
 * validating everything.  Names from a client are converted to the server
 * encoding.
 */
PathBuilder *
builder_read_wire(BinReader *in)
{
	PathBuilder *b = builder_create();
	bool		from_client = in->source == BIN_CLIENT;
	int32		n_channels;
	int32		n_paths;
	int32		i;

	bin_version(in, PS_WIRE_VERSION);
	n_channels = bin_count(in, 0, PS_MAX_CHANNELS, 4, "channels");
	for (i = 0; i < n_channels; i++)
	{
		int			name_len;
		const char *name = bin_name(in, &name_len, from_client, i + 1);

		if (builder_intern_channel(b, name, name_len) != i)
			bin_error(in, "Channel %d appears twice.", i + 1);
	}
	/* a path takes at least 7 bytes: its length and three term counts */
	n_paths = bin_count(in, 0, PG_INT32_MAX, 7, "paths");
	for (i = 0; i < n_paths; i++)
	{
		int32		touches;
		int32		t;
		ExactSum	sums[PS_QUANTITIES];
		int			q;

		CHECK_FOR_INTERRUPTS();
		touches = bin_count(in, 0, PG_INT32_MAX, 4, "touches of a path");
		probe_reset(b);
		for (t = 0; t < touches; t++)
		{
			uint32		id = (uint32) bin_int32(in);

			if (id >= (uint32) n_channels)
				bin_error(in, "Path %d refers to channel %u of %d.", i + 1, id, n_channels);
			probe_append(b, id);
		}
		for (q = 0; q < PS_QUANTITIES; q++)
		{
			int			nterms = bin_byte(in);

			if (nterms > EXACTSUM_MAX_TERMS)
				bin_error(in, "Path %d has a number of %d terms.", i + 1, nterms);
			read_terms(in, nterms, &sums[q], i + 1);
		}
		check_read_entry(in, touches, sums, i + 1);
		builder_add_probe_sums(b, sums);
	}
	bin_end(in, "path");
	return b;
}

/* ---------- the aggregates ---------- */

static PathBuilder *state_or_new(FunctionCallInfo fcinfo, MemoryContext aggcontext);

/*
 * The aggregates path_agg() and merge(path_summary) have a storable state,
 * path_agg_state (see aggstate.h): a PathBuilder in an expanded object while
 * they run.  Its flat form:
 *		version byte
 *		int32 number of channels, each as int32 length and bytes (ids in
 *			this order)
 *		int32 number of paths, each as: the length in bytes of its code
 *			(LEB128), the code (channel ids in the code above), a flags
 *			byte like the stored form's (bits 0-1, 2-3, 4-5 the number of
 *			terms of conversions, value and non-conversions; bit 6 value is
 *			the same as conversions), then the terms, float8
 * Paths are in the builder's order (first appearance), not sorted: the final
 * function sorts once, where the partial states meet.  A path takes its code
 * plus about 10 bytes per non-zero quantity.
 */
#define PATH_STATE_VERSION 1
#define PATH_STATE_TYPE "path_agg_state"

static void
path_state_write(void *state, StringInfo buf)
{
	PathBuilder *b = state;
	uint32		i;

	write_head(buf, PATH_STATE_VERSION, b);
	for (i = 0; i < b->n_paths; i++)
	{
		const PathRec *rec = &b->paths[i];
		double		terms[PS_QUANTITIES][EXACTSUM_MAX_TERMS];
		int			nterms[PS_QUANTITIES];
		unsigned char head[5 + 1];
		int			head_len;
		uint8		flags;
		int			q;
		int			t;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		flags = path_rec_terms(rec, terms, nterms);
		head_len = leb128_put(head, rec->nbytes);
		pq_sendbytes(buf, (const char *) head, head_len);
		pq_sendbytes(buf, (const char *) b->arena + rec->offset, rec->nbytes);
		pq_sendbyte(buf, flags);
		for (q = 0; q < PS_QUANTITIES; q++)
			for (t = 0; t < nterms[q]; t++)
				pq_sendfloat8(buf, terms[q][t]);
	}
}

/*
 * Read a flat state, validating all of it, and add its paths to b; with b
 * NULL, only validate (the input functions).
 */
static void
path_state_read(BinReader *in, PathBuilder *b)
{
	StringInfo	msg = in->msg;
	int32		n_channels;
	int32		n_paths;
	int		   *map;
	StrDict    *seen = NULL;
	int32		i;

	bin_version(in, PATH_STATE_VERSION);
	n_channels = bin_count(in, 0, PS_MAX_CHANNELS, 4, "channels");
	map = palloc(Max(n_channels, 1) * sizeof(int));
	if (b == NULL)
		seen = strdict_create(Max(n_channels, 16));
	for (i = 0; i < n_channels; i++)
	{
		int			len;
		const char *name = bin_name(in, &len, false, i + 1);

		if (b != NULL)
			map[i] = builder_intern_channel(b, name, len);
		else if (strdict_intern(seen, name, len) != i)
			bin_error(in, "Channel %d appears twice.", i + 1);
	}
	/* a path takes at least 3 bytes: its length, one channel, its flags */
	n_paths = bin_count(in, 0, PG_INT32_MAX, 3, "paths");
	for (i = 0; i < n_paths; i++)
	{
		const unsigned char *start = (const unsigned char *) msg->data + msg->cursor;
		const unsigned char *end = (const unsigned char *) msg->data + msg->len;
		const unsigned char *p;
		const unsigned char *code_end;
		uint32		nbytes = 0;
		int			touches = 0;
		ExactSum	sums[PS_QUANTITIES];
		uint8		flags;
		int			q;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		p = leb128_get(start, end, &nbytes);
		if (p == NULL || nbytes > (Size) (end - p))
			bin_error(in, "The code of path %d is cut off.", i + 1);
		if (nbytes == 0)
			bin_error(in, "Path %d has no channel.", i + 1);
		code_end = p + nbytes;
		if (b != NULL)
			probe_reset(b);
		while (p < code_end)
		{
			uint32		id = 0;

			p = channel_code_get(p, code_end, &id);
			if (p == NULL || id >= (uint32) n_channels)
				bin_error(in, "Path %d refers to a channel that is not in the state.", i + 1);
			if (b != NULL)
				probe_append(b, map[id]);
			touches++;
		}
		msg->cursor += code_end - start;
		flags = (uint8) bin_byte(in);
		if ((flags & 0x80) != 0 ||
			((flags & PS_FLAG_VALUE_IS_CONVERSIONS) != 0 && ((flags >> 2) & 3) != 0))
			bin_error(in, "The flags of path %d are invalid.", i + 1);
		for (q = 0; q < PS_QUANTITIES; q++)
			read_terms(in, (flags >> (2 * q)) & 3, &sums[q], i + 1);
		if (flags & PS_FLAG_VALUE_IS_CONVERSIONS)
			sums[PS_VALUE] = sums[PS_CONVERSIONS];
		check_read_entry(in, touches, sums, i + 1);
		if (b != NULL)
			builder_add_probe_sums(b, sums);
	}
	bin_end(in, "path");
	pfree(map);
}

static void *
path_state_create(void)
{
	return builder_create();
}

static void
path_state_merge_flat(void *state, BinReader *in)
{
	path_state_read(in, (PathBuilder *) state);
}

/* validate without a builder */
static void
path_state_validate(BinReader *in)
{
	path_state_read(in, NULL);
}

static void
path_state_merge_state(void *state, void *other)
{
	builder_merge((PathBuilder *) state, (PathBuilder *) other);
}

static const AggStateKind path_state_kind = {
	PATH_STATE_TYPE, path_state_create, path_state_write, path_state_merge_flat, path_state_merge_state,
	path_state_validate
};

/* type I/O of path_agg_state */

Datum
attribution_path_agg_state_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(aggstate_type_in(PG_GETARG_CSTRING(0), &path_state_kind));
}

Datum
attribution_path_agg_state_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(aggstate_type_out(PG_GETARG_DATUM(0)));
}

Datum
attribution_path_agg_state_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(aggstate_type_recv((StringInfo) PG_GETARG_POINTER(0), &path_state_kind));
}

Datum
attribution_path_agg_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(aggstate_type_send(PG_GETARG_DATUM(0)));
}

/*
 * The transition functions.  Each form's row reader (a PathRowAdder)
 * checks and detoasts its arguments in the per-row context and adds the
 * row to the builder in the state's context.  Every transition function
 * exists twice: for the storable state, and with the `internal` state that
 * version 0.1.0 declared (kept so that a database still on 0.1.0 works
 * with this library until it is updated).
 */
typedef void (*PathRowAdder) (FunctionCallInfo fcinfo, PathBuilder *b, MemoryContext cxt);

static Datum
path_trans(FunctionCallInfo fcinfo, bool storable, PathRowAdder add, const char *name)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, name);
	ExpandedAggState *eas;

	/* a journey without a path (or a NULL summary) is skipped, like NULLs in sum() */
	if (PG_ARGISNULL(1))
		return agg_state_unchanged(fcinfo);
	if (!storable)
	{
		PathBuilder *b = state_or_new(fcinfo, aggcontext);

		add(fcinfo, b, aggcontext);
		PG_RETURN_POINTER(b);
	}
	eas = aggstate_for_update(fcinfo, 0, &path_state_kind, aggcontext);
	add(fcinfo, eas->state, eas->hdr.eoh_context);
	aggstate_changed(eas);
	PG_RETURN_DATUM(aggstate_datum(eas));
}

/* path_agg(path text[], converted bool [, value float8]) */
static void
add_journey_row(FunctionCallInfo fcinfo, PathBuilder *b, MemoryContext cxt)
{
	MemoryContext old;
	bool		converted;
	double		value = 1.0;
	ArrayType  *path;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("converted must not be null"),
				 errdetail("Every journey either converted or did not."),
				 errhint("Use coalesce(converted, false) to count journeys of unknown outcome as not converted.")));
	converted = PG_GETARG_BOOL(2);
	if (PG_NARGS() > 3)
	{
		value = PG_ARGISNULL(3) ? 0.0 : PG_GETARG_FLOAT8(3);
		check_row_quantity(value, "value");
	}
	/* detoast in the per-row context, before switching */
	path = PG_GETARG_ARRAYTYPE_P(1);
	old = MemoryContextSwitchTo(cxt);
	if (converted)
		builder_add_row(b, path, 1.0, value, 0.0);
	else
		builder_add_row(b, path, 0.0, 0.0, 1.0);
	MemoryContextSwitchTo(old);
}

/* path_agg(path text[], conversions float8, value float8, non_conversions float8) */
static void
add_counts_row(FunctionCallInfo fcinfo, PathBuilder *b, MemoryContext cxt)
{
	MemoryContext old;
	double		quantities[PS_QUANTITIES];
	ArrayType  *path;
	int			q;

	for (q = 0; q < PS_QUANTITIES; q++)
	{
		/* NULL counts as 0, as in sum() */
		quantities[q] = PG_ARGISNULL(q + 2) ? 0.0 : PG_GETARG_FLOAT8(q + 2);
		check_row_quantity(quantities[q], quantity_names[q]);
	}
	if (quantities[PS_CONVERSIONS] == 0 && quantities[PS_VALUE] != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value without conversions"),
				 errdetail("A row has value %g but no conversions.", quantities[PS_VALUE]),
				 errhint("Value is the value of the conversions of a path; give it with the conversions it belongs to.")));
	path = PG_GETARG_ARRAYTYPE_P(1);
	old = MemoryContextSwitchTo(cxt);
	builder_add_row(b, path, quantities[PS_CONVERSIONS],
					quantities[PS_VALUE], quantities[PS_NON_CONVERSIONS]);
	MemoryContextSwitchTo(old);
}

/* merge(path_summary) */
static void
add_summary_row(FunctionCallInfo fcinfo, PathBuilder *b, MemoryContext cxt)
{
	PathSummary *summary = PG_GETARG_PATH_SUMMARY_P(1);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	builder_add_summary(b, summary);
	MemoryContextSwitchTo(old);
}

Datum
attribution_path_agg_state_trans(PG_FUNCTION_ARGS)
{
	return path_trans(fcinfo, true, add_journey_row, "path_agg");
}

Datum
attribution_path_agg_state_counts_trans(PG_FUNCTION_ARGS)
{
	return path_trans(fcinfo, true, add_counts_row, "path_agg");
}

Datum
attribution_path_summary_merge_state_trans(PG_FUNCTION_ARGS)
{
	return path_trans(fcinfo, true, add_summary_row, "merge");
}

Datum
attribution_path_agg_state_combine(PG_FUNCTION_ARGS)
{
	return aggstate_combine(fcinfo, &path_state_kind, "path_agg combine");
}

/* the final function writes a sorted copy: the state does not change */
Datum
attribution_path_agg_state_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(builder_finish(aggstate_read(PG_GETARG_DATUM(0), &path_state_kind)));
}

/* the functions of version 0.1.0, with an internal state */

static PathBuilder *
state_or_new(FunctionCallInfo fcinfo, MemoryContext aggcontext)
{
	PathBuilder *b;
	MemoryContext old;

	if (!PG_ARGISNULL(0))
		return (PathBuilder *) PG_GETARG_POINTER(0);
	old = MemoryContextSwitchTo(aggcontext);
	b = builder_create();
	MemoryContextSwitchTo(old);
	return b;
}

Datum
attribution_path_agg_trans(PG_FUNCTION_ARGS)
{
	return path_trans(fcinfo, false, add_journey_row, "path_agg");
}

Datum
attribution_path_agg_counts_trans(PG_FUNCTION_ARGS)
{
	return path_trans(fcinfo, false, add_counts_row, "path_agg");
}

Datum
attribution_path_summary_merge_trans(PG_FUNCTION_ARGS)
{
	return path_trans(fcinfo, false, add_summary_row, "merge");
}

Datum
attribution_path_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "path_agg combine");
	PathBuilder *dst;
	MemoryContext old;

	if (PG_ARGISNULL(1))
		return agg_state_unchanged(fcinfo);
	/* with no first state, copy the second into the aggregate context */
	dst = state_or_new(fcinfo, aggcontext);
	old = MemoryContextSwitchTo(aggcontext);
	builder_merge(dst, (PathBuilder *) PG_GETARG_POINTER(1));
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(dst);
}

Datum
attribution_path_agg_serialize(PG_FUNCTION_ARGS)
{
	PathBuilder *b = (PathBuilder *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	builder_write_wire(&buf, b);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
attribution_path_agg_deserialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	BinReader	in;

	bin_message(&buf, (struct varlena *) PG_GETARG_BYTEA_PP(0));
	bin_init(&in, &buf, "path_agg", BIN_SERIALIZED);
	PG_RETURN_POINTER(builder_read_wire(&in));
}

/*
 * The final function does not change the state (FINALFUNC_MODIFY =
 * READ_ONLY): it writes a sorted copy.
 */
Datum
attribution_path_agg_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(builder_finish((PathBuilder *) PG_GETARG_POINTER(0)));
}
