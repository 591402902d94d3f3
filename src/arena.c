/*
 * arena.c
 *		Bump allocation of small states inside a memory context; see arena.h.
 */
#include "postgres.h"

#include "arena.h"
#include "utils/memutils.h"

#define ARENA_FIRST_BLOCK (8 * 1024)
#define ARENA_MAX_BLOCK (1024 * 1024)
/* grouping sets use one aggregate context per set: a few arenas suffice */
#define MAX_ARENAS 16

typedef struct Arena
{
	MemoryContext context;		/* NULL: unused, or its context was reset */
	char	   *free;			/* next free byte of the current block */
	Size		left;			/* bytes left in the current block */
	Size		next_block;		/* size of the next block */
	MemoryContextCallback on_reset;
} Arena;

struct ArenaSet
{
	Arena		arenas[MAX_ARENAS];
};

static void
arena_forget(void *arg)
{
	Arena	   *arena = arg;

	arena->context = NULL;
	arena->free = NULL;
	arena->left = 0;
}

ArenaSet *
arenaset_create(MemoryContext owner)
{
	return MemoryContextAllocZero(owner, sizeof(ArenaSet));
}

static Arena *
arena_for(ArenaSet *set, MemoryContext context)
{
	Arena	   *unused = NULL;
	int			i;

	for (i = 0; i < MAX_ARENAS; i++)
	{
		if (set->arenas[i].context == context)
			return &set->arenas[i];
		if (set->arenas[i].context == NULL && unused == NULL)
			unused = &set->arenas[i];
	}
	if (unused == NULL)
		elog(ERROR, "too many aggregate contexts for one arena set");
	/* the callback was removed when it fired (or never registered): safe to reuse */
	unused->context = context;
	unused->free = NULL;
	unused->left = 0;
	unused->next_block = ARENA_FIRST_BLOCK;
	unused->on_reset.func = arena_forget;
	unused->on_reset.arg = unused;
	MemoryContextRegisterResetCallback(context, &unused->on_reset);
	return unused;
}

void *
arena_alloc0(ArenaSet *set, MemoryContext context, Size size)
{
	Arena	   *arena = arena_for(set, context);
	void	   *piece;

	size = MAXALIGN(size);
	if (size > arena->left)
	{
		Size		block = Max(arena->next_block, size);

		arena->free = MemoryContextAlloc(context, block);
		arena->left = block;
		arena->next_block = Min(arena->next_block * 2, ARENA_MAX_BLOCK);
	}
	piece = arena->free;
	arena->free += size;
	arena->left -= size;
	memset(piece, 0, size);
	return piece;
}
