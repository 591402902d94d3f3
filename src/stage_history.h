/*
 * stage_history.h
 *		The type attribution.stage_history: the stage events of one unit
 *		(lead, contact, account, opportunity) with the ladder they refer to.
 *
 * A history holds its events in the documented order, (entered_at, stage
 * index), with consecutive events of the same stage merged into the first
 * of them (so every event is an entry into a different stage than the one
 * before).  It carries its ladder, so accessors need no ladder argument.
 */
#ifndef ATTRIBUTION_STAGE_HISTORY_H
#define ATTRIBUTION_STAGE_HISTORY_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "stage_ladder.h"

/* a read-only view of a stage_history value (pointers into the value) */
typedef struct HistoryView
{
	const StageLadder *ladder;	/* the built-in ladder, or parsed_ladder */
	StageLadder parsed_ladder;	/* names point into the value */
	int			n_events;		/* at least 1 */
	const uint8 *stages;		/* stage index of each event */
	const char *times;			/* entered_at of each event, unaligned */
} HistoryView;

/* parse a detoasted (possibly short-header) stage_history value */
extern void history_view(const struct varlena *value, HistoryView *view);

static inline TimestampTz
history_time(const HistoryView *view, int i)
{
	TimestampTz t;

	memcpy(&t, view->times + (Size) i * sizeof(TimestampTz), sizeof(TimestampTz));
	return t;
}

/* microseconds from a to b (b >= a), raising an error on overflow */
extern int64 history_usecs_between(TimestampTz a, TimestampTz b);

#endif							/* ATTRIBUTION_STAGE_HISTORY_H */
