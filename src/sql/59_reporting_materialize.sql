-- Reporting layer, last part: materialized copies of the heavy views.
--
-- The views compute on every query, which is right for the demo and for a
-- few hundred thousand touchpoints.  Past that, materialize(view) stores a
-- copy (CREATE MATERIALIZED VIEW ... AS SELECT * FROM the view) with a
-- unique index on the view's key, and refresh_materialized() refreshes the
-- copies CONCURRENTLY, so BI tools keep reading while it runs.

CREATE TABLE @extschema@.materialized_views (
	matview text NOT NULL,
	view_name text NOT NULL,
	key_columns text[] NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT materialized_views_pkey PRIMARY KEY (matview)
);
COMMENT ON TABLE @extschema@.materialized_views IS
	'The materialized copies made by materialize(), refreshed by refresh_materialized()';
COMMENT ON COLUMN @extschema@.materialized_views.matview IS 'Schema-qualified name of the materialized view';
COMMENT ON COLUMN @extschema@.materialized_views.view_name IS 'The view it copies (in the extension''s schema)';
COMMENT ON COLUMN @extschema@.materialized_views.key_columns IS 'Columns of its unique index';
COMMENT ON COLUMN @extschema@.materialized_views.created_at IS 'When it was made';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.materialized_views', '');

CREATE VIEW @extschema@.reporting_views WITH (security_invoker = true) AS
SELECT v.view_name, v.key_columns
FROM (VALUES
	('opportunity_touchpoints', '{opportunity_id,touchpoint_id}'::text[]),
	('opportunity_journeys', '{opportunity_id}'),
	('opportunity_credits', '{model,opportunity_id,touchpoint_id}'),
	('opportunity_touch_credits', '{model,opportunity_id,touchpoint_id}'),
	('channel_performance', '{model,attributed,channel}'),
	('campaign_performance', '{model,attributed,channel,campaign}'),
	('campaign_performance_monthly', '{model,month,attributed,channel,campaign}'),
	('opportunity_paths', '{opportunity_id}'),
	('data_driven_attribution', '{channel}'),
	('stage_histories', '{waterfall,unit_id}'),
	('waterfall_cohorts', '{waterfall,cohort,stage}'),
	('waterfall_flow', '{waterfall,month,stage}'),
	('waterfall_velocity', '{waterfall,stage}'),
	('waterfall_leakage', '{waterfall,stage}'),
	('plan_vs_actual', '{waterfall,grain,period,stage}'),
	('lead_sources', '{contact_id}'),
	('lead_quality', '{waterfall,source_channel,source_campaign}'),
	('lead_feedback', '{waterfall,source_channel,source_campaign,stage,reason}'),
	('models_enabled', '{model}'),
	('waterfall_list', '{waterfall}'),
	('waterfall_stage_list', '{waterfall,stage}'),
	('reverse_waterfall_plan', '{waterfall,grain,period,stage}'),
	('stage_to_stage_days', '{waterfall,from_stage,to_stage}'),
	('waterfall_exit_reasons', '{waterfall,stage,exit_stage,reason}'),
	('data_driven_models', '{model,markov_order,channel}'),
	('lead_quality_by_channel', '{waterfall,source_channel}'),
	('campaign_pipeline_by_created_month', '{model,created_month,attributed,channel,campaign}')
) v(view_name, key_columns);
COMMENT ON VIEW @extschema@.reporting_views IS
	'The reporting views that materialize() can store and publish() can publish, with the columns that identify their rows';
COMMENT ON COLUMN @extschema@.reporting_views.view_name IS 'Name of the view in the extension''s schema';
COMMENT ON COLUMN @extschema@.reporting_views.key_columns IS
	'Columns that identify a row (the unique index of a materialized copy; NULL values never repeat a key)';
GRANT SELECT ON @extschema@.reporting_views TO PUBLIC;

-- A copy holds every row that the role refreshing it can see: row-level
-- security is not applied to materialized views.  So copies never go into
-- the extension's schema, whose tables and views are what BI roles are
-- granted; they go into a schema of the caller's choosing (by default the
-- first schema of the caller's search_path), to be granted on their own.
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
	-- the view's documentation goes with it
	PERFORM @extschema@.copy_comments(pg_catalog.format('%I.%I', '@extschema@', view_name)::regclass, target::regclass,
		pg_catalog.format('%s (materialized copy of %I.%I, refreshed by %I.refresh_materialized())',
			pg_catalog.obj_description(pg_catalog.format('%I.%I', '@extschema@', view_name)::regclass, 'pg_class'),
			'@extschema@', view_name, '@extschema@'));
	INSERT INTO @extschema@.materialized_views (matview, view_name, key_columns) VALUES (target, view_name, keys);
	RETURN target;
END
$$;
COMMENT ON FUNCTION @extschema@.materialize_into(text, text, name) IS
	'The work of materialize(): stores a reporting view as a materialized view named matview (default <view>_materialized) in default_schema when the name has no schema, never in the extension''s schema';

-- Names resolve here, on the caller's search_path; the rest runs with a
-- pinned one.
CREATE FUNCTION @extschema@.materialize(view_name text, matview text DEFAULT NULL)
RETURNS text
LANGUAGE sql
AS $$ SELECT @extschema@.materialize_into(view_name, matview, pg_catalog.current_schema()) $$;
COMMENT ON FUNCTION @extschema@.materialize(text, text) IS
	'Stores a reporting view as a materialized view (name or schema.name; default: <view>_materialized in the first schema of the search_path, never the extension''s schema) with a unique index on its key, for refresh_materialized(); returns its name';

CREATE FUNCTION @extschema@.refresh_materialized(matview text DEFAULT NULL)
RETURNS TABLE(materialized_view text, refreshed boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
BEGIN
	IF matview IS NOT NULL AND NOT EXISTS (SELECT FROM @extschema@.materialized_views v
										   WHERE v.matview = refresh_materialized.matview) THEN
		RAISE EXCEPTION 'materialized view "%" was not made by materialize()', matview
			USING ERRCODE = 'undefined_object',
			DETAIL = 'refresh_materialized() refreshes the copies listed in materialized_views.',
			HINT = 'Give the name as materialize() returned it, or no name to refresh them all.';
	END IF;
	FOR m IN SELECT v.matview FROM @extschema@.materialized_views v
			 WHERE refresh_materialized.matview IS NULL OR v.matview = refresh_materialized.matview
			 ORDER BY v.matview
	LOOP
		materialized_view := m.matview;
		IF pg_catalog.to_regclass(m.matview) IS NULL THEN
			RAISE NOTICE 'materialized view % no longer exists, skipped', m.matview;
			refreshed := false;
		ELSE
			EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY %s', m.matview);
			refreshed := true;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh_materialized(text) IS
	'Refreshes, concurrently, one materialized copy made by materialize() or (no argument) all of them';
