/*
 * driver.c
 *		Runs the libpq tests against one database:
 *			test/driver "dbname=postgres" [tests]
 *		tests: comma-separated test names to run, or "-name" to leave one out.
 *		Connection parameters not in the string come from PGHOST, PGPORT, ...
 *		The extension is created afresh in a scratch database.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

typedef struct DriverTest
{
	const char *name;
	void		(*run) (PGconn *conn);
} DriverTest;

static const DriverTest tests[] = {
	{"rule_models", test_rule_models},
	{"types", test_types},
	{"waterfall", test_waterfall},
	{"paths", test_paths},
	{"markov", test_markov_many},
	{"reporting", test_reporting},
	{"fuzz", test_fuzz},
	{"cancel", test_cancel},
};

static int	n_passed;
static int	n_failed;
static const char *current_test = "";

bool
check(bool ok, const char *fmt,...)
{
	va_list		args;

	if (ok)
	{
		n_passed++;
		return true;
	}
	n_failed++;
	printf("FAILED [%s]: ", current_test);
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	printf("\n");
	fflush(stdout);
	return false;
}

static void
die(PGconn *conn, const char *what, const char *sql)
{
	fprintf(stderr, "FATAL [%s]: %s: %s\n%s\n", current_test, what,
			conn ? PQerrorMessage(conn) : "", sql ? sql : "");
	printf("%d passed, %d failed\n", n_passed, n_failed + 1);
	exit(1);
}

void
exec_ok(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);
	ExecStatusType status = PQresultStatus(res);

	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
		die(conn, "statement failed", sql);
	PQclear(res);
}

PGresult *
query_ok(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die(conn, "query failed", sql);
	return res;
}

bool
exec_fails(PGconn *conn, const char *sql, const char *sqlstate)
{
	PGresult   *res = PQexec(conn, sql);
	const char *got = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	bool		ok = PQresultStatus(res) == PGRES_FATAL_ERROR &&
		got != NULL && strcmp(got, sqlstate) == 0;

	check(ok, "expected SQLSTATE %s, got %s from: %s", sqlstate,
		  got ? got : "success", sql);
	PQclear(res);
	return ok;
}

uint64_t
rng_next(uint64_t *state)
{
	uint64_t	z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double
rng_uniform(uint64_t *state)
{
	return (rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

int
rng_int(uint64_t *state, int lo, int hi)
{
	return lo + (int) (rng_next(state) % (uint64_t) (hi - lo + 1));
}

/*
 * Is the test selected by the list (comma-separated names; "-name" leaves
 * a test out; no list or only exclusions: every other test)?
 */
static bool
selected(const char *list, const char *name)
{
	bool		included = false;
	bool		any_inclusion = false;
	const char *p = list;

	while (p && *p)
	{
		const char *end = strchr(p, ',');
		size_t		len = end ? (size_t) (end - p) : strlen(p);
		bool		exclude = *p == '-';
		const char *item = exclude ? p + 1 : p;
		size_t		item_len = exclude ? len - 1 : len;
		bool		match = strlen(name) == item_len && strncmp(item, name, item_len) == 0;

		if (exclude && match)
			return false;
		if (!exclude)
		{
			any_inclusion = true;
			included = included || match;
		}
		p = end ? end + 1 : NULL;
	}
	return included || !any_inclusion;
}

static PGconn *
connect_or_die(const char *conninfo)
{
	PGconn	   *conn = PQconnectdb(conninfo);

	if (PQstatus(conn) != CONNECTION_OK)
		die(conn, "cannot connect", conninfo);
	return conn;
}

/*
 * The combine functions of the aggregates whose partial states grow with
 * their input carry planner costs that keep the tests' small tables serial
 * whatever the parallel settings; in the scratch database they cost 1, so
 * that the tests that ask for parallel plans get them.
 */
static void
allow_parallel_aggregates(PGconn *conn)
{
	exec_ok(conn,
			"DO $$ DECLARE f regprocedure; BEGIN "
			"FOR f IN SELECT DISTINCT a.aggcombinefn::regprocedure FROM pg_aggregate a "
			"JOIN pg_proc p ON p.oid = a.aggcombinefn "
			"WHERE p.pronamespace = 'attribution'::regnamespace AND p.procost > 1 LOOP "
			"EXECUTE format('ALTER FUNCTION %s COST 1', f); END LOOP; END $$");
}

int
main(int argc, char **argv)
{
	const char *conninfo = argc > 1 ? argv[1] : "dbname=postgres";
	const char *only = argc > 2 ? argv[2] : NULL;
	PGconn	   *admin = connect_or_die(conninfo);
	char		scratch[512];
	size_t		i;

	/* a fresh scratch database for the whole run */
	exec_ok(admin, "SET client_min_messages = warning");
	exec_ok(admin, "DROP DATABASE IF EXISTS attribution_driver");
	exec_ok(admin, "CREATE DATABASE attribution_driver");
	PQfinish(admin);
	snprintf(scratch, sizeof(scratch), "%s dbname=attribution_driver", conninfo);

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
	{
		PGconn	   *conn;

		if (!selected(only, tests[i].name))
			continue;
		current_test = tests[i].name;
		conn = connect_or_die(scratch);
		exec_ok(conn, "SET client_min_messages = warning");
		exec_ok(conn, "CREATE EXTENSION IF NOT EXISTS attribution");
		allow_parallel_aggregates(conn);
		printf("-- %s\n", tests[i].name);
		fflush(stdout);
		tests[i].run(conn);
		PQfinish(conn);
	}
	printf("%d passed, %d failed\n", n_passed, n_failed);
	return n_failed == 0 ? 0 : 1;
}
