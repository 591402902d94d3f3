/*
 * path_summary.c
 *		The type attribution.path_summary: reading its stored form, its
 *		text and binary forms, and the accessor paths(); see path_summary.h
 *		for the stored form.  The aggregates that build summaries are in
 *		path_summary_build.c.
 *
 * Channel ids are written in an order-preserving variable-length code
 * (like UTF-8): ids 0-127 take one byte 0xxxxxxx, ids up to 16511 two bytes
 * 10xxxxxx xxxxxxxx, larger ids three bytes 110xxxxx xxxxxxxx xxxxxxxx.  The
 * code is prefix-free and compares like the ids, so comparing two encoded
 * paths with memcmp (the shorter first on a tie) orders them by their id
 * sequences.
 *
 * Text form:  [[["a","b"],3,3,1],[["a","c"],1,1,1]]
 * a list of [path, conversions, value, non_conversions]; each number is one
 * or more non-negative terms joined by "+" whose exact sum is the quantity
 * (most are one term; see exactsum.h).  Input accepts paths in any order and
 * adds up repeated paths.
 *
 * Binary form and aggregate serialization (the same layout): a version byte,
 * int32 number of channels, each as int32 length and bytes, int32 number of
 * paths, each as int32 number of touches, that many int32 channel ids, and
 * for each of the three quantities a byte with its number of terms (0-3)
 * followed by the float8 terms.
 */
#include "postgres.h"

#include "compat.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "path_summary.h"
#include "path_summary_int.h"
#include "textio.h"
#include "utils/array.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(attribution_path_summary_in);
PG_FUNCTION_INFO_V1(attribution_path_summary_out);
PG_FUNCTION_INFO_V1(attribution_path_summary_recv);
PG_FUNCTION_INFO_V1(attribution_path_summary_send);
PG_FUNCTION_INFO_V1(attribution_paths);

/* ---------- reading the stored form ---------- */

/* a stored path_summary that does not read: what is wrong */
#define corrupt_summary(detail) bin_error_at("path_summary", BIN_STORED, detail)

void
path_reader_init(PathReader *reader, const PathSummary *summary)
{
	const char *p = summary->data;
	const char *end = (const char *) summary + VARSIZE_ANY(summary);
	int			c;

	if (summary->version != PS_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("unsupported path_summary version %d", summary->version),
				 errhint("The value was written by a newer version of the attribution extension.")));
	if (summary->n_channels < 0 || summary->n_channels > PS_MAX_CHANNELS ||
		summary->n_paths < 0 || summary->max_path_len < 0 ||
		(summary->n_paths > 0) != (summary->max_path_len > 0))
		corrupt_summary("Its header is invalid.");
	reader->summary = summary;
	reader->n_channels = summary->n_channels;
	reader->n_paths = summary->n_paths;
	reader->max_path_len = summary->max_path_len;
	reader->names = palloc(Max(reader->n_channels, 1) * sizeof(char *));
	reader->name_lens = palloc(Max(reader->n_channels, 1) * sizeof(int));
	for (c = 0; c < reader->n_channels; c++)
	{
		const char *nul = memchr(p, '\0', end - p);

		if (nul == NULL)
			corrupt_summary("A channel name is cut off.");
		reader->names[c] = p;
		reader->name_lens[c] = (int) (nul - p);
		p = nul + 1;
	}
	reader->paths_start = (const unsigned char *) p;
	reader->end = (const unsigned char *) end;
	reader->channels = palloc(Max(reader->max_path_len, 1) * sizeof(int32));
	path_reader_rewind(reader);
}

void
path_reader_rewind(PathReader *reader)
{
	reader->pos = reader->paths_start;
	reader->index = -1;
	reader->length = 0;
}

bool
path_reader_next(PathReader *reader)
{
	const unsigned char *p = reader->pos;
	const unsigned char *end = reader->end;
	uint8		flags;
	uint32		length;
	uint32		i;
	int			q;

	if (reader->index + 1 >= reader->n_paths)
	{
		if (p != end)
			corrupt_summary("Bytes follow the last path.");
		return false;
	}
	if (p >= end)
		corrupt_summary("A path is cut off.");
	flags = *p++;
	p = leb128_get(p, end, &length);
	if (p == NULL || length < 1 || length > (uint32) reader->max_path_len)
		corrupt_summary("The length of a path is out of range.");
	for (i = 0; i < length; i++)
	{
		uint32		id = 0;

		p = channel_code_get(p, end, &id);
		if (p == NULL || id >= (uint32) reader->n_channels)
			corrupt_summary("A path refers to a channel that is not in the summary.");
		reader->channels[i] = (int32) id;
	}
	for (q = 0; q < PS_QUANTITIES; q++)
	{
		int			n = (flags >> (2 * q)) & 3;
		double		rounded;

		if (q == PS_VALUE && (flags & PS_FLAG_VALUE_IS_CONVERSIONS))
		{
			reader->nterms[q] = reader->nterms[PS_CONVERSIONS];
			memcpy(reader->terms[q], reader->terms[PS_CONVERSIONS], sizeof(reader->terms[q]));
			reader->value = reader->conversions;
			continue;
		}
		if ((Size) (end - p) < sizeof(double) * n)
			corrupt_summary("The numbers of a path are cut off.");
		memcpy(reader->terms[q], p, sizeof(double) * n);
		p += sizeof(double) * n;
		reader->nterms[q] = n;
		if (n == 0)
			rounded = 0.0;
		else if (n == 1)
			rounded = reader->terms[q][0];
		else
		{
			ExactSum	sum;
			int			t;

			exactsum_init(&sum);
			for (t = 0; t < n; t++)
				exactsum_add_double(&sum, reader->terms[q][t]);
			rounded = exactsum_round(&sum);
		}
		if (q == PS_CONVERSIONS)
			reader->conversions = rounded;
		else if (q == PS_VALUE)
			reader->value = rounded;
		else
			reader->non_conversions = rounded;
	}
	reader->length = (int) length;
	reader->pos = p;
	reader->index++;
	return true;
}

text *
path_reader_channel_text(const PathReader *reader, int channel)
{
	Assert(channel >= 0 && channel < reader->n_channels);
	return cstring_to_text_with_len(reader->names[channel], reader->name_lens[channel]);
}

/* ---------- text input and output ---------- */

static void
text_read_quantity(TextScanner *scan, ExactSum *sum)
{
	int			n = 0;

	exactsum_init(sum);
	do
	{
		double		term = ts_read_float8(scan);

		if (term < 0)
			ts_error(scan, "Numbers must not be negative");
		if (++n > EXACTSUM_MAX_TERMS)
			ts_error(scan, "A number has at most %d terms", EXACTSUM_MAX_TERMS);
		exactsum_add_double(sum, term);
	} while (ts_accept(scan, '+'));
}

static void
text_read_entry(TextScanner *scan, PathBuilder *b)
{
	ExactSum	sums[PS_QUANTITIES];
	const char *problem;
	int			q;

	ts_expect(scan, '[');
	ts_expect(scan, '[');
	probe_reset(b);
	if (!ts_peek(scan, ']'))
	{
		do
		{
			int			len;
			char	   *name;

			if (ts_accept_null(scan))
				ts_error(scan, "A channel must not be null");
			name = ts_read_string(scan, &len);
			probe_append(b, builder_intern_channel(b, name, len));
			pfree(name);
		} while (ts_accept(scan, ','));
	}
	ts_expect(scan, ']');
	for (q = 0; q < PS_QUANTITIES; q++)
	{
		ts_expect(scan, ',');
		text_read_quantity(scan, &sums[q]);
	}
	ts_expect(scan, ']');
	problem = entry_problem(builder_probe_touches(b), sums);
	if (problem != NULL)
		ts_error(scan, "%s", problem);
	builder_add_probe_sums(b, sums);
}

Datum
attribution_path_summary_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	TextScanner scan;
	PathBuilder *b = builder_create();

	ts_init(&scan, input, "path_summary");
	ts_expect(&scan, '[');
	if (!ts_accept(&scan, ']'))
	{
		do
		{
			CHECK_FOR_INTERRUPTS();
			text_read_entry(&scan, b);
		} while (ts_accept(&scan, ','));
		ts_expect(&scan, ']');
	}
	ts_expect_end(&scan);
	PG_RETURN_POINTER(builder_finish(b));
}

static void
text_write_quantity(StringInfo buf, int nterms, const double *terms)
{
	int			t;

	if (nterms == 0)
		appendStringInfoChar(buf, '0');
	for (t = 0; t < nterms; t++)
	{
		if (t > 0)
			appendStringInfoChar(buf, '+');
		tw_append_float8(buf, terms[t]);
	}
}

/* the text form of the reader's current path: [[channel, ...], quantities] */
static void
text_write_path(StringInfo buf, const PathReader *reader)
{
	int			t;
	int			q;

	appendStringInfoString(buf, "[[");
	for (t = 0; t < reader->length; t++)
	{
		int			c = reader->channels[t];

		if (t > 0)
			appendStringInfoChar(buf, ',');
		tw_append_string(buf, reader->names[c], reader->name_lens[c]);
	}
	appendStringInfoChar(buf, ']');
	for (q = 0; q < PS_QUANTITIES; q++)
	{
		appendStringInfoChar(buf, ',');
		text_write_quantity(buf, reader->nterms[q], reader->terms[q]);
	}
	appendStringInfoChar(buf, ']');
}

Datum
attribution_path_summary_out(PG_FUNCTION_ARGS)
{
	PathSummary *summary = PG_GETARG_PATH_SUMMARY_P(0);
	PathReader	reader;
	StringInfoData buf;

	initStringInfo(&buf);
	path_reader_init(&reader, summary);
	appendStringInfoChar(&buf, '[');
	while (path_reader_next(&reader))
	{
		CHECK_FOR_INTERRUPTS();
		if (reader.index > 0)
			appendStringInfoChar(&buf, ',');
		text_write_path(&buf, &reader);
	}
	appendStringInfoChar(&buf, ']');
	PG_RETURN_CSTRING(buf.data);
}

Datum
attribution_path_summary_recv(PG_FUNCTION_ARGS)
{
	BinReader	in;

	bin_init(&in, (StringInfo) PG_GETARG_POINTER(0), "path_summary", BIN_CLIENT);
	PG_RETURN_POINTER(builder_finish(builder_read_wire(&in)));
}

Datum
attribution_path_summary_send(PG_FUNCTION_ARGS)
{
	PathSummary *summary = PG_GETARG_PATH_SUMMARY_P(0);
	PathReader	reader;
	StringInfoData buf;
	int			c;

	path_reader_init(&reader, summary);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, PS_WIRE_VERSION);
	pq_sendint32(&buf, reader.n_channels);
	for (c = 0; c < reader.n_channels; c++)
	{
		/* in the client encoding, counted after conversion */
		char	   *name = pg_server_to_client(reader.names[c], reader.name_lens[c]);
		int			len = (int) strlen(name);

		pq_sendint32(&buf, len);
		pq_sendbytes(&buf, name, len);
	}
	pq_sendint32(&buf, reader.n_paths);
	while (path_reader_next(&reader))
	{
		int			t;
		int			q;

		CHECK_FOR_INTERRUPTS();
		pq_sendint32(&buf, reader.length);
		for (t = 0; t < reader.length; t++)
			pq_sendint32(&buf, reader.channels[t]);
		for (q = 0; q < PS_QUANTITIES; q++)
		{
			pq_sendbyte(&buf, (uint8) reader.nterms[q]);
			for (t = 0; t < reader.nterms[q]; t++)
				pq_sendfloat8(&buf, reader.terms[q][t]);
		}
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------- range checks of the models ---------- */

void
ps_check_finite(double value, const char *what, const char *function)
{
	if (!isfinite(value))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s of %s() is out of the range of double precision", what, function),
				 errdetail("The conversions or values of the path summary add up to more than the largest double precision number."),
				 errhint("Scale the conversions, non-conversions or values down before building the summary.")));
}

void
ps_check_totals(double journeys, double value, const char *function)
{
	if (!(journeys < PS_MODEL_MAX_TOTAL) || !(value < PS_MODEL_MAX_TOTAL))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the path summary is out of the range of %s()", function),
				 errdetail("Its journeys (conversions and non-conversions) add up to %g and its values to %g; %s() needs each below %g.",
						   journeys, value, function, PS_MODEL_MAX_TOTAL),
				 errhint("Scale the conversions, non-conversions or values down before building the summary.")));
}

/* ---------- set-returning accessors ---------- */

/*
 * Start a set-returning function of the path summary of argument 0: its
 * result's store (srf_start()) and a reader of the summary.
 */
Tuplestorestate *
ps_srf_start(FunctionCallInfo fcinfo, TupleDesc *tupdesc, PathReader *reader)
{
	PathSummary *summary = PG_GETARG_PATH_SUMMARY_P(0);
	Tuplestorestate *store = srf_start(fcinfo, tupdesc);

	path_reader_init(reader, summary);
	return store;
}

Datum
ps_return_channel_credits(FunctionCallInfo fcinfo, const PathReader *reader,
						  const CompensatedSum *conversions, const CompensatedSum *value,
						  const char *function)
{
	TupleDesc	tupdesc;
	Tuplestorestate *store = srf_start(fcinfo, &tupdesc);
	int			c;

	Assert(tupdesc->natts == PS_CREDIT_COLUMNS);
	for (c = 0; c < reader->n_channels; c++)
	{
		Datum		values[PS_CREDIT_COLUMNS];
		bool		nulls[PS_CREDIT_COLUMNS] = {false, false, false};

		ps_check_finite(csum_value(&conversions[c]), "a credit", function);
		ps_check_finite(csum_value(&value[c]), "a value credit", function);
		values[PS_CREDIT_CHANNEL] = PointerGetDatum(path_reader_channel_text(reader, c));
		values[PS_CREDIT_CONVERSIONS] = Float8GetDatum(csum_value(&conversions[c]));
		values[PS_CREDIT_VALUE] = Float8GetDatum(csum_value(&value[c]));
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	return (Datum) 0;
}

/* the columns of paths() */
enum
{
	PATHS_PATH,
	PATHS_CONVERSIONS,
	PATHS_VALUE,
	PATHS_NON_CONVERSIONS,
	PATHS_COLUMNS
};

/* paths(ps): the distinct paths with their sums, in canonical order */
Datum
attribution_paths(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	PathReader	reader;
	Tuplestorestate *store = ps_srf_start(fcinfo, &tupdesc, &reader);
	text	  **names;
	Datum	   *elements;
	int			c;

	names = palloc(Max(reader.n_channels, 1) * sizeof(text *));
	for (c = 0; c < reader.n_channels; c++)
		names[c] = path_reader_channel_text(&reader, c);
	elements = palloc(Max(reader.max_path_len, 1) * sizeof(Datum));
	while (path_reader_next(&reader))
	{
		Datum		values[PATHS_COLUMNS];
		bool		nulls[PATHS_COLUMNS] = {false, false, false, false};
		ArrayType  *path;
		int			t;

		CHECK_FOR_INTERRUPTS();
		for (t = 0; t < reader.length; t++)
			elements[t] = PointerGetDatum(names[reader.channels[t]]);
		path = construct_array(elements, reader.length, TEXTOID, -1, false, TYPALIGN_INT);
		values[PATHS_PATH] = PointerGetDatum(path);
		values[PATHS_CONVERSIONS] = Float8GetDatum(reader.conversions);
		values[PATHS_VALUE] = Float8GetDatum(reader.value);
		values[PATHS_NON_CONVERSIONS] = Float8GetDatum(reader.non_conversions);
		tuplestore_putvalues(store, tupdesc, values, nulls);
		pfree(path);
	}
	return (Datum) 0;
}
