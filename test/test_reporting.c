/*
 * test_reporting.c
 *		Property tests of the reporting layer (doc/reporting.md): random B2B
 *		data sets are loaded into the canonical tables, and the views are
 *		compared with an independent computation in C of the opportunity
 *		journeys (the touches of all contacts of an opportunity, each once,
 *		up to its close) under the linear, first-touch and last-touch models.
 *		Then the views must answer quickly on the default demo data set.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver.h"

#define N_CHANNELS 5
#define N_CAMPAIGNS 4
#define MAX_OPP_CONTACTS 4
#define DAY 86400L
#define T0 1704067200L			/* 2024-01-01 00:00:00 UTC */

typedef struct Contact
{
	int			account;
	long		created;		/* seconds since T0 */
} Contact;

typedef struct Touch
{
	long		id;
	int			contact;
	long		at;
	int			channel;
	int			campaign;		/* -1: none */
} Touch;

typedef struct Opportunity
{
	int			account;
	long		created;
	long		closed;			/* -1: open */
	bool		won;
	long		amount_cents;
	int			ncontacts;
	int			contacts[MAX_OPP_CONTACTS];
} Opportunity;

typedef struct Dataset
{
	int			ncontacts;
	Contact    *contacts;
	int			ntouches;
	Touch	   *touches;
	int			nopps;
	Opportunity *opps;
	long		cost_cents[N_CHANNELS];
} Dataset;

/* what the views must show for one model */
typedef struct Expected
{
	double		credit[N_CHANNELS];		/* attributed opportunities */
	double		pipeline[N_CHANNELS];	/* exact credit x amount, in cents */
	int			touches[N_CHANNELS];	/* touches in the windows */
	long		attributed_cents;		/* amounts of the opportunities with a touch */
	int			unattributed;			/* opportunities without */
} Expected;

/* a growing string */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

static void buf_printf(Buf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
buf_printf(Buf *b, const char *fmt,...)
{
	va_list		args;
	int			n;

	for (;;)
	{
		if (b->cap - b->len < 256)
		{
			b->cap = b->cap ? b->cap * 2 : 4096;
			b->data = realloc(b->data, b->cap);
			if (b->data == NULL)
			{
				fprintf(stderr, "out of memory\n");
				exit(1);
			}
		}
		va_start(args, fmt);
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, args);
		va_end(args);
		if (n >= 0 && (size_t) n < b->cap - b->len)
		{
			b->len += n;
			return;
		}
		b->cap *= 2;
		b->data = realloc(b->data, b->cap);
		if (b->data == NULL)
		{
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
	}
}

/*
 * A random data set: accounts with contacts, touches over two months (ties
 * in time between contacts happen on purpose), opportunities with one to
 * four contacts of their account, some of them shared between
 * opportunities, some listed twice with another role.
 */
static void
make_dataset(uint64_t *rng, Dataset *d)
{
	int			naccounts = rng_int(rng, 3, 8);
	int			i;

	memset(d, 0, sizeof(*d));
	d->ncontacts = naccounts * 3;
	d->contacts = calloc(d->ncontacts, sizeof(Contact));
	for (i = 0; i < d->ncontacts; i++)
	{
		d->contacts[i].account = i / 3;
		d->contacts[i].created = rng_int(rng, 0, 40) * DAY;
	}

	d->touches = calloc(d->ncontacts * 10, sizeof(Touch));
	for (i = 0; i < d->ncontacts; i++)
	{
		int			n = rng_int(rng, 0, 9);
		int			k;

		for (k = 0; k < n; k++)
		{
			Touch	   *t = &d->touches[d->ntouches++];

			t->id = 1000 + d->ntouches;
			t->contact = i;
			/* whole hours, so different contacts touch at the same time now and then */
			t->at = rng_int(rng, 0, 60 * 24) * 3600L;
			t->channel = rng_int(rng, 0, N_CHANNELS - 1);
			t->campaign = rng_int(rng, 0, 3) == 0 ? -1 : rng_int(rng, 0, N_CAMPAIGNS - 1);
		}
	}

	d->nopps = naccounts + rng_int(rng, 0, naccounts);
	d->opps = calloc(d->nopps, sizeof(Opportunity));
	for (i = 0; i < d->nopps; i++)
	{
		Opportunity *o = &d->opps[i];
		int			first = rng_int(rng, 0, 2);

		o->account = i % naccounts;
		o->created = rng_int(rng, 10, 50) * DAY;
		o->closed = rng_int(rng, 0, 3) == 0 ? -1 : o->created + rng_int(rng, 0, 20) * DAY;
		o->won = o->closed >= 0 && rng_int(rng, 0, 1) == 1;
		/* amounts with odd cents, so that splitting them is not trivial */
		o->amount_cents = rng_int(rng, 0, 9) == 0 ? 0 : rng_int(rng, 1, 5000000) * 7 + 1;
		/* a few opportunities have no contact at all */
		if (rng_int(rng, 0, 9) > 0)
		{
			int			k;

			for (k = first; k < 3 && o->ncontacts < MAX_OPP_CONTACTS; k++)
				if (k == first || rng_int(rng, 0, 1))
					o->contacts[o->ncontacts++] = o->account * 3 + k;
		}
	}

	for (i = 0; i < N_CHANNELS; i++)
		d->cost_cents[i] = 0;
}

static void
free_dataset(Dataset *d)
{
	free(d->contacts);
	free(d->touches);
	free(d->opps);
}

static void
load_dataset(PGconn *conn, uint64_t *rng, Dataset *d)
{
	Buf			b = {0};
	bool		first;
	int			i;

	exec_ok(conn, "TRUNCATE attribution.contacts, attribution.opportunities, attribution.campaign_costs CASCADE");

	buf_printf(&b, "INSERT INTO attribution.contacts VALUES ");
	for (i = 0; i < d->ncontacts; i++)
		buf_printf(&b, "%s('C%d', 'A%d', to_timestamp(%ld))", i ? ", " : "", i,
				   d->contacts[i].account, T0 + d->contacts[i].created);
	exec_ok(conn, b.data);

	b.len = 0;
	buf_printf(&b, "INSERT INTO attribution.opportunities VALUES ");
	for (i = 0; i < d->nopps; i++)
	{
		Opportunity *o = &d->opps[i];

		buf_printf(&b, "%s('O%d', 'A%d', to_timestamp(%ld), ", i ? ", " : "", i, o->account,
				   T0 + o->created);
		if (o->closed >= 0)
			buf_printf(&b, "to_timestamp(%ld), ", T0 + o->closed);
		else
			buf_printf(&b, "NULL, ");
		buf_printf(&b, "%s, %ld.%02ld)", o->won ? "true" : "false", o->amount_cents / 100,
				   o->amount_cents % 100);
	}
	exec_ok(conn, b.data);

	b.len = 0;
	buf_printf(&b, "INSERT INTO attribution.opportunity_contacts VALUES ");
	first = true;
	for (i = 0; i < d->nopps; i++)
	{
		int			k;

		for (k = 0; k < d->opps[i].ncontacts; k++)
		{
			buf_printf(&b, "%s('O%d', 'C%d', 'champion')", first ? "" : ", ", i, d->opps[i].contacts[k]);
			first = false;
			/* the same contact in a second role must not count its touches twice */
			if (rng_int(rng, 0, 3) == 0)
				buf_printf(&b, ", ('O%d', 'C%d', 'economic_buyer')", i, d->opps[i].contacts[k]);
		}
	}
	if (!first)
		exec_ok(conn, b.data);

	if (d->ntouches > 0)
	{
		b.len = 0;
		buf_printf(&b, "INSERT INTO attribution.touchpoints VALUES ");
		for (i = 0; i < d->ntouches; i++)
		{
			Touch	   *t = &d->touches[i];

			buf_printf(&b, "%s(%ld, 'C%d', to_timestamp(%ld), 'ch%d', ", i ? ", " : "", t->id, t->contact,
					   T0 + t->at, t->channel);
			if (t->campaign >= 0)
				buf_printf(&b, "'cp%d', false)", t->campaign);
			else
				buf_printf(&b, "NULL, false)");
		}
		exec_ok(conn, b.data);
	}

	/* costs: several days per campaign and channel, so a careless join would repeat them */
	b.len = 0;
	buf_printf(&b, "INSERT INTO attribution.campaign_costs VALUES ");
	for (i = 0; i < N_CAMPAIGNS * N_CHANNELS; i++)
	{
		int			day;

		for (day = 0; day < 3; day++)
		{
			long		cents = rng_int(rng, 0, 100000);

			d->cost_cents[i % N_CHANNELS] += cents;
			buf_printf(&b, "%s('cp%d', 'ch%d', date '2024-01-01' + %d, %ld.%02ld)", i || day ? ", " : "",
					   i / N_CHANNELS, i % N_CHANNELS, day * 9, cents / 100, cents % 100);
		}
	}
	exec_ok(conn, b.data);
	free(b.data);
	/* as an ETL job should after a load: the views' plans depend on the statistics */
	exec_ok(conn, "ANALYZE attribution.contacts, attribution.opportunities, attribution.opportunity_contacts, "
			"attribution.touchpoints, attribution.campaign_costs");
}

static int
touch_cmp(const void *a, const void *b)
{
	const Touch *x = *(const Touch *const *) a;
	const Touch *y = *(const Touch *const *) b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/*
 * The independent formulation: an opportunity's journey is every touch
 * of a contact on it (each contact once, whatever its roles), up to the
 * close; linear gives 1/n to each, first_touch all to the smallest
 * (time, id), last_touch all to the largest.
 */
static void
expected_for(const Dataset *d, const char *model, Expected *e)
{
	const Touch **journey = malloc(sizeof(Touch *) * (d->ntouches + 1));
	int			i;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < d->nopps; i++)
	{
		const Opportunity *o = &d->opps[i];
		int			n = 0;
		int			k;

		for (k = 0; k < d->ntouches; k++)
		{
			const Touch *t = &d->touches[k];
			int			c;
			bool		on_opp = false;

			for (c = 0; c < o->ncontacts; c++)
				on_opp |= (o->contacts[c] == t->contact);
			if (on_opp && (o->closed < 0 || t->at <= o->closed))
				journey[n++] = t;
		}
		if (n == 0)
		{
			e->unattributed++;
			continue;
		}
		e->attributed_cents += o->amount_cents;
		qsort(journey, n, sizeof(Touch *), touch_cmp);
		for (k = 0; k < n; k++)
		{
			double		credit;

			if (strcmp(model, "linear") == 0)
				credit = 1.0 / n;
			else if (strcmp(model, "first_touch") == 0)
				credit = (k == 0) ? 1.0 : 0.0;
			else
				credit = (k == n - 1) ? 1.0 : 0.0;
			e->credit[journey[k]->channel] += credit;
			e->pipeline[journey[k]->channel] += credit * o->amount_cents;
			e->touches[journey[k]->channel]++;
		}
	}
	free(journey);
}

static long
numeric_cents(const char *s)
{
	return lround(strtod(s, NULL) * 100.0);
}

static void
compare_model(PGconn *conn, const Dataset *d, const char *model, int round)
{
	Expected	e;
	char		sql[512];
	PGresult   *res;
	int			seen[N_CHANNELS] = {0};
	long		attributed_cents = 0;
	bool		unattributed_row = false;
	int			r;

	expected_for(d, model, &e);
	snprintf(sql, sizeof(sql),
			 "SELECT channel, attributed, touches, attributed_opportunities, pipeline, cost "
			 "FROM attribution.channel_performance WHERE model = '%s'", model);
	res = query_ok(conn, sql);
	for (r = 0; r < PQntuples(res); r++)
	{
		int			ch;
		double		credit;
		long		pipeline;
		double		tolerance;

		if (strcmp(PQgetvalue(res, r, 1), "t") != 0)
		{
			/* the unattributed row counts the opportunities without a touch */
			unattributed_row = true;
			check(atoi(PQgetvalue(res, r, 3)) == e.unattributed,
				  "round %d %s: %s unattributed opportunities, expected %d", round, model,
				  PQgetvalue(res, r, 3), e.unattributed);
			continue;
		}
		ch = atoi(PQgetvalue(res, r, 0) + 2);
		if (ch < 0 || ch >= N_CHANNELS || strncmp(PQgetvalue(res, r, 0), "ch", 2) != 0)
		{
			check(false, "round %d %s: unexpected channel %s", round, model, PQgetvalue(res, r, 0));
			continue;
		}
		credit = strtod(PQgetvalue(res, r, 3), NULL);
		pipeline = numeric_cents(PQgetvalue(res, r, 4));
		seen[ch] = 1;
		attributed_cents += pipeline;
		check(atoi(PQgetvalue(res, r, 2)) == e.touches[ch],
			  "round %d %s ch%d: %s touches, expected %d", round, model, ch, PQgetvalue(res, r, 2),
			  e.touches[ch]);
		check(fabs(credit - e.credit[ch]) <= 0.00005 + 1e-9,
			  "round %d %s ch%d: attributed opportunities %s, expected %.6f", round, model, ch,
			  PQgetvalue(res, r, 3), e.credit[ch]);
		/* each touch is within a cent of credit x amount; single-touch models are exact */
		tolerance = strcmp(model, "linear") == 0 ? e.touches[ch] + 0.5 : 0.5;
		check(fabs(pipeline - e.pipeline[ch]) <= tolerance,
			  "round %d %s ch%d: pipeline %s, expected %.2f", round, model, ch, PQgetvalue(res, r, 4),
			  e.pipeline[ch] / 100.0);
		/* the spend of a channel once, however many touches and cost days it has */
		check(PQgetisnull(res, r, 5) ? d->cost_cents[ch] == 0
			  : numeric_cents(PQgetvalue(res, r, 5)) == d->cost_cents[ch],
			  "round %d %s ch%d: cost %s, expected %ld cents", round, model, ch, PQgetvalue(res, r, 5),
			  d->cost_cents[ch]);
	}
	PQclear(res);
	for (r = 0; r < N_CHANNELS; r++)
		check(seen[r] || (e.touches[r] == 0 && d->cost_cents[r] == 0),
			  "round %d %s: channel ch%d is missing", round, model, r);
	check(unattributed_row == (e.unattributed > 0),
		  "round %d %s: the unattributed row is %s", round, model, unattributed_row ? "there" : "missing");
	check(attributed_cents == e.attributed_cents,
		  "round %d %s: attributed pipeline %ld cents, expected %ld (the amounts of the touched opportunities)",
		  round, model, attributed_cents, e.attributed_cents);
}

static void
check_count_zero(PGconn *conn, const char *sql, const char *what, int round)
{
	PGresult   *res = query_ok(conn, sql);

	check(strcmp(PQgetvalue(res, 0, 0), "0") == 0, "round %d: %s (%s cases)", round, what, PQgetvalue(res, 0, 0));
	PQclear(res);
}

static void
random_rounds(PGconn *conn)
{
	uint64_t	rng = 20240501;
	int			round;

	exec_ok(conn, "SET timezone = 'UTC'");
	for (round = 0; round < 6; round++)
	{
		Dataset		d;

		make_dataset(&rng, &d);
		load_dataset(conn, &rng, &d);
		compare_model(conn, &d, "linear", round);
		compare_model(conn, &d, "first_touch", round);
		compare_model(conn, &d, "last_touch", round);
		check_count_zero(conn,
						 "SELECT count(*) FROM (SELECT c.model, c.opportunity_id, sum(c.pipeline_credit) AS s, "
						 "min(o.amount) AS amount FROM attribution.opportunity_touch_credits c "
						 "JOIN attribution.opportunities o USING (opportunity_id) GROUP BY 1, 2) x "
						 "WHERE s <> amount",
						 "an opportunity's pipeline credits do not add up to its amount", round);
		/*
		 * the credit shown has six decimals (within 0.000001 of the exact
		 * one, which the pipeline credit is within a cent of)
		 */
		check_count_zero(conn,
						 "SELECT count(*) FROM attribution.opportunity_touch_credits c "
						 "JOIN attribution.opportunities o USING (opportunity_id) "
						 "WHERE abs(c.pipeline_credit - c.credit * o.amount) >= 0.01 + 0.000001 * o.amount",
						 "a touch's pipeline credit is a cent or more away from credit x amount", round);
		check_count_zero(conn,
						 "SELECT count(*) FROM (SELECT model, opportunity_id, sum(credit) AS s "
						 "FROM attribution.opportunity_touch_credits GROUP BY 1, 2) x WHERE s <> 1",
						 "an opportunity's credits do not sum exactly to 1", round);
		/* every model's rows of every performance view add up to the whole pipeline */
		check_count_zero(conn,
						 "SELECT count(*) FROM (SELECT model, sum(pipeline) AS s FROM attribution.campaign_performance "
						 "GROUP BY model UNION ALL SELECT model, sum(pipeline) FROM "
						 "attribution.campaign_performance_monthly GROUP BY model UNION ALL SELECT model, "
						 "sum(pipeline) FROM attribution.channel_performance GROUP BY model) x "
						 "WHERE s <> (SELECT sum(amount) FROM attribution.opportunities)",
						 "a model's pipeline does not add up to the total amount", round);
		free_dataset(&d);
	}
}

static double
elapsed_seconds(PGconn *conn, const char *sql)
{
	struct timespec start,
				end;
	PGresult   *res;

	clock_gettime(CLOCK_MONOTONIC, &start);
	res = query_ok(conn, sql);
	clock_gettime(CLOCK_MONOTONIC, &end);
	PQclear(res);
	return (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
}

/*
 * The views answer on the default demo data within seconds.  The bound is
 * generous (the test machines are shared); the timings are printed.
 */
static void
demo_speed(PGconn *conn)
{
	static const char *const views[] = {
		"opportunity_journeys", "opportunity_touch_credits", "channel_performance",
		"campaign_performance", "campaign_performance_monthly", "data_driven_attribution", "waterfall_cohorts",
		"waterfall_flow", "waterfall_velocity", "waterfall_leakage", "plan_vs_actual", "lead_quality",
	};
	size_t		i;
	double		seconds;

	exec_ok(conn, "TRUNCATE attribution.contacts, attribution.opportunities, attribution.campaign_costs, "
			"attribution.stage_events, attribution.stage_targets CASCADE");
	seconds = elapsed_seconds(conn, "SELECT * FROM attribution.generate_demo_data()");
	printf("   generate_demo_data(): %.2f s\n", seconds);
	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++)
	{
		char		sql[256];

		snprintf(sql, sizeof(sql), "SELECT count(v.*) FROM attribution.%s v", views[i]);
		seconds = elapsed_seconds(conn, sql);
		printf("   %s: %.2f s\n", views[i], seconds);
		check(seconds < 20.0, "%s took %.1f s on the demo data", views[i], seconds);
	}
	fflush(stdout);
	exec_ok(conn, "TRUNCATE attribution.contacts, attribution.opportunities, attribution.campaign_costs, "
			"attribution.stage_events, attribution.stage_targets CASCADE");
}

void
test_reporting(PGconn *conn)
{
	random_rounds(conn);
	demo_speed(conn);
}
