#!/usr/bin/env bash
# Parallel scaling of the extension's aggregates: each query with
# max_parallel_workers_per_gather = 0, 1 and 2 (interleaved rounds, median
# elapsed time), then the plan the planner picks in the server's own settings
# and its time against the serial plan.  It answers whether a parallel plan
# that the planner picks is ever slower than the serial one, and what one and
# two workers give when the machine has cores for them.
#
#   bash bench/parallel.sh                         # 2,000,000 touchpoints over 200,000 journeys
#   BENCH_TOUCHES=10000000 BENCH_JOURNEYS=1000000 bash bench/parallel.sh
#
# The server runs with PostgreSQL's defaults (max_parallel_workers_per_gather
# = 2, work_mem = 4MB, JIT on) unless BENCH_SERVER_OPTS says otherwise.  The
# touches of a journey are spread over the table (bench/generate.sql), the
# worst case for partial states: every worker sees a part of most journeys.
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"
. "$srcdir/bench/lib.sh"

TOUCHES=${BENCH_TOUCHES:-2000000}
JOURNEYS=${BENCH_JOURNEYS:-200000}
ROUNDS=${BENCH_ROUNDS:-3}
export PG_CFLAGS=${PG_CFLAGS:-}
export ATTR_SERVER_OPTS=${BENCH_SERVER_OPTS:-}

att_install_base_packages
att_make_workdir
att_build_install "$srcdir"
att_start_cluster
db() { att_psql -d attribution_bench "$@"; }
att_psql -d postgres -c "CREATE DATABASE attribution_bench"
db -c "CREATE EXTENSION attribution"
att_log "generating $TOUCHES touchpoints over $JOURNEYS journeys, their paths, stage histories and credits"
db -v touches="$TOUCHES" -v journeys="$JOURNEYS" -c "SET client_min_messages = warning" -f "$srcdir/bench/generate.sql" >/dev/null
db -c "SET max_parallel_workers_per_gather = 0; SET work_mem = '1GB';
	CREATE UNLOGGED TABLE bench_paths AS
	SELECT journey_id, array_agg(channel ORDER BY touched_at, touch_id) AS path, journey_id % 3 = 0 AS converted
	FROM bench_touches GROUP BY journey_id;
	CREATE UNLOGGED TABLE bench_credits AS
	SELECT journey_id, attribution.channel_credit('position_based', touched_at, channel) AS cc
	FROM bench_touches GROUP BY journey_id;
	CREATE UNLOGGED TABLE bench_histories AS
	SELECT u AS unit_id, attribution.stage_agg(
		(ARRAY['inquiry', 'mql', 'sal', 'sql', 'opportunity', 'won', 'disqualified', 'lost', 'mql'])[1 + (u * 7 + s * 3) % 9],
		timestamptz '2024-01-01' + ((u * 7919 + s * 104729) % 20000) * interval '1 hour') AS h
	FROM generate_series(1, $JOURNEYS) u, generate_series(1, 1 + u % 6) s GROUP BY u;
	"
db -c "VACUUM ANALYZE bench_paths, bench_credits, bench_histories"

names=(floor_group_by_journey credit_by_channel_u credit_by_channel_time_decay channel_credit_group_by_sum
	journey_agg_credits credit_sum_agg_stored path_agg floor_group_by_path waterfall_agg_stored)
queries=(
	"SELECT count(*) FROM (SELECT journey_id, count(*) FROM bench_touches GROUP BY journey_id) s"
	"SELECT sum(credit) FROM attribution.each((SELECT attribution.credit_by_channel(journey_id, 'position_based', touched_at, channel) FROM bench_touches))"
	"SELECT sum(credit) FROM attribution.each((SELECT attribution.credit_by_channel(journey_id, 'time_decay', touched_at, channel, converted_at) FROM bench_touches))"
	"SELECT sum(credit) FROM attribution.each((SELECT attribution.credit_sum_agg(cc) FROM (SELECT attribution.channel_credit('position_based', touched_at, channel) AS cc FROM bench_touches GROUP BY journey_id) s))"
	"SELECT count(*), sum(c.credit) FROM (SELECT attribution.journey_agg(touched_at, channel, touch_id) AS j FROM bench_touches GROUP BY journey_id) s, attribution.credits(s.j, 'position_based') c"
	"SELECT sum(credit) FROM attribution.each((SELECT attribution.credit_sum_agg(cc) FROM bench_credits))"
	"SELECT pg_column_size(attribution.path_agg(path, converted)) FROM bench_paths"
	"SELECT count(*), sum(c) FROM (SELECT path, count(*) FILTER (WHERE converted) AS c FROM bench_paths GROUP BY path) g"
	"SELECT md5(attribution.waterfall_agg(h)::text) FROM bench_histories"
)

# the elapsed milliseconds of a query under a number of workers ("" = the server's setting)
time_query() {
	local setting=""
	[ -n "$2" ] && setting="SET max_parallel_workers_per_gather = $2"
	db -c "${setting:-SELECT 1}" -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}

timing=$ATTR_WORK/parallel-times.txt
: >"$timing"
for i in "${!queries[@]}"; do
	time_query "${queries[$i]}" 0 >/dev/null # warm the cache and load the library
done
bench_load_begin
for round in $(seq 1 "$ROUNDS"); do
	for i in "${!queries[@]}"; do
		for workers in 0 1 2 default; do
			w=$workers
			[ "$w" = default ] && w=""
			echo "${names[$i]} $workers $(time_query "${queries[$i]}" "$w")" >>"$timing"
		done
	done
	att_log "round $round done"
done
bench_load_end

median() {
	awk -v n="$1" -v w="$2" '$1 == n && $2 == w { print $3 }' "$timing" | sort -n |
		awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
echo
db -At -c "SELECT version()"
settings=${BENCH_SERVER_OPTS:-"the defaults"}
echo "rows: $TOUCHES touchpoints over $JOURNEYS journeys; server settings: $settings; median of $ROUNDS rounds"
echo
echo "| query | serial (ms) | 1 worker | 2 workers | default plan | 1 worker / serial | 2 workers / serial | default / serial | workers the default plan launches |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for i in "${!queries[@]}"; do
	launched=$(db -At -c "EXPLAIN (ANALYZE, COSTS OFF) ${queries[$i]}" |
		sed -n 's/.*Workers Launched: \([0-9]*\).*/\1/p' | head -n 1)
	awk -v n="${names[$i]}" -v a="$(median "${names[$i]}" 0)" -v b="$(median "${names[$i]}" 1)" \
		-v c="$(median "${names[$i]}" 2)" -v d="$(median "${names[$i]}" default)" -v l="${launched:-0}" \
		'BEGIN { printf "| %s | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f | %s |\n", n, a, b, c, d, b / a, c / a, d / a, l }'
done
