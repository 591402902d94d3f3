/*
 * markov_solve.c
 *		The absorption solver of the Markov model and the removal effects:
 *		strongly connected components, elimination and Gauss-Seidel sweeps per
 *		component, and the removal effect of every channel.
 *
 *
 * The solver.  Absorption probabilities satisfy, per transient state s,
 *		out(s) x(s) = conv(s) + sum over edges s->t of w(s,t) x(t)
 * with weights in journeys (not probabilities), which keeps simple cases
 * exact.  The states are split into strongly connected components (Tarjan);
 * components are solved in reverse topological order, so a component only
 * depends on solved ones.  A component of one state is solved directly (there
 * are no self-loops: repeats are collapsed); a small or dense component by
 * Gaussian elimination with partial pivoting; a large sparse one by
 * Gauss-Seidel sweeps with extrapolation (see solve_iterative), until the
 * error bound estimated from the contraction of the sweeps is below
 * SOLVER_TOLERANCE relative to the largest value (at most SOLVER_MAX_SWEEPS
 * sweeps; then the component is solved by elimination if it is not too large,
 * else an error is raised).
 *
 * Removal effects.  At order 1 a channel is one state, and all removal
 * effects follow from one solve of the expected visits and the diagonal of
 * each component's inverse (see order1_removal_effects).  At higher orders a
 * channel is many states; each channel is one more solve with its states
 * removed, in which the components that neither contain one of them nor reach
 * one keep the values of the full chain.
 *
 * Memory.  For S states, E transitions and K components: the components
 * take 16 S bytes, the solution vectors 32 S (with the full chain's kept
 * while channels are removed), the predecessors of each component 12 E at
 * most, the compact copy of each component solved by sweeps about 20 of its
 * states and 12 of its transitions, sweeps 64 bytes per state of the largest
 * such component, and elimination 8 n^2 bytes for a component of n states
 * (at most DENSE_MAX).  Order 1 adds 20 E + 36 S bytes for the transitions by
 * target and the expected visits, and the dense inverse of dense_lu.c for
 * each component of more than one state.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"
#include "attribution.h"
#include "markov.h"

/* ---------- strongly connected components ---------- */

typedef struct TarjanFrame
{
	int32		node;
	int64		edge;
} TarjanFrame;

static int
compare_finish(const void *a, const void *b, void *arg)
{
	const int32 *finish = (const int32 *) arg;
	int32		x = finish[*(const int32 *) a];
	int32		y = finish[*(const int32 *) b];

	return (x > y) - (x < y);
}

static void
find_components(const MarkovChain *mc, Components *comp)
{
	int32		n = mc->n_states;
	int32	   *index = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	int32	   *low = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	bool	   *on_stack = chain_alloc(Max(n, 1) * sizeof(bool), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	int32	   *stack = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	TarjanFrame *frames = chain_alloc(Max(n, 1) * sizeof(TarjanFrame), MCXT_ALLOC_HUGE);
	int32	   *finish = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	int32		finished = 0;
	int32		stack_top = 0;
	int32		counter = 0;
	int32		emitted = 0;
	int32		root;

	comp->n = 0;
	comp->start = chain_alloc((n + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	comp->nodes = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	comp->of = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	comp->position = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	for (root = 0; root < n; root++)
		index[root] = -1;

	for (root = 0; root < n; root++)
	{
		int32		depth = 0;

		if (index[root] >= 0)
			continue;
		frames[0].node = root;
		frames[0].edge = mc->row_start[root];
		index[root] = low[root] = counter++;
		stack[stack_top++] = root;
		on_stack[root] = true;
		depth = 1;
		while (depth > 0)
		{
			TarjanFrame *f = &frames[depth - 1];
			int32		u = f->node;

			CHECK_FOR_INTERRUPTS();
			if (f->edge < mc->row_start[u + 1])
			{
				int32		w = mc->col[f->edge++];

				if (index[w] < 0)
				{
					index[w] = low[w] = counter++;
					stack[stack_top++] = w;
					on_stack[w] = true;
					frames[depth].node = w;
					frames[depth].edge = mc->row_start[w];
					depth++;
				}
				else if (on_stack[w])
					low[u] = Min(low[u], index[w]);
				continue;
			}
			/* u is finished */
			finish[u] = finished++;
			if (low[u] == index[u])
			{
				int32		size = 0;
				int32		w;

				comp->start[comp->n] = emitted;
				do
				{
					w = stack[--stack_top];
					on_stack[w] = false;
					comp->of[w] = comp->n;
					comp->position[w] = size++;
					comp->nodes[emitted++] = w;
				} while (w != u);
				comp->n++;
			}
			depth--;
			if (depth > 0)
			{
				int32		parent = frames[depth - 1].node;

				low[parent] = Min(low[parent], low[u]);
			}
		}
		CHECK_FOR_INTERRUPTS();
	}
	comp->start[comp->n] = emitted;

	/*
	 * Within a component, list the states in the order the depth-first search
	 * finished them: a state's successors tend to come first, so one sweep
	 * carries values a long way along the chains of a sparse chain.
	 */
	for (root = 0; root < comp->n; root++)
	{
		int32		first = comp->start[root];
		int32		last = comp->start[root + 1];
		int32		r;

		INTERRUPT_EVERY(root);
		if (last - first < 2)
			continue;
		qsort_interruptible(comp->nodes + first, last - first, sizeof(int32), compare_finish, finish);
		for (r = first; r < last; r++)
			comp->position[comp->nodes[r]] = r - first;
	}
	pfree(finish);
	pfree(index);
	pfree(low);
	pfree(on_stack);
	pfree(stack);
	pfree(frames);
}


/*
 * Renumber the states in the order of the components (sinks first, each
 * component's states together), so that solving the components one after
 * the other reads every array of the chain sequentially.  The states were in
 * order of their tuples, which only the transition matrix needs.
 */
static void
chain_renumber(MarkovChain *mc, Components *comp)
{
	int32		n = mc->n_states;
	int64		n_edges = mc->row_start[n];
	int32	   *rank = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	int64	   *row_start = chain_alloc((n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	int32	   *col = chain_alloc(Max(n_edges, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	double	   *weight = chain_alloc(Max(n_edges, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	double	   *scratch = chain_alloc(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	uint64	   *keys = chain_alloc(Max(n, 1) * sizeof(uint64), MCXT_ALLOC_HUGE);
	double	   *per_state[6];
	int32		s,
				k;
	int			a;

	for (s = 0; s < n; s++)
		rank[comp->nodes[s]] = s;
	/* transitions, each state's in the same order as before */
	row_start[0] = 0;
	for (s = 0; s < n; s++)
	{
		int32		old = comp->nodes[s];
		int64		e;
		int64		out = row_start[s];

		INTERRUPT_EVERY(s);
		for (e = mc->row_start[old]; e < mc->row_start[old + 1]; e++)
		{
			col[out] = rank[mc->col[e]];
			weight[out++] = mc->weight[e];
		}
		row_start[s + 1] = out;
		keys[s] = mc->keys[old];
	}
	pfree(mc->row_start);
	pfree(mc->col);
	pfree(mc->weight);
	pfree(mc->keys);
	mc->row_start = row_start;
	mc->col = col;
	mc->weight = weight;
	mc->keys = keys;
	/* the arrays per state */
	per_state[0] = mc->out_total;
	per_state[1] = mc->conv_weight;
	per_state[2] = mc->null_weight;
	per_state[3] = mc->value_weight;
	per_state[4] = mc->start_weight;
	per_state[5] = NULL;
	for (a = 0; per_state[a] != NULL; a++)
	{
		for (s = 0; s < n; s++)
			scratch[s] = per_state[a][comp->nodes[s]];
		memcpy(per_state[a], scratch, n * sizeof(double));
	}
	for (k = 0; k < mc->channel_start[mc->n_channels]; k++)
		mc->channel_states[k] = rank[mc->channel_states[k]];
	for (k = 0; k < mc->n_start_states; k++)
		mc->start_states[k] = rank[mc->start_states[k]];
	/* the components now list states 0, 1, 2, ... */
	{
		int32	   *of = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
		int32	   *position = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);

		for (s = 0; s < n; s++)
		{
			of[s] = comp->of[comp->nodes[s]];
			position[s] = comp->position[comp->nodes[s]];
		}
		for (s = 0; s < n; s++)
			comp->nodes[s] = s;
		pfree(comp->of);
		pfree(comp->position);
		comp->of = of;
		comp->position = position;
	}
	pfree(rank);
	pfree(scratch);
}

void
solver_init(Solver *sv, MarkovChain *mc)
{
	int32		n = Max(mc->n_states, 1);

	sv->mc = mc;
	find_components(mc, &sv->comp);
	chain_renumber(mc, &sv->comp);
	sv->x = chain_alloc(n * sizeof(double), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	sv->v = chain_alloc(n * sizeof(double), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	sv->x_full = NULL;
	sv->v_full = NULL;
	sv->removed = chain_alloc(n * sizeof(bool), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	sv->local = chain_alloc(Max(sv->comp.n, 1) * sizeof(LocalSystem *), MCXT_ALLOC_ZERO);
	sv->redone = NULL;
	sv->n_redone = 0;
	sv->pred_start = NULL;
	sv->pred = NULL;
	sv->mark = NULL;
	sv->sweep_scratch = NULL;
	sv->sweep_scratch_size = 0;
	memset(&sv->lu, 0, sizeof(sv->lu));
}

/* a state with every neighbour solved: one step */
static void
solve_single(Solver *sv, int32 s)
{
	const MarkovChain *mc = sv->mc;
	const double *restrict xs = sv->x;
	const double *restrict vs = sv->v;
	const double *restrict weight = mc->weight;
	const int32 *restrict col = mc->col;
	int64		end = mc->row_start[s + 1];
	double		x = mc->conv_weight[s];
	double		v = mc->value_weight[s];
	int64		e;

	/* without values of their own, the value vector is the conversion one */
	if (mc->value_is_conversions)
	{
		for (e = mc->row_start[s]; e < end; e++)
			x += weight[e] * xs[col[e]];
		sv->x[s] = sv->v[s] = x / mc->out_total[s];
		return;
	}
	for (e = mc->row_start[s]; e < end; e++)
	{
		x += weight[e] * xs[col[e]];
		v += weight[e] * vs[col[e]];
	}
	sv->x[s] = x / mc->out_total[s];
	sv->v[s] = v / mc->out_total[s];
}


/* the states of component i in comp->nodes, *n of them */
static inline const int32 *
component_nodes(const Components *comp, int32 i, int32 *n)
{
	*n = comp->start[i + 1] - comp->start[i];
	return comp->nodes + comp->start[i];
}

/*
 * Start the constant part of state s's equations, its own conversions and
 * value: false (both 0) when the state is removed, and nothing is to be
 * added from its transitions.
 */
static inline bool
rhs_start(const Solver *sv, int32 s, double *bx, double *bv)
{
	*bx = *bv = 0;
	if (sv->removed[s])
		return false;
	*bx = sv->mc->conv_weight[s];
	*bv = sv->mc->value_weight[s];
	return true;
}

/*
 * The matrix of component i, out(s) on the diagonal and -w(s,t) for the
 * transitions inside it (a removed state gets the row of x = 0).
 */
static void
component_matrix(Solver *sv, int32 i, DenseLU *lu)
{
	const MarkovChain *mc = sv->mc;
	const Components *comp = &sv->comp;
	int32		n;
	const int32 *nodes = component_nodes(comp, i, &n);
	int32		r;

	lu_prepare(lu, n);
	for (r = 0; r < n; r++)
	{
		int32		s = nodes[r];
		int64		e;

		if (sv->removed[s])
		{
			LU(lu, r, r) = 1;
			continue;
		}
		LU(lu, r, r) = mc->out_total[s];
		for (e = mc->row_start[s]; e < mc->row_start[s + 1]; e++)
			if (comp->of[mc->col[e]] == i)
				LU(lu, r, comp->position[mc->col[e]]) -= mc->weight[e];
	}
}

/* solve component i by elimination */
static void
solve_dense(Solver *sv, int32 i)
{
	const MarkovChain *mc = sv->mc;
	const Components *comp = &sv->comp;
	int32		n;
	const int32 *nodes = component_nodes(comp, i, &n);
	double	   *bx = chain_alloc(n * sizeof(double), 0);
	double	   *bv = chain_alloc(n * sizeof(double), 0);
	int32		r;

	component_matrix(sv, i, &sv->lu);
	for (r = 0; r < n; r++)
	{
		int32		s = nodes[r];
		int64		e;

		if (!rhs_start(sv, s, &bx[r], &bv[r]))
			continue;
		for (e = mc->row_start[s]; e < mc->row_start[s + 1]; e++)
		{
			int32		t = mc->col[e];

			if (comp->of[t] != i)
			{
				bx[r] += mc->weight[e] * sv->x[t];
				bv[r] += mc->weight[e] * sv->v[t];
			}
		}
	}
	lu_factor(&sv->lu);
	lu_solve(&sv->lu, bx);
	lu_solve(&sv->lu, bv);
	for (r = 0; r < n; r++)
	{
		int32		s = nodes[r];

		/* round-off must not make a probability negative */
		sv->x[s] = Max(bx[r], 0.0);
		sv->v[s] = Max(bv[r], 0.0);
	}
	pfree(bx);
	pfree(bv);
}
/*
 * A component solved by sweeps gets a compact copy of its equations, built
 * once and reused for every channel: its states numbered 0..n-1, the
 * transitions inside it with local targets, and those leaving it.  The
 * sweeps then touch a few small arrays instead of the whole chain, which
 * matters when the chain has a million states.
 */
struct LocalSystem
{
	int32		n;
	int32	   *node;			/* local number -> state */
	double	   *out;			/* out_total of each */
	int64	   *row_start;		/* transitions inside, by local source */
	int32	   *col;			/* local targets */
	double	   *weight;
	int64	   *ext_start;		/* transitions leaving the component */
	int32	   *ext_col;		/* target states */
	double	   *ext_weight;
};

/*
 * The local system of component i, its states in the order of the search
 * (by_state false) or in the order of their tuples (by_state true).
 */
static LocalSystem *
local_system(Solver *sv, int32 i, bool by_state)
{
	const MarkovChain *mc = sv->mc;
	const Components *comp = &sv->comp;
	int32		n;
	const int32 *nodes = component_nodes(comp, i, &n);
	LocalSystem *ls;
	int32	   *local_of;
	int64		inside = 0,
				outside = 0;
	int32		r;

	ls = palloc(sizeof(LocalSystem));
	ls->n = n;
	ls->node = chain_alloc(n * sizeof(int32), MCXT_ALLOC_HUGE);
	memcpy(ls->node, nodes, n * sizeof(int32));
	if (by_state)
		qsort_interruptible(ls->node, n, sizeof(int32), compare_state_keys, mc->keys);
	/* local numbers, through the scratch position array of the component */
	local_of = comp->position;
	for (r = 0; r < n; r++)
		local_of[ls->node[r]] = r;
	for (r = 0; r < n; r++)
	{
		int32		s = ls->node[r];
		int64		e;

		INTERRUPT_EVERY(r);
		for (e = mc->row_start[s]; e < mc->row_start[s + 1]; e++)
		{
			if (comp->of[mc->col[e]] == i)
				inside++;
			else
				outside++;
		}
	}
	ls->out = chain_alloc(n * sizeof(double), MCXT_ALLOC_HUGE);
	ls->row_start = chain_alloc((n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	ls->col = chain_alloc(Max(inside, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	ls->weight = chain_alloc(Max(inside, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	ls->ext_start = chain_alloc((n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	ls->ext_col = chain_alloc(Max(outside, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	ls->ext_weight = chain_alloc(Max(outside, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	inside = outside = 0;
	for (r = 0; r < n; r++)
	{
		int32		s = ls->node[r];
		int64		e;

		INTERRUPT_EVERY(r);
		ls->out[r] = mc->out_total[s];
		ls->row_start[r] = inside;
		ls->ext_start[r] = outside;
		for (e = mc->row_start[s]; e < mc->row_start[s + 1]; e++)
		{
			int32		t = mc->col[e];

			if (comp->of[t] == i)
			{
				ls->col[inside] = local_of[t];
				ls->weight[inside++] = mc->weight[e];
			}
			else
			{
				ls->ext_col[outside] = t;
				ls->ext_weight[outside++] = mc->weight[e];
			}
		}
	}
	ls->row_start[n] = inside;
	ls->ext_start[n] = outside;
	/* back to positions in comp->nodes */
	for (r = 0; r < n; r++)
		comp->position[nodes[r]] = r;
	return ls;
}

static void
local_system_free(LocalSystem *ls)
{
	pfree(ls->node);
	pfree(ls->out);
	pfree(ls->row_start);
	pfree(ls->col);
	pfree(ls->weight);
	pfree(ls->ext_start);
	pfree(ls->ext_col);
	pfree(ls->ext_weight);
	pfree(ls);
}

/*
 * Extrapolation.  Gauss-Seidel sweeps on these chains soon change every
 * value by nearly the same factor each sweep: the error is dominated by one
 * eigenvector of the sweep, whose eigenvalue (the rate) is close to the
 * probability of going on instead of being absorbed.  The rate is estimated
 * from the last two changes (a Rayleigh quotient); once two successive
 * estimates agree, the remaining distance change * rate / (1 - rate) is added
 * at once (Aitken's process, applied to the dominant eigenvalue), which
 * removes that part of the error, and the sweeps go on from there.
 */
/* what one sweep measures of a vector's changes */
typedef struct SweepSums
{
	double		largest_change;
	double		scale;			/* largest value */
	double		cross;			/* <change, prev_change> */
	double		norm;			/* <prev_change, prev_change> */
} SweepSums;

typedef struct SweepTrack
{
	double	   *values;			/* the vector being solved (local numbers) */
	double	   *change;			/* its change in the last sweep */
	double	   *prev_change;	/* and in the sweep before */
	double		rate;			/* estimated from the last two changes */
	double		prev_rate;
	double		known_rate;		/* the settled rate of the last jump, or 0 */
	SweepSums	sums;			/* of the last sweep */
} SweepTrack;

/* count a state's change d, to the value x, whose change before was prev */
static inline void
sums_add(SweepSums *sums, double x, double d, double prev)
{
	sums->largest_change = Max(sums->largest_change, fabs(d));
	sums->scale = Max(sums->scale, x);
	sums->cross += d * prev;
	sums->norm += prev * prev;
}

static void
track_start_sweep(SweepTrack *t)
{
	double	   *swap = t->prev_change;

	t->prev_change = t->change;
	t->change = swap;
	memset(&t->sums, 0, sizeof(t->sums));
}

/* the rate from the last two changes: <d_k, d_k-1> / <d_k-1, d_k-1> */
static void
track_rate(SweepTrack *t)
{
	t->prev_rate = t->rate;
	t->rate = t->sums.norm > 0 ? t->sums.cross / t->sums.norm : 0;
}

/*
 * The rate to jump with, or 0: a newly settled estimate, or, once the error
 * is back to the same dominant eigenvector (the estimate is near it), the
 * rate that settled before.
 */
static double
jump_rate(const SweepTrack *t, int since_jump)
{
	if (since_jump < 3 || t->rate <= 0.1 || t->rate >= 1)
		return 0;
	if (fabs(t->rate - t->prev_rate) <= 1e-4 * t->rate)
		return t->rate;
	if (t->known_rate > 0 && since_jump >= 4 &&
		fabs(t->rate - t->known_rate) <= 0.02 * t->known_rate &&
		fabs(t->prev_rate - t->known_rate) <= 0.02 * t->known_rate)
		return t->known_rate;
	return 0;
}

static void
extrapolate(SweepTrack *t, int32 n, double rate)
{
	double		factor = rate / (1 - rate);
	int32		r;

	for (r = 0; r < n; r++)
		t->values[r] = Max(t->values[r] + t->change[r] * factor, 0.0);
	t->known_rate = rate;
	t->rate = t->prev_rate = 0;
}

/*
 * The error left is about change * rate / (1 - rate) (taking the rate as at
 * least 0.5, to be safe); changes at the level of rounding end it too, as
 * after an extrapolation the values need not settle monotonically.
 */
static bool
track_converged(const SweepTrack *t)
{
	double		rate = fabs(t->rate);

	if (t->sums.largest_change <= 4 * DBL_EPSILON * t->sums.scale)
		return true;
	return rate < 1 &&
		t->sums.largest_change * Max(rate, 0.5) / (1 - rate) <= SOLVER_TOLERANCE * t->sums.scale;
}

/*
 * One Gauss-Seidel sweep of the conversion vector over a local system,
 * recording each state's change in t; the sums of the tracking are kept in
 * locals, so that the loop over the states holds them in registers.
 */
static void
sweep_one(const LocalSystem *ls, const bool *gone, const double *b, SweepTrack *t)
{
	const double *restrict weight = ls->weight;
	const int32 *restrict col = ls->col;
	const int64 *restrict row_start = ls->row_start;
	double	   *restrict values = t->values;
	double	   *restrict change = t->change;
	const double *restrict prev_change = t->prev_change;
	SweepSums	sums = {0};
	int32		r;

	for (r = 0; r < ls->n; r++)
	{
		double		x = b[r];
		double		d;
		int64		e;

		INTERRUPT_EVERY(r);
		if (gone[r])
		{
			change[r] = 0;
			continue;
		}
		for (e = row_start[r]; e < row_start[r + 1]; e++)
			x += weight[e] * values[col[e]];
		x /= ls->out[r];
		d = x - values[r];
		values[r] = x;
		change[r] = d;
		sums_add(&sums, x, d, prev_change[r]);
	}
	t->sums = sums;
}

/* the same for the conversion and the value vector at once */
static void
sweep_two(const LocalSystem *ls, const bool *gone, const double *bx, const double *bv,
		  SweepTrack *tx, SweepTrack *tv)
{
	const double *restrict weight = ls->weight;
	const int32 *restrict col = ls->col;
	const int64 *restrict row_start = ls->row_start;
	double	   *restrict xs = tx->values;
	double	   *restrict vs = tv->values;
	SweepSums	sums_x = {0};
	SweepSums	sums_v = {0};
	int32		r;

	for (r = 0; r < ls->n; r++)
	{
		double		x = bx[r];
		double		v = bv[r];
		double		dx,
					dv;
		int64		e;

		INTERRUPT_EVERY(r);
		if (gone[r])
		{
			tx->change[r] = tv->change[r] = 0;
			continue;
		}
		for (e = row_start[r]; e < row_start[r + 1]; e++)
		{
			x += weight[e] * xs[col[e]];
			v += weight[e] * vs[col[e]];
		}
		x /= ls->out[r];
		v /= ls->out[r];
		dx = x - xs[r];
		dv = v - vs[r];
		xs[r] = x;
		vs[r] = v;
		tx->change[r] = dx;
		tv->change[r] = dv;
		sums_add(&sums_x, x, dx, tx->prev_change[r]);
		sums_add(&sums_v, v, dv, tv->prev_change[r]);
	}
	tx->sums = sums_x;
	tv->sums = sums_v;
}

/*
 * Solve a component by Gauss-Seidel sweeps from 0 (or the full solution) on its local system, with
 * extrapolation; the number of sweeps, or 0 when it did not converge within
 * SOLVER_MAX_SWEEPS.  Without values of their own (value = conversions), only
 * one vector is solved.
 */
static int
sweep_local(Solver *sv, const LocalSystem *ls)
{
	const MarkovChain *mc = sv->mc;
	int32		n = ls->n;
	bool		two = !mc->value_is_conversions;
	double	   *bx,
			   *bv;
	bool	   *gone;
	SweepTrack	tx,
				tv;
	int			since_jump = 0;
	bool		converged = false;
	int32		r;
	int			sweep;

	if (n > sv->sweep_scratch_size)
	{
		if (sv->sweep_scratch != NULL)
			pfree(sv->sweep_scratch);
		sv->sweep_scratch = chain_alloc((Size) n * (8 * sizeof(double) + sizeof(bool)),
										MCXT_ALLOC_HUGE);
		sv->sweep_scratch_size = n;
	}
	bx = sv->sweep_scratch;
	bv = bx + n;
	/* the removed states by local number, read in order by the sweeps */
	gone = (bool *) (sv->sweep_scratch + 8 * (Size) n);
	memset(&tx, 0, sizeof(tx));
	memset(&tv, 0, sizeof(tv));
	tx.values = bv + n;
	tx.change = tx.values + n;
	tx.prev_change = tx.change + n;
	tv.values = tx.prev_change + n;
	tv.change = tv.values + n;
	tv.prev_change = tv.change + n;

	/*
	 * The constant part: conversion (value) here and from solved components.
	 * The sweeps start from 0, or, with channels removed, from the full
	 * chain's solution, which is close for most channels.
	 */
	for (r = 0; r < n; r++)
	{
		int32		s = ls->node[r];
		int64		e;

		INTERRUPT_EVERY(r);
		gone[r] = sv->removed[s];
		tx.values[r] = tv.values[r] = 0;
		if (sv->x_full != NULL && !sv->removed[s])
		{
			tx.values[r] = sv->x_full[s];
			tv.values[r] = sv->v_full[s];
		}
		tx.change[r] = tv.change[r] = 0;
		if (!rhs_start(sv, s, &bx[r], &bv[r]))
			continue;
		for (e = ls->ext_start[r]; e < ls->ext_start[r + 1]; e++)
		{
			bx[r] += ls->ext_weight[e] * sv->x[ls->ext_col[e]];
			bv[r] += ls->ext_weight[e] * sv->v[ls->ext_col[e]];
		}
	}

	for (sweep = 1; sweep <= SOLVER_MAX_SWEEPS && !converged; sweep++)
	{
		CHECK_FOR_INTERRUPTS();
		track_start_sweep(&tx);
		if (two)
			track_start_sweep(&tv);
		if (two)
			sweep_two(ls, gone, bx, bv, &tx, &tv);
		else
			sweep_one(ls, gone, bx, &tx);
		since_jump++;
		if (since_jump >= 2)
		{
			track_rate(&tx);
			if (two)
				track_rate(&tv);
		}
		if (since_jump >= 3 && track_converged(&tx) && (!two || track_converged(&tv)))
		{
			converged = true;
			break;
		}
		{
			double		rate_x = jump_rate(&tx, since_jump);
			double		rate_v = two ? jump_rate(&tv, since_jump) : rate_x;

			if (rate_x > 0 && rate_v > 0)
			{
				extrapolate(&tx, n, rate_x);
				if (two)
					extrapolate(&tv, n, rate_v);
				since_jump = 0;
			}
		}
	}
	if (!converged)
		return 0;
	for (r = 0; r < n; r++)
	{
		sv->x[ls->node[r]] = tx.values[r];
		sv->v[ls->node[r]] = two ? tv.values[r] : tx.values[r];
	}
	return sweep;
}

/*
 * Solve component i by sweeps; false when they did not converge.  The order
 * of the states matters: the order of the search suits sparse chains, the
 * order of the states dense ones (and the cache).  The first solve of a
 * component, on the full chain, tries both and keeps the order that needed
 * fewer sweeps for the solves with channels removed; the solution kept is
 * that order's.
 */
static bool
solve_iterative(Solver *sv, int32 i)
{
	LocalSystem *by_search;
	LocalSystem *by_state;
	int32		n;
	double	   *saved;
	int			sweeps_search,
				sweeps_state;
	int32		r;

	if (sv->local[i] != NULL)
		return sweep_local(sv, sv->local[i]) > 0;

	by_search = local_system(sv, i, false);
	by_state = local_system(sv, i, true);
	n = by_search->n;
	sweeps_search = sweep_local(sv, by_search);
	saved = chain_alloc(2 * (Size) n * sizeof(double), MCXT_ALLOC_HUGE);
	for (r = 0; r < n; r++)
	{
		saved[r] = sv->x[by_search->node[r]];
		saved[n + r] = sv->v[by_search->node[r]];
	}
	sweeps_state = sweep_local(sv, by_state);
	if (sweeps_search > 0 && (sweeps_state == 0 || sweeps_search < sweeps_state))
	{
		for (r = 0; r < n; r++)
		{
			sv->x[by_search->node[r]] = saved[r];
			sv->v[by_search->node[r]] = saved[n + r];
		}
		sv->local[i] = by_search;
		local_system_free(by_state);
	}
	else
	{
		sv->local[i] = by_state;
		local_system_free(by_search);
	}
	pfree(saved);
	return sweeps_search > 0 || sweeps_state > 0;
}

static void
solve_component(Solver *sv, int32 i)
{
	const MarkovChain *mc = sv->mc;
	int32		n;
	const int32 *nodes = component_nodes(&sv->comp, i, &n);
	int64		edges = 0;
	int32		r;

	if (n == 1)
	{
		int32		s = nodes[0];

		if (sv->removed[s])
			sv->x[s] = sv->v[s] = 0;
		else
			solve_single(sv, s);
		return;
	}
	for (r = 0; r < n; r++)
	{
		int32		s = nodes[r];

		edges += mc->row_start[s + 1] - mc->row_start[s];
	}
	if (n <= DENSE_ALWAYS ||
		(n <= DENSE_MAX && (double) n * n * n / 3 <= (double) SWEEPS_ESTIMATE * edges))
	{
		solve_dense(sv, i);
		return;
	}
	if (solve_iterative(sv, i))
		return;
	if (n <= DENSE_MAX)
	{
		solve_dense(sv, i);
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("the Markov chain solver did not converge"),
			 errdetail("A strongly connected part of %d states did not converge in %d sweeps.",
					   n, SOLVER_MAX_SWEEPS),
			 errhint("Collapse very long loops in the paths (path_exposure, path_trim) or use a lower chain order.")));
}

/*
 * The components that lead into each component (CSR over the components:
 * pred_start[i] .. pred_start[i + 1] in pred), for finding the components
 * that reach a channel.  A component may be listed more than once.
 */
static void
find_predecessors(Solver *sv)
{
	const MarkovChain *mc = sv->mc;
	const Components *comp = &sv->comp;
	int64	   *fill;
	int32		s;
	int32		i;

	sv->pred_start = chain_alloc((comp->n + 1) * sizeof(int64), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (s = 0; s < mc->n_states; s++)
	{
		int64		e;

		if ((s & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		for (e = mc->row_start[s]; e < mc->row_start[s + 1]; e++)
			if (comp->of[mc->col[e]] != comp->of[s])
				sv->pred_start[comp->of[mc->col[e]] + 1]++;
	}
	for (i = 0; i < comp->n; i++)
		sv->pred_start[i + 1] += sv->pred_start[i];
	sv->pred = chain_alloc(Max(sv->pred_start[comp->n], 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	fill = chain_alloc(Max(comp->n, 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	memcpy(fill, sv->pred_start, comp->n * sizeof(int64));
	for (s = 0; s < mc->n_states; s++)
	{
		int64		e;

		if ((s & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		for (e = mc->row_start[s]; e < mc->row_start[s + 1]; e++)
		{
			int32		target = comp->of[mc->col[e]];

			if (target != comp->of[s])
				sv->pred[fill[target]++] = comp->of[s];
		}
	}
	pfree(fill);
	sv->mark = chain_alloc(Max(comp->n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	for (i = 0; i < comp->n; i++)
		sv->mark[i] = -1;
}

static int
compare_int32(const void *a, const void *b, void *arg)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/*
 * The components that must be solved again without channel c: those that
 * hold one of its states, and every component that leads to one of those.
 * Found by a search backwards from the channel's states, so the cost is that
 * of the components found (plus sorting them into the order of solving,
 * sinks first), not of the whole chain: over many channels whose states
 * are reached from few others, the removal effects cost about the size of
 * the chain in all, not channels times states.  Fills sv->redone.
 */
static void
find_affected(Solver *sv, int channel)
{
	const MarkovChain *mc = sv->mc;
	const Components *comp = &sv->comp;
	int32	   *found = sv->redone;
	int32		n_found = 0;
	int32		next = 0;
	int32		k;

	for (k = mc->channel_start[channel]; k < mc->channel_start[channel + 1]; k++)
	{
		int32		i = comp->of[mc->channel_states[k]];

		if (sv->mark[i] != channel)
		{
			sv->mark[i] = channel;
			found[n_found++] = i;
		}
	}
	/* found[] is the queue of the breadth-first search, too */
	while (next < n_found)
	{
		int32		i = found[next++];
		int64		e;

		if ((next & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		for (e = sv->pred_start[i]; e < sv->pred_start[i + 1]; e++)
		{
			int32		p = sv->pred[e];

			if (sv->mark[p] != channel)
			{
				sv->mark[p] = channel;
				found[n_found++] = p;
			}
		}
	}
	/*
	 * Into the order of solving: when the search found many of the
	 * components, a scan of the marks is cheaper than sorting.
	 */
	if (n_found > comp->n / 16)
	{
		int32		i;

		n_found = 0;
		for (i = 0; i < comp->n; i++)
		{
			INTERRUPT_EVERY(i);
			if (sv->mark[i] == channel)
				found[n_found++] = i;
		}
	}
	else
		qsort_interruptible(found, n_found, sizeof(int32), compare_int32, NULL);
	sv->n_redone = n_found;
}

/*
 * Solve the chain (channel < 0), or, once the full solution is known, the
 * chain with the states of a channel (marked in sv->removed) redirected to
 * null: only the components that reach the channel are solved again; the
 * others keep the values of the full chain.  sv->x holds the full values
 * outside the components listed in sv->redone, which are put back first.
 */
void
solve_chain(Solver *sv, int channel)
{
	const Components *comp = &sv->comp;
	int32		k,
				i;

	for (k = 0; k < sv->n_redone; k++)
	{
		int32		r;

		i = sv->redone[k];
		for (r = comp->start[i]; r < comp->start[i + 1]; r++)
		{
			int32		s = comp->nodes[r];

			sv->x[s] = sv->x_full[s];
			sv->v[s] = sv->v_full[s];
		}
		if ((k & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	sv->n_redone = 0;
	if (channel < 0)
	{
		for (i = 0; i < comp->n; i++)
		{
			solve_component(sv, i);
			if ((i & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		return;
	}
	find_affected(sv, channel);
	for (k = 0; k < sv->n_redone; k++)
	{
		solve_component(sv, sv->redone[k]);
		if ((k & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/* conversion and value absorbed from start, in journeys */
void
absorbed_from_start(const Solver *sv, double *conversions, double *value)
{
	const MarkovChain *mc = sv->mc;
	double		x = 0,
				v = 0;
	int32		k;

	for (k = 0; k < mc->n_start_states; k++)
	{
		int32		s = mc->start_states[k];

		INTERRUPT_EVERY(k);
		x += mc->start_weight[s] * sv->x[s];
		v += mc->start_weight[s] * sv->v[s];
	}
	*conversions = x;
	*value = v;
}


/* the transitions of the chain by target state (CSR), for order 1 */
typedef struct Incoming
{
	int64	   *start;			/* state t: from[start[t] .. start[t+1]) */
	int32	   *from;
	double	   *weight;
} Incoming;

static void
incoming_build(const MarkovChain *mc, Incoming *in)
{
	int32		n = mc->n_states;
	int64		n_edges = mc->row_start[n];
	int64	   *fill;
	int32		s;
	int64		e;

	in->start = chain_alloc((n + 1) * sizeof(int64), MCXT_ALLOC_ZERO);
	in->from = chain_alloc(Max(n_edges, 1) * sizeof(int32), 0);
	in->weight = chain_alloc(Max(n_edges, 1) * sizeof(double), 0);
	for (e = 0; e < n_edges; e++)
	{
		INTERRUPT_EVERY(e);
		in->start[mc->col[e] + 1]++;
	}
	for (s = 0; s < n; s++)
		in->start[s + 1] += in->start[s];
	fill = chain_alloc(Max(n, 1) * sizeof(int64), 0);
	memcpy(fill, in->start, n * sizeof(int64));
	for (s = 0; s < n; s++)
	{
		INTERRUPT_EVERY(s);
		for (e = mc->row_start[s]; e < mc->row_start[s + 1]; e++)
		{
			in->from[fill[mc->col[e]]] = s;
			in->weight[fill[mc->col[e]]++] = mc->weight[e];
		}
	}
	pfree(fill);
}

static void
incoming_free(Incoming *in)
{
	pfree(in->start);
	pfree(in->from);
	pfree(in->weight);
}

/*
 * Expected visits and the diagonal of the inverse for component i of more
 * than one state, given the inflow of each of its states in column
 * (overwritten): the component's matrix A is factored once (blocked,
 * without pivoting, see dense_lu.c); A^T u = inflow gives u = visits / out,
 * and G(s,s) = A^-1(s,s) out(s).  False when the matrix does not factor or
 * the dense inverse does not fit in attribution.max_memory.
 */
static bool
component_visits(Solver *sv, int32 i, double *column, double *u, double *visits,
				 double *diagonal)
{
	const MarkovChain *mc = sv->mc;
	const Components *comp = &sv->comp;
	int32		size;
	const int32 *nodes = component_nodes(comp, i, &size);
	Size		matrix = mul_size(mul_size(size, size), sizeof(double));
	double	   *inverse_diagonal;
	int32		r;

	/* the matrix (unless it is already allocated) and the dense inverse */
	if (!budget_allows(add_size(sv->lu.capacity >= size ? 0 : matrix,
								lu_inverse_diagonal_memory(size))))
		return false;
	component_matrix(sv, i, &sv->lu);
	if (!lu_factor_unpivoted(&sv->lu))
		return false;
	lu_solve_transposed(&sv->lu, column);
	for (r = 0; r < size; r++)
	{
		int32		t = nodes[r];

		u[t] = Max(column[r], 0.0);
		visits[t] = u[t] * mc->out_total[t];
	}
	inverse_diagonal = column;
	lu_inverse_diagonal(&sv->lu, inverse_diagonal);
	for (r = 0; r < size; r++)
	{
		int32		t = nodes[r];

		diagonal[t] = inverse_diagonal[r] * mc->out_total[t];
	}
	return true;
}

/*
 * Order 1: every channel is one state, and the chain without channel c
 * converts exactly when the chain converts without ever visiting c.  By the
 * Markov property at the first visit,
 *		P(conversion) - P(conversion without c) = P(visit c) x(c),
 * and P(visit c) = m(c) / G(c,c): the expected visits to c from start over
 * the expected visits to c starting from c (a diagonal entry of the
 * fundamental matrix, which only involves c's component).  One forward solve
 * for m and the diagonal of the inverse of each component's matrix give all
 * removal effects at once, instead of one solve per channel.  The same holds
 * for value with v in place of x.  The diagonal costs 4/3 n^3 flops and two
 * n x n matrices for a component of n states (dense_lu.c), against about
 * n x sweeps x transitions for solving once per channel.  Returns false,
 * computing nothing, when a component's dense inverse does not fit in
 * attribution.max_memory (or its matrix does not factor): the caller then
 * solves once per channel.
 */
bool
order1_removal_effects(Solver *sv, double full_x, double full_v,
					   double *effect, double *value_effect)
{
	const MarkovChain *mc = sv->mc;
	const Components *comp = &sv->comp;
	int32		n = mc->n_states;
	Incoming	in;
	double	   *u;				/* expected visits / out_total */
	double	   *visits;
	double	   *diagonal;		/* G(s,s) */
	double	   *column;
	bool		ok = true;
	int32		s,
				i;
	int64		e;

	Assert(mc->order == 1);
	incoming_build(mc, &in);
	u = chain_alloc(Max(n, 1) * sizeof(double), MCXT_ALLOC_ZERO);
	visits = chain_alloc(Max(n, 1) * sizeof(double), MCXT_ALLOC_ZERO);
	diagonal = chain_alloc(Max(n, 1) * sizeof(double), 0);
	column = chain_alloc(Max(n, 1) * sizeof(double), 0);

	/* components from the sources on: Tarjan emitted them sinks first */
	for (i = comp->n - 1; i >= 0 && ok; i--)
	{
		int32		size;
		const int32 *nodes = component_nodes(comp, i, &size);
		int32		r;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		/* inflow from start and from the components already done */
		for (r = 0; r < size; r++)
		{
			int32		t = nodes[r];
			double		inflow = mc->start_weight[t];

			for (e = in.start[t]; e < in.start[t + 1]; e++)
			{
				/* components are in reverse topological order */
				Assert(comp->of[in.from[e]] >= i);
				if (comp->of[in.from[e]] != i)
					inflow += u[in.from[e]] * in.weight[e];
			}
			column[r] = inflow;
		}
		if (size == 1)
		{
			int32		t = nodes[0];

			visits[t] = column[0];
			u[t] = visits[t] / mc->out_total[t];
			diagonal[t] = 1;	/* no self-loops: a state is never revisited */
			continue;
		}
		ok = component_visits(sv, i, column, u, visits, diagonal);
	}

	/*
	 * Expected visits grow with the length of the loops of a component; past
	 * the range of double precision the removal effects come from solving
	 * the chain once per channel instead, whose values stay within 0 to 1.
	 */
	for (s = 0; s < n && ok; s++)
		ok = isfinite(visits[s]) && isfinite(diagonal[s]) && diagonal[s] > 0;
	for (s = 0; s < n && ok; s++)
	{
		int			c = tuple_channel(mc->keys[s], 0);

		INTERRUPT_EVERY(s);
		if (full_x > 0)
			effect[c] = Min(Max(visits[s] * sv->x[s] / (diagonal[s] * full_x), 0.0), 1.0);
		if (full_v > 0)
			value_effect[c] = Min(Max(visits[s] * sv->v[s] / (diagonal[s] * full_v), 0.0), 1.0);
	}
	incoming_free(&in);
	pfree(u);
	pfree(visits);
	pfree(diagonal);
	pfree(column);
	return ok;
}

/*
 * Removal effects by solving the chain once per channel, with the states of
 * the channel redirected to null.
 */
void
removal_effects_by_solving(Solver *sv, double full_x, double full_v,
						   double *effect, double *value_effect)
{
	const MarkovChain *mc = sv->mc;
	int			c;

	sv->x_full = sv->x;
	sv->v_full = sv->v;
	sv->x = chain_alloc(Max(mc->n_states, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	sv->v = chain_alloc(Max(mc->n_states, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	memcpy(sv->x, sv->x_full, mc->n_states * sizeof(double));
	memcpy(sv->v, sv->v_full, mc->n_states * sizeof(double));
	sv->redone = chain_alloc(Max(sv->comp.n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	sv->n_redone = 0;
	find_predecessors(sv);
	for (c = 0; c < mc->n_channels; c++)
	{
		int32		k;
		double		x,
					v;

		CHECK_FOR_INTERRUPTS();
		for (k = mc->channel_start[c]; k < mc->channel_start[c + 1]; k++)
			sv->removed[mc->channel_states[k]] = true;
		solve_chain(sv, c);
		absorbed_from_start(sv, &x, &v);
		for (k = mc->channel_start[c]; k < mc->channel_start[c + 1]; k++)
			sv->removed[mc->channel_states[k]] = false;
		if (full_x > 0)
			effect[c] = Min(Max(1 - x / full_x, 0.0), 1.0);
		if (full_v > 0)
			value_effect[c] = Min(Max(1 - v / full_v, 0.0), 1.0);
	}
}
