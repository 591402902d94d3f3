-- Reporting layer, part 2: bring your own tables.
--
-- The views never read the tables above directly: they read six source
-- views, source_touchpoints_view ... source_campaign_costs_view, one per
-- kind of source.  By default a source view reads the extension's own table
-- (a member reading a member: the planner sees the table, and so does Citus
-- when the table is distributed).  use_source(kind, relation) checks the
-- columns of the user's table or view and points the kind at it:
--
-- - by default through the kind's source function, source_touchpoints() ...
--   source_campaign_costs(): a one-SELECT SQL function that the planner
--   inlines into the calling query (so filters reach the user's relation and
--   its indexes are used), whose body is re-created to read the relation.  A
--   function body is not a dependency: DROP ... CASCADE of the user's
--   relation only makes the views fail with "relation does not exist" until
--   use_source is called again.  A view of the extension that read the
--   user's relation would make the extension depend on it, and PostgreSQL
--   would then drop the whole extension with its data in that cascade.
-- - with direct => true, the source view reads the relation itself, which
--   Citus needs to plan over a distributed table of the user's (it plans
--   before PostgreSQL inlines SQL functions, so it cannot see through one).
--   The extension then depends on the relation: a DROP without CASCADE is
--   refused by PostgreSQL, and one with CASCADE by the extension's event
--   trigger guard (see drop_guard.c), which refuses any command that would
--   drop the extension unless it names the extension or its schema.
--
-- Every source view is security_invoker and no function is SECURITY
-- DEFINER, so privileges and row-level security apply to whoever queries.
-- The choice lives in the table sources (dumped by pg_dump); a trigger
-- re-creates the source function and view whenever a row changes, so a
-- restore re-applies the choice by itself.

-- ---------------------------------------------------------------- what every source must provide

CREATE VIEW @extschema@.source_columns WITH (security_invoker = true) AS
SELECT kind, position, column_name, data_type, required, default_value, accepted_types
FROM (VALUES
	('touchpoints', 1, 'touchpoint_id', 'bigint', true, NULL, '{smallint,integer,bigint}'::text[]),
	('touchpoints', 2, 'contact_id', 'text', true, NULL, NULL),
	('touchpoints', 3, 'touched_at', 'timestamp with time zone', true, NULL, '{}'),
	('touchpoints', 4, 'channel', 'text', true, NULL, NULL),
	('touchpoints', 5, 'campaign', 'text', false, 'NULL', NULL),
	('touchpoints', 6, 'is_direct', 'boolean', false, 'NULL', '{}'),
	('contacts', 1, 'contact_id', 'text', true, NULL, NULL),
	('contacts', 2, 'account_id', 'text', true, NULL, NULL),
	('contacts', 3, 'created_at', 'timestamp with time zone', true, NULL, '{}'),
	('opportunities', 1, 'opportunity_id', 'text', true, NULL, NULL),
	('opportunities', 2, 'account_id', 'text', true, NULL, NULL),
	('opportunities', 3, 'created_at', 'timestamp with time zone', true, NULL, '{}'),
	('opportunities', 4, 'closed_at', 'timestamp with time zone', true, NULL, '{}'),
	('opportunities', 5, 'is_won', 'boolean', true, NULL, '{}'),
	('opportunities', 6, 'amount', 'numeric', true, NULL, '{smallint,integer,bigint,real,"double precision"}'),
	('opportunity_contacts', 1, 'opportunity_id', 'text', true, NULL, NULL),
	('opportunity_contacts', 2, 'contact_id', 'text', true, NULL, NULL),
	('opportunity_contacts', 3, 'role', 'text', false, '''contact''', NULL),
	('stage_events', 1, 'unit_id', 'text', true, NULL, NULL),
	('stage_events', 2, 'stage', 'text', true, NULL, NULL),
	('stage_events', 3, 'entered_at', 'timestamp with time zone', true, NULL, '{}'),
	('stage_events', 4, 'waterfall', 'text', false, '''default''', NULL),
	('stage_events', 5, 'reason', 'text', false, 'NULL', NULL),
	('campaign_costs', 1, 'campaign', 'text', true, NULL, NULL),
	('campaign_costs', 2, 'channel', 'text', true, NULL, NULL),
	('campaign_costs', 3, 'spent_on', 'date', true, NULL, '{}'),
	('campaign_costs', 4, 'cost', 'numeric', true, NULL, '{smallint,integer,bigint,real,"double precision"}')
) AS c(kind, position, column_name, data_type, required, default_value, other_types),
LATERAL (SELECT CASE
	WHEN c.data_type = 'text' THEN '{text,"character varying",character,name,uuid,smallint,integer,bigint}'::text[]
	ELSE c.data_type || c.other_types END AS accepted_types) a;
COMMENT ON VIEW @extschema@.source_columns IS
	'The columns a table or view must have to be used with use_source(), per kind of source';
COMMENT ON COLUMN @extschema@.source_columns.kind IS
	'Kind of source: touchpoints, contacts, opportunities, opportunity_contacts, stage_events or campaign_costs';
COMMENT ON COLUMN @extschema@.source_columns.position IS 'Order of the column in the source';
COMMENT ON COLUMN @extschema@.source_columns.column_name IS 'Name the column must have';
COMMENT ON COLUMN @extschema@.source_columns.data_type IS 'Type the reporting layer reads it as';
COMMENT ON COLUMN @extschema@.source_columns.required IS 'False: the column may be missing, default_value is used instead';
COMMENT ON COLUMN @extschema@.source_columns.default_value IS 'Value used when an optional column is missing';
COMMENT ON COLUMN @extschema@.source_columns.accepted_types IS
	'Types accepted for the column (domains count as their base type); other than data_type they are cast to it';
-- constants, for everyone (the tables and views with data have no grants)
GRANT SELECT ON @extschema@.source_columns TO PUBLIC;

-- Like known_model(): a kind of source written in a filter or given to a
-- function that takes one must be one of source_columns.
CREATE FUNCTION @extschema@.known_source_kind(kind text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM @extschema@.source_columns c WHERE c.kind OPERATOR(pg_catalog.=) known_source_kind.kind) THEN
		RAISE EXCEPTION 'unknown kind of source "%"', kind
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = 'A source replaces one of the built-in tables.',
			HINT = 'Use touchpoints, contacts, opportunities, opportunity_contacts, stage_events or campaign_costs.';
	END IF;
	RETURN kind;
END
$$;
COMMENT ON FUNCTION @extschema@.known_source_kind(text) IS
	'Returns a kind of source (touchpoints, contacts, opportunities, opportunity_contacts, stage_events or campaign_costs) unchanged, fails on any other name: for filters that must not be silently empty';

-- The SELECT that reads a source: the built-in table when relation is NULL,
-- otherwise the relation's columns checked against source_columns and cast
-- to the types the views expect.
CREATE FUNCTION @extschema@.source_query(kind text, relation text)
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
	missing text[];
BEGIN
	IF kind IS NULL THEN
		RAISE EXCEPTION 'kind of source must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'A source replaces one of the built-in tables.',
			HINT = 'Use touchpoints, contacts, opportunities, opportunity_contacts, stage_events or campaign_costs.';
	END IF;
	PERFORM @extschema@.known_source_kind(kind);
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
		-- every missing column at once, not one per attempt
		SELECT pg_catalog.array_agg(c.column_name ORDER BY c.position) INTO missing
		FROM @extschema@.source_columns c
		WHERE c.kind OPERATOR(pg_catalog.=) source_query.kind AND c.required
		  AND NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
						  WHERE a.attrelid OPERATOR(pg_catalog.=) rel
							AND a.attname OPERATOR(pg_catalog.=) c.column_name
							AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped);
		IF missing IS NOT NULL THEN
			RAISE EXCEPTION '%', pg_catalog.format('%s %s of %s %s missing',
					CASE WHEN pg_catalog.cardinality(missing) OPERATOR(pg_catalog.=) 1 THEN 'column' ELSE 'columns' END,
					(SELECT pg_catalog.string_agg(pg_catalog.format('"%s"', m), ', ') FROM pg_catalog.unnest(missing) m),
					qualified,
					CASE WHEN pg_catalog.cardinality(missing) OPERATOR(pg_catalog.=) 1 THEN 'is' ELSE 'are' END)
				USING ERRCODE = 'undefined_column',
				DETAIL = pg_catalog.format('A source of %s needs the columns %s.', kind,
					(SELECT pg_catalog.string_agg(pg_catalog.format('%s %s', c.column_name, c.data_type), ', ' ORDER BY c.position)
					 FROM @extschema@.source_columns c WHERE c.kind OPERATOR(pg_catalog.=) source_query.kind AND c.required)),
				HINT = 'Rename the columns in a view over your table, for example SELECT my_column AS '
					|| missing[1] || ' ...';
		END IF;
	END IF;

	FOR spec IN SELECT * FROM @extschema@.source_columns c WHERE c.kind = source_query.kind ORDER BY c.position
	LOOP
		-- the body runs on the search_path of whoever queries the views (it
		-- is inlined): its casts name their types with the schema
		SELECT pg_catalog.format('%I.%I', n.nspname, t.typname) INTO cast_type
		FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
		WHERE t.oid = spec.data_type::regtype;
		IF relation IS NULL THEN
			items := pg_catalog.array_append(items, pg_catalog.format('%I::%s AS %I', spec.column_name, cast_type, spec.column_name));
			CONTINUE;
		END IF;
		SELECT a.attname,
			   pg_catalog.format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END, NULL) AS type_name,
			   pg_catalog.format_type(a.atttypid, a.atttypmod) AS declared
		INTO col
		FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = rel AND a.attname = spec.column_name AND a.attnum > 0 AND NOT a.attisdropped;
		IF NOT FOUND THEN
			-- an optional column (the required ones were checked above)
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
		-- cast even to the same base type: a domain or a typmod would change
		-- the type of the source view's column
		items := pg_catalog.array_append(items, pg_catalog.format('s.%I::%s AS %I', spec.column_name,
							  cast_type, spec.column_name));
	END LOOP;
	RETURN pg_catalog.format('SELECT %s FROM %s%s', pg_catalog.array_to_string(items, ', '), qualified,
				  CASE WHEN relation IS NULL THEN '' ELSE ' s' END);
END
$$;
COMMENT ON FUNCTION @extschema@.source_query(text, text) IS
	'The SELECT the source function of a kind runs for a relation (NULL: the built-in table), after checking its columns';

-- Whether a relation is a Citus table or a view that reads one (through
-- views); false without Citus.
CREATE FUNCTION @extschema@.reads_citus_table(relation regclass)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	found boolean;
BEGIN
	IF relation IS NULL OR pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
		RETURN false;
	END IF;
	EXECUTE 'WITH RECURSIVE rels(oid) AS ('
			'	SELECT $1::oid'
			'	UNION'
			'	SELECT d.refobjid FROM rels r'
			'	JOIN pg_catalog.pg_rewrite w ON w.ev_class = r.oid'
			'	JOIN pg_catalog.pg_depend d ON d.classid = ''pg_catalog.pg_rewrite''::pg_catalog.regclass AND d.objid = w.oid'
			'		AND d.refclassid = ''pg_catalog.pg_class''::pg_catalog.regclass AND d.refobjid <> r.oid)'
			' SELECT EXISTS (SELECT 1 FROM rels JOIN pg_catalog.pg_dist_partition p ON p.logicalrelid = rels.oid)'
	INTO found USING relation;
	RETURN found;
END
$$;
COMMENT ON FUNCTION @extschema@.reads_citus_table(regclass) IS
	'True when the relation is a Citus table or a view that reads one; false without Citus';

-- Re-creates the source function and the source view of one kind to read
-- the relation given (NULL: the built-in table): the view reads the
-- relation itself when it is the built-in table or direct is true,
-- otherwise it reads the function.
--
-- The function is one SELECT in SQL, which the planner inlines into the
-- calling query, except over a Citus table: Citus plans a query before
-- PostgreSQL inlines SQL functions, so an inlined body would read the
-- coordinator's empty copy of the table; a PL/pgSQL body runs its query
-- by itself, which Citus plans (the rows then travel to the coordinator).
-- Whether the relation is a Citus table is decided here: after
-- distributing a relation a source reads, call use_source() again
-- (distribute() does it for the built-in tables).
CREATE FUNCTION @extschema@.source_apply(kind text, relation text, direct boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	query text := @extschema@.source_query(kind, relation);
	result_columns text;
	function_columns text;
BEGIN
	SELECT string_agg(format('%I %s', c.column_name, c.data_type), ', ' ORDER BY c.position),
		   string_agg(format('s.%I', c.column_name), ', ' ORDER BY c.position)
	INTO result_columns, function_columns
	FROM @extschema@.source_columns c WHERE c.kind = source_apply.kind;
	IF @extschema@.reads_citus_table(coalesce(to_regclass(relation), format('%I.%I', '@extschema@', kind)::regclass)) THEN
		EXECUTE format('CREATE OR REPLACE FUNCTION %I.%I() RETURNS TABLE(%s) LANGUAGE plpgsql STABLE PARALLEL RESTRICTED AS %L',
					   '@extschema@', 'source_' || kind, result_columns,
					   E'\n#variable_conflict use_column\nBEGIN\n\tRETURN QUERY ' || query || E';\nEND\n');
	ELSE
		EXECUTE format('CREATE OR REPLACE FUNCTION %I.%I() RETURNS TABLE(%s) LANGUAGE sql STABLE PARALLEL SAFE AS %L',
					   '@extschema@', 'source_' || kind, result_columns, ' ' || query || ' ');
	END IF;
	IF relation IS NOT NULL AND NOT coalesce(direct, false) THEN
		query := format('SELECT %s FROM %I.%I() s', function_columns, '@extschema@', 'source_' || kind);
	END IF;
	EXECUTE format('CREATE OR REPLACE VIEW %I.%I WITH (security_invoker = true) AS %s',
				   '@extschema@', 'source_' || kind || '_view', query);
END
$$;
COMMENT ON FUNCTION @extschema@.source_apply(text, text, boolean) IS
	'Re-creates the source function and view of a kind to read the relation (NULL: the built-in table; direct: the view reads the relation itself, not the function); called by the trigger of sources';

-- ---------------------------------------------------------------- the source functions and views (built-in bodies)

-- Each kind's source function and source view are made by source_apply(),
-- as use_source(kind, NULL) makes them again: they read the built-in table,
-- every column cast to the type of source_columns (numeric without a
-- typmod, for instance), so that the view keeps its column types whatever
-- it reads.
DO $$
DECLARE
	k text;
	what text;
BEGIN
	FOR k IN SELECT DISTINCT c.kind FROM @extschema@.source_columns c ORDER BY c.kind LOOP
		PERFORM @extschema@.source_apply(k, NULL);
		what := pg_catalog.format('The %s the reporting views read: the built-in table, or the relation set with use_source()',
								  pg_catalog.replace(k, '_', ' '));
		EXECUTE pg_catalog.format('COMMENT ON FUNCTION %I.%I() IS %L', '@extschema@', 'source_' || k, what);
		EXECUTE pg_catalog.format('COMMENT ON VIEW %I.%I IS %L', '@extschema@', 'source_' || k || '_view', what);
	END LOOP;
END
$$;
COMMENT ON COLUMN @extschema@.source_touchpoints_view.touchpoint_id IS 'Identifier of the touchpoint (unique; breaks ties between touches at the same time)';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.contact_id IS 'The contact who was touched';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.touched_at IS 'When the touch happened';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.channel IS 'Channel of the touch';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.campaign IS 'Campaign of the touch; NULL for none';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.is_direct IS 'True for a direct touch; NULL: direct when the channel is ''direct''';

COMMENT ON COLUMN @extschema@.source_contacts_view.contact_id IS 'Identifier of the contact';
COMMENT ON COLUMN @extschema@.source_contacts_view.account_id IS 'Account of the contact';
COMMENT ON COLUMN @extschema@.source_contacts_view.created_at IS 'When the contact became a lead';

COMMENT ON COLUMN @extschema@.source_opportunities_view.opportunity_id IS 'Identifier of the opportunity';
COMMENT ON COLUMN @extschema@.source_opportunities_view.account_id IS 'Account of the opportunity';
COMMENT ON COLUMN @extschema@.source_opportunities_view.created_at IS 'When the opportunity was created';
COMMENT ON COLUMN @extschema@.source_opportunities_view.closed_at IS 'When it was closed, won or lost; NULL while open';
COMMENT ON COLUMN @extschema@.source_opportunities_view.is_won IS 'True for a closed-won opportunity';
COMMENT ON COLUMN @extschema@.source_opportunities_view.amount IS 'Amount of the opportunity';

COMMENT ON COLUMN @extschema@.source_opportunity_contacts_view.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.source_opportunity_contacts_view.contact_id IS 'A contact of the opportunity';
COMMENT ON COLUMN @extschema@.source_opportunity_contacts_view.role IS 'The contact''s role on the opportunity';

COMMENT ON COLUMN @extschema@.source_stage_events_view.unit_id IS 'The unit moving through the waterfall';
COMMENT ON COLUMN @extschema@.source_stage_events_view.stage IS 'The stage entered';
COMMENT ON COLUMN @extschema@.source_stage_events_view.entered_at IS 'When the unit entered the stage';
COMMENT ON COLUMN @extschema@.source_stage_events_view.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.source_stage_events_view.reason IS 'Why the unit was rejected, recycled or disqualified here; NULL for none';

COMMENT ON COLUMN @extschema@.source_campaign_costs_view.campaign IS 'The campaign';
COMMENT ON COLUMN @extschema@.source_campaign_costs_view.channel IS 'The channel the money was spent in';
COMMENT ON COLUMN @extschema@.source_campaign_costs_view.spent_on IS 'The day of the spend';
COMMENT ON COLUMN @extschema@.source_campaign_costs_view.cost IS 'The amount spent that day';

-- They pass rows through with the rights of whoever queries (security
-- invoker: the privileges and row-level security of the table, or of the
-- user's relation and the source function, apply), so SELECT on the views
-- themselves gives nothing away; granted to everyone, a role that may read
-- a reporting view and its tables needs no grant on them.
GRANT SELECT ON @extschema@.source_touchpoints_view, @extschema@.source_contacts_view,
	@extschema@.source_opportunities_view, @extschema@.source_opportunity_contacts_view,
	@extschema@.source_stage_events_view, @extschema@.source_campaign_costs_view TO PUBLIC;

-- ---------------------------------------------------------------- the choice, and how it is applied

CREATE TABLE @extschema@.sources (
	kind text NOT NULL,
	relation text NOT NULL,
	direct boolean NOT NULL DEFAULT false,
	CONSTRAINT sources_pkey PRIMARY KEY (kind),
	CONSTRAINT sources_kind_known CHECK (kind IN ('touchpoints', 'contacts', 'opportunities',
		'opportunity_contacts', 'stage_events', 'campaign_costs'))
);
COMMENT ON TABLE @extschema@.sources IS
	'Your own tables or views the reporting layer reads instead of the built-in tables (set with use_source(); no row: the built-in table)';
COMMENT ON COLUMN @extschema@.sources.kind IS 'Kind of source (see source_columns)';
COMMENT ON COLUMN @extschema@.sources.relation IS 'Schema-qualified name of the table, view, materialized view or foreign table';
COMMENT ON COLUMN @extschema@.sources.direct IS
	'True: the source view reads the relation itself (Citus can plan it; the extension depends on the relation), false: through the source function';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sources', '');

CREATE FUNCTION @extschema@.sources_apply() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		PERFORM @extschema@.source_apply(OLD.kind, NULL);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		PERFORM @extschema@.source_apply(NEW.kind, NEW.relation, NEW.direct);
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.sources_apply() IS
	'Trigger of sources: re-creates the source functions and views of the changed kinds';

CREATE TRIGGER sources_apply AFTER INSERT OR UPDATE OR DELETE ON @extschema@.sources
	FOR EACH ROW EXECUTE FUNCTION @extschema@.sources_apply();

-- Switches the source of one kind to a relation that use_source() resolved
-- on the caller's search_path (resolved; NULL when it found none, and then
-- relation is reported as missing).  Concurrent switches queue on the lock
-- of sources: re-creating a function that another transaction re-creates
-- at the same time would fail.
CREATE FUNCTION @extschema@.switch_source(kind text, relation text, resolved regclass,
										  direct boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	qualified text;
	problems text;
BEGIN
	IF direct IS NULL THEN
		RAISE EXCEPTION 'direct must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'direct says whether the reporting views read the relation itself or through the source function.',
			HINT = 'Leave it out (false), or pass true for a relation Citus must see, such as a distributed table.';
	END IF;
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
	ELSE
		INSERT INTO @extschema@.sources AS s (kind, relation, direct) VALUES (switch_source.kind, qualified, switch_source.direct)
		ON CONFLICT ON CONSTRAINT sources_pkey DO UPDATE SET relation = excluded.relation, direct = excluded.direct;
	END IF;
	-- do the sources still agree?  (a quick look at the first rows)
	SELECT pg_catalog.string_agg(pg_catalog.format('%s, %s: %s', c.kind, c."check", c.detail), E'\n' ORDER BY c.n)
	INTO problems
	FROM (SELECT x.*, pg_catalog.row_number() OVER () AS n FROM @extschema@.check_sources(10000) x) c
	WHERE c.status OPERATOR(pg_catalog.=) ANY ('{warning,error}');
	IF problems IS NOT NULL THEN
		RAISE WARNING 'the sources of the reporting views disagree'
			USING DETAIL = problems,
			HINT = 'See SELECT * FROM attribution.check_sources(); for every check on all rows. A kind you have not pointed at your data yet still reads the built-in table.';
	END IF;
	RETURN coalesce(qualified, pg_catalog.format('%I.%I', '@extschema@', kind));
END
$$;
COMMENT ON FUNCTION @extschema@.switch_source(text, text, regclass, boolean) IS
	'The work of use_source() once the relation''s name is resolved: checks it, records it in sources and re-creates the source function; concurrent calls queue';

-- The name is resolved here, on the caller's search_path; the rest runs
-- with a pinned one.
CREATE FUNCTION @extschema@.use_source(kind text, relation text, direct boolean DEFAULT false)
RETURNS text
LANGUAGE sql
AS $$ SELECT @extschema@.switch_source(kind, relation, pg_catalog.to_regclass(relation), direct) $$;
COMMENT ON FUNCTION @extschema@.use_source(text, text, boolean) IS
	'Points the reporting views at your own table or view for one kind of source (touchpoints, contacts, ...) after checking its columns, and warns when check_sources() finds the sources disagree; NULL: back to the built-in table; direct: the views read the relation itself (needed for a distributed table on Citus; the extension then depends on it). Returns the relation now read';

-- ---------------------------------------------------------------- the guard against cascades

-- Refuses a DDL command that would drop the extension without naming it
-- (a DROP ... CASCADE that reaches a member through a relation a direct
-- source reads, for example); see drop_guard.c.
CREATE FUNCTION @extschema@.drop_guard() RETURNS event_trigger
LANGUAGE c
AS 'MODULE_PATHNAME', 'attribution_drop_guard';
COMMENT ON FUNCTION @extschema@.drop_guard() IS
	'Event trigger at ddl_command_start: lets only DROP EXTENSION, DROP SCHEMA of the extension''s schema or DROP OWNED drop the extension';

CREATE EVENT TRIGGER attribution_drop_guard ON ddl_command_start
	EXECUTE FUNCTION @extschema@.drop_guard();
COMMENT ON EVENT TRIGGER attribution_drop_guard IS
	'Keeps a DROP ... CASCADE of another object from dropping the attribution extension with its data';
