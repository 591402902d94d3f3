/*
 * compat.c
 *		Helpers shared by the set-returning functions.
 */
#include "postgres.h"

#include "compat.h"

#include "funcapi.h"

/*
 * Set up a materialized set-returning function call.  The result's tuple
 * descriptor is the one the executor expects when it gives one, which saves
 * a catalog lookup on every call (credits() runs once per journey).
 */
void
srf_materialize(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, (rsinfo && rsinfo->expectedDesc) ? MAT_SRF_USE_EXPECTED_DESC : 0);
}
