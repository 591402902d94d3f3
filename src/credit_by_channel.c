/*
 * credit_by_channel.c
 *		credit_by_channel(journey_id, model, touched_at, channel, ...): the
 *		summary path in one aggregate.  It reads the touches of many journeys
 *		in any order, keeps a small summary per journey (journey_state.c) in
 *		its own hash table keyed by the journey id, and returns the credit of
 *		all journeys summed by channel.
 *
 * Doing the grouping itself (an int64-keyed simplehash) rather than through
 * GROUP BY journey saves the executor's generic grouping, a per-journey
 * channel_credits value, and a second aggregate to add those up.  The
 * journeys are summed in the order of their ids, so the result does not
 * depend on the order of the rows or on the plan.
 *
 * All journeys stay in memory (some 150 to 300 bytes each), which work_mem
 * does not govern: the state counts the bytes of its journeys' summaries and
 * of its hash table, and a call fails with configuration_limit_exceeded
 * before a new journey would take it past attribution.max_memory (each
 * parallel worker, and the leader that combines their states, counts its
 * own).
 */
#include "postgres.h"

#include "compat.h"

#include "aggstate.h"
#include "aggutil.h"
#include "attribution.h"
#include "common/hashfn.h"
#include "credit_map.h"
#include "exactsum.h"
#include "fmgr.h"
#include "journey_state.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(credit_by_channel_trans);
PG_FUNCTION_INFO_V1(credit_by_channel_combine);
PG_FUNCTION_INFO_V1(credit_by_channel_serialize);
PG_FUNCTION_INFO_V1(credit_by_channel_deserialize);
PG_FUNCTION_INFO_V1(credit_by_channel_final);
PG_FUNCTION_INFO_V1(credit_by_channel_state_in);
PG_FUNCTION_INFO_V1(credit_by_channel_state_out);
PG_FUNCTION_INFO_V1(credit_by_channel_state_recv);
PG_FUNCTION_INFO_V1(credit_by_channel_state_send);
PG_FUNCTION_INFO_V1(credit_by_channel_state_trans);
PG_FUNCTION_INFO_V1(credit_by_channel_state_combine);
PG_FUNCTION_INFO_V1(credit_by_channel_state_final);

#define STATE_VERSION 1
/* the documented cap on the journeys of one call (each takes 150-300 bytes) */
#define MAX_JOURNEYS 10000000
/* a serialized state must stay well below the 1 GB limit of a bytea */
#define MAX_SERIALIZED_BYTES ((Size) 900 * 1024 * 1024)

typedef struct JourneyEntry
{
	int64		journey;
	JourneyState *state;
	char		status;
} JourneyEntry;

static inline uint32
journey_hash(int64 journey)
{
	return hash_combine(murmurhash32((uint32) journey), murmurhash32((uint32) ((uint64) journey >> 32)));
}

#define SH_PREFIX journey_map
#define SH_ELEMENT_TYPE JourneyEntry
#define SH_KEY_TYPE int64
#define SH_KEY journey
#define SH_HASH_KEY(tb, key) journey_hash(key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
/* an int64 key compares as cheaply as a stored hash would: none is kept */
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct ManyJourneys
{
	journey_map_hash *journeys;
	int64		njourneys;
	Size		bytes;			/* of the journeys' summaries */
	JourneyCall *call;			/* a storable state's own; NULL: the call site's */
} ManyJourneys;

/* the least memory a new journey takes (a summary of two channels) */
#define MIN_JOURNEY_BYTES 96

/*
 * Before adding a journey: its summary, and what the hash table takes when
 * this insertion makes it grow, must fit attribution.max_memory.
 */
static void
check_memory(const ManyJourneys *many)
{
	Size		table = mul_size(many->journeys->size, sizeof(JourneyEntry));
	Size		needed;

	if (many->journeys->members >= many->journeys->grow_threshold)
		table = mul_size(table, 3);	/* the old table and the new one, twice its size */
	needed = add_size(add_size(many->bytes, table), MIN_JOURNEY_BYTES);
	if (needed > attribution_max_memory())
		attribution_memory_error("credit_by_channel", needed, "Keeping the summaries of its journeys");
}

static ManyJourneys *
many_create(MemoryContext aggcontext, uint32 initial_journeys)
{
	ManyJourneys *many = MemoryContextAllocZero(aggcontext, sizeof(ManyJourneys));

	many->journeys = journey_map_create(aggcontext, initial_journeys, NULL);
	return many;
}

/* the entry of a journey, new ones with a NULL state */
static JourneyEntry *
journey_entry(ManyJourneys *many, int64 journey)
{
	bool		found;
	JourneyEntry *entry = journey_map_lookup(many->journeys, journey);

	if (entry != NULL)
		return entry;
	if (many->njourneys >= MAX_JOURNEYS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many journeys for credit_by_channel"),
				 errdetail("One call keeps at most %d journeys in memory.", MAX_JOURNEYS),
				 errhint("Split the query (by period, say), or group by the journey with "
						 "channel_credit() and add the results up with sum().")));
	check_memory(many);
	entry = journey_map_insert(many->journeys, journey, &found);
	Assert(!found);
	entry->state = NULL;
	many->njourneys++;
	return entry;
}

static void
journey_null_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("journey_id must not be NULL"),
			 errdetail("Every touch must belong to a journey."),
			 errhint("Filter out touches without a journey.")));
}

/*
 * Read the row (journey_id, then the forms of channel_credit) and add it to
 * its journey's summary, counting the bytes it takes.
 */
static void
add_journey_row(ManyJourneys *many, JourneyCall *call, MemoryContext aggcontext,
				JourneyEntry *entry, FunctionCallInfo fcinfo)
{
	Size		before = journey_call_allocated(call);
	RowArgs		where;
	TouchRow	row;

	summary_row_args(fcinfo, 2, &where);
	touch_row_read(fcinfo, &where, journey_call_reader(call), &row);
	entry->state = journey_state_add_row(call, aggcontext, entry->state, &row);
	many->bytes += journey_call_allocated(call) - before;
}

/*
 * The support functions of version 0.1.0, with an `internal` state (a
 * ManyJourneys of the call site), kept so that a database still on 0.1.0
 * works with this library until it is updated; the storable state follows
 * below.
 */
Datum
credit_by_channel_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "credit_by_channel_trans");
	ManyJourneys *many = agg_state_arg(fcinfo, 0);
	JourneyEntry *entry;

	if (PG_ARGISNULL(1))
		journey_null_error();
	if (many == NULL)
		many = many_create(aggcontext, 1024);
	entry = journey_entry(many, PG_GETARG_INT64(1));
	add_journey_row(many, journey_call(fcinfo), aggcontext, entry, fcinfo);
	PG_RETURN_POINTER(many);
}

Datum
credit_by_channel_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "credit_by_channel_combine");
	ManyJourneys *a = agg_state_arg(fcinfo, 0);
	ManyJourneys *b = agg_state_arg(fcinfo, 1);
	JourneyCall *call = journey_call(fcinfo);
	journey_map_iterator it;
	JourneyEntry *from;

	if (b == NULL)
		return agg_state_unchanged(fcinfo);
	if (a == NULL)
		a = many_create(aggcontext, 1024);
	journey_map_start_iterate(b->journeys, &it);
	while ((from = journey_map_iterate(b->journeys, &it)) != NULL)
	{
		JourneyEntry *to = journey_entry(a, from->journey);
		Size		before = journey_call_allocated(call);

		to->state = journey_state_merge(call, aggcontext, to->state, from->state);
		a->bytes += journey_call_allocated(call) - before;
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_POINTER(a);
}

Datum
credit_by_channel_serialize(PG_FUNCTION_ARGS)
{
	ManyJourneys *many = (ManyJourneys *) PG_GETARG_POINTER(0);
	journey_map_iterator it;
	JourneyEntry *entry;
	StringInfoData msg;

	pq_begintypsend(&msg);
	pq_sendbyte(&msg, STATE_VERSION);
	pq_sendint64(&msg, many->njourneys);
	journey_map_start_iterate(many->journeys, &it);
	while ((entry = journey_map_iterate(many->journeys, &it)) != NULL)
	{
		pq_sendint64(&msg, entry->journey);
		journey_state_write(&msg, entry->state);
		if ((Size) msg.len > MAX_SERIALIZED_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many journeys to pass between parallel workers"),
					 errdetail("The journeys of one worker take more than %zu bytes.", MAX_SERIALIZED_BYTES),
					 errhint("Run the query without parallel workers (SET max_parallel_workers_per_gather = 0), "
							 "or group by the journey with channel_credit() and add the results up with sum().")));
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&msg));
}

/* the number of journeys of a state, each taking at least min_bytes */
static int64
read_journey_count(BinReader *in, int min_bytes)
{
	int64		n = bin_int64(in);

	if (n < 0 || n > MAX_JOURNEYS || n * min_bytes > bin_left(in))
		bin_error(in, "The number of journeys, " INT64_FORMAT ", is out of range.", n);
	return n;
}

Datum
credit_by_channel_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "credit_by_channel_deserialize");
	JourneyCall *call = journey_call(fcinfo);
	StringInfoData msg;
	BinReader	in;
	ManyJourneys *many;
	int64		njourneys;
	int64		i;

	bin_message(&msg, (struct varlena *) PG_GETARG_BYTEA_PP(0));
	bin_init(&in, &msg, "credit_by_channel", BIN_SERIALIZED);
	bin_version(&in, STATE_VERSION);
	njourneys = read_journey_count(&in, 60);
	many = many_create(aggcontext, 1024);
	for (i = 0; i < njourneys; i++)
	{
		JourneyEntry *entry = journey_entry(many, bin_int64(&in));
		Size		before = journey_call_allocated(call);

		if (entry->state != NULL)
			bin_error(&in, "Journey " INT64_FORMAT " appears twice.", entry->journey);
		entry->state = journey_state_read(call, aggcontext, &in);
		many->bytes += journey_call_allocated(call) - before;
		CHECK_FOR_INTERRUPTS();
	}
	bin_end(&in, "journey");
	PG_RETURN_POINTER(many);
}

static int
compare_entries(const void *a, const void *b, void *arg)
{
	int64		ja = (*(JourneyEntry *const *) a)->journey;
	int64		jb = (*(JourneyEntry *const *) b)->journey;

	return (ja > jb) - (ja < jb);
}

/*
 * Add the credits of every journey, in the order of the journey ids, with
 * compensated sums (as credit_sum_agg adds them).
 */
static CreditMapData *
sum_journeys(ManyJourneys *many)
{
	JourneyEntry **entries = palloc(Max(many->njourneys, 1) * sizeof(JourneyEntry *));
	journey_map_iterator it;
	JourneyEntry *entry;
	StrDict    *dict = NULL;
	CompensatedSum *totals = NULL;
	double	   *values;
	bool	   *seen = NULL;
	double		credit[MAX_JOURNEY_CHANNELS];
	int32		numbers[MAX_JOURNEY_CHANNELS];
	const char **names;
	int		   *lens;
	int			ntotals = 0;
	int			n = 0;
	int64		i;
	int			c;

	journey_map_start_iterate(many->journeys, &it);
	for (i = 0; (entry = journey_map_iterate(many->journeys, &it)) != NULL; i++)
		entries[i] = entry;
	qsort_interruptible(entries, many->njourneys, sizeof(JourneyEntry *), compare_entries, NULL);
	for (i = 0; i < many->njourneys; i++)
	{
		const JourneyState *state = entries[i]->state;
		int			nchannels = journey_state_credits(state, credit, numbers);

		if (dict == NULL)
		{
			dict = journey_state_dict(state);
			ntotals = strdict_size(dict);
			totals = palloc0(Max(ntotals, 1) * sizeof(CompensatedSum));
			seen = palloc0(Max(ntotals, 1) * sizeof(bool));
		}
		else if (journey_state_dict(state) != dict)
			elog(ERROR, "credit_by_channel state mixes channel dictionaries");
		for (c = 0; c < nchannels; c++)
		{
			Assert(numbers[c] < ntotals);
			csum_add(&totals[numbers[c]], credit[c]);
			seen[numbers[c]] = true;
		}
		if ((i & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	names = palloc(Max(ntotals, 1) * sizeof(char *));
	values = palloc(Max(ntotals, 1) * sizeof(double));
	lens = palloc(Max(ntotals, 1) * sizeof(int));
	for (c = 0; c < ntotals; c++)
	{
		if (!seen[c])
			continue;
		names[n] = strdict_string(dict, c, &lens[n]);
		values[n] = csum_value(&totals[c]);
		n++;
	}
	return credit_map_build(n, names, lens, values);
}

Datum
credit_by_channel_final(PG_FUNCTION_ARGS)
{
	ManyJourneys *many = agg_state_arg(fcinfo, 0);

	if (many == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(sum_journeys(many));
}

/*
 * The storable state, credit_by_channel_state (see aggstate.h): the same
 * ManyJourneys in an expanded object, with a JourneyCall of its own (its
 * channel dictionary, models and arena live in the object's memory
 * context, so the state never depends on fn_extra, which a distributed
 * engine's calls do not keep).  Flat form:
 *		version byte
 *		the call's tables: channel names and models (journey_state.h)
 *		int64 the number of journeys, then per journey its int64 id and its
 *			compact state (model and channels by number, counts as LEB128)
 * A journey of position-based credit over a few channels takes 40 to 60
 * bytes, against about 40 bytes per touch for its rows.
 */
#define MANY_STATE_VERSION 1
#define MANY_STATE_TYPE "credit_by_channel_state"

static void *
many_state_create(void)
{
	/* small at first: a GROUP BY may keep many states */
	ManyJourneys *many = many_create(CurrentMemoryContext, 64);

	many->call = journey_call_create(CurrentMemoryContext);
	return many;
}

static void
many_state_write(void *state, StringInfo buf)
{
	ManyJourneys *many = state;
	journey_map_iterator it;
	JourneyEntry *entry;
	int64		i = 0;

	pq_sendbyte(buf, MANY_STATE_VERSION);
	journey_call_write_tables(buf, many->call);
	pq_sendint64(buf, many->njourneys);
	journey_map_start_iterate(many->journeys, &it);
	while ((entry = journey_map_iterate(many->journeys, &it)) != NULL)
	{
		pq_sendint64(buf, entry->journey);
		journey_state_write_compact(buf, many->call, entry->state);
		if ((Size) buf->len > MAX_SERIALIZED_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many journeys to pass on as a partial credit_by_channel state"),
					 errdetail("The journeys of one partial aggregate (a parallel worker's, or a shard's) take more than %zu bytes.",
							   MAX_SERIALIZED_BYTES),
					 errhint("Group by the journey with channel_credit() and add the results up with credit_sum_agg(), "
							 "or run the query without parallel workers.")));
		if ((++i & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/* read a flat state, validating it, and merge its journeys into many */
static void
many_state_read(BinReader *in, ManyJourneys *many)
{
	JourneyTables *tables;
	int64		njourneys;
	int64		i;

	bin_version(in, MANY_STATE_VERSION);
	tables = journey_call_read_tables(many->call, CurrentMemoryContext, in);
	/* a journey takes at least 13 bytes */
	njourneys = read_journey_count(in, 13);
	for (i = 0; i < njourneys; i++)
	{
		int64		journey = bin_int64(in);
		Size		before = journey_call_allocated(many->call);
		JourneyState *read = journey_state_read_compact(many->call, CurrentMemoryContext, in, tables);
		JourneyEntry *entry = journey_entry(many, journey);

		if (entry->state == NULL)
			entry->state = read;
		else
			entry->state = journey_state_merge(many->call, CurrentMemoryContext, entry->state, read);
		many->bytes += journey_call_allocated(many->call) - before;
		if ((i & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	bin_end(in, "journey");
}

static void
many_state_merge_flat(void *state, BinReader *in)
{
	many_state_read(in, (ManyJourneys *) state);
}

static void
many_state_merge_state(void *state, void *other)
{
	ManyJourneys *a = state;
	ManyJourneys *b = other;
	journey_map_iterator it;
	JourneyEntry *from;

	journey_map_start_iterate(b->journeys, &it);
	while ((from = journey_map_iterate(b->journeys, &it)) != NULL)
	{
		JourneyEntry *to = journey_entry(a, from->journey);
		Size		before = journey_call_allocated(a->call);

		to->state = journey_state_merge(a->call, CurrentMemoryContext, to->state, from->state);
		a->bytes += journey_call_allocated(a->call) - before;
		CHECK_FOR_INTERRUPTS();
	}
}

static const AggStateKind many_kind = {
	MANY_STATE_TYPE, many_state_create, many_state_write, many_state_merge_flat, many_state_merge_state, NULL
};

/* type I/O of credit_by_channel_state: the input functions read the state to validate it */

Datum
credit_by_channel_state_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(aggstate_type_in(PG_GETARG_CSTRING(0), &many_kind));
}

Datum
credit_by_channel_state_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(aggstate_type_out(PG_GETARG_DATUM(0)));
}

Datum
credit_by_channel_state_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(aggstate_type_recv((StringInfo) PG_GETARG_POINTER(0), &many_kind));
}

Datum
credit_by_channel_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(aggstate_type_send(PG_GETARG_DATUM(0)));
}

Datum
credit_by_channel_state_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "credit_by_channel_trans");
	ExpandedAggState *eas;
	ManyJourneys *many;
	JourneyEntry *entry;

	if (PG_ARGISNULL(1))
		journey_null_error();
	eas = aggstate_for_update(fcinfo, 0, &many_kind, aggcontext);
	many = eas->state;
	entry = journey_entry(many, PG_GETARG_INT64(1));
	add_journey_row(many, many->call, eas->hdr.eoh_context, entry, fcinfo);
	aggstate_changed(eas);
	PG_RETURN_DATUM(aggstate_datum(eas));
}

Datum
credit_by_channel_state_combine(PG_FUNCTION_ARGS)
{
	return aggstate_combine(fcinfo, &many_kind, "credit_by_channel_combine");
}

Datum
credit_by_channel_state_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(sum_journeys(aggstate_read(PG_GETARG_DATUM(0), &many_kind)));
}
