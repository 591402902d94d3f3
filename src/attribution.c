/*
 * attribution.c
 *		Module entry point of the attribution extension, and its settings.
 *
 * Every SQL-callable function lives in the file of its concept; this file
 * marks the library as a PostgreSQL module and defines the extension's
 * configuration parameters.
 */
#include "postgres.h"

#include <limits.h>

#include "compat.h"

#include "attribution.h"
#include "fmgr.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

int			attribution_max_memory_kb = ATTRIBUTION_MAX_MEMORY_DEFAULT_KB;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("attribution.max_memory",
							"The most working memory one call of markov(), transition_matrix() "
							"or credit_by_channel() may take.",
							"A call that would need more fails with an error before taking it. "
							"Each parallel worker has its own allowance.",
							&attribution_max_memory_kb,
							ATTRIBUTION_MAX_MEMORY_DEFAULT_KB,
							1024,
							MAX_KILOBYTES,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("attribution");
	drop_guard_install();
}

Size
attribution_max_memory(void)
{
	return (Size) attribution_max_memory_kb * 1024;
}

void
attribution_memory_error(const char *function, Size needed, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
			 errmsg("%s() would need more memory than attribution.max_memory allows", function),
			 errdetail("%s needs more than %zu kB; attribution.max_memory is %d kB.",
					   what, needed / 1024, attribution_max_memory_kb),
			 errhint("Raise attribution.max_memory (for example SET attribution.max_memory = '4GB'), "
					 "or make the input smaller.")));
}

void
check_one_dimension(ArrayType *array, const char *what, const char *hint)
{
	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what),
				 errdetail("The array has %d dimensions.", ARR_NDIM(array)),
				 errhint("%s", hint)));
}
