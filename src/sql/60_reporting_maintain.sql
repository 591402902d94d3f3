-- Reporting layer, last part: performance totals kept up to date.
--
-- The performance views compute every credit of every opportunity each time
-- they are read, which at 100,000 opportunities takes tens of seconds.
-- maintain_performance() stores the totals they add up, with each
-- opportunity's share of them, and points performance_totals at the stored
-- totals; refresh_performance() then recomputes only the opportunities
-- whose inputs changed since the last refresh and adds the difference
-- (numeric sums, so exact: the stored totals equal the live ones).
--
-- What changed is recorded in maintained_changes: by triggers on the
-- built-in tables while maintenance is on (touchpoints and contacts by
-- contact, opportunities and opportunity_contacts by opportunity; old rows
-- and new), and by note_changes() for sources of your own (use_source()),
-- which no trigger here can see.  A change that cannot be traced to
-- opportunities (the enabled models or their settings, the reporting time
-- zone, the sources, a TRUNCATE) makes the next refresh recompute
-- everything.
--
-- Like a materialized view, the stored totals hold every opportunity that
-- the role refreshing them can see: row-level security on the tables
-- behind them does not apply to the readers of the performance views while
-- maintenance is on.  The tables are granted to no one.

-- ---------------------------------------------------------------- the stored totals

-- One row of performance_totals, as stored per opportunity.
CREATE TYPE @extschema@.performance_total AS (
	model text,
	touch_key text,
	created_month date,
	touches bigint,
	opportunities numeric,
	won numeric,
	pipeline_cents numeric,
	revenue_cents numeric
);
COMMENT ON TYPE @extschema@.performance_total IS
	'One row of performance_totals: what maintained_opportunity_totals stores per opportunity';

CREATE TABLE @extschema@.maintained_opportunity_totals (
	opportunity_id text NOT NULL,
	totals @extschema@.performance_total[] NOT NULL,
	CONSTRAINT maintained_opportunity_totals_pkey PRIMARY KEY (opportunity_id)
);
COMMENT ON TABLE @extschema@.maintained_opportunity_totals IS
	'Each opportunity''s share of the maintained performance totals, as of the last refresh_performance() (kept to take it away when the opportunity changes)';
COMMENT ON COLUMN @extschema@.maintained_opportunity_totals.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.maintained_opportunity_totals.totals IS
	'Its rows of performance_totals (per model, touch key and month of creation)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.maintained_opportunity_totals', '');

CREATE TABLE @extschema@.maintained_performance_totals (
	model text NOT NULL,
	touch_key text,
	created_month date,
	touches bigint NOT NULL,
	opportunities numeric NOT NULL,
	won numeric NOT NULL,
	pipeline_cents numeric NOT NULL,
	revenue_cents numeric NOT NULL,
	contributions bigint NOT NULL,
	CONSTRAINT maintained_performance_totals_key UNIQUE NULLS NOT DISTINCT (model, touch_key, created_month)
);
COMMENT ON TABLE @extschema@.maintained_performance_totals IS
	'The totals performance_totals reads while maintained: the sum of maintained_opportunity_totals per model, touch key and month of creation';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.touch_key IS 'Touch key of credit_facts; NULL for the unattributed';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.created_month IS 'Month of the opportunities'' creation';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.touches IS 'Credited touches';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.opportunities IS 'Sum of the credits';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.won IS 'Sum of the credits of won opportunities';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.pipeline_cents IS 'Sum of credit x amount in cents';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.revenue_cents IS 'The same for won opportunities';
COMMENT ON COLUMN @extschema@.maintained_performance_totals.contributions IS
	'How many opportunities'' rows add up to this one (the row goes when none is left)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.maintained_performance_totals', '');

-- Keeps maintained_performance_totals the sum of
-- maintained_opportunity_totals: the rows an INSERT adds are added, the
-- rows a DELETE takes away are subtracted, per key, in one statement.  The
-- keys (tens of thousands at 100,000 opportunities) are grouped in a hash
-- table that the default work_mem of 4MB would spill to disk many times
-- over; 64MB holds them.
CREATE FUNCTION @extschema@.add_opportunity_totals() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
AS $$
BEGIN
	EXECUTE format($q$
		INSERT INTO @extschema@.maintained_performance_totals AS t
		SELECT u.model, u.touch_key, u.created_month, %1$s * sum(u.touches), %1$s * sum(u.opportunities),
			   %1$s * sum(u.won), %1$s * sum(u.pipeline_cents), %1$s * sum(u.revenue_cents), %1$s * count(*)
		FROM %2$I r CROSS JOIN LATERAL unnest(r.totals) u
		GROUP BY u.model, u.touch_key, u.created_month
		ON CONFLICT ON CONSTRAINT maintained_performance_totals_key DO UPDATE
		SET touches = t.touches + excluded.touches, opportunities = t.opportunities + excluded.opportunities,
			won = t.won + excluded.won, pipeline_cents = t.pipeline_cents + excluded.pipeline_cents,
			revenue_cents = t.revenue_cents + excluded.revenue_cents,
			contributions = t.contributions + excluded.contributions$q$,
		CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END,
		CASE TG_OP WHEN 'INSERT' THEN 'new_rows' ELSE 'old_rows' END);
	DELETE FROM @extschema@.maintained_performance_totals t WHERE t.contributions = 0;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.add_opportunity_totals() IS
	'Trigger of maintained_opportunity_totals: adds inserted rows to maintained_performance_totals and subtracts deleted ones';

CREATE TRIGGER maintained_opportunity_totals_add AFTER INSERT ON @extschema@.maintained_opportunity_totals
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.add_opportunity_totals();
CREATE TRIGGER maintained_opportunity_totals_subtract AFTER DELETE ON @extschema@.maintained_opportunity_totals
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.add_opportunity_totals();

-- ---------------------------------------------------------------- what changed

CREATE TABLE @extschema@.maintained_changes (
	opportunity_id text,
	contact_id text,
	CONSTRAINT maintained_changes_one_id CHECK (num_nonnulls(opportunity_id, contact_id) <= 1)
);
COMMENT ON TABLE @extschema@.maintained_changes IS
	'Opportunities and contacts changed since the last refresh_performance(): recorded by the triggers of the built-in tables and by note_changes(); a row with neither asks for a full refresh (TRUNCATE)';
COMMENT ON COLUMN @extschema@.maintained_changes.opportunity_id IS 'An opportunity whose row or contacts changed';
COMMENT ON COLUMN @extschema@.maintained_changes.contact_id IS 'A contact whose row or touchpoints changed (all its opportunities are recomputed)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.maintained_changes', '');
-- Whoever loads the built-in tables fires the triggers that record the
-- changes, so everyone may add to the queue (not read it): an id there only
-- asks the next refresh to recompute that opportunity from the sources.
GRANT INSERT ON @extschema@.maintained_changes TO PUBLIC;

-- Whether the totals are maintained, and under what they were computed.
CREATE TABLE @extschema@.performance_maintenance (
	maintained boolean NOT NULL DEFAULT true,
	refreshed_at timestamptz,
	computed_under text,
	CONSTRAINT performance_maintenance_pkey PRIMARY KEY (maintained),
	CONSTRAINT performance_maintenance_on CHECK (maintained)
);
COMMENT ON TABLE @extschema@.performance_maintenance IS
	'One row while the performance views read maintained totals (maintain_performance()); none while they compute them live';
COMMENT ON COLUMN @extschema@.performance_maintenance.maintained IS 'Always true: the row is there while maintenance is on';
COMMENT ON COLUMN @extschema@.performance_maintenance.refreshed_at IS 'When refresh_performance() last brought the totals up to date';
COMMENT ON COLUMN @extschema@.performance_maintenance.computed_under IS
	'Digest of the enabled models, the reporting time zone and the sources the totals were computed under; NULL: the next refresh recomputes everything';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.performance_maintenance', '');
GRANT SELECT ON @extschema@.performance_maintenance TO PUBLIC;

-- A digest of everything the totals depend on that no trigger traces to
-- opportunities.
CREATE FUNCTION @extschema@.performance_computed_under()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.md5(pg_catalog.concat_ws(E'\n',
		(SELECT pg_catalog.string_agg(pg_catalog.format('%L %L %L %L %L', m.name, m.model, m.half_life, m.weights, m.lookback),
									  E'\n' ORDER BY m.name)
		 FROM @extschema@.models m WHERE m.enabled),
		@extschema@.reporting_time_zone(),
		(SELECT pg_catalog.string_agg(pg_catalog.format('%L %L %L', s.kind, s.relation, s.direct), E'\n' ORDER BY s.kind)
		 FROM @extschema@.sources s)))
$$;
COMMENT ON FUNCTION @extschema@.performance_computed_under() IS
	'Digest of the enabled models, the reporting time zone and the sources: when it changes, refresh_performance() recomputes everything';

-- Statement triggers of the built-in tables while maintenance is on: the
-- contacts or opportunities of the old and new rows.  TRUNCATE leaves no
-- rows to trace, so it asks for a full refresh (a row with neither id).
CREATE FUNCTION @extschema@.record_changes() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id_column text := CASE WHEN TG_TABLE_NAME IN ('touchpoints', 'contacts') THEN 'contact_id' ELSE 'opportunity_id' END;
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		INSERT INTO @extschema@.maintained_changes DEFAULT VALUES;
		RETURN NULL;
	END IF;
	EXECUTE format('INSERT INTO @extschema@.maintained_changes (%1$I) SELECT DISTINCT r.%1$I FROM (%2$s) r WHERE r.%1$I IS NOT NULL',
		id_column,
		CASE TG_OP WHEN 'INSERT' THEN format('SELECT %I FROM new_rows', id_column)
				   WHEN 'DELETE' THEN format('SELECT %I FROM old_rows', id_column)
				   ELSE format('SELECT %1$I FROM new_rows UNION ALL SELECT %1$I FROM old_rows', id_column) END);
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.record_changes() IS
	'Trigger of the built-in touchpoints, contacts, opportunities and opportunity_contacts while maintenance is on: records the changed contacts or opportunities in maintained_changes';

-- Creates or drops the triggers above and points performance_totals at the
-- stored or the live totals; run when the row of performance_maintenance
-- comes or goes, so a restored dump maintains what was maintained.
CREATE FUNCTION @extschema@.maintenance_apply(maintained boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	tbl text;
	op text;
BEGIN
	FOREACH tbl IN ARRAY ARRAY['touchpoints', 'contacts', 'opportunities', 'opportunity_contacts'] LOOP
		FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete', 'truncate'] LOOP
			IF maintained THEN
				EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER %s ON %I.%I %s FOR EACH STATEMENT EXECUTE FUNCTION %I.record_changes()',
					'record_changes_' || op, op, '@extschema@', tbl,
					CASE op WHEN 'insert' THEN 'REFERENCING NEW TABLE AS new_rows'
							WHEN 'update' THEN 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
							WHEN 'delete' THEN 'REFERENCING OLD TABLE AS old_rows'
							ELSE '' END,
					'@extschema@');
			ELSE
				EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I.%I', 'record_changes_' || op, '@extschema@', tbl);
			END IF;
		END LOOP;
	END LOOP;
	PERFORM @extschema@.performance_totals_apply(maintained);
END
$$;
COMMENT ON FUNCTION @extschema@.maintenance_apply(boolean) IS
	'Creates (maintained) or drops the change-recording triggers of the built-in tables and re-creates performance_totals to read the stored or the live totals';

CREATE FUNCTION @extschema@.performance_maintenance_apply() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@.maintenance_apply(TG_OP = 'INSERT');
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.performance_maintenance_apply() IS
	'Trigger of performance_maintenance: turns maintenance on when its row comes, off when it goes';

CREATE TRIGGER performance_maintenance_apply AFTER INSERT OR DELETE ON @extschema@.performance_maintenance
	FOR EACH ROW EXECUTE FUNCTION @extschema@.performance_maintenance_apply();

-- ---------------------------------------------------------------- the functions

CREATE FUNCTION @extschema@.note_changes(opportunity_ids text[] DEFAULT NULL, contact_ids text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	noted bigint;
BEGIN
	IF NOT EXISTS (SELECT FROM @extschema@.performance_maintenance) THEN
		RAISE EXCEPTION 'the performance totals are not maintained'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = 'note_changes() records changes for refresh_performance(), which updates maintained totals.',
			HINT = 'Call maintain_performance() first.';
	END IF;
	INSERT INTO @extschema@.maintained_changes (opportunity_id)
	SELECT DISTINCT i FROM pg_catalog.unnest(opportunity_ids) i WHERE i IS NOT NULL;
	GET DIAGNOSTICS noted = ROW_COUNT;
	INSERT INTO @extschema@.maintained_changes (contact_id)
	SELECT DISTINCT i FROM pg_catalog.unnest(contact_ids) i WHERE i IS NOT NULL;
	RETURN noted + (SELECT pg_catalog.count(DISTINCT i) FROM pg_catalog.unnest(contact_ids) i WHERE i IS NOT NULL);
END
$$;
COMMENT ON FUNCTION @extschema@.note_changes(text[], text[]) IS
	'Records opportunities and contacts whose data changed in sources of your own (use_source()), for the next refresh_performance(); returns how many ids it recorded';

-- Recomputes the stored totals of the given opportunities (all of them
-- when opportunity_ids is NULL): their old rows go, their new rows come,
-- and the triggers of maintained_opportunity_totals carry both into the
-- totals.
CREATE FUNCTION @extschema@.recompute_opportunity_totals(opportunity_ids text[])
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	recomputed bigint;
BEGIN
	IF opportunity_ids IS NULL THEN
		TRUNCATE @extschema@.maintained_opportunity_totals, @extschema@.maintained_performance_totals;
	ELSE
		DELETE FROM @extschema@.maintained_opportunity_totals o WHERE o.opportunity_id = ANY (opportunity_ids);
	END IF;
	EXECUTE format($q$
		INSERT INTO @extschema@.maintained_opportunity_totals (opportunity_id, totals)
		SELECT d.opportunity_id,
			   array_agg(ROW(x.model, x.touch_key, x.created_month, x.touches, x.opportunities, x.won, x.pipeline_cents,
							 x.revenue_cents)::@extschema@.performance_total
						 ORDER BY x.model, x.touch_key, x.created_month)
		FROM (%s) d
		CROSS JOIN LATERAL (%s) x
		GROUP BY d.opportunity_id$q$,
		CASE WHEN opportunity_ids IS NULL
			 THEN 'SELECT DISTINCT o.opportunity_id FROM @extschema@.source_opportunities_view o WHERE o.opportunity_id IS NOT NULL'
			 ELSE 'SELECT DISTINCT i AS opportunity_id FROM pg_catalog.unnest($1) i WHERE i IS NOT NULL' END,
		@extschema@.performance_totals_query(true))
	USING opportunity_ids;
	GET DIAGNOSTICS recomputed = ROW_COUNT;
	RETURN recomputed;
END
$$;
COMMENT ON FUNCTION @extschema@.recompute_opportunity_totals(text[]) IS
	'The work of refresh_performance(): recomputes the stored totals of the given opportunities (NULL: all); returns how many opportunities have totals now';

CREATE FUNCTION @extschema@.refresh_performance(recompute_all boolean DEFAULT false)
RETURNS TABLE(opportunities bigint, recomputed_all boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	current_digest text := @extschema@.performance_computed_under();
	previous_digest text;
	changed text[];
BEGIN
	IF recompute_all IS NULL THEN
		RAISE EXCEPTION 'recompute_all must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'recompute_all says whether every opportunity is recomputed or only the changed ones.',
			HINT = 'Leave it out (false), or pass true.';
	END IF;
	-- refreshes queue; readers go on reading the totals of the last one
	LOCK TABLE @extschema@.performance_maintenance IN SHARE ROW EXCLUSIVE MODE;
	SELECT m.computed_under INTO previous_digest FROM @extschema@.performance_maintenance m;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'the performance totals are not maintained'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = 'The performance views compute their totals live; there is nothing to refresh.',
			HINT = 'Call maintain_performance() to store the totals and refresh them after each load.';
	END IF;
	recomputed_all := recompute_all OR previous_digest IS DISTINCT FROM current_digest
		OR EXISTS (SELECT FROM @extschema@.maintained_changes c WHERE c.opportunity_id IS NULL AND c.contact_id IS NULL);
	IF recomputed_all THEN
		DELETE FROM @extschema@.maintained_changes;
		opportunities := @extschema@.recompute_opportunity_totals(NULL);
	ELSE
		WITH taken AS (DELETE FROM @extschema@.maintained_changes c RETURNING c.opportunity_id, c.contact_id)
		SELECT coalesce(array_agg(DISTINCT x.opportunity_id), '{}') INTO changed
		FROM (SELECT t.opportunity_id FROM taken t WHERE t.opportunity_id IS NOT NULL
			  UNION ALL
			  SELECT oc.opportunity_id FROM taken t
			  JOIN @extschema@.source_opportunity_contacts_view oc ON oc.contact_id = t.contact_id) x;
		PERFORM @extschema@.recompute_opportunity_totals(changed);
		opportunities := cardinality(changed);
	END IF;
	UPDATE @extschema@.performance_maintenance m SET refreshed_at = now(), computed_under = current_digest;
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION @extschema@.refresh_performance(boolean) IS
	'Brings the maintained performance totals up to date: recomputes the opportunities changed since the last refresh, or all of them (recompute_all, or when the models, time zone or sources changed); returns how many it recomputed';

CREATE FUNCTION @extschema@.maintain_performance(enabled boolean DEFAULT true)
RETURNS TABLE(opportunities bigint, recomputed_all boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF enabled IS NULL THEN
		RAISE EXCEPTION 'enabled must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'enabled says whether the performance views read maintained totals or compute them live.',
			HINT = 'Pass true to maintain them, false to compute them live again.';
	END IF;
	IF NOT enabled THEN
		DELETE FROM @extschema@.performance_maintenance;
		TRUNCATE @extschema@.maintained_opportunity_totals, @extschema@.maintained_performance_totals,
				 @extschema@.maintained_changes;
		RETURN;
	END IF;
	IF EXISTS (SELECT FROM pg_catalog.unnest(ARRAY['touchpoints', 'contacts', 'opportunities', 'opportunity_contacts']) k
			   LEFT JOIN @extschema@.sources s ON s.kind = k
			   WHERE @extschema@.reads_citus_table(coalesce(pg_catalog.to_regclass(s.relation),
															pg_catalog.format('%I.%I', '@extschema@', k)::regclass))) THEN
		RAISE EXCEPTION 'the performance totals cannot be maintained on distributed tables'
			USING ERRCODE = 'feature_not_supported',
			DETAIL = 'The totals are stored on the coordinator, and changes to distributed tables cannot be traced there.',
			HINT = 'On Citus, keep rollups of the per-journey summaries instead (see the scale-out documentation), or materialize() the views.';
	END IF;
	INSERT INTO @extschema@.performance_maintenance DEFAULT VALUES ON CONFLICT DO NOTHING;
	RETURN QUERY SELECT * FROM @extschema@.refresh_performance(true);
END
$$;
COMMENT ON FUNCTION @extschema@.maintain_performance(boolean) IS
	'Stores the totals of the performance views and makes the views read them, kept up to date by refresh_performance() (enabled false: the views compute them live again); returns the first refresh';
