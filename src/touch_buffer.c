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
#include "u64map.h"

#define TOUCH_WIRE_VERSION 1

/* the bytes of a buffer of capacity touches */
static Size
touchbuf_size(int capacity)
{
	return offsetof(TouchBuffer, touches) + (Size) capacity * sizeof(BufferedTouch);
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
	return (int) Min((chunk - offsetof(TouchBuffer, touches)) / sizeof(BufferedTouch),
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
	BufferedTouch *touch;

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
		const BufferedTouch *t = &src->touches[i];
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

/* the documented order: touched_at, touch_id NULLS LAST, channel bytewise */
static int
compare_touches(const void *a, const void *b, void *arg)
{
	const BufferedTouch *ta = a;
	const BufferedTouch *tb = b;
	StrDict    *dict = arg;
	const char *na;
	const char *nb;
	int			la;
	int			lb;

	if (ta->at != tb->at)
		return ta->at < tb->at ? -1 : 1;
	if (ta->id_isnull != tb->id_isnull)
		return ta->id_isnull ? 1 : -1;
	if (ta->id != tb->id)
		return ta->id < tb->id ? -1 : 1;
	if (ta->channel == tb->channel)
		return 0;
	na = strdict_string(dict, ta->channel, &la);
	nb = strdict_string(dict, tb->channel, &lb);
	return strdict_compare_bytes(na, la, nb, lb);
}

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
	qsort_interruptible(buf->touches, n, sizeof(BufferedTouch), compare_touches, buf->dict);
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
		int			len;
		const char *name = strdict_string(buf->dict, t->channel, &len);

		write_touch(msg, t->at, t->id_isnull, t->id, name, len);
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
