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

/* a read-only message over a serialized state, for the pq_getmsg functions */
extern void agg_state_message(bytea *state, StringInfo msg);

#endif							/* ATTRIBUTION_AGGUTIL_H */
