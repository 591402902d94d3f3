/*
 * models.h
 *		The rule-based attribution models: one core shared by the window
 *		function, the journey type and the summary aggregate.
 *
 * Every rule-based model is a set of position shares (doc/rule_based.md) or,
 * for time decay, a weight per touch.  model_credit_sorted() credits the
 * touches of one journey given in their documented order;
 * model_split_shares() is the redistribution rule on its own, which the
 * summary aggregate applies to per-channel counts without ever sorting.
 */
#ifndef ATTRIBUTION_MODELS_H
#define ATTRIBUTION_MODELS_H

#include "postgres.h"

#include "compat.h"

#include "binio.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/array.h"

/* positions; the first six are in the order of the custom weights array */
typedef enum ModelPosition
{
	POS_FIRST,
	POS_LEAD,
	POS_OPPORTUNITY,
	POS_CLOSED,
	POS_LAST,
	POS_MIDDLE,
	POS_LAST_NON_DIRECT,		/* internal: the last_non_direct model */
	NUM_POSITIONS
} ModelPosition;

#define NUM_CUSTOM_WEIGHTS 6

/* the documented cap on the touches of one journey */
#define MAX_JOURNEY_TOUCHES 100000

typedef enum ModelWindowEnd
{
	END_AT_CONVERSION,			/* converted_at */
	END_AT_OPPORTUNITY,			/* opportunity_created_at, else converted_at */
	END_AT_CLOSE				/* closed_at, else converted_at */
} ModelWindowEnd;

typedef struct AttributionModel
{
	int32		definition;		/* index of the model in the built-in table */
	bool		time_decay;		/* weights per touch instead of shares */
	double		shares[NUM_POSITIONS];
	ModelWindowEnd window_end;
	double		half_life;		/* microseconds, time decay only */
	bool		has_lookback;
	int64		lookback;		/* microseconds */
} AttributionModel;

/* the per-journey times given as arguments; a time not given is absent */
typedef struct JourneyTimes
{
	bool		has_converted;
	bool		has_lead;
	bool		has_opportunity;
	bool		has_closed;
	TimestampTz converted_at;
	TimestampTz lead_at;
	TimestampTz opportunity_at;
	TimestampTz closed_at;
} JourneyTimes;

/* which touches a journey's window keeps */
typedef struct JourneyWindow
{
	bool		has_end;
	TimestampTz end;
	bool		has_start;
	TimestampTz start;
	bool		lookback_from_last_touch;	/* lookback given, no end */
} JourneyWindow;

/*
 * Parse and validate a model and its parameters.  NULL pointers stand for
 * arguments that were not given (half_life_given false: SQL NULL).
 */
extern void model_init(AttributionModel *model, text *name,
					   bool half_life_given, Interval *half_life,
					   ArrayType *weights, Interval *lookback);
pg_noreturn extern void model_null_error(void);
extern bool model_equal(const AttributionModel *a, const AttributionModel *b);
extern const char *model_name(const AttributionModel *model);

/* binary form of a model, for aggregate states (validated on the way in) */
extern void model_write(StringInfo msg, const AttributionModel *model);
extern void model_read(BinReader *in, AttributionModel *model);

/*
 * The length of an interval in microseconds as the models use it (half_life,
 * lookback): a month is 30 days, a year 365.25 days, as
 * EXTRACT(EPOCH FROM interval) counts them.
 */
extern double interval_microseconds(const Interval *span);

/* a timestamp argument must be finite */
extern TimestampTz check_finite_timestamp(TimestampTz ts, const char *argname);
extern bool journey_times_equal(const JourneyTimes *a, const JourneyTimes *b);

extern void model_window(const AttributionModel *model, const JourneyTimes *times,
						 JourneyWindow *window);

/*
 * Credit the n touches of one journey, given in the documented order.
 * credit[i] is 0 for a touch outside the window; is_direct may be NULL
 * (no touch is direct).  The window is the touches window_start ..
 * window_start + result - 1; returns the number of touches in the window.
 */
extern int	model_credit_sorted(const AttributionModel *model, const JourneyTimes *times,
								int n, const TimestampTz *touched_at,
								const bool *is_direct, double *credit,
								int *window_start);

/*
 * The redistribution rule.  has_touch[p] says whether position p holds a
 * touch (POS_MIDDLE is ignored: it is derived from the counts);
 * n_window touches are in the window, n_held of them hold at least one of
 * the model's positions.  Sets the credit of each position and the credit
 * of each middle touch.
 */
extern void model_split_shares(const AttributionModel *model,
							   const bool has_touch[NUM_POSITIONS],
							   int64 n_window, int64 n_held,
							   double position_credit[NUM_POSITIONS],
							   double *middle_credit);

/* the weight of a touch at distance_us before the reference time */
extern double model_decay_weight(const AttributionModel *model, double distance_us);

/*
 * Microseconds from earlier to later as a double.  Two finite timestamps can
 * be further apart than int64 microseconds reach (the ends of timestamptz's
 * range are some 298,000 years apart), so the difference is never taken in
 * int64 alone.
 */
extern double model_time_distance(TimestampTz later, TimestampTz earlier);

/* raise the documented error for a journey over MAX_JOURNEY_TOUCHES */
extern void model_check_journey_length(int64 n);

#endif							/* ATTRIBUTION_MODELS_H */
