-- The window function credit(): the same credits as credits(), whatever the
-- OVER clause's order, with named optional arguments.
SET timezone = 'UTC';
SET extra_float_digits = 0;

CREATE TABLE wt (journey int, touch_id bigint, touched_at timestamptz, channel text, is_direct bool,
	converted_at timestamptz);
INSERT INTO wt VALUES
	(1, 1, '2024-01-01', 'email', false, '2024-01-10'),
	(1, 2, '2024-01-02', 'search', false, '2024-01-10'),
	(1, 3, '2024-01-02', 'social', false, '2024-01-10'),
	(1, 4, '2024-01-05', 'direct', true, '2024-01-10'),
	(1, 5, '2024-01-11', 'email', false, '2024-01-10'),
	(2, 6, '2024-02-01', 'direct', true, '2024-02-05');

SELECT journey, touch_id,
	attribution.credit('position_based', touched_at, converted_at => converted_at, touch_id => touch_id)
		OVER (PARTITION BY journey ORDER BY touched_at, touch_id) AS u,
	attribution.credit('last_non_direct', touched_at, converted_at => converted_at, is_direct => is_direct,
		touch_id => touch_id) OVER (PARTITION BY journey) AS lnd,
	round(attribution.credit('time_decay', touched_at, converted_at => converted_at, half_life => '2 days')
		OVER (PARTITION BY journey ORDER BY touched_at)::numeric, 4) AS decay
FROM wt ORDER BY touch_id;

-- ties: the OVER clause's order of tied rows does not matter when touch_id is given
SELECT touch_id,
	attribution.credit('first_touch', touched_at, touch_id => touch_id) OVER (PARTITION BY journey ORDER BY touched_at, touch_id DESC) AS by_desc,
	attribution.credit('first_touch', touched_at, touch_id => touch_id) OVER (PARTITION BY journey ORDER BY touched_at, touch_id) AS by_asc
FROM wt WHERE journey = 1 AND touched_at = '2024-01-02' ORDER BY touch_id;
-- or the channel, when there is no touch id
SELECT channel,
	attribution.credit('last_touch', touched_at, channel => channel) OVER (ORDER BY channel DESC) AS credit
FROM wt WHERE journey = 1 AND touched_at = '2024-01-02' ORDER BY channel;

-- the window form agrees with credits() on every touch
SELECT count(*) AS touches, max(abs(w.credit - c.credit)) < 1e-12 AS agree
FROM (SELECT journey, touch_id,
		attribution.credit('w_shaped', touched_at, lead_created_at => '2024-01-02', opportunity_created_at => '2024-01-06',
			touch_id => touch_id, channel => channel) OVER (PARTITION BY journey) AS credit
	  FROM wt) w
JOIN (SELECT journey, c.touch_id, c.credit
	  FROM (SELECT journey, attribution.journey_agg(touched_at, channel, touch_id) j FROM wt GROUP BY journey) s,
		   attribution.credits(j, 'w_shaped', lead_created_at => '2024-01-02', opportunity_created_at => '2024-01-06') c) c
USING (journey, touch_id);

-- errors
SELECT attribution.credit('linear', touched_at, converted_at => touched_at) OVER (PARTITION BY journey) FROM wt;
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.credit(CASE WHEN touch_id = 2 THEN 'linear' ELSE 'first_touch' END, touched_at) OVER (PARTITION BY journey) FROM wt;
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.credit('linear', NULL::timestamptz) OVER () FROM wt;
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.credit('linear', touched_at, channel => NULLIF(channel, 'email')) OVER () FROM wt;
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.credit('unknown', touched_at) OVER () FROM wt;
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.credit('time_decay', touched_at, half_life => NULL) OVER () FROM wt;
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.credit('linear', 'infinity'::timestamptz) OVER () FROM wt;
\echo :LAST_ERROR_SQLSTATE
-- a partition longer than the journey cap
SELECT max(c) FROM (SELECT attribution.credit('linear', timestamptz '2024-01-01' + i * interval '1 second') OVER () AS c
	FROM generate_series(1, 100001) i) s;
\echo :LAST_ERROR_SQLSTATE
