/*
 * stage_ladder.h
 *		The stage ladder of the demand waterfall: the ordered ladder stages
 *		plus the exit stages, as one list of names.
 *
 * Stage indexes: ladder stages are 0 .. n_ladder - 1 in ladder order, exit
 * stages follow as n_ladder .. n_stages - 1 in the order given.  This index
 * is also the rank that breaks ties between events at the same time, so an
 * exit at the same time as a ladder stage comes after it.
 *
 * The names are kept back to back, each NUL-terminated, in one block (the
 * "blob"); two ladders are the same when their counts and blobs are equal.
 */
#ifndef ATTRIBUTION_STAGE_LADDER_H
#define ATTRIBUTION_STAGE_LADDER_H

#include "postgres.h"

#include "binio.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "textio.h"
#include "utils/array.h"

/* ladder and exit stages together */
#define LADDER_MAX_STAGES 100
/* bytes of one stage name */
#define LADDER_MAX_NAME_LEN 255

typedef struct StrDict StrDict;

typedef struct StageLadder
{
	int			n_ladder;		/* ladder stages, at least 2 */
	int			n_exits;		/* exit stages, possibly 0 */
	int			n_stages;		/* n_ladder + n_exits */
	int			blob_len;		/* bytes of blob */
	const char *blob;			/* the names, each NUL-terminated */
	const char *names[LADDER_MAX_STAGES];	/* pointers into blob */
	int			name_lens[LADDER_MAX_STAGES];
	StrDict    *dict;			/* name -> index, for long ladders; or NULL */
	bool		is_default;		/* the built-in ladder and exits */
} StageLadder;

static inline bool
ladder_is_exit(const StageLadder *ladder, int stage)
{
	return stage >= ladder->n_ladder;
}

/*
 * The built-in ladder {inquiry,mql,sal,sql,opportunity,won} with the exits
 * {disqualified,lost}, as a static view (valid for the whole session).
 */
extern const StageLadder *ladder_default_view(void);
/* a deep copy in the given context */
extern StageLadder *ladder_copy(const StageLadder *ladder, MemoryContext cxt);

extern bool ladder_equal(const StageLadder *a, const StageLadder *b);
/*
 * Index of a stage name; a name in neither the ladder nor the exits is an
 * error naming the stage, the ladder and the exits.
 */
extern int	ladder_lookup_or_error(const StageLadder *ladder, const char *name, int len);
/* the error for two ladders that should be one; what: "waterfall summaries" */
pg_noreturn extern void ladder_different_error(const StageLadder *a, const StageLadder *b,
											   const char *what);

/*
 * A view of a ladder stored elsewhere (in a stage_history value): fills
 * *ladder with pointers into blob, checking only the structure (the names
 * were validated when the value was made).  No dictionary.
 */
extern void ladder_init_view(StageLadder *ladder, int n_ladder, int n_exits,
							 const char *blob, int blob_len);

/*
 * Text form: "ladder":[...],"exits":[...] (no braces).  Reading validates:
 * at least two ladder stages, no stage twice, no exit in the ladder, names
 * of 1 to LADDER_MAX_NAME_LEN bytes valid in the database encoding.
 */
extern void ladder_append_text(StringInfo buf, const StageLadder *ladder);
extern StageLadder *ladder_read_text(TextScanner *scan);
/* read the key "key" and the colon after it */
extern void ladder_expect_key(TextScanner *scan, const char *key);

/*
 * Binary forms.  client_encoding: names are converted to and from the
 * client encoding (send/recv of a type); false for the serialized states
 * of aggregates, which stay inside the server.
 */
extern void ladder_send(StringInfo buf, const StageLadder *ladder, bool client_encoding);
extern StageLadder *ladder_recv(BinReader *in, bool client_encoding);

/*
 * A per-query cache of ladders, kept in fn_extra of an aggregate support
 * function, so that every group of a query shares one ladder (and one
 * dictionary) instead of building its own.  ladder_cache_args() resolves the
 * ladder and exits arguments of stage_agg (-1: argument absent, use the
 * default).  The ladders live in fn_mcxt and stay valid for the whole query.
 */
extern StageLadder *ladder_cache_args(FunctionCallInfo fcinfo, int ladder_argno,
									  int exits_argno);
/* ladder_recv(in, false) through the cache: known ladders are not revalidated */
extern StageLadder *ladder_cache_recv(FunctionCallInfo fcinfo, BinReader *in);

#endif							/* ATTRIBUTION_STAGE_LADDER_H */
