/*
 * touch_buffer.c
 *		Unsorted touches, their sort in the documented order, and their wire
 *		form; see touch_buffer.h.
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

/* the bytes of a buffer of capacity touches */
static Size
touchbuf_size(int capacity)
{
	return offsetof(TouchBuffer, touches) + (Size) capacity * sizeof(TouchKey);
}

/*
 * The capacity that fills a power-of-two chunk of at least the bytes
 * needed, since palloc rounds small requests up to one anyway.
 */
static int
touchbuf_capacity_for(int touches)
{
	Size		chunk = 256;

	while (chunk < touchbuf_size(touches))
		chunk *= 2;
	return (int) Min((chunk - offsetof(TouchBuffer, touches)) / sizeof(TouchKey),
					 (Size) MAX_JOURNEY_TOUCHES);
}

TouchBuffer *
touchbuf_create(StrDict *dict, int capacity)
{
	int			room = touchbuf_capacity_for(Max(capacity, 1));
	TouchBuffer *buf = palloc(touchbuf_size(room));

	buf->dict = dict;
	buf->ntouches = 0;
	buf->capacity = room;
	return buf;
}

static TouchBuffer *
touchbuf_add_numbered(TouchBuffer *buf, TimestampTz at, bool id_isnull, int64 id, int32 channel)
{
	TouchKey   *touch;

	if (buf->ntouches == buf->capacity)
	{
		model_check_journey_length((int64) buf->ntouches + 1);
		buf->capacity = touchbuf_capacity_for(buf->capacity + 1);
		buf = repalloc(buf, touchbuf_size(buf->capacity));
	}
	touch = &buf->touches[buf->ntouches++];
	touch->at = at;
	touch->id = id_isnull ? 0 : id;
	touch->id_isnull = id_isnull;
	touch->channel = channel;
	touch->valid = true;
	return buf;
}

TouchBuffer *
touchbuf_add(TouchBuffer *buf, TimestampTz at, bool id_isnull, int64 id,
			 const char *name, int name_len)
{
	return touchbuf_add_numbered(buf, at, id_isnull, id,
								 strdict_intern(buf->dict, name, name_len));
}

TouchBuffer *
touchbuf_append(TouchBuffer *dst, const TouchBuffer *src)
{
	int			i;

	model_check_journey_length((int64) dst->ntouches + src->ntouches);
	for (i = 0; i < src->ntouches; i++)
	{
		const TouchKey *t = &src->touches[i];
		int32		channel = t->channel;

		if (src->dict != dst->dict)
		{
			int			len;
			const char *name = strdict_string(src->dict, t->channel, &len);

			channel = strdict_intern(dst->dict, name, len);
		}
		dst = touchbuf_add_numbered(dst, t->at, t->id_isnull, t->id, channel);
	}
	return dst;
}

/* the documented order (rule_input.h) */
static int
compare_touches(const void *a, const void *b, void *arg)
{
	return touch_key_compare(a, b, (const StrDict *) arg);
}

void
touchbuf_sort(TouchBuffer *buf)
{
	qsort_interruptible(buf->touches, buf->ntouches, sizeof(TouchKey), compare_touches, buf->dict);
}

/*
 * Wire form: version byte, touch count, then per touch the time, a byte
 * saying whether the id is NULL, the id, and the channel name (length and
 * bytes, in the server encoding, checked on the way in).
 */
void
touch_wire_header(StringInfo msg, int ntouches)
{
	pq_sendbyte(msg, TOUCH_WIRE_VERSION);
	pq_sendint32(msg, ntouches);
}

void
touch_wire_touch(StringInfo msg, TimestampTz at, bool id_isnull, int64 id,
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

	touch_wire_header(msg, buf->ntouches);
	for (i = 0; i < buf->ntouches; i++)
	{
		const TouchKey *t = &buf->touches[i];
		int			len;
		const char *name = strdict_string(buf->dict, t->channel, &len);

		touch_wire_touch(msg, t->at, t->id_isnull, t->id, name, len);
	}
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
touchbuf_read(StringInfo msg, StrDict *dict)
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
	buf = touchbuf_create(dict, n);
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
		buf = touchbuf_add(buf, at, id_isnull == 1, id, name, name_len);
		CHECK_FOR_INTERRUPTS();
	}
	return buf;
}
