/*
 * touch_buffer.h
 *		An unsorted buffer of touches (touched_at, touch_id, channel): the
 *		state of journey_agg and the staging area of the journey input
 *		functions.  It owns the buffer, its sort in the documented order
 *		(rule_input.h) and the wire form of a list of touches; the journey
 *		type (journey.h) builds its values from a sorted buffer.
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
#include "lib/stringinfo.h"
#include "rule_input.h"
#include "strdict.h"

typedef struct TouchBuffer
{
	StrDict    *dict;			/* channel names, shared; outlives the buffer */
	int32		ntouches;
	int32		capacity;
	TouchKey	touches[FLEXIBLE_ARRAY_MEMBER]; /* channels: numbers in dict */
} TouchBuffer;

/* a buffer in the current memory context with room for at least capacity touches */
extern TouchBuffer *touchbuf_create(StrDict *dict, int capacity);
/* add a touch; the buffer may move */
extern TouchBuffer *touchbuf_add(TouchBuffer *buf, TimestampTz at, bool id_isnull, int64 id,
								 const char *name, int name_len);
/* add the touches of src (any dictionary); dst may move */
extern TouchBuffer *touchbuf_append(TouchBuffer *dst, const TouchBuffer *src);
/* sort in the documented order, in place (the buffer stays a valid state) */
extern void touchbuf_sort(TouchBuffer *buf);

/*
 * The wire form shared by journey_send/recv and the aggregate state: a
 * header for n touches, then each touch.
 */
extern void touch_wire_header(StringInfo msg, int ntouches);
extern void touch_wire_touch(StringInfo msg, TimestampTz at, bool id_isnull, int64 id,
							 const char *name, int name_len);
extern void touchbuf_write(StringInfo msg, const TouchBuffer *buf);
extern TouchBuffer *touchbuf_read(BinReader *in, StrDict *dict);

#endif							/* ATTRIBUTION_TOUCH_BUFFER_H */
