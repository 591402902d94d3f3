-- The canonical tables of the reporting layer: constraints that reject bad
-- rows (and load nothing of the statement), upserts, the built-in rows of
-- models and waterfalls, and use_source() for your own tables.
SET timezone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never

-- ---------------------------------------------------------------- every table and column is commented
SELECT c.relname, a.attname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'attribution'
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'v')
  AND (obj_description(c.oid, 'pg_class') IS NULL
	   OR (a.attname IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL))
ORDER BY 1, 2;
-- every view runs with the rights of whoever queries it
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'attribution'
WHERE c.relkind = 'v' AND NOT coalesce(c.reloptions @> '{security_invoker=true}', false);
-- the tables pg_dump keeps, and what it keeps of them
SELECT c.relname, x.condition
FROM pg_extension e, unnest(e.extconfig, e.extcondition) x(oid, condition) JOIN pg_class c ON c.oid = x.oid
WHERE e.extname = 'attribution' ORDER BY 1;

-- Everything below runs in one transaction that is rolled back at the end,
-- so the next tests find the tables as installed; a failing statement only
-- undoes itself.
\set ON_ERROR_ROLLBACK on
BEGIN;

-- ---------------------------------------------------------------- a small valid data set
INSERT INTO attribution.contacts VALUES ('C1', 'A1', '2024-01-05'), ('C2', 'A1', '2024-01-03');
INSERT INTO attribution.opportunities VALUES ('O1', 'A1', '2024-01-10', '2024-01-20', true, 1000);
INSERT INTO attribution.opportunity_contacts VALUES ('O1', 'C1', 'champion'), ('O1', 'C2', 'influencer');
INSERT INTO attribution.touchpoints VALUES (11, 'C1', '2024-01-04', 'email', 'E1', false),
	(21, 'C2', '2024-01-02', 'paid_search', 'S1', NULL);
INSERT INTO attribution.campaign_costs VALUES ('E1', 'email', '2024-01-01', 10);

-- ---------------------------------------------------------------- bad rows are rejected, and nothing of the statement is loaded
-- unknown contact
INSERT INTO attribution.touchpoints VALUES (12, 'C1', '2024-01-06', 'web', NULL, false),
	(13, 'C9', '2024-01-07', 'web', NULL, false);
-- NULL channel, empty channel
INSERT INTO attribution.touchpoints VALUES (12, 'C1', '2024-01-06', 'web', NULL, false),
	(14, 'C1', '2024-01-07', NULL, NULL, false);
INSERT INTO attribution.touchpoints VALUES (14, 'C1', '2024-01-07', '', NULL, false);
INSERT INTO attribution.touchpoints VALUES (14, 'C1', '2024-01-07', 'web' || chr(31) || 'x', NULL, false);
-- infinite time
INSERT INTO attribution.touchpoints VALUES (14, 'C1', 'infinity', 'web', NULL, false);
SELECT count(*) AS touchpoints FROM attribution.touchpoints;
-- negative cost, NaN cost
INSERT INTO attribution.campaign_costs VALUES ('E1', 'email', '2024-01-02', 5), ('E1', 'email', '2024-01-03', -5);
INSERT INTO attribution.campaign_costs VALUES ('E1', 'email', '2024-01-03', 'NaN');
SELECT count(*) AS cost_rows FROM attribution.campaign_costs;
-- close before create, won without a close, negative amount
INSERT INTO attribution.opportunities VALUES ('O2', 'A1', '2024-02-10', '2024-02-01', false, 10);
INSERT INTO attribution.opportunities VALUES ('O2', 'A1', '2024-02-10', NULL, true, 10);
INSERT INTO attribution.opportunities VALUES ('O2', 'A1', '2024-02-10', NULL, false, -10);
-- opportunity contact of an unknown opportunity or contact
INSERT INTO attribution.opportunity_contacts VALUES ('O9', 'C1', 'champion');
INSERT INTO attribution.opportunity_contacts VALUES ('O1', 'C9', 'champion');
-- contact without account, NULL lead time
INSERT INTO attribution.contacts VALUES ('C3', NULL, '2024-01-01');
INSERT INTO attribution.contacts VALUES ('C3', 'A1', NULL);
-- COPY with one bad row loads nothing
COPY attribution.touchpoints FROM stdin;
15	C1	2024-01-08 00:00:00+00	web	\N	f
16	C7	2024-01-09 00:00:00+00	web	\N	f
\.
SELECT count(*) AS touchpoints FROM attribution.touchpoints;
-- duplicate key
INSERT INTO attribution.touchpoints VALUES (11, 'C1', '2024-01-04', 'email', 'E1', false);

-- ---------------------------------------------------------------- INSERT ... ON CONFLICT upserts
INSERT INTO attribution.touchpoints VALUES (11, 'C1', '2024-01-04 12:00', 'webinar', 'W1', false),
	(12, 'C1', '2024-01-06', 'web', NULL, NULL)
ON CONFLICT (touchpoint_id) DO UPDATE
	SET touched_at = excluded.touched_at, channel = excluded.channel, campaign = excluded.campaign;
SELECT * FROM attribution.touchpoints ORDER BY touchpoint_id;
INSERT INTO attribution.campaign_costs VALUES ('E1', 'email', '2024-01-01', 12.5), ('E1', 'email', '2024-01-02', 3)
ON CONFLICT (campaign, channel, spent_on) DO UPDATE SET cost = excluded.cost;
SELECT * FROM attribution.campaign_costs ORDER BY spent_on;
INSERT INTO attribution.opportunities VALUES ('O1', 'A1', '2024-01-10', '2024-01-21', true, 1200.5)
ON CONFLICT (opportunity_id) DO UPDATE SET closed_at = excluded.closed_at, amount = excluded.amount;
-- the constraints hold on the update path too
INSERT INTO attribution.opportunities VALUES ('O1', 'A1', '2024-01-10', '2024-01-01', true, 1200.5)
ON CONFLICT (opportunity_id) DO UPDATE SET closed_at = excluded.closed_at;
SELECT * FROM attribution.opportunities;
INSERT INTO attribution.stage_events VALUES ('C1', 'mql', '2024-01-06', 'default', NULL)
ON CONFLICT ON CONSTRAINT stage_events_pkey DO NOTHING;
INSERT INTO attribution.stage_events VALUES ('C1', 'mql', '2024-01-06', 'default', 'webinar attendee')
ON CONFLICT ON CONSTRAINT stage_events_pkey DO UPDATE SET reason = excluded.reason;
SELECT * FROM attribution.stage_events;
-- amounts and costs are kept in cents
INSERT INTO attribution.campaign_costs VALUES ('E1', 'email', '2024-01-03', 0.005);
SELECT cost FROM attribution.campaign_costs WHERE spent_on = '2024-01-03';

-- ---------------------------------------------------------------- stage events and targets follow the waterfall
INSERT INTO attribution.stage_events VALUES ('C1', 'hot_lead', '2024-01-07', 'default', NULL);
INSERT INTO attribution.stage_events VALUES ('C1', 'mql', '2024-01-07', 'nowhere', NULL);
INSERT INTO attribution.stage_events VALUES ('C1', 'disqualified', '2024-01-08', 'default', '');
INSERT INTO attribution.stage_targets VALUES ('default', '2024-01-15', 'mql', 10, 'month');
INSERT INTO attribution.stage_targets VALUES ('default', '2024-02-01', 'mql', 10, 'quarter');
INSERT INTO attribution.stage_targets VALUES ('default', '2024-01-01', 'mql', -1, 'month');
INSERT INTO attribution.stage_targets VALUES ('default', '2024-01-01', 'mql', 10, 'week');
INSERT INTO attribution.stage_targets VALUES ('default', '2024-04-01', 'mql', 30, 'quarter'),
	('default', '2024-01-01', 'mql', 10, 'month');
SELECT * FROM attribution.stage_targets ORDER BY period;

-- ---------------------------------------------------------------- models
SELECT name, model, half_life, weights, lookback, enabled, builtin FROM attribution.models ORDER BY name;
-- invalid presets get the model core's own errors
INSERT INTO attribution.models (name, model) VALUES ('mine', 'nine_shaped');
INSERT INTO attribution.models (name, model, weights) VALUES ('mine', 'custom', '{0.5,0.5,0.5,0,0,0}');
INSERT INTO attribution.models (name, model) VALUES ('mine', 'custom');
INSERT INTO attribution.models (name, model, weights) VALUES ('mine', 'linear', '{1,0,0,0,0,0}');
INSERT INTO attribution.models (name, model, half_life) VALUES ('mine', 'time_decay', '-1 day');
INSERT INTO attribution.models (name, model, lookback) VALUES ('mine', 'linear', '0 days');
INSERT INTO attribution.models (name, model) VALUES ('mine', 'Linear');
INSERT INTO attribution.models (name, model) VALUES ('', 'linear');
-- a user preset; it cannot pretend to be built in
INSERT INTO attribution.models (name, model, weights, builtin, description)
VALUES ('sales_led', 'custom', '{0.1,0.15,0.25,0.3,0.1,0.1}', true, 'mostly the late milestones');
-- changing a built-in row makes it a user row (so pg_dump keeps the change)
UPDATE attribution.models SET enabled = false WHERE name = 'inverse_j';
-- inserting a row with a built-in name replaces the built-in row (this is how a restore brings a change back)
INSERT INTO attribution.models (name, model, half_life) VALUES ('time_decay', 'time_decay', '14 days');
-- built-in rows cannot be deleted; user rows can
DELETE FROM attribution.models WHERE name = 'linear';
SELECT name, model, half_life, weights, enabled, builtin FROM attribution.models
WHERE name IN ('sales_led', 'inverse_j', 'time_decay', 'linear') ORDER BY name;
-- what pg_dump would keep
SELECT name FROM attribution.models WHERE NOT builtin ORDER BY name;

-- ---------------------------------------------------------------- waterfalls
SELECT name, ladder, exits, unit, builtin FROM attribution.waterfalls;
SELECT * FROM attribution.waterfall_stages ORDER BY waterfall, rank;
INSERT INTO attribution.waterfalls (name, ladder) VALUES ('bad', '{lead,mql,lead}');
INSERT INTO attribution.waterfalls (name, ladder, exits) VALUES ('bad', '{lead,mql}', '{mql}');
INSERT INTO attribution.waterfalls (name, ladder) VALUES ('bad', '{}');
INSERT INTO attribution.waterfalls (name, ladder) VALUES ('bad', '{lead,NULL}');
INSERT INTO attribution.waterfalls (name, ladder) VALUES ('bad', '{lead}');
INSERT INTO attribution.waterfalls (name, ladder) VALUES ('bad', ARRAY['lead', repeat('x', 256)]);
INSERT INTO attribution.waterfalls (name, ladder) SELECT 'bad', array_agg('s' || i) FROM generate_series(1, 101) i;
INSERT INTO attribution.waterfalls (name, ladder, unit) VALUES ('bad', '{lead,won}', 'planet');
INSERT INTO attribution.waterfalls (name, ladder, exits, unit) VALUES ('accounts', '{target,engaged,opportunity,customer}', '{churned}', 'account');
SELECT * FROM attribution.waterfall_stages WHERE waterfall = 'accounts' ORDER BY rank;
INSERT INTO attribution.stage_events VALUES ('A1', 'engaged', '2024-01-05', 'accounts', NULL);
-- a stage in use cannot disappear from the ladder; others can change
UPDATE attribution.waterfalls SET ladder = '{target,opportunity,customer}' WHERE name = 'accounts';
UPDATE attribution.waterfalls SET ladder = '{target,engaged,qualified,opportunity,customer}' WHERE name = 'accounts';
SELECT * FROM attribution.waterfall_stages WHERE waterfall = 'accounts' ORDER BY rank;
UPDATE attribution.waterfalls SET name = 'accounts2' WHERE name = 'accounts';
DELETE FROM attribution.waterfalls WHERE name = 'default';
DELETE FROM attribution.waterfalls WHERE name = 'accounts';
DELETE FROM attribution.stage_events WHERE waterfall = 'accounts';
DELETE FROM attribution.waterfalls WHERE name = 'accounts';
SELECT count(*) FROM attribution.waterfall_stages WHERE waterfall = 'accounts';

-- ---------------------------------------------------------------- use_source(): bring your own tables
SELECT kind, column_name, data_type, required, default_value FROM attribution.source_columns ORDER BY kind, position;
CREATE SCHEMA crm;
CREATE TABLE crm.activity (activity_id integer, person varchar(20), happened_at timestamptz, source text,
	utm_campaign text, happened_local timestamp);
INSERT INTO crm.activity VALUES (1, 'C1', '2024-01-09', 'events', 'V1', '2024-01-09'),
	(2, 'C2', '2024-01-11', 'direct', NULL, '2024-01-11');
-- missing and mistyped columns are named
SELECT attribution.use_source('touchpoints', 'crm.activity');
CREATE VIEW crm.touches AS
SELECT activity_id AS touchpoint_id, person AS contact_id, happened_local AS touched_at, source AS channel
FROM crm.activity;
SELECT attribution.use_source('touchpoints', 'crm.touches');
DROP VIEW crm.touches;
CREATE VIEW crm.touches AS
SELECT activity_id AS touchpoint_id, person AS contact_id, happened_local::date AS touched_at, source AS channel
FROM crm.activity;
SELECT attribution.use_source('touchpoints', 'crm.touches');
CREATE DOMAIN crm.money_amount AS numeric(12,2);
CREATE TABLE crm.costs (campaign text, channel text, spent_on date, cost crm.money_amount, cost_text text);
SELECT attribution.use_source('campaign_costs', 'crm.costs');
CREATE TABLE crm.bad_costs (campaign text, channel text, spent_on date, cost text);
SELECT attribution.use_source('campaign_costs', 'crm.bad_costs');
-- unknown kinds and relations, NULL kind, the extension's own relations
SELECT attribution.use_source('leads', 'crm.touches');
SELECT attribution.use_source(NULL, 'crm.touches');
SELECT attribution.use_source('touchpoints', 'crm.nothing');
SELECT attribution.use_source('touchpoints', 'attribution.opportunity_touchpoints');
SELECT attribution.use_source('touchpoints', 'crm.money_amount');
-- a view with the expected columns (integer ids and varchar are cast; optional columns may be missing)
DROP VIEW crm.touches;
CREATE VIEW crm.touches AS
SELECT activity_id AS touchpoint_id, person AS contact_id, happened_at AS touched_at, source AS channel
FROM crm.activity;
SELECT attribution.use_source('touchpoints', 'crm.touches');
SELECT * FROM attribution.sources;
SELECT * FROM attribution.source_touchpoints() ORDER BY touchpoint_id;
SELECT opportunity_id, touchpoint_id, channel, campaign, is_direct FROM attribution.opportunity_touchpoints ORDER BY 2;
-- dropping your relation does not drop the extension; the views then fail until the source is reset
DROP VIEW crm.touches;
SELECT count(*) FROM attribution.opportunity_touchpoints;
SELECT attribution.use_source('touchpoints', NULL);
SELECT * FROM attribution.sources;
SELECT opportunity_id, touchpoint_id, channel, campaign, is_direct FROM attribution.opportunity_touchpoints ORDER BY 2;
-- naming the built-in table is the same as NULL
SELECT attribution.use_source('campaign_costs', 'crm.costs');
SELECT * FROM attribution.sources;
SELECT attribution.use_source('campaign_costs', 'attribution.campaign_costs');
SELECT * FROM attribution.sources;
-- the name is resolved on the caller's search_path, the rest runs with a pinned one
SET search_path = crm, public;
SELECT attribution.use_source('campaign_costs', 'costs');
SELECT * FROM attribution.sources;
RESET search_path;
-- switch_source(), the work of use_source() once the name is resolved
SELECT attribution.switch_source('campaign_costs', NULL, NULL);
SELECT attribution.switch_source('campaign_costs', 'costs', 'crm.costs'::regclass);
SELECT * FROM attribution.sources;
SELECT attribution.switch_source('campaign_costs', 'attribution.campaign_costs', 'attribution.campaign_costs'::regclass);
SELECT attribution.switch_source('campaign_costs', 'crm.nothing', NULL);
SELECT attribution.switch_source('campaign_costs', 'bad_costs', 'crm.bad_costs'::regclass);
CREATE SEQUENCE crm.ids;
SELECT attribution.switch_source('campaign_costs', 'ids', 'crm.ids'::regclass);
DROP SEQUENCE crm.ids;
SELECT attribution.switch_source(NULL, 'costs', 'crm.costs'::regclass);
SELECT attribution.switch_source('leads', NULL, NULL);
SELECT * FROM attribution.sources;
-- only the owner of the source functions can switch sources
CREATE ROLE regress_attribution_etl;
GRANT USAGE ON SCHEMA attribution, crm TO regress_attribution_etl;
GRANT SELECT, INSERT, UPDATE, DELETE ON attribution.sources TO regress_attribution_etl;
GRANT SELECT ON crm.costs TO regress_attribution_etl;
SET ROLE regress_attribution_etl;
SELECT attribution.use_source('campaign_costs', 'crm.costs');
RESET ROLE;
SELECT * FROM attribution.sources;
REVOKE ALL ON SCHEMA attribution, crm FROM regress_attribution_etl;
REVOKE ALL ON attribution.sources FROM regress_attribution_etl;
REVOKE ALL ON crm.costs FROM regress_attribution_etl;
DROP ROLE regress_attribution_etl;

ROLLBACK;
SELECT count(*) FROM attribution.models WHERE NOT builtin;
SELECT count(*) FROM attribution.sources;
