-- The demo data generator: deterministic from its seed, sized by its
-- argument, consistent with the constraints, and refusing bad arguments.
SET timezone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT * FROM attribution.generate_demo_data(40, 7);
-- a fingerprint of every row loaded
CREATE TEMP TABLE fingerprint AS
SELECT 'contacts' AS t, md5(string_agg(c::text, '|' ORDER BY c.contact_id)) AS h FROM attribution.contacts c
UNION ALL SELECT 'opportunities', md5(string_agg(o::text, '|' ORDER BY o.opportunity_id)) FROM attribution.opportunities o
UNION ALL SELECT 'opportunity_contacts', md5(string_agg(x::text, '|' ORDER BY x.opportunity_id, x.contact_id, x.role))
	FROM attribution.opportunity_contacts x
UNION ALL SELECT 'touchpoints', md5(string_agg(t::text, '|' ORDER BY t.touchpoint_id)) FROM attribution.touchpoints t
UNION ALL SELECT 'campaign_costs', md5(string_agg(k::text, '|' ORDER BY k.campaign, k.channel, k.spent_on))
	FROM attribution.campaign_costs k
UNION ALL SELECT 'stage_events', md5(string_agg(e::text, '|' ORDER BY e.waterfall, e.unit_id, e.entered_at, e.stage))
	FROM attribution.stage_events e
UNION ALL SELECT 'stage_targets', md5(string_agg(g::text, '|' ORDER BY g.period, g.stage)) FROM attribution.stage_targets g;

-- the shape of the data: every opportunity's journey follows the rules of the model
SELECT count(*) FILTER (WHERE closed_at IS NULL) AS open, count(*) FILTER (WHERE is_won) AS won,
	   count(*) FILTER (WHERE closed_at IS NOT NULL AND NOT is_won) AS lost,
	   min(created_at) >= '2024-01-01' AND max(coalesce(closed_at, created_at)) <= '2025-12-31' AS in_range
FROM attribution.opportunities;
SELECT count(DISTINCT channel) AS channels, count(DISTINCT campaign) AS campaigns,
	   bool_and(is_direct = (channel = 'direct')) AS direct_flags,
	   bool_and(campaign IS NULL) FILTER (WHERE channel IN ('organic_search', 'referral', 'direct')) AS no_campaign
FROM attribution.touchpoints;
-- every touched campaign has spend on the days of its quarter
SELECT count(*) AS campaigns_without_cost FROM (SELECT DISTINCT campaign, channel FROM attribution.touchpoints
	WHERE campaign IS NOT NULL) t
WHERE NOT EXISTS (SELECT FROM attribution.campaign_costs c WHERE c.campaign = t.campaign AND c.channel = t.channel);
-- the waterfall has recycling (a move back) and disqualification with reasons
SELECT stage, count(*) AS entries, count(reason) AS with_reason FROM attribution.stage_events WHERE waterfall = 'default'
GROUP BY stage ORDER BY min((SELECT rank FROM attribution.waterfall_stages s WHERE s.waterfall = 'default' AND s.stage = stage_events.stage));
-- the deals waterfall counts opportunities: every one is discovered, the won and lost ones end there,
-- the lost ones with a reason, and the stages come in the order of the ladder
SELECT w.unit, w.ladder, w.exits, w.builtin FROM attribution.waterfalls w WHERE w.name = 'deals';
SELECT (SELECT count(*) FROM attribution.stage_events WHERE waterfall = 'deals' AND stage = 'discovery')
		   = (SELECT count(*) FROM attribution.opportunities) AS all_discovered,
	   (SELECT count(*) FROM attribution.stage_events WHERE waterfall = 'deals' AND stage = 'won')
		   = (SELECT count(*) FROM attribution.opportunities WHERE is_won) AS won_deals,
	   (SELECT count(*) FROM attribution.stage_events WHERE waterfall = 'deals' AND stage = 'lost' AND reason IS NOT NULL)
		   = (SELECT count(*) FROM attribution.opportunities WHERE closed_at IS NOT NULL AND NOT is_won) AS lost_deals,
	   (SELECT count(*) FROM attribution.stage_histories h WHERE h.waterfall = 'deals'
		  AND EXISTS (SELECT FROM attribution.transitions(h.history) t WHERE t.direction = 'backward')) AS moves_back;
SELECT unit, sum(reached) FILTER (WHERE stage = 'won') AS won FROM attribution.waterfall_velocity GROUP BY unit ORDER BY unit;
SELECT count(*) > 0 AS has_recycling
FROM (SELECT unit_id, stage, entered_at,
			 lag(stage) OVER (PARTITION BY unit_id ORDER BY entered_at) AS previous
	  FROM attribution.stage_events) e
JOIN attribution.waterfall_stages s ON s.waterfall = 'default' AND s.stage = e.stage
JOIN attribution.waterfall_stages p ON p.waterfall = 'default' AND p.stage = e.previous
WHERE NOT s.is_exit AND NOT p.is_exit AND s.rank < p.rank;

-- the same seed gives the same rows, another seed other rows
SELECT * FROM attribution.generate_demo_data(40, 7);
TRUNCATE attribution.contacts, attribution.opportunities, attribution.campaign_costs, attribution.stage_events,
	attribution.stage_targets CASCADE;
SELECT sum(rows_loaded) FROM attribution.generate_demo_data(40, 7);
SELECT f.t, f.h = n.h AS same
FROM fingerprint f JOIN (
	SELECT 'contacts' AS t, md5(string_agg(c::text, '|' ORDER BY c.contact_id)) AS h FROM attribution.contacts c
	UNION ALL SELECT 'opportunities', md5(string_agg(o::text, '|' ORDER BY o.opportunity_id)) FROM attribution.opportunities o
	UNION ALL SELECT 'opportunity_contacts', md5(string_agg(x::text, '|' ORDER BY x.opportunity_id, x.contact_id, x.role))
		FROM attribution.opportunity_contacts x
	UNION ALL SELECT 'touchpoints', md5(string_agg(t::text, '|' ORDER BY t.touchpoint_id)) FROM attribution.touchpoints t
	UNION ALL SELECT 'campaign_costs', md5(string_agg(k::text, '|' ORDER BY k.campaign, k.channel, k.spent_on))
		FROM attribution.campaign_costs k
	UNION ALL SELECT 'stage_events', md5(string_agg(e::text, '|' ORDER BY e.waterfall, e.unit_id, e.entered_at, e.stage))
		FROM attribution.stage_events e
	UNION ALL SELECT 'stage_targets', md5(string_agg(g::text, '|' ORDER BY g.period, g.stage)) FROM attribution.stage_targets g
) n USING (t) ORDER BY t;
TRUNCATE attribution.contacts, attribution.opportunities, attribution.campaign_costs, attribution.stage_events,
	attribution.stage_targets CASCADE;
SELECT sum(rows_loaded) FROM attribution.generate_demo_data(40, 8);
SELECT md5(string_agg(t::text, '|' ORDER BY t.touchpoint_id)) = (SELECT h FROM fingerprint WHERE t = 'touchpoints') AS same
FROM attribution.touchpoints t;

-- bad arguments
SELECT * FROM attribution.generate_demo_data(0);
SELECT * FROM attribution.generate_demo_data(1000001);
SELECT * FROM attribution.generate_demo_data(NULL);
SELECT * FROM attribution.generate_demo_data(10, NULL);
-- the smallest data set works
TRUNCATE attribution.contacts, attribution.opportunities, attribution.campaign_costs, attribution.stage_events,
	attribution.stage_targets CASCADE;
SELECT * FROM attribution.generate_demo_data(1, 1);
SELECT count(*) FROM attribution.channel_performance;

TRUNCATE attribution.contacts, attribution.opportunities, attribution.campaign_costs, attribution.stage_events,
	attribution.stage_targets CASCADE;
