#!/usr/bin/env bash
# The extension on Citus (distributed PostgreSQL): builds Citus from the
# vendored source once (cached outside the checkout, see test/citus_lib.sh),
# installs it and the extension into a private copy of PostgreSQL, starts a
# coordinator with two workers and a plain single node, loads the same demo
# data into both (the canonical tables distributed on the cluster with
# attribution.distribute()), and checks that the cluster gives the single
# node's answers.  Ends with "N passed, N failed".
#
#   bash test/citus.sh            run the checks, stop the servers
#   bash test/citus.sh --keep     build and start the servers, print how to
#                                 reach them, and leave them running
#   bash test/citus.sh --stop     stop the servers left by --keep (same ATTR_WORK)
#   bash test/citus.sh --reuse    run the checks on the servers left by --keep
#                                 (same ATTR_WORK; reinstall the extension
#                                 into $ATTR_WORK/root first if it changed)
#
# Environment (besides test/lib.sh's and test/citus_lib.sh's):
#   ATTR_CITUS_DEMO_SIZE   opportunities of the demo data (default 3000)
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"
. "$srcdir/test/citus_lib.sh"

mode=${1:-check}
case "$mode" in
	check|--keep|--stop|--reuse) ;;
	*) echo "usage: bash test/citus.sh [--keep|--stop|--reuse]" >&2; exit 2 ;;
esac

if [ "$mode" = --stop ] || [ "$mode" = --reuse ]; then
	if [ -z "${ATTR_WORK:-}" ]; then
		echo "set ATTR_WORK to the scratch folder of the servers left by --keep" >&2
		exit 2
	fi
	citus_attach
fi
if [ "$mode" = --stop ]; then
	citus_stop
	exit 0
fi

started=$(date +%s)
if [ "$mode" = --keep ]; then
	export ATTR_KEEP=1
fi
if [ "$mode" != --reuse ]; then
	citus_setup "$srcdir"
	att_log "Citus: servers up after $(( $(date +%s) - started )) s"
fi

if [ "$mode" = --keep ]; then
	trap - EXIT
	cat <<EOF
The servers keep running (stop them with: ATTR_WORK=$ATTR_WORK bash test/citus.sh --stop)
  export ATTR_WORK=$ATTR_WORK ATTR_BINDIR=$ATTR_BINDIR PGHOST=$CITUS_SOCK PGUSER=postgres
  single node:  PGPORT=$CITUS_SINGLE_PORT
  coordinator:  PGPORT=$CITUS_COORD_PORT (workers on $CITUS_WORKER1_PORT and $CITUS_WORKER2_PORT)
EOF
	exit 0
fi

att_checks_begin citus 1

out=$ATTR_WORK/citus/out
mkdir -p "$out"
single() { citus_psql "$CITUS_SINGLE_PORT" -d postgres "$@"; }
coord() { citus_psql "$CITUS_COORD_PORT" -d postgres "$@"; }

# same_rows <file a> <file b>: the sorted rows are equal, numbers to 1e-12
# relative (fields separated by |)
same_rows() {
	LC_ALL=C sort "$1" >"$1.sorted"
	LC_ALL=C sort "$2" >"$2.sorted"
	cmp -s "$1.sorted" "$2.sorted" && return 0
	awk -F'|' -v other="$2.sorted" '
		function isnum(s) { return s ~ /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
		function abs(x) { return x < 0 ? -x : x }
		{
			if ((getline line < other) <= 0) { print "fewer rows on one side"; bad = 1; exit }
			if (line == $0) next
			n = split(line, f, "|")
			if (n != NF) { print "row " NR ": " $0 " <> " line; bad = 1; exit }
			for (i = 1; i <= NF; i++) {
				if ($i == f[i]) continue
				if (isnum($i) && isnum(f[i])) {
					a = $i + 0; b = f[i] + 0; m = abs(a) > abs(b) ? abs(a) : abs(b)
					if (abs(a - b) <= 1e-12 * m) continue
				}
				print "row " NR " field " i ": " $i " <> " f[i]; bad = 1; exit
			}
		}
		END { if (!bad && (getline line < other) > 0) { print "more rows on one side"; bad = 1 } exit bad }
	' "$1.sorted"
}

# compare_query <name> <query>: the query gives the same rows on the single
# node and on the cluster (an error on either side fails)
compare_query() {
	local name=$1 query=$2 rc_s=0 rc_c=0 t0 t1 t2
	t0=$(date +%s%N)
	single -A -t -c "$query" >"$out/$name.single" 2>"$out/$name.single.err" || rc_s=$?
	t1=$(date +%s%N)
	coord -A -t -c "$query" >"$out/$name.citus" 2>"$out/$name.citus.err" || rc_c=$?
	t2=$(date +%s%N)
	timing="single node $(( (t1 - t0) / 1000000 )) ms, cluster $(( (t2 - t1) / 1000000 )) ms"
	if [ "$rc_s" != 0 ] || [ "$rc_c" != 0 ]; then
		check 0 "$name: query failed (single node: $(head -c 300 "$out/$name.single.err"); cluster: $(head -c 300 "$out/$name.citus.err"))"
		return
	fi
	if ! [ -s "$out/$name.single" ]; then
		check 0 "$name: no rows on the single node, nothing to compare"
		return
	fi
	local diff
	if diff=$(same_rows "$out/$name.single" "$out/$name.citus"); then
		check 1 "$name: $(wc -l <"$out/$name.single") rows, same on the cluster ($timing)"
	else
		check 0 "$name: differs on the cluster: $diff"
	fi
}

# ---------------------------------------------------------------- set-up

size=${ATTR_CITUS_DEMO_SIZE:-3000}
for port in "$CITUS_SINGLE_PORT" "$CITUS_COORD_PORT"; do
	citus_psql "$port" -d postgres -c "SET client_min_messages = warning" \
		-c "DROP EXTENSION IF EXISTS attribution CASCADE" -c "CREATE EXTENSION attribution"
done
check "$(coord -A -t -c "SELECT count(*) = 2 FROM run_command_on_workers(\$\$SELECT extversion FROM pg_extension WHERE extname = 'attribution'\$\$) r WHERE r.success AND r.result = (SELECT extversion FROM pg_extension WHERE extname = 'attribution')" | sed 's/t/1/;s/f/0/')" \
	"the extension is installed on both workers with the coordinator's version"

# distribute(): the exact calls, then the tables on the cluster
rc=0
coord -A -t -c "SET client_min_messages = warning" -c "SELECT step || ' ' || done || ' ' || statement FROM attribution.distribute()" \
	>"$out/distribute.log" 2>&1 || rc=$?
check "$([ "$rc" = 0 ] && echo 1 || echo 0)" "attribution.distribute() on an empty cluster ran $(grep -c ' true ' "$out/distribute.log" || true) statements$([ "$rc" = 0 ] || head -c 300 "$out/distribute.log")"
coord -A -t -c "SELECT logicalrelid::regclass || ' ' || CASE partmethod WHEN 'h' THEN 'distributed by ' || column_to_column_name(logicalrelid, partkey) ELSE 'reference' END || ', co-location group ' || colocationid FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'attribution.%' ORDER BY 1" >"$out/citus_tables.txt"
cat "$out/citus_tables.txt"
check "$(coord -A -t -c "SELECT count(*) FILTER (WHERE partmethod = 'n') = 5 AND count(*) FILTER (WHERE partmethod = 'h') = 5 AND count(DISTINCT colocationid) FILTER (WHERE logicalrelid::regclass::text IN ('attribution.contacts', 'attribution.touchpoints', 'attribution.opportunity_contacts', 'attribution.stage_events')) = 1 FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'attribution.%'" | sed 's/t/1/;s/f/0/')" \
	"5 reference tables and 5 distributed tables, contacts, touchpoints, opportunity_contacts and stage_events co-located"
rc=0
coord -A -t -c "SET client_min_messages = warning" -c "SELECT count(*) FILTER (WHERE done) FROM attribution.distribute()" >"$out/distribute2.log" 2>&1 || rc=$?
check "$([ "$rc" = 0 ] && [ "$(cat "$out/distribute2.log")" = 2 ] && echo 1 || echo 0)" "attribution.distribute() again only sets its two settings: $(head -c 300 "$out/distribute2.log")"

# generate_demo_data() on the cluster and on the single node
t0=$(date +%s%N)
rc=0
coord -A -t -c "SELECT table_name || ' ' || rows_loaded FROM attribution.generate_demo_data($size)" >"$out/demo.citus" 2>"$out/demo.citus.err" || rc=$?
t1=$(date +%s%N)
single -A -t -c "SELECT table_name || ' ' || rows_loaded FROM attribution.generate_demo_data($size)" >"$out/demo.single"
t2=$(date +%s%N)
check "$([ "$rc" = 0 ] && echo 1 || echo 0)" "generate_demo_data($size) on the cluster ($(( (t1 - t0) / 1000000 )) ms; single node $(( (t2 - t1) / 1000000 )) ms)$(head -c 300 "$out/demo.citus.err")"
check "$(cmp -s "$out/demo.single" "$out/demo.citus" && echo 1 || echo 0)" "generate_demo_data($size) loads the same row counts: $(tr '\n' ' ' <"$out/demo.citus")"

# the canonical tables hold the same rows
for t in contacts opportunities opportunity_contacts touchpoints campaign_costs stage_events stage_targets models waterfalls waterfall_stages; do
	compare_query "table_$t" "SELECT * FROM attribution.$t"
done
check "$(coord -A -t -c "SELECT count(*) > 0 FROM run_command_on_shards('attribution.touchpoints', \$\$SELECT count(*) FROM %s\$\$) WHERE result::bigint > 0" | sed 's/t/1/;s/f/0/')" \
	"the touchpoints are in the workers' shards"

# ---------------------------------------------------------------- every reporting view

mapfile -t views < <(single -A -t -c "SELECT view_name FROM attribution.reporting_views ORDER BY 1")
check "$([ "${#views[@]}" -ge 18 ] && [ "$(coord -A -t -c "SELECT count(*) FROM attribution.reporting_views")" = "${#views[@]}" ] && echo 1 || echo 0)" \
	"${#views[@]} reporting views listed, the same on the cluster"
for v in "${views[@]}"; do
	compare_query "view_$v" "SELECT * FROM attribution.$v"
done

# ---------------------------------------------------------------- the aggregates

# every form of every aggregate on distributed tables, when the checks of
# the aggregates are there (a file of their own, sourced with these helpers)
if [ -f "$srcdir/test/citus_aggregates.sh" ]; then
	. "$srcdir/test/citus_aggregates.sh"
fi

# ---------------------------------------------------------------- the other functions of the reporting layer

# the source functions (PL/pgSQL over the Citus tables after distribute())
for k in touchpoints contacts opportunities opportunity_contacts stage_events campaign_costs; do
	compare_query "function_source_$k" "SELECT * FROM attribution.source_$k()"
done
check "$(coord -A -t -c "SELECT count(*) = 6 FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.pronamespace = 'attribution'::regnamespace AND p.proname IN ('source_touchpoints', 'source_contacts', 'source_opportunities', 'source_opportunity_contacts', 'source_stage_events', 'source_campaign_costs') AND p.pronargs = 0 AND l.lanname = 'plpgsql'" | sed 's/t/1/;s/f/0/')" \
	"the six source functions run their query themselves on the cluster (PL/pgSQL)"

# materialized copies, made and refreshed on the coordinator
for port in "$CITUS_SINGLE_PORT" "$CITUS_COORD_PORT"; do
	citus_psql "$port" -d postgres -c "SELECT attribution.materialize('lead_quality')" \
		-c "SELECT attribution.refresh_materialized()" >/dev/null 2>"$out/materialize.$port.err" || true
done
compare_query "materialized_lead_quality" "SELECT * FROM public.lead_quality_materialized"

# a user's own distributed tables, read directly (Citus plans the views) or
# through the source functions (PL/pgSQL: right, but every row reaches the
# coordinator)
own_tables="CREATE SCHEMA crm;
CREATE TABLE crm.touches AS SELECT touchpoint_id::integer AS touchpoint_id, contact_id, touched_at, channel, campaign
	FROM attribution.touchpoints WHERE channel <> 'display';
CREATE TABLE crm.lifecycle AS SELECT unit_id, stage, entered_at, reason FROM attribution.stage_events WHERE waterfall = 'default';"
single -c "$own_tables" >/dev/null
coord -c "$own_tables" -c "SELECT create_distributed_table('crm.touches', 'contact_id', colocate_with => 'attribution.contacts')" \
	-c "SELECT create_distributed_table('crm.lifecycle', 'unit_id', colocate_with => 'attribution.contacts')" >/dev/null 2>"$out/own.err" || true
for direct in true false; do
	for port in "$CITUS_SINGLE_PORT" "$CITUS_COORD_PORT"; do
		citus_psql "$port" -d postgres -c "SELECT attribution.use_source('touchpoints', 'crm.touches', direct => $direct)" \
			-c "SELECT attribution.use_source('stage_events', 'crm.lifecycle', direct => $direct)" >/dev/null
	done
	for v in opportunity_touchpoints lead_sources channel_performance stage_histories lead_feedback; do
		compare_query "own_tables_direct_${direct}_$v" "SELECT * FROM attribution.$v"
	done
	compare_query "own_tables_direct_${direct}_function" "SELECT * FROM attribution.source_touchpoints()"
done
for port in "$CITUS_SINGLE_PORT" "$CITUS_COORD_PORT"; do
	citus_psql "$port" -d postgres -c "SELECT attribution.use_source('touchpoints', NULL)" \
		-c "SELECT attribution.use_source('stage_events', NULL)" >/dev/null
done
# stored values of the extension's types in a distributed table travel
# between the nodes unchanged, and functions over them run on the shards
stored="CREATE TABLE stored_journeys AS
SELECT opportunity_id, attribution.journey_agg(touched_at, channel, touchpoint_id) AS j
FROM attribution.opportunity_touchpoints GROUP BY opportunity_id;
CREATE TABLE stored_histories AS
SELECT unit_id, attribution.stage_agg(stage, entered_at) AS h FROM attribution.stage_events WHERE waterfall = 'default' GROUP BY unit_id"
single -c "$stored" >/dev/null
coord -c "$stored" -c "SELECT create_distributed_table('stored_journeys', 'opportunity_id')" \
	-c "SELECT create_distributed_table('stored_histories', 'unit_id')" >/dev/null 2>&1 || true
compare_query "stored_journeys" "SELECT opportunity_id, j FROM stored_journeys"
compare_query "stored_journeys_credits" "SELECT s.opportunity_id, c.* FROM stored_journeys s, attribution.credits(s.j, 'time_decay') c"
compare_query "stored_histories" "SELECT unit_id, h, attribution.current_stage(h), attribution.furthest_stage(h) FROM stored_histories"

# the guard holds on the coordinator too
rc=0
coord -c "SELECT attribution.use_source('touchpoints', 'crm.touches', direct => true)" -c "DROP TABLE crm.touches CASCADE" \
	>"$out/guard.log" 2>&1 || rc=$?
check "$([ "$rc" != 0 ] && grep -q 'would drop extension "attribution"' "$out/guard.log" && \
	[ "$(coord -A -t -c "SELECT count(*) FROM pg_extension WHERE extname = 'attribution'")" = 1 ] && echo 1 || echo 0)" \
	"DROP ... CASCADE of a distributed table a direct source reads is refused, the extension stays"
coord -c "SELECT attribution.use_source('touchpoints', NULL)" >/dev/null

# ---------------------------------------------------------------- end

# no server crashed
crashed=$(grep -l 'terminated by signal' "$CITUS_WORK"/log/*.log 2>/dev/null || true)
check "$([ -z "$crashed" ] && echo 1 || echo 0)" "no backend crashed on the four servers${crashed:+ (see $crashed)}"

att_log "Citus: wall time $(( $(date +%s) - started )) s"
att_checks_end
