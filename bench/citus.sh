#!/usr/bin/env bash
# The aggregates on Citus against a single node, on the same machine: time
# and bytes moved to the coordinator for each form, with the aggregates as
# this version declares them (storable states, split into partial
# aggregates on the workers) and as version 0.1.0 declared them (internal
# states, on the same library: every input row is gathered to the
# coordinator).
#
#   bash bench/citus.sh                  # 2,000,000 touchpoints over 200,000 journeys, 3 rounds
#   BENCH_TOUCHES=200000 BENCH_JOURNEYS=20000 BENCH_ROUNDS=1 bash bench/citus.sh
#   BENCH_REUSE=1 ATTR_WORK=<folder> bash bench/citus.sh   # servers left by test/citus.sh --keep
#   BENCH_SHARDS=4 bash bench/citus.sh   # shards per distributed table (Citus's default: 32)
#
# The servers: a coordinator with two workers (BENCH_SHARDS shards, 32 unless
# told) and a plain single
# node, as test/citus_lib.sh starts them, with work_mem = 256MB on every
# node and the other settings at their defaults (max_parallel_workers_per_gather
# = 2).  Each form runs BENCH_ROUNDS times on each side, interleaved; the
# median is reported.  Bytes moved to the coordinator: the tuple data the
# workers return for the query's tasks (see bytes_moved below).  The load
# average is printed before and after: the machine may be shared, and a
# loaded machine slows both sides unevenly.
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"
. "$srcdir/test/citus_lib.sh"
. "$srcdir/bench/lib.sh"

TOUCHES=${BENCH_TOUCHES:-2000000}
JOURNEYS=${BENCH_JOURNEYS:-200000}
ROUNDS=${BENCH_ROUNDS:-3}

if [ "${BENCH_REUSE:-0}" = 1 ]; then
	citus_attach
else
	# an optimized build without assertions (citus_setup would take the test flags)
	export PG_CFLAGS=${PG_CFLAGS:--O2}
	citus_setup "$srcdir"
fi
single() { citus_psql "$CITUS_SINGLE_PORT" -d postgres "$@"; }
coord() { citus_psql "$CITUS_COORD_PORT" -d postgres "$@"; }
out=$ATTR_WORK/bench-citus
mkdir -p "$out"
if [ "$(id -u)" = 0 ]; then chown postgres "$out"; fi

for port in "$CITUS_SINGLE_PORT" "$CITUS_COORD_PORT" "$CITUS_WORKER1_PORT" "$CITUS_WORKER2_PORT"; do
	citus_psql "$port" -d postgres -c "ALTER SYSTEM SET work_mem = '256MB'" -c "SELECT pg_reload_conf()" >/dev/null
done
for port in "$CITUS_SINGLE_PORT" "$CITUS_COORD_PORT"; do
	citus_psql "$port" -d postgres -c "SET client_min_messages = warning" \
		-c "DROP EXTENSION IF EXISTS attribution CASCADE" -c "CREATE EXTENSION attribution"
done

# ---------------------------------------------------------------- data

att_log "generating $TOUCHES touchpoints over $JOURNEYS journeys, their stage events and daily rollups"
data="
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_events, bench_daily_paths, bench_daily_waterfalls;
CREATE TABLE bench_events AS
SELECT u AS unit_id,
	   (ARRAY['inquiry', 'mql', 'sal', 'sql', 'opportunity', 'won', 'disqualified', 'lost', 'mql'])[1 + (u * 7 + s * 3) % 9] AS stage,
	   timestamptz '2024-01-01' + ((u * 7919 + s * 104729) % 20000) * interval '1 hour' AS entered_at
FROM generate_series(1, $JOURNEYS) u, generate_series(1, 1 + u % 6) s;
CREATE TABLE bench_daily_paths (day date, paths attribution.path_summary);
CREATE TABLE bench_daily_waterfalls (day date, summary attribution.waterfall_summary);
"
rollups="
INSERT INTO bench_daily_paths
SELECT day, attribution.path_agg(path, converted)
FROM (SELECT journey_id, min(touched_at)::date AS day, array_agg(channel ORDER BY touched_at, touch_id) AS path,
			 journey_id % 3 = 0 AS converted
	  FROM bench_touches GROUP BY journey_id) j GROUP BY day;
INSERT INTO bench_daily_waterfalls
SELECT day, attribution.waterfall_agg(h)
FROM (SELECT unit_id, min(entered_at)::date AS day, attribution.stage_agg(stage, entered_at) AS h
	  FROM bench_events GROUP BY unit_id) u GROUP BY day;
ANALYZE;
"
for side in single coord; do
	$side -q -v touches="$TOUCHES" -v journeys="$JOURNEYS" -c "SET client_min_messages = warning" \
		-f "$srcdir/bench/generate.sql" -c "$data" >/dev/null
done
single -q -c "$rollups" >/dev/null
coord -q -c "SET client_min_messages = warning" -c "SET citus.shard_count = ${BENCH_SHARDS:-32}" \
	-c "SELECT create_distributed_table('bench_touches', 'journey_id')" \
	-c "SELECT truncate_local_data_after_distributing_table('bench_touches')" \
	-c "SELECT create_distributed_table('bench_events', 'unit_id', colocate_with => 'none')" \
	-c "SELECT truncate_local_data_after_distributing_table('bench_events')" \
	-c "SELECT create_distributed_table('bench_daily_paths', 'day', colocate_with => 'none')" \
	-c "SELECT create_distributed_table('bench_daily_waterfalls', 'day', colocate_with => 'bench_daily_paths')" \
	-c "$rollups" >/dev/null
counts=$(single -A -t -F' ' -c "SELECT (SELECT count(*) FROM bench_touches), (SELECT count(DISTINCT journey_id) FROM bench_touches),
	(SELECT count(DISTINCT channel) FROM bench_touches), (SELECT count(*) FROM bench_events),
	(SELECT count(DISTINCT unit_id) FROM bench_events), (SELECT count(*) FROM bench_daily_paths)")
shards=$(coord -A -t -c "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'bench_touches'::regclass")

# the aggregates as version 0.1.0 declares them (internal states), on the
# entry points this library keeps for databases not yet updated
legacy="
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_legacy CASCADE;
CREATE SCHEMA bench_legacy;
CREATE FUNCTION bench_legacy.sum_trans(internal, attribution.channel_credits) RETURNS internal
	AS '\$libdir/attribution', 'channel_credits_sum_trans' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION bench_legacy.sum_trans(internal, attribution.channel_credits, float8) RETURNS internal
	AS '\$libdir/attribution', 'channel_credits_sum_trans' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION bench_legacy.sum_combine(internal, internal) RETURNS internal
	AS '\$libdir/attribution', 'channel_credits_sum_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION bench_legacy.sum_serialize(internal) RETURNS bytea
	AS '\$libdir/attribution', 'channel_credits_sum_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION bench_legacy.sum_deserialize(bytea, internal) RETURNS internal
	AS '\$libdir/attribution', 'channel_credits_sum_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION bench_legacy.sum_final(internal) RETURNS attribution.channel_credits
	AS '\$libdir/attribution', 'channel_credits_sum_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE bench_legacy.sum(attribution.channel_credits) (SFUNC = bench_legacy.sum_trans, STYPE = internal,
	COMBINEFUNC = bench_legacy.sum_combine, SERIALFUNC = bench_legacy.sum_serialize,
	DESERIALFUNC = bench_legacy.sum_deserialize, FINALFUNC = bench_legacy.sum_final, PARALLEL = SAFE);
CREATE AGGREGATE bench_legacy.sum(attribution.channel_credits, float8) (SFUNC = bench_legacy.sum_trans, STYPE = internal,
	COMBINEFUNC = bench_legacy.sum_combine, SERIALFUNC = bench_legacy.sum_serialize,
	DESERIALFUNC = bench_legacy.sum_deserialize, FINALFUNC = bench_legacy.sum_final, PARALLEL = SAFE);
CREATE FUNCTION bench_legacy.cbc_trans(internal, bigint, text, timestamptz, text) RETURNS internal
	AS '\$libdir/attribution', 'credit_by_channel_trans' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION bench_legacy.cbc_combine(internal, internal) RETURNS internal
	AS '\$libdir/attribution', 'credit_by_channel_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION bench_legacy.cbc_serialize(internal) RETURNS bytea
	AS '\$libdir/attribution', 'credit_by_channel_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION bench_legacy.cbc_deserialize(bytea, internal) RETURNS internal
	AS '\$libdir/attribution', 'credit_by_channel_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION bench_legacy.cbc_final(internal) RETURNS attribution.channel_credits
	AS '\$libdir/attribution', 'credit_by_channel_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE bench_legacy.credit_by_channel(bigint, text, timestamptz, text) (SFUNC = bench_legacy.cbc_trans,
	STYPE = internal, SSPACE = 100000000, COMBINEFUNC = bench_legacy.cbc_combine, SERIALFUNC = bench_legacy.cbc_serialize,
	DESERIALFUNC = bench_legacy.cbc_deserialize, FINALFUNC = bench_legacy.cbc_final, PARALLEL = SAFE);
CREATE FUNCTION bench_legacy.path_trans(internal, text[], boolean) RETURNS internal
	AS '\$libdir/attribution', 'attribution_path_agg_trans' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION bench_legacy.path_combine(internal, internal) RETURNS internal
	AS '\$libdir/attribution', 'attribution_path_agg_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION bench_legacy.path_serialize(internal) RETURNS bytea
	AS '\$libdir/attribution', 'attribution_path_agg_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION bench_legacy.path_deserialize(bytea, internal) RETURNS internal
	AS '\$libdir/attribution', 'attribution_path_agg_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION bench_legacy.path_final(internal) RETURNS attribution.path_summary
	AS '\$libdir/attribution', 'attribution_path_agg_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE bench_legacy.path_agg(text[], boolean) (SFUNC = bench_legacy.path_trans, STYPE = internal,
	SSPACE = 131072, COMBINEFUNC = bench_legacy.path_combine, SERIALFUNC = bench_legacy.path_serialize,
	DESERIALFUNC = bench_legacy.path_deserialize, FINALFUNC = bench_legacy.path_final, PARALLEL = SAFE);
CREATE FUNCTION bench_legacy.waterfall_trans(internal, attribution.stage_history) RETURNS internal
	AS '\$libdir/attribution', 'waterfall_agg_trans' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION bench_legacy.waterfall_combine(internal, internal) RETURNS internal
	AS '\$libdir/attribution', 'waterfall_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION bench_legacy.waterfall_serialize(internal) RETURNS bytea
	AS '\$libdir/attribution', 'waterfall_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION bench_legacy.waterfall_deserialize(bytea, internal) RETURNS internal
	AS '\$libdir/attribution', 'waterfall_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION bench_legacy.waterfall_final(internal) RETURNS attribution.waterfall_summary
	AS '\$libdir/attribution', 'waterfall_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE bench_legacy.waterfall_agg(attribution.stage_history) (SFUNC = bench_legacy.waterfall_trans,
	STYPE = internal, SSPACE = 8192, COMBINEFUNC = bench_legacy.waterfall_combine,
	SERIALFUNC = bench_legacy.waterfall_serialize, DESERIALFUNC = bench_legacy.waterfall_deserialize,
	FINALFUNC = bench_legacy.waterfall_final, PARALLEL = SAFE);
"
single -q -c "$legacy" >/dev/null
coord -q -c "$legacy" >/dev/null

# ---------------------------------------------------------------- the forms

credits() { echo "SELECT e.channel, e.credit FROM ($1) s(c), attribution.each(s.c) e"; }
journeys="SELECT journey_id, attribution.channel_credit('position_based', touched_at, channel) AS cc,
	(journey_id % 13) * 100.0::float8 AS revenue FROM bench_touches GROUP BY journey_id"
paths="SELECT journey_id, array_agg(channel ORDER BY touched_at, touch_id) AS path, journey_id % 3 = 0 AS converted
	FROM bench_touches GROUP BY journey_id"
histories="SELECT unit_id, attribution.stage_agg(stage, entered_at) AS h FROM bench_events GROUP BY unit_id"
forms=(
	"count(*) of the touchpoints (floor)|SELECT count(*) FROM bench_touches"
	"credit_by_channel, position-based|$(credits "SELECT attribution.credit_by_channel(journey_id, 'position_based', touched_at, channel) FROM bench_touches")"
	"0.1.0: credit_by_channel (internal state)|$(credits "SELECT bench_legacy.credit_by_channel(journey_id, 'position_based', touched_at, channel) FROM bench_touches")"
	"channel_credit per journey + credit_sum_agg|$(credits "SELECT attribution.credit_sum_agg(cc) FROM ($journeys) j")"
	"channel_credit per journey + sum(cc, revenue)|$(credits "SELECT attribution.sum(cc, revenue) FROM ($journeys) j")"
	"0.1.0: channel_credit per journey + sum(cc)|$(credits "SELECT bench_legacy.sum(cc) FROM ($journeys) j")"
	"0.1.0: channel_credit per journey + sum(cc, revenue)|$(credits "SELECT bench_legacy.sum(cc, revenue) FROM ($journeys) j")"
	"path_agg over the journeys' paths|SELECT md5(attribution.path_agg(path, converted)::text) FROM ($paths) p"
	"0.1.0: path_agg (internal state)|SELECT md5(bench_legacy.path_agg(path, converted)::text) FROM ($paths) p"
	"merge(path_summary) of daily rollups|SELECT md5(attribution.merge(paths)::text) FROM bench_daily_paths"
	"waterfall_agg over the stage histories|SELECT md5(attribution.waterfall_agg(h)::text) FROM ($histories) u"
	"0.1.0: waterfall_agg (internal state)|SELECT md5(bench_legacy.waterfall_agg(h)::text) FROM ($histories) u"
	"merge(waterfall_summary) of daily rollups|SELECT md5(attribution.merge(summary)::text) FROM bench_daily_waterfalls"
)

# run <port> <file prefix> <query>: the query once; prints its milliseconds.
# An untimed query first loads the extension's library and, on Citus, opens
# the connections to the workers and loads the library there, so that the
# time is the query's own and not a new session's.
warm_up="SELECT count(*) FROM bench_touches WHERE attribution.path_trim(ARRAY[channel], 1) IS NOT NULL"
run() {
	local port=$1 prefix=$2 query=$3 ms
	citus_psql "$port" -d postgres -A -t >"$prefix.log" 2>&1 <<EOF
$warm_up \g /dev/null
\timing on
$query \g $prefix.rows
EOF
	ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$prefix.log" | tail -n 1)
	echo "${ms:-0}"
}

# bytes_moved <query>: the bytes the workers return to the coordinator for
# the query, and how they were counted: Citus's own figure ("Tuple data
# received from nodes" of EXPLAIN ANALYZE) where it can give it, otherwise
# (EXPLAIN ANALYZE fails on Citus 13.2 when an aggregate is split with
# worker_partial_agg) the query's tasks' commands, logged by Citus, run again
# on their workers with COPY ... TO STDOUT and their output counted (a
# partial state travels as text, so this is its size on the wire)
bytes_moved() {
	local query=$1 total=0 port q n line
	line=$(coord -A -t -c "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF) $query" 2>/dev/null |
		grep -m1 'Tuple data received from nodes:' || true)
	if [ -n "$line" ]; then
		echo "$line" | awk '{ n = $(NF - 1); u = $NF
			f = u == "kB" ? 1024 : u == "MB" ? 1048576 : u == "GB" ? 1073741824 : 1
			printf "%d explain\n", n * f }'
		return
	fi
	coord -c "SET citus.log_remote_commands TO on" -c "$query" >/dev/null 2>"$out/remote.log"
	awk '/^NOTICE:  issuing / { q = substr($0, 18); next }
		 /^DETAIL:  on server / && q != "" {
			 if (match($0, /:[0-9]+ /)) print substr($0, RSTART + 1, RLENGTH - 2) "\t" q
			 q = "" }' "$out/remote.log" |
		awk -F'\t' '$2 ~ /^SELECT / && $2 !~ /assign_distributed_transaction_id/' >"$out/tasks.tsv"
	while IFS=$'\t' read -r port q; do
		n=$(citus_psql "$port" -d postgres -c "COPY (${q%;}) TO STDOUT" | wc -c)
		total=$((total + n))
	done <"$out/tasks.tsv"
	echo "$total count"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# same answer: identical rows, or numbers within 1e-12 relative
same_answer() {
	awk -F'|' -v other="$2" '
		function abs(x) { return x < 0 ? -x : x }
		{
			if ((getline line < other) <= 0) { bad = 1; exit }
			if (line == $0) next
			n = split(line, f, "|")
			for (i = 1; i <= NF; i++) {
				if ($i == f[i]) continue
				a = $i + 0; b = f[i] + 0; m = abs(a) > abs(b) ? abs(a) : abs(b)
				if (m > 0 && abs(a - b) <= 1e-12 * m) continue
				bad = 1; exit
			}
		}
		END { if (!bad && (getline line < other) > 0) bad = 1; exit bad }
	' "$1"
}

att_log "running ${#forms[@]} forms, $ROUNDS rounds each on the single node and on Citus"
bench_load_begin
load_before=$BENCH_LOAD_BEFORE
printf '| form | single node | Citus | Citus / single | bytes to the coordinator | same answer |\n'
printf '|---|---:|---:|---:|---:|---|\n'
i=0
for form in "${forms[@]}"; do
	name=${form%%|*}
	query=${form#*|}
	i=$((i + 1))
	: >"$out/$i.single.times"
	: >"$out/$i.citus.times"
	for round in $(seq 1 "$ROUNDS"); do
		run "$CITUS_SINGLE_PORT" "$out/$i.single" "$query" >>"$out/$i.single.times"
		run "$CITUS_COORD_PORT" "$out/$i.citus" "$query" >>"$out/$i.citus.times"
	done
	s=$(median <"$out/$i.single.times")
	c=$(median <"$out/$i.citus.times")
	set -- $(bytes_moved "$query")
	b=$1
	how=$2
	if same_answer "$out/$i.single.rows" "$out/$i.citus.rows"; then same=yes; else same="**no**"; fi
	awk -v n="$name" -v s="$s" -v c="$c" -v b="$b" -v how="$how" -v same="$same" 'BEGIN {
		printf "| %s | %.2f s | %.2f s | %.2fx | %s%s | %s |\n", n, s / 1000, c / 1000, (s > 0 ? c / s : 0),
			(b >= 1048576 ? sprintf("%.1f MB", b / 1048576) : sprintf("%.1f kB", b / 1024)),
			(how == "count" ? " (c)" : " (e)"), same }'
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "Bytes: (e) Citus's own count (EXPLAIN ANALYZE, \"Tuple data received from nodes\"); (c) the output of the query's"
echo "tasks run again with COPY ... TO STDOUT (where Citus's EXPLAIN ANALYZE fails: split aggregates)."
echo "Data: $(echo "$counts" | awk '{ printf "%s touchpoints over %s journeys and %s channels; %s stage events of %s units; %s daily path rollups", $1, $2, $3, $4, $5, $6 }'),"
echo "distributed over $shards shards on 2 workers (touchpoints by journey_id, stage events by unit_id, rollups by day)."
echo "Rounds: $ROUNDS per form and side, interleaved; medians.  Settings: work_mem = 256MB on every node, other settings"
echo "at their defaults (max_parallel_workers_per_gather = 2), $(nproc) cores shared by the four servers."
echo "Load average (1, 5, 15 min) before: $load_before; after: $load_after."
echo "$(citus_psql "$CITUS_COORD_PORT" -d postgres -A -t -c "SELECT 'PostgreSQL ' || current_setting('server_version') || ', Citus ' || extversion FROM pg_extension WHERE extname = 'citus'")."
bench_load_end
