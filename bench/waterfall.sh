#!/usr/bin/env bash
# Benchmark of the demand waterfall (stage_agg + waterfall_agg) against
# SELECT unit, count(*) ... GROUP BY unit over the same rows.
#
#   bash bench/waterfall.sh                 # 1,000,000 units, a throwaway cluster
#   UNITS=100000 bash bench/waterfall.sh    # a quicker run
#
# Builds and installs the extension into a private copy of PostgreSQL (as
# test/run-all.sh does), starts a throwaway cluster with the settings below,
# runs bench/waterfall.sql and prints the median of three interleaved runs
# of each query (elapsed and backend CPU time), their ratio to the
# baseline, and the memory the plans report.  The full psql output is kept
# in bench/out/.
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"
. "$srcdir/bench/lib.sh"

UNITS=${UNITS:-1000000}
export ATTR_SERVER_OPTS=${ATTR_SERVER_OPTS:-"-c shared_buffers=1GB"}

att_install_base_packages
att_make_workdir
att_build_install "$srcdir"
att_start_cluster
att_as_owner "$ATTR_BINDIR/psql" -X -q -d postgres -c "CREATE EXTENSION attribution"

mkdir -p "$srcdir/bench/out"
out="$srcdir/bench/out/waterfall-$UNITS.txt"
att_log "running bench/waterfall.sql with $UNITS units (output in $out)"
bench_load_begin
att_as_owner "$ATTR_BINDIR/psql" -X -d postgres -v units="$UNITS" -f "$srcdir/bench/waterfall.sql" >"$out" 2>&1

# After the first "==round": per query a "Time: <ms>" line, then "cpu <ticks>"
# (the backend's CPU time so far).  Medians of three rounds, in ms.
tck=$(getconf CLK_TCK)
awk -v tck="$tck" '
	BEGIN { q = 0; for (i = 0; i < 4; i++) round[i] = 0 }
	/^==round/ { started = 1; next }
	!started && /^cpu / { last_cpu = $2; next }
	!started { next }
	/^Time: / { wall[q, round[q]] = $2; next }
	/^cpu / { cpu[q, round[q]] = ($2 - last_cpu) * 1000 / tck; last_cpu = $2; round[q]++; q = (q + 1) % 4 }
	function med(a, b, c) { return a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b)) }
	END {
		split("baseline: count(*) GROUP BY unit|stage_agg GROUP BY unit (histories only)|stage_agg GROUP BY unit, then waterfall_agg|plain SQL: reached + median days to next", name, "|")
		for (i = 0; i < 4; i++) {
			w[i] = med(wall[i, 0], wall[i, 1], wall[i, 2]); c[i] = med(cpu[i, 0], cpu[i, 1], cpu[i, 2])
		}
		printf "%-48s %9s %7s %9s %7s\n", "query (median of 3 interleaved runs)", "wall ms", "ratio", "cpu ms", "ratio"
		for (i = 0; i < 4; i++)
			printf "%-48s %9.0f %7.2f %9.0f %7.2f\n", name[i + 1], w[i], w[i] / w[0], c[i], c[i] / c[0]
	}' "$out"
echo
sed -n '/^ *events *| *units/,/^(1 row)/p' "$out" | sed -n 3p | sed 's/^/events | units | table size: /'
echo "load (INSERT): $(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$out" | head -1) ms"
echo
echo "memory reported by EXPLAIN ANALYZE (work_mem 1GB: baseline, waterfall; then work_mem 4MB: baseline, waterfall):"
grep -E 'Batches' "$out" || true
bench_load_end
