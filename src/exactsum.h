/*
 * exactsum.h
 *		Exact, order-independent sums of non-negative doubles.
 *
 * A path summary adds up conversions, values and non-conversions of many
 * journeys.  Floating-point addition is not associative, so a plain double
 * sum would depend on the order of the rows and on how a parallel plan split
 * them, and the same summary built two ways would differ in its last bits.
 * An ExactSum keeps the exact sum as a 128-bit integer mantissa times a power
 * of two instead; it is kept canonical (odd mantissa), so equal sums have
 * equal representations whatever the order of the additions.
 *
 * The sum stays exact while the binary magnitudes of the addends of one sum
 * span at most 127 bits (for example 0.01 next to 10^12 needs about 100);
 * beyond that the lowest bits are dropped, which is the only case where the
 * order of additions can show in the last bit of the rounded result.
 *
 * For storage, a sum is written as at most three non-negative doubles whose
 * exact sum is the value (the first is the sum truncated to 53 bits); most
 * sums need one term.
 */
#ifndef ATTRIBUTION_EXACTSUM_H
#define ATTRIBUTION_EXACTSUM_H

#include "postgres.h"

#include <math.h>

#define EXACTSUM_MAX_TERMS 3

typedef struct ExactSum
{
	uint64		hi;				/* mantissa, high 64 bits */
	uint64		lo;				/* mantissa, low 64 bits */
	int32		exp;			/* the value is mantissa * 2^exp */
} ExactSum;

static inline void
exactsum_init(ExactSum *sum)
{
	sum->hi = 0;
	sum->lo = 0;
	sum->exp = 0;
}

static inline bool
exactsum_is_zero(const ExactSum *sum)
{
	return sum->hi == 0 && sum->lo == 0;
}

static inline bool
exactsum_equal(const ExactSum *a, const ExactSum *b)
{
	return a->hi == b->hi && a->lo == b->lo && a->exp == b->exp;
}

/* add a finite, non-negative double (the caller checks) */
extern void exactsum_add_double(ExactSum *sum, double value);
/* add another sum */
extern void exactsum_add(ExactSum *sum, const ExactSum *addend);
/* whether the sum rounds to a finite double */
extern bool exactsum_is_finite(const ExactSum *sum);
/* the sum rounded to the nearest double (infinity when out of range) */
extern double exactsum_round(const ExactSum *sum);
/* the sum as 0 to 3 non-negative doubles adding up to it exactly */
extern int	exactsum_terms(const ExactSum *sum, double *terms);

/*
 * Neumaier's compensated summation: credits added over millions of paths
 * keep an error of about one rounding instead of one per addition.
 */
typedef struct CompensatedSum
{
	double		sum;
	double		compensation;
} CompensatedSum;

static inline void
csum_add(CompensatedSum *s, double x)
{
	double		t = s->sum + x;

	if (fabs(s->sum) >= fabs(x))
		s->compensation += (s->sum - t) + x;
	else
		s->compensation += (x - t) + s->sum;
	s->sum = t;
}

static inline double
csum_value(const CompensatedSum *s)
{
	return s->sum + s->compensation;
}

#endif							/* ATTRIBUTION_EXACTSUM_H */
