#!/usr/bin/env bash
# Flat memory: no leak across rows or groups.  Each case runs twice in a
# fresh backend, with a tenth of the rows and with all of them (100,000 and
# 1,000,000 groups, or one group of 100,000 and 1,000,000 rows), and the
# backend's peak resident memory (VmHWM) is read from /proc.  Aggregates that
# keep one group at a time (sorted grouping) and aggregates with a bounded
# state must peak the same whatever the row count; a state that grows with
# its input by design (credit_by_channel keeps every journey's summary) must
# grow by no more than its documented size per journey.  The calls whose
# memory attribution.max_memory bounds (markov(), transition_matrix(),
# credit_by_channel()) must fail with configuration_limit_exceeded under a
# small limit, having taken no more than about the limit, and
# transition_matrix() must peak no higher than markov() on the same chain
# (it keeps nothing per state beyond the chain).
#
#   bash test/memory.sh [GROUPS]
#
# GROUPS: the larger run's groups or rows (default 1000000; the smaller run
# has a tenth).
#
# Needs to run on the machine of the server (it reads /proc/<pid>/status).
# Sets up its own cluster like test/run-all.sh, or reuses the caller's
# (ATTR_REUSE_CLUSTER=1).  Ends with "N passed, N failed".
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

large=${1:-1000000}
small=$((large / 10))
att_setup_or_reuse "$srcdir"
att_checks_begin memory

# the most the peak may grow from the small to the large run: noise of the
# allocator and the sort's runs, far below a leak of 16 bytes per group
FLAT_SLACK_KB=${ATTR_MEMORY_SLACK_KB:-16384}

db=attribution_memory
att_psql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
att_psql -d "$db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION attribution"
has_paths=$(att_psql -d "$db" -At -c "SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'path_agg' AND pronamespace = 'attribution'::regnamespace)")

# peak_kb <n> <query with :n>: the peak resident memory of a fresh backend that ran the query
peak_kb() {
	local n=$1 sql=$2
	att_psql -d "$db" -At -v n="$n" <<SQL | tail -n 1
SET work_mem = '4MB';
SET max_parallel_workers_per_gather = 0;
SET enable_hashagg = off;
SET jit = off;
SELECT pg_backend_pid() AS pid \gset
\o /dev/null
$sql;
\o
\setenv BACKEND_PID :pid
\! sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/\$BACKEND_PID/status
SQL
}

# peak_state <sql> <settings>: "<peak kB> <SQLSTATE or 00000>" of a fresh backend
peak_state() {
	local sql=$1 settings=$2
	local out
	out=$("$ATTR_BINDIR/psql" -X -q -d "$db" -At -v ON_ERROR_STOP=0 -v VERBOSITY=sqlstate <<SQL 2>/dev/null | tail -n 2
SET work_mem = '4MB';
SET max_parallel_workers_per_gather = 0;
SET jit = off;
$settings
SELECT pg_backend_pid() AS pid \gset
\o /dev/null
$sql;
\o
\setenv BACKEND_PID :pid
\! sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/\$BACKEND_PID/status
\echo :LAST_ERROR_SQLSTATE
SQL
)
	echo "${out//$'\n'/ }"
}

# touches of :n journeys of 2 or 3 touches over 5 channels, in journey order
touches="SELECT g AS journey_id, k AS touch_id, timestamptz '2024-01-01' + (g % 1000) * interval '1 hour' + k * interval '1 day' AS touched_at,
		(ARRAY['email', 'web', 'direct', 'social', 'events'])[1 + (g + k) % 5] AS channel
	FROM generate_series(1, :n) g, generate_series(1, 2 + g % 2) k"
events="SELECT g AS unit_id, (ARRAY['inquiry', 'mql', 'sal', 'lost'])[k] AS stage,
		timestamptz '2024-01-01' + (g % 1000) * interval '1 hour' + k * interval '1 day' AS entered_at
	FROM generate_series(1, :n) g, generate_series(1, 2 + g % 3) k"

# flat <what> <query with :n> <n small> <n large>
flat() {
	local small_kb large_kb growth
	small_kb=$(peak_kb "$3" "$2")
	large_kb=$(peak_kb "$4" "$2")
	growth=$((large_kb - small_kb))
	echo "memory: $1: peak $small_kb kB at $3, $large_kb kB at $4 ($growth kB more)"
	check "$([ "$growth" -le "$FLAT_SLACK_KB" ] && echo 1 || echo 0)" \
		"$1: the peak stays flat from $3 to $4 ($growth kB more, at most $FLAT_SLACK_KB)"
}

flat "journey_agg, one journey per group" \
	"SELECT count(attribution.touch_count(j)) FROM (SELECT attribution.journey_agg(touched_at, channel, touch_id) j FROM ($touches) t GROUP BY journey_id) s" \
	"$small" "$large"
flat "journey_agg + credits(), per journey" \
	"SELECT sum(c.credit) FROM (SELECT attribution.journey_agg(touched_at, channel, touch_id) j FROM ($touches) t GROUP BY journey_id) s, attribution.credits(s.j, 'time_decay') c" \
	"$small" "$large"
flat "channel_credit (position-based), one journey per group" \
	"SELECT count(cc) FROM (SELECT attribution.channel_credit('position_based', touched_at, channel) cc FROM ($touches) t GROUP BY journey_id) s" \
	"$small" "$large"
flat "channel_credit (time decay) + sum(), one aggregate over all journeys" \
	"SELECT attribution.sum(cc) FROM (SELECT attribution.channel_credit('time_decay', touched_at, channel) cc FROM ($touches) t GROUP BY journey_id) s" \
	"$small" "$large"
flat "credit() window function, one journey per partition" \
	"SELECT sum(c) FROM (SELECT attribution.credit('w_shaped', touched_at, touch_id => touch_id) OVER (PARTITION BY journey_id) c FROM ($touches) t) s" \
	"$small" "$large"
flat "stage_agg, one unit per group, and waterfall_agg over them" \
	"SELECT attribution.waterfall_agg(h) FROM (SELECT attribution.stage_agg(stage, entered_at) h FROM ($events) e GROUP BY unit_id) s" \
	"$small" "$large"
flat "transitions() of every history" \
	"SELECT count(*) FROM (SELECT attribution.stage_agg(stage, entered_at) h FROM ($events) e GROUP BY unit_id) s, attribution.transitions(s.h)" \
	"$small" "$large"
flat "text output and input of every journey" \
	"SELECT count(j::text::attribution.journey) FROM (SELECT attribution.journey_agg(touched_at, channel, touch_id) j FROM ($touches) t GROUP BY journey_id) s" \
	"$small" "$large"
if [ "$has_paths" = t ]; then
	flat "path_agg over journeys of 5 channels (bounded distinct paths)" \
		"SELECT attribution.path_agg(p, journey_id % 3 = 0) FROM (SELECT journey_id, array_agg(channel ORDER BY touch_id) p FROM ($touches) t GROUP BY journey_id) s" \
		"$small" "$large"
fi

# credit_by_channel keeps every journey: its growth per journey
small_kb=$(peak_kb "$small" "SELECT attribution.credit_by_channel(journey_id, 'position_based', touched_at, channel) FROM ($touches) t")
large_kb=$(peak_kb "$large" "SELECT attribution.credit_by_channel(journey_id, 'position_based', touched_at, channel) FROM ($touches) t")
per_journey=$(( (large_kb - small_kb) * 1024 / (large - small) ))
echo "memory: credit_by_channel: peak $small_kb kB at $small journeys, $large_kb kB at $large: $per_journey bytes per journey"
check "$([ "$per_journey" -le 256 ] && echo 1 || echo 0)" \
	"credit_by_channel grows by at most 256 bytes per journey of 2 or 3 touches ($per_journey)"

# attribution.max_memory.  A summary of 100,000 paths of 3 to 12 touches over
# 40 channels: its chain of order 4 and the solver take some 150 MB.
if [ "$has_paths" = t ]; then
	att_psql -d "$db" -c "CREATE TABLE memory_paths AS SELECT attribution.path_agg(ARRAY(
		SELECT 'c' || (abs(hashint8(g * 100 + k)) % 40) FROM generate_series(1, 3 + g % 10) k), g % 3 = 0) AS ps
		FROM generate_series(1, 100000) g" >/dev/null
	baseline_kb=$(peak_kb 1 "SELECT 1")
	read -r markov_kb markov_state < <(peak_state "SELECT count(*) FROM memory_paths, attribution.markov(ps, 4)" "")
	read -r matrix_kb matrix_state < <(peak_state "SELECT count(*) FROM memory_paths, attribution.transition_matrix(ps, 4)" "")
	echo "memory: markov() of order 4: peak $markov_kb kB ($markov_state); transition_matrix() of order 4: peak $matrix_kb kB ($matrix_state); an idle backend: $baseline_kb kB"
	check "$([ "$markov_state" = 00000 ] && [ "$matrix_state" = 00000 ] && echo 1 || echo 0)" \
		"markov() and transition_matrix() of order 4 run under the default attribution.max_memory ($markov_state, $matrix_state)"
	check "$([ "$matrix_kb" -le $((markov_kb + FLAT_SLACK_KB)) ] && echo 1 || echo 0)" \
		"transition_matrix() of order 4 peaks no higher than markov() on the same chain ($matrix_kb kB, markov() $markov_kb kB, slack $FLAT_SLACK_KB kB)"
	# under a limit of 32 MB both fail before they take much more; the
	# allocator's overhead (arrays that grow by doubling) may add as much again
	limit_kb=32768
	for fn in markov transition_matrix; do
		read -r kb state < <(peak_state "SELECT count(*) FROM memory_paths, attribution.$fn(ps, 4)" "SET attribution.max_memory = '${limit_kb}kB';")
		echo "memory: $fn() of order 4 with attribution.max_memory = $limit_kb kB: $state, peak $kb kB"
		check "$([ "$state" = 53400 ] && echo 1 || echo 0)" \
			"$fn() of order 4 fails with 53400 under attribution.max_memory = $limit_kb kB (got $state)"
		check "$([ "$kb" -le $((baseline_kb + 2 * limit_kb)) ] && echo 1 || echo 0)" \
			"$fn() under attribution.max_memory = $limit_kb kB peaks within twice the limit of an idle backend ($kb kB, idle $baseline_kb kB)"
	done
fi
# credit_by_channel() over 2,000,000 journeys (some 450 MB) under a limit of 64 MB
limit_kb=65536
baseline_kb=$(peak_kb 1 "SELECT 1")
read -r kb state < <(peak_state "SELECT attribution.credit_by_channel(journey_id, 'position_based', touched_at, channel) FROM ($touches) t" \
	"SET attribution.max_memory = '${limit_kb}kB'; \\set n 2000000")
echo "memory: credit_by_channel() over 2,000,000 journeys with attribution.max_memory = $limit_kb kB: $state, peak $kb kB"
check "$([ "$state" = 53400 ] && echo 1 || echo 0)" \
	"credit_by_channel() over 2,000,000 journeys fails with 53400 under attribution.max_memory = $limit_kb kB (got $state)"
check "$([ "$kb" -le $((baseline_kb + 2 * limit_kb)) ] && echo 1 || echo 0)" \
	"credit_by_channel() under attribution.max_memory = $limit_kb kB peaks within twice the limit of an idle backend ($kb kB, idle $baseline_kb kB)"

att_psql -d postgres -c "DROP DATABASE $db" >/dev/null
att_checks_end
