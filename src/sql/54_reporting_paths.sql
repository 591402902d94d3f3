-- Reporting layer, part 4: data-driven attribution over the opportunity
-- journeys (doc/paths.md): the path of channels of every closed
-- opportunity, and Markov, Shapley and the heuristics side by side.

CREATE VIEW @extschema@.opportunity_paths WITH (security_invoker = true) AS
SELECT j.opportunity_id, j.status, j.is_won, j.amount,
	   array_agg(t.channel ORDER BY t.touched_at, t.touchpoint_id) AS path
FROM @extschema@.opportunity_journeys j
JOIN @extschema@.opportunity_touchpoints t ON t.opportunity_id = j.opportunity_id
GROUP BY j.opportunity_id, j.status, j.is_won, j.amount;
COMMENT ON VIEW @extschema@.opportunity_paths IS
	'The channels of every opportunity''s journey in time order (the touches of all its contacts up to the close), for path_agg()';
COMMENT ON COLUMN @extschema@.opportunity_paths.opportunity_id IS 'The opportunity';
COMMENT ON COLUMN @extschema@.opportunity_paths.status IS 'open, won or lost';
COMMENT ON COLUMN @extschema@.opportunity_paths.is_won IS 'True when won: the path converted';
COMMENT ON COLUMN @extschema@.opportunity_paths.amount IS 'Amount of the opportunity: the value of a conversion';
COMMENT ON COLUMN @extschema@.opportunity_paths.path IS
	'Channels of the journey ordered by (touched_at, touchpoint_id); opportunities without a touch have no row';

-- Closed opportunities only: won paths convert, lost ones do not; an open
-- opportunity has not decided yet.
CREATE VIEW @extschema@.data_driven_attribution WITH (security_invoker = true) AS
WITH summary AS (
	SELECT @extschema@.path_agg(p.path, p.is_won, CASE WHEN p.is_won THEN p.amount ELSE 0 END::float8) AS paths
	FROM @extschema@.opportunity_paths p
	WHERE p.status <> 'open'
),
markov AS (
	SELECT m.* FROM summary s CROSS JOIN LATERAL @extschema@.markov(s.paths) m
),
shapley AS (
	SELECT x.* FROM summary s CROSS JOIN LATERAL @extschema@.shapley(s.paths) x
),
heuristics AS (
	SELECT h.* FROM summary s CROSS JOIN LATERAL @extschema@.heuristics(s.paths) h
)
SELECT h.channel,
	   round(m.removal_effect::numeric, 4) AS markov_removal_effect,
	   round(m.conversions::numeric, 2) AS markov_conversions,
	   round(x.conversions::numeric, 2) AS shapley_conversions,
	   round(h.first_touch::numeric, 2) AS first_touch_conversions,
	   round(h.last_touch::numeric, 2) AS last_touch_conversions,
	   round(h.linear::numeric, 2) AS linear_conversions,
	   round(m.value::numeric, 2) AS markov_revenue,
	   round(x.value::numeric, 2) AS shapley_revenue,
	   round(h.first_touch_value::numeric, 2) AS first_touch_revenue,
	   round(h.last_touch_value::numeric, 2) AS last_touch_revenue,
	   round(h.linear_value::numeric, 2) AS linear_revenue
FROM heuristics h
LEFT JOIN markov m ON m.channel = h.channel
LEFT JOIN shapley x ON x.channel = h.channel;
COMMENT ON VIEW @extschema@.data_driven_attribution IS
	'Data-driven channel attribution of the closed opportunities: first-order Markov removal effects and Shapley values next to first touch, last touch and linear, in won deals and revenue';
COMMENT ON COLUMN @extschema@.data_driven_attribution.channel IS 'Channel';
COMMENT ON COLUMN @extschema@.data_driven_attribution.markov_removal_effect IS
	'Share of conversions lost when the channel is removed from the first-order Markov chain of the paths';
COMMENT ON COLUMN @extschema@.data_driven_attribution.markov_conversions IS 'Won deals credited by the Markov model (removal effects normalised)';
COMMENT ON COLUMN @extschema@.data_driven_attribution.shapley_conversions IS
	'Won deals credited by the simplified Shapley value (each deal split equally over the distinct channels of its path)';
COMMENT ON COLUMN @extschema@.data_driven_attribution.first_touch_conversions IS 'Won deals credited to the first touch of their path';
COMMENT ON COLUMN @extschema@.data_driven_attribution.last_touch_conversions IS 'Won deals credited to the last touch of their path';
COMMENT ON COLUMN @extschema@.data_driven_attribution.linear_conversions IS 'Won deals split equally over the touches of their path';
COMMENT ON COLUMN @extschema@.data_driven_attribution.markov_revenue IS 'Revenue credited by the Markov model';
COMMENT ON COLUMN @extschema@.data_driven_attribution.shapley_revenue IS 'Revenue credited by the simplified Shapley value';
COMMENT ON COLUMN @extschema@.data_driven_attribution.first_touch_revenue IS 'Revenue credited to the first touch';
COMMENT ON COLUMN @extschema@.data_driven_attribution.last_touch_revenue IS 'Revenue credited to the last touch';
COMMENT ON COLUMN @extschema@.data_driven_attribution.linear_revenue IS 'Revenue split equally over the touches';
