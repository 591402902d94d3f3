/*
 * test_cancel.c
 *		Cancellation: a function that works long inside one call (a final
 *		function, a solver, the input or output of a huge value, a
 *		set-returning function over one) stops promptly when the statement
 *		times out.  Each case first runs without a time limit (it must take
 *		long enough for the test to tell a prompt stop from a late one:
 *		it is repeated more times until it does), then
 *		with statement_timeout = 100ms, and once more cancelled from another
 *		connection with pg_cancel_backend() 100 ms after it started: each
 *		time it must fail with query_canceled (57014) within CANCEL_LIMIT_MS
 *		of its start.  A loop without CHECK_FOR_INTERRUPTS() shows as a late
 *		stop: the cancel request is noticed only when the call ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"

#define TIMEOUT_MS 100
#define CANCEL_LIMIT_MS 400
/* a case must run at least this long untimed for a late stop to show */
#define MIN_UNTIMED_MS (2 * CANCEL_LIMIT_MS)
#define MAX_REPS 1000
#define Min(a, b) ((a) < (b) ? (a) : (b))

typedef struct CancelCase
{
	const char *what;
	const char *query;
} CancelCase;

/* the big values the cases work on, built once (without a time limit) */
static const char *const setup_sql[] = {
	"DROP SCHEMA IF EXISTS cancel CASCADE",
	"CREATE SCHEMA cancel",
	/*
	 * The values are stored uncompressed: decompressing tens of megabytes is
	 * the server's work, which no timeout interrupts, and would blur the
	 * measure of ours.
	 */
	"CREATE TABLE cancel.credits (cc attribution.channel_credits)",
	"CREATE TABLE cancel.credits_text (t text)",
	"CREATE TABLE cancel.history (h attribution.stage_history)",
	"CREATE TABLE cancel.history_text (t text)",
	"ALTER TABLE cancel.credits ALTER cc SET STORAGE external",
	"ALTER TABLE cancel.credits_text ALTER t SET STORAGE external",
	"ALTER TABLE cancel.history ALTER h SET STORAGE external",
	"ALTER TABLE cancel.history_text ALTER t SET STORAGE external",
	/* one channel_credits value of 1,000,000 channels (the most a value may hold) */
	"INSERT INTO cancel.credits SELECT attribution.sum(format('{\"channel number %s\": 0.5}', g)"
	"::attribution.channel_credits) FROM generate_series(1, 1000000) g",
	"INSERT INTO cancel.credits_text SELECT cc::text FROM cancel.credits",
	/* one stage history of 2,000,000 events */
	"INSERT INTO cancel.history SELECT attribution.stage_agg((ARRAY['inquiry', 'mql', 'sal', 'inquiry', 'lost'])"
	"[1 + g % 5], timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute') "
	"FROM generate_series(1, 2000000) g",
	"INSERT INTO cancel.history_text SELECT h::text FROM cancel.history",
	/* many small journeys for the summary path */
	"CREATE TABLE cancel.touches AS SELECT g / 2 AS journey_id, "
	"timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' AS touched_at, "
	"(ARRAY['email', 'web', 'direct'])[1 + g % 3] AS channel FROM generate_series(1, 1000000) g",
	"ANALYZE cancel.touches",
	/* a path summary of 50,000 paths of 3 to 12 touches over 40 channels */
	"CREATE TABLE cancel.paths AS SELECT attribution.path_agg(p, g % 3 = 0) AS ps FROM (SELECT g, "
	"ARRAY(SELECT 'c' || (abs(hashint8(g * 100 + k)) % 40) FROM generate_series(1, 3 + g % 10) k) AS p "
	"FROM generate_series(1, 50000) g) x",
	/*
	 * A journey of 10,000 touches, each in a channel of its own, and a
	 * direct_channels list of 200,000 names (every tenth channel of the
	 * journey among them): matching the list against the journey's channels
	 * name by name takes 2 billion comparisons.
	 */
	"CREATE TABLE cancel.wide_journey (j attribution.journey)",
	"ALTER TABLE cancel.wide_journey ALTER j SET STORAGE external",
	"INSERT INTO cancel.wide_journey SELECT attribution.journey_agg(timestamptz '2024-01-01 00:00:00+00' "
	"+ g * interval '1 minute', 'channel ' || g) FROM generate_series(1, 10000) g",
	"CREATE TABLE cancel.direct_list (names text[])",
	"ALTER TABLE cancel.direct_list ALTER names SET STORAGE external",
	"INSERT INTO cancel.direct_list SELECT array_agg(CASE WHEN g % 20 = 0 THEN 'channel ' || (g / 20) "
	"ELSE 'other ' || g END) FROM generate_series(1, 200000) g",
	/*
	 * A path summary of 12,000 paths over some 17,500 channels whose chain
	 * of order 2 has some 30,000 states, nearly all of them components of
	 * their own: the removal effects solve the chain once per channel.
	 */
	"CREATE TABLE cancel.wide_paths AS SELECT attribution.path_agg(p, g % 4 = 0) AS ps FROM (SELECT g, "
	"ARRAY(SELECT 'w' || (abs(hashint8(g * 100 + k)) % 20000) FROM generate_series(1, 2 + g % 4) k) AS p "
	"FROM generate_series(1, 12000) g) x",
};

/* %d: the repetitions, raised until the untimed run takes MIN_UNTIMED_MS */
static const CancelCase cases[] = {
	{"each() over a value of 1,000,000 channels",
		"SELECT count(*) FROM generate_series(1, %d) r, cancel.credits, "
	"attribution.each(CASE WHEN r > 0 THEN cc END)"},
	{"output of a channel_credits value of 1,000,000 channels",
	"SELECT sum(length((CASE WHEN r > 0 THEN cc END)::text)) FROM generate_series(1, %d) r, cancel.credits"},
	{"input of a channel_credits literal of 1,000,000 channels",
		"SELECT count((CASE WHEN r > 0 THEN t END)::attribution.channel_credits) "
	"FROM generate_series(1, %d) r, cancel.credits_text"},
	{"sum() of values of 1,000,000 channels",
	"SELECT attribution.sum(cc) IS NULL FROM generate_series(1, %d) r, cancel.credits"},
	{"transitions() of a history of 2,000,000 events",
		"SELECT count(*) FROM generate_series(1, %d) r, cancel.history, "
	"attribution.transitions(CASE WHEN r > 0 THEN h END)"},
	{"output of a stage history of 2,000,000 events",
	"SELECT sum(length((CASE WHEN r > 0 THEN h END)::text)) FROM generate_series(1, %d) r, cancel.history"},
	{"input of a stage history literal of 2,000,000 events",
		"SELECT count((CASE WHEN r > 0 THEN t END)::attribution.stage_history) "
	"FROM generate_series(1, %d) r, cancel.history_text"},
	{"credit_by_channel() over 500,000 journeys",
		"SELECT attribution.credit_by_channel(journey_id + r * 10000000, 'position_based', touched_at, channel) IS NULL "
	"FROM generate_series(1, %d) r, cancel.touches"},
	{"journey_agg() of a 100,000-touch journey and its time-decay credits",
		"SELECT sum(c.credit) FROM generate_series(1, %d) r, LATERAL (SELECT attribution.journey_agg("
		"timestamptz '2024-01-01 00:00:00+00' + (g * 7919 % 100000) * interval '1 second', 'c' || (g % 50)) j "
	"FROM generate_series(1, 100000 + r - r) g) s, attribution.credits(s.j, 'time_decay') c"},
	{"markov() of order 3 over 50,000 paths of 40 channels",
		"SELECT count(*) FROM generate_series(1, %d) r, cancel.paths, "
	"attribution.markov(CASE WHEN r > 0 THEN ps END, 3)"},
	{"credits() of a journey of 10,000 channels with 200,000 direct_channels",
		"SELECT count(*) FROM generate_series(1, %d) r, cancel.wide_journey, cancel.direct_list, "
	"attribution.credits(CASE WHEN r > 0 THEN j END, 'last_non_direct', direct_channels => names)"},
	{"markov() of order 2 over 17,500 channels, mostly single-state components",
		"SELECT count(*) FROM generate_series(1, %d) r, cancel.wide_paths, "
	"attribution.markov(CASE WHEN r > 0 THEN ps END, 2)"},
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* run sql; returns its SQLSTATE ("00000" on success) and the elapsed time */
static void
timed(PGconn *conn, const char *sql, char *sqlstate, double *elapsed_ms, char **message)
{
	double		start = now_ms();
	PGresult   *res = PQexec(conn, sql);
	ExecStatusType status = PQresultStatus(res);

	*elapsed_ms = now_ms() - start;
	if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
		strcpy(sqlstate, "00000");
	else
	{
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		snprintf(sqlstate, 6, "%s", state ? state : "?????");
	}
	*message = strdup(PQerrorMessage(conn));
	PQclear(res);
}

/*
 * Run sql on conn and cancel it from another connection with
 * pg_cancel_backend() after TIMEOUT_MS; returns like timed().
 */
static void
cancelled(PGconn *conn, PGconn *other, int pid, const char *sql, char *sqlstate,
		  double *elapsed_ms, char **message)
{
	double		start = now_ms();
	char		cancel_sql[64];
	PGresult   *res;
	PGresult   *last = NULL;

	if (!PQsendQuery(conn, sql))
	{
		strcpy(sqlstate, "?????");
		*elapsed_ms = 0;
		*message = strdup(PQerrorMessage(conn));
		return;
	}
	usleep(TIMEOUT_MS * 1000);
	snprintf(cancel_sql, sizeof(cancel_sql), "SELECT pg_cancel_backend(%d)", pid);
	PQclear(query_ok(other, cancel_sql));
	while ((res = PQgetResult(conn)) != NULL)
	{
		if (last)
			PQclear(last);
		last = res;
	}
	*elapsed_ms = now_ms() - start;
	if (last && (PQresultStatus(last) == PGRES_TUPLES_OK || PQresultStatus(last) == PGRES_COMMAND_OK))
		strcpy(sqlstate, "00000");
	else
	{
		const char *state = last ? PQresultErrorField(last, PG_DIAG_SQLSTATE) : NULL;

		snprintf(sqlstate, 6, "%s", state ? state : "?????");
	}
	*message = strdup(PQerrorMessage(conn));
	if (last)
		PQclear(last);
}

/* a second connection to the same database, for pg_cancel_backend() */
static PGconn *
second_connection(PGconn *conn)
{
	const char *keywords[] = {"host", "port", "user", "dbname", NULL};
	const char *values[] = {PQhost(conn), PQport(conn), PQuser(conn), PQdb(conn), NULL};
	PGconn	   *other = PQconnectdbParams(keywords, values, 0);

	if (PQstatus(other) != CONNECTION_OK)
	{
		fprintf(stderr, "cancel: cannot open a second connection: %s", PQerrorMessage(other));
		exit(2);
	}
	return other;
}

/* the attribution.* functions a query calls all exist */
static bool
functions_exist(PGconn *conn, const char *sql)
{
	const char *p = sql;

	while ((p = strstr(p, "attribution.")) != NULL)
	{
		char		query[256];
		PGresult   *res;
		bool		found;
		int			n = 0;

		p += strlen("attribution.");
		while ((p[n] >= 'a' && p[n] <= 'z') || p[n] == '_')
			n++;
		if (n == 0 || p[n] != '(')
			continue;
		snprintf(query, sizeof(query),
				 "SELECT 1 FROM pg_proc WHERE proname = '%.*s' AND pronamespace = 'attribution'::regnamespace",
				 n, p);
		res = query_ok(conn, query);
		found = PQntuples(res) > 0;
		PQclear(res);
		if (!found)
			return false;
	}
	return true;
}

void
test_cancel(PGconn *conn)
{
	size_t		i;
	char		sql[64];
	PGconn	   *other = second_connection(conn);
	int			pid = PQbackendPID(conn);

	exec_ok(conn, "SET client_min_messages = warning");
	for (i = 0; i < sizeof(setup_sql) / sizeof(setup_sql[0]); i++)
	{
		/* values of the types whose functions this version has */
		if (functions_exist(conn, setup_sql[i]))
			exec_ok(conn, setup_sql[i]);
	}
	/* the timed runs are serial: one backend doing the work */
	exec_ok(conn, "SET max_parallel_workers_per_gather = 0");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const CancelCase *c = &cases[i];
		char		state[6];
		double		untimed_ms;
		double		timed_ms;
		char	   *message;
		char		query[1024];
		int			reps = 1;
		int			attempt;

		if (!functions_exist(conn, c->query))
		{
			printf("cancel: %s: skipped (this version lacks a function it calls)\n", c->what);
			continue;
		}
		exec_ok(conn, "SET statement_timeout = 0");
		for (attempt = 0; attempt < 6; attempt++)
		{
			snprintf(query, sizeof(query), c->query, reps);
			timed(conn, query, state, &untimed_ms, &message);
			if (strcmp(state, "00000") != 0 || untimed_ms >= MIN_UNTIMED_MS)
				break;
			free(message);
			message = NULL;
			/*
			 * too quick to tell: more repetitions, with room to spare, as a
			 * first run on a busy machine can take longer than the next
			 */
			reps = Min(MAX_REPS, (int) (reps * 2.0 * MIN_UNTIMED_MS / (untimed_ms > 1 ? untimed_ms : 1)) + 1);
		}
		check(strcmp(state, "00000") == 0, "%s runs without a time limit: %s", c->what,
			  message ? message : "");
		free(message);
		check(untimed_ms >= MIN_UNTIMED_MS,
			  "%s runs long enough (%.0f ms in %d repetitions, at least %d ms) to tell a prompt stop from a late one",
			  c->what, untimed_ms, reps, MIN_UNTIMED_MS);

		snprintf(sql, sizeof(sql), "SET statement_timeout = %d", TIMEOUT_MS);
		exec_ok(conn, sql);
		timed(conn, query, state, &timed_ms, &message);
		exec_ok(conn, "SET statement_timeout = 0");
		printf("cancel: %s: %.0f ms untimed (%d repetitions), stopped after %.0f ms (%s)\n", c->what,
			   untimed_ms, reps, timed_ms, state);
		check(strcmp(state, "57014") == 0, "%s with statement_timeout = %d ms fails with 57014, not %s: %s",
			  c->what, TIMEOUT_MS, state, message);
		check(timed_ms <= CANCEL_LIMIT_MS, "%s stops within %d ms of its start (took %.0f ms)",
			  c->what, CANCEL_LIMIT_MS, timed_ms);
		free(message);

		cancelled(conn, other, pid, query, state, &timed_ms, &message);
		printf("cancel: %s: cancelled by pg_cancel_backend() after %d ms, stopped after %.0f ms (%s)\n",
			   c->what, TIMEOUT_MS, timed_ms, state);
		check(strcmp(state, "57014") == 0, "%s cancelled by pg_cancel_backend() fails with 57014, not %s: %s",
			  c->what, state, message);
		check(timed_ms <= CANCEL_LIMIT_MS,
			  "%s cancelled by pg_cancel_backend() stops within %d ms of its start (took %.0f ms)",
			  c->what, CANCEL_LIMIT_MS, timed_ms);
		free(message);
	}
	PQfinish(other);
	exec_ok(conn, "DROP SCHEMA cancel CASCADE");
}
