-- attribution: update from 0.1.0 to 0.2.0.  Each part of the change has its
-- own section below; the install script of 0.2.0 is generated from src/sql/,
-- and test/upgrade.sh checks that this update gives the same catalog.

\echo Use "ALTER EXTENSION attribution UPDATE TO '0.2.0'" to load this file. \quit

-- ==== security ====

-- Every function written in SQL or PL/pgSQL is immune to objects planted in
-- the schemas of the caller's search_path: PL/pgSQL pins search_path; the
-- SQL functions the planner inlines into the views schema-qualify every
-- operator, function and type.  use_source() and materialize() resolve the
-- names they are given on the caller's search_path, then hand over to a
-- function with a pinned one; concurrent use_source() calls queue.
-- materialize() no longer puts copies in the extension's schema.

CREATE OR REPLACE FUNCTION @extschema@.source_query(kind text, relation text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rel oid;
	relkind "char";
	qualified text;
	spec record;
	col record;
	cast_type text;
	items text[] := '{}';
BEGIN
	IF kind IS NULL THEN
		RAISE EXCEPTION 'kind of source must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'A source replaces one of the built-in tables.',
			HINT = 'Use touchpoints, contacts, opportunities, opportunity_contacts, stage_events or campaign_costs.';
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.source_columns c WHERE c.kind = source_query.kind) THEN
		RAISE EXCEPTION 'unknown kind of source "%"', kind
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = 'A source replaces one of the built-in tables.',
			HINT = 'Use touchpoints, contacts, opportunities, opportunity_contacts, stage_events or campaign_costs.';
	END IF;
	IF relation IS NULL THEN
		qualified := pg_catalog.format('%I.%I', '@extschema@', kind);
	ELSE
		rel := pg_catalog.to_regclass(relation);
		IF rel IS NULL THEN
			RAISE EXCEPTION 'relation "%" does not exist', relation
				USING ERRCODE = 'undefined_table',
				DETAIL = pg_catalog.format('It was given as the source of %s.', kind),
				HINT = 'Give the name of an existing table or view, schema-qualified if it is not on the search_path.';
		END IF;
		SELECT c.relkind, pg_catalog.format('%I.%I', n.nspname, c.relname) INTO relkind, qualified
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = rel;
		IF relkind NOT IN ('r', 'p', 'v', 'm', 'f') THEN
			RAISE EXCEPTION '"%" is not a table or view', relation
				USING ERRCODE = 'wrong_object_type',
				DETAIL = pg_catalog.format('It was given as the source of %s.', kind),
				HINT = 'Give a table, partitioned table, view, materialized view or foreign table.';
		END IF;
		IF EXISTS (SELECT FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
				   WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = rel AND d.deptype = 'e'
				   AND e.extname = 'attribution')
			AND qualified <> pg_catalog.format('%I.%I', '@extschema@', kind) THEN
			RAISE EXCEPTION '"%" belongs to the attribution extension', relation
				USING ERRCODE = 'invalid_parameter_value',
				DETAIL = pg_catalog.format('Only a relation of your own, or the built-in table %s, can be the source of %s.',
								pg_catalog.format('%I.%I', '@extschema@', kind), kind),
				HINT = 'Give a table or view of your own.';
		END IF;
	END IF;

	FOR spec IN SELECT * FROM @extschema@.source_columns c WHERE c.kind = source_query.kind ORDER BY c.position
	LOOP
		IF relation IS NULL THEN
			items := pg_catalog.array_append(items, pg_catalog.format('%I', spec.column_name));
			CONTINUE;
		END IF;
		-- the body runs on the search_path of whoever queries the views (it
		-- is inlined): its casts name their types with the schema
		SELECT pg_catalog.format('%I.%I', n.nspname, t.typname) INTO cast_type
		FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
		WHERE t.oid = spec.data_type::regtype;
		SELECT a.attname,
			   pg_catalog.format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END, NULL) AS type_name,
			   pg_catalog.format_type(a.atttypid, a.atttypmod) AS declared
		INTO col
		FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = rel AND a.attname = spec.column_name AND a.attnum > 0 AND NOT a.attisdropped;
		IF NOT FOUND THEN
			IF spec.required THEN
				RAISE EXCEPTION 'column "%" of % is missing', spec.column_name, qualified
					USING ERRCODE = 'undefined_column',
					DETAIL = pg_catalog.format('A source of %s needs the columns %s.', kind,
						(SELECT pg_catalog.string_agg(pg_catalog.format('%s %s', c.column_name, c.data_type), ', ' ORDER BY c.position)
						 FROM @extschema@.source_columns c WHERE c.kind = source_query.kind AND c.required)),
					HINT = 'Rename the column in a view over your table, for example SELECT my_column AS '
						|| spec.column_name || ' ...';
			END IF;
			items := pg_catalog.array_append(items, pg_catalog.format('%s::%s AS %I', spec.default_value,
								  cast_type, spec.column_name));
			CONTINUE;
		END IF;
		IF NOT col.type_name = ANY (spec.accepted_types) THEN
			RAISE EXCEPTION 'column "%" of % has type %, not %', spec.column_name, qualified, col.declared,
				spec.data_type
				USING ERRCODE = 'datatype_mismatch',
				DETAIL = pg_catalog.format('Accepted types for %s: %s.', spec.column_name, pg_catalog.array_to_string(spec.accepted_types, ', ')),
				HINT = CASE WHEN spec.data_type = 'timestamp with time zone' AND col.type_name = 'timestamp without time zone'
					THEN pg_catalog.format('Convert it in a view over your table, for example SELECT %I AT TIME ZONE ''UTC'' AS %I ...',
								spec.column_name, spec.column_name)
					ELSE pg_catalog.format('Cast it in a view over your table, for example SELECT %I::%s AS %I ...',
								spec.column_name, spec.data_type, spec.column_name) END;
		END IF;
		IF col.type_name = spec.data_type THEN
			items := pg_catalog.array_append(items, pg_catalog.format('s.%I', spec.column_name));
		ELSE
			items := pg_catalog.array_append(items, pg_catalog.format('s.%I::%s AS %I', spec.column_name,
								  cast_type, spec.column_name));
		END IF;
	END LOOP;
	RETURN pg_catalog.format('SELECT %s FROM %s%s', pg_catalog.array_to_string(items, ', '), qualified,
				  CASE WHEN relation IS NULL THEN '' ELSE ' s' END);
END
$$;
COMMENT ON FUNCTION @extschema@.source_query(text, text) IS
	'The SELECT the source function of a kind runs for a relation (NULL: the built-in table), after checking its columns';

CREATE FUNCTION @extschema@.switch_source(kind text, relation text, resolved regclass)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	qualified text;
BEGIN
	LOCK TABLE @extschema@.sources IN SHARE ROW EXCLUSIVE MODE;
	IF resolved IS NOT NULL THEN
		SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) INTO qualified
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = resolved;
	END IF;
	IF relation IS NOT NULL AND qualified IS NULL THEN
		qualified := relation;		-- reported as missing below, as given
	END IF;
	-- checks the kind and, if given, the relation and its columns
	PERFORM @extschema@.source_query(kind, qualified);
	IF qualified = pg_catalog.format('%I.%I', '@extschema@', kind) THEN
		qualified := NULL;		-- the built-in table itself
	END IF;
	IF qualified IS NULL THEN
		DELETE FROM @extschema@.sources s WHERE s.kind = switch_source.kind;
		IF NOT FOUND THEN
			PERFORM @extschema@.source_apply(kind, NULL);
		END IF;
		RETURN pg_catalog.format('%I.%I', '@extschema@', kind);
	END IF;
	INSERT INTO @extschema@.sources AS s (kind, relation) VALUES (switch_source.kind, qualified)
	ON CONFLICT ON CONSTRAINT sources_pkey DO UPDATE SET relation = excluded.relation;
	RETURN qualified;
END
$$;
COMMENT ON FUNCTION @extschema@.switch_source(text, text, regclass) IS
	'The work of use_source() once the relation''s name is resolved: checks it, records it in sources and re-creates the source function; concurrent calls queue';

CREATE OR REPLACE FUNCTION @extschema@.use_source(kind text, relation text)
RETURNS text
LANGUAGE sql
AS $$ SELECT @extschema@.switch_source(kind, relation, pg_catalog.to_regclass(relation)) $$;
COMMENT ON FUNCTION @extschema@.use_source(text, text) IS
	'Points the reporting views at your own table or view for one kind of source (touchpoints, contacts, ...) after checking its columns; NULL: back to the built-in table. Returns the relation now read';

CREATE OR REPLACE FUNCTION @extschema@.touch_key_part(touch_key text, part text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE
		WHEN part OPERATOR(pg_catalog.=) 'month' THEN
			pg_catalog.substr(touch_key, 2, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.-) 2)
			OPERATOR(pg_catalog.||) '-01'
		WHEN part OPERATOR(pg_catalog.=) 'channel' THEN
			pg_catalog.split_part(pg_catalog.substr(touch_key, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.+) 1),
								  pg_catalog.chr(31), 1)
		WHEN part OPERATOR(pg_catalog.=) 'campaign' THEN
			CASE WHEN pg_catalog.strpos(pg_catalog.substr(touch_key, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.+) 1),
										pg_catalog.chr(31)) OPERATOR(pg_catalog.>) 0
			THEN pg_catalog.substr(pg_catalog.substr(touch_key, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.+) 1),
								   pg_catalog.strpos(pg_catalog.substr(touch_key, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.+) 1),
													 pg_catalog.chr(31)) OPERATOR(pg_catalog.+) 1) END
		WHEN part OPERATOR(pg_catalog.=) 'direct' THEN
			CAST(pg_catalog.left(touch_key, 1) OPERATOR(pg_catalog.=) 'd' AS pg_catalog.text)
		END
$$;
COMMENT ON FUNCTION @extschema@.touch_key_part(text, text) IS
	'A part (month as YYYY-MM-01, channel, campaign or direct) of a touch key of credit_facts';

CREATE OR REPLACE FUNCTION @extschema@.demo_uniform(seed bigint, entity bigint, attribute integer)
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	-- inlinable, so everything is schema-qualified (the caller's search_path applies)
	SELECT CAST(((pg_catalog.hashint8extended((entity OPERATOR(pg_catalog.*) 1000) OPERATOR(pg_catalog.+) attribute, seed)
				  OPERATOR(pg_catalog.>>) 11) OPERATOR(pg_catalog.&) 9007199254740991) AS pg_catalog.float8)
		   OPERATOR(pg_catalog./) 9007199254740992.0
$$;
COMMENT ON FUNCTION @extschema@.demo_uniform(bigint, bigint, integer) IS
	'A number in [0, 1) that depends only on (seed, entity, attribute): the random source of generate_demo_data';

CREATE FUNCTION @extschema@.materialize_into(view_name text, matview text, default_schema name)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	keys text[] := (SELECT r.key_columns FROM @extschema@.reporting_views r WHERE r.view_name = materialize_into.view_name);
	target text;
	target_schema text;
	target_name text;
	parts text[];
BEGIN
	IF keys IS NULL THEN
		RAISE EXCEPTION 'unknown reporting view "%"', view_name
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = 'Only the reporting views of the extension can be materialized by this function.',
			HINT = pg_catalog.format('Use one of: %s.',
				(SELECT pg_catalog.string_agg(r.view_name, ', ' ORDER BY r.view_name) FROM @extschema@.reporting_views r));
	END IF;
	IF matview IS NULL THEN
		target_schema := default_schema;
		target_name := view_name || '_materialized';
	ELSE
		parts := pg_catalog.parse_ident(matview);
		IF pg_catalog.cardinality(parts) > 2 THEN
			RAISE EXCEPTION 'improper materialized view name "%"', matview
				USING ERRCODE = 'invalid_name',
				DETAIL = 'The name has more than two parts.',
				HINT = 'Give name or schema.name.';
		END IF;
		target_schema := CASE WHEN pg_catalog.cardinality(parts) = 2 THEN parts[1] ELSE default_schema END;
		target_name := parts[pg_catalog.cardinality(parts)];
	END IF;
	IF target_schema IS NULL THEN
		RAISE EXCEPTION 'no schema has been selected for the materialized copy of %', view_name
			USING ERRCODE = 'invalid_schema_name',
			DETAIL = 'No schema of the search_path exists.',
			HINT = 'Give the name as schema.name.';
	END IF;
	IF target_schema = '@extschema@' THEN
		RAISE EXCEPTION 'a materialized copy cannot be stored in the schema of the extension'
			USING ERRCODE = 'invalid_schema_name',
			DETAIL = pg_catalog.format('A copy holds every row its refresher can see (row-level security does not apply to it), and the roles granted the tables and views of schema %s must not read it.', target_schema),
			HINT = pg_catalog.format('Give a schema of your own, for example materialize(%L, %L), and grant the copy only to roles that may see all of its rows.',
						view_name, 'reports.' || view_name);
	END IF;
	target := pg_catalog.format('%I.%I', target_schema, target_name);
	EXECUTE pg_catalog.format('CREATE MATERIALIZED VIEW %s AS SELECT * FROM %I.%I', target, '@extschema@', view_name);
	EXECUTE pg_catalog.format('CREATE UNIQUE INDEX %I ON %s (%s)', target_name || '_key', target,
				   (SELECT pg_catalog.string_agg(pg_catalog.format('%I', k), ', ') FROM pg_catalog.unnest(keys) k));
	EXECUTE pg_catalog.format('COMMENT ON MATERIALIZED VIEW %s IS %L', target,
				   pg_catalog.format('Materialized copy of %I.%I, refreshed by %I.refresh_materialized()', '@extschema@',
						  view_name, '@extschema@'));
	INSERT INTO @extschema@.materialized_views (matview, view_name, key_columns) VALUES (target, view_name, keys);
	RETURN target;
END
$$;
COMMENT ON FUNCTION @extschema@.materialize_into(text, text, name) IS
	'The work of materialize(): stores a reporting view as a materialized view named matview (default <view>_materialized) in default_schema when the name has no schema, never in the extension''s schema';

CREATE OR REPLACE FUNCTION @extschema@.materialize(view_name text, matview text DEFAULT NULL)
RETURNS text
LANGUAGE sql
AS $$ SELECT @extschema@.materialize_into(view_name, matview, pg_catalog.current_schema()) $$;
COMMENT ON FUNCTION @extschema@.materialize(text, text) IS
	'Stores a reporting view as a materialized view (name or schema.name; default: <view>_materialized in the first schema of the search_path, never the extension''s schema) with a unique index on its key, for refresh_materialized(); returns its name';

-- The source functions of the relations recorded in sources are re-created
-- with the new body (schema-qualified casts); a relation that no longer
-- exists keeps its old body until use_source() is called again.
DO $$
DECLARE
	s record;
BEGIN
	FOR s IN SELECT kind, relation FROM @extschema@.sources ORDER BY kind LOOP
		BEGIN
			PERFORM @extschema@.source_apply(s.kind, s.relation);
		EXCEPTION WHEN OTHERS THEN
			RAISE WARNING 'the source of % (%) was left as it was: %', s.kind, s.relation, SQLERRM;
		END;
	END LOOP;
END
$$;


-- ==== robustness ====

-- opportunity_credits: the cumulative rounding of cents in numeric, so that
-- an opportunity's cents add up exactly to its amount for every amount.
CREATE OR REPLACE VIEW @extschema@.opportunity_credits WITH (security_invoker = true) AS
SELECT m.name AS model, j.opportunity_id, j.account_id, j.created_at, j.is_won, j.amount,
	   c.touch_id AS touchpoint_id, c.position AS touch_number, c.credit,
	   coalesce(c.credit_cents, round(j.amount * 100)::bigint) AS pipeline_cents
FROM @extschema@.models m
CROSS JOIN @extschema@.opportunity_journeys j
LEFT JOIN (
	SELECT t.opportunity_id,
		   @extschema@.journey_agg(t.touched_at, CASE WHEN t.is_direct THEN 'direct' ELSE 'other' END,
								   t.touchpoint_id) AS journey
	FROM @extschema@.opportunity_touchpoints t
	GROUP BY t.opportunity_id
) jt ON jt.opportunity_id = j.opportunity_id
LEFT JOIN LATERAL (
	SELECT x.position, x.touch_id, x.credit,
		   (round(x.upto * round(j.amount * 100) / x.total)
			- round((x.upto - x.credit::numeric) * round(j.amount * 100) / x.total))::bigint AS credit_cents
	FROM (
		SELECT cr.position, cr.touch_id, cr.credit,
			   sum(cr.credit::numeric) OVER (ORDER BY cr.position ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
				   AS upto,
			   sum(cr.credit::numeric) OVER () AS total
		FROM @extschema@.credits(jt.journey, m.model, converted_at => j.closed_at, half_life => m.half_life,
								 lead_created_at => j.lead_created_at, opportunity_created_at => j.created_at,
								 closed_at => j.closed_at, direct_channels => '{direct}', weights => m.weights,
								 lookback => m.lookback) cr
	) x
) c ON true
WHERE m.enabled;


-- ==== scale-out: reporting ====



-- ==== scale-out: aggregates ====



-- ==== compatibility ====



-- ==== reporting for BI ====



-- ==== maintenance ====



-- ==== end ====
