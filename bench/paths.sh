#!/usr/bin/env bash
# Benchmark of the data-driven models (doc/paths.md).
#
#   bash bench/paths.sh                      # 1,000,000 journeys, 20 channels, 1-30 touches
#   ROWS=100000 bash bench/paths.sh          # a quicker run
#   MANY=1 bash bench/paths.sh               # also Markov with 200 channels (slow at order 3)
#
# Builds and installs the extension into a private copy of PostgreSQL (as
# test/run-all.sh does), starts a throwaway cluster (shared_buffers = 1GB,
# work_mem = 1GB so that the plain-SQL GROUP BY stays in memory,
# max_parallel_workers_per_gather = 0 so that the backend's CPU time is the
# whole cost, jit = off), loads bench/paths-generate.sql, and runs the groups
# of bench/paths.txt with bench/bench.c: interleaved in one session, median
# of ROUNDS, elapsed and backend CPU time, peak memory of ours.  Then the
# sizes of the summary and of the GROUP BY, and optionally the many-channels
# run.  Output in bench/out/paths-<rows>.md and EXPLAINs in bench/out/.
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"
. "$srcdir/bench/lib.sh"

ROWS=${ROWS:-1000000}
CHANNELS=${CHANNELS:-20}
MAX_TOUCHES=${MAX_TOUCHES:-30}
ROUNDS=${ROUNDS:-3}
MANY=${MANY:-0}
MANY_CHANNELS=${MANY_CHANNELS:-200}
MANY_ROWS=${MANY_ROWS:-200000}
export PG_CFLAGS=${PG_CFLAGS:-}
export ATTR_SERVER_OPTS=${ATTR_SERVER_OPTS:-"-c shared_buffers=1GB -c work_mem=1GB -c max_parallel_workers_per_gather=0 -c jit=off"}

att_install_base_packages
att_make_workdir
att_build_install "$srcdir"
att_start_cluster
psql_db() { att_as_owner "$ATTR_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d attribution_bench "$@"; }
att_as_owner "$ATTR_BINDIR/psql" -X -q -d postgres -c "CREATE DATABASE attribution_bench"
psql_db -c "CREATE EXTENSION attribution"
att_log "generating $ROWS journeys over $CHANNELS channels, 1 to $MAX_TOUCHES touches"
psql_db -v rows="$ROWS" -v channels="$CHANNELS" -v max_touches="$MAX_TOUCHES" -f "$srcdir/bench/paths-generate.sql"

mkdir -p "$srcdir/bench/out"
out="$srcdir/bench/out/paths-$ROWS.md"
bench_load_begin
cc -O2 -Wall -I"$($PG_CONFIG --includedir)" -o "$ATTR_WORK/bench" "$srcdir/bench/bench.c" \
	-L"$($PG_CONFIG --libdir)" -lpq
"$ATTR_WORK/bench" "dbname=attribution_bench" "$srcdir/bench/paths.txt" "$srcdir/bench/out" "$ROUNDS" | tee "$out"

{
	echo
	echo "Sizes:"
	echo
	psql_db -c "SELECT (SELECT count(*) FROM bench_grouped) AS distinct_paths,
		pg_size_pretty(pg_column_size(ps::text::attribution.path_summary)::bigint) AS summary_in_memory,
		pg_size_pretty(pg_column_size(ps)::bigint) AS summary_stored,
		(SELECT pg_size_pretty(sum(pg_column_size(path) + 24)) FROM bench_grouped) AS group_by_rows,
		pg_size_pretty(pg_total_relation_size('bench_grouped')) AS group_by_table,
		pg_size_pretty(pg_total_relation_size('bench_paths')) AS journeys_table
		FROM bench_summary"
	echo "GROUP BY hash table (EXPLAIN ANALYZE):"
	psql_db -At -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT count(*), sum(c) FROM (SELECT path, sum(conversions) AS c, sum(value), sum(non_conversions) FROM bench_paths GROUP BY path) g" |
		grep -E "Batches|Memory" || true
	echo
	echo "Credits add up:"
	psql_db -c "SELECT (SELECT sum(conversions) FROM bench_paths) AS conversions,
		(SELECT sum(conversions) FROM bench_summary, attribution.markov(ps)) AS markov_1,
		(SELECT sum(conversions) FROM bench_summary, attribution.shapley(ps)) AS shapley,
		(SELECT sum(value) FROM bench_paths) AS value,
		(SELECT sum(value) FROM bench_summary, attribution.markov(ps)) AS markov_1_value"
} | tee -a "$out"

if [ "$MANY" = 1 ]; then
	att_log "many channels: $MANY_ROWS journeys over $MANY_CHANNELS channels"
	{
		echo
		echo "Many channels: $MANY_ROWS journeys, $MANY_CHANNELS channels (channel floor($MANY_CHANNELS * u^2), skewed), 1-15 touches, 20% converting:"
		echo
		psql_db -c "SELECT setseed(0.7)" -c "CREATE TABLE bench_many AS
			SELECT attribution.path_agg(path, conv) AS ps FROM (
				SELECT array(SELECT 'ch' || floor($MANY_CHANNELS * power(random(), 2))::int
				             FROM generate_series(1, n)) AS path, random() < 0.2 AS conv
				FROM (SELECT 1 + floor(random() * 15)::int AS n FROM generate_series(1, $MANY_ROWS)) s) j" >/dev/null
		for order in 1 2 3; do
			psql_db -At -F ' | ' -c "SELECT 'order $order', count(DISTINCT from_state) - 1 AS states,
				count(*) FILTER (WHERE to_state NOT IN ('(conversion)', '(null)')) AS transitions
				FROM bench_many, attribution.transition_matrix(ps, $order)"
			psql_db -c '\timing on' -c "SELECT sum(conversions) FROM bench_many, attribution.markov(ps, $order)" | grep Time
		done
	} | tee -a "$out"
fi
bench_load_end
