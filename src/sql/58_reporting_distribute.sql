-- Reporting layer: scale-out on Citus (distributed PostgreSQL).
--
-- distribute() turns the canonical tables into Citus tables:
--
-- - contacts, touchpoints, opportunity_contacts and stage_events are
--   distributed by the contact (contact_id, and unit_id for stage events)
--   and co-located, so that a contact's touches, its opportunity
--   memberships and its stage history sit on the same shard and the views
--   join them there;
-- - campaign_costs is distributed by campaign (it only meets the rest once
--   added up);
-- - opportunities and the configuration tables (models, waterfalls,
--   waterfall_stages, stage_targets) become reference tables, copied to
--   every node: the journeys join them to any shard, and the foreign keys
--   of the distributed tables may point at them.
--
-- Citus wants the distribution column in every primary key: touchpoints'
-- key (touchpoint_id) becomes (contact_id, touchpoint_id), so on Citus a
-- touchpoint id is unique per contact only and its uniqueness across
-- contacts is the loader's business (a sequence, as on a single node).
-- The other keys already hold their distribution column.

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
