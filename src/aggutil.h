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

#endif							/* ATTRIBUTION_AGGUTIL_H */
