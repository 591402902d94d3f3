-- Reporting layer, part 5: the demand waterfall views (doc/waterfall.md and
-- doc/reporting.md) over stage_events: one stage history per unit and waterfall, then the
-- waterfall by cohort, the flow by period, velocity, leakage, plan against
-- actual, and the lead-quality feedback from sales to marketing.
--
-- "As of" for the age of cohorts and whether a period is complete is the
-- latest stage event of the waterfall: the views give the same answer on
-- the same data whatever day they are read.  Months, days and cohorts are
-- cut in the reporting time zone (reporting_time_zone(), UTC by default),
-- whatever the session's, and every view says what its units are (the
-- unit column: the waterfall's unit, contact in the default one).

-- STABLE, not IMMUTABLE: with a constant argument (a source without a
-- waterfall column reads 'default' for every event) the planner would
-- otherwise call it, and raise its error, while folding constants, even
-- when the waterfall exists.
CREATE FUNCTION @extschema@.unknown_waterfall(waterfall text)
RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'stage events of unknown waterfall "%"', waterfall
		USING ERRCODE = 'foreign_key_violation',
		DETAIL = 'The waterfall of a stage event must be a row of attribution.waterfalls.',
		HINT = 'Insert the waterfall with its ladder and exits, or correct the events.';
END
$$;
COMMENT ON FUNCTION @extschema@.unknown_waterfall(text) IS
	'Raises the error for stage events (of a source of your own) whose waterfall is not in waterfalls';

CREATE VIEW @extschema@.stage_histories WITH (security_invoker = true) AS
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
COMMENT ON VIEW @extschema@.stage_histories IS
	'The stage history of every unit in every waterfall (stage_agg over its stage events, with the waterfall''s ladder and exits)';
COMMENT ON COLUMN @extschema@.stage_histories.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.stage_histories.unit_id IS 'The unit (a contact_id for a contact waterfall)';
COMMENT ON COLUMN @extschema@.stage_histories.history IS 'Its stage history (see transitions(), reached_at(), stage_entries())';
COMMENT ON COLUMN @extschema@.stage_histories.first_reached_at IS
	'When it reached the first ladder stage (inferred: a skipped stage counts as reached with a later one); NULL if only exit stages were entered';
COMMENT ON COLUMN @extschema@.stage_histories.current_stage IS 'The stage of its last event (a ladder or an exit stage)';
COMMENT ON COLUMN @extschema@.stage_histories.furthest_stage IS 'The highest ladder stage it entered';

-- ---------------------------------------------------------------- by cohort

CREATE VIEW @extschema@.waterfall_cohorts WITH (security_invoker = true) AS
WITH cohorts AS (
	SELECT h.waterfall, date_trunc('month', timezone((SELECT @extschema@.reporting_time_zone()), h.first_reached_at))::date AS cohort,
		   count(*) AS units, @extschema@.waterfall_agg(h.history) AS summary
	FROM @extschema@.stage_histories h
	WHERE h.first_reached_at IS NOT NULL
	GROUP BY 1, 2
),
as_of AS (
	SELECT e.waterfall, max(e.entered_at) AS as_of FROM @extschema@.source_stage_events_view e GROUP BY e.waterfall
)
SELECT c.waterfall, c.cohort, r.stage, r.stage_rank::integer AS stage_rank, c.units, r.reached, r.advanced,
	   round(r.conversion_rate::numeric, 4) AS conversion_rate,
	   round(r.cumulative_rate::numeric, 4) AS cumulative_rate,
	   r.recycled, r.disqualified, r.still_open,
	   round(r.median_days_to_next::numeric, 1) AS median_days_to_next,
	   (timezone((SELECT @extschema@.reporting_time_zone()), a.as_of)::date - c.cohort) AS cohort_age_days, a.as_of,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name = c.waterfall) AS unit
FROM cohorts c
JOIN as_of a ON a.waterfall = c.waterfall
CROSS JOIN LATERAL @extschema@.waterfall_report(c.summary) WITH ORDINALITY
	r(stage, reached, advanced, conversion_rate, cumulative_rate, recycled, disqualified, still_open,
	  median_days_to_next, p90_days_to_next, stage_rank);
COMMENT ON VIEW @extschema@.waterfall_cohorts IS
	'The waterfall of each monthly cohort (units grouped by the month they reached the first stage), followed forward with no horizon; young cohorts have not finished converting, see cohort_age_days';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.cohort IS 'First day of the month in which the units reached the first ladder stage (reporting time zone)';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.stage IS 'Ladder stage';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.stage_rank IS 'Position of the stage in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.units IS 'Units in the cohort';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.reached IS 'Units of the cohort that reached the stage (inferred)';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.advanced IS 'Of them, those that reached a later stage; NULL for the last stage';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.conversion_rate IS 'advanced / reached';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.cumulative_rate IS 'reached / reached of the first stage';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.recycled IS 'Units sent back from this stage at least once';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.disqualified IS 'Units that stopped at this stage in an exit stage (disqualified or lost)';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.still_open IS 'Units that are still at this stage';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.median_days_to_next IS 'Median days from reaching the stage to reaching a later one';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.cohort_age_days IS 'Days from the start of the cohort to as_of: how long its units have had to convert';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.as_of IS 'The latest stage event of the waterfall';
COMMENT ON COLUMN @extschema@.waterfall_cohorts.unit IS
	'What the units counted are: contact, account, opportunity or other (the waterfall''s unit)';

-- ---------------------------------------------------------------- flow by period

CREATE VIEW @extschema@.waterfall_flow WITH (security_invoker = true) AS
WITH entries AS (
	SELECT h.waterfall, x.stage, date_trunc('month', timezone((SELECT @extschema@.reporting_time_zone()), x.first_entered_at))::date AS month
	FROM @extschema@.stage_histories h
	CROSS JOIN LATERAL @extschema@.stage_entries(h.history) x
	WHERE x.ladder_rank IS NOT NULL
),
counts AS (
	SELECT waterfall, month, stage, count(*) AS first_entries FROM entries GROUP BY waterfall, month, stage
),
grid AS (
	-- every ladder stage in every month with an entry, so that a quiet month counts 0
	SELECT m.waterfall, m.month, s.stage, s.rank
	FROM (SELECT DISTINCT waterfall, month FROM counts) m
	JOIN @extschema@.waterfall_stages s ON s.waterfall = m.waterfall AND NOT s.is_exit
)
SELECT g.waterfall, g.month, g.stage, g.rank AS stage_rank, coalesce(c.first_entries, 0) AS first_entries,
	   round(coalesce(c.first_entries, 0)::numeric
			 / nullif(lag(coalesce(c.first_entries, 0)) OVER (PARTITION BY g.waterfall, g.month ORDER BY g.rank), 0),
			 4) AS ratio_to_previous,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name = g.waterfall) AS unit
FROM grid g
LEFT JOIN counts c ON c.waterfall = g.waterfall AND c.month = g.month AND c.stage = g.stage;
COMMENT ON VIEW @extschema@.waterfall_flow IS
	'The waterfall by period: how many units first reached each stage in each month, and the ratio to the stage before in the same month';
COMMENT ON COLUMN @extschema@.waterfall_flow.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_flow.month IS 'First day of the month (reporting time zone)';
COMMENT ON COLUMN @extschema@.waterfall_flow.stage IS 'Ladder stage';
COMMENT ON COLUMN @extschema@.waterfall_flow.stage_rank IS 'Position of the stage in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.waterfall_flow.first_entries IS 'Units that first reached the stage (inferred) in the month';
COMMENT ON COLUMN @extschema@.waterfall_flow.ratio_to_previous IS
	'first_entries / first_entries of the stage before, in the same month; NULL for the first stage or when the stage before had none';
COMMENT ON COLUMN @extschema@.waterfall_flow.unit IS
	'What the units counted are: contact, account, opportunity or other (the waterfall''s unit)';

-- ---------------------------------------------------------------- velocity and leakage over all units

CREATE VIEW @extschema@.waterfall_velocity WITH (security_invoker = true) AS
WITH summaries AS (
	SELECT h.waterfall, @extschema@.waterfall_agg(h.history) AS summary
	FROM @extschema@.stage_histories h GROUP BY h.waterfall
)
SELECT s.waterfall, r.stage, r.stage_rank::integer AS stage_rank, r.reached, r.advanced,
	   round(r.conversion_rate::numeric, 4) AS conversion_rate,
	   round(r.median_days_to_next::numeric, 1) AS median_days_to_next,
	   round(r.p90_days_to_next::numeric, 1) AS p90_days_to_next,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name = s.waterfall) AS unit
FROM summaries s
CROSS JOIN LATERAL @extschema@.waterfall_report(s.summary) WITH ORDINALITY
	r(stage, reached, advanced, conversion_rate, cumulative_rate, recycled, disqualified, still_open,
	  median_days_to_next, p90_days_to_next, stage_rank);
COMMENT ON VIEW @extschema@.waterfall_velocity IS
	'How fast units move: median and 90th percentile of the days from reaching each stage to reaching a later one, over every unit';
COMMENT ON COLUMN @extschema@.waterfall_velocity.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_velocity.stage IS 'Ladder stage';
COMMENT ON COLUMN @extschema@.waterfall_velocity.stage_rank IS 'Position of the stage in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.waterfall_velocity.reached IS 'Units that reached the stage';
COMMENT ON COLUMN @extschema@.waterfall_velocity.advanced IS 'Of them, those that reached a later stage';
COMMENT ON COLUMN @extschema@.waterfall_velocity.conversion_rate IS 'advanced / reached';
COMMENT ON COLUMN @extschema@.waterfall_velocity.median_days_to_next IS
	'Median days from reaching the stage to reaching a later one, over the units that advanced (within 0.5%)';
COMMENT ON COLUMN @extschema@.waterfall_velocity.p90_days_to_next IS '90th percentile of the same days (within 0.5%)';
COMMENT ON COLUMN @extschema@.waterfall_velocity.unit IS
	'What the units counted are: contact, account, opportunity or other (the waterfall''s unit)';

CREATE VIEW @extschema@.waterfall_leakage WITH (security_invoker = true) AS
WITH summaries AS (
	SELECT h.waterfall, @extschema@.waterfall_agg(h.history) AS summary
	FROM @extschema@.stage_histories h GROUP BY h.waterfall
),
exits AS (
	SELECT s.waterfall, x.stage,
		   sum(x.units) FILTER (WHERE x.exit_stage = 'disqualified') AS disqualified,
		   sum(x.units) FILTER (WHERE x.exit_stage = 'lost') AS lost,
		   sum(x.units) FILTER (WHERE x.exit_stage NOT IN ('disqualified', 'lost')) AS other_exits
	FROM summaries s CROSS JOIN LATERAL @extschema@.waterfall_exits(s.summary) x
	GROUP BY s.waterfall, x.stage
)
SELECT s.waterfall, r.stage, r.stage_rank::integer AS stage_rank, r.reached, r.advanced, r.recycled,
	   coalesce(x.disqualified, 0)::bigint AS disqualified, coalesce(x.lost, 0)::bigint AS lost,
	   coalesce(x.other_exits, 0)::bigint AS other_exits, r.still_open,
	   round(r.disqualified::numeric / nullif(r.reached, 0), 4) AS exit_rate,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name = s.waterfall) AS unit
FROM summaries s
CROSS JOIN LATERAL @extschema@.waterfall_report(s.summary) WITH ORDINALITY
	r(stage, reached, advanced, conversion_rate, cumulative_rate, recycled, disqualified, still_open,
	  median_days_to_next, p90_days_to_next, stage_rank)
LEFT JOIN exits x ON x.waterfall = s.waterfall AND x.stage = r.stage;
COMMENT ON VIEW @extschema@.waterfall_leakage IS
	'Where the waterfall leaks: per stage, the units recycled from it, those that stopped there disqualified, lost or in another exit, and those still there';
COMMENT ON COLUMN @extschema@.waterfall_leakage.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.waterfall_leakage.stage IS 'Ladder stage';
COMMENT ON COLUMN @extschema@.waterfall_leakage.stage_rank IS 'Position of the stage in the ladder (1 = first)';
COMMENT ON COLUMN @extschema@.waterfall_leakage.reached IS 'Units that reached the stage';
COMMENT ON COLUMN @extschema@.waterfall_leakage.advanced IS 'Of them, those that reached a later stage; NULL for the last stage';
COMMENT ON COLUMN @extschema@.waterfall_leakage.recycled IS 'Units sent back from this stage to an earlier one at least once';
COMMENT ON COLUMN @extschema@.waterfall_leakage.disqualified IS 'Units whose furthest stage is this one and who are now in the exit stage disqualified';
COMMENT ON COLUMN @extschema@.waterfall_leakage.lost IS 'The same in the exit stage lost';
COMMENT ON COLUMN @extschema@.waterfall_leakage.other_exits IS 'The same in any other exit stage of the waterfall';
COMMENT ON COLUMN @extschema@.waterfall_leakage.still_open IS 'Units whose furthest stage is this one and who are still in the ladder; NULL for the last stage';
COMMENT ON COLUMN @extschema@.waterfall_leakage.exit_rate IS '(disqualified + lost + other_exits) / reached';
COMMENT ON COLUMN @extschema@.waterfall_leakage.unit IS
	'What the units counted are: contact, account, opportunity or other (the waterfall''s unit)';

-- ---------------------------------------------------------------- goals: plan against actual

CREATE VIEW @extschema@.plan_vs_actual WITH (security_invoker = true) AS
WITH firsts AS (
	-- first entries per day (the periods are whole days in the reporting time zone)
	SELECT h.waterfall, x.stage, timezone((SELECT @extschema@.reporting_time_zone()), x.first_entered_at)::date AS day, count(*) AS units
	FROM @extschema@.stage_histories h CROSS JOIN LATERAL @extschema@.stage_entries(h.history) x
	GROUP BY 1, 2, 3
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
	   coalesce(timezone((SELECT @extschema@.reporting_time_zone()), a.as_of) >= p.period_end, false) AS complete,
	   (SELECT w.unit FROM @extschema@.waterfalls w WHERE w.name = p.waterfall) AS unit
FROM periods p
JOIN @extschema@.waterfall_stages s ON s.waterfall = p.waterfall AND s.stage = p.stage
LEFT JOIN as_of a ON a.waterfall = p.waterfall
LEFT JOIN firsts f ON f.waterfall = p.waterfall AND f.stage = p.stage AND f.day >= p.period AND f.day < p.period_end
GROUP BY p.waterfall, p.grain, p.period, p.period_end, p.stage, s.rank, p.target, a.as_of;
COMMENT ON VIEW @extschema@.plan_vs_actual IS
	'The shared goals of marketing and sales against what happened: per target of stage_targets, the units that first reached the stage in the period';
COMMENT ON COLUMN @extschema@.plan_vs_actual.waterfall IS 'The waterfall';
COMMENT ON COLUMN @extschema@.plan_vs_actual.grain IS 'Length of the period: month, quarter or year';
COMMENT ON COLUMN @extschema@.plan_vs_actual.period IS 'First day of the period';
COMMENT ON COLUMN @extschema@.plan_vs_actual.period_end IS 'First day after the period';
COMMENT ON COLUMN @extschema@.plan_vs_actual.stage IS 'The stage';
COMMENT ON COLUMN @extschema@.plan_vs_actual.stage_rank IS 'Position of the stage in the waterfall (exits after the ladder)';
COMMENT ON COLUMN @extschema@.plan_vs_actual.target IS 'The target';
COMMENT ON COLUMN @extschema@.plan_vs_actual.actual IS
	'Units that first reached the stage (inferred for ladder stages, first entry for exits) in the period (reporting time zone)';
COMMENT ON COLUMN @extschema@.plan_vs_actual.gap IS 'actual - target';
COMMENT ON COLUMN @extschema@.plan_vs_actual.attainment IS 'actual / target; NULL for a target of 0';
COMMENT ON COLUMN @extschema@.plan_vs_actual.complete IS 'True when the latest stage event of the waterfall is past the end of the period';
COMMENT ON COLUMN @extschema@.plan_vs_actual.unit IS
	'What the units counted are: contact, account, opportunity or other (the waterfall''s unit)';

-- ---------------------------------------------------------------- feedback: lead quality by source

-- The source of a lead is its lead-creation touch: the contact's last touch
-- at or before contacts.created_at (ties: the larger touchpoint id).  The
-- qualification stage is the ladder stage named mql (else the second stage
-- of the ladder), acceptance is reaching the stage after it (sal in the
-- default ladder), and disqualification is being in the first exit stage
-- of the waterfall (disqualified) now.  The reasons of sales rejections
-- (given on a recycle back into the ladder or on entering the first exit
-- stage) and of closed-lost deals (given on entering another exit stage:
-- lost) answer different questions and are reported apart.
CREATE VIEW @extschema@.lead_sources WITH (security_invoker = true) AS
SELECT DISTINCT ON (c.contact_id) c.contact_id, c.created_at, t.touchpoint_id, t.touched_at, t.channel, t.campaign
FROM @extschema@.source_contacts_view c
LEFT JOIN @extschema@.source_touchpoints_view t ON t.contact_id = c.contact_id AND t.touched_at <= c.created_at
ORDER BY c.contact_id, t.touched_at DESC NULLS LAST, t.touchpoint_id DESC NULLS LAST;
COMMENT ON VIEW @extschema@.lead_sources IS
	'The lead-creation touch of every contact: its last touch at or before it became a lead (its source channel and campaign)';
COMMENT ON COLUMN @extschema@.lead_sources.contact_id IS 'The contact';
COMMENT ON COLUMN @extschema@.lead_sources.created_at IS 'When it became a lead';
COMMENT ON COLUMN @extschema@.lead_sources.touchpoint_id IS 'The lead-creation touch; NULL when no touch came before';
COMMENT ON COLUMN @extschema@.lead_sources.touched_at IS 'When that touch happened';
COMMENT ON COLUMN @extschema@.lead_sources.channel IS 'Its channel: the source channel of the lead';
COMMENT ON COLUMN @extschema@.lead_sources.campaign IS 'Its campaign: the source campaign of the lead';

CREATE VIEW @extschema@.lead_quality WITH (security_invoker = true) AS
WITH leads AS (
	SELECT h.waterfall, h.unit_id, h.history, ls.channel, ls.campaign,
		   q.stage AS qualified_stage, w.ladder[array_position(w.ladder, q.stage) + 1] AS accepted_stage,
		   w.exits[1] AS disqualified_stage, w.exits
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
	SELECT l.waterfall, l.channel, l.campaign, r.lost, e.reason, count(*) AS times,
		   row_number() OVER (PARTITION BY l.waterfall, l.channel, l.campaign, r.lost ORDER BY count(*) DESC, e.reason)
			   AS reason_rank
	FROM leads l
	JOIN @extschema@.source_stage_events_view e ON e.waterfall = l.waterfall AND e.unit_id = l.unit_id
	CROSS JOIN LATERAL (SELECT e.stage = ANY (l.exits) AND e.stage <> l.disqualified_stage AS lost) r
	WHERE e.reason IS NOT NULL
	GROUP BY l.waterfall, l.channel, l.campaign, r.lost, e.reason
)
SELECT q.waterfall, q.channel AS source_channel, q.campaign AS source_campaign, q.leads, q.qualified, q.accepted,
	   round(q.accepted::numeric / nullif(q.qualified, 0), 4) AS acceptance_rate,
	   q.disqualified, round(q.disqualified::numeric / q.leads, 4) AS disqualification_rate,
	   q.recycled, round(q.recycled::numeric / q.leads, 4) AS recycle_rate,
	   (SELECT string_agg(format('%s (%s)', r.reason, r.times), ', ' ORDER BY r.reason_rank)
		FROM reasons r
		WHERE r.waterfall = q.waterfall AND r.channel IS NOT DISTINCT FROM q.channel
		  AND r.campaign IS NOT DISTINCT FROM q.campaign AND NOT r.lost AND r.reason_rank <= 3) AS top_rejection_reasons,
	   (SELECT string_agg(format('%s (%s)', r.reason, r.times), ', ' ORDER BY r.reason_rank)
		FROM reasons r
		WHERE r.waterfall = q.waterfall AND r.channel IS NOT DISTINCT FROM q.channel
		  AND r.campaign IS NOT DISTINCT FROM q.campaign AND r.lost AND r.reason_rank <= 3) AS top_lost_reasons
FROM quality q;
COMMENT ON VIEW @extschema@.lead_quality IS
	'Which leads were worth it, per source channel and campaign (the lead-creation touch): how many marketing qualified, how many sales accepted, disqualified or recycled, and the reasons sales gave most for rejections and for lost deals';
COMMENT ON COLUMN @extschema@.lead_quality.waterfall IS 'The waterfall (one whose units are contacts)';
COMMENT ON COLUMN @extschema@.lead_quality.source_channel IS 'Channel of the lead-creation touch; NULL when no touch came before the lead';
COMMENT ON COLUMN @extschema@.lead_quality.source_campaign IS 'Campaign of the lead-creation touch; NULL for none';
COMMENT ON COLUMN @extschema@.lead_quality.leads IS 'Contacts with a history in the waterfall';
COMMENT ON COLUMN @extschema@.lead_quality.qualified IS 'Of them, those that reached mql (or the second ladder stage), inferred';
COMMENT ON COLUMN @extschema@.lead_quality.accepted IS 'Those that reached the stage after it (sal): accepted by sales';
COMMENT ON COLUMN @extschema@.lead_quality.acceptance_rate IS 'accepted / qualified: MQL-to-SAL acceptance';
COMMENT ON COLUMN @extschema@.lead_quality.disqualified IS 'Leads now in the first exit stage of the waterfall (disqualified)';
COMMENT ON COLUMN @extschema@.lead_quality.disqualification_rate IS 'disqualified / leads';
COMMENT ON COLUMN @extschema@.lead_quality.recycled IS 'Leads sent back to an earlier stage at least once';
COMMENT ON COLUMN @extschema@.lead_quality.recycle_rate IS 'recycled / leads';
COMMENT ON COLUMN @extschema@.lead_quality.top_rejection_reasons IS
	'Sales rejections: the three reasons given most often when these leads were sent back (recycled) or disqualified, with their counts (ties: alphabetical)';
COMMENT ON COLUMN @extschema@.lead_quality.top_lost_reasons IS
	'Closed-lost deals: the three reasons given most often when these leads entered an exit stage other than the first (lost), with their counts (ties: alphabetical)';

CREATE VIEW @extschema@.lead_feedback WITH (security_invoker = true) AS
SELECT h.waterfall, ls.channel AS source_channel, ls.campaign AS source_campaign, e.stage, e.reason,
	   count(*) AS events, count(DISTINCT e.unit_id) AS leads
FROM @extschema@.stage_histories h
JOIN @extschema@.waterfalls w ON w.name = h.waterfall AND w.unit = 'contact'
JOIN @extschema@.source_stage_events_view e ON e.waterfall = h.waterfall AND e.unit_id = h.unit_id
LEFT JOIN @extschema@.lead_sources ls ON ls.contact_id = h.unit_id
WHERE e.reason IS NOT NULL
GROUP BY h.waterfall, ls.channel, ls.campaign, e.stage, e.reason;
COMMENT ON VIEW @extschema@.lead_feedback IS
	'Every reason sales gave, per source channel and campaign of the lead and per stage it was given at (rejected back to nurture, disqualified, lost)';
COMMENT ON COLUMN @extschema@.lead_feedback.waterfall IS 'The waterfall (one whose units are contacts)';
COMMENT ON COLUMN @extschema@.lead_feedback.source_channel IS 'Channel of the lead-creation touch';
COMMENT ON COLUMN @extschema@.lead_feedback.source_campaign IS 'Campaign of the lead-creation touch';
COMMENT ON COLUMN @extschema@.lead_feedback.stage IS 'The stage entered with the reason';
COMMENT ON COLUMN @extschema@.lead_feedback.reason IS 'The reason';
COMMENT ON COLUMN @extschema@.lead_feedback.events IS 'Stage events with this reason';
COMMENT ON COLUMN @extschema@.lead_feedback.leads IS 'Distinct leads concerned';
