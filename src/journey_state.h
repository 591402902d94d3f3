/*
 * journey_state.h
 *		The summary of one journey kept by the summary path instead of its
 *		touches: built row by row in any order, merged, serialized, and
 *		turned into credit by channel with the shared model core.
 */
#ifndef ATTRIBUTION_JOURNEY_STATE_H
#define ATTRIBUTION_JOURNEY_STATE_H

#include "postgres.h"

#include "binio.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "rule_input.h"
#include "strdict.h"

typedef struct JourneyState JourneyState;

/* per call site (fn_extra): parsed models, channel dictionary, memory */
typedef struct JourneyCall JourneyCall;

/* the most distinct channels of one journey */
#define MAX_JOURNEY_CHANNELS 4096

extern JourneyCall *journey_call(FunctionCallInfo fcinfo);

/*
 * A call cache owned by a state rather than by the call site, in cxt: for
 * a state that must not depend on fn_extra (a storable state, which
 * distributed engines advance through function calls of their own).
 */
extern JourneyCall *journey_call_create(MemoryContext cxt);
extern StrDict *journey_call_dict(const JourneyCall *call);
/* bytes the call has carved for states and models so far (for memory limits) */
extern Size journey_call_allocated(const JourneyCall *call);

/* the reader of the call's rows (its constant model, parsed once) */
extern RowReader *journey_call_reader(JourneyCall *call);

/* add one touch (a parsed row) to the state, NULL for a new journey; may move the state */
extern JourneyState *journey_state_add_row(JourneyCall *call, MemoryContext aggcontext,
										   JourneyState *state, const TouchRow *row);
/* merge b into a (a NULL: into a new state of this call); may move a */
extern JourneyState *journey_state_merge(JourneyCall *call, MemoryContext aggcontext,
										 JourneyState *a, const JourneyState *b);
extern void journey_state_write(StringInfo msg, const JourneyState *state);
extern JourneyState *journey_state_read(JourneyCall *call, MemoryContext aggcontext,
										BinReader *in);

/*
 * The compact form of many journeys of one call (credit_by_channel's
 * storable state): the call's tables (channel names, models) once, then
 * each journey with its model and channels as numbers in those tables (a
 * model that is not in the call's table follows its journey's number, as
 * the number of models, inline).
 * Reading validates everything, with the errors of the reader (binio.h).
 */
typedef struct JourneyTables JourneyTables;

extern void journey_call_write_tables(StringInfo msg, const JourneyCall *call);
extern JourneyTables *journey_call_read_tables(JourneyCall *call, MemoryContext aggcontext,
												BinReader *in);
extern void journey_state_write_compact(StringInfo msg, const JourneyCall *call, const JourneyState *state);
extern JourneyState *journey_state_read_compact(JourneyCall *call, MemoryContext aggcontext,
												BinReader *in, const JourneyTables *tables);

/*
 * The journey's credit by channel: credit[c] and channel_numbers[c] (numbers
 * in journey_state_dict()) for c < the result, the number of channels.
 * Both arrays need journey_state_nchannels() elements.
 */
extern int	journey_state_credits(const JourneyState *state, double *credit,
								  int32 *channel_numbers);
extern int	journey_state_nchannels(const JourneyState *state);
extern StrDict *journey_state_dict(const JourneyState *state);

#endif							/* ATTRIBUTION_JOURNEY_STATE_H */
