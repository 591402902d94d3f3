/*
 * test_rule_models.c
 *		Property tests of the rule-based models (SPEC section 2).
 */
#include <stdlib.h>
#include <string.h>

#include "driver.h"

void
test_rule_models(PGconn *conn)
{
	PGresult   *res = query_ok(conn,
							   "SELECT extversion FROM pg_extension WHERE extname = 'attribution'");

	check(PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "0.1.0") == 0,
		  "the extension is installed at version 0.1.0");
	PQclear(res);
}
