#!/usr/bin/env bash
# Memory and undefined-behaviour checking: builds the extension with
# UndefinedBehaviorSanitizer (gcc -fsanitize=undefined, aborting on the first
# report), runs the server under valgrind's memcheck, runs the pg_regress
# suite and the libpq test driver against it, and counts the reports that
# involve the extension.  Zero allowed.
#
#   bash test/sanitize.sh [DRIVER_TESTS [INPUTS]]
#
# DRIVER_TESTS  the driver's tests to run (default "-rule_models,-cancel":
#               all but the 10,000-journey property test, too slow under
#               valgrind and covered by pg_regress's known answers, and the
#               cancellation timings, meaningless under valgrind)
# INPUTS        inputs per target of the fuzz test (default 50)
#
# Why valgrind and not AddressSanitizer: ASan needs its runtime preloaded
# into the (uninstrumented) server, and Debian's postgres binary deadlocks at
# start-up with it (glibc's gettext lock).  What memcheck sees without a
# server built with USE_VALGRIND: every read of memory never written
# (uninitialised bytes, also inside palloc'd chunks, with the origin of the
# allocation), accesses outside any malloc'd block (the server's memory
# context blocks; so not an overrun that stays inside a block), invalid frees
# and syscalls with uninitialised bytes (a datum with undefined padding
# written to disk).  A report counts against the extension when its stack or
# the origin of the value names attribution.so; the others are the server's
# or glibc's own and are listed, not counted.  UBSan checks alignment, shifts,
# array bounds of known size, invalid booleans and enums, float-to-integer
# overflow, null pointers, ... (signed overflow is defined by -fwrapv, which
# PostgreSQL builds with).
#
# Always builds its own cluster (the build differs from the other tests').
# About 8 minutes on 2 cores.  Ends with "N passed, N failed".
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

driver_tests=${1:--rule_models,-cancel}
inputs=${2:-50}

att_install_base_packages
att_need_packages valgrind libubsan1
export PG_CFLAGS="$ATT_TEST_CFLAGS -fsanitize=undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
att_make_workdir
reports=$ATTR_WORK/valgrind
mkdir -p "$reports"
chmod 777 "$reports"
att_build_install "$srcdir"

# the server under valgrind (pg_ctl cannot wrap it: start it directly)
att_log "starting the server under valgrind on socket $ATTR_SOCK port $ATTR_PORT"
mkdir -p "$ATTR_SOCK" "$ATTR_DATA" "$ATTR_WORK/log"
if [ "$(id -u)" = 0 ]; then chown postgres "$ATTR_SOCK" "$ATTR_DATA" "$ATTR_WORK/log"; fi
ATTR_LOG=$ATTR_WORK/log/server.log
export ATTR_LOG
att_as_owner "$ATTR_BINDIR/initdb" -D "$ATTR_DATA" -U postgres -A trust -E UTF8 --locale=C >/dev/null
att_as_owner env UBSAN_OPTIONS=print_stacktrace=1 valgrind --quiet --trace-children=yes --track-origins=yes \
	--num-callers=40 --error-limit=no --leak-check=no --log-file="$reports/vg.%p.log" \
	"$ATTR_BINDIR/postgres" -D "$ATTR_DATA" -k "$ATTR_SOCK" -p "$ATTR_PORT" -c listen_addresses= \
	>"$ATTR_LOG" 2>&1 &
export PGHOST=$ATTR_SOCK PGPORT=$ATTR_PORT PGUSER=postgres
trap att_cleanup EXIT
for _ in $(seq 1 300); do
	"$ATTR_BINDIR/pg_isready" -q && break
	sleep 1
done
"$ATTR_BINDIR/pg_isready" -q

att_checks_begin sanitize
start=$(date +%s)

# 1. pg_regress
set +e
make -C "$srcdir" -s PG_CONFIG="$PG_CONFIG" installcheck >"$ATTR_WORK/installcheck.log" 2>&1
regress_rc=$?
set -e
cat "$ATTR_WORK/installcheck.log"
[ -f "$srcdir/regression.diffs" ] && head -c 20000 "$srcdir/regression.diffs"
ok=$(grep -cE '\.\.\. ok|^ok ' "$ATTR_WORK/installcheck.log" || true)
bad=$(grep -cE '\.\.\. FAILED|^not ok ' "$ATTR_WORK/installcheck.log" || true)
if [ "$regress_rc" != 0 ] && [ "$bad" = 0 ]; then bad=1; fi
count "$ok" "$bad" "pg_regress under valgrind and UBSan"

# 2. the test driver (a client: built without sanitizers)
make -C "$srcdir" -s PG_CONFIG="$PG_CONFIG" PG_CFLAGS="$ATT_TEST_CFLAGS" driver
set +e
ATTR_FUZZ_ITERATIONS=$inputs "$srcdir/test/driver" "dbname=postgres" "$driver_tests" | tee "$ATTR_WORK/driver.log"
set -e
read -r dp df < <(att_summary_counts "$ATTR_WORK/driver.log")
count "$dp" "$df" "test driver ($driver_tests) under valgrind and UBSan"

# 3. the reports
att_as_owner "$ATTR_BINDIR/pg_ctl" -D "$ATTR_DATA" -m fast stop >/dev/null
elapsed=$(( $(date +%s) - start ))
# one report per block of a valgrind log; ours when it names attribution.so
awk -v ours="$ATTR_WORK/ours.txt" -v theirs="$ATTR_WORK/theirs.txt" '
	function flush() {
		if (block != "" && first ~ /^==[0-9]+== [A-Z]/) {
			if (block ~ /attribution\.so/) { print block > ours; n_ours++ }
			else { sub(/^==[0-9]+== /, "", first); print first > theirs; n_theirs++ }
		}
		block = ""; first = ""
	}
	/^==[0-9]+== *$/ { flush(); next }
	{ if (block == "") first = $0; block = block $0 "\n" }
	END { flush(); print n_ours + 0, n_theirs + 0 }
' "$reports"/vg.*.log >"$ATTR_WORK/counts.txt" 2>/dev/null || echo "0 0" >"$ATTR_WORK/counts.txt"
read -r ours theirs <"$ATTR_WORK/counts.txt"
ubsan=$(grep -c 'runtime error:' "$ATTR_LOG" || true)
crashes=$(grep -c 'terminated by signal' "$ATTR_LOG" || true)
processes=$(find "$reports" -name 'vg.*.log' | wc -l)
echo "sanitize: $processes server processes under valgrind for ${elapsed} s; $ours valgrind reports involving the extension," \
	"$ubsan UBSan reports, $crashes crashed backends; $theirs reports elsewhere (the server's or glibc's own, not counted)"
if [ "$theirs" != 0 ]; then
	sort "$ATTR_WORK/theirs.txt" | uniq -c | sort -rn | head -n 10
fi
if [ "$ours" != 0 ]; then
	head -n 80 "$ATTR_WORK/ours.txt" >&2
fi
grep -A20 -E 'runtime error:|terminated by signal' "$ATTR_LOG" | head -n 60 >&2 || true
if [ "$ours" = 0 ] && [ "$ubsan" = 0 ] && [ "$crashes" = 0 ]; then
	count 1 0 "sanitizer reports"
else
	count 0 1 "sanitizer reports"
fi
att_checks_end
