/*
 * credit_map.c
 *		The attribution.channel_credits type (credit by channel), the
 *		aggregate sum(channel_credits [, weight]) that adds them up over many
 *		journeys, and each(channel_credits) that reads one.
 *
 * Text form: {"email": 0.5, "paid search": 0.5}; channels are written in
 * bytewise order of their names and credits in the shortest form that reads
 * back to the same double.
 */
#include "postgres.h"

#include "compat.h"

#include "aggutil.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "credit_map.h"
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

static void
map_wire_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary channel_credits"),
			 errdetail("%s", detail),
			 errhint("The value was not written by attribution's channel_credits_send.")));
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
read_entries(StringInfo msg, MapBuilder *b)
{
	int			n;
	int			i;

	if (pq_getmsgbyte(msg) != CREDIT_MAP_VERSION)
		map_wire_error("The format version is unknown.");
	n = pq_getmsgint(msg, 4);
	/* each entry takes at least 12 bytes */
	if (n < 0 || n > MAX_MAP_CHANNELS || (int64) n * 12 > msg->len - msg->cursor)
		map_wire_error("The channel count is out of range.");
	for (i = 0; i < n; i++)
	{
		int			len = pq_getmsgint(msg, 4);
		const char *bytes;
		char	   *name;
		double		credit;

		if (len < 0 || len > msg->len - msg->cursor)
			map_wire_error("A channel name length exceeds the data.");
		bytes = pq_getmsgbytes(msg, len);
		if (!pg_verifymbstr(bytes, len, true))
			map_wire_error("A channel name is not valid in the server encoding.");
		name = pnstrdup(bytes, len);
		credit = pq_getmsgfloat8(msg);
		if (!isfinite(credit))
			map_wire_error("A credit is not finite.");
		builder_add(b, name, len, credit);
		CHECK_FOR_INTERRUPTS();
	}
}

Datum
channel_credits_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	MapBuilder	b = {0};

	read_entries(msg, &b);
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

/* ---------- sum(channel_credits [, weight]) ---------- */

typedef struct CreditSumState
{
	StrDict    *channels;
	double	   *credits;		/* by channel index */
	int			capacity;
} CreditSumState;

static CreditSumState *
sum_state_create(void)
{
	CreditSumState *state = palloc(sizeof(CreditSumState));

	state->channels = strdict_create(32);
	state->capacity = 32;
	state->credits = palloc0(state->capacity * sizeof(double));
	return state;
}

static void
sum_state_add(CreditSumState *state, const char *name, int len, double credit)
{
	int			index = strdict_intern(state->channels, name, len);

	if (index >= state->capacity)
	{
		int			old = state->capacity;

		if (index >= MAX_MAP_CHANNELS)
			too_many_channels(index + 1);
		state->capacity *= 2;
		state->credits = repalloc(state->credits, state->capacity * sizeof(double));
		memset(state->credits + old, 0, (state->capacity - old) * sizeof(double));
	}
	state->credits[index] += credit;
	/* a value must read back: no infinite (or NaN) credit may come out */
	if (!isfinite(state->credits[index]))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("credit of channel \"%.*s\" is out of range", len, name),
				 errdetail("The sum of its credits exceeds the range of double precision."),
				 errhint("Use smaller weights, for example revenue in thousands.")));
}

Datum
channel_credits_sum_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "channel_credits_sum_trans");
	CreditSumState *state = PG_ARGISNULL(0) ? NULL : (CreditSumState *) PG_GETARG_POINTER(0);
	CreditMapData *map;
	const char *name;
	double		weight = 1.0;
	MemoryContext old;
	int			i;

	if (PG_ARGISNULL(1) || (PG_NARGS() > 2 && PG_ARGISNULL(2)))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	if (PG_NARGS() > 2)
	{
		weight = PG_GETARG_FLOAT8(2);
		if (!isfinite(weight))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("weight must be finite"),
					 errdetail("The weight is %s.", isnan(weight) ? "NaN" : "infinite"),
					 errhint("Give a finite value, such as the journey's revenue.")));
	}
	map = PG_GETARG_CREDIT_MAP(1);
	old = MemoryContextSwitchTo(aggcontext);
	if (state == NULL)
		state = sum_state_create();
	name = CREDIT_MAP_NAMES(map);
	for (i = 0; i < map->nchannels; i++)
	{
		int			len = strlen(name);

		sum_state_add(state, name, len, CREDIT_MAP_CREDITS(map)[i] * weight);
		name += len + 1;
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(state);
}

Datum
channel_credits_sum_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "channel_credits_sum_combine");
	CreditSumState *a = PG_ARGISNULL(0) ? NULL : (CreditSumState *) PG_GETARG_POINTER(0);
	CreditSumState *b = PG_ARGISNULL(1) ? NULL : (CreditSumState *) PG_GETARG_POINTER(1);
	MemoryContext old;
	int			i;

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	old = MemoryContextSwitchTo(aggcontext);
	if (a == NULL)
		a = sum_state_create();
	for (i = 0; i < strdict_size(b->channels); i++)
	{
		int			len;
		const char *name = strdict_string(b->channels, i, &len);

		sum_state_add(a, name, len, b->credits[i]);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

Datum
channel_credits_sum_serialize(PG_FUNCTION_ARGS)
{
	CreditSumState *state = (CreditSumState *) PG_GETARG_POINTER(0);
	int			n = strdict_size(state->channels);
	const char **names = palloc(Max(n, 1) * sizeof(char *));
	StringInfoData msg;
	int			i;

	for (i = 0; i < n; i++)
		names[i] = strdict_string(state->channels, i, NULL);
	pq_begintypsend(&msg);
	write_entries(&msg, n, names, state->credits);
	PG_RETURN_BYTEA_P(pq_endtypsend(&msg));
}

Datum
channel_credits_sum_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "channel_credits_sum_deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData msg;
	MapBuilder	b = {0};
	CreditSumState *state;
	MemoryContext old;
	int			i;

	agg_state_message(bytes, &msg);
	read_entries(&msg, &b);
	if (msg.cursor != msg.len)
		map_wire_error("Bytes follow the last channel.");
	old = MemoryContextSwitchTo(aggcontext);
	state = sum_state_create();
	for (i = 0; i < b.n; i++)
	{
		if (strdict_lookup(state->channels, b.names[i], b.lens[i]) >= 0)
			map_wire_error("A channel appears twice.");
		sum_state_add(state, b.names[i], b.lens[i], b.credits[i]);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(state);
}

Datum
channel_credits_sum_final(PG_FUNCTION_ARGS)
{
	CreditSumState *state = PG_ARGISNULL(0) ? NULL : (CreditSumState *) PG_GETARG_POINTER(0);
	int			n;
	const char **names;
	int		   *lens;
	int			i;

	if (state == NULL)
		PG_RETURN_NULL();
	n = strdict_size(state->channels);
	names = palloc(Max(n, 1) * sizeof(char *));
	lens = palloc(Max(n, 1) * sizeof(int));
	for (i = 0; i < n; i++)
		names[i] = strdict_string(state->channels, i, &lens[i]);
	PG_RETURN_POINTER(credit_map_build(n, names, lens, state->credits));
}
