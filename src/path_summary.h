/*
 * path_summary.h
 *		The storable type attribution.path_summary: the distinct paths of many
 *		journeys with their conversions, value and non-conversions.
 *
 * Stored form (canonical: the same paths and sums always give the same
 * bytes, however the summary was built):
 *
 *		header			PathSummary below
 *		channel names	n_channels NUL-terminated strings in bytewise order;
 *						a channel's index in this list is its id
 *		paths			n_paths records in lexicographic order of their id
 *						sequences (a prefix before its extensions):
 *						  flags byte: bits 0-1, 2-3, 4-5 the number of terms of
 *						    conversions, value and non-conversions (0 to 3, see
 *						    exactsum.h); bit 6: value is the same as conversions
 *						    (its terms are then not repeated)
 *						  the number of touches, LEB128
 *						  the channel ids, each in the order-preserving code of
 *						    path_summary.c (1 to 3 bytes)
 *						  the terms, float8 in native byte order, unaligned
 *
 * Accessors read it with a PathReader.
 */
#ifndef ATTRIBUTION_PATH_SUMMARY_H
#define ATTRIBUTION_PATH_SUMMARY_H

#include "postgres.h"

#include <math.h>

#include "compat.h"
#include "exactsum.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/tuplestore.h"

/* at most this many distinct channels in one summary */
#define PS_MAX_CHANNELS 65535

typedef struct PathSummary
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		version;
	uint8		flags;			/* none yet */
	uint16		reserved;
	int32		n_channels;
	int32		n_paths;
	int32		max_path_len;	/* touches of the longest path */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} PathSummary;

#define DatumGetPathSummaryP(d) ((PathSummary *) PG_DETOAST_DATUM(d))
#define PG_GETARG_PATH_SUMMARY_P(n) DatumGetPathSummaryP(PG_GETARG_DATUM(n))

/* the quantities of a path, in this order everywhere */
#define PS_CONVERSIONS 0
#define PS_VALUE 1
#define PS_NON_CONVERSIONS 2
#define PS_QUANTITIES 3

typedef struct PathReader
{
	const PathSummary *summary;
	int			n_channels;
	int			n_paths;
	int			max_path_len;
	const char **names;			/* channel names, by id */
	int		   *name_lens;
	const unsigned char *paths_start;
	const unsigned char *pos;
	const unsigned char *end;
	int			index;			/* of the current path; -1 before the first */

	/* the current path */
	int			length;			/* touches */
	int32	   *channels;		/* ids; room for max_path_len */
	double		conversions;	/* rounded sums */
	double		value;
	double		non_conversions;
	int			nterms[PS_QUANTITIES];	/* exact sums, as terms */
	double		terms[PS_QUANTITIES][EXACTSUM_MAX_TERMS];
} PathReader;

extern void path_reader_init(PathReader *reader, const PathSummary *summary);
/* advance to the next path; false after the last */
extern bool path_reader_next(PathReader *reader);
extern void path_reader_rewind(PathReader *reader);
/* the name of a channel as text */
extern text *path_reader_channel_text(const PathReader *reader, int channel);

/*
 * The models of a path summary compute in double precision with the
 * summary's conversions, non-conversions and values, which may each be up to
 * the largest double.  Sums that leave the range of double precision are an
 * error (numeric_value_out_of_range), never an infinite, NaN or zero result:
 * ps_check_finite() checks one result of function.  markov() and
 * transition_matrix() need the journeys and the values of the whole summary
 * to add up to less than PS_MODEL_MAX_TOTAL (their solver works with sums
 * and products of them).
 */
#define PS_MODEL_MAX_TOTAL 1e300

extern void ps_check_finite(double value, const char *what, const char *function);
extern void ps_check_totals(double journeys, double value, const char *function);

/*
 * The result of a model that credits each channel of a summary: one row
 * (channel, conversions, value) per channel of reader, in channel order,
 * each sum checked with ps_check_finite() for function.
 */
enum
{
	PS_CREDIT_CHANNEL,
	PS_CREDIT_CONVERSIONS,
	PS_CREDIT_VALUE,
	PS_CREDIT_COLUMNS
};

extern Datum ps_return_channel_credits(FunctionCallInfo fcinfo, const PathReader *reader,
									   const CompensatedSum *conversions,
									   const CompensatedSum *value, const char *function);

extern Tuplestorestate *ps_srf_start(FunctionCallInfo fcinfo, TupleDesc *tupdesc,
									 PathReader *reader);

#endif							/* ATTRIBUTION_PATH_SUMMARY_H */
