-- The demo reports: what marketing and sales read off the reporting views.
\pset footer off
\pset null '-'
SET timezone = 'UTC';

\echo
\echo '== The data set'
SELECT count(*) AS opportunities,
	   count(*) FILTER (WHERE status = 'open') AS open,
	   count(*) FILTER (WHERE status = 'won') AS won,
	   count(*) FILTER (WHERE status = 'lost') AS lost,
	   round(sum(amount) / 1e6, 2) AS "pipeline (M)",
	   round(sum(amount) FILTER (WHERE is_won) / 1e6, 2) AS "revenue (M)",
	   round(avg(contacts), 1) AS "contacts per opp.",
	   round(avg(touches), 1) AS "touches per journey",
	   (SELECT round(sum(cost) / 1e6, 2) FROM attribution.campaign_costs) AS "spend (M)"
FROM attribution.opportunity_journeys;

\echo
\echo '== Do the sources agree? (check_sources: anything but ok)'
SELECT kind, "check", status, detail FROM attribution.check_sources() WHERE status <> 'ok' ORDER BY kind, "check";

\echo
\echo '== Attributed pipeline by channel under every model, in thousands (channel_performance)'
\echo '   The same opportunities, the same amounts: each model tells a different story about who created them.'
SELECT CASE WHEN GROUPING(channel) = 1 THEN 'total' WHEN NOT attributed THEN '(unattributed)' ELSE channel END
		   AS channel,
	   round(sum(pipeline) FILTER (WHERE model = 'first_touch') / 1000) AS first,
	   round(sum(pipeline) FILTER (WHERE model = 'last_touch') / 1000) AS last,
	   round(sum(pipeline) FILTER (WHERE model = 'last_non_direct') / 1000) AS last_nd,
	   round(sum(pipeline) FILTER (WHERE model = 'linear') / 1000) AS linear,
	   round(sum(pipeline) FILTER (WHERE model = 'position_based') / 1000) AS u_shape,
	   round(sum(pipeline) FILTER (WHERE model = 'j_shaped') / 1000) AS j_shape,
	   round(sum(pipeline) FILTER (WHERE model = 'inverse_j') / 1000) AS inv_j,
	   round(sum(pipeline) FILTER (WHERE model = 'w_shaped') / 1000) AS w_shape,
	   round(sum(pipeline) FILTER (WHERE model = 'full_path') / 1000) AS full_path,
	   round(sum(pipeline) FILTER (WHERE model = 'time_decay') / 1000) AS decay,
	   round(sum(pipeline) FILTER (WHERE model = 'sales_led') / 1000) AS sales_led
FROM attribution.channel_performance
GROUP BY GROUPING SETS ((channel, attributed), ())
ORDER BY GROUPING(channel), attributed DESC, sum(pipeline) FILTER (WHERE model = 'linear') DESC;

\echo
\echo '== Channel performance under W-shaped (pipeline model: touches up to the opportunity''s creation)'
SELECT coalesce(channel, '(unattributed)') AS channel, touches,
	   round(attributed_opportunities, 1) AS "attr. opps", round(attributed_won, 1) AS "attr. won",
	   round(pipeline / 1000) AS "pipeline (k)", round(revenue / 1000) AS "revenue (k)",
	   round(cost / 1000) AS "cost (k)", round(roi, 2) AS roi,
	   round(cost_per_opportunity) AS "cost/opp.", round(cost_per_won) AS "cost/won"
FROM attribution.channel_performance WHERE model = 'w_shaped'
ORDER BY attributed DESC, pipeline DESC;

\echo
\echo '== Data-driven attribution of the closed deals: Markov and Shapley beside the heuristics (data_driven_attribution)'
\echo '   Won deals credited to each channel; the Markov removal effect is the share of wins lost without the channel.'
SELECT channel, markov_removal_effect AS "removal effect", markov_conversions AS markov,
	   shapley_conversions AS shapley, first_touch_conversions AS "first touch",
	   last_touch_conversions AS "last touch", linear_conversions AS linear,
	   round(markov_revenue / 1000) AS "markov rev. (k)", round(shapley_revenue / 1000) AS "shapley rev. (k)"
FROM attribution.data_driven_attribution
ORDER BY markov_conversions DESC;

\echo
\echo '== Does the order of the Markov chain matter? Won deals per channel (data_driven_models)'
SELECT channel,
	   max(conversions) FILTER (WHERE markov_order = 1) AS "order 1",
	   max(conversions) FILTER (WHERE markov_order = 2) AS "order 2",
	   max(conversions) FILTER (WHERE markov_order = 3) AS "order 3",
	   max(conversions) FILTER (WHERE markov_order = 4) AS "order 4",
	   max(conversions) FILTER (WHERE model = 'counterfactual') AS counterfactual
FROM attribution.data_driven_models
GROUP BY channel ORDER BY max(conversions) FILTER (WHERE markov_order = 1) DESC;

\echo
\echo '== The ten campaigns with the best return under full-path (revenue model, campaign_performance)'
SELECT campaign, channel, touches, round(attributed_won, 1) AS "attr. won", round(revenue / 1000) AS "revenue (k)",
	   round(cost / 1000) AS "cost (k)", round(roi, 2) AS roi, round(cost_per_won) AS "cost/won"
FROM attribution.campaign_performance
WHERE model = 'full_path' AND campaign IS NOT NULL AND cost > 0
ORDER BY roi DESC, campaign LIMIT 10;

\echo
\echo '== Spend and attributed revenue per quarter, linear model (campaign_performance_monthly)'
SELECT to_char(date_trunc('quarter', month), 'YYYY "Q"Q') AS quarter,
	   round(sum(cost) / 1000) AS "spend (k)",
	   round(sum(pipeline) FILTER (WHERE attributed) / 1000) AS "pipeline (k)",
	   round(sum(revenue) FILTER (WHERE attributed) / 1000) AS "revenue (k)",
	   round((sum(revenue) FILTER (WHERE attributed) - sum(cost)) / nullif(sum(cost), 0), 2) AS roi
FROM attribution.campaign_performance_monthly
WHERE model = 'linear'
GROUP BY 1 ORDER BY 1;

\echo
\echo '== The demand waterfall by cohort (waterfall_cohorts): leads by the month they arrived, followed forward'
\echo '   Its unit is the contact: "won" counts contacts on won deals, not deals (see the deals waterfall below).'
\echo '   Young cohorts have not had the time to convert: read their last columns with their age.'
SELECT to_char(cohort, 'YYYY-MM') AS cohort, max(units) AS leads,
	   max(reached) FILTER (WHERE stage = 'mql') AS mql,
	   max(reached) FILTER (WHERE stage = 'sal') AS sal,
	   max(reached) FILTER (WHERE stage = 'sql') AS sql,
	   max(reached) FILTER (WHERE stage = 'opportunity') AS opp,
	   max(reached) FILTER (WHERE stage = 'won') AS won,
	   round(100 * max(cumulative_rate) FILTER (WHERE stage = 'sql'), 1) AS "sql %",
	   round(100 * max(cumulative_rate) FILTER (WHERE stage = 'won'), 1) AS "won %",
	   max(cohort_age_days) AS "age (days)"
FROM attribution.waterfall_cohorts WHERE waterfall = 'default'
GROUP BY cohort ORDER BY cohort;

\echo
\echo '== Velocity and leakage per stage, all leads (waterfall_velocity, waterfall_leakage)'
SELECT v.stage, v.reached, v.advanced, round(100 * v.conversion_rate, 1) AS "conv. %",
	   v.median_days_to_next AS "median days", v.p90_days_to_next AS "p90 days",
	   l.recycled, l.disqualified, l.lost, l.still_open AS "still open"
FROM attribution.waterfall_velocity v
JOIN attribution.waterfall_leakage l USING (waterfall, stage)
WHERE v.waterfall = 'default' ORDER BY v.stage_rank;

\echo
\echo '== Plan against actual, last quarter (plan_vs_actual): the goals marketing and sales share'
SELECT stage,
	   max(target) FILTER (WHERE period = '2025-10-01') AS "Oct plan",
	   max(actual) FILTER (WHERE period = '2025-10-01') AS "Oct actual",
	   max(target) FILTER (WHERE period = '2025-11-01') AS "Nov plan",
	   max(actual) FILTER (WHERE period = '2025-11-01') AS "Nov actual",
	   max(target) FILTER (WHERE period = '2025-12-01') AS "Dec plan",
	   max(actual) FILTER (WHERE period = '2025-12-01') AS "Dec actual",
	   bool_and(complete) FILTER (WHERE period = '2025-12-01') AS "Dec complete"
FROM attribution.plan_vs_actual
WHERE waterfall = 'default' AND grain = 'month' AND period >= '2025-10-01'
GROUP BY stage, stage_rank ORDER BY stage_rank;

\echo
\echo '== The deals: the opportunity waterfall (waterfall deals, its unit is the opportunity)'
SELECT v.stage, v.reached AS deals, round(100 * v.conversion_rate, 1) AS "conv. %",
	   v.median_days_to_next AS "median days", l.lost, l.still_open AS "still open"
FROM attribution.waterfall_velocity v
JOIN attribution.waterfall_leakage l USING (waterfall, stage)
WHERE v.waterfall = 'deals' ORDER BY v.stage_rank;
\echo '   Why deals were lost, by the furthest stage they reached (waterfall_exit_reasons)'
SELECT stage, reason, units AS deals, round(100 * share_of_exits) AS "% of lost there"
FROM attribution.waterfall_exit_reasons
WHERE waterfall = 'deals' ORDER BY stage_rank, units DESC, reason;

\echo
\echo '== What December''s won deals need at every stage (reverse_waterfall_plan), against the plan'
SELECT stage, conversion_rate AS "conv. rate", volume_needed AS needed, planned, plan_minus_needed AS "plan - needed",
	   days_before_goal AS "days before", start_by AS "start by"
FROM attribution.reverse_waterfall_plan
WHERE waterfall = 'deals' AND grain = 'month' AND period = '2025-12-01' ORDER BY stage_rank;

\echo
\echo '== Lead quality by source channel (lead_quality_by_channel): which leads sales found worth it'
SELECT coalesce(source_channel, '(no touch)') AS source, leads, qualified AS mql, accepted AS sal,
	   round(100 * acceptance_rate, 1) AS "MQL->SAL %", round(100 * disqualification_rate, 1) AS "disq. %",
	   round(100 * recycle_rate, 1) AS "recycled %", top_rejection_reasons AS "top rejection reasons",
	   top_lost_reasons AS "top lost reasons"
FROM attribution.lead_quality_by_channel WHERE waterfall = 'default'
ORDER BY leads DESC;

\echo
\echo '== One journey, touch by touch, under three models (opportunity_touch_credits)'
SELECT t.touch_number AS "#", t.touched_at::date AS day, t.contact_id AS contact, t.channel, t.campaign,
	   round(max(t.credit) FILTER (WHERE t.model = 'w_shaped'), 3) AS w_shaped,
	   round(max(t.credit) FILTER (WHERE t.model = 'full_path'), 3) AS full_path,
	   round(max(t.credit) FILTER (WHERE t.model = 'time_decay'), 3) AS time_decay
FROM attribution.opportunity_touch_credits t
WHERE t.opportunity_id = (SELECT j.opportunity_id FROM attribution.opportunity_journeys j
						  WHERE j.status = 'won' AND j.contacts >= 2 AND j.touches BETWEEN 6 AND 9
						  ORDER BY j.opportunity_id LIMIT 1)
GROUP BY 1, 2, 3, 4, 5 ORDER BY 1;
