/*
 * channel_credit.c
 *		channel_credit(model, touched_at, channel, ...): an aggregate over the
 *		touches of one journey (one group) that returns the journey's credit
 *		by channel without buffering or sorting its touches.  It owns only
 *		the aggregate's support functions: rows are read by rule_input.c,
 *		the journey's summary and its credits come from journey_state.c.
 */
#include "postgres.h"

#include "compat.h"

#include "aggutil.h"
#include "credit_map.h"
#include "fmgr.h"
#include "journey_state.h"
#include "libpq/pqformat.h"

PG_FUNCTION_INFO_V1(channel_credit_trans);
PG_FUNCTION_INFO_V1(channel_credit_combine);
PG_FUNCTION_INFO_V1(channel_credit_serialize);
PG_FUNCTION_INFO_V1(channel_credit_deserialize);
PG_FUNCTION_INFO_V1(channel_credit_final);

Datum
channel_credit_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "channel_credit_trans");
	JourneyState *state = agg_state_arg(fcinfo, 0);
	JourneyCall *call = journey_call(fcinfo);
	RowArgs		where;
	TouchRow	row;

	summary_row_args(fcinfo, 1, &where);
	touch_row_read(fcinfo, &where, journey_call_reader(call), &row);
	PG_RETURN_POINTER(journey_state_add_row(call, aggcontext, state, &row));
}

Datum
channel_credit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "channel_credit_combine");
	JourneyState *a = agg_state_arg(fcinfo, 0);
	JourneyState *b = agg_state_arg(fcinfo, 1);

	if (b == NULL)
		return agg_state_unchanged(fcinfo);
	PG_RETURN_POINTER(journey_state_merge(journey_call(fcinfo), aggcontext, a, b));
}

Datum
channel_credit_serialize(PG_FUNCTION_ARGS)
{
	JourneyState *state = (JourneyState *) PG_GETARG_POINTER(0);
	StringInfoData msg;

	pq_begintypsend(&msg);
	journey_state_write(&msg, state);
	PG_RETURN_BYTEA_P(pq_endtypsend(&msg));
}

Datum
channel_credit_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, "channel_credit_deserialize");
	StringInfoData msg;
	BinReader	in;
	JourneyState *state;

	bin_message(&msg, (struct varlena *) PG_GETARG_BYTEA_PP(0));
	bin_init(&in, &msg, "channel_credit", BIN_SERIALIZED);
	state = journey_state_read(journey_call(fcinfo), aggcontext, &in);
	bin_end(&in, "journey");
	PG_RETURN_POINTER(state);
}

Datum
channel_credit_final(PG_FUNCTION_ARGS)
{
	JourneyState *state = agg_state_arg(fcinfo, 0);
	StrDict    *dict;
	int			n;
	double	   *credit;
	int32	   *numbers;
	const char **names;
	int		   *lens;
	int			c;

	if (state == NULL)
		PG_RETURN_NULL();
	dict = journey_state_dict(state);
	n = journey_state_nchannels(state);
	credit = palloc(Max(n, 1) * sizeof(double));
	numbers = palloc(Max(n, 1) * sizeof(int32));
	names = palloc(Max(n, 1) * sizeof(char *));
	lens = palloc(Max(n, 1) * sizeof(int));
	journey_state_credits(state, credit, numbers);
	for (c = 0; c < n; c++)
		names[c] = strdict_string(dict, numbers[c], &lens[c]);
	PG_RETURN_POINTER(credit_map_build(n, names, lens, credit));
}
