-- The opportunity journey and the rule-based reporting views, on a small
-- data set whose every number is worked out by hand in the comments.
SET timezone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never

-- Contacts C1 and C2 work at account A1, C3 at A2, C4 at A3.
INSERT INTO attribution.contacts VALUES
	('C1', 'A1', '2024-01-05'), ('C2', 'A1', '2024-01-03'), ('C3', 'A2', '2024-02-01'), ('C4', 'A3', '2024-03-01');
-- O1: won, C1 (two roles) and C2; O2: open, C2 again; O3: lost, only C4, who was never touched;
-- O4: won, C3, touched only after the opportunity was created; O5: no contact at all.
INSERT INTO attribution.opportunities VALUES
	('O1', 'A1', '2024-01-10', '2024-01-20', true, 1000.00),
	('O2', 'A1', '2024-02-15', NULL, false, 500.00),
	('O3', 'A3', '2024-03-05', '2024-03-10', false, 250.00),
	('O4', 'A2', '2024-02-10', '2024-02-20', true, 100.01),
	('O5', 'A3', '2024-04-01', NULL, false, 75.50);
INSERT INTO attribution.opportunity_contacts VALUES
	('O1', 'C1', 'decision_maker'), ('O1', 'C1', 'champion'), ('O1', 'C2', 'influencer'),
	('O2', 'C2', 'champion'), ('O3', 'C4', 'champion'), ('O4', 'C3', 'champion');
INSERT INTO attribution.touchpoints VALUES
	(11, 'C1', '2024-01-04', 'email', 'E1', false),
	(12, 'C1', '2024-01-08', 'webinar', 'W1', false),
	(13, 'C1', '2024-01-25', 'paid_search', 'S1', false),	-- after O1's close
	(21, 'C2', '2024-01-02', 'paid_search', 'S1', false),
	(22, 'C2', '2024-01-06', 'direct', NULL, true),
	(23, 'C2', '2024-01-15', 'email', 'E1', NULL),
	(24, 'C2', '2024-02-14', 'events', 'V1', NULL),			-- after O1's close, before O2's creation
	(31, 'C3', '2024-02-12', 'display', 'D1', false),
	(32, 'C3', '2024-02-14', 'email', 'E1', false),
	(33, 'C3', '2024-02-16', 'webinar', 'W1', false);
-- Costs: email 25.00 over three days (E1 is touched three times: never counted twice),
-- display 40.00 on D1 and 60.00 on X1, a campaign nobody touched.
INSERT INTO attribution.campaign_costs VALUES
	('E1', 'email', '2024-01-01', 10.00), ('E1', 'email', '2024-01-02', 10.00), ('E1', 'email', '2024-02-01', 5.00),
	('S1', 'paid_search', '2024-01-01', 100.00), ('W1', 'webinar', '2024-01-08', 300.00),
	('D1', 'display', '2024-02-12', 40.00), ('X1', 'display', '2024-03-01', 60.00),
	('V1', 'events', '2024-02-14', 1000.00);

-- ---------------------------------------------------------------- the journey
-- O1: C1's and C2's touches interleaved in time order, each once (C1 has two roles), none after the close.
-- O2: all of C2's touches (open: no end).  O3, O5: no touch.  O4: C3's three touches.
SELECT opportunity_id, touchpoint_id, contact_id, touched_at, channel, campaign, is_direct
FROM attribution.opportunity_touchpoints ORDER BY opportunity_id, touched_at;
-- milestones: lead creation is the earliest lead time of the contacts (C2's 01-03 for O1)
SELECT * FROM attribution.opportunity_journeys ORDER BY opportunity_id;

-- ---------------------------------------------------------------- credits per touch
-- O1 under the milestone models (lead touch: 21, the last at or before 01-03; opportunity touch: 12,
-- the last at or before 01-10; closed touch: 23, the last at or before 01-20):
--   w_shaped (touches up to 01-10): 21 first+lead .6, 12 opportunity .3, 11 and 22 middle .05 each
--   full_path (up to 01-20): 21 .45, 12 .225, 23 .225, 11 and 22 .05 each
--   last_non_direct: 23 (22 is direct); first_touch: 21; linear: .2 each = 200.00 of 1000.00
SELECT model, touchpoint_id, contact_id, channel, campaign, touch_number, round(credit::numeric, 6) AS credit,
	   pipeline_credit, revenue_credit
FROM attribution.opportunity_touch_credits
WHERE opportunity_id = 'O1' AND model IN ('w_shaped', 'full_path', 'last_non_direct', 'first_touch', 'linear')
ORDER BY model, touch_number;
-- O2 (open): w_shaped up to its creation 02-15: 21 first+lead .6, 24 opportunity .3, 22 and 23 .05
SELECT model, touchpoint_id, channel, round(credit::numeric, 6) AS credit, pipeline_credit, revenue_credit
FROM attribution.opportunity_touch_credits
WHERE opportunity_id = 'O2' AND model IN ('w_shaped', 'last_non_direct') ORDER BY model, touch_number;
-- O4: 100.01 in thirds is 33.34 + 33.33 + 33.34 (cumulative rounding), exactly 100.01;
-- no touch before its creation, so w_shaped has none
SELECT model, touchpoint_id, channel, round(credit::numeric, 6) AS credit, pipeline_credit
FROM attribution.opportunity_touch_credits
WHERE opportunity_id = 'O4' AND model IN ('linear', 'w_shaped') ORDER BY model, touch_number;
-- every credited opportunity's credits sum to 1, and its pipeline credits to its amount, under every model
SELECT model, opportunity_id, round(sum(credit)::numeric, 12) AS credit, sum(pipeline_credit) AS pipeline,
	   sum(revenue_credit) AS revenue
FROM attribution.opportunity_touch_credits GROUP BY 1, 2 ORDER BY 1, 2;
-- the same touches as the window function gives, partition by partition (to the six decimals shown:
-- each shown credit is within 0.000001 of the exact one)
SELECT count(*) AS differences
FROM attribution.opportunity_touch_credits c
JOIN (
	SELECT m.name AS model, t.opportunity_id, t.touchpoint_id,
		   attribution.credit(m.model, t.touched_at, converted_at => j.closed_at, half_life => m.half_life,
				lead_created_at => j.lead_created_at, opportunity_created_at => j.created_at,
				closed_at => j.closed_at, is_direct => t.is_direct, weights => m.weights, lookback => m.lookback,
				touch_id => t.touchpoint_id)
			   OVER (PARTITION BY m.name, t.opportunity_id ORDER BY t.touched_at, t.touchpoint_id) AS credit
	FROM attribution.models m CROSS JOIN attribution.opportunity_journeys j
	JOIN attribution.opportunity_touchpoints t ON t.opportunity_id = j.opportunity_id
	WHERE m.enabled
) w USING (model, opportunity_id, touchpoint_id)
WHERE abs(c.credit - w.credit) > 1e-6;

-- ---------------------------------------------------------------- channel performance
-- linear: paid_search 200 + 125 = 325.00; email 200 + 200 + 125 + 33.34 = 558.34; direct 325.00;
-- webinar 200 + 33.33; events 125.00 (O2); display 33.34; unattributed: O3 and O5, 325.50.
-- (O4's 100.01 in thirds leaves two cents over three tied rows: they go by channel name, display
-- and email.)  ROI of email: (433.34 - 25) / 25; webinar: (233.33 - 300) / 300.
SELECT * FROM attribution.channel_performance WHERE model = 'linear' ORDER BY attributed DESC, channel;
-- w_shaped: O4 has no touch before its creation, so it is unattributed too (100.01 + 250 + 75.50)
SELECT * FROM attribution.channel_performance WHERE model = 'w_shaped' ORDER BY attributed DESC, channel;
-- per model: attributed pipeline = the amounts of the opportunities with a touch in the window, to the
-- cent; with the unattributed row, the whole pipeline (1925.51) and revenue (1100.01)
SELECT p.model,
	   sum(p.pipeline) FILTER (WHERE p.attributed) AS attributed_pipeline,
	   (SELECT sum(amount) FROM attribution.opportunities o
		WHERE EXISTS (SELECT FROM attribution.opportunity_touch_credits c
					  WHERE c.model = p.model AND c.opportunity_id = o.opportunity_id)) AS touched_amount,
	   sum(p.pipeline) AS pipeline, sum(p.revenue) AS revenue, sum(p.attributed_opportunities) AS opportunities
FROM attribution.channel_performance p GROUP BY p.model ORDER BY p.model;
-- costs are never double counted: every model sees each channel's spend once (1525.00 in all)
SELECT model, sum(cost) AS cost, count(*) FILTER (WHERE cost IS NOT NULL) AS channels_with_cost
FROM attribution.channel_performance GROUP BY model ORDER BY model;
SELECT sum(cost) FROM attribution.campaign_costs;

-- ---------------------------------------------------------------- campaign performance
SELECT * FROM attribution.campaign_performance WHERE model = 'linear'
ORDER BY attributed DESC, channel, campaign NULLS FIRST;
SELECT model, sum(pipeline) AS pipeline, sum(cost) AS cost FROM attribution.campaign_performance
GROUP BY model ORDER BY model;
-- per month: email's spend of January (20.00) meets its January touches, February's (5.00) its February ones
-- (each performance view rounds its rows to cents so that a model's rows add up exactly: O4's 100.01
-- in thirds gives 33.34, 33.34 and 33.33 here, the largest remainders, ties in channel order)
SELECT * FROM attribution.campaign_performance_monthly WHERE model = 'linear'
ORDER BY month, attributed DESC, channel, campaign NULLS FIRST;
SELECT model, sum(pipeline) AS pipeline, sum(cost) AS cost FROM attribution.campaign_performance_monthly
GROUP BY model ORDER BY model;

-- ---------------------------------------------------------------- models: a custom preset, a disabled one
INSERT INTO attribution.models (name, model, weights) VALUES ('late', 'custom', '{0,0,0,1,0,0}');
UPDATE attribution.models SET enabled = false WHERE model <> 'custom' AND name <> 'linear';
-- 'late' gives everything to the closed-won touch: 23 for O1 (01-15), 33 for O4; O2 is open: no
-- closed touch, so its share goes to every touch of the window (1/4 each)
SELECT model, opportunity_id, touchpoint_id, round(credit::numeric, 6) AS credit, pipeline_credit
FROM attribution.opportunity_touch_credits WHERE credit > 0 ORDER BY model, opportunity_id, touchpoint_id;
SELECT model, count(*) FROM attribution.channel_performance GROUP BY model ORDER BY model;

-- ---------------------------------------------------------------- parallel plans give the same answers
CREATE TEMP TABLE serial_touch AS SELECT * FROM attribution.opportunity_touch_credits;
CREATE TEMP TABLE serial_channel AS SELECT * FROM attribution.channel_performance;
CREATE TEMP TABLE serial_monthly AS SELECT * FROM attribution.campaign_performance_monthly;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE FUNCTION pg_temp.plan_mentions(query text, node text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	line text;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
		IF line LIKE '%' || node || '%' THEN
			RETURN true;
		END IF;
	END LOOP;
	RETURN false;
END
$$;
SELECT pg_temp.plan_mentions('SELECT * FROM attribution.opportunity_touch_credits', 'Gather') AS touch_parallel,
	   pg_temp.plan_mentions('SELECT * FROM attribution.channel_performance', 'Gather') AS channel_parallel;
SELECT (SELECT count(*) FROM (SELECT * FROM attribution.opportunity_touch_credits
							  EXCEPT ALL SELECT * FROM serial_touch) d) AS touch_differences,
	   (SELECT count(*) FROM (SELECT * FROM attribution.channel_performance
							  EXCEPT ALL SELECT * FROM serial_channel) d) AS channel_differences,
	   (SELECT count(*) FROM (SELECT * FROM attribution.campaign_performance_monthly
							  EXCEPT ALL SELECT * FROM serial_monthly) d) AS monthly_differences;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- ---------------------------------------------------------------- a filter on one opportunity reaches the tables' indexes
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM attribution.opportunity_touchpoints WHERE opportunity_id = 'O1';
RESET enable_seqscan;

-- ---------------------------------------------------------------- row-level security through every view
-- regress_attribution_a may see account A1, regress_attribution_b account A2; the policies are on the
-- tables, the views are security_invoker.
CREATE ROLE regress_attribution_a;
CREATE ROLE regress_attribution_b;
GRANT USAGE ON SCHEMA attribution TO regress_attribution_a, regress_attribution_b;
GRANT SELECT ON ALL TABLES IN SCHEMA attribution TO regress_attribution_a, regress_attribution_b;
CREATE TABLE public.account_access (role_name name, account_id text);
INSERT INTO public.account_access VALUES ('regress_attribution_a', 'A1'), ('regress_attribution_b', 'A2');
GRANT SELECT ON public.account_access TO regress_attribution_a, regress_attribution_b;
ALTER TABLE attribution.opportunities ENABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.touchpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.opportunity_contacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_account ON attribution.opportunities
	USING (account_id IN (SELECT account_id FROM public.account_access WHERE role_name = current_user));
CREATE POLICY by_account ON attribution.contacts
	USING (account_id IN (SELECT account_id FROM public.account_access WHERE role_name = current_user));
CREATE POLICY by_account ON attribution.touchpoints
	USING (contact_id IN (SELECT contact_id FROM attribution.contacts));
CREATE POLICY by_account ON attribution.opportunity_contacts
	USING (opportunity_id IN (SELECT opportunity_id FROM attribution.opportunities));
UPDATE attribution.models SET enabled = (name = 'linear');
SET ROLE regress_attribution_a;
SELECT DISTINCT opportunity_id FROM attribution.opportunity_touch_credits ORDER BY 1;
SELECT channel, pipeline, revenue FROM attribution.channel_performance ORDER BY channel;
SELECT sum(pipeline) AS pipeline, sum(revenue) AS revenue FROM attribution.campaign_performance;
SELECT sum(pipeline) AS pipeline FROM attribution.campaign_performance_monthly;
SELECT opportunity_id, touches FROM attribution.opportunity_journeys ORDER BY 1;
SET ROLE regress_attribution_b;
SELECT DISTINCT opportunity_id FROM attribution.opportunity_touch_credits ORDER BY 1;
SELECT channel, pipeline, revenue FROM attribution.channel_performance ORDER BY channel;
SELECT sum(pipeline) AS pipeline, sum(revenue) AS revenue FROM attribution.campaign_performance;
RESET ROLE;
SELECT sum(pipeline) AS pipeline, sum(revenue) AS revenue FROM attribution.campaign_performance;
DROP POLICY by_account ON attribution.opportunities;
DROP POLICY by_account ON attribution.contacts;
DROP POLICY by_account ON attribution.touchpoints;
DROP POLICY by_account ON attribution.opportunity_contacts;
ALTER TABLE attribution.opportunities DISABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.contacts DISABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.touchpoints DISABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.opportunity_contacts DISABLE ROW LEVEL SECURITY;
DROP TABLE public.account_access;
REVOKE ALL ON ALL TABLES IN SCHEMA attribution FROM regress_attribution_a, regress_attribution_b;
REVOKE ALL ON SCHEMA attribution FROM regress_attribution_a, regress_attribution_b;
DROP ROLE regress_attribution_a;
DROP ROLE regress_attribution_b;

-- ---------------------------------------------------------------- materialized copies
-- never in the extension's schema: by default <view>_materialized in the
-- first schema of the caller's search_path
CREATE SCHEMA reports;
SET search_path = reports, public;
SELECT attribution.materialize('channel_performance');
RESET search_path;
SELECT attribution.materialize('campaign_performance', 'public.campaign_report');
SELECT attribution.materialize('opportunity_touch_credits', 'public.touch_report');
SELECT attribution.materialize('models');
SELECT attribution.materialize('channel_performance', 'a.b.c');
SELECT attribution.materialize('channel_performance', 'reports.channel_performance_materialized');
-- the extension's schema is refused, however it is named
SELECT attribution.materialize('channel_performance', 'attribution.channel_copy');
SELECT attribution.materialize('channel_performance', 'ATTRIBUTION.channel_copy');
SET search_path = attribution, public;
SELECT attribution.materialize('channel_performance');
SELECT attribution.materialize('channel_performance', 'channel_copy');
SET search_path = no_such_schema;
SELECT attribution.materialize('channel_performance');
RESET search_path;
-- materialize_into(), the work of materialize() once the default schema is known
SELECT attribution.materialize_into('lead_sources', NULL, 'reports');
SELECT attribution.materialize_into('lead_sources', 'lead_sources_2', 'reports');
SELECT attribution.materialize_into('lead_sources', NULL, NULL);
SELECT attribution.materialize_into('lead_sources', NULL, 'attribution');
SELECT attribution.materialize_into('lead_sources', 'attribution.x', 'reports');
SELECT attribution.materialize_into('no_such_view', NULL, 'reports');
SELECT attribution.materialize_into(NULL, NULL, 'reports');
SELECT attribution.materialize_into('lead_sources', 'x.y.z', 'reports');
DROP MATERIALIZED VIEW reports.lead_sources_materialized, reports.lead_sources_2;
DELETE FROM attribution.materialized_views WHERE view_name = 'lead_sources';
SELECT count(*) AS copies_in_the_extension_schema FROM pg_class
WHERE relnamespace = 'attribution'::regnamespace AND relkind = 'm';
\d reports.channel_performance_materialized
SELECT (SELECT count(*) FROM reports.channel_performance_materialized) AS materialized,
	   (SELECT count(*) FROM attribution.channel_performance) AS computed;
-- new data shows after a (concurrent) refresh
INSERT INTO attribution.campaign_costs VALUES ('S1', 'paid_search', '2024-01-02', 50.00);
SELECT cost FROM reports.channel_performance_materialized WHERE channel = 'paid_search';
SELECT * FROM attribution.refresh_materialized();
SELECT cost FROM reports.channel_performance_materialized WHERE channel = 'paid_search';
SELECT * FROM attribution.refresh_materialized('public.campaign_report');
SELECT * FROM attribution.refresh_materialized('public.nothing');
DROP MATERIALIZED VIEW public.touch_report;
SELECT * FROM attribution.refresh_materialized();
SELECT matview, view_name, key_columns FROM attribution.materialized_views ORDER BY 1;

-- ---------------------------------------------------------------- a copy and row-level security
-- Two BI roles limited by policies to one account each, granted what the
-- documented recipe grants (the extension's own tables and views, by name):
-- each sees its account through the live view, and neither can read the
-- copy, which holds every account's rows.
CREATE ROLE regress_attribution_a;
CREATE ROLE regress_attribution_b;
GRANT USAGE ON SCHEMA attribution TO regress_attribution_a, regress_attribution_b;
DO $$
DECLARE
	r regclass;
BEGIN
	FOR r IN SELECT c.oid FROM pg_catalog.pg_class c
			 JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
			 JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
			 WHERE c.relkind IN ('r', 'p', 'v')
	LOOP
		EXECUTE pg_catalog.format('GRANT SELECT ON %s TO regress_attribution_a, regress_attribution_b', r);
	END LOOP;
END
$$;
CREATE TABLE public.account_access (role_name name, account_id text);
INSERT INTO public.account_access VALUES ('regress_attribution_a', 'A1'), ('regress_attribution_b', 'A2');
GRANT SELECT ON public.account_access TO regress_attribution_a, regress_attribution_b;
GRANT USAGE ON SCHEMA reports TO regress_attribution_a, regress_attribution_b;
ALTER TABLE attribution.opportunities ENABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.touchpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.opportunity_contacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_account ON attribution.opportunities
	USING (account_id IN (SELECT account_id FROM public.account_access WHERE role_name = current_user));
CREATE POLICY by_account ON attribution.contacts
	USING (account_id IN (SELECT account_id FROM public.account_access WHERE role_name = current_user));
CREATE POLICY by_account ON attribution.touchpoints
	USING (contact_id IN (SELECT contact_id FROM attribution.contacts));
CREATE POLICY by_account ON attribution.opportunity_contacts
	USING (opportunity_id IN (SELECT opportunity_id FROM attribution.opportunities));
-- the copy, refreshed by the superuser, holds both accounts
SELECT * FROM attribution.refresh_materialized('reports.channel_performance_materialized');
SELECT sum(pipeline) AS copy_pipeline FROM reports.channel_performance_materialized WHERE model = 'linear';
SET ROLE regress_attribution_a;
SELECT sum(pipeline) AS live_pipeline_a FROM attribution.channel_performance WHERE model = 'linear';
SELECT sum(pipeline) FROM reports.channel_performance_materialized;
SET ROLE regress_attribution_b;
SELECT sum(pipeline) AS live_pipeline_b FROM attribution.channel_performance WHERE model = 'linear';
SELECT sum(pipeline) FROM reports.channel_performance_materialized;
RESET ROLE;
-- what the recipe granted: nothing outside the extension's own relations
SELECT c.oid::regclass AS granted_outside_the_extension
FROM pg_class c
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND has_table_privilege('regress_attribution_a', c.oid, 'SELECT')
  AND c.relnamespace <> 'pg_catalog'::regnamespace AND c.relnamespace <> 'information_schema'::regnamespace
  AND c.oid <> 'public.account_access'::regclass
  AND NOT EXISTS (SELECT FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
				  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1::text;
DROP POLICY by_account ON attribution.opportunities;
DROP POLICY by_account ON attribution.contacts;
DROP POLICY by_account ON attribution.touchpoints;
DROP POLICY by_account ON attribution.opportunity_contacts;
ALTER TABLE attribution.opportunities DISABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.contacts DISABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.touchpoints DISABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.opportunity_contacts DISABLE ROW LEVEL SECURITY;
DROP TABLE public.account_access;
DROP OWNED BY regress_attribution_a, regress_attribution_b;
DROP ROLE regress_attribution_a;
DROP ROLE regress_attribution_b;

-- ---------------------------------------------------------------- clean up for the next tests
DROP MATERIALIZED VIEW public.campaign_report;
DROP SCHEMA reports CASCADE;
TRUNCATE attribution.materialized_views;
DELETE FROM attribution.models WHERE NOT builtin AND model = 'custom';
ALTER TABLE attribution.models DISABLE TRIGGER models_protect_builtin;
UPDATE attribution.models SET enabled = true, builtin = true;
ALTER TABLE attribution.models ENABLE TRIGGER models_protect_builtin;
TRUNCATE attribution.contacts, attribution.opportunities, attribution.campaign_costs CASCADE;
SELECT name, enabled, builtin FROM attribution.models ORDER BY name;
