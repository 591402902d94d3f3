#!/usr/bin/env bash
# Benchmark of markov() at many channels (doc/paths.md).
#
#   bash bench/markov.sh                 # the three cases below, 3 rounds each
#   ROUNDS=1 bash bench/markov.sh        # a quicker run
#
# Cases (generated deterministically with setseed):
#   wide:  order 1, 300,000 journeys of 8 touches over 3,000 channels
#          (channel floor(3000 u^2): skewed; 20% converting)
#   many2: order 2, 200,000 journeys of 1-15 touches over 200 channels
#          (channel floor(200 u^2); 20% converting), as MANY=1 bench/paths.sh
#   many3: order 3 on the same summary
#
# Builds and installs the extension into a private copy of PostgreSQL (as
# test/run-all.sh does) and starts a throwaway cluster (jit = off,
# max_parallel_workers_per_gather = 0).  Each case runs in one session,
# interleaved with a baseline query that reads the same summary
# (count(*) over paths(ps)), ROUNDS times; the medians and their ratio are
# printed.  The 1-minute load average is read before and after: above 1.5
# the figures are marked BUSY MACHINE (other work shares the cores, so the
# times are not the solver's alone).
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

ROUNDS=${ROUNDS:-3}
export PG_CFLAGS=${PG_CFLAGS:-}
export ATTR_SERVER_OPTS=${ATTR_SERVER_OPTS:-"-c shared_buffers=256MB -c work_mem=256MB -c max_parallel_workers_per_gather=0 -c jit=off"}

att_install_base_packages
att_make_workdir
att_build_install "$srcdir"
att_start_cluster
psql_db() { att_as_owner "$ATTR_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d attribution_bench "$@"; }
att_as_owner "$ATTR_BINDIR/psql" -X -q -d postgres -c "CREATE DATABASE attribution_bench"
psql_db -c "CREATE EXTENSION attribution"

att_log "generating the summaries"
psql_db <<'SQL'
SELECT setseed(0.3);
CREATE TABLE bench_wide AS SELECT attribution.path_agg(path, conv) AS ps FROM (
	SELECT array(SELECT 'c' || floor(3000 * power(random(), 2))::int + 0 * g
	             FROM generate_series(1, 8)) AS path,
	       random() < 0.2 AS conv
	FROM generate_series(1, 300000) g) j;
SELECT setseed(0.7);
CREATE TABLE bench_many AS SELECT attribution.path_agg(path, conv) AS ps FROM (
	SELECT array(SELECT 'ch' || floor(200 * power(random(), 2))::int
	             FROM generate_series(1, n)) AS path,
	       random() < 0.2 AS conv
	FROM (SELECT 1 + floor(random() * 15)::int AS n FROM generate_series(1, 200000)) s) j;
SQL

load1() { cut -d' ' -f1 /proc/loadavg; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run_case NAME TABLE ORDER
run_case() {
	local name=$1 table=$2 order=$3 script="" i times
	for i in $(seq 1 "$ROUNDS"); do
		script+="SELECT count(*) FROM $table, attribution.paths(ps);"$'\n'
		script+="SELECT sum(conversions) FROM $table, attribution.markov(ps, $order);"$'\n'
	done
	times=$( { echo '\timing on'; echo "$script"; } | psql_db -At | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
	local base query shape
	base=$(echo "$times" | awk 'NR % 2 == 1' | median)
	query=$(echo "$times" | awk 'NR % 2 == 0' | median)
	shape=$(psql_db -At -F ' ' -c "SELECT count(DISTINCT from_state) - 1,
		count(*) FILTER (WHERE to_state NOT IN ('(conversion)', '(null)'))
		FROM $table, attribution.transition_matrix(ps, $order)")
	printf '| %s | %s | %s | %s | %.0f | %.0f | %.1f |\n' "$name" "$order" \
		"$(echo "$shape" | cut -d' ' -f1)" "$(echo "$shape" | cut -d' ' -f2)" \
		"$query" "$base" "$(echo "$query $base" | awk '{ print $1 / $2 }')"
}

before=$(cat /proc/loadavg)
echo "load average before: $before"
echo
echo "| case | order | states | transitions | markov() ms | baseline ms | ratio |"
echo "|---|---|---|---|---|---|---|"
run_case "3,000 channels, 300,000 paths of 8" bench_wide 1
run_case "200 channels, 200,000 journeys of 1-15" bench_many 2
run_case "200 channels, 200,000 journeys of 1-15" bench_many 3
after=$(cat /proc/loadavg)
echo
echo "load average after: $after"
echo "medians of $ROUNDS rounds; baseline: SELECT count(*) FROM <summary>, attribution.paths(ps)"
if awk -v a="${before%% *}" -v b="${after%% *}" 'BEGIN { exit !(a > 1.5 || b > 1.5) }'; then
	echo "BUSY MACHINE: the 1-minute load average exceeded 1.5; these times include other work"
fi
