-- attribution: update from 0.1.0 to 0.2.0.  Each part of the change has its
-- own section below; the install script of 0.2.0 is generated from src/sql/,
-- and test/upgrade.sh checks that this update gives the same catalog.

\echo Use "ALTER EXTENSION attribution UPDATE TO '0.2.0'" to load this file. \quit

-- ==== security ====



-- ==== robustness ====



-- ==== scale-out: reporting ====

-- The reporting views read six member source views instead of the
-- source_*() functions (Citus plans before PostgreSQL inlines SQL
-- functions, so it could not see the tables through them); use_source()
-- gains direct (the source view reads the user's relation itself), an
-- event trigger guards against a cascade that would drop the extension,
-- the configuration triggers touch only the table they fire on (a Citus
-- reference table fires them on every node's copy), generate_demo_data()
-- reads its scratch tables only, and distribute() makes the tables Citus
-- tables.  unknown_waterfall() becomes STABLE: IMMUTABLE let the planner
-- raise its error while folding a constant waterfall.

ALTER FUNCTION @extschema@.unknown_waterfall(text) STABLE;

CREATE FUNCTION @extschema@.config_table(fired_on regclass, base regclass, wanted regclass)
RETURNS regclass
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	shard bigint;
BEGIN
	IF fired_on = base THEN
		RETURN wanted;
	END IF;
	-- a shard of a reference table: the one shard of the wanted table,
	-- named after it, sits on every node beside it
	IF pg_catalog.to_regclass('pg_catalog.pg_dist_shard') IS NOT NULL THEN
		EXECUTE 'SELECT min(shardid) FROM pg_catalog.pg_dist_shard WHERE logicalrelid = $1' INTO shard USING wanted;
	END IF;
	IF shard IS NULL THEN
		RAISE EXCEPTION 'no copy of % beside %', wanted, fired_on
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = 'A trigger of a configuration table fired on a copy of it, and the other configuration table is not a reference table.',
			HINT = 'Make every configuration table a reference table, as attribution.distribute() does.';
	END IF;
	RETURN pg_catalog.format('%I.%I', (SELECT n.nspname FROM pg_catalog.pg_class c
									   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = wanted),
							 (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = wanted) || '_' || shard)::regclass;
END
$$;
COMMENT ON FUNCTION @extschema@.config_table(regclass, regclass, regclass) IS
	'For the triggers of the configuration tables: the table wanted when the trigger fired on base itself, otherwise (a shard of a Citus reference table) the copy of wanted on the same node';

CREATE OR REPLACE FUNCTION @extschema@.protect_builtin_models() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	replaces boolean;
BEGIN
	IF TG_OP = 'DELETE' THEN
		IF OLD.builtin THEN
			RAISE EXCEPTION 'built-in model "%" cannot be deleted', OLD.name
				USING ERRCODE = 'restrict_violation',
				DETAIL = 'The extension installs its built-in models; a restore would bring the row back.',
				HINT = 'Set enabled = false to stop reporting it.';
		END IF;
		RETURN OLD;
	END IF;
	NEW.builtin := false;
	IF TG_OP = 'INSERT' THEN
		EXECUTE format('SELECT EXISTS (SELECT FROM %s m WHERE m.name = $1 AND m.builtin)', TG_RELID::regclass)
		INTO replaces USING NEW.name;
		IF replaces THEN
			EXECUTE format('UPDATE %s m SET model = $1, half_life = $2, weights = $3, lookback = $4, enabled = $5, '
						   'description = $6 WHERE m.name = $7', TG_RELID::regclass)
			USING NEW.model, NEW.half_life, NEW.weights, NEW.lookback, NEW.enabled, NEW.description, NEW.name;
			RETURN NULL;
		END IF;
	END IF;
	RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.protect_builtin_waterfalls() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	replaces boolean;
BEGIN
	IF TG_OP = 'DELETE' THEN
		IF OLD.builtin THEN
			RAISE EXCEPTION 'built-in waterfall "%" cannot be deleted', OLD.name
				USING ERRCODE = 'restrict_violation',
				DETAIL = 'The extension installs its built-in waterfall; a restore would bring the row back.',
				HINT = 'Update its ladder and exits instead, or use a waterfall of your own.';
		END IF;
		RETURN OLD;
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.name <> OLD.name THEN
		RAISE EXCEPTION 'a waterfall cannot be renamed'
			USING ERRCODE = 'feature_not_supported',
			DETAIL = format('Waterfall %L would become %L.', OLD.name, NEW.name),
			HINT = 'Insert a waterfall with the new name and move the stage events and targets to it.';
	END IF;
	NEW.builtin := false;
	IF TG_OP = 'INSERT' THEN
		EXECUTE format('SELECT EXISTS (SELECT FROM %s w WHERE w.name = $1 AND w.builtin)', TG_RELID::regclass)
		INTO replaces USING NEW.name;
		IF replaces THEN
			EXECUTE format('UPDATE %s w SET ladder = $1, exits = $2, unit = $3, description = $4 WHERE w.name = $5',
						   TG_RELID::regclass)
			USING NEW.ladder, NEW.exits, NEW.unit, NEW.description, NEW.name;
			RETURN NULL;
		END IF;
	END IF;
	RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.sync_waterfall_stages() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	stages regclass := @extschema@.config_table(TG_RELID, '@extschema@.waterfalls', '@extschema@.waterfall_stages');
BEGIN
	EXECUTE format('DELETE FROM %s s WHERE s.waterfall = $1 AND NOT s.stage = ANY ($2)', stages)
	USING NEW.name, NEW.ladder || NEW.exits;
	EXECUTE format('INSERT INTO %s AS s (waterfall, stage, rank, is_exit) '
				   'SELECT $1, u.stage, u.rank::integer, u.rank > $2 FROM unnest($3) WITH ORDINALITY u(stage, rank) '
				   'ON CONFLICT (waterfall, stage) DO UPDATE SET rank = excluded.rank, is_exit = excluded.is_exit', stages)
	USING NEW.name, cardinality(NEW.ladder), NEW.ladder || NEW.exits;
	RETURN NULL;
END
$$;

-- Every column is cast to the type of source_columns (numeric without a
-- typmod, for instance), so that the view keeps its column types whatever
-- it reads.
CREATE VIEW @extschema@.source_touchpoints_view WITH (security_invoker = true) AS
SELECT touchpoint_id::bigint AS touchpoint_id, contact_id::text AS contact_id,
	   touched_at::timestamptz AS touched_at, channel::text AS channel, campaign::text AS campaign,
	   is_direct::boolean AS is_direct
FROM @extschema@.touchpoints;
COMMENT ON VIEW @extschema@.source_touchpoints_view IS
	'The touchpoints the reporting views read: the built-in table, or the relation set with use_source()';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.touchpoint_id IS 'Identifier of the touchpoint (unique; breaks ties between touches at the same time)';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.contact_id IS 'The contact who was touched';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.touched_at IS 'When the touch happened';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.channel IS 'Channel of the touch';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.campaign IS 'Campaign of the touch; NULL for none';
COMMENT ON COLUMN @extschema@.source_touchpoints_view.is_direct IS 'True for a direct touch; NULL: direct when the channel is ''direct''';

CREATE VIEW @extschema@.source_contacts_view WITH (security_invoker = true) AS
SELECT contact_id::text AS contact_id, account_id::text AS account_id, created_at::timestamptz AS created_at
FROM @extschema@.contacts;
COMMENT ON VIEW @extschema@.source_contacts_view IS
	'The contacts the reporting views read: the built-in table, or the relation set with use_source()';
COMMENT ON COLUMN @extschema@.source_contacts_view.contact_id IS 'Identifier of the contact';
COMMENT ON COLUMN @extschema@.source_contacts_view.account_id IS 'Account of the contact';
COMMENT ON COLUMN @extschema@.source_contacts_view.created_at IS 'When the contact became a lead';

CREATE VIEW @extschema@.source_opportunities_view WITH (security_invoker = true) AS
SELECT opportunity_id::text AS opportunity_id, account_id::text AS account_id, created_at::timestamptz AS created_at,
	   closed_at::timestamptz AS closed_at, is_won::boolean AS is_won, amount::numeric AS amount
FROM @extschema@.opportunities;
COMMENT ON VIEW @extschema@.source_opportunities_view IS
	'The opportunities the reporting views read: the built-in table, or the relation set with use_source()';
COMMENT ON COLUMN @extschema@.source_opportunities_view.opportunity_id IS 'Identifier of the opportunity';
COMMENT ON COLUMN @extschema@.source_opportunities_view.account_id IS 'Account of the opportunity';
COMMENT ON COLUMN @extschema@.source_opportunities_view.created_at IS 'When the opportunity was created';
COMMENT ON COLUMN @extschema@.source_opportunities_view.closed_at IS 'When it was closed, won or lost; NULL while open';
COMMENT ON COLUMN @extschema@.source_opportunities_view.is_won IS 'True for a closed-won opportunity';
COMMENT ON COLUMN @extschema@.source_opportunities_view.amount IS 'Amount of the opportunity';

CREATE VIEW @extschema@.source_opportunity_contacts_view WITH (security_invoker = true) AS
SELECT opportunity_id::text AS opportunity_id, contact_id::text AS contact_id, role::text AS role
FROM @extschema@.opportunity_contacts;
COMMENT ON VIEW @extschema@.source_opportunity_contacts_view IS
	'The opportunity contacts the reporting views read: the built-in table, or the relation set with use_source()';
COMMENT ON COLUMN @extschema@.source_opportunity_contacts_view.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.source_opportunity_contacts_view.contact_id IS 'A contact of the opportunity';
COMMENT ON COLUMN @extschema@.source_opportunity_contacts_view.role IS 'The contact''s role on the opportunity';

CREATE VIEW @extschema@.source_stage_events_view WITH (security_invoker = true) AS
SELECT unit_id::text AS unit_id, stage::text AS stage, entered_at::timestamptz AS entered_at,
	   waterfall::text AS waterfall, reason::text AS reason
FROM @extschema@.stage_events;
COMMENT ON VIEW @extschema@.source_stage_events_view IS
	'The stage events the reporting views read: the built-in table, or the relation set with use_source()';
COMMENT ON COLUMN @extschema@.source_stage_events_view.unit_id IS 'The unit moving through the waterfall';
COMMENT ON COLUMN @extschema@.source_stage_events_view.stage IS 'The stage entered';
COMMENT ON COLUMN @extschema@.source_stage_events_view.entered_at IS 'When the unit entered the stage';
COMMENT ON COLUMN @extschema@.source_stage_events_view.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.source_stage_events_view.reason IS 'Why the unit was rejected, recycled or disqualified here; NULL for none';

CREATE VIEW @extschema@.source_campaign_costs_view WITH (security_invoker = true) AS
SELECT campaign::text AS campaign, channel::text AS channel, spent_on::date AS spent_on, cost::numeric AS cost
FROM @extschema@.campaign_costs;
COMMENT ON VIEW @extschema@.source_campaign_costs_view IS
	'The campaign costs the reporting views read: the built-in table, or the relation set with use_source()';
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

ALTER TABLE @extschema@.sources ADD COLUMN direct boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN @extschema@.sources.direct IS
	'True: the source view reads the relation itself (Citus can plan it; the extension depends on the relation), false: through the source function';

CREATE OR REPLACE FUNCTION @extschema@.source_query(kind text, relation text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
DECLARE
	rel oid;
	relkind "char";
	qualified text;
	spec record;
	col record;
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
			items := pg_catalog.array_append(items, pg_catalog.format('%I::%s AS %I', spec.column_name, spec.data_type, spec.column_name));
			CONTINUE;
		END IF;
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
			items := pg_catalog.array_append(items, pg_catalog.format('%s::%s AS %I', spec.default_value, spec.data_type, spec.column_name));
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
		items := pg_catalog.array_append(items, pg_catalog.format('s.%I::%s AS %I', spec.column_name, spec.data_type, spec.column_name));
	END LOOP;
	RETURN pg_catalog.format('SELECT %s FROM %s%s', pg_catalog.array_to_string(items, ', '), qualified,
				  CASE WHEN relation IS NULL THEN '' ELSE ' s' END);
END
$$;

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

DROP FUNCTION @extschema@.source_apply(text, text);
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

CREATE OR REPLACE FUNCTION @extschema@.sources_apply() RETURNS trigger
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

DROP FUNCTION @extschema@.use_source(text, text);
CREATE FUNCTION @extschema@.use_source(kind text, relation text, direct boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
	qualified text;
BEGIN
	IF direct IS NULL THEN
		RAISE EXCEPTION 'direct must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'direct says whether the reporting views read the relation itself or through the source function.',
			HINT = 'Leave it out (false), or pass true for a relation Citus must see, such as a distributed table.';
	END IF;
	-- checks the kind and, if given, the relation and its columns
	PERFORM @extschema@.source_query(kind, relation);
	IF relation IS NOT NULL THEN
		SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) INTO qualified
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = pg_catalog.to_regclass(relation);
		IF qualified = pg_catalog.format('%I.%I', '@extschema@', kind) THEN
			qualified := NULL;		-- the built-in table itself
		END IF;
	END IF;
	IF qualified IS NULL THEN
		DELETE FROM @extschema@.sources s WHERE s.kind = use_source.kind;
		IF NOT FOUND THEN
			PERFORM @extschema@.source_apply(kind, NULL);
		END IF;
		RETURN pg_catalog.format('%I.%I', '@extschema@', kind);
	END IF;
	INSERT INTO @extschema@.sources AS s (kind, relation, direct) VALUES (use_source.kind, qualified, use_source.direct)
	ON CONFLICT ON CONSTRAINT sources_pkey DO UPDATE SET relation = excluded.relation, direct = excluded.direct;
	RETURN qualified;
END
$$;
COMMENT ON FUNCTION @extschema@.use_source(text, text, boolean) IS
	'Points the reporting views at your own table or view for one kind of source (touchpoints, contacts, ...) after checking its columns; NULL: back to the built-in table; direct: the views read the relation itself (needed for a distributed table on Citus; the extension then depends on it). Returns the relation now read';

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

-- a kind set with use_source() in 0.1.0 reads the source function, as
-- before (its body was re-created to read the user's relation)
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT s.kind FROM @extschema@.sources s ORDER BY s.kind
	LOOP
		EXECUTE pg_catalog.format('CREATE OR REPLACE VIEW %I.%I WITH (security_invoker = true) AS SELECT %s FROM %I.%I() s',
			'@extschema@', 'source_' || r.kind || '_view',
			(SELECT pg_catalog.string_agg(pg_catalog.format('s.%I', c.column_name), ', ' ORDER BY c.position)
			 FROM @extschema@.source_columns c WHERE c.kind = r.kind),
			'@extschema@', 'source_' || r.kind);
	END LOOP;
END
$$;

CREATE OR REPLACE VIEW @extschema@.opportunity_touchpoints WITH (security_invoker = true) AS
SELECT o.opportunity_id, t.touchpoint_id, t.contact_id, t.touched_at, t.channel, t.campaign,
	   coalesce(t.is_direct, t.channel = 'direct') AS is_direct
FROM @extschema@.source_opportunities_view o
JOIN (SELECT DISTINCT oc.opportunity_id, oc.contact_id FROM @extschema@.source_opportunity_contacts_view oc) oc
	ON oc.opportunity_id = o.opportunity_id
JOIN @extschema@.source_touchpoints_view t ON t.contact_id = oc.contact_id
WHERE o.closed_at IS NULL OR t.touched_at <= o.closed_at;

CREATE OR REPLACE VIEW @extschema@.opportunity_journeys WITH (security_invoker = true) AS
SELECT o.opportunity_id, o.account_id, o.created_at, o.closed_at, o.is_won, o.amount,
	   CASE WHEN o.closed_at IS NULL THEN 'open' WHEN o.is_won THEN 'won' ELSE 'lost' END AS status,
	   m.lead_created_at, coalesce(m.contacts, 0) AS contacts,
	   coalesce(t.touches, 0) AS touches, t.first_touched_at, t.last_touched_at
FROM @extschema@.source_opportunities_view o
LEFT JOIN (
	SELECT oc.opportunity_id, min(c.created_at) AS lead_created_at, count(DISTINCT oc.contact_id) AS contacts
	FROM @extschema@.source_opportunity_contacts_view oc
	JOIN @extschema@.source_contacts_view c ON c.contact_id = oc.contact_id
	GROUP BY oc.opportunity_id
) m ON m.opportunity_id = o.opportunity_id
LEFT JOIN (
	SELECT ot.opportunity_id, count(*) AS touches, min(ot.touched_at) AS first_touched_at,
		   max(ot.touched_at) AS last_touched_at
	FROM @extschema@.opportunity_touchpoints ot
	GROUP BY ot.opportunity_id
) t ON t.opportunity_id = o.opportunity_id;

CREATE OR REPLACE VIEW @extschema@.opportunity_touch_credits WITH (security_invoker = true) AS
SELECT oc.model, oc.opportunity_id, oc.account_id, oc.touchpoint_id, t.contact_id, t.touched_at, t.channel,
	   t.campaign, oc.touch_number, oc.credit, (oc.pipeline_cents * 0.01)::numeric(16,2) AS pipeline_credit,
	   (CASE WHEN oc.is_won THEN oc.pipeline_cents ELSE 0 END * 0.01)::numeric(16,2) AS revenue_credit, oc.is_won
FROM @extschema@.opportunity_credits oc
JOIN @extschema@.source_touchpoints_view t ON t.touchpoint_id = oc.touchpoint_id;

CREATE OR REPLACE VIEW @extschema@.channel_performance WITH (security_invoker = true) AS
WITH spend AS (
	SELECT channel, sum(cost) AS cost
	FROM @extschema@.source_campaign_costs_view
	GROUP BY channel
),
by_key AS (
	SELECT model, touch_key,
		   count(touchpoint_id) AS touches, sum(coalesce(credit, 1)) AS opportunities,
		   sum(CASE WHEN is_won THEN coalesce(credit, 1) ELSE 0 END) AS won,
		   sum(coalesce(credit, 1) * amount_cents) AS pipeline_cents,
		   sum(CASE WHEN is_won THEN coalesce(credit, 1) * amount_cents ELSE 0 END) AS revenue_cents
	FROM @extschema@.credit_facts
	GROUP BY 1, 2
),
credits AS (
	SELECT model, channel, attributed, sum(touches)::bigint AS touches,
		   sum(opportunities) AS attributed_opportunities, sum(won) AS attributed_won,
		   sum(pipeline_cents) AS pipeline_cents, sum(revenue_cents) AS revenue_cents
	FROM (
		SELECT k.model, @extschema@.touch_key_part(k.touch_key, 'channel') AS channel,
			   k.touch_key IS NOT NULL AS attributed, k.touches, k.opportunities, k.won, k.pipeline_cents,
			   k.revenue_cents
		FROM by_key k
		UNION ALL
		-- every model gets a row for all spend, even where no touch was credited
		SELECT m.name, channel, true, 0, 0, 0, 0, 0
		FROM @extschema@.models m CROSS JOIN spend
		WHERE m.enabled
	) c
	GROUP BY model, channel, attributed
),
-- whole cents: the floor of every row, and the cents left over to the
-- rows with the largest remainders, so a model's rows add up exactly
ranked AS (
	SELECT cr.*,
		   round(sum(cr.pipeline_cents) OVER w) - sum(floor(cr.pipeline_cents)) OVER w AS pipeline_left,
		   round(sum(cr.revenue_cents) OVER w) - sum(floor(cr.revenue_cents)) OVER w AS revenue_left,
		   row_number() OVER (w ORDER BY cr.pipeline_cents - floor(cr.pipeline_cents) DESC, cr.attributed DESC,
							  cr.channel, cr.touches DESC) AS pipeline_rank,
		   row_number() OVER (w ORDER BY cr.revenue_cents - floor(cr.revenue_cents) DESC, cr.attributed DESC,
							  cr.channel, cr.touches DESC) AS revenue_rank
	FROM credits cr
	WINDOW w AS (PARTITION BY cr.model)
),
performance AS (
	SELECT r.model, r.channel, r.attributed, r.touches, r.attributed_opportunities,
		   r.attributed_won,
		   ((floor(r.pipeline_cents) + CASE WHEN r.pipeline_rank <= r.pipeline_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS pipeline,
		   ((floor(r.revenue_cents) + CASE WHEN r.revenue_rank <= r.revenue_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS revenue,
		   co.cost::numeric(16,2) AS cost
	FROM ranked r
	LEFT JOIN spend co
		ON r.attributed AND co.channel = r.channel
)
SELECT model, channel, attributed, touches,
	   round(attributed_opportunities::numeric, 4) AS attributed_opportunities,
	   round(attributed_won::numeric, 4) AS attributed_won,
	   pipeline, revenue, cost,
	   round((revenue - cost) / nullif(cost, 0), 4) AS roi,
	   round(cost / nullif(attributed_opportunities, 0)::numeric, 2) AS cost_per_opportunity,
	   round(cost / nullif(attributed_won, 0)::numeric, 2) AS cost_per_won
FROM performance;

CREATE OR REPLACE VIEW @extschema@.campaign_performance WITH (security_invoker = true) AS
WITH spend AS (
	SELECT channel, campaign, sum(cost) AS cost
	FROM @extschema@.source_campaign_costs_view
	GROUP BY channel, campaign
),
by_key AS (
	SELECT model, touch_key,
		   count(touchpoint_id) AS touches, sum(coalesce(credit, 1)) AS opportunities,
		   sum(CASE WHEN is_won THEN coalesce(credit, 1) ELSE 0 END) AS won,
		   sum(coalesce(credit, 1) * amount_cents) AS pipeline_cents,
		   sum(CASE WHEN is_won THEN coalesce(credit, 1) * amount_cents ELSE 0 END) AS revenue_cents
	FROM @extschema@.credit_facts
	GROUP BY 1, 2
),
credits AS (
	SELECT model, channel, campaign, attributed, sum(touches)::bigint AS touches,
		   sum(opportunities) AS attributed_opportunities, sum(won) AS attributed_won,
		   sum(pipeline_cents) AS pipeline_cents, sum(revenue_cents) AS revenue_cents
	FROM (
		SELECT k.model, @extschema@.touch_key_part(k.touch_key, 'channel') AS channel,
			   @extschema@.touch_key_part(k.touch_key, 'campaign') AS campaign,
			   k.touch_key IS NOT NULL AS attributed, k.touches, k.opportunities, k.won, k.pipeline_cents,
			   k.revenue_cents
		FROM by_key k
		UNION ALL
		-- every model gets a row for all spend, even where no touch was credited
		SELECT m.name, channel, campaign, true, 0, 0, 0, 0, 0
		FROM @extschema@.models m CROSS JOIN spend
		WHERE m.enabled
	) c
	GROUP BY model, channel, campaign, attributed
),
-- whole cents: the floor of every row, and the cents left over to the
-- rows with the largest remainders, so a model's rows add up exactly
ranked AS (
	SELECT cr.*,
		   round(sum(cr.pipeline_cents) OVER w) - sum(floor(cr.pipeline_cents)) OVER w AS pipeline_left,
		   round(sum(cr.revenue_cents) OVER w) - sum(floor(cr.revenue_cents)) OVER w AS revenue_left,
		   row_number() OVER (w ORDER BY cr.pipeline_cents - floor(cr.pipeline_cents) DESC, cr.attributed DESC,
							  cr.channel, cr.campaign, cr.touches DESC) AS pipeline_rank,
		   row_number() OVER (w ORDER BY cr.revenue_cents - floor(cr.revenue_cents) DESC, cr.attributed DESC,
							  cr.channel, cr.campaign, cr.touches DESC) AS revenue_rank
	FROM credits cr
	WINDOW w AS (PARTITION BY cr.model)
),
performance AS (
	SELECT r.model, r.channel, r.campaign, r.attributed, r.touches, r.attributed_opportunities,
		   r.attributed_won,
		   ((floor(r.pipeline_cents) + CASE WHEN r.pipeline_rank <= r.pipeline_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS pipeline,
		   ((floor(r.revenue_cents) + CASE WHEN r.revenue_rank <= r.revenue_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS revenue,
		   co.cost::numeric(16,2) AS cost
	FROM ranked r
	LEFT JOIN spend co
		ON r.attributed AND co.channel = r.channel AND co.campaign = r.campaign
)
SELECT model, channel, campaign, attributed, touches,
	   round(attributed_opportunities::numeric, 4) AS attributed_opportunities,
	   round(attributed_won::numeric, 4) AS attributed_won,
	   pipeline, revenue, cost,
	   round((revenue - cost) / nullif(cost, 0), 4) AS roi,
	   round(cost / nullif(attributed_opportunities, 0)::numeric, 2) AS cost_per_opportunity,
	   round(cost / nullif(attributed_won, 0)::numeric, 2) AS cost_per_won
FROM performance;

CREATE OR REPLACE VIEW @extschema@.campaign_performance_monthly WITH (security_invoker = true) AS
WITH spend AS (
	SELECT date_trunc('month', spent_on)::date AS month, channel, campaign, sum(cost) AS cost
	FROM @extschema@.source_campaign_costs_view
	GROUP BY month, channel, campaign
),
by_key AS (
	SELECT model, touch_key,
		   CASE WHEN touch_key IS NULL THEN date_trunc('month', created_at)::date END AS unattributed_month,
		   count(touchpoint_id) AS touches, sum(coalesce(credit, 1)) AS opportunities,
		   sum(CASE WHEN is_won THEN coalesce(credit, 1) ELSE 0 END) AS won,
		   sum(coalesce(credit, 1) * amount_cents) AS pipeline_cents,
		   sum(CASE WHEN is_won THEN coalesce(credit, 1) * amount_cents ELSE 0 END) AS revenue_cents
	FROM @extschema@.credit_facts
	GROUP BY 1, 2, 3
),
credits AS (
	SELECT model, month, channel, campaign, attributed, sum(touches)::bigint AS touches,
		   sum(opportunities) AS attributed_opportunities, sum(won) AS attributed_won,
		   sum(pipeline_cents) AS pipeline_cents, sum(revenue_cents) AS revenue_cents
	FROM (
		SELECT k.model, coalesce(@extschema@.touch_key_part(k.touch_key, 'month')::date, k.unattributed_month) AS month,
			   @extschema@.touch_key_part(k.touch_key, 'channel') AS channel,
			   @extschema@.touch_key_part(k.touch_key, 'campaign') AS campaign,
			   k.touch_key IS NOT NULL AS attributed, k.touches, k.opportunities, k.won, k.pipeline_cents,
			   k.revenue_cents
		FROM by_key k
		UNION ALL
		-- every model gets a row for all spend, even where no touch was credited
		SELECT m.name, month, channel, campaign, true, 0, 0, 0, 0, 0
		FROM @extschema@.models m CROSS JOIN spend
		WHERE m.enabled
	) c
	GROUP BY model, month, channel, campaign, attributed
),
-- whole cents: the floor of every row, and the cents left over to the
-- rows with the largest remainders, so a model's rows add up exactly
ranked AS (
	SELECT cr.*,
		   round(sum(cr.pipeline_cents) OVER w) - sum(floor(cr.pipeline_cents)) OVER w AS pipeline_left,
		   round(sum(cr.revenue_cents) OVER w) - sum(floor(cr.revenue_cents)) OVER w AS revenue_left,
		   row_number() OVER (w ORDER BY cr.pipeline_cents - floor(cr.pipeline_cents) DESC, cr.attributed DESC,
							  cr.month, cr.channel, cr.campaign, cr.touches DESC) AS pipeline_rank,
		   row_number() OVER (w ORDER BY cr.revenue_cents - floor(cr.revenue_cents) DESC, cr.attributed DESC,
							  cr.month, cr.channel, cr.campaign, cr.touches DESC) AS revenue_rank
	FROM credits cr
	WINDOW w AS (PARTITION BY cr.model)
),
performance AS (
	SELECT r.model, r.month, r.channel, r.campaign, r.attributed, r.touches, r.attributed_opportunities,
		   r.attributed_won,
		   ((floor(r.pipeline_cents) + CASE WHEN r.pipeline_rank <= r.pipeline_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS pipeline,
		   ((floor(r.revenue_cents) + CASE WHEN r.revenue_rank <= r.revenue_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS revenue,
		   co.cost::numeric(16,2) AS cost
	FROM ranked r
	LEFT JOIN spend co
		ON r.attributed AND co.month = r.month AND co.channel = r.channel AND co.campaign = r.campaign
)
SELECT model, month, channel, campaign, attributed, touches,
	   round(attributed_opportunities::numeric, 4) AS attributed_opportunities,
	   round(attributed_won::numeric, 4) AS attributed_won,
	   pipeline, revenue, cost,
	   round((revenue - cost) / nullif(cost, 0), 4) AS roi,
	   round(cost / nullif(attributed_opportunities, 0)::numeric, 2) AS cost_per_opportunity,
	   round(cost / nullif(attributed_won, 0)::numeric, 2) AS cost_per_won
FROM performance;

CREATE OR REPLACE VIEW @extschema@.stage_histories WITH (security_invoker = true) AS
SELECT h.waterfall, h.unit_id, h.history,
	   @extschema@.reached_at(h.history, h.ladder[1]) AS first_reached_at,
	   @extschema@.current_stage(h.history) AS current_stage,
	   @extschema@.furthest_stage(h.history) AS furthest_stage
FROM (
	SELECT e.waterfall, e.unit_id, min(w.ladder) AS ladder,
		   @extschema@.stage_agg(e.stage, e.entered_at,
								 coalesce(w.ladder, @extschema@.unknown_waterfall(e.waterfall)), w.exits) AS history
	FROM @extschema@.source_stage_events_view e
	LEFT JOIN @extschema@.waterfalls w ON w.name = e.waterfall
	GROUP BY e.waterfall, e.unit_id
) h;

CREATE OR REPLACE VIEW @extschema@.waterfall_cohorts WITH (security_invoker = true) AS
WITH cohorts AS (
	SELECT h.waterfall, date_trunc('month', h.first_reached_at)::date AS cohort, count(*) AS units,
		   @extschema@.waterfall_agg(h.history) AS summary
	FROM @extschema@.stage_histories h
	WHERE h.first_reached_at IS NOT NULL
	GROUP BY h.waterfall, date_trunc('month', h.first_reached_at)::date
),
as_of AS (
	SELECT e.waterfall, max(e.entered_at) AS as_of FROM @extschema@.source_stage_events_view e GROUP BY e.waterfall
)
SELECT c.waterfall, c.cohort, r.stage, r.stage_rank::integer AS stage_rank, c.units, r.reached, r.advanced,
	   round(r.conversion_rate::numeric, 4) AS conversion_rate,
	   round(r.cumulative_rate::numeric, 4) AS cumulative_rate,
	   r.recycled, r.disqualified, r.still_open,
	   round(r.median_days_to_next::numeric, 1) AS median_days_to_next,
	   (a.as_of::date - c.cohort) AS cohort_age_days, a.as_of
FROM cohorts c
JOIN as_of a ON a.waterfall = c.waterfall
CROSS JOIN LATERAL @extschema@.waterfall_report(c.summary) WITH ORDINALITY
	r(stage, reached, advanced, conversion_rate, cumulative_rate, recycled, disqualified, still_open,
	  median_days_to_next, p90_days_to_next, stage_rank);

CREATE OR REPLACE VIEW @extschema@.plan_vs_actual WITH (security_invoker = true) AS
WITH firsts AS (
	-- first entries per day (the periods are whole days in the session's time zone)
	SELECT h.waterfall, x.stage, x.first_entered_at::date AS day, count(*) AS units
	FROM @extschema@.stage_histories h CROSS JOIN LATERAL @extschema@.stage_entries(h.history) x
	GROUP BY h.waterfall, x.stage, x.first_entered_at::date
),
as_of AS (
	SELECT e.waterfall, max(e.entered_at) AS as_of FROM @extschema@.source_stage_events_view e GROUP BY e.waterfall
),
periods AS (
	SELECT t.waterfall, t.grain, t.period, t.stage, t.target,
		   (t.period + CASE t.grain WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months'
								   ELSE interval '1 year' END)::date AS period_end
	FROM @extschema@.stage_targets t
)
SELECT p.waterfall, p.grain, p.period, p.period_end, p.stage, s.rank AS stage_rank, p.target,
	   coalesce(sum(f.units), 0)::bigint AS actual,
	   coalesce(sum(f.units), 0) - p.target AS gap,
	   round(coalesce(sum(f.units), 0) / nullif(p.target, 0), 4) AS attainment,
	   coalesce(a.as_of >= p.period_end, false) AS complete
FROM periods p
JOIN @extschema@.waterfall_stages s ON s.waterfall = p.waterfall AND s.stage = p.stage
LEFT JOIN as_of a ON a.waterfall = p.waterfall
LEFT JOIN firsts f ON f.waterfall = p.waterfall AND f.stage = p.stage AND f.day >= p.period AND f.day < p.period_end
GROUP BY p.waterfall, p.grain, p.period, p.period_end, p.stage, s.rank, p.target, a.as_of;

CREATE OR REPLACE VIEW @extschema@.lead_sources WITH (security_invoker = true) AS
SELECT DISTINCT ON (c.contact_id) c.contact_id, c.created_at, t.touchpoint_id, t.touched_at, t.channel, t.campaign
FROM @extschema@.source_contacts_view c
LEFT JOIN @extschema@.source_touchpoints_view t ON t.contact_id = c.contact_id AND t.touched_at <= c.created_at
ORDER BY c.contact_id, t.touched_at DESC NULLS LAST, t.touchpoint_id DESC NULLS LAST;

CREATE OR REPLACE VIEW @extschema@.lead_quality WITH (security_invoker = true) AS
WITH leads AS (
	SELECT h.waterfall, h.unit_id, h.history, ls.channel, ls.campaign,
		   q.stage AS qualified_stage, w.ladder[array_position(w.ladder, q.stage) + 1] AS accepted_stage,
		   w.exits[1] AS disqualified_stage
	FROM @extschema@.stage_histories h
	JOIN @extschema@.waterfalls w ON w.name = h.waterfall AND w.unit = 'contact'
	CROSS JOIN LATERAL (SELECT CASE WHEN 'mql' = ANY (w.ladder) THEN 'mql' ELSE w.ladder[2] END AS stage) q
	LEFT JOIN @extschema@.lead_sources ls ON ls.contact_id = h.unit_id
),
quality AS (
	SELECT waterfall, channel, campaign, count(*) AS leads,
		   count(*) FILTER (WHERE @extschema@.reached_at(history, qualified_stage) IS NOT NULL) AS qualified,
		   count(*) FILTER (WHERE accepted_stage IS NOT NULL
							  AND @extschema@.reached_at(history, accepted_stage) IS NOT NULL) AS accepted,
		   count(*) FILTER (WHERE @extschema@.current_stage(history) = disqualified_stage) AS disqualified,
		   count(*) FILTER (WHERE EXISTS (SELECT FROM @extschema@.transitions(history) t
										  WHERE t.direction = 'backward')) AS recycled
	FROM leads
	GROUP BY waterfall, channel, campaign
),
reasons AS (
	SELECT l.waterfall, l.channel, l.campaign, e.reason, count(*) AS times,
		   row_number() OVER (PARTITION BY l.waterfall, l.channel, l.campaign ORDER BY count(*) DESC, e.reason)
			   AS reason_rank
	FROM leads l
	JOIN @extschema@.source_stage_events_view e ON e.waterfall = l.waterfall AND e.unit_id = l.unit_id
	WHERE e.reason IS NOT NULL
	GROUP BY l.waterfall, l.channel, l.campaign, e.reason
)
SELECT q.waterfall, q.channel AS source_channel, q.campaign AS source_campaign, q.leads, q.qualified, q.accepted,
	   round(q.accepted::numeric / nullif(q.qualified, 0), 4) AS acceptance_rate,
	   q.disqualified, round(q.disqualified::numeric / q.leads, 4) AS disqualification_rate,
	   q.recycled, round(q.recycled::numeric / q.leads, 4) AS recycle_rate,
	   (SELECT string_agg(format('%s (%s)', r.reason, r.times), ', ' ORDER BY r.reason_rank)
		FROM reasons r
		WHERE r.waterfall = q.waterfall AND r.channel IS NOT DISTINCT FROM q.channel
		  AND r.campaign IS NOT DISTINCT FROM q.campaign AND r.reason_rank <= 3) AS top_reasons
FROM quality q;

CREATE OR REPLACE VIEW @extschema@.lead_feedback WITH (security_invoker = true) AS
SELECT h.waterfall, ls.channel AS source_channel, ls.campaign AS source_campaign, e.stage, e.reason,
	   count(*) AS events, count(DISTINCT e.unit_id) AS leads
FROM @extschema@.stage_histories h
JOIN @extschema@.waterfalls w ON w.name = h.waterfall AND w.unit = 'contact'
JOIN @extschema@.source_stage_events_view e ON e.waterfall = h.waterfall AND e.unit_id = h.unit_id
LEFT JOIN @extschema@.lead_sources ls ON ls.contact_id = h.unit_id
WHERE e.reason IS NOT NULL
GROUP BY h.waterfall, ls.channel, ls.campaign, e.stage, e.reason;

CREATE OR REPLACE FUNCTION @extschema@.generate_demo_data(opportunities integer DEFAULT 3000, seed bigint DEFAULT 42)
RETURNS TABLE(table_name text, rows_loaded bigint)
LANGUAGE plpgsql
-- the generated rows are many more than the planner can guess, and
-- compiling the expressions would take longer than running them
SET jit = off
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n_opp_accounts integer;
	scale float8;
	busy text;
	citus_mode text;
	t0 constant timestamptz := '2024-01-01 00:00:00+00';
	as_of constant timestamptz := '2025-12-31 00:00:00+00';
BEGIN
	IF opportunities IS NULL OR seed IS NULL THEN
		RAISE EXCEPTION 'arguments of generate_demo_data must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'The size and the seed decide every row of the data set.',
			HINT = 'Call generate_demo_data(3000, 42), or leave out the arguments for these defaults.';
	END IF;
	IF opportunities < 1 OR opportunities > 1000000 THEN
		RAISE EXCEPTION 'number of demo opportunities must be between 1 and 1000000'
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = format('%s opportunities were asked for.', opportunities),
			HINT = 'A few thousand opportunities make a demo that answers in about a second.';
	END IF;
	-- On Citus, opportunities and the configuration tables are reference
	-- tables that the distributed tables point at: a transaction that read
	-- or wrote distributed tables in parallel can no longer modify them, so
	-- the whole load runs over one connection per node.
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		citus_mode := current_setting('citus.multi_shard_modify_mode');
		PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
	END IF;
	SELECT string_agg(t, ', ') INTO busy FROM (
		SELECT 'contacts' AS t WHERE EXISTS (SELECT 1 FROM @extschema@.contacts)
		UNION ALL SELECT 'opportunities' WHERE EXISTS (SELECT 1 FROM @extschema@.opportunities)
		UNION ALL SELECT 'touchpoints' WHERE EXISTS (SELECT 1 FROM @extschema@.touchpoints)
		UNION ALL SELECT 'campaign_costs' WHERE EXISTS (SELECT 1 FROM @extschema@.campaign_costs)
		UNION ALL SELECT 'stage_events' WHERE EXISTS (SELECT 1 FROM @extschema@.stage_events)
		UNION ALL SELECT 'stage_targets' WHERE EXISTS (SELECT 1 FROM @extschema@.stage_targets)) s;
	IF busy IS NOT NULL THEN
		RAISE EXCEPTION 'the demo data needs empty tables'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = format('These tables already hold rows: %s.', busy),
			HINT = 'Run it in a fresh database, or empty the tables first (TRUNCATE attribution.contacts, attribution.opportunities, attribution.campaign_costs, attribution.stage_events, attribution.stage_targets CASCADE).';
	END IF;

	n_opp_accounts := ceil(opportunities * 0.8);
	scale := opportunities / 3000.0;

	-- accounts: the first n_opp_accounts get the opportunities, as many
	-- again only produce leads; quality drives conversion, wins and channels
	CREATE TEMP TABLE demo_accounts ON COMMIT DROP AS
	SELECT a AS account_key, 'A' || lpad(a::text, 7, '0') AS account_id,
		   @extschema@.demo_uniform(seed, a, 101) AS quality,
		   t0 + @extschema@.demo_uniform(seed, a, 102) * interval '700 days' AS engaged_at,
		   1 + floor(@extschema@.demo_uniform(seed, a, 103) * 5)::integer AS contact_count
	FROM generate_series(1, 2 * n_opp_accounts) a;
	ANALYZE demo_accounts;

	-- contacts: each touches marketing 2 to 10 times, a few days apart, and
	-- becomes a lead at one of its first three touches
	CREATE TEMP TABLE demo_contacts ON COMMIT DROP AS
	SELECT c.*, c.first_at + (c.lead_touch - 1) * c.gap
			   + @extschema@.demo_uniform(seed, c.contact_key * 16 + c.lead_touch, 301) * 0.8 * c.gap AS created_at
	FROM (
		SELECT a.account_key, a.account_id, a.quality, a.account_key * 8 + i AS contact_key, i AS contact_number,
			   'C' || lpad((a.account_key * 8 + i)::text, 8, '0') AS contact_id,
			   a.engaged_at + (i - 1) * interval '6 days'
				   + @extschema@.demo_uniform(seed, a.account_key * 8 + i, 201) * interval '20 days' AS first_at,
			   n.touch_count,
			   interval '1 day' * (3 + 12 * @extschema@.demo_uniform(seed, a.account_key * 8 + i, 202)) AS gap,
			   1 + floor(@extschema@.demo_uniform(seed, a.account_key * 8 + i, 203) * least(3, n.touch_count))::integer
				   AS lead_touch
		FROM demo_accounts a, generate_series(1, a.contact_count) i,
			 LATERAL (SELECT 2 + floor(@extschema@.demo_uniform(seed, a.account_key * 8 + i, 204) * 9)::integer
					  AS touch_count) n
	) c;
	ANALYZE demo_contacts;

	INSERT INTO @extschema@.contacts (contact_id, account_id, created_at)
	SELECT contact_id, account_id, created_at FROM demo_contacts WHERE created_at <= as_of;

	-- touchpoints: first touches come from acquisition channels, middle ones
	-- from nurture, late ones from sales; good accounts attend more webinars
	-- and events
	CREATE TEMP TABLE demo_touches ON COMMIT DROP AS
	SELECT t.*, CASE WHEN t.channel IN ('organic_search', 'referral', 'direct') THEN NULL
					 ELSE t.channel_prefix || '_' || to_char(t.touched_at AT TIME ZONE 'UTC', 'YYYY"q"Q') END AS campaign
	FROM (
		SELECT s.*, CASE s.channel
				WHEN 'paid_search' THEN CASE WHEN s.u_campaign < 0.4 THEN 'search_brand' ELSE 'search_generic' END
				WHEN 'paid_social' THEN CASE WHEN s.u_campaign < 0.5 THEN 'social_abm' ELSE 'social_retargeting' END
				WHEN 'display' THEN 'display_programmatic'
				WHEN 'email' THEN CASE WHEN s.u_campaign < 0.7 THEN 'email_nurture' ELSE 'email_newsletter' END
				WHEN 'webinar' THEN 'webinar_series'
				WHEN 'events' THEN 'events_tradeshow'
				WHEN 'content' THEN 'content_syndication'
				WHEN 'sales_outreach' THEN 'sdr_outbound'
				ELSE NULL END AS channel_prefix
		FROM (
			SELECT r.contact_id, r.touchpoint_id, r.touched_at, r.u_campaign,
				   CASE
					   WHEN r.u_boost < 0.35 * r.quality AND r.k > 1
						   THEN CASE WHEN r.u_channel < 0.6 THEN 'webinar' ELSE 'events' END
					   WHEN r.k = 1 THEN CASE
						   WHEN r.u_channel < 0.25 THEN 'paid_search' WHEN r.u_channel < 0.45 THEN 'organic_search'
						   WHEN r.u_channel < 0.60 THEN 'paid_social' WHEN r.u_channel < 0.72 THEN 'display'
						   WHEN r.u_channel < 0.84 THEN 'content' WHEN r.u_channel < 0.92 THEN 'referral'
						   WHEN r.u_channel < 0.96 THEN 'events' ELSE 'webinar' END
					   WHEN r.phase < 0.7 THEN CASE
						   WHEN r.u_channel < 0.35 THEN 'email' WHEN r.u_channel < 0.48 THEN 'webinar'
						   WHEN r.u_channel < 0.60 THEN 'content' WHEN r.u_channel < 0.70 THEN 'paid_social'
						   WHEN r.u_channel < 0.80 THEN 'paid_search' WHEN r.u_channel < 0.86 THEN 'events'
						   WHEN r.u_channel < 0.91 THEN 'display' WHEN r.u_channel < 0.96 THEN 'organic_search'
						   ELSE 'direct' END
					   ELSE CASE
						   WHEN r.u_channel < 0.30 THEN 'sales_outreach' WHEN r.u_channel < 0.50 THEN 'email'
						   WHEN r.u_channel < 0.70 THEN 'direct' WHEN r.u_channel < 0.80 THEN 'webinar'
						   WHEN r.u_channel < 0.88 THEN 'events' ELSE 'paid_search' END
				   END AS channel
			FROM (
				SELECT c.contact_id, c.quality, k, c.contact_key * 16 + k AS touchpoint_id,
					   (k - 1)::float8 / (c.touch_count - 1) AS phase,
					   c.first_at + (k - 1) * c.gap
						   + @extschema@.demo_uniform(seed, c.contact_key * 16 + k, 301) * 0.8 * c.gap AS touched_at,
					   @extschema@.demo_uniform(seed, c.contact_key * 16 + k, 302) AS u_channel,
					   @extschema@.demo_uniform(seed, c.contact_key * 16 + k, 303) AS u_boost,
					   @extschema@.demo_uniform(seed, c.contact_key * 16 + k, 304) AS u_campaign
				FROM demo_contacts c, generate_series(1, c.touch_count) k
				WHERE c.created_at <= as_of
			) r
		) s
	) t
	WHERE t.touched_at <= as_of;
	CREATE INDEX ON demo_touches (contact_id, touched_at);
	ANALYZE demo_touches;

	INSERT INTO @extschema@.touchpoints (touchpoint_id, contact_id, touched_at, channel, campaign, is_direct)
	SELECT touchpoint_id, contact_id, touched_at, channel, campaign, channel = 'direct'
	FROM demo_touches;

	-- daily spend of every campaign of every quarter
	INSERT INTO @extschema@.campaign_costs (campaign, channel, spent_on, cost)
	SELECT p.prefix || '_' || to_char(d, 'YYYY"q"Q'), p.channel, d::date,
		   round((3.5 * p.daily * scale * (0.6 + 0.8 * @extschema@.demo_uniform(seed, p.n * 10000 + (d::date - date '2024-01-01'), 701)))::numeric, 2)
	FROM (VALUES (1, 'search_brand', 'paid_search', 260.0), (2, 'search_generic', 'paid_search', 420.0),
				 (3, 'social_abm', 'paid_social', 330.0), (4, 'social_retargeting', 'paid_social', 180.0),
				 (5, 'display_programmatic', 'display', 240.0), (6, 'email_nurture', 'email', 45.0),
				 (7, 'email_newsletter', 'email', 25.0), (8, 'webinar_series', 'webinar', 160.0),
				 (9, 'events_tradeshow', 'events', 520.0), (10, 'content_syndication', 'content', 210.0),
				 (11, 'sdr_outbound', 'sales_outreach', 380.0)) p(n, prefix, channel, daily),
		 generate_series(timestamp '2024-01-01', timestamp '2025-12-31', interval '1 day') d;

	-- opportunities: one per account, a second one for the first accounts
	CREATE TEMP TABLE demo_opportunities ON COMMIT DROP AS
	SELECT o.*,
		   CASE WHEN o.u_closes < 0.85 AND o.created_at + o.cycle <= as_of THEN o.created_at + o.cycle END AS closed_at
	FROM (
		SELECT i AS opportunity_key, 'O' || lpad(i::text, 7, '0') AS opportunity_id, a.account_key, a.account_id,
			   a.quality,
			   least(a.engaged_at + interval '1 day' * (20 + 60 * @extschema@.demo_uniform(seed, i, 401))
						 + ((i - 1) / n_opp_accounts) * interval '1 day' * (90 + 120 * @extschema@.demo_uniform(seed, i, 402)),
					 as_of - interval '1 day' * (1 + 20 * @extschema@.demo_uniform(seed, i, 403))) AS created_at,
			   interval '1 day' * (15 + 150 * @extschema@.demo_uniform(seed, i, 404)) AS cycle,
			   @extschema@.demo_uniform(seed, i, 405) AS u_closes,
			   @extschema@.demo_uniform(seed, i, 406) < 0.12 + 0.45 * a.quality AS wins,
			   round((6000 * exp(2.3 * @extschema@.demo_uniform(seed, i, 407)) * (0.7 + 0.6 * a.quality))::numeric, 2)
				   AS amount,
			   @extschema@.demo_uniform(seed, i, 408) < 0.03 AS without_contacts
		FROM generate_series(1, opportunities) i
		JOIN demo_accounts a ON a.account_key = 1 + (i - 1) % n_opp_accounts
	) o;
	ANALYZE demo_opportunities;

	INSERT INTO @extschema@.opportunities (opportunity_id, account_id, created_at, closed_at, is_won, amount)
	SELECT opportunity_id, account_id, created_at, closed_at, closed_at IS NOT NULL AND wins, amount
	FROM demo_opportunities;

	-- the contacts of each opportunity: the account's first contact always,
	-- the others often; sometimes the first contact holds two roles
	CREATE TEMP TABLE demo_opportunity_contacts ON COMMIT DROP AS
	SELECT o.opportunity_id, c.contact_id,
		   (ARRAY['decision_maker', 'champion', 'influencer', 'technical_evaluator', 'end_user'])[c.contact_number] AS role
	FROM demo_opportunities o
	JOIN demo_contacts c ON c.account_key = o.account_key AND c.created_at <= as_of
	WHERE NOT o.without_contacts
	  AND (c.contact_number = 1 OR @extschema@.demo_uniform(seed, o.opportunity_key * 8 + c.contact_number, 501) < 0.6)
	UNION ALL
	SELECT o.opportunity_id, c.contact_id, 'economic_buyer'
	FROM demo_opportunities o
	JOIN demo_contacts c ON c.account_key = o.account_key AND c.contact_number = 1 AND c.created_at <= as_of
	WHERE NOT o.without_contacts AND @extschema@.demo_uniform(seed, o.opportunity_key, 502) < 0.15;
	ANALYZE demo_opportunity_contacts;

	INSERT INTO @extschema@.opportunity_contacts (opportunity_id, contact_id, role)
	SELECT opportunity_id, contact_id, role FROM demo_opportunity_contacts;

	-- The rest reads the scratch tables only, never the tables just loaded:
	-- on Citus, joins of distributed tables with local ones and lateral
	-- subqueries over them cannot always be planned.

	-- the demand waterfall of every contact
	CREATE TEMP TABLE demo_stage_events (unit_id text, stage text, entered_at timestamptz, reason text) ON COMMIT DROP;

	-- contacts on an opportunity: inquiry, mql, sal and sql spread before
	-- the opportunity's creation, then opportunity, then won or lost
	INSERT INTO demo_stage_events
	SELECT c.contact_id, e.stage, e.entered_at, e.reason
	FROM (
		SELECT DISTINCT ON (oc.contact_id) oc.contact_id, o.created_at AS opened_at, o.closed_at,
			   o.closed_at IS NOT NULL AND o.wins AS is_won
		FROM demo_opportunity_contacts oc
		JOIN demo_opportunities o ON o.opportunity_id = oc.opportunity_id
		ORDER BY oc.contact_id, o.created_at, o.opportunity_id
	) f
	JOIN demo_contacts c ON c.contact_id = f.contact_id
	JOIN demo_contacts dc ON dc.contact_id = f.contact_id
	CROSS JOIN LATERAL (
		SELECT * FROM (VALUES
			('inquiry', c.created_at, NULL::text),
			('mql', CASE WHEN c.created_at < f.opened_at THEN c.created_at + (f.opened_at - c.created_at) * 0.25 END, NULL),
			('sal', CASE WHEN c.created_at < f.opened_at THEN c.created_at + (f.opened_at - c.created_at) * 0.5 END, NULL),
			('sql', CASE WHEN c.created_at < f.opened_at THEN c.created_at + (f.opened_at - c.created_at) * 0.75 END, NULL),
			('opportunity', greatest(f.opened_at, c.created_at + interval '1 day'), NULL),
			(CASE WHEN f.is_won THEN 'won' ELSE 'lost' END, f.closed_at,
			 CASE WHEN NOT f.is_won THEN (ARRAY['chose a competitor', 'no budget', 'no decision', 'price'])
				 [1 + floor(@extschema@.demo_uniform(seed, dc.contact_key, 601) * 4)::integer] END)
		) v(stage, entered_at, reason)
	) e
	WHERE e.entered_at IS NOT NULL
	  AND (f.closed_at IS NULL OR c.created_at < f.closed_at OR e.stage = 'inquiry')
	  AND (e.stage NOT IN ('won', 'lost') OR e.entered_at >= greatest(f.opened_at, c.created_at + interval '1 day'));

	-- the other contacts: marketing qualifies some, sales accepts,
	-- recycles or disqualifies them, with reasons that depend on the source
	INSERT INTO demo_stage_events
	SELECT s.contact_id, e.stage, e.entered_at, e.reason
	FROM (
		SELECT p.*,
			   CASE WHEN p.d_mql < p.p_mql THEN p.created_at + interval '1 day' * (1 + 9 * p.u1) END AS mql_at,
			   CASE WHEN p.d_mql >= p.p_mql AND p.d_mql < p.p_mql + 0.15
					THEN p.created_at + interval '1 day' * (2 + 10 * p.u1) END AS dq1_at
		FROM (
			SELECT c.contact_id, c.created_at, t.channel AS source,
				   0.45 + 0.3 * a.quality - CASE WHEN t.channel IN ('display', 'paid_social') THEN 0.15 ELSE 0 END AS p_mql,
				   0.55 + 0.3 * a.quality - CASE WHEN t.channel IN ('display', 'paid_social') THEN 0.25 ELSE 0 END AS p_sal,
				   0.45 + 0.25 * a.quality AS p_sql,
				   @extschema@.demo_uniform(seed, dc.contact_key, 611) AS d_mql,
				   @extschema@.demo_uniform(seed, dc.contact_key, 612) AS d_sal,
				   @extschema@.demo_uniform(seed, dc.contact_key, 613) AS d_sql,
				   @extschema@.demo_uniform(seed, dc.contact_key, 614) AS u1,
				   @extschema@.demo_uniform(seed, dc.contact_key, 615) AS u2,
				   @extschema@.demo_uniform(seed, dc.contact_key, 616) AS u3,
				   @extschema@.demo_uniform(seed, dc.contact_key, 617) AS u_reason
			FROM demo_contacts c
			JOIN demo_contacts dc ON dc.contact_id = c.contact_id
			JOIN demo_accounts a ON a.account_key = dc.account_key
			LEFT JOIN LATERAL (
				SELECT t.channel FROM demo_touches t
				WHERE t.contact_id = c.contact_id AND t.touched_at <= c.created_at
				ORDER BY t.touched_at DESC, t.touchpoint_id DESC LIMIT 1) t ON true
			WHERE c.created_at <= as_of
			  AND NOT EXISTS (SELECT 1 FROM demo_opportunity_contacts oc WHERE oc.contact_id = c.contact_id)
		) p
	) s
	CROSS JOIN LATERAL (
		SELECT * FROM (VALUES
			('inquiry', s.created_at, NULL::text),
			('disqualified', s.dq1_at,
			 (ARRAY['student or job seeker', 'spam or fake details', 'competitor'])[1 + floor(s.u_reason * 3)::integer]),
			('mql', s.mql_at, NULL),
			-- sales accepts the MQL ...
			('sal', CASE WHEN s.d_sal < s.p_sal THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2) END, NULL),
			-- ... or sends it back to nurture ...
			('inquiry', CASE WHEN s.d_sal >= s.p_sal AND s.d_sal < s.p_sal + (1 - s.p_sal) * 0.5
							 THEN s.mql_at + interval '1 day' * (7 + 20 * s.u2) END,
			 (ARRAY['not sales ready', 'no response', 'timing'])[1 + floor(s.u_reason * 3)::integer]),
			-- ... or disqualifies it
			('disqualified', CASE WHEN s.d_sal >= s.p_sal + (1 - s.p_sal) * 0.5
								  THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2) END,
			 CASE WHEN s.source IN ('display', 'paid_social') AND s.u_reason < 0.6 THEN 'wrong persona'
				  ELSE (ARRAY['wrong persona', 'no budget', 'bad contact data', 'existing customer'])
					   [1 + floor(s.u_reason * 4)::integer] END),
			-- an accepted lead becomes a sales-qualified lead, is recycled or disqualified
			('sql', CASE WHEN s.d_sal < s.p_sal AND s.d_sql < s.p_sql
						 THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2 + 3 + 15 * s.u3) END, NULL),
			('mql', CASE WHEN s.d_sal < s.p_sal AND s.d_sql >= s.p_sql AND s.d_sql < s.p_sql + 0.25
						 THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2 + 10 + 30 * s.u3) END,
			 (ARRAY['timing', 'no project this year'])[1 + floor(s.u_reason * 2)::integer]),
			('disqualified', CASE WHEN s.d_sal < s.p_sal AND s.d_sql >= s.p_sql + 0.25
								  THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2 + 3 + 15 * s.u3) END,
			 (ARRAY['no budget', 'no authority', 'chose a competitor'])[1 + floor(s.u_reason * 3)::integer])
		) v(stage, entered_at, reason)
	) e
	WHERE e.entered_at IS NOT NULL;

	INSERT INTO @extschema@.stage_events (unit_id, stage, entered_at, waterfall, reason)
	SELECT DISTINCT ON (unit_id, entered_at, stage) unit_id, stage, entered_at, 'default', reason
	FROM demo_stage_events
	WHERE entered_at <= as_of
	ORDER BY unit_id, entered_at, stage;

	-- targets for 2025: last year's monthly average of first entries, plus growth
	INSERT INTO @extschema@.stage_targets (waterfall, period, stage, target, grain)
	SELECT 'default', m::date, f.stage,
		   round(f.per_month * (1.05 + 0.2 * @extschema@.demo_uniform(seed, s.rank * 100 + extract(month FROM m)::integer, 801))),
		   'month'
	FROM (
		SELECT e.stage, count(*) / 12.0 AS per_month
		FROM (SELECT unit_id, stage, min(entered_at) AS first_at FROM demo_stage_events
			  WHERE entered_at <= as_of GROUP BY unit_id, stage) e
		WHERE e.first_at >= timestamptz '2024-01-01 00:00:00+00' AND e.first_at < timestamptz '2025-01-01 00:00:00+00'
		GROUP BY e.stage
	) f
	JOIN @extschema@.waterfall_stages s ON s.waterfall = 'default' AND s.stage = f.stage AND NOT s.is_exit,
	generate_series(timestamp '2025-01-01', timestamp '2025-12-01', interval '1 month') m;

	DROP TABLE demo_accounts, demo_contacts, demo_touches, demo_opportunities, demo_opportunity_contacts,
		demo_stage_events;
	-- the views' plans depend on the statistics of what was just loaded
	-- (on Citus, the workers analyze their shards themselves: an ANALYZE of
	-- the tables cannot run in the transaction that loaded them)
	IF citus_mode IS NULL THEN
		ANALYZE @extschema@.contacts, @extschema@.opportunities, @extschema@.opportunity_contacts,
			@extschema@.touchpoints, @extschema@.campaign_costs, @extschema@.stage_events, @extschema@.stage_targets,
			@extschema@.models;
	END IF;

	RETURN QUERY
	SELECT t.table_name, t.rows_loaded FROM (
		SELECT 1 AS n, 'contacts' AS table_name, count(*) AS rows_loaded FROM @extschema@.contacts
		UNION ALL SELECT 2, 'opportunities', count(*) FROM @extschema@.opportunities
		UNION ALL SELECT 3, 'opportunity_contacts', count(*) FROM @extschema@.opportunity_contacts
		UNION ALL SELECT 4, 'touchpoints', count(*) FROM @extschema@.touchpoints
		UNION ALL SELECT 5, 'campaign_costs', count(*) FROM @extschema@.campaign_costs
		UNION ALL SELECT 6, 'stage_events', count(*) FROM @extschema@.stage_events
		UNION ALL SELECT 7, 'stage_targets', count(*) FROM @extschema@.stage_targets) t
	ORDER BY t.n;

	IF citus_mode IS NOT NULL THEN
		PERFORM set_config('citus.multi_shard_modify_mode', citus_mode, true);
	END IF;
END
$$;

-- The plan, in order.  Reference tables first, referenced before
-- referencing, so that every foreign key is created between Citus tables
-- (citus.enable_local_reference_table_foreign_keys is off: a reference
-- table with a foreign key to a local table would otherwise turn that
-- table into a Citus local table, which means dropping and re-creating the
-- extension's views that read it, which the extension forbids).  The
-- triggers of models and waterfalls are disabled while Citus copies their
-- rows into the reference table (a copied built-in row must stay built-in)
-- and enabled again after (citus.enable_unsafe_triggers lets Citus put
-- them on every node's copy; they only touch the copy they fire on).
CREATE FUNCTION @extschema@.distribution_plan()
RETURNS TABLE(step integer, table_name text, statement text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT row_number() OVER ()::integer, p.table_name, p.statement
	FROM (VALUES
		(NULL, 'SET LOCAL citus.enable_local_reference_table_foreign_keys = off'),
		(NULL, 'SET LOCAL citus.enable_unsafe_triggers = on'),
		('@extschema@.touchpoints',
		 'ALTER TABLE @extschema@.touchpoints DROP CONSTRAINT touchpoints_pkey, '
		 || 'ADD CONSTRAINT touchpoints_pkey PRIMARY KEY (contact_id, touchpoint_id)'),
		('@extschema@.waterfalls', 'ALTER TABLE @extschema@.waterfalls DISABLE TRIGGER USER'),
		('@extschema@.waterfalls', 'SELECT create_reference_table(''@extschema@.waterfalls'')'),
		('@extschema@.waterfalls', 'ALTER TABLE @extschema@.waterfalls ENABLE TRIGGER USER'),
		('@extschema@.waterfall_stages', 'SELECT create_reference_table(''@extschema@.waterfall_stages'')'),
		('@extschema@.models', 'ALTER TABLE @extschema@.models DISABLE TRIGGER USER'),
		('@extschema@.models', 'SELECT create_reference_table(''@extschema@.models'')'),
		('@extschema@.models', 'ALTER TABLE @extschema@.models ENABLE TRIGGER USER'),
		('@extschema@.stage_targets', 'SELECT create_reference_table(''@extschema@.stage_targets'')'),
		('@extschema@.opportunities', 'SELECT create_reference_table(''@extschema@.opportunities'')'),
		('@extschema@.contacts',
		 'SELECT create_distributed_table(''@extschema@.contacts'', ''contact_id'', colocate_with => ''none'')'),
		('@extschema@.touchpoints',
		 'SELECT create_distributed_table(''@extschema@.touchpoints'', ''contact_id'', colocate_with => ''@extschema@.contacts'')'),
		('@extschema@.opportunity_contacts',
		 'SELECT create_distributed_table(''@extschema@.opportunity_contacts'', ''contact_id'', colocate_with => ''@extschema@.contacts'')'),
		('@extschema@.stage_events',
		 'SELECT create_distributed_table(''@extschema@.stage_events'', ''unit_id'', colocate_with => ''@extschema@.contacts'')'),
		('@extschema@.campaign_costs',
		 'SELECT create_distributed_table(''@extschema@.campaign_costs'', ''campaign'', colocate_with => ''none'')')
	) p(table_name, statement)
$$;
COMMENT ON FUNCTION @extschema@.distribution_plan() IS
	'The statements distribute() runs on a Citus coordinator, in order (the key of touchpoints also on every worker): reference tables, then the co-located distributed tables';

-- Runs the plan.  A table that is already a Citus table is skipped, so it
-- can run again after a failure or after adding a node (whose copy of
-- touchpoints gets the key then).  At the end the
-- source functions of the built-in tables are re-created (see
-- source_apply()), so that calling them on the coordinator gives the
-- distributed rows.  The key of
-- touchpoints is changed on the workers first, in their own transactions
-- (run_command_on_workers): the workers have the extension's tables too
-- (Citus installs the extension there), and it uses them as its
-- descriptions of the distributed tables, so they must have the same key.
CREATE FUNCTION @extschema@.distribute()
RETURNS TABLE(step integer, statement text, done boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record;
	citus_tables regclass[];
	failures text;
	saved_fkeys text;
	saved_triggers text;
	key_change constant text := pg_catalog.format(
		'DO $do$ BEGIN IF (SELECT pg_catalog.cardinality(c.conkey) FROM pg_catalog.pg_constraint c '
		'WHERE c.conrelid = %L::pg_catalog.regclass AND c.contype = ''p'') = 1 THEN '
		'PERFORM pg_catalog.set_config(''citus.enable_ddl_propagation'', ''off'', true); %s; END IF; END $do$',
		'@extschema@.touchpoints',
		(SELECT d.statement FROM @extschema@.distribution_plan() d WHERE d.statement LIKE 'ALTER TABLE%touchpoints_pkey%'));
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'distribute() needs the citus extension'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = 'Citus is not installed in this database, so there is nothing to distribute the tables over.',
			HINT = 'Install Citus on the coordinator and the workers, run CREATE EXTENSION citus and add the workers with citus_add_node(), then call distribute() again. A single server needs no distribution.';
	END IF;
	EXECUTE 'SELECT coalesce(pg_catalog.array_agg(logicalrelid), ''{}'') FROM pg_catalog.pg_dist_partition'
	INTO citus_tables;
	-- the plan sets two settings for the transaction; they are restored at the end
	saved_fkeys := pg_catalog.current_setting('citus.enable_local_reference_table_foreign_keys');
	saved_triggers := pg_catalog.current_setting('citus.enable_unsafe_triggers');

	-- every time: a worker added since has the extension's own key
	EXECUTE 'SELECT pg_catalog.string_agg(pg_catalog.format(''%s:%s: %s'', nodename, nodeport, result), ''; '') '
			'FROM pg_catalog.run_command_on_workers($1) WHERE NOT success'
	INTO failures USING key_change;
	IF failures IS NOT NULL THEN
		RAISE EXCEPTION 'could not change the key of touchpoints on every worker'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = failures || '.',
			HINT = 'Check that every worker is up and has the extension at the coordinator''s version, then call distribute() again.';
	END IF;

	FOR p IN SELECT * FROM @extschema@.distribution_plan() d ORDER BY d.step
	LOOP
		step := p.step;
		statement := p.statement;
		done := p.table_name IS NULL OR NOT p.table_name::regclass = ANY (citus_tables);
		IF done AND p.statement LIKE 'ALTER TABLE%touchpoints_pkey%' THEN
			done := (SELECT pg_catalog.cardinality(c.conkey) = 1 FROM pg_catalog.pg_constraint c
					 WHERE c.conrelid = '@extschema@.touchpoints'::regclass AND c.contype = 'p');
		END IF;
		IF done THEN
			EXECUTE p.statement;
		END IF;
		RETURN NEXT;
	END LOOP;
	-- the source functions of the built-in tables now read Citus tables
	PERFORM @extschema@.source_apply(k.kind, NULL)
	FROM (SELECT DISTINCT c.kind FROM @extschema@.source_columns c) k
	WHERE NOT EXISTS (SELECT 1 FROM @extschema@.sources s WHERE s.kind = k.kind);
	PERFORM pg_catalog.set_config('citus.enable_local_reference_table_foreign_keys', saved_fkeys, true);
	PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', saved_triggers, true);
END
$$;
COMMENT ON FUNCTION @extschema@.distribute() IS
	'On a Citus coordinator: makes the canonical tables distributed by contact (co-located) and opportunities and the configuration tables reference tables (see distribution_plan()); returns every statement and whether it ran (false: already done). Errors without Citus';

-- ==== scale-out: aggregates ====



-- ==== compatibility ====



-- ==== reporting for BI ====



-- ==== maintenance ====



-- ==== end ====
