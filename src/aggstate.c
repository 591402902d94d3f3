/*
 * aggstate.c
 *		Storable aggregate states as expanded objects, and their text and
 *		binary forms; see aggstate.h.
 */
#include "postgres.h"

#include "compat.h"

#include "aggstate.h"
#include "aggutil.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/memutils.h"

/*
 * Add the flat form of a state (one this extension wrote: a stored value or
 * a partial state) to an in-memory state.
 */
static void
merge_stored(void *state, const AggStateKind *kind, const struct varlena *flat)
{
	StringInfoData msg;
	BinReader	in;

	bin_message(&msg, flat);
	bin_init(&in, &msg, kind->type_name, BIN_STORED);
	kind->merge_flat(state, &in);
}

/* ---------- the expanded object ---------- */

static Size
eas_get_flat_size(ExpandedObjectHeader *eohptr)
{
	ExpandedAggState *eas = (ExpandedAggState *) eohptr;

	if (eas->flat == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(eas->hdr.eoh_context);
		StringInfoData buf;

		initStringInfo(&buf);
		appendStringInfoSpaces(&buf, VARHDRSZ);
		eas->kind->write(eas->state, &buf);
		SET_VARSIZE(buf.data, buf.len);
		eas->flat = buf.data;
		eas->flat_size = buf.len;
		MemoryContextSwitchTo(old);
	}
	return eas->flat_size;
}

static void
eas_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	ExpandedAggState *eas = (ExpandedAggState *) eohptr;

	(void) eas_get_flat_size(eohptr);
	if (allocated_size != eas->flat_size)
		elog(ERROR, "%s state flattened into %zu bytes, not %zu",
			 eas->kind->type_name, allocated_size, eas->flat_size);
	memcpy(result, eas->flat, eas->flat_size);
}

static const ExpandedObjectMethods eas_methods = {
	eas_get_flat_size,
	eas_flatten_into
};

ExpandedAggState *
aggstate_create(const AggStateKind *kind, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "attribution aggregate state",
											  ALLOCSET_SMALL_SIZES);
	ExpandedAggState *eas = MemoryContextAllocZero(cxt, sizeof(ExpandedAggState));

	EOH_init_header(&eas->hdr, &eas_methods, cxt);
	eas->kind = kind;
	return eas;
}

ExpandedAggState *
aggstate_expanded(Datum d, const AggStateKind *kind, bool rw_only)
{
	struct varlena *ptr = (struct varlena *) DatumGetPointer(d);
	ExpandedAggState *eas;

	if (rw_only ? !VARATT_IS_EXTERNAL_EXPANDED_RW(ptr) : !VARATT_IS_EXTERNAL_EXPANDED(ptr))
		return NULL;
	eas = (ExpandedAggState *) DatumGetEOHP(d);
	if (eas->hdr.eoh_methods != &eas_methods || eas->kind != kind)
		return NULL;
	return eas;
}

ExpandedAggState *
aggstate_for_update(FunctionCallInfo fcinfo, int argno, const AggStateKind *kind,
					MemoryContext aggcontext)
{
	ExpandedAggState *eas = NULL;
	struct varlena *flat = NULL;
	MemoryContext old;

	if (!PG_ARGISNULL(argno))
	{
		eas = aggstate_expanded(PG_GETARG_DATUM(argno), kind, true);
		if (eas != NULL)
			return eas;
		/* a flat value, or a read-only one: copy it into a new state */
		flat = aggstate_flat(PG_GETARG_DATUM(argno));
	}
	eas = aggstate_create(kind, aggcontext);
	old = MemoryContextSwitchTo(eas->hdr.eoh_context);
	eas->state = kind->create();
	if (flat != NULL)
		merge_stored(eas->state, kind, flat);
	MemoryContextSwitchTo(old);
	return eas;
}

/* add a state datum (expanded or flat) to an expanded state */
static void
aggstate_merge_datum(ExpandedAggState *into, Datum d)
{
	ExpandedAggState *other = aggstate_expanded(d, into->kind, false);
	MemoryContext old;

	if (other == into)
		elog(ERROR, "cannot merge a %s state into itself", into->kind->type_name);
	if (other != NULL)
	{
		old = MemoryContextSwitchTo(into->hdr.eoh_context);
		into->kind->merge_state(into->state, other->state);
	}
	else
	{
		struct varlena *flat = aggstate_flat(d);

		old = MemoryContextSwitchTo(into->hdr.eoh_context);
		merge_stored(into->state, into->kind, flat);
	}
	MemoryContextSwitchTo(old);
	aggstate_changed(into);
}

Datum
aggstate_combine(FunctionCallInfo fcinfo, const AggStateKind *kind, const char *funcname)
{
	MemoryContext aggcontext = agg_memory_context(fcinfo, funcname);
	ExpandedAggState *eas;

	if (PG_ARGISNULL(1))
		return agg_state_unchanged(fcinfo);
	eas = aggstate_for_update(fcinfo, 0, kind, aggcontext);
	aggstate_merge_datum(eas, PG_GETARG_DATUM(1));
	PG_RETURN_DATUM(aggstate_datum(eas));
}

void *
aggstate_read(Datum d, const AggStateKind *kind)
{
	ExpandedAggState *eas = aggstate_expanded(d, kind, false);
	void	   *state;

	if (eas != NULL)
		return eas->state;
	state = kind->create();
	merge_stored(state, kind, aggstate_flat(d));
	return state;
}

struct varlena *
aggstate_flat(Datum d)
{
	/* detoasting an expanded object flattens it (through the methods above) */
	return PG_DETOAST_DATUM(d);
}

/* ---------- text form: base64 ---------- */

static const char b64_digits[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *
base64_encode(const char *payload, Size len)
{
	const unsigned char *in = (const unsigned char *) payload;
	Size		out_len = (len + 2) / 3 * 4;
	char	   *out;
	char	   *p;
	Size		i;

	if (out_len + 1 > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("aggregate state too large for its text form"),
				 errdetail("The state takes %zu bytes; its text form would exceed 1 GB.", len),
				 errhint("Aggregate fewer rows at once (group by a period, say), then merge the results.")));
	out = palloc(out_len + 1);
	p = out;
	for (i = 0; i + 3 <= len; i += 3)
	{
		uint32		v = ((uint32) in[i] << 16) | ((uint32) in[i + 1] << 8) | in[i + 2];

		p[0] = b64_digits[v >> 18];
		p[1] = b64_digits[(v >> 12) & 0x3F];
		p[2] = b64_digits[(v >> 6) & 0x3F];
		p[3] = b64_digits[v & 0x3F];
		p += 4;
	}
	if (i < len)
	{
		uint32		v = (uint32) in[i] << 16;

		if (i + 1 < len)
			v |= (uint32) in[i + 1] << 8;
		p[0] = b64_digits[v >> 18];
		p[1] = b64_digits[(v >> 12) & 0x3F];
		p[2] = i + 1 < len ? b64_digits[(v >> 6) & 0x3F] : '=';
		p[3] = '=';
		p += 4;
	}
	*p = '\0';
	return out;
}

static void
text_error(const char *type_name, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("malformed %s literal", type_name),
			 errdetail("%s", detail),
			 errhint("The text form of %s is the base64 of its binary form, as its output function writes it.",
					 type_name)));
}

static struct varlena *
base64_decode(const char *text, const char *type_name)
{
	static int8 digit_value[256];
	static bool table_ready = false;
	Size		len = strlen(text);
	Size		out_len;
	struct varlena *result;
	unsigned char *out;
	Size		i;
	int			padding = 0;

	if (!table_ready)
	{
		memset(digit_value, -1, sizeof(digit_value));
		for (i = 0; i < 64; i++)
			digit_value[(unsigned char) b64_digits[i]] = (int8) i;
		table_ready = true;
	}
	if (len == 0 || len % 4 != 0)
		text_error(type_name, "The length of a base64 text is a positive multiple of 4.");
	if (text[len - 1] == '=')
		padding = text[len - 2] == '=' ? 2 : 1;
	out_len = len / 4 * 3 - padding;
	result = palloc(VARHDRSZ + out_len);
	SET_VARSIZE(result, VARHDRSZ + out_len);
	out = (unsigned char *) VARDATA(result);
	for (i = 0; i < len; i += 4)
	{
		int			d0 = digit_value[(unsigned char) text[i]];
		int			d1 = digit_value[(unsigned char) text[i + 1]];
		int			d2 = digit_value[(unsigned char) text[i + 2]];
		int			d3 = digit_value[(unsigned char) text[i + 3]];
		bool		last = i + 4 == len;
		uint32		v;

		if (last && padding > 0)
		{
			/* the padded group: "xx==" or "xxx=", and the bits it drops are zero */
			if (padding == 2)
				d2 = 0;
			d3 = 0;
		}
		if (d0 < 0 || d1 < 0 || d2 < 0 || d3 < 0)
			text_error(type_name, "A character is not a base64 digit, or padding is not at the end.");
		v = ((uint32) d0 << 18) | ((uint32) d1 << 12) | ((uint32) d2 << 6) | (uint32) d3;
		if (last && padding > 0)
		{
			if ((padding == 2 && (v & 0xFFFF) != 0) || (padding == 1 && (v & 0xFF) != 0))
				text_error(type_name, "The last base64 group has bits beyond the data.");
			*out++ = (unsigned char) (v >> 16);
			if (padding == 1)
				*out++ = (unsigned char) (v >> 8);
		}
		else
		{
			out[0] = (unsigned char) (v >> 16);
			out[1] = (unsigned char) (v >> 8);
			out[2] = (unsigned char) v;
			out += 3;
		}
	}
	return result;
}

/* ---------- the type I/O functions ---------- */

/* validate a payload from a client; the result is the value itself */
static Datum
validated(struct varlena *flat, const AggStateKind *kind)
{
	StringInfoData msg;
	BinReader	in;

	bin_message(&msg, flat);
	bin_init(&in, &msg, kind->type_name, BIN_CLIENT);
	if (kind->validate != NULL)
		kind->validate(&in);
	else
	{
		/* read it into a new state, in a scratch context */
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "attribution state input",
												  ALLOCSET_DEFAULT_SIZES);
		MemoryContext old = MemoryContextSwitchTo(cxt);

		kind->merge_flat(kind->create(), &in);
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
	}
	return PointerGetDatum(flat);
}

Datum
aggstate_type_in(const char *text, const AggStateKind *kind)
{
	return validated(base64_decode(text, kind->type_name), kind);
}

char *
aggstate_type_out(Datum d)
{
	struct varlena *flat = aggstate_flat(d);

	return base64_encode(VARDATA(flat), VARSIZE(flat) - VARHDRSZ);
}

Datum
aggstate_type_recv(StringInfo msg, const AggStateKind *kind)
{
	int			len = msg->len - msg->cursor;
	struct varlena *result = palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	pq_copymsgbytes(msg, VARDATA(result), len);
	return validated(result, kind);
}

bytea *
aggstate_type_send(Datum d)
{
	struct varlena *flat = aggstate_flat(d);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA(flat), VARSIZE(flat) - VARHDRSZ);
	return pq_endtypsend(&buf);
}
