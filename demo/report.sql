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
\echo '== One journey, touch by touch, under three models (opportunity_touch_credits)'
SELECT t.touch_number AS "#", t.touched_at::date AS day, t.contact_id AS contact, t.channel, t.campaign,
	   round(max(t.credit) FILTER (WHERE t.model = 'w_shaped')::numeric, 3) AS w_shaped,
	   round(max(t.credit) FILTER (WHERE t.model = 'full_path')::numeric, 3) AS full_path,
	   round(max(t.credit) FILTER (WHERE t.model = 'time_decay')::numeric, 3) AS time_decay
FROM attribution.opportunity_touch_credits t
WHERE t.opportunity_id = (SELECT j.opportunity_id FROM attribution.opportunity_journeys j
						  WHERE j.status = 'won' AND j.contacts >= 2 AND j.touches BETWEEN 6 AND 9
						  ORDER BY j.opportunity_id LIMIT 1)
GROUP BY 1, 2, 3, 4, 5 ORDER BY 1;
