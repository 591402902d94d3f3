/*
 * arena.h
 *		A bump allocator for many small aggregate states that live and die
 *		with one memory context (an aggregate context).
 *
 * palloc rounds small requests up to a power of two and adds a chunk
 * header; a journey's summary state of 150 bytes would take 256.  With a
 * million groups in one hash aggregate that difference decides whether the
 * hash table fits in work_mem.  An Arena carves exact, MAXALIGNed pieces
 * out of large blocks palloc'd in the context (so the executor still
 * accounts for them) and forgets its blocks when the context is reset.
 * Pieces are never freed one by one.
 */
#ifndef ATTRIBUTION_ARENA_H
#define ATTRIBUTION_ARENA_H

#include "postgres.h"

typedef struct ArenaSet ArenaSet;

/* a set of arenas, one per memory context, kept in long-lived memory */
extern ArenaSet *arenaset_create(MemoryContext owner);
/* size bytes, MAXALIGNed, zeroed, that live as long as context */
extern void *arena_alloc0(ArenaSet *set, MemoryContext context, Size size);

#endif							/* ATTRIBUTION_ARENA_H */
