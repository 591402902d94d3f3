-- What test/lookalikes.sh runs twice: once with a clean search_path (to
-- record the operators and functions the plans use) and once as a superuser
-- with search_path = public, pg_catalog, attribution and a look-alike in
-- public of each of them.  It calls every SQL and PL/pgSQL function of the
-- extension (the views and the source functions are read from lists the
-- script derives from the catalog and appends), their error paths included;
-- errors do not stop it (the script compares the errors of the two runs).
--
-- The statements here must not themselves use an unqualified operator,
-- function or type name that a look-alike could capture: their operators
-- are written OPERATOR(pg_catalog.=), their types pg_catalog.text, and they
-- call the extension's functions by their schema-qualified names.

-- configuration rows: their check constraints and triggers call the extension
SELECT attribution.check_model('linear', '7 days', NULL, NULL);
SELECT attribution.check_model('custom', '7 days', '{0.1,0.2,0.3,0.1,0.2,0.1}', '30 days');
SELECT attribution.check_model('no_such_model', '7 days', NULL, NULL);
SELECT attribution.check_ladder('{inquiry,mql,won}', '{lost}');
SELECT attribution.check_ladder('{inquiry}', '{lost}');
SELECT attribution.check_ladder('{inquiry,mql,inquiry}', '{lost}');
SELECT attribution.check_ladder('{inquiry,""}', '{lost}');
SELECT table_name, rows_loaded FROM attribution.generate_demo_data(40, 7);
SELECT table_name, rows_loaded FROM attribution.generate_demo_data(40, 7);
SELECT table_name, rows_loaded FROM attribution.generate_demo_data(0, 7);
SELECT table_name, rows_loaded FROM attribution.generate_demo_data(NULL, 7);
INSERT INTO attribution.models (name, model, weights) VALUES ('lookalike_custom', 'custom', '{.1,.2,.3,.1,.2,.1}');
INSERT INTO attribution.models (name, model, half_life) VALUES ('lookalike_decay', 'time_decay', '3 days');
INSERT INTO attribution.models (name, model, half_life) VALUES ('linear', 'linear', '7 days');
UPDATE attribution.models SET half_life = '5 days' WHERE name OPERATOR(pg_catalog.=) 'time_decay';
DELETE FROM attribution.models WHERE name OPERATOR(pg_catalog.=) 'first_touch';
DELETE FROM attribution.models WHERE name OPERATOR(pg_catalog.=) 'lookalike_decay';
INSERT INTO attribution.waterfalls (name, ladder, exits, unit) VALUES ('lookalike_accounts', '{target,engaged,won}', '{churned}', 'account');
UPDATE attribution.waterfalls SET ladder = '{target,engaged,committed,won}' WHERE name OPERATOR(pg_catalog.=) 'lookalike_accounts';
UPDATE attribution.waterfalls SET name = 'renamed' WHERE name OPERATOR(pg_catalog.=) 'lookalike_accounts';
INSERT INTO attribution.waterfalls (name, ladder, exits) VALUES ('default', '{inquiry,mql,sal,sql,opportunity,won}', '{disqualified,lost}');
DELETE FROM attribution.waterfalls WHERE name OPERATOR(pg_catalog.=) 'default';
INSERT INTO attribution.stage_events (unit_id, stage, entered_at, waterfall) VALUES
	('acct1', 'target', '2024-02-01 00:00:00+00', 'lookalike_accounts'),
	('acct1', 'engaged', '2024-03-01 00:00:00+00', 'lookalike_accounts');
INSERT INTO attribution.stage_targets (waterfall, period, stage, target) VALUES ('default', '2025-01-01', 'mql', 10);

-- the small SQL functions, directly
SELECT attribution.demo_uniform(42, 7, 3);
SELECT attribution.touch_key_part('n2024-03' OPERATOR(pg_catalog.||) pg_catalog.chr(30) OPERATOR(pg_catalog.||) 'email'
	OPERATOR(pg_catalog.||) pg_catalog.chr(31) OPERATOR(pg_catalog.||) 'spring', p)
FROM pg_catalog.unnest('{month,channel,campaign,direct,other}'::pg_catalog.text[]) p;
SELECT attribution.unknown_waterfall('nowhere');

-- sources of one's own: resolved on the caller's search_path, cast where needed
CREATE TABLE public.lookalike_touches (touchpoint_id integer, contact_id character varying(40),
	touched_at timestamp with time zone, channel pg_catalog.text);
INSERT INTO public.lookalike_touches SELECT t.touchpoint_id::pg_catalog.int4, t.contact_id, t.touched_at, t.channel
FROM attribution.touchpoints t;
CREATE VIEW public.lookalike_naive AS SELECT touchpoint_id, contact_id, touched_at::timestamp without time zone AS touched_at,
	channel FROM attribution.touchpoints;
CREATE SEQUENCE public.lookalike_sequence;
CREATE TABLE public.lookalike_costs (campaign pg_catalog.text, channel pg_catalog.text, spent_on pg_catalog.date,
	cost integer);
SELECT attribution.use_source('touchpoints', 'lookalike_touches');
SELECT attribution.use_source('touchpoints', 'public.lookalike_touches');
SELECT attribution.use_source('campaign_costs', 'lookalike_costs');
SELECT attribution.use_source('touchpoints', 'lookalike_naive');
SELECT attribution.use_source('touchpoints', 'lookalike_sequence');
SELECT attribution.use_source('touchpoints', 'lookalike_nothing');
SELECT attribution.use_source('touchpoints', 'attribution.opportunity_touchpoints');
SELECT attribution.use_source('contacts', 'lookalike_touches');
SELECT attribution.use_source('leads', 'lookalike_touches');
SELECT attribution.use_source(NULL, 'lookalike_touches');
SELECT attribution.source_query('touchpoints', 'public.lookalike_touches');
SELECT attribution.source_query('touchpoints', NULL);
SELECT attribution.source_apply('campaign_costs', 'public.lookalike_costs');
UPDATE attribution.sources SET relation = 'public.lookalike_costs' WHERE kind OPERATOR(pg_catalog.=) 'campaign_costs';
SELECT touchpoint_id, contact_id, touched_at, channel, campaign, is_direct FROM attribution.source_touchpoints();
SELECT campaign, channel, spent_on, cost FROM attribution.source_campaign_costs();

-- materialized copies: names resolved on the caller's search_path
SELECT attribution.materialize('channel_performance', 'public.lookalike_channels');
SELECT attribution.materialize('lead_quality', 'lookalike_leads');
SELECT attribution.materialize('waterfall_leakage');
SELECT attribution.materialize('waterfall_leakage', 'attribution.lookalike_leakage');
SELECT attribution.materialize('waterfall_leakage', 'a.b.c');
SELECT attribution.materialize('no_such_view');
SELECT materialized_view, refreshed FROM attribution.refresh_materialized();
SELECT materialized_view, refreshed FROM attribution.refresh_materialized('public.lookalike_channels');
SELECT materialized_view, refreshed FROM attribution.refresh_materialized('public.nothing');

-- the lists and checks for BI tools, and publishing
SELECT attribution.known_model('w_shaped');
SELECT attribution.known_model('W-shaped');
SELECT attribution.known_waterfall('default');
SELECT attribution.known_waterfall('nowhere');
SELECT attribution.known_stage('default', 'mql');
SELECT attribution.known_stage('default', 'nothing');
SELECT attribution.check_setting('reporting_time_zone', 'UTC');
SELECT attribution.check_setting('reporting_time_zone', 'Nowhere/Nothing');
UPDATE attribution.settings SET value = 'Europe/Berlin' WHERE name OPERATOR(pg_catalog.=) 'reporting_time_zone';
UPDATE attribution.settings SET value = 'UTC' WHERE name OPERATOR(pg_catalog.=) 'reporting_time_zone';
SELECT * FROM attribution.check_sources();
SELECT * FROM attribution.publish('lookalike_published', NULL, '{channel_performance,waterfall_velocity}');
SELECT * FROM lookalike_published.channel_performance;
SELECT * FROM attribution.publish('attribution', NULL);

-- maintained performance totals: triggers, refresh, noted changes
SELECT attribution.use_source('touchpoints', NULL);
SELECT attribution.use_source('campaign_costs', NULL);
SELECT * FROM attribution.maintain_performance();
INSERT INTO attribution.touchpoints (touchpoint_id, contact_id, touched_at, channel)
SELECT 990000001, contact_id, touched_at, 'email' FROM attribution.touchpoints ORDER BY touchpoint_id LIMIT 1;
UPDATE attribution.touchpoints SET channel = 'webinar' WHERE touchpoint_id OPERATOR(pg_catalog.=) 990000001;
DELETE FROM attribution.touchpoints WHERE touchpoint_id OPERATOR(pg_catalog.=) 990000001;
UPDATE attribution.opportunities SET amount = amount WHERE opportunity_id OPERATOR(pg_catalog.=) (SELECT min(opportunity_id) FROM attribution.opportunities);
SELECT attribution.note_changes(ARRAY['lookalike_opportunity'], ARRAY['lookalike_contact']);
SELECT * FROM attribution.refresh_performance();
SELECT * FROM attribution.refresh_performance(true);
SELECT * FROM attribution.channel_performance;
SELECT * FROM attribution.maintain_performance(false);
