-- Reporting layer: comments travel with copies.  copy_comments() gives a
-- view made from another (a performance view from performance_by_grain, a
-- published or materialized copy) the comments of its source.

-- ---------------------------------------------------------------- comments travel with copies

CREATE FUNCTION @extschema@.copy_comments(source regclass, target regclass, relation_comment text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind text;
	copied integer := 0;
	col record;
BEGIN
	IF source IS NULL OR target IS NULL THEN
		RAISE EXCEPTION 'source and target of copy_comments must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'The comments of one relation are copied to another.',
			HINT = 'Give both relations.';
	END IF;
	SELECT CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'TABLE' WHEN 'v' THEN 'VIEW'
						  WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' END
	INTO kind
	FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) target;
	IF kind IS NULL THEN
		RAISE EXCEPTION '"%" is not a table or view', target
			USING ERRCODE = 'wrong_object_type',
			DETAIL = 'Comments are copied to a table, view, materialized view or foreign table.',
			HINT = 'Give a relation of one of these kinds as the target.';
	END IF;
	relation_comment := coalesce(relation_comment, pg_catalog.obj_description(source, 'pg_class'));
	IF relation_comment IS NOT NULL THEN
		EXECUTE pg_catalog.format('COMMENT ON %s %s IS %L', kind, target, relation_comment);
		copied := copied OPERATOR(pg_catalog.+) 1;
	END IF;
	-- the columns of the same name
	FOR col IN
		SELECT t.attname, pg_catalog.col_description(source, s.attnum) AS description
		FROM pg_catalog.pg_attribute s
		JOIN pg_catalog.pg_attribute t ON t.attrelid OPERATOR(pg_catalog.=) target
			AND t.attname OPERATOR(pg_catalog.=) s.attname AND t.attnum OPERATOR(pg_catalog.>) 0
			AND NOT t.attisdropped
		WHERE s.attrelid OPERATOR(pg_catalog.=) source AND s.attnum OPERATOR(pg_catalog.>) 0 AND NOT s.attisdropped
		  AND pg_catalog.col_description(source, s.attnum) IS NOT NULL
		ORDER BY t.attnum
	LOOP
		EXECUTE pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', target, col.attname, col.description);
		copied := copied OPERATOR(pg_catalog.+) 1;
	END LOOP;
	RETURN copied;
END
$$;
COMMENT ON FUNCTION @extschema@.copy_comments(regclass, regclass, text) IS
	'Copies the comment of a relation (or the one given) and the comments of its columns to the columns of the same name of another relation; returns the number of comments written';
