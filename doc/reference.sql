-- Prints the rows of the reference table of README.md from the catalog of an installed
-- extension: every user-facing function and aggregate with its arguments,
-- result and COMMENT.  Support functions of types and aggregates are left
-- out.  Regenerate after changing the SQL surface:
--   psql -XAtq -d DB -f doc/reference.sql
SELECT format('| `%s(%s)` | %s | %s | 0.1.0 |',
		p.proname,
		replace(replace(pg_get_function_arguments(p.oid), 'timestamp with time zone', 'timestamptz'),
				'double precision', 'float8'),
		CASE p.prokind WHEN 'a' THEN 'aggregate → ' WHEN 'w' THEN 'window → ' ELSE '' END
			|| replace(replace(replace(pg_get_function_result(p.oid), 'attribution.', ''),
							   'timestamp with time zone', 'timestamptz'), 'double precision', 'float8'),
		replace(coalesce(obj_description(p.oid, 'pg_proc'), ''), '|', '\|'))
FROM pg_proc p
JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
WHERE p.proname !~ '_(in|out|recv|send|trans|combine|serialize|deserialize|final|sfunc|ffunc)$'
  AND p.prorettype <> 'trigger'::regtype
ORDER BY p.proname, pg_get_function_arguments(p.oid);
