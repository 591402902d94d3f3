-- attribution: update from 0.1.0 to 0.2.0.  Each part of the change has its
-- own section below; the install script of 0.2.0 is generated from src/sql/,
-- and test/upgrade.sh checks that this update gives the same catalog.

\echo Use "ALTER EXTENSION attribution UPDATE TO '0.2.0'" to load this file. \quit

-- ==== security ====



-- ==== robustness ====

-- opportunity_credits: the cumulative rounding of cents in numeric, so that
-- an opportunity's cents add up exactly to its amount for every amount.
CREATE OR REPLACE VIEW @extschema@.opportunity_credits WITH (security_invoker = true) AS
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
	SELECT x.position, x.touch_id, x.credit,
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


-- ==== scale-out: reporting ====



-- ==== scale-out: aggregates ====



-- ==== compatibility ====



-- ==== reporting for BI ====



-- ==== maintenance ====



-- ==== end ====
