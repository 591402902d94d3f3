#!/usr/bin/env bash
# Concurrency: pgbench with 8 clients and a fixed number of transactions
# against the reporting layer's tables: clients load touchpoints and stage
# events with COPY, upsert contacts, opportunities and costs (INSERT ... ON
# CONFLICT), and query the views and the aggregates, all at once.  Then: no
# client failed, no deadlock, and the final tables hold exactly what the
# transactions loaded (the batches are numbered by a sequence, so what was
# loaded is known), with every journey's credits still summing to one.
# Then three clients switch the source of touchpoints with use_source() at
# the same time (ATTR_SWITCHES each, default 50) while a fourth reads a view:
# every switch succeeds.
#
#   bash test/concurrency.sh [TRANSACTIONS_PER_CLIENT]
#
# TRANSACTIONS_PER_CLIENT defaults to 100 (800 transactions in all).
# ATTR_BENCH_SEED (default 42) seeds pgbench's choice of scripts.
# Sets up its own cluster like test/run-all.sh, or reuses the caller's
# (ATTR_REUSE_CLUSTER=1).  Ends with "N passed, N failed".
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

per_client=${1:-100}
clients=8
seed=${ATTR_BENCH_SEED:-42}
touches_per_batch=100
events_per_batch=60

att_setup_or_reuse "$srcdir"
log_start=$(stat -c %s "$ATTR_LOG")
att_checks_begin concurrency

db=attribution_load
out=$ATTR_WORK/concurrency
rm -rf "$out"
mkdir -p "$out"
chmod 755 "$out"
att_psql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null

# the reference data, and the batches the COPY clients load (files the server reads)
att_psql -d "$db" -v touches="$touches_per_batch" -v events="$events_per_batch" <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION attribution;
CREATE SCHEMA load;
CREATE SEQUENCE load.touch_batch;
CREATE SEQUENCE load.event_batch;
CREATE SEQUENCE load.upsert_batch;
-- 400 contacts of 100 accounts (account_id 'initial' until an upsert sets it),
-- 150 opportunities of 2 contacts each
INSERT INTO attribution.contacts (contact_id, account_id, created_at)
SELECT 'c' || i, 'initial', timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour'
FROM generate_series(1, 400) i;
INSERT INTO attribution.opportunities (opportunity_id, account_id, created_at, closed_at, is_won, amount)
SELECT 'o' || i, 'a' || (i % 100), timestamptz '2024-03-01 00:00:00+00' + i * interval '1 hour',
	   CASE WHEN i % 3 = 0 THEN timestamptz '2024-05-01 00:00:00+00' + i * interval '1 hour' END,
	   i % 6 = 0, 1000 + i
FROM generate_series(1, 150) i;
INSERT INTO attribution.opportunity_contacts (opportunity_id, contact_id)
SELECT 'o' || i, 'c' || ((i * 2 + k) % 400 + 1) FROM generate_series(1, 150) i, generate_series(0, 1) k;
UPDATE attribution.models SET enabled = name IN ('linear', 'w_shaped', 'time_decay');
-- what a batch of touchpoints and of stage events holds (the same function for the check)
CREATE FUNCTION load.touch_batch_rows(b bigint, n int)
RETURNS TABLE(touchpoint_id bigint, contact_id text, touched_at timestamptz, channel text, campaign text, is_direct boolean)
LANGUAGE sql IMMUTABLE AS $$
	SELECT b * 1000 + i, 'c' || ((b * 7919 + i * 104729) % 400 + 1),
		   timestamptz '2024-01-01 00:00:00+00' + ((b * 31 + i * 17) % 5000) * interval '1 hour',
		   (ARRAY['email', 'paid_search', 'direct', 'web', 'events'])[1 + (b + i) % 5],
		   'camp' || ((b + i) % 7), (b + i) % 5 = 2
	FROM generate_series(1, n) i
$$;
CREATE FUNCTION load.event_batch_rows(b bigint, n int)
RETURNS TABLE(unit_id text, stage text, entered_at timestamptz, waterfall text, reason text)
LANGUAGE sql IMMUTABLE AS $$
	SELECT 'u' || b || '_' || (i / 3), (ARRAY['inquiry', 'mql', 'sal'])[1 + i % 3],
		   timestamptz '2024-01-01 00:00:00+00' + (b * 3 + i) * interval '1 hour', 'default', NULL::text
	FROM generate_series(0, n - 1) i
$$;
SQL
# pgbench substitutes :variables only outside quoted strings: the file names are built in SQL
max_batches=$((clients * per_client))
att_psql -d "$db" -At -c "SELECT format('COPY (SELECT * FROM load.touch_batch_rows(%s, $touches_per_batch)) TO %L WITH (FORMAT csv);', b, '$out/touch_' || b || '.csv') FROM generate_series(1, $max_batches) b" >"$out/make_touch_files.sql"
att_psql -d "$db" -At -c "SELECT format('COPY (SELECT * FROM load.event_batch_rows(%s, $events_per_batch)) TO %L WITH (FORMAT csv);', b, '$out/event_' || b || '.csv') FROM generate_series(1, $max_batches) b" >"$out/make_event_files.sql"
if [ "$(id -u)" = 0 ]; then chown postgres "$out"; fi
att_psql -d "$db" -f "$out/make_touch_files.sql" -f "$out/make_event_files.sql" >/dev/null

# the transactions
cat >"$out/copy_touchpoints.sql" <<EOF
BEGIN;
SELECT nextval('load.touch_batch') AS b \\gset
SELECT format('COPY attribution.touchpoints FROM %L WITH (FORMAT csv)', '$out/touch_' || :b || '.csv') AS copy_command \\gset
:copy_command;
COMMIT;
EOF
cat >"$out/copy_stage_events.sql" <<EOF
BEGIN;
SELECT nextval('load.event_batch') AS b \\gset
SELECT format('COPY attribution.stage_events FROM %L WITH (FORMAT csv)', '$out/event_' || :b || '.csv') AS copy_command \\gset
:copy_command;
COMMIT;
EOF
# upserts in key order (a consistent lock order: ETL jobs should do the same)
cat >"$out/upserts.sql" <<'EOF'
BEGIN;
SELECT nextval('load.upsert_batch') AS b \gset
INSERT INTO attribution.contacts AS c (contact_id, account_id, created_at)
SELECT 'c' || i, 'a' || (i % 100), timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour'
FROM generate_series(1, 400) i WHERE (i + :b) % 8 = 0 ORDER BY 1
ON CONFLICT (contact_id) DO UPDATE SET account_id = excluded.account_id;
INSERT INTO attribution.opportunities AS o (opportunity_id, account_id, created_at, closed_at, is_won, amount)
SELECT 'o' || i, 'a' || (i % 100), timestamptz '2024-03-01 00:00:00+00' + i * interval '1 hour',
	   timestamptz '2024-05-01 00:00:00+00' + i * interval '1 hour', i % 2 = 0, 2000 + i
FROM generate_series(1, 150) i WHERE (i + :b) % 10 = 0 ORDER BY 1
ON CONFLICT (opportunity_id) DO UPDATE SET closed_at = excluded.closed_at, is_won = excluded.is_won, amount = excluded.amount;
INSERT INTO attribution.campaign_costs AS cc (campaign, channel, spent_on, cost)
SELECT 'camp' || (i % 7), (ARRAY['email', 'paid_search', 'direct', 'web', 'events'])[1 + i % 5],
	   date '2024-01-01' + (:b % 30)::int, 10 * i
FROM generate_series(1, 35) i ORDER BY 1, 2, 3
ON CONFLICT (campaign, channel, spent_on) DO UPDATE SET cost = excluded.cost;
COMMIT;
EOF
cat >"$out/queries.sql" <<'EOF'
SELECT count(*), sum(pipeline) FROM attribution.channel_performance;
SELECT sum(e.credit) FROM attribution.each((SELECT attribution.credit_by_channel(hashtext(contact_id), 'position_based', touched_at, channel) FROM attribution.touchpoints)) e;
SELECT count(*) FROM attribution.waterfall_leakage;
SELECT count(*) FROM (SELECT unit_id, attribution.stage_agg(stage, entered_at) FROM attribution.stage_events GROUP BY unit_id) s;
SELECT count(*) FROM attribution.data_driven_attribution;
EOF

att_log "pgbench: $clients clients x $per_client transactions"
start=$(date +%s)
set +e
"$ATTR_BINDIR/pgbench" -n -d "$db" -c "$clients" -j 2 -t "$per_client" -M simple --random-seed="$seed" \
	-f "$out/copy_touchpoints.sql@3" -f "$out/copy_stage_events.sql@2" -f "$out/upserts.sql@2" \
	-f "$out/queries.sql@3" >"$out/pgbench.log" 2>&1
bench_rc=$?
set -e
elapsed=$(( $(date +%s) - start ))
tail -n 25 "$out/pgbench.log"
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out/pgbench.log")
check "$([ "$bench_rc" = 0 ] && echo 1 || echo 0)" "pgbench ends without an aborted client (exit status $bench_rc)"
check "$([ "${processed:-0}" = $((clients * per_client)) ] && echo 1 || echo 0)" \
	"all $((clients * per_client)) transactions processed (${processed:-0})"
deadlocks=$(att_log_since "$log_start" | grep -c 'deadlock detected' || true)
errors=$(att_log_since "$log_start" | grep -c ' ERROR: ' || true)
check "$([ "$deadlocks" = 0 ] && echo 1 || echo 0)" "no deadlock ($deadlocks in the server log)"
check "$([ "$errors" = 0 ] && echo 1 || echo 0)" "no error in the server log ($errors)"
[ "$errors" = 0 ] || att_log_since "$log_start" | grep -A2 ' ERROR: ' | head -n 20

# the totals: what the committed batches hold, nothing more, nothing less
read -r touch_batches event_batches upsert_batches < <(att_psql -d "$db" -At -F ' ' -c "
	SELECT (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM load.touch_batch),
		   (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM load.event_batch),
		   (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM load.upsert_batch)")
echo "concurrency: $((clients * per_client)) transactions in ${elapsed} s: $touch_batches touchpoint batches," \
	"$event_batches stage event batches, $upsert_batches upsert batches"
result() { if [ "$(att_psql -d "$db" -At -c "$1")" = t ]; then echo 1; else echo 0; fi; }
check "$(result "SELECT (SELECT count(*) FROM attribution.touchpoints) = $touch_batches * $touches_per_batch
	AND NOT EXISTS (SELECT * FROM attribution.touchpoints EXCEPT
		SELECT r.* FROM generate_series(1, $touch_batches) b, load.touch_batch_rows(b, $touches_per_batch) r)")" \
	"the touchpoints are exactly the $touch_batches batches loaded"
check "$(result "SELECT (SELECT count(*) FROM attribution.stage_events) = $event_batches * $events_per_batch
	AND NOT EXISTS (SELECT * FROM attribution.stage_events EXCEPT
		SELECT r.* FROM generate_series(1, $event_batches) b, load.event_batch_rows(b, $events_per_batch) r)")" \
	"the stage events are exactly the $event_batches batches loaded"
check "$(result "SELECT count(*) FILTER (WHERE account_id <> 'initial') =
		(SELECT count(DISTINCT i) FROM generate_series(1, $upsert_batches) b, generate_series(1, 400) i WHERE (i + b) % 8 = 0)
	AND bool_and(account_id = 'initial' OR account_id = 'a' || (substr(contact_id, 2)::int % 100))
	FROM attribution.contacts")" \
	"the contacts hold the values of the $upsert_batches upsert batches"
check "$(result "SELECT count(*) FILTER (WHERE amount >= 2000) =
		(SELECT count(DISTINCT i) FROM generate_series(1, $upsert_batches) b, generate_series(1, 150) i WHERE (i + b) % 10 = 0)
	FROM attribution.opportunities")" \
	"the opportunities hold the values of the upsert batches"
check "$(result "SELECT count(*) = (SELECT count(DISTINCT (b % 30)) * 35 FROM generate_series(1, $upsert_batches) b)
	FROM attribution.campaign_costs")" \
	"the campaign costs hold one row per upserted key"
check "$(result "SELECT abs(sum(e.credit) - (SELECT count(DISTINCT contact_id) FROM attribution.touchpoints)) < 1e-6
	FROM attribution.each((SELECT attribution.credit_by_channel(hashtext(contact_id), 'position_based', touched_at, channel)
		FROM attribution.touchpoints)) e")" \
	"credit_by_channel over the loaded touchpoints: every journey's credits sum to one"
check "$(result "SELECT reached = (SELECT count(DISTINCT unit_id) FROM attribution.stage_events)
	FROM attribution.waterfall_report((SELECT attribution.waterfall_agg(h) FROM (SELECT attribution.stage_agg(stage, entered_at) h
		FROM attribution.stage_events GROUP BY unit_id) s)) WHERE stage = 'inquiry'")" \
	"the waterfall counts every loaded unit at its first stage"
check "$(result "SELECT count(*) > 0 FROM attribution.channel_performance")" "the views read the loaded data"

# switching sources at the same time: use_source() re-creates a source
# function, and two transactions re-creating the same one at once fail
# ("tuple concurrently updated") unless the switches queue.  Three clients
# switch the touchpoints between the built-in table and a view of their own,
# and back, while a fourth reads a view through the source function.
switches=${ATTR_SWITCHES:-50}
att_psql -d "$db" -c "CREATE VIEW load.my_touchpoints AS SELECT * FROM attribution.touchpoints" >/dev/null
cat >"$out/switch.sql" <<'EOF'
SELECT attribution.use_source('touchpoints', NULL);
SELECT attribution.use_source('touchpoints', 'load.my_touchpoints');
SELECT attribution.use_source('touchpoints', NULL);
EOF
cat >"$out/switch_read.sql" <<'EOF'
SELECT count(*) FROM attribution.opportunity_touchpoints;
EOF
log_start=$(stat -c %s "$ATTR_LOG")
set +e
"$ATTR_BINDIR/pgbench" -n -d "$db" -c 3 -j 1 -t "$switches" -M simple -f "$out/switch.sql" >"$out/switch.log" 2>&1 &
switch_pid=$!
"$ATTR_BINDIR/pgbench" -n -d "$db" -c 1 -j 1 -t "$switches" -M simple -f "$out/switch_read.sql" >"$out/switch_read.log" 2>&1
read_rc=$?
wait "$switch_pid"
switch_rc=$?
set -e
switched=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out/switch.log")
switch_errors=$(att_log_since "$log_start" | grep -c ' ERROR: ' || true)
echo "concurrency: 3 clients x $switches use_source() switches: ${switched:-0} processed, $switch_errors errors"
check "$([ "$switch_rc" = 0 ] && [ "${switched:-0}" = $((3 * switches)) ] && echo 1 || echo 0)" \
	"3 clients x $switches concurrent use_source() switches all succeed (exit status $switch_rc, ${switched:-0} processed)"
check "$([ "$read_rc" = 0 ] && echo 1 || echo 0)" "a view reads through the source function while it is switched (exit status $read_rc)"
check "$([ "$switch_errors" = 0 ] && echo 1 || echo 0)" "no error in the server log while switching ($switch_errors)"
[ "$switch_errors" = 0 ] || att_log_since "$log_start" | grep -A2 ' ERROR: ' | head -n 10
check "$(result "SELECT NOT EXISTS (SELECT FROM attribution.sources)
	AND attribution.use_source('touchpoints', NULL) = 'attribution.touchpoints'")" \
	"after the switches the built-in table is the source again"
att_psql -d postgres -c "DROP DATABASE $db" >/dev/null
att_checks_end
