/*
 * compat.h
 *		Differences between the PostgreSQL major versions we build for: 15 to
 *		18 (15, 17 and 18 are tested; see README "Supported versions").
 *
 * Every PG_VERSION_NUM guard of the extension lives here.
 */
#ifndef ATTRIBUTION_COMPAT_H
#define ATTRIBUTION_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "attribution requires PostgreSQL 15 or later"
#endif

/* varatt.h was split out of postgres.h in 16 */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * pg_noreturn, written before a declaration, replaced the trailing
 * pg_attribute_noreturn() in 18, which removed the latter.
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * Set up a materialized set-returning function call whose result has the
 * tuple descriptor the executor expects; see compat.c.  srf_start() does
 * that and returns the tuplestore to fill and its tuple descriptor: every
 * set-returning function of the extension starts with one of the two.
 */
#include "fmgr.h"
#include "funcapi.h"
#include "utils/tuplestore.h"
extern void srf_materialize(FunctionCallInfo fcinfo);

static inline Tuplestorestate *
srf_start(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	srf_materialize(fcinfo);
	*tupdesc = rsinfo->setDesc;
	return rsinfo->setResult;
}

/* infinite intervals appeared in 17 */
#include "datatype/timestamp.h"
#ifndef INTERVAL_NOT_FINITE
#define INTERVAL_NOT_FINITE(i) false
#endif

/* MarkGUCPrefixReserved() replaced EmitWarningsOnPlaceholders() in 15 */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

#endif							/* ATTRIBUTION_COMPAT_H */
