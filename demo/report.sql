-- Attribution by channel under every rule-based model, side by side:
-- credited conversions (won journeys) per channel.
\pset footer off
\echo
\echo 'Credited conversions by channel, every rule-based model (summary path: channel_credit + sum)'
WITH models(model, weights) AS (VALUES
	('first_touch', NULL::float8[]), ('last_touch', NULL), ('last_non_direct', NULL), ('linear', NULL),
	('position_based', NULL), ('j_shaped', NULL), ('inverse_j', NULL), ('w_shaped', NULL),
	('full_path', NULL), ('time_decay', NULL), ('custom', '{0.2,0.2,0.2,0.2,0.1,0.1}')),
credited AS (
	SELECT m.model, e.channel, e.credit
	FROM models m,
	LATERAL (SELECT attribution.sum(cc) AS total FROM (
		SELECT attribution.channel_credit(m.model, t.touched_at, t.channel, t.touch_id, t.channel = 'direct',
			c.closed_at, c.lead_created_at, c.opportunity_created_at, c.closed_at, '7 days', m.weights, NULL) AS cc
		FROM demo_touches t JOIN demo_conversions c USING (journey_id)
		JOIN demo_journeys j USING (journey_id)
		WHERE j.converted
		GROUP BY t.journey_id) per_journey) s,
	attribution.each(s.total) e)
SELECT channel,
	round(sum(credit) FILTER (WHERE model = 'first_touch'), 1) AS first_touch,
	round(sum(credit) FILTER (WHERE model = 'last_touch'), 1) AS last_touch,
	round(sum(credit) FILTER (WHERE model = 'last_non_direct'), 1) AS last_non_direct,
	round(sum(credit) FILTER (WHERE model = 'linear'), 1) AS linear,
	round(sum(credit) FILTER (WHERE model = 'position_based'), 1) AS u_shaped,
	round(sum(credit) FILTER (WHERE model = 'j_shaped'), 1) AS j_shaped,
	round(sum(credit) FILTER (WHERE model = 'inverse_j'), 1) AS inverse_j,
	round(sum(credit) FILTER (WHERE model = 'w_shaped'), 1) AS w_shaped,
	round(sum(credit) FILTER (WHERE model = 'full_path'), 1) AS full_path,
	round(sum(credit) FILTER (WHERE model = 'time_decay'), 1) AS time_decay,
	round(sum(credit) FILTER (WHERE model = 'custom'), 1) AS custom
FROM (SELECT model, channel, credit::numeric AS credit FROM credited) c
GROUP BY ROLLUP (channel) ORDER BY channel NULLS LAST;

\echo
\echo 'Revenue by channel (won amount, U-shaped), through journey_agg + credits'
SELECT c.channel, round(sum(c.credit::numeric * j.amount), 2) AS revenue, count(DISTINCT journey_id) AS journeys
FROM (SELECT journey_id, attribution.journey_agg(touched_at, channel, touch_id) AS journey
	  FROM demo_touches GROUP BY journey_id) s
JOIN demo_journeys j USING (journey_id), attribution.credits(s.journey, 'position_based') c
WHERE j.converted
GROUP BY c.channel ORDER BY revenue DESC;
