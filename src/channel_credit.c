/*
 * channel_credit.c
 *		The summary path: channel_credit(model, touched_at, channel, ...), an
 *		aggregate over the touches of one journey that returns the journey's
 *		credit by channel (attribution.channel_credits) without buffering or
 *		sorting its touches.
 *
 * Every rule-based model needs only a few facts about a journey: how many
 * window touches each channel has, which touches hold the model's positions
 * (first = smallest key, last and the milestones = largest key at or before
 * their time, last non-direct = largest non-direct key; a key is
 * (touched_at, touch_id NULLS LAST, channel bytewise)), and for time decay
 * each channel's sum of 2^((touched_at - reference)/half_life).  The state
 * keeps exactly these, updated row by row, and the final function applies
 * the shared redistribution rule (model_split_shares) to them.  The results
 * equal credits() summed by channel.
 *
 * Exact duplicates (same time, id and channel) are distinct touches: the
 * first position takes the first of them and the other positions the last,
 * so the state counts how many window touches share the first key.
 */
#include "postgres.h"

#include "compat.h"

#include "aggutil.h"

#include <math.h>

#include "credit_map.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "models.h"
#include "strdict.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(channel_credit_trans);
PG_FUNCTION_INFO_V1(channel_credit_combine);
PG_FUNCTION_INFO_V1(channel_credit_serialize);
PG_FUNCTION_INFO_V1(channel_credit_deserialize);
PG_FUNCTION_INFO_V1(channel_credit_final);

#define STATE_VERSION 1
#define MAX_JOURNEY_CHANNELS 4096
#define MAX_CACHED_MODELS 64

/* argument numbers of the full form (the short forms are prefixes) */
enum
{
	CC_MODEL = 1, CC_TOUCHED_AT, CC_CHANNEL, CC_TOUCH_ID, CC_IS_DIRECT,
	CC_CONVERTED_AT, CC_LEAD_AT, CC_OPPORTUNITY_AT, CC_CLOSED_AT,
	CC_HALF_LIFE, CC_WEIGHTS, CC_LOOKBACK
};
#define CC_SHORT_CONVERTED_AT 4		/* converted_at of the four-argument form */

/* positions that hold a touch found by a running minimum or maximum */
enum
{
	SLOT_FIRST, SLOT_LAST, SLOT_LEAD, SLOT_OPPORTUNITY, SLOT_CLOSED,
	SLOT_LAST_NON_DIRECT, NUM_SLOTS
};
static const ModelPosition slot_position[NUM_SLOTS] = {
	POS_FIRST, POS_LAST, POS_LEAD, POS_OPPORTUNITY, POS_CLOSED, POS_LAST_NON_DIRECT
};

typedef struct TouchKey
{
	TimestampTz at;
	int64		id;
	int32		channel;		/* index into the state's channels */
	bool		id_isnull;
	bool		valid;
} TouchKey;

typedef struct ChannelStat
{
	uint32		name_offset;	/* into the state's names */
	uint32		name_len;
	int32		count;			/* window touches of the channel */
} ChannelStat;

/*
 * The state of one journey, in ONE chunk of the aggregate context: this
 * header, then ChannelStat channels[channels_capacity], then (time decay
 * only) double decay[channels_capacity], the weight sums relative to
 * decay_ref, then the channel names, back to back.  Sized for 8 channels and
 * 64 bytes of names it fits a 512-byte chunk; it is reallocated, twice as
 * large, when a journey needs more.
 */
typedef struct JourneyState
{
	const AttributionModel *model;	/* interned in the call's model cache */
	JourneyTimes times;
	bool		has_end;		/* the window, from the model and the times */
	bool		has_start;
	TimestampTz end;
	TimestampTz start;
	int32		n_rows;			/* every touch, for the journey cap */
	int32		n_window;
	int32		first_dups;		/* window touches equal to slots[SLOT_FIRST] */
	int32		nchannels;
	int32		channels_capacity;
	int32		last_channel;	/* the channel of the previous row */
	uint32		names_used;
	uint32		names_capacity;
	TimestampTz decay_ref;		/* latest window touch so far */
	TouchKey	slots[NUM_SLOTS];
} JourneyState;

#define STATE_HEADER_SIZE MAXALIGN(sizeof(JourneyState))
#define STATE_CHANNELS(s) ((ChannelStat *) ((char *) (s) + STATE_HEADER_SIZE))
#define STATE_DECAY(s) ((double *) ((char *) STATE_CHANNELS(s) + \
	MAXALIGN((s)->channels_capacity * sizeof(ChannelStat))))
#define STATE_NAMES(s) ((char *) STATE_DECAY(s) + \
	((s)->model->time_decay ? (s)->channels_capacity * sizeof(double) : 0))

static Size
state_size(const AttributionModel *model, int channels_capacity, uint32 names_capacity)
{
	StaticAssertStmt(STATE_HEADER_SIZE + 8 * (sizeof(ChannelStat) + sizeof(double)) < 496,
					 "the journey state header is too large for its 512-byte chunk");
	return STATE_HEADER_SIZE + MAXALIGN(channels_capacity * sizeof(ChannelStat)) +
		(model->time_decay ? channels_capacity * sizeof(double) : 0) + names_capacity;
}

/* the parsed models of one call site (fn_extra), so rows do not re-parse */
typedef struct ModelCache
{
	int			nmodels;
	AttributionModel models[MAX_CACHED_MODELS];
	bool		args_checked;
	bool		args_stable;	/* model, half_life, weights, lookback constant */
} ModelCache;

static const AttributionModel *
intern_model(FunctionCallInfo fcinfo, const AttributionModel *model)
{
	ModelCache *cache = fcinfo->flinfo->fn_extra;
	int			i;

	for (i = 0; i < cache->nmodels; i++)
		if (model_equal(&cache->models[i], model))
			return &cache->models[i];
	if (cache->nmodels == MAX_CACHED_MODELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many different models in one channel_credit call"),
				 errdetail("One call may use at most %d different models and parameters.",
						   MAX_CACHED_MODELS),
				 errhint("Compute each model in a separate call.")));
	cache->models[cache->nmodels] = *model;
	return &cache->models[cache->nmodels++];
}

static ModelCache *
model_cache(FunctionCallInfo fcinfo)
{
	ModelCache *cache = fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ModelCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache;
}

/*
 * Is the aggregate's argument of transition-function argument argno a
 * constant?  (The transition function's own expression has placeholders
 * for its arguments, so ask the Aggref.)
 */
static bool
aggregate_arg_is_const(FunctionCallInfo fcinfo, int argno)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	TargetEntry *tle;

	if (aggref == NULL || argno - 1 >= list_length(aggref->args))
		return false;
	tle = list_nth_node(TargetEntry, aggref->args, argno - 1);
	return IsA(tle->expr, Const);
}

static bool
full_form(FunctionCallInfo fcinfo)
{
	return PG_NARGS() > CC_SHORT_CONVERTED_AT + 1;
}

static const AttributionModel *
row_model(FunctionCallInfo fcinfo)
{
	ModelCache *cache = model_cache(fcinfo);
	bool		full = full_form(fcinfo);
	AttributionModel model;

	if (!cache->args_checked)
	{
		cache->args_stable = aggregate_arg_is_const(fcinfo, CC_MODEL) &&
			(!full || (aggregate_arg_is_const(fcinfo, CC_HALF_LIFE) &&
					   aggregate_arg_is_const(fcinfo, CC_WEIGHTS) &&
					   aggregate_arg_is_const(fcinfo, CC_LOOKBACK)));
		cache->args_checked = true;
	}
	if (cache->args_stable && cache->nmodels > 0)
		return &cache->models[0];

	if (PG_ARGISNULL(CC_MODEL))
		model_null_error();
	if (full)
	{
		Interval	default_half_life = {0};

		default_half_life.day = 7;
		model_init(&model, PG_GETARG_TEXT_PP(CC_MODEL), true,
				   PG_ARGISNULL(CC_HALF_LIFE) ? &default_half_life : PG_GETARG_INTERVAL_P(CC_HALF_LIFE),
				   PG_ARGISNULL(CC_WEIGHTS) ? NULL : PG_GETARG_ARRAYTYPE_P(CC_WEIGHTS),
				   PG_ARGISNULL(CC_LOOKBACK) ? NULL : PG_GETARG_INTERVAL_P(CC_LOOKBACK));
	}
	else
	{
		Interval	default_half_life = {0};

		default_half_life.day = 7;
		model_init(&model, PG_GETARG_TEXT_PP(CC_MODEL), true, &default_half_life, NULL, NULL);
	}
	return intern_model(fcinfo, &model);
}

static bool
optional_time(FunctionCallInfo fcinfo, int argno, const char *argname, TimestampTz *value)
{
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return false;
	*value = check_finite_timestamp(PG_GETARG_TIMESTAMPTZ(argno), argname);
	return true;
}

static void
row_times(FunctionCallInfo fcinfo, JourneyTimes *times)
{
	memset(times, 0, sizeof(*times));
	if (full_form(fcinfo))
	{
		times->has_converted = optional_time(fcinfo, CC_CONVERTED_AT, "converted_at", &times->converted_at);
		times->has_lead = optional_time(fcinfo, CC_LEAD_AT, "lead_created_at", &times->lead_at);
		times->has_opportunity = optional_time(fcinfo, CC_OPPORTUNITY_AT, "opportunity_created_at",
											   &times->opportunity_at);
		times->has_closed = optional_time(fcinfo, CC_CLOSED_AT, "closed_at", &times->closed_at);
	}
	else
		times->has_converted = optional_time(fcinfo, CC_SHORT_CONVERTED_AT, "converted_at",
											 &times->converted_at);
}

static void
journey_args_differ(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("the journey-level arguments of channel_credit differ within one journey"),
			 errdetail("The model, its parameters, and the conversion and milestone times must be the same on every touch of a journey."),
			 errhint("Group by the journey, and take these values from the journey, not from the touch.")));
}

/*
 * A new state: 8 channels, and as many bytes of names as fill a 512-byte
 * chunk (the allocator's size class), so a typical journey never grows.
 */
#define STATE_INITIAL_CHANNELS 8
#define STATE_INITIAL_BYTES 496

static JourneyState *
state_create(const AttributionModel *model, const JourneyTimes *times)
{
	uint32		names_capacity = STATE_INITIAL_BYTES - state_size(model, STATE_INITIAL_CHANNELS, 0);
	JourneyState *state = palloc0(state_size(model, STATE_INITIAL_CHANNELS, names_capacity));
	JourneyWindow window;

	state->model = model;
	state->times = *times;
	model_window(model, times, &window);
	if (window.lookback_from_last_touch)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("channel_credit needs the end of the journey's window to apply lookback"),
				 errdetail("Without converted_at (or the model's milestone) lookback would be measured from the last touch, which a single pass cannot know."),
				 errhint("Give converted_at, or use journey_agg() with credits().")));
	state->has_end = window.has_end;
	state->end = window.end;
	state->has_start = window.has_start;
	state->start = window.start;
	state->channels_capacity = STATE_INITIAL_CHANNELS;
	state->names_capacity = names_capacity;
	state->last_channel = -1;
	return state;
}

/* move the state to a larger chunk with room for one more channel named len bytes */
static JourneyState *
state_grow(JourneyState *state, uint32 len)
{
	int			capacity = state->channels_capacity;
	uint32		names_capacity = state->names_capacity;
	JourneyState *grown;

	if (state->nchannels == capacity)
		capacity *= 2;
	while ((Size) state->names_used + len > names_capacity)
	{
		if (names_capacity > MaxAllocSize / 4)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("journey channel names are too long"),
					 errdetail("The channel names of one journey take more than %zu bytes.",
							   (Size) MaxAllocSize / 4),
					 errhint("Use shorter channel names.")));
		names_capacity *= 2;
	}
	grown = palloc(state_size(state->model, capacity, names_capacity));
	memcpy(grown, state, sizeof(JourneyState));
	grown->channels_capacity = capacity;
	grown->names_capacity = names_capacity;
	memcpy(STATE_CHANNELS(grown), STATE_CHANNELS(state), state->nchannels * sizeof(ChannelStat));
	if (state->model->time_decay)
		memcpy(STATE_DECAY(grown), STATE_DECAY(state), state->nchannels * sizeof(double));
	memcpy(STATE_NAMES(grown), STATE_NAMES(state), state->names_used);
	pfree(state);
	return grown;
}

/* names of equal length: the last eight bytes tell most apart at once */
static inline bool
names_equal(const char *a, const char *b, uint32 len)
{
	if (len >= sizeof(uint64))
	{
		uint64		tail_a;
		uint64		tail_b;

		memcpy(&tail_a, a + len - sizeof(uint64), sizeof(uint64));
		memcpy(&tail_b, b + len - sizeof(uint64), sizeof(uint64));
		if (tail_a != tail_b)
			return false;
	}
	return memcmp(a, b, len) == 0;
}

/*
 * The index of a channel in the state, added when new; the state may move
 * to a larger chunk, so it is passed by reference.
 */
static int
channel_index(JourneyState **statep, const char *name, uint32 len)
{
	JourneyState *state = *statep;
	ChannelStat *channels = STATE_CHANNELS(state);
	const char *names = STATE_NAMES(state);
	int			c = state->last_channel;
	ChannelStat *stat;

	if (c >= 0 && channels[c].name_len == len &&
		names_equal(names + channels[c].name_offset, name, len))
		return c;
	for (c = 0; c < state->nchannels; c++)
	{
		if (channels[c].name_len == len && names_equal(names + channels[c].name_offset, name, len))
			return state->last_channel = c;
	}
	if (state->nchannels == MAX_JOURNEY_CHANNELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("journey has too many channels for channel_credit"),
				 errdetail("One journey may touch at most %d distinct channels.", MAX_JOURNEY_CHANNELS),
				 errhint("Use journey_agg() with credits() for such journeys.")));
	if (state->nchannels == state->channels_capacity ||
		(Size) state->names_used + len > state->names_capacity)
		*statep = state = state_grow(state, len);
	stat = &STATE_CHANNELS(state)[state->nchannels];
	stat->name_offset = state->names_used;
	stat->name_len = len;
	stat->count = 0;
	if (state->model->time_decay)
		STATE_DECAY(state)[state->nchannels] = 0;
	memcpy(STATE_NAMES(state) + state->names_used, name, len);
	state->names_used += len;
	return state->last_channel = state->nchannels++;
}

/* the documented touch order; channels compared by name */
static int
compare_keys(const JourneyState *state, const TouchKey *a, const TouchKey *b)
{
	const ChannelStat *ca;
	const ChannelStat *cb;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	if (a->id_isnull != b->id_isnull)
		return a->id_isnull ? 1 : -1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	if (a->channel == b->channel)
		return 0;
	ca = &STATE_CHANNELS(state)[a->channel];
	cb = &STATE_CHANNELS(state)[b->channel];
	return strdict_compare_bytes(STATE_NAMES(state) + ca->name_offset, ca->name_len,
								 STATE_NAMES(state) + cb->name_offset, cb->name_len);
}

static void
keep_max(const JourneyState *state, TouchKey *slot, const TouchKey *key)
{
	if (!slot->valid || compare_keys(state, key, slot) >= 0)
		*slot = *key;
}

static void
keep_first(JourneyState *state, const TouchKey *key, int32 dups)
{
	TouchKey   *slot = &state->slots[SLOT_FIRST];
	int			cmp = slot->valid ? compare_keys(state, key, slot) : -1;

	if (cmp < 0)
	{
		*slot = *key;
		state->first_dups = dups;
	}
	else if (cmp == 0)
		state->first_dups += dups;
}

/*
 * Add weight_sum, taken relative to ref, to a channel's decay sum.  A later
 * reference rescales what the state has; "empty" says the state has no
 * window touch yet (its reference is not set).
 */
static void
add_decay(JourneyState *state, int channel, double weight_sum, TimestampTz ref, bool empty)
{
	const AttributionModel *model = state->model;
	double	   *decay = STATE_DECAY(state);
	int			c;

	if (empty || ref > state->decay_ref)
	{
		if (!empty)
		{
			double		scale = model_decay_weight(model, (double) (ref - state->decay_ref));

			for (c = 0; c < state->nchannels; c++)
				decay[c] *= scale;
		}
		state->decay_ref = ref;
	}
	else
		weight_sum *= model_decay_weight(model, (double) (state->decay_ref - ref));
	decay[channel] += weight_sum;
}

static void
add_touch(JourneyState *state, const TouchKey *key, bool is_direct)
{
	const JourneyTimes *times = &state->times;

	if (state->model->time_decay)
		add_decay(state, key->channel, 1.0, key->at, state->n_window == 0);
	STATE_CHANNELS(state)[key->channel].count++;
	state->n_window++;
	keep_first(state, key, 1);
	keep_max(state, &state->slots[SLOT_LAST], key);
	if (times->has_lead && key->at <= times->lead_at)
		keep_max(state, &state->slots[SLOT_LEAD], key);
	if (times->has_opportunity && key->at <= times->opportunity_at)
		keep_max(state, &state->slots[SLOT_OPPORTUNITY], key);
	if (times->has_closed && key->at <= times->closed_at)
		keep_max(state, &state->slots[SLOT_CLOSED], key);
	if (!is_direct)
		keep_max(state, &state->slots[SLOT_LAST_NON_DIRECT], key);
}

Datum
channel_credit_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "channel_credit_trans");
	JourneyState *state = PG_ARGISNULL(0) ? NULL : (JourneyState *) PG_GETARG_POINTER(0);
	const AttributionModel *model = row_model(fcinfo);
	JourneyTimes times;
	TouchKey	key = {0};
	text	   *channel;
	bool		is_direct = false;
	MemoryContext old;

	row_times(fcinfo, &times);
	if (PG_ARGISNULL(CC_TOUCHED_AT))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("touched_at must not be NULL"),
				 errdetail("Every touch of a journey needs a time."),
				 errhint("Filter out touches without a time, or give them one.")));
	if (PG_ARGISNULL(CC_CHANNEL))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("channel must not be NULL"),
				 errdetail("Every touch of a journey needs a channel."),
				 errhint("Map missing channels to a name such as 'unknown'.")));
	key.at = check_finite_timestamp(PG_GETARG_TIMESTAMPTZ(CC_TOUCHED_AT), "touched_at");
	key.id_isnull = true;
	key.valid = true;
	if (full_form(fcinfo))
	{
		key.id_isnull = PG_ARGISNULL(CC_TOUCH_ID);
		key.id = key.id_isnull ? 0 : PG_GETARG_INT64(CC_TOUCH_ID);
		is_direct = !PG_ARGISNULL(CC_IS_DIRECT) && PG_GETARG_BOOL(CC_IS_DIRECT);
	}

	old = MemoryContextSwitchTo(aggcontext);
	if (state == NULL)
		state = state_create(model, &times);
	else if ((state->model != model && !model_equal(state->model, model)) ||
			 !journey_times_equal(&state->times, &times))
		journey_args_differ();
	state->n_rows++;
	model_check_journey_length(state->n_rows);
	if ((!state->has_end || key.at <= state->end) &&
		(!state->has_start || key.at >= state->start))
	{
		channel = PG_GETARG_TEXT_PP(CC_CHANNEL);
		key.channel = channel_index(&state, VARDATA_ANY(channel), VARSIZE_ANY_EXHDR(channel));
		add_touch(state, &key, is_direct);
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(state);
}

/* ---------- combine, serialize, deserialize ---------- */

/* a's index of b's channel c, added to a when new */
static int
map_channel(JourneyState **ap, const JourneyState *b, int c)
{
	const ChannelStat *stat = &STATE_CHANNELS(b)[c];

	return channel_index(ap, STATE_NAMES(b) + stat->name_offset, stat->name_len);
}

static JourneyState *
merge_states(JourneyState *a, const JourneyState *b)
{
	bool		a_empty = a->n_window == 0;
	int			c;
	int			s;

	if (!model_equal(a->model, b->model) || !journey_times_equal(&a->times, &b->times))
		journey_args_differ();
	a->n_rows += b->n_rows;
	model_check_journey_length(a->n_rows);
	for (c = 0; c < b->nchannels; c++)
	{
		int			ac = map_channel(&a, b, c);

		STATE_CHANNELS(a)[ac].count += STATE_CHANNELS(b)[c].count;
		if (a->model->time_decay && STATE_CHANNELS(b)[c].count > 0)
		{
			add_decay(a, ac, STATE_DECAY(b)[c], b->decay_ref, a_empty);
			a_empty = false;
		}
	}
	for (s = 0; s < NUM_SLOTS; s++)
	{
		TouchKey	key = b->slots[s];

		if (!key.valid)
			continue;
		key.channel = map_channel(&a, b, key.channel);
		if (s == SLOT_FIRST)
			keep_first(a, &key, b->first_dups);
		else
			keep_max(a, &a->slots[s], &key);
	}
	a->n_window += b->n_window;
	return a;
}

Datum
channel_credit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "channel_credit_combine");
	JourneyState *a = PG_ARGISNULL(0) ? NULL : (JourneyState *) PG_GETARG_POINTER(0);
	JourneyState *b = PG_ARGISNULL(1) ? NULL : (JourneyState *) PG_GETARG_POINTER(1);
	MemoryContext old;

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	old = MemoryContextSwitchTo(aggcontext);
	if (a == NULL)
		a = state_create(b->model, &b->times);	/* empty, in our context */
	a = merge_states(a, b);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

static void
write_key(StringInfo msg, const TouchKey *key)
{
	pq_sendbyte(msg, key->valid ? 1 : 0);
	pq_sendint64(msg, key->at);
	pq_sendbyte(msg, key->id_isnull ? 1 : 0);
	pq_sendint64(msg, key->id);
	pq_sendint32(msg, key->channel);
}

static void
write_time(StringInfo msg, bool given, TimestampTz value)
{
	pq_sendbyte(msg, given ? 1 : 0);
	pq_sendint64(msg, value);
}

Datum
channel_credit_serialize(PG_FUNCTION_ARGS)
{
	JourneyState *state = (JourneyState *) PG_GETARG_POINTER(0);
	StringInfoData msg;
	int			i;

	pq_begintypsend(&msg);
	pq_sendbyte(&msg, STATE_VERSION);
	model_write(&msg, state->model);
	write_time(&msg, state->times.has_converted, state->times.converted_at);
	write_time(&msg, state->times.has_lead, state->times.lead_at);
	write_time(&msg, state->times.has_opportunity, state->times.opportunity_at);
	write_time(&msg, state->times.has_closed, state->times.closed_at);
	pq_sendint32(&msg, state->n_rows);
	pq_sendint32(&msg, state->n_window);
	pq_sendint32(&msg, state->first_dups);
	pq_sendint64(&msg, state->decay_ref);
	for (i = 0; i < NUM_SLOTS; i++)
		write_key(&msg, &state->slots[i]);
	pq_sendint32(&msg, state->nchannels);
	for (i = 0; i < state->nchannels; i++)
	{
		const ChannelStat *stat = &STATE_CHANNELS(state)[i];

		pq_sendint32(&msg, stat->name_len);
		pq_sendbytes(&msg, STATE_NAMES(state) + stat->name_offset, stat->name_len);
		pq_sendint32(&msg, stat->count);
		pq_sendfloat8(&msg, state->model->time_decay ? STATE_DECAY(state)[i] : 0);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&msg));
}

static void
state_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid channel_credit state"),
			 errdetail("%s", detail),
			 errhint("The state was not written by channel_credit's serialize function.")));
}

static bool
read_time(StringInfo msg, TimestampTz *value)
{
	int			given = pq_getmsgbyte(msg);

	*value = pq_getmsgint64(msg);
	if (given != 0 && given != 1)
		state_error("A flag is neither 0 nor 1.");
	if (given && TIMESTAMP_NOT_FINITE(*value))
		state_error("A time is infinite.");
	if (!given)
		*value = 0;
	return given == 1;
}

static void
read_key(StringInfo msg, TouchKey *key)
{
	int			valid = pq_getmsgbyte(msg);
	int			id_isnull;

	key->at = pq_getmsgint64(msg);
	id_isnull = pq_getmsgbyte(msg);
	key->id = pq_getmsgint64(msg);
	key->channel = pq_getmsgint(msg, 4);
	if ((valid != 0 && valid != 1) || (id_isnull != 0 && id_isnull != 1))
		state_error("A flag is neither 0 nor 1.");
	key->valid = valid == 1;
	key->id_isnull = id_isnull == 1;
}

/* the channels of a serialized state, appended to the (new) state */
static JourneyState *
read_channels(StringInfo msg, JourneyState *state)
{
	int			nchannels = pq_getmsgint(msg, 4);
	int64		counted = 0;
	int			i;

	if (nchannels < 0 || nchannels > MAX_JOURNEY_CHANNELS ||
		(int64) nchannels * 16 > msg->len - msg->cursor)
		state_error("The channel count is out of range.");
	for (i = 0; i < nchannels; i++)
	{
		int			len = pq_getmsgint(msg, 4);
		const char *name;
		int			count;
		double		decay;
		int			c;

		if (len < 0 || len > msg->len - msg->cursor)
			state_error("A channel name length exceeds the data.");
		name = pq_getmsgbytes(msg, len);
		if (!pg_verifymbstr(name, len, true))
			state_error("A channel name is not valid in the server encoding.");
		c = channel_index(&state, name, len);
		if (c != i)
			state_error("A channel appears twice.");
		count = pq_getmsgint(msg, 4);
		decay = pq_getmsgfloat8(msg);
		if (count < 0 || count > MAX_JOURNEY_TOUCHES || !isfinite(decay) || decay < 0)
			state_error("A channel's count or weight is out of range.");
		STATE_CHANNELS(state)[c].count = count;
		if (state->model->time_decay)
			STATE_DECAY(state)[c] = decay;
		counted += count;
	}
	if (counted != state->n_window)
		state_error("The channel counts do not add up to the window's touches.");
	return state;
}

Datum
channel_credit_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "channel_credit_deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData msg;
	AttributionModel model;
	JourneyTimes times = {0};
	JourneyState *state;
	TouchKey	slots[NUM_SLOTS];
	int32		n_rows,
				n_window,
				first_dups;
	TimestampTz decay_ref;
	int			i;
	MemoryContext old;

	agg_state_message(bytes, &msg);
	if (pq_getmsgbyte(&msg) != STATE_VERSION)
		state_error("The format version is unknown.");
	model_read(&msg, &model);
	times.has_converted = read_time(&msg, &times.converted_at);
	times.has_lead = read_time(&msg, &times.lead_at);
	times.has_opportunity = read_time(&msg, &times.opportunity_at);
	times.has_closed = read_time(&msg, &times.closed_at);
	n_rows = pq_getmsgint(&msg, 4);
	n_window = pq_getmsgint(&msg, 4);
	first_dups = pq_getmsgint(&msg, 4);
	decay_ref = pq_getmsgint64(&msg);
	if (n_rows < 0 || n_rows > MAX_JOURNEY_TOUCHES || n_window < 0 || n_window > n_rows ||
		first_dups < 0 || first_dups > n_window)
		state_error("A touch count is out of range.");
	for (i = 0; i < NUM_SLOTS; i++)
		read_key(&msg, &slots[i]);

	old = MemoryContextSwitchTo(aggcontext);
	(void) model_cache(fcinfo);
	state = state_create(intern_model(fcinfo, &model), &times);
	state->n_rows = n_rows;
	state->n_window = n_window;
	state->first_dups = first_dups;
	state->decay_ref = decay_ref;
	state = read_channels(&msg, state);
	if (msg.cursor != msg.len)
		state_error("Bytes follow the last channel.");
	for (i = 0; i < NUM_SLOTS; i++)
		if (slots[i].valid && (slots[i].channel < 0 || slots[i].channel >= state->nchannels ||
							   TIMESTAMP_NOT_FINITE(slots[i].at)))
			state_error("A position refers to an unknown channel.");
	if ((n_window > 0) != slots[SLOT_FIRST].valid)
		state_error("The first touch does not match the window's touches.");
	memcpy(state->slots, slots, sizeof(slots));
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(state);
}

/* ---------- final: credit by channel ---------- */

/* are slots s and t (both valid) the same touch? */
static bool
same_touch(const JourneyState *state, const TouchKey *slots, int s, int t)
{
	if (compare_keys(state, &slots[s], &slots[t]) != 0)
		return false;
	/* the first position takes the first of equal touches, the others the last */
	if (s == SLOT_FIRST || t == SLOT_FIRST)
		return state->first_dups == 1;
	return true;
}

static void
credit_positions(const JourneyState *state, double *credit)
{
	const AttributionModel *model = state->model;
	const ChannelStat *channels = STATE_CHANNELS(state);
	bool		has_touch[NUM_POSITIONS] = {false};
	bool		holds[NUM_SLOTS] = {false};
	bool		counted[NUM_SLOTS] = {false};
	int32	   *held_per_channel = palloc0(state->nchannels * sizeof(int32));
	double		position_credit[NUM_POSITIONS];
	double		middle_credit;
	TouchKey	slots[NUM_SLOTS];
	int			n_held = 0;
	int			s,
				t,
				c;

	memcpy(slots, state->slots, sizeof(slots));
	/* all touches direct: last_non_direct is the last touch */
	if (!slots[SLOT_LAST_NON_DIRECT].valid)
		slots[SLOT_LAST_NON_DIRECT] = slots[SLOT_LAST];
	for (s = 0; s < NUM_SLOTS; s++)
	{
		holds[s] = slots[s].valid && model->shares[slot_position[s]] > 0;
		has_touch[slot_position[s]] = holds[s];
	}
	/* count distinct held touches, each once, per channel */
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
			held_per_channel[slots[s].channel]++;
		}
	}
	model_split_shares(model, has_touch, state->n_window, n_held, position_credit, &middle_credit);
	for (c = 0; c < state->nchannels; c++)
		credit[c] = middle_credit * (double) (channels[c].count - held_per_channel[c]);
	for (s = 0; s < NUM_SLOTS; s++)
	{
		if (holds[s])
			credit[slots[s].channel] += position_credit[slot_position[s]];
	}
	pfree(held_per_channel);
}

Datum
channel_credit_final(PG_FUNCTION_ARGS)
{
	JourneyState *state = PG_ARGISNULL(0) ? NULL : (JourneyState *) PG_GETARG_POINTER(0);
	const ChannelStat *channels;
	double	   *credit;
	const char **names;
	int		   *lens;
	int			n = 0;
	int			c;

	if (state == NULL)
		PG_RETURN_NULL();
	channels = STATE_CHANNELS(state);
	credit = palloc0(Max(state->nchannels, 1) * sizeof(double));
	names = palloc(Max(state->nchannels, 1) * sizeof(char *));
	lens = palloc(Max(state->nchannels, 1) * sizeof(int));
	if (state->n_window > 0)
	{
		if (state->model->time_decay)
		{
			const double *decay = STATE_DECAY(state);
			double		total = 0;

			for (c = 0; c < state->nchannels; c++)
				total += decay[c];
			for (c = 0; c < state->nchannels; c++)
				credit[c] = decay[c] / total;
		}
		else
			credit_positions(state, credit);
	}
	/* channels enter the state only with a window touch */
	for (c = 0; c < state->nchannels; c++)
	{
		Assert(channels[c].count > 0);
		names[n] = STATE_NAMES(state) + channels[c].name_offset;
		lens[n] = channels[c].name_len;
		credit[n] = credit[c];
		n++;
	}
	PG_RETURN_POINTER(credit_map_build(n, names, lens, credit));
}
