/*
 * markov.c
 *		Markov-chain attribution over a path summary, solved exactly:
 *		markov(ps, chain_order) and transition_matrix(ps, chain_order).
 *
 * The chain.  Consecutive repeats of a channel are collapsed first.  For
 * order k, the state after a touch is the tuple of the last k channels (the
 * first touches of a path, with fewer before them, give shorter tuples, as if
 * the path were padded with the start).  Each path of the summary, weighted by
 * its journeys (conversions + non-conversions), walks start -> its states ->
 * conversion (weight conversions) or null (weight non-conversions); the
 * transition probabilities are the walked weights normalised per state.
 *
 * P(conversion) is the probability of absorption into conversion from start.
 * The value analogue weights each state's conversion transition by the mean
 * value per conversion of the paths ending there, which is the same as
 * absorbing the value of those paths.  Removing a channel redirects every
 * state whose tuple contains it to null; the removal effect is
 * 1 - P(conversion without it) / P(conversion).  Credits are the removal
 * effects normalised to the total conversions (and, with the value removal
 * effects, to the total value).
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
 */
#include "postgres.h"

#include "compat.h"

#include <float.h>
#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "attribution.h"
#include "path_summary.h"
#include "u64map.h"
#include "utils/memutils.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(attribution_markov);
PG_FUNCTION_INFO_V1(attribution_transition_matrix);

#define MAX_CHAIN_ORDER 4
#define SOLVER_TOLERANCE 1e-14
#define SOLVER_MAX_SWEEPS 100000
/* components up to this size are always solved by elimination */
#define DENSE_ALWAYS 64
/* and none larger than this */
#define DENSE_MAX 2048
/* sweeps assumed when comparing the cost of elimination and iteration */
#define SWEEPS_ESTIMATE 50

/*
 * The memory of one call.  markov() and transition_matrix() allocate the
 * chain and the solver in a memory context of their own, and every
 * allocation whose size grows with the chain is checked first against
 * attribution.max_memory: the call fails before it takes more, however
 * large the summary (a chain of order 4 can take a hundred times the
 * summary's size).  What a hash table will take when it grows is checked
 * before the insertion that grows it.
 */
static MemoryContext budget_context = NULL;
static const char *budget_function = NULL;

/* start the budget of a call: returns the context to switch back to */
static MemoryContext
budget_start(const char *function)
{
	budget_context = AllocSetContextCreate(CurrentMemoryContext, "Markov chain", ALLOCSET_DEFAULT_SIZES);
	budget_function = function;
	return MemoryContextSwitchTo(budget_context);
}

static void
budget_end(MemoryContext old)
{
	MemoryContextSwitchTo(old);
	MemoryContextDelete(budget_context);
	budget_context = NULL;
}

/* may the call take extra more bytes? */
static void
budget_check(Size extra)
{
	Size		needed;

	Assert(budget_context != NULL);
	needed = add_size(MemoryContextMemAllocated(budget_context, true), extra);
	if (needed > attribution_max_memory())
		attribution_memory_error(budget_function, needed, "The Markov chain of this path summary with its solver");
}

static void *
chain_alloc(Size size, int flags)
{
	budget_check(size);
	return palloc_extended(size, flags | MCXT_ALLOC_HUGE);
}

/* before inserting into a hash table: what its growth would take */
static inline void
budget_check_keymap(keymap_hash *map)
{
	if (map->members >= map->grow_threshold)
		budget_check(mul_size(map->size * 2, sizeof(KeyEntry)));
}

/* a state's tuple packed in 16-bit slots, oldest channel first; slot = id + 1 */
static inline uint64
pack_tuple(const int32 *channels, int len)
{
	uint64		key = 0;
	int			j;

	for (j = 0; j < len; j++)
		key |= (uint64) (channels[j] + 1) << (16 * (MAX_CHAIN_ORDER - 1 - j));
	return key;
}

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

/* growing arrays while the chain is built */
typedef struct ChainBuild
{
	keymap_hash *states;
	uint64	   *keys;
	double	   *start_weight;
	double	   *conv_weight;
	double	   *null_weight;
	double	   *value_weight;
	int32		n_states;
	int32		states_allocated;
	keymap_hash *edge_map;
	int32	   *edge_from;
	int32	   *edge_to;
	double	   *edge_weight;
	int64		n_edges;
	int64		edges_allocated;
	/* when the tuple space is small, direct tables instead of hashing */
	int32	   *dense_state;	/* dense tuple id -> state, or -1 */
	double	   *dense_weight;	/* dense id * n_channels + next channel -> weight */
	int			n_channels;
} ChainBuild;

/* direct tables up to these many entries (int32 each) */
#define DENSE_STATES_MAX (1 << 21)
#define DENSE_EDGES_MAX (1 << 22)

/* a number for a tuple, unique over all tuples of up to order channels */
static inline int64
dense_tuple_id(const int32 *channels, int len, int n_channels)
{
	int64		id = 0;
	int			j;

	for (j = 0; j < len; j++)
		id = id * (n_channels + 1) + channels[j] + 1;
	return id;
}

static void *
grow_array(void *array, Size element_size, int64 new_count)
{
	Size		bytes = mul_size(element_size, (Size) new_count);

	if (bytes > MaxAllocHugeSize / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("Markov chain too large")));
	budget_check(bytes);
	return repalloc_huge(array, bytes);
}

static int32
build_state(ChainBuild *cb, uint64 key, int64 dense_id)
{
	bool		found;
	KeyEntry   *entry = NULL;
	int32	   *slot = NULL;

	if (cb->dense_state != NULL)
	{
		slot = &cb->dense_state[dense_id];
		found = *slot >= 0;
	}
	else
	{
		budget_check_keymap(cb->states);
		entry = keymap_insert(cb->states, key, &found);
	}
	if (!found)
	{
		int32		s = cb->n_states;

		if (s == cb->states_allocated)
		{
			int32		n = cb->states_allocated * 2;

			cb->keys = grow_array(cb->keys, sizeof(uint64), n);
			cb->start_weight = grow_array(cb->start_weight, sizeof(double), n);
			cb->conv_weight = grow_array(cb->conv_weight, sizeof(double), n);
			cb->null_weight = grow_array(cb->null_weight, sizeof(double), n);
			cb->value_weight = grow_array(cb->value_weight, sizeof(double), n);
			cb->states_allocated = n;
		}
		cb->keys[s] = key;
		cb->start_weight[s] = 0;
		cb->conv_weight[s] = 0;
		cb->null_weight[s] = 0;
		cb->value_weight[s] = 0;
		if (slot != NULL)
			*slot = s;
		else
			entry->index = s;
		cb->n_states++;
	}
	return slot != NULL ? *slot : entry->index;
}

/* add weight to the edge from -> to, found by hashing */
static void
add_edge(ChainBuild *cb, int32 from, int32 to, double w)
{
	bool		found;
	KeyEntry   *entry;

	budget_check_keymap(cb->edge_map);
	entry = keymap_insert(cb->edge_map, ((uint64) (uint32) from << 32) | (uint32) to, &found);

	if (!found)
	{
		int64		e = cb->n_edges;

		if (e == cb->edges_allocated)
		{
			int64		n = cb->edges_allocated * 2;

			if (n > PG_INT32_MAX)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("Markov chain too large"),
						 errdetail("The chain has more than %d transitions.", PG_INT32_MAX / 2),
						 errhint("Use a lower chain order.")));
			cb->edge_from = grow_array(cb->edge_from, sizeof(int32), n);
			cb->edge_to = grow_array(cb->edge_to, sizeof(int32), n);
			cb->edge_weight = grow_array(cb->edge_weight, sizeof(double), n);
			cb->edges_allocated = n;
		}
		cb->edge_from[e] = from;
		cb->edge_to[e] = to;
		cb->edge_weight[e] = 0;
		entry->index = (int32) e;
		cb->n_edges++;
	}
	cb->edge_weight[entry->index] += w;
}

/*
 * Add a walked transition.  With a direct table it is one store per touch
 * (the table is listed as edges at the end, see list_dense_edges); the same
 * additions happen in the same order either way.
 */
static inline void
build_edge(ChainBuild *cb, int32 from, int32 to, int64 from_dense_id, int to_channel,
		   double w)
{
	if (cb->dense_weight != NULL)
		cb->dense_weight[from_dense_id * cb->n_channels + to_channel] += w;
	else
		add_edge(cb, from, to, w);
}

static void
list_dense_edges(ChainBuild *cb, int order, double space)
{
	int64		base = cb->n_channels + 1;
	int64		oldest = (int64) pow(base, order - 1);	/* value of an oldest digit */
	int64		d;

	for (d = 1; d < (int64) space; d++)
	{
		int32		from = cb->dense_state[d];
		int64		kept;
		int			c;

		if (from < 0)
			continue;
		CHECK_FOR_INTERRUPTS();
		/* the next tuple: a full one (order digits) drops its oldest channel */
		kept = d >= oldest ? d % oldest : d;
		for (c = 0; c < cb->n_channels; c++)
		{
			double		w = cb->dense_weight[d * cb->n_channels + c];

			if (w == 0)
				continue;
			Assert(cb->dense_state[kept * base + c + 1] >= 0);
			add_edge(cb, from, cb->dense_state[kept * base + c + 1], w);
		}
	}
}

static int
compare_keys(const void *a, const void *b, void *arg)
{
	const uint64 *keys = (const uint64 *) arg;
	uint64		ka = keys[*(const int32 *) a];
	uint64		kb = keys[*(const int32 *) b];

	return (ka > kb) - (ka < kb);
}

typedef struct EdgeSort
{
	int32		from;
	int32		to;
	double		weight;
} EdgeSort;

static int
compare_edges(const void *a, const void *b, void *arg)
{
	const EdgeSort *ea = (const EdgeSort *) a;
	const EdgeSort *eb = (const EdgeSort *) b;

	if (ea->from != eb->from)
		return (ea->from > eb->from) - (ea->from < eb->from);
	return (ea->to > eb->to) - (ea->to < eb->to);
}

/* renumber the states in tuple order and lay out the transitions (CSR) */
static void
chain_finish(MarkovChain *mc, ChainBuild *cb)
{
	int32		n = cb->n_states;
	int32	   *order = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	int32	   *rank = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	EdgeSort   *edges = chain_alloc(Max(cb->n_edges, 1) * sizeof(EdgeSort), MCXT_ALLOC_HUGE);
	int32	   *channel_count;
	int32		s;
	int64		e;
	int			c;

	for (s = 0; s < n; s++)
		order[s] = s;
	qsort_interruptible(order, n, sizeof(int32), compare_keys, cb->keys);
	for (s = 0; s < n; s++)
		rank[order[s]] = s;

	mc->n_states = n;
	mc->keys = chain_alloc(Max(n, 1) * sizeof(uint64), MCXT_ALLOC_HUGE);
	mc->start_weight = chain_alloc(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	mc->conv_weight = chain_alloc(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	mc->null_weight = chain_alloc(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	mc->value_weight = chain_alloc(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	mc->out_total = chain_alloc(Max(n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	for (s = 0; s < n; s++)
	{
		int32		old = order[s];

		INTERRUPT_EVERY(s);
		mc->keys[s] = cb->keys[old];
		mc->start_weight[s] = cb->start_weight[old];
		mc->conv_weight[s] = cb->conv_weight[old];
		mc->null_weight[s] = cb->null_weight[old];
		mc->value_weight[s] = cb->value_weight[old];
	}

	for (e = 0; e < cb->n_edges; e++)
	{
		INTERRUPT_EVERY(e);
		edges[e].from = rank[cb->edge_from[e]];
		edges[e].to = rank[cb->edge_to[e]];
		edges[e].weight = cb->edge_weight[e];
	}
	qsort_interruptible(edges, cb->n_edges, sizeof(EdgeSort), compare_edges, NULL);
	mc->row_start = chain_alloc((n + 1) * sizeof(int64), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	mc->col = chain_alloc(Max(cb->n_edges, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	mc->weight = chain_alloc(Max(cb->n_edges, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	for (e = 0; e < cb->n_edges; e++)
	{
		INTERRUPT_EVERY(e);
		mc->row_start[edges[e].from + 1]++;
		mc->col[e] = edges[e].to;
		mc->weight[e] = edges[e].weight;
	}
	for (s = 0; s < n; s++)
		mc->row_start[s + 1] += mc->row_start[s];

	/* the weight leaving each state, summed in a fixed order */
	for (s = 0; s < n; s++)
	{
		double		out = 0;

		INTERRUPT_EVERY(s);
		for (e = mc->row_start[s]; e < mc->row_start[s + 1]; e++)
			out += mc->weight[e];
		mc->out_total[s] = out + mc->conv_weight[s] + mc->null_weight[s];
	}
	mc->start_total = 0;
	mc->value_is_conversions = true;
	mc->start_states = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	mc->n_start_states = 0;
	for (s = 0; s < n; s++)
	{
		mc->start_total += mc->start_weight[s];
		if (mc->start_weight[s] > 0)
			mc->start_states[mc->n_start_states++] = s;
		if (mc->value_weight[s] != mc->conv_weight[s])
			mc->value_is_conversions = false;
	}

	/* the states of each channel */
	channel_count = chain_alloc((mc->n_channels + 1) * sizeof(int32), MCXT_ALLOC_ZERO);
	mc->channel_start = chain_alloc((mc->n_channels + 1) * sizeof(int32), MCXT_ALLOC_ZERO);
	for (s = 0; s < n; s++)
	{
		int			j;

		INTERRUPT_EVERY(s);
		for (j = 0; j < mc->order; j++)
		{
			int			ch = tuple_channel(mc->keys[s], j);
			int			k;
			bool		seen = false;

			if (ch < 0)
				break;
			for (k = 0; k < j; k++)
				seen |= tuple_channel(mc->keys[s], k) == ch;
			if (!seen)
				mc->channel_start[ch + 1]++;
		}
	}
	for (c = 0; c < mc->n_channels; c++)
		mc->channel_start[c + 1] += mc->channel_start[c];
	mc->channel_states = chain_alloc(Max(mc->channel_start[mc->n_channels], 1) * sizeof(int32),
										 MCXT_ALLOC_HUGE);
	for (s = 0; s < n; s++)
	{
		int			j;

		INTERRUPT_EVERY(s);
		for (j = 0; j < mc->order; j++)
		{
			int			ch = tuple_channel(mc->keys[s], j);
			int			k;
			bool		seen = false;

			if (ch < 0)
				break;
			for (k = 0; k < j; k++)
				seen |= tuple_channel(mc->keys[s], k) == ch;
			if (!seen)
				mc->channel_states[mc->channel_start[ch] + channel_count[ch]++] = s;
		}
	}
	pfree(channel_count);
	pfree(order);
	pfree(rank);
	pfree(edges);
}

/* build the chain of the given order from a summary */
static MarkovChain *
chain_build(const PathSummary *summary, int order)
{
	MarkovChain *mc = palloc0(sizeof(MarkovChain));
	ChainBuild	cb;
	PathReader	reader;
	int32	   *collapsed;

	path_reader_init(&reader, summary);
	mc->order = order;
	mc->n_channels = reader.n_channels;

	memset(&cb, 0, sizeof(cb));
	cb.states = keymap_create(CurrentMemoryContext, 256, NULL);
	cb.states_allocated = 256;
	cb.keys = palloc(cb.states_allocated * sizeof(uint64));
	cb.start_weight = palloc(cb.states_allocated * sizeof(double));
	cb.conv_weight = palloc(cb.states_allocated * sizeof(double));
	cb.null_weight = palloc(cb.states_allocated * sizeof(double));
	cb.value_weight = palloc(cb.states_allocated * sizeof(double));
	cb.edge_map = keymap_create(CurrentMemoryContext, 1024, NULL);
	cb.edges_allocated = 1024;
	cb.edge_from = palloc(cb.edges_allocated * sizeof(int32));
	cb.edge_to = palloc(cb.edges_allocated * sizeof(int32));
	cb.edge_weight = palloc(cb.edges_allocated * sizeof(double));
	cb.n_channels = reader.n_channels;
	{
		double		space = pow(reader.n_channels + 1, order);

		if (space <= DENSE_STATES_MAX)
		{
			cb.dense_state = chain_alloc((Size) space * sizeof(int32), MCXT_ALLOC_HUGE);
			memset(cb.dense_state, 0xFF, (Size) space * sizeof(int32));
		}
		if (cb.dense_state != NULL && space * reader.n_channels <= DENSE_EDGES_MAX)
			cb.dense_weight = chain_alloc((Size) space * reader.n_channels * sizeof(double),
											  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	}

	collapsed = palloc(Max(reader.max_path_len, 1) * sizeof(int32));
	while (path_reader_next(&reader))
	{
		double		journeys = reader.conversions + reader.non_conversions;
		int			m = 0;
		int			i;
		int32		prev = -1;
		int64		prev_dense_id = 0;

		CHECK_FOR_INTERRUPTS();
		csum_add(&mc->total_conversions, reader.conversions);
		csum_add(&mc->total_value, reader.value);
		csum_add(&mc->total_non_conversions, reader.non_conversions);
		if (journeys <= 0)
			continue;
		for (i = 0; i < reader.length; i++)
			if (m == 0 || collapsed[m - 1] != reader.channels[i])
				collapsed[m++] = reader.channels[i];
		for (i = 0; i < m; i++)
		{
			int			first = Max(0, i - order + 1);
			int64		dense_id = dense_tuple_id(collapsed + first, i - first + 1,
												  reader.n_channels);
			int32		s = build_state(&cb, pack_tuple(collapsed + first, i - first + 1),
										dense_id);

			if (prev < 0)
				cb.start_weight[s] += journeys;
			else
				build_edge(&cb, prev, s, prev_dense_id, collapsed[i], journeys);
			prev = s;
			prev_dense_id = dense_id;
		}
		cb.conv_weight[prev] += reader.conversions;
		cb.null_weight[prev] += reader.non_conversions;
		cb.value_weight[prev] += reader.value;
	}
	if (cb.dense_weight != NULL)
		list_dense_edges(&cb, order, pow(reader.n_channels + 1, order));
	chain_finish(mc, &cb);
	/* the chain is laid out: the build's tables are no longer needed */
	keymap_destroy(cb.states);
	keymap_destroy(cb.edge_map);
	pfree(cb.keys);
	pfree(cb.start_weight);
	pfree(cb.conv_weight);
	pfree(cb.null_weight);
	pfree(cb.value_weight);
	pfree(cb.edge_from);
	pfree(cb.edge_to);
	pfree(cb.edge_weight);
	if (cb.dense_state != NULL)
		pfree(cb.dense_state);
	if (cb.dense_weight != NULL)
		pfree(cb.dense_weight);
	pfree(collapsed);
	return mc;
}

/*
 * The solver adds and multiplies the weights of the chain, which are sums of
 * the summary's journeys: their total must stay far from the largest double.
 */
static void
chain_check_totals(const MarkovChain *mc, const char *function)
{
	ps_check_totals(csum_value(&mc->total_conversions) + csum_value(&mc->total_non_conversions),
					csum_value(&mc->total_value), function);
}

/* ---------- strongly connected components ---------- */

typedef struct Components
{
	int32		n;				/* number of components */
	int32	   *start;			/* component i: nodes[start[i] .. start[i+1]) */
	int32	   *nodes;			/* reverse topological order (sinks first) */
	int32	   *of;				/* component of each state */
	int32	   *position;		/* index of each state within its component */
} Components;

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

/* ---------- the absorption solver ---------- */

typedef struct DenseLU
{
	int32		n;
	int32		capacity;		/* largest n allocated for */
	double	   *a;				/* n x n, row-major; L below, U on and above */
	int32	   *pivot;			/* row exchanged with row k at step k */
} DenseLU;

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
	struct LocalSystem **local;
	/* scratch for sweeps: 8 vectors of the largest such component */
	double	   *sweep_scratch;
	int32		sweep_scratch_size;
	/* scratch for elimination */
	DenseLU		lu;
} Solver;

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

static void
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
	sv->local = chain_alloc(Max(sv->comp.n, 1) * sizeof(struct LocalSystem *), MCXT_ALLOC_ZERO);
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

/* ---------- dense LU factorization with partial pivoting ---------- */

static void
lu_prepare(DenseLU *lu, int32 n)
{
	if (lu->a == NULL || n > lu->capacity)
	{
		if (lu->a != NULL)
		{
			pfree(lu->a);
			pfree(lu->pivot);
		}
		lu->a = chain_alloc((Size) n * n * sizeof(double), MCXT_ALLOC_HUGE);
		lu->pivot = chain_alloc(n * sizeof(int32), 0);
		lu->capacity = n;
	}
	lu->n = n;
	memset(lu->a, 0, (Size) n * n * sizeof(double));
}

#define LU(lu, r, c) ((lu)->a[(Size) (r) * (lu)->n + (c)])

static void
lu_factor(DenseLU *lu)
{
	int32		n = lu->n;
	int32		k,
				r,
				j;

	for (k = 0; k < n; k++)
	{
		int32		pivot = k;
		double		best = fabs(LU(lu, k, k));

		CHECK_FOR_INTERRUPTS();
		for (r = k + 1; r < n; r++)
		{
			if (fabs(LU(lu, r, k)) > best)
			{
				best = fabs(LU(lu, r, k));
				pivot = r;
			}
		}
		if (best == 0)
			elog(ERROR, "singular Markov chain component");
		lu->pivot[k] = pivot;
		if (pivot != k)
		{
			for (j = 0; j < n; j++)
			{
				double		t = LU(lu, k, j);

				LU(lu, k, j) = LU(lu, pivot, j);
				LU(lu, pivot, j) = t;
			}
		}
		for (r = k + 1; r < n; r++)
		{
			double		factor = LU(lu, r, k);

			if (factor == 0)
				continue;
			factor /= LU(lu, k, k);
			LU(lu, r, k) = factor;
			for (j = k + 1; j < n; j++)
				LU(lu, r, j) -= factor * LU(lu, k, j);
		}
	}
}

/* solve A y = b in place: P A = L U, so L U y = P b */
static void
lu_solve(const DenseLU *lu, double *b)
{
	int32		n = lu->n;
	int32		k,
				j;

	/* the row exchanges first (they moved whole rows, multipliers too) */
	for (k = 0; k < n; k++)
	{
		if (lu->pivot[k] != k)
		{
			double		t = b[k];

			b[k] = b[lu->pivot[k]];
			b[lu->pivot[k]] = t;
		}
	}
	for (k = 0; k < n; k++)
		for (j = k + 1; j < n; j++)
			if (LU(lu, j, k) != 0)
				b[j] -= LU(lu, j, k) * b[k];
	for (k = n - 1; k >= 0; k--)
	{
		double		y = b[k];

		for (j = k + 1; j < n; j++)
			y -= LU(lu, k, j) * b[j];
		b[k] = y / LU(lu, k, k);
	}
}

/* solve A^T y = b in place (A = P^T L U, so A^T = U^T L^T P) */
static void
lu_solve_transposed(const DenseLU *lu, double *b)
{
	int32		n = lu->n;
	int32		k,
				j;

	for (k = 0; k < n; k++)
	{
		double		y = b[k];

		for (j = 0; j < k; j++)
			y -= LU(lu, j, k) * b[j];
		b[k] = y / LU(lu, k, k);
	}
	for (k = n - 1; k >= 0; k--)
	{
		for (j = k + 1; j < n; j++)
			b[k] -= LU(lu, j, k) * b[j];
	}
	for (k = n - 1; k >= 0; k--)
	{
		if (lu->pivot[k] != k)
		{
			double		t = b[k];

			b[k] = b[lu->pivot[k]];
			b[lu->pivot[k]] = t;
		}
	}
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
	int32		first = comp->start[i];
	int32		n = comp->start[i + 1] - first;
	int32		r;

	lu_prepare(lu, n);
	for (r = 0; r < n; r++)
	{
		int32		s = comp->nodes[first + r];
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
	int32		first = comp->start[i];
	int32		n = comp->start[i + 1] - first;
	double	   *bx = chain_alloc(n * sizeof(double), 0);
	double	   *bv = chain_alloc(n * sizeof(double), 0);
	int32		r;

	component_matrix(sv, i, &sv->lu);
	for (r = 0; r < n; r++)
	{
		int32		s = comp->nodes[first + r];
		int64		e;

		bx[r] = bv[r] = 0;
		if (sv->removed[s])
			continue;
		bx[r] = mc->conv_weight[s];
		bv[r] = mc->value_weight[s];
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
		int32		s = comp->nodes[first + r];

		/* round-off must not make a probability negative */
		sv->x[s] = Max(bx[r], 0.0);
		sv->v[s] = Max(bv[r], 0.0);
	}
	pfree(bx);
	pfree(bv);
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
/*
 * A component solved by sweeps gets a compact copy of its equations, built
 * once and reused for every channel: its states numbered 0..n-1, the
 * transitions inside it with local targets, and those leaving it.  The
 * sweeps then touch a few small arrays instead of the whole chain, which
 * matters when the chain has a million states.
 */
typedef struct LocalSystem
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
} LocalSystem;

/*
 * The local system of component i, its states in the order of the search
 * (by_state false) or in the order of their tuples (by_state true).
 */
static LocalSystem *
local_system(Solver *sv, int32 i, bool by_state)
{
	const MarkovChain *mc = sv->mc;
	const Components *comp = &sv->comp;
	int32		first = comp->start[i];
	int32		n = comp->start[i + 1] - first;
	LocalSystem *ls;
	int32	   *local_of;
	int64		inside = 0,
				outside = 0;
	int32		r;

	ls = palloc(sizeof(LocalSystem));
	ls->n = n;
	ls->node = chain_alloc(n * sizeof(int32), MCXT_ALLOC_HUGE);
	memcpy(ls->node, comp->nodes + first, n * sizeof(int32));
	if (by_state)
		qsort_interruptible(ls->node, n, sizeof(int32), compare_keys, mc->keys);
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
		comp->position[comp->nodes[first + r]] = r;
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
typedef struct SweepTrack
{
	double	   *values;			/* the vector being solved (local numbers) */
	double	   *change;			/* its change in the last sweep */
	double	   *prev_change;	/* and in the sweep before */
	double		rate;			/* estimated from the last two changes */
	double		prev_rate;
	double		known_rate;		/* the settled rate of the last jump, or 0 */
	double		largest_change;
	double		scale;			/* largest value */
	double		cross;			/* <change, prev_change> of the last sweep */
	double		norm;			/* <prev_change, prev_change> */
} SweepTrack;

static void
track_start_sweep(SweepTrack *t)
{
	double	   *swap = t->prev_change;

	t->prev_change = t->change;
	t->change = swap;
	t->largest_change = t->scale = t->cross = t->norm = 0;
}

/* record the new value of local state r */
static inline void
track_value(SweepTrack *t, int32 r, double value)
{
	double		change = value - t->values[r];

	t->values[r] = value;
	t->change[r] = change;
	t->largest_change = Max(t->largest_change, fabs(change));
	t->scale = Max(t->scale, value);
	t->cross += change * t->prev_change[r];
	t->norm += t->prev_change[r] * t->prev_change[r];
}

/* the rate from the last two changes: <d_k, d_k-1> / <d_k-1, d_k-1> */
static void
track_rate(SweepTrack *t)
{
	t->prev_rate = t->rate;
	t->rate = t->norm > 0 ? t->cross / t->norm : 0;
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

	if (t->largest_change <= 4 * DBL_EPSILON * t->scale)
		return true;
	return rate < 1 &&
		t->largest_change * Max(rate, 0.5) / (1 - rate) <= SOLVER_TOLERANCE * t->scale;
}

/*
 * Solve a component by Gauss-Seidel sweeps from 0 on its local system, with
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
		sv->sweep_scratch = chain_alloc((Size) n * 8 * sizeof(double), MCXT_ALLOC_HUGE);
		sv->sweep_scratch_size = n;
	}
	bx = sv->sweep_scratch;
	bv = bx + n;
	memset(&tx, 0, sizeof(tx));
	memset(&tv, 0, sizeof(tv));
	tx.values = bv + n;
	tx.change = tx.values + n;
	tx.prev_change = tx.change + n;
	tv.values = tx.prev_change + n;
	tv.change = tv.values + n;
	tv.prev_change = tv.change + n;

	/* the constant part: conversion (value) here and from solved components */
	for (r = 0; r < n; r++)
	{
		int32		s = ls->node[r];
		int64		e;

		INTERRUPT_EVERY(r);
		tx.values[r] = tv.values[r] = 0;
		tx.change[r] = tv.change[r] = 0;
		bx[r] = bv[r] = 0;
		if (sv->removed[s])
			continue;
		bx[r] = mc->conv_weight[s];
		bv[r] = mc->value_weight[s];
		for (e = ls->ext_start[r]; e < ls->ext_start[r + 1]; e++)
		{
			bx[r] += ls->ext_weight[e] * sv->x[ls->ext_col[e]];
			bv[r] += ls->ext_weight[e] * sv->v[ls->ext_col[e]];
		}
	}

	for (sweep = 1; sweep <= SOLVER_MAX_SWEEPS && !converged; sweep++)
	{
		const double *restrict weight = ls->weight;
		const int32 *restrict col = ls->col;

		CHECK_FOR_INTERRUPTS();
		track_start_sweep(&tx);
		if (two)
			track_start_sweep(&tv);
		for (r = 0; r < n; r++)
		{
			double		x = bx[r];
			int64		e;

			INTERRUPT_EVERY(r);
			if (sv->removed[ls->node[r]])
			{
				tx.change[r] = tv.change[r] = 0;
				continue;
			}
			if (two)
			{
				double		v = bv[r];

				for (e = ls->row_start[r]; e < ls->row_start[r + 1]; e++)
				{
					x += weight[e] * tx.values[col[e]];
					v += weight[e] * tv.values[col[e]];
				}
				track_value(&tv, r, v / ls->out[r]);
			}
			else
			{
				for (e = ls->row_start[r]; e < ls->row_start[r + 1]; e++)
					x += weight[e] * tx.values[col[e]];
			}
			track_value(&tx, r, x / ls->out[r]);
		}
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
	const Components *comp = &sv->comp;
	int32		first = comp->start[i];
	int32		n = comp->start[i + 1] - first;
	int64		edges = 0;
	int32		r;

	if (n == 1)
	{
		int32		s = comp->nodes[first];

		if (sv->removed[s])
			sv->x[s] = sv->v[s] = 0;
		else
			solve_single(sv, s);
		return;
	}
	for (r = first; r < first + n; r++)
	{
		int32		s = comp->nodes[r];

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
static void
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
static void
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
 * for value with v in place of x.  Returns false, computing nothing, when a
 * component is too large for the dense inverse.
 */
#define ORDER1_DENSE_MAX 1024

static bool
order1_removal_effects(Solver *sv, double full_x, double full_v,
					   double *effect, double *value_effect)
{
	const MarkovChain *mc = sv->mc;
	const Components *comp = &sv->comp;
	int32		n = mc->n_states;
	int64		n_edges = mc->row_start[n];
	int64	   *in_start;
	int32	   *in_from;
	double	   *in_weight;
	double	   *u;				/* expected visits / out_total */
	double	   *visits;
	double	   *diagonal;		/* G(s,s) */
	double	   *column;
	int32		s,
				i;
	int64		e;

	for (i = 0; i < comp->n; i++)
		if (comp->start[i + 1] - comp->start[i] > ORDER1_DENSE_MAX)
			return false;

	/* the transitions by target state */
	in_start = chain_alloc((n + 1) * sizeof(int64), MCXT_ALLOC_ZERO);
	in_from = chain_alloc(Max(n_edges, 1) * sizeof(int32), 0);
	in_weight = chain_alloc(Max(n_edges, 1) * sizeof(double), 0);
	for (e = 0; e < n_edges; e++)
	{
		INTERRUPT_EVERY(e);
		in_start[mc->col[e] + 1]++;
	}
	for (s = 0; s < n; s++)
		in_start[s + 1] += in_start[s];
	{
		int64	   *fill = chain_alloc(Max(n, 1) * sizeof(int64), 0);

		memcpy(fill, in_start, n * sizeof(int64));
		for (s = 0; s < n; s++)
		{
			INTERRUPT_EVERY(s);
			for (e = mc->row_start[s]; e < mc->row_start[s + 1]; e++)
			{
				in_from[fill[mc->col[e]]] = s;
				in_weight[fill[mc->col[e]]++] = mc->weight[e];
			}
		}
		pfree(fill);
	}

	u = chain_alloc(Max(n, 1) * sizeof(double), MCXT_ALLOC_ZERO);
	visits = chain_alloc(Max(n, 1) * sizeof(double), MCXT_ALLOC_ZERO);
	diagonal = chain_alloc(Max(n, 1) * sizeof(double), 0);
	column = chain_alloc(Max(n, 1) * sizeof(double), 0);

	/* components from the sources on: Tarjan emitted them sinks first */
	for (i = comp->n - 1; i >= 0; i--)
	{
		int32		first = comp->start[i];
		int32		size = comp->start[i + 1] - first;
		int32		r,
					k;

		CHECK_FOR_INTERRUPTS();
		/* inflow from start and from the components already done */
		for (r = 0; r < size; r++)
		{
			int32		t = comp->nodes[first + r];
			double		inflow = mc->start_weight[t];

			for (e = in_start[t]; e < in_start[t + 1]; e++)
				if (comp->of[in_from[e]] != i)
					inflow += u[in_from[e]] * in_weight[e];
			column[r] = inflow;
		}
		if (size == 1)
		{
			int32		t = comp->nodes[first];

			visits[t] = column[0];
			u[t] = visits[t] / mc->out_total[t];
			diagonal[t] = 1;	/* no self-loops: a state is never revisited */
			continue;
		}
		component_matrix(sv, i, &sv->lu);
		lu_factor(&sv->lu);
		lu_solve_transposed(&sv->lu, column);
		for (r = 0; r < size; r++)
		{
			int32		t = comp->nodes[first + r];

			u[t] = Max(column[r], 0.0);
			visits[t] = u[t] * mc->out_total[t];
		}
		for (r = 0; r < size; r++)
		{
			int32		t = comp->nodes[first + r];

			CHECK_FOR_INTERRUPTS();
			for (k = 0; k < size; k++)
				column[k] = k == r ? 1 : 0;
			lu_solve(&sv->lu, column);
			diagonal[t] = column[r] * mc->out_total[t];
		}
	}

	/*
	 * Expected visits grow with the length of the loops of a component; past
	 * the range of double precision the removal effects come from solving
	 * the chain once per channel instead, whose values stay within 0 to 1.
	 */
	for (s = 0; s < n; s++)
	{
		if (!isfinite(visits[s]) || !isfinite(diagonal[s]) || !(diagonal[s] > 0))
		{
			pfree(in_start);
			pfree(in_from);
			pfree(in_weight);
			pfree(u);
			pfree(visits);
			pfree(diagonal);
			pfree(column);
			return false;
		}
	}
	for (s = 0; s < n; s++)
	{
		int			c = tuple_channel(mc->keys[s], 0);

		INTERRUPT_EVERY(s);
		if (full_x > 0)
			effect[c] = Min(Max(visits[s] * sv->x[s] / (diagonal[s] * full_x), 0.0), 1.0);
		if (full_v > 0)
			value_effect[c] = Min(Max(visits[s] * sv->v[s] / (diagonal[s] * full_v), 0.0), 1.0);
	}
	pfree(in_start);
	pfree(in_from);
	pfree(in_weight);
	pfree(u);
	pfree(visits);
	pfree(diagonal);
	pfree(column);
	return true;
}

/*
 * Removal effects by solving the chain once per channel, with the states of
 * the channel redirected to null.
 */
static void
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

static int
get_chain_order(FunctionCallInfo fcinfo)
{
	int32		order = PG_GETARG_INT32(1);

	if (order < 1 || order > MAX_CHAIN_ORDER)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("chain_order must be between 1 and %d", MAX_CHAIN_ORDER),
				 errdetail("chain_order was %d.", order),
				 errhint("Order 1 (the default) looks at the last channel; higher orders need many more journeys per state.")));
	return order;
}

/*
 * markov(ps, chain_order) returns (channel, removal_effect, conversions, value)
 * per channel, in bytewise order of the channel names.
 */
Datum
attribution_markov(PG_FUNCTION_ARGS)
{
	PathSummary *summary = PG_GETARG_PATH_SUMMARY_P(0);
	int			order = get_chain_order(fcinfo);
	TupleDesc	tupdesc;
	Tuplestorestate *store = ps_materialize_srf(fcinfo, &tupdesc);
	MarkovChain *mc;
	Solver		sv;
	PathReader	names;
	MemoryContext old;
	double		full_x,
				full_v;
	double	   *effect;
	double	   *value_effect;
	double		sum_effect = 0,
				sum_value_effect = 0;
	int			c;

	if (summary->n_paths == 0)
		return (Datum) 0;
	old = budget_start("markov");
	mc = chain_build(summary, order);
	chain_check_totals(mc, "markov");
	if (csum_value(&mc->total_non_conversions) == 0)
		ereport(NOTICE,
				(errmsg("the path summary has no non-conversions"),
				 errdetail("Every journey converted, so the Markov model only measures how often a channel lies on the paths to conversion."),
				 errhint("Include the journeys that did not convert for removal effects that reflect conversion rates.")));

	solver_init(&sv, mc);
	solve_chain(&sv, -1);
	absorbed_from_start(&sv, &full_x, &full_v);
	effect = chain_alloc(Max(mc->n_channels, 1) * sizeof(double), MCXT_ALLOC_ZERO);
	value_effect = chain_alloc(Max(mc->n_channels, 1) * sizeof(double), MCXT_ALLOC_ZERO);
	if (order > 1 || !order1_removal_effects(&sv, full_x, full_v, effect, value_effect))
		removal_effects_by_solving(&sv, full_x, full_v, effect, value_effect);
	for (c = 0; c < mc->n_channels; c++)
	{
		sum_effect += effect[c];
		sum_value_effect += value_effect[c];
	}

	path_reader_init(&names, summary);
	for (c = 0; c < mc->n_channels; c++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = PointerGetDatum(path_reader_channel_text(&names, c));
		values[1] = Float8GetDatum(effect[c]);
		values[2] = Float8GetDatum(sum_effect > 0 ?
								   effect[c] / sum_effect * csum_value(&mc->total_conversions) : 0.0);
		values[3] = Float8GetDatum(sum_value_effect > 0 ?
								   value_effect[c] / sum_value_effect * csum_value(&mc->total_value) : 0.0);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	budget_end(old);
	return (Datum) 0;
}

/* the name of a state, its channels joined by ">", built in buf */
static text *
state_name(StringInfo buf, const PathReader *names, uint64 key)
{
	int			j;

	resetStringInfo(buf);
	for (j = 0; j < MAX_CHAIN_ORDER; j++)
	{
		int			ch = tuple_channel(key, j);

		if (ch < 0)
			break;
		if (j > 0)
			appendStringInfoChar(buf, '>');
		appendBinaryStringInfo(buf, names->names[ch], names->name_lens[ch]);
	}
	return cstring_to_text_with_len(buf->data, buf->len);
}

static void
put_transition(Tuplestorestate *store, TupleDesc tupdesc, text *from, text *to,
			   double probability)
{
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = PointerGetDatum(from);
	values[1] = PointerGetDatum(to);
	values[2] = Float8GetDatum(probability);
	tuplestore_putvalues(store, tupdesc, values, nulls);
}

/*
 * transition_matrix(ps, chain_order) returns (from_state, to_state,
 * probability): from (start) first, then the states in order of their
 * tuples; per source, the target states in the same order, then
 * (conversion) and (null).  The names of the states are made as the rows
 * are written and freed with each source state, so the memory beyond the
 * chain's own is one state's rows, whatever the number of states (the
 * result itself goes to a tuplestore, which spills to disk past work_mem).
 */
Datum
attribution_transition_matrix(PG_FUNCTION_ARGS)
{
	PathSummary *summary = PG_GETARG_PATH_SUMMARY_P(0);
	int			order = get_chain_order(fcinfo);
	TupleDesc	tupdesc;
	Tuplestorestate *store = ps_materialize_srf(fcinfo, &tupdesc);
	MarkovChain *mc;
	PathReader	names;
	MemoryContext row_context;
	MemoryContext old;
	StringInfoData from_buf;
	StringInfoData to_buf;
	text	   *start_name = cstring_to_text("(start)");
	text	   *conversion_name = cstring_to_text("(conversion)");
	text	   *null_name = cstring_to_text("(null)");
	int32		s;

	if (summary->n_paths == 0)
		return (Datum) 0;
	old = budget_start("transition_matrix");
	mc = chain_build(summary, order);
	chain_check_totals(mc, "transition_matrix");
	path_reader_init(&names, summary);
	initStringInfo(&from_buf);
	initStringInfo(&to_buf);
	row_context = AllocSetContextCreate(CurrentMemoryContext, "transition_matrix rows",
										ALLOCSET_SMALL_SIZES);
	MemoryContextSwitchTo(row_context);
	for (s = 0; s < mc->n_states; s++)
	{
		INTERRUPT_EVERY(s);
		if (mc->start_weight[s] > 0)
		{
			put_transition(store, tupdesc, start_name, state_name(&to_buf, &names, mc->keys[s]),
						   mc->start_weight[s] / mc->start_total);
			MemoryContextReset(row_context);
		}
	}
	for (s = 0; s < mc->n_states; s++)
	{
		text	   *from = state_name(&from_buf, &names, mc->keys[s]);
		int64		e;

		CHECK_FOR_INTERRUPTS();
		for (e = mc->row_start[s]; e < mc->row_start[s + 1]; e++)
		{
			put_transition(store, tupdesc, from, state_name(&to_buf, &names, mc->keys[mc->col[e]]),
						   mc->weight[e] / mc->out_total[s]);
			INTERRUPT_EVERY(e);
		}
		if (mc->conv_weight[s] > 0)
			put_transition(store, tupdesc, from, conversion_name,
						   mc->conv_weight[s] / mc->out_total[s]);
		if (mc->null_weight[s] > 0)
			put_transition(store, tupdesc, from, null_name,
						   mc->null_weight[s] / mc->out_total[s]);
		MemoryContextReset(row_context);
	}
	budget_end(old);
	return (Datum) 0;
}
