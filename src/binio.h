/*
 * binio.h
 *		Reading the binary forms of our types, with one set of checks and
 *		one wording of their errors.
 *
 * Every binary form of the extension (a type's receive function, the stored
 * form of a type that keeps its binary form, the flat form of a storable
 * aggregate state, the serialized form of an `internal` state) begins with
 * a version byte and is read through a BinReader: a message (the pq_getmsg
 * functions' StringInfo) with the name of what it holds and where its bytes
 * come from.  Every read checks the bytes left first, so a value that is
 * cut short is reported as such, never as a protocol violation (08P01) nor
 * by reading past the end; counts are checked against the bytes left before
 * anything is allocated for them.
 *
 * Where the bytes come from decides the SQLSTATE, the message and the hint:
 *
 *	- BIN_CLIENT: bytes a client sent, which may be anything.  The receive
 *	  function of every type, and the text input of a storable aggregate
 *	  state (its text form is the base64 of its binary form, so the decoded
 *	  bytes are a binary value a client wrote).  Errors are
 *	  invalid_binary_representation (22P03), PostgreSQL's convention for
 *	  malformed binary input: "invalid binary value of type T".
 *	- BIN_STORED: a value of one of our types that this extension wrote and
 *	  validated when it came in (a stored path_summary, stage_history or
 *	  waterfall_summary; the flat form of a storable aggregate state).  If it
 *	  no longer reads, it changed after it was written: data_corrupted
 *	  (XX001), "corrupt binary value of type T".
 *	- BIN_SERIALIZED: the serialized `internal` state of an aggregate, which
 *	  this extension wrote moments before in another process (a parallel
 *	  worker).  A failure is corruption too: data_corrupted (XX001),
 *	  "corrupt partial state of aggregate A".
 *
 * The detail of an error says what is wrong, as a full sentence.  Checks
 * of the meaning of a value that its text input shares (counts that must
 * agree, and so on) return a problem string, which each input raises in its
 * own way (ts_error() for text, bin_error() for binary).
 *
 * Text forms are read by textio.h; this module reads binary ones only.
 */
#ifndef ATTRIBUTION_BINIO_H
#define ATTRIBUTION_BINIO_H

#include "postgres.h"

#include "compat.h"

#include "lib/stringinfo.h"

typedef enum BinSource
{
	BIN_CLIENT,					/* a receive function or state text input */
	BIN_STORED,					/* a stored value, or a flat aggregate state */
	BIN_SERIALIZED				/* an `internal` state from a parallel worker */
} BinSource;

typedef struct BinReader
{
	StringInfo	msg;			/* the bytes; msg->cursor is the next unread */
	const char *name;			/* the type (or, serialized, the aggregate) */
	BinSource	source;
} BinReader;

extern void bin_init(BinReader *in, StringInfo msg, const char *name, BinSource source);

/*
 * A read-only message over the bytes of a varlena (a bytea argument, a
 * stored value, a flat state); any header form, not detoasted here.
 */
extern void bin_message(StringInfo msg, const struct varlena *value);

/* raise the error of this reader's source, with a detail */
pg_noreturn extern void bin_error(const BinReader *in, const char *detail_fmt,...)
			pg_attribute_printf(2, 3);

/* the same, for a value read without a reader (a stored form in place) */
pg_noreturn extern void bin_error_at(const char *name, BinSource source, const char *detail_fmt,...)
			pg_attribute_printf(3, 4);

/* bytes not read yet */
static inline int
bin_left(const BinReader *in)
{
	return in->msg->len - in->msg->cursor;
}

/* fail ("The data ends early.") unless n more bytes are left */
static inline void
bin_need(const BinReader *in, Size n)
{
	if ((Size) bin_left(in) < n)
		bin_error(in, "The data ends early.");
}

/* fixed-size fields in network byte order, as pq_send* wrote them */
extern int	bin_byte(BinReader *in);
extern int32 bin_int32(BinReader *in);
extern int64 bin_int64(BinReader *in);
extern double bin_float8(BinReader *in);

/* the version byte: fail unless it is version */
extern void bin_version(BinReader *in, int version);

/* a byte that must be 0 or 1 */
extern bool bin_bool(BinReader *in);

/*
 * An int32 count of items: fail unless it is between min and max and the
 * bytes left can hold that many items of at least min_bytes each.  what
 * names the items in the plural ("channels") for the message.
 */
extern int32 bin_count(BinReader *in, int32 min, int32 max, int min_bytes, const char *what);

/* len raw bytes (a pointer into the message) */
extern const char *bin_bytes(BinReader *in, int len);

/*
 * A name: an int32 length, then its bytes, which must be valid text without
 * zero bytes.  With client_encoding the bytes are in the client's encoding
 * and come back converted (palloc'd, NUL-terminated); otherwise they must
 * be valid in the server encoding and the result points into the message
 * (not NUL-terminated).  number (from 1) says which name in a message.
 */
extern const char *bin_name(BinReader *in, int *len, bool client_encoding, int number);

/* the same with an unsigned LEB128 length (bin_varint) */
extern const char *bin_name_varint(BinReader *in, int *len, int number);

/* an unsigned LEB128 integer no larger than max */
extern uint64 bin_varint(BinReader *in, uint64 max);

/* fail unless the message is read to its end; what ended it: "path" */
extern void bin_end(const BinReader *in, const char *last_item);

/* write an unsigned LEB128 integer (what bin_varint reads) */
static inline void
bin_put_varint(StringInfo buf, uint64 v)
{
	unsigned char bytes[10];
	int			n = 0;

	do
	{
		bytes[n] = v & 0x7F;
		v >>= 7;
		if (v != 0)
			bytes[n] |= 0x80;
		n++;
	} while (v != 0);
	appendBinaryStringInfo(buf, (const char *) bytes, n);
}

#endif							/* ATTRIBUTION_BINIO_H */
