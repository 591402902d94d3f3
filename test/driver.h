/*
 * driver.h
 *		The libpq test driver: shared helpers of the test files.
 *
 * Each test_*.c file defines test functions; driver.c lists them and runs
 * them against the database named on the command line.  A test reports each
 * check with check(); the driver prints one line per failed check and, at
 * the end, "N passed, N failed".
 */
#ifndef ATTRIBUTION_TEST_DRIVER_H
#define ATTRIBUTION_TEST_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include "libpq-fe.h"

/* record one check; returns ok */
extern bool check(bool ok, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* run a statement that must succeed; aborts the test run if it does not */
extern void exec_ok(PGconn *conn, const char *sql);
/* run a query that must succeed and return its result (caller PQclear()s) */
extern PGresult *query_ok(PGconn *conn, const char *sql);
/* run a statement that must fail with the given SQLSTATE */
extern bool exec_fails(PGconn *conn, const char *sql, const char *sqlstate);
/* a deterministic pseudo-random generator (splitmix64), seeded per test */
extern uint64_t rng_next(uint64_t *state);
extern double rng_uniform(uint64_t *state);	/* in [0, 1) */
extern int	rng_int(uint64_t *state, int lo, int hi);	/* in [lo, hi] */

/* the tests (one line per test file) */
extern void test_rule_models(PGconn *conn);
extern void test_types(PGconn *conn);
extern void test_waterfall(PGconn *conn);
extern void test_paths(PGconn *conn);
extern void test_markov_many(PGconn *conn);
extern void test_reporting(PGconn *conn);
extern void test_fuzz(PGconn *conn);
extern void test_cancel(PGconn *conn);

#endif
