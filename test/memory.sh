#!/usr/bin/env bash
# Flat memory: no leak across rows or groups.  Each case runs twice in a
# fresh backend, with a tenth of the rows and with all of them (100,000 and
# 1,000,000 groups, or one group of 100,000 and 1,000,000 rows), and the
# backend's peak resident memory (VmHWM) is read from /proc.  Aggregates that
# keep one group at a time (sorted grouping) and aggregates with a bounded
# state must peak the same whatever the row count; a state that grows with
# its input by design (credit_by_channel keeps every journey's summary) must
# grow by no more than its documented size per journey.
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
passed=0
failed=0
check() {	# check <ok: 0 or 1> <what>
	if [ "$1" = 1 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED [memory]: $2"
	fi
}

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

att_psql -d postgres -c "DROP DATABASE $db" >/dev/null
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
