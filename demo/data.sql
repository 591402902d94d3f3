-- The demo data set: 2,000 B2B journeys over eight channels, deterministic
-- (setseed).  Each journey has 1 to 12 touches over up to 60 days, a lead
-- creation, an opportunity creation and a close; about a third convert.
SELECT setseed(0.42);

CREATE TABLE demo_journeys AS
SELECT j AS journey_id,
	   timestamptz '2025-01-01' + (random() * 300) * interval '1 day' AS started_at,
	   1 + floor(random() * 12)::int AS touches,
	   random() < 0.35 AS converted,
	   round((5000 + random() * 45000)::numeric, 2) AS amount
FROM generate_series(1, 2000) j;

CREATE TABLE demo_touches AS
SELECT row_number() OVER (ORDER BY j.journey_id, t) AS touch_id,
	   j.journey_id,
	   j.started_at + (t - 1) * (random() * 5) * interval '1 day' AS touched_at,
	   (ARRAY['paid_search', 'organic', 'email', 'social', 'display', 'webinar', 'events', 'direct'])
		   [1 + floor(power(random(), 1.3) * 8)::int] AS channel
FROM demo_journeys j, generate_series(1, j.touches) t;

-- milestones: lead after the first touches, opportunity later, close last
CREATE TABLE demo_conversions AS
SELECT journey_id,
	   min(touched_at) + (max(touched_at) - min(touched_at)) * 0.3 AS lead_created_at,
	   min(touched_at) + (max(touched_at) - min(touched_at)) * 0.7 AS opportunity_created_at,
	   max(touched_at) + interval '2 days' AS closed_at
FROM demo_touches GROUP BY journey_id;
