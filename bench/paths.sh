#!/usr/bin/env bash
# Benchmark of the data-driven models (SPEC section 3), run in one session,
# interleaved, against the plain-SQL equivalent on the same rows.
#
#   bash bench/paths.sh                 # builds, starts a throwaway cluster (like test/run-all.sh)
#   BENCH_DSN="dbname=x" bash bench/paths.sh   # against a running server with the extension installed
#
# Environment: BENCH_ROWS (1000000), BENCH_CHANNELS (20), BENCH_MAX_TOUCHES (30),
# BENCH_ROUNDS (3), BENCH_MANY=1 adds the many-channels run (BENCH_MANY_CHANNELS
# channels, BENCH_MANY_ROWS journeys, orders 1 to 3).  The data are generated
# with setseed(), so every run sees the same rows.  Prints a Markdown report.
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${BENCH_ROWS:-1000000}
CHANNELS=${BENCH_CHANNELS:-20}
MAX_TOUCHES=${BENCH_MAX_TOUCHES:-30}
ROUNDS=${BENCH_ROUNDS:-3}
MANY=${BENCH_MANY:-0}
MANY_CHANNELS=${BENCH_MANY_CHANNELS:-200}
MANY_ROWS=${BENCH_MANY_ROWS:-200000}

if [ -z "${BENCH_DSN:-}" ]; then
	. "$srcdir/test/lib.sh"
	export PG_CFLAGS="${PG_CFLAGS:-}"
	att_install_base_packages
	att_make_workdir
	att_build_install "$srcdir" >&2
	ATTR_SERVER_OPTS="-c shared_buffers=1GB -c max_parallel_workers_per_gather=0" att_start_cluster
	"$ATTR_BINDIR/psql" -X -q -d postgres -c "CREATE DATABASE bench" >/dev/null
	BENCH_DSN="dbname=bench"
	PSQL="$ATTR_BINDIR/psql"
else
	PSQL=${PSQL:-psql}
fi

sql() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$BENCH_DSN" "$@"; }

# run a statement, print its time in ms
timed() {
	sql -At -c "SET max_parallel_workers_per_gather = 0" -c "\\timing on" -c "$1" 2>&1 |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

sql -c "CREATE EXTENSION IF NOT EXISTS attribution" >/dev/null
echo "== generating $ROWS journeys over $CHANNELS channels, 1 to $MAX_TOUCHES touches" >&2
gen_start=$(date +%s)
sql -c "DROP TABLE IF EXISTS bench_paths" -c "SELECT setseed(0.42)" >/dev/null
sql -c "CREATE TABLE bench_paths AS
	SELECT array(SELECT 'channel_' || lpad((1 + floor(random() * $CHANNELS))::int::text, 3, '0')
	             FROM generate_series(1, n)) AS path,
	       c::float8 AS conversions,
	       (c * round((random() * 500)::numeric, 2))::float8 AS value,
	       (1 - c)::float8 AS non_conversions
	FROM (SELECT 1 + floor(random() * $MAX_TOUCHES)::int AS n, (random() < 0.3)::int AS c
	      FROM generate_series(1, $ROWS)) s" >/dev/null
sql -c "VACUUM ANALYZE bench_paths" >/dev/null
echo "   ($(( $(date +%s) - gen_start )) s)" >&2

declare -A T
names=()
add() { names+=("$1"); }
SCAN="SELECT count(*), sum(cardinality(path)) FROM bench_paths"
GROUPBY="SELECT count(*) FROM (SELECT path, sum(conversions), sum(value), sum(non_conversions) FROM bench_paths GROUP BY path) g"
GROUPBY_MEM="SET work_mem = '2GB'; $GROUPBY"
BUILD="SELECT pg_column_size(attribution.path_agg(path, conversions, value, non_conversions)) FROM bench_paths"
add scan; add groupby; add groupby_2gb; add path_agg
for r in $(seq 1 "$ROUNDS"); do
	echo "== build round $r" >&2
	T[scan]+="$(timed "$SCAN") "
	T[groupby]+="$(timed "$GROUPBY") "
	T[groupby_2gb]+="$(timed "$GROUPBY_MEM") "
	T[path_agg]+="$(timed "$BUILD") "
done

sql -c "DROP TABLE IF EXISTS bench_summary" \
	-c "CREATE TABLE bench_summary AS SELECT attribution.path_agg(path, conversions, value, non_conversions) AS ps FROM bench_paths" >/dev/null
ACCESSORS=(
	"markov_1|SELECT sum(conversions) FROM bench_summary, attribution.markov(ps, 1)"
	"markov_2|SELECT sum(conversions) FROM bench_summary, attribution.markov(ps, 2)"
	"markov_3|SELECT sum(conversions) FROM bench_summary, attribution.markov(ps, 3)"
	"shapley|SELECT sum(conversions) FROM bench_summary, attribution.shapley(ps)"
	"shapley_ordered|SELECT sum(conversions) FROM bench_summary, attribution.shapley(ps, 'ordered')"
	"counterfactual|SELECT sum(conversions) FROM bench_summary, attribution.counterfactual(ps)"
	"heuristics|SELECT sum(linear) FROM bench_summary, attribution.heuristics(ps)"
	"merge_10|SELECT pg_column_size(attribution.merge(ps)) FROM bench_summary, generate_series(1, 10)"
)
for a in "${ACCESSORS[@]}"; do add "${a%%|*}"; done
for r in $(seq 1 "$ROUNDS"); do
	echo "== accessor round $r" >&2
	for a in "${ACCESSORS[@]}"; do
		T[${a%%|*}]+="$(timed "${a#*|}") "
	done
done

read -r distinct summary_bytes stored_bytes <<<"$(sql -At -F ' ' -c "
	SELECT (SELECT count(*) FROM bench_summary, attribution.paths(ps)),
	       (SELECT pg_column_size(ps::text::attribution.path_summary) FROM bench_summary),
	       (SELECT pg_column_size(ps) FROM bench_summary)")"
groupby_mem=$(sql -At -c "SET work_mem = '2GB'" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $GROUPBY" |
	sed -n 's/.*Memory Usage: \([0-9]*\)kB.*/\1/p' | head -n 1)
groupby_result=$(sql -At -c "SELECT sum(pg_column_size(path) + 3 * 8) FROM (SELECT path, sum(conversions), sum(value), sum(non_conversions) FROM bench_paths GROUP BY path) g")
total_conv=$(sql -At -c "SELECT sum(conversions) FROM bench_paths")
markov_sum=$(sql -At -c "SELECT sum(conversions) FROM bench_summary, attribution.markov(ps, 1)")

echo
echo "### $ROWS journeys, $CHANNELS channels, 1-$MAX_TOUCHES touches ($(date -u +%Y-%m-%d), $(nproc) cores, PostgreSQL $(sql -At -c 'SHOW server_version'))"
echo
echo "Median of $ROUNDS interleaved runs, one session, max_parallel_workers_per_gather = 0, work_mem as configured"
echo "($(sql -At -c 'SHOW work_mem')) unless noted.  $distinct distinct paths."
echo
echo "| step | median ms | runs (ms) |"
echo "|---|---:|---|"
for n in "${names[@]}"; do
	m=$(echo "${T[$n]}" | tr ' ' '\n' | grep -v '^$' | median)
	echo "| $n | $m | ${T[$n]}|"
done
build=$(echo "${T[path_agg]}" | tr ' ' '\n' | grep -v '^$' | median)
gb=$(echo "${T[groupby]}" | tr ' ' '\n' | grep -v '^$' | median)
gb2=$(echo "${T[groupby_2gb]}" | tr ' ' '\n' | grep -v '^$' | median)
echo
echo "- path_agg vs GROUP BY: $(awk -v a="$gb" -v b="$build" 'BEGIN{printf "%.2fx faster", a/b}') (default work_mem), $(awk -v a="$gb2" -v b="$build" 'BEGIN{printf "%.2fx", a/b}') (work_mem 2GB)"
echo "- summary: $summary_bytes bytes in memory, $stored_bytes bytes stored (compressed); GROUP BY result rows take $groupby_result bytes, its hash table ${groupby_mem} kB"
echo "- Markov order 1 credits add up to $markov_sum of $total_conv conversions"

if [ "$MANY" = 1 ]; then
	echo "== many channels: $MANY_ROWS journeys over $MANY_CHANNELS channels" >&2
	sql -c "DROP TABLE IF EXISTS bench_many" -c "SELECT setseed(0.7)" >/dev/null
	sql -c "CREATE TABLE bench_many AS
		SELECT attribution.path_agg(path, conv) AS ps FROM (
			SELECT array(SELECT 'ch' || floor($MANY_CHANNELS * power(random(), 2))::int
			             FROM generate_series(1, n)) AS path, random() < 0.2 AS conv
			FROM (SELECT 1 + floor(random() * 15)::int AS n FROM generate_series(1, $MANY_ROWS)) s) j" >/dev/null
	echo
	echo "### $MANY_ROWS journeys, $MANY_CHANNELS channels (skewed: channel floor(n * u^2)), 1-15 touches"
	echo
	echo "| step | ms | states | transitions |"
	echo "|---|---:|---:|---:|"
	for order in 1 2 3; do
		t=$(timed "SELECT sum(conversions) FROM bench_many, attribution.markov(ps, $order)")
		read -r states edges <<<"$(sql -At -F ' ' -c "SELECT count(DISTINCT from_state) - 1, count(*) FILTER (WHERE to_state NOT IN ('(conversion)', '(null)')) FROM bench_many, attribution.transition_matrix(ps, $order)")"
		echo "| markov order $order | $t | $states | $edges |"
	done
	t=$(timed "SELECT sum(conversions) FROM bench_many, attribution.shapley(ps)")
	echo "| shapley | $t | | |"
fi
