-- Privileges: the extension's code runs with the caller's rights, reads
-- nothing the caller may not read, and never calls objects that a user put
-- in public (a hostile search_path).
SET client_min_messages = warning;

CREATE TEMP VIEW ext_functions AS
SELECT p.oid, p.oid::regprocedure::text AS signature, p.prokind, p.prosecdef, p.proconfig,
	   l.lanname, p.pronargs, p.pronargdefaults, p.proretset
FROM pg_proc p
JOIN pg_language l ON l.oid = p.prolang
JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution';

-- 1. no function runs with its owner's rights
SELECT signature FROM ext_functions WHERE prosecdef;
-- the functions written in SQL or PL/pgSQL (their names resolve when they
-- run): every PL/pgSQL function pins search_path; the SQL functions without
-- a SET are those the planner inlines (a SET would stop that: the source
-- functions, touch_key_part, demo_uniform) and the wrappers use_source and
-- materialize, which resolve the names they are given on the caller's
-- search_path; these schema-qualify every operator, function and type
-- (test/lookalikes.sh plants a look-alike of each and runs them all)
SELECT signature, lanname, proconfig FROM ext_functions WHERE lanname IN ('sql', 'plpgsql') ORDER BY signature;
-- the PL/pgSQL functions that do not pin search_path (none may)
SELECT signature FROM ext_functions
WHERE lanname = 'plpgsql' AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (proconfig), false);

-- 2. a role without grants reads nothing through the extension
CREATE ROLE regress_attribution_nogrant;
GRANT USAGE ON SCHEMA attribution TO regress_attribution_nogrant;
GRANT SELECT ON ext_functions TO regress_attribution_nogrant;
CREATE TABLE priv_touches (journey_id int, touch_id bigint, touched_at timestamptz, channel text);
INSERT INTO priv_touches VALUES
  (1, 1, '2024-03-01 09:00+00', 'paid_search'), (1, 2, '2024-03-03 10:00+00', 'email'),
  (2, 3, '2024-03-02 11:00+00', 'webinar');
CREATE TABLE priv_stages (unit_id int, stage text, entered_at timestamptz);
INSERT INTO priv_stages VALUES (1, 'inquiry', '2024-03-01'), (1, 'mql', '2024-03-04');

-- runs a statement as the current role; says whether it was allowed
CREATE FUNCTION public.priv_try(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	EXECUTE statement INTO n;
	RETURN 'allowed';
EXCEPTION WHEN insufficient_privilege THEN
	RETURN 'denied';
WHEN OTHERS THEN
	RETURN 'error ' || SQLSTATE || ': ' || SQLERRM;
END
$$;

SET ROLE regress_attribution_nogrant;
SELECT priv_try('SELECT count(*) FROM (SELECT attribution.journey_agg(touched_at, channel, touch_id) FROM priv_touches GROUP BY journey_id) s') AS journey_agg;
SELECT priv_try('SELECT count(*) FROM (SELECT attribution.credit(''linear'', touched_at) OVER (PARTITION BY journey_id) FROM priv_touches) s') AS credit;
SELECT priv_try('SELECT count(*) FROM attribution.each((SELECT attribution.credit_by_channel(journey_id, ''linear'', touched_at, channel) FROM priv_touches))') AS credit_by_channel;
SELECT priv_try('SELECT count(*) FROM (SELECT attribution.stage_agg(stage, entered_at) FROM priv_stages GROUP BY unit_id) s') AS stage_agg;
RESET ROLE;

-- every view of the extension, with SELECT on the view granted but nothing on
-- its tables: security_invoker makes the tables' privileges apply
DO $$
DECLARE
	v regclass;
BEGIN
	FOR v IN SELECT c.oid FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass
			 AND d.deptype = 'e' JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
			 WHERE c.relkind IN ('v', 'm')
	LOOP
		EXECUTE format('GRANT SELECT ON %s TO regress_attribution_nogrant', v);
	END LOOP;
END
$$;
-- the views that are not security_invoker (none may be)
SELECT c.oid::regclass AS view FROM pg_class c
JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
WHERE c.relkind = 'v' AND NOT coalesce(c.reloptions @> '{security_invoker=true}', false);
-- the tables the role may read without a grant (granted to PUBLIC by the extension)
SELECT c.oid::regclass AS readable_table FROM pg_class c
JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
WHERE c.relkind IN ('r', 'p') AND has_table_privilege('regress_attribution_nogrant', c.oid, 'SELECT')
ORDER BY 1::text;
SET ROLE regress_attribution_nogrant;
SELECT c.relname AS view, priv_try(format('SELECT count(*) FROM %s', c.oid::regclass)) AS outcome
FROM pg_class c
JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
WHERE c.relkind IN ('v', 'm') ORDER BY 1;
-- (the two allowed are constants granted to PUBLIC: no data)
-- every function of the extension callable without arguments (they read or write tables)
SELECT f.signature, priv_try(format('SELECT count(*) FROM (SELECT %s()) s', f.oid::regproc)) AS outcome
FROM ext_functions f JOIN pg_proc p ON p.oid = f.oid
WHERE f.prokind = 'f' AND f.pronargs = f.pronargdefaults AND NOT f.proretset AND p.prorettype <> 'trigger'::regtype
ORDER BY 1;
SELECT f.signature, priv_try(format('SELECT count(*) FROM %s()', f.oid::regproc)) AS outcome
FROM ext_functions f
WHERE f.prokind = 'f' AND f.pronargs = f.pronargdefaults AND f.proretset
ORDER BY 1;
-- the functions that change data or objects, with arguments
SELECT priv_try('SELECT count(*) FROM (SELECT attribution.use_source(''touchpoints'', NULL)) s') AS use_source;
SELECT priv_try('SELECT count(*) FROM (SELECT attribution.materialize(''channel_performance'')) s') AS materialize;
RESET ROLE;

DROP FUNCTION public.priv_try(text);
DROP TABLE priv_touches, priv_stages;
DROP OWNED BY regress_attribution_nogrant;
DROP ROLE regress_attribution_nogrant;

-- 3. row-level security through every view: a BI role allowed one account
-- sees, through each view, exactly what a superuser sees when the data holds
-- that account's rows only (the reporting tests check some views' numbers
-- under policies by hand; this covers every view, generically).  A view's
-- content is compared as its row count and a digest of its rows, numbers
-- rounded to 9 significant digits (sums over rows read in another order may
-- differ in the last bits).
CREATE FUNCTION public.view_digest(view regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	result text;
BEGIN
	EXECUTE pg_catalog.format($q$
		SELECT count(*) || ' rows ' || pg_catalog.md5(coalesce(pg_catalog.string_agg(r, '|' ORDER BY r), ''))
		FROM (SELECT (SELECT pg_catalog.string_agg(e.k || '=' || CASE
					WHEN pg_catalog.jsonb_typeof(e.v) = 'number' AND e.v::text::numeric <> 0 THEN
						pg_catalog.round(e.v::text::numeric,
							8 - pg_catalog.floor(pg_catalog.log(pg_catalog.abs(e.v::text::numeric)))::int)::text
					ELSE e.v::text END, ',' ORDER BY e.k)
				FROM pg_catalog.jsonb_each(pg_catalog.to_jsonb(t)) AS e(k, v)) AS r
			  FROM %s t) s $q$, view) INTO result;
	RETURN result;
END
$$;
SELECT count(*) > 0 AS loaded FROM attribution.generate_demo_data(60, 3);
CREATE TABLE bi_account AS SELECT min(account_id) AS account_id FROM attribution.opportunities;
CREATE ROLE regress_attribution_bi;
GRANT USAGE ON SCHEMA attribution TO regress_attribution_bi;
GRANT SELECT ON ALL TABLES IN SCHEMA attribution TO regress_attribution_bi;
GRANT SELECT ON bi_account TO regress_attribution_bi;
CREATE TEMP TABLE rls_views AS
SELECT c.oid::regclass AS view, c.relname FROM pg_class c
JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
WHERE c.relkind = 'v';
GRANT SELECT ON rls_views TO regress_attribution_bi;
-- what the account's data alone gives: the other accounts deleted, the
-- digests taken, then the same data generated again (it is deterministic)
CREATE TEMP TABLE rls_expected (relname name, digest text);
DELETE FROM attribution.opportunity_contacts oc
WHERE NOT EXISTS (SELECT FROM attribution.opportunities o JOIN bi_account b USING (account_id)
				  WHERE o.opportunity_id = oc.opportunity_id)
   OR NOT EXISTS (SELECT FROM attribution.contacts c JOIN bi_account b USING (account_id)
				  WHERE c.contact_id = oc.contact_id);
DELETE FROM attribution.stage_events se
WHERE NOT EXISTS (SELECT FROM attribution.contacts c JOIN bi_account b USING (account_id) WHERE c.contact_id = se.unit_id)
  AND NOT EXISTS (SELECT FROM bi_account b WHERE b.account_id = se.unit_id)
  AND NOT EXISTS (SELECT FROM attribution.opportunities o JOIN bi_account b USING (account_id)
				  WHERE o.opportunity_id = se.unit_id);
DELETE FROM attribution.touchpoints t
WHERE NOT EXISTS (SELECT FROM attribution.contacts c JOIN bi_account b USING (account_id) WHERE c.contact_id = t.contact_id);
DELETE FROM attribution.opportunities o WHERE o.account_id NOT IN (SELECT account_id FROM bi_account);
DELETE FROM attribution.contacts c WHERE c.account_id NOT IN (SELECT account_id FROM bi_account);
INSERT INTO rls_expected SELECT relname, public.view_digest(view) FROM rls_views;
GRANT SELECT ON rls_expected TO regress_attribution_bi;
TRUNCATE attribution.contacts, attribution.opportunities, attribution.opportunity_contacts, attribution.touchpoints,
	attribution.stage_events, attribution.stage_targets, attribution.campaign_costs;
SELECT count(*) > 0 AS loaded_again FROM attribution.generate_demo_data(60, 3);
-- what all the data gives (so a view that ignored the policies would show)
CREATE TEMP TABLE rls_all AS SELECT relname, public.view_digest(view) AS digest FROM rls_views;
GRANT SELECT ON rls_all TO regress_attribution_bi;
SELECT count(*) AS opportunities_in_all, count(*) FILTER (WHERE account_id = (SELECT account_id FROM bi_account))
	AS opportunities_of_the_account FROM attribution.opportunities;
-- the policies: the BI role sees its account's rows
ALTER TABLE attribution.contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.opportunities ENABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.opportunity_contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.touchpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.stage_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY bi ON attribution.contacts USING (account_id IN (SELECT account_id FROM bi_account));
CREATE POLICY bi ON attribution.opportunities USING (account_id IN (SELECT account_id FROM bi_account));
CREATE POLICY bi ON attribution.opportunity_contacts
	USING (opportunity_id IN (SELECT opportunity_id FROM attribution.opportunities)
		   AND contact_id IN (SELECT contact_id FROM attribution.contacts));
CREATE POLICY bi ON attribution.touchpoints USING (contact_id IN (SELECT contact_id FROM attribution.contacts));
CREATE POLICY bi ON attribution.stage_events
	USING (unit_id IN (SELECT contact_id FROM attribution.contacts)
		   OR unit_id IN (SELECT account_id FROM bi_account)
		   OR unit_id IN (SELECT opportunity_id FROM attribution.opportunities));
SET ROLE regress_attribution_bi;
SELECT count(*) AS opportunities_visible FROM attribution.opportunities;
SELECT v.relname AS view, split_part(public.view_digest(v.view), ' ', 1)::int AS rows_seen,
	   public.view_digest(v.view) = x.digest AS same_as_the_account_alone,
	   x.digest <> a.digest AS other_accounts_would_show
FROM rls_views v JOIN rls_expected x USING (relname) JOIN rls_all a USING (relname) ORDER BY 1;
RESET ROLE;
DROP POLICY bi ON attribution.contacts;
DROP POLICY bi ON attribution.opportunities;
DROP POLICY bi ON attribution.opportunity_contacts;
DROP POLICY bi ON attribution.touchpoints;
DROP POLICY bi ON attribution.stage_events;
ALTER TABLE attribution.contacts DISABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.opportunities DISABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.opportunity_contacts DISABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.touchpoints DISABLE ROW LEVEL SECURITY;
ALTER TABLE attribution.stage_events DISABLE ROW LEVEL SECURITY;
DROP OWNED BY regress_attribution_bi;
DROP ROLE regress_attribution_bi;
DROP TABLE bi_account;
DROP FUNCTION public.view_digest(regclass);
TRUNCATE attribution.contacts, attribution.opportunities, attribution.opportunity_contacts, attribution.touchpoints,
	attribution.stage_events, attribution.stage_targets, attribution.campaign_costs;

-- 3. a hostile search_path: look-alikes in public, created before the
-- extension, each raising an error when called.  They are functions,
-- aggregates and operators that win over pg_catalog's when a name is not
-- schema-qualified (pg_catalog's take a polymorphic, "any" or variadic
-- argument where these take text[], text, ...), plus some that lose (the
-- same argument types as pg_catalog's: searched first, it wins), and a
-- look-alike of every function of the extension.  This is a quick check
-- that also covers the installation; test/lookalikes.sh derives the
-- operators and functions to imitate from the catalog and the plans, and
-- runs everything with public before pg_catalog.
SELECT current_database() AS regress_database \gset
CREATE DATABASE regress_attribution_hostile;
\c regress_attribution_hostile
SET client_min_messages = warning;
CREATE FUNCTION public.hostile(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the look-alike public.% was called', what;
END
$$;
DO $$
DECLARE
	f text[];
	i integer := 0;
BEGIN
	FOREACH f SLICE 1 IN ARRAY ARRAY[
		['array_position', 'text[], text', 'integer'],
		['array_length', 'text[], integer', 'integer'],
		['array_upper', 'text[], integer', 'integer'],
		['cardinality', 'text[]', 'integer'],
		['array_ndims', 'text[]', 'integer'],
		['array_to_string', 'text[], text', 'text'],
		['array_append', 'text[], text', 'text[]'],
		['array_prepend', 'text, text[]', 'text[]'],
		['array_cat', 'text[], text[]', 'text[]'],
		['array_remove', 'text[], text', 'text[]'],
		['unnest', 'text[]', 'SETOF text'],
		['unnest', 'double precision[]', 'SETOF double precision'],
		['format', 'text, text', 'text'],
		['format', 'text, text, text', 'text'],
		['format', 'text, text, text, text', 'text'],
		['concat', 'text, text', 'text'],
		['concat_ws', 'text, text, text', 'text'],
		['to_jsonb', 'text', 'jsonb'],
		['to_json', 'text', 'json'],
		['jsonb_build_object', 'text, text', 'jsonb'],
		['num_nulls', 'text', 'integer'],
		['coalesce', 'text, text', 'text'],
		['lower', 'text', 'text'],
		['length', 'text', 'integer'],
		['date_trunc', 'text, timestamp with time zone', 'timestamp with time zone'],
		['round', 'double precision', 'double precision'],
		['greatest', 'double precision, double precision', 'double precision'],
		['generate_series', 'integer, integer', 'SETOF integer'],
		['now', '', 'timestamp with time zone']]
	LOOP
		EXECUTE pg_catalog.format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L',
					   f[1], f[2], f[3],
					   pg_catalog.format('BEGIN PERFORM public.hostile(%L); RETURN %s; END', f[1] || '(' || f[2] || ')',
							  CASE WHEN f[3] LIKE 'SETOF%' THEN '' ELSE 'NULL' END));
	END LOOP;
	FOREACH f SLICE 1 IN ARRAY ARRAY[
		['array_agg', 'text'], ['array_agg', 'text[]'], ['array_agg', 'double precision'],
		['count', 'text'], ['count', 'bigint'], ['jsonb_agg', 'text'], ['json_agg', 'text'],
		['jsonb_object_agg', 'text, text'], ['string_agg', 'text, text'], ['sum', 'double precision'],
		['sum', 'bigint'], ['min', 'timestamp with time zone'], ['max', 'timestamp with time zone'],
		['bool_or', 'boolean'], ['avg', 'double precision']]
	LOOP
		EXECUTE pg_catalog.format('CREATE OR REPLACE FUNCTION public.hostile_step(integer, %s) RETURNS integer LANGUAGE plpgsql AS %L',
					   f[2], pg_catalog.format('BEGIN PERFORM public.hostile(%L); RETURN 0; END', f[1] || '(' || f[2] || ')'));
		EXECUTE pg_catalog.format('CREATE AGGREGATE public.%I(%s) (SFUNC = public.hostile_step, STYPE = integer)', f[1], f[2]);
	END LOOP;
	FOREACH f SLICE 1 IN ARRAY ARRAY[
		['@>', 'text[]', 'text[]'], ['<@', 'text[]', 'text[]'], ['&&', 'text[]', 'text[]'],
		['=', 'text[]', 'text[]'], ['<>', 'text[]', 'text[]'], ['||', 'text[]', 'text'],
		['||', 'text', 'text[]'], ['||', 'text[]', 'text[]'], ['=', 'text', 'text'], ['<>', 'text', 'text'],
		['<', 'text', 'text'], ['||', 'text', 'text'], ['~~', 'text', 'text'],
		['<=', 'timestamp with time zone', 'timestamp with time zone'],
		['>=', 'timestamp with time zone', 'timestamp with time zone'],
		['-', 'timestamp with time zone', 'timestamp with time zone'],
		['+', 'timestamp with time zone', 'interval'], ['-', 'timestamp with time zone', 'interval'],
		['*', 'double precision', 'double precision'], ['/', 'double precision', 'double precision']]
	LOOP
		i := i + 1;
		EXECUTE pg_catalog.format('CREATE FUNCTION public.hostile_operator_%s(%s, %s) RETURNS boolean LANGUAGE plpgsql AS %L',
					   i, f[2], f[3], pg_catalog.format('BEGIN PERFORM public.hostile(%L); RETURN NULL; END',
											 'operator ' || f[1] || ' (' || f[2] || ', ' || f[3] || ')'));
		EXECUTE pg_catalog.format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.hostile_operator_%s)',
					   f[1], f[2], f[3], i);
	END LOOP;
END
$$;
SELECT count(*) AS look_alikes FROM pg_proc WHERE pronamespace = 'public'::regnamespace;
SELECT count(*) AS operator_look_alikes FROM pg_operator WHERE oprnamespace = 'public'::regnamespace;
-- the look-alikes do capture unqualified calls (so the test can fail)
SET search_path = public, attribution;
SELECT cardinality('{a,b}'::text[]);
SELECT '{a}'::text[] @> '{a}'::text[];
RESET search_path;

-- the extension installs with them in place
CREATE EXTENSION attribution;
-- look-alikes of the extension's own functions too (public comes first below)
DO $$
DECLARE
	f record;
	n integer := 0;
BEGIN
	FOR f IN
		SELECT p.oid, p.proname, p.prokind, pg_get_function_identity_arguments(p.oid) AS args,
			   pg_get_function_arguments(p.oid) AS full_args, pg_get_function_result(p.oid) AS result
		FROM pg_proc p
		JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
		JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
		WHERE NOT EXISTS (SELECT 1 FROM unnest(p.proargtypes::oid[]) t
						  WHERE t IN ('internal'::regtype, 'cstring'::regtype))
		  AND p.prorettype NOT IN ('internal'::regtype, 'cstring'::regtype, 'trigger'::regtype, 'event_trigger'::regtype)
	LOOP
		IF f.prokind = 'a' THEN
			EXECUTE pg_catalog.format('CREATE OR REPLACE FUNCTION public.hostile_step(integer, %s) RETURNS integer LANGUAGE plpgsql AS %L',
						   f.args, pg_catalog.format('BEGIN PERFORM public.hostile(%L); RETURN 0; END',
										  'attribution look-alike ' || f.proname));
			EXECUTE pg_catalog.format('CREATE AGGREGATE public.%I(%s) (SFUNC = public.hostile_step, STYPE = integer)',
						   f.proname, f.args);
		ELSE
			EXECUTE pg_catalog.format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L',
						   f.proname, f.full_args, f.result,
						   pg_catalog.format('BEGIN PERFORM public.hostile(%L); RETURN%s; END',
								  'attribution look-alike ' || f.proname,
								  CASE WHEN f.result LIKE 'SETOF %' OR f.result LIKE 'TABLE(%' OR f.result = 'void'
										 OR f.full_args ~ '(^|, )OUT '
									   THEN '' ELSE ' NULL' END));
		END IF;
		n := n + 1;
	END LOOP;
END
$$;
SELECT count(*) > 0 AS has_extension_look_alikes FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace
  AND EXISTS (SELECT 1 FROM pg_proc q WHERE q.pronamespace = 'attribution'::regnamespace AND q.proname = p.proname);

-- the extension's functions, called with public first on the search_path
SET search_path = public, attribution;
CREATE TABLE touches (journey_id int, touch_id bigint, touched_at timestamptz, channel text, is_direct boolean);
INSERT INTO touches VALUES
  (1, 1, '2024-03-01 09:00+00', 'paid_search', false), (1, 2, '2024-03-03 10:00+00', 'email', false),
  (1, 3, '2024-03-05 11:00+00', 'direct', true), (2, 4, '2024-03-02 11:00+00', 'webinar', false);
CREATE TABLE stage_rows (unit_id int, stage text, entered_at timestamptz);
INSERT INTO stage_rows VALUES (1, 'inquiry', '2024-03-01'), (1, 'mql', '2024-03-04'), (1, 'lost', '2024-03-09'),
  (2, 'inquiry', '2024-03-02'), (2, 'sal', '2024-03-05');
SELECT journey_id, c.position, c.channel, round(c.credit::numeric, 4) AS credit
FROM (SELECT journey_id, attribution.journey_agg(touched_at, channel, touch_id) AS j FROM touches GROUP BY journey_id) s,
	 attribution.credits(s.j, 'w_shaped', converted_at => '2024-03-06', lead_created_at => '2024-03-02',
						 opportunity_created_at => '2024-03-04') c
ORDER BY 1, 2;
SELECT touch_id, round(attribution.credit('time_decay', touched_at, converted_at => '2024-03-06', touch_id => touch_id,
		channel => channel, is_direct => is_direct) OVER (PARTITION BY journey_id)::numeric, 4) AS credit
FROM touches ORDER BY 1;
SELECT e.channel, round(e.credit::numeric, 4) AS credit
FROM attribution.each((SELECT attribution.sum(cc, 2.0) FROM (SELECT attribution.channel_credit('last_non_direct',
		touched_at, channel, touch_id, is_direct, NULL, NULL, NULL, NULL, NULL, NULL, NULL) AS cc
	FROM touches GROUP BY journey_id) s)) e ORDER BY 1;
SELECT e.channel, round(e.credit::numeric, 4) AS credit
FROM attribution.each((SELECT attribution.credit_by_channel(journey_id, 'position_based', touched_at, channel)
	FROM touches)) e ORDER BY 1;
SELECT attribution.touch_count(attribution.journey_agg(touched_at, channel)) FROM touches;
SELECT t.seq, t.from_stage, t.to_stage, t.direction
FROM (SELECT attribution.stage_agg(stage, entered_at) AS h FROM stage_rows WHERE unit_id = 1) s,
	 attribution.transitions(s.h) t ORDER BY 1;
SELECT r.stage, r.reached, r.advanced
FROM (SELECT attribution.waterfall_agg(h) AS ws FROM (SELECT attribution.stage_agg(stage, entered_at) AS h
	  FROM stage_rows GROUP BY unit_id) s) w, attribution.waterfall_report(w.ws) r;
-- the reporting layer: demo data, configuration rows (their checks call
-- the extension's functions), a source of one's own, materialized copies
SELECT table_name, rows_loaded > 0 AS loaded FROM attribution.generate_demo_data(40, 7) ORDER BY 1;
INSERT INTO attribution.models (name, model, weights) VALUES ('hostile_custom', 'custom', '{.1,.2,.3,.1,.2,.1}');
INSERT INTO attribution.models (name, model, half_life) VALUES ('hostile_decay', 'time_decay', '3 days');
INSERT INTO attribution.waterfalls (name, ladder, exits, unit) VALUES ('hostile_accounts', '{target,engaged,won}', '{churned}', 'account');
INSERT INTO attribution.stage_events (unit_id, stage, entered_at, waterfall)
SELECT account_id, 'engaged', min(created_at), 'hostile_accounts' FROM attribution.contacts GROUP BY account_id;
CREATE VIEW my_touchpoints AS SELECT * FROM attribution.touchpoints WHERE channel <> 'events';
SELECT attribution.use_source('touchpoints', 'public.my_touchpoints');
SELECT attribution.materialize('channel_performance', 'public.channel_report');
SELECT materialized_view, refreshed FROM attribution.refresh_materialized() ORDER BY 1;
SELECT count(*) > 0 AS has_rows FROM public.channel_report;
SELECT attribution.use_source('touchpoints', NULL);
-- names the caller gives still resolve on the caller's search_path
SELECT attribution.use_source('touchpoints', 'my_touchpoints');
SELECT attribution.materialize('lead_quality', 'lead_report');
SELECT attribution.use_source('touchpoints', NULL);
-- every view of the extension
DO $$
DECLARE
	r record;
	n bigint;
BEGIN
	FOR r IN SELECT pg_catalog.format('SELECT count(*) FROM %s', c.oid::regclass) AS q
			 FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e'
			 JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
			 WHERE c.relkind IN ('v', 'm')
	LOOP
		EXECUTE r.q INTO n;
	END LOOP;
END
$$;
RESET search_path;

\c :regress_database
DROP DATABASE regress_attribution_hostile;
