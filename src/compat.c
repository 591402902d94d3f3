/*
 * compat.c
 *		Helpers whose implementation differs between PostgreSQL versions.
 */
#include "postgres.h"

#include "compat.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/tuplestore.h"

/*
 * Set up a materialized set-returning function call.  The result's tuple
 * descriptor is the one the executor expects when it gives one, which saves
 * a catalog lookup on every call (credits() runs once per journey).
 */
void
srf_materialize(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

#if PG_VERSION_NUM >= 150000
	InitMaterializedSRF(fcinfo, (rsinfo && rsinfo->expectedDesc) ? MAT_SRF_USE_EXPECTED_DESC : 0);
#else
	TupleDesc	tupdesc;
	MemoryContext old;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (rsinfo->expectedDesc)
		tupdesc = CreateTupleDescCopy(rsinfo->expectedDesc);
	else if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = tupdesc;
	MemoryContextSwitchTo(old);
#endif
}
