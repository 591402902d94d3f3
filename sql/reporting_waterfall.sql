-- The demand waterfall views: cohorts, flow by month, velocity, leakage,
-- plan against actual and lead quality, on four leads whose every number
-- is worked out by hand in the comments.
SET timezone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never

INSERT INTO attribution.contacts VALUES
	('L1', 'A1', '2024-01-05'), ('L2', 'A1', '2024-01-20'), ('L3', 'A2', '2024-02-03'), ('L4', 'A2', '2024-02-10');
-- lead sources (the last touch at or before the lead's creation): L1 and L4 paid_social PS1,
-- L2 webinar W1 (a touch at the very time counts), L3 none (its only touch came after)
INSERT INTO attribution.touchpoints VALUES
	(101, 'L1', '2024-01-02', 'paid_social', 'PS1', false), (102, 'L1', '2024-01-10', 'email', 'E1', false),
	(201, 'L2', '2024-01-20', 'webinar', 'W1', false), (301, 'L3', '2024-02-05', 'email', 'E1', false),
	(401, 'L4', '2024-02-01', 'paid_social', 'PS1', false);
-- L1: accepted by sales, sent back to nurture (recycled from sal), qualified again, won.
-- L2: qualified, then disqualified.  L3: straight to sql (mql and sal inferred), opportunity, lost.
-- L4: accepted, still at sal.
INSERT INTO attribution.stage_events (unit_id, stage, entered_at, reason) VALUES
	('L1', 'inquiry', '2024-01-05', NULL), ('L1', 'mql', '2024-01-08', NULL), ('L1', 'sal', '2024-01-10', NULL),
	('L1', 'inquiry', '2024-01-25', 'not sales ready'), ('L1', 'mql', '2024-02-10', NULL),
	('L1', 'sal', '2024-02-12', NULL), ('L1', 'sql', '2024-02-20', NULL), ('L1', 'opportunity', '2024-03-01', NULL),
	('L1', 'won', '2024-04-15', NULL),
	('L2', 'inquiry', '2024-01-20', NULL), ('L2', 'mql', '2024-01-22', NULL),
	('L2', 'disqualified', '2024-01-24', 'wrong persona'),
	('L3', 'inquiry', '2024-02-03', NULL), ('L3', 'sql', '2024-02-10', NULL), ('L3', 'opportunity', '2024-02-20', NULL),
	('L3', 'lost', '2024-03-30', 'no budget'),
	('L4', 'inquiry', '2024-02-10', NULL), ('L4', 'mql', '2024-02-12', NULL), ('L4', 'sal', '2024-02-14', NULL);
-- an account waterfall beside it: its units are not leads
INSERT INTO attribution.waterfalls (name, ladder, exits, unit)
VALUES ('accounts', '{target,engaged,customer}', '{churned}', 'account');
INSERT INTO attribution.stage_events (unit_id, stage, entered_at, waterfall) VALUES
	('A1', 'target', '2024-01-01', 'accounts'), ('A1', 'engaged', '2024-01-05', 'accounts'),
	('A1', 'customer', '2024-04-15', 'accounts'), ('A2', 'engaged', '2024-02-03', 'accounts');

SELECT waterfall, unit_id, first_reached_at, current_stage, furthest_stage
FROM attribution.stage_histories ORDER BY waterfall, unit_id;

-- ---------------------------------------------------------------- cohorts
-- January (L1, L2): inquiry 2 -> 2 advanced; mql 2 -> 1 (L2 disqualified there); sal 1 (L1, recycled
-- from sal once) -> 1; sql, opportunity, won 1.  Days to next: inquiry 3 and 2 (median 2.5), mql 2,
-- sal 41 (01-10 to 02-20), sql 10, opportunity 45.
-- February (L3, L4): inquiry 2 -> 2; mql 2 (L3 inferred) -> 2; sal 2 -> 1 (L4 still there);
-- sql 1 -> 1; opportunity 1 -> 0 (L3 lost); won 0.  Days: inquiry 7 and 2, mql 0 and 2, sal 0, sql 10.
-- As of the last event (04-15): the January cohort is 105 days old, February 74.
SELECT * FROM attribution.waterfall_cohorts WHERE waterfall = 'default' ORDER BY cohort, stage_rank;
SELECT waterfall, cohort, stage, reached, advanced, cohort_age_days FROM attribution.waterfall_cohorts
WHERE waterfall = 'accounts' ORDER BY cohort, stage_rank;

-- ---------------------------------------------------------------- flow by month (first reach, inferred)
-- January: inquiry 2, mql 2, sal 1; February: inquiry 2, mql 2 (L3 inferred), sal 2, sql 2 (L1, L3),
-- opportunity 1 (L3); March: opportunity 1 (L1); April: won 1.  A month without entries into the
-- stage before has no ratio.
SELECT * FROM attribution.waterfall_flow WHERE waterfall = 'default' ORDER BY month, stage_rank;

-- ---------------------------------------------------------------- velocity and leakage over all leads
-- inquiry: days 3, 2, 7, 2: median 2.5, p90 5.8 (as percentile_cont); mql: 2, 0, 2; sal: 41, 0: median
-- 20.5, p90 36.9; sql: 10, 10; opportunity: 45 (percentiles within 0.5%: 41.2 for 41, 20.6 for 20.5).
SELECT * FROM attribution.waterfall_velocity WHERE waterfall = 'default' ORDER BY stage_rank;
SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY d) AS p90_inquiry FROM unnest('{3,2,7,2}'::float8[]) d;
-- mql: L2 disqualified; sal: L1 recycled, L4 still open; opportunity: L3 lost
SELECT * FROM attribution.waterfall_leakage ORDER BY waterfall, stage_rank;

-- ---------------------------------------------------------------- plan against actual
INSERT INTO attribution.stage_targets (waterfall, period, stage, target, grain) VALUES
	('default', '2024-01-01', 'inquiry', 3, 'month'),		-- actual 2 (L1, L2)
	('default', '2024-02-01', 'mql', 2, 'month'),			-- actual 2 (L3 inferred, L4)
	('default', '2024-01-01', 'sql', 1, 'quarter'),			-- actual 2 (L1, L3)
	('default', '2024-01-01', 'disqualified', 0, 'month'),	-- actual 1 (L2): no attainment for a target of 0
	('default', '2024-04-01', 'won', 2, 'month'),			-- actual 1 (L1), the month is not over
	('accounts', '2024-01-01', 'customer', 1, 'year');		-- actual 1
SELECT * FROM attribution.plan_vs_actual ORDER BY waterfall, period, stage_rank;

-- ---------------------------------------------------------------- lead quality by source
-- paid_social PS1 (L1, L4): 2 qualified, 2 accepted, 1 recycled; webinar W1 (L2): qualified, not
-- accepted, disqualified; no source (L3): qualified and accepted (inferred), lost (not disqualified).
SELECT * FROM attribution.lead_sources ORDER BY contact_id;
SELECT * FROM attribution.lead_quality ORDER BY source_channel NULLS LAST, source_campaign;
SELECT * FROM attribution.lead_feedback ORDER BY source_channel NULLS LAST, stage, reason;

-- ---------------------------------------------------------------- row-level security through the waterfall views
-- regress_attribution_a may see account A1 (leads L1, L2), regress_attribution_b account A2 (L3, L4)
CREATE ROLE regress_attribution_a;
CREATE ROLE regress_attribution_b;
GRANT USAGE ON SCHEMA attribution TO regress_attribution_a, regress_attribution_b;
GRANT SELECT ON ALL TABLES IN SCHEMA attribution TO regress_attribution_a, regress_attribution_b;
CREATE TABLE public.account_access (role_name name, account_id text);
INSERT INTO public.account_access VALUES ('regress_attribution_a', 'A1'), ('regress_attribution_b', 'A2');
GRANT SELECT ON public.account_access TO regress_attribution_a, regress_attribution_b;
ALTER TABLE attribution.contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.touchpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.stage_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY by_account ON attribution.contacts
	USING (account_id IN (SELECT account_id FROM public.account_access WHERE role_name = current_user));
CREATE POLICY by_account ON attribution.touchpoints
	USING (contact_id IN (SELECT contact_id FROM attribution.contacts));
CREATE POLICY by_account ON attribution.stage_events
	USING (unit_id IN (SELECT contact_id FROM attribution.contacts)
		   OR unit_id IN (SELECT account_id FROM public.account_access WHERE role_name = current_user));
SET ROLE regress_attribution_a;
SELECT waterfall, cohort, stage, reached FROM attribution.waterfall_cohorts WHERE stage_rank <= 2 ORDER BY 1, 2, 3;
SELECT stage, reached, advanced FROM attribution.waterfall_velocity WHERE waterfall = 'default' ORDER BY stage_rank;
SELECT source_channel, leads, qualified, accepted, disqualified, top_rejection_reasons, top_lost_reasons
FROM attribution.lead_quality
ORDER BY source_channel;
SELECT period, stage, target, actual FROM attribution.plan_vs_actual ORDER BY waterfall, period, stage_rank;
SET ROLE regress_attribution_b;
SELECT waterfall, cohort, stage, reached FROM attribution.waterfall_cohorts WHERE stage_rank <= 2 ORDER BY 1, 2, 3;
SELECT stage, reached, disqualified, lost, still_open FROM attribution.waterfall_leakage
WHERE waterfall = 'default' ORDER BY stage_rank;
SELECT source_channel, leads, qualified, accepted, disqualified, top_rejection_reasons, top_lost_reasons
FROM attribution.lead_quality
ORDER BY source_channel NULLS LAST;
RESET ROLE;
DROP POLICY by_account ON attribution.contacts;
DROP POLICY by_account ON attribution.touchpoints;
DROP POLICY by_account ON attribution.stage_events;
ALTER TABLE attribution.contacts DISABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.touchpoints DISABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.stage_events DISABLE ROW LEVEL SECURITY;
DROP TABLE public.account_access;
REVOKE ALL ON ALL TABLES IN SCHEMA attribution FROM regress_attribution_a, regress_attribution_b;
REVOKE ALL ON SCHEMA attribution FROM regress_attribution_a, regress_attribution_b;
DROP ROLE regress_attribution_a;
DROP ROLE regress_attribution_b;

-- ---------------------------------------------------------------- stage events of your own
CREATE SCHEMA crm;
CREATE TABLE crm.lifecycle (lead text, status text, changed timestamptz, pipeline text, why text);
INSERT INTO crm.lifecycle VALUES ('X1', 'inquiry', '2024-05-01', 'default', NULL),
	('X1', 'mql', '2024-05-03', 'default', NULL), ('X2', 'inquiry', '2024-05-02', 'default', NULL);
CREATE VIEW crm.stage_events AS
SELECT lead AS unit_id, status AS stage, changed AS entered_at, pipeline AS waterfall, why AS reason FROM crm.lifecycle;
SELECT attribution.use_source('stage_events', 'crm.stage_events');
SELECT * FROM attribution.waterfall_velocity ORDER BY stage_rank;
-- events of a waterfall that does not exist, or of a stage its ladder does not have
INSERT INTO crm.lifecycle VALUES ('X3', 'inquiry', '2024-05-04', 'partners', NULL);
SELECT unit_id, current_stage FROM attribution.stage_histories ORDER BY unit_id;
DELETE FROM crm.lifecycle WHERE lead = 'X3';
INSERT INTO crm.lifecycle VALUES ('X3', 'hot', '2024-05-04', 'default', NULL);
SELECT unit_id, current_stage FROM attribution.stage_histories ORDER BY unit_id;
SELECT attribution.use_source('stage_events', NULL);
DROP SCHEMA crm CASCADE;

-- ---------------------------------------------------------------- clean up for the next tests
TRUNCATE attribution.contacts, attribution.stage_events, attribution.stage_targets CASCADE;
DELETE FROM attribution.waterfalls WHERE name = 'accounts';
