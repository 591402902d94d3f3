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

TouchBuffer *
touchbuf_read(BinReader *in, StrDict *dict)
{
	int			n;
	TouchBuffer *buf;
	int			i;

	bin_version(in, TOUCH_WIRE_VERSION);
	/* each touch takes at least 21 bytes: refuse counts the message cannot hold */
	n = bin_count(in, 0, MAX_JOURNEY_TOUCHES, 21, "touches");
	buf = touchbuf_create(dict, n);
	for (i = 0; i < n; i++)
	{
		TimestampTz at = bin_int64(in);
		bool		id_isnull = bin_bool(in);
		int64		id = bin_int64(in);
		int			name_len;
		const char *name = bin_name(in, &name_len, false, i + 1);

		if (TIMESTAMP_NOT_FINITE(at) || !IS_VALID_TIMESTAMP(at))
			bin_error(in, "The time of touch %d is infinite or out of range.", i + 1);
		buf = touchbuf_add(buf, at, id_isnull, id, name, name_len);
		CHECK_FOR_INTERRUPTS();
	}
	return buf;
}
