-- Scale-out: the source views the reporting views read, direct sources,
-- the guard against cascades that would drop the extension, and
-- distribute() (which needs Citus; test/citus.sh runs it on a cluster).
SET client_min_messages = warning;

-- ---------------------------------------------------------------- the source views
-- every reporting view reads the source views, none reads a source function
SELECT DISTINCT v.relname AS view, s.relname AS reads
FROM pg_depend d
JOIN pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
JOIN pg_class v ON v.oid = r.ev_class
JOIN pg_class s ON s.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass
WHERE v.relnamespace = 'attribution'::regnamespace AND s.relname LIKE 'source\_%\_view' AND v.oid <> s.oid
ORDER BY 1, 2;
SELECT DISTINCT v.relname AS view_reading_a_function
FROM pg_depend d
JOIN pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
JOIN pg_class v ON v.oid = r.ev_class
JOIN pg_proc p ON p.oid = d.refobjid AND d.refclassid = 'pg_proc'::regclass
WHERE v.relnamespace = 'attribution'::regnamespace AND p.proname LIKE 'source\_%' AND v.relname NOT LIKE 'source\_%\_view';
-- the source views are security_invoker, and have the columns of source_columns
SELECT c.relname, c.reloptions FROM pg_class c
WHERE c.relnamespace = 'attribution'::regnamespace AND c.relname LIKE 'source\_%\_view' ORDER BY 1;
SELECT count(*) AS columns_unlike_source_columns
FROM attribution.source_columns sc
FULL JOIN (SELECT substr(c.relname, 8, length(c.relname) - 12) AS kind, a.attname, a.attnum,
				  format_type(a.atttypid, a.atttypmod) AS type
		   FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
		   WHERE c.relnamespace = 'attribution'::regnamespace AND c.relname LIKE 'source\_%\_view') v
	ON v.kind = sc.kind AND v.attname = sc.column_name
WHERE v.kind IS NULL OR sc.kind IS NULL OR v.attnum <> sc.position OR v.type <> sc.data_type;

-- ---------------------------------------------------------------- sources of one's own: through the function or direct
CREATE SCHEMA crm;
CREATE TABLE crm.touches (touchpoint_id integer, contact_id varchar(10), touched_at timestamptz, channel text,
	account text);
INSERT INTO crm.touches VALUES (1, 'C1', '2024-01-02', 'webinar', 'A1'), (2, 'C1', '2024-01-05', 'email', 'A1'),
	(3, 'C2', '2024-01-03', 'events', 'A2');
INSERT INTO attribution.contacts VALUES ('C1', 'A1', '2024-01-01'), ('C2', 'A2', '2024-01-01');
INSERT INTO attribution.opportunities (opportunity_id, account_id, created_at, closed_at, is_won, amount)
VALUES ('O1', 'A1', '2024-01-04', '2024-02-01', true, 1000), ('O2', 'A2', '2024-01-04', NULL, false, 500);
INSERT INTO attribution.opportunity_contacts (opportunity_id, contact_id) VALUES ('O1', 'C1'), ('O2', 'C2');
-- through the function (the default): the source view reads source_touchpoints()
SELECT attribution.use_source('touchpoints', 'crm.touches');
SELECT kind, relation, direct FROM attribution.sources;
SELECT pg_get_viewdef('attribution.source_touchpoints_view'::regclass) LIKE '%source_touchpoints()%' AS reads_the_function;
SELECT opportunity_id, touchpoint_id, channel FROM attribution.opportunity_touchpoints ORDER BY 1, 2;
SELECT count(*) AS extension_depends_on_crm_touches FROM pg_depend WHERE refobjid = 'crm.touches'::regclass;
-- direct: the source view reads the relation itself; same rows
SELECT attribution.use_source('touchpoints', 'crm.touches', direct => true);
SELECT kind, relation, direct FROM attribution.sources;
SELECT pg_get_viewdef('attribution.source_touchpoints_view'::regclass) LIKE '%FROM crm.touches%' AS reads_the_relation;
SELECT opportunity_id, touchpoint_id, channel FROM attribution.opportunity_touchpoints ORDER BY 1, 2;
SELECT * FROM attribution.source_touchpoints_view ORDER BY touchpoint_id;
SELECT * FROM attribution.source_touchpoints() ORDER BY touchpoint_id;
-- the column types stay those of source_columns (varchar and integer are cast)
SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
WHERE a.attrelid = 'attribution.source_touchpoints_view'::regclass AND a.attnum > 0 ORDER BY a.attnum;
-- the extension now depends on the relation: PostgreSQL refuses a plain
-- DROP (terse: the detail lists every object of the database that uses the
-- extension's types) ...
\set VERBOSITY terse
DROP TABLE crm.touches;
\set VERBOSITY default
-- ... and the guard a DROP ... CASCADE, which would drop the whole extension
DROP TABLE crm.touches CASCADE;
DROP SCHEMA crm CASCADE;
ALTER TABLE crm.touches DROP COLUMN channel CASCADE;
ALTER TABLE crm.touches DROP COLUMN account;
-- all still there
SELECT count(*) > 100 AS members_still_there FROM pg_depend
WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'attribution') AND deptype = 'e';
SELECT count(*) AS opportunities FROM attribution.opportunities;
SELECT count(*) AS touches_seen FROM attribution.opportunity_touchpoints;
-- row-level security of the user's relation applies to whoever reads the views
CREATE ROLE regress_attribution_scale;
GRANT USAGE ON SCHEMA attribution, crm TO regress_attribution_scale;
GRANT SELECT ON ALL TABLES IN SCHEMA attribution TO regress_attribution_scale;
GRANT SELECT ON crm.touches TO regress_attribution_scale;
ALTER TABLE crm.touches ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_c1 ON crm.touches USING (contact_id = 'C1');
SET ROLE regress_attribution_scale;
SELECT opportunity_id, touchpoint_id, channel FROM attribution.opportunity_touchpoints ORDER BY 1, 2;
SELECT opportunity_id, touches FROM attribution.opportunity_journeys ORDER BY 1;
RESET ROLE;
-- the same through the function
SELECT attribution.use_source('touchpoints', 'crm.touches');
SET ROLE regress_attribution_scale;
SELECT opportunity_id, touchpoint_id, channel FROM attribution.opportunity_touchpoints ORDER BY 1, 2;
RESET ROLE;
-- and on the built-in tables through the source views
ALTER TABLE attribution.contacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_a2 ON attribution.contacts USING (account_id = 'A2');
SET ROLE regress_attribution_scale;
SELECT contact_id FROM attribution.source_contacts_view;
SELECT contact_id, channel FROM attribution.lead_sources ORDER BY 1;
RESET ROLE;
DROP POLICY only_a2 ON attribution.contacts;
ALTER TABLE attribution.contacts DISABLE ROW LEVEL SECURITY;
DROP POLICY only_c1 ON crm.touches;
ALTER TABLE crm.touches DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON ALL TABLES IN SCHEMA attribution FROM regress_attribution_scale;
REVOKE ALL ON SCHEMA attribution, crm FROM regress_attribution_scale;
REVOKE ALL ON crm.touches FROM regress_attribution_scale;
DROP ROLE regress_attribution_scale;
-- through the function, the user's DROP ... CASCADE goes through and leaves
-- the extension (the views then fail until the source is reset)
SELECT attribution.use_source('touchpoints', 'crm.touches');
DROP TABLE crm.touches CASCADE;
SELECT count(*) FROM attribution.opportunity_touchpoints;
SELECT attribution.use_source('touchpoints', NULL);
SELECT kind, relation, direct FROM attribution.sources;
SELECT pg_get_viewdef('attribution.source_touchpoints_view'::regclass) LIKE '%FROM attribution.touchpoints%' AS reads_the_table;
-- back to direct, then back to the built-in table: the dependency goes away
CREATE TABLE crm.touches (touchpoint_id bigint, contact_id text, touched_at timestamptz, channel text);
SELECT attribution.use_source('touchpoints', 'crm.touches', true);
SELECT attribution.use_source('touchpoints', NULL);
DROP TABLE crm.touches;
-- the stage events of one's own, direct (a second kind, and a view as the
-- relation); without a waterfall column every event is of the default
-- waterfall (the constant must not make the planner raise the error for
-- an unknown waterfall)
CREATE TABLE crm.lifecycle (lead text, status text, changed timestamptz);
INSERT INTO crm.lifecycle VALUES ('C1', 'inquiry', '2024-01-01'), ('C1', 'mql', '2024-01-03');
CREATE VIEW crm.stage_events AS SELECT lead AS unit_id, status AS stage, changed AS entered_at FROM crm.lifecycle;
SELECT attribution.use_source('stage_events', 'crm.stage_events', direct => true);
SELECT waterfall, unit_id, current_stage, furthest_stage FROM attribution.stage_histories;
SELECT attribution.use_source('stage_events', 'crm.stage_events');
SELECT waterfall, unit_id, current_stage, furthest_stage FROM attribution.stage_histories;
SELECT attribution.use_source('stage_events', 'crm.stage_events', direct => true);
DROP VIEW crm.stage_events CASCADE;
DROP TABLE crm.lifecycle CASCADE;
SELECT attribution.use_source('stage_events', NULL);
DROP SCHEMA crm CASCADE;

-- bad arguments
SELECT attribution.use_source('touchpoints', NULL, NULL);
SELECT attribution.use_source('leads', NULL, true);
SELECT attribution.drop_guard();

-- ---------------------------------------------------------------- distribute()
-- the plan, and the clear error without Citus
SELECT step, table_name, statement FROM attribution.distribution_plan() ORDER BY step;
SELECT * FROM attribution.distribute();
-- without Citus no relation is a Citus table, and the source functions stay SQL (inlined)
SELECT attribution.reads_citus_table('attribution.touchpoints') AS touchpoints,
	   attribution.reads_citus_table('attribution.opportunity_touchpoints') AS a_view,
	   attribution.reads_citus_table(NULL) AS no_relation;
SELECT p.proname, l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'attribution'::regnamespace AND p.proname IN ('source_touchpoints', 'source_stage_events')
ORDER BY 1;
-- the configuration triggers on a single server read and write the table itself
SELECT attribution.config_table('attribution.waterfalls', 'attribution.waterfalls', 'attribution.waterfall_stages');
SELECT attribution.config_table('attribution.models', 'attribution.waterfalls', 'attribution.waterfall_stages');

-- ---------------------------------------------------------------- dropping the extension on purpose still works
SELECT current_database() AS regress_database \gset
CREATE DATABASE regress_attribution_scale;
\c regress_attribution_scale
SET client_min_messages = warning;
CREATE EXTENSION attribution;
CREATE TABLE touches (touchpoint_id bigint, contact_id text, touched_at timestamptz, channel text);
SELECT attribution.use_source('touchpoints', 'touches', true);
DROP TABLE touches CASCADE;
DROP EXTENSION attribution;
SELECT count(*) AS extensions FROM pg_extension WHERE extname = 'attribution';
CREATE EXTENSION attribution;
SELECT attribution.use_source('touchpoints', 'touches', true);
DROP SCHEMA attribution CASCADE;
SELECT count(*) AS extensions FROM pg_extension WHERE extname = 'attribution';
DROP TABLE touches;
-- an update from 0.1.0 keeps a source set with use_source() (read through
-- its function) and what a reader may see
DROP SCHEMA IF EXISTS attribution;
CREATE EXTENSION attribution VERSION '0.1.0';
SELECT count(*) > 0 AS loaded FROM attribution.generate_demo_data(40, 5);
CREATE VIEW my_touches AS SELECT * FROM attribution.touchpoints WHERE channel <> 'email';
SELECT attribution.use_source('touchpoints', 'public.my_touches');
CREATE ROLE regress_attribution_reader;
GRANT USAGE ON SCHEMA attribution TO regress_attribution_reader;
GRANT SELECT ON attribution.opportunity_touchpoints, attribution.opportunities, attribution.opportunity_contacts,
	attribution.touchpoints, my_touches TO regress_attribution_reader;
CREATE TEMP TABLE before_update AS
SELECT opportunity_id, count(*) AS touches, string_agg(channel, ',' ORDER BY touched_at, touchpoint_id) AS channels
FROM attribution.opportunity_touchpoints GROUP BY opportunity_id;
ALTER EXTENSION attribution UPDATE TO '0.2.0';
SELECT kind, relation, direct FROM attribution.sources;
SELECT pg_get_viewdef('attribution.source_touchpoints_view'::regclass) LIKE '%source_touchpoints()%' AS reads_the_function;
SELECT count(*) AS opportunities, count(*) FILTER (WHERE b.opportunity_id IS NULL OR a.opportunity_id IS NULL
	OR a.touches <> b.touches OR a.channels <> b.channels) AS differing
FROM (SELECT opportunity_id, count(*) AS touches, string_agg(channel, ',' ORDER BY touched_at, touchpoint_id) AS channels
	  FROM attribution.opportunity_touchpoints GROUP BY opportunity_id) a
FULL JOIN before_update b USING (opportunity_id);
SELECT count(*) > 0 AS no_email FROM attribution.opportunity_touchpoints HAVING bool_and(channel <> 'email');
SET ROLE regress_attribution_reader;
SELECT count(*) > 0 AS reader_sees_rows FROM attribution.opportunity_touchpoints;
RESET ROLE;
DROP OWNED BY regress_attribution_reader;
DROP ROLE regress_attribution_reader;
\c :regress_database
SET client_min_messages = warning;
DROP DATABASE regress_attribution_scale;

-- clean up for the next tests
TRUNCATE attribution.contacts, attribution.opportunities CASCADE;
