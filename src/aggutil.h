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

#endif							/* ATTRIBUTION_AGGUTIL_H */
