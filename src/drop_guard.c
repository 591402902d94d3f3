/*
 * drop_guard.c
 *		Keeps a DROP ... CASCADE of someone else's object from dropping the
 *		extension and all its data.
 *
 * PostgreSQL drops a whole extension when a cascade reaches one of its
 * members (dependency.c turns the deletion of a member into the deletion of
 * the extension that owns it).  A member view that reads a user's relation
 * directly (a source set with use_source(..., direct => true)) would
 * therefore take the extension, its tables and their rows with it when the
 * user drops that relation, one of its columns or its schema with CASCADE.
 *
 * The guard: an event trigger at ddl_command_start notes whether the
 * command is one that may drop the extension on purpose (DROP EXTENSION
 * naming it, DROP SCHEMA naming its schema, DROP OWNED); an object access
 * hook refuses the drop of the extension by any other command.  The hook is
 * installed when the library is loaded, and the event trigger loads it
 * before any DDL command runs, so the guard holds in every session.
 *
 * When event triggers do not fire (single-user mode, or
 * session_replication_role = replica), the guard stays idle and PostgreSQL's
 * own behaviour applies.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_extension.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "attribution.h"

#define GUARDED_EXTENSION "attribution"

typedef enum DropGuardState
{
	GUARD_IDLE,					/* no DDL command seen in this transaction */
	GUARD_ARMED,				/* the running command must not drop it */
	GUARD_ALLOWED				/* the running command may drop it */
} DropGuardState;

static DropGuardState guard_state = GUARD_IDLE;
static bool guard_installed = false;
static object_access_hook_type prev_object_access_hook = NULL;

/* the schema of an extension, NULL if it does not exist */
static char *
extension_schema_name(Oid extension)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *result = NULL;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(extension));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		result = get_namespace_name(((Form_pg_extension) GETSTRUCT(tuple))->extnamespace);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/* true when the name list of a DROP holds the name */
static bool
names_include(List *objects, const char *name)
{
	ListCell   *lc;

	foreach(lc, objects)
	{
		Node	   *object = (Node *) lfirst(lc);

		if (IsA(object, String) && strcmp(strVal(object), name) == 0)
			return true;
	}
	return false;
}

/* may this command drop the extension on purpose? */
static bool
command_may_drop_extension(Node *parsetree)
{
	if (parsetree == NULL)
		return false;
	if (IsA(parsetree, DropOwnedStmt))
		return true;
	if (IsA(parsetree, DropStmt))
	{
		DropStmt   *stmt = (DropStmt *) parsetree;

		if (stmt->removeType == OBJECT_EXTENSION)
			return names_include(stmt->objects, GUARDED_EXTENSION);
		if (stmt->removeType == OBJECT_SCHEMA)
		{
			Oid			extension = get_extension_oid(GUARDED_EXTENSION, true);
			char	   *schema;

			if (!OidIsValid(extension))
				return false;
			schema = extension_schema_name(extension);
			return schema != NULL && names_include(stmt->objects, schema);
		}
	}
	return false;
}

static void
drop_guard_object_access(ObjectAccessType access, Oid classId, Oid objectId, int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);

	if (access == OAT_DROP && classId == ExtensionRelationId && guard_state == GUARD_ARMED)
	{
		char	   *name = get_extension_name(objectId);

		if (name != NULL && strcmp(name, GUARDED_EXTENSION) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("this command would drop extension \"%s\" with all its data", name),
					 errdetail("An object of the extension depends on an object the command drops with CASCADE, "
							   "for example a source set with use_source(..., direct => true) reads a relation it drops."),
					 errhint("Point the source back to the built-in table with %s.use_source(kind, NULL) first, "
							 "or run DROP EXTENSION %s to drop the extension on purpose.",
							 extension_schema_name(objectId), name)));
	}
}

static void
drop_guard_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			guard_state = GUARD_IDLE;
			break;
		default:
			break;
	}
}

void
drop_guard_install(void)
{
	if (guard_installed)
		return;
	prev_object_access_hook = object_access_hook;
	object_access_hook = drop_guard_object_access;
	RegisterXactCallback(drop_guard_xact_callback, NULL);
	guard_installed = true;
}

PG_FUNCTION_INFO_V1(attribution_drop_guard);

/*
 * attribution_drop_guard() - the event trigger at ddl_command_start: notes
 * whether the command may drop the extension on purpose.
 */
Datum
attribution_drop_guard(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("attribution_drop_guard() must be fired as an event trigger"),
				 errdetail("It was called as an ordinary function."),
				 errhint("It runs by itself before every DDL command; there is no need to call it.")));
	trigdata = (EventTriggerData *) fcinfo->context;
	drop_guard_install();
	guard_state = command_may_drop_extension(trigdata->parsetree) ? GUARD_ALLOWED : GUARD_ARMED;
	PG_RETURN_NULL();
}
