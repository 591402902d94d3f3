#!/usr/bin/env bash
# Runs every test of the extension on a throwaway cluster and ends with one
# line "N passed, N failed".  Needs nothing but a Debian 12 machine: missing
# packages are installed with apt-get (as root).
#
#   bash test/run-all.sh
#
# Steps: install packages, build with warnings as errors and assertions,
# install into a private copy of PostgreSQL, start a cluster, run the
# pg_regress suite (make installcheck), the libpq test driver, the pg_dump
# round trip, the hardening checks (sqlsmith, concurrency, look-alikes, upgrade chain,
# flat memory), the documentation checks (doc/reference.md up to date,
# every SQL example of the docs runs as documented, release files agree),
# the JDBC metadata test of the reporting views and the Citus checks
# (test/citus.sh, which builds Citus from the vendored source once into a
# cache; ATTR_CITUS=0 leaves them out, for a quicker run while developing).
# ATTR_FUZZ_QUERIES sets the sqlsmith queries (default 20000).
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

export PG_CFLAGS="$ATT_TEST_CFLAGS"

att_install_base_packages
att_make_workdir
att_build_install "$srcdir"
att_start_cluster

att_checks_begin all

# 1. pg_regress
att_log "make installcheck"
set +e
make -C "$srcdir" -s PG_CONFIG="$PG_CONFIG" installcheck >"$ATTR_WORK/installcheck.log" 2>&1
regress_rc=$?
set -e
cat "$ATTR_WORK/installcheck.log"
ok=$(grep -cE '^(ok|not ok|test|     ) .*\.\.\. ok|^ok ' "$ATTR_WORK/installcheck.log" || true)
bad=$(grep -cE '\.\.\. FAILED|^not ok ' "$ATTR_WORK/installcheck.log" || true)
if [ "$regress_rc" != 0 ] && [ "$bad" = 0 ]; then bad=1; fi
[ -f "$srcdir/regression.diffs" ] && head -c 20000 "$srcdir/regression.diffs"
count "$ok" "$bad" "pg_regress"

# 2. the libpq test driver
att_log "test driver"
make -C "$srcdir" -s PG_CONFIG="$PG_CONFIG" PG_CFLAGS="$PG_CFLAGS" driver
set +e
"$srcdir/test/driver" "dbname=postgres" | tee "$ATTR_WORK/driver.log"
driver_rc=${PIPESTATUS[0]}
set -e
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$ATTR_WORK/driver.log" | tail -n 1 || true)
if [ -n "$line" ]; then
	dp=${line%% passed*}; rest=${line#*passed, }; df=${rest%% failed*}
else
	dp=0; df=1
fi
if [ "$driver_rc" != 0 ] && [ "$df" = 0 ]; then df=1; fi
count "$dp" "$df" "test driver"

# 3. pg_dump / pg_restore round trip of the reporting layer
att_log "pg_dump round trip"
set +e
bash "$srcdir/test/test_dump.sh" | tee "$ATTR_WORK/dump.log"
set -e
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$ATTR_WORK/dump.log" | tail -n 1 || true)
if [ -n "$line" ]; then
	dp=${line%% passed*}; rest=${line#*passed, }; df=${rest%% failed*}
else
	dp=0; df=1
fi
count "$dp" "$df" "pg_dump round trip"

# 4. the hardening checks, on this cluster (each also runs on its own; see
# doc/reliability.md).  The fuzz driver and the cancellation test ran with
# the driver above; test/sanitize.sh (about 8 minutes) runs on its own.
export ATTR_REUSE_CLUSTER=1
run_check() {	# run_check <what> <script> [arguments]
	local what=$1 log=$ATTR_WORK/check.log rc
	shift
	att_log "$what"
	set +e
	bash "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	read -r dp df < <(att_summary_counts "$log")
	if [ "$rc" != 0 ] && [ "$df" = 0 ]; then df=1; fi
	count "$dp" "$df" "$what"
}
run_check "sqlsmith fuzzing (${ATTR_FUZZ_QUERIES:-20000} queries)" "$srcdir/test/fuzz.sh" "${ATTR_FUZZ_QUERIES:-20000}" 0
run_check "concurrency" "$srcdir/test/concurrency.sh"
run_check "look-alike operators and functions" "$srcdir/test/lookalikes.sh"
run_check "upgrade chain" "$srcdir/test/upgrade.sh"
run_check "flat memory" "$srcdir/test/memory.sh" 500000
run_check "reference up to date" "$srcdir/test/gen_reference.sh" --check
run_check "documentation examples" "$srcdir/test/doc_examples.sh"
run_check "release files" "$srcdir/test/release_check.sh"
# 5. what a BI tool sees through the PostgreSQL JDBC driver (a cluster of its
# own on 127.0.0.1: plain JDBC cannot use a Unix socket)
run_check "JDBC metadata" "$srcdir/test/jdbc.sh"
# Citus: its own servers (a coordinator, two workers, a single node) from
# this installation, with Citus built once into a cache
# Citus 13.2 supports PostgreSQL 15 to 17; the vendored patch is for the
# headers of 15, the version of the machine itself (the other versions of
# test/matrix.sh run in Debian roots without the vendored source)
if [ "${ATTR_CITUS:-}" = 0 ]; then
	att_log "Citus: left out (ATTR_CITUS=0)"
elif [ "${PG_MAJOR:-15}" = 15 ] || [ "${ATTR_CITUS:-}" = 1 ]; then
	run_check "Citus" "$srcdir/test/citus.sh"
else
	att_log "Citus: not run on PostgreSQL ${PG_MAJOR} (it runs on 15; ATTR_CITUS=1 runs it anyway)"
fi

if grep -q 'terminated by signal' "$ATTR_LOG"; then
	att_log "the server log shows a crashed backend"
	grep -B2 -A5 'terminated by signal' "$ATTR_LOG" >&2
	failed=$((failed + 1))
fi

att_checks_end
