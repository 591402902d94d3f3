/*
 * test_paths.c
 *		Property tests of the data-driven models (doc/paths.md) against
 *		independent formulations computed here, in plain C:
 *
 *		- random journeys (deterministic seed) are loaded into a table;
 *		- path_agg built serially, in a forced parallel plan, by merging daily
 *		  summaries and from the rows in another order gives the same bytes;
 *		- Markov orders 1 to 3 match a dense solve of the absorbing chain in
 *		  probability form (the definition of doc/paths.md, with the mean value per
 *		  conversion of the paths ending in a state), Shapley (simplified and
 *		  ordered), the counterfactual model and the heuristics match direct
 *		  computations, and every model's credits add up to the totals;
 *		- the binary form round-trips, and mutated binary and text forms give
 *		  errors, never a crash.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

#define N_JOURNEYS 4000
#define N_CHANNELS 8
#define MAX_LEN 9
#define TOLERANCE 1e-9

static const char *const channel_names[N_CHANNELS] = {
	"ch0", "ch1", "search", "we\"b", "back\\slash", "e-mail", "ünï", "z"
};

typedef struct Journey
{
	int			len;
	int			touches[MAX_LEN];
	int			converted;
	double		value;
	int			day;
} Journey;

typedef struct DistinctPath
{
	int			len;
	int			touches[MAX_LEN];
	double		conversions;
	double		value;
	double		non_conversions;
} DistinctPath;

typedef struct Model
{
	double		conversions[N_CHANNELS];
	double		value[N_CHANNELS];
} Model;

static Journey journeys[N_JOURNEYS];
static DistinctPath paths[N_JOURNEYS];
static int	n_paths;
static double total_conversions;
static double total_value;

/* ---------- data ---------- */

static void
make_journeys(uint64_t *rng)
{
	int			i;

	for (i = 0; i < N_JOURNEYS; i++)
	{
		Journey    *j = &journeys[i];
		double		p = 0.1;
		int			t;
		char		text[32];

		j->len = rng_int(rng, 1, MAX_LEN);
		for (t = 0; t < j->len; t++)
		{
			/* skewed: low channels are more frequent; repeats happen */
			int			c = rng_int(rng, 0, N_CHANNELS - 1);

			if (rng_uniform(rng) < 0.4)
				c = c / 2;
			j->touches[t] = c;
			if (c == 1)
				p += 0.1;
		}
		if (j->touches[j->len - 1] == 2)
			p += 0.2;
		j->converted = rng_uniform(rng) < p;
		/* the value as SQL will read it back from its decimal text */
		snprintf(text, sizeof(text), "%.2f", j->converted ? rng_uniform(rng) * 500 : 0.0);
		j->value = strtod(text, NULL);
		j->day = rng_int(rng, 0, 9);
	}
}

static int
compare_journey_paths(const void *a, const void *b)
{
	const Journey *ja = (const Journey *) a;
	const Journey *jb = (const Journey *) b;
	int			t;

	for (t = 0; t < ja->len && t < jb->len; t++)
		if (ja->touches[t] != jb->touches[t])
			return ja->touches[t] - jb->touches[t];
	return ja->len - jb->len;
}

/* the distinct paths with their sums, computed here */
static void
summarize(void)
{
	Journey    *sorted = malloc(sizeof(journeys));
	int			i;

	memcpy(sorted, journeys, sizeof(journeys));
	qsort(sorted, N_JOURNEYS, sizeof(Journey), compare_journey_paths);
	n_paths = 0;
	total_conversions = total_value = 0;
	for (i = 0; i < N_JOURNEYS; i++)
	{
		DistinctPath *p;

		if (n_paths == 0 || compare_journey_paths(&sorted[i], &sorted[i - 1]) != 0)
		{
			p = &paths[n_paths++];
			p->len = sorted[i].len;
			memcpy(p->touches, sorted[i].touches, sizeof(p->touches));
			p->conversions = p->value = p->non_conversions = 0;
		}
		p = &paths[n_paths - 1];
		if (sorted[i].converted)
		{
			p->conversions += 1;
			p->value += sorted[i].value;
			total_conversions += 1;
			total_value += sorted[i].value;
		}
		else
			p->non_conversions += 1;
	}
	free(sorted);
}

/* a text[] literal of a path: {"a","b"} with " and \ escaped */
static void
array_literal(char *out, const int *touches, int len)
{
	int			t;

	*out++ = '{';
	for (t = 0; t < len; t++)
	{
		const char *s = channel_names[touches[t]];

		if (t > 0)
			*out++ = ',';
		*out++ = '"';
		for (; *s; s++)
		{
			if (*s == '"' || *s == '\\')
				*out++ = '\\';
			*out++ = *s;
		}
		*out++ = '"';
	}
	*out++ = '}';
	*out = '\0';
}

static void
load_journeys(PGconn *conn, const char *table, uint64_t *rng)
{
	int		   *order = malloc(sizeof(int) * N_JOURNEYS);
	int			i;
	char		sql[256];

	for (i = 0; i < N_JOURNEYS; i++)
		order[i] = i;
	/* a shuffled copy when rng is given */
	if (rng != NULL)
	{
		for (i = N_JOURNEYS - 1; i > 0; i--)
		{
			int			k = rng_int(rng, 0, i);
			int			t = order[i];

			order[i] = order[k];
			order[k] = t;
		}
	}
	snprintf(sql, sizeof(sql),
			 "CREATE TABLE %s (id int, day int, path text[], converted boolean, value float8)", table);
	exec_ok(conn, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES ($1::int, $2::int, $3::text[], $4::boolean, $5::float8)",
			 table);
	exec_ok(conn, "BEGIN");
	for (i = 0; i < N_JOURNEYS; i++)
	{
		const Journey *j = &journeys[order[i]];
		char		id[16],
					day[16],
					path[512],
					value[32];
		const char *params[5] = {id, day, path, j->converted ? "true" : "false", value};
		PGresult   *res;

		snprintf(id, sizeof(id), "%d", order[i]);
		snprintf(day, sizeof(day), "%d", j->day);
		array_literal(path, j->touches, j->len);
		snprintf(value, sizeof(value), "%.2f", j->value);
		res = PQexecParams(conn, sql, 5, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			check(false, "insert failed: %s", PQerrorMessage(conn));
			PQclear(res);
			break;
		}
		PQclear(res);
	}
	exec_ok(conn, "COMMIT");
	snprintf(sql, sizeof(sql), "ANALYZE %s", table);
	exec_ok(conn, sql);
	free(order);
}

static int
channel_index(const char *name)
{
	int			c;

	for (c = 0; c < N_CHANNELS; c++)
		if (strcmp(channel_names[c], name) == 0)
			return c;
	return -1;
}

static bool
close_enough(double got, double want)
{
	return fabs(got - want) <= TOLERANCE * fmax(1.0, fabs(want));
}

/* ---------- independent formulations ---------- */

static void
shapley_reference(Model *m, double ordered_conv[N_CHANNELS][MAX_LEN + 1])
{
	int			i;

	memset(m, 0, sizeof(*m));
	memset(ordered_conv, 0, sizeof(double) * N_CHANNELS * (MAX_LEN + 1));
	for (i = 0; i < n_paths; i++)
	{
		int			seen[N_CHANNELS] = {0};
		int			distinct[MAX_LEN];
		int			n = 0;
		int			t;

		if (paths[i].conversions == 0)
			continue;
		for (t = 0; t < paths[i].len; t++)
			if (!seen[paths[i].touches[t]]++)
				distinct[n++] = paths[i].touches[t];
		for (t = 0; t < n; t++)
		{
			m->conversions[distinct[t]] += paths[i].conversions / n;
			m->value[distinct[t]] += paths[i].value / n;
			ordered_conv[distinct[t]][t + 1] += paths[i].conversions / n;
		}
	}
}

static void
heuristics_reference(Model *first, Model *last, Model *linear)
{
	int			i;

	memset(first, 0, sizeof(*first));
	memset(last, 0, sizeof(*last));
	memset(linear, 0, sizeof(*linear));
	for (i = 0; i < n_paths; i++)
	{
		const DistinctPath *p = &paths[i];
		int			t;

		first->conversions[p->touches[0]] += p->conversions;
		first->value[p->touches[0]] += p->value;
		last->conversions[p->touches[p->len - 1]] += p->conversions;
		last->value[p->touches[p->len - 1]] += p->value;
		for (t = 0; t < p->len; t++)
		{
			linear->conversions[p->touches[t]] += p->conversions / p->len;
			linear->value[p->touches[t]] += p->value / p->len;
		}
	}
}

/* observed conversion rate of a path, 0 when it is not in the data */
static double
path_rate(const int *touches, int len)
{
	int			i;

	for (i = 0; i < n_paths; i++)
	{
		if (paths[i].len == len &&
			memcmp(paths[i].touches, touches, sizeof(int) * len) == 0)
			return paths[i].conversions / (paths[i].conversions + paths[i].non_conversions);
	}
	return 0;
}

static void
counterfactual_reference(Model *m)
{
	int			i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < n_paths; i++)
	{
		const DistinctPath *p = &paths[i];
		double		rate = p->conversions / (p->conversions + p->non_conversions);
		double		gain[MAX_LEN];
		double		total = 0;
		int			t;

		if (p->conversions == 0)
			continue;
		for (t = 0; t < p->len && p->len > 1; t++)
		{
			int			shorter[MAX_LEN];
			int			k,
						n = 0;

			for (k = 0; k < p->len; k++)
				if (k != t)
					shorter[n++] = p->touches[k];
			gain[t] = fmax(rate - path_rate(shorter, n), 0);
			total += gain[t];
		}
		if (total == 0)
		{
			m->conversions[p->touches[p->len - 1]] += p->conversions;
			m->value[p->touches[p->len - 1]] += p->value;
			continue;
		}
		for (t = 0; t < p->len; t++)
		{
			m->conversions[p->touches[t]] += p->conversions * gain[t] / total;
			m->value[p->touches[t]] += p->value * gain[t] / total;
		}
	}
}

/*
 * Markov chain of order k in probability form.  States are the tuples of
 * the last k channels of the collapsed paths (shorter at the start), found
 * by linear search; the absorbing system (I - Q) x = b is solved densely for
 * b = P(conversion) and b = P(conversion) * mean value per conversion of the
 * paths ending in the state.
 */
#define MAX_STATES 600

typedef struct RefChain
{
	int			n;
	int			len[MAX_STATES];
	int			tuple[MAX_STATES][4];
	double		count[MAX_STATES][MAX_STATES];
	double		start[MAX_STATES];
	double		conv[MAX_STATES];
	double		null[MAX_STATES];
	double		value[MAX_STATES];
} RefChain;

static int
ref_state(RefChain *rc, const int *tuple, int len)
{
	int			s;

	for (s = 0; s < rc->n; s++)
		if (rc->len[s] == len && memcmp(rc->tuple[s], tuple, sizeof(int) * len) == 0)
			return s;
	if (rc->n == MAX_STATES)
		return -1;
	rc->len[rc->n] = len;
	memcpy(rc->tuple[rc->n], tuple, sizeof(int) * len);
	return rc->n++;
}

static bool
ref_chain_build(RefChain *rc, int order)
{
	int			i;

	memset(rc, 0, sizeof(*rc));
	for (i = 0; i < n_paths; i++)
	{
		const DistinctPath *p = &paths[i];
		double		w = p->conversions + p->non_conversions;
		int			c[MAX_LEN];
		int			m = 0;
		int			t,
					prev = -1;

		for (t = 0; t < p->len; t++)
			if (m == 0 || c[m - 1] != p->touches[t])
				c[m++] = p->touches[t];
		for (t = 0; t < m; t++)
		{
			int			first = t - order + 1 > 0 ? t - order + 1 : 0;
			int			s = ref_state(rc, c + first, t - first + 1);

			if (s < 0)
				return false;
			if (prev < 0)
				rc->start[s] += w;
			else
				rc->count[prev][s] += w;
			prev = s;
		}
		rc->conv[prev] += p->conversions;
		rc->null[prev] += p->non_conversions;
		rc->value[prev] += p->value;
	}
	return true;
}

/* P(conversion) and the value analogue from start, with a channel removed (or -1) */
static void
ref_chain_solve(const RefChain *rc, int removed, double *conv, double *value)
{
	int			n = rc->n;
	double	   *a = calloc((size_t) n * (n + 2), sizeof(double));
	double		start_total = 0;
	int			s,
				t,
				k;

#define A(r, c) a[(size_t) (r) * (n + 2) + (c)]
	for (s = 0; s < n; s++)
	{
		double		out = rc->conv[s] + rc->null[s];
		bool		gone = false;

		for (t = 0; t < n; t++)
			out += rc->count[s][t];
		for (k = 0; k < rc->len[s]; k++)
			gone |= rc->tuple[s][k] == removed;
		A(s, s) = 1;
		if (gone)
			continue;
		for (t = 0; t < n; t++)
			A(s, t) -= rc->count[s][t] / out;
		A(s, n) = rc->conv[s] / out;
		/* P(conversion) times the mean value per conversion ending here */
		A(s, n + 1) = rc->conv[s] > 0 ? rc->conv[s] / out * (rc->value[s] / rc->conv[s]) : 0;
	}
	/* Gauss-Jordan with partial pivoting */
	for (k = 0; k < n; k++)
	{
		int			pivot = k;

		for (s = k + 1; s < n; s++)
			if (fabs(A(s, k)) > fabs(A(pivot, k)))
				pivot = s;
		for (t = 0; t < n + 2; t++)
		{
			double		x = A(k, t);

			A(k, t) = A(pivot, t);
			A(pivot, t) = x;
		}
		for (s = 0; s < n; s++)
		{
			double		f;

			if (s == k || A(s, k) == 0)
				continue;
			f = A(s, k) / A(k, k);
			for (t = k; t < n + 2; t++)
				A(s, t) -= f * A(k, t);
		}
	}
	*conv = *value = 0;
	for (s = 0; s < n; s++)
		start_total += rc->start[s];
	for (s = 0; s < n; s++)
	{
		*conv += rc->start[s] / start_total * A(s, n) / A(s, s);
		*value += rc->start[s] / start_total * A(s, n + 1) / A(s, s);
	}
#undef A
	free(a);
}

static bool
markov_reference(int order, double effect[N_CHANNELS], Model *m)
{
	static RefChain rc;
	double		p,
				v,
				sum_effect = 0,
				sum_value_effect = 0;
	double		value_effect[N_CHANNELS];
	int			c;

	if (!ref_chain_build(&rc, order))
		return false;
	ref_chain_solve(&rc, -1, &p, &v);
	for (c = 0; c < N_CHANNELS; c++)
	{
		double		pc,
					vc;

		ref_chain_solve(&rc, c, &pc, &vc);
		effect[c] = 1 - pc / p;
		value_effect[c] = 1 - vc / v;
		sum_effect += effect[c];
		sum_value_effect += value_effect[c];
	}
	for (c = 0; c < N_CHANNELS; c++)
	{
		m->conversions[c] = effect[c] / sum_effect * total_conversions;
		m->value[c] = value_effect[c] / sum_value_effect * total_value;
	}
	return true;
}

/* ---------- comparisons with the extension ---------- */

/* columns: channel, then the given column numbers for conversions and value */
static void
compare_model(PGconn *conn, const char *what, const char *sql, int conv_col,
			  int value_col, const Model *want)
{
	PGresult   *res = query_ok(conn, sql);
	double		sum_conv = 0,
				sum_value = 0;
	int			bad = 0;
	int			r;

	check(PQntuples(res) == N_CHANNELS, "%s: %d rows, expected %d", what,
		  PQntuples(res), N_CHANNELS);
	for (r = 0; r < PQntuples(res); r++)
	{
		int			c = channel_index(PQgetvalue(res, r, 0));
		double		conv = strtod(PQgetvalue(res, r, conv_col), NULL);
		double		value = strtod(PQgetvalue(res, r, value_col), NULL);

		if (c < 0 || !close_enough(conv, want->conversions[c]) ||
			!close_enough(value, want->value[c]))
		{
			if (bad++ == 0)
				check(false, "%s: channel %s got %.17g / %.17g, expected %.17g / %.17g",
					  what, PQgetvalue(res, r, 0), conv, value,
					  c < 0 ? NAN : want->conversions[c], c < 0 ? NAN : want->value[c]);
		}
		sum_conv += conv;
		sum_value += value;
	}
	check(bad == 0, "%s: every channel matches the independent computation", what);
	check(fabs(sum_conv - total_conversions) <= TOLERANCE * total_conversions,
		  "%s: credits add up to the conversions (%.17g vs %.17g)", what, sum_conv, total_conversions);
	check(fabs(sum_value - total_value) <= TOLERANCE * total_value,
		  "%s: credits add up to the value (%.17g vs %.17g)", what, sum_value, total_value);
	PQclear(res);
}

static void
test_markov(PGconn *conn, int order)
{
	double		effect[N_CHANNELS];
	Model		want;
	char		sql[256];
	char		what[64];
	PGresult   *res;
	int			r,
				bad = 0;

	if (!check(markov_reference(order, effect, &want), "reference chain of order %d fits", order))
		return;
	snprintf(what, sizeof(what), "markov order %d", order);
	snprintf(sql, sizeof(sql),
			 "SELECT channel, removal_effect, conversions, value FROM summaries, "
			 "attribution.markov(serial, %d)", order);
	compare_model(conn, what, sql, 2, 3, &want);
	res = query_ok(conn, sql);
	for (r = 0; r < PQntuples(res); r++)
	{
		int			c = channel_index(PQgetvalue(res, r, 0));

		if (c < 0 || !close_enough(strtod(PQgetvalue(res, r, 1), NULL), effect[c]))
			bad++;
	}
	check(bad == 0, "%s: removal effects match the independent computation", what);
	PQclear(res);
}

static void
test_models(PGconn *conn)
{
	Model		shapley,
				counterfactual,
				first,
				last,
				linear;
	double		ordered[N_CHANNELS][MAX_LEN + 1];
	PGresult   *res;
	int			r,
				bad = 0;

	shapley_reference(&shapley, ordered);
	compare_model(conn, "shapley",
				  "SELECT channel, conversions, value FROM summaries, attribution.shapley(serial)",
				  1, 2, &shapley);
	res = query_ok(conn, "SELECT channel, position, conversions FROM summaries, "
				   "attribution.shapley(serial, 'ordered')");
	for (r = 0; r < PQntuples(res); r++)
	{
		int			c = channel_index(PQgetvalue(res, r, 0));
		int			position = atoi(PQgetvalue(res, r, 1));

		if (c < 0 || position < 1 || position > MAX_LEN ||
			!close_enough(strtod(PQgetvalue(res, r, 2), NULL), ordered[c][position]))
			bad++;
	}
	check(bad == 0 && PQntuples(res) > N_CHANNELS, "ordered shapley matches (%d rows)", PQntuples(res));
	PQclear(res);

	counterfactual_reference(&counterfactual);
	compare_model(conn, "counterfactual",
				  "SELECT channel, conversions, value FROM summaries, attribution.counterfactual(serial)",
				  1, 2, &counterfactual);
	heuristics_reference(&first, &last, &linear);
	compare_model(conn, "first touch",
				  "SELECT channel, first_touch, first_touch_value FROM summaries, attribution.heuristics(serial)",
				  1, 2, &first);
	compare_model(conn, "last touch",
				  "SELECT channel, last_touch, last_touch_value FROM summaries, attribution.heuristics(serial)",
				  1, 2, &last);
	compare_model(conn, "linear",
				  "SELECT channel, linear, linear_value FROM summaries, attribution.heuristics(serial)",
				  1, 2, &linear);
	test_markov(conn, 1);
	test_markov(conn, 2);
	test_markov(conn, 3);
}

/* every way of building the summary gives the same bytes and the same answers */
static void
test_builds(PGconn *conn)
{
	PGresult   *res;
	const char *columns[] = {"parallel", "merged", "shuffled", "parallel_merged"};
	int			i;

	exec_ok(conn, "SET max_parallel_workers_per_gather = 0");
	exec_ok(conn, "CREATE TABLE summaries AS SELECT "
			"(SELECT attribution.path_agg(path, converted, value) FROM journeys) AS serial, "
			"(SELECT attribution.path_agg(path, converted, value) FROM journeys_shuffled) AS shuffled");
	exec_ok(conn, "CREATE TABLE daily AS SELECT day, attribution.path_agg(path, converted, value) AS ps "
			"FROM journeys GROUP BY day");
	exec_ok(conn, "ALTER TABLE summaries ADD COLUMN merged attribution.path_summary, "
			"ADD COLUMN parallel attribution.path_summary, ADD COLUMN parallel_merged attribution.path_summary");
	exec_ok(conn, "UPDATE summaries SET merged = (SELECT attribution.merge(ps) FROM daily)");
	exec_ok(conn, "SET parallel_setup_cost = 0");
	exec_ok(conn, "SET parallel_tuple_cost = 0");
	exec_ok(conn, "SET min_parallel_table_scan_size = 0");
	exec_ok(conn, "SET max_parallel_workers_per_gather = 2");
	exec_ok(conn, "SET parallel_leader_participation = off");
	res = query_ok(conn, "EXPLAIN (COSTS OFF) SELECT attribution.path_agg(path, converted, value) FROM journeys");
	{
		bool		partial = false;

		for (i = 0; i < PQntuples(res); i++)
			partial |= strstr(PQgetvalue(res, i, 0), "Partial Aggregate") != NULL;
		check(partial, "the plan of path_agg has a Partial Aggregate");
	}
	PQclear(res);
	res = query_ok(conn, "SELECT attribution.path_agg(path, converted, value) FROM journeys");
	{
		const char *params[1] = {PQgetvalue(res, 0, 0)};
		PGresult   *upd = PQexecParams(conn, "UPDATE summaries SET parallel = $1::attribution.path_summary",
									   1, NULL, params, NULL, NULL, 0);

		check(PQresultStatus(upd) == PGRES_COMMAND_OK, "store the parallel build");
		PQclear(upd);
	}
	PQclear(res);
	res = query_ok(conn, "SELECT attribution.merge(ps) FROM daily");
	{
		const char *params[1] = {PQgetvalue(res, 0, 0)};
		PGresult   *upd = PQexecParams(conn, "UPDATE summaries SET parallel_merged = $1::attribution.path_summary",
									   1, NULL, params, NULL, NULL, 0);

		check(PQresultStatus(upd) == PGRES_COMMAND_OK, "store the parallel merge");
		PQclear(upd);
	}
	PQclear(res);
	exec_ok(conn, "RESET parallel_leader_participation");
	exec_ok(conn, "RESET max_parallel_workers_per_gather");

	for (i = 0; i < 4; i++)
	{
		char		sql[512];

		snprintf(sql, sizeof(sql),
				 "SELECT attribution.path_summary_send(serial) = attribution.path_summary_send(%s), "
				 "(SELECT array_agg(m::text) FROM attribution.markov(serial, 2) m) = "
				 "(SELECT array_agg(m::text) FROM attribution.markov(%s, 2) m), "
				 "(SELECT array_agg(m::text) FROM attribution.counterfactual(serial) m) = "
				 "(SELECT array_agg(m::text) FROM attribution.counterfactual(%s) m) FROM summaries",
				 columns[i], columns[i], columns[i]);
		res = query_ok(conn, sql);
		check(strcmp(PQgetvalue(res, 0, 0), "t") == 0, "the %s build has the serial build's bytes", columns[i]);
		check(strcmp(PQgetvalue(res, 0, 1), "t") == 0 && strcmp(PQgetvalue(res, 0, 2), "t") == 0,
			  "the %s build gives the same accessor output", columns[i]);
		PQclear(res);
	}

	/* the summary holds exactly the distinct paths computed here */
	res = query_ok(conn, "SELECT count(*), sum(conversions), sum(non_conversions) "
				   "FROM summaries, attribution.paths(serial)");
	check(atoi(PQgetvalue(res, 0, 0)) == n_paths, "%s distinct paths, expected %d",
		  PQgetvalue(res, 0, 0), n_paths);
	check(strtod(PQgetvalue(res, 0, 1), NULL) == total_conversions, "total conversions");
	PQclear(res);
}

/* ---------- binary form and mutated input ---------- */

static bool
connection_alive(PGconn *conn)
{
	PGresult   *res = PQexec(conn, "SELECT 1");
	bool		ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	PQclear(res);
	return ok;
}

static void
test_binary(PGconn *conn, uint64_t *rng)
{
	PGresult   *res = query_ok(conn, "SELECT 'attribution.path_summary'::regtype::oid");
	unsigned int type_oid = (unsigned int) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PGresult   *bin;
	char	   *data;
	int			len;
	int			i,
				accepted = 0,
				rejected = 0,
				other = 0;

	PQclear(res);
	bin = PQexecParams(conn, "SELECT serial FROM summaries", 0, NULL, NULL, NULL, NULL, 1);
	if (!check(PQresultStatus(bin) == PGRES_TUPLES_OK, "binary output: %s", PQerrorMessage(conn)))
	{
		PQclear(bin);
		return;
	}
	len = PQgetlength(bin, 0, 0);
	data = malloc(len);
	memcpy(data, PQgetvalue(bin, 0, 0), len);
	PQclear(bin);

	/* round trip */
	{
		Oid			types[1] = {type_oid};
		const char *values[1] = {data};
		int			lengths[1] = {len};
		int			formats[1] = {1};

		res = PQexecParams(conn, "SELECT $1::text = serial::text FROM summaries", 1, types,
						   values, lengths, formats, 0);
		check(PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0,
			  "binary round trip: %s", PQerrorMessage(conn));
		PQclear(res);
	}

	/* mutations: flipped bytes, truncations; errors, never a crash */
	for (i = 0; i < 300; i++)
	{
		char	   *mutated = malloc(len);
		int			mutated_len = len;
		Oid			types[1] = {type_oid};
		const char *values[1] = {mutated};
		int			lengths[1];
		int			formats[1] = {1};
		int			k;
		const char *state;

		memcpy(mutated, data, len);
		if (i % 3 == 0)
			mutated_len = rng_int(rng, 0, len - 1);
		for (k = rng_int(rng, 1, 3); k > 0; k--)
			mutated[rng_int(rng, 0, len - 1)] = (char) rng_int(rng, 0, 255);
		/* often hit the header: version and counts */
		if (i % 4 == 1)
			mutated[rng_int(rng, 0, 12 < len ? 12 : len - 1)] = (char) rng_int(rng, 0, 255);
		lengths[0] = mutated_len;
		res = PQexecParams(conn, "SELECT $1::text", 1, types, values, lengths, formats, 0);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			accepted++;
		else if (state != NULL && (strncmp(state, "22", 2) == 0 || strcmp(state, "54000") == 0))
			rejected++;
		else
		{
			if (other++ == 0)
				check(false, "mutated binary input gave %s: %s", state ? state : "no SQLSTATE",
					  PQerrorMessage(conn));
		}
		PQclear(res);
		free(mutated);
		if (!check(connection_alive(conn), "the server survives mutated binary input %d", i))
			break;
	}
	check(other == 0 && rejected > 0, "mutated binary input: %d accepted, %d rejected cleanly",
		  accepted, rejected);
	free(data);
}

static void
test_text_fuzz(PGconn *conn, uint64_t *rng)
{
	const char *literal = "[[[\"a\",\"b\\\"c\"],3,0.3+2.7755575615628914e-17,1],[[\"b\"],0,0,2],"
		"[[\"c\",\"a\",\"c\"],1.5,1e300,0]]";
	static const char alphabet[] = "[]\",+-.0123456789eE abn\\";
	int			len = (int) strlen(literal);
	int			i,
				other = 0,
				rejected = 0;

	for (i = 0; i < 300; i++)
	{
		char		mutated[256];
		const char *params[1] = {mutated};
		PGresult   *res;
		const char *state;
		int			k;

		memcpy(mutated, literal, len + 1);
		for (k = rng_int(rng, 1, 3); k > 0; k--)
			mutated[rng_int(rng, 0, len - 1)] = alphabet[rng_int(rng, 0, (int) sizeof(alphabet) - 2)];
		if (i % 5 == 0)
			mutated[rng_int(rng, 0, len - 1)] = '\0';
		res = PQexecParams(conn, "SELECT $1::attribution.path_summary::text", 1, NULL, params, NULL, NULL, 0);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
		{
			/* what is accepted must round-trip */
			const char *again[1] = {PQgetvalue(res, 0, 0)};
			PGresult   *res2 = PQexecParams(conn, "SELECT $1::attribution.path_summary::text = $1::text",
											1, NULL, again, NULL, NULL, 0);

			if (PQresultStatus(res2) != PGRES_TUPLES_OK || strcmp(PQgetvalue(res2, 0, 0), "t") != 0)
				check(false, "accepted literal does not round-trip: %s", mutated);
			PQclear(res2);
		}
		else if (state != NULL && (strcmp(state, "22P02") == 0 || strcmp(state, "54000") == 0 ||
								   strcmp(state, "22003") == 0))
			rejected++;
		else if (other++ == 0)
			check(false, "mutated literal gave %s: %s", state ? state : "no SQLSTATE", PQerrorMessage(conn));
		PQclear(res);
	}
	check(other == 0 && rejected > 0, "mutated text literals rejected cleanly (%d)", rejected);
	check(connection_alive(conn), "the server survives mutated literals");
}

void
test_paths(PGconn *conn)
{
	uint64_t	rng = 20240503;

	make_journeys(&rng);
	summarize();
	load_journeys(conn, "journeys", NULL);
	load_journeys(conn, "journeys_shuffled", &rng);
	test_builds(conn);
	test_models(conn);
	test_binary(conn, &rng);
	test_text_fuzz(conn, &rng);
	if (getenv("ATTR_KEEP_TABLES") == NULL)
		exec_ok(conn, "DROP TABLE journeys, journeys_shuffled, summaries, daily");
}
