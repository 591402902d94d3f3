/*
 * test_waterfall.c
 *		Property tests of the demand waterfall (doc/waterfall.md) on random
 *		stage histories: recycles, skips, exits, ties and duplicate rows,
 *		inserted in random row order.
 *
 * Independent formulations: the text form of every history is rebuilt here
 * in C (sort, merge repeated stages, format in UTC); funnel depth is
 * recomputed by brute force (the best chain over every start) and by a
 * separate transcription of ClickHouse's windowFunnel; the waterfall counts
 * and the days-to-next percentiles are recomputed in plain SQL with
 * percentile_cont.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver.h"

#define N_UNITS 600
#define MAX_EVENTS_PER_UNIT 40
#define N_LADDER 6
#define N_STAGES 8
#define BASE_EPOCH 1704067200LL		/* 2024-01-01 00:00:00 UTC */
#define WINDOW_SECS (3 * 86400LL)

static const char *const stage_names[N_STAGES] = {
	"inquiry", "mql", "sal", "sql", "opportunity", "won", "disqualified", "lost"
};

typedef struct Event
{
	int			unit;
	int			stage;
	long long	at;				/* seconds since the epoch */
} Event;

typedef struct Unit
{
	int			n;				/* events after sorting and merging */
	Event		events[MAX_EVENTS_PER_UNIT];
} Unit;

static Event all_events[N_UNITS * MAX_EVENTS_PER_UNIT];
static int	n_all;
static Unit units[N_UNITS + 1];

static int
cmp_event(const void *a, const void *b)
{
	const Event *x = a;
	const Event *y = b;

	if (x->unit != y->unit)
		return x->unit < y->unit ? -1 : 1;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return (x->stage > y->stage) - (x->stage < y->stage);
}

static void
add_event(int unit, int stage, long long at)
{
	all_events[n_all].unit = unit;
	all_events[n_all].stage = stage;
	all_events[n_all].at = at;
	n_all++;
}

/* a walk through the ladder with skips, recycles, exits, ties and repeats */
static void
generate(uint64_t *rng)
{
	int			u;

	n_all = 0;
	for (u = 1; u <= N_UNITS; u++)
	{
		int			n = rng_int(rng, 1, 14);
		int			position = rng_int(rng, 0, 2);
		long long	at = BASE_EPOCH + rng_int(rng, 0, 400 * 86400);
		int			i;

		add_event(u, position, at);
		for (i = 1; i < n; i++)
		{
			double		r = rng_uniform(rng);
			int			stage;

			if (r < 0.55)
			{
				stage = position + 1 + (rng_uniform(rng) < 0.2 ? rng_int(rng, 1, 2) : 0);
				if (stage >= N_LADDER)
					stage = N_LADDER - 1;
			}
			else if (r < 0.68)
				stage = position > 0 ? rng_int(rng, 0, position - 1) : 0;
			else if (r < 0.78)
				stage = rng_int(rng, N_LADDER, N_STAGES - 1);
			else if (r < 0.88)
				stage = all_events[n_all - 1].stage;	/* a repeated record */
			else
				stage = rng_int(rng, 0, N_STAGES - 1);
			if (stage < N_LADDER)
				position = stage;
			/* ties (same second) are common, gaps up to two weeks */
			r = rng_uniform(rng);
			if (r >= 0.6)
				at += rng_int(rng, 1, 14 * 86400);
			else if (r >= 0.15)
				at += rng_int(rng, 1, 86400);
			add_event(u, stage, at);
			if (rng_uniform(rng) < 0.05)
				add_event(u, stage, at);	/* an exact duplicate row */
		}
	}
}

/* the model: sort by (at, stage index), merge repeats of the stage before */
static void
build_model(void)
{
	Event	   *sorted = malloc(sizeof(Event) * n_all);
	int			i;

	memcpy(sorted, all_events, sizeof(Event) * n_all);
	qsort(sorted, n_all, sizeof(Event), cmp_event);
	memset(units, 0, sizeof(units));
	for (i = 0; i < n_all; i++)
	{
		Unit	   *unit = &units[sorted[i].unit];

		if (unit->n > 0 && unit->events[unit->n - 1].stage == sorted[i].stage)
			continue;
		unit->events[unit->n++] = sorted[i];
	}
	free(sorted);
}

static void
shuffle(uint64_t *rng)
{
	int			i;

	for (i = n_all - 1; i > 0; i--)
	{
		int			j = rng_int(rng, 0, i);
		Event		tmp = all_events[i];

		all_events[i] = all_events[j];
		all_events[j] = tmp;
	}
}

static void
load_events(PGconn *conn)
{
	size_t		cap = (size_t) n_all * 64 + 256;
	char	   *sql = malloc(cap);
	size_t		len;
	int			i;

	exec_ok(conn, "DROP TABLE IF EXISTS wf_ev");
	exec_ok(conn, "CREATE TABLE wf_ev (unit int, stage text, entered_at timestamptz)");
	len = snprintf(sql, cap, "INSERT INTO wf_ev VALUES ");
	for (i = 0; i < n_all; i++)
		len += snprintf(sql + len, cap - len, "%s(%d,'%s',to_timestamp(%lld))",
						i > 0 ? "," : "", all_events[i].unit,
						stage_names[all_events[i].stage], all_events[i].at);
	exec_ok(conn, sql);
	exec_ok(conn, "ANALYZE wf_ev");
	free(sql);
}

/* the text form of a model history */
static void
model_text(const Unit *unit, char *out, size_t cap)
{
	size_t		len;
	int			i;

	len = snprintf(out, cap,
				   "{\"ladder\":[\"inquiry\",\"mql\",\"sal\",\"sql\",\"opportunity\",\"won\"],"
				   "\"exits\":[\"disqualified\",\"lost\"],\"events\":[");
	for (i = 0; i < unit->n; i++)
	{
		time_t		t = (time_t) unit->events[i].at;
		struct tm	tm;
		char		when[64];

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S+00", &tm);
		len += snprintf(out + len, cap - len, "%s[\"%s\",\"%s\"]", i > 0 ? "," : "",
						stage_names[unit->events[i].stage], when);
	}
	snprintf(out + len, cap - len, "]}");
}

static void
check_histories(PGconn *conn, const char *sql, const char *what)
{
	PGresult   *res = query_ok(conn, sql);
	char		expected[MAX_EVENTS_PER_UNIT * 64 + 256];
	int			mismatches = 0;
	int			i;

	check(PQntuples(res) == N_UNITS, "%s: %d histories, expected %d", what,
		  PQntuples(res), N_UNITS);
	for (i = 0; i < PQntuples(res); i++)
	{
		int			u = atoi(PQgetvalue(res, i, 0));

		model_text(&units[u], expected, sizeof(expected));
		if (strcmp(PQgetvalue(res, i, 1), expected) != 0 && mismatches++ == 0)
			check(false, "%s: unit %d is %s, expected %s", what, u,
				  PQgetvalue(res, i, 1), expected);
	}
	check(mismatches == 0, "%s: %d histories differ from the model", what, mismatches);
	PQclear(res);
}

static void
set_parallel(PGconn *conn, bool on)
{
	if (on)
	{
		exec_ok(conn, "SET parallel_setup_cost = 0");
		exec_ok(conn, "SET parallel_tuple_cost = 0");
		exec_ok(conn, "SET min_parallel_table_scan_size = 0");
		exec_ok(conn, "SET max_parallel_workers_per_gather = 2");
		exec_ok(conn, "SET enable_hashagg = off");
	}
	else
	{
		exec_ok(conn, "RESET parallel_setup_cost");
		exec_ok(conn, "RESET parallel_tuple_cost");
		exec_ok(conn, "RESET min_parallel_table_scan_size");
		exec_ok(conn, "RESET max_parallel_workers_per_gather");
		exec_ok(conn, "RESET enable_hashagg");
	}
}

static bool
plan_has(PGconn *conn, const char *sql, const char *needle)
{
	char		explain[1024];
	PGresult   *res;
	bool		found = false;
	int			i;

	snprintf(explain, sizeof(explain), "EXPLAIN (COSTS OFF) %s", sql);
	res = query_ok(conn, explain);
	for (i = 0; i < PQntuples(res); i++)
		found |= strstr(PQgetvalue(res, i, 0), needle) != NULL;
	PQclear(res);
	return found;
}

/* the same history whatever the row order, serial or parallel */
static void
test_order_and_parallel(PGconn *conn)
{
	const char *grouped =
		"SELECT unit, attribution.stage_agg(stage, entered_at) FROM wf_ev GROUP BY unit";

	check_histories(conn, "SELECT unit, h::text FROM wf_h ORDER BY unit", "serial");
	check_histories(conn,
					"SELECT unit, attribution.stage_agg(stage, entered_at ORDER BY md5(stage || entered_at::text))::text "
					"FROM wf_ev GROUP BY unit ORDER BY unit", "shuffled order");
	check_histories(conn,
					"SELECT unit, attribution.stage_agg(stage, entered_at ORDER BY entered_at DESC, stage DESC)::text "
					"FROM wf_ev GROUP BY unit ORDER BY unit", "reverse order");
	set_parallel(conn, true);
	check(plan_has(conn, grouped, "Partial"), "the grouped stage_agg plan is partial");
	check_histories(conn,
					"SELECT unit, attribution.stage_agg(stage, entered_at)::text "
					"FROM wf_ev GROUP BY unit ORDER BY unit", "parallel");
	set_parallel(conn, false);
}

/* funnel depth by brute force: the deepest greedy chain over every start */
static int
funnel_brute_force(const Unit *unit, long long window, bool strict_increase)
{
	int			best = 0;
	int			s,
				i;

	for (s = 0; s < unit->n; s++)
	{
		int			level = 1;
		long long	last;

		if (unit->events[s].stage != 0)
			continue;
		last = unit->events[s].at;
		for (i = s + 1; i < unit->n && level < N_LADDER; i++)
		{
			const Event *e = &unit->events[i];

			if (e->at - unit->events[s].at > window)
				break;
			if (e->stage == level && (!strict_increase || e->at > last))
			{
				level++;
				last = e->at;
			}
		}
		if (level > best)
			best = level;
	}
	return best;
}

/*
 * ClickHouse's windowFunnel as its documentation and source describe it:
 * per level the (first, last) timestamps of the latest chain reaching it.
 */
static int
funnel_clickhouse(const Unit *unit, long long window, bool strict_increase, bool strict_order)
{
	bool		has[N_LADDER] = {false};
	long long	first[N_LADDER];
	long long	last[N_LADDER];
	bool		first_event = false;
	int			i,
				level;

	for (i = 0; i < unit->n; i++)
	{
		int			idx = unit->events[i].stage < N_LADDER ? unit->events[i].stage : -1;
		long long	t = unit->events[i].at;

		if (idx == -1)
		{
			if (strict_order && first_event)
				break;
			continue;
		}
		if (idx == 0)
		{
			has[0] = true;
			first[0] = last[0] = t;
			first_event = true;
		}
		else if (strict_order && first_event && !has[idx - 1])
		{
			for (level = 0; level < N_LADDER; level++)
				if (!has[level])
					return level;
		}
		else if (has[idx - 1])
		{
			bool		matched = t <= first[idx - 1] + window;

			if (strict_increase)
				matched = matched && last[idx - 1] < t;
			if (matched)
			{
				has[idx] = true;
				first[idx] = first[idx - 1];
				last[idx] = t;
				if (idx + 1 == N_LADDER)
					return N_LADDER;
			}
		}
	}
	for (level = N_LADDER; level > 0; level--)
		if (has[level - 1])
			return level;
	return 0;
}

static bool
has_ties(const Unit *unit)
{
	int			i;

	for (i = 1; i < unit->n; i++)
		if (unit->events[i].at == unit->events[i - 1].at)
			return true;
	return false;
}

static void
test_funnel_depth(PGconn *conn)
{
	PGresult   *res = query_ok(conn,
							   "SELECT unit, attribution.funnel_depth(h, '3 days'), "
							   "attribution.funnel_depth(h, '3 days', 'strict_increase'), "
							   "attribution.funnel_depth(h, '3 days', 'strict_order'), "
							   "attribution.funnel_depth(h, '3 days', 'strict_increase,strict_order') "
							   "FROM wf_h ORDER BY unit");
	int			bad[4] = {0, 0, 0, 0};
	int			ties_differ = 0;
	int			deep = 0;
	int			i;

	for (i = 0; i < PQntuples(res); i++)
	{
		int			u = atoi(PQgetvalue(res, i, 0));
		const Unit *unit = &units[u];
		int			got = atoi(PQgetvalue(res, i, 1));
		int			got_si = atoi(PQgetvalue(res, i, 2));
		int			got_so = atoi(PQgetvalue(res, i, 3));
		int			got_both = atoi(PQgetvalue(res, i, 4));
		int			brute = funnel_brute_force(unit, WINDOW_SECS, false);

		deep += got >= 3;
		if (got != brute || got != funnel_clickhouse(unit, WINDOW_SECS, false, false))
		{
			if (bad[0]++ == 0)
				check(false, "funnel_depth of unit %d is %d, brute force %d", u, got, brute);
		}
		if (got_si != funnel_clickhouse(unit, WINDOW_SECS, true, false) || got_si > got ||
			(!has_ties(unit) && got_si != got))
		{
			if (bad[1]++ == 0)
				check(false, "strict_increase funnel_depth of unit %d is %d", u, got_si);
		}
		ties_differ += got_si != got;
		if (got_so != funnel_clickhouse(unit, WINDOW_SECS, false, true) || got_so > got)
		{
			if (bad[2]++ == 0)
				check(false, "strict_order funnel_depth of unit %d is %d", u, got_so);
		}
		if (got_both != funnel_clickhouse(unit, WINDOW_SECS, true, true))
		{
			if (bad[3]++ == 0)
				check(false, "strict_increase,strict_order funnel_depth of unit %d is %d", u, got_both);
		}
	}
	check(bad[0] == 0, "funnel_depth agrees with brute force and windowFunnel (%d differ)", bad[0]);
	check(bad[1] == 0, "strict_increase agrees with windowFunnel (%d differ)", bad[1]);
	check(bad[2] == 0, "strict_order agrees with windowFunnel (%d differ)", bad[2]);
	check(bad[3] == 0, "both strict modes agree with windowFunnel (%d differ)", bad[3]);
	check(deep > N_UNITS / 20 && ties_differ > 0,
		  "the data exercise the funnel (%d units at depth >= 3, %d changed by strict_increase)",
		  deep, ties_differ);
	PQclear(res);
}

/* plain SQL: the events sorted, repeats merged, the position before each event */
static const char *const model_sql =
"WITH l(stage, rank, is_exit) AS (VALUES ('inquiry', 0, false), ('mql', 1, false), "
"  ('sal', 2, false), ('sql', 3, false), ('opportunity', 4, false), ('won', 5, false), "
"  ('disqualified', 6, true), ('lost', 7, true)), "
"e AS (SELECT DISTINCT v.unit, l.rank, l.is_exit, v.entered_at FROM wf_ev v JOIN l USING (stage)), "
"o AS (SELECT e.*, lag(rank) OVER (PARTITION BY unit ORDER BY entered_at, rank) AS prev FROM e), "
"c AS (SELECT unit, rank, is_exit, entered_at FROM o WHERE prev IS DISTINCT FROM rank), "
"n AS (SELECT c.*, count(*) FILTER (WHERE NOT is_exit) OVER (PARTITION BY unit "
"        ORDER BY entered_at, rank ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before FROM c), "
"lad AS (SELECT unit, rank, row_number() OVER (PARTITION BY unit ORDER BY entered_at, rank) AS nth "
"        FROM c WHERE NOT is_exit), "
"p AS (SELECT n.*, lad.rank AS pos FROM n LEFT JOIN lad ON lad.unit = n.unit AND lad.nth = n.before), "
"u AS (SELECT unit, max(rank) FILTER (WHERE NOT is_exit) AS furthest, "
"        (array_agg(rank ORDER BY entered_at DESC, rank DESC))[1] AS current FROM c GROUP BY unit), "
"rec AS (SELECT DISTINCT unit, pos FROM p WHERE NOT is_exit AND rank <= pos), "
"reach AS (SELECT u.unit, k.rank AS k, min(c.entered_at) AS at FROM u CROSS JOIN l k "
"        LEFT JOIN c ON c.unit = u.unit AND NOT c.is_exit AND c.rank >= k.rank "
"        WHERE NOT k.is_exit GROUP BY u.unit, k.rank), "
"d AS (SELECT a.k, (extract(epoch FROM b.at - a.at) / 86400)::float8 AS days FROM reach a "
"        JOIN reach b ON b.unit = a.unit AND b.k = a.k + 1 WHERE b.at IS NOT NULL), "
"pct AS (SELECT k, percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median, "
"        percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS p90 FROM d GROUP BY k) ";

static void
test_report_counts(PGconn *conn)
{
	char		sql[8192];
	PGresult   *res;
	int			bad = 0;
	int			recycles = 0;
	int			i;

	snprintf(sql, sizeof(sql),
			 "%s, recm AS (SELECT pos AS rank, count(*) AS recycled FROM rec GROUP BY pos), "
			 "model AS (SELECT k.rank, k.stage, "
			 "  count(*) FILTER (WHERE u.furthest >= k.rank) AS reached, "
			 "  count(*) FILTER (WHERE u.furthest > k.rank) AS advanced, "
			 "  coalesce(min(recm.recycled), 0) AS recycled, "
			 "  count(*) FILTER (WHERE u.furthest = k.rank AND u.current >= 6) AS disqualified, "
			 "  count(*) FILTER (WHERE u.furthest = k.rank AND u.current < 6) AS still_open, "
			 "  min(pct.median) AS median, min(pct.p90) AS p90 "
			 "  FROM l k CROSS JOIN u LEFT JOIN recm ON recm.rank = k.rank "
			 "  LEFT JOIN pct ON pct.k = k.rank WHERE NOT k.is_exit GROUP BY k.rank, k.stage) "
			 "SELECT m.stage, r.stage, m.reached = r.reached, "
			 "  m.advanced = r.advanced OR (m.rank = 5 AND r.advanced IS NULL), "
			 "  m.recycled = r.recycled, m.disqualified = r.disqualified, "
			 "  m.still_open = r.still_open OR (m.rank = 5 AND r.still_open IS NULL), "
			 "  r.conversion_rate IS NOT DISTINCT FROM (CASE WHEN m.rank < 5 AND m.reached > 0 "
			 "    THEN m.advanced::float8 / m.reached END), "
			 "  m.median IS NULL AND r.median_days_to_next IS NULL "
			 "    OR abs(r.median_days_to_next - m.median) <= 0.005 * m.median + 1e-12, "
			 "  m.p90 IS NULL AND r.p90_days_to_next IS NULL "
			 "    OR abs(r.p90_days_to_next - m.p90) <= 0.005 * m.p90 + 1e-12, "
			 "  m.recycled, m.median, r.median_days_to_next, m.p90, r.p90_days_to_next "
			 "FROM model m JOIN (SELECT r.*, o - 1 AS rank FROM wf_ws, "
			 "  attribution.waterfall_report(ws) WITH ORDINALITY r(stage, reached, advanced, "
			 "  conversion_rate, cumulative_rate, recycled, disqualified, still_open, "
			 "  median_days_to_next, p90_days_to_next, o)) r USING (rank) ORDER BY m.rank",
			 model_sql);
	res = query_ok(conn, sql);
	check(PQntuples(res) == N_LADDER, "waterfall_report has one row per ladder stage");
	for (i = 0; i < PQntuples(res); i++)
	{
		int			col;

		recycles += atoi(PQgetvalue(res, i, 10));
		if (strcmp(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1)) != 0)
			bad++;
		for (col = 2; col <= 9; col++)
		{
			if (strcmp(PQgetvalue(res, i, col), "t") != 0)
			{
				bad++;
				check(false, "waterfall_report stage %s column %d disagrees with plain SQL "
					  "(median %s vs %s, p90 %s vs %s)", PQgetvalue(res, i, 0), col,
					  PQgetvalue(res, i, 11), PQgetvalue(res, i, 12),
					  PQgetvalue(res, i, 13), PQgetvalue(res, i, 14));
			}
		}
	}
	check(bad == 0, "waterfall_report agrees with the plain SQL computation and percentile_cont");
	check(recycles > 0, "the data contain recycles (%d)", recycles);
	PQclear(res);

	snprintf(sql, sizeof(sql),
			 "%s SELECT count(*) FILTER (WHERE x.units = (SELECT count(*) FROM u "
			 "  WHERE u.furthest = k.rank AND u.current = e.rank)), count(*), sum(x.units) "
			 "FROM wf_ws, attribution.waterfall_exits(ws) x JOIN l k ON k.stage = x.stage "
			 "JOIN l e ON e.stage = x.exit_stage", model_sql);
	res = query_ok(conn, sql);
	check(strcmp(PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1)) == 0 &&
		  atoi(PQgetvalue(res, 0, 1)) == N_LADDER * 2 && atoi(PQgetvalue(res, 0, 2)) > 0,
		  "waterfall_exits agrees with plain SQL (%s of %s rows, %s units)",
		  PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	PQclear(res);
}

static bool
query_is_true(PGconn *conn, const char *sql)
{
	PGresult   *res = query_ok(conn, sql);
	bool		ok = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;

	PQclear(res);
	return ok;
}

/* merged rollups, any order, parallel: the same summary */
static void
test_summary_properties(PGconn *conn)
{
	const char *parallel_agg = "SELECT attribution.waterfall_agg(h) FROM wf_h";

	check(query_is_true(conn,
						"SELECT attribution.merge(ws)::text = (SELECT ws::text FROM wf_ws) FROM "
						"(SELECT attribution.waterfall_agg(h) AS ws FROM wf_h GROUP BY unit % 7) s"),
		  "merged partial summaries equal the whole summary");
	check(query_is_true(conn,
						"SELECT attribution.merge(ws ORDER BY md5(ws::text))::text = (SELECT ws::text FROM wf_ws) FROM "
						"(SELECT attribution.waterfall_agg(h) AS ws FROM wf_h GROUP BY unit % 13) s"),
		  "merging in any order gives the same summary");
	check(query_is_true(conn,
						"SELECT attribution.waterfall_agg(h ORDER BY md5(h::text))::text = "
						"(SELECT ws::text FROM wf_ws) FROM wf_h"),
		  "waterfall_agg in any order gives the same summary");
	set_parallel(conn, true);
	check(plan_has(conn, parallel_agg, "Partial Aggregate"), "the waterfall_agg plan is partial");
	check(query_is_true(conn,
						"SELECT attribution.waterfall_agg(h)::text = (SELECT ws::text FROM wf_ws) FROM wf_h"),
		  "parallel waterfall_agg equals the serial one");
	set_parallel(conn, false);
}

static Oid
type_oid(PGconn *conn, const char *name)
{
	char		sql[256];
	PGresult   *res;
	Oid			oid;

	snprintf(sql, sizeof(sql), "SELECT '%s'::regtype::oid", name);
	res = query_ok(conn, sql);
	oid = (Oid) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return oid;
}

/* run sql with one binary parameter; returns the result (caller clears) */
static PGresult *
exec_binary_param(PGconn *conn, const char *sql, Oid type, const char *data, int len)
{
	const char *values[1] = {data};
	int			lengths[1] = {len};
	int			formats[1] = {1};

	return PQexecParams(conn, sql, 1, &type, values, lengths, formats, 0);
}

static bool
fails_with(PGresult *res, const char *sqlstate)
{
	const char *got = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return PQresultStatus(res) == PGRES_FATAL_ERROR && got != NULL && strcmp(got, sqlstate) == 0;
}

/* binary round trips, malformed binary values, and random damage */
static void
test_binary(PGconn *conn, uint64_t *rng)
{
	Oid			history_oid = type_oid(conn, "attribution.stage_history");
	Oid			summary_oid = type_oid(conn, "attribution.waterfall_summary");
	PGresult   *res = PQexecParams(conn, "SELECT h, h::text FROM wf_h WHERE unit % 10 = 0 ORDER BY unit",
								   0, NULL, NULL, NULL, NULL, 1);
	int			round_trips = 0;
	int			crashes = 0;
	char	   *sample = NULL;
	int			sample_len = 0;
	int			i;

	if (!check(PQresultStatus(res) == PGRES_TUPLES_OK, "binary select of histories"))
		return;
	for (i = 0; i < PQntuples(res); i++)
	{
		PGresult   *back = exec_binary_param(conn, "SELECT $1::text", history_oid,
											 PQgetvalue(res, i, 0), PQgetlength(res, i, 0));

		if (PQresultStatus(back) == PGRES_TUPLES_OK &&
			strncmp(PQgetvalue(back, 0, 0), PQgetvalue(res, i, 1), PQgetlength(res, i, 1)) == 0)
			round_trips++;
		PQclear(back);
		if (PQgetlength(res, i, 0) > sample_len)
		{
			sample_len = PQgetlength(res, i, 0);
			sample = PQgetvalue(res, i, 0);
		}
	}
	check(round_trips == PQntuples(res), "binary round trips of stage_history: %d of %d",
		  round_trips, PQntuples(res));

	if (sample != NULL)
	{
		char	   *bad = malloc(sample_len);
		PGresult   *r;

		memcpy(bad, sample, sample_len);
		bad[0] = 9;				/* unknown version */
		r = exec_binary_param(conn, "SELECT $1::text", history_oid, bad, sample_len);
		check(fails_with(r, "22P03"), "a stage_history of unknown version is rejected");
		PQclear(r);
		r = exec_binary_param(conn, "SELECT $1::text", history_oid, sample, sample_len - 3);
		check(fails_with(r, "22P03"), "a truncated stage_history is rejected");
		PQclear(r);
		memcpy(bad, sample, sample_len);
		bad[sample_len - 9] = (char) 200;	/* the last event's stage index */
		r = exec_binary_param(conn, "SELECT $1::text", history_oid, bad, sample_len);
		check(fails_with(r, "22P03"), "a stage_history with a stage out of range is rejected");
		PQclear(r);
		memcpy(bad, sample, sample_len);
		memset(bad + sample_len - 8, 0xff, 8);	/* the last time: infinity */
		bad[sample_len - 8] = 0x7f;
		r = exec_binary_param(conn, "SELECT $1::text", history_oid, bad, sample_len);
		check(fails_with(r, "22P03"), "a stage_history with a time out of range is rejected");
		PQclear(r);

		/* random damage: an error or a valid value, never a crash */
		for (i = 0; i < 300; i++)
		{
			memcpy(bad, sample, sample_len);
			bad[rng_int(rng, 0, sample_len - 1)] = (char) rng_int(rng, 0, 255);
			r = exec_binary_param(conn, "SELECT $1::text", history_oid, bad, sample_len);
			PQclear(r);
		}
		crashes += PQstatus(conn) != CONNECTION_OK;
		free(bad);
	}
	PQclear(res);

	res = PQexecParams(conn, "SELECT ws, ws::text FROM wf_ws", 0, NULL, NULL, NULL, NULL, 1);
	if (check(PQresultStatus(res) == PGRES_TUPLES_OK, "binary select of the summary"))
	{
		int			len = PQgetlength(res, 0, 0);
		char	   *bad = malloc(len);
		PGresult   *back = exec_binary_param(conn, "SELECT $1::text", summary_oid,
											 PQgetvalue(res, 0, 0), len);

		check(PQresultStatus(back) == PGRES_TUPLES_OK &&
			  strcmp(PQgetvalue(back, 0, 0), PQgetvalue(res, 0, 1)) == 0,
			  "binary round trip of waterfall_summary");
		PQclear(back);
		memcpy(bad, PQgetvalue(res, 0, 0), len);
		bad[0] = 9;
		back = exec_binary_param(conn, "SELECT $1::text", summary_oid, bad, len);
		check(fails_with(back, "22P03"), "a waterfall_summary of unknown version is rejected");
		PQclear(back);
		for (i = 0; i < 300; i++)
		{
			memcpy(bad, PQgetvalue(res, 0, 0), len);
			bad[rng_int(rng, 0, len - 1)] = (char) rng_int(rng, 0, 255);
			back = exec_binary_param(conn, "SELECT attribution.waterfall_report($1)", summary_oid, bad, len);
			PQclear(back);
		}
		crashes += PQstatus(conn) != CONNECTION_OK;
		free(bad);
	}
	PQclear(res);
	check(crashes == 0 && query_is_true(conn, "SELECT true"),
		  "randomly damaged binary values never crash the server");
}

/* random damage to text forms: an error or a valid value, never a crash */
static void
test_text_damage(PGconn *conn, uint64_t *rng)
{
	PGresult   *res = query_ok(conn,
							   "SELECT (SELECT h::text FROM wf_h ORDER BY length(h::text) DESC LIMIT 1), "
							   "(SELECT ws::text FROM wf_ws)");
	const char *types[2] = {"attribution.stage_history", "attribution.waterfall_summary"};
	const char *punct = "{}[]\",:0123456789-+. ex";
	int			t,
				i;

	for (t = 0; t < 2; t++)
	{
		const char *orig = PQgetvalue(res, 0, t);
		size_t		len = strlen(orig);
		char	   *copy = malloc(len + 1);
		char		sql[256];

		snprintf(sql, sizeof(sql), "SELECT $1::%s::text", types[t]);
		for (i = 0; i < 300; i++)
		{
			const char *values[1] = {copy};
			PGresult   *r;

			memcpy(copy, orig, len + 1);
			copy[rng_int(rng, 0, (int) len - 1)] = punct[rng_int(rng, 0, (int) strlen(punct) - 1)];
			r = PQexecParams(conn, sql, 1, NULL, values, NULL, NULL, 0);
			PQclear(r);
		}
		free(copy);
	}
	PQclear(res);
	check(PQstatus(conn) == CONNECTION_OK && query_is_true(conn, "SELECT true"),
		  "randomly damaged text values never crash the server");
}

void
test_waterfall(PGconn *conn)
{
	uint64_t	rng = 0x5eed0004ULL;

	exec_ok(conn, "SET timezone = 'UTC'");
	generate(&rng);
	build_model();
	shuffle(&rng);
	load_events(conn);
	exec_ok(conn, "DROP TABLE IF EXISTS wf_h, wf_ws");
	exec_ok(conn, "CREATE TABLE wf_h AS SELECT unit, attribution.stage_agg(stage, entered_at) AS h "
			"FROM wf_ev GROUP BY unit");
	exec_ok(conn, "ANALYZE wf_h");
	exec_ok(conn, "CREATE TABLE wf_ws AS SELECT attribution.waterfall_agg(h) AS ws FROM wf_h");

	test_order_and_parallel(conn);
	test_funnel_depth(conn);
	test_report_counts(conn);
	test_summary_properties(conn);
	test_binary(conn, &rng);
	test_text_damage(conn, &rng);
	exec_ok(conn, "DROP TABLE wf_ev, wf_h, wf_ws");
}
