/*
 * exactsum.c
 *		Exact, order-independent sums of non-negative doubles; see exactsum.h.
 *
 * The mantissa is an unsigned 128-bit integer held in two uint64 words (no
 * compiler support for 128-bit integers is needed).  Invariants: a non-zero
 * mantissa is odd (trailing zero bits are moved into the exponent, which
 * makes the representation canonical) and has at most 127 significant bits,
 * so that adding two aligned mantissas cannot overflow 128 bits.
 */
#include "postgres.h"

#include <math.h>

#include "exactsum.h"
#include "port/pg_bitutils.h"

#define MANTISSA_BITS 127

typedef struct U128
{
	uint64		hi;
	uint64		lo;
} U128;

static inline int
u128_bits(U128 v)
{
	if (v.hi != 0)
		return 64 + pg_leftmost_one_pos64(v.hi) + 1;
	if (v.lo != 0)
		return pg_leftmost_one_pos64(v.lo) + 1;
	return 0;
}

static inline U128
u128_shift_left(U128 v, int n)
{
	U128		r;

	Assert(n >= 0 && n < 128);
	if (n == 0)
		return v;
	if (n >= 64)
	{
		r.hi = v.lo << (n - 64);
		r.lo = 0;
	}
	else
	{
		r.hi = (v.hi << n) | (v.lo >> (64 - n));
		r.lo = v.lo << n;
	}
	return r;
}

static inline U128
u128_shift_right(U128 v, int n)
{
	U128		r;

	Assert(n >= 0);
	if (n == 0)
		return v;
	if (n >= 128)
	{
		r.hi = r.lo = 0;
	}
	else if (n >= 64)
	{
		r.hi = 0;
		r.lo = v.hi >> (n - 64);
	}
	else
	{
		r.hi = v.hi >> n;
		r.lo = (v.lo >> n) | (v.hi << (64 - n));
	}
	return r;
}

static inline U128
u128_add(U128 a, U128 b)
{
	U128		r;

	r.lo = a.lo + b.lo;
	r.hi = a.hi + b.hi + (r.lo < a.lo ? 1 : 0);
	return r;
}

/* store a mantissa and exponent in canonical form (odd mantissa, or zero) */
static void
exactsum_store(ExactSum *sum, U128 m, int32 exp)
{
	int			zeros;

	if (m.hi == 0 && m.lo == 0)
	{
		exactsum_init(sum);
		return;
	}
	/* keep at most MANTISSA_BITS bits (drops one low bit at worst) */
	if (u128_bits(m) > MANTISSA_BITS)
	{
		m = u128_shift_right(m, 1);
		exp += 1;
	}
	zeros = m.lo != 0 ? pg_rightmost_one_pos64(m.lo) : 64 + pg_rightmost_one_pos64(m.hi);
	sum->hi = m.hi;
	sum->lo = m.lo;
	if (zeros > 0)
	{
		m = u128_shift_right(m, zeros);
		sum->hi = m.hi;
		sum->lo = m.lo;
	}
	sum->exp = exp + zeros;
}

/* add mantissa b times 2^bexp to the sum */
static void
exactsum_add_mantissa(ExactSum *sum, U128 b, int32 bexp)
{
	U128		a;
	int32		aexp;
	int64		shift;
	int			room;

	if (b.hi == 0 && b.lo == 0)
		return;
	if (exactsum_is_zero(sum))
	{
		exactsum_store(sum, b, bexp);
		return;
	}
	a.hi = sum->hi;
	a.lo = sum->lo;
	aexp = sum->exp;
	/* make a the operand with the larger exponent */
	if (aexp < bexp)
	{
		U128		t = a;
		int32		texp = aexp;

		a = b;
		aexp = bexp;
		b = t;
		bexp = texp;
	}
	/* align a to b's exponent, as far as a's mantissa has room */
	shift = (int64) aexp - bexp;
	room = MANTISSA_BITS - u128_bits(a);
	if (shift <= room)
	{
		a = u128_shift_left(a, (int) shift);
		aexp = bexp;
	}
	else
	{
		/* the addends span more than 127 bits: drop b's lowest bits */
		a = u128_shift_left(a, room);
		aexp -= room;
		b = u128_shift_right(b, (int) Min(shift - room, 128));
	}
	exactsum_store(sum, u128_add(a, b), aexp);
}

void
exactsum_add_double(ExactSum *sum, double value)
{
	uint64		bits;
	uint64		fraction;
	int			biased_exp;
	U128		m;

	Assert(isfinite(value) && value >= 0);
	memcpy(&bits, &value, sizeof(bits));
	fraction = bits & ((UINT64CONST(1) << 52) - 1);
	biased_exp = (int) ((bits >> 52) & 0x7FF);
	m.hi = 0;
	if (biased_exp == 0)
	{
		/* zero or subnormal */
		if (fraction == 0)
			return;
		m.lo = fraction;
		exactsum_add_mantissa(sum, m, -1074);
	}
	else
	{
		m.lo = fraction | (UINT64CONST(1) << 52);
		exactsum_add_mantissa(sum, m, biased_exp - 1075);
	}
}

void
exactsum_add(ExactSum *sum, const ExactSum *addend)
{
	U128		m;

	m.hi = addend->hi;
	m.lo = addend->lo;
	exactsum_add_mantissa(sum, m, addend->exp);
}

/*
 * m * 2^e for an integer m below 2^64; exact when m has at most 53
 * significant bits and the result is a normal number.  Faster than ldexp()
 * in the common case of a normal result.
 */
static inline double
scale_by_power_of_two(uint64 m, int64 e, int bits)
{
	if (e >= -1022 && e <= 1023 && e + bits <= 1023 && e + bits > -1021)
	{
		uint64		power_bits = (uint64) (e + 1023) << 52;
		double		power;

		memcpy(&power, &power_bits, sizeof(power));
		return (double) m * power;
	}
	return ldexp((double) m, (int) Max(Min(e, 4096), -4096));
}

bool
exactsum_is_finite(const ExactSum *sum)
{
	U128		m;

	m.hi = sum->hi;
	m.lo = sum->lo;
	/* below 2^1023 for sure; otherwise round and see */
	if ((int64) sum->exp + u128_bits(m) <= 1023)
		return true;
	return isfinite(exactsum_round(sum));
}

double
exactsum_round(const ExactSum *sum)
{
	U128		m;
	int			bits;
	int			dropped;
	uint64		top;

	m.hi = sum->hi;
	m.lo = sum->lo;
	bits = u128_bits(m);
	if (bits == 0)
		return 0.0;
	if (bits <= 53)
		return scale_by_power_of_two(m.lo, sum->exp, bits);
	if (bits <= 64)
		return ldexp((double) m.lo, sum->exp);

	/*
	 * Keep the top 64 bits and fold the dropped low bits into the lowest kept
	 * one ("sticky" bit): converting those 64 bits to double then rounds to
	 * nearest exactly as rounding the whole mantissa would.  At most 127 bits
	 * are significant, so the dropped bits all lie in the low word.
	 */
	dropped = bits - 64;
	Assert(dropped < 64);
	top = u128_shift_right(m, dropped).lo;
	if ((m.lo & ((UINT64CONST(1) << dropped) - 1)) != 0)
		top |= 1;
	return ldexp((double) top, sum->exp + dropped);
}

int
exactsum_terms(const ExactSum *sum, double *terms)
{
	U128		rest;
	int			n = 0;

	rest.hi = sum->hi;
	rest.lo = sum->lo;
	while (rest.hi != 0 || rest.lo != 0)
	{
		int			low = Max(u128_bits(rest) - 53, 0);
		U128		head = u128_shift_right(rest, low);

		Assert(n < EXACTSUM_MAX_TERMS);
		/* head has at most 53 bits, so this double is exact */
		terms[n++] = scale_by_power_of_two(head.lo, (int64) sum->exp + low,
										   u128_bits(head));
		/* what is left: the low bits below head */
		if (low >= 64)
			rest.hi &= (UINT64CONST(1) << (low - 64)) - 1;
		else
		{
			rest.hi = 0;
			rest.lo &= (UINT64CONST(1) << low) - 1;
		}
	}
	return n;
}
