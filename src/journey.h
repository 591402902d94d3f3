/*
 * journey.h
 *		The attribution.journey type: the touches of one journey, sorted in
 *		the documented order (touched_at, touch_id NULLS LAST, channel
 *		bytewise), channel names dictionary-encoded in order of first use.
 *		journey.c owns the type: its layout, its builder from a buffer of
 *		touches (touch_buffer.h), and its I/O.
 */
#ifndef ATTRIBUTION_JOURNEY_H
#define ATTRIBUTION_JOURNEY_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "touch_buffer.h"

#define JOURNEY_VERSION 1

typedef struct JourneyData
{
	int32		vl_len_;		/* varlena header */
	uint8		version;
	uint8		flags;			/* none yet */
	uint16		unused;
	int32		ntouches;
	int32		nchannels;
	int32		names_len;		/* bytes of the names, each NUL-terminated */
	/* then, MAXALIGNed: TimestampTz at[n]; int64 id[n]; int32 channel[n]; */
	/* uint8 id_isnull[n]; char names[names_len] */
} JourneyData;

#define JOURNEY_HEADER_SIZE MAXALIGN(sizeof(JourneyData))
#define JOURNEY_AT(j) ((TimestampTz *) ((char *) (j) + JOURNEY_HEADER_SIZE))
#define JOURNEY_ID(j) ((int64 *) (JOURNEY_AT(j) + (j)->ntouches))
#define JOURNEY_CHANNEL(j) ((int32 *) (JOURNEY_ID(j) + (j)->ntouches))
#define JOURNEY_ID_ISNULL(j) ((uint8 *) (JOURNEY_CHANNEL(j) + (j)->ntouches))
#define JOURNEY_NAMES(j) ((char *) (JOURNEY_ID_ISNULL(j) + (j)->ntouches))

#define DatumGetJourney(d) ((JourneyData *) PG_DETOAST_DATUM(d))
#define PG_GETARG_JOURNEY(n) DatumGetJourney(PG_GETARG_DATUM(n))

/*
 * The journey of a buffer's touches: sorts the buffer in place (so it stays
 * a valid journey_agg state) and writes the canonical value.
 */
extern JourneyData *touchbuf_to_journey(TouchBuffer *buf);

/* the start of each channel name of a journey (palloc'd array) */
extern const char **journey_channel_names(const JourneyData *journey);

/* a journey in the wire form of touch_buffer.h */
extern void journey_write(StringInfo msg, const JourneyData *journey);

#endif							/* ATTRIBUTION_JOURNEY_H */
