-- Reporting layer, part 3: the opportunity journey and the rule-based views.
--
-- Every view is security_invoker, so privileges and row-level security of
-- the tables behind the source views apply to whoever queries it.

-- ---------------------------------------------------------------- the opportunity journey

CREATE VIEW @extschema@.opportunity_touchpoints WITH (security_invoker = true) AS
SELECT o.opportunity_id, t.touchpoint_id, t.contact_id, t.touched_at, t.channel, t.campaign,
	   coalesce(t.is_direct, t.channel = 'direct') AS is_direct
FROM @extschema@.source_opportunities_view o
JOIN (SELECT DISTINCT oc.opportunity_id, oc.contact_id FROM @extschema@.source_opportunity_contacts_view oc) oc
	ON oc.opportunity_id = o.opportunity_id
JOIN @extschema@.source_touchpoints_view t ON t.contact_id = oc.contact_id
WHERE o.closed_at IS NULL OR t.touched_at <= o.closed_at;
COMMENT ON VIEW @extschema@.opportunity_touchpoints IS
	'The journey of every opportunity: the touchpoints of all its contacts, each once, up to its close';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.touchpoint_id IS 'The touchpoint';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.contact_id IS 'The contact who was touched';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.touched_at IS 'When';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.channel IS 'Channel of the touch';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.campaign IS 'Campaign of the touch';
COMMENT ON COLUMN @extschema@.opportunity_touchpoints.is_direct IS 'Direct touch (is_direct, or channel ''direct'' when is_direct is NULL)';

CREATE VIEW @extschema@.opportunity_journeys WITH (security_invoker = true) AS
SELECT o.opportunity_id, o.account_id, o.created_at, o.closed_at, o.is_won, o.amount,
	   CASE WHEN o.closed_at IS NULL THEN 'open' WHEN o.is_won THEN 'won' ELSE 'lost' END AS status,
	   m.lead_created_at, coalesce(m.contacts, 0) AS contacts,
	   coalesce(t.touches, 0) AS touches, t.first_touched_at, t.last_touched_at
FROM @extschema@.source_opportunities_view o
LEFT JOIN (
	SELECT oc.opportunity_id, min(c.created_at) AS lead_created_at, count(DISTINCT oc.contact_id) AS contacts
	FROM @extschema@.source_opportunity_contacts_view oc
	JOIN @extschema@.source_contacts_view c ON c.contact_id = oc.contact_id
	GROUP BY oc.opportunity_id
) m ON m.opportunity_id = o.opportunity_id
LEFT JOIN (
	SELECT ot.opportunity_id, count(*) AS touches, min(ot.touched_at) AS first_touched_at,
		   max(ot.touched_at) AS last_touched_at
	FROM @extschema@.opportunity_touchpoints ot
	GROUP BY ot.opportunity_id
) t ON t.opportunity_id = o.opportunity_id;
COMMENT ON VIEW @extschema@.opportunity_journeys IS
	'One row per opportunity with the milestones of its journey: lead creation (from its contacts), opportunity creation and close';
COMMENT ON COLUMN @extschema@.opportunity_journeys.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.opportunity_journeys.account_id IS 'Its account';
COMMENT ON COLUMN @extschema@.opportunity_journeys.created_at IS 'Opportunity creation: the opportunity-creation milestone';
COMMENT ON COLUMN @extschema@.opportunity_journeys.closed_at IS 'Close (won or lost): the closed milestone and the end of the journey; NULL while open';
COMMENT ON COLUMN @extschema@.opportunity_journeys.is_won IS 'True when closed won';
COMMENT ON COLUMN @extschema@.opportunity_journeys.amount IS 'Amount of the opportunity';
COMMENT ON COLUMN @extschema@.opportunity_journeys.status IS 'open, won or lost';
COMMENT ON COLUMN @extschema@.opportunity_journeys.lead_created_at IS
	'Lead creation: the earliest created_at of the opportunity''s contacts (NULL without contacts)';
COMMENT ON COLUMN @extschema@.opportunity_journeys.contacts IS 'Number of distinct contacts on the opportunity';
COMMENT ON COLUMN @extschema@.opportunity_journeys.touches IS 'Touchpoints in the journey (up to the close)';
COMMENT ON COLUMN @extschema@.opportunity_journeys.first_touched_at IS 'Time of the first touch of the journey';
COMMENT ON COLUMN @extschema@.opportunity_journeys.last_touched_at IS 'Time of the last touch of the journey (at or before the close)';

-- ---------------------------------------------------------------- credits per model and opportunity

-- One journey value per opportunity (journey_agg sorts its touches), then
-- credits() under every enabled model.  The journey's channel slot carries
-- only whether the touch is direct ('direct' or 'other', with
-- direct_channels '{direct}'), so the per-touch is_direct flag decides
-- last_non_direct; channel, campaign and contact are joined back on the
-- touchpoint id, which must therefore be unique and not NULL (the primary
-- key of the built-in table; a requirement on a source of your own).
--
-- Money is allocated in whole cents by cumulative rounding: in journey
-- order, a touch gets round(A x credits up to and including it / all
-- credits) - round(A x credits before it / all credits), A the amount in
-- cents.  The running sums and the products are numeric, so they are exact
-- whatever the amount (float8 would drift by cents at amounts of 10^12 and
-- hundreds of touches), and the last touch's running sum is all credits.
-- Each touch is within a cent of credit x amount (up to the precision of the
-- float8 credit), no touch with zero credit gets a cent, and the touches of
-- an opportunity add up exactly to its amount, so any sum over channels,
-- campaigns or months is exact to the cent.  Credits are shown the same way
-- to six decimals (round(credits up to and including the touch / all
-- credits, 6) - round(credits before it / all credits, 6)): the credits of
-- an opportunity add up exactly to 1.
CREATE VIEW @extschema@.opportunity_credits WITH (security_invoker = true) AS
SELECT m.name AS model, j.opportunity_id, j.account_id, j.created_at, j.is_won, j.amount,
	   c.touch_id AS touchpoint_id, c.position AS touch_number, c.credit,
	   coalesce(c.credit_cents, round(j.amount * 100)::bigint) AS pipeline_cents
FROM @extschema@.models m
CROSS JOIN @extschema@.opportunity_journeys j
LEFT JOIN (
	SELECT t.opportunity_id,
		   @extschema@.journey_agg(t.touched_at, CASE WHEN t.is_direct THEN 'direct' ELSE 'other' END,
								   t.touchpoint_id) AS journey
	FROM @extschema@.opportunity_touchpoints t
	GROUP BY t.opportunity_id
) jt ON jt.opportunity_id = j.opportunity_id
LEFT JOIN LATERAL (
	SELECT x.position, x.touch_id,
		   (round(x.upto / x.total, 6) - round((x.upto - x.credit::numeric) / x.total, 6))::numeric(7,6) AS credit,
		   (round(x.upto * round(j.amount * 100) / x.total)
			- round((x.upto - x.credit::numeric) * round(j.amount * 100) / x.total))::bigint AS credit_cents
	FROM (
		SELECT cr.position, cr.touch_id, cr.credit,
			   sum(cr.credit::numeric) OVER (ORDER BY cr.position ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
				   AS upto,
			   sum(cr.credit::numeric) OVER () AS total
		FROM @extschema@.credits(jt.journey, m.model, converted_at => j.closed_at, half_life => m.half_life,
								 lead_created_at => j.lead_created_at, opportunity_created_at => j.created_at,
								 closed_at => j.closed_at, direct_channels => '{direct}', weights => m.weights,
								 lookback => m.lookback) cr
	) x
) c ON true
WHERE m.enabled;
COMMENT ON VIEW @extschema@.opportunity_credits IS
	'Per enabled model and opportunity: the credited touches of its journey, or one row without a touchpoint when no touch is in the model''s window (unattributed)';
COMMENT ON COLUMN @extschema@.opportunity_credits.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.opportunity_credits.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.opportunity_credits.account_id IS 'Its account';
COMMENT ON COLUMN @extschema@.opportunity_credits.created_at IS 'When the opportunity was created';
COMMENT ON COLUMN @extschema@.opportunity_credits.is_won IS 'True when the opportunity was won';
COMMENT ON COLUMN @extschema@.opportunity_credits.amount IS 'Amount of the opportunity';
COMMENT ON COLUMN @extschema@.opportunity_credits.touchpoint_id IS 'The touchpoint credited; NULL on the row of an unattributed opportunity';
COMMENT ON COLUMN @extschema@.opportunity_credits.touch_number IS
	'Position of the touch in the journey (1 = first), ordered by (touched_at, touchpoint_id)';
COMMENT ON COLUMN @extschema@.opportunity_credits.credit IS
	'Share of the opportunity credited to the touch, to six decimals (the touches of an attributed opportunity sum exactly to 1); NULL when unattributed';
COMMENT ON COLUMN @extschema@.opportunity_credits.pipeline_cents IS
	'credit x amount as a whole number of cents (the whole amount on an unattributed row); an opportunity''s rows add up exactly to its amount';

CREATE VIEW @extschema@.opportunity_touch_credits WITH (security_invoker = true) AS
SELECT oc.model, oc.opportunity_id, oc.account_id, oc.touchpoint_id, t.contact_id, t.touched_at, t.channel,
	   t.campaign, oc.touch_number, oc.credit, (oc.pipeline_cents * 0.01)::numeric(16,2) AS pipeline_credit,
	   (CASE WHEN oc.is_won THEN oc.pipeline_cents ELSE 0 END * 0.01)::numeric(16,2) AS revenue_credit, oc.is_won
FROM @extschema@.opportunity_credits oc
JOIN @extschema@.source_touchpoints_view t ON t.touchpoint_id = oc.touchpoint_id;
COMMENT ON VIEW @extschema@.opportunity_touch_credits IS
	'Row-level attribution: every touch in the window of every opportunity''s journey under every enabled model, with its credit and its share of pipeline and revenue in cents';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.account_id IS 'Its account';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.touchpoint_id IS 'The touchpoint';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.contact_id IS 'The contact who was touched';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.touched_at IS 'When';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.channel IS 'Channel of the touch';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.campaign IS 'Campaign of the touch';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.touch_number IS
	'Position of the touch in the journey (1 = first), ordered by (touched_at, touchpoint_id)';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.credit IS
	'Share of the opportunity credited to the touch, to six decimals; the touches of one opportunity and model sum exactly to 1';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.pipeline_credit IS
	'credit x amount in whole cents; the touches of an opportunity add up exactly to its amount';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.revenue_credit IS 'pipeline_credit of a won opportunity, 0 otherwise';
COMMENT ON COLUMN @extschema@.opportunity_touch_credits.is_won IS 'True when the opportunity was won';

-- ---------------------------------------------------------------- performance per channel and campaign

-- Inlined into the views, so its body runs on the search_path of whoever
-- queries them: every operator, function and type is schema-qualified.
CREATE FUNCTION @extschema@.touch_key_part(touch_key text, part text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE
		WHEN part OPERATOR(pg_catalog.=) 'month' THEN
			pg_catalog.substr(touch_key, 2, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.-) 2)
			OPERATOR(pg_catalog.||) '-01'
		WHEN part OPERATOR(pg_catalog.=) 'channel' THEN
			pg_catalog.split_part(pg_catalog.substr(touch_key, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.+) 1),
								  pg_catalog.chr(31), 1)
		WHEN part OPERATOR(pg_catalog.=) 'campaign' THEN
			CASE WHEN pg_catalog.strpos(pg_catalog.substr(touch_key, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.+) 1),
										pg_catalog.chr(31)) OPERATOR(pg_catalog.>) 0
			THEN pg_catalog.substr(pg_catalog.substr(touch_key, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.+) 1),
								   pg_catalog.strpos(pg_catalog.substr(touch_key, pg_catalog.strpos(touch_key, pg_catalog.chr(30)) OPERATOR(pg_catalog.+) 1),
													 pg_catalog.chr(31)) OPERATOR(pg_catalog.+) 1) END
		WHEN part OPERATOR(pg_catalog.=) 'direct' THEN
			CAST(pg_catalog.left(touch_key, 1) OPERATOR(pg_catalog.=) 'd' AS pg_catalog.text)
		END
$$;
COMMENT ON FUNCTION @extschema@.touch_key_part(text, text) IS
	'A part (month as YYYY-MM-01, channel, campaign or direct) of a touch key of credit_facts';

-- The aggregate views need the channel, campaign and month of each credited
-- touch, not its contact or its cents, so they read a lighter form of the
-- credits: the journey's channel slot carries a key of the direct flag,
-- the month of the touch, the channel and the campaign (the touch id breaks
-- every tie, so the key never decides an order), the touches are not
-- joined back, and the views add the credits up by key before they decode
-- it.  A channel name must therefore not contain chr(30) or chr(31) (the
-- record and unit separators), which end the month and the channel in the
-- key.
CREATE VIEW @extschema@.credit_facts WITH (security_invoker = true) AS
SELECT m.name AS model, j.opportunity_id, j.created_at, j.is_won, round(j.amount * 100)::bigint AS amount_cents,
	   c.touch_id AS touchpoint_id, c.touched_at, c.channel AS touch_key,
	   @extschema@.touch_key_part(c.channel, 'channel') AS channel,
	   @extschema@.touch_key_part(c.channel, 'campaign') AS campaign,
	   c.credit::numeric AS credit
FROM @extschema@.models m
CROSS JOIN @extschema@.opportunity_journeys j
LEFT JOIN (
	SELECT t.opportunity_id,
		   @extschema@.journey_agg(t.touched_at, t.key, t.touchpoint_id) AS journey,
		   coalesce(array_agg(t.key) FILTER (WHERE t.is_direct), '{}') AS direct_keys
	FROM (SELECT ot.opportunity_id, ot.touchpoint_id, ot.touched_at, ot.is_direct,
				 CASE WHEN ot.is_direct THEN 'd' ELSE 'n' END
				 || to_char(timezone((SELECT @extschema@.reporting_time_zone()), ot.touched_at), 'YYYY-MM') || chr(30)
				 || ot.channel || coalesce(chr(31) || ot.campaign, '') AS key
		  FROM @extschema@.opportunity_touchpoints ot) t
	GROUP BY t.opportunity_id
) jt ON jt.opportunity_id = j.opportunity_id
LEFT JOIN LATERAL @extschema@.credits(jt.journey, m.model, converted_at => j.closed_at, half_life => m.half_life,
		lead_created_at => j.lead_created_at, opportunity_created_at => j.created_at, closed_at => j.closed_at,
		direct_channels => jt.direct_keys, weights => m.weights, lookback => m.lookback) c ON true
WHERE m.enabled;
COMMENT ON VIEW @extschema@.credit_facts IS
	'The credits the performance views add up: per enabled model, the credited touches of every opportunity (channel, campaign, time), or one row without a touch for an unattributed opportunity';
COMMENT ON COLUMN @extschema@.credit_facts.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.credit_facts.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.credit_facts.created_at IS 'When the opportunity was created';
COMMENT ON COLUMN @extschema@.credit_facts.is_won IS 'True when the opportunity was won';
COMMENT ON COLUMN @extschema@.credit_facts.amount_cents IS 'Amount of the opportunity in whole cents';
COMMENT ON COLUMN @extschema@.credit_facts.touchpoint_id IS 'The touchpoint credited; NULL when the opportunity is unattributed';
COMMENT ON COLUMN @extschema@.credit_facts.touched_at IS 'When the touch happened';
COMMENT ON COLUMN @extschema@.credit_facts.touch_key IS
	'The touch''s direct flag (d or n), month (YYYY-MM, in the reporting time zone), chr(30), channel, chr(31) and campaign in one value, to add up by';
COMMENT ON COLUMN @extschema@.credit_facts.channel IS 'Channel of the touch';
COMMENT ON COLUMN @extschema@.credit_facts.campaign IS 'Campaign of the touch';
COMMENT ON COLUMN @extschema@.credit_facts.credit IS
	'Share of the opportunity credited to the touch, to 15 significant digits (what the performance views add up); NULL when unattributed';

-- ---------------------------------------------------------------- credit totals, live or maintained

-- The performance views add up performance_totals: the credits of
-- credit_facts summed per model, touch key and month of the opportunity's
-- creation.  Every measure is a sum, and a numeric one, so exact: that is
-- what lets refresh_performance() keep a stored copy up to date by adding
-- the totals of the opportunities that changed and taking away their old
-- ones, and the stored totals then equal the live ones whatever the order
-- of the changes.  The query is written once, here: the live view runs it
-- over all opportunities, the refresh once per changed opportunity (the
-- one whose id is d.opportunity_id in the query around it; a filter on one
-- opportunity reaches every table behind credit_facts, so only its rows are
-- read).
CREATE FUNCTION @extschema@.performance_totals_query(per_opportunity boolean)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT 'SELECT ' || CASE WHEN per_opportunity THEN 'f.opportunity_id, ' ELSE '' END
	|| 'f.model, f.touch_key, '
	|| 'date_trunc(''month'', timezone((SELECT @extschema@.reporting_time_zone()), f.created_at))::date AS created_month, '
	|| 'count(f.touchpoint_id) AS touches, sum(coalesce(f.credit, 1)) AS opportunities, '
	|| 'sum(CASE WHEN f.is_won THEN coalesce(f.credit, 1) ELSE 0 END) AS won, '
	|| 'sum(coalesce(f.credit, 1) * f.amount_cents) AS pipeline_cents, '
	|| 'sum(CASE WHEN f.is_won THEN coalesce(f.credit, 1) * f.amount_cents ELSE 0 END) AS revenue_cents '
	|| 'FROM @extschema@.credit_facts f '
	|| CASE WHEN per_opportunity THEN 'WHERE f.opportunity_id = d.opportunity_id GROUP BY 1, 2, 3, 4 OFFSET 0'
			ELSE 'GROUP BY 1, 2, 3' END
$$;
COMMENT ON FUNCTION @extschema@.performance_totals_query(boolean) IS
	'The query of performance_totals over all opportunities, or (per_opportunity) over the one whose id is d.opportunity_id, grouped by it too';

-- Re-creates performance_totals: live (the query above), or reading the
-- totals refresh_performance() keeps (maintain_performance()).
CREATE FUNCTION @extschema@.performance_totals_apply(maintained boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	EXECUTE format('CREATE OR REPLACE VIEW %I.performance_totals WITH (security_invoker = true) AS %s', '@extschema@',
		CASE WHEN maintained
			 THEN 'SELECT t.model, t.touch_key, t.created_month, t.touches, t.opportunities, t.won, t.pipeline_cents, '
				  || 't.revenue_cents FROM @extschema@.maintained_performance_totals t'
			 ELSE @extschema@.performance_totals_query(false) END);
END
$$;
COMMENT ON FUNCTION @extschema@.performance_totals_apply(boolean) IS
	'Re-creates performance_totals to compute the totals live, or (maintained) to read the totals refresh_performance() keeps';

SELECT @extschema@.performance_totals_apply(false);
COMMENT ON VIEW @extschema@.performance_totals IS
	'The credits the performance views add up, summed per enabled model, touch key and month of the opportunity''s creation: computed live, or read from the totals refresh_performance() keeps after maintain_performance()';
COMMENT ON COLUMN @extschema@.performance_totals.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.performance_totals.touch_key IS
	'The touch key of credit_facts (direct flag, month, channel, campaign); NULL for the unattributed opportunities';
COMMENT ON COLUMN @extschema@.performance_totals.created_month IS
	'First day of the month in which the opportunities were created (reporting time zone)';
COMMENT ON COLUMN @extschema@.performance_totals.touches IS 'Credited touches';
COMMENT ON COLUMN @extschema@.performance_totals.opportunities IS
	'Sum of the credits (an unattributed opportunity counts 1)';
COMMENT ON COLUMN @extschema@.performance_totals.won IS 'The same for won opportunities';
COMMENT ON COLUMN @extschema@.performance_totals.pipeline_cents IS 'Sum of credit x amount in cents, exact';
COMMENT ON COLUMN @extschema@.performance_totals.revenue_cents IS 'The same for won opportunities';

-- The performance views are one computation at four grains: credits and
-- costs are each added up to the grain before they meet, so a cost row is
-- never repeated; every model gets a (zero) credit row for every key with
-- spend, so spend without credited touches shows too.  The model column
-- always comes from models or credit_facts, so a filter on it reaches the
-- credits.  The unattributed opportunities of a model form one row (per
-- month, in the monthly grains) with attributed = false and NULL channel
-- and campaign, so every model's rows add up to the whole pipeline.

-- One row per grain (channel, campaign, month: the month of the touch and
-- of the spend; created_month: the month of the opportunity's creation,
-- without spend), model and key.  Each performance view reads one grain; a
-- filter on grain reaches the VALUES list of the grains, so a view
-- computes its own grain only.  Columns that are not part of a grain are
-- NULL there.  Whole cents: the floor of every row, and the cents left over
-- to the rows with the largest remainders, so a model's rows add up exactly.
CREATE VIEW @extschema@.performance_by_grain WITH (security_invoker = true) AS
WITH grains(grain) AS NOT MATERIALIZED (
	VALUES ('channel'), ('campaign'), ('month'), ('created_month')
),
credits AS (
	SELECT c.grain, c.model, c.month, c.channel, c.campaign, c.attributed, sum(c.touches)::bigint AS touches,
		   sum(c.opportunities) AS attributed_opportunities, sum(c.won) AS attributed_won,
		   sum(c.pipeline_cents) AS pipeline_cents, sum(c.revenue_cents) AS revenue_cents, sum(c.cost) AS cost
	FROM (
		SELECT k.grain, k.model,
			   CASE k.grain WHEN 'month' THEN coalesce(@extschema@.touch_key_part(k.touch_key, 'month')::date, k.created_month)
							WHEN 'created_month' THEN k.created_month END AS month,
			   @extschema@.touch_key_part(k.touch_key, 'channel') AS channel,
			   CASE WHEN k.grain <> 'channel' THEN @extschema@.touch_key_part(k.touch_key, 'campaign') END AS campaign,
			   k.touch_key IS NOT NULL AS attributed, k.touches, k.opportunities, k.won, k.pipeline_cents,
			   k.revenue_cents, NULL::numeric AS cost
		FROM (
			-- added up by touch key first (and by the month of creation where
			-- the grain needs it), decoded after
			SELECT g.grain, t.model, t.touch_key,
				   CASE WHEN g.grain = 'created_month' OR (g.grain = 'month' AND t.touch_key IS NULL)
						THEN t.created_month
				   END AS created_month,
				   sum(t.touches) AS touches, sum(t.opportunities) AS opportunities, sum(t.won) AS won,
				   sum(t.pipeline_cents) AS pipeline_cents, sum(t.revenue_cents) AS revenue_cents
			FROM @extschema@.performance_totals t CROSS JOIN grains g
			GROUP BY 1, 2, 3, 4
		) k
		UNION ALL
		-- every model gets a row for all spend, even where no touch was credited
		SELECT s.grain, m.name, s.month, s.channel, s.campaign, true, 0, 0, 0, 0, 0, s.cost
		FROM @extschema@.models m
		CROSS JOIN (
			SELECT g.grain, CASE WHEN g.grain = 'month' THEN date_trunc('month', co.spent_on)::date END AS month,
				   co.channel, CASE WHEN g.grain <> 'channel' THEN co.campaign END AS campaign, sum(co.cost) AS cost
			FROM @extschema@.source_campaign_costs_view co CROSS JOIN grains g
			WHERE g.grain <> 'created_month'
			GROUP BY 1, 2, 3, 4
		) s
		WHERE m.enabled
	) c
	GROUP BY c.grain, c.model, c.month, c.channel, c.campaign, c.attributed
),
ranked AS (
	SELECT cr.*,
		   round(sum(cr.pipeline_cents) OVER w) - sum(floor(cr.pipeline_cents)) OVER w AS pipeline_left,
		   round(sum(cr.revenue_cents) OVER w) - sum(floor(cr.revenue_cents)) OVER w AS revenue_left,
		   row_number() OVER (w ORDER BY cr.pipeline_cents - floor(cr.pipeline_cents) DESC, cr.attributed DESC,
							  cr.month, cr.channel, cr.campaign, cr.touches DESC) AS pipeline_rank,
		   row_number() OVER (w ORDER BY cr.revenue_cents - floor(cr.revenue_cents) DESC, cr.attributed DESC,
							  cr.month, cr.channel, cr.campaign, cr.touches DESC) AS revenue_rank
	FROM credits cr
	WINDOW w AS (PARTITION BY cr.grain, cr.model)
),
performance AS (
	SELECT r.grain, r.model, r.month, r.channel, r.campaign, r.attributed, r.touches, r.attributed_opportunities,
		   r.attributed_won,
		   ((floor(r.pipeline_cents) + CASE WHEN r.pipeline_rank <= r.pipeline_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS pipeline,
		   ((floor(r.revenue_cents) + CASE WHEN r.revenue_rank <= r.revenue_left THEN 1 ELSE 0 END)::numeric
			/ 100)::numeric(16,2) AS revenue,
		   r.cost::numeric(16,2) AS cost
	FROM ranked r
)
SELECT grain, model, month, channel, campaign, attributed, touches,
	   round(attributed_opportunities, 4) AS attributed_opportunities,
	   round(attributed_won, 4) AS attributed_won,
	   pipeline, revenue, cost,
	   round((revenue - cost) / nullif(cost, 0), 4) AS roi,
	   round(cost / nullif(attributed_opportunities, 0), 2) AS cost_per_opportunity,
	   round(cost / nullif(attributed_won, 0), 2) AS cost_per_won
FROM performance;
COMMENT ON VIEW @extschema@.performance_by_grain IS
	'Internal to the performance views: attributed touches, pipeline, revenue, cost and ROI per grain (channel, campaign, month, created_month), enabled model and key';
COMMENT ON COLUMN @extschema@.performance_by_grain.grain IS
	'channel, campaign, month (of the touch and of the spend) or created_month (of the opportunity, without cost)';
COMMENT ON COLUMN @extschema@.performance_by_grain.model IS 'Name of the model (models.name)';
COMMENT ON COLUMN @extschema@.performance_by_grain.month IS
	'First day of the month of the touches and of the spend (unattributed row: of the opportunities'' creation), in the reporting time zone';
COMMENT ON COLUMN @extschema@.performance_by_grain.channel IS 'Channel; NULL on the unattributed row';
COMMENT ON COLUMN @extschema@.performance_by_grain.campaign IS 'Campaign; NULL for touches without a campaign and on the unattributed row';
COMMENT ON COLUMN @extschema@.performance_by_grain.attributed IS
	'False on the row of the opportunities with no touch in the model''s window (unattributed, not lost)';
COMMENT ON COLUMN @extschema@.performance_by_grain.touches IS 'Touches in the models'' windows of the opportunities'' journeys';
COMMENT ON COLUMN @extschema@.performance_by_grain.attributed_opportunities IS
	'Sum of the credits: opportunities attributed, as a fraction (unattributed row: the number of those opportunities)';
COMMENT ON COLUMN @extschema@.performance_by_grain.attributed_won IS 'The same for won opportunities';
COMMENT ON COLUMN @extschema@.performance_by_grain.pipeline IS
	'Attributed pipeline (credit x amount of every opportunity) in cents, rounded so that a model''s rows add up exactly to the total amount';
COMMENT ON COLUMN @extschema@.performance_by_grain.revenue IS
	'Attributed revenue (credit x amount of won opportunities) in cents, rounded so that a model''s rows add up exactly to the won amount';
COMMENT ON COLUMN @extschema@.performance_by_grain.cost IS 'Spend of the channel (and campaign, and month) in campaign_costs; NULL when none';
COMMENT ON COLUMN @extschema@.performance_by_grain.roi IS '(revenue - cost) / cost; NULL without cost';
COMMENT ON COLUMN @extschema@.performance_by_grain.cost_per_opportunity IS 'cost / attributed_opportunities';
COMMENT ON COLUMN @extschema@.performance_by_grain.cost_per_won IS 'cost / attributed_won: cost per attributed won deal';

-- The performance views are the grains of performance_by_grain, with its
-- column comments (copy_comments()) and their own where they differ.
CREATE VIEW @extschema@.channel_performance WITH (security_invoker = true) AS
SELECT p.model, p.channel, p.attributed, p.touches, p.attributed_opportunities, p.attributed_won, p.pipeline,
	   p.revenue, p.cost, p.roi, p.cost_per_opportunity, p.cost_per_won
FROM @extschema@.performance_by_grain p
WHERE p.grain = 'channel';
SELECT @extschema@.copy_comments('@extschema@.performance_by_grain', '@extschema@.channel_performance',
	'Attributed touches, pipeline, revenue, cost and ROI per enabled model and channel, over all time');
COMMENT ON COLUMN @extschema@.channel_performance.cost IS 'Spend recorded for the channel in campaign_costs; NULL when none';

CREATE VIEW @extschema@.campaign_performance WITH (security_invoker = true) AS
SELECT p.model, p.channel, p.campaign, p.attributed, p.touches, p.attributed_opportunities, p.attributed_won,
	   p.pipeline, p.revenue, p.cost, p.roi, p.cost_per_opportunity, p.cost_per_won
FROM @extschema@.performance_by_grain p
WHERE p.grain = 'campaign';
SELECT @extschema@.copy_comments('@extschema@.performance_by_grain', '@extschema@.campaign_performance',
	'Attributed touches, pipeline, revenue, cost and ROI per enabled model, channel and campaign, over all time');
COMMENT ON COLUMN @extschema@.campaign_performance.cost IS 'Spend recorded for the campaign and channel in campaign_costs; NULL when none';

-- The month of a credit is the month of its touch, so spend and the credit
-- of the touches it bought fall in the same month; unattributed
-- opportunities count in the month of their creation.
CREATE VIEW @extschema@.campaign_performance_monthly WITH (security_invoker = true) AS
SELECT p.model, p.month, p.channel, p.campaign, p.attributed, p.touches, p.attributed_opportunities,
	   p.attributed_won, p.pipeline, p.revenue, p.cost, p.roi, p.cost_per_opportunity, p.cost_per_won
FROM @extschema@.performance_by_grain p
WHERE p.grain = 'month';
SELECT @extschema@.copy_comments('@extschema@.performance_by_grain', '@extschema@.campaign_performance_monthly',
	'campaign_performance per month: credits in the month of their touch, spend in the month it was spent');
COMMENT ON COLUMN @extschema@.campaign_performance_monthly.cost IS 'Spend of the campaign and channel in the month; NULL when none';

-- campaign_performance_monthly puts a credit in the month of its touch, so
-- spend and the touches it bought meet.  Pipeline reports count a deal in
-- the month it was created: this view does, for every credit of the deal.
-- Spend has no creation month, so there is no cost here.
CREATE VIEW @extschema@.campaign_pipeline_by_created_month WITH (security_invoker = true) AS
SELECT p.model, p.month AS created_month, p.channel, p.campaign, p.attributed, p.touches,
	   p.attributed_opportunities, p.attributed_won, p.pipeline, p.revenue
FROM @extschema@.performance_by_grain p
WHERE p.grain = 'created_month';
SELECT @extschema@.copy_comments('@extschema@.performance_by_grain', '@extschema@.campaign_pipeline_by_created_month',
	'Attributed pipeline and revenue per enabled model, month of the opportunity''s creation, channel and campaign (pipeline reports; campaign_performance_monthly uses the month of the touch instead)');
COMMENT ON COLUMN @extschema@.campaign_pipeline_by_created_month.created_month IS
	'First day of the month in which the opportunities were created (reporting time zone)';
