/*
 * bench.c
 *		Runs the benchmarks of benchmarks.txt against one database and prints
 *		the median time of each query and the ratios of ours to the plain-SQL
 *		answer and to the floor (the cheapest query reading the same rows).
 *		The queries of a group run interleaved (A B C A B C ...) in one
 *		session, so a noisy machine slows them alike.  For each of ours it
 *		saves EXPLAIN (ANALYZE, BUFFERS), serial and parallel, and measures
 *		the peak resident memory of a fresh backend running it.  Besides the
 *		elapsed time it reports the CPU time of the session's backend (from
 *		/proc), which varies less on a shared machine; it does not include
 *		the CPU time of parallel workers.
 *
 *		bench/bench CONNINFO BENCHMARKS_FILE OUT_DIR [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libpq-fe.h"

#define MAX_QUERIES 8
#define MAX_ROUNDS 15

typedef struct Query
{
	char		kind[16];		/* ours, plain, floor */
	char	   *sql;
	double		ms[MAX_ROUNDS];
	double		cpu_ms[MAX_ROUNDS];
	double		median;
	double		cpu_median;
	long		peak_kb;
} Query;

typedef struct Group
{
	char		name[64];
	int			nqueries;
	Query		queries[MAX_QUERIES];
} Group;

static PGconn *
connect_or_die(const char *conninfo)
{
	PGconn	   *conn = PQconnectdb(conninfo);

	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "cannot connect: %s", PQerrorMessage(conn));
		exit(1);
	}
	return conn;
}

static PGresult *
run(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		fprintf(stderr, "query failed: %s\n%s\n", PQerrorMessage(conn), sql);
		exit(1);
	}
	return res;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* user + system CPU time of a process, in milliseconds (-1 if unknown) */
static double
process_cpu_ms(const char *pid)
{
	char		path[64];
	char		line[1024];
	char	   *p;
	unsigned long utime = 0,
				stime = 0;
	FILE	   *f;
	int			field;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f))
	{
		fclose(f);
		return -1;
	}
	fclose(f);
	/* fields after the command name in parentheses; utime and stime are 14 and 15 */
	p = strrchr(line, ')');
	if (!p)
		return -1;
	for (field = 3, p += 2; field < 14 && p; field++)
		p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
	if (!p || sscanf(p, "%lu %lu", &utime, &stime) != 2)
		return -1;
	return (utime + stime) * 1000.0 / sysconf(_SC_CLK_TCK);
}

static int
compare_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

static int
read_groups(const char *path, Group *groups, int max_groups)
{
	FILE	   *f = fopen(path, "r");
	char		line[16384];
	int			n = -1;

	if (!f)
	{
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f))
	{
		char	   *space;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		space = strchr(line, ' ');
		if (!space)
			continue;
		*space = '\0';
		if (strcmp(line, "group") == 0)
		{
			if (++n >= max_groups)
				break;
			snprintf(groups[n].name, sizeof(groups[n].name), "%s", space + 1);
			groups[n].nqueries = 0;
		}
		else if (n >= 0 && groups[n].nqueries < MAX_QUERIES)
		{
			Query	   *q = &groups[n].queries[groups[n].nqueries++];

			snprintf(q->kind, sizeof(q->kind), "%.15s", line);
			q->sql = strdup(space + 1);
		}
	}
	fclose(f);
	return n + 1;
}

/* peak resident memory (VmHWM) of a fresh backend that ran the query */
static long
peak_memory_kb(const char *conninfo, const char *sql)
{
	PGconn	   *conn = connect_or_die(conninfo);
	PGresult   *res = run(conn, "SELECT pg_backend_pid()");
	char		path[64];
	char		line[256];
	long		kb = -1;
	FILE	   *f;

	snprintf(path, sizeof(path), "/proc/%s/status", PQgetvalue(res, 0, 0));
	PQclear(res);
	PQclear(run(conn, sql));
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = atol(line + 6);
	if (f)
		fclose(f);
	PQfinish(conn);
	return kb;
}

static void
save_explain(PGconn *conn, FILE *out, const char *label, const char *sql)
{
	char	   *explain = malloc(strlen(sql) + 64);
	PGresult   *res;
	int			i;

	sprintf(explain, "EXPLAIN (ANALYZE, BUFFERS) %s", sql);
	res = run(conn, explain);
	fprintf(out, "-- %s\n%s\n", label, sql);
	for (i = 0; i < PQntuples(res); i++)
		fprintf(out, "%s\n", PQgetvalue(res, i, 0));
	fprintf(out, "\n");
	PQclear(res);
	free(explain);
}

static void
print_setting(PGconn *conn, const char *name)
{
	char		sql[128];
	PGresult   *res;

	snprintf(sql, sizeof(sql), "SELECT current_setting('%s')", name);
	res = run(conn, sql);
	printf("%s = %s\n", name, PQgetvalue(res, 0, 0));
	PQclear(res);
}

int
main(int argc, char **argv)
{
	const char *conninfo;
	const char *out_dir;
	int			rounds = 3;
	Group		groups[16];
	int			ngroups;
	PGconn	   *conn;
	PGresult   *res;
	int			g,
				q,
				r;
	char		backend_pid[32];

	if (argc < 4)
	{
		fprintf(stderr, "usage: %s CONNINFO BENCHMARKS_FILE OUT_DIR [ROUNDS]\n", argv[0]);
		return 2;
	}
	conninfo = argv[1];
	out_dir = argv[3];
	if (argc > 4)
		rounds = atoi(argv[4]);
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 3;
	ngroups = read_groups(argv[2], groups, 16);
	conn = connect_or_die(conninfo);

	res = run(conn, "SELECT version(), (SELECT count(*) FROM bench_touches), "
			  "(SELECT count(DISTINCT journey_id) FROM bench_touches)");
	printf("%s\nrows = %s, journeys = %s, rounds = %d (median reported)\n",
		   PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), rounds);
	PQclear(res);
	print_setting(conn, "work_mem");
	print_setting(conn, "max_parallel_workers_per_gather");
	print_setting(conn, "shared_buffers");
	res = run(conn, "SELECT pg_backend_pid()");
	snprintf(backend_pid, sizeof(backend_pid), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	fflush(stdout);

	for (g = 0; g < ngroups; g++)
	{
		Group	   *grp = &groups[g];
		char		path[1024];
		FILE	   *explain_out;

		fprintf(stderr, "== %s\n", grp->name);
		for (r = 0; r < rounds; r++)
			for (q = 0; q < grp->nqueries; q++)
			{
				double		start = now_ms();
				double		cpu_start = process_cpu_ms(backend_pid);

				PQclear(run(conn, grp->queries[q].sql));
				grp->queries[q].ms[r] = now_ms() - start;
				grp->queries[q].cpu_ms[r] = process_cpu_ms(backend_pid) - cpu_start;
				fprintf(stderr, "   %s round %d: %.0f ms (backend CPU %.0f ms)\n", grp->queries[q].kind,
						r + 1, grp->queries[q].ms[r], grp->queries[q].cpu_ms[r]);
			}
		for (q = 0; q < grp->nqueries; q++)
		{
			Query	   *query = &grp->queries[q];
			double		sorted[MAX_ROUNDS];

			memcpy(sorted, query->ms, sizeof(double) * rounds);
			qsort(sorted, rounds, sizeof(double), compare_double);
			query->median = sorted[rounds / 2];
			memcpy(sorted, query->cpu_ms, sizeof(double) * rounds);
			qsort(sorted, rounds, sizeof(double), compare_double);
			query->cpu_median = sorted[rounds / 2];
			query->peak_kb = strcmp(query->kind, "ours") == 0 ?
				peak_memory_kb(conninfo, query->sql) : -1;
		}
		snprintf(path, sizeof(path), "%.900s/%.60s.explain.txt", out_dir, grp->name);
		explain_out = fopen(path, "w");
		if (explain_out)
		{
			for (q = 0; q < grp->nqueries; q++)
			{
				if (strcmp(grp->queries[q].kind, "ours") != 0)
					continue;
				PQclear(run(conn, "SET max_parallel_workers_per_gather = 0"));
				save_explain(conn, explain_out, "serial", grp->queries[q].sql);
				PQclear(run(conn, "RESET max_parallel_workers_per_gather"));
				save_explain(conn, explain_out, "parallel", grp->queries[q].sql);
			}
			fclose(explain_out);
		}
	}

	printf("\nMedian elapsed time, and in brackets the median CPU time of the backend.\n\n");
	printf("| benchmark | ours (ms) | plain SQL (ms) | floor (ms) | ours/plain | ours/floor | ours/floor (CPU) | peak backend RSS of ours |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	for (g = 0; g < ngroups; g++)
	{
		Group	   *grp = &groups[g];
		double		ours = -1,
					plain = -1,
					floor_ms = -1,
					ours_cpu = -1,
					plain_cpu = -1,
					floor_cpu = -1;
		long		peak = -1;

		for (q = 0; q < grp->nqueries; q++)
		{
			if (strcmp(grp->queries[q].kind, "ours") == 0)
			{
				ours = grp->queries[q].median;
				ours_cpu = grp->queries[q].cpu_median;
				peak = grp->queries[q].peak_kb;
			}
			else if (strcmp(grp->queries[q].kind, "plain") == 0)
			{
				plain = grp->queries[q].median;
				plain_cpu = grp->queries[q].cpu_median;
			}
			else if (strcmp(grp->queries[q].kind, "floor") == 0)
			{
				floor_ms = grp->queries[q].median;
				floor_cpu = grp->queries[q].cpu_median;
			}
		}
		printf("| %s | %.0f (%.0f) | ", grp->name, ours, ours_cpu);
		if (plain >= 0)
			printf("%.0f (%.0f) | ", plain, plain_cpu);
		else
			printf("- | ");
		printf("%.0f (%.0f) | ", floor_ms, floor_cpu);
		if (plain >= 0)
			printf("%.3f (%.1fx faster) | ", ours / plain, plain / ours);
		else
			printf("- | ");
		printf("%.2f | %.2f | %ld MB |\n", ours / floor_ms,
			   floor_cpu > 0 ? ours_cpu / floor_cpu : -1.0, peak / 1024);
	}
	PQfinish(conn);
	return 0;
}
