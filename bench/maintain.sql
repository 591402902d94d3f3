-- Steps of bench/maintain.sh: each times one statement with clock_timestamp()
-- into bench_timings; the script prints the table at the end.
\set ON_ERROR_STOP 1
SET jit = off;
CREATE TABLE bench_timings (step text, ms numeric, result bigint, at timestamptz DEFAULT clock_timestamp());
CREATE FUNCTION bench_timed(step text, query text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	n bigint;
BEGIN
	EXECUTE query INTO n;
	INSERT INTO bench_timings (step, ms, result)
	VALUES (step, round((extract(epoch FROM clock_timestamp() - t0) * 1000)::numeric, 1), n);
	RETURN n;
END
$$;
-- every column of a view, consumed
CREATE FUNCTION bench_read(view_name text) RETURNS text LANGUAGE sql AS $$
	SELECT format('SELECT count(DISTINCT v::text) FROM attribution.%I v', view_name)
$$;
RESET jit;

-- live
SELECT bench_timed('live channel_performance', bench_read('channel_performance'));
SELECT bench_timed('live campaign_performance_monthly', bench_read('campaign_performance_monthly'));
-- the first, full refresh
SELECT bench_timed('maintain_performance() (full refresh)', 'SELECT opportunities FROM attribution.maintain_performance()');
SELECT bench_timed('refresh_performance(recompute_all => true)', 'SELECT opportunities FROM attribution.refresh_performance(true)');
-- maintained reads, five each
SELECT bench_timed('maintained channel_performance', bench_read('channel_performance')) FROM generate_series(1, 5);
SELECT bench_timed('maintained campaign_performance_monthly', bench_read('campaign_performance_monthly')) FROM generate_series(1, 5);

-- load A: 1% new touchpoints on the contacts of 1% of the opportunities
SELECT setseed(0.5);
CREATE TABLE load_a AS
WITH chosen AS (
	SELECT o.opportunity_id FROM attribution.opportunities o ORDER BY random()
	LIMIT (SELECT count(*) / 100 FROM attribution.opportunities)
), contacts AS (
	SELECT DISTINCT oc.contact_id FROM attribution.opportunity_contacts oc JOIN chosen USING (opportunity_id)
), numbered AS (
	SELECT contact_id, row_number() OVER (ORDER BY contact_id) AS n, count(*) OVER () AS m FROM contacts
)
SELECT 100000000 + g AS touchpoint_id, c.contact_id, timestamptz '2025-06-01' + g * interval '1 minute' AS touched_at,
	   (ARRAY['paid_search', 'email', 'webinar', 'events'])[1 + g % 4] AS channel, 'load_a' AS campaign
FROM generate_series(1, (SELECT count(*) / 100 FROM attribution.touchpoints)) g
JOIN numbered c ON c.n = 1 + g % c.m;
SELECT bench_timed('load A: insert 1% touchpoints (1% of opportunities)',
	'WITH i AS (INSERT INTO attribution.touchpoints (touchpoint_id, contact_id, touched_at, channel, campaign) SELECT * FROM load_a RETURNING 1) SELECT count(*) FROM i');
SELECT bench_timed('load A: refresh_performance()', 'SELECT opportunities FROM attribution.refresh_performance()');

-- load B: 1% new touchpoints on contacts picked at random
SELECT setseed(0.25);
CREATE TABLE load_b AS
SELECT 200000000 + row_number() OVER () AS touchpoint_id, c.contact_id, timestamptz '2025-07-01' AS touched_at,
	   'webinar' AS channel, 'load_b' AS campaign
FROM (SELECT contact_id FROM attribution.contacts ORDER BY random()
	  LIMIT (SELECT count(*) / 100 FROM attribution.touchpoints)) c;
SELECT bench_timed('load B: insert 1% touchpoints (random contacts)',
	'WITH i AS (INSERT INTO attribution.touchpoints (touchpoint_id, contact_id, touched_at, channel, campaign) SELECT * FROM load_b RETURNING 1) SELECT count(*) FROM i');
SELECT bench_timed('load B: refresh_performance()', 'SELECT opportunities FROM attribution.refresh_performance()');

-- the maintained totals against live ones after both loads (0: identical)
CREATE TABLE stored_rows AS SELECT * FROM attribution.campaign_performance_monthly;
SELECT attribution.performance_totals_apply(false);
SELECT bench_timed('rows differing from live after the loads',
	'SELECT count(*) FROM ((SELECT * FROM stored_rows EXCEPT ALL SELECT * FROM attribution.campaign_performance_monthly) UNION ALL (SELECT * FROM attribution.campaign_performance_monthly EXCEPT ALL SELECT * FROM stored_rows)) x');
SELECT attribution.performance_totals_apply(true);
