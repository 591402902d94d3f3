/*
 * test_types.c
 *		Binary I/O of every storable type: values sent in binary come back
 *		the same, and truncated or corrupted binary values are errors, never a
 *		crash (the connection must survive each of them).  Every base type of
 *		the extension must have a case here (checked through the catalog);
 *		cases of types the installed version does not have are skipped.
 *		test_fuzz.c mutates far more inputs, text and binary, at random.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

typedef struct TypeCase
{
	const char *type;
	const char *literal;
} TypeCase;

static const TypeCase cases[] = {
	{"attribution.journey", "[]"},
	{"attribution.journey",
	"[(\"2024-03-01 09:00:00+00\", 17, \"email\"), (\"2024-03-01 09:00:00+00\", null, \"di\\\"rect\"), "
	"(\"2024-03-02 10:30:00.25+00\", -3, \"\"), (\"2024-03-01 08:00:00+00\", 1, \"email\")]"},
	{"attribution.channel_credits", "{}"},
	{"attribution.channel_credits", "{\"web\": 0.1, \"email\": 0.30000000000000004, \"x\\\\y\": -2.5e-300}"},
	{"attribution.stage_history",
		"{\"ladder\":[\"inquiry\",\"mql\",\"sal\",\"sql\",\"opportunity\",\"won\"],\"exits\":[\"disqualified\",\"lost\"],"
		"\"events\":[[\"inquiry\",\"2024-01-01 00:00:00+00\"],[\"sql\",\"2024-01-03 00:00:00+00\"],"
	"[\"mql\",\"2024-01-05 00:00:00+00\"],[\"lost\",\"2024-01-09 00:00:00+00\"]]}"},
	{"attribution.stage_history",
		"{\"ladder\":[\"a\",\"b \\\"c\\\"\",\"d\"],\"exits\":[],"
	"\"events\":[[\"a\",\"2024-01-01 00:00:00+00\"],[\"d\",\"2024-01-03 00:00:00.5+00\"]]}"},
	{"attribution.waterfall_summary",
		"{\"ladder\":[\"inquiry\",\"mql\",\"sal\",\"sql\",\"opportunity\",\"won\"],\"exits\":[\"disqualified\",\"lost\"],"
		"\"units\":2,\"stages\":[{\"reached\":2,\"recycled\":0,\"exited\":[0,0],\"to_next\":{\"zero\":1,\"buckets\":[[2601,1]]}},"
		"{\"reached\":2,\"recycled\":0,\"exited\":[0,1],\"to_next\":{\"zero\":1,\"buckets\":[]}},"
		"{\"reached\":1,\"recycled\":0,\"exited\":[0,0],\"to_next\":{\"zero\":1,\"buckets\":[]}},"
		"{\"reached\":1,\"recycled\":0,\"exited\":[0,0],\"to_next\":{\"zero\":0,\"buckets\":[]}},"
		"{\"reached\":0,\"recycled\":0,\"exited\":[0,0],\"to_next\":{\"zero\":0,\"buckets\":[]}},"
	"{\"reached\":0,\"recycled\":0,\"exited\":[0,0],\"to_next\":null}]}"},
	{"attribution.path_summary", "[[[\"b\",\"a\"],1,2,3],[[\"a\"],1,1,0],[[\"a\\\"b\",\"c\\\\d\"],2.5,1e300,7]]"},
	{"attribution.path_summary", "[]"},
	{"attribution.path_summary", "[[[\"a\",\"b\\\"c\"],3,0.3+2.7755575615628914e-17,1],[[\"b\"],0,0,2]]"},
	/* the partial states: the base64 of their binary forms */
	{"attribution.credit_sum_state", "AQAAAAA="},
	{"attribution.credit_sum_state", "AQAAAAIAAAADd2ViP7mZmZmZmZq8cUs39LUfcQAAAAN4XHmBusmns7cwLwAAAAAAAAAA"},
	{"attribution.path_agg_state",
	"AQAAAAQAAAABYQAAAANiImMAAAABYgAAAANjXGQAAAADAgABBUAAAAAAAAAAfjfkPIgAdZwBAlA/8AAAAAAAAAEDBT/wAAAAAAAAP7mZmZmZmZo="},
	{"attribution.credit_by_channel_state",
		"AQMFZW1haWwHZGkicmVjdAN3ZWICAAAABD/ZmZmZmZmaAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAP9mZmZmZmZo/yZmZmZmZmgAAAAAAAAAA"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAALAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABCYZoc"
		"dAAAAAAAAAAAAAAAAAAAAAAAAAACAAAAAAAAAAIBAQACsSZMRsAAAgIAAAKxEi5vYAACAgE/7PuwMadBpQABP/AAAAAAAAAAAAAAAAAAAQAB"
	"AAKxJkxGwAACAgECAAEBAQEAArDV1OlAAAAAAAAAAAAHAAMAArDp8sCgAAE="},
	{"attribution.credit_by_channel_state",
		"AQEBYQEAAAADAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAD/wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	"AAAAAAAAAAABAAAAAAAAAAUAAAEBAAEAAQ=="},
};

/* the type's oid, 0 when the installed version does not have it */
static unsigned int
type_oid(PGconn *conn, const char *type)
{
	char		sql[256];
	PGresult   *res;
	unsigned int oid;

	snprintf(sql, sizeof(sql), "SELECT coalesce(to_regtype('%s')::oid, 0)", type);
	res = query_ok(conn, sql);
	oid = (unsigned int) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return oid;
}

/* every base type of the extension has a case */
static void
check_every_type_has_a_case(PGconn *conn)
{
	PGresult   *res = query_ok(conn,
							   "SELECT t.oid::regtype::text FROM pg_type t "
							   "JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e' "
							   "JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution' "
							   "WHERE t.typtype = 'b' AND t.typelem = 0 ORDER BY 1");
	int			i;
	size_t		c;

	for (i = 0; i < PQntuples(res); i++)
	{
		const char *type = PQgetvalue(res, i, 0);
		bool		found = false;

		for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
			found = found || strcmp(cases[c].type, type) == 0;
		check(found, "type %s has a binary I/O case in test_types.c", type);
	}
	PQclear(res);
}

/* the binary form of a literal */
static char *
binary_value(PGconn *conn, const char *type, const char *literal, int *len)
{
	char		sql[256];
	const char *params[1] = {literal};
	PGresult   *res;
	char	   *copy;

	snprintf(sql, sizeof(sql), "SELECT $1::%s", type);
	res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		check(false, "binary output of %s %s: %s", type, literal, PQerrorMessage(conn));
		PQclear(res);
		return NULL;
	}
	*len = PQgetlength(res, 0, 0);
	copy = malloc(*len + 1);
	memcpy(copy, PQgetvalue(res, 0, 0), *len);
	PQclear(res);
	return copy;
}

/* send bytes as a binary parameter; returns the text of the value, or NULL on error */
static char *
text_of_binary(PGconn *conn, unsigned int oid, const char *bytes, int len, char *sqlstate)
{
	const char *params[1] = {bytes};
	int			lengths[1] = {len};
	int			formats[1] = {1};
	unsigned int types[1] = {oid};
	PGresult   *res = PQexecParams(conn, "SELECT $1::text", 1, types, params, lengths, formats, 0);
	char	   *text = NULL;

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		text = strdup(PQgetvalue(res, 0, 0));
	else if (sqlstate)
	{
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		snprintf(sqlstate, 6, "%s", state ? state : "?????");
	}
	PQclear(res);
	return text;
}

static char *
text_of_literal(PGconn *conn, const char *type, const char *literal)
{
	char		sql[256];
	const char *params[1] = {literal};
	PGresult   *res;
	char	   *text;

	snprintf(sql, sizeof(sql), "SELECT $1::%s::text", type);
	res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
	text = strdup(PQresultStatus(res) == PGRES_TUPLES_OK ? PQgetvalue(res, 0, 0) : "error");
	PQclear(res);
	return text;
}

static bool
connection_alive(PGconn *conn)
{
	PGresult   *res = PQexec(conn, "SELECT 1");
	bool		ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	PQclear(res);
	return ok;
}

static void
corrupt_values(PGconn *conn, const TypeCase *tc, unsigned int oid, const char *bytes, int len)
{
	uint64_t	rng = 12345;
	int			bad_errors = 0;
	int			i;
	char		sqlstate[6];
	char	   *mutated = malloc(len + 1);

	/* every truncation is an error */
	for (i = 0; i < len; i++)
	{
		char	   *text = text_of_binary(conn, oid, bytes, i, sqlstate);

		if (text != NULL)
		{
			free(text);
			bad_errors++;
		}
		else if (strcmp(sqlstate, "22P03") != 0)
			bad_errors++;
	}
	check(bad_errors == 0 && connection_alive(conn),
		  "every truncation of binary %s %s is error 22P03 (%d were not)", tc->type,
		  tc->literal, bad_errors);

	/*
	 * random byte changes: an error of the client's data (never XX001: bytes
	 * a client sends are malformed input, not corruption), or a value whose
	 * text reads back the same
	 */
	bad_errors = 0;
	for (i = 0; i < 300 && len > 0; i++)
	{
		char	   *text;

		memcpy(mutated, bytes, len);
		mutated[rng_int(&rng, 0, len - 1)] ^= (char) rng_int(&rng, 1, 255);
		text = text_of_binary(conn, oid, mutated, len, sqlstate);
		if (text != NULL)
		{
			char	   *again = text_of_literal(conn, tc->type, text);

			if (strcmp(again, text) != 0)
				bad_errors++;
			free(again);
			free(text);
		}
		else if (strncmp(sqlstate, "XX", 2) == 0)
			bad_errors++;
	}
	check(bad_errors == 0 && connection_alive(conn),
		  "corrupted binary %s values are client errors or valid values (%d were neither)", tc->type,
		  bad_errors);
	free(mutated);
}

void
test_types(PGconn *conn)
{
	size_t		i;

	check_every_type_has_a_case(conn);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const TypeCase *tc = &cases[i];
		unsigned int oid = type_oid(conn, tc->type);
		int			len = 0;
		char	   *bytes;
		char	   *text;
		char	   *expected;

		if (oid == 0)
			continue;
		bytes = binary_value(conn, tc->type, tc->literal, &len);
		if (bytes == NULL)
			continue;
		text = text_of_binary(conn, oid, bytes, len, NULL);
		expected = text_of_literal(conn, tc->type, tc->literal);
		check(text != NULL && strcmp(text, expected) == 0,
			  "binary round trip of %s %s gives %s, expected %s", tc->type, tc->literal,
			  text ? text : "an error", expected);
		free(text);
		free(expected);
		corrupt_values(conn, tc, oid, bytes, len);
		free(bytes);
	}
}
