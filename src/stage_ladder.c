/*
 * stage_ladder.c
 *		The stage ladder of the demand waterfall; see stage_ladder.h.
 */
#include "postgres.h"

#include "compat.h"

#include "attribution.h"
#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "stage_ladder.h"
#include "strdict.h"
#include "utils/builtins.h"

/* ladders of more stages than this get a dictionary for name lookups */
#define LADDER_DICT_THRESHOLD 16
/* distinct ladder arguments one query may use */
#define LADDER_CACHE_MAX 256

static const char *const default_stage_names[] = {
	"inquiry", "mql", "sal", "sql", "opportunity", "won",
	"disqualified", "lost"
};
#define DEFAULT_N_LADDER 6
#define DEFAULT_N_EXITS 2
/* the same names as a blob (the terminating NUL of the literal ends "lost") */
static const char default_blob[] =
"inquiry\0mql\0sal\0sql\0opportunity\0won\0disqualified\0lost";

static bool
blob_is_default(int n_ladder, int n_exits, const char *blob, int blob_len)
{
	return n_ladder == DEFAULT_N_LADDER && n_exits == DEFAULT_N_EXITS &&
		blob_len == (int) sizeof(default_blob) &&
		memcmp(blob, default_blob, sizeof(default_blob)) == 0;
}

static char *ladder_names_string(const StageLadder *ladder, bool exits);
pg_noreturn static void ladder_unknown_stage_error(const StageLadder *ladder,
												   const char *name, int len);

static void
too_many_stages(int n_stages)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("too many stages"),
			 errdetail("The ladder and the exit stages have %d stages together; at most %d are supported.",
					   n_stages, LADDER_MAX_STAGES),
			 errhint("Group stages into fewer, broader ones.")));
}

static void
check_stage_count(int n_ladder, int n_exits)
{
	if (n_ladder < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a stage ladder needs at least two stages"),
				 errdetail("The ladder has %d stage%s.", n_ladder, n_ladder == 1 ? "" : "s"),
				 errhint("Pass the ladder as an array of stage names in funnel order, for example '{inquiry,mql,sal,sql,opportunity,won}'.")));
	if (n_exits < 0 || n_ladder + n_exits > LADDER_MAX_STAGES)
		too_many_stages(n_ladder + Max(n_exits, 0));
}

static void
check_stage_name(const char *name, int len, bool is_exit)
{
	const char *what = is_exit ? "exit stage" : "ladder stage";

	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s name must not be empty", what),
				 errdetail("An empty string was given as a stage name."),
				 errhint("Give every stage a non-empty name.")));
	if (len > LADDER_MAX_NAME_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s name is too long", what),
				 errdetail("The name has %d bytes; at most %d are supported.",
						   len, LADDER_MAX_NAME_LEN),
				 errhint("Use shorter stage names.")));
	if (memchr(name, '\0', len) != NULL ||
		!pg_verify_mbstr(GetDatabaseEncoding(), name, len, true))
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("%s name is not valid in the database encoding", what),
				 errdetail("The name contains a zero byte or an invalid byte sequence."),
				 errhint("Use stage names in the database encoding.")));
}

static void
check_duplicates(const StageLadder *ladder)
{
	int			i,
				j;

	for (i = 1; i < ladder->n_stages; i++)
	{
		for (j = 0; j < i; j++)
		{
			if (ladder->name_lens[i] != ladder->name_lens[j] ||
				memcmp(ladder->names[i], ladder->names[j], ladder->name_lens[i]) != 0)
				continue;
			if (!ladder_is_exit(ladder, i))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("ladder stage \"%s\" is listed twice", ladder->names[i]),
						 errdetail("The ladder is %s.", ladder_names_string(ladder, false)),
						 errhint("List each stage of the ladder once, in funnel order.")));
			if (ladder_is_exit(ladder, j))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("exit stage \"%s\" is listed twice", ladder->names[i]),
						 errdetail("The exit stages are %s.", ladder_names_string(ladder, true)),
						 errhint("List each exit stage once.")));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("stage \"%s\" is both a ladder stage and an exit stage", ladder->names[i]),
					 errdetail("The ladder is %s and the exit stages are %s.",
							   ladder_names_string(ladder, false),
							   ladder_names_string(ladder, true)),
					 errhint("A stage is either a step of the ladder or an exit; remove it from one of the two lists.")));
		}
	}
}

/*
 * Point names[] and name_lens[] into the blob, and build the dictionary of
 * the names of a long ladder.
 */
static void
index_names(StageLadder *ladder)
{
	const char *p = ladder->blob;
	int			i;

	Assert(ladder->n_ladder >= 2 && ladder->n_exits >= 0 &&
		   ladder->n_stages == ladder->n_ladder + ladder->n_exits &&
		   ladder->n_stages <= LADDER_MAX_STAGES);
	for (i = 0; i < ladder->n_stages; i++)
	{
		ladder->names[i] = p;
		ladder->name_lens[i] = strlen(p);
		p += ladder->name_lens[i] + 1;
	}
	/* the blob is the names back to back, each NUL-terminated */
	Assert(p == ladder->blob + ladder->blob_len);

	ladder->dict = NULL;
	if (ladder->n_stages <= LADDER_DICT_THRESHOLD)
		return;
	ladder->dict = strdict_create(ladder->n_stages);
	for (i = 0; i < ladder->n_stages; i++)
		strdict_intern(ladder->dict, ladder->names[i], ladder->name_lens[i]);
}

static StageLadder *
ladder_build(int n_ladder, int n_exits, const char *const *names, const int *lens)
{
	StageLadder *ladder;
	char	   *blob;
	int			blob_len = 0;
	int			i;

	check_stage_count(n_ladder, n_exits);
	for (i = 0; i < n_ladder + n_exits; i++)
	{
		check_stage_name(names[i], lens[i], i >= n_ladder);
		blob_len += lens[i] + 1;
	}

	ladder = palloc(sizeof(StageLadder));
	ladder->n_ladder = n_ladder;
	ladder->n_exits = n_exits;
	ladder->n_stages = n_ladder + n_exits;
	ladder->blob_len = blob_len;
	blob = palloc(blob_len);
	blob_len = 0;
	for (i = 0; i < ladder->n_stages; i++)
	{
		memcpy(blob + blob_len, names[i], lens[i]);
		blob[blob_len + lens[i]] = '\0';
		blob_len += lens[i] + 1;
	}
	ladder->blob = blob;
	Assert(blob_len == ladder->blob_len);
	ladder->is_default = blob_is_default(n_ladder, n_exits, blob, blob_len);
	index_names(ladder);
	check_duplicates(ladder);
	return ladder;
}

void
ladder_init_view(StageLadder *ladder, int n_ladder, int n_exits,
				 const char *blob, int blob_len)
{
	const char *p = blob;
	const char *end = blob + blob_len;
	int			i;

	if (n_ladder < 2 || n_exits < 0 || n_ladder + n_exits > LADDER_MAX_STAGES)
		bin_error_at("stage_history", BIN_STORED, "The stage counts %d and %d of its ladder are out of range.",
					 n_ladder, n_exits);
	ladder->n_ladder = n_ladder;
	ladder->n_exits = n_exits;
	ladder->n_stages = n_ladder + n_exits;
	ladder->blob = blob;
	ladder->blob_len = blob_len;
	ladder->dict = NULL;
	for (i = 0; i < ladder->n_stages; i++)
	{
		const char *nul = p < end ? memchr(p, '\0', end - p) : NULL;

		if (nul == NULL || nul == p)
			bin_error_at("stage_history", BIN_STORED, "Stage name %d of its ladder is empty or cut off.", i + 1);
		ladder->names[i] = p;
		ladder->name_lens[i] = nul - p;
		p = nul + 1;
	}
	if (p != end)
		bin_error_at("stage_history", BIN_STORED, "Bytes follow the stage names of its ladder.");
	ladder->is_default = blob_is_default(n_ladder, n_exits, blob, blob_len);
}

const StageLadder *
ladder_default_view(void)
{
	static StageLadder view;
	static bool ready = false;

	if (!ready)
	{
		ladder_init_view(&view, DEFAULT_N_LADDER, DEFAULT_N_EXITS,
						 default_blob, sizeof(default_blob));
		ready = true;
	}
	return &view;
}

static int
array_names(ArrayType *arr, const char *what, const char **names, int room)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	check_one_dimension(arr, what, "Pass a plain list of stage names such as '{inquiry,mql,sql}'.");
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n > room)
		too_many_stages(n + LADDER_MAX_STAGES - room);
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s contains a null stage name", what),
					 errdetail("Element %d of the array is null.", i + 1),
					 errhint("Remove the null element or give the stage a name.")));
		names[i] = (const char *) elems[i];
	}
	return n;
}

static StageLadder *
ladder_from_arrays(ArrayType *ladder_arr, ArrayType *exits_arr)
{
	const char *names[LADDER_MAX_STAGES];
	int			lens[LADDER_MAX_STAGES];
	int			n_ladder;
	int			n_exits;
	int			i;

	n_ladder = array_names(ladder_arr, "ladder", names, LADDER_MAX_STAGES);
	if (exits_arr != NULL)
		n_exits = array_names(exits_arr, "exit stages", names + n_ladder,
							  LADDER_MAX_STAGES - n_ladder);
	else
	{
		n_exits = DEFAULT_N_EXITS;
		if (n_ladder + n_exits > LADDER_MAX_STAGES)
			too_many_stages(n_ladder + n_exits);
	}
	for (i = 0; i < n_ladder + n_exits; i++)
	{
		if (i >= n_ladder && exits_arr == NULL)
		{
			names[i] = default_stage_names[DEFAULT_N_LADDER + i - n_ladder];
			lens[i] = strlen(names[i]);
		}
		else
		{
			/* the array elements are text datums */
			const text *t = (const text *) names[i];

			names[i] = VARDATA_ANY(t);
			lens[i] = VARSIZE_ANY_EXHDR(t);
		}
	}
	return ladder_build(n_ladder, n_exits, names, lens);
}

static StageLadder *
ladder_default(void)
{
	int			lens[DEFAULT_N_LADDER + DEFAULT_N_EXITS];
	int			i;

	for (i = 0; i < DEFAULT_N_LADDER + DEFAULT_N_EXITS; i++)
		lens[i] = strlen(default_stage_names[i]);
	return ladder_build(DEFAULT_N_LADDER, DEFAULT_N_EXITS, default_stage_names, lens);
}

StageLadder *
ladder_copy(const StageLadder *ladder, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	StageLadder *copy = palloc(sizeof(StageLadder));
	char	   *blob = palloc(ladder->blob_len);

	memcpy(copy, ladder, sizeof(StageLadder));
	memcpy(blob, ladder->blob, ladder->blob_len);
	copy->blob = blob;
	index_names(copy);
	MemoryContextSwitchTo(old);
	return copy;
}

bool
ladder_equal(const StageLadder *a, const StageLadder *b)
{
	return a == b || (a->is_default && b->is_default) ||
		(a->n_ladder == b->n_ladder && a->n_exits == b->n_exits &&
		 a->blob_len == b->blob_len && memcmp(a->blob, b->blob, a->blob_len) == 0);
}

static int
ladder_lookup(const StageLadder *ladder, const char *name, int len)
{
	int			i;

	if (ladder->dict != NULL)
		return strdict_lookup(ladder->dict, name, len);
	for (i = 0; i < ladder->n_stages; i++)
	{
		/* names are never empty: compare the first byte before the rest */
		if (ladder->name_lens[i] == len && ladder->names[i][0] == name[0] &&
			memcmp(ladder->names[i], name, len) == 0)
			return i;
	}
	return -1;
}

int
ladder_lookup_or_error(const StageLadder *ladder, const char *name, int len)
{
	int			index = ladder_lookup(ladder, name, len);

	if (index < 0)
		ladder_unknown_stage_error(ladder, name, len);
	return index;
}

static char *
ladder_names_string(const StageLadder *ladder, bool exits)
{
	StringInfoData buf;
	int			first = exits ? ladder->n_ladder : 0;
	int			end = exits ? ladder->n_stages : ladder->n_ladder;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = first; i < end; i++)
	{
		if (i > first)
			appendStringInfoChar(&buf, ',');
		appendStringInfoString(&buf, ladder->names[i]);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

static void
ladder_unknown_stage_error(const StageLadder *ladder, const char *name, int len)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("stage \"%s\" is not in the ladder or the exit stages",
					pnstrdup(name, pg_mbcliplen(name, len, LADDER_MAX_NAME_LEN))),
			 errdetail("The ladder is %s and the exit stages are %s.",
					   ladder_names_string(ladder, false),
					   ladder_names_string(ladder, true)),
			 errhint("Correct the stage name (names are case-sensitive) or pass a ladder and exit stages that include it.")));
	pg_unreachable();
}

void
ladder_different_error(const StageLadder *a, const StageLadder *b, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s with different ladders cannot be combined", what),
			 errdetail("One uses the ladder %s with exit stages %s, another the ladder %s with exit stages %s.",
					   ladder_names_string(a, false), ladder_names_string(a, true),
					   ladder_names_string(b, false), ladder_names_string(b, true)),
			 errhint("Group by the ladder, or build every history with the same ladder and exit stages.")));
	pg_unreachable();
}

/* text form */

static void
append_name_list(StringInfo buf, const StageLadder *ladder, int first, int end)
{
	int			i;

	appendStringInfoChar(buf, '[');
	for (i = first; i < end; i++)
	{
		if (i > first)
			appendStringInfoChar(buf, ',');
		tw_append_string(buf, ladder->names[i], ladder->name_lens[i]);
	}
	appendStringInfoChar(buf, ']');
}

void
ladder_append_text(StringInfo buf, const StageLadder *ladder)
{
	appendStringInfoString(buf, "\"ladder\":");
	append_name_list(buf, ladder, 0, ladder->n_ladder);
	appendStringInfoString(buf, ",\"exits\":");
	append_name_list(buf, ladder, ladder->n_ladder, ladder->n_stages);
}

/* read "[name, ...]" into names/lens from position *n on */
static void
read_name_list(TextScanner *scan, const char **names, int *lens, int *n)
{
	ts_expect(scan, '[');
	if (ts_accept(scan, ']'))
		return;
	do
	{
		if (*n >= LADDER_MAX_STAGES)
			too_many_stages(*n + 1);
		names[*n] = ts_read_string(scan, &lens[*n]);
		(*n)++;
	} while (ts_accept(scan, ','));
	ts_expect(scan, ']');
}

void
ladder_expect_key(TextScanner *scan, const char *key)
{
	char	   *got;

	if (!ts_peek(scan, '"'))
		ts_error(scan, "Expected the key \"%s\"", key);
	got = ts_read_string(scan, NULL);
	if (strcmp(got, key) != 0)
		ts_error(scan, "Expected the key \"%s\" but found \"%s\"", key, got);
	ts_expect(scan, ':');
	pfree(got);
}

StageLadder *
ladder_read_text(TextScanner *scan)
{
	const char *names[LADDER_MAX_STAGES];
	int			lens[LADDER_MAX_STAGES];
	int			n = 0;
	int			n_ladder;

	ladder_expect_key(scan, "ladder");
	read_name_list(scan, names, lens, &n);
	n_ladder = n;
	ts_expect(scan, ',');
	ladder_expect_key(scan, "exits");
	read_name_list(scan, names, lens, &n);
	return ladder_build(n_ladder, n - n_ladder, names, lens);
}

/* binary forms */

void
ladder_send(StringInfo buf, const StageLadder *ladder, bool client_encoding)
{
	int			i;

	pq_sendint32(buf, ladder->n_ladder);
	pq_sendint32(buf, ladder->n_exits);
	for (i = 0; i < ladder->n_stages; i++)
	{
		const char *name = ladder->names[i];
		int			len = ladder->name_lens[i];

		if (client_encoding)
		{
			name = pg_server_to_client(name, len);
			len = strlen(name);
		}
		pq_sendint32(buf, len);
		pq_sendbytes(buf, name, len);
	}
}

/*
 * The stage counts and names of a binary form into names and lens (room for
 * LADDER_MAX_STAGES); the names are not validated as stage names here.
 */
static void
read_stage_names(BinReader *in, bool client_encoding, int *n_ladder, int *n_exits,
				 const char **names, int *lens)
{
	int			i;

	*n_ladder = bin_int32(in);
	*n_exits = bin_int32(in);
	if (*n_ladder < 0 || *n_exits < 0 || *n_ladder > LADDER_MAX_STAGES ||
		*n_exits > LADDER_MAX_STAGES - *n_ladder)
		bin_error(in, "The stage counts %d and %d of its ladder are out of range.", *n_ladder, *n_exits);
	for (i = 0; i < *n_ladder + *n_exits; i++)
		names[i] = bin_name(in, &lens[i], client_encoding, i + 1);
}

StageLadder *
ladder_recv(BinReader *in, bool client_encoding)
{
	const char *names[LADDER_MAX_STAGES];
	int			lens[LADDER_MAX_STAGES];
	int			n_ladder;
	int			n_exits;

	read_stage_names(in, client_encoding, &n_ladder, &n_exits, names, lens);
	return ladder_build(n_ladder, n_exits, names, lens);
}

/* the per-query cache */

typedef struct LadderArgEntry
{
	char	   *ladder_raw;		/* bytes of the ladder argument, or NULL */
	int			ladder_len;
	char	   *exits_raw;		/* bytes of the exits argument, or NULL */
	int			exits_len;
	StageLadder *ladder;
} LadderArgEntry;

typedef struct LadderCache
{
	StageLadder *default_ladder;
	int			n_ladders;		/* distinct ladders */
	StageLadder *ladders[LADDER_CACHE_MAX];
	int			n_args;			/* argument values seen */
	int			last_hit;
	LadderArgEntry args[LADDER_CACHE_MAX];
} LadderCache;

static LadderCache *
get_cache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(LadderCache));
	return (LadderCache *) fcinfo->flinfo->fn_extra;
}

static void
too_many_ladders(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("too many different stage ladders in one query"),
			 errdetail("At most %d different ladder and exit stage arguments are supported per aggregate call.",
					   LADDER_CACHE_MAX),
			 errhint("Use named ladders (a few), not a ladder per unit.")));
}

/* the cached ladder equal to this one (adding it, copied, if new) */
static StageLadder *
intern_ladder(FunctionCallInfo fcinfo, LadderCache *cache, const StageLadder *ladder)
{
	int			i;

	for (i = 0; i < cache->n_ladders; i++)
	{
		if (ladder_equal(cache->ladders[i], ladder))
			return cache->ladders[i];
	}
	if (cache->n_ladders >= LADDER_CACHE_MAX)
		too_many_ladders();
	cache->ladders[cache->n_ladders] = ladder_copy(ladder, fcinfo->flinfo->fn_mcxt);
	return cache->ladders[cache->n_ladders++];
}

StageLadder *
ladder_cache_recv(FunctionCallInfo fcinfo, BinReader *in)
{
	LadderCache *cache = get_cache(fcinfo);
	const char *names[LADDER_MAX_STAGES];
	int			lens[LADDER_MAX_STAGES];
	int			n_ladder;
	int			n_exits;
	int			i,
				k;

	read_stage_names(in, false, &n_ladder, &n_exits, names, lens);

	/* a ladder already known is used as it is, without validating again */
	for (k = 0; k < cache->n_ladders; k++)
	{
		const StageLadder *known = cache->ladders[k];

		if (known->n_ladder != n_ladder || known->n_exits != n_exits)
			continue;
		for (i = 0; i < known->n_stages; i++)
		{
			if (known->name_lens[i] != lens[i] ||
				memcmp(known->names[i], names[i], lens[i]) != 0)
				break;
		}
		if (i == known->n_stages)
			return cache->ladders[k];
	}
	return intern_ladder(fcinfo, cache, ladder_build(n_ladder, n_exits, names, lens));
}

static bool
raw_matches(const char *raw, int raw_len, struct varlena *arg)
{
	if (arg == NULL)
		return raw == NULL;
	return raw != NULL && raw_len == VARSIZE_ANY_EXHDR(arg) &&
		memcmp(raw, VARDATA_ANY(arg), raw_len) == 0;
}

static bool
entry_matches(const LadderArgEntry *entry, struct varlena *ladder_arg,
			  struct varlena *exits_arg)
{
	return raw_matches(entry->ladder_raw, entry->ladder_len, ladder_arg) &&
		raw_matches(entry->exits_raw, entry->exits_len, exits_arg);
}

static char *
copy_raw(MemoryContext cxt, struct varlena *arg, int *len)
{
	char	   *copy;

	*len = VARSIZE_ANY_EXHDR(arg);
	copy = MemoryContextAlloc(cxt, Max(*len, 1));
	memcpy(copy, VARDATA_ANY(arg), *len);
	return copy;
}

static struct varlena *
array_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	if (argno < 0)
		return NULL;
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what),
				 errdetail("A null array was passed as the %s argument.", what),
				 errhint("Omit the argument to use the default, or pass an array of stage names.")));
	return PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(argno));
}

StageLadder *
ladder_cache_args(FunctionCallInfo fcinfo, int ladder_argno, int exits_argno)
{
	LadderCache *cache = get_cache(fcinfo);
	struct varlena *ladder_arg;
	struct varlena *exits_arg;
	LadderArgEntry *entry;
	StageLadder *built;
	MemoryContext old;
	int			i;

	if (ladder_argno < 0)
	{
		if (cache->default_ladder == NULL)
		{
			old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
			cache->default_ladder = ladder_default();
			MemoryContextSwitchTo(old);
		}
		return cache->default_ladder;
	}

	ladder_arg = array_arg(fcinfo, ladder_argno, "ladder");
	exits_arg = array_arg(fcinfo, exits_argno, "exit stages");

	/* the last argument value seen is the usual hit (a constant) */
	if (cache->n_args > 0 &&
		entry_matches(&cache->args[cache->last_hit], ladder_arg, exits_arg))
		return cache->args[cache->last_hit].ladder;
	for (i = 0; i < cache->n_args; i++)
	{
		if (entry_matches(&cache->args[i], ladder_arg, exits_arg))
		{
			cache->last_hit = i;
			return cache->args[i].ladder;
		}
	}

	/* a new argument value: validate it and remember it */
	if (cache->n_args >= LADDER_CACHE_MAX)
		too_many_ladders();
	built = ladder_from_arrays(DatumGetArrayTypeP(PointerGetDatum(ladder_arg)),
							   exits_arg ? DatumGetArrayTypeP(PointerGetDatum(exits_arg)) : NULL);
	entry = &cache->args[cache->n_args];
	entry->ladder = intern_ladder(fcinfo, cache, built);
	entry->ladder_raw = copy_raw(fcinfo->flinfo->fn_mcxt, ladder_arg, &entry->ladder_len);
	entry->exits_raw = exits_arg ?
		copy_raw(fcinfo->flinfo->fn_mcxt, exits_arg, &entry->exits_len) : NULL;
	cache->last_hit = cache->n_args++;
	return entry->ladder;
}
