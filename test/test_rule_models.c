/*
 * test_rule_models.c
 *		Property tests of the rule-based models (SPEC section 2).
 *
 * The data: 10,000 random journeys (fixed seed), loaded into rm_touches in
 * shuffled row order: 1, 2, 3 and up to 50 touches; eight channels
 * including 'direct' and a non-ASCII one; ties in touched_at broken by
 * touch_id, NULL touch ids, equal touch ids broken by channel; conversions
 * absent, before, among, at and after the touches; milestone times absent,
 * at a touch, equal to each other, before the first touch or in between.
 *
 * The cases: every model with and without lookback, and without lookback
 * its aliases, a second half-life, a second set of direct channels and more
 * custom weight vectors.  For all cases at once, each form is computed into
 * a table with one array of credits per touch (or per journey), indexed by
 * the case:
 *	- an independent plain-SQL formulation (window functions over the same
 *	  table implementing SPEC's positions, shares and redistribution rule);
 *	- the window function credit(), and again with the partition's rows in
 *	  reverse order in a forced-parallel plan;
 *	- the journey form credits(journey_agg(...));
 *	- the summary form channel_credit() per journey, serially and in a
 *	  forced-parallel plan, and over the journeys sum(), sum(cc, weight)
 *	  and credit_by_channel(), serially and in parallel.
 * Then queries compare them inside the database and return, per case and
 * property, the number of wrong rows, the largest error and a few wrong
 * rows, so that each property is one check per case:
 *	- credits of every journey sum to 1 (within 1e-12), are non-negative
 *	  and finite; a journey without window touch gets zeros (window form),
 *	  no rows (journey form), no channels (summary form);
 *	- the window, journey and summary forms agree with the formulation and
 *	  with each other per touch / per channel within 1e-9;
 *	- parallel plans give identical results (up to the rounding the README
 *	  documents for time decay in the summary path and for sums over
 *	  journeys), and the plans are checked to aggregate partially.
 * The formulation itself is checked against SPEC's known answers first.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver.h"

#define RM_JOURNEYS		10000
#define RM_MAX_TOUCHES	50
#define RM_SEED			20240601ULL
#define RM_DAY			86400LL
#define RM_EPOCH_2024	1704067200LL	/* 2024-01-01 00:00:00 UTC */

/* tolerances of the properties */
#define SUM_TOLERANCE	"1e-12"
#define AGREE_TOLERANCE "1e-9"

/* ----------------------------------------------------------------------
 * A growable string buffer for building SQL
 * ---------------------------------------------------------------------- */
typedef struct SqlBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} SqlBuf;

static void sb_printf(SqlBuf *buf, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
sb_printf(SqlBuf *buf, const char *fmt,...)
{
	for (;;)
	{
		va_list		args;
		int			needed;

		if (buf->cap - buf->len > 1)
		{
			va_start(args, fmt);
			needed = vsnprintf(buf->data + buf->len, buf->cap - buf->len, fmt, args);
			va_end(args);
			if (needed >= 0 && (size_t) needed < buf->cap - buf->len)
			{
				buf->len += needed;
				return;
			}
		}
		else
			needed = 256;
		buf->cap = buf->cap * 2 + needed + 256;
		buf->data = realloc(buf->data, buf->cap);
		if (buf->data == NULL)
		{
			fprintf(stderr, "out of memory\n");
			exit(2);
		}
	}
}

static void
sb_reset(SqlBuf *buf)
{
	buf->len = 0;
	if (buf->data)
		buf->data[0] = '\0';
}

static void
sb_free(SqlBuf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

/* ----------------------------------------------------------------------
 * The random data set
 * ---------------------------------------------------------------------- */
#define RM_N_CHANNELS 8
static const char *const rm_channels[RM_N_CHANNELS] = {
	"direct", "email", "paid_search", "organic", "social", "Display",
	"referral", "\xc3\xa9v\xc3\xa9nement"	/* "evenement" with accents */
};

typedef struct GenTouch
{
	long long	rid;
	int			journey_id;
	long long	touch_id;		/* < 0: NULL */
	long long	touched_at;		/* seconds since the Unix epoch */
	int			channel;
	long long	converted_at;	/* the journey's times; NO_TIME: NULL */
	long long	lead_at;
	long long	opp_at;
	long long	closed_at;
} GenTouch;

#define NO_TIME (-1LL)

static int
pick_size(uint64_t *rng)
{
	double		r = rng_uniform(rng);

	if (r < 0.25)
		return 1;
	if (r < 0.45)
		return 2;
	if (r < 0.65)
		return 3;
	if (r < 0.94)
		return rng_int(rng, 4, 8);
	if (r < 0.985)
		return rng_int(rng, 9, 25);
	return rng_int(rng, 26, RM_MAX_TOUCHES);
}

static long long
pick_gap(uint64_t *rng)
{
	double		r = rng_uniform(rng);
	double		u;

	if (r < 0.22)
		return 0;				/* a tie in touched_at */
	if (r < 0.95)
	{
		u = rng_uniform(rng);
		return 1 + (long long) (u * u * 12 * RM_DAY);
	}
	if (r < 0.995)
		return rng_int(rng, 10, 120) * RM_DAY;
	/* so long that time decay underflows to zero for the old touches */
	return rng_int(rng, 1000, 4000) * RM_DAY;
}

static int
pick_channel(uint64_t *rng)
{
	if (rng_uniform(rng) < 0.22)
		return 0;				/* direct */
	return rng_int(rng, 1, RM_N_CHANNELS - 1);
}

/* a time: absent, at a touch, before the touches, or in [lo, hi] */
static long long
pick_milestone(uint64_t *rng, const long long *times, int n,
			   long long lo, long long hi, double p_null)
{
	double		r = rng_uniform(rng);

	if (r < p_null)
		return NO_TIME;
	if (r < p_null + 0.15)
		return times[rng_int(rng, 0, n - 1)];
	if (r < p_null + 0.22)
		return times[0] - rng_int(rng, 1, 3 * RM_DAY);
	if (hi <= lo)
		return lo;
	return lo + (long long) (rng_uniform(rng) * (double) (hi - lo));
}

/* is touch k a duplicate of an earlier touch with the same time? */
static bool
duplicates_earlier(const GenTouch *touches, int first, int k)
{
	int			m;

	for (m = k - 1; m >= first && touches[m].touched_at == touches[k].touched_at; m--)
		if (touches[m].touch_id == touches[k].touch_id &&
			touches[m].channel == touches[k].channel)
			return true;
	return false;
}

/*
 * Generate the journeys into *out (allocated); returns the number of
 * touches.  Touches of a journey are generated in order; the caller
 * shuffles them.
 */
static int
generate_touches(uint64_t *rng, GenTouch **out)
{
	GenTouch   *touches = malloc(sizeof(GenTouch) * RM_JOURNEYS * RM_MAX_TOUCHES);
	long long	times[RM_MAX_TOUCHES];
	int			n_total = 0;
	long long	next_touch_id = 1000;
	int			j;

	if (touches == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}

	for (j = 1; j <= RM_JOURNEYS; j++)
	{
		int			first = n_total;
		int			n = pick_size(rng);
		long long	t = RM_EPOCH_2024 + rng_int(rng, 0, 365 * (int) RM_DAY);
		long long	conv,
					lead,
					opp,
					closed,
					last;
		double		r;
		int			k;

		for (k = 0; k < n; k++)
		{
			GenTouch   *g = &touches[n_total];
			int			attempt;

			if (k > 0)
				t += pick_gap(rng);
			g->journey_id = j;
			g->touched_at = t;
			r = rng_uniform(rng);
			if (r < 0.08)
				g->touch_id = -1;	/* NULL: sorts after the others */
			else if (r < 0.20 && k > 0 && touches[n_total - 1].touched_at == t)
				g->touch_id = touches[n_total - 1].touch_id;	/* tie: channel decides */
			else
				g->touch_id = next_touch_id + rng_int(rng, 0, 1000000);
			next_touch_id += 1000001;
			/* scramble half the ids, so that id order is not time order */
			if (g->touch_id >= 0 && rng_uniform(rng) < 0.5)
				g->touch_id = 1000 + (g->touch_id * 7919) % 100000000000LL;
			g->channel = pick_channel(rng);
			for (attempt = 0; attempt < 16 && duplicates_earlier(touches, first, n_total); attempt++)
				g->channel = pick_channel(rng);
			if (duplicates_earlier(touches, first, n_total))
				continue;		/* drop it */
			times[n_total - first] = t;
			n_total++;
		}
		n = n_total - first;
		last = times[n - 1];

		/* the conversion */
		r = rng_uniform(rng);
		if (r < 0.10)
			conv = NO_TIME;
		else if (r < 0.14)
			conv = times[0] - rng_int(rng, 1, (int) RM_DAY);	/* empty window */
		else if (r < 0.30)
			conv = times[0] + (long long) (rng_uniform(rng) * (double) (last - times[0]));
		else if (r < 0.40)
			conv = times[rng_int(rng, 0, n - 1)];	/* a touch exactly at the end */
		else
			conv = last + rng_int(rng, 0, 5 * (int) RM_DAY);

		/* milestones, mostly in order, often on the same touch */
		lead = pick_milestone(rng, times, n, times[0] - RM_DAY, last + RM_DAY, 0.30);
		if (lead != NO_TIME && rng_uniform(rng) < 0.15)
			opp = lead;
		else
			opp = pick_milestone(rng, times, n, lead != NO_TIME ? lead : times[0],
								 last + 2 * RM_DAY, 0.35);
		if (opp != NO_TIME && rng_uniform(rng) < 0.12)
			closed = opp;
		else
			closed = pick_milestone(rng, times, n, opp != NO_TIME ? opp : times[0],
									last + 3 * RM_DAY, 0.45);

		for (k = first; k < n_total; k++)
		{
			touches[k].rid = k + 1;
			touches[k].converted_at = conv;
			touches[k].lead_at = lead;
			touches[k].opp_at = opp;
			touches[k].closed_at = closed;
		}
	}
	*out = touches;
	return n_total;
}

static void
shuffle_touches(uint64_t *rng, GenTouch *touches, int n)
{
	int			i;

	for (i = n - 1; i > 0; i--)
	{
		int			k = rng_int(rng, 0, i);
		GenTouch	tmp = touches[i];

		touches[i] = touches[k];
		touches[k] = tmp;
	}
}

/* append a timestamptz in COPY text form, or \N */
static void
append_time(SqlBuf *buf, long long t)
{
	time_t		tt;
	struct tm	tm;
	char		text[64];

	if (t == NO_TIME)
	{
		sb_printf(buf, "\\N");
		return;
	}
	tt = (time_t) t;
	gmtime_r(&tt, &tm);
	strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S+00", &tm);
	sb_printf(buf, "%s", text);
}

static void
copy_rows(PGconn *conn, const char *copy_sql, const SqlBuf *rows)
{
	PGresult   *res = PQexec(conn, copy_sql);
	bool		ok = PQresultStatus(res) == PGRES_COPY_IN;

	PQclear(res);
	if (ok)
		ok = PQputCopyData(conn, rows->data, (int) rows->len) == 1 &&
			PQputCopyEnd(conn, NULL) == 1;
	res = PQgetResult(conn);
	ok = ok && PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
	{
		fprintf(stderr, "COPY failed: %s\n", PQerrorMessage(conn));
		exit(2);
	}
	PQclear(res);
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
}

/*
 * Load the data set: rm_touches (one row per touch, the journey's times
 * repeated on each row, shuffled) and rm_journeys (one row per journey,
 * with a value to weight the sums by).
 */
static int
load_data(PGconn *conn)
{
	uint64_t	rng = RM_SEED;
	GenTouch   *touches;
	SqlBuf		rows = {0};
	int			n = generate_touches(&rng, &touches);
	int			i;

	shuffle_touches(&rng, touches, n);

	exec_ok(conn,
			"DROP TABLE IF EXISTS rm_touches, rm_journeys;"
			"CREATE TABLE rm_touches (rid bigint PRIMARY KEY, journey_id int NOT NULL,"
			" touch_id bigint, touched_at timestamptz NOT NULL, channel text NOT NULL,"
			" converted_at timestamptz, lead_created_at timestamptz,"
			" opportunity_created_at timestamptz, closed_at timestamptz)");
	for (i = 0; i < n; i++)
	{
		const GenTouch *g = &touches[i];

		sb_printf(&rows, "%lld\t%d\t", g->rid, g->journey_id);
		if (g->touch_id < 0)
			sb_printf(&rows, "\\N");
		else
			sb_printf(&rows, "%lld", g->touch_id);
		sb_printf(&rows, "\t");
		append_time(&rows, g->touched_at);
		sb_printf(&rows, "\t%s\t", rm_channels[g->channel]);
		append_time(&rows, g->converted_at);
		sb_printf(&rows, "\t");
		append_time(&rows, g->lead_at);
		sb_printf(&rows, "\t");
		append_time(&rows, g->opp_at);
		sb_printf(&rows, "\t");
		append_time(&rows, g->closed_at);
		sb_printf(&rows, "\n");
	}
	copy_rows(conn, "COPY rm_touches FROM STDIN", &rows);
	sb_free(&rows);
	free(touches);

	/* the journeys, also in random order, each with a value (revenue) */
	exec_ok(conn,
			"SELECT setseed(0.25);"
			"CREATE TABLE rm_journeys AS"
			" SELECT journey_id, converted_at, lead_created_at, opportunity_created_at,"
			"        closed_at, round((1 + 9999 * random())::numeric, 2)::float8 AS value"
			" FROM (SELECT DISTINCT ON (journey_id) * FROM rm_touches ORDER BY journey_id) d"
			" ORDER BY random();"
			"ALTER TABLE rm_journeys ADD PRIMARY KEY (journey_id);"
			"ANALYZE rm_touches; ANALYZE rm_journeys");

	/*
	 * With a few touches per journey the planner rightly finds partial
	 * aggregation by journey not worth it; understate the number of
	 * journeys so that the forced-parallel plans aggregate in the workers
	 * and the combine functions run.
	 */
	exec_ok(conn,
			"ALTER TABLE rm_touches ALTER COLUMN journey_id SET (n_distinct = 20);"
			"ANALYZE rm_touches");
	return n;
}

/* ----------------------------------------------------------------------
 * Model configurations and test cases
 * ---------------------------------------------------------------------- */
typedef enum ModelKind
{
	KIND_POSITION,				/* position shares + redistribution */
	KIND_LINEAR,
	KIND_LAST_NON_DIRECT,
	KIND_TIME_DECAY
} ModelKind;

typedef enum WindowEnd
{
	END_CONVERSION,
	END_OPPORTUNITY,			/* w_shaped */
	END_CLOSE					/* full_path */
} WindowEnd;

/* position indexes in shares[] (the order of custom weights) */
enum
{
	SH_FIRST, SH_LEAD, SH_OPPORTUNITY, SH_CLOSED, SH_LAST, SH_MIDDLE, N_SHARES
};

typedef struct ModelConfig
{
	const char *label;			/* for messages */
	const char *model;			/* the model name given to the extension */
	ModelKind	kind;
	WindowEnd	end;
	double		shares[N_SHARES];	/* KIND_POSITION */
	const char *half_life;		/* interval literal; NULL: the default */
	const char *weights;		/* float8[] literal (custom) or NULL */
	const char *direct;			/* text[] literal; NULL: the default {direct} */
	bool		variant;		/* another name, half-life, weights or direct set of a
								 * model: tested without lookback only */
} ModelConfig;

#define POSITION_MODEL(label_, model_, end_, ...) \
	{.label = label_, .model = model_, .kind = KIND_POSITION, .end = end_, \
	 .shares = {__VA_ARGS__}}

static const ModelConfig rm_configs[] = {
	POSITION_MODEL("first_touch", "first_touch", END_CONVERSION, 1, 0, 0, 0, 0, 0),
	POSITION_MODEL("last_touch", "last_touch", END_CONVERSION, 0, 0, 0, 0, 1, 0),
	{.label = "last_non_direct", .model = "last_non_direct", .kind = KIND_LAST_NON_DIRECT},
	{.label = "last_non_direct {direct,organic}", .model = "last_non_direct",
	.kind = KIND_LAST_NON_DIRECT, .direct = "{direct,organic}", .variant = true},
	{.label = "linear", .model = "linear", .kind = KIND_LINEAR},
	POSITION_MODEL("position_based", "position_based", END_CONVERSION, .4, 0, 0, 0, .4, .2),
	{.label = "u_shaped", .model = "u_shaped", .kind = KIND_POSITION,
	.shares = {.4, 0, 0, 0, .4, .2}, .variant = true},
	POSITION_MODEL("j_shaped", "j_shaped", END_CONVERSION, .2, 0, 0, 0, .6, .2),
	POSITION_MODEL("inverse_j", "inverse_j", END_CONVERSION, .6, 0, 0, 0, .2, .2),
	POSITION_MODEL("w_shaped", "w_shaped", END_OPPORTUNITY, .3, .3, .3, 0, 0, .1),
	POSITION_MODEL("full_path", "full_path", END_CLOSE, .225, .225, .225, .225, 0, .1),
	{.label = "z_shaped", .model = "z_shaped", .kind = KIND_POSITION, .end = END_CLOSE,
	.shares = {.225, .225, .225, .225, 0, .1}, .variant = true},
	{.label = "time_decay (7 days)", .model = "time_decay", .kind = KIND_TIME_DECAY,
	.variant = true},
	{.label = "time_decay 36 hours", .model = "time_decay", .kind = KIND_TIME_DECAY,
	.half_life = "36 hours"},
	{.label = "custom mixed", .model = "custom", .kind = KIND_POSITION,
	.shares = {.1, .2, .3, .15, .15, .1}, .weights = "{0.1,0.2,0.3,0.15,0.15,0.1}"},
	/* without a lead touch no position with a share has a touch: 1/n each */
	{.label = "custom lead only", .model = "custom", .kind = KIND_POSITION,
	.shares = {0, 1, 0, 0, 0, 0}, .weights = "{0,1,0,0,0,0}", .variant = true},
	/* every touch is a middle touch */
	{.label = "custom middle only", .model = "custom", .kind = KIND_POSITION,
	.shares = {0, 0, 0, 0, 0, 1}, .weights = "{0,0,0,0,0,1}", .variant = true},
	{.label = "custom first/opportunity/closed", .model = "custom", .kind = KIND_POSITION,
	.shares = {.2, 0, .3, .5, 0, 0}, .weights = "{0.2,0,0.3,0.5,0,0}", .variant = true},
};

#define N_CONFIGS ((int) (sizeof(rm_configs) / sizeof(rm_configs[0])))

static const char *const rm_lookbacks[] = {NULL, "5 days"};

#define N_LOOKBACKS ((int) (sizeof(rm_lookbacks) / sizeof(rm_lookbacks[0])))
#define MAX_CASES (N_CONFIGS * N_LOOKBACKS)

/*
 * A test case: a model configuration with or without lookback, and the SQL
 * fragments that give it to each entry point.  Cases are numbered from 1
 * (their index in the SQL arrays of credits).
 */
typedef struct TestCase
{
	const ModelConfig *m;
	const char *lookback_text;	/* NULL: none */
	char		label[128];
	char		model[64];		/* 'model' */
	char		direct_expr[128];	/* is_direct of a row */
	char		lookback[64];	/* interval literal or NULL::interval */
	char		half_life_named[64];	/* ", half_life => ..." or "" */
	char		half_life_arg[64];	/* interval literal or NULL::interval */
	char		half_life_secs[64]; /* the half-life in seconds, in SQL */
	char		weights_named[128]; /* ", weights => ..." or "" */
	char		weights_arg[128];	/* float8[] literal or NULL::float8[] */
	char		direct_named[128];	/* ", direct_channels => ..." or "" */
	char		summary_scope[128]; /* the touches channel_credit is given */
} TestCase;

static void
init_case(TestCase *c, const ModelConfig *m, const char *lookback)
{
	c->m = m;
	c->lookback_text = lookback;
	snprintf(c->label, sizeof(c->label), "%s%s%s", m->label,
			 lookback ? ", lookback " : "", lookback ? lookback : "");
	snprintf(c->model, sizeof(c->model), "'%s'", m->model);
	snprintf(c->direct_expr, sizeof(c->direct_expr), "(channel = ANY ('%s'::text[]))",
			 m->direct ? m->direct : "{direct}");
	if (lookback)
		snprintf(c->lookback, sizeof(c->lookback), "interval '%s'", lookback);
	else
		snprintf(c->lookback, sizeof(c->lookback), "NULL::interval");
	if (m->half_life)
	{
		snprintf(c->half_life_named, sizeof(c->half_life_named),
				 ", half_life => interval '%s'", m->half_life);
		snprintf(c->half_life_arg, sizeof(c->half_life_arg), "interval '%s'", m->half_life);
	}
	else
	{
		/* the default: omitted (named notation), NULL (channel_credit) */
		c->half_life_named[0] = '\0';
		snprintf(c->half_life_arg, sizeof(c->half_life_arg), "NULL::interval");
	}
	snprintf(c->half_life_secs, sizeof(c->half_life_secs),
			 "extract(epoch FROM interval '%s')::float8",
			 m->half_life ? m->half_life : "7 days");
	if (m->weights)
	{
		snprintf(c->weights_named, sizeof(c->weights_named),
				 ", weights => '%s'::float8[]", m->weights);
		snprintf(c->weights_arg, sizeof(c->weights_arg), "'%s'::float8[]", m->weights);
	}
	else
	{
		c->weights_named[0] = '\0';
		snprintf(c->weights_arg, sizeof(c->weights_arg), "NULL::float8[]");
	}
	if (m->direct)
		snprintf(c->direct_named, sizeof(c->direct_named),
				 ", direct_channels => '%s'::text[]", m->direct);
	else
		c->direct_named[0] = '\0';

	/*
	 * channel_credit refuses lookback without a window end (it would be
	 * measured from the journey's last touch, which a single pass does not
	 * know): with lookback it is given only the journeys with an end.
	 */
	if (lookback)
		snprintf(c->summary_scope, sizeof(c->summary_scope), "%s IS NOT NULL",
				 m->end == END_OPPORTUNITY ? "coalesce(opportunity_created_at, converted_at)" :
				 m->end == END_CLOSE ? "coalesce(closed_at, converted_at)" : "converted_at");
	else
		snprintf(c->summary_scope, sizeof(c->summary_scope), "true");
}

/* ----------------------------------------------------------------------
 * The independent plain-SQL formulation
 * ---------------------------------------------------------------------- */

/*
 * What the formulation is given.  The short forms of channel_credit have
 * no touch id, milestones or direct flag.
 */
typedef struct FormulationInput
{
	const char *table;			/* the touches */
	bool		use_touch_id;	/* order by (touched_at, touch_id, channel) */
	bool		use_milestones;
	const char *conversion;		/* the conversion time (SQL) */
	bool		use_direct;
} FormulationInput;

static const FormulationInput full_input = {"rm_touches", true, true, "converted_at", true};

/*
 * Append a query returning one row per touch: rid, journey_id, touch_id,
 * touched_at, channel, pos_all (the 1-based index of the touch in its whole
 * sorted journey) and f, the array of the credits of the touch under each
 * case (NULL: outside that case's window).
 *
 * It follows SPEC section 2 literally, with window functions over the
 * journey.  A window is a run of consecutive touches of the sorted journey,
 * so positions are pos_all values: first_v / last_v are the smallest /
 * largest pos_all in window v, lead_v (opp_v, closed_v) the largest at or
 * before the milestone time.  A touch's share is the sum of the shares of
 * the positions it holds (non-zero shares only); the window touches holding
 * none are the middle touches, which split the middle share.  held_i + the
 * middle share (when there are middle touches) is the total share of the
 * positions present, and dividing by it redistributes the shares of the
 * absent positions in proportion; if it is 0, 1/n each.
 *
 * Cases with the same window end and lookback share their window (v).
 */
static int
case_window(const TestCase *cases, int i, int *window_of)
{
	int			k;

	for (k = 0; k < i; k++)
		if (cases[k].m->end == cases[i].m->end &&
			strcmp(cases[k].lookback, cases[i].lookback) == 0)
			return window_of[k];
	return i + 1;
}

static void
append_formulation(SqlBuf *q, const FormulationInput *in, const TestCase *cases, int n_cases)
{
	const char *order = in->use_touch_id ?
		"touched_at, touch_id NULLS LAST, channel COLLATE \"C\"" :
		"touched_at, channel COLLATE \"C\"";
	const char *none = "NULL::timestamptz";
	int			window_of[MAX_CASES];
	int			i;

	for (i = 0; i < n_cases; i++)
		window_of[i] = case_window(cases, i, window_of);

	sb_printf(q,
			  "WITH b AS ("
			  " SELECT rid, journey_id, touch_id, touched_at, channel,"
			  "  %s AS conv_at, %s AS lead_at, %s AS opp_at, %s AS closed_at,"
			  "  row_number() OVER (PARTITION BY journey_id ORDER BY %s) AS pos_all,"
			  "  max(touched_at) OVER (PARTITION BY journey_id) AS journey_last"
			  " FROM %s),",
			  in->conversion,
			  in->use_milestones ? "lead_created_at" : none,
			  in->use_milestones ? "opportunity_created_at" : none,
			  in->use_milestones ? "closed_at" : none, order, in->table);

	/* v: window membership, per window */
	sb_printf(q, "v AS (SELECT b.*");
	for (i = 0; i < n_cases; i++)
	{
		const TestCase *c = &cases[i];
		const char *end = c->m->end == END_OPPORTUNITY ? "coalesce(opp_at, conv_at)" :
			c->m->end == END_CLOSE ? "coalesce(closed_at, conv_at)" : "conv_at";

		if (window_of[i] == i + 1)
			sb_printf(q, ", (%s IS NULL OR touched_at <= %s)"
					  " AND (%s IS NULL OR touched_at >= coalesce(%s, journey_last) - %s) AS in_%d",
					  end, end, c->lookback, end, c->lookback, i + 1);
	}
	sb_printf(q, " FROM b),");

	/* p: the positions, per window; the last non-direct touch, per case */
	sb_printf(q, "p AS (SELECT v.*");
	for (i = 0; i < n_cases; i++)
	{
		const TestCase *c = &cases[i];
		int			w = window_of[i];

		if (w == i + 1)
		{
			bool		milestones = false;
			bool		decay = false;
			int			k;

			/* the milestone positions and last time only if a case uses them */
			for (k = i; k < n_cases; k++)
				if (window_of[k] == w)
				{
					milestones |= cases[k].m->kind == KIND_POSITION;
					decay |= cases[k].m->kind == KIND_TIME_DECAY;
				}
			sb_printf(q,
					  ", count(*) FILTER (WHERE in_%d) OVER j AS n_%d"
					  ", min(pos_all) FILTER (WHERE in_%d) OVER j AS first_%d"
					  ", max(pos_all) FILTER (WHERE in_%d) OVER j AS last_%d",
					  w, w, w, w, w, w);
			if (milestones)
				sb_printf(q,
						  ", max(pos_all) FILTER (WHERE in_%d AND touched_at <= lead_at) OVER j AS lead_%d"
						  ", max(pos_all) FILTER (WHERE in_%d AND touched_at <= opp_at) OVER j AS opp_%d"
						  ", max(pos_all) FILTER (WHERE in_%d AND touched_at <= closed_at) OVER j"
						  " AS closed_%d",
						  w, w, w, w, w, w);
			if (decay)
				sb_printf(q, ", max(touched_at) FILTER (WHERE in_%d) OVER j AS wlast_%d", w, w);
		}
		if (c->m->kind == KIND_LAST_NON_DIRECT)
			sb_printf(q, ", max(pos_all) FILTER (WHERE in_%d AND NOT %s) OVER j AS nd_%d",
					  w, in->use_direct ? c->direct_expr : "false", i + 1);
	}
	sb_printf(q, " FROM v WINDOW j AS (PARTITION BY journey_id)),");

	/* h: the share of the positions a touch holds; decay exponents, per case */
	sb_printf(q, "h AS (SELECT p.*");
	for (i = 0; i < n_cases; i++)
	{
		const TestCase *c = &cases[i];
		const double *s = c->m->shares;
		int			w = window_of[i];

		if (c->m->kind == KIND_POSITION)
			sb_printf(q,
					  ", (pos_all = first_%d)::int * %.17g::float8"
					  " + coalesce(pos_all = lead_%d, false)::int * %.17g::float8"
					  " + coalesce(pos_all = opp_%d, false)::int * %.17g::float8"
					  " + coalesce(pos_all = closed_%d, false)::int * %.17g::float8"
					  " + (pos_all = last_%d)::int * %.17g::float8 AS share_%d"
					  ", %.17g::float8 + (lead_%d IS NOT NULL)::int * %.17g::float8"
					  " + (opp_%d IS NOT NULL)::int * %.17g::float8"
					  " + (closed_%d IS NOT NULL)::int * %.17g::float8 + %.17g::float8 AS held_%d",
					  w, s[SH_FIRST], w, s[SH_LEAD], w, s[SH_OPPORTUNITY], w, s[SH_CLOSED],
					  w, s[SH_LAST], i + 1,
					  s[SH_FIRST], w, s[SH_LEAD], w, s[SH_OPPORTUNITY], w, s[SH_CLOSED],
					  s[SH_LAST], i + 1);
		else if (c->m->kind == KIND_TIME_DECAY)
			sb_printf(q,
					  ", CASE WHEN in_%d THEN ln(2::float8)"
					  " * extract(epoch FROM wlast_%d - touched_at)::float8 / %s END AS dexp_%d",
					  w, w, c->half_life_secs, i + 1);
	}
	sb_printf(q, " FROM p),");

	/* m: the middle touches; decay weights (2^-e, 0 below the double range) */
	sb_printf(q, "m AS (SELECT h.*");
	for (i = 0; i < n_cases; i++)
	{
		const TestCase *c = &cases[i];

		if (c->m->kind == KIND_POSITION)
			sb_printf(q, ", count(*) FILTER (WHERE in_%d AND share_%d = 0) OVER j AS nmid_%d",
					  window_of[i], i + 1, i + 1);
		else if (c->m->kind == KIND_TIME_DECAY)
			sb_printf(q,
					  ", CASE WHEN dexp_%d > 700 THEN 0 ELSE exp(-dexp_%d) END AS dw_%d"
					  ", sum(CASE WHEN dexp_%d > 700 THEN 0 ELSE exp(-dexp_%d) END) OVER j AS dtot_%d",
					  i + 1, i + 1, i + 1, i + 1, i + 1, i + 1);
	}
	sb_printf(q, " FROM h WINDOW j AS (PARTITION BY journey_id))");

	/* the credits */
	sb_printf(q, " SELECT rid, journey_id, touch_id, touched_at, channel, pos_all, ARRAY[");
	for (i = 0; i < n_cases; i++)
	{
		const TestCase *c = &cases[i];
		double		middle = c->m->shares[SH_MIDDLE];
		int			w = window_of[i];
		int			k = i + 1;

		sb_printf(q, "%sCASE WHEN in_%d THEN ", i > 0 ? ", " : "", w);
		switch (c->m->kind)
		{
			case KIND_POSITION:
				sb_printf(q,
						  "CASE WHEN held_%d + CASE WHEN nmid_%d > 0 THEN %.17g::float8 ELSE 0 END = 0"
						  " THEN 1::float8 / n_%d"
						  " ELSE (share_%d + CASE WHEN share_%d = 0 AND nmid_%d > 0"
						  "  THEN %.17g::float8 / nmid_%d ELSE 0 END)"
						  " / (held_%d + CASE WHEN nmid_%d > 0 THEN %.17g::float8 ELSE 0 END) END",
						  k, k, middle, w, k, k, k, middle, k, k, k, middle);
				break;
			case KIND_LINEAR:
				sb_printf(q, "1::float8 / n_%d", w);
				break;
			case KIND_LAST_NON_DIRECT:
				sb_printf(q, "(pos_all = coalesce(nd_%d, last_%d))::int::float8", k, w);
				break;
			case KIND_TIME_DECAY:
				sb_printf(q, "dw_%d / dtot_%d", k, k);
				break;
		}
		sb_printf(q, " END");
	}
	sb_printf(q, "]::float8[] AS f FROM m");
}

/* ----------------------------------------------------------------------
 * The extension's forms, all cases at once
 * ---------------------------------------------------------------------- */

static void
append_window_call(SqlBuf *q, const TestCase *c, const char *window)
{
	sb_printf(q,
			  "attribution.credit(%s, touched_at, converted_at => converted_at%s,"
			  " lead_created_at => lead_created_at,"
			  " opportunity_created_at => opportunity_created_at, closed_at => closed_at,"
			  " is_direct => %s%s, lookback => %s, touch_id => touch_id, channel => channel)"
			  " OVER %s",
			  c->model, c->half_life_named, c->direct_expr, c->weights_named, c->lookback,
			  window);
}

/*
 * rid, w: the credits of the row under each case, with the partition's rows
 * in the usual order (ORDER BY touched_at, touch_id) or in reverse order
 * (the function must apply the documented order itself).
 */
static void
append_window_form(SqlBuf *q, const TestCase *cases, int n_cases, bool reverse)
{
	int			i;

	sb_printf(q, "SELECT rid, ARRAY[");
	for (i = 0; i < n_cases; i++)
	{
		sb_printf(q, "%s", i > 0 ? ", " : "");
		append_window_call(q, &cases[i], "o");
	}
	sb_printf(q, "] AS w FROM rm_touches WINDOW o AS (PARTITION BY journey_id ORDER BY %s)",
			  reverse ? "touched_at DESC, channel DESC" : "touched_at, touch_id");
}

/* q, journey_id, position, touch_id, touched_at, channel, credit */
static void
append_journey_form(SqlBuf *q, const TestCase *cases, int n_cases, const char *journeys)
{
	int			i;

	for (i = 0; i < n_cases; i++)
	{
		const TestCase *c = &cases[i];

		sb_printf(q,
				  "%sSELECT %d AS q, g.journey_id, r.position, r.touch_id, r.touched_at,"
				  " r.channel, r.credit"
				  " FROM %s g JOIN rm_journeys jr USING (journey_id)"
				  " CROSS JOIN LATERAL attribution.credits(g.j, %s,"
				  "  converted_at => jr.converted_at%s, lead_created_at => jr.lead_created_at,"
				  "  opportunity_created_at => jr.opportunity_created_at,"
				  "  closed_at => jr.closed_at%s%s, lookback => %s) r",
				  i > 0 ? " UNION ALL " : "", i + 1, journeys, c->model, c->half_life_named,
				  c->direct_named, c->weights_named, c->lookback);
	}
}

/* journey_id, cc: the channel_credit of the journey under each case */
static void
append_summary_form(SqlBuf *q, const TestCase *cases, int n_cases)
{
	int			i;

	sb_printf(q, "SELECT journey_id, ARRAY[");
	for (i = 0; i < n_cases; i++)
	{
		const TestCase *c = &cases[i];

		sb_printf(q,
				  "%sattribution.channel_credit(%s, touched_at, channel, touch_id, %s,"
				  " converted_at, lead_created_at, opportunity_created_at, closed_at, %s, %s, %s)"
				  " FILTER (WHERE %s)",
				  i > 0 ? ", " : "", c->model, c->direct_expr, c->half_life_arg,
				  c->weights_arg, c->lookback, c->summary_scope);
	}
	sb_printf(q, "] AS cc FROM rm_touches GROUP BY journey_id");
}

/*
 * q, kind, channel, credit: the summary over the journeys, from the maps of
 * rm_s: sum() ('plain'), sum() weighted by the journey's value ('weighted')
 */
static const char *const sums_sql =
"SELECT x.q, x.kind, e.channel, e.credit FROM ("
" SELECT u.q, 'plain' AS kind, attribution.sum(u.cc) AS total"
"  FROM rm_s s, unnest(s.cc) WITH ORDINALITY u(cc, q) GROUP BY u.q"
" UNION ALL"
" SELECT u.q, 'weighted', attribution.sum(u.cc, jr.value)"
"  FROM rm_s s JOIN rm_journeys jr USING (journey_id), unnest(s.cc) WITH ORDINALITY u(cc, q)"
"  GROUP BY u.q) x, attribution.each(x.total) e";

/* q, 'by_channel', channel, credit: credit_by_channel over the touches, per case */
static void
append_credit_by_channel(SqlBuf *q, const TestCase *cases, int n_cases)
{
	int			i;

	sb_printf(q, "SELECT u.q, 'by_channel' AS kind, e.channel, e.credit FROM (SELECT ARRAY[");
	for (i = 0; i < n_cases; i++)
	{
		const TestCase *c = &cases[i];

		sb_printf(q,
				  "%sattribution.credit_by_channel(journey_id, %s, touched_at, channel, touch_id, %s,"
				  " converted_at, lead_created_at, opportunity_created_at, closed_at, %s, %s, %s)"
				  " FILTER (WHERE %s)",
				  i > 0 ? ", " : "", c->model, c->direct_expr, c->half_life_arg,
				  c->weights_arg, c->lookback, c->summary_scope);
	}
	sb_printf(q, "] AS totals FROM rm_touches) t,"
			  " unnest(t.totals) WITH ORDINALITY u(cc, q), attribution.each(u.cc) e");
}

/* is the journey of the row t (with case row c) given to channel_credit? */
#define IN_SUMMARY_SCOPE \
	"(NOT c.has_lookback OR CASE c.window_end" \
	" WHEN 1 THEN coalesce(t.opportunity_created_at, t.converted_at)" \
	" WHEN 2 THEN coalesce(t.closed_at, t.converted_at)" \
	" ELSE t.converted_at END IS NOT NULL)"

/* ----------------------------------------------------------------------
 * Checking properties, one check per property and case
 * ---------------------------------------------------------------------- */

typedef struct Property
{
	const char *name;
	const char *bad;			/* SQL: is this row wrong? (NULL counts as wrong) */
	const char *diff;			/* SQL: the size of the error, for the message */
} Property;

static void set_parallel(PGconn *conn, bool on);
static void create_table_as(PGconn *conn, const char *name, const SqlBuf *q);
static const ModelConfig *find_config(const char *label);

/*
 * Evaluate properties over the rows of a query.  select_sql yields columns
 * q (the case), detail (a record naming the row, for messages) and the
 * columns the properties use.  Each property becomes one check per case:
 * no wrong row among at least min_rows rows of that case.  The failure
 * message gives the count of wrong rows, the largest error and a few wrong
 * rows (with the fields described by detail_fields).
 */
static void
check_properties(PGconn *conn, const TestCase *cases, int n_cases, const char *select_sql,
				 const char *detail_fields, const Property *props, int n_props, long min_rows)
{
	SqlBuf		q = {0};
	PGresult   *res;
	int			i,
				k,
				row;

	sb_printf(&q, "SELECT q, count(*)");
	for (k = 0; k < n_props; k++)
		sb_printf(&q,
				  ", count(*) FILTER (WHERE (%s) IS NOT FALSE),"
				  " coalesce(max(%s) FILTER (WHERE (%s) IS NOT FALSE), 0),"
				  " array_to_string((array_agg(detail) FILTER (WHERE (%s) IS NOT FALSE))[1:3], '; ')",
				  props[k].bad, props[k].diff, props[k].bad, props[k].bad);
	sb_printf(&q, " FROM (%s) x GROUP BY q ORDER BY q", select_sql);
	res = query_ok(conn, q.data);

	for (i = 1; i <= n_cases; i++)
	{
		long		n_rows = 0;

		for (row = 0; row < PQntuples(res); row++)
			if (atoi(PQgetvalue(res, row, 0)) == i)
				break;
		if (row < PQntuples(res))
			n_rows = atol(PQgetvalue(res, row, 1));
		for (k = 0; k < n_props; k++)
		{
			long		n_bad = n_rows > 0 ? atol(PQgetvalue(res, row, 2 + 3 * k)) : 0;

			check(n_bad == 0 && n_rows >= min_rows,
				  "%s [%s]: %ld of %ld rows wrong (want at least %ld rows), max error %s;"
				  " first %s: %s",
				  props[k].name, cases[i - 1].label, n_bad, n_rows, min_rows,
				  n_rows > 0 ? PQgetvalue(res, row, 3 + 3 * k) : "-", detail_fields,
				  n_rows > 0 ? PQgetvalue(res, row, 4 + 3 * k) : "-");
		}
	}
	PQclear(res);
	sb_free(&q);
}

/* is a credit x NULL, negative, infinite or NaN? (SQL) */
#define CREDIT_IS_BAD(x) "((" x " >= 0 AND " x " < 'Infinity') IS NOT TRUE)"

/*
 * per touch: the window form against the formulation, and in a
 * forced-parallel plan with the partition's rows in reverse order
 */
static void
check_window_rows(PGconn *conn, const TestCase *cases, int n_cases, long n_touches)
{
	static const Property props[] = {
		{"window form agrees with the plain-SQL formulation per touch (0 outside the window),"
			" credits non-negative and finite",
			"NOT (abs(cw - coalesce(cf, 0)) <= " AGREE_TOLERANCE ") OR " CREDIT_IS_BAD("cw"),
		"abs(cw - coalesce(cf, 0))"},
		{"window form gives identical credits in a forced-parallel plan with the partition's"
			" rows in reverse order",
		"cw IS DISTINCT FROM cp", "abs(cw - cp)"},
	};

	check_properties(conn, cases, n_cases,
					 "SELECT u.q, cw, cp, cf,"
					 " ROW(t.journey_id, t.touch_id, t.touched_at, t.channel, cw, cf, cp) AS detail"
					 " FROM rm_touches t JOIN rm_w w USING (rid) JOIN rm_wp p USING (rid)"
					 " JOIN rm_f f USING (rid),"
					 " unnest(w.w, p.w, f.f) WITH ORDINALITY u(cw, cp, cf, q)",
					 "(journey, touch_id, touched_at, channel, window, sql, parallel reversed)",
					 props, sizeof(props) / sizeof(props[0]), n_touches);
}

/* per journey: the window form's credits sum to 1, or are all 0 */
static void
check_window_sums(PGconn *conn, const TestCase *cases, int n_cases)
{
	static const Property props[] = {
		{"window form: credits of every journey sum to 1; no window touch: all zeros",
			"CASE WHEN n_window > 0 THEN NOT (abs(total - 1) <= " SUM_TOLERANCE ")"
			" ELSE high <> 0 END",
		"abs(total - (n_window > 0)::int)"},
	};

	check_properties(conn, cases, n_cases,
					 "SELECT u.q, u.n_window, u.total, u.high,"
					 " ROW(fj.journey_id, u.n_window, u.total, u.high) AS detail"
					 " FROM rm_fj fj, unnest(fj.n_window, fj.w_total, fj.w_high)"
					 "  WITH ORDINALITY u(n_window, total, high, q)",
					 "(journey, window touches, sum, largest credit)",
					 props, sizeof(props) / sizeof(props[0]), RM_JOURNEYS);
}

/*
 * The journey form, per journey: one row per window touch (none for a
 * journey without), the credits sum to 1, and every row agrees with the
 * formulation (the touch is in the window, at that position, with that
 * credit) and with the window form.
 */
static void
check_journey_form(PGconn *conn, const TestCase *cases, int n_cases)
{
	static const Property props[] = {
		{"journey form: one row per window touch (none without), credits sum to 1,"
			" are non-negative and finite",
			"CASE WHEN n_window > 0 THEN j_rows IS DISTINCT FROM n_window"
			"  OR NOT (abs(j_total - 1) <= " SUM_TOLERANCE ") OR j_bad > 0"
			" ELSE j_rows IS NOT NULL END",
		"abs(coalesce(j_total, 0) - (n_window > 0)::int)"},
		{"journey form agrees with the plain-SQL formulation per touch (touch, position, credit)",
		"coalesce(sql_bad, 0) > 0", "coalesce(sql_diff, 0)"},
		{"journey form agrees with the window form per touch",
		"coalesce(window_bad, 0) > 0", "coalesce(window_diff, 0)"},
	};

	/*
	 * A row agrees with the formulation's touch at its position: the same
	 * touch, in the window (a credit), with the same credit.  OFFSET 0:
	 * pick the case's credits before the wide arrays reach the aggregate.
	 */
	check_properties(conn, cases, n_cases,
					 "WITH jr AS ("
					 " SELECT q, journey_id, count(*) AS j_rows, sum(credit) AS j_total,"
					 "  min(credit) AS j_low,"
					 "  count(*) FILTER (WHERE " CREDIT_IS_BAD("credit") ") AS j_bad,"
					 "  count(*) FILTER (WHERE (same_touch AND sql_credit IS NOT NULL"
					 "   AND abs(credit - sql_credit) <= " AGREE_TOLERANCE ") IS NOT TRUE) AS sql_bad,"
					 "  max(abs(credit - sql_credit)) AS sql_diff,"
					 "  count(*) FILTER (WHERE (abs(credit - window_credit) <= " AGREE_TOLERANCE ")"
					 "   IS NOT TRUE) AS window_bad,"
					 "  max(abs(credit - window_credit)) AS window_diff"
					 " FROM (SELECT j.q, j.journey_id, j.credit, f.f[j.q] AS sql_credit,"
					 "   w.w[j.q] AS window_credit,"
					 "   f.touched_at = j.touched_at AND f.touch_id IS NOT DISTINCT FROM j.touch_id"
					 "   AND f.channel = j.channel AS same_touch"
					 "  FROM rm_j j LEFT JOIN (rm_f f JOIN rm_w w USING (rid))"
					 "   ON f.journey_id = j.journey_id AND f.pos_all = j.position OFFSET 0) x"
					 " GROUP BY 1, 2)"
					 "SELECT u.q, u.n AS n_window, j_rows, j_total, j_bad, sql_bad, sql_diff,"
					 " window_bad, window_diff,"
					 " ROW(fj.journey_id, u.n, j_rows, j_total, j_low, sql_bad, sql_diff, window_bad,"
					 "  window_diff) AS detail"
					 " FROM rm_fj fj CROSS JOIN unnest(fj.n_window) WITH ORDINALITY u(n, q)"
					 " LEFT JOIN jr ON jr.q = u.q AND jr.journey_id = fj.journey_id",
					 "(journey, window touches, rows, sum, min, rows disagreeing with sql, largest"
					 " difference, rows disagreeing with the window form, largest difference)",
					 props, sizeof(props) / sizeof(props[0]), RM_JOURNEYS);
}

/*
 * The summary path adds time-decay weights, and sum() credits over
 * journeys, in the order the rows come in, so a parallel plan may change
 * the last bits.  Adding up to 10,000 non-negative numbers in another order
 * changes the result by at most about 10,000 units in the last place.
 */
#define PLAN_TOLERANCE "1e-12"

/*
 * The summary form, per journey: every channel it lists carries the window
 * form's credit of the channel, the credits sum to 1 (with the sums to 1
 * of the window form, the channels it does not list carry none) and a
 * journey without window touches gets no channels.  The same maps (up to
 * rounding) in a forced-parallel plan.
 */
static void
check_summary_form(PGconn *conn, const TestCase *cases, int n_cases)
{
	static const Property props[] = {
		{"summary form: channel credits of every journey sum to 1, are non-negative and finite;"
			" no window touch: no channels",
			"in_scope AND (CASE WHEN n_window > 0 THEN s_rows IS NULL"
			"  OR NOT (abs(s_total - 1) <= " SUM_TOLERANCE ")"
			" ELSE s_rows IS NOT NULL END OR coalesce(s_bad, 0) > 0)",
		"abs(coalesce(s_total, 0) - (n_window > 0)::int)"},
		{"summary form (channel_credit per journey) agrees with the window form summed by channel",
			"in_scope AND coalesce(window_bad, 0) > 0",
		"coalesce(window_diff, 0)"},
	};
	static const Property parallel_props[] = {
		{"summary form gives bit-identical maps in a forced-parallel plan (time decay: within "
			PLAN_TOLERANCE " relative)",
		"CASE WHEN exact THEN NOT same ELSE rel_diff > " PLAN_TOLERANCE " END", "rel_diff"},
	};

	check_properties(conn, cases, n_cases,
					 "WITH ad AS ("
					 " SELECT q, journey_id, count(*) AS s_rows, sum(credit) AS s_total,"
					 "  min(credit) AS s_low,"
					 "  count(*) FILTER (WHERE " CREDIT_IS_BAD("credit") ") AS s_bad,"
					 "  count(*) FILTER (WHERE (abs(credit - coalesce(window_credit, 0)) <= "
					 AGREE_TOLERANCE ") IS NOT TRUE) AS window_bad,"
					 "  max(abs(credit - coalesce(window_credit, 0))) AS window_diff"
					 " FROM (SELECT u.q, s.journey_id, e.credit, wc.w[u.q] AS window_credit"
					 "  FROM rm_s s CROSS JOIN unnest(s.cc) WITH ORDINALITY u(cc, q)"
					 "  CROSS JOIN attribution.each(u.cc) e"
					 "  LEFT JOIN rm_wc wc ON wc.journey_id = s.journey_id AND wc.channel = e.channel"
					 "  OFFSET 0) x"
					 " GROUP BY 1, 2)"
					 "SELECT u.q, u.n AS n_window, " IN_SUMMARY_SCOPE " AS in_scope,"
					 " s_rows, s_total, s_bad, window_bad, window_diff,"
					 " ROW(fj.journey_id, u.n, s_rows, s_total, s_low, window_bad, window_diff) AS detail"
					 " FROM rm_fj fj CROSS JOIN unnest(fj.n_window) WITH ORDINALITY u(n, q)"
					 " JOIN rm_cases c ON c.q = u.q JOIN rm_journeys t ON t.journey_id = fj.journey_id"
					 " LEFT JOIN ad ON ad.q = u.q AND ad.journey_id = fj.journey_id",
					 "(journey, window touches, channels, sum, min, channels disagreeing with the"
					 " window form, largest difference)",
					 props, sizeof(props) / sizeof(props[0]), RM_JOURNEYS);

	/*
	 * Identical text forms (the shortest exact form of each credit), or
	 * else the largest relative difference of a channel's credit.
	 */
	check_properties(conn, cases, n_cases,
					 "SELECT q, exact, same, CASE WHEN same THEN 0::float8"
					 " ELSE (SELECT coalesce(max(CASE WHEN x.channel IS NULL OR y.channel IS NULL"
					 "  THEN 'Infinity' ELSE abs(x.credit - y.credit)"
					 "  / greatest(abs(x.credit), abs(y.credit), 1e-288) END), 0)"
					 "  FROM attribution.each(a) x FULL JOIN attribution.each(b) y"
					 "  ON x.channel = y.channel) END AS rel_diff,"
					 " ROW(journey_id, a, b) AS detail"
					 " FROM (SELECT u.q, c.exact, s.journey_id, u.a, u.b,"
					 "  u.a::text IS NOT DISTINCT FROM u.b::text AS same"
					 "  FROM rm_s s JOIN rm_sp p USING (journey_id),"
					 "  unnest(s.cc, p.cc) WITH ORDINALITY u(a, b, q) JOIN rm_cases c ON c.q = u.q"
					 "  OFFSET 0) x",
					 "(journey, serial, parallel)",
					 parallel_props, 1, RM_JOURNEYS);
}

/*
 * per channel: attribution.sum over the journeys (plain and weighted) and
 * credit_by_channel against the window form, and in a forced-parallel plan
 * (bit-identical for credit_by_channel under the position-based models,
 * within the documented 1e-14 relative otherwise)
 */
static void
check_sums(PGconn *conn, const TestCase *cases, int n_cases)
{
	static const Property props[] = {
		{"attribution.sum over the journeys agrees with the window form summed by channel",
			"kind = 'plain' AND NOT (abs(coalesce(s_credit, 0) - coalesce(b_credit, 0))"
			" <= " AGREE_TOLERANCE ")",
		"abs(coalesce(s_credit, 0) - coalesce(b_credit, 0))"},
		{"attribution.sum(cc, weight) agrees with the window form times the weight, by channel",
			"kind = 'weighted' AND NOT (abs(coalesce(s_credit, 0) - coalesce(b_credit, 0))"
			" <= " AGREE_TOLERANCE " * greatest(1, abs(b_credit)))",
		"abs(coalesce(s_credit, 0) - coalesce(b_credit, 0)) / greatest(1, abs(b_credit))"},
		{"credit_by_channel agrees with the window form summed by channel",
			"kind = 'by_channel' AND NOT (abs(coalesce(s_credit, 0) - coalesce(b_credit, 0))"
			" <= " AGREE_TOLERANCE ")",
		"abs(coalesce(s_credit, 0) - coalesce(b_credit, 0))"},
		{"sum(), sum(cc, weight) and credit_by_channel give the same totals in a forced-parallel"
			" plan (credit_by_channel bit-identical but for time decay; else to "
			PLAN_TOLERANCE " relative)",
			"s_credit IS NULL OR p_credit IS NULL OR CASE WHEN kind = 'by_channel' AND exact"
			" THEN s_credit <> p_credit ELSE NOT (abs(s_credit - p_credit)"
			" <= " PLAN_TOLERANCE " * abs(s_credit)) END",
		"abs(s_credit - p_credit) / greatest(abs(s_credit), 1e-300)"},
	};
	SqlBuf		q = {0};
	int			i;

	/* b: the window form's totals by channel over the journeys in scope */
	sb_printf(&q, "WITH b AS (SELECT wc.channel, ARRAY[");
	for (i = 0; i < n_cases; i++)
		sb_printf(&q, "%ssum(wc.w[%d]) FILTER (WHERE %s)", i > 0 ? ", " : "", i + 1,
				  cases[i].summary_scope);
	sb_printf(&q, "] AS plain, ARRAY[");
	for (i = 0; i < n_cases; i++)
		sb_printf(&q, "%ssum(wc.w[%d] * jr.value) FILTER (WHERE %s)", i > 0 ? ", " : "", i + 1,
				  cases[i].summary_scope);
	sb_printf(&q,
			  "] AS weighted FROM rm_wc wc JOIN rm_journeys jr USING (journey_id)"
			  " GROUP BY wc.channel),"
			  "bb AS ("
			  " SELECT u.q, k.kind, b.channel, u.credit AS b_credit"
			  " FROM b, (VALUES ('plain'), ('by_channel')) k(kind),"
			  "  unnest(b.plain) WITH ORDINALITY u(credit, q)"
			  " UNION ALL"
			  " SELECT u.q, 'weighted', b.channel, u.credit"
			  " FROM b, unnest(b.weighted) WITH ORDINALITY u(credit, q))"
			  "SELECT q, kind, c.exact, s.credit AS s_credit, b_credit, p.credit AS p_credit,"
			  " ROW(kind, channel, s.credit, b_credit, p.credit) AS detail"
			  " FROM rm_sum s FULL JOIN bb USING (q, kind, channel)"
			  " FULL JOIN rm_sump p USING (q, kind, channel) JOIN rm_cases c USING (q)");
	check_properties(conn, cases, n_cases, q.data,
					 "(sum, channel, summary, window, summary in parallel)",
					 props, sizeof(props) / sizeof(props[0]), 3 * RM_N_CHANNELS);
	sb_free(&q);
}

/*
 * Append a query grouping the per-touch arrays of credits `array` of
 * `source` (with columns journey_id, channel) by journey and channel:
 * journey_id, channel, w (the sum of the credits of the channel per case),
 * n (the number of window touches of the channel per case).
 */
static void
append_by_channel(SqlBuf *q, const char *source, const char *array, int n_cases)
{
	int			i;

	sb_printf(q, "SELECT journey_id, channel, ARRAY[");
	for (i = 1; i <= n_cases; i++)
		sb_printf(q, "%ssum(%s[%d])", i > 1 ? ", " : "", array, i);
	sb_printf(q, "] AS w, ARRAY[");
	for (i = 1; i <= n_cases; i++)
		sb_printf(q, "%scount(%s[%d])", i > 1 ? ", " : "", array, i);
	sb_printf(q, "] AS n FROM %s GROUP BY journey_id, channel", source);
}

/* ----------------------------------------------------------------------
 * The short forms of channel_credit: (model, touched_at, channel,
 * converted_at), given the conversion of every other journey only, against
 * the formulation without touch ids, milestones or direct flags; and
 * (model, touched_at, channel), which must equal the former without a
 * conversion.  Without touch ids the order of touches with equal
 * (touched_at, channel) is unknown, but the credit by channel does not
 * depend on it.
 * ---------------------------------------------------------------------- */
#define SHORT_FORM_CONVERSION "CASE WHEN mod(journey_id, 2) = 0 THEN converted_at END"

static void
check_short_summary_forms(PGconn *conn)
{
	static const char *const models[] = {
		"first_touch", "last_non_direct", "linear", "position_based", "j_shaped", "w_shaped",
		"full_path", "time_decay (7 days)"
	};
	static const Property props[] = {
		{"channel_credit(model, touched_at, channel, converted_at): credits of every journey"
			" sum to 1; no window touch: no channels",
			"CASE WHEN n_window > 0 THEN s_rows IS NULL OR NOT (abs(s_total - 1) <= " SUM_TOLERANCE ")"
			" ELSE s_rows IS NOT NULL END",
		"abs(coalesce(s_total, 0) - (n_window > 0)::int)"},
		{"channel_credit(model, touched_at, channel, converted_at) agrees with the plain-SQL"
			" formulation by channel",
		"coalesce(sql_bad, 0) > 0", "coalesce(sql_diff, 0)"},
	};
	static const Property same_props[] = {
		{"channel_credit(model, touched_at, channel) equals the form with converted_at NULL",
		"cc3::text IS DISTINCT FROM cc4::text", "0"},
	};
	const int	n_cases = (int) (sizeof(models) / sizeof(models[0]));
	TestCase	cases[sizeof(models) / sizeof(models[0])];
	FormulationInput in = {"rm_touches", false, false, SHORT_FORM_CONVERSION, false};
	SqlBuf		q = {0};
	SqlBuf		f = {0};
	int			i;

	for (i = 0; i < n_cases; i++)
	{
		init_case(&cases[i], find_config(models[i]), NULL);
		snprintf(cases[i].label, sizeof(cases[i].label), "%s, short form", models[i]);
	}

	/* the formulation by journey and channel; the short summaries */
	sb_printf(&f, "(");
	append_formulation(&f, &in, cases, n_cases);
	sb_printf(&f, ") f");
	append_by_channel(&q, f.data, "f", n_cases);
	create_table_as(conn, "rm_fc", &q);
	sb_reset(&q);
	sb_printf(&q, "SELECT journey_id, ARRAY[");
	for (i = 0; i < n_cases; i++)
		sb_printf(&q, "%sattribution.channel_credit(%s, touched_at, channel, " SHORT_FORM_CONVERSION ")",
				  i > 0 ? ", " : "", cases[i].model);
	sb_printf(&q, "] AS cc4, ARRAY[");
	for (i = 0; i < n_cases; i++)
		sb_printf(&q, "%sattribution.channel_credit(%s, touched_at, channel)",
				  i > 0 ? ", " : "", cases[i].model);
	sb_printf(&q, "] AS cc3 FROM rm_touches GROUP BY journey_id");
	create_table_as(conn, "rm_sc", &q);

	check_properties(conn, cases, n_cases,
					 "WITH ad AS ("
					 " SELECT q, journey_id, count(*) AS s_rows, sum(credit) AS s_total,"
					 "  count(*) FILTER (WHERE (abs(credit - coalesce(sql_credit, 0)) <= "
					 AGREE_TOLERANCE ") IS NOT TRUE) AS sql_bad,"
					 "  max(abs(credit - coalesce(sql_credit, 0))) AS sql_diff"
					 " FROM (SELECT u.q, s.journey_id, e.credit, fc.w[u.q] AS sql_credit"
					 "  FROM rm_sc s CROSS JOIN unnest(s.cc4) WITH ORDINALITY u(cc, q)"
					 "  CROSS JOIN attribution.each(u.cc) e"
					 "  LEFT JOIN rm_fc fc ON fc.journey_id = s.journey_id AND fc.channel = e.channel"
					 "  OFFSET 0) x"
					 " GROUP BY 1, 2),"
					 "nw AS ("
					 " SELECT fc.journey_id, u.q, sum(u.n) AS n_window"
					 " FROM rm_fc fc, unnest(fc.n) WITH ORDINALITY u(n, q) GROUP BY 1, 2)"
					 "SELECT q, n_window, s_rows, s_total, sql_bad, sql_diff,"
					 " ROW(journey_id, n_window, s_rows, s_total, sql_bad, sql_diff) AS detail"
					 " FROM nw LEFT JOIN ad USING (q, journey_id)",
					 "(journey, window touches, channels, sum, channels disagreeing with sql,"
					 " largest difference)",
					 props, sizeof(props) / sizeof(props[0]), RM_JOURNEYS);
	check_properties(conn, cases, n_cases,
					 "SELECT u.q, u.cc3, u.cc4, ROW(s.journey_id, u.cc3, u.cc4) AS detail"
					 " FROM rm_sc s, unnest(s.cc3, s.cc4) WITH ORDINALITY u(cc3, cc4, q)"
					 " WHERE mod(s.journey_id, 2) = 1",
					 "(journey, without converted_at, with converted_at NULL)",
					 same_props, 1, RM_JOURNEYS / 2);
	sb_free(&q);
	sb_free(&f);
}

/* ----------------------------------------------------------------------
 * One-off checks: the data set, the formulation's known answers, plans
 * ---------------------------------------------------------------------- */

/* the generated data has every edge case the tests claim to cover */
static void
check_data_coverage(PGconn *conn)
{
	PGresult   *res = query_ok(conn,
							   "WITH j AS ("
							   " SELECT journey_id, count(*) AS n, min(touched_at) AS first_at,"
							   "  max(converted_at) AS conv, max(lead_created_at) AS lead,"
							   "  max(opportunity_created_at) AS opp,"
							   "  max(touched_at) FILTER (WHERE touched_at <= lead_created_at) AS lead_touch,"
							   "  max(touched_at) FILTER (WHERE touched_at <= opportunity_created_at) AS opp_touch,"
							   "  max(touched_at) FILTER (WHERE touched_at <= closed_at) AS closed_touch,"
							   "  bool_and(channel = 'direct') AS all_direct,"
							   "  count(*) FILTER (WHERE touched_at > converted_at) AS n_after"
							   " FROM rm_touches GROUP BY journey_id),"
							   "ties AS ("
							   " SELECT count(*) FILTER (WHERE k > 1) AS time_ties,"
							   "  count(*) FILTER (WHERE k > 1 AND ids < k) AS id_ties"
							   " FROM (SELECT count(*) AS k, count(DISTINCT coalesce(touch_id, -1)) AS ids"
							   "  FROM rm_touches GROUP BY journey_id, touched_at) x)"
							   "SELECT (SELECT count(*) FROM j) AS journeys,"
							   " (SELECT count(*) FROM j WHERE n = 1) AS n1,"
							   " (SELECT count(*) FROM j WHERE n = 2) AS n2,"
							   " (SELECT count(*) FROM j WHERE n = 3) AS n3,"
							   " (SELECT count(*) FROM j WHERE n >= 26) AS long,"
							   " (SELECT max(n) FROM j) AS max_n,"
							   " (SELECT time_ties FROM ties) AS time_ties,"
							   " (SELECT id_ties FROM ties) AS id_ties,"
							   " (SELECT count(*) FROM rm_touches WHERE touch_id IS NULL) AS null_ids,"
							   " (SELECT count(*) FROM j WHERE n_after > 0) AS touches_after,"
							   " (SELECT count(*) FROM j WHERE conv < first_at) AS empty_window,"
							   " (SELECT count(*) FROM j WHERE conv IS NULL) AS no_conversion,"
							   " (SELECT count(*) FROM j WHERE lead_touch = opp_touch"
							   "   OR opp_touch = closed_touch) AS shared_milestone,"
							   " (SELECT count(*) FROM j WHERE lead IS NOT NULL AND lead_touch IS NULL)"
							   "   AS milestone_before_first,"
							   " (SELECT count(*) FROM j WHERE lead IS NULL) AS no_lead,"
							   " (SELECT count(*) FROM j WHERE all_direct AND n > 1) AS all_direct,"
							   " (SELECT count(DISTINCT channel) FROM rm_touches) AS channels,"
							   " (SELECT count(*) FROM (SELECT journey_id FROM rm_touches"
							   "   GROUP BY journey_id, touched_at, touch_id, channel HAVING count(*) > 1) d)"
							   "   AS duplicates,"
							   " (SELECT count(*) FROM (SELECT rid, lag(journey_id) OVER () = journey_id AS same"
							   "   FROM rm_touches) x WHERE same) AS adjacent_same_journey");
	long		v[19];
	int			i;
	bool		ok;

	for (i = 0; i < 19; i++)
		v[i] = atol(PQgetvalue(res, 0, i));
	/* at most a few touches of a journey are next to each other on disk */
	ok = v[0] == RM_JOURNEYS && v[1] > 500 && v[2] > 500 && v[3] > 500 && v[4] > 100 &&
		v[5] >= 45 && v[6] > 1000 && v[7] > 100 && v[8] > 1000 && v[9] > 500 &&
		v[10] > 100 && v[11] > 500 && v[12] > 500 && v[13] > 200 && v[14] > 1000 &&
		v[15] > 40 && v[16] == RM_N_CHANNELS && v[17] == 0 && v[18] < 1000;
	check(ok, "the data set covers the edge cases: journeys %ld, sizes 1/2/3/>=26: %ld/%ld/%ld/%ld,"
		  " longest %ld, touched_at ties %ld, touch_id ties %ld, NULL touch ids %ld,"
		  " journeys with touches after the conversion %ld, empty windows %ld,"
		  " no conversion %ld, two milestones on one touch %ld, lead before the first touch %ld,"
		  " no lead %ld, all direct %ld, channels %ld, duplicate touches %ld (want 0),"
		  " rows next to a row of the same journey %ld (want few: random order)",
		  v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12],
		  v[13], v[14], v[15], v[16], v[17], v[18]);
	PQclear(res);
}

/*
 * The formulation reproduces SPEC's known answers (checked by hand): a
 * 4-touch U-shape .4 .1 .1 .4, a 2-touch J-shape .25 .75, time decay of
 * touches 0, 0, 6 and 9 days before the conversion with a 7-day half-life
 * splitting 50 as 16.88 16.88 9.32 6.92 (and a touch after the conversion
 * left out), a W-shape without middle touches 1/3 each, a W-shape with lead
 * and opportunity on one touch .3 .1 .6, a 5-touch full path.
 */
typedef struct KnownAnswer
{
	int			journey_id;
	const char *config;			/* label in rm_configs */
	double		scale;
	const char *expected;		/* round(scale * credit, 2) in touch order */
} KnownAnswer;

static const ModelConfig *
find_config(const char *label)
{
	int			i;

	for (i = 0; i < N_CONFIGS; i++)
		if (strcmp(rm_configs[i].label, label) == 0)
			return &rm_configs[i];
	fprintf(stderr, "no model configuration %s\n", label);
	exit(2);
}

static void
check_known_answers(PGconn *conn)
{
	static const KnownAnswer answers[] = {
		{1, "position_based", 1, ".40 .10 .10 .40"},
		{2, "j_shaped", 1, ".25 .75"},
		{3, "time_decay (7 days)", 50, "6.92 9.32 16.88 16.88"},
		{4, "w_shaped", 3, "1.00 1.00 1.00"},
		{5, "full_path", 1000, "225.00 225.00 225.00 100.00 225.00"},
		{6, "w_shaped", 1, ".30 .10 .60"},
	};
	TestCase	cases[sizeof(answers) / sizeof(answers[0])];
	FormulationInput in = full_input;
	SqlBuf		q = {0};
	PGresult   *res;
	size_t		i;

	exec_ok(conn,
			"DROP TABLE IF EXISTS rm_known; CREATE TABLE rm_known (LIKE rm_touches);"
			"INSERT INTO rm_known (rid, journey_id, touch_id, touched_at, channel, converted_at,"
			" lead_created_at, opportunity_created_at, closed_at)"
			" SELECT row_number() OVER (), j, k, ts, ch, conv::timestamptz, lead::timestamptz,"
			"  opp::timestamptz, closed::timestamptz FROM (VALUES"
			" (1, 1, '2024-01-01'::timestamptz, 'a', '2024-02-01', NULL, NULL, NULL),"
			" (1, 2, '2024-01-02', 'b', '2024-02-01', NULL, NULL, NULL),"
			" (1, 3, '2024-01-03', 'c', '2024-02-01', NULL, NULL, NULL),"
			" (1, 4, '2024-01-04', 'a', '2024-02-01', NULL, NULL, NULL),"
			" (2, 1, '2024-01-01', 'a', '2024-02-01', NULL, NULL, NULL),"
			" (2, 2, '2024-01-02', 'b', '2024-02-01', NULL, NULL, NULL),"
			" (3, 2, '2024-01-31', 'a', '2024-01-31', NULL, NULL, NULL),"
			" (3, 1, '2024-01-31', 'b', '2024-01-31', NULL, NULL, NULL),"
			" (3, 3, '2024-01-25', 'c', '2024-01-31', NULL, NULL, NULL),"
			" (3, 4, '2024-01-22', 'd', '2024-01-31', NULL, NULL, NULL),"
			" (3, 5, '2024-02-05', 'e', '2024-01-31', NULL, NULL, NULL),"
			" (4, 1, '2024-01-01', 'a', '2024-03-01', '2024-01-02', '2024-01-03', NULL),"
			" (4, 2, '2024-01-02', 'b', '2024-03-01', '2024-01-02', '2024-01-03', NULL),"
			" (4, 3, '2024-01-03', 'c', '2024-03-01', '2024-01-02', '2024-01-03', NULL),"
			" (4, 4, '2024-01-04', 'd', '2024-03-01', '2024-01-02', '2024-01-03', NULL),"
			" (5, 1, '2024-01-01', 'a', '2024-03-01', '2024-01-02', '2024-01-03', '2024-01-05'),"
			" (5, 2, '2024-01-02', 'b', '2024-03-01', '2024-01-02', '2024-01-03', '2024-01-05'),"
			" (5, 3, '2024-01-03', 'c', '2024-03-01', '2024-01-02', '2024-01-03', '2024-01-05'),"
			" (5, 4, '2024-01-04', 'd', '2024-03-01', '2024-01-02', '2024-01-03', '2024-01-05'),"
			" (5, 5, '2024-01-05', 'e', '2024-03-01', '2024-01-02', '2024-01-03', '2024-01-05'),"
			" (6, 1, '2024-01-01', 'a', '2024-03-01', '2024-01-03', '2024-01-03', NULL),"
			" (6, 2, '2024-01-02', 'b', '2024-03-01', '2024-01-03', '2024-01-03', NULL),"
			" (6, 3, '2024-01-02', 'c', '2024-03-01', '2024-01-03', '2024-01-03', NULL),"
			" (6, 4, '2024-01-04', 'd', '2024-03-01', '2024-01-03', '2024-01-03', NULL)"
			" ) v(j, k, ts, ch, conv, lead, opp, closed)");
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		init_case(&cases[i], find_config(answers[i].config), NULL);
	in.table = "rm_known";
	sb_printf(&q, "SELECT journey_id, string_agg(ltrim(to_char(CASE journey_id");
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		sb_printf(&q, " WHEN %d THEN %.17g * f[%zu]", answers[i].journey_id, answers[i].scale, i + 1);
	sb_printf(&q, " END, 'FM999990.00'), '0'), ' ' ORDER BY pos_all) FROM (");
	append_formulation(&q, &in, cases, (int) (sizeof(answers) / sizeof(answers[0])));
	sb_printf(&q, ") f GROUP BY journey_id ORDER BY journey_id");
	res = query_ok(conn, q.data);
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
	{
		const char *got = (int) i < PQntuples(res) && !PQgetisnull(res, i, 1) ?
			PQgetvalue(res, i, 1) : "(none)";

		check(strcmp(got, answers[i].expected) == 0,
			  "the plain-SQL formulation of %s gives the known answer %s on journey %d, got %s",
			  answers[i].config, answers[i].expected, answers[i].journey_id, got);
	}
	PQclear(res);
	sb_free(&q);
}

/* EXPLAIN (COSTS OFF) of sql in a forced-parallel plan shows a partial aggregate */
static void
check_partial_aggregate(PGconn *conn, const char *what, const char *sql)
{
	SqlBuf		q = {0};
	SqlBuf		plan = {0};
	PGresult   *res;
	int			i;
	bool		partial;

	set_parallel(conn, true);
	sb_printf(&q, "EXPLAIN (COSTS OFF) %s", sql);
	res = query_ok(conn, q.data);
	for (i = 0; i < PQntuples(res); i++)
		sb_printf(&plan, "%s\n", PQgetvalue(res, i, 0));
	PQclear(res);
	set_parallel(conn, false);
	partial = strstr(plan.data, "Partial Aggregate") != NULL ||
		strstr(plan.data, "Partial HashAggregate") != NULL ||
		strstr(plan.data, "Partial GroupAggregate") != NULL;
	check(partial && strstr(plan.data, "Gather") != NULL,
		  "%s: a forced-parallel plan has a Partial Aggregate under a Gather:\n%s",
		  what, plan.data);
	sb_free(&q);
	sb_free(&plan);
}

static void
set_parallel(PGconn *conn, bool on)
{
	if (on)
		exec_ok(conn,
				"SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;"
				"SET min_parallel_table_scan_size = 0; SET min_parallel_index_scan_size = 0;"
				"SET max_parallel_workers_per_gather = 2");
	else
		exec_ok(conn,
				"RESET parallel_setup_cost; RESET parallel_tuple_cost;"
				"RESET min_parallel_table_scan_size; RESET min_parallel_index_scan_size;"
				"SET max_parallel_workers_per_gather = 0");
}

/* DROP TABLE name; CREATE TABLE name AS <q> */
static void
create_table_as(PGconn *conn, const char *name, const SqlBuf *q)
{
	SqlBuf		s = {0};

	sb_printf(&s, "DROP TABLE IF EXISTS %s; CREATE TABLE %s AS %s", name, name, q->data);
	exec_ok(conn, s.data);
	sb_free(&s);
}

/* the journeys, serially (rm_jn) and in a parallel plan (rm_jnp) */
#define JOURNEY_AGG_SQL \
	"SELECT journey_id, attribution.journey_agg(touched_at, channel, touch_id) AS j" \
	" FROM rm_touches GROUP BY journey_id"

static void
build_journeys(PGconn *conn)
{
	SqlBuf		q = {0};
	PGresult   *res;

	sb_printf(&q, JOURNEY_AGG_SQL);
	create_table_as(conn, "rm_jn", &q);
	set_parallel(conn, true);
	create_table_as(conn, "rm_jnp", &q);
	set_parallel(conn, false);
	sb_free(&q);
	check_partial_aggregate(conn, "journey_agg", JOURNEY_AGG_SQL);

	res = query_ok(conn,
				   "SELECT count(*), count(*) FILTER (WHERE a.j::text IS DISTINCT FROM b.j::text),"
				   " string_agg(journey_id::text, ' ') FILTER (WHERE a.j::text IS DISTINCT FROM b.j::text)"
				   " FROM rm_jn a FULL JOIN rm_jnp b USING (journey_id)");
	check(atol(PQgetvalue(res, 0, 0)) == RM_JOURNEYS && atol(PQgetvalue(res, 0, 1)) == 0,
		  "journey_agg gives the same journeys (text form) in a forced-parallel plan:"
		  " %s journeys, %s differ: %.300s", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
		  PQgetvalue(res, 0, 2));
	PQclear(res);
}

/*
 * Compute every form for every case: rm_f (formulation), rm_w (window
 * form), rm_wp (window form, rows in reverse order, forced-parallel plan),
 * rm_j (journey form from rm_jn), rm_s / rm_sp (summary form, serial and
 * parallel), rm_sum / rm_sump (sums over the journeys of rm_s, serial and
 * parallel); and from them rm_fj (per journey and case: window touches,
 * sum and largest window-form credit) and rm_wc (the window form summed by
 * journey and channel).
 */
static void
build_results(PGconn *conn, const TestCase *cases, int n_cases)
{
	SqlBuf		q = {0};
	int			i;

	sb_printf(&q, "DROP TABLE IF EXISTS rm_cases;"
			  "CREATE TABLE rm_cases (q int PRIMARY KEY, label text, has_lookback bool,"
			  " window_end int, exact bool); INSERT INTO rm_cases VALUES ");
	for (i = 0; i < n_cases; i++)
		sb_printf(&q, "%s(%d, '%s', %s, %d, %s)", i > 0 ? ", " : "", i + 1, cases[i].label,
				  cases[i].lookback_text ? "true" : "false", (int) cases[i].m->end,
				  cases[i].m->kind == KIND_TIME_DECAY ? "false" : "true");
	exec_ok(conn, q.data);

	sb_reset(&q);
	append_formulation(&q, &full_input, cases, n_cases);
	create_table_as(conn, "rm_f", &q);

	sb_reset(&q);
	append_window_form(&q, cases, n_cases, false);
	create_table_as(conn, "rm_w", &q);
	sb_reset(&q);
	append_window_form(&q, cases, n_cases, true);
	set_parallel(conn, true);
	create_table_as(conn, "rm_wp", &q);
	set_parallel(conn, false);

	sb_reset(&q);
	append_journey_form(&q, cases, n_cases, "rm_jn");
	create_table_as(conn, "rm_j", &q);

	sb_reset(&q);
	append_summary_form(&q, cases, n_cases);
	create_table_as(conn, "rm_s", &q);
	set_parallel(conn, true);
	create_table_as(conn, "rm_sp", &q);
	set_parallel(conn, false);
	check_partial_aggregate(conn, "channel_credit", q.data);

	sb_reset(&q);
	sb_printf(&q, "%s UNION ALL ", sums_sql);
	append_credit_by_channel(&q, cases, n_cases);
	create_table_as(conn, "rm_sum", &q);
	set_parallel(conn, true);
	create_table_as(conn, "rm_sump", &q);
	set_parallel(conn, false);
	sb_reset(&q);
	append_credit_by_channel(&q, cases, n_cases);
	check_partial_aggregate(conn, "credit_by_channel", q.data);
	check_partial_aggregate(conn, "attribution.sum(channel_credits)",
							"SELECT u.q, attribution.sum(u.cc) FROM rm_s s,"
							" unnest(s.cc) WITH ORDINALITY u(cc, q) GROUP BY u.q");
	check_partial_aggregate(conn, "attribution.sum(channel_credits, weight)",
							"SELECT attribution.sum(s.cc[1], jr.value)"
							" FROM rm_s s JOIN rm_journeys jr USING (journey_id)");

	/* per journey and case: window touches, the window form's sum and largest credit */
	sb_reset(&q);
	sb_printf(&q, "SELECT t.journey_id, ARRAY[");
	for (i = 1; i <= n_cases; i++)
		sb_printf(&q, "%scount(f.f[%d])", i > 1 ? ", " : "", i);
	sb_printf(&q, "] AS n_window, ARRAY[");
	for (i = 1; i <= n_cases; i++)
		sb_printf(&q, "%ssum(w.w[%d])", i > 1 ? ", " : "", i);
	sb_printf(&q, "] AS w_total, ARRAY[");
	for (i = 1; i <= n_cases; i++)
		sb_printf(&q, "%smax(abs(w.w[%d]))", i > 1 ? ", " : "", i);
	sb_printf(&q, "] AS w_high FROM rm_touches t JOIN rm_w w USING (rid) JOIN rm_f f USING (rid)"
			  " GROUP BY t.journey_id");
	create_table_as(conn, "rm_fj", &q);

	sb_reset(&q);
	append_by_channel(&q, "(SELECT t.journey_id, t.channel, w.w FROM rm_touches t"
					  " JOIN rm_w w USING (rid)) x", "w", n_cases);
	create_table_as(conn, "rm_wc", &q);
	sb_free(&q);
}

void
test_rule_models(PGconn *conn)
{
	PGresult   *res;
	TestCase	cases[MAX_CASES];
	int			n_cases = 0;
	long		n_touches;
	int			i,
				k;
	time_t		started = time(NULL);

	res = query_ok(conn, "SELECT e.extversion = a.default_version FROM pg_extension e "
				   "JOIN pg_available_extensions a ON a.name = e.extname WHERE e.extname = 'attribution'");
	check(PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0,
		  "the extension is installed at its default version");
	PQclear(res);

	/* lookback and the data are in UTC; serial unless asked otherwise */
	exec_ok(conn, "SET TimeZone = 'UTC'; SET client_encoding = 'UTF8'; SET work_mem = '128MB'");
	set_parallel(conn, false);

	n_touches = load_data(conn);
	check_data_coverage(conn);
	check_known_answers(conn);

	for (i = 0; i < N_CONFIGS; i++)
		for (k = 0; k < N_LOOKBACKS; k++)
			if (rm_lookbacks[k] == NULL || !rm_configs[i].variant)
				init_case(&cases[n_cases++], &rm_configs[i], rm_lookbacks[k]);

	build_journeys(conn);
	build_results(conn, cases, n_cases);
	check_window_rows(conn, cases, n_cases, n_touches);
	check_window_sums(conn, cases, n_cases);
	check_journey_form(conn, cases, n_cases);
	check_summary_form(conn, cases, n_cases);
	check_sums(conn, cases, n_cases);
	check_short_summary_forms(conn);

	/* channel_credit cannot measure lookback from the last touch */
	exec_fails(conn,
			   "SELECT attribution.channel_credit('linear', touched_at, channel, touch_id, false,"
			   " NULL, NULL, NULL, NULL, NULL, NULL, interval '5 days')"
			   " FROM rm_touches WHERE journey_id = 1 GROUP BY journey_id", "22023");

	exec_ok(conn,
			"DROP TABLE rm_touches, rm_journeys, rm_known, rm_cases, rm_f, rm_w, rm_wp,"
			" rm_jn, rm_jnp, rm_j, rm_s, rm_sp, rm_sum, rm_sump, rm_fj, rm_wc, rm_fc, rm_sc");
	printf("rule_models: %d journeys, %ld touches, %d cases, %ld s\n",
		   RM_JOURNEYS, n_touches, n_cases, (long) (time(NULL) - started));
}
