/*
 * touch_buffer.c
 *		Unsorted touches, their documented order, and the journey builder;
 *		see touch_buffer.h.
 */
#include "postgres.h"

#include "compat.h"

#include "libpq/pqformat.h"
#include "utils/memutils.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "models.h"
#include "strdict.h"
#include "touch_buffer.h"

#define TOUCH_WIRE_VERSION 1

TouchBuffer *
touchbuf_create(int capacity)
{
	TouchBuffer *buf = palloc(sizeof(TouchBuffer));

	buf->ntouches = 0;
	buf->capacity = Max(capacity, 8);
	buf->touches = palloc(buf->capacity * sizeof(BufferedTouch));
	buf->names_capacity = 8 * buf->capacity;
	buf->names = palloc(buf->names_capacity);
	buf->names_used = 0;
	return buf;
}

static void
touchbuf_reserve_names(TouchBuffer *buf, Size extra)
{
	Size		needed = add_size(buf->names_used, extra);

	if (needed <= buf->names_capacity)
		return;
	if (needed > MaxAllocSize / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("journey channel names are too long"),
				 errdetail("The channel names of one journey take more than %zu bytes.",
						   (Size) MaxAllocSize / 2),
				 errhint("Use shorter channel names.")));
	buf->names_capacity = Min(Max(needed, buf->names_capacity * 2), MaxAllocSize);
	buf->names = repalloc(buf->names, buf->names_capacity);
}

void
touchbuf_add(TouchBuffer *buf, TimestampTz at, bool id_isnull, int64 id,
			 const char *name, int name_len)
{
	BufferedTouch *touch;

	if (buf->ntouches == buf->capacity)
	{
		model_check_journey_length((int64) buf->ntouches + 1);
		buf->capacity = Min(buf->capacity * 2, MAX_JOURNEY_TOUCHES);
		buf->touches = repalloc(buf->touches, buf->capacity * sizeof(BufferedTouch));
	}
	touchbuf_reserve_names(buf, name_len);
	touch = &buf->touches[buf->ntouches++];
	touch->at = at;
	touch->id = id_isnull ? 0 : id;
	touch->id_isnull = id_isnull;
	touch->name_offset = (int32) buf->names_used;
	touch->name_len = name_len;
	memcpy(buf->names + buf->names_used, name, name_len);
	buf->names_used += name_len;
}

void
touchbuf_append(TouchBuffer *dst, const TouchBuffer *src)
{
	int			i;

	model_check_journey_length((int64) dst->ntouches + src->ntouches);
	for (i = 0; i < src->ntouches; i++)
	{
		const BufferedTouch *t = &src->touches[i];

		touchbuf_add(dst, t->at, t->id_isnull, t->id,
					 src->names + t->name_offset, t->name_len);
	}
}

/* the documented order: touched_at, touch_id NULLS LAST, channel bytewise */
static int
compare_touches(const void *a, const void *b, void *arg)
{
	const BufferedTouch *ta = a;
	const BufferedTouch *tb = b;
	const char *names = arg;

	if (ta->at != tb->at)
		return ta->at < tb->at ? -1 : 1;
	if (ta->id_isnull != tb->id_isnull)
		return ta->id_isnull ? 1 : -1;
	if (ta->id != tb->id)
		return ta->id < tb->id ? -1 : 1;
	return strdict_compare_bytes(names + ta->name_offset, ta->name_len,
								 names + tb->name_offset, tb->name_len);
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
	StrDict    *dict = strdict_create(8);
	int32	   *channel = palloc(Max(n, 1) * sizeof(int32));
	Size		names_len = 0;
	Size		size;
	JourneyData *journey;
	char	   *names_out;
	int			i;

	qsort_interruptible(buf->touches, n, sizeof(BufferedTouch), compare_touches, buf->names);
	for (i = 0; i < n; i++)
	{
		const BufferedTouch *t = &buf->touches[i];
		int			before = strdict_size(dict);

		channel[i] = strdict_intern(dict, buf->names + t->name_offset, t->name_len);
		if (strdict_size(dict) > before)
			names_len += t->name_len + 1;
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
	journey->nchannels = strdict_size(dict);
	journey->names_len = (int32) names_len;
	for (i = 0; i < n; i++)
	{
		JOURNEY_AT(journey)[i] = buf->touches[i].at;
		JOURNEY_ID(journey)[i] = buf->touches[i].id;
		JOURNEY_ID_ISNULL(journey)[i] = buf->touches[i].id_isnull;
		JOURNEY_CHANNEL(journey)[i] = channel[i];
	}
	names_out = JOURNEY_NAMES(journey);
	for (i = 0; i < journey->nchannels; i++)
	{
		int			len;
		const char *name = strdict_string(dict, i, &len);

		memcpy(names_out, name, len + 1);
		names_out += len + 1;
	}
	pfree(channel);
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

/*
 * Wire form: version byte, touch count, then per touch the time, a byte
 * saying whether the id is NULL, the id, and the channel name (length and
 * bytes, in the server encoding, checked on the way in).
 */
static void
write_touch(StringInfo msg, TimestampTz at, bool id_isnull, int64 id,
			const char *name, int name_len)
{
	pq_sendint64(msg, at);
	pq_sendbyte(msg, id_isnull ? 1 : 0);
	pq_sendint64(msg, id);
	pq_sendint32(msg, name_len);
	pq_sendbytes(msg, name, name_len);
}

void
touchbuf_write(StringInfo msg, const TouchBuffer *buf)
{
	int			i;

	pq_sendbyte(msg, TOUCH_WIRE_VERSION);
	pq_sendint32(msg, buf->ntouches);
	for (i = 0; i < buf->ntouches; i++)
	{
		const BufferedTouch *t = &buf->touches[i];

		write_touch(msg, t->at, t->id_isnull, t->id, buf->names + t->name_offset, t->name_len);
	}
}

void
journey_write(StringInfo msg, const JourneyData *journey)
{
	const char **names = journey_channel_names(journey);
	int			i;

	pq_sendbyte(msg, TOUCH_WIRE_VERSION);
	pq_sendint32(msg, journey->ntouches);
	for (i = 0; i < journey->ntouches; i++)
	{
		const char *name = names[JOURNEY_CHANNEL(journey)[i]];

		write_touch(msg, JOURNEY_AT(journey)[i], JOURNEY_ID_ISNULL(journey)[i] != 0,
					JOURNEY_ID(journey)[i], name, strlen(name));
	}
	pfree(names);
}

static void
wire_error(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary journey"),
			 errdetail("%s", detail),
			 errhint("The value was not written by attribution's journey_send or journey_agg.")));
}

TouchBuffer *
touchbuf_read(StringInfo msg)
{
	int			version = pq_getmsgbyte(msg);
	int			n;
	TouchBuffer *buf;
	int			i;

	if (version != TOUCH_WIRE_VERSION)
		wire_error("The format version is unknown.");
	n = pq_getmsgint(msg, 4);
	if (n < 0 || n > MAX_JOURNEY_TOUCHES)
		wire_error("The touch count is out of range.");
	/* each touch takes at least 21 bytes: refuse counts the message cannot hold */
	if ((int64) n * 21 > msg->len - msg->cursor)
		wire_error("The touch count exceeds the data.");
	buf = touchbuf_create(n);
	for (i = 0; i < n; i++)
	{
		TimestampTz at = pq_getmsgint64(msg);
		int			id_isnull = pq_getmsgbyte(msg);
		int64		id = pq_getmsgint64(msg);
		int			name_len = pq_getmsgint(msg, 4);
		const char *name;

		if (TIMESTAMP_NOT_FINITE(at) || !IS_VALID_TIMESTAMP(at))
			wire_error("A touch time is infinite or out of range.");
		if (id_isnull != 0 && id_isnull != 1)
			wire_error("A NULL flag is neither 0 nor 1.");
		if (name_len < 0 || name_len > msg->len - msg->cursor)
			wire_error("A channel name length exceeds the data.");
		name = pq_getmsgbytes(msg, name_len);
		if (!pg_verifymbstr(name, name_len, true))
			wire_error("A channel name is not valid in the server encoding.");
		touchbuf_add(buf, at, id_isnull == 1, id, name, name_len);
		CHECK_FOR_INTERRUPTS();
	}
	return buf;
}
