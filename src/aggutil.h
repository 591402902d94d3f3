/*
 * aggutil.h
 *		Small helpers shared by the aggregate support functions.
 */
#ifndef ATTRIBUTION_AGGUTIL_H
#define ATTRIBUTION_AGGUTIL_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"

/* the aggregate's memory context; "cannot happen" error outside an aggregate */
extern MemoryContext agg_memory_context(FunctionCallInfo fcinfo, const char *funcname);

/*
 * The state argument (argument 0) unchanged, NULL when it is NULL: what a
 * transition function returns for a row that adds nothing, and a combine
 * function when its second state is NULL.
 */
extern Datum agg_state_unchanged(FunctionCallInfo fcinfo);

/* an internal state argument of a support function, NULL when it is NULL */
static inline void *
agg_state_arg(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : PG_GETARG_POINTER(argno);
}

#endif							/* ATTRIBUTION_AGGUTIL_H */
