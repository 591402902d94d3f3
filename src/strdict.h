/*
 * strdict.h
 *		A dictionary of strings (channel names, stage names): each distinct
 *		string gets a dense index 0, 1, 2, ... in order of first insertion.
 *
 * Strings are stored once, back to back, in one growing buffer; a simplehash
 * table maps them to their index.  All memory comes from the context that was
 * current at strdict_create(), so a dictionary kept in an aggregate state
 * lives in the aggregate context and is freed with it.
 */
#ifndef ATTRIBUTION_STRDICT_H
#define ATTRIBUTION_STRDICT_H

#include "postgres.h"

typedef struct StrDict StrDict;

extern StrDict *strdict_create(int expected_size);
/* index of the string, inserting it when new */
extern int	strdict_intern(StrDict *dict, const char *str, int len);
/* index of the string, or -1 */
extern int	strdict_lookup(StrDict *dict, const char *str, int len);
extern int	strdict_size(const StrDict *dict);
/* the string of an index (NUL-terminated; valid until the next intern) */
extern const char *strdict_string(const StrDict *dict, int index, int *len);
/* bytes the dictionary holds, for size estimates */
extern Size strdict_memory(const StrDict *dict);

/* bytewise comparison of two strings, the order used in every tie-break */
extern int	strdict_compare_bytes(const char *a, int alen, const char *b, int blen);

#endif							/* ATTRIBUTION_STRDICT_H */
