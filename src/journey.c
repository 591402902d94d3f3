/*
 * journey.c
 *		The attribution.journey type, its aggregate journey_agg, and
 *		credits(journey, model, ...).
 *
 * Text form: a bracketed list of touches, each (time, touch id or null,
 * channel), times and channels double-quoted:
 *		[("2024-03-01 09:00:00+00", 17, "email"), ("2024-03-02 10:30:00+00", null, "direct")]
 * Output writes times in UTC in ISO form, so it does not depend on the
 * session's TimeZone or DateStyle; input accepts any timestamptz literal.
 *
 * It owns the journey value (built from a touch_buffer.h buffer, which
 * knows nothing of journeys) and reads credits()'s arguments through
 * rule_input.h like every other form of the rule-based models.
 */
#include "postgres.h"

#include "compat.h"

#include "aggutil.h"
#include "binio.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "journey.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "models.h"
#include "strdict.h"
#include "textio.h"
#include "rule_input.h"
#include "u64map.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(journey_in);
PG_FUNCTION_INFO_V1(journey_out);
PG_FUNCTION_INFO_V1(journey_recv);
PG_FUNCTION_INFO_V1(journey_send);
PG_FUNCTION_INFO_V1(journey_agg_trans);
PG_FUNCTION_INFO_V1(journey_agg_combine);
PG_FUNCTION_INFO_V1(journey_agg_serialize);
PG_FUNCTION_INFO_V1(journey_agg_deserialize);
PG_FUNCTION_INFO_V1(journey_agg_final);
PG_FUNCTION_INFO_V1(journey_touch_count);
PG_FUNCTION_INFO_V1(attribution_credits);

/* ---------- building a journey from touches ---------- */

/*
 * The journey's own channel numbers: its channels in order of first use.
 * Most journeys touch few channels, so a short list is searched, the
 * previous hit first; past LOCAL_LIST_MAX channels a hash table takes over,
 * so that a journey of many channels costs linear time, not quadratic.
 */
#define LOCAL_LIST_MAX 16

typedef struct LocalChannels
{
	int32	   *locals;			/* dictionary number of each local channel */
	int			nlocals;
	int32		last_hit;
	keymap_hash *map;			/* dictionary number -> local, once large */
} LocalChannels;

static int32
local_channel(LocalChannels *lc, int32 channel)
{
	int32		c;

	if (lc->last_hit >= 0 && lc->locals[lc->last_hit] == channel)
		return lc->last_hit;
	if (lc->map != NULL)
	{
		bool		found;
		KeyEntry   *entry = keymap_insert(lc->map, (uint64) (uint32) channel, &found);

		if (!found)
		{
			entry->index = lc->nlocals;
			lc->locals[lc->nlocals++] = channel;
		}
		return lc->last_hit = entry->index;
	}
	for (c = 0; c < lc->nlocals; c++)
		if (lc->locals[c] == channel)
			return lc->last_hit = c;
	lc->locals[lc->nlocals] = channel;
	lc->last_hit = lc->nlocals++;
	if (lc->nlocals == LOCAL_LIST_MAX)
	{
		lc->map = keymap_create(CurrentMemoryContext, 4 * LOCAL_LIST_MAX, NULL);
		for (c = 0; c < lc->nlocals; c++)
		{
			bool		found;

			keymap_insert(lc->map, (uint64) (uint32) lc->locals[c], &found)->index = c;
		}
	}
	return lc->last_hit;
}

/*
 * Sort the buffer in place and write the canonical journey.  Sorting in
 * place leaves the buffer a valid state (the same touches), so journey_agg's
 * final function may stay READ_ONLY.
 */
JourneyData *
touchbuf_to_journey(TouchBuffer *buf)
{
	int			n = buf->ntouches;
	LocalChannels lc;
	int32	   *channel = palloc(Max(n, 1) * sizeof(int32));
	Size		names_len = 0;
	Size		size;
	JourneyData *journey;
	char	   *names_out;
	int			i;

	lc.locals = palloc(Max(n, 1) * sizeof(int32));
	lc.nlocals = 0;
	lc.last_hit = -1;
	lc.map = NULL;
	touchbuf_sort(buf);
	for (i = 0; i < n; i++)
	{
		int			before = lc.nlocals;

		channel[i] = local_channel(&lc, buf->touches[i].channel);
		if (lc.nlocals > before)
		{
			int			len;

			(void) strdict_string(buf->dict, buf->touches[i].channel, &len);
			names_len += len + 1;
		}
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	size = add_size(JOURNEY_HEADER_SIZE,
					add_size(mul_size(n, sizeof(TimestampTz) + sizeof(int64) +
									  sizeof(int32) + sizeof(uint8)),
							 names_len));
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("journey is too large"),
				 errdetail("The journey would take %zu bytes.", size),
				 errhint("Use shorter channel names or fewer touches.")));
	journey = palloc0(size);
	SET_VARSIZE(journey, size);
	journey->version = JOURNEY_VERSION;
	journey->ntouches = n;
	journey->nchannels = lc.nlocals;
	journey->names_len = (int32) names_len;
	for (i = 0; i < n; i++)
	{
		JOURNEY_AT(journey)[i] = buf->touches[i].at;
		JOURNEY_ID(journey)[i] = buf->touches[i].id;
		JOURNEY_ID_ISNULL(journey)[i] = buf->touches[i].id_isnull;
		JOURNEY_CHANNEL(journey)[i] = channel[i];
	}
	names_out = JOURNEY_NAMES(journey);
	for (i = 0; i < lc.nlocals; i++)
	{
		int			len;
		const char *name = strdict_string(buf->dict, lc.locals[i], &len);

		memcpy(names_out, name, len);
		names_out[len] = '\0';
		names_out += len + 1;
	}
	pfree(channel);
	pfree(lc.locals);
	if (lc.map != NULL)
		keymap_destroy(lc.map);
	return journey;
}

const char **
journey_channel_names(const JourneyData *journey)
{
	const char **names = palloc(Max(journey->nchannels, 1) * sizeof(char *));
	const char *p = JOURNEY_NAMES(journey);
	int			i;

	for (i = 0; i < journey->nchannels; i++)
	{
		names[i] = p;
		p += strlen(p) + 1;
	}
	return names;
}

void
journey_write(StringInfo msg, const JourneyData *journey)
{
	const char **names = journey_channel_names(journey);
	int			i;

	touch_wire_header(msg, journey->ntouches);
	for (i = 0; i < journey->ntouches; i++)
	{
		const char *name = names[JOURNEY_CHANNEL(journey)[i]];

		touch_wire_touch(msg, JOURNEY_AT(journey)[i], JOURNEY_ID_ISNULL(journey)[i] != 0,
						 JOURNEY_ID(journey)[i], name, strlen(name));
	}
	pfree(names);
}

/* ---------- text and binary I/O ---------- */

static TimestampTz
read_touch_time(TextScanner *scan)
{
	char	   *str = ts_read_string(scan, NULL);
	TimestampTz at = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
															 CStringGetDatum(str),
															 ObjectIdGetDatum(InvalidOid),
															 Int32GetDatum(-1)));

	if (TIMESTAMP_NOT_FINITE(at))
		ts_error(scan, "A touch time must be finite");
	pfree(str);
	return at;
}

Datum
journey_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	TextScanner scan;
	TouchBuffer *buf = touchbuf_create(strdict_create(8), 8);

	ts_init(&scan, input, "journey");
	ts_expect(&scan, '[');
	if (!ts_accept(&scan, ']'))
	{
		do
		{
			TimestampTz at;
			bool		id_isnull;
			int64		id = 0;
			char	   *channel;
			int			channel_len;

			ts_expect(&scan, '(');
			at = read_touch_time(&scan);
			ts_expect(&scan, ',');
			id_isnull = ts_accept_null(&scan);
			if (!id_isnull)
				id = ts_read_int64(&scan);
			ts_expect(&scan, ',');
			channel = ts_read_string(&scan, &channel_len);
			ts_expect(&scan, ')');
			buf = touchbuf_add(buf, at, id_isnull, id, channel, channel_len);
			pfree(channel);
			CHECK_FOR_INTERRUPTS();
		} while (ts_accept(&scan, ','));
		ts_expect(&scan, ']');
	}
	ts_expect_end(&scan);
	PG_RETURN_POINTER(touchbuf_to_journey(buf));
}

/* ISO form in UTC, e.g. 2024-03-01 09:00:00.5+00 */
static void
append_utc_timestamp(StringInfo out, TimestampTz at)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char		text[MAXDATELEN + 1];

	if (timestamp2tm(at, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	tm.tm_isdst = 0;			/* UTC: print the +00 offset */
	EncodeDateTime(&tm, fsec, true, 0, NULL, USE_ISO_DATES, text);
	appendStringInfoString(out, text);
}

Datum
journey_out(PG_FUNCTION_ARGS)
{
	JourneyData *journey = PG_GETARG_JOURNEY(0);
	const char **names = journey_channel_names(journey);
	StringInfoData out;
	char		text[MAXDATELEN + 3];
	int			i;

	initStringInfo(&out);
	appendStringInfoChar(&out, '[');
	for (i = 0; i < journey->ntouches; i++)
	{
		const char *name = names[JOURNEY_CHANNEL(journey)[i]];
		StringInfoData when;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (i > 0)
			appendStringInfoString(&out, ", ");
		initStringInfo(&when);
		append_utc_timestamp(&when, JOURNEY_AT(journey)[i]);
		appendStringInfoChar(&out, '(');
		tw_append_string(&out, when.data, when.len);
		pfree(when.data);
		if (JOURNEY_ID_ISNULL(journey)[i])
			appendStringInfoString(&out, ", null, ");
		else
		{
			snprintf(text, sizeof(text), ", " INT64_FORMAT ", ", JOURNEY_ID(journey)[i]);
			appendStringInfoString(&out, text);
		}
		tw_append_string(&out, name, strlen(name));
		appendStringInfoChar(&out, ')');
	}
	appendStringInfoChar(&out, ']');
	PG_RETURN_CSTRING(out.data);
}

Datum
journey_recv(PG_FUNCTION_ARGS)
{
	BinReader	in;
	TouchBuffer *buf;

	bin_init(&in, (StringInfo) PG_GETARG_POINTER(0), "journey", BIN_CLIENT);
	buf = touchbuf_read(&in, strdict_create(8));
	bin_end(&in, "touch");
	PG_RETURN_POINTER(touchbuf_to_journey(buf));
}

Datum
journey_send(PG_FUNCTION_ARGS)
{
	JourneyData *journey = PG_GETARG_JOURNEY(0);
	StringInfoData msg;

	pq_begintypsend(&msg);
	journey_write(&msg, journey);
	PG_RETURN_BYTEA_P(pq_endtypsend(&msg));
}

Datum
journey_touch_count(PG_FUNCTION_ARGS)
{
	JourneyData *journey = PG_GETARG_JOURNEY(0);

	PG_RETURN_INT32(journey->ntouches);
}

/* ---------- journey_agg(touched_at, channel [, touch_id]) ---------- */

/* the channel dictionary of one call of journey_agg (fn_extra), shared by its states */
static StrDict *
call_dictionary(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		fcinfo->flinfo->fn_extra = strdict_create(64);
		MemoryContextSwitchTo(old);
	}
	return (StrDict *) fcinfo->flinfo->fn_extra;
}

Datum
journey_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "journey_agg_trans");
	TouchBuffer *buf = agg_state_arg(fcinfo, 0);
	bool		has_id_arg = PG_NARGS() > 3;
	TimestampTz at;
	text	   *channel;
	MemoryContext old;

	/* a row of NULLs (an outer join's missing touch) adds nothing */
	if (PG_ARGISNULL(1) && PG_ARGISNULL(2) && (!has_id_arg || PG_ARGISNULL(3)))
		return agg_state_unchanged(fcinfo);
	if (PG_ARGISNULL(1))
		touched_at_null_error();
	if (PG_ARGISNULL(2))
		channel_null_error(CHANNEL_NEEDED_DETAIL);
	at = touched_at_value(PG_GETARG_DATUM(1), false);
	channel = PG_GETARG_TEXT_PP(2);

	old = MemoryContextSwitchTo(aggcontext);
	if (buf == NULL)
		buf = touchbuf_create(call_dictionary(fcinfo), 1);
	buf = touchbuf_add(buf, at, !has_id_arg || PG_ARGISNULL(3),
					   (has_id_arg && !PG_ARGISNULL(3)) ? PG_GETARG_INT64(3) : 0,
					   VARDATA_ANY(channel), VARSIZE_ANY_EXHDR(channel));
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(buf);
}

Datum
journey_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "journey_agg_combine");
	TouchBuffer *a = agg_state_arg(fcinfo, 0);
	TouchBuffer *b = agg_state_arg(fcinfo, 1);
	MemoryContext old;

	if (b == NULL)
		return agg_state_unchanged(fcinfo);
	old = MemoryContextSwitchTo(aggcontext);
	if (a == NULL)
		a = touchbuf_create(call_dictionary(fcinfo), b->ntouches);	/* a copy in our context */
	a = touchbuf_append(a, b);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

Datum
journey_agg_serialize(PG_FUNCTION_ARGS)
{
	TouchBuffer *buf = (TouchBuffer *) PG_GETARG_POINTER(0);
	StringInfoData msg;

	pq_begintypsend(&msg);
	touchbuf_write(&msg, buf);
	PG_RETURN_BYTEA_P(pq_endtypsend(&msg));
}

Datum
journey_agg_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "journey_agg_deserialize");
	bytea	   *state = PG_GETARG_BYTEA_PP(0);
	StringInfoData msg;
	BinReader	in;
	TouchBuffer *buf;
	MemoryContext old;

	bin_message(&msg, (struct varlena *) state);
	bin_init(&in, &msg, "journey_agg", BIN_SERIALIZED);
	old = MemoryContextSwitchTo(aggcontext);
	buf = touchbuf_read(&in, call_dictionary(fcinfo));
	MemoryContextSwitchTo(old);
	bin_end(&in, "touch");
	PG_RETURN_POINTER(buf);
}

Datum
journey_agg_final(PG_FUNCTION_ARGS)
{
	TouchBuffer *buf = agg_state_arg(fcinfo, 0);

	if (buf == NULL || buf->ntouches == 0)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(touchbuf_to_journey(buf));
}

/* ---------- credits(journey, model, ...) ---------- */

/* argument numbers of credits() */
enum
{
	CR_JOURNEY, CR_MODEL, CR_CONVERTED_AT, CR_HALF_LIFE, CR_LEAD_AT,
	CR_OPPORTUNITY_AT, CR_CLOSED_AT, CR_DIRECT_CHANNELS, CR_WEIGHTS, CR_LOOKBACK
};

/* where credits()'s journey-level arguments are */
static const RowArgs credits_args = {
	.model = CR_MODEL,.converted_at = CR_CONVERTED_AT,.half_life = CR_HALF_LIFE,
	.lead_at = CR_LEAD_AT,.opportunity_at = CR_OPPORTUNITY_AT,.closed_at = CR_CLOSED_AT,
	.weights = CR_WEIGHTS,.lookback = CR_LOOKBACK
};

/*
 * Which channels of the journey are in direct_channels.  The journey's
 * channel names go into a hash table once and every element of the list is
 * looked up in it, so the cost is linear in the two sizes, however long the
 * list and however many channels the journey has.
 */
static bool *
direct_channel_flags(const JourneyData *journey, ArrayType *direct_channels)
{
	bool	   *is_direct = palloc0(Max(journey->nchannels, 1) * sizeof(bool));
	const char **names = journey_channel_names(journey);
	StrDict    *dict = strdict_create(journey->nchannels);
	int32	   *channel_of = palloc(Max(journey->nchannels, 1) * sizeof(int32));
	ArrayIterator it;
	Datum		elem;
	bool		isnull;
	int64		i = 0;
	int			c;

	for (c = 0; c < journey->nchannels; c++)
	{
		int			index = strdict_intern(dict, names[c], strlen(names[c]));

		/* a journey's channels are distinct: the index is c */
		channel_of[index] = c;
		if ((c & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	it = array_create_iterator(direct_channels, 0, NULL);
	while (array_iterate(it, &elem, &isnull))
	{
		if (!isnull)
		{
			text	   *name = DatumGetTextPP(elem);
			int			index = strdict_lookup(dict, VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));

			if (index >= 0)
				is_direct[channel_of[index]] = true;
			if ((Pointer) name != DatumGetPointer(elem))
				pfree(name);
		}
		if ((++i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	array_free_iterator(it);
	pfree(channel_of);
	pfree(names);
	return is_direct;
}

Datum
attribution_credits(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	JourneyData *journey;
	AttributionModel model;
	JourneyTimes times;
	NullableDatum args[NUM_JOURNEY_ARGS];
	const char **names;
	bool	   *touch_is_direct = NULL;
	double	   *credit;
	int			window_start;
	int			window_len;
	int			i;

	srf_materialize(fcinfo);
	journey_args_of_call(fcinfo, &credits_args, args);
	journey_args_model(args, HALF_LIFE_NULL_NOT_GIVEN, &model);
	journey_args_times(args, &times);
	if (PG_ARGISNULL(CR_JOURNEY))
		return (Datum) 0;

	journey = PG_GETARG_JOURNEY(CR_JOURNEY);
	if (journey->ntouches == 0)
		return (Datum) 0;
	names = journey_channel_names(journey);
	if (!PG_ARGISNULL(CR_DIRECT_CHANNELS))
	{
		bool	   *channel_is_direct = direct_channel_flags(journey,
															 PG_GETARG_ARRAYTYPE_P(CR_DIRECT_CHANNELS));

		touch_is_direct = palloc(journey->ntouches * sizeof(bool));
		for (i = 0; i < journey->ntouches; i++)
			touch_is_direct[i] = channel_is_direct[JOURNEY_CHANNEL(journey)[i]];
	}
	credit = palloc(journey->ntouches * sizeof(double));
	window_len = model_credit_sorted(&model, &times, journey->ntouches, JOURNEY_AT(journey),
									 touch_is_direct, credit, &window_start);
	for (i = window_start; i < window_start + window_len; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = Int64GetDatum(JOURNEY_ID(journey)[i]);
		nulls[1] = JOURNEY_ID_ISNULL(journey)[i] != 0;
		values[2] = TimestampTzGetDatum(JOURNEY_AT(journey)[i]);
		values[3] = CStringGetTextDatum(names[JOURNEY_CHANNEL(journey)[i]]);
		values[4] = Float8GetDatum(credit[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return (Datum) 0;
}
