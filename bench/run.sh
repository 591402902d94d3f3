#!/usr/bin/env bash
# Runs every benchmark on a throwaway cluster and prints a table of ratios.
#
#   bash bench/run.sh                          # 10,000,000 touchpoints over 1,000,000 journeys
#   BENCH_TOUCHES=1000000 BENCH_JOURNEYS=100000 bash bench/run.sh
#   BENCH_FILE=my-benchmarks.txt bash bench/run.sh       # other queries, same format
#
# The server runs with PostgreSQL's defaults (work_mem = 4MB,
# max_parallel_workers_per_gather = 2, JIT on), as users run it;
# BENCH_SERVER_OPTS="-c work_mem=256MB" (say) runs it with other settings.
# EXPLAIN (ANALYZE, BUFFERS) output of each of ours, serial and parallel,
# goes to bench/out/.
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"
. "$srcdir/bench/lib.sh"

TOUCHES=${BENCH_TOUCHES:-10000000}
JOURNEYS=${BENCH_JOURNEYS:-1000000}
ROUNDS=${BENCH_ROUNDS:-3}
export PG_CFLAGS=${PG_CFLAGS:-}
export ATTR_SERVER_OPTS=${BENCH_SERVER_OPTS:-}

att_install_base_packages
att_make_workdir
att_build_install "$srcdir"
att_start_cluster
att_psql -d postgres -c "CREATE DATABASE attribution_bench"
att_psql -d attribution_bench -c "CREATE EXTENSION attribution"
att_log "generating $TOUCHES touchpoints over $JOURNEYS journeys"
att_psql -d attribution_bench -v touches="$TOUCHES" -v journeys="$JOURNEYS" -f "$srcdir/bench/generate.sql"
cc -O2 -Wall -I"$($PG_CONFIG --includedir)" -o "$ATTR_WORK/bench" "$srcdir/bench/bench.c" \
	-L"$($PG_CONFIG --libdir)" -lpq
mkdir -p "$srcdir/bench/out"
bench_load_begin
"$ATTR_WORK/bench" "dbname=attribution_bench" "${BENCH_FILE:-$srcdir/bench/benchmarks.txt}" "$srcdir/bench/out" "$ROUNDS" \
	| tee "$srcdir/bench/out/results.md"
for extra in "$srcdir"/bench/benchmarks-*.txt; do
	[ -f "$extra" ] || continue
	att_log "extra benchmarks: $extra"
	"$ATTR_WORK/bench" "dbname=attribution_bench" "$extra" "$srcdir/bench/out" "$ROUNDS" \
		| tee -a "$srcdir/bench/out/results.md"
done
bench_load_end
