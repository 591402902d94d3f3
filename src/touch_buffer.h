/*
 * touch_buffer.h
 *		An unsorted buffer of touches (touched_at, touch_id, channel): the
 *		state of journey_agg and the staging area of the journey input
 *		functions.  touchbuf_to_journey() sorts it in the documented order and
 *		writes the canonical journey value.
 *
 * The channel names live in a dictionary that many buffers share (one per
 * call of journey_agg), so a touch takes 24 bytes and a buffer is one chunk:
 * a journey of 9 touches fits 256 bytes, which decides how many journeys a
 * hash aggregate keeps in work_mem.
 */
#ifndef ATTRIBUTION_TOUCH_BUFFER_H
#define ATTRIBUTION_TOUCH_BUFFER_H

#include "postgres.h"

#include "binio.h"
#include "datatype/timestamp.h"
#include "journey.h"
#include "lib/stringinfo.h"
#include "strdict.h"

typedef struct BufferedTouch
{
	TimestampTz at;
	int64		id;
	int32		channel;		/* number in the buffer's dictionary */
	bool		id_isnull;
} BufferedTouch;

typedef struct TouchBuffer
{
	StrDict    *dict;			/* channel names, shared; outlives the buffer */
	int32		ntouches;
	int32		capacity;
	BufferedTouch touches[FLEXIBLE_ARRAY_MEMBER];
} TouchBuffer;

/* a buffer in the current memory context with room for at least capacity touches */
extern TouchBuffer *touchbuf_create(StrDict *dict, int capacity);
/* add a touch; the buffer may move */
extern TouchBuffer *touchbuf_add(TouchBuffer *buf, TimestampTz at, bool id_isnull, int64 id,
								 const char *name, int name_len);
/* add the touches of src (any dictionary); dst may move */
extern TouchBuffer *touchbuf_append(TouchBuffer *dst, const TouchBuffer *src);
extern JourneyData *touchbuf_to_journey(TouchBuffer *buf);

/* the wire form shared by journey_send/recv and the aggregate state */
extern void touchbuf_write(StringInfo msg, const TouchBuffer *buf);
extern void journey_write(StringInfo msg, const JourneyData *journey);
extern TouchBuffer *touchbuf_read(BinReader *in, StrDict *dict);

#endif							/* ATTRIBUTION_TOUCH_BUFFER_H */
