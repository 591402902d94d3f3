/*
 * textio.c
 *		Tokens of the text forms of our types; see textio.h.
 */
#include "postgres.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>

#include "common/shortest_dec.h"
#include "textio.h"

void
ts_init(TextScanner *scan, const char *input, const char *type_name)
{
	scan->input = input;
	scan->pos = input;
	scan->type_name = type_name;
}

void
ts_error(TextScanner *scan, const char *detail_fmt,...)
{
	char		detail[256];
	va_list		args;

	va_start(args, detail_fmt);
	vsnprintf(detail, sizeof(detail), detail_fmt, args);
	va_end(args);

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("malformed %s literal: \"%s\"", scan->type_name, scan->input),
			 errdetail("%s at character %d.", detail,
					   (int) (scan->pos - scan->input) + 1),
			 errhint("See the text form of type %s in the documentation of the attribution extension.",
					 scan->type_name)));
	pg_unreachable();
}

static void
ts_skip_space(TextScanner *scan)
{
	while (*scan->pos != '\0' && isspace((unsigned char) *scan->pos))
		scan->pos++;
}

bool
ts_peek(TextScanner *scan, char c)
{
	ts_skip_space(scan);
	return *scan->pos == c;
}

bool
ts_accept(TextScanner *scan, char c)
{
	if (!ts_peek(scan, c))
		return false;
	scan->pos++;
	return true;
}

void
ts_expect(TextScanner *scan, char c)
{
	if (!ts_accept(scan, c))
	{
		if (*scan->pos == '\0')
			ts_error(scan, "Expected \"%c\" but the literal ended", c);
		ts_error(scan, "Expected \"%c\"", c);
	}
}

bool
ts_accept_null(TextScanner *scan)
{
	ts_skip_space(scan);
	if (pg_strncasecmp(scan->pos, "null", 4) != 0 ||
		isalnum((unsigned char) scan->pos[4]))
		return false;
	scan->pos += 4;
	return true;
}

char *
ts_read_string(TextScanner *scan, int *len)
{
	const char *p;
	char	   *out;
	int			n = 0;

	ts_expect(scan, '"');

	/*
	 * Measure first, so that the string takes no more memory than it needs:
	 * a value may hold a million names, which a StringInfo's initial 1 kB
	 * each would turn into a gigabyte.  The copy below checks the escapes.
	 */
	for (p = scan->pos; *p != '\0' && *p != '"'; p++, n++)
	{
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
	}
	out = palloc(n + 1);
	n = 0;
	for (;;)
	{
		char		c = *scan->pos;

		if (c == '\0')
			ts_error(scan, "Unterminated quoted string");
		scan->pos++;
		if (c == '"')
			break;
		if (c == '\\')
		{
			c = *scan->pos;
			if (c != '"' && c != '\\')
				ts_error(scan, "Only \\\" and \\\\ may be escaped in a quoted string");
			scan->pos++;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	if (len)
		*len = n;
	return out;
}

int64
ts_read_int64(TextScanner *scan)
{
	const char *start;
	char	   *end;
	long long	value;

	ts_skip_space(scan);
	start = scan->pos;
	if (*start != '-' && *start != '+' && !isdigit((unsigned char) *start))
		ts_error(scan, "Expected an integer");
	errno = 0;
	value = strtoll(start, &end, 10);
	if (end == start || errno == ERANGE)
		ts_error(scan, "Expected an integer in the range of bigint");
	scan->pos = end;
	return (int64) value;
}

/*
 * A float in decimal notation only: an optional sign, digits with an
 * optional decimal point (at least one digit), and an optional exponent.
 * The syntax is checked here, not left to strtod(), which would also take
 * hexadecimal floats (0x1p3), "nan", "inf" and "infinity"; a value beyond the
 * range of double precision, or a nonzero one so small that it would round
 * to zero, is an error rather than an infinity or a silent zero (values
 * below the normal range that are not zero keep their reduced precision, as
 * float8 input does).
 */
double
ts_read_float8(TextScanner *scan)
{
	const char *start;
	const char *p;
	char	   *copy;
	char	   *end;
	double		value;
	int			digits = 0;
	bool		nonzero = false;
	bool		range_error;

	ts_skip_space(scan);
	start = p = scan->pos;
	if (*p == '-' || *p == '+')
		p++;
	while (isdigit((unsigned char) *p))
	{
		nonzero |= *p != '0';
		digits++;
		p++;
	}
	if (*p == '.')
	{
		p++;
		while (isdigit((unsigned char) *p))
		{
			nonzero |= *p != '0';
			digits++;
			p++;
		}
	}
	if (digits == 0)
		ts_error(scan, "Expected a number");
	if (*p == 'e' || *p == 'E')
	{
		const char *exponent = p + 1;

		if (*exponent == '-' || *exponent == '+')
			exponent++;
		if (!isdigit((unsigned char) *exponent))
			ts_error(scan, "Expected digits in the exponent of a number");
		p = exponent;
		while (isdigit((unsigned char) *p))
			p++;
	}
	if (isalnum((unsigned char) *p) || *p == '.' || *p == '_')
		ts_error(scan, "Expected a number in decimal notation");

	/* strtod() on exactly the checked characters */
	copy = pnstrdup(start, p - start);
	errno = 0;
	value = strtod(copy, &end);
	range_error = errno == ERANGE;
	if (end != copy + (p - start))
		ts_error(scan, "Expected a number");
	pfree(copy);
	if (!isfinite(value) || (range_error && (value == HUGE_VAL || value == -HUGE_VAL)))
		ts_error(scan, "Number out of the range of double precision");
	if (value == 0 && nonzero)
		ts_error(scan, "Number too close to zero for double precision");
	scan->pos = p;
	return value;
}

void
ts_expect_end(TextScanner *scan)
{
	ts_skip_space(scan);
	if (*scan->pos != '\0')
		ts_error(scan, "Unexpected characters after the end of the value");
}

void
tw_append_string(StringInfo buf, const char *str, int len)
{
	int			i;

	appendStringInfoChar(buf, '"');
	for (i = 0; i < len; i++)
	{
		if (str[i] == '"' || str[i] == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, str[i]);
	}
	appendStringInfoChar(buf, '"');
}

void
tw_append_float8(StringInfo buf, double value)
{
	char		digits[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(value, digits);
	appendStringInfoString(buf, digits);
}
