-- Everything the attribution extension puts in a database, one line per
-- object or property, in a canonical order: two databases print the same
-- lines exactly when the extension's catalog is the same (test/upgrade.sh
-- compares a database updated through the upgrade chain with a fresh
-- install).  Names, not OIDs; function bodies of SQL and PL/pgSQL by hash.
\pset format unaligned
\pset tuples_only on
\pset footer off
SET client_min_messages = warning;
SET search_path = pg_catalog;

WITH ext AS (
	SELECT oid, extversion, extrelocatable, extnamespace, extconfig, extcondition
	FROM pg_extension WHERE extname = 'attribution'
),
members AS (
	SELECT d.classid, d.objid FROM pg_depend d, ext
	WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
),
funcs AS (SELECT objid FROM members WHERE classid = 'pg_proc'::regclass),
rels AS (SELECT objid FROM members WHERE classid = 'pg_class'::regclass),
lines(line) AS (
	SELECT 'extension ' || extversion || ' relocatable=' || extrelocatable || ' schema=' || extnamespace::regnamespace
	FROM ext
	UNION ALL
	SELECT 'member ' || pg_describe_object(classid, objid, 0) FROM members
	UNION ALL
	SELECT 'schema ' || n.nspname || ' owner-is-superuser=' || r.rolsuper || ' acl=' || coalesce(n.nspacl::text, '')
		   || ' comment=' || coalesce(obj_description(n.oid, 'pg_namespace'), '')
	FROM ext JOIN pg_namespace n ON n.oid = ext.extnamespace JOIN pg_roles r ON r.oid = n.nspowner
	UNION ALL
	SELECT 'function ' || p.oid::regprocedure || ' kind=' || p.prokind::text || ' volatile=' || p.provolatile::text
		   || ' strict=' || p.proisstrict || ' parallel=' || p.proparallel::text || ' secdef=' || p.prosecdef
		   || ' leakproof=' || p.proleakproof || ' cost=' || p.procost || ' rows=' || p.prorows
		   || ' support=' || p.prosupport::regproc || ' returns=' || pg_get_function_result(p.oid)
		   || ' args=' || pg_get_function_arguments(p.oid) || ' language=' || l.lanname
		   || ' body=' || CASE WHEN l.lanname IN ('c', 'internal') THEN p.prosrc ELSE md5(p.prosrc) END
		   || ' module=' || coalesce(p.probin, '') || ' config=' || coalesce(p.proconfig::text, '')
		   || ' acl=' || coalesce(p.proacl::text, '')
		   || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '<none>')
	FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid IN (SELECT objid FROM funcs)
	UNION ALL
	SELECT 'aggregate ' || a.aggfnoid::regprocedure || ' kind=' || a.aggkind::text || ' direct=' || a.aggnumdirectargs
		   || ' trans=' || a.aggtransfn::regprocedure || ' final=' || a.aggfinalfn::regprocedure
		   || ' combine=' || a.aggcombinefn::regprocedure || ' serial=' || a.aggserialfn::regprocedure
		   || ' deserial=' || a.aggdeserialfn::regprocedure || ' mtrans=' || a.aggmtransfn::regprocedure
		   || ' minvtrans=' || a.aggminvtransfn::regprocedure || ' mfinal=' || a.aggmfinalfn::regprocedure
		   || ' finalextra=' || a.aggfinalextra || ' finalmodify=' || a.aggfinalmodify::text
		   || ' sortop=' || a.aggsortop::regoperator || ' stype=' || a.aggtranstype::regtype
		   || ' sspace=' || a.aggtransspace || ' init=' || coalesce(a.agginitval, '<null>')
	FROM pg_aggregate a WHERE a.aggfnoid IN (SELECT objid FROM funcs)
	UNION ALL
	SELECT 'type ' || t.oid::regtype || ' len=' || t.typlen || ' byval=' || t.typbyval || ' type=' || t.typtype::text
		   || ' category=' || t.typcategory::text || ' preferred=' || t.typispreferred || ' align=' || t.typalign::text
		   || ' storage=' || t.typstorage::text || ' in=' || t.typinput::regproc || ' out=' || t.typoutput::regproc
		   || ' recv=' || t.typreceive::regproc || ' send=' || t.typsend::regproc
		   || ' modin=' || t.typmodin::regproc || ' modout=' || t.typmodout::regproc
		   || ' analyze=' || t.typanalyze::regproc || ' subscript=' || t.typsubscript::regproc
		   || ' delim=' || t.typdelim::text || ' elem=' || t.typelem::regtype || ' array=' || t.typarray::regtype
		   || ' notnull=' || t.typnotnull || ' base=' || t.typbasetype::regtype
		   || ' default=' || coalesce(t.typdefault, '<null>') || ' acl=' || coalesce(t.typacl::text, '')
		   || ' comment=' || coalesce(obj_description(t.oid, 'pg_type'), '<none>')
	FROM pg_type t WHERE t.oid IN (SELECT objid FROM members WHERE classid = 'pg_type'::regclass)
	UNION ALL
	SELECT 'operator ' || o.oid::regoperator || ' code=' || o.oprcode::regproc || ' result=' || o.oprresult::regtype
		   || ' commutator=' || o.oprcom::regoperator || ' negator=' || o.oprnegate::regoperator
		   || ' restrict=' || o.oprrest::regproc || ' join=' || o.oprjoin::regproc
		   || ' merges=' || o.oprcanmerge || ' hashes=' || o.oprcanhash
		   || ' comment=' || coalesce(obj_description(o.oid, 'pg_operator'), '<none>')
	FROM pg_operator o WHERE o.oid IN (SELECT objid FROM members WHERE classid = 'pg_operator'::regclass)
	UNION ALL
	SELECT 'cast ' || c.castsource::regtype || ' -> ' || c.casttarget::regtype || ' function='
		   || c.castfunc::regprocedure || ' context=' || c.castcontext::text || ' method=' || c.castmethod::text
	FROM pg_cast c WHERE c.oid IN (SELECT objid FROM members WHERE classid = 'pg_cast'::regclass)
	UNION ALL
	SELECT 'opclass ' || pg_describe_object('pg_opclass'::regclass, c.oid, 0) || ' default=' || c.opcdefault
		   || ' type=' || c.opcintype::regtype || ' key=' || c.opckeytype::regtype
	FROM pg_opclass c WHERE c.oid IN (SELECT objid FROM members WHERE classid = 'pg_opclass'::regclass)
	UNION ALL
	SELECT 'amop ' || pg_describe_object('pg_amop'::regclass, o.oid, 0)
	FROM pg_amop o WHERE o.amopfamily IN (SELECT objid FROM members WHERE classid = 'pg_opfamily'::regclass)
	UNION ALL
	SELECT 'amproc ' || pg_describe_object('pg_amproc'::regclass, p.oid, 0)
	FROM pg_amproc p WHERE p.amprocfamily IN (SELECT objid FROM members WHERE classid = 'pg_opfamily'::regclass)
	UNION ALL
	SELECT 'relation ' || c.oid::regclass || ' kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text
		   || ' rls=' || c.relrowsecurity || ' force-rls=' || c.relforcerowsecurity
		   || ' options=' || coalesce(c.reloptions::text, '') || ' acl=' || coalesce(c.relacl::text, '')
		   || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '<none>')
		   || CASE WHEN c.relkind::text IN ('v', 'm') THEN ' definition=' || pg_get_viewdef(c.oid) ELSE '' END
	FROM pg_class c WHERE c.oid IN (SELECT objid FROM rels)
	UNION ALL
	SELECT 'column ' || a.attrelid::regclass || '.' || a.attname
		   || ' position=' || row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum)
		   || ' type=' || format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull
		   || ' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '<none>')
		   || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
		   || ' storage=' || a.attstorage::text || ' collation=' || coalesce(a.attcollation::regcollation::text, '')
		   || ' acl=' || coalesce(a.attacl::text, '')
		   || ' comment=' || coalesce(col_description(a.attrelid, a.attnum), '<none>')
	FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	WHERE a.attrelid IN (SELECT objid FROM rels) AND a.attnum > 0 AND NOT a.attisdropped
	UNION ALL
	SELECT 'constraint ' || c.conrelid::regclass || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
		   || ' deferrable=' || c.condeferrable || ' comment=' || coalesce(obj_description(c.oid, 'pg_constraint'), '<none>')
	FROM pg_constraint c WHERE c.conrelid IN (SELECT objid FROM rels)
	UNION ALL
	SELECT 'index ' || pg_get_indexdef(i.indexrelid)
		   || ' comment=' || coalesce(obj_description(i.indexrelid, 'pg_class'), '<none>')
	FROM pg_index i WHERE i.indrelid IN (SELECT objid FROM rels)
	UNION ALL
	SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
	FROM pg_trigger t WHERE t.tgrelid IN (SELECT objid FROM rels) AND NOT t.tgisinternal
	UNION ALL
	SELECT 'policy ' || p.schemaname || '.' || p.tablename || ' ' || p.policyname || ' ' || p.permissive
		   || ' ' || p.roles::text || ' ' || p.cmd || ' using=' || coalesce(p.qual, '') || ' check=' || coalesce(p.with_check, '')
	FROM pg_policies p WHERE (p.schemaname || '.' || p.tablename)::regclass IN (SELECT objid FROM rels)
	UNION ALL
	SELECT 'rule ' || r.rulename || ' ' || pg_get_ruledef(r.oid)
	FROM pg_rewrite r WHERE r.ev_class IN (SELECT objid FROM rels) AND r.rulename <> '_RETURN'
	UNION ALL
	SELECT 'sequence ' || s.seqrelid::regclass || ' ' || concat_ws(' ', s.seqtypid::regtype, s.seqstart,
		   s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle)
	FROM pg_sequence s WHERE s.seqrelid IN (SELECT objid FROM rels)
	UNION ALL
	SELECT 'dumped ' || cfg.rel::regclass || ' where=' || coalesce(cfg.cond, '')
	FROM ext, unnest(ext.extconfig, ext.extcondition) AS cfg(rel, cond)
	UNION ALL
	SELECT 'event trigger ' || e.evtname || ' ' || e.evtevent || ' ' || e.evtfoid::regproc
	FROM pg_event_trigger e WHERE e.oid IN (SELECT objid FROM members WHERE classid = 'pg_event_trigger'::regclass)
)
SELECT line FROM lines ORDER BY line COLLATE "C";

-- the rows of the extension's tables (its built-in rows)
DO $$
DECLARE
	r regclass;
BEGIN
	CREATE TEMP TABLE catalog_rows (line text);
	FOR r IN
		SELECT c.oid FROM pg_class c
		JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'e'
		JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
		WHERE c.relkind::text IN ('r', 'p')
	LOOP
		EXECUTE pg_catalog.format('INSERT INTO catalog_rows SELECT %L || '' '' || t::text FROM %s t', 'row ' || r::text, r);
	END LOOP;
END
$$;
SELECT line FROM catalog_rows ORDER BY line COLLATE "C";
