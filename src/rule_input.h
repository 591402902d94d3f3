/*
 * rule_input.h
 *		What every form of the rule-based models reads the same way: the
 *		documented touch order, a touch's time and channel with their NULL
 *		errors, the journey-level arguments (the model, its parameters and the
 *		conversion and milestone times), and the whole row of an aggregate
 *		that reads one touch per row.
 *
 * The window function credit(), journey_agg() with credits(), and the
 * summary aggregates channel_credit() and credit_by_channel() all read their
 * input through this module, so that they give the same answer for the same
 * touches by construction rather than by keeping copies in step.
 */
#ifndef ATTRIBUTION_RULE_INPUT_H
#define ATTRIBUTION_RULE_INPUT_H

#include "postgres.h"

#include "fmgr.h"
#include "models.h"
#include "strdict.h"

/*
 * A touch as the documented order sees it: touched_at, then touch_id NULLS
 * LAST, then the channel's name bytewise.  The channel is a number in a
 * dictionary (equal numbers are equal names, so the names are looked at only
 * to break a tie between different channels).
 */
typedef struct TouchKey
{
	TimestampTz at;
	int64		id;				/* 0 when id_isnull */
	int32		channel;		/* number in a StrDict */
	bool		id_isnull;
	bool		valid;			/* false: no touch (a position not held yet) */
} TouchKey;

/* <0, 0, >0 as a sorts before, with, after b; dict holds both channels */
extern int	touch_key_compare(const TouchKey *a, const TouchKey *b, const StrDict *dict);

/* the documented errors for a touch without a time or a channel */
pg_noreturn extern void touched_at_null_error(void);
pg_noreturn extern void channel_null_error(const char *detail);

/* the detail of channel_null_error() where every touch needs a channel */
#define CHANNEL_NEEDED_DETAIL "Every touch of a journey needs a channel."

/* a touched_at argument: not NULL, finite */
extern TimestampTz touched_at_value(Datum value, bool isnull);

/*
 * The journey-level arguments, which must be the same on every touch of a
 * journey, in one order whichever form they come from.
 */
typedef enum JourneyArg
{
	JARG_MODEL,
	JARG_HALF_LIFE,
	JARG_WEIGHTS,
	JARG_LOOKBACK,
	JARG_CONVERTED_AT,
	JARG_LEAD_AT,
	JARG_OPPORTUNITY_AT,
	JARG_CLOSED_AT,
	NUM_JOURNEY_ARGS
} JourneyArg;

/* their names in the SQL signatures */
extern const char *const journey_arg_names[NUM_JOURNEY_ARGS];

/* what a NULL (or absent) half_life stands for */
typedef enum HalfLifeWhenNull
{
	HALF_LIFE_NULL_NOT_GIVEN,	/* not given: an error for time_decay */
	HALF_LIFE_NULL_DEFAULT		/* the default of 7 days */
} HalfLifeWhenNull;

/*
 * Parse and validate the model (a NULL model is an error) and the journey
 * times (a NULL time is not given; a given one must be finite) from the
 * journey-level arguments; an absent argument is passed as NULL.
 */
extern void journey_args_model(const NullableDatum *args, HalfLifeWhenNull half_life_null,
							   AttributionModel *model);
extern void journey_args_times(const NullableDatum *args, JourneyTimes *times);

/*
 * Where a function's arguments are among its arguments (argument numbers of
 * fcinfo; 0: the form does not have the argument, for argument 0 is never
 * one of these: it is an aggregate's state or credits()'s journey).
 */
typedef struct RowArgs
{
	int			model;
	int			touched_at;
	int			channel;
	int			touch_id;
	int			is_direct;
	int			converted_at;
	int			lead_at;
	int			opportunity_at;
	int			closed_at;
	int			half_life;
	int			weights;
	int			lookback;
} RowArgs;

/*
 * Where a summary aggregate's row arguments are, by how many it was called
 * with: (model, touched_at, channel [, converted_at]) or the full form
 * (model, touched_at, channel, touch_id, is_direct, converted_at,
 * lead_created_at, opportunity_created_at, closed_at, half_life, weights,
 * lookback), the model being argument model_argno.
 */
extern void summary_row_args(FunctionCallInfo fcinfo, int model_argno, RowArgs *where);

/* the journey-level arguments of a call, NULL where the form has none */
extern void journey_args_of_call(FunctionCallInfo fcinfo, const RowArgs *where,
								 NullableDatum *args);

/*
 * One row of an aggregate over touches, parsed: the touch, and the model
 * and times of its journey.  A call whose model arguments are constants
 * parses them once (RowReader, kept for the call); the model then points
 * into the reader, else into the row.
 */
typedef struct RowReader
{
	bool		checked;		/* whether the arguments are constant is known */
	bool		constant;		/* model, half_life, weights, lookback */
	bool		parsed;			/* model holds them */
	AttributionModel model;
} RowReader;

typedef struct TouchRow
{
	TouchKey	key;			/* channel: not yet numbered */
	const char *channel;		/* the channel's name, not NUL-terminated */
	int			channel_len;
	bool		is_direct;
	const AttributionModel *model;
	JourneyTimes times;
	AttributionModel own_model; /* the model when it is not the reader's */
} TouchRow;

/*
 * Read a row (NULL half_life: 7 days).  Errors, in this order: the model,
 * the journey times, a NULL touched_at or channel, an infinite touched_at.
 */
extern void touch_row_read(FunctionCallInfo fcinfo, const RowArgs *where, RowReader *reader,
						   TouchRow *row);

#endif							/* ATTRIBUTION_RULE_INPUT_H */
