/*
 * compat.h
 *		Differences between the PostgreSQL major versions we build for (13-17).
 *
 * Every PG_VERSION_NUM guard of the extension lives here.
 */
#ifndef ATTRIBUTION_COMPAT_H
#define ATTRIBUTION_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 130000
#error "attribution requires PostgreSQL 13 or later"
#endif

/* qsort_interruptible() appeared in 15 (and was back-patched to 14.5) */
#if PG_VERSION_NUM >= 150000
#define HAVE_QSORT_INTERRUPTIBLE 1
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
 * Set up a materialized set-returning function call (InitMaterializedSRF()
 * from 15 on, done by hand before); see compat.c.
 */
#include "fmgr.h"
extern void srf_materialize(FunctionCallInfo fcinfo);

/* the sort that checks for interrupts: qsort_arg before 15 */
#ifndef HAVE_QSORT_INTERRUPTIBLE
#define qsort_interruptible qsort_arg
#endif

/* infinite intervals appeared in 17 */
#include "datatype/timestamp.h"
#ifndef INTERVAL_NOT_FINITE
#define INTERVAL_NOT_FINITE(i) false
#endif

#endif							/* ATTRIBUTION_COMPAT_H */
