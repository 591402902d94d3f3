/*
 * attribution.h
 *		The extension's configuration parameters, and helpers every module
 *		may use.
 *
 * attribution.max_memory bounds the working memory of the calls whose memory
 * grows with their input beyond what work_mem governs: markov() and
 * transition_matrix() (the Markov chain and its solver) and
 * credit_by_channel() (a summary of every journey).  Such a call checks the
 * limit before it takes more memory and fails with
 * configuration_limit_exceeded (53400) instead.
 */
#ifndef ATTRIBUTION_ATTRIBUTION_H
#define ATTRIBUTION_ATTRIBUTION_H

#include "postgres.h"

#include "miscadmin.h"

#include "compat.h"

#include "utils/array.h"

/*
 * In a loop whose trip count grows with the input, check for interrupts
 * every 64k steps (i counts the steps): a cancel request or
 * statement_timeout is then served within a fraction of a second however
 * large the input, at a negligible cost per step.
 */
#define INTERRUPT_EVERY(i) \
	do { if (((i) & 0xFFFF) == 0) CHECK_FOR_INTERRUPTS(); } while (0)

/* 1 GB */
#define ATTRIBUTION_MAX_MEMORY_DEFAULT_KB (1024 * 1024)

extern PGDLLIMPORT int attribution_max_memory_kb;

/* the limit in bytes */
extern Size attribution_max_memory(void);

/* raise the error of a call of function whose `what` needs more than needed bytes */
pg_noreturn extern void attribution_memory_error(const char *function, Size needed,
												 const char *what);

/*
 * Fail with array_subscript_error unless the array has at most one
 * dimension: "what" names the argument, hint says what to give instead.
 */
extern void check_one_dimension(ArrayType *array, const char *what, const char *hint);

/*
 * Install the guard that keeps a DROP ... CASCADE of another object from
 * dropping the extension (drop_guard.c); called when the library loads.
 */
extern void drop_guard_install(void);

#endif							/* ATTRIBUTION_ATTRIBUTION_H */
