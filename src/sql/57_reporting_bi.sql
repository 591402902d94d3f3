-- Reporting layer, part 7: for BI tools and analysts.
--
-- Lists of the names the views' filter columns take (models, waterfalls,
-- stages) and functions that check a name; every answer a dashboard needs
-- as a view of scalar columns (the reverse waterfall from the targets,
-- stage-to-stage days, the data-driven models side by side, exits with
-- their reasons, lead quality per channel; pipeline by the month the
-- opportunity was created is a grain of performance_by_grain, with the
-- other performance views); a check of the sources against each other; and
-- publish(), which gives a BI role the reports without the raw tables.

-- ---------------------------------------------------------------- the names a filter can take

CREATE VIEW @extschema@.models_enabled WITH (security_invoker = true) AS
SELECT m.name AS model, m.model AS rule,
	   round(extract(epoch FROM m.half_life) / 86400, 4) AS half_life_days,
	   round(extract(epoch FROM m.lookback) / 86400, 4) AS lookback_days,
	   pg_catalog.array_to_string(m.weights, ', ') AS weights,
	   m.builtin, m.description
FROM @extschema@.models m
WHERE m.enabled;
COMMENT ON VIEW @extschema@.models_enabled IS
	'The models the reporting views show: the values their model column takes (a filter on another name returns no rows)';
COMMENT ON COLUMN @extschema@.models_enabled.model IS 'Name of the model, as the views show it in their model column';
COMMENT ON COLUMN @extschema@.models_enabled.rule IS 'The rule-based model it runs (first_touch, ..., time_decay, custom)';
COMMENT ON COLUMN @extschema@.models_enabled.half_life_days IS 'Half-life of time_decay, in days (the other models ignore it)';
COMMENT ON COLUMN @extschema@.models_enabled.lookback_days IS 'Touches older than this many days before the window''s end are ignored; NULL: none';
COMMENT ON COLUMN @extschema@.models_enabled.weights IS
	'Position weights of a custom model: first, lead, opportunity, closed, last, middle; NULL for the others';
COMMENT ON COLUMN @extschema@.models_enabled.builtin IS 'True for a model the extension installs';
COMMENT ON COLUMN @extschema@.models_enabled.description IS 'What the model does';

CREATE VIEW @extschema@.waterfall_list WITH (security_invoker = true) AS
SELECT w.name AS waterfall, w.unit, pg_catalog.array_to_string(w.ladder, ' > ') AS ladder,
	   pg_catalog.array_to_string(w.exits, ', ') AS exits, pg_catalog.cardinality(w.ladder) AS ladder_stages,
	   w.builtin, w.description
FROM @extschema@.waterfalls w;
COMMENT ON VIEW @extschema@.waterfall_list IS
	'The waterfalls: the values the waterfall column of the waterfall views takes, with the unit each one counts';
COMMENT ON COLUMN @extschema@.waterfall_list.waterfall IS 'Name of the waterfall, as the views show it in their waterfall column';
COMMENT ON COLUMN @extschema@.waterfall_list.unit IS
	'What its units are: contact, account, opportunity or other (the default waterfall counts contacts, not deals)';
COMMENT ON COLUMN @extschema@.waterfall_list.ladder IS 'Its ladder stages in order, first to last';
COMMENT ON COLUMN @extschema@.waterfall_list.exits IS 'Its exit stages (disqualified, lost)';
COMMENT ON COLUMN @extschema@.waterfall_list.ladder_stages IS 'Number of ladder stages';
COMMENT ON COLUMN @extschema@.waterfall_list.builtin IS 'True for the waterfall the extension installs';
COMMENT ON COLUMN @extschema@.waterfall_list.description IS 'What the waterfall follows';

CREATE VIEW @extschema@.waterfall_stage_list WITH (security_invoker = true) AS
SELECT s.waterfall, s.stage, s.rank AS stage_rank, s.is_exit, w.unit
FROM @extschema@.waterfall_stages s
JOIN @extschema@.waterfalls w ON w.name OPERATOR(pg_catalog.=) s.waterfall;
COMMENT ON VIEW @extschema@.waterfall_stage_list IS
	'The stages of every waterfall: the values the stage column of the waterfall views takes';
COMMENT ON COLUMN @extschema@.waterfall_stage_list.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_stage_list.stage IS 'A stage of its ladder or of its exits (names are case-sensitive)';
COMMENT ON COLUMN @extschema@.waterfall_stage_list.stage_rank IS 'Position in the ladder (1 = first); exits follow the ladder';
COMMENT ON COLUMN @extschema@.waterfall_stage_list.is_exit IS 'True for an exit stage';
COMMENT ON COLUMN @extschema@.waterfall_stage_list.unit IS 'What the waterfall''s units are';

-- A name written in a filter is data to PostgreSQL: WHERE model = 'W-shaped'
-- cannot fail, it matches nothing.  These functions return a known name
-- unchanged and fail on any other, so a filter written with them cannot be
-- silently empty: WHERE model = attribution.known_model('w_shaped').
CREATE FUNCTION @extschema@.known_model(name text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	enabled_names text;
	close_name text;
BEGIN
	IF name IS NULL THEN
		RAISE EXCEPTION 'model name must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'known_model() checks the name of a model of attribution.models.',
			HINT = 'See the names in attribution.models_enabled.';
	END IF;
	IF EXISTS (SELECT FROM @extschema@.models m
			   WHERE m.name OPERATOR(pg_catalog.=) known_model.name AND m.enabled) THEN
		RETURN name;
	END IF;
	SELECT pg_catalog.string_agg(m.name, ', ' ORDER BY m.name) INTO enabled_names
	FROM @extschema@.models m WHERE m.enabled;
	IF EXISTS (SELECT FROM @extschema@.models m WHERE m.name OPERATOR(pg_catalog.=) known_model.name) THEN
		RAISE EXCEPTION 'model "%" is not enabled', name
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = pg_catalog.format('The views show the enabled models only: %s.', coalesce(enabled_names, 'none')),
			HINT = pg_catalog.format('Enable it: UPDATE attribution.models SET enabled = true WHERE name = %L.', name);
	END IF;
	-- the same name but for case, spaces, hyphens and underscores
	SELECT m.name INTO close_name FROM @extschema@.models m
	WHERE m.enabled
	  AND pg_catalog.regexp_replace(pg_catalog.lower(m.name), '[^a-z0-9]', '', 'g') OPERATOR(pg_catalog.=)
		  pg_catalog.regexp_replace(pg_catalog.lower(known_model.name), '[^a-z0-9]', '', 'g')
	ORDER BY m.name LIMIT 1;
	RAISE EXCEPTION 'unknown model "%"', name
		USING ERRCODE = 'invalid_parameter_value',
		DETAIL = pg_catalog.format('The enabled models are: %s.', coalesce(enabled_names, 'none')),
		HINT = CASE WHEN close_name IS NOT NULL THEN pg_catalog.format('Did you mean %L?', close_name)
				ELSE 'Model names are case-sensitive; see attribution.models_enabled.' END;
END
$$;
COMMENT ON FUNCTION @extschema@.known_model(text) IS
	'Returns the name of an enabled model unchanged, fails on any other name (naming the enabled ones): for filters that must not be silently empty';

CREATE FUNCTION @extschema@.known_waterfall(name text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	names text;
BEGIN
	IF name IS NULL THEN
		RAISE EXCEPTION 'waterfall name must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'known_waterfall() checks the name of a waterfall of attribution.waterfalls.',
			HINT = 'See the names in attribution.waterfall_list.';
	END IF;
	IF EXISTS (SELECT FROM @extschema@.waterfalls w WHERE w.name OPERATOR(pg_catalog.=) known_waterfall.name) THEN
		RETURN name;
	END IF;
	SELECT pg_catalog.string_agg(w.name, ', ' ORDER BY w.name) INTO names FROM @extschema@.waterfalls w;
	RAISE EXCEPTION 'unknown waterfall "%"', name
		USING ERRCODE = 'invalid_parameter_value',
		DETAIL = pg_catalog.format('The waterfalls are: %s.', coalesce(names, 'none')),
		HINT = 'Waterfall names are case-sensitive; see attribution.waterfall_list.';
END
$$;
COMMENT ON FUNCTION @extschema@.known_waterfall(text) IS
	'Returns the name of a waterfall unchanged, fails on any other name (naming the waterfalls): for filters that must not be silently empty';

CREATE FUNCTION @extschema@.known_stage(waterfall text, stage text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ladder text[];
	exits text[];
BEGIN
	IF stage IS NULL THEN
		RAISE EXCEPTION 'stage name must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'known_stage() checks the name of a stage of a waterfall.',
			HINT = 'See the names in attribution.waterfall_stage_list.';
	END IF;
	SELECT w.ladder, w.exits INTO ladder, exits
	FROM @extschema@.waterfalls w WHERE w.name OPERATOR(pg_catalog.=) @extschema@.known_waterfall(known_stage.waterfall);
	IF stage OPERATOR(pg_catalog.=) ANY (ladder OPERATOR(pg_catalog.||) exits) THEN
		RETURN stage;
	END IF;
	RAISE EXCEPTION 'stage "%" is not a stage of waterfall "%"', stage, waterfall
		USING ERRCODE = 'invalid_parameter_value',
		DETAIL = pg_catalog.format('The ladder of %s is %s; its exits are %s.', waterfall,
					pg_catalog.array_to_string(ladder, ', '),
					coalesce(nullif(pg_catalog.array_to_string(exits, ', '), ''), 'none')),
		HINT = 'Stage names are case-sensitive; see attribution.waterfall_stage_list.';
END
$$;
COMMENT ON FUNCTION @extschema@.known_stage(text, text) IS
	'Returns the name of a stage of the waterfall unchanged, fails on any other name (listing the ladder and exits): for filters that must not be silently empty';

-- ---------------------------------------------------------------- a stage that is not in the ladder

-- The foreign keys of stage_events and stage_targets to waterfall_stages
-- only say that the key is not present; this trigger names the stages the
-- waterfall has (the stages are read once per statement, a bulk load pays
-- a lookup in memory per row).
CREATE FUNCTION @extschema@.check_stage()
RETURNS trigger
AS 'MODULE_PATHNAME', 'attribution_check_stage'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.check_stage() IS
	'Trigger of stage_events and stage_targets: a stage that is not in its waterfall is an error that lists the waterfall''s ladder and exits';

CREATE TRIGGER stage_events_check_stage BEFORE INSERT OR UPDATE OF waterfall, stage ON @extschema@.stage_events
	FOR EACH ROW EXECUTE FUNCTION @extschema@.check_stage();
CREATE TRIGGER stage_targets_check_stage BEFORE INSERT OR UPDATE OF waterfall, stage ON @extschema@.stage_targets
	FOR EACH ROW EXECUTE FUNCTION @extschema@.check_stage();

-- ---------------------------------------------------------------- the waterfall, backwards and stage to stage

-- The targets of the last ladder stage (won, in the default waterfall) in
-- stage_targets are the wins each period must produce; the volume every
-- earlier stage needs follows from the conversion rates and median days
-- observed over all the units of the waterfall (reverse_waterfall()).
CREATE VIEW @extschema@.reverse_waterfall_plan WITH (security_invoker = true) AS
WITH summaries AS (
	SELECT h.waterfall, @extschema@.waterfall_agg(h.history) AS summary
	FROM @extschema@.stage_histories h
	GROUP BY h.waterfall
),
goals AS (
	SELECT t.waterfall, t.grain, t.period, t.stage AS goal_stage, t.target, w.unit
	FROM @extschema@.stage_targets t
	JOIN @extschema@.waterfalls w ON w.name OPERATOR(pg_catalog.=) t.waterfall
		AND t.stage OPERATOR(pg_catalog.=) w.ladder[pg_catalog.cardinality(w.ladder)]
)
SELECT g.waterfall, g.grain, g.period, g.goal_stage, g.target AS goal, r.stage, r.stage_rank::integer AS stage_rank,
	   round(r.conversion_rate::numeric, 4) AS conversion_rate,
	   round(r.volume::numeric, 1) AS volume_needed,
	   pt.target AS planned,
	   round(pt.target OPERATOR(pg_catalog.-) r.volume::numeric, 1) AS plan_minus_needed,
	   round(r.median_days_to_next::numeric, 1) AS median_days_to_next,
	   round(r.days_before_win::numeric, 1) AS days_before_goal,
	   (g.period OPERATOR(pg_catalog.-) ceil(r.days_before_win)::integer) AS start_by,
	   g.unit
FROM goals g
JOIN summaries s ON s.waterfall OPERATOR(pg_catalog.=) g.waterfall
CROSS JOIN LATERAL @extschema@.reverse_waterfall(s.summary, g.target::float8) WITH ORDINALITY
	r(stage, conversion_rate, volume, median_days_to_next, days_before_win, stage_rank)
LEFT JOIN @extschema@.stage_targets pt ON pt.waterfall OPERATOR(pg_catalog.=) g.waterfall
	AND pt.grain OPERATOR(pg_catalog.=) g.grain AND pt.period OPERATOR(pg_catalog.=) g.period
	AND pt.stage OPERATOR(pg_catalog.=) r.stage;
COMMENT ON VIEW @extschema@.reverse_waterfall_plan IS
	'The reverse waterfall of every target of the last ladder stage (won) in stage_targets: the volume each stage needs to produce the goal at the conversion rates observed over all units, next to the stage''s own target';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.grain IS 'Length of the period: month, quarter or year';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.period IS 'First day of the period of the goal';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.goal_stage IS 'The last ladder stage, whose target is the goal';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.goal IS 'The target of the last ladder stage in the period';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.stage IS 'Ladder stage';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.stage_rank IS 'Position of the stage in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.conversion_rate IS
	'Observed share of the units that reached the stage and went on to a later one';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.volume_needed IS
	'Units that must reach the stage to produce the goal at the observed rates; NULL when a rate on the way is 0';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.planned IS 'The stage''s own target for the same period in stage_targets; NULL when none';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.plan_minus_needed IS
	'planned - volume_needed: a negative value is a plan below what the goal needs';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.median_days_to_next IS 'Observed median days from the stage to a later one';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.days_before_goal IS
	'Days before reaching the last stage that the units reach this one (the median days to next added up)';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.start_by IS
	'period - days_before_goal: the day by which the stage''s volume is needed for wins from the start of the period';
COMMENT ON COLUMN @extschema@.reverse_waterfall_plan.unit IS 'What the units counted are (the waterfall''s unit)';

-- The time a stage is reached is inferred like everywhere else (a skipped
-- ladder stage counts as reached when a later one is); an exit stage counts
-- from its first entry.
CREATE VIEW @extschema@.stage_to_stage_days WITH (security_invoker = true) AS
WITH reached AS (
	SELECT h.waterfall, h.unit_id, x.stage, x.first_entered_at, x.ladder_rank IS NULL AS is_exit,
		   coalesce(x.ladder_rank, pg_catalog.cardinality(w.ladder)
					OPERATOR(pg_catalog.+) pg_catalog.array_position(w.exits, x.stage)) AS rank
	FROM @extschema@.stage_histories h
	JOIN @extschema@.waterfalls w ON w.name OPERATOR(pg_catalog.=) h.waterfall
	CROSS JOIN LATERAL @extschema@.stage_entries(h.history) x
),
pairs AS (
	SELECT a.waterfall, a.stage AS from_stage, a.rank AS from_rank, b.stage AS to_stage, b.rank AS to_rank,
		   pg_catalog.date_part('epoch', b.first_entered_at OPERATOR(pg_catalog.-) a.first_entered_at)
			   OPERATOR(pg_catalog./) 86400 AS days
	FROM reached a
	JOIN reached b ON b.waterfall OPERATOR(pg_catalog.=) a.waterfall AND b.unit_id OPERATOR(pg_catalog.=) a.unit_id
		AND b.rank OPERATOR(pg_catalog.>) a.rank
		AND (NOT b.is_exit OR b.first_entered_at OPERATOR(pg_catalog.>=) a.first_entered_at)
	WHERE NOT a.is_exit
)
SELECT p.waterfall, p.from_stage, p.from_rank, p.to_stage, p.to_rank, count(*) AS units,
	   round(avg(p.days)::numeric, 1) AS avg_days,
	   round((percentile_cont(0.5) WITHIN GROUP (ORDER BY p.days))::numeric, 1) AS median_days,
	   round((percentile_cont(0.9) WITHIN GROUP (ORDER BY p.days))::numeric, 1) AS p90_days,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name OPERATOR(pg_catalog.=) p.waterfall) AS unit
FROM pairs p
GROUP BY p.waterfall, p.from_stage, p.from_rank, p.to_stage, p.to_rank;
COMMENT ON VIEW @extschema@.stage_to_stage_days IS
	'Days from reaching one stage to reaching another, for every pair of a ladder stage and a later ladder or exit stage: the units that made the move, average, median and 90th percentile';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.from_stage IS 'The ladder stage the days count from';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.from_rank IS 'Its position in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.to_stage IS
	'The stage the days count to: a later ladder stage, or an exit stage entered after from_stage was reached';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.to_rank IS 'Its position in the waterfall (exits follow the ladder)';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.units IS 'Units that reached both stages, in this order';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.avg_days IS 'Average days between the first time each stage was reached';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.median_days IS 'Median of the same days (exact)';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.p90_days IS '90th percentile of the same days (exact)';
COMMENT ON COLUMN @extschema@.stage_to_stage_days.unit IS 'What the units counted are (the waterfall''s unit)';

-- The exit event of a unit is its last event, in an exit stage; the reason
-- given there is why it left.  Units that entered only exit stages have no
-- furthest stage and are left out, as in waterfall_leakage.
CREATE VIEW @extschema@.waterfall_exit_reasons WITH (security_invoker = true) AS
WITH exited AS (
	SELECT DISTINCT ON (h.waterfall, h.unit_id) h.waterfall, h.unit_id, h.furthest_stage, h.current_stage, e.reason
	FROM @extschema@.stage_histories h
	JOIN @extschema@.waterfall_stages s ON s.waterfall OPERATOR(pg_catalog.=) h.waterfall
		AND s.stage OPERATOR(pg_catalog.=) h.current_stage AND s.is_exit
	JOIN @extschema@.source_stage_events_view e ON e.waterfall OPERATOR(pg_catalog.=) h.waterfall
		AND e.unit_id OPERATOR(pg_catalog.=) h.unit_id AND e.stage OPERATOR(pg_catalog.=) h.current_stage
	WHERE h.furthest_stage IS NOT NULL
	ORDER BY h.waterfall, h.unit_id, e.entered_at DESC
)
SELECT x.waterfall, x.furthest_stage AS stage, s.rank AS stage_rank, x.current_stage AS exit_stage, x.reason,
	   count(*) AS units,
	   round(count(*)::numeric OPERATOR(pg_catalog./)
			 sum(count(*)) OVER (PARTITION BY x.waterfall, x.furthest_stage, x.current_stage), 4) AS share_of_exits,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name OPERATOR(pg_catalog.=) x.waterfall) AS unit
FROM exited x
JOIN @extschema@.waterfall_stages s ON s.waterfall OPERATOR(pg_catalog.=) x.waterfall
	AND s.stage OPERATOR(pg_catalog.=) x.furthest_stage
GROUP BY x.waterfall, x.furthest_stage, s.rank, x.current_stage, x.reason;
COMMENT ON VIEW @extschema@.waterfall_exit_reasons IS
	'Where and why units left: per furthest ladder stage, exit stage (disqualified, lost) and the reason given on the exit, the units now there';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.stage IS 'The furthest ladder stage the units reached before they left';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.stage_rank IS 'Its position in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.exit_stage IS 'The exit stage the units are in now';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.reason IS 'The reason given on the exit event; NULL when none was given';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.units IS
	'Units (the rows of a stage and exit stage add up to that column of waterfall_leakage)';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.share_of_exits IS 'units / all units of the same stage and exit stage';
COMMENT ON COLUMN @extschema@.waterfall_exit_reasons.unit IS 'What the units counted are (the waterfall''s unit)';

-- ---------------------------------------------------------------- data-driven models side by side

-- Every data-driven model and heuristic over the same closed opportunities
-- as data_driven_attribution, one row per model (Markov of order 1 to 4)
-- and channel.  Revenue is rounded to the cent by the largest remainder
-- per model, so each model's rows add up exactly to the won amount.
CREATE VIEW @extschema@.data_driven_models WITH (security_invoker = true) AS
WITH summary AS (
	SELECT @extschema@.path_agg(p.path, p.is_won, CASE WHEN p.is_won THEN p.amount ELSE 0 END::float8) AS paths
	FROM @extschema@.opportunity_paths p
	WHERE p.status OPERATOR(pg_catalog.<>) 'open'
),
credits AS (
	SELECT 'markov' AS model, o.chain_order AS markov_order, m.channel, m.removal_effect, m.conversions,
		   m.value
	FROM summary s
	CROSS JOIN pg_catalog.generate_series(1, 4) o(chain_order)
	CROSS JOIN LATERAL @extschema@.markov(s.paths, o.chain_order) m
	UNION ALL
	SELECT 'shapley', NULL, x.channel, NULL, x.conversions, x.value
	FROM summary s CROSS JOIN LATERAL @extschema@.shapley(s.paths) x
	UNION ALL
	SELECT 'counterfactual', NULL, c.channel, NULL, c.conversions, c.value
	FROM summary s CROSS JOIN LATERAL @extschema@.counterfactual(s.paths) c
	UNION ALL
	SELECT v.model, NULL, h.channel, NULL, v.conversions, v.value
	FROM summary s
	CROSS JOIN LATERAL @extschema@.heuristics(s.paths) h
	CROSS JOIN LATERAL (VALUES ('first_touch', h.first_touch, h.first_touch_value),
							   ('last_touch', h.last_touch, h.last_touch_value),
							   ('linear', h.linear, h.linear_value)) v(model, conversions, value)
),
ranked AS (
	SELECT c.*, c.value::numeric OPERATOR(pg_catalog.*) 100 AS cents,
		   round(sum(c.value::numeric OPERATOR(pg_catalog.*) 100) OVER w)
			   OPERATOR(pg_catalog.-) sum(floor(c.value::numeric OPERATOR(pg_catalog.*) 100)) OVER w AS cents_left,
		   row_number() OVER (w ORDER BY c.value::numeric OPERATOR(pg_catalog.*) 100
								  OPERATOR(pg_catalog.-) floor(c.value::numeric OPERATOR(pg_catalog.*) 100) DESC,
							  c.channel) AS cents_rank
	FROM credits c
	WINDOW w AS (PARTITION BY c.model, c.markov_order)
)
SELECT r.model, r.markov_order, r.channel, round(r.removal_effect::numeric, 4) AS removal_effect,
	   round(r.conversions::numeric, 4) AS conversions,
	   ((floor(r.cents) OPERATOR(pg_catalog.+) CASE WHEN r.cents_rank OPERATOR(pg_catalog.<=) r.cents_left THEN 1 ELSE 0 END)
		OPERATOR(pg_catalog./) 100)::numeric(16,2) AS revenue
FROM ranked r;
COMMENT ON VIEW @extschema@.data_driven_models IS
	'Data-driven attribution of the closed opportunities, one row per model and channel: Markov chains of order 1 to 4, Shapley, the counterfactual model, first touch, last touch and linear';
COMMENT ON COLUMN @extschema@.data_driven_models.model IS 'markov, shapley, counterfactual, first_touch, last_touch or linear';
COMMENT ON COLUMN @extschema@.data_driven_models.markov_order IS
	'Order of the Markov chain (1 to 4: how many previous channels a step depends on); NULL for the other models';
COMMENT ON COLUMN @extschema@.data_driven_models.channel IS 'Channel';
COMMENT ON COLUMN @extschema@.data_driven_models.removal_effect IS
	'Markov only: share of conversions lost when the channel is removed from the chain';
COMMENT ON COLUMN @extschema@.data_driven_models.conversions IS
	'Won deals credited to the channel (a model''s rows add up to the won deals)';
COMMENT ON COLUMN @extschema@.data_driven_models.revenue IS
	'Revenue credited to the channel, in cents rounded so that a model''s rows add up exactly to the won amount';

-- ---------------------------------------------------------------- lead quality per channel

-- lead_quality rolled up to the source channel: its counts added up over the
-- campaigns, the rates recomputed from them (rates cannot be added up), and
-- the reasons of lead_feedback ranked per channel.  Its columns are those
-- of lead_quality, with their comments (copy_comments()).
CREATE VIEW @extschema@.lead_quality_by_channel WITH (security_invoker = true) AS
WITH quality AS (
	SELECT q.waterfall, q.source_channel, pg_catalog.sum(q.leads)::bigint AS leads,
		   pg_catalog.sum(q.qualified)::bigint AS qualified, pg_catalog.sum(q.accepted)::bigint AS accepted,
		   pg_catalog.sum(q.disqualified)::bigint AS disqualified, pg_catalog.sum(q.recycled)::bigint AS recycled
	FROM @extschema@.lead_quality q
	GROUP BY q.waterfall, q.source_channel
),
reasons AS (
	SELECT f.waterfall, f.source_channel, r.lost, f.reason, pg_catalog.sum(f.events)::bigint AS times,
		   pg_catalog.row_number() OVER (PARTITION BY f.waterfall, f.source_channel, r.lost
										 ORDER BY pg_catalog.sum(f.events) DESC, f.reason) AS reason_rank
	FROM @extschema@.lead_feedback f
	JOIN @extschema@.waterfalls w ON w.name OPERATOR(pg_catalog.=) f.waterfall
	CROSS JOIN LATERAL (SELECT f.stage OPERATOR(pg_catalog.=) ANY (w.exits)
							   AND f.stage OPERATOR(pg_catalog.<>) w.exits[1] AS lost) r
	GROUP BY f.waterfall, f.source_channel, r.lost, f.reason
)
SELECT q.waterfall, q.source_channel, q.leads, q.qualified, q.accepted,
	   round(q.accepted::numeric OPERATOR(pg_catalog./) nullif(q.qualified, 0), 4) AS acceptance_rate,
	   q.disqualified, round(q.disqualified::numeric OPERATOR(pg_catalog./) q.leads, 4) AS disqualification_rate,
	   q.recycled, round(q.recycled::numeric OPERATOR(pg_catalog./) q.leads, 4) AS recycle_rate,
	   (SELECT pg_catalog.string_agg(pg_catalog.format('%s (%s)', r.reason, r.times), ', ' ORDER BY r.reason_rank)
		FROM reasons r
		WHERE r.waterfall OPERATOR(pg_catalog.=) q.waterfall AND r.source_channel IS NOT DISTINCT FROM q.source_channel
		  AND NOT r.lost AND r.reason_rank OPERATOR(pg_catalog.<=) 3) AS top_rejection_reasons,
	   (SELECT pg_catalog.string_agg(pg_catalog.format('%s (%s)', r.reason, r.times), ', ' ORDER BY r.reason_rank)
		FROM reasons r
		WHERE r.waterfall OPERATOR(pg_catalog.=) q.waterfall AND r.source_channel IS NOT DISTINCT FROM q.source_channel
		  AND r.lost AND r.reason_rank OPERATOR(pg_catalog.<=) 3) AS top_lost_reasons
FROM quality q;
SELECT @extschema@.copy_comments('@extschema@.lead_quality', '@extschema@.lead_quality_by_channel',
	'lead_quality per source channel (all campaigns of the channel together): qualified, accepted, disqualified and recycled leads, and the reasons sales gave most');

-- ---------------------------------------------------------------- do the sources agree?

-- The rows of a sample that find no match: sample is a SELECT of one
-- column "key" (the first sample_rows of its rows are checked; NULL: all),
-- lookup a SELECT of one column "key" of the rows that match.  Written
-- without correlated subqueries, which Citus cannot plan over distributed
-- tables: the sample and its matches are materialized, then joined.
CREATE FUNCTION @extschema@.count_unmatched(sample text, lookup text, sample_rows bigint,
										   OUT checked bigint, OUT unmatched bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	EXECUTE pg_catalog.format(
		'WITH s AS MATERIALIZED (SELECT x.key FROM (%s) x LIMIT $1),'
		'     m AS MATERIALIZED (SELECT DISTINCT l.key FROM (%s) l WHERE l.key IN (SELECT s.key FROM s))'
		' SELECT count(*), count(*) FILTER (WHERE m.key IS NULL) FROM s LEFT JOIN m ON m.key OPERATOR(pg_catalog.=) s.key',
		sample, lookup)
	INTO checked, unmatched USING sample_rows;
END
$$;
COMMENT ON FUNCTION @extschema@.count_unmatched(text, text, bigint) IS
	'For check_sources(): how many of the first sample_rows keys of a query find no key of another (NULL: all rows)';

-- Each source can be a table of the extension or a relation of yours, set
-- with use_source(): nothing stops one kind from still reading the empty
-- built-in table while the others read your data, or the ids of two kinds
-- from not matching.  The views then give numbers, just wrong ones (no lead
-- milestone moves W-shaped credit; touches of unknown contacts join
-- nothing).  check_sources() looks for that.  sample_rows limits each check
-- to the first rows read (NULL: all rows); use_source() runs it on 10,000.
CREATE FUNCTION @extschema@.check_sources(sample_rows bigint DEFAULT NULL)
RETURNS TABLE(kind text, "check" text, status text, detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	kinds constant text[] := '{touchpoints,contacts,opportunities,opportunity_contacts,stage_events,campaign_costs}';
	k text;
	readable text[] := '{}';
	nonempty text[] := '{}';
	failure text;
	found_rows boolean;
	checked bigint;
	bad bigint;
	share numeric;
	scope text;
	consequence text;
	c record;
BEGIN
	IF sample_rows OPERATOR(pg_catalog.<) 1 THEN
		RAISE EXCEPTION 'sample_rows must be at least 1'
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = pg_catalog.format('It is %s.', sample_rows),
			HINT = 'Give the number of rows each check reads, or NULL to read all rows.';
	END IF;
	scope := CASE WHEN sample_rows IS NULL THEN '' ELSE pg_catalog.format(' Only the first %s rows were read.', sample_rows) END;

	-- 1. every kind: can it be read, does it have rows?
	FOREACH k IN ARRAY kinds LOOP
		BEGIN
			EXECUTE pg_catalog.format('SELECT EXISTS (SELECT FROM %I.%I())', '@extschema@', 'source_' OPERATOR(pg_catalog.||) k)
				INTO found_rows;
			readable := readable OPERATOR(pg_catalog.||) k;
			IF found_rows THEN
				nonempty := nonempty OPERATOR(pg_catalog.||) k;
			END IF;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS failure = MESSAGE_TEXT;
			kind := k; "check" := 'rows'; status := 'error';
			detail := pg_catalog.format('Reading %s fails: %s.', @extschema@.source_name(k), failure);
			RETURN NEXT;
		END;
	END LOOP;
	FOREACH k IN ARRAY kinds LOOP
		CONTINUE WHEN NOT k OPERATOR(pg_catalog.=) ANY (readable);
		kind := k; "check" := 'rows';
		IF k OPERATOR(pg_catalog.=) ANY (nonempty) THEN
			status := 'ok';
			detail := pg_catalog.format('%s has rows.', @extschema@.source_name(k));
		ELSIF pg_catalog.cardinality(nonempty) OPERATOR(pg_catalog.=) 0 THEN
			status := 'ok';
			detail := pg_catalog.format('%s is empty, and so are the other sources.', @extschema@.source_name(k));
		ELSE
			consequence := CASE k
				WHEN 'touchpoints' THEN 'every opportunity is unattributed and no lead has a source'
				WHEN 'contacts' THEN 'no opportunity has a lead-creation milestone (W-shaped and full-path credit moves to the other milestones) and lead_quality has no leads'
				WHEN 'opportunities' THEN 'there is nothing to attribute: the credit and performance views are empty'
				WHEN 'opportunity_contacts' THEN 'no opportunity has a contact, so no journey has a touch: every opportunity is unattributed'
				WHEN 'stage_events' THEN 'the waterfall views are empty'
				ELSE 'cost, ROI and cost per deal are NULL' END;
			status := CASE WHEN k OPERATOR(pg_catalog.=) ANY ('{stage_events,campaign_costs}') THEN 'notice' ELSE 'warning' END;
			detail := pg_catalog.format('%s is empty while %s %s rows: %s.', @extschema@.source_name(k),
							pg_catalog.array_to_string(nonempty, ', '),
							CASE WHEN pg_catalog.cardinality(nonempty) OPERATOR(pg_catalog.=) 1 THEN 'has' ELSE 'have' END,
							consequence);
		END IF;
		RETURN NEXT;
	END LOOP;

	-- 2. do the ids of one kind find the rows of another?  3. the
	-- opportunities: contacts, the lead-creation milestone, touches.  4. stage
	-- events: known stages, and contacts for the contact waterfalls.  Each
	-- check counts the keys of a sample that find no key of a lookup; it
	-- needs rows in some kinds and others readable, and rates what it finds
	-- as an error (any key unmatched), a warning (any) or a notice (up to
	-- half; more is a warning).  Its detail is a format of the unmatched, the
	-- checked, the percentage, the consequence (when any is unmatched) and
	-- the scope.
	FOR c IN
		SELECT * FROM (VALUES
			(1, 'touchpoints', 'contact known', '{touchpoints,contacts}'::text[], '{}'::text[],
			 'SELECT t.contact_id AS key FROM @extschema@.source_touchpoints_view t',
			 'SELECT c.contact_id AS key FROM @extschema@.source_contacts_view c',
			 'warning', '%s of %s touchpoints (%s%%) name a contact_id that is not in contacts%s.%s',
			 ': those contacts have no lead-creation time and their leads no source',
			 'Needs rows in touchpoints and contacts.', NULL),
			(2, 'opportunity_contacts', 'contact known', '{opportunity_contacts,contacts}', '{}',
			 'SELECT oc.contact_id AS key FROM @extschema@.source_opportunity_contacts_view oc',
			 'SELECT c.contact_id AS key FROM @extschema@.source_contacts_view c',
			 'warning', '%s of %s opportunity contacts (%s%%) name a contact_id that is not in contacts%s.%s',
			 ': they give their opportunity no lead-creation time',
			 'Needs rows in opportunity_contacts and contacts.', NULL),
			(3, 'opportunity_contacts', 'opportunity known', '{opportunity_contacts,opportunities}', '{}',
			 'SELECT oc.opportunity_id AS key FROM @extschema@.source_opportunity_contacts_view oc',
			 'SELECT o.opportunity_id AS key FROM @extschema@.source_opportunities_view o',
			 'warning', '%s of %s opportunity contacts (%s%%) name an opportunity_id that is not in opportunities%s.%s',
			 ': they join nothing',
			 'Needs rows in opportunity_contacts and opportunities.', NULL),
			(4, 'opportunities', 'has contacts', '{opportunities}', '{opportunity_contacts}',
			 'SELECT o.opportunity_id AS key FROM @extschema@.source_opportunities_view o',
			 'SELECT oc.opportunity_id AS key FROM @extschema@.source_opportunity_contacts_view oc',
			 'notice', '%s of %s opportunities (%s%%) have no contacts%s.%s',
			 ': they have no journey and stay unattributed',
			 'Needs rows in opportunities, and the sources it joins readable.', NULL),
			(5, 'opportunities', 'lead-creation milestone', '{opportunities}', '{opportunity_contacts,contacts}',
			 'SELECT o.opportunity_id AS key FROM @extschema@.source_opportunities_view o',
			 'SELECT oc.opportunity_id AS key FROM @extschema@.source_opportunity_contacts_view oc JOIN @extschema@.source_contacts_view c ON c.contact_id OPERATOR(pg_catalog.=) oc.contact_id',
			 'notice', '%s of %s opportunities (%s%%) have no contact in contacts, so no lead-creation time%s.%s',
			 ': W-shaped and full-path give the lead-creation share to the other milestones',
			 'Needs rows in opportunities, and the sources it joins readable.', NULL),
			(6, 'opportunities', 'has touches', '{opportunities}', '{opportunity_contacts,touchpoints}',
			 'SELECT o.opportunity_id AS key FROM @extschema@.source_opportunities_view o',
			 'SELECT oc.opportunity_id AS key FROM @extschema@.source_opportunity_contacts_view oc JOIN @extschema@.source_touchpoints_view t ON t.contact_id OPERATOR(pg_catalog.=) oc.contact_id',
			 'notice', '%s of %s opportunities (%s%%) have no touch of any of their contacts%s.%s',
			 ': they are unattributed under every model',
			 'Needs rows in opportunities, and the sources it joins readable.', NULL),
			(7, 'stage_events', 'stage known', '{stage_events}', '{}',
			 'SELECT pg_catalog.jsonb_build_array(e.waterfall, e.stage)::text AS key FROM @extschema@.source_stage_events_view e',
			 'SELECT pg_catalog.jsonb_build_array(s.waterfall, s.stage)::text AS key FROM @extschema@.waterfall_stages s',
			 'error', '%1$s of %2$s stage events name a waterfall or a stage that attribution.waterfalls does not have%4$s.%5$s',
			 ': the waterfall views fail on them',
			 'Needs rows in stage_events.', NULL),
			(8, 'stage_events', 'contact known', '{stage_events,contacts}', '{}',
			 'SELECT e.unit_id AS key FROM @extschema@.source_stage_events_view e JOIN @extschema@.waterfalls w ON w.name OPERATOR(pg_catalog.=) e.waterfall WHERE w.unit OPERATOR(pg_catalog.=) ''contact''',
			 'SELECT c.contact_id AS key FROM @extschema@.source_contacts_view c',
			 'notice', '%s of %s stage events of contact waterfalls (%s%%) name a unit_id that is not in contacts%s.%s',
			 ': lead_quality and lead_feedback find no source for them',
			 'Needs rows in stage_events and contacts.', 'No stage events of a waterfall whose unit is contact.')
		) AS x(n, kind, "check", needs_rows, needs_readable, sample, lookup, level, message, consequence, skipped,
			   none_checked)
		ORDER BY x.n
	LOOP
		kind := c.kind; "check" := c."check";
		IF NOT (c.needs_rows OPERATOR(pg_catalog.<@) nonempty AND c.needs_readable OPERATOR(pg_catalog.<@) readable) THEN
			status := 'skipped'; detail := c.skipped;
		ELSE
			SELECT u.checked, u.unmatched INTO checked, bad FROM @extschema@.count_unmatched(c.sample, c.lookup, sample_rows) u;
			IF checked OPERATOR(pg_catalog.=) 0 AND c.none_checked IS NOT NULL THEN
				status := 'skipped'; detail := c.none_checked;
			ELSE
				share := bad::numeric OPERATOR(pg_catalog./) NULLIF(checked, 0);
				status := CASE WHEN bad OPERATOR(pg_catalog.=) 0 THEN 'ok'
							   WHEN c.level OPERATOR(pg_catalog.=) 'notice' AND share OPERATOR(pg_catalog.<=) 0.5 THEN 'notice'
							   WHEN c.level OPERATOR(pg_catalog.=) 'error' THEN 'error' ELSE 'warning' END;
				detail := pg_catalog.format(c.message, bad, checked, round(100 OPERATOR(pg_catalog.*) share, 1),
								CASE WHEN bad OPERATOR(pg_catalog.>) 0 THEN c.consequence ELSE '' END, scope);
			END IF;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.check_sources(bigint) IS
	'Checks that the sources of the reporting views agree: kinds still empty while others have rows, ids that find nothing in another kind, opportunities without contacts, lead-creation milestone or touches; one row per check with status ok, notice, warning, error or skipped';

CREATE FUNCTION @extschema@.source_name(kind text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	relation text;
BEGIN
	PERFORM @extschema@.known_source_kind(kind);
	SELECT s.relation INTO relation FROM @extschema@.sources s WHERE s.kind OPERATOR(pg_catalog.=) source_name.kind;
	IF relation IS NOT NULL THEN
		RETURN pg_catalog.format('%s (yours, set with use_source())', relation);
	END IF;
	RETURN pg_catalog.format('%I.%I (the built-in table)', '@extschema@', kind);
END
$$;
COMMENT ON FUNCTION @extschema@.source_name(text) IS
	'What the reporting views read for a kind of source, in words: your relation set with use_source(), or the built-in table';

-- ---------------------------------------------------------------- publishing the reports to a BI role

-- The views are security_invoker: whoever reads them needs the privileges
-- on the tables behind them, and row-level security of those tables
-- applies to them.  A BI role that may see the reports but not the raw
-- touchpoints therefore reads published views: publish() creates, in a
-- schema of your choice, one view per reporting view that reads it with
-- the privileges of its owner (you), through a SECURITY DEFINER function
-- (an owner-rights view over an invoker-rights view would still check the
-- reader's privileges on the tables), with the comments of the view and
-- its columns, and grants them to the role.  Columns of the extension's
-- own types are left out and arrays are published as text, so a BI tool
-- sees scalars only.  Publishing again replaces what publish() made and
-- keeps the grants on it.
CREATE FUNCTION @extschema@.publish(target_schema text, grantee text, views text[] DEFAULT NULL)
RETURNS TABLE(view_name text, published_as text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	v record;
	col record;
	g record;
	unknown text;
	select_items text[];
	result_columns text[];
	view_items text[];
	target text;
	target_fn text;
	existing oid;
	existing_fn oid;
	view_grants text[];
	function_grants text[];
	array_comments text[];
	statement text;
BEGIN
	IF target_schema IS NULL OR target_schema OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'schema to publish into must be given'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'publish() creates the published views in a schema of your choice.',
			HINT = 'Give a schema name such as ''bi''; it is created when it does not exist.';
	END IF;
	IF target_schema OPERATOR(pg_catalog.=) '@extschema@' OR target_schema OPERATOR(pg_catalog.=) 'information_schema'
		OR pg_catalog.left(target_schema, 3) OPERATOR(pg_catalog.=) 'pg_' THEN
		RAISE EXCEPTION 'cannot publish into schema "%"', target_schema
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = 'The published views go into a schema of your own, not into the extension''s or a system schema.',
			HINT = 'Give a schema name such as ''bi''.';
	END IF;
	IF grantee IS NOT NULL AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) grantee) THEN
		RAISE EXCEPTION 'role "%" does not exist', grantee
			USING ERRCODE = 'undefined_object',
			DETAIL = 'publish() grants the published views to this role.',
			HINT = 'Create the role first, or give NULL to grant nothing.';
	END IF;
	SELECT pg_catalog.string_agg(pg_catalog.format('%L', u.name), ', ') INTO unknown
	FROM pg_catalog.unnest(views) u(name)
	WHERE u.name IS NULL OR NOT EXISTS (SELECT FROM @extschema@.reporting_views r WHERE r.view_name OPERATOR(pg_catalog.=) u.name);
	IF unknown IS NOT NULL THEN
		RAISE EXCEPTION 'unknown reporting views: %', unknown
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = 'Only the reporting views of the extension can be published.',
			HINT = pg_catalog.format('Use some of: %s; or NULL for all of them.',
				(SELECT pg_catalog.string_agg(r.view_name, ', ' ORDER BY r.view_name) FROM @extschema@.reporting_views r));
	END IF;

	IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) target_schema) THEN
		EXECUTE pg_catalog.format('CREATE SCHEMA %I', target_schema);
	END IF;
	IF grantee IS NOT NULL THEN
		EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %I', target_schema, grantee);
	END IF;

	FOR v IN
		SELECT r.view_name, pg_catalog.format('%I.%I', '@extschema@', r.view_name)::regclass AS source
		FROM @extschema@.reporting_views r
		WHERE views IS NULL OR r.view_name OPERATOR(pg_catalog.=) ANY (views)
		ORDER BY r.view_name
	LOOP
		target := pg_catalog.format('%I.%I', target_schema, v.view_name);
		target_fn := pg_catalog.format('%I.%I', target_schema, v.view_name OPERATOR(pg_catalog.||) '_rows');

		-- only what publish() made is replaced
		SELECT c.oid INTO existing FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
		WHERE n.nspname OPERATOR(pg_catalog.=) target_schema AND c.relname OPERATOR(pg_catalog.=) v.view_name;
		SELECT p.oid INTO existing_fn FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
		WHERE n.nspname OPERATOR(pg_catalog.=) target_schema
		  AND p.proname OPERATOR(pg_catalog.=) (v.view_name OPERATOR(pg_catalog.||) '_rows')
		  AND p.pronargs OPERATOR(pg_catalog.=) 0;
		IF existing IS NOT NULL AND (existing_fn IS NULL OR NOT EXISTS (
				SELECT FROM pg_catalog.pg_rewrite rw JOIN pg_catalog.pg_depend d
					ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid OPERATOR(pg_catalog.=) rw.oid
				WHERE rw.ev_class OPERATOR(pg_catalog.=) existing
				  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
				  AND d.refobjid OPERATOR(pg_catalog.=) existing_fn)) THEN
			RAISE EXCEPTION 'relation % already exists', target
				USING ERRCODE = 'duplicate_table',
				DETAIL = 'It was not made by publish(), which replaces only the views it made.',
				HINT = 'Publish into another schema, or drop or rename that relation.';
		END IF;
		IF existing_fn IS NOT NULL AND existing IS NULL THEN
			RAISE EXCEPTION 'function %() already exists', target_fn
				USING ERRCODE = 'duplicate_function',
				DETAIL = pg_catalog.format('publish() reads the view %s through a function of that name.', target),
				HINT = 'Publish into another schema, or drop or rename that function.';
		END IF;

		-- the grants of what is replaced, to give again
		view_grants := '{}';
		function_grants := '{}';
		IF existing IS NOT NULL THEN
			SELECT coalesce(pg_catalog.array_agg(pg_catalog.format('GRANT %s ON %s TO %s', a.privilege_type, target,
						CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
							 ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END)), '{}')
			INTO view_grants
			FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
			WHERE c.oid OPERATOR(pg_catalog.=) existing AND a.grantee OPERATOR(pg_catalog.<>) c.relowner;
			SELECT coalesce(pg_catalog.array_agg(pg_catalog.format('GRANT %s ON FUNCTION %s() TO %s', a.privilege_type, target_fn,
						CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
							 ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END)), '{}')
			INTO function_grants
			FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
			WHERE p.oid OPERATOR(pg_catalog.=) existing_fn AND a.grantee OPERATOR(pg_catalog.<>) p.proowner
			  AND a.grantee OPERATOR(pg_catalog.<>) 0;
			EXECUTE pg_catalog.format('DROP VIEW %s', target);
			EXECUTE pg_catalog.format('DROP FUNCTION %s()', target_fn);
		END IF;

		-- scalar columns only: the extension's own types are left out, arrays become text
		select_items := '{}';
		result_columns := '{}';
		view_items := '{}';
		array_comments := '{}';
		FOR col IN
			SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS declared, t.typcategory,
				   pg_catalog.col_description(v.source, a.attnum) AS description,
				   EXISTS (SELECT FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid
						   WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass
							 AND d.objid OPERATOR(pg_catalog.=) a.atttypid AND d.deptype OPERATOR(pg_catalog.=) 'e'
							 AND e.extname OPERATOR(pg_catalog.=) 'attribution') AS own_type
			FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
			WHERE a.attrelid OPERATOR(pg_catalog.=) v.source AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
			ORDER BY a.attnum
		LOOP
			CONTINUE WHEN col.own_type;
			IF col.typcategory OPERATOR(pg_catalog.=) 'A' THEN
				select_items := select_items OPERATOR(pg_catalog.||)
					pg_catalog.format('pg_catalog.array_to_string(v.%I, '' > '')', col.attname);
				result_columns := result_columns OPERATOR(pg_catalog.||) pg_catalog.format('%I text', col.attname);
				view_items := view_items OPERATOR(pg_catalog.||) pg_catalog.format('r.%I', col.attname);
				-- given after copy_comments() below, which copies the description alone
				array_comments := array_comments OPERATOR(pg_catalog.||)
					pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', target, col.attname,
									  coalesce(col.description OPERATOR(pg_catalog.||) ' ', '')
									  OPERATOR(pg_catalog.||) '(as text: the elements joined by " > ")');
			ELSE
				select_items := select_items OPERATOR(pg_catalog.||) pg_catalog.format('v.%I', col.attname);
				result_columns := result_columns OPERATOR(pg_catalog.||) pg_catalog.format('%I %s', col.attname, col.declared);
				-- a function's result loses the type modifier (numeric(16,2)); the view gives it back
				view_items := view_items OPERATOR(pg_catalog.||) pg_catalog.format('r.%I::%s AS %I', col.attname, col.declared, col.attname);
			END IF;
		END LOOP;

		EXECUTE pg_catalog.format('CREATE FUNCTION %s() RETURNS TABLE(%s) LANGUAGE sql STABLE SECURITY DEFINER '
								  'SET search_path = pg_catalog, pg_temp AS %L',
								  target_fn, pg_catalog.array_to_string(result_columns, ', '),
								  pg_catalog.format(' SELECT %s FROM %s v ', pg_catalog.array_to_string(select_items, ', '), v.source));
		EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s() FROM PUBLIC', target_fn);
		EXECUTE pg_catalog.format('COMMENT ON FUNCTION %s() IS %L', target_fn,
								  pg_catalog.format('The rows of %s for the published view %s, read with the privileges of the function''s owner (SECURITY DEFINER)',
													v.source, target));
		EXECUTE pg_catalog.format('CREATE VIEW %s WITH (security_invoker = false) AS SELECT %s FROM %s() r', target,
								  pg_catalog.array_to_string(view_items, ', '), target_fn);
		PERFORM @extschema@.copy_comments(v.source, target::regclass);
		FOREACH statement IN ARRAY array_comments LOOP
			EXECUTE statement;
		END LOOP;
		IF grantee IS NOT NULL THEN
			EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s() TO %I', target_fn, grantee);
			EXECUTE pg_catalog.format('GRANT SELECT ON %s TO %I', target, grantee);
		END IF;
		FOREACH statement IN ARRAY view_grants OPERATOR(pg_catalog.||) function_grants LOOP
			EXECUTE statement;
		END LOOP;

		view_name := v.view_name;
		published_as := target;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.publish(text, text, text[]) IS
	'Publishes the reporting views (all, or those named) into a schema of your choice as views that read with your privileges, with their comments, scalar columns only, granted to a role: a BI role can read the reports without any privilege on the tables';
