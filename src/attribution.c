/*
 * attribution.c
 *		Module entry point of the attribution extension.
 *
 * Every SQL-callable function lives in the file of its concept; this file
 * only marks the library as a PostgreSQL module.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
