/*
 * aggstate.h
 *		Storable aggregate states: the state of a whole-table aggregate as a
 *		value of an ordinary (non-internal) type.
 *
 * An aggregate whose state type is `internal` cannot leave the process
 * that built it except through its serialize function, which only
 * PostgreSQL's own parallel query calls.  Distributed engines built on
 * PostgreSQL (Citus) split an aggregate into partial aggregates on the
 * nodes that hold the rows and a combining aggregate on the node that asks
 * only when its state is a storable type: the partial states then travel as
 * values of that type, in its text form.  With an `internal` state they ship
 * every input row instead.
 *
 * So each whole-table aggregate has a state type of its own whose values
 * live in two forms:
 *
 *	- while the aggregate runs, an expanded object (utils/expandeddatum.h):
 *	  the same in-memory structure as before (hash tables, dictionaries),
 *	  held in a memory context of its own that is a child of the aggregate
 *	  context.  The executor (nodeAgg.c, nodeWindowAgg.c) and Citus keep
 *	  such a read-write state as it is between rows, so a row costs what it
 *	  cost with an `internal` state;
 *	- when the state leaves the aggregate (a parallel worker's or a Citus
 *	  node's partial result, or a value someone stores), the flat form: a
 *	  varlena whose payload begins with a format version byte.  It is
 *	  written once per state, when the executor flattens the object, and
 *	  kept until the state changes again (tuple formation asks for the
 *	  size twice).
 *
 * The text form of a state is the base64 of the flat payload: four
 * characters for three bytes, decoded and checked in one pass, lossless
 * (floats travel as their bits), and seven-bit clean so that every client
 * encoding carries it unchanged.  The text input and the binary receive
 * function of a state type validate the payload in the same way.
 *
 * One memory context per state is a cost (about 1 kB) when an aggregate is
 * grouped into very many groups; the states of these aggregates are large
 * anyway (dictionaries and hash tables), so the context is a small part of
 * them.  The per-group aggregates (journey_agg, channel_credit, stage_agg)
 * keep their `internal` states.
 */
#ifndef ATTRIBUTION_AGGSTATE_H
#define ATTRIBUTION_AGGSTATE_H

#include "postgres.h"

#include "compat.h"

#include "binio.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/expandeddatum.h"

/*
 * What the shared code needs to know of a kind of state.  The functions work
 * in the current memory context: the state's own while it is expanded.
 */
typedef struct AggStateKind
{
	const char *type_name;		/* the SQL type, for messages */
	/* a new, empty in-memory state */
	void	   *(*create) (void);
	/* append the flat payload of an in-memory state (version byte first) */
	void		(*write) (void *state, StringInfo buf);
	/*
	 * add a flat payload to an in-memory state, validating all of it (the
	 * reader says where it came from, for the errors)
	 */
	void		(*merge_flat) (void *state, BinReader *in);
	/* add another in-memory state to one */
	void		(*merge_state) (void *state, void *other);
	/*
	 * validate a flat payload from a client without keeping it; NULL to
	 * merge it into a new state in a scratch memory context
	 */
	void		(*validate) (BinReader *in);
} AggStateKind;

typedef struct ExpandedAggState
{
	ExpandedObjectHeader hdr;
	const AggStateKind *kind;
	void	   *state;			/* the kind's in-memory state, in hdr.eoh_context */
	char	   *flat;			/* the flattened varlena while the state is unchanged */
	Size		flat_size;
} ExpandedAggState;

/*
 * A new, empty expanded state (state NULL: the caller creates it in the
 * object's context, eas->hdr.eoh_context) whose context is a child of
 * parent (the aggregate context).
 */
extern ExpandedAggState *aggstate_create(const AggStateKind *kind, MemoryContext parent);

/* the datum of a state: its read-write pointer */
static inline Datum
aggstate_datum(ExpandedAggState *eas)
{
	return EOHPGetRWDatum(&eas->hdr);
}

/*
 * The expanded state of this kind that datum d points to, or NULL when d is
 * a flat value (or an expanded object of another kind).  With rw_only, only
 * a read-write pointer counts: the one a transition or combine function may
 * change in place.
 */
extern ExpandedAggState *aggstate_expanded(Datum d, const AggStateKind *kind, bool rw_only);

/*
 * The state argument argno of a transition or combine function, ready to
 * change: its read-write expanded object when it is one, otherwise a new
 * expanded state (child of aggcontext) holding the argument's value, or
 * empty when the argument is NULL.
 */
extern ExpandedAggState *aggstate_for_update(FunctionCallInfo fcinfo, int argno,
											 const AggStateKind *kind, MemoryContext aggcontext);

/*
 * The whole of a combine function of states of this kind (not STRICT):
 * a NULL second state leaves the first; otherwise the second is added to
 * the first, or (first NULL) copied into a new state.  funcname names the
 * function in the "cannot happen" error outside an aggregate.
 */
extern Datum aggstate_combine(FunctionCallInfo fcinfo, const AggStateKind *kind,
							  const char *funcname);

/*
 * The in-memory state of a state datum, to read it: its expanded object's,
 * or one built from its flat form in the current memory context.
 */
extern void *aggstate_read(Datum d, const AggStateKind *kind);

/* the state changed: forget its flattened form */
static inline void
aggstate_changed(ExpandedAggState *eas)
{
	if (eas->flat != NULL)
	{
		pfree(eas->flat);
		eas->flat = NULL;
	}
}

/*
 * The flat form of a state datum (expanded or not), detoasted: a varlena
 * whose VARDATA holds the payload.
 */
extern struct varlena *aggstate_flat(Datum d);

/*
 * The type I/O functions of a state type: the text form is the base64 of
 * the flat payload, the binary form the payload itself.  The input
 * functions validate the payload as bytes from a client (binio.h).
 */
extern Datum aggstate_type_in(const char *text, const AggStateKind *kind);
extern char *aggstate_type_out(Datum d);
extern Datum aggstate_type_recv(StringInfo msg, const AggStateKind *kind);
extern bytea *aggstate_type_send(Datum d);

#endif							/* ATTRIBUTION_AGGSTATE_H */
