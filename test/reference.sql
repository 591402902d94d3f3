-- The reference of the extension, doc/reference.md, written from the catalog
-- of an installed extension: its types, functions and aggregates, tables,
-- views and settings, each with its COMMENT and the version that added it.
-- Run by test/gen_reference.sh, which installs the oldest version, updates it
-- step by step and records in the temporary table ref_added (kind, ident,
-- version) the first version in which each object appeared.  Support
-- functions of types, aggregates and triggers are left out.
--
-- Output: the lines of doc/reference.md (psql -XAtq).

\set ON_ERROR_STOP 1

CREATE TEMP VIEW ref_ext AS
SELECT e.oid, e.extversion FROM pg_extension e WHERE e.extname = 'attribution';

-- the objects of the extension, with the identity ref_added uses
CREATE TEMP VIEW ref_objects AS
SELECT 'function'::text AS kind, p.oid::regprocedure::text AS ident, p.oid AS objid
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM ref_ext)
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'view' ELSE 'table' END,
	   c.oid::regclass::text, c.oid
FROM pg_class c
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM ref_ext) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT 'type', t.oid::regtype::text, t.oid
FROM pg_type t
JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM ref_ext);

-- the functions a user calls: not the support functions of a type, an
-- aggregate or a trigger
CREATE TEMP VIEW ref_support AS
SELECT unnest(ARRAY[t.typinput, t.typoutput, t.typreceive, t.typsend, t.typmodin, t.typmodout,
					t.typanalyze, t.typsubscript])::oid AS fn
FROM pg_type t
UNION
SELECT unnest(ARRAY[a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn,
					a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn])::oid
FROM pg_aggregate a;

-- the functions a user calls, with their arguments, result and labels
CREATE TEMP VIEW ref_functions AS
SELECT p.oid, p.proname, p.prokind,
	   replace(replace(replace(pg_get_function_arguments(p.oid), 'attribution.', ''),
					   'timestamp with time zone', 'timestamptz'), 'double precision', 'float8') AS args,
	   replace(replace(replace(pg_get_function_result(p.oid), 'attribution.', ''),
					   'timestamp with time zone', 'timestamptz'), 'double precision', 'float8') AS result,
	   concat_ws(', ',
				 -- an aggregate's volatility and strictness are those of its support functions
				 CASE WHEN p.prokind <> 'a' THEN
					  CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END END,
				 CASE WHEN p.prokind <> 'a' AND p.proisstrict THEN 'strict' END,
				 CASE p.proparallel WHEN 's' THEN 'parallel safe' WHEN 'r' THEN 'parallel restricted'
					  ELSE 'parallel unsafe' END,
				 CASE WHEN p.prosecdef THEN 'security definer' END) AS labels,
	   o.ident
FROM ref_objects o
JOIN pg_proc p ON p.oid = o.objid
WHERE o.kind = 'function'
  AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
  AND p.oid NOT IN (SELECT fn FROM ref_support WHERE fn <> 0);

-- a text made safe for a cell of a markdown table
CREATE FUNCTION pg_temp.cell(s text) RETURNS text LANGUAGE sql IMMUTABLE
RETURN replace(replace(coalesce(s, ''), '|', '\|'), E'\n', ' ');

-- the version that added an object ('?' when the walk did not record it)
CREATE FUNCTION pg_temp.added(k text, i text) RETURNS text LANGUAGE sql STABLE
RETURN coalesce((SELECT version FROM ref_added WHERE kind = k AND ident = i), '?');

SELECT '# Reference' UNION ALL SELECT ''
UNION ALL
SELECT format('Every type, function, aggregate, table, view and setting of `attribution` %s, with its '
			  'description (its `COMMENT`) and the version that added it.  Generated from the catalog of '
			  'a fresh install by `bash test/gen_reference.sh`; do not edit by hand (the test suite checks '
			  'that this file is up to date).  Everything is in the schema `attribution`.',
			  (SELECT extversion FROM ref_ext));

-- types
SELECT '' UNION ALL SELECT '## Types' UNION ALL SELECT ''
UNION ALL SELECT '| type | description | added in |'
UNION ALL SELECT '|---|---|---|';
SELECT format('| `%s` | %s | %s |', t.typname, pg_temp.cell(obj_description(t.oid, 'pg_type')),
			  pg_temp.added('type', o.ident))
FROM ref_objects o JOIN pg_type t ON t.oid = o.objid
WHERE o.kind = 'type' AND t.typtype <> 'c' AND t.typelem = 0
ORDER BY t.typname;

-- functions and aggregates
SELECT '' UNION ALL SELECT '## Functions and aggregates' UNION ALL SELECT ''
UNION ALL SELECT 'Arguments with a default can be left out or given by name (`name => value`).  '
	|| 'An aggregate''s result is marked "aggregate →".'
UNION ALL SELECT ''
UNION ALL SELECT '| function | returns | description | labels | added in |'
UNION ALL SELECT '|---|---|---|---|---|';
SELECT format('| `%s(%s)` | %s | %s | %s | %s |',
			  f.proname, pg_temp.cell(f.args),
			  CASE f.prokind WHEN 'a' THEN 'aggregate → ' WHEN 'w' THEN 'window → ' ELSE '' END
			  || pg_temp.cell(f.result),
			  pg_temp.cell(obj_description(f.oid, 'pg_proc')),
			  f.labels, pg_temp.added('function', f.ident))
FROM ref_functions f
ORDER BY f.proname, f.args;

-- tables
SELECT '' UNION ALL SELECT '## Tables' UNION ALL SELECT ''
UNION ALL SELECT '| table | description | added in |'
UNION ALL SELECT '|---|---|---|';
SELECT format('| `%s` | %s | %s |', c.relname, pg_temp.cell(obj_description(c.oid, 'pg_class')),
			  pg_temp.added('table', o.ident))
FROM ref_objects o JOIN pg_class c ON c.oid = o.objid
WHERE o.kind = 'table'
ORDER BY c.relname;

-- views
SELECT '' UNION ALL SELECT '## Views' UNION ALL SELECT ''
UNION ALL SELECT '| view | columns | description | added in |'
UNION ALL SELECT '|---|---|---|---|';
SELECT format('| `%s` | %s | %s | %s |', c.relname,
			  (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
			   FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
			  pg_temp.cell(obj_description(c.oid, 'pg_class')),
			  pg_temp.added('view', o.ident))
FROM ref_objects o JOIN pg_class c ON c.oid = o.objid
WHERE o.kind = 'view'
ORDER BY c.relname;

-- settings (registered when the library is loaded)
LOAD '$libdir/attribution';
SELECT '' UNION ALL SELECT '## Settings' UNION ALL SELECT ''
UNION ALL
SELECT CASE WHEN EXISTS (SELECT FROM pg_settings WHERE name LIKE 'attribution.%')
			THEN '| setting | default | context | description |' || E'\n' || '|---|---|---|---|'
			ELSE 'None: the extension has no settings of its own.' END;
SELECT format('| `%s` | %s | %s | %s |', s.name,
			  pg_temp.cell(s.boot_val || coalesce(' ' || s.unit, '')), s.context,
			  pg_temp.cell(concat_ws(' ', s.short_desc, s.extra_desc)))
FROM pg_settings s
WHERE s.name LIKE 'attribution.%'
ORDER BY s.name;
