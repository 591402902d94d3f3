/*
 * test_markov.c
 *		markov() of order 1 on a chain of one large strongly connected part
 *		(150 channels, so the blocked elimination works on several panels
 *		and partial register tiles), against the removal effects computed
 *		here by the definition: the chain solved once per channel with the
 *		channel redirected to null, by dense Gauss-Jordan elimination in long
 *		double.  The extension takes another way (the diagonal of the
 *		inverse, see src/markov_solve.c), so the two formulations must agree:
 *		removal effects and credits within 1e-12 relative.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

#define N_CHANNELS 150
#define EXACT 1e-12

typedef struct Chain
{
	long double w[N_CHANNELS][N_CHANNELS];
	long double start[N_CHANNELS];
	long double conv[N_CHANNELS];
	long double null[N_CHANNELS];
	long double value[N_CHANNELS];
} Chain;

/* channels are named k0 .. k149 */
static int
channel_number(const char *name)
{
	int			c = name[0] == 'k' ? atoi(name + 1) : -1;

	return c >= 0 && c < N_CHANNELS ? c : -1;
}

/* the chain of order 1 from paths(ps): repeats collapsed, weights in journeys */
static bool
load_chain(PGconn *conn, Chain *ch)
{
	PGresult   *res = query_ok(conn, "SELECT array_to_string(path, ' '), conversions, value, "
								 "non_conversions FROM markov_big, attribution.paths(ps)");
	int			r;

	memset(ch, 0, sizeof(*ch));
	for (r = 0; r < PQntuples(res); r++)
	{
		char	   *path = strdup(PQgetvalue(res, r, 0));
		long double conv = strtold(PQgetvalue(res, r, 1), NULL);
		long double value = strtold(PQgetvalue(res, r, 2), NULL);
		long double non = strtold(PQgetvalue(res, r, 3), NULL);
		int			prev = -1;
		char	   *tok;

		for (tok = strtok(path, " "); tok != NULL; tok = strtok(NULL, " "))
		{
			int			c = channel_number(tok);

			if (c < 0)
			{
				free(path);
				PQclear(res);
				return false;
			}
			if (c == prev)
				continue;
			if (prev < 0)
				ch->start[c] += conv + non;
			else
				ch->w[prev][c] += conv + non;
			prev = c;
		}
		ch->conv[prev] += conv;
		ch->null[prev] += non;
		ch->value[prev] += value;
		free(path);
	}
	PQclear(res);
	return true;
}

/* conversions and value absorbed from start (per journey), without channel removed (or -1) */
static void
absorbed(const Chain *ch, int removed, long double *conv, long double *value)
{
	static long double a[N_CHANNELS][N_CHANNELS + 2];
	long double start_total = 0;
	int			s,
				t,
				k;

	for (s = 0; s < N_CHANNELS; s++)
	{
		long double out = ch->conv[s] + ch->null[s];

		for (t = 0; t < N_CHANNELS; t++)
			out += ch->w[s][t];
		for (t = 0; t < N_CHANNELS + 2; t++)
			a[s][t] = 0;
		a[s][s] = out > 0 ? out : 1;
		if (s == removed || out == 0)
			continue;
		for (t = 0; t < N_CHANNELS; t++)
			a[s][t] -= ch->w[s][t];
		a[s][N_CHANNELS] = ch->conv[s];
		a[s][N_CHANNELS + 1] = ch->value[s];
	}
	for (k = 0; k < N_CHANNELS; k++)
	{
		int			pivot = k;

		for (s = k + 1; s < N_CHANNELS; s++)
			if (fabsl(a[s][k]) > fabsl(a[pivot][k]))
				pivot = s;
		for (t = 0; t < N_CHANNELS + 2; t++)
		{
			long double x = a[k][t];

			a[k][t] = a[pivot][t];
			a[pivot][t] = x;
		}
		for (s = 0; s < N_CHANNELS; s++)
		{
			long double f;

			if (s == k || a[s][k] == 0)
				continue;
			f = a[s][k] / a[k][k];
			for (t = k; t < N_CHANNELS + 2; t++)
				a[s][t] -= f * a[k][t];
		}
	}
	*conv = *value = 0;
	for (s = 0; s < N_CHANNELS; s++)
		start_total += ch->start[s];
	for (s = 0; s < N_CHANNELS; s++)
	{
		*conv += ch->start[s] / start_total * a[s][N_CHANNELS] / a[s][s];
		*value += ch->start[s] / start_total * a[s][N_CHANNELS + 1] / a[s][s];
	}
}

static bool
near(double got, long double want)
{
	return fabsl((long double) got - want) <= EXACT * fabsl(want) + 1e-300;
}

void
test_markov_many(PGconn *conn)
{
	static Chain ch;
	long double effect[N_CHANNELS],
				value_effect[N_CHANNELS];
	long double p,
				v,
				sum_effect = 0,
				sum_value_effect = 0,
				total_conv = 0,
				total_value = 0;
	PGresult   *res;
	int			c,
				r,
				bad = 0;

	/* uniform channels: one strongly connected part of all 150 */
	exec_ok(conn, "SELECT setseed(0.25)");
	exec_ok(conn, "CREATE TEMP TABLE markov_big AS SELECT attribution.path_agg(path, converted, "
			"CASE WHEN converted THEN round(1 + 99 * r)::float8 ELSE 0 END) AS ps "
			"FROM (SELECT array(SELECT 'k' || floor(150 * random())::int + 0 * g "
			"                   FROM generate_series(1, 2 + g % 7)) AS path, "
			"             random() < 0.25 AS converted, random() AS r "
			"      FROM generate_series(1, 8000) g) j");
	if (!check(load_chain(conn, &ch), "markov_big: the paths name channels k0 .. k149"))
		return;
	for (c = 0; c < N_CHANNELS; c++)
	{
		total_conv += ch.conv[c];
		total_value += ch.value[c];
	}
	absorbed(&ch, -1, &p, &v);
	for (c = 0; c < N_CHANNELS; c++)
	{
		long double pc,
					vc;

		absorbed(&ch, c, &pc, &vc);
		effect[c] = 1 - pc / p;
		value_effect[c] = 1 - vc / v;
		sum_effect += effect[c];
		sum_value_effect += value_effect[c];
	}
	res = query_ok(conn, "SELECT channel, removal_effect, conversions, value "
				   "FROM markov_big, attribution.markov(ps)");
	check(PQntuples(res) == N_CHANNELS, "markov order 1, 150 channels: %d rows", PQntuples(res));
	for (r = 0; r < PQntuples(res); r++)
	{
		double		got_effect = strtod(PQgetvalue(res, r, 1), NULL);
		double		got_conv = strtod(PQgetvalue(res, r, 2), NULL);
		double		got_value = strtod(PQgetvalue(res, r, 3), NULL);

		c = channel_number(PQgetvalue(res, r, 0));
		if (c < 0 || !near(got_effect, effect[c]) ||
			!near(got_conv, effect[c] / sum_effect * total_conv) ||
			!near(got_value, value_effect[c] / sum_value_effect * total_value))
		{
			if (bad++ == 0)
				check(false, "markov order 1, 150 channels: %s got %.17g / %.17g / %.17g, "
					  "expected %.17Lg / %.17Lg / %.17Lg", PQgetvalue(res, r, 0),
					  got_effect, got_conv, got_value, c < 0 ? 0 : effect[c],
					  c < 0 ? 0 : effect[c] / sum_effect * total_conv,
					  c < 0 ? 0 : value_effect[c] / sum_value_effect * total_value);
		}
	}
	check(bad == 0, "markov order 1, 150 channels: removal effects and credits within %g "
		  "of the chain solved once per channel", EXACT);
	PQclear(res);
}
