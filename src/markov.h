/*
 * markov.h
 *		The shared structures of the Markov model, private to its three
 *		files: the chain and its memory budget (markov.c), the absorption
 *		solver and the removal effects (markov_solve.c), and dense LU
 *		factorization (dense_lu.c).
 *
 * Invariants of a built chain (checked by Asserts where they are used):
 * every weight is non-negative (and finite once the totals have been
 * checked, before anything is solved); a state never leads to itself
 * (consecutive repeats of a channel are collapsed); out_total of a state is
 * its transitions plus its conversion and null weight, so it is positive
 * and at least the weight of its transitions.
 */
#ifndef ATTRIBUTION_MARKOV_H
#define ATTRIBUTION_MARKOV_H

#include "postgres.h"

#include "attribution.h"
#include "path_summary.h"

#define MAX_CHAIN_ORDER 4
#define SOLVER_TOLERANCE 1e-14
#define SOLVER_MAX_SWEEPS 100000
/* components up to this size are always solved by elimination */
#define DENSE_ALWAYS 64
/* and none larger than this */
#define DENSE_MAX 2048
/* sweeps assumed when comparing the cost of elimination and iteration */
#define SWEEPS_ESTIMATE 50

/* ---------- the memory budget of one call (markov.c) ---------- */

/* fail unless the call may take extra more bytes */
extern void budget_check(Size extra);

/* may the call take extra more bytes? */
extern bool budget_allows(Size extra);

/* palloc_extended after budget_check (MCXT_ALLOC_HUGE always) */
extern void *chain_alloc(Size size, int flags);

/* ---------- the chain (markov.c) ---------- */

/* channel j of a state's tuple (oldest first), or -1 past its end */
static inline int
tuple_channel(uint64 key, int j)
{
	return (int) ((key >> (16 * (MAX_CHAIN_ORDER - 1 - j))) & 0xFFFF) - 1;
}

typedef struct MarkovChain
{
	int			order;
	int			n_channels;
	int			n_states;		/* transient states, sorted by tuple */
	uint64	   *keys;			/* tuple of each state */
	/* transitions between states, by source state (CSR) */
	int64	   *row_start;
	int32	   *col;
	double	   *weight;
	double	   *out_total;		/* all weight leaving a state */
	double	   *conv_weight;	/* to conversion */
	double	   *null_weight;	/* to null */
	double	   *value_weight;	/* value of the paths ending in the state */
	double	   *start_weight;	/* from start */
	double		start_total;
	/* the states containing each channel (CSR) */
	int32	   *channel_start;
	int32	   *channel_states;
	CompensatedSum total_conversions;
	CompensatedSum total_value;
	CompensatedSum total_non_conversions;
	bool		value_is_conversions;	/* value_weight == conv_weight everywhere */
	int32	   *start_states;	/* the states with start weight */
	int32		n_start_states;
} MarkovChain;

/* qsort_arg comparator of state numbers by their tuples (arg: the keys) */
static inline int
compare_state_keys(const void *a, const void *b, void *arg)
{
	const uint64 *keys = (const uint64 *) arg;
	uint64		ka = keys[*(const int32 *) a];
	uint64		kb = keys[*(const int32 *) b];

	return (ka > kb) - (ka < kb);
}

/* ---------- dense LU factorization (dense_lu.c) ---------- */

typedef struct DenseLU
{
	int32		n;
	int32		capacity;		/* largest n allocated for */
	double	   *a;				/* n x n, row-major; L below, U on and above */
	int32	   *pivot;			/* row exchanged with row k at step k */
} DenseLU;

#define LU(lu, r, c) ((lu)->a[(Size) (r) * (lu)->n + (c)])

extern void lu_prepare(DenseLU *lu, int32 n);
extern void lu_factor(DenseLU *lu);
extern bool lu_factor_unpivoted(DenseLU *lu);
extern void lu_solve(const DenseLU *lu, double *b);
extern void lu_solve_transposed(const DenseLU *lu, double *b);
extern Size lu_inverse_diagonal_memory(int32 n);
extern void lu_inverse_diagonal(DenseLU *lu, double *diagonal);

/* ---------- the solver (markov_solve.c) ---------- */

typedef struct Components
{
	int32		n;				/* number of components */
	int32	   *start;			/* component i: nodes[start[i] .. start[i+1]) */
	int32	   *nodes;			/* reverse topological order (sinks first) */
	int32	   *of;				/* component of each state */
	int32	   *position;		/* index of each state within its component */
} Components;

typedef struct LocalSystem LocalSystem;

typedef struct Solver
{
	const MarkovChain *mc;
	Components	comp;
	/* the solution being computed: conversion and value absorption */
	double	   *x;
	double	   *v;
	/* the solution of the full chain, once known */
	double	   *x_full;
	double	   *v_full;
	/* per state: removed (redirected to null) */
	bool	   *removed;
	/* components solved again for the last channel, in the order of solving */
	int32	   *redone;
	int32		n_redone;
	/* the components leading into each component (CSR), see find_predecessors */
	int64	   *pred_start;
	int32	   *pred;
	/* the last channel whose search found each component */
	int32	   *mark;
	/* per component solved by sweeps: its compact copy, built once */
	LocalSystem **local;
	/* scratch for sweeps: 8 vectors and the removed flags of the largest such component */
	double	   *sweep_scratch;
	int32		sweep_scratch_size;
	/* scratch for elimination */
	DenseLU		lu;
} Solver;

extern void solver_init(Solver *sv, MarkovChain *mc);
extern void solve_chain(Solver *sv, int channel);
extern void absorbed_from_start(const Solver *sv, double *conversions, double *value);
extern bool order1_removal_effects(Solver *sv, double full_x, double full_v,
								   double *effect, double *value_effect);
extern void removal_effects_by_solving(Solver *sv, double full_x, double full_v,
									   double *effect, double *value_effect);

#endif							/* ATTRIBUTION_MARKOV_H */
