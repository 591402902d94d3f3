#!/usr/bin/env bash
# Fuzzing: random SQL from sqlsmith against a database with the extension,
# the demo data and stored values of every type (test/fuzz.sql), then the C
# fuzz driver (test/test_fuzz.c: mutated literals, binary values and
# serialized aggregate states).  Zero crashed backends allowed.
#
#   bash test/fuzz.sh [QUERIES [INPUTS]]
#
# QUERIES  sqlsmith queries in all (default 20000), split over ATTR_FUZZ_JOBS
#          processes (default 2) with seeds ATTR_FUZZ_SEED, +1, ... (default 42)
# INPUTS   inputs per type, form and aggregate for the C driver (default 2000;
#          0 skips it)
#
# Sets up its own cluster like test/run-all.sh, or reuses the caller's
# (ATTR_REUSE_CLUSTER=1).  Ends with "N passed, N failed".
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

queries=${1:-20000}
inputs=${2:-2000}
jobs=${ATTR_FUZZ_JOBS:-2}
seed=${ATTR_FUZZ_SEED:-42}

att_setup_or_reuse "$srcdir"
att_need_packages sqlsmith
log_start=$(stat -c %s "$ATTR_LOG")
att_checks_begin fuzz

db=attribution_fuzz
out=$ATTR_WORK/fuzz
rm -rf "$out"
mkdir -p "$out"
att_psql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
att_psql -d "$db" -f "$srcdir/test/fuzz.sql" >/dev/null

# 1. sqlsmith, as a role that can read everything and do nothing dangerous
if [ "$queries" -gt 0 ]; then
	att_log "sqlsmith: $queries queries in $jobs processes, seeds $seed.."
	per_job=$(( (queries + jobs - 1) / jobs ))
	start=$(date +%s)
	pids=()
	for j in $(seq 0 $((jobs - 1))); do
		# the queries go through awk, which counts those that use the extension
		(sqlsmith --target="host=$PGHOST port=$PGPORT dbname=$db user=attribution_fuzzer" \
			--seed=$((seed + j)) --max-queries="$per_job" --exclude-catalog --verbose --dump-all-queries \
			2>"$out/sqlsmith.$j.log" |
			awk 'BEGIN { RS = ";\n" } /attribution\./ { n++ } /attribution\.[a-z_]+\(/ { f++ }
				END { print n + 0, f + 0 }' >"$out/extension.$j.count"
		 exit "${PIPESTATUS[0]}") &
		pids+=($!)
	done
	sqlsmith_ok=1
	for pid in "${pids[@]}"; do
		wait "$pid" || sqlsmith_ok=0
	done
	elapsed=$(( $(date +%s) - start ))
	ran=0
	using=0
	calling=0
	for j in $(seq 0 $((jobs - 1))); do
		n=$(grep -oE '^queries: [0-9]+' "$out/sqlsmith.$j.log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
		ran=$((ran + n))
		read -r u c <"$out/extension.$j.count" || { u=0; c=0; }
		using=$((using + u))
		calling=$((calling + c))
	done
	sleep 1	# function statistics reach the collector within a second
	coverage=$(att_psql -d "$db" -At -c "
		SELECT count(DISTINCT s.funcid) || ' of ' || (SELECT count(*) FROM pg_proc WHERE pronamespace = 'attribution'::regnamespace AND prokind = 'f')
		       || ' plain functions of the extension called ' || coalesce(sum(s.calls), 0) || ' times'
		FROM pg_stat_user_functions s WHERE s.schemaname = 'attribution'")
	echo "fuzz: sqlsmith ran $ran queries in ${elapsed} s ($jobs processes, seeds $seed..$((seed + jobs - 1)));" \
		"$using of them use the extension's objects, $calling call its functions or aggregates by name;" \
		"$coverage (aggregates not counted)"
	check "$sqlsmith_ok" "every sqlsmith process ends normally (see $out/sqlsmith.*.log)"
	check "$([ "$ran" -ge "$queries" ] && echo 1 || echo 0)" "sqlsmith ran $ran of $queries queries"
fi

# 2. the C fuzz driver
if [ "$inputs" -gt 0 ]; then
	att_log "fuzz driver: $inputs inputs per target"
	make -C "$srcdir" -s PG_CONFIG="$PG_CONFIG" PG_CFLAGS="${PG_CFLAGS:-$ATT_TEST_CFLAGS}" driver
	set +e
	ATTR_FUZZ_ITERATIONS=$inputs "$srcdir/test/driver" "dbname=postgres" fuzz | tee "$out/driver.log"
	set -e
	read -r dp df < <(att_summary_counts "$out/driver.log")
	passed=$((passed + dp))
	failed=$((failed + df))
fi

# 3. no backend crashed, and the server still answers
crashes=$(att_log_since "$log_start" | grep -c 'terminated by signal' || true)
echo "fuzz: $crashes crashed backends"
if [ "$crashes" != 0 ]; then
	att_log_since "$log_start" | grep -B5 -A3 'terminated by signal' | head -n 60 >&2
fi
check "$([ "$crashes" = 0 ] && echo 1 || echo 0)" "no backend crashed ($crashes did)"
check "$(att_psql -d postgres -At -c 'SELECT 1' 2>/dev/null || echo 0)" "the server answers after the run"
att_psql -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
att_checks_end
