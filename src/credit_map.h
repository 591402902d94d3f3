/*
 * credit_map.h
 *		The attribution.channel_credits type: credit by channel, channels in
 *		bytewise order of their names.
 */
#ifndef ATTRIBUTION_CREDIT_MAP_H
#define ATTRIBUTION_CREDIT_MAP_H

#include "postgres.h"

#define CREDIT_MAP_VERSION 1

typedef struct CreditMapData
{
	int32		vl_len_;
	uint8		version;
	uint8		flags;			/* none yet */
	uint16		unused;
	int32		nchannels;
	int32		names_len;		/* bytes of the names, each NUL-terminated */
	/* then, MAXALIGNed: double credit[nchannels]; char names[names_len] */
} CreditMapData;

#define CREDIT_MAP_HEADER_SIZE MAXALIGN(sizeof(CreditMapData))
#define CREDIT_MAP_CREDITS(m) ((double *) ((char *) (m) + CREDIT_MAP_HEADER_SIZE))
#define CREDIT_MAP_NAMES(m) ((char *) (CREDIT_MAP_CREDITS(m) + (m)->nchannels))

#define PG_GETARG_CREDIT_MAP(n) ((CreditMapData *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

/*
 * Build a map from n distinct names (not NUL-terminated; lens give their
 * lengths) and their credits; duplicate names are an error.
 */
extern CreditMapData *credit_map_build(int n, const char *const *names, const int *lens,
									   const double *credits);

#endif							/* ATTRIBUTION_CREDIT_MAP_H */
