/*
 * journey_state.c
 *		The summary of one journey that the summary path keeps instead of its
 *		touches, shared by channel_credit() (one journey per group) and
 *		credit_by_channel() (many journeys in one state); see journey_state.h.
 *
 * Every rule-based model needs only a few facts about a journey: how many
 * window touches each channel has, which touches hold the model's positions
 * (first = smallest key, last and the milestones = largest key at or before
 * their time, last non-direct = largest non-direct key; a key is
 * (touched_at, touch_id NULLS LAST, channel bytewise)), and for time decay
 * each channel's sum of 2^((touched_at - reference)/half_life).  The state
 * keeps exactly these, updated row by row in any order, and
 * journey_state_credits() applies the shared redistribution rule
 * (model_split_shares) to them.  The results equal credits() summed by
 * channel.
 *
 * It owns the summary only: rows come to it parsed (TouchRow, read by
 * rule_input.c), in the documented touch order of rule_input.h.
 *
 * Exact duplicates (same time, id and channel) are distinct touches: the
 * first position takes the first of them and the other positions the last,
 * so the state counts how many window touches share the first key.
 *
 * Memory decides the speed of aggregating a million journeys, so the state
 * is small: channel names live once per call in a dictionary (the state
 * holds their numbers), the state holds only the times and positions its
 * model uses, and it is carved out of an arena (arena.h) rather than
 * palloc'd.  A position-based journey of 8 channels takes 152 bytes.
 */
#include "postgres.h"

#include "compat.h"


#include <math.h>

#include "aggstate.h"
#include "arena.h"
#include "journey_state.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "models.h"
#include "rule_input.h"
#include "port/pg_bitutils.h"
#include "strdict.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#define STATE_VERSION 1
#define MAX_CACHED_MODELS 64
#define INITIAL_CHANNELS 8

/* positions whose touch is found by a running minimum or maximum */
enum
{
	SLOT_FIRST, SLOT_LAST, SLOT_LEAD, SLOT_OPPORTUNITY, SLOT_CLOSED,
	SLOT_LAST_NON_DIRECT, NUM_SLOTS
};
static const ModelPosition slot_position[NUM_SLOTS] = {
	POS_FIRST, POS_LAST, POS_LEAD, POS_OPPORTUNITY, POS_CLOSED, POS_LAST_NON_DIRECT
};

/* the journey times, in the order of the bits of JourneyState.times_given */
enum
{
	TIME_CONVERTED, TIME_LEAD, TIME_OPPORTUNITY, TIME_CLOSED, NUM_TIMES
};

typedef struct ChannelCount
{
	int32		channel;		/* number in the state's dictionary */
	int32		count;			/* window touches of the channel */
} ChannelCount;

/*
 * One journey.  The header is followed by: the given times (int64 each, in
 * TIME_ order), the slots the model uses (TouchKey each, in SLOT_ order),
 * ChannelCount channels[capacity] and, for time decay, double
 * decay[capacity]: each channel's weight sum relative to decay_ref.
 */
typedef struct JourneyState
{
	const AttributionModel *model;	/* interned in the call's cache */
	StrDict    *dict;			/* the channel names */
	int32		n_rows;			/* every touch, for the journey cap */
	int32		n_window;		/* touches in the window */
	int32		first_dups;		/* window touches equal to the first */
	uint16		nchannels;
	uint16		capacity;
	uint8		times_given;	/* bit per TIME_ */
	uint8		slot_mask;		/* bit per SLOT_ the model uses */
	TimestampTz decay_ref;		/* latest window touch so far */
} JourneyState;

#define STATE_HEADER_SIZE MAXALIGN(sizeof(JourneyState))

static inline TimestampTz *
state_times(const JourneyState *state)
{
	return (TimestampTz *) ((char *) state + STATE_HEADER_SIZE);
}

static inline TouchKey *
state_slots(const JourneyState *state)
{
	return (TouchKey *) (state_times(state) + pg_popcount32(state->times_given));
}

static inline ChannelCount *
state_channels(const JourneyState *state)
{
	return (ChannelCount *) (state_slots(state) + pg_popcount32(state->slot_mask));
}

static inline double *
state_decay(const JourneyState *state)
{
	return (double *) (state_channels(state) + state->capacity);
}

/* the slot s of the state, or NULL when its model does not use it */
static inline TouchKey *
state_slot(const JourneyState *state, int s)
{
	if (!(state->slot_mask & (1 << s)))
		return NULL;
	return state_slots(state) + pg_popcount32(state->slot_mask & ((1 << s) - 1));
}

static Size
state_size(const AttributionModel *model, uint8 times_given, uint8 slot_mask, int capacity)
{
	return STATE_HEADER_SIZE + pg_popcount32(times_given) * sizeof(TimestampTz) +
		pg_popcount32(slot_mask) * sizeof(TouchKey) +
		capacity * (sizeof(ChannelCount) + (model->time_decay ? sizeof(double) : 0));
}

/* the slots a model uses: its positions with a share (last backs last non-direct) */
static uint8
model_slot_mask(const AttributionModel *model)
{
	uint8		mask = 0;
	int			s;

	if (model->time_decay)
		return 0;
	for (s = 0; s < NUM_SLOTS; s++)
		if (model->shares[slot_position[s]] > 0)
			mask |= 1 << s;
	if (mask & (1 << SLOT_LAST_NON_DIRECT))
		mask |= 1 << SLOT_LAST;
	return mask;
}

/* ---------- per call site: models, channel names, memory ---------- */

/*
 * The models of a call are kept once in a cache of MAX_CACHED_MODELS, which
 * the states point to.  A call may use any number of models (a half_life per
 * journey, say): past the cache, a state gets its own copy of its model,
 * carved out of the aggregate context with the state.
 */
struct JourneyCall
{
	int			nmodels;
	AttributionModel models[MAX_CACHED_MODELS];
	RowReader	reader;			/* the rows' model when it is constant */
	StrDict    *dict;
	ArenaSet   *arenas;
	Size		allocated;		/* bytes carved for states and models */
};

JourneyCall *
journey_call(FunctionCallInfo fcinfo)
{
	JourneyCall *cache = fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		cache = palloc0(sizeof(JourneyCall));
		cache->dict = strdict_create(64);
		cache->arenas = arenaset_create(fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = cache;
		MemoryContextSwitchTo(old);
	}
	return cache;
}

JourneyCall *
journey_call_create(MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	JourneyCall *cache = palloc0(sizeof(JourneyCall));

	cache->dict = strdict_create(64);
	cache->arenas = arenaset_create(cxt);
	MemoryContextSwitchTo(old);
	return cache;
}

/* size bytes for a state or a model, living as long as aggcontext */
static void *
call_alloc(JourneyCall *cache, MemoryContext aggcontext, Size size)
{
	cache->allocated += MAXALIGN(size);
	return arena_alloc0(cache->arenas, aggcontext, size);
}

static bool
model_is_cached(const JourneyCall *cache, const AttributionModel *model)
{
	return model >= &cache->models[0] && model < &cache->models[cache->nmodels];
}

/*
 * A model for a new state that lives as long as the state: the cached copy
 * (added to the cache when there is room), or a copy of its own.
 */
static const AttributionModel *
keep_model(JourneyCall *cache, MemoryContext aggcontext, const AttributionModel *model)
{
	AttributionModel *copy;
	int			i;

	if (model_is_cached(cache, model))
		return model;
	for (i = 0; i < cache->nmodels; i++)
		if (model_equal(&cache->models[i], model))
			return &cache->models[i];
	if (cache->nmodels < MAX_CACHED_MODELS)
	{
		cache->models[cache->nmodels] = *model;
		return &cache->models[cache->nmodels++];
	}
	copy = call_alloc(cache, aggcontext, sizeof(AttributionModel));
	*copy = *model;
	return copy;
}

/* a channel's number in the call's dictionary */
static int32
channel_number(JourneyCall *cache, const char *name, int len)
{
	if (strdict_size(cache->dict) >= MAX_JOURNEY_CHANNELS * 256 &&
		strdict_lookup(cache->dict, name, len) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct channels in one channel_credit call"),
				 errdetail("One call may see at most %d distinct channel names.",
						   MAX_JOURNEY_CHANNELS * 256),
				 errhint("Group touches into fewer channels.")));
	return strdict_intern(cache->dict, name, len);
}

/*
 * The first journey-level argument that differs between two rows (or
 * states) of one journey, by its name in the SQL signatures.
 */
static const char *
differing_argument(const AttributionModel *ma, const AttributionModel *mb,
				   const JourneyTimes *a, const JourneyTimes *b)
{
	if (ma->definition != mb->definition || ma->time_decay != mb->time_decay ||
		ma->window_end != mb->window_end)
		return journey_arg_names[JARG_MODEL];
	if (ma->half_life != mb->half_life)
		return journey_arg_names[JARG_HALF_LIFE];
	if (ma->has_lookback != mb->has_lookback || ma->lookback != mb->lookback)
		return journey_arg_names[JARG_LOOKBACK];
	if (!model_equal(ma, mb))
		return journey_arg_names[JARG_WEIGHTS];
	if (a->has_converted != b->has_converted || (a->has_converted && a->converted_at != b->converted_at))
		return journey_arg_names[JARG_CONVERTED_AT];
	if (a->has_lead != b->has_lead || (a->has_lead && a->lead_at != b->lead_at))
		return journey_arg_names[JARG_LEAD_AT];
	if (a->has_opportunity != b->has_opportunity ||
		(a->has_opportunity && a->opportunity_at != b->opportunity_at))
		return journey_arg_names[JARG_OPPORTUNITY_AT];
	return journey_arg_names[JARG_CLOSED_AT];
}

static void
journey_args_differ(const char *argname)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("argument %s differs within one journey", argname),
			 errdetail("The model, its parameters (half_life, weights, lookback), and the conversion and milestone times (converted_at, lead_created_at, opportunity_created_at, closed_at) must be the same on every touch of a journey; %s is not.",
					   argname),
			 errhint("Group by the journey, and take these values from the journey, not from the touch.")));
}

/* ---------- the journey times, stored compactly ---------- */

static uint8
times_mask(const JourneyTimes *times)
{
	return (times->has_converted ? 1 << TIME_CONVERTED : 0) |
		(times->has_lead ? 1 << TIME_LEAD : 0) |
		(times->has_opportunity ? 1 << TIME_OPPORTUNITY : 0) |
		(times->has_closed ? 1 << TIME_CLOSED : 0);
}

/* the given times in TIME_ order; returns how many */
static int
times_values(const JourneyTimes *times, TimestampTz *values)
{
	int			n = 0;

	if (times->has_converted)
		values[n++] = times->converted_at;
	if (times->has_lead)
		values[n++] = times->lead_at;
	if (times->has_opportunity)
		values[n++] = times->opportunity_at;
	if (times->has_closed)
		values[n++] = times->closed_at;
	return n;
}

static void
state_journey_times(const JourneyState *state, JourneyTimes *times)
{
	const TimestampTz *values = state_times(state);
	int			n = 0;

	memset(times, 0, sizeof(*times));
	if ((times->has_converted = (state->times_given & (1 << TIME_CONVERTED)) != 0))
		times->converted_at = values[n++];
	if ((times->has_lead = (state->times_given & (1 << TIME_LEAD)) != 0))
		times->lead_at = values[n++];
	if ((times->has_opportunity = (state->times_given & (1 << TIME_OPPORTUNITY)) != 0))
		times->opportunity_at = values[n++];
	if ((times->has_closed = (state->times_given & (1 << TIME_CLOSED)) != 0))
		times->closed_at = values[n++];
}

static bool
state_times_equal(const JourneyState *state, const JourneyTimes *times)
{
	TimestampTz values[NUM_TIMES];
	int			n;

	if (state->times_given != times_mask(times))
		return false;
	n = times_values(times, values);
	return memcmp(values, state_times(state), n * sizeof(TimestampTz)) == 0;
}

/* ---------- creating and growing states ---------- */

static JourneyState *
state_create(JourneyCall *cache, MemoryContext aggcontext, StrDict *dict,
			 const AttributionModel *model, const JourneyTimes *times, int capacity)
{
	uint8		given = times_mask(times);
	uint8		slot_mask = model_slot_mask(model);
	JourneyState *state = call_alloc(cache, aggcontext,
									 state_size(model, given, slot_mask, capacity));
	JourneyWindow window;

	model_window(model, times, &window);
	if (window.lookback_from_last_touch)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("channel_credit needs the end of the journey's window to apply lookback"),
				 errdetail("Without converted_at (or the model's milestone) lookback would be measured from the last touch, which a single pass cannot know."),
				 errhint("Give converted_at, or use journey_agg() with credits().")));
	state->model = model;
	state->dict = dict;
	state->capacity = capacity;
	state->times_given = given;
	state->slot_mask = slot_mask;
	times_values(times, state_times(state));
	return state;
}

/* a copy of the state with twice the room for channels (the old copy stays in the arena) */
static JourneyState *
state_grow(JourneyCall *cache, MemoryContext aggcontext, const JourneyState *state)
{
	int			capacity = state->capacity * 2;
	Size		fixed = (char *) state_channels(state) - (char *) state;
	JourneyState *grown;

	grown = call_alloc(cache, aggcontext,
					   state_size(state->model, state->times_given, state->slot_mask, capacity));
	memcpy(grown, state, fixed);
	grown->capacity = capacity;
	memcpy(state_channels(grown), state_channels(state), state->nchannels * sizeof(ChannelCount));
	if (state->model->time_decay)
		memcpy(state_decay(grown), state_decay(state), state->nchannels * sizeof(double));
	return grown;
}

/*
 * The index in the state of channel number channel (of the state's
 * dictionary), added when new; the state may move, so it is passed by
 * reference.
 */
static int
channel_slot(JourneyCall *cache, MemoryContext aggcontext, JourneyState **statep, int32 channel)
{
	JourneyState *state = *statep;
	ChannelCount *channels = state_channels(state);
	int			c;

	for (c = 0; c < state->nchannels; c++)
		if (channels[c].channel == channel)
			return c;
	if (state->nchannels == MAX_JOURNEY_CHANNELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("journey has too many channels for channel_credit"),
				 errdetail("One journey may touch at most %d distinct channels.", MAX_JOURNEY_CHANNELS),
				 errhint("Use journey_agg() with credits() for such journeys.")));
	if (state->nchannels == state->capacity)
		*statep = state = state_grow(cache, aggcontext, state);
	channels = state_channels(state);
	channels[state->nchannels].channel = channel;
	channels[state->nchannels].count = 0;
	if (state->model->time_decay)
		state_decay(state)[state->nchannels] = 0;
	return state->nchannels++;
}

/* ---------- the running positions ---------- */

static void
keep_max(const JourneyState *state, int s, const TouchKey *key)
{
	TouchKey   *slot = state_slot(state, s);

	if (slot && (!slot->valid || touch_key_compare(key, slot, state->dict) >= 0))
		*slot = *key;
}

static void
keep_first(JourneyState *state, const TouchKey *key, int32 dups)
{
	TouchKey   *slot = state_slot(state, SLOT_FIRST);
	int			cmp;

	if (slot == NULL)
		return;
	cmp = slot->valid ? touch_key_compare(key, slot, state->dict) : -1;
	if (cmp < 0)
	{
		*slot = *key;
		state->first_dups = dups;
	}
	else if (cmp == 0)
		state->first_dups += dups;
}

/*
 * Add weight_sum, taken relative to ref, to channel c's decay sum.  A later
 * reference rescales what the state has; "empty" says the state has no
 * window touch yet (its reference is not set).
 */
static void
add_decay(JourneyState *state, int c, double weight_sum, TimestampTz ref, bool empty)
{
	double	   *decay = state_decay(state);
	int			i;

	if (empty || ref > state->decay_ref)
	{
		if (!empty)
		{
			double		scale = model_decay_weight(state->model, model_time_distance(ref, state->decay_ref));

			for (i = 0; i < state->nchannels; i++)
				decay[i] *= scale;
		}
		state->decay_ref = ref;
	}
	else
		weight_sum *= model_decay_weight(state->model, model_time_distance(state->decay_ref, ref));
	decay[c] += weight_sum;
}

static void
add_touch(JourneyState *state, int c, const TouchKey *key, const JourneyTimes *times, bool is_direct)
{
	if (state->model->time_decay)
		add_decay(state, c, 1.0, key->at, state->n_window == 0);
	state_channels(state)[c].count++;
	state->n_window++;
	if (state->slot_mask == 0)
		return;
	keep_first(state, key, 1);
	keep_max(state, SLOT_LAST, key);
	if (times->has_lead && key->at <= times->lead_at)
		keep_max(state, SLOT_LEAD, key);
	if (times->has_opportunity && key->at <= times->opportunity_at)
		keep_max(state, SLOT_OPPORTUNITY, key);
	if (times->has_closed && key->at <= times->closed_at)
		keep_max(state, SLOT_CLOSED, key);
	if (!is_direct)
		keep_max(state, SLOT_LAST_NON_DIRECT, key);
}

JourneyState *
journey_state_add_row(JourneyCall *call, MemoryContext aggcontext, JourneyState *state,
					  const TouchRow *row)
{
	const AttributionModel *model = row->model;
	TouchKey	key = row->key;
	JourneyWindow window;

	if (state == NULL)
		state = state_create(call, aggcontext, call->dict, keep_model(call, aggcontext, model),
							 &row->times, INITIAL_CHANNELS);
	else if ((state->model != model && !model_equal(state->model, model)) ||
			 !state_times_equal(state, &row->times))
	{
		JourneyTimes state_times_now;

		state_journey_times(state, &state_times_now);
		journey_args_differ(differing_argument(state->model, model, &state_times_now, &row->times));
	}
	state->n_rows++;
	model_check_journey_length(state->n_rows);
	model_window(model, &row->times, &window);
	if ((!window.has_end || key.at <= window.end) &&
		(!window.has_start || key.at >= window.start))
	{
		int			c;

		key.channel = channel_number(call, row->channel, row->channel_len);
		c = channel_slot(call, aggcontext, &state, key.channel);
		add_touch(state, c, &key, &row->times, row->is_direct);
	}
	return state;
}

/* ---------- combine, serialize, deserialize ---------- */

/* a's number of b's channel number */
static int32
map_channel_number(JourneyCall *cache, const JourneyState *a, const JourneyState *b, int32 channel)
{
	int			len;
	const char *name;

	if (a->dict == b->dict)
		return channel;
	name = strdict_string(b->dict, channel, &len);
	Assert(a->dict == cache->dict);
	return channel_number(cache, name, len);
}

static JourneyState *
merge_states(JourneyCall *cache, MemoryContext aggcontext, JourneyState *a, const JourneyState *b)
{
	bool		a_empty = a->n_window == 0;
	JourneyTimes b_times;
	int			i;
	int			s;

	state_journey_times(b, &b_times);
	if (!model_equal(a->model, b->model) || !state_times_equal(a, &b_times))
	{
		JourneyTimes a_times;

		state_journey_times(a, &a_times);
		journey_args_differ(differing_argument(a->model, b->model, &a_times, &b_times));
	}
	a->n_rows += b->n_rows;
	model_check_journey_length(a->n_rows);
	for (i = 0; i < b->nchannels; i++)
	{
		const ChannelCount *bc = &state_channels(b)[i];
		int			c = channel_slot(cache, aggcontext, &a,
									 map_channel_number(cache, a, b, bc->channel));

		state_channels(a)[c].count += bc->count;
		if (a->model->time_decay && bc->count > 0)
		{
			add_decay(a, c, state_decay(b)[i], b->decay_ref, a_empty);
			a_empty = false;
		}
	}
	for (s = 0; s < NUM_SLOTS; s++)
	{
		const TouchKey *slot = state_slot(b, s);
		TouchKey	key;

		if (slot == NULL || !slot->valid)
			continue;
		key = *slot;
		key.channel = map_channel_number(cache, a, b, key.channel);
		if (s == SLOT_FIRST)
			keep_first(a, &key, b->first_dups);
		else
			keep_max(a, s, &key);
	}
	a->n_window += b->n_window;
	return a;
}

JourneyState *
journey_state_merge(JourneyCall *call, MemoryContext aggcontext, JourneyState *a,
					const JourneyState *b)
{
	if (a == NULL)
	{
		JourneyTimes times;

		/* an empty state of ours, then b merged into it */
		state_journey_times(b, &times);
		a = state_create(call, aggcontext, call->dict, keep_model(call, aggcontext, b->model), &times,
						 Max(b->capacity, INITIAL_CHANNELS));
	}
	else if (a->dict != call->dict)
		elog(ERROR, "journey_state_merge got a state of another call");
	return merge_states(call, aggcontext, a, b);
}

static void
write_key(StringInfo msg, const JourneyState *state, const TouchKey *key)
{
	int			c = 0;

	/* the channel as its index in the state's channel list */
	while (key->valid && state_channels(state)[c].channel != key->channel)
		c++;
	pq_sendbyte(msg, key->valid ? 1 : 0);
	pq_sendint64(msg, key->at);
	pq_sendbyte(msg, key->id_isnull ? 1 : 0);
	pq_sendint64(msg, key->id);
	pq_sendint32(msg, c);
}

/* the set of given journey times, then each of them */
static void
write_times(StringInfo msg, const JourneyState *state)
{
	int			i;

	pq_sendbyte(msg, state->times_given);
	for (i = 0; i < pg_popcount32(state->times_given); i++)
		pq_sendint64(msg, state_times(state)[i]);
}

void
journey_state_write(StringInfo msg, const JourneyState *state)
{
	int			i;
	int			s;

	pq_sendbyte(msg, STATE_VERSION);
	model_write(msg, state->model);
	write_times(msg, state);
	pq_sendint32(msg, state->n_rows);
	pq_sendint32(msg, state->n_window);
	pq_sendint32(msg, state->first_dups);
	pq_sendint64(msg, state->decay_ref);
	pq_sendint32(msg, state->nchannels);
	for (i = 0; i < state->nchannels; i++)
	{
		int			len;
		const char *name = strdict_string(state->dict, state_channels(state)[i].channel, &len);

		pq_sendint32(msg, len);
		pq_sendbytes(msg, name, len);
		pq_sendint32(msg, state_channels(state)[i].count);
		pq_sendfloat8(msg, state->model->time_decay ? state_decay(state)[i] : 0);
	}
	for (s = 0; s < NUM_SLOTS; s++)
		if (state_slot(state, s))
			write_key(msg, state, state_slot(state, s));
}

/*
 * The journey times: a byte of the times given, then each given time.  The
 * serialized and the compact forms share it.
 */
static void
read_times(BinReader *in, JourneyTimes *times)
{
	int			given = bin_byte(in);
	TimestampTz values[NUM_TIMES];
	int			i;

	if (given & ~((1 << NUM_TIMES) - 1))
		bin_error(in, "The set of journey times is invalid.");
	for (i = 0; i < pg_popcount32(given); i++)
	{
		values[i] = bin_int64(in);
		if (TIMESTAMP_NOT_FINITE(values[i]) || !IS_VALID_TIMESTAMP(values[i]))
			bin_error(in, "A journey time is infinite or out of range.");
	}
	memset(times, 0, sizeof(*times));
	i = 0;
	if ((times->has_converted = (given & (1 << TIME_CONVERTED)) != 0))
		times->converted_at = values[i++];
	if ((times->has_lead = (given & (1 << TIME_LEAD)) != 0))
		times->lead_at = values[i++];
	if ((times->has_opportunity = (given & (1 << TIME_OPPORTUNITY)) != 0))
		times->opportunity_at = values[i++];
	if ((times->has_closed = (given & (1 << TIME_CLOSED)) != 0))
		times->closed_at = values[i++];
}

static void
read_key(BinReader *in, const JourneyState *state, TouchKey *key)
{
	int			c;

	key->valid = bin_bool(in);
	key->at = bin_int64(in);
	key->id_isnull = bin_bool(in);
	key->id = bin_int64(in);
	c = bin_int32(in);
	key->channel = 0;
	if (key->valid)
	{
		if (c < 0 || c >= state->nchannels || TIMESTAMP_NOT_FINITE(key->at))
			bin_error(in, "A position refers to an unknown channel.");
		key->channel = state_channels(state)[c].channel;
	}
}

/* the channels of a serialized state, added to the new state */
static JourneyState *
read_channels(BinReader *in, JourneyCall *cache, MemoryContext aggcontext, JourneyState *state)
{
	int			nchannels = bin_count(in, 0, MAX_JOURNEY_CHANNELS, 16, "channels");
	int64		counted = 0;
	int			i;

	for (i = 0; i < nchannels; i++)
	{
		int			len;
		const char *name = bin_name(in, &len, false, i + 1);
		int			count;
		double		decay;
		int			c;

		c = channel_slot(cache, aggcontext, &state, channel_number(cache, name, len));
		if (c != i)
			bin_error(in, "Channel %d appears twice.", i + 1);
		count = bin_int32(in);
		decay = bin_float8(in);
		if (count <= 0 || count > MAX_JOURNEY_TOUCHES || !isfinite(decay) || decay < 0)
			bin_error(in, "The count or weight of channel %d is out of range.", i + 1);
		state_channels(state)[c].count = count;
		if (state->model->time_decay)
			state_decay(state)[c] = decay;
		counted += count;
	}
	if (counted != state->n_window)
		bin_error(in, "The channel counts do not add up to the window's touches.");
	return state;
}

static void check_read_state(BinReader *in, const JourneyState *state);

JourneyState *
journey_state_read(JourneyCall *cache, MemoryContext aggcontext, BinReader *in)
{
	AttributionModel model;
	JourneyTimes times;
	JourneyState *state;
	int32		n_rows,
				n_window,
				first_dups;
	TimestampTz decay_ref;
	int			s;

	bin_version(in, STATE_VERSION);
	model_read(in, &model);
	read_times(in, &times);
	n_rows = bin_int32(in);
	n_window = bin_int32(in);
	first_dups = bin_int32(in);
	decay_ref = bin_int64(in);
	if (n_rows < 0 || n_rows > MAX_JOURNEY_TOUCHES || n_window < 0 || n_window > n_rows ||
		first_dups < 0 || first_dups > n_window)
		bin_error(in, "A touch count is out of range.");

	state = state_create(cache, aggcontext, cache->dict, keep_model(cache, aggcontext, &model), &times,
						 INITIAL_CHANNELS);
	state->n_rows = n_rows;
	state->n_window = n_window;
	state->first_dups = first_dups;
	state->decay_ref = decay_ref;
	state = read_channels(in, cache, aggcontext, state);
	for (s = 0; s < NUM_SLOTS; s++)
		if (state_slot(state, s))
			read_key(in, state, state_slot(state, s));
	check_read_state(in, state);
	return state;
}

/* ---------- the compact form of many journeys ---------- */

struct JourneyTables
{
	int			nmodels;
	const AttributionModel **models;	/* interned in the reading call */
	int			nchannels;
	int32	   *channels;		/* numbers in the reading call's dictionary */
};

#define SLOT_VALID 1
#define SLOT_ID_NULL 2
/* what model_write() writes: its number, the shares, the half-life, the lookback */
#define MODEL_WIRE_BYTES (4 + 8 * NUM_POSITIONS + 8 + 1 + 8)

void
journey_call_write_tables(StringInfo msg, const JourneyCall *call)
{
	int			n = strdict_size(call->dict);
	int			i;

	bin_put_varint(msg, n);
	for (i = 0; i < n; i++)
	{
		int			len;
		const char *name = strdict_string(call->dict, i, &len);

		bin_put_varint(msg, len);
		pq_sendbytes(msg, name, len);
	}
	bin_put_varint(msg, call->nmodels);
	for (i = 0; i < call->nmodels; i++)
		model_write(msg, &call->models[i]);
}

JourneyTables *
journey_call_read_tables(JourneyCall *call, MemoryContext aggcontext, BinReader *in)
{
	JourneyTables *tables = palloc0(sizeof(JourneyTables));
	StrDict    *seen = strdict_create(64);
	int			i;

	tables->nchannels = (int) bin_varint(in, MAX_JOURNEY_CHANNELS * 256);
	if (tables->nchannels > bin_left(in))
		bin_error(in, "The number of channels, %d, exceeds what the data can hold.", tables->nchannels);
	tables->channels = palloc(Max(tables->nchannels, 1) * sizeof(int32));
	for (i = 0; i < tables->nchannels; i++)
	{
		int			len;
		const char *name = bin_name_varint(in, &len, i + 1);

		if (strdict_intern(seen, name, len) != i)
			bin_error(in, "Channel %d appears twice.", i + 1);
		tables->channels[i] = channel_number(call, name, len);
	}
	tables->nmodels = (int) bin_varint(in, MAX_CACHED_MODELS);
	tables->models = palloc(Max(tables->nmodels, 1) * sizeof(AttributionModel *));
	for (i = 0; i < tables->nmodels; i++)
	{
		AttributionModel model;

		model_read(in, &model);
		tables->models[i] = keep_model(call, aggcontext, &model);
	}
	return tables;
}

void
journey_state_write_compact(StringInfo msg, const JourneyCall *call, const JourneyState *state)
{
	int			i;
	int			s;

	if (state->dict != call->dict)
		elog(ERROR, "journey_state_write_compact got a state of another call");
	/* the model by its number in the call's table, or (not there) inline */
	if (state->model >= call->models && state->model < call->models + call->nmodels)
		bin_put_varint(msg, state->model - call->models);
	else
	{
		bin_put_varint(msg, call->nmodels);
		model_write(msg, state->model);
	}
	write_times(msg, state);
	bin_put_varint(msg, state->n_rows);
	bin_put_varint(msg, state->n_window);
	bin_put_varint(msg, state->first_dups);
	if (state->model->time_decay)
		pq_sendint64(msg, state->decay_ref);
	bin_put_varint(msg, state->nchannels);
	for (i = 0; i < state->nchannels; i++)
	{
		bin_put_varint(msg, state_channels(state)[i].channel);
		bin_put_varint(msg, state_channels(state)[i].count);
		if (state->model->time_decay)
			pq_sendfloat8(msg, state_decay(state)[i]);
	}
	for (s = 0; s < NUM_SLOTS; s++)
	{
		const TouchKey *key = state_slot(state, s);
		int			c = 0;

		if (key == NULL)
			continue;
		pq_sendbyte(msg, (key->valid ? SLOT_VALID : 0) | (key->id_isnull ? SLOT_ID_NULL : 0));
		if (!key->valid)
			continue;
		pq_sendint64(msg, key->at);
		if (!key->id_isnull)
			pq_sendint64(msg, key->id);
		/* the channel as its index in the journey's channel list */
		while (state_channels(state)[c].channel != key->channel)
			c++;
		bin_put_varint(msg, c);
	}
}

JourneyState *
journey_state_read_compact(JourneyCall *call, MemoryContext aggcontext, BinReader *in,
						   const JourneyTables *tables)
{
	const AttributionModel *model;
	JourneyTimes times;
	JourneyState *state;
	int32		n_rows,
				n_window,
				first_dups;
	int			nchannels;
	int64		counted = 0;
	int			i;
	int			s;

	i = (int) bin_varint(in, tables->nmodels);
	if (i < tables->nmodels)
		model = tables->models[i];
	else
	{
		/* a model of its own, inline */
		AttributionModel own;

		model_read(in, &own);
		model = keep_model(call, aggcontext, &own);
	}
	read_times(in, &times);
	n_rows = (int32) bin_varint(in, MAX_JOURNEY_TOUCHES);
	n_window = (int32) bin_varint(in, n_rows);
	first_dups = (int32) bin_varint(in, n_window);

	state = state_create(call, aggcontext, call->dict, model, &times, INITIAL_CHANNELS);
	state->n_rows = n_rows;
	state->n_window = n_window;
	state->first_dups = first_dups;
	if (model->time_decay)
		state->decay_ref = bin_int64(in);
	nchannels = (int) bin_varint(in, MAX_JOURNEY_CHANNELS);
	for (i = 0; i < nchannels; i++)
	{
		int32		number = (int32) bin_varint(in, PG_INT32_MAX);
		int32		count;
		int			c;

		if (tables->nchannels == 0 || number >= tables->nchannels)
			bin_error(in, "A journey refers to a channel that is not in the state.");
		c = channel_slot(call, aggcontext, &state, tables->channels[number]);
		if (c != i)
			bin_error(in, "A channel appears twice in a journey.");
		count = (int32) bin_varint(in, MAX_JOURNEY_TOUCHES);
		if (count <= 0)
			bin_error(in, "A channel's count is out of range.");
		state_channels(state)[c].count = count;
		counted += count;
		if (model->time_decay)
		{
			double		decay = bin_float8(in);

			if (!isfinite(decay) || decay < 0)
				bin_error(in, "A channel's weight is out of range.");
			state_decay(state)[c] = decay;
		}
	}
	if (counted != state->n_window)
		bin_error(in, "The channel counts do not add up to the window's touches.");
	for (s = 0; s < NUM_SLOTS; s++)
	{
		TouchKey   *key = state_slot(state, s);
		int			flags;

		if (key == NULL)
			continue;
		flags = bin_byte(in);
		if (flags & ~(SLOT_VALID | SLOT_ID_NULL))
			bin_error(in, "A position's flags are invalid.");
		key->valid = (flags & SLOT_VALID) != 0;
		key->id_isnull = (flags & SLOT_ID_NULL) != 0;
		key->at = 0;
		key->id = 0;
		key->channel = 0;
		if (!key->valid)
			continue;
		key->at = bin_int64(in);
		if (TIMESTAMP_NOT_FINITE(key->at))
			bin_error(in, "A position's time is infinite.");
		if (!key->id_isnull)
			key->id = bin_int64(in);
		if (state->nchannels == 0)
			bin_error(in, "A position refers to an unknown channel.");
		key->channel = state_channels(state)[bin_varint(in, state->nchannels - 1)].channel;
	}
	check_read_state(in, state);
	return state;
}

/* ---------- final: credit by channel ---------- */

/* are the slots s and t (both valid) the same touch? */
static bool
same_touch(const JourneyState *state, const TouchKey *slots, int s, int t)
{
	if (touch_key_compare(&slots[s], &slots[t], state->dict) != 0)
		return false;
	/* the first position takes the first of equal touches, the others the last */
	if (s == SLOT_FIRST || t == SLOT_FIRST)
		return state->first_dups == 1;
	return true;
}

static int
channel_index(const JourneyState *state, int32 channel)
{
	int			c;

	for (c = 0; c < state->nchannels; c++)
		if (state_channels(state)[c].channel == channel)
			return c;
	elog(ERROR, "channel_credit state lost a channel");
	pg_unreachable();
}

/*
 * The touches holding the model's positions, each counted once: fills
 * slots (the state's, with last non-direct backed by last), holds (the slot
 * holds a position with a share) and slot_channel (its channel's index),
 * counts the held touches per channel index in held_per_channel, and
 * returns the number of distinct held touches.
 */
static int
held_positions(const JourneyState *state, TouchKey *slots, bool *holds, int *slot_channel,
			   int *held_per_channel)
{
	const AttributionModel *model = state->model;
	bool		counted[NUM_SLOTS] = {false};
	int			n_held = 0;
	int			s,
				t;

	for (s = 0; s < NUM_SLOTS; s++)
	{
		const TouchKey *slot = state_slot(state, s);

		memset(&slots[s], 0, sizeof(TouchKey));
		if (slot)
			slots[s] = *slot;
	}
	/* all touches direct: last_non_direct is the last touch */
	if (!slots[SLOT_LAST_NON_DIRECT].valid)
		slots[SLOT_LAST_NON_DIRECT] = slots[SLOT_LAST];
	for (s = 0; s < NUM_SLOTS; s++)
	{
		holds[s] = slots[s].valid && model->shares[slot_position[s]] > 0;
		slot_channel[s] = holds[s] ? channel_index(state, slots[s].channel) : 0;
	}
	for (s = 0; s < NUM_SLOTS; s++)
	{
		bool		seen = false;

		if (!holds[s])
			continue;
		for (t = 0; t < s && !seen; t++)
			seen = counted[t] && same_touch(state, slots, s, t);
		if (!seen)
		{
			counted[s] = true;
			n_held++;
			held_per_channel[slot_channel[s]]++;
		}
	}
	return n_held;
}

static void
credit_positions(const JourneyState *state, double *credit)
{
	const AttributionModel *model = state->model;
	const ChannelCount *channels = state_channels(state);
	bool		has_touch[NUM_POSITIONS] = {false};
	bool		holds[NUM_SLOTS];
	int		   *held_per_channel = palloc0(Max(state->nchannels, 1) * sizeof(int));
	int			slot_channel[NUM_SLOTS];
	double		position_credit[NUM_POSITIONS];
	double		middle_credit;
	TouchKey	slots[NUM_SLOTS];
	int			n_held;
	int			s,
				c;

	n_held = held_positions(state, slots, holds, slot_channel, held_per_channel);
	for (s = 0; s < NUM_SLOTS; s++)
		has_touch[slot_position[s]] = holds[s];
	model_split_shares(model, has_touch, state->n_window, n_held, position_credit, &middle_credit);
	for (c = 0; c < state->nchannels; c++)
		credit[c] = middle_credit * (double) (channels[c].count - held_per_channel[c]);
	for (s = 0; s < NUM_SLOTS; s++)
	{
		if (holds[s])
			credit[slot_channel[s]] += position_credit[slot_position[s]];
	}
	pfree(held_per_channel);
}

/*
 * What the final function relies on, checked in a state read from outside
 * (the counts and each slot were checked on their own while reading): no
 * position is held without window touches; the held touches are at most
 * the window's touches, and at most a channel's count of each channel; the
 * first touch counts itself among its duplicates; time-decay weights are at
 * most one per touch and not all zero, from a valid reference time.
 */
static void
check_read_state(BinReader *in, const JourneyState *state)
{
	const ChannelCount *channels = state_channels(state);
	int			c;
	int			s;

	if (state_slot(state, SLOT_FIRST) && (state->n_window > 0) != state_slot(state, SLOT_FIRST)->valid)
		bin_error(in, "The first touch does not match the window's touches.");
	if (state->n_window == 0)
	{
		for (s = 0; s < NUM_SLOTS; s++)
			if (state_slot(state, s) && state_slot(state, s)->valid)
				bin_error(in, "A position is held in a journey without window touches.");
		return;
	}
	if (state_slot(state, SLOT_FIRST) && state->first_dups < 1)
		bin_error(in, "The first touch does not match the window's touches.");
	if (state->model->time_decay)
	{
		const double *decay = state_decay(state);
		double		total = 0;

		if (TIMESTAMP_NOT_FINITE(state->decay_ref) || !IS_VALID_TIMESTAMP(state->decay_ref))
			bin_error(in, "The time-decay reference time is infinite or out of range.");
		for (c = 0; c < state->nchannels; c++)
		{
			if (decay[c] > (double) channels[c].count * (1 + 1e-9))
				bin_error(in, "A channel's weight exceeds its touches.");
			total += decay[c];
		}
		if (!(total > 0))
			bin_error(in, "The time-decay weights are all zero.");
	}
	else
	{
		TouchKey	slots[NUM_SLOTS];
		bool		holds[NUM_SLOTS];
		int			slot_channel[NUM_SLOTS];
		int		   *held_per_channel = palloc0(Max(state->nchannels, 1) * sizeof(int));

		if (held_positions(state, slots, holds, slot_channel, held_per_channel) > state->n_window)
			bin_error(in, "More touches hold positions than the window has.");
		for (c = 0; c < state->nchannels; c++)
			if (held_per_channel[c] > channels[c].count)
				bin_error(in, "More touches of a channel hold positions than the channel has.");
		pfree(held_per_channel);
	}
}

int
journey_state_credits(const JourneyState *state, double *credit, int32 *channel_numbers)
{
	int			n = state->nchannels;
	int			c;

	for (c = 0; c < n; c++)
	{
		credit[c] = 0;
		channel_numbers[c] = state_channels(state)[c].channel;
	}
	if (state->n_window == 0)
		return n;
	if (state->model->time_decay)
	{
		const double *decay = state_decay(state);
		double		total = 0;

		for (c = 0; c < n; c++)
			total += decay[c];
		for (c = 0; c < n; c++)
			credit[c] = decay[c] / total;
	}
	else
		credit_positions(state, credit);
	return n;
}

int
journey_state_nchannels(const JourneyState *state)
{
	return state->nchannels;
}

StrDict *
journey_state_dict(const JourneyState *state)
{
	return state->dict;
}

StrDict *
journey_call_dict(const JourneyCall *call)
{
	return call->dict;
}

Size
journey_call_allocated(const JourneyCall *call)
{
	return call->allocated;
}

RowReader *
journey_call_reader(JourneyCall *call)
{
	return &call->reader;
}
