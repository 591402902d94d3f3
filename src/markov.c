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
 * This file builds the chain and holds the SQL-callable functions; the
 * solver is in markov_solve.c, the dense elimination in dense_lu.c, their
 * shared structures in markov.h.
 *
 * Memory.  With S states and E transitions, the built chain takes about
 * 60 S + 12 E bytes (a key, five doubles and an offset per state, a target
 * and a weight per transition) and 4 bytes per channel of each state's
 * tuple (the states of each channel); building it
 * takes, for a while, hash tables of about 3 S and 3 E entries of 24 bytes,
 * or direct tables of (C+1)^k entries when those are small.  The solver adds
 * about 60 S + 12 E bytes (components, solutions, the copy of each large
 * component solved by sweeps), and at order 1 two dense matrices of 8 n^2
 * bytes each for the largest component of n states (see dense_lu.c) when
 * they fit in the budget.  Every such allocation is checked against
 * attribution.max_memory first.
 */
#include "postgres.h"

#include "compat.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "attribution.h"
#include "markov.h"
#include "path_summary.h"
#include "u64map.h"
#include "utils/memutils.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(attribution_markov);
PG_FUNCTION_INFO_V1(attribution_transition_matrix);


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

/* the memory the call holds, with extra more bytes */
static Size
budget_needed(Size extra)
{
	Assert(budget_context != NULL);
	return add_size(MemoryContextMemAllocated(budget_context, true), extra);
}

void
budget_check(Size extra)
{
	Size		needed = budget_needed(extra);

	if (needed > attribution_max_memory())
		attribution_memory_error(budget_function, needed, "The Markov chain of this path summary with its solver");
}

bool
budget_allows(Size extra)
{
	return budget_needed(extra) <= attribution_max_memory();
}

void *
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

/*
 * The distinct channels of a tuple of at most "order" channels, in the order
 * of their first position, into channels[]; returns how many.
 */
static inline int
tuple_distinct_channels(uint64 key, int order, int *channels)
{
	int			m = 0;
	int			j;

	for (j = 0; j < order; j++)
	{
		int			ch = tuple_channel(key, j);
		int			k;

		if (ch < 0)
			break;
		for (k = 0; k < m && channels[k] != ch; k++)
			;
		if (k == m)
			channels[m++] = ch;
	}
	return m;
}

/*
 * The states of each channel (CSR): a state is listed once under each
 * distinct channel of its tuple.
 */
static void
index_channel_states(MarkovChain *mc)
{
	int32	   *channel_count = chain_alloc((mc->n_channels + 1) * sizeof(int32), MCXT_ALLOC_ZERO);
	int			channels[MAX_CHAIN_ORDER];
	int			m;
	int			i;
	int32		s;
	int			c;

	mc->channel_start = chain_alloc((mc->n_channels + 1) * sizeof(int32), MCXT_ALLOC_ZERO);
	for (s = 0; s < mc->n_states; s++)
	{
		INTERRUPT_EVERY(s);
		m = tuple_distinct_channels(mc->keys[s], mc->order, channels);
		for (i = 0; i < m; i++)
			mc->channel_start[channels[i] + 1]++;
	}
	for (c = 0; c < mc->n_channels; c++)
		mc->channel_start[c + 1] += mc->channel_start[c];
	mc->channel_states = chain_alloc(Max(mc->channel_start[mc->n_channels], 1) * sizeof(int32),
									 MCXT_ALLOC_HUGE);
	for (s = 0; s < mc->n_states; s++)
	{
		INTERRUPT_EVERY(s);
		m = tuple_distinct_channels(mc->keys[s], mc->order, channels);
		for (i = 0; i < m; i++)
			mc->channel_states[mc->channel_start[channels[i]] + channel_count[channels[i]]++] = s;
	}
	pfree(channel_count);
}

/* renumber the states in tuple order and lay out the transitions (CSR) */
static void
chain_finish(MarkovChain *mc, ChainBuild *cb)
{
	int32		n = cb->n_states;
	int32	   *order = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	int32	   *rank = chain_alloc(Max(n, 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	EdgeSort   *edges = chain_alloc(Max(cb->n_edges, 1) * sizeof(EdgeSort), MCXT_ALLOC_HUGE);
	int32		s;
	int64		e;

	for (s = 0; s < n; s++)
		order[s] = s;
	qsort_interruptible(order, n, sizeof(int32), compare_state_keys, cb->keys);
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
		/* repeats were collapsed: no state leads to itself */
		Assert(edges[e].from != edges[e].to);
		Assert(edges[e].weight > 0);
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
		Assert(mc->conv_weight[s] >= 0 && mc->null_weight[s] >= 0);
		Assert(mc->out_total[s] > 0 && mc->out_total[s] >= out);
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

	index_channel_states(mc);
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

/* what markov() and transition_matrix() start from */
typedef struct MarkovCall
{
	TupleDesc	tupdesc;		/* of the result */
	Tuplestorestate *store;
	MarkovChain *mc;			/* in the call's budget */
	PathReader	names;			/* of the summary's channels */
	MemoryContext old;			/* to switch back to at budget_end() */
} MarkovCall;

/*
 * Start markov() or transition_matrix() over the path summary of argument
 * 0: the result's store, then the budget of the call with the chain in it.
 * False when the summary has no paths: the result is empty and no budget
 * was started.
 */
static bool
markov_call_start(FunctionCallInfo fcinfo, const char *function, MarkovCall *call)
{
	PathSummary *summary = PG_GETARG_PATH_SUMMARY_P(0);
	int			order = get_chain_order(fcinfo);

	call->store = srf_start(fcinfo, &call->tupdesc);
	if (summary->n_paths == 0)
		return false;
	call->old = budget_start(function);
	call->mc = chain_build(summary, order);
	chain_check_totals(call->mc, function);
	path_reader_init(&call->names, summary);
	return true;
}

/*
 * markov(ps, chain_order) returns (channel, removal_effect, conversions, value)
 * per channel, in bytewise order of the channel names.
 */
Datum
attribution_markov(PG_FUNCTION_ARGS)
{
	MarkovCall	call;
	MarkovChain *mc;
	Solver		sv;
	double		full_x,
				full_v;
	double	   *effect;
	double	   *value_effect;
	double		sum_effect = 0,
				sum_value_effect = 0;
	int			c;

	if (!markov_call_start(fcinfo, "markov", &call))
		return (Datum) 0;
	mc = call.mc;
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
	if (mc->order > 1 || !order1_removal_effects(&sv, full_x, full_v, effect, value_effect))
		removal_effects_by_solving(&sv, full_x, full_v, effect, value_effect);
	for (c = 0; c < mc->n_channels; c++)
	{
		sum_effect += effect[c];
		sum_value_effect += value_effect[c];
	}

	for (c = 0; c < mc->n_channels; c++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = PointerGetDatum(path_reader_channel_text(&call.names, c));
		values[1] = Float8GetDatum(effect[c]);
		values[2] = Float8GetDatum(sum_effect > 0 ?
								   effect[c] / sum_effect * csum_value(&mc->total_conversions) : 0.0);
		values[3] = Float8GetDatum(sum_value_effect > 0 ?
								   value_effect[c] / sum_value_effect * csum_value(&mc->total_value) : 0.0);
		tuplestore_putvalues(call.store, call.tupdesc, values, nulls);
	}
	budget_end(call.old);
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
put_transition(const MarkovCall *call, text *from, text *to, double probability)
{
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = PointerGetDatum(from);
	values[1] = PointerGetDatum(to);
	values[2] = Float8GetDatum(probability);
	tuplestore_putvalues(call->store, call->tupdesc, values, nulls);
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
	MarkovCall	call;
	MarkovChain *mc;
	MemoryContext row_context;
	StringInfoData from_buf;
	StringInfoData to_buf;
	text	   *start_name = cstring_to_text("(start)");
	text	   *conversion_name = cstring_to_text("(conversion)");
	text	   *null_name = cstring_to_text("(null)");
	int32		s;

	if (!markov_call_start(fcinfo, "transition_matrix", &call))
		return (Datum) 0;
	mc = call.mc;
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
			put_transition(&call, start_name, state_name(&to_buf, &call.names, mc->keys[s]),
						   mc->start_weight[s] / mc->start_total);
			MemoryContextReset(row_context);
		}
	}
	for (s = 0; s < mc->n_states; s++)
	{
		text	   *from = state_name(&from_buf, &call.names, mc->keys[s]);
		int64		e;

		CHECK_FOR_INTERRUPTS();
		for (e = mc->row_start[s]; e < mc->row_start[s + 1]; e++)
		{
			put_transition(&call, from, state_name(&to_buf, &call.names, mc->keys[mc->col[e]]),
						   mc->weight[e] / mc->out_total[s]);
			INTERRUPT_EVERY(e);
		}
		if (mc->conv_weight[s] > 0)
			put_transition(&call, from, conversion_name,
						   mc->conv_weight[s] / mc->out_total[s]);
		if (mc->null_weight[s] > 0)
			put_transition(&call, from, null_name,
						   mc->null_weight[s] / mc->out_total[s]);
		MemoryContextReset(row_context);
	}
	budget_end(call.old);
	return (Datum) 0;
}
