-- Reporting layer (doc/reporting.md), part 1: the canonical tables that ETL
-- jobs load, with their keys, constraints and indexes, the built-in rows of
-- models and waterfalls, and the pg_dump marks.
--
-- Identifiers of contacts, accounts, opportunities and waterfall units are
-- text (CRM identifiers are strings; numbers load as text), touchpoint ids
-- are bigint (they break ties between touches at the same time).  Money is
-- numeric(14,2): amounts and costs are kept to the cent.

-- ---------------------------------------------------------------- checks used by constraints

CREATE FUNCTION @extschema@.check_model(model text, half_life interval, weights float8[], lookback interval)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	-- Runs the model on a one-touch journey: the model core rejects an
	-- unknown model, a bad half-life or lookback and bad custom weights with
	-- its own error, detail and hint.
	SELECT count(*) = 1
	FROM @extschema@.credits(
		(SELECT @extschema@.journey_agg(timestamptz '2000-01-01 00:00:00+00', 'x')),
		check_model.model, half_life => check_model.half_life, weights => check_model.weights,
		lookback => check_model.lookback)
$$;
COMMENT ON FUNCTION @extschema@.check_model(text, interval, float8[], interval) IS
	'Check constraint of models: true when the model, half-life, weights and lookback are valid, otherwise the model''s own error';

CREATE FUNCTION @extschema@.check_ladder(ladder text[], exits text[])
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	stages text[] := ladder || exits;
	dup text;
	failure record;
BEGIN
	IF ladder IS NULL OR exits IS NULL THEN
		RETURN true;			-- NOT NULL is the columns' business
	END IF;
	SELECT s INTO dup FROM unnest(stages) s GROUP BY s HAVING count(*) > 1 ORDER BY s LIMIT 1;
	-- the rules in order; the first one broken is the error
	SELECT r.message, r.detail, r.hint INTO failure
	FROM (VALUES
		(1, coalesce(cardinality(ladder), 0) < 2 OR array_ndims(ladder) <> 1 OR coalesce(array_ndims(exits), 1) <> 1,
		 'a waterfall ladder must be a one-dimensional array of at least two stage names',
		 format('The ladder is %L.', ladder),
		 'Write the ladder as an array literal such as ''{inquiry,mql,sal,sql,opportunity,won}''.'),
		(2, cardinality(stages) > 100,
		 'a waterfall has at most 100 stages',
		 format('The ladder and the exits have %s stages.', cardinality(stages)),
		 'Group stages, or use several waterfalls.'),
		(3, array_position(stages, NULL) IS NOT NULL OR '' = ANY (stages)
			OR EXISTS (SELECT FROM unnest(stages) s WHERE octet_length(s) > 255),
		 'a waterfall stage name must be 1 to 255 bytes long',
		 format('The ladder is %L and the exits are %L.', ladder, exits),
		 'Remove the NULL, empty or too long element.'),
		(4, dup IS NOT NULL,
		 format('stage "%s" appears more than once in a waterfall', dup),
		 format('The ladder is %L and the exits are %L.', ladder, exits),
		 'Every stage appears once, either in the ladder or in the exits.')
	) AS r(n, broken, message, detail, hint)
	WHERE r.broken
	ORDER BY r.n LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION USING MESSAGE = failure.message, ERRCODE = 'check_violation', DETAIL = failure.detail,
			HINT = failure.hint;
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.check_ladder(text[], text[]) IS
	'Check constraint of waterfalls: true when the ladder (two stages or more) and the exits are distinct stage names of 1 to 255 bytes, at most 100 in all, otherwise an error naming the problem';

-- ---------------------------------------------------------------- people and deals

CREATE TABLE @extschema@.contacts (
	contact_id text NOT NULL,
	account_id text NOT NULL,
	created_at timestamptz NOT NULL,
	CONSTRAINT contacts_pkey PRIMARY KEY (contact_id),
	CONSTRAINT contacts_contact_id_not_empty CHECK (contact_id <> ''),
	CONSTRAINT contacts_account_id_not_empty CHECK (account_id <> ''),
	CONSTRAINT contacts_created_at_finite CHECK (created_at > '-infinity' AND created_at < 'infinity')
);
CREATE INDEX contacts_account_id_idx ON @extschema@.contacts (account_id);
COMMENT ON TABLE @extschema@.contacts IS
	'People at accounts; created_at is when the contact became a lead (the lead-creation milestone)';
COMMENT ON COLUMN @extschema@.contacts.contact_id IS 'Identifier of the contact (the CRM''s id, as text)';
COMMENT ON COLUMN @extschema@.contacts.account_id IS 'Account (company) the contact belongs to';
COMMENT ON COLUMN @extschema@.contacts.created_at IS 'When the contact became a lead';

CREATE TABLE @extschema@.opportunities (
	opportunity_id text NOT NULL,
	account_id text NOT NULL,
	created_at timestamptz NOT NULL,
	closed_at timestamptz,
	is_won boolean NOT NULL DEFAULT false,
	amount numeric(14,2) NOT NULL DEFAULT 0,
	CONSTRAINT opportunities_pkey PRIMARY KEY (opportunity_id),
	CONSTRAINT opportunities_opportunity_id_not_empty CHECK (opportunity_id <> ''),
	CONSTRAINT opportunities_account_id_not_empty CHECK (account_id <> ''),
	CONSTRAINT opportunities_created_at_finite CHECK (created_at > '-infinity' AND created_at < 'infinity'),
	CONSTRAINT opportunities_closed_at_finite CHECK (closed_at < 'infinity'),
	CONSTRAINT opportunities_closed_after_created CHECK (closed_at >= created_at),
	CONSTRAINT opportunities_won_is_closed CHECK (NOT is_won OR closed_at IS NOT NULL),
	CONSTRAINT opportunities_amount_not_negative CHECK (amount >= 0 AND amount <> 'NaN')
);
CREATE INDEX opportunities_account_id_idx ON @extschema@.opportunities (account_id);
CREATE INDEX opportunities_created_at_idx ON @extschema@.opportunities (created_at);
COMMENT ON TABLE @extschema@.opportunities IS
	'Sales opportunities (deals): open while closed_at is NULL, won or lost once closed';
COMMENT ON COLUMN @extschema@.opportunities.opportunity_id IS 'Identifier of the opportunity (the CRM''s id, as text)';
COMMENT ON COLUMN @extschema@.opportunities.account_id IS 'Account (company) of the opportunity';
COMMENT ON COLUMN @extschema@.opportunities.created_at IS 'When the opportunity was created (the opportunity-creation milestone)';
COMMENT ON COLUMN @extschema@.opportunities.closed_at IS 'When the opportunity was closed, won or lost; NULL while open';
COMMENT ON COLUMN @extschema@.opportunities.is_won IS 'True for a closed-won opportunity';
COMMENT ON COLUMN @extschema@.opportunities.amount IS 'Amount of the opportunity: its pipeline, and its revenue when won';

CREATE TABLE @extschema@.opportunity_contacts (
	opportunity_id text NOT NULL,
	contact_id text NOT NULL,
	role text NOT NULL DEFAULT 'contact',
	CONSTRAINT opportunity_contacts_pkey PRIMARY KEY (opportunity_id, contact_id, role),
	CONSTRAINT opportunity_contacts_opportunity_id_fkey FOREIGN KEY (opportunity_id)
		REFERENCES @extschema@.opportunities (opportunity_id) ON DELETE CASCADE,
	CONSTRAINT opportunity_contacts_contact_id_fkey FOREIGN KEY (contact_id)
		REFERENCES @extschema@.contacts (contact_id) ON DELETE CASCADE,
	CONSTRAINT opportunity_contacts_role_not_empty CHECK (role <> '')
);
CREATE INDEX opportunity_contacts_contact_id_idx ON @extschema@.opportunity_contacts (contact_id);
COMMENT ON TABLE @extschema@.opportunity_contacts IS
	'The contacts of each opportunity (contact roles); the touchpoints of all of them form the opportunity''s journey';
COMMENT ON COLUMN @extschema@.opportunity_contacts.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.opportunity_contacts.contact_id IS 'A contact of the opportunity';
COMMENT ON COLUMN @extschema@.opportunity_contacts.role IS
	'The contact''s role on the opportunity; a contact with two roles still contributes each touchpoint once';

CREATE TABLE @extschema@.touchpoints (
	touchpoint_id bigint NOT NULL,
	contact_id text NOT NULL,
	touched_at timestamptz NOT NULL,
	channel text NOT NULL,
	campaign text,
	is_direct boolean,
	CONSTRAINT touchpoints_pkey PRIMARY KEY (touchpoint_id),
	CONSTRAINT touchpoints_contact_id_fkey FOREIGN KEY (contact_id)
		REFERENCES @extschema@.contacts (contact_id) ON DELETE CASCADE,
	CONSTRAINT touchpoints_touched_at_finite CHECK (touched_at > '-infinity' AND touched_at < 'infinity'),
	CONSTRAINT touchpoints_channel_not_empty CHECK (channel <> ''),
	CONSTRAINT touchpoints_channel_no_separator CHECK (strpos(channel, chr(30)) = 0 AND strpos(channel, chr(31)) = 0),
	CONSTRAINT touchpoints_campaign_not_empty CHECK (campaign <> '')
);
CREATE INDEX touchpoints_contact_id_touched_at_idx ON @extschema@.touchpoints (contact_id, touched_at);
COMMENT ON TABLE @extschema@.touchpoints IS
	'Interactions of contacts with marketing and sales (ad clicks, emails, webinars, calls): the raw material of every journey';
COMMENT ON COLUMN @extschema@.touchpoints.touchpoint_id IS
	'Identifier of the touchpoint; breaks ties between touches at the same time';
COMMENT ON COLUMN @extschema@.touchpoints.contact_id IS 'The contact who was touched';
COMMENT ON COLUMN @extschema@.touchpoints.touched_at IS 'When the touch happened';
COMMENT ON COLUMN @extschema@.touchpoints.channel IS 'Marketing or sales channel of the touch';
COMMENT ON COLUMN @extschema@.touchpoints.campaign IS 'Campaign of the touch (joins campaign_costs); NULL for none';
COMMENT ON COLUMN @extschema@.touchpoints.is_direct IS
	'True for a direct (unattributable) touch, skipped by last_non_direct; NULL means: direct when the channel is ''direct''';

CREATE TABLE @extschema@.campaign_costs (
	campaign text NOT NULL,
	channel text NOT NULL,
	spent_on date NOT NULL,
	cost numeric(14,2) NOT NULL,
	CONSTRAINT campaign_costs_pkey PRIMARY KEY (campaign, channel, spent_on),
	CONSTRAINT campaign_costs_campaign_not_empty CHECK (campaign <> ''),
	CONSTRAINT campaign_costs_channel_not_empty CHECK (channel <> ''),
	CONSTRAINT campaign_costs_spent_on_finite CHECK (spent_on > '-infinity' AND spent_on < 'infinity'),
	CONSTRAINT campaign_costs_cost_not_negative CHECK (cost >= 0 AND cost <> 'NaN')
);
CREATE INDEX campaign_costs_channel_spent_on_idx ON @extschema@.campaign_costs (channel, spent_on);
COMMENT ON TABLE @extschema@.campaign_costs IS
	'Spend per campaign, channel and day; joined to credited touches on campaign, channel and date';
COMMENT ON COLUMN @extschema@.campaign_costs.campaign IS 'The campaign (as in touchpoints.campaign)';
COMMENT ON COLUMN @extschema@.campaign_costs.channel IS 'The channel the money was spent in (as in touchpoints.channel)';
COMMENT ON COLUMN @extschema@.campaign_costs.spent_on IS 'The day of the spend';
COMMENT ON COLUMN @extschema@.campaign_costs.cost IS 'The amount spent that day';

-- ---------------------------------------------------------------- configuration: models and waterfalls

CREATE TABLE @extschema@.models (
	name text NOT NULL,
	model text NOT NULL,
	half_life interval NOT NULL DEFAULT '7 days',
	weights float8[],
	lookback interval,
	enabled boolean NOT NULL DEFAULT true,
	builtin boolean NOT NULL DEFAULT false,
	description text,
	CONSTRAINT models_pkey PRIMARY KEY (name),
	CONSTRAINT models_name_not_empty CHECK (name <> ''),
	CONSTRAINT models_model_lower_case CHECK (model = lower(model)),
	CONSTRAINT models_valid CHECK (@extschema@.check_model(model, half_life, weights, lookback))
);
COMMENT ON TABLE @extschema@.models IS
	'Named attribution models: the built-in ones and your own; the reporting views show every enabled row side by side';
COMMENT ON COLUMN @extschema@.models.name IS 'Name of the preset, as the views show it in their model column';
COMMENT ON COLUMN @extschema@.models.model IS 'The rule-based model (first_touch, last_touch, ..., time_decay, custom), lower case';
COMMENT ON COLUMN @extschema@.models.half_life IS 'Half-life of time_decay';
COMMENT ON COLUMN @extschema@.models.weights IS
	'Position weights of a custom model: (first, lead, opportunity, closed, last, middle), summing to 1; NULL for the others';
COMMENT ON COLUMN @extschema@.models.lookback IS 'Touches older than the window''s end minus lookback are ignored; NULL: none';
COMMENT ON COLUMN @extschema@.models.enabled IS 'Reported by the views when true';
COMMENT ON COLUMN @extschema@.models.builtin IS
	'True for the rows the extension installs (not dumped by pg_dump); any change to a row makes it yours (false)';
COMMENT ON COLUMN @extschema@.models.description IS 'Free text';

CREATE TABLE @extschema@.waterfalls (
	name text NOT NULL,
	ladder text[] NOT NULL,
	exits text[] NOT NULL DEFAULT '{disqualified,lost}',
	unit text NOT NULL DEFAULT 'contact',
	builtin boolean NOT NULL DEFAULT false,
	description text,
	CONSTRAINT waterfalls_pkey PRIMARY KEY (name),
	CONSTRAINT waterfalls_name_not_empty CHECK (name <> ''),
	CONSTRAINT waterfalls_unit_known CHECK (unit IN ('contact', 'account', 'opportunity', 'other')),
	CONSTRAINT waterfalls_stages_valid CHECK (@extschema@.check_ladder(ladder, exits))
);
COMMENT ON TABLE @extschema@.waterfalls IS
	'Named demand waterfalls: the ordered ladder of stages and the exit stages; ''default'' is built in';
COMMENT ON COLUMN @extschema@.waterfalls.name IS 'Name of the waterfall (stage_events.waterfall)';
COMMENT ON COLUMN @extschema@.waterfalls.ladder IS 'The stages in order, first to last';
COMMENT ON COLUMN @extschema@.waterfalls.exits IS 'Stages that end a run (disqualified, lost)';
COMMENT ON COLUMN @extschema@.waterfalls.unit IS
	'What stage_events.unit_id identifies: contact (a contacts.contact_id; the lead-quality view needs it), account, opportunity or other';
COMMENT ON COLUMN @extschema@.waterfalls.builtin IS
	'True for the rows the extension installs (not dumped by pg_dump); any change to a row makes it yours (false)';
COMMENT ON COLUMN @extschema@.waterfalls.description IS 'Free text';

-- The stages of every waterfall, one row each, kept up to date from
-- waterfalls by a trigger: the foreign keys of stage_events and
-- stage_targets point here, so an unknown stage is rejected by the database.
CREATE TABLE @extschema@.waterfall_stages (
	waterfall text NOT NULL,
	stage text NOT NULL,
	rank integer NOT NULL,
	is_exit boolean NOT NULL,
	CONSTRAINT waterfall_stages_pkey PRIMARY KEY (waterfall, stage),
	CONSTRAINT waterfall_stages_waterfall_fkey FOREIGN KEY (waterfall)
		REFERENCES @extschema@.waterfalls (name) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.waterfall_stages IS
	'The stages of every waterfall, derived from waterfalls (do not edit): the target of the stage foreign keys, and the stage order for reports';
COMMENT ON COLUMN @extschema@.waterfall_stages.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_stages.stage IS 'A stage of its ladder or of its exits';
COMMENT ON COLUMN @extschema@.waterfall_stages.rank IS 'Position in the ladder (1 = first); exits follow the ladder';
COMMENT ON COLUMN @extschema@.waterfall_stages.is_exit IS 'True for an exit stage';

CREATE TABLE @extschema@.stage_events (
	unit_id text NOT NULL,
	stage text NOT NULL,
	entered_at timestamptz NOT NULL,
	waterfall text NOT NULL DEFAULT 'default',
	reason text,
	CONSTRAINT stage_events_pkey PRIMARY KEY (waterfall, unit_id, entered_at, stage),
	CONSTRAINT stage_events_waterfall_fkey FOREIGN KEY (waterfall) REFERENCES @extschema@.waterfalls (name),
	CONSTRAINT stage_events_stage_fkey FOREIGN KEY (waterfall, stage)
		REFERENCES @extschema@.waterfall_stages (waterfall, stage),
	CONSTRAINT stage_events_unit_id_not_empty CHECK (unit_id <> ''),
	CONSTRAINT stage_events_entered_at_finite CHECK (entered_at > '-infinity' AND entered_at < 'infinity'),
	CONSTRAINT stage_events_reason_not_empty CHECK (reason <> '')
);
CREATE INDEX stage_events_waterfall_stage_entered_at_idx ON @extschema@.stage_events (waterfall, stage, entered_at);
COMMENT ON TABLE @extschema@.stage_events IS
	'Demand waterfall history: each row says a unit (lead, contact, account, opportunity) entered a stage';
COMMENT ON COLUMN @extschema@.stage_events.unit_id IS 'The unit moving through the waterfall (a contact_id for a contact waterfall)';
COMMENT ON COLUMN @extschema@.stage_events.stage IS 'The stage entered (a ladder or exit stage of the waterfall)';
COMMENT ON COLUMN @extschema@.stage_events.entered_at IS 'When the unit entered the stage';
COMMENT ON COLUMN @extschema@.stage_events.waterfall IS 'The waterfall (waterfalls.name)';
COMMENT ON COLUMN @extschema@.stage_events.reason IS
	'Why sales rejected, recycled or disqualified the unit here (the feedback from sales to marketing); NULL for none';

CREATE TABLE @extschema@.stage_targets (
	waterfall text NOT NULL DEFAULT 'default',
	period date NOT NULL,
	stage text NOT NULL,
	target numeric NOT NULL,
	grain text NOT NULL DEFAULT 'month',
	CONSTRAINT stage_targets_pkey PRIMARY KEY (waterfall, grain, period, stage),
	CONSTRAINT stage_targets_waterfall_fkey FOREIGN KEY (waterfall) REFERENCES @extschema@.waterfalls (name),
	CONSTRAINT stage_targets_stage_fkey FOREIGN KEY (waterfall, stage)
		REFERENCES @extschema@.waterfall_stages (waterfall, stage),
	CONSTRAINT stage_targets_grain_known CHECK (grain IN ('month', 'quarter', 'year')),
	CONSTRAINT stage_targets_period_starts_grain CHECK (period = date_trunc(grain, period::timestamp)::date),
	CONSTRAINT stage_targets_target_not_negative CHECK (target >= 0 AND target < 1e15)
);
COMMENT ON TABLE @extschema@.stage_targets IS
	'Shared goals of marketing and sales: how many units should first enter each stage in each period';
COMMENT ON COLUMN @extschema@.stage_targets.waterfall IS 'The waterfall (waterfalls.name)';
COMMENT ON COLUMN @extschema@.stage_targets.period IS 'First day of the period (a month, quarter or year, see grain)';
COMMENT ON COLUMN @extschema@.stage_targets.stage IS 'The stage';
COMMENT ON COLUMN @extschema@.stage_targets.target IS 'Target number of first entries into the stage in the period';
COMMENT ON COLUMN @extschema@.stage_targets.grain IS 'Length of the period: month (default), quarter or year';

-- ---------------------------------------------------------------- built-in rows

INSERT INTO @extschema@.models (name, model, builtin, description) VALUES
	('first_touch', 'first_touch', true, 'All credit to the first touch'),
	('last_touch', 'last_touch', true, 'All credit to the last touch before the close'),
	('last_non_direct', 'last_non_direct', true, 'All credit to the last touch that is not direct'),
	('linear', 'linear', true, 'Equal credit to every touch'),
	('position_based', 'position_based', true, 'U-shaped: 40% first, 40% last, 20% shared by the middle'),
	('j_shaped', 'j_shaped', true, '20% first, 60% last, 20% shared by the middle'),
	('inverse_j', 'inverse_j', true, '60% first, 20% last, 20% shared by the middle'),
	('w_shaped', 'w_shaped', true, 'Pipeline model: 30% first, 30% lead creation, 30% opportunity creation, 10% middle; touches up to the opportunity''s creation'),
	('full_path', 'full_path', true, 'Z-shaped: 22.5% each to first, lead creation, opportunity creation and close, 10% middle'),
	('time_decay', 'time_decay', true, 'Credit halves every 7 days before the close');

INSERT INTO @extschema@.waterfalls (name, ladder, exits, unit, builtin, description) VALUES
	('default', '{inquiry,mql,sal,sql,opportunity,won}', '{disqualified,lost}', 'contact', true,
	 'The SiriusDecisions demand waterfall, per contact');

INSERT INTO @extschema@.waterfall_stages (waterfall, stage, rank, is_exit)
SELECT 'default', s, r::integer, r > 6
FROM unnest('{inquiry,mql,sal,sql,opportunity,won,disqualified,lost}'::text[]) WITH ORDINALITY u(s, r);

-- These small tables are never analyzed by autovacuum (too few changes):
-- without statistics the planner would take them for a few hundred rows
-- and overestimate every reporting query.
ANALYZE @extschema@.models, @extschema@.waterfalls, @extschema@.waterfall_stages;

-- ---------------------------------------------------------------- triggers on the configuration tables

-- The triggers read and write the table they fired on (TG_RELID), never the
-- table by name: on Citus the configuration tables are reference tables, a
-- trigger fires on every node's copy (shard) of the table and may only touch
-- that node's copies.  config_table() finds the copy of another
-- configuration table on the same node (on a single server, the table
-- itself).
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

-- Built-in rows are marked builtin and left out of pg_dump (the extension
-- installs them again).  A change to a built-in row makes it a user row, so
-- pg_dump keeps the change; inserting a row with the name of a built-in row
-- replaces it (this is how a restore brings the change back).  Built-in
-- rows cannot be deleted (disable a model instead).
-- The work of both triggers: what a BEFORE trigger of a table of built-in
-- rows (rel, keyed by name, marked by builtin) returns for the operation op
-- on old_row or new_row.  An inserted row that replaces a built-in row sets
-- every other column of it.
CREATE FUNCTION @extschema@.protect_builtin(op text, rel regclass, old_row anyelement, new_row anyelement,
											noun text, delete_detail text, delete_hint text)
RETURNS anyelement
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	replaces boolean;
	assignments text;
BEGIN
	IF op = 'DELETE' THEN
		IF old_row.builtin THEN
			RAISE EXCEPTION 'built-in % "%" cannot be deleted', noun, old_row.name
				USING ERRCODE = 'restrict_violation', DETAIL = delete_detail, HINT = delete_hint;
		END IF;
		RETURN old_row;
	END IF;
	new_row.builtin := false;
	IF op = 'INSERT' THEN
		EXECUTE format('SELECT EXISTS (SELECT FROM %s r WHERE r.name = $1 AND r.builtin)', rel)
		INTO replaces USING new_row.name;
		IF replaces THEN
			SELECT string_agg(format('%I = ($1).%I', a.attname, a.attname), ', ' ORDER BY a.attnum) INTO assignments
			FROM pg_attribute a
			WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped AND a.attname NOT IN ('name', 'builtin');
			EXECUTE format('UPDATE %s r SET %s WHERE r.name = ($1).name', rel, assignments) USING new_row;
			RETURN NULL;
		END IF;
	END IF;
	RETURN new_row;
END
$$;
COMMENT ON FUNCTION @extschema@.protect_builtin(text, regclass, anyelement, anyelement, text, text, text) IS
	'For protect_builtin_models() and protect_builtin_waterfalls(): the row a trigger of a table of built-in rows returns; a changed built-in row becomes a user row, an inserted row replaces the built-in row of its name, built-in rows cannot be deleted';

CREATE FUNCTION @extschema@.protect_builtin_models() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN @extschema@.protect_builtin(TG_OP, TG_RELID, OLD, NEW, 'model',
		'The extension installs its built-in models; a restore would bring the row back.',
		'Set enabled = false to stop reporting it.');
END
$$;
COMMENT ON FUNCTION @extschema@.protect_builtin_models() IS
	'Trigger of models: a changed built-in row becomes a user row, an inserted row replaces the built-in row of its name, built-in rows cannot be deleted';

CREATE TRIGGER models_protect_builtin BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.models
	FOR EACH ROW EXECUTE FUNCTION @extschema@.protect_builtin_models();

CREATE FUNCTION @extschema@.protect_builtin_waterfalls() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND NEW.name <> OLD.name THEN
		RAISE EXCEPTION 'a waterfall cannot be renamed'
			USING ERRCODE = 'feature_not_supported',
			DETAIL = format('Waterfall %L would become %L.', OLD.name, NEW.name),
			HINT = 'Insert a waterfall with the new name and move the stage events and targets to it.';
	END IF;
	RETURN @extschema@.protect_builtin(TG_OP, TG_RELID, OLD, NEW, 'waterfall',
		'The extension installs its built-in waterfall; a restore would bring the row back.',
		'Update its ladder and exits instead, or use a waterfall of your own.');
END
$$;
COMMENT ON FUNCTION @extschema@.protect_builtin_waterfalls() IS
	'Trigger of waterfalls: a changed built-in row becomes a user row, an inserted row replaces the built-in row of its name, built-in rows cannot be deleted or renamed';

CREATE TRIGGER waterfalls_protect_builtin BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.waterfalls
	FOR EACH ROW EXECUTE FUNCTION @extschema@.protect_builtin_waterfalls();

-- Keeps waterfall_stages in step with the ladder and exits.  A stage still
-- used by stage_events or stage_targets cannot disappear: the foreign key
-- rejects the change.
CREATE FUNCTION @extschema@.sync_waterfall_stages() RETURNS trigger
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
COMMENT ON FUNCTION @extschema@.sync_waterfall_stages() IS
	'Trigger of waterfalls: keeps waterfall_stages in step with the ladders and exits';

CREATE TRIGGER waterfalls_sync_stages AFTER INSERT OR UPDATE OF ladder, exits ON @extschema@.waterfalls
	FOR EACH ROW EXECUTE FUNCTION @extschema@.sync_waterfall_stages();

-- ---------------------------------------------------------------- pg_dump

SELECT pg_catalog.pg_extension_config_dump('@extschema@.contacts', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.opportunities', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.opportunity_contacts', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.touchpoints', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.campaign_costs', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.models', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.waterfalls', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.stage_events', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.stage_targets', '');
