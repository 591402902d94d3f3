/*
 * touch_buffer.h
 *		An unsorted buffer of touches (touched_at, touch_id, channel name):
 *		the state of journey_agg and the staging area of the journey input
 *		functions.  touchbuf_to_journey() sorts it in the documented order and
 *		writes the canonical journey value.
 */
#ifndef ATTRIBUTION_TOUCH_BUFFER_H
#define ATTRIBUTION_TOUCH_BUFFER_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "journey.h"
#include "lib/stringinfo.h"

typedef struct BufferedTouch
{
	TimestampTz at;
	int64		id;
	int32		name_offset;	/* into TouchBuffer.names */
	int32		name_len;
	bool		id_isnull;
} BufferedTouch;

typedef struct TouchBuffer
{
	int32		ntouches;
	int32		capacity;
	BufferedTouch *touches;
	char	   *names;
	Size		names_used;
	Size		names_capacity;
} TouchBuffer;

extern TouchBuffer *touchbuf_create(int capacity);
extern void touchbuf_add(TouchBuffer *buf, TimestampTz at, bool id_isnull, int64 id,
						 const char *name, int name_len);
extern void touchbuf_append(TouchBuffer *dst, const TouchBuffer *src);
extern JourneyData *touchbuf_to_journey(TouchBuffer *buf);

/* the wire form shared by journey_send/recv and the aggregate state */
extern void touchbuf_write(StringInfo msg, const TouchBuffer *buf);
extern void journey_write(StringInfo msg, const JourneyData *journey);
extern TouchBuffer *touchbuf_read(StringInfo msg);

#endif							/* ATTRIBUTION_TOUCH_BUFFER_H */
