#!/usr/bin/env bash
# pg_dump / pg_restore round trip of a database with the extension and data:
# the restored database must give the same output from every reporting
# view, the same user rows of the configuration tables, the same choice of
# sources and the same materialized copies.  Prints "N passed, N failed".
#
# Run by test/run-all.sh against its throwaway cluster (PGHOST, PGPORT,
# PGUSER and ATTR_BINDIR set by test/lib.sh); ATTR_WORK holds the dump.
set -euo pipefail

. "$(dirname "$0")/lib.sh"

att_checks_begin dump

src=attribution_dump_src
dst=attribution_dump_dst
out=$ATTR_WORK/dump
mkdir -p "$out"
att_psql -d postgres -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" 2>/dev/null
att_psql -d postgres -c "CREATE DATABASE $src" -c "CREATE DATABASE $dst"

# a database with data, user configuration, a source of its own and a materialized copy
att_psql -d "$src" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION attribution;
SELECT * FROM attribution.generate_demo_data(150, 11);
-- a user model, a changed built-in one, a user waterfall with events and targets
INSERT INTO attribution.models (name, model, weights, description)
VALUES ('sales_led', 'custom', '{0.1,0.15,0.25,0.3,0.1,0.1}', 'mostly the late milestones');
UPDATE attribution.models SET enabled = false WHERE name = 'inverse_j';
UPDATE attribution.models SET half_life = '3 days' WHERE name = 'time_decay';
INSERT INTO attribution.waterfalls (name, ladder, exits, unit)
VALUES ('accounts', '{target,engaged,opportunity,customer}', '{churned}', 'account');
INSERT INTO attribution.stage_events (unit_id, stage, entered_at, waterfall)
SELECT account_id, 'engaged', min(created_at), 'accounts' FROM attribution.contacts GROUP BY account_id;
INSERT INTO attribution.stage_targets VALUES ('accounts', '2025-01-01', 'engaged', 40, 'quarter');
-- costs come from a view of the user's own
CREATE SCHEMA finance;
CREATE VIEW finance.spend AS
SELECT campaign, channel, spent_on, (cost * 1.1)::float8 AS cost FROM attribution.campaign_costs;
SELECT attribution.use_source('campaign_costs', 'finance.spend');
-- touchpoints from a table of the user's, read directly (the extension depends on it)
CREATE TABLE finance.touches AS SELECT * FROM attribution.touchpoints WHERE channel <> 'email';
SELECT attribution.use_source('touchpoints', 'finance.touches', direct => true);
SELECT attribution.materialize('channel_performance', 'finance.channel_report');
SQL

# everything a user sees, in a canonical order
capture() {	# capture <database> <file>
	att_psql -d "$1" -At >"$2" <<'SQL'
SET timezone = 'UTC';
SELECT 'models', x::text FROM attribution.models x ORDER BY 2;
SELECT 'waterfalls', x::text FROM attribution.waterfalls x ORDER BY 2;
SELECT 'waterfall_stages', x::text FROM attribution.waterfall_stages x ORDER BY 2;
SELECT 'sources', x::text FROM attribution.sources x ORDER BY 2;
SELECT 'source_campaign_costs', pg_get_functiondef('attribution.source_campaign_costs()'::regprocedure);
SELECT 'materialized_views', matview, view_name, key_columns FROM attribution.materialized_views ORDER BY 2;
SELECT 'rows', (SELECT count(*) FROM attribution.contacts), (SELECT count(*) FROM attribution.opportunities),
	(SELECT count(*) FROM attribution.opportunity_contacts), (SELECT count(*) FROM attribution.touchpoints),
	(SELECT count(*) FROM attribution.campaign_costs), (SELECT count(*) FROM attribution.stage_events),
	(SELECT count(*) FROM attribution.stage_targets);
SELECT 'opportunity_journeys', x::text FROM attribution.opportunity_journeys x ORDER BY 2;
SELECT 'opportunity_touchpoints', x::text FROM attribution.opportunity_touchpoints x ORDER BY 2;
SELECT 'opportunity_touch_credits', x::text FROM attribution.opportunity_touch_credits x ORDER BY 2;
SELECT 'channel_performance', x::text FROM attribution.channel_performance x ORDER BY 2;
SELECT 'campaign_performance', x::text FROM attribution.campaign_performance x ORDER BY 2;
SELECT 'campaign_performance_monthly', x::text FROM attribution.campaign_performance_monthly x ORDER BY 2;
SELECT 'opportunity_paths', x::text FROM attribution.opportunity_paths x ORDER BY 2;
SELECT 'data_driven_attribution', x::text FROM attribution.data_driven_attribution x ORDER BY 2;
SELECT 'stage_histories', x::text FROM attribution.stage_histories x ORDER BY 2;
SELECT 'waterfall_cohorts', x::text FROM attribution.waterfall_cohorts x ORDER BY 2;
SELECT 'waterfall_flow', x::text FROM attribution.waterfall_flow x ORDER BY 2;
SELECT 'waterfall_velocity', x::text FROM attribution.waterfall_velocity x ORDER BY 2;
SELECT 'waterfall_leakage', x::text FROM attribution.waterfall_leakage x ORDER BY 2;
SELECT 'plan_vs_actual', x::text FROM attribution.plan_vs_actual x ORDER BY 2;
SELECT 'lead_quality', x::text FROM attribution.lead_quality x ORDER BY 2;
SELECT 'lead_feedback', x::text FROM attribution.lead_feedback x ORDER BY 2;
SELECT 'channel_report', x::text FROM finance.channel_report x ORDER BY 2;
SQL
}
capture "$src" "$out/before.txt"

"$ATTR_BINDIR/pg_dump" -Fc -d "$src" -f "$out/db.dump"
set +e
"$ATTR_BINDIR/pg_restore" --exit-on-error -d "$dst" "$out/db.dump" 2>"$out/restore.log"
rc=$?
set -e
check "$([ "$rc" = 0 ] && echo 1 || echo 0)" "pg_restore failed: $(head -c 2000 "$out/restore.log")"
capture "$dst" "$out/after.txt"

# the restored source still reads the user's view, and the change of a built-in model survived
check "$(grep -c '^sources|(campaign_costs,finance.spend,f)$' "$out/after.txt")" "the source of campaign_costs was not restored"
check "$(grep -c '^sources|(touchpoints,finance.touches,t)$' "$out/after.txt")" "the direct source of touchpoints was not restored"
check "$(grep -c '^models|(inverse_j,inverse_j,"7 days",,,f,f,' "$out/after.txt")" "the change to a built-in model was not restored"
check "$(grep -c '^models|(sales_led,custom,' "$out/after.txt")" "the user model was not restored"
check "$(grep -c '^waterfall_stages|(accounts,churned,5,t)$' "$out/after.txt")" "the stages of the user waterfall were not restored"
# the built-in rows are there once, not twice
check "$(att_psql -d "$dst" -At -c "SELECT (count(*) = 11 AND count(DISTINCT name) = 11)::int FROM attribution.models")" \
	"the models table does not have its 10 built-in rows plus 1 user row"
# and everything else is identical
lines=$(wc -l <"$out/before.txt")
check "$([ "$lines" -gt 1000 ] && echo 1 || echo 0)" "the capture has only $lines lines"
if cmp -s "$out/before.txt" "$out/after.txt"; then
	check 1 ""
else
	check 0 "view output differs after the round trip: $(diff "$out/before.txt" "$out/after.txt" | head -20)"
fi

att_psql -d postgres -c "DROP DATABASE $src" -c "DROP DATABASE $dst"
att_checks_end
