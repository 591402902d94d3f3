/*
 * heuristics.c
 *		heuristics(ps): the first-touch, last-touch and linear credits of a
 *		path summary, per channel, as the common open-source Markov tools
 *		report them next to the Markov result.
 *
 * Each path's conversions (and value) go wholly to its first touch, wholly to
 * its last touch, or in equal shares to each touch (linear: a channel touched
 * twice gets two shares, as in the rule-based linear model).
 */
#include "postgres.h"

#include "compat.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "path_summary.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(attribution_heuristics);

enum
{
	FIRST_TOUCH,
	LAST_TOUCH,
	LINEAR,
	N_HEURISTICS
};

/* the columns: the channel, each heuristic's conversions, then its values */
#define HC_CHANNEL 0
#define HC_CONVERSIONS(m) (1 + (m))
#define HC_VALUE(m) (1 + N_HEURISTICS + (m))
#define HC_COLUMNS (1 + 2 * N_HEURISTICS)

Datum
attribution_heuristics(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	PathReader	reader;
	Tuplestorestate *store = ps_srf_start(fcinfo, &tupdesc, &reader);
	CompensatedSum *conversions[N_HEURISTICS];
	CompensatedSum *value[N_HEURISTICS];
	int			m;
	int			c;

	for (m = 0; m < N_HEURISTICS; m++)
	{
		conversions[m] = palloc0(Max(reader.n_channels, 1) * sizeof(CompensatedSum));
		value[m] = palloc0(Max(reader.n_channels, 1) * sizeof(CompensatedSum));
	}
	while (path_reader_next(&reader))
	{
		int32		first = reader.channels[0];
		int32		last = reader.channels[reader.length - 1];
		double		share_conversions = reader.conversions / reader.length;
		double		share_value = reader.value / reader.length;
		int			t;

		CHECK_FOR_INTERRUPTS();
		if (reader.conversions == 0)
			continue;
		csum_add(&conversions[FIRST_TOUCH][first], reader.conversions);
		csum_add(&value[FIRST_TOUCH][first], reader.value);
		csum_add(&conversions[LAST_TOUCH][last], reader.conversions);
		csum_add(&value[LAST_TOUCH][last], reader.value);
		for (t = 0; t < reader.length; t++)
		{
			csum_add(&conversions[LINEAR][reader.channels[t]], share_conversions);
			csum_add(&value[LINEAR][reader.channels[t]], share_value);
		}
	}
	for (c = 0; c < reader.n_channels; c++)
	{
		Datum		values[HC_COLUMNS];
		bool		nulls[HC_COLUMNS];

		memset(nulls, 0, sizeof(nulls));
		values[HC_CHANNEL] = PointerGetDatum(path_reader_channel_text(&reader, c));
		for (m = 0; m < N_HEURISTICS; m++)
		{
			double		conv = csum_value(&conversions[m][c]);
			double		val = csum_value(&value[m][c]);

			ps_check_finite(conv, "a credit", "heuristics");
			ps_check_finite(val, "a value credit", "heuristics");
			values[HC_CONVERSIONS(m)] = Float8GetDatum(conv);
			values[HC_VALUE(m)] = Float8GetDatum(val);
		}
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	return (Datum) 0;
}
