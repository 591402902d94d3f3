/*
 * models.c
 *		The rule-based attribution models; see models.h and doc/rule_based.md.
 */
#include "postgres.h"

#include "compat.h"

#include <math.h>

#include "attribution.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "models.h"
#include "utils/builtins.h"

typedef struct ModelDefinition
{
	const char *name;			/* as the user writes it */
	const char *canonical;		/* what it is an alias of */
	bool		time_decay;
	bool		custom;
	ModelWindowEnd window_end;
	/* first, lead, opportunity, closed, last, middle, last non-direct */
	double		shares[NUM_POSITIONS];
} ModelDefinition;

static const ModelDefinition model_definitions[] = {
	{"first_touch", "first_touch", false, false, END_AT_CONVERSION, {1, 0, 0, 0, 0, 0, 0}},
	{"last_touch", "last_touch", false, false, END_AT_CONVERSION, {0, 0, 0, 0, 1, 0, 0}},
	{"last_non_direct", "last_non_direct", false, false, END_AT_CONVERSION, {0, 0, 0, 0, 0, 0, 1}},
	{"linear", "linear", false, false, END_AT_CONVERSION, {0, 0, 0, 0, 0, 1, 0}},
	{"position_based", "position_based", false, false, END_AT_CONVERSION, {.4, 0, 0, 0, .4, .2, 0}},
	{"u_shaped", "position_based", false, false, END_AT_CONVERSION, {.4, 0, 0, 0, .4, .2, 0}},
	{"j_shaped", "j_shaped", false, false, END_AT_CONVERSION, {.2, 0, 0, 0, .6, .2, 0}},
	{"inverse_j", "inverse_j", false, false, END_AT_CONVERSION, {.6, 0, 0, 0, .2, .2, 0}},
	{"w_shaped", "w_shaped", false, false, END_AT_OPPORTUNITY, {.3, .3, .3, 0, 0, .1, 0}},
	{"full_path", "full_path", false, false, END_AT_CLOSE, {.225, .225, .225, .225, 0, .1, 0}},
	{"z_shaped", "full_path", false, false, END_AT_CLOSE, {.225, .225, .225, .225, 0, .1, 0}},
	{"time_decay", "time_decay", true, false, END_AT_CONVERSION, {0}},
	{"custom", "custom", false, true, END_AT_CONVERSION, {0}},
};

#define MODEL_NAMES_HINT "The models are first_touch, last_touch, last_non_direct, linear, " \
	"position_based (or u_shaped), j_shaped, inverse_j, w_shaped, full_path (or z_shaped), " \
	"time_decay and custom."

/* a tolerance for the sum of custom weights */
#define WEIGHTS_SUM_TOLERANCE 1e-9

static const ModelDefinition *
find_model(text *name)
{
	char	   *str = text_to_cstring(name);
	size_t		i;

	for (i = 0; i < lengthof(model_definitions); i++)
	{
		if (pg_strcasecmp(str, model_definitions[i].name) == 0)
			return &model_definitions[i];
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown attribution model \"%s\"", str),
			 errdetail("The model name is not one of the rule-based models."),
			 errhint(MODEL_NAMES_HINT)));
	pg_unreachable();
}

/*
 * Microseconds of an interval, counting a month as 30 days and a year as
 * 365.25 days, as EXTRACT(EPOCH FROM interval) does.
 */
double
interval_microseconds(const Interval *span)
{
	return (double) span->time +
		(double) span->day * USECS_PER_DAY +
		(double) (span->month / MONTHS_PER_YEAR) * DAYS_PER_YEAR * USECS_PER_DAY +
		(double) (span->month % MONTHS_PER_YEAR) * DAYS_PER_MONTH * USECS_PER_DAY;
}

static double
positive_interval(const Interval *span, const char *argname)
{
	double		usec;

	if (INTERVAL_NOT_FINITE(span))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be finite", argname),
				 errdetail("An infinite interval was given."),
				 errhint("Give a positive interval such as '7 days'.")));
	usec = interval_microseconds(span);
	if (!(usec > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive", argname),
				 errdetail("The interval given is zero or negative."),
				 errhint("Give a positive interval such as '7 days'.")));
	return usec;
}

static void
read_custom_weights(ArrayType *weights, double *shares)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	double		sum = 0;

	check_one_dimension(weights, "custom weights",
						"Give six weights: first, lead, opportunity, closed, last, middle.");
	deconstruct_array(weights, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &n);
	if (n != NUM_CUSTOM_WEIGHTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("custom weights must have %d elements", NUM_CUSTOM_WEIGHTS),
				 errdetail("The array has %d elements.", n),
				 errhint("Give six weights: first, lead, opportunity, closed, last, middle.")));
	for (i = 0; i < n; i++)
	{
		double		w = nulls[i] ? 0 : DatumGetFloat8(elems[i]);

		if (nulls[i] || isnan(w) || isinf(w) || w < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("custom weights must be finite and non-negative"),
					 errdetail("Weight %d is %s.", i + 1,
							   nulls[i] ? "NULL" : isnan(w) ? "NaN" :
							   isinf(w) ? "infinite" : "negative"),
					 errhint("Give six weights: first, lead, opportunity, closed, last, middle.")));
		shares[i] = w;
		sum += w;
	}
	if (fabs(sum - 1.0) > WEIGHTS_SUM_TOLERANCE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("custom weights must sum to 1"),
				 errdetail("The weights sum to %.15g.", sum),
				 errhint("Scale the weights so that they sum to 1 (within 1e-9).")));
}

void
model_null_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("model must not be NULL"),
			 errdetail("Every journey is credited under a model."),
			 errhint(MODEL_NAMES_HINT)));
}

void
model_init(AttributionModel *model, text *name,
		   bool half_life_given, Interval *half_life,
		   ArrayType *weights, Interval *lookback)
{
	const ModelDefinition *def = find_model(name);

	memset(model, 0, sizeof(*model));
	model->definition = (int32) (def - model_definitions);
	model->time_decay = def->time_decay;
	model->window_end = def->window_end;
	memcpy(model->shares, def->shares, sizeof(model->shares));

	if (def->time_decay)
	{
		if (!half_life_given)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("half_life must not be NULL for the time_decay model"),
					 errdetail("Time decay halves the weight of a touch every half_life before the conversion."),
					 errhint("Leave half_life out for the default of 7 days, or give a positive interval.")));
		model->half_life = positive_interval(half_life, "half_life");
	}
	if (def->custom)
	{
		if (weights == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the custom model needs weights"),
					 errdetail("No weights were given."),
					 errhint("Give weights => ARRAY[first, lead, opportunity, closed, last, middle] summing to 1.")));
		read_custom_weights(weights, model->shares);
	}
	else if (weights != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights are only used by the custom model"),
				 errdetail("Model \"%s\" has fixed shares.", def->name),
				 errhint("Use model 'custom' with the weights, or leave the weights out.")));
	if (lookback != NULL)
	{
		double		usec = positive_interval(lookback, "lookback");

		if (usec > (double) PG_INT64_MAX / 2)
			ereport(ERROR,
					(errcode(ERRCODE_INTERVAL_FIELD_OVERFLOW),
					 errmsg("lookback is too long"),
					 errdetail("The interval does not fit in microseconds."),
					 errhint("Give a shorter interval.")));
		model->has_lookback = true;
		model->lookback = (int64) usec;
	}
}

bool
model_equal(const AttributionModel *a, const AttributionModel *b)
{
	int			p;

	if (a->definition != b->definition || a->time_decay != b->time_decay ||
		a->window_end != b->window_end || a->half_life != b->half_life ||
		a->has_lookback != b->has_lookback || a->lookback != b->lookback)
		return false;
	for (p = 0; p < NUM_POSITIONS; p++)
		if (a->shares[p] != b->shares[p])
			return false;
	return true;
}

const char *
model_name(const AttributionModel *model)
{
	return model_definitions[model->definition].canonical;
}

void
model_write(StringInfo msg, const AttributionModel *model)
{
	int			p;

	pq_sendint32(msg, model->definition);
	for (p = 0; p < NUM_POSITIONS; p++)
		pq_sendfloat8(msg, model->shares[p]);
	pq_sendfloat8(msg, model->half_life);
	pq_sendbyte(msg, model->has_lookback ? 1 : 0);
	pq_sendint64(msg, model->lookback);
}

void
model_read(BinReader *in, AttributionModel *model)
{
	const ModelDefinition *def;
	double		sum = 0;
	int			p;

	memset(model, 0, sizeof(*model));
	model->definition = bin_int32(in);
	if (model->definition < 0 || model->definition >= (int32) lengthof(model_definitions))
		bin_error(in, "The number of the attribution model is out of range.");
	def = &model_definitions[model->definition];
	model->time_decay = def->time_decay;
	model->window_end = def->window_end;
	for (p = 0; p < NUM_POSITIONS; p++)
	{
		model->shares[p] = bin_float8(in);
		if (!(model->shares[p] >= 0 && model->shares[p] <= 1))
			bin_error(in, "A position share is outside 0 to 1.");
		if (!def->custom && model->shares[p] != def->shares[p])
			bin_error(in, "A position share differs from the model's.");
		sum += model->shares[p];
	}
	if (!def->time_decay && fabs(sum - 1.0) > WEIGHTS_SUM_TOLERANCE)
		bin_error(in, "The position shares do not sum to 1.");
	model->half_life = bin_float8(in);
	if (def->time_decay && !(model->half_life > 0 && isfinite(model->half_life)))
		bin_error(in, "The half-life is not positive.");
	model->has_lookback = bin_byte(in) != 0;
	model->lookback = bin_int64(in);
	if (model->has_lookback && (model->lookback <= 0 || model->lookback > PG_INT64_MAX / 2))
		bin_error(in, "The lookback is out of range.");
}

TimestampTz
check_finite_timestamp(TimestampTz ts, const char *argname)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be finite", argname),
				 errdetail("An infinite timestamp was given."),
				 errhint("Give a finite time, or NULL where the argument may be left out.")));
	return ts;
}

bool
journey_times_equal(const JourneyTimes *a, const JourneyTimes *b)
{
	return a->has_converted == b->has_converted &&
		a->has_lead == b->has_lead &&
		a->has_opportunity == b->has_opportunity &&
		a->has_closed == b->has_closed &&
		(!a->has_converted || a->converted_at == b->converted_at) &&
		(!a->has_lead || a->lead_at == b->lead_at) &&
		(!a->has_opportunity || a->opportunity_at == b->opportunity_at) &&
		(!a->has_closed || a->closed_at == b->closed_at);
}

void
model_window(const AttributionModel *model, const JourneyTimes *times,
			 JourneyWindow *window)
{
	memset(window, 0, sizeof(*window));
	if (model->window_end == END_AT_OPPORTUNITY && times->has_opportunity)
	{
		window->has_end = true;
		window->end = times->opportunity_at;
	}
	else if (model->window_end == END_AT_CLOSE && times->has_closed)
	{
		window->has_end = true;
		window->end = times->closed_at;
	}
	else if (times->has_converted)
	{
		window->has_end = true;
		window->end = times->converted_at;
	}
	if (model->has_lookback)
	{
		if (window->has_end)
		{
			/* both are bounded far below the int64 range: no overflow */
			window->has_start = true;
			window->start = window->end - model->lookback;
		}
		else
			window->lookback_from_last_touch = true;
	}
}

double
model_decay_weight(const AttributionModel *model, double distance_us)
{
	return exp2(-distance_us / model->half_life);
}

double
model_time_distance(TimestampTz later, TimestampTz earlier)
{
	int64		distance;

	if (!pg_sub_s64_overflow(later, earlier, &distance))
		return (double) distance;
	/* beyond int64: the error of the doubles is far below a weight's precision */
	return (double) later - (double) earlier;
}

void
model_check_journey_length(int64 n)
{
	if (n > MAX_JOURNEY_TOUCHES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("journey has too many touches"),
				 errdetail("A journey may have at most %d touches.", MAX_JOURNEY_TOUCHES),
				 errhint("Check the grouping of the journeys, or filter the touches with lookback or a WHERE clause.")));
}

void
model_split_shares(const AttributionModel *model,
				   const bool has_touch[NUM_POSITIONS],
				   int64 n_window, int64 n_held,
				   double position_credit[NUM_POSITIONS],
				   double *middle_credit)
{
	int64		n_middle = n_window - n_held;
	double		present = 0;
	int			p;

	Assert(n_window > 0 && n_held >= 0 && n_held <= n_window);
	for (p = 0; p < NUM_POSITIONS; p++)
	{
		bool		held = (p == POS_MIDDLE) ? n_middle > 0 : has_touch[p];

		position_credit[p] = 0;
		if (held && model->shares[p] > 0)
			present += model->shares[p];
	}
	*middle_credit = 0;
	if (present == 0)
	{
		/*
		 * No position with a share holds a touch: then no touch holds any
		 * position, all are middle touches, and share alike.
		 */
		Assert(n_held == 0);
		*middle_credit = 1.0 / (double) n_window;
		return;
	}
	for (p = 0; p < NUM_POSITIONS; p++)
	{
		if (p != POS_MIDDLE && has_touch[p] && model->shares[p] > 0)
			position_credit[p] = model->shares[p] / present;
	}
	if (n_middle > 0 && model->shares[POS_MIDDLE] > 0)
		*middle_credit = model->shares[POS_MIDDLE] / present / (double) n_middle;
}

/* index of the last touch in [lo, hi) at or before limit, or -1 */
static int
last_at_or_before(const TimestampTz *touched_at, int lo, int hi, TimestampTz limit)
{
	int			i;

	for (i = hi - 1; i >= lo; i--)
	{
		if (touched_at[i] <= limit)
			return i;
	}
	return -1;
}

/* find the window [lo, hi) of sorted touches */
static void
window_bounds(const AttributionModel *model, const JourneyTimes *times,
			  int n, const TimestampTz *touched_at, int *lo, int *hi)
{
	JourneyWindow window;

	model_window(model, times, &window);
	*lo = 0;
	*hi = n;
	if (window.has_end)
		*hi = last_at_or_before(touched_at, 0, n, window.end) + 1;
	if (*hi > 0 && (window.has_start || window.lookback_from_last_touch))
	{
		TimestampTz start = window.has_start ? window.start :
			touched_at[*hi - 1] - model->lookback;

		while (*lo < *hi && touched_at[*lo] < start)
			(*lo)++;
	}
}

static void
credit_time_decay(const AttributionModel *model, const TimestampTz *touched_at,
				  int lo, int hi, double *credit)
{
	double		total = 0;
	int			i;

	/* weights relative to the latest touch: the largest is 1, never 0/0 */
	for (i = lo; i < hi; i++)
	{
		credit[i] = model_decay_weight(model,
									   model_time_distance(touched_at[hi - 1], touched_at[i]));
		total += credit[i];
	}
	for (i = lo; i < hi; i++)
		credit[i] /= total;
}

static void
credit_positions(const AttributionModel *model, const JourneyTimes *times,
				 const TimestampTz *touched_at, const bool *is_direct,
				 int lo, int hi, double *credit)
{
	int			holder[NUM_POSITIONS];
	bool		has_touch[NUM_POSITIONS];
	double		position_credit[NUM_POSITIONS];
	double		middle_credit;
	int			n_held = 0;
	int			p;
	int			i;

	for (p = 0; p < NUM_POSITIONS; p++)
		holder[p] = -1;
	holder[POS_FIRST] = lo;
	holder[POS_LAST] = hi - 1;
	if (times->has_lead)
		holder[POS_LEAD] = last_at_or_before(touched_at, lo, hi, times->lead_at);
	if (times->has_opportunity)
		holder[POS_OPPORTUNITY] = last_at_or_before(touched_at, lo, hi, times->opportunity_at);
	if (times->has_closed)
		holder[POS_CLOSED] = last_at_or_before(touched_at, lo, hi, times->closed_at);
	holder[POS_LAST_NON_DIRECT] = hi - 1;
	if (is_direct)
	{
		for (i = hi - 1; i >= lo && is_direct[i]; i--)
			;
		if (i >= lo)
			holder[POS_LAST_NON_DIRECT] = i;
	}

	/* only positions with a share are held; the rest leave touches middle */
	for (p = 0; p < NUM_POSITIONS; p++)
	{
		if (p == POS_MIDDLE || model->shares[p] <= 0)
			holder[p] = -1;
		has_touch[p] = holder[p] >= 0;
	}
	for (i = lo; i < hi; i++)
		credit[i] = -1;			/* marks a middle touch until proven held */
	for (p = 0; p < NUM_POSITIONS; p++)
	{
		if (has_touch[p] && credit[holder[p]] < 0)
		{
			credit[holder[p]] = 0;
			n_held++;
		}
	}
	model_split_shares(model, has_touch, hi - lo, n_held, position_credit, &middle_credit);
	for (i = lo; i < hi; i++)
	{
		if (credit[i] < 0)
			credit[i] = middle_credit;
	}
	for (p = 0; p < NUM_POSITIONS; p++)
	{
		if (has_touch[p])
			credit[holder[p]] += position_credit[p];
	}
}

int
model_credit_sorted(const AttributionModel *model, const JourneyTimes *times,
					int n, const TimestampTz *touched_at,
					const bool *is_direct, double *credit,
					int *window_start)
{
	int			lo;
	int			hi;
	int			i;

	window_bounds(model, times, n, touched_at, &lo, &hi);
	for (i = 0; i < n; i++)
		credit[i] = 0;
	*window_start = lo;
	if (hi <= lo)
		return 0;
	if (model->time_decay)
		credit_time_decay(model, touched_at, lo, hi, credit);
	else
		credit_positions(model, times, touched_at, is_direct, lo, hi, credit);
	return hi - lo;
}
