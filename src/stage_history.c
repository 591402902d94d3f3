/*
 * stage_history.c
 *		The type attribution.stage_history and the aggregate stage_agg().
 *
 * Stored form (after the varlena header; read with memcpy, so the value may
 * sit at any alignment):
 *		HistoryHeader	version, ladder and exit counts, flags, event count,
 *						blob size
 *		blob			the stage names, each NUL-terminated (ladder, then
 *						exits); left out for the built-in ladder (a flag)
 *		uint8[n]		stage index of each event
 *		int64[n]		entered_at of each event (host order, like timestamptz)
 * The events are sorted by (entered_at, stage index) and no event repeats the
 * stage of the event before it: a second record of the stage a unit is
 * already in is not a new entry and is merged into the first (this also
 * removes exact duplicates).  Every way of making a history (the aggregate,
 * text input, binary input) goes through history_build(), which sorts and
 * merges, so a value is always in this normal form.
 *
 * Text form, built from the tokens of textio.h:
 *		{"ladder":["inquiry","mql"],"exits":["lost"],
 *		 "events":[["inquiry","2024-01-02 09:00:00+00"],["mql","2024-01-05 10:30:00.25+00"]]}
 * Times are written in UTC in ISO form, and read back in that form with any
 * UTC offset (+HH, +HH:MM, +HH:MM:SS or Z), so the text form never depends on
 * the TimeZone or DateStyle settings.
 */
#include "postgres.h"

#include "compat.h"

#include <ctype.h>

#include "aggutil.h"
#include "attribution.h"
#include "common/int.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "stage_history.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#define HISTORY_VERSION 1
#define SERIAL_VERSION 1
#define SEND_VERSION 1
/* events of one history */
#define HISTORY_MAX_EVENTS 10000000

typedef struct HistoryHeader
{
	uint8		version;
	uint8		n_ladder;
	uint8		n_exits;
	uint8		flags;
	int32		n_events;
	int32		blob_len;
} HistoryHeader;

/* flags: the built-in ladder, whose names are not stored (blob_len 0) */
#define HISTORY_DEFAULT_LADDER 0x01

typedef struct StageEvent
{
	TimestampTz at;
	int32		stage;
} StageEvent;

/* the documented order of events: (entered_at, stage index) */
static int
stage_event_cmp(const void *a, const void *b, void *arg)
{
	const StageEvent *x = (const StageEvent *) a;
	const StageEvent *y = (const StageEvent *) b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return (x->stage > y->stage) - (x->stage < y->stage);
}

static void
sort_stage_events(StageEvent *events, int n)
{
	int			i;

	/* events usually arrive in order: check that first */
	for (i = 1; i < n; i++)
	{
		if (stage_event_cmp(&events[i - 1], &events[i], NULL) > 0)
			break;
	}
	if (i >= n)
		return;
	qsort_interruptible(events, n, sizeof(StageEvent), stage_event_cmp, NULL);
}

PG_FUNCTION_INFO_V1(stage_history_in);
PG_FUNCTION_INFO_V1(stage_history_out);
PG_FUNCTION_INFO_V1(stage_history_recv);
PG_FUNCTION_INFO_V1(stage_history_send);
PG_FUNCTION_INFO_V1(stage_agg_trans);
PG_FUNCTION_INFO_V1(stage_agg_combine);
PG_FUNCTION_INFO_V1(stage_agg_serialize);
PG_FUNCTION_INFO_V1(stage_agg_deserialize);
PG_FUNCTION_INFO_V1(stage_agg_final);

static void
too_many_events(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("too many stage events in one history"),
			 errdetail("A stage history holds at most %d events.", HISTORY_MAX_EVENTS),
			 errhint("Check the grouping: a history is meant for the events of one unit.")));
}

/*
 * Sort the events (in place) and build the stored value, merging each event
 * into the one before it when both are of the same stage.
 */
static struct varlena *
history_build(const StageLadder *ladder, StageEvent *events, int n)
{
	HistoryHeader header;
	struct varlena *result;
	char	   *p;
	uint8	   *stages;
	int			kept = 0;
	int			prev_stage = -1;
	int			i;
	Size		size;

	Assert(n > 0 && n <= HISTORY_MAX_EVENTS);
	sort_stage_events(events, n);
	for (i = 0; i < n; i++)
	{
		if (events[i].stage != prev_stage)
			kept++;
		prev_stage = events[i].stage;
	}

	header.version = HISTORY_VERSION;
	header.n_ladder = (uint8) ladder->n_ladder;
	header.n_exits = (uint8) ladder->n_exits;
	header.flags = ladder->is_default ? HISTORY_DEFAULT_LADDER : 0;
	header.n_events = kept;
	header.blob_len = ladder->is_default ? 0 : ladder->blob_len;
	size = VARHDRSZ + sizeof(HistoryHeader) + header.blob_len +
		(Size) kept * (1 + sizeof(TimestampTz));
	result = palloc(size);
	SET_VARSIZE(result, size);
	p = VARDATA(result);
	memcpy(p, &header, sizeof(header));
	p += sizeof(header);
	memcpy(p, ladder->blob, header.blob_len);
	p += header.blob_len;
	stages = (uint8 *) p;
	p += kept;

	prev_stage = -1;
	for (i = 0; i < n; i++)
	{
		if (events[i].stage == prev_stage)
			continue;
		/* the normal form: sorted by (entered_at, stage index), valid stages */
		Assert(events[i].stage >= 0 && events[i].stage < ladder->n_stages);
		Assert(i == 0 || stage_event_cmp(&events[i - 1], &events[i], NULL) <= 0);
		prev_stage = events[i].stage;
		*stages++ = (uint8) events[i].stage;
		memcpy(p, &events[i].at, sizeof(TimestampTz));
		p += sizeof(TimestampTz);
	}
	Assert(p == (char *) result + size);
	return result;
}

void
history_view(const struct varlena *value, HistoryView *view)
{
	const char *data = VARDATA_ANY(value);
	Size		size = VARSIZE_ANY_EXHDR(value);
	HistoryHeader header;
	int			i;

	if (size < sizeof(HistoryHeader))
		bin_error_at("stage_history", BIN_STORED, "The value is shorter than its header.");
	memcpy(&header, data, sizeof(header));
	if (header.version != HISTORY_VERSION || header.n_events < 1 ||
		header.n_events > HISTORY_MAX_EVENTS || header.blob_len < 0 ||
		(header.flags & ~HISTORY_DEFAULT_LADDER) != 0 ||
		size != sizeof(HistoryHeader) + header.blob_len +
		(Size) header.n_events * (1 + sizeof(TimestampTz)))
		bin_error_at("stage_history", BIN_STORED, "Its header does not match its size.");
	data += sizeof(HistoryHeader);
	if (header.flags & HISTORY_DEFAULT_LADDER)
	{
		view->ladder = ladder_default_view();
		if (header.blob_len != 0 || header.n_ladder != view->ladder->n_ladder ||
			header.n_exits != view->ladder->n_exits)
			bin_error_at("stage_history", BIN_STORED, "Its header does not match the default ladder.");
	}
	else
	{
		ladder_init_view(&view->parsed_ladder, header.n_ladder, header.n_exits,
						 data, header.blob_len);
		view->ladder = &view->parsed_ladder;
	}
	data += header.blob_len;
	view->n_events = header.n_events;
	view->stages = (const uint8 *) data;
	view->times = data + header.n_events;

	/*
	 * The accessors index the ladder with the stage bytes: check them (a
	 * pass over bytes the accessors read anyway).  The order of the events
	 * was made by history_build(); assert it.
	 */
	for (i = 0; i < view->n_events; i++)
	{
		if (view->stages[i] >= view->ladder->n_stages)
			bin_error_at("stage_history", BIN_STORED, "Event %d refers to a stage that is not in the ladder.",
						 i + 1);
		Assert(i == 0 || view->stages[i] != view->stages[i - 1]);
		Assert(i == 0 || history_time(view, i - 1) < history_time(view, i) ||
			   (history_time(view, i - 1) == history_time(view, i) &&
				view->stages[i - 1] < view->stages[i]));
	}
}

int64
history_usecs_between(TimestampTz a, TimestampTz b)
{
	int64		result;

	if (pg_sub_s64_overflow(b, a, &result))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range"),
				 errdetail("The time between two stage events does not fit an interval."),
				 errhint("Check the entered_at values for wrong years.")));
	return result;
}

static bool
valid_event_time(TimestampTz t)
{
	return IS_VALID_TIMESTAMP(t);
}

/* text form of times: UTC, ISO */

static void
format_utc(TimestampTz t, char *buf)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "timestamp out of range in a stage_history value");
	tm.tm_isdst = 0;			/* a known zone: UTC, written as +00 */
	EncodeDateTime(&tm, fsec, true, 0, NULL, USE_ISO_DATES, buf);
}

static bool
read_digits(const char **p, int n, int *value)
{
	int			v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (!isdigit((unsigned char) (*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*value = v;
	return true;
}

/* "+HH", "+HH:MM", "+HHMM", "+HH:MM:SS" or "Z": seconds east of UTC */
static bool
read_utc_offset(const char **p, int *seconds)
{
	int			sign;
	int			hours = 0,
				minutes = 0,
				secs = 0;

	if (**p == 'Z')
	{
		(*p)++;
		*seconds = 0;
		return true;
	}
	if (**p != '+' && **p != '-')
		return false;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (!read_digits(p, 2, &hours))
		return false;
	if (**p == ':')
	{
		(*p)++;
		if (!read_digits(p, 2, &minutes))
			return false;
		if (**p == ':')
		{
			(*p)++;
			if (!read_digits(p, 2, &secs))
				return false;
		}
	}
	else if (isdigit((unsigned char) **p) && !read_digits(p, 2, &minutes))
		return false;
	if (hours > 15 || minutes > 59 || secs > 59)
		return false;
	*seconds = sign * (hours * SECS_PER_HOUR + minutes * SECS_PER_MINUTE + secs);
	return true;
}

/*
 * Parse YYYY-MM-DD HH:MM:SS[.ffffff]<offset>[ BC] (a 'T' may separate date
 * and time).  Only this form: no special values, nothing that depends on the
 * session's settings.
 */
static bool
parse_utc_timestamp(const char *s, TimestampTz *result)
{
	struct pg_tm tm;
	fsec_t		fsec = 0;
	const char *p = s;
	int			year = 0;
	int			ndigits = 0;
	int			offset;
	Timestamp	local;

	memset(&tm, 0, sizeof(tm));
	while (isdigit((unsigned char) *p) && ndigits < 6)
	{
		year = year * 10 + (*p++ - '0');
		ndigits++;
	}
	if (ndigits < 4 || *p++ != '-' ||
		!read_digits(&p, 2, &tm.tm_mon) || *p++ != '-' ||
		!read_digits(&p, 2, &tm.tm_mday) || (*p != ' ' && *p != 'T'))
		return false;
	p++;
	if (!read_digits(&p, 2, &tm.tm_hour) || *p++ != ':' ||
		!read_digits(&p, 2, &tm.tm_min) || *p++ != ':' ||
		!read_digits(&p, 2, &tm.tm_sec))
		return false;
	if (*p == '.')
	{
		int			scale = 100000;

		p++;
		if (!isdigit((unsigned char) *p))
			return false;
		while (isdigit((unsigned char) *p))
		{
			if (scale == 0)
				return false;	/* more than microseconds */
			fsec += (*p++ - '0') * scale;
			scale /= 10;
		}
	}
	if (!read_utc_offset(&p, &offset))
		return false;
	tm.tm_year = year;
	if (strcmp(p, " BC") == 0)
	{
		tm.tm_year = -(year - 1);
		p += 3;
	}
	if (*p != '\0' || year < 1 || tm.tm_mon < 1 || tm.tm_mon > 12 ||
		tm.tm_mday < 1 || tm.tm_mday > day_tab[isleap(tm.tm_year)][tm.tm_mon - 1] ||
		tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return false;
	if (tm2timestamp(&tm, fsec, NULL, &local) != 0)
		return false;
	if (pg_sub_s64_overflow(local, (int64) offset * USECS_PER_SEC, result))
		return false;
	return valid_event_time(*result);
}

/* text I/O */

static int
read_event(TextScanner *scan, const StageLadder *ladder, StageEvent *event)
{
	char	   *name;
	char	   *when;
	int			len;

	ts_expect(scan, '[');
	name = ts_read_string(scan, &len);
	event->stage = ladder_lookup_or_error(ladder, name, len);
	ts_expect(scan, ',');
	when = ts_read_string(scan, NULL);
	if (!parse_utc_timestamp(when, &event->at))
		ts_error(scan, "Invalid time \"%s\" (expected the form YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM], within the range of timestamptz)",
				 when);
	ts_expect(scan, ']');
	pfree(name);
	pfree(when);
	return event->stage;
}

Datum
stage_history_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	TextScanner scan;
	StageLadder *ladder;
	StageEvent *events;
	int			n = 0;
	int			capacity = 16;

	ts_init(&scan, input, "stage_history");
	ts_expect(&scan, '{');
	ladder = ladder_read_text(&scan);
	ts_expect(&scan, ',');
	ladder_expect_key(&scan, "events");
	ts_expect(&scan, '[');
	if (ts_peek(&scan, ']'))
		ts_error(&scan, "A stage history needs at least one event");
	events = palloc(capacity * sizeof(StageEvent));
	do
	{
		if (n == capacity)
		{
			if (capacity >= HISTORY_MAX_EVENTS)
				too_many_events();
			capacity = Min(capacity * 2, HISTORY_MAX_EVENTS);
			events = repalloc(events, capacity * sizeof(StageEvent));
		}
		read_event(&scan, ladder, &events[n++]);
		CHECK_FOR_INTERRUPTS();
	} while (ts_accept(&scan, ','));
	ts_expect(&scan, ']');
	ts_expect(&scan, '}');
	ts_expect_end(&scan);
	PG_RETURN_POINTER(history_build(ladder, events, n));
}

Datum
stage_history_out(PG_FUNCTION_ARGS)
{
	HistoryView view;
	StringInfoData buf;
	char		when[MAXDATELEN + 1];
	int			i;

	history_view(PG_GETARG_VARLENA_PP(0), &view);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	ladder_append_text(&buf, view.ladder);
	appendStringInfoString(&buf, ",\"events\":[");
	for (i = 0; i < view.n_events; i++)
	{
		int			stage = view.stages[i];

		CHECK_FOR_INTERRUPTS();
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoChar(&buf, '[');
		tw_append_string(&buf, view.ladder->names[stage], view.ladder->name_lens[stage]);
		appendStringInfoChar(&buf, ',');
		format_utc(history_time(&view, i), when);
		tw_append_string(&buf, when, strlen(when));
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

/* binary I/O: version, ladder, count, then (stage index, entered_at) pairs */

/*
 * Read the events of a binary form (after the ladder) into a palloc'd array,
 * validating the count against the bytes left and every stage and time.
 */
static StageEvent *
recv_events(BinReader *in, const StageLadder *ladder, int *n_out)
{
	int			n = bin_count(in, 1, HISTORY_MAX_EVENTS, 1 + sizeof(TimestampTz), "events");
	StageEvent *events;
	int			i;

	events = palloc((Size) n * sizeof(StageEvent));
	for (i = 0; i < n; i++)
	{
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		events[i].stage = bin_byte(in);
		events[i].at = bin_int64(in);
		if (events[i].stage >= ladder->n_stages)
			bin_error(in, "Event %d refers to a stage that is not in the ladder.", i + 1);
		if (!valid_event_time(events[i].at))
			bin_error(in, "The time of event %d is infinite or out of range.", i + 1);
	}
	bin_end(in, "event");
	*n_out = n;
	return events;
}

Datum
stage_history_recv(PG_FUNCTION_ARGS)
{
	BinReader	in;
	StageLadder *ladder;
	StageEvent *events;
	int			n;

	bin_init(&in, (StringInfo) PG_GETARG_POINTER(0), "stage_history", BIN_CLIENT);
	bin_version(&in, SEND_VERSION);
	ladder = ladder_recv(&in, true);
	events = recv_events(&in, ladder, &n);
	PG_RETURN_POINTER(history_build(ladder, events, n));
}

Datum
stage_history_send(PG_FUNCTION_ARGS)
{
	HistoryView view;
	StringInfoData buf;
	int			i;

	history_view(PG_GETARG_VARLENA_PP(0), &view);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, SEND_VERSION);
	ladder_send(&buf, view.ladder, true);
	pq_sendint32(&buf, view.n_events);
	for (i = 0; i < view.n_events; i++)
	{
		INTERRUPT_EVERY(i);
		pq_sendbyte(&buf, view.stages[i]);
		pq_sendint64(&buf, history_time(&view, i));
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * stage_agg(stage, entered_at [, ladder [, exits]])
 *
 * The state buffers the events as they come, the times and the stage
 * indexes in two arrays (9 bytes an event); the final function sorts them.
 * A group with up to AGG_INLINE_EVENTS events (most units) lives in a single
 * 128-byte allocation, which matters when a hash aggregate holds a million
 * of them.  All groups of a query share the ladder, which lives in the
 * per-query cache of stage_ladder.c.
 */
typedef struct StageAggState
{
	const StageLadder *ladder;
	int32		n_events;
	int32		capacity;
	char	   *external;		/* the arrays once they outgrow the inline room */
	/* inline room: capacity times, then capacity stage bytes */
} StageAggState;

#define AGG_STATE_ALLOC 128
#define AGG_INLINE_EVENTS \
	((int) ((AGG_STATE_ALLOC - sizeof(StageAggState)) / (sizeof(TimestampTz) + 1)))

static inline TimestampTz *
state_times(const StageAggState *state)
{
	return (TimestampTz *) (state->external ? state->external : (char *) (state + 1));
}

static inline uint8 *
state_stages(const StageAggState *state)
{
	return (uint8 *) (state_times(state) + state->capacity);
}

static StageAggState *
state_create(MemoryContext cxt, const StageLadder *ladder, int capacity)
{
	StageAggState *state = MemoryContextAlloc(cxt, AGG_STATE_ALLOC);

	state->ladder = ladder;
	state->n_events = 0;
	state->capacity = AGG_INLINE_EVENTS;
	state->external = NULL;
	if (capacity > AGG_INLINE_EVENTS)
	{
		state->external = MemoryContextAlloc(cxt, (Size) capacity * (sizeof(TimestampTz) + 1));
		state->capacity = capacity;
	}
	return state;
}

/* make room for at least `needed` events, in the context of the state */
static void
state_reserve(StageAggState *state, MemoryContext cxt, int64 needed)
{
	int64		capacity = state->capacity;
	char	   *block;

	if (needed <= capacity)
		return;
	if (needed > HISTORY_MAX_EVENTS)
		too_many_events();
	while (capacity < needed)
		capacity *= 2;
	capacity = Min(capacity, HISTORY_MAX_EVENTS);
	block = MemoryContextAlloc(cxt, capacity * (sizeof(TimestampTz) + 1));
	memcpy(block, state_times(state), state->n_events * sizeof(TimestampTz));
	memcpy(block + capacity * sizeof(TimestampTz), state_stages(state), state->n_events);
	if (state->external)
		pfree(state->external);
	state->external = block;
	state->capacity = (int32) capacity;
}

/* append the events of one state to another with room for them */
static void
state_append(StageAggState *into, const StageAggState *from)
{
	Assert(into->n_events + from->n_events <= into->capacity);
	memcpy(state_times(into) + into->n_events, state_times(from),
		   from->n_events * sizeof(TimestampTz));
	memcpy(state_stages(into) + into->n_events, state_stages(from), from->n_events);
	into->n_events += from->n_events;
}

static void
check_same_ladder(const StageLadder *a, const StageLadder *b)
{
	if (!ladder_equal(a, b))
		ladder_different_error(a, b, "events of one stage history");
}

static void
null_event_error(FunctionCallInfo fcinfo, bool stage_null)
{
	if (stage_null)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("stage must not be null"),
				 errdetail("An event entered at %s has no stage.",
						   timestamptz_to_str(PG_GETARG_TIMESTAMPTZ(2))),
				 errhint("Leave out events without a stage (a row whose stage and entered_at are both null is skipped).")));
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("entered_at must not be null"),
			 errdetail("An event of stage \"%s\" has no time.",
					   text_to_cstring(PG_GETARG_TEXT_PP(1))),
			 errhint("Leave out events without a time (a row whose stage and entered_at are both null is skipped).")));
}

Datum
stage_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "stage_agg_trans");
	StageAggState *state = agg_state_arg(fcinfo, 0);
	const StageLadder *ladder;
	text	   *stage;
	TimestampTz at;
	int			index;

	/* a row with neither stage nor time (an outer join's filler) is skipped */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (!(PG_ARGISNULL(1) && PG_ARGISNULL(2)))
			null_event_error(fcinfo, PG_ARGISNULL(1));
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}

	stage = PG_GETARG_TEXT_PP(1);
	at = PG_GETARG_TIMESTAMPTZ(2);
	/* without ladder arguments, every row of the group has the state's ladder */
	if (state != NULL && PG_NARGS() <= 3)
		ladder = state->ladder;
	else
		ladder = ladder_cache_args(fcinfo, PG_NARGS() > 3 ? 3 : -1, PG_NARGS() > 4 ? 4 : -1);
	index = ladder_lookup_or_error(ladder, VARDATA_ANY(stage), VARSIZE_ANY_EXHDR(stage));
	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("stage entry time must be finite"),
				 errdetail("Stage \"%s\" has entered_at %s.", ladder->names[index],
						   TIMESTAMP_IS_NOBEGIN(at) ? "-infinity" : "infinity"),
				 errhint("Give every stage event the time it happened, or leave the event out.")));

	if (state == NULL)
		state = state_create(aggcontext, ladder, 0);
	else if (state->ladder != ladder)
		check_same_ladder(state->ladder, ladder);
	if (state->n_events == state->capacity)
		state_reserve(state, aggcontext, (int64) state->n_events + 1);
	state_times(state)[state->n_events] = at;
	state_stages(state)[state->n_events] = (uint8) index;
	state->n_events++;
	PG_RETURN_POINTER(state);
}

Datum
stage_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "stage_agg_combine");
	StageAggState *a = agg_state_arg(fcinfo, 0);
	StageAggState *b = agg_state_arg(fcinfo, 1);

	if (b == NULL || b->n_events == 0)
		return agg_state_unchanged(fcinfo);
	if (a == NULL)
	{
		/* copy: the second state may live in a shorter-lived context */
		a = state_create(aggcontext, b->ladder, b->n_events);
	}
	else
		check_same_ladder(a->ladder, b->ladder);
	state_reserve(a, aggcontext, (int64) a->n_events + b->n_events);
	state_append(a, b);
	PG_RETURN_POINTER(a);
}

Datum
stage_agg_serialize(PG_FUNCTION_ARGS)
{
	StageAggState *state = (StageAggState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int			i;

	(void) agg_memory_context(fcinfo, "stage_agg_serialize");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, SERIAL_VERSION);
	ladder_send(&buf, state->ladder, false);
	pq_sendint32(&buf, state->n_events);
	for (i = 0; i < state->n_events; i++)
	{
		INTERRUPT_EVERY(i);
		pq_sendbyte(&buf, state_stages(state)[i]);
		pq_sendint64(&buf, state_times(state)[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
stage_agg_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *serial = PG_GETARG_BYTEA_PP(0);
	StringInfoData msg;
	BinReader	in;
	const StageLadder *ladder;
	StageAggState *state;
	StageEvent *events;
	int			n;
	int			i;

	(void) agg_memory_context(fcinfo, "stage_agg_deserialize");
	bin_message(&msg, (struct varlena *) serial);
	bin_init(&in, &msg, "stage_agg", BIN_SERIALIZED);
	bin_version(&in, SERIAL_VERSION);
	ladder = ladder_cache_recv(fcinfo, &in);
	events = recv_events(&in, ladder, &n);

	state = state_create(CurrentMemoryContext, ladder, n);
	for (i = 0; i < n; i++)
	{
		state_times(state)[i] = events[i].at;
		state_stages(state)[i] = (uint8) events[i].stage;
	}
	state->n_events = n;
	pfree(events);
	PG_RETURN_POINTER(state);
}

/*
 * The final function sorts a copy of the buffered events and leaves the
 * state as it is (READ_ONLY: a window aggregate can go on adding to it).
 */
Datum
stage_agg_final(PG_FUNCTION_ARGS)
{
	StageAggState *state;
	StageEvent	local[AGG_INLINE_EVENTS];
	StageEvent *events;
	int			i;

	(void) agg_memory_context(fcinfo, "stage_agg_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (StageAggState *) PG_GETARG_POINTER(0);
	if (state->n_events == 0)
		PG_RETURN_NULL();
	events = state->n_events <= AGG_INLINE_EVENTS ? local :
		palloc((Size) state->n_events * sizeof(StageEvent));
	for (i = 0; i < state->n_events; i++)
	{
		events[i].at = state_times(state)[i];
		events[i].stage = state_stages(state)[i];
	}
	PG_RETURN_POINTER(history_build(state->ladder, events, state->n_events));
}
