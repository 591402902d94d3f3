/*
 * dense_lu.c
 *		Dense LU factorization for the Markov solver: with partial pivoting
 *		for solving a component (lu_factor, lu_solve), and blocked without
 *		pivoting for the diagonal of a component's inverse at order 1
 *		(lu_factor_unpivoted, lu_inverse_diagonal).
 *
 * The matrix of a component is out(s) on the diagonal and -w(s,t) for its
 * transitions: row s has out(s) >= the sum of its transitions' weights, so
 * it is diagonally dominant by rows, with strict dominance in some row (a
 * component that nobody leaves cannot exist: every path ends).  Such a
 * matrix is a nonsingular M-matrix: elimination without pivoting keeps every
 * pivot positive and every Schur complement diagonally dominant, so it is
 * stable without row exchanges (lu_factor_unpivoted checks each pivot all
 * the same and reports failure rather than divide by a bad one).
 *
 * The blocked routines work on panels of BLOCK columns; the bulk of their
 * work is C -= A B on the trailing matrix (gemm_subtract), done on packed
 * copies in register tiles of MR x NR, which the compiler keeps in
 * registers.  For n states: the factorization takes 2/3 n^3 flops, the
 * diagonal of the inverse 2/3 n^3 more (the inverses of L and U, one
 * product's diagonal).  Memory: the n x n matrix of the DenseLU, one more
 * n x n matrix and BLOCK (n + NR) doubles of packed panel while the
 * diagonal is computed (lu_inverse_diagonal_memory).
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "markov.h"

/* columns of a panel, rows and columns of a register tile */
#define BLOCK 64
#define MR 8
#define NR 4

void
lu_prepare(DenseLU *lu, int32 n)
{
	if (lu->a == NULL || n > lu->capacity)
	{
		if (lu->a != NULL)
		{
			pfree(lu->a);
			pfree(lu->pivot);
		}
		lu->a = chain_alloc((Size) n * n * sizeof(double), MCXT_ALLOC_HUGE);
		lu->pivot = chain_alloc(n * sizeof(int32), 0);
		lu->capacity = n;
	}
	lu->n = n;
	memset(lu->a, 0, (Size) n * n * sizeof(double));
}

void
lu_factor(DenseLU *lu)
{
	int32		n = lu->n;
	int32		k,
				r,
				j;

	for (k = 0; k < n; k++)
	{
		int32		pivot = k;
		double		best = fabs(LU(lu, k, k));

		CHECK_FOR_INTERRUPTS();
		for (r = k + 1; r < n; r++)
		{
			if (fabs(LU(lu, r, k)) > best)
			{
				best = fabs(LU(lu, r, k));
				pivot = r;
			}
		}
		if (best == 0)
			elog(ERROR, "singular Markov chain component");
		lu->pivot[k] = pivot;
		if (pivot != k)
		{
			for (j = 0; j < n; j++)
			{
				double		t = LU(lu, k, j);

				LU(lu, k, j) = LU(lu, pivot, j);
				LU(lu, pivot, j) = t;
			}
		}
		for (r = k + 1; r < n; r++)
		{
			double		factor = LU(lu, r, k);

			if (factor == 0)
				continue;
			factor /= LU(lu, k, k);
			LU(lu, r, k) = factor;
			for (j = k + 1; j < n; j++)
				LU(lu, r, j) -= factor * LU(lu, k, j);
		}
	}
}

/* solve A y = b in place: P A = L U, so L U y = P b */
void
lu_solve(const DenseLU *lu, double *b)
{
	int32		n = lu->n;
	int32		k,
				j;

	/* the row exchanges first (they moved whole rows, multipliers too) */
	for (k = 0; k < n; k++)
	{
		if (lu->pivot[k] != k)
		{
			double		t = b[k];

			b[k] = b[lu->pivot[k]];
			b[lu->pivot[k]] = t;
		}
	}
	for (k = 0; k < n; k++)
		for (j = k + 1; j < n; j++)
			if (LU(lu, j, k) != 0)
				b[j] -= LU(lu, j, k) * b[k];
	for (k = n - 1; k >= 0; k--)
	{
		double		y = b[k];

		for (j = k + 1; j < n; j++)
			y -= LU(lu, k, j) * b[j];
		b[k] = y / LU(lu, k, k);
	}
}

/* solve A^T y = b in place (A = P^T L U, so A^T = U^T L^T P) */
void
lu_solve_transposed(const DenseLU *lu, double *b)
{
	int32		n = lu->n;
	int32		k,
				j;

	for (k = 0; k < n; k++)
	{
		double		y = b[k];

		for (j = 0; j < k; j++)
			y -= LU(lu, j, k) * b[j];
		b[k] = y / LU(lu, k, k);
	}
	for (k = n - 1; k >= 0; k--)
	{
		for (j = k + 1; j < n; j++)
			b[k] -= LU(lu, j, k) * b[j];
	}
	for (k = n - 1; k >= 0; k--)
	{
		if (lu->pivot[k] != k)
		{
			double		t = b[k];

			b[k] = b[lu->pivot[k]];
			b[lu->pivot[k]] = t;
		}
	}
}

/* ---------- blocked elimination without pivoting ---------- */

/* packed panels for gemm_subtract, for matrices of up to n columns */
typedef struct PackBuffers
{
	double	   *a;				/* MR x BLOCK */
	double	   *b;				/* BLOCK x (n rounded up to NR) */
} PackBuffers;

static Size
pack_memory(int32 n)
{
	return mul_size(sizeof(double), add_size(MR * BLOCK, mul_size(BLOCK, (Size) n + NR)));
}

static void
pack_start(PackBuffers *pack, int32 n)
{
	pack->a = chain_alloc(MR * BLOCK * sizeof(double), 0);
	pack->b = chain_alloc(mul_size(sizeof(double), mul_size(BLOCK, (Size) n + NR)), 0);
}

static void
pack_end(PackBuffers *pack)
{
	pfree(pack->a);
	pfree(pack->b);
}

/*
 * One register tile: c (mr x nr of it, row stride ldc) -= the product of a
 * packed MR-row strip of A and a packed NR-column strip of B, k deep.
 */
static void
tile_subtract(int32 k, const double *restrict a, const double *restrict b,
			  double *restrict c, Size ldc, int32 mr, int32 nr)
{
	double		sum[MR][NR];
	int32		p,
				r,
				j;

	memset(sum, 0, sizeof(sum));
	for (p = 0; p < k; p++)
		for (r = 0; r < MR; r++)
			for (j = 0; j < NR; j++)
				sum[r][j] += a[p * MR + r] * b[p * NR + j];
	for (r = 0; r < mr; r++)
		for (j = 0; j < nr; j++)
			c[r * ldc + j] -= sum[r][j];
}

/*
 * C (m x n, row stride ldc) -= A (m x k, stride lda) B (k x n, stride ldb),
 * k at most BLOCK, all row-major.
 */
static void
gemm_subtract(int32 m, int32 n, int32 k, const double *a, Size lda,
			  const double *b, Size ldb, double *c, Size ldc, PackBuffers *pack)
{
	int32		i,
				j,
				p,
				r;

	Assert(k <= BLOCK);
	if (m <= 0 || n <= 0 || k <= 0)
		return;
	/* B by strips of NR columns, each k x NR contiguous, zero-padded */
	for (j = 0; j < n; j += NR)
	{
		double	   *strip = pack->b + (Size) j * k;

		for (p = 0; p < k; p++)
			for (r = 0; r < NR; r++)
				strip[p * NR + r] = j + r < n ? b[p * ldb + j + r] : 0;
	}
	for (i = 0; i < m; i += MR)
	{
		int32		mr = Min(MR, m - i);

		CHECK_FOR_INTERRUPTS();
		for (p = 0; p < k; p++)
			for (r = 0; r < MR; r++)
				pack->a[p * MR + r] = r < mr ? a[(Size) (i + r) * lda + p] : 0;
		for (j = 0; j < n; j += NR)
			tile_subtract(k, pack->a, pack->b + (Size) j * k, c + (Size) i * ldc + j, ldc,
						  mr, Min(NR, n - j));
	}
}

/*
 * Factor A = L U in place without row exchanges (pivot[k] = k, so lu_solve
 * and lu_solve_transposed apply), by panels of BLOCK columns: factor the
 * panel, solve its block row of U, update the trailing matrix.  False when
 * a pivot is not positive, which the matrix of a component never gives
 * (see the file header); the caller then takes another way.
 */
bool
lu_factor_unpivoted(DenseLU *lu)
{
	int32		n = lu->n;
	PackBuffers pack;
	int32		k0;

	pack_start(&pack, n);
	for (k0 = 0; k0 < n; k0 += BLOCK)
	{
		int32		end = Min(n, k0 + BLOCK);
		int32		k,
					r,
					j;

		/* the panel: columns k0 .. end of rows k0 .. n */
		for (k = k0; k < end; k++)
		{
			double		pivot = LU(lu, k, k);
			const double *pivot_row = &LU(lu, k, 0);

			CHECK_FOR_INTERRUPTS();
			if (!(pivot > 0) || !isfinite(pivot))
			{
				pack_end(&pack);
				return false;
			}
			lu->pivot[k] = k;
			for (r = k + 1; r < n; r++)
			{
				double	   *row = &LU(lu, r, 0);
				double		factor = row[k];

				if (factor == 0)
					continue;
				factor /= pivot;
				row[k] = factor;
				for (j = k + 1; j < end; j++)
					row[j] -= factor * pivot_row[j];
			}
		}
		if (end == n)
			break;
		/* the block row of U right of the panel: L11^-1 A12 */
		for (k = k0; k < end; k++)
		{
			const double *pivot_row = &LU(lu, k, 0);

			for (r = k + 1; r < end; r++)
			{
				double	   *row = &LU(lu, r, 0);
				double		factor = row[k];

				if (factor == 0)
					continue;
				for (j = end; j < n; j++)
					row[j] -= factor * pivot_row[j];
			}
		}
		/* the trailing matrix: A22 -= L21 U12 */
		gemm_subtract(n - end, n - end, end - k0, &LU(lu, end, k0), n, &LU(lu, k0, end), n,
					  &LU(lu, end, end), n, &pack);
	}
	pack_end(&pack);
	return true;
}

/* the memory lu_inverse_diagonal takes beyond the DenseLU, for n states */
Size
lu_inverse_diagonal_memory(int32 n)
{
	return add_size(mul_size(mul_size(n, n), sizeof(double)), pack_memory(n));
}

#define AT(m, n, r, c) ((m)[(Size) (r) * (n) + (c)])

/* X = L^-1 (L unit lower triangular), by blocks of rows, into x (zeroed) */
static void
invert_lower(const DenseLU *lu, double *x, PackBuffers *pack)
{
	int32		n = lu->n;
	int32		k0;

	for (k0 = 0; k0 < n; k0 += BLOCK)
	{
		int32		end = Min(n, k0 + BLOCK);
		int32		k,
					r,
					j;

		CHECK_FOR_INTERRUPTS();
		for (k = k0; k < end; k++)
			AT(x, n, k, k) += 1;
		/* the block's rows: what the rows above left, times L11^-1 */
		for (k = k0; k < end; k++)
		{
			const double *done = &AT(x, n, k, 0);

			for (r = k + 1; r < end; r++)
			{
				double		factor = LU(lu, r, k);
				double	   *row = &AT(x, n, r, 0);

				if (factor == 0)
					continue;
				for (j = 0; j <= k; j++)
					row[j] -= factor * done[j];
			}
		}
		/* the rows below: X(below, 0..end) -= L(below, block) X(block, 0..end) */
		gemm_subtract(n - end, end, end - k0, &LU(lu, end, k0), n, &AT(x, n, k0, 0), n,
					  &AT(x, n, end, 0), n, pack);
	}
}

/* Y = U^-1 (U upper triangular), by blocks of rows from the last, into y (zeroed) */
static void
invert_upper(const DenseLU *lu, double *y, PackBuffers *pack)
{
	int32		n = lu->n;
	int32		last_block = ((n - 1) / BLOCK) * BLOCK;
	int32		k0;

	for (k0 = last_block; k0 >= 0; k0 -= BLOCK)
	{
		int32		end = Min(n, k0 + BLOCK);
		int32		k,
					r,
					j;

		CHECK_FOR_INTERRUPTS();
		for (k = k0; k < end; k++)
			AT(y, n, k, k) += 1;
		/* the block's rows, from its last: divide, then remove from the rows above */
		for (k = end - 1; k >= k0; k--)
		{
			double	   *done = &AT(y, n, k, 0);
			double		pivot = LU(lu, k, k);

			Assert(pivot > 0);
			for (j = k; j < n; j++)
				done[j] /= pivot;
			for (r = k0; r < k; r++)
			{
				double		factor = LU(lu, r, k);
				double	   *row = &AT(y, n, r, 0);

				if (factor == 0)
					continue;
				for (j = k; j < n; j++)
					row[j] -= factor * done[j];
			}
		}
		/* the rows above: Y(above, k0..n) -= U(above, block) Y(block, k0..n) */
		gemm_subtract(k0, n - k0, end - k0, &LU(lu, 0, k0), n, &AT(y, n, k0, k0), n,
					  &AT(y, n, 0, k0), n, pack);
	}
}

/*
 * The diagonal of A^-1 = U^-1 L^-1 after lu_factor_unpivoted:
 * diagonal[i] = sum over k >= i of U^-1(i,k) L^-1(k,i).  L^-1 is computed
 * into scratch and moved into the lower triangle of the factorization (L is
 * no longer needed), then U^-1 into the scratch.
 */
void
lu_inverse_diagonal(DenseLU *lu, double *diagonal)
{
	int32		n = lu->n;
	Size		matrix_bytes = mul_size(mul_size(n, n), sizeof(double));
	double	   *scratch = chain_alloc(matrix_bytes, MCXT_ALLOC_ZERO);
	PackBuffers pack;
	int32		i,
				k;

	pack_start(&pack, n);
	invert_lower(lu, scratch, &pack);
	for (i = 0; i < n; i++)
	{
		INTERRUPT_EVERY(i);
		for (k = 0; k < i; k++)
			LU(lu, i, k) = AT(scratch, n, i, k);
	}
	memset(scratch, 0, matrix_bytes);
	invert_upper(lu, scratch, &pack);
	for (i = 0; i < n; i++)
	{
		double		sum = AT(scratch, n, i, i);

		INTERRUPT_EVERY(i);
		for (k = i + 1; k < n; k++)
			sum += AT(scratch, n, i, k) * LU(lu, k, i);
		diagonal[i] = sum;
	}
	pack_end(&pack);
	pfree(scratch);
}
