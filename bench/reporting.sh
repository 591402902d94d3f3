#!/usr/bin/env bash
# Benchmark of the reporting views on the demo data set, with the runner of
# bench/run.sh (bench/bench.c): the median of interleaved rounds of each
# view against the cheapest query reading the same rows, and against plain
# SQL for the linear model.
#
#   bash bench/reporting.sh                        # the demo size: 3,000 opportunities
#   OPPORTUNITIES=30000 bash bench/reporting.sh    # ten times more
#
# The server runs with PostgreSQL's defaults (work_mem 4MB, JIT on), as a
# BI tool would find it.  Results and EXPLAIN output go to bench/out/.
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"
. "$srcdir/bench/lib.sh"

OPPORTUNITIES=${OPPORTUNITIES:-3000}
ROUNDS=${BENCH_ROUNDS:-3}
export PG_CFLAGS=${PG_CFLAGS:-}

att_install_base_packages
att_make_workdir
att_build_install "$srcdir"
att_start_cluster
att_psql -d postgres -c "CREATE DATABASE attribution_bench"
att_psql -d attribution_bench -c "CREATE EXTENSION attribution"
att_log "generating the demo data set with $OPPORTUNITIES opportunities"
att_psql -d attribution_bench -c "SELECT * FROM attribution.generate_demo_data($OPPORTUNITIES)"
# the runner reports the size of bench_touches: here, the journey touches
att_psql -d attribution_bench -c "CREATE VIEW bench_touches AS
	SELECT opportunity_id AS journey_id, touchpoint_id AS touch_id, touched_at, channel
	FROM attribution.opportunity_touchpoints"
cc -O2 -Wall -I"$($PG_CONFIG --includedir)" -o "$ATTR_WORK/bench" "$srcdir/bench/bench.c" \
	-L"$($PG_CONFIG --libdir)" -lpq
mkdir -p "$srcdir/bench/out"
bench_load_begin
"$ATTR_WORK/bench" "dbname=attribution_bench" "$srcdir/bench/reporting.txt" "$srcdir/bench/out" "$ROUNDS" \
	| tee "$srcdir/bench/out/reporting-$OPPORTUNITIES.md"
bench_load_end
