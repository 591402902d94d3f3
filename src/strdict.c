/*
 * strdict.c
 *		Dictionary of strings with dense indexes; see strdict.h.
 *
 * The hash table stores only indexes.  A lookup of a string that is not in
 * the dictionary yet uses the reserved key PROBE_KEY, which stands for the
 * string being looked up (kept in the dictionary while the lookup runs), so
 * the table never holds a pointer into the string buffer, which moves when
 * it grows.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/memutils.h"
#include "strdict.h"

#define PROBE_KEY (-1)

typedef struct StrDictEntry
{
	int32		index;			/* key: index of the string */
	uint32		hash;
	char		status;
} StrDictEntry;

struct StrDict
{
	struct strdict_hash_hash *table;
	char	   *bytes;			/* the strings, each NUL-terminated */
	Size		bytes_used;
	Size		bytes_allocated;
	int32	   *offsets;		/* start of each string in bytes */
	int32	   *lengths;
	int			count;
	int			allocated;
	const char *probe;			/* the string PROBE_KEY stands for */
	int			probe_len;
};

static inline const char *
dict_key_string(StrDict *dict, int32 key, int *len)
{
	if (key == PROBE_KEY)
	{
		*len = dict->probe_len;
		return dict->probe;
	}
	*len = dict->lengths[key];
	return dict->bytes + dict->offsets[key];
}

static inline bool
dict_keys_equal(StrDict *dict, int32 a, int32 b)
{
	int			alen,
				blen;
	const char *astr = dict_key_string(dict, a, &alen);
	const char *bstr = dict_key_string(dict, b, &blen);

	return alen == blen && memcmp(astr, bstr, alen) == 0;
}

static inline uint32
dict_key_hash(StrDict *dict, int32 key)
{
	int			len;
	const char *str = dict_key_string(dict, key, &len);

	return hash_bytes((const unsigned char *) str, len);
}

#define SH_PREFIX strdict_hash
#define SH_ELEMENT_TYPE StrDictEntry
#define SH_KEY_TYPE int32
#define SH_KEY index
#define SH_HASH_KEY(tb, key) dict_key_hash((StrDict *) (tb)->private_data, key)
#define SH_EQUAL(tb, a, b) dict_keys_equal((StrDict *) (tb)->private_data, a, b)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

StrDict *
strdict_create(int expected_size)
{
	StrDict    *dict = palloc0(sizeof(StrDict));

	dict->allocated = Max(expected_size, 8);
	dict->offsets = palloc(dict->allocated * sizeof(int32));
	dict->lengths = palloc(dict->allocated * sizeof(int32));
	dict->bytes_allocated = 16 * dict->allocated;
	dict->bytes = palloc(dict->bytes_allocated);
	dict->table = strdict_hash_create(CurrentMemoryContext, dict->allocated, dict);
	return dict;
}

int
strdict_lookup(StrDict *dict, const char *str, int len)
{
	StrDictEntry *entry;

	dict->probe = str;
	dict->probe_len = len;
	entry = strdict_hash_lookup(dict->table, PROBE_KEY);
	return entry ? entry->index : -1;
}

static void
dict_store_string(StrDict *dict, const char *str, int len)
{
	Size		needed = add_size(dict->bytes_used, (Size) len + 1);

	if (needed > dict->bytes_allocated)
	{
		Size		new_size = Max(needed, mul_size(dict->bytes_allocated, 2));

		if (new_size > MaxAllocSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many distinct names"),
					 errdetail("The names take more than %zu bytes.", (Size) MaxAllocSize),
					 errhint("Use shorter or fewer distinct channel or stage names.")));
		dict->bytes = repalloc(dict->bytes, new_size);
		dict->bytes_allocated = new_size;
	}
	if (dict->count == dict->allocated)
	{
		if (dict->allocated >= (int) (MaxAllocSize / sizeof(int32) / 2))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many distinct names"),
					 errhint("Use fewer distinct channel or stage names.")));
		dict->allocated *= 2;
		dict->offsets = repalloc(dict->offsets, dict->allocated * sizeof(int32));
		dict->lengths = repalloc(dict->lengths, dict->allocated * sizeof(int32));
	}
	memcpy(dict->bytes + dict->bytes_used, str, len);
	dict->bytes[dict->bytes_used + len] = '\0';
	dict->offsets[dict->count] = (int32) dict->bytes_used;
	dict->lengths[dict->count] = len;
	dict->bytes_used = needed;
}

int
strdict_intern(StrDict *dict, const char *str, int len)
{
	StrDictEntry *entry;
	bool		found;

	dict->probe = str;
	dict->probe_len = len;
	entry = strdict_hash_insert(dict->table, PROBE_KEY, &found);
	if (!found)
	{
		/* the new entry was stored under the probe key: give it its index */
		dict_store_string(dict, str, len);
		entry->index = dict->count++;
	}
	return entry->index;
}

int
strdict_size(const StrDict *dict)
{
	return dict->count;
}

const char *
strdict_string(const StrDict *dict, int index, int *len)
{
	Assert(index >= 0 && index < dict->count);
	if (len)
		*len = dict->lengths[index];
	return dict->bytes + dict->offsets[index];
}

Size
strdict_memory(const StrDict *dict)
{
	return sizeof(StrDict) + dict->bytes_allocated +
		2 * sizeof(int32) * dict->allocated +
		sizeof(StrDictEntry) * dict->table->size;
}

int
strdict_compare_bytes(const char *a, int alen, const char *b, int blen)
{
	int			cmp = memcmp(a, b, Min(alen, blen));

	if (cmp != 0)
		return cmp;
	return (alen > blen) - (alen < blen);
}
