/*
 * u64map.h
 *		A simplehash table from uint64 keys to int32 indexes, for the states,
 *		transitions and (channel, position) pairs of the path models.
 *
 *		keymap_hash *map = keymap_create(CurrentMemoryContext, size, NULL);
 *		KeyEntry *entry = keymap_insert(map, key, &found);
 *		if (!found) entry->index = ...;
 */
#ifndef ATTRIBUTION_U64MAP_H
#define ATTRIBUTION_U64MAP_H

#include "postgres.h"

/* a 64-bit finalizer (from MurmurHash3): every key bit affects the hash */
static inline uint32
mix64(uint64 k)
{
	k ^= k >> 33;
	k *= UINT64CONST(0xff51afd7ed558ccd);
	k ^= k >> 33;
	k *= UINT64CONST(0xc4ceb9fe1a85ec53);
	k ^= k >> 33;
	return (uint32) k;
}

typedef struct KeyEntry
{
	uint64		key;
	int32		index;
	uint32		hash;
	char		status;
} KeyEntry;

#define SH_PREFIX keymap
#define SH_ELEMENT_TYPE KeyEntry
#define SH_KEY_TYPE uint64
#define SH_KEY key
#define SH_HASH_KEY(tb, key) mix64(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

#endif							/* ATTRIBUTION_U64MAP_H */
