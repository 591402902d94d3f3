/*
 * binio.c
 *		Reading the binary forms of our types; see binio.h.
 */
#include "postgres.h"

#include <stdarg.h>

#include "binio.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"

void
bin_init(BinReader *in, StringInfo msg, const char *name, BinSource source)
{
	in->msg = msg;
	in->name = name;
	in->source = source;
}

void
bin_message(StringInfo msg, const struct varlena *value)
{
	msg->data = VARDATA_ANY(value);
	msg->len = VARSIZE_ANY_EXHDR(value);
	msg->maxlen = msg->len;
	msg->cursor = 0;
}

pg_noreturn static void bin_raise(const char *name, BinSource source, const char *detail);

static void
bin_raise(const char *name, BinSource source, const char *detail)
{
	switch (source)
	{
		case BIN_CLIENT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid binary value of type %s", name),
					 errdetail("%s", detail),
					 errhint("Give a value that the send or output function of type %s wrote.", name)));
			break;
		case BIN_STORED:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("corrupt binary value of type %s", name),
					 errdetail("%s", detail),
					 errhint("The value was valid when it was stored and has been damaged since; "
							 "restore it from a backup or compute it again.")));
			break;
		case BIN_SERIALIZED:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("corrupt partial state of aggregate %s", name),
					 errdetail("%s", detail),
					 errhint("The state passed between the processes of a parallel query was damaged; "
							 "run the query again, or without parallel workers.")));
			break;
	}
	pg_unreachable();
}

void
bin_error(const BinReader *in, const char *detail_fmt,...)
{
	char		detail[256];
	va_list		args;

	va_start(args, detail_fmt);
	vsnprintf(detail, sizeof(detail), detail_fmt, args);
	va_end(args);
	bin_raise(in->name, in->source, detail);
}

void
bin_error_at(const char *name, BinSource source, const char *detail_fmt,...)
{
	char		detail[256];
	va_list		args;

	va_start(args, detail_fmt);
	vsnprintf(detail, sizeof(detail), detail_fmt, args);
	va_end(args);
	bin_raise(name, source, detail);
}

int
bin_byte(BinReader *in)
{
	bin_need(in, 1);
	return pq_getmsgbyte(in->msg);
}

int32
bin_int32(BinReader *in)
{
	bin_need(in, 4);
	return (int32) pq_getmsgint(in->msg, 4);
}

int64
bin_int64(BinReader *in)
{
	bin_need(in, 8);
	return pq_getmsgint64(in->msg);
}

double
bin_float8(BinReader *in)
{
	bin_need(in, 8);
	return pq_getmsgfloat8(in->msg);
}

void
bin_version(BinReader *in, int version)
{
	int			found = bin_byte(in);

	if (found != version)
		bin_error(in, "The format version %d is unknown (this version of the extension reads version %d).",
				  found, version);
}

bool
bin_bool(BinReader *in)
{
	int			b = bin_byte(in);

	if (b != 0 && b != 1)
		bin_error(in, "A flag is %d, not 0 or 1.", b);
	return b == 1;
}

int32
bin_count(BinReader *in, int32 min, int32 max, int min_bytes, const char *what)
{
	int32		n = bin_int32(in);

	Assert(min >= 0 && min_bytes >= 0);
	if (n < min || n > max)
		bin_error(in, "The number of %s, %d, is out of range.", what, n);
	if ((int64) n * min_bytes > bin_left(in))
		bin_error(in, "The number of %s, %d, exceeds what the data can hold.", what, n);
	return n;
}

const char *
bin_bytes(BinReader *in, int len)
{
	Assert(len >= 0);
	bin_need(in, len);
	return pq_getmsgbytes(in->msg, len);
}

static const char *
check_name(BinReader *in, int len, bool client_encoding, int number, int *len_out)
{
	const char *name;

	if (len < 0 || len > bin_left(in))
		bin_error(in, "The length of name %d exceeds the data.", number);
	if (client_encoding)
	{
		/* pq_getmsgtext() converts, and rejects text invalid in the client encoding */
		char	   *converted = pq_getmsgtext(in->msg, len, len_out);

		if ((int) strlen(converted) != *len_out)
			bin_error(in, "Name %d contains a zero byte.", number);
		return converted;
	}
	name = pq_getmsgbytes(in->msg, len);
	if (memchr(name, '\0', len) != NULL)
		bin_error(in, "Name %d contains a zero byte.", number);
	if (!pg_verifymbstr(name, len, true))
		bin_error(in, "Name %d is not valid text in the server encoding.", number);
	*len_out = len;
	return name;
}

const char *
bin_name(BinReader *in, int *len, bool client_encoding, int number)
{
	return check_name(in, bin_int32(in), client_encoding, number, len);
}

const char *
bin_name_varint(BinReader *in, int *len, int number)
{
	return check_name(in, (int) bin_varint(in, PG_INT32_MAX), false, number, len);
}

uint64
bin_varint(BinReader *in, uint64 max)
{
	StringInfo	msg = in->msg;
	uint64		v = 0;
	int			shift;

	for (shift = 0; shift < 64; shift += 7)
	{
		unsigned char b;

		if (msg->cursor >= msg->len)
			bin_error(in, "The data ends early.");
		b = (unsigned char) msg->data[msg->cursor++];
		v |= (uint64) (b & 0x7F) << shift;
		if ((b & 0x80) == 0)
		{
			if (v > max)
				bin_error(in, "A count or number is out of range.");
			return v;
		}
	}
	bin_error(in, "A number is too long.");
}

void
bin_end(const BinReader *in, const char *last_item)
{
	if (bin_left(in) != 0)
		bin_error(in, "Bytes follow the last %s.", last_item);
}
