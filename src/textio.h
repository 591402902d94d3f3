/*
 * textio.h
 *		Shared reading and writing of the text forms of our types.
 *
 * Every storable type of the extension (journey, channel_credits,
 * path_summary, stage_history, waterfall_summary) has a text form built from
 * the same few tokens: JSON-style double-quoted strings ("a \"b\" \\ c"),
 * integers, floats, the keyword null, and punctuation.  A TextScanner walks
 * such a literal and raises invalid_text_representation, naming the type and
 * the position, on anything unexpected.  Writers produce the same tokens, and
 * floats are written in the shortest form that reads back to the same double,
 * whatever extra_float_digits says, so text I/O round-trips exactly.
 */
#ifndef ATTRIBUTION_TEXTIO_H
#define ATTRIBUTION_TEXTIO_H

#include "postgres.h"

#include "compat.h"
#include "lib/stringinfo.h"

typedef struct TextScanner
{
	const char *input;			/* the whole literal, for error messages */
	const char *pos;			/* next unread character */
	const char *type_name;		/* "journey", ... for error messages */
} TextScanner;

extern void ts_init(TextScanner *scan, const char *input, const char *type_name);
/* skip white space, then consume c if it is next; true when consumed */
extern bool ts_accept(TextScanner *scan, char c);
/* skip white space, then consume c or raise an error */
extern void ts_expect(TextScanner *scan, char c);
/* true (without consuming) when the next non-space character is c */
extern bool ts_peek(TextScanner *scan, char c);
/* consume the keyword null if it is next; true when consumed */
extern bool ts_accept_null(TextScanner *scan);
/* a double-quoted string; palloc'd, NUL-terminated; *len may be NULL */
extern char *ts_read_string(TextScanner *scan, int *len);
/* an optionally signed decimal integer that fits int64 */
extern int64 ts_read_int64(TextScanner *scan);
/* a finite float (strtod syntax; NaN and infinities are rejected) */
extern double ts_read_float8(TextScanner *scan);
/* only white space may follow */
extern void ts_expect_end(TextScanner *scan);
/* raise invalid_text_representation: "malformed <type> literal" */
pg_noreturn extern void ts_error(TextScanner *scan, const char *detail_fmt,...)
			pg_attribute_printf(2, 3);

/* writers */
extern void tw_append_string(StringInfo buf, const char *str, int len);
extern void tw_append_float8(StringInfo buf, double value);

#endif							/* ATTRIBUTION_TEXTIO_H */
