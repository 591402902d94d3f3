/*
 * path_summary_int.h
 *		What path_summary.c (the type) and path_summary_build.c (the
 *		builder and the aggregates) share; nothing else includes it.
 */
#ifndef ATTRIBUTION_PATH_SUMMARY_INT_H
#define ATTRIBUTION_PATH_SUMMARY_INT_H

#include "postgres.h"

#include "binio.h"
#include "exactsum.h"
#include "lib/stringinfo.h"
#include "path_summary.h"

#define PS_VERSION 1			/* of the stored form */
#define PS_WIRE_VERSION 1		/* of the binary form and the serialized state */
#define PS_FLAG_VALUE_IS_CONVERSIONS 0x40

/* ---------- encoding of channel ids and lengths ---------- */

#define CODE1_LIMIT 0x80
#define CODE2_LIMIT (CODE1_LIMIT + 0x4000)
#define CODE_MAX_BYTES 3

static inline int
channel_code_put(unsigned char *out, uint32 id)
{
	uint32		v;

	if (id < CODE1_LIMIT)
	{
		out[0] = (unsigned char) id;
		return 1;
	}
	if (id < CODE2_LIMIT)
	{
		v = id - CODE1_LIMIT;
		out[0] = (unsigned char) (0x80 | (v >> 8));
		out[1] = (unsigned char) (v & 0xFF);
		return 2;
	}
	v = id - CODE2_LIMIT;
	Assert(v < 0x200000);
	out[0] = (unsigned char) (0xC0 | (v >> 16));
	out[1] = (unsigned char) ((v >> 8) & 0xFF);
	out[2] = (unsigned char) (v & 0xFF);
	return 3;
}

/* decode one id; NULL when the bytes are not a valid code */
static inline const unsigned char *
channel_code_get(const unsigned char *p, const unsigned char *end, uint32 *id)
{
	unsigned char b;

	if (p >= end)
		return NULL;
	b = p[0];
	if (b < 0x80)
	{
		*id = b;
		return p + 1;
	}
	if (b < 0xC0)
	{
		if (end - p < 2)
			return NULL;
		*id = CODE1_LIMIT + ((((uint32) b & 0x3F) << 8) | p[1]);
		return p + 2;
	}
	if (b < 0xE0)
	{
		if (end - p < 3)
			return NULL;
		*id = CODE2_LIMIT + ((((uint32) b & 0x1F) << 16) | ((uint32) p[1] << 8) | p[2]);
		return p + 3;
	}
	return NULL;
}

static inline int
leb128_put(unsigned char *out, uint32 v)
{
	int			n = 0;

	do
	{
		unsigned char b = v & 0x7F;

		v >>= 7;
		if (v != 0)
			b |= 0x80;
		out[n++] = b;
	} while (v != 0);
	return n;
}

static inline int
leb128_len(uint32 v)
{
	int			n = 1;

	while (v >= 0x80)
	{
		v >>= 7;
		n++;
	}
	return n;
}

static inline const unsigned char *
leb128_get(const unsigned char *p, const unsigned char *end, uint32 *v)
{
	uint32		result = 0;
	int			shift;

	for (shift = 0; shift < 35 && p < end; shift += 7)
	{
		unsigned char b = *p++;

		result |= (uint32) (b & 0x7F) << shift;
		if ((b & 0x80) == 0)
		{
			*v = result;
			return p;
		}
	}
	return NULL;
}

/* ---------- the builder (path_summary_build.c) ---------- */

typedef struct PathBuilder PathBuilder;

/* a new, empty builder in the current memory context */
extern PathBuilder *builder_create(void);
/* the id of a channel name, added if new */
extern int	builder_intern_channel(PathBuilder *b, const char *name, int len);
/* build a path in the probe: reset, then append channel ids */
extern void probe_reset(PathBuilder *b);
extern void probe_append(PathBuilder *b, uint32 id);
extern int	builder_probe_touches(const PathBuilder *b);
/* add the probe's path with these sums (validated by the caller) */
extern void builder_add_probe_sums(PathBuilder *b, const ExactSum *sums);
/* the canonical stored form of a builder (which it leaves as it is) */
extern PathSummary *builder_finish(PathBuilder *b);

/* what is wrong with a path of touches with these sums; NULL when nothing */
extern const char *entry_problem(int touches, const ExactSum *sums);

/* the binary form: a builder with everything validated, and back */
extern PathBuilder *builder_read_wire(BinReader *in);
extern void builder_write_wire(StringInfo buf, PathBuilder *b);

#endif							/* ATTRIBUTION_PATH_SUMMARY_INT_H */
