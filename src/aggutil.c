/*
 * aggutil.c
 *		Small helpers shared by the aggregate support functions; see aggutil.h.
 */
#include "postgres.h"

#include "aggutil.h"
#include "compat.h"

MemoryContext
agg_memory_context(FunctionCallInfo fcinfo, const char *funcname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", funcname);
	return aggcontext;
}

Datum
agg_state_unchanged(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

