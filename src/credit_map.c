/*
 * credit_map.c
 *		The attribution.channel_credits type (credit by channel), the
 *		aggregate credit_sum_agg(channel_credits [, weight]) (also under its
 *		deprecated name sum()) that adds them up over many journeys, with its
 *		storable state credit_sum_state, and each(channel_credits) that reads
 *		one.
 *
 * Text form: {"email": 0.5, "paid search": 0.5}; channels are written in
 * bytewise order of their names and credits in the shortest form that reads
 * back to the same double.
 */
#include "postgres.h"

#include "compat.h"

#include "aggstate.h"
#include "aggutil.h"
#include "binio.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "credit_map.h"
#include "exactsum.h"
#include "miscadmin.h"
#include "strdict.h"
#include "textio.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(channel_credits_in);
PG_FUNCTION_INFO_V1(channel_credits_out);
PG_FUNCTION_INFO_V1(channel_credits_recv);
PG_FUNCTION_INFO_V1(channel_credits_send);
PG_FUNCTION_INFO_V1(channel_credits_each);
PG_FUNCTION_INFO_V1(channel_credits_sum_trans);
PG_FUNCTION_INFO_V1(channel_credits_sum_combine);
PG_FUNCTION_INFO_V1(channel_credits_sum_serialize);
PG_FUNCTION_INFO_V1(channel_credits_sum_deserialize);
PG_FUNCTION_INFO_V1(channel_credits_sum_final);
PG_FUNCTION_INFO_V1(credit_sum_state_in);
PG_FUNCTION_INFO_V1(credit_sum_state_out);
PG_FUNCTION_INFO_V1(credit_sum_state_recv);
PG_FUNCTION_INFO_V1(credit_sum_state_send);
PG_FUNCTION_INFO_V1(credit_sum_trans);
PG_FUNCTION_INFO_V1(credit_sum_combine);
PG_FUNCTION_INFO_V1(credit_sum_final);

#define MAX_MAP_CHANNELS 1000000

typedef struct NameOrder
{
	const char *name;
	int			len;
	int			index;
} NameOrder;

static int
compare_names(const void *a, const void *b, void *arg)
{
	const NameOrder *na = a;
	const NameOrder *nb = b;

	return strdict_compare_bytes(na->name, na->len, nb->name, nb->len);
}

static void
too_many_channels(int n)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("too many channels"),
			 errdetail("A channel_credits value may hold at most %d channels; this one would hold %d.",
					   MAX_MAP_CHANNELS, n),
			 errhint("Group touches into fewer channels.")));
}

CreditMapData *
credit_map_build(int n, const char *const *names, const int *lens, const double *credits)
{
	NameOrder  *order = palloc(Max(n, 1) * sizeof(NameOrder));
	Size		names_len = 0;
	Size		size;
	CreditMapData *map;
	char	   *out;
	int			i;

	if (n > MAX_MAP_CHANNELS)
		too_many_channels(n);
	for (i = 0; i < n; i++)
	{
		order[i].name = names[i];
		order[i].len = lens[i];
		order[i].index = i;
		names_len = add_size(names_len, lens[i] + 1);
	}
	qsort_interruptible(order, n, sizeof(NameOrder), compare_names, NULL);
	for (i = 1; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (compare_names(&order[i - 1], &order[i], NULL) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("channel \"%.*s\" appears twice", order[i].len, order[i].name),
					 errdetail("Each channel of a channel_credits value has one credit."),
					 errhint("Add the credits of the channel up before building the value.")));
	}
	size = add_size(CREDIT_MAP_HEADER_SIZE, add_size(mul_size(n, sizeof(double)), names_len));
	if (size > MaxAllocSize)
		too_many_channels(n);
	map = palloc0(size);
	SET_VARSIZE(map, size);
	map->version = CREDIT_MAP_VERSION;
	map->nchannels = n;
	map->names_len = (int32) names_len;
	out = CREDIT_MAP_NAMES(map);
	for (i = 0; i < n; i++)
	{
		CREDIT_MAP_CREDITS(map)[i] = credits[order[i].index];
		memcpy(out, order[i].name, order[i].len);
		out[order[i].len] = '\0';
		out += order[i].len + 1;
	}
	pfree(order);
	return map;
}

/* the names of a map in order */
static const char **
map_names(const CreditMapData *map)
{
	const char **names = palloc(Max(map->nchannels, 1) * sizeof(char *));
	const char *p = CREDIT_MAP_NAMES(map);
	int			i;

	for (i = 0; i < map->nchannels; i++)
	{
		names[i] = p;
		p += strlen(p) + 1;
	}
	return names;
}

/* ---------- I/O ---------- */

typedef struct MapBuilder
{
	int			n;
	int			capacity;
	char	  **names;
	int		   *lens;
	double	   *credits;
} MapBuilder;

static void
builder_add(MapBuilder *b, char *name, int len, double credit)
{
	if (b->n == b->capacity)
	{
		if (b->n >= MAX_MAP_CHANNELS)
			too_many_channels(b->n + 1);
		b->capacity = b->capacity ? b->capacity * 2 : 8;
		b->names = b->names ? repalloc(b->names, b->capacity * sizeof(char *)) :
			palloc(b->capacity * sizeof(char *));
		b->lens = b->lens ? repalloc(b->lens, b->capacity * sizeof(int)) :
			palloc(b->capacity * sizeof(int));
		b->credits = b->credits ? repalloc(b->credits, b->capacity * sizeof(double)) :
			palloc(b->capacity * sizeof(double));
	}
	b->names[b->n] = name;
	b->lens[b->n] = len;
	b->credits[b->n] = credit;
	b->n++;
}

Datum
channel_credits_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	TextScanner scan;
	MapBuilder	b = {0};

	ts_init(&scan, input, "channel_credits");
	ts_expect(&scan, '{');
	if (!ts_accept(&scan, '}'))
	{
		do
		{
			int			len;
			char	   *name = ts_read_string(&scan, &len);

			ts_expect(&scan, ':');
			builder_add(&b, name, len, ts_read_float8(&scan));
			CHECK_FOR_INTERRUPTS();
		} while (ts_accept(&scan, ','));
		ts_expect(&scan, '}');
	}
	ts_expect_end(&scan);
	PG_RETURN_POINTER(credit_map_build(b.n, (const char *const *) b.names, b.lens, b.credits));
}

Datum
channel_credits_out(PG_FUNCTION_ARGS)
{
	CreditMapData *map = PG_GETARG_CREDIT_MAP(0);
	const char **names = map_names(map);
	StringInfoData out;
	int			i;

	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	for (i = 0; i < map->nchannels; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (i > 0)
			appendStringInfoString(&out, ", ");
		tw_append_string(&out, names[i], strlen(names[i]));
		appendStringInfoString(&out, ": ");
		tw_append_float8(&out, CREDIT_MAP_CREDITS(map)[i]);
	}
	appendStringInfoChar(&out, '}');
	PG_RETURN_CSTRING(out.data);
}

/* wire form: version byte, count, then per channel the name (length, bytes) and credit */
static void
write_entries(StringInfo msg, int n, const char *const *names, const double *credits)
{
	int			i;

	pq_sendbyte(msg, CREDIT_MAP_VERSION);
	pq_sendint32(msg, n);
	for (i = 0; i < n; i++)
	{
		int			len = strlen(names[i]);

		pq_sendint32(msg, len);
		pq_sendbytes(msg, names[i], len);
		pq_sendfloat8(msg, credits[i]);
	}
}

static void
read_entries(BinReader *in, MapBuilder *b)
{
	int			n;
	int			i;

	bin_version(in, CREDIT_MAP_VERSION);
	/* each entry takes at least 12 bytes */
	n = bin_count(in, 0, MAX_MAP_CHANNELS, 12, "channels");
	for (i = 0; i < n; i++)
	{
		int			len;
		const char *bytes = bin_name(in, &len, false, i + 1);
		char	   *name = pnstrdup(bytes, len);
		double		credit = bin_float8(in);

		if (!isfinite(credit))
			bin_error(in, "The credit of channel %d is not finite.", i + 1);
		builder_add(b, name, len, credit);
		CHECK_FOR_INTERRUPTS();
	}
}

Datum
channel_credits_recv(PG_FUNCTION_ARGS)
{
	MapBuilder	b = {0};
	BinReader	in;

	bin_init(&in, (StringInfo) PG_GETARG_POINTER(0), "channel_credits", BIN_CLIENT);
	read_entries(&in, &b);
	PG_RETURN_POINTER(credit_map_build(b.n, (const char *const *) b.names, b.lens, b.credits));
}

Datum
channel_credits_send(PG_FUNCTION_ARGS)
{
	CreditMapData *map = PG_GETARG_CREDIT_MAP(0);
	StringInfoData msg;

	pq_begintypsend(&msg);
	write_entries(&msg, map->nchannels, map_names(map), CREDIT_MAP_CREDITS(map));
	PG_RETURN_BYTEA_P(pq_endtypsend(&msg));
}

Datum
channel_credits_each(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CreditMapData *map = PG_GETARG_CREDIT_MAP(0);
	const char **names = map_names(map);
	int			i;

	srf_materialize(fcinfo);
	for (i = 0; i < map->nchannels; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		CHECK_FOR_INTERRUPTS();
		values[0] = CStringGetTextDatum(names[i]);
		values[1] = Float8GetDatum(CREDIT_MAP_CREDITS(map)[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ---------- credit_sum_agg(channel_credits [, weight]) ---------- */

/*
 * The state: each channel's compensated sum of credit times weight, channels
 * numbered in order of first appearance.  Compensated sums keep the result
 * within about one rounding of the exact sum whatever the order of the rows
 * and however a plan splits them (parallel workers, the nodes of a
 * distributed table), so every plan gives the same credits to the last bit
 * or two.
 *
 * Its flat form (credit_sum_state): the version byte, int32 the number of
 * channels, then per channel int32 length, the name's bytes, float8 sum and
 * float8 compensation.
 */
#define SUM_STATE_VERSION 1

typedef struct CreditSum
{
	StrDict    *channels;
	CompensatedSum *sums;		/* by channel index */
	int			capacity;
} CreditSum;

static void *
sum_create(void)
{
	CreditSum  *sum = palloc(sizeof(CreditSum));

	sum->channels = strdict_create(32);
	sum->capacity = 32;
	sum->sums = palloc0(sum->capacity * sizeof(CompensatedSum));
	return sum;
}

static void
sum_out_of_range(const char *name, int len)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("credit of channel \"%.*s\" is out of range", len, name),
			 errdetail("The sum of its credits exceeds the range of double precision."),
			 errhint("Use smaller weights, for example revenue in thousands.")));
}

/* the sum of a channel, added when new */
static CompensatedSum *
sum_channel(CreditSum *sum, const char *name, int len)
{
	int			index = strdict_intern(sum->channels, name, len);

	if (index >= sum->capacity)
	{
		int			old = sum->capacity;

		if (index >= MAX_MAP_CHANNELS)
			too_many_channels(index + 1);
		sum->capacity *= 2;
		sum->sums = repalloc(sum->sums, sum->capacity * sizeof(CompensatedSum));
		memset(sum->sums + old, 0, (sum->capacity - old) * sizeof(CompensatedSum));
	}
	return &sum->sums[index];
}

static void
sum_add(CreditSum *sum, const char *name, int len, double credit)
{
	CompensatedSum *s = sum_channel(sum, name, len);

	csum_add(s, credit);
	/* a value must read back: no infinite (or NaN) credit may come out */
	if (!isfinite(s->sum) || !isfinite(s->compensation))
		sum_out_of_range(name, len);
}

/* add credits times weight */
static void
sum_add_map(CreditSum *sum, const CreditMapData *map, double weight)
{
	const char *name = CREDIT_MAP_NAMES(map);
	int			i;

	for (i = 0; i < map->nchannels; i++)
	{
		int			len = strlen(name);

		sum_add(sum, name, len, CREDIT_MAP_CREDITS(map)[i] * weight);
		name += len + 1;
		CHECK_FOR_INTERRUPTS();
	}
}

/* add a compensated sum (of another state) to a channel */
static void
sum_add_csum(CreditSum *sum, const char *name, int len, const CompensatedSum *add)
{
	CompensatedSum *s = sum_channel(sum, name, len);

	csum_add(s, add->sum);
	s->compensation += add->compensation;
	if (!isfinite(s->sum) || !isfinite(s->compensation))
		sum_out_of_range(name, len);
}

static void
sum_merge_state(void *state, void *other)
{
	CreditSum  *a = state;
	CreditSum  *b = other;
	int			i;

	for (i = 0; i < strdict_size(b->channels); i++)
	{
		int			len;
		const char *name = strdict_string(b->channels, i, &len);

		sum_add_csum(a, name, len, &b->sums[i]);
		CHECK_FOR_INTERRUPTS();
	}
}

static void
sum_write(void *state, StringInfo buf)
{
	CreditSum  *sum = state;
	int			n = strdict_size(sum->channels);
	int			i;

	pq_sendbyte(buf, SUM_STATE_VERSION);
	pq_sendint32(buf, n);
	for (i = 0; i < n; i++)
	{
		int			len;
		const char *name = strdict_string(sum->channels, i, &len);

		pq_sendint32(buf, len);
		pq_sendbytes(buf, name, len);
		pq_sendfloat8(buf, sum->sums[i].sum);
		pq_sendfloat8(buf, sum->sums[i].compensation);
	}
}

/*
 * Read a payload, validating it, and add it to sum (when sum is empty,
 * repeated channels are caught too: the input functions pass an empty one).
 */
static void
sum_read(BinReader *in, CreditSum *sum)
{
	bool		was_empty = strdict_size(sum->channels) == 0;
	int			n;
	int			i;

	bin_version(in, SUM_STATE_VERSION);
	/* each channel takes at least 20 bytes */
	n = bin_count(in, 0, MAX_MAP_CHANNELS, 20, "channels");
	for (i = 0; i < n; i++)
	{
		int			len;
		const char *name = bin_name(in, &len, false, i + 1);
		CompensatedSum s;

		s.sum = bin_float8(in);
		s.compensation = bin_float8(in);
		if (!isfinite(s.sum) || !isfinite(s.compensation))
			bin_error(in, "The credit of channel %d is not finite.", i + 1);
		sum_add_csum(sum, name, len, &s);
		if (was_empty && strdict_size(sum->channels) != i + 1)
			bin_error(in, "Channel %d appears twice.", i + 1);
		CHECK_FOR_INTERRUPTS();
	}
	bin_end(in, "channel");
}

static void
sum_merge_flat(void *state, BinReader *in)
{
	sum_read(in, (CreditSum *) state);
}

static const AggStateKind credit_sum_kind = {
	"credit_sum_state", sum_create, sum_write, sum_merge_flat, sum_merge_state, NULL
};

/* the result: channels in bytewise order */
static CreditMapData *
sum_result(CreditSum *sum)
{
	int			n = strdict_size(sum->channels);
	const char **names = palloc(Max(n, 1) * sizeof(char *));
	int		   *lens = palloc(Max(n, 1) * sizeof(int));
	double	   *credits = palloc(Max(n, 1) * sizeof(double));
	int			i;

	for (i = 0; i < n; i++)
	{
		names[i] = strdict_string(sum->channels, i, &lens[i]);
		credits[i] = csum_value(&sum->sums[i]);
		if (!isfinite(credits[i]))
			sum_out_of_range(names[i], lens[i]);
	}
	return credit_map_build(n, names, lens, credits);
}

/* the weight argument (1 when the form has none); false when it is NULL */
static bool
row_weight(FunctionCallInfo fcinfo, double *weight)
{
	*weight = 1.0;
	if (PG_NARGS() <= 2)
		return true;
	if (PG_ARGISNULL(2))
		return false;
	*weight = PG_GETARG_FLOAT8(2);
	if (!isfinite(*weight))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight must be finite"),
				 errdetail("The weight is %s.", isnan(*weight) ? "NaN" : "infinite"),
				 errhint("Give a finite value, such as the journey's revenue.")));
	return true;
}

/* type I/O of credit_sum_state */

Datum
credit_sum_state_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(aggstate_type_in(PG_GETARG_CSTRING(0), &credit_sum_kind));
}

Datum
credit_sum_state_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(aggstate_type_out(PG_GETARG_DATUM(0)));
}

Datum
credit_sum_state_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(aggstate_type_recv((StringInfo) PG_GETARG_POINTER(0), &credit_sum_kind));
}

Datum
credit_sum_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(aggstate_type_send(PG_GETARG_DATUM(0)));
}

/* credit_sum_agg(channel_credits [, weight]) and its deprecated name sum() */

Datum
credit_sum_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "credit_sum_trans");
	ExpandedAggState *eas;
	MemoryContext old;
	double		weight;

	if (PG_ARGISNULL(1) || !row_weight(fcinfo, &weight))
		return agg_state_unchanged(fcinfo);
	eas = aggstate_for_update(fcinfo, 0, &credit_sum_kind, aggcontext);
	old = MemoryContextSwitchTo(eas->hdr.eoh_context);
	sum_add_map(eas->state, PG_GETARG_CREDIT_MAP(1), weight);
	MemoryContextSwitchTo(old);
	aggstate_changed(eas);
	PG_RETURN_DATUM(aggstate_datum(eas));
}

Datum
credit_sum_combine(PG_FUNCTION_ARGS)
{
	return aggstate_combine(fcinfo, &credit_sum_kind, "credit_sum_combine");
}

Datum
credit_sum_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(sum_result(aggstate_read(PG_GETARG_DATUM(0), &credit_sum_kind)));
}

/*
 * The support functions of sum(channel_credits [, weight]) as version 0.1.0
 * declared it, with an `internal` state (a CreditSum), kept so that a
 * database still on 0.1.0 works with this library until it is updated.
 */

Datum
channel_credits_sum_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "channel_credits_sum_trans");
	CreditSum  *sum = agg_state_arg(fcinfo, 0);
	MemoryContext old;
	double		weight;

	if (PG_ARGISNULL(1) || !row_weight(fcinfo, &weight))
		return agg_state_unchanged(fcinfo);
	old = MemoryContextSwitchTo(aggcontext);
	if (sum == NULL)
		sum = sum_create();
	sum_add_map(sum, PG_GETARG_CREDIT_MAP(1), weight);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(sum);
}

Datum
channel_credits_sum_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "channel_credits_sum_combine");
	CreditSum  *a = agg_state_arg(fcinfo, 0);
	CreditSum  *b = agg_state_arg(fcinfo, 1);
	MemoryContext old;

	if (b == NULL)
		return agg_state_unchanged(fcinfo);
	old = MemoryContextSwitchTo(aggcontext);
	if (a == NULL)
		a = sum_create();
	sum_merge_state(a, b);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

Datum
channel_credits_sum_serialize(PG_FUNCTION_ARGS)
{
	StringInfoData msg;

	pq_begintypsend(&msg);
	sum_write(PG_GETARG_POINTER(0), &msg);
	PG_RETURN_BYTEA_P(pq_endtypsend(&msg));
}

Datum
channel_credits_sum_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "channel_credits_sum_deserialize");
	StringInfoData msg;
	BinReader	in;
	MemoryContext old;
	CreditSum  *sum;

	bin_message(&msg, (struct varlena *) PG_GETARG_BYTEA_PP(0));
	bin_init(&in, &msg, "sum(channel_credits)", BIN_SERIALIZED);
	old = MemoryContextSwitchTo(aggcontext);
	sum = sum_create();
	sum_read(&in, sum);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(sum);
}

Datum
channel_credits_sum_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(sum_result((CreditSum *) PG_GETARG_POINTER(0)));
}
