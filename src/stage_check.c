/*
 * stage_check.c
 *		The trigger that checks the stage of a stage event or target against
 *		its waterfall before the row is stored.
 *
 * The foreign keys of stage_events and stage_targets to waterfall_stages
 * keep the data consistent, but their error only says that the key
 * (waterfall, stage) is not present.  This BEFORE ROW trigger says which
 * stages the waterfall has, so that a typo ('MQL' for 'mql') is corrected
 * at once.  The stages of every waterfall are read once per statement (the
 * trigger's function information lives as long as the statement) and each
 * row is looked up in that sorted list: a bulk load pays a binary search
 * per row.  A stage missing from the list is looked up again before an
 * error is raised, so a list older than the statement's changes never
 * rejects a good row; the foreign keys remain the final check.
 *
 * The lookups run as the owner of the table, as the foreign key checks do,
 * so a role allowed to insert stage events needs no privilege on the
 * configuration tables.
 */
#include "postgres.h"

#include "compat.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

typedef struct StagePair
{
	char	   *waterfall;
	char	   *stage;
} StagePair;

typedef struct StageList
{
	int			n;
	StagePair  *pairs;
} StageList;

static int
compare_pairs(const void *a, const void *b)
{
	const StagePair *x = (const StagePair *) a;
	const StagePair *y = (const StagePair *) b;
	int			c = strcmp(x->waterfall, y->waterfall);

	return c != 0 ? c : strcmp(x->stage, y->stage);
}

/* "schema"."relation" of a configuration table next to the trigger's table */
static char *
config_table(Relation rel, const char *name)
{
	return quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)), name);
}

/* the (waterfall, stage) pairs of waterfall_stages, sorted, in memory of cxt */
static void
load_stages(Relation rel, StageList *list, MemoryContext cxt)
{
	char	   *query = psprintf("SELECT waterfall, stage FROM %s", config_table(rel, "waterfall_stages"));
	uint64		i;
	MemoryContext old;

	if (SPI_execute(query, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the waterfall stages");
	old = MemoryContextSwitchTo(cxt);
	if (list->pairs != NULL)
	{
		for (i = 0; i < (uint64) list->n; i++)
		{
			pfree(list->pairs[i].waterfall);
			pfree(list->pairs[i].stage);
		}
		pfree(list->pairs);
	}
	list->n = (int) SPI_processed;
	list->pairs = palloc(Max(SPI_processed, 1) * sizeof(StagePair));
	for (i = 0; i < SPI_processed; i++)
	{
		list->pairs[i].waterfall = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		list->pairs[i].stage = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
	}
	MemoryContextSwitchTo(old);
	qsort(list->pairs, list->n, sizeof(StagePair), compare_pairs);
#ifdef USE_ASSERT_CHECKING
	/* has_stage() searches the list: it must be sorted */
	for (i = 1; i < (uint64) list->n; i++)
		Assert(compare_pairs(&list->pairs[i - 1], &list->pairs[i]) <= 0);
#endif
}

static bool
has_stage(const StageList *list, const char *waterfall, const char *stage)
{
	StagePair	key;

	key.waterfall = (char *) waterfall;
	key.stage = (char *) stage;
	return list->pairs != NULL &&
		bsearch(&key, list->pairs, list->n, sizeof(StagePair), compare_pairs) != NULL;
}

/* the error for a stage or a waterfall that does not exist */
static void
unknown_stage_error(Relation rel, const char *waterfall, const char *stage)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	char	   *query;
	const char *table = RelationGetRelationName(rel);

	args[0] = CStringGetTextDatum(waterfall);
	query = psprintf("SELECT pg_catalog.array_to_string(ladder, ', '), pg_catalog.array_to_string(exits, ', ') "
					 "FROM %s WHERE name OPERATOR(pg_catalog.=) $1", config_table(rel, "waterfalls"));
	if (SPI_execute_with_args(query, 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the waterfall");
	if (SPI_processed == 0)
	{
		char	   *names;

		query = psprintf("SELECT pg_catalog.string_agg(name, ', ' ORDER BY name) FROM %s",
						 config_table(rel, "waterfalls"));
		if (SPI_execute(query, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read the waterfalls");
		names = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("waterfall \"%s\" does not exist", waterfall),
				 errdetail("The waterfalls are: %s.", names ? names : "none"),
				 errhint("Insert the waterfall into attribution.waterfalls first, or correct the waterfall of the %s row (names are case-sensitive).",
						 table),
				 errtable(rel)));
	}
	else
	{
		char	   *ladder = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		char	   *exits = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("stage \"%s\" is not a stage of waterfall \"%s\"", stage, waterfall),
				 errdetail("The ladder of %s is %s; its exits are %s.", waterfall, ladder,
						   (exits && exits[0]) ? exits : "none"),
				 errhint("Correct the stage of the %s row (names are case-sensitive), or add the stage to the waterfall's ladder or exits in attribution.waterfalls.",
						 table),
				 errtable(rel)));
	}
}

PG_FUNCTION_INFO_V1(attribution_check_stage);

Datum
attribution_check_stage(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	HeapTuple	tuple;
	int			waterfall_att;
	int			stage_att;
	char	   *waterfall;
	char	   *stage;
	StageList  *list;
	Oid			save_userid;
	int			save_sec_context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("check_stage() must be called as a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger"),
				 errdetail("It checks the stage of each row stored.")));

	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	waterfall_att = SPI_fnumber(tupdesc, "waterfall");
	stage_att = SPI_fnumber(tupdesc, "stage");
	if (waterfall_att <= 0 || stage_att <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("check_stage() needs the columns waterfall and stage"),
				 errdetail("Table \"%s\" lacks one of them.", RelationGetRelationName(rel))));
	waterfall = SPI_getvalue(tuple, tupdesc, waterfall_att);
	stage = SPI_getvalue(tuple, tupdesc, stage_att);
	if (waterfall == NULL || stage == NULL)
		return PointerGetDatum(tuple);	/* NOT NULL reports it */

	list = (StageList *) fcinfo->flinfo->fn_extra;
	if (list != NULL && has_stage(list, waterfall, stage))
		return PointerGetDatum(tuple);

	/* first row of the statement, or a stage the list does not have */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(rel->rd_rel->relowner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (list == NULL)
	{
		list = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(StageList));
		fcinfo->flinfo->fn_extra = list;
	}
	load_stages(rel, list, fcinfo->flinfo->fn_mcxt);
	if (!has_stage(list, waterfall, stage))
		unknown_stage_error(rel, waterfall, stage);
	SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec_context);
	return PointerGetDatum(tuple);
}
