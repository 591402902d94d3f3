-- Maintained performance totals: after random inserts, updates and deletes
-- on every table behind them, refresh_performance() recomputes only the
-- changed opportunities, and the performance views then answer exactly as
-- they do live; changes no trigger can trace make it recompute everything.
SET timezone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never

-- ---------------------------------------------------------------- before maintenance is on
SELECT * FROM attribution.refresh_performance();
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.note_changes(ARRAY['o1']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.maintain_performance(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.performance_totals_query(NULL) IS NULL AS strict;
SELECT strpos(attribution.performance_totals_query(true), 'd.opportunity_id') > 0 AS per_opportunity,
	   strpos(attribution.performance_totals_query(false), 'opportunity_id') = 0 AS over_all;

SELECT count(*) > 0 AS loaded FROM attribution.generate_demo_data(200, 5);

-- Every performance view, maintained against live (the live form computed by
-- switching performance_totals back for the moment): rows only in one of them.
CREATE FUNCTION pg_temp.differences()
RETURNS TABLE(view_name text, maintained_rows bigint, only_maintained bigint, only_live bigint)
LANGUAGE plpgsql AS $$
DECLARE
	v text;
BEGIN
	FOREACH v IN ARRAY ARRAY['performance_totals', 'channel_performance', 'campaign_performance',
							 'campaign_performance_monthly', 'campaign_pipeline_by_created_month'] LOOP
		EXECUTE format('CREATE TEMP TABLE stored_rows AS SELECT * FROM attribution.%I', v);
		PERFORM attribution.performance_totals_apply(false);
		EXECUTE format('CREATE TEMP TABLE live_rows AS SELECT * FROM attribution.%I', v);
		PERFORM attribution.performance_totals_apply(true);
		view_name := v;
		SELECT count(*) INTO maintained_rows FROM stored_rows;
		SELECT count(*) INTO only_maintained FROM (SELECT * FROM stored_rows EXCEPT ALL SELECT * FROM live_rows) x;
		SELECT count(*) INTO only_live FROM (SELECT * FROM live_rows EXCEPT ALL SELECT * FROM stored_rows) x;
		DROP TABLE stored_rows, live_rows;
		RETURN NEXT;
	END LOOP;
END
$$;
CREATE FUNCTION pg_temp.all_equal() RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN bool_and(d.only_maintained = 0 AND d.only_live = 0 AND d.maintained_rows > 0) THEN 'equal'
				ELSE string_agg(format('%s: %s rows, %s only maintained, %s only live', d.view_name, d.maintained_rows,
									   d.only_maintained, d.only_live), '; ') END
	FROM pg_temp.differences() d
$$;

-- ---------------------------------------------------------------- on
SELECT opportunities, recomputed_all FROM attribution.maintain_performance();
SELECT maintained, refreshed_at IS NOT NULL AS refreshed, computed_under IS NOT NULL AS digest
FROM attribution.performance_maintenance;
SELECT count(*) AS triggers FROM pg_trigger WHERE tgname LIKE 'record_changes_%';
SELECT count(*) AS opportunities_stored FROM attribution.maintained_opportunity_totals;
SELECT pg_temp.all_equal();
-- again: nothing to do, nothing changes
SELECT opportunities, recomputed_all FROM attribution.maintain_performance();
SELECT * FROM attribution.refresh_performance();
SELECT pg_temp.all_equal();
SELECT * FROM attribution.refresh_performance(NULL);
\echo :LAST_ERROR_SQLSTATE

-- ---------------------------------------------------------------- random changes, three rounds
CREATE FUNCTION pg_temp.random_changes(round integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	PERFORM setseed(round / 10.0);
	-- new touches (some at the very time of another touch of the contact)
	INSERT INTO attribution.touchpoints (touchpoint_id, contact_id, touched_at, channel, campaign, is_direct)
	SELECT 1000000 * round + row_number() OVER (ORDER BY t.touchpoint_id), t.contact_id,
		   CASE WHEN random() < 0.3 THEN t.touched_at ELSE t.touched_at + random() * interval '40 days' END,
		   (ARRAY['paid_search', 'email', 'webinar', 'direct', 'events'])[1 + floor(random() * 5)::int],
		   CASE WHEN random() < 0.5 THEN 'campaign_' || floor(random() * 4)::int END,
		   CASE WHEN random() < 0.2 THEN true END
	FROM attribution.touchpoints t
	WHERE random() < 0.03;
	-- moved, re-channelled and deleted touches
	UPDATE attribution.touchpoints t SET touched_at = t.touched_at - random() * interval '20 days' WHERE random() < 0.02;
	UPDATE attribution.touchpoints t SET channel = 'social', campaign = NULL WHERE random() < 0.02;
	UPDATE attribution.touchpoints t
	SET contact_id = (SELECT c.contact_id FROM attribution.contacts c ORDER BY c.contact_id
					  OFFSET floor(random() * 50)::int LIMIT 1)
	WHERE random() < 0.01;
	DELETE FROM attribution.touchpoints t WHERE random() < 0.02;
	-- opportunities: amounts, closes, reopens, one new with two contacts, one deleted
	UPDATE attribution.opportunities o SET amount = o.amount + round((random() * 1000)::numeric, 2) WHERE random() < 0.05;
	UPDATE attribution.opportunities o SET closed_at = o.created_at + interval '90 days', is_won = random() < 0.5
	WHERE o.closed_at IS NULL AND random() < 0.1;
	UPDATE attribution.opportunities o SET closed_at = NULL, is_won = false WHERE o.closed_at IS NOT NULL AND random() < 0.05;
	INSERT INTO attribution.opportunities (opportunity_id, account_id, created_at, amount)
	VALUES ('new_' || round, 'acct', '2024-06-01', 12345.67);
	INSERT INTO attribution.opportunity_contacts (opportunity_id, contact_id)
	SELECT 'new_' || round, c.contact_id FROM attribution.contacts c ORDER BY c.contact_id OFFSET 10 * round LIMIT 2;
	DELETE FROM attribution.opportunities o
	WHERE o.opportunity_id = (SELECT min(x.opportunity_id) FROM attribution.opportunities x WHERE x.opportunity_id NOT LIKE 'new_%');
	-- contacts join and leave opportunities; a contact's lead creation moves
	INSERT INTO attribution.opportunity_contacts (opportunity_id, contact_id, role)
	SELECT o.opportunity_id, c.contact_id, 'influencer'
	FROM attribution.opportunities o CROSS JOIN LATERAL (
		SELECT c.contact_id FROM attribution.contacts c ORDER BY md5(c.contact_id || o.opportunity_id) LIMIT 1) c
	WHERE random() < 0.03
	ON CONFLICT DO NOTHING;
	DELETE FROM attribution.opportunity_contacts oc WHERE random() < 0.03;
	UPDATE attribution.contacts c SET created_at = c.created_at - interval '30 days' WHERE random() < 0.03;
END
$$;

SELECT pg_temp.random_changes(1);
SELECT count(DISTINCT opportunity_id) + count(DISTINCT contact_id) > 0 AS changes_recorded FROM attribution.maintained_changes;
SELECT opportunities > 0 AND opportunities < 200 AS some_recomputed, recomputed_all FROM attribution.refresh_performance();
SELECT count(*) AS changes_left FROM attribution.maintained_changes;
SELECT pg_temp.all_equal();
SELECT pg_temp.random_changes(2);
SELECT opportunities > 0 AND opportunities < 200 AS some_recomputed, recomputed_all FROM attribution.refresh_performance();
SELECT pg_temp.all_equal();
-- two loads between refreshes, one rolled back
SELECT pg_temp.random_changes(3);
BEGIN;
SELECT pg_temp.random_changes(4);
ROLLBACK;
SELECT pg_temp.random_changes(5);
SELECT opportunities > 0 AND opportunities < 200 AS some_recomputed, recomputed_all FROM attribution.refresh_performance();
SELECT pg_temp.all_equal();

-- ---------------------------------------------------------------- changes no trigger traces: a full refresh
UPDATE attribution.models SET half_life = '3 days' WHERE name = 'time_decay';
SELECT opportunities > 0 AS recomputed, recomputed_all FROM attribution.refresh_performance();
SELECT pg_temp.all_equal();
INSERT INTO attribution.settings (name, value) VALUES ('reporting_time_zone', 'America/Los_Angeles');
SELECT recomputed_all FROM attribution.refresh_performance();
SELECT pg_temp.all_equal();
DELETE FROM attribution.settings WHERE name = 'reporting_time_zone';
UPDATE attribution.models SET half_life = '7 days' WHERE name = 'time_decay';
SELECT recomputed_all FROM attribution.refresh_performance();
-- asked for
SELECT recomputed_all FROM attribution.refresh_performance(recompute_all => true);

-- ---------------------------------------------------------------- a source of one's own: note_changes()
CREATE TABLE my_touches AS SELECT * FROM attribution.touchpoints;
SELECT attribution.use_source('touchpoints', 'my_touches');
SELECT recomputed_all FROM attribution.refresh_performance();
SELECT pg_temp.all_equal();
-- no trigger sees my_touches: the stored totals stay as they were until told
INSERT INTO my_touches (touchpoint_id, contact_id, touched_at, channel)
SELECT 9000000 + row_number() OVER (ORDER BY oc.contact_id), oc.contact_id, '2024-01-15', 'partner'
FROM (SELECT DISTINCT contact_id FROM attribution.opportunity_contacts ORDER BY contact_id LIMIT 5) oc;
SELECT opportunities, recomputed_all FROM attribution.refresh_performance();
SELECT pg_temp.all_equal() <> 'equal' AS stale;
SELECT attribution.note_changes(contact_ids => ARRAY(SELECT contact_id FROM my_touches WHERE channel = 'partner'));
SELECT attribution.note_changes(ARRAY[NULL, 'no such opportunity']);
SELECT opportunities > 0 AS recomputed, recomputed_all FROM attribution.refresh_performance();
SELECT pg_temp.all_equal();
SELECT attribution.use_source('touchpoints', NULL);
SELECT recomputed_all FROM attribution.refresh_performance();
DROP TABLE my_touches;

-- ---------------------------------------------------------------- TRUNCATE leaves no rows to trace
TRUNCATE attribution.touchpoints;
SELECT recomputed_all FROM attribution.refresh_performance();
SELECT pg_temp.all_equal();

-- ---------------------------------------------------------------- off: live again, nothing left behind
SELECT * FROM attribution.maintain_performance(false);
SELECT count(*) AS triggers FROM pg_trigger WHERE tgname LIKE 'record_changes_%';
SELECT (SELECT count(*) FROM attribution.maintained_opportunity_totals) + (SELECT count(*) FROM attribution.maintained_performance_totals)
	   + (SELECT count(*) FROM attribution.maintained_changes) + (SELECT count(*) FROM attribution.performance_maintenance) AS rows_left;
SELECT pg_get_viewdef('attribution.performance_totals') LIKE '%credit_facts%' AS live;
SELECT * FROM attribution.refresh_performance();
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.maintain_performance(false);

TRUNCATE attribution.contacts, attribution.opportunities, attribution.campaign_costs, attribution.stage_events,
	attribution.stage_targets CASCADE;
