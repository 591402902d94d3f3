-- The reporting layer as BI tools and analysts use it: the lists of names
-- and the checks of a name, the reporting time zone, the views that answer
-- the dashboards' questions (each against an independent formulation in
-- plain SQL on the demo data), the check of the sources, comments that
-- travel with copies, and publish() for a BI role without the raw tables.
SET timezone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never

SELECT count(*) > 0 AS loaded FROM attribution.generate_demo_data(150, 11);

-- ---------------------------------------------------------------- names a filter can take
SELECT model, rule, half_life_days, lookback_days, weights, builtin FROM attribution.models_enabled ORDER BY model;
SELECT waterfall, unit, ladder, exits, ladder_stages, builtin FROM attribution.waterfall_list ORDER BY waterfall;
SELECT waterfall, stage, stage_rank, is_exit, unit FROM attribution.waterfall_stage_list ORDER BY waterfall, stage_rank;
-- a typo in a filter matches nothing; known_model() turns it into an error that names the models
SELECT count(*) FROM attribution.channel_performance WHERE model = 'W-shaped';
SELECT count(*) FROM attribution.channel_performance WHERE model = attribution.known_model('W-shaped');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) > 0 AS rows FROM attribution.channel_performance WHERE model = attribution.known_model('w_shaped');
SELECT attribution.known_model('nothing like it');
SELECT attribution.known_model(NULL);
\echo :LAST_ERROR_SQLSTATE
UPDATE attribution.models SET enabled = false WHERE name = 'time_decay';
SELECT model FROM attribution.models_enabled WHERE model = 'time_decay';
SELECT attribution.known_model('time_decay');
UPDATE attribution.models SET enabled = true, builtin = true WHERE name = 'time_decay';
SELECT attribution.known_waterfall('deals'), attribution.known_stage('default', 'mql'), attribution.known_stage('deals', 'lost');
SELECT attribution.known_waterfall('Default');
SELECT attribution.known_waterfall(NULL);
SELECT attribution.known_stage('default', 'MQL');
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.known_stage('nope', 'mql');
SELECT attribution.known_stage('default', NULL);

-- a stage or waterfall that does not exist: the error lists what does (SQLSTATE 23503, as the foreign key's)
INSERT INTO attribution.stage_events (unit_id, stage, entered_at) VALUES ('C00000009', 'MQL', '2025-01-01');
\echo :LAST_ERROR_SQLSTATE
UPDATE attribution.stage_events SET stage = 'closed_won' WHERE waterfall = 'deals' AND stage = 'won';
INSERT INTO attribution.stage_targets VALUES ('deals', '2026-01-01', 'disqualified', 3);
INSERT INTO attribution.stage_targets VALUES ('Deals', '2026-01-01', 'won', 3);
-- a role that may only insert stage events needs no privilege on the waterfalls to get these errors
CREATE ROLE regress_attribution_loader;
GRANT USAGE ON SCHEMA attribution TO regress_attribution_loader;
GRANT INSERT ON attribution.stage_events TO regress_attribution_loader;
SET ROLE regress_attribution_loader;
INSERT INTO attribution.stage_events (unit_id, stage, entered_at, waterfall)
VALUES ('O9999999', 'discovery', '2025-01-01', 'deals'), ('O9999999', 'Proposal', '2025-01-02', 'deals');
INSERT INTO attribution.stage_events (unit_id, stage, entered_at, waterfall) VALUES ('O9999999', 'discovery', '2025-01-01', 'deals');
RESET ROLE;
DELETE FROM attribution.stage_events WHERE unit_id = 'O9999999';
REVOKE ALL ON attribution.stage_events FROM regress_attribution_loader;
REVOKE ALL ON SCHEMA attribution FROM regress_attribution_loader;
DROP ROLE regress_attribution_loader;

-- ---------------------------------------------------------------- the reporting time zone
SELECT attribution.reporting_time_zone();
CREATE TEMP TABLE months_utc AS
SELECT 'cohorts' AS v, md5(string_agg(c::text, '|' ORDER BY c.waterfall, c.cohort, c.stage)) AS h FROM attribution.waterfall_cohorts c
UNION ALL SELECT 'flow', md5(string_agg(f::text, '|' ORDER BY f.waterfall, f.month, f.stage)) FROM attribution.waterfall_flow f
UNION ALL SELECT 'plan', md5(string_agg(p::text, '|' ORDER BY p.waterfall, p.grain, p.period, p.stage)) FROM attribution.plan_vs_actual p
UNION ALL SELECT 'monthly', md5(string_agg(m::text, '|' ORDER BY m.model, m.month, m.attributed, m.channel, m.campaign))
	FROM attribution.campaign_performance_monthly m WHERE m.model = 'linear';
-- the session's time zone changes nothing: a BI client in another time zone sees the same months
-- (the timestamps shown, such as as_of, are printed in the session's zone, so the digests read the views in UTC)
SET timezone = 'Asia/Tokyo';
CREATE TEMP TABLE months_tokyo_session AS
SELECT 'cohorts' AS v, md5(string_agg(c::text, '|' ORDER BY c.waterfall, c.cohort, c.stage)) AS h
	FROM (SELECT waterfall, cohort, stage, reached, cohort_age_days FROM attribution.waterfall_cohorts) c
UNION ALL SELECT 'flow', md5(string_agg(f::text, '|' ORDER BY f.waterfall, f.month, f.stage)) FROM attribution.waterfall_flow f
UNION ALL SELECT 'plan', md5(string_agg(p::text, '|' ORDER BY p.waterfall, p.grain, p.period, p.stage)) FROM attribution.plan_vs_actual p
UNION ALL SELECT 'monthly', md5(string_agg(m::text, '|' ORDER BY m.model, m.month, m.attributed, m.channel, m.campaign))
	FROM attribution.campaign_performance_monthly m WHERE m.model = 'linear';
RESET timezone;
SET timezone = 'UTC';
SELECT v, h = (SELECT md5(string_agg(c::text, '|' ORDER BY c.waterfall, c.cohort, c.stage))
			   FROM (SELECT waterfall, cohort, stage, reached, cohort_age_days FROM attribution.waterfall_cohorts) c) AS same
FROM months_tokyo_session WHERE v = 'cohorts';
SELECT t.v, t.h = u.h AS same FROM months_tokyo_session t JOIN months_utc u USING (v) WHERE v <> 'cohorts' ORDER BY v;
-- the setting does: first entries into the first stage per month in Tokyo time, against plain SQL on
-- the stage events (a unit reaches the first stage with its first ladder event)
INSERT INTO attribution.settings VALUES ('reporting_time_zone', 'Asia/Tokyo');
SELECT attribution.reporting_time_zone();
WITH plain AS (
	SELECT e.waterfall, date_trunc('month', min(e.entered_at) AT TIME ZONE 'Asia/Tokyo')::date AS month
	FROM attribution.stage_events e
	JOIN attribution.waterfall_stages s ON s.waterfall = e.waterfall AND s.stage = e.stage
	WHERE NOT s.is_exit
	GROUP BY e.waterfall, e.unit_id
)
SELECT count(*) AS months_differing
FROM (SELECT waterfall, month, count(*) AS n FROM plain GROUP BY 1, 2) p
FULL JOIN (SELECT waterfall, month, first_entries AS n FROM attribution.waterfall_flow WHERE stage_rank = 1 AND first_entries > 0) f
	USING (waterfall, month)
WHERE p.n IS DISTINCT FROM f.n;
SELECT v, h = (SELECT md5(string_agg(f::text, '|' ORDER BY f.waterfall, f.month, f.stage)) FROM attribution.waterfall_flow f)
	AS same_as_utc
FROM months_utc WHERE v = 'flow';
UPDATE attribution.settings SET value = 'Mars/Olympus_Mons' WHERE name = 'reporting_time_zone';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO attribution.settings VALUES ('fiscal_year_start', '04-01');
DELETE FROM attribution.settings;
SELECT attribution.reporting_time_zone();

-- ---------------------------------------------------------------- the reverse waterfall from the targets
-- the conversion rates from plain SQL: a unit reached a ladder stage when it entered it or a later one
CREATE TEMP TABLE plain_rates AS
WITH furthest AS (
	SELECT e.waterfall, e.unit_id, max(s.rank) AS rank
	FROM attribution.stage_events e
	JOIN attribution.waterfall_stages s ON s.waterfall = e.waterfall AND s.stage = e.stage AND NOT s.is_exit
	GROUP BY 1, 2
)
SELECT s.waterfall, s.stage, s.rank,
	   CASE WHEN s.rank < (SELECT max(l.rank) FROM attribution.waterfall_stages l WHERE l.waterfall = s.waterfall AND NOT l.is_exit)
			THEN count(*) FILTER (WHERE f.rank > s.rank)::numeric / nullif(count(*) FILTER (WHERE f.rank >= s.rank), 0)
	   END AS rate
FROM attribution.waterfall_stages s JOIN furthest f ON f.waterfall = s.waterfall
WHERE NOT s.is_exit
GROUP BY 1, 2, 3;
-- volume needed at a stage = the goal divided by every rate from that stage on (the last stage: the goal)
SELECT count(*) AS rows, count(*) FILTER (WHERE r.conversion_rate IS DISTINCT FROM round(p.rate, 4)) AS rates_differing,
	   count(*) FILTER (WHERE r.volume_needed IS DISTINCT FROM round(r.goal / (
		   SELECT coalesce(exp(sum(ln(q.rate))), 1) FROM plain_rates q
		   WHERE q.waterfall = r.waterfall AND q.rank >= r.stage_rank AND q.rate IS NOT NULL), 1))
		   AS volumes_differing,
	   count(*) FILTER (WHERE r.planned IS DISTINCT FROM t.target) AS plans_differing
FROM attribution.reverse_waterfall_plan r
JOIN plain_rates p ON p.waterfall = r.waterfall AND p.stage = r.stage
LEFT JOIN attribution.stage_targets t ON t.waterfall = r.waterfall AND t.grain = r.grain AND t.period = r.period
	AND t.stage = r.stage;
SELECT waterfall, period, goal, stage, conversion_rate, volume_needed, planned, plan_minus_needed, start_by <= period AS starts_before,
	   unit
FROM attribution.reverse_waterfall_plan WHERE period = '2025-06-01' ORDER BY waterfall, stage_rank;
-- every goal of the last ladder stage has a plan, one row per ladder stage
SELECT (SELECT count(*) FROM attribution.stage_targets t JOIN attribution.waterfalls w ON w.name = t.waterfall
		WHERE t.stage = w.ladder[cardinality(w.ladder)]) AS goals,
	   count(DISTINCT (waterfall, grain, period)) AS planned_goals,
	   bool_and(goal_stage = 'won') AS goal_is_won
FROM attribution.reverse_waterfall_plan;

-- ---------------------------------------------------------------- stage-to-stage days
-- plain SQL: a ladder stage is reached at the first entry into it or any later ladder stage; an exit
-- stage at its first entry, counted when it came after the stage the days count from
CREATE TEMP TABLE plain_reached AS
WITH firsts AS (
	SELECT e.waterfall, e.unit_id, e.stage, s.rank, s.is_exit, min(e.entered_at) AS at
	FROM attribution.stage_events e
	JOIN attribution.waterfall_stages s ON s.waterfall = e.waterfall AND s.stage = e.stage
	GROUP BY 1, 2, 3, 4, 5
)
SELECT s.waterfall, f.unit_id, s.stage, s.rank, s.is_exit,
	   CASE WHEN s.is_exit THEN min(f.at) FILTER (WHERE f.stage = s.stage)
			ELSE min(f.at) FILTER (WHERE NOT f.is_exit AND f.rank >= s.rank) END AS at
FROM attribution.waterfall_stages s
JOIN firsts f ON f.waterfall = s.waterfall
GROUP BY s.waterfall, f.unit_id, s.stage, s.rank, s.is_exit;
CREATE TEMP TABLE plain_days AS
SELECT a.waterfall, a.stage AS from_stage, b.stage AS to_stage, count(*) AS units,
	   round(avg(extract(epoch FROM b.at - a.at) / 86400), 1) AS avg_days,
	   round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM b.at - a.at)::float8 / 86400)::numeric, 1) AS median_days,
	   round(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM b.at - a.at)::float8 / 86400)::numeric, 1) AS p90_days
FROM plain_reached a
JOIN plain_reached b ON b.waterfall = a.waterfall AND b.unit_id = a.unit_id AND b.rank > a.rank
WHERE NOT a.is_exit AND a.at IS NOT NULL AND b.at IS NOT NULL AND (NOT b.is_exit OR b.at >= a.at)
GROUP BY 1, 2, 3;
SELECT (SELECT count(*) FROM plain_days) AS pairs, count(*) AS pairs_differing
FROM plain_days p FULL JOIN attribution.stage_to_stage_days v USING (waterfall, from_stage, to_stage)
WHERE (p.units, p.avg_days, p.median_days, p.p90_days) IS DISTINCT FROM (v.units, v.avg_days, v.median_days, v.p90_days);
SELECT from_stage, to_stage, units, avg_days, median_days, p90_days, unit
FROM attribution.stage_to_stage_days WHERE waterfall = 'deals' ORDER BY from_rank, to_rank;

-- ---------------------------------------------------------------- exits with their reasons
-- plain SQL: a unit's last event (by time, then ladder rank) is in an exit stage; its furthest ladder
-- stage and the reason on that last event
CREATE TEMP TABLE plain_exits AS
WITH last_event AS (
	SELECT DISTINCT ON (e.waterfall, e.unit_id) e.waterfall, e.unit_id, e.stage, e.reason, s.is_exit
	FROM attribution.stage_events e
	JOIN attribution.waterfall_stages s ON s.waterfall = e.waterfall AND s.stage = e.stage
	ORDER BY e.waterfall, e.unit_id, e.entered_at DESC, s.rank DESC
),
furthest AS (
	SELECT e.waterfall, e.unit_id, max(s.rank) AS rank
	FROM attribution.stage_events e
	JOIN attribution.waterfall_stages s ON s.waterfall = e.waterfall AND s.stage = e.stage AND NOT s.is_exit
	GROUP BY 1, 2
)
SELECT l.waterfall, s.stage, l.stage AS exit_stage, l.reason, count(*) AS units
FROM last_event l
JOIN furthest f USING (waterfall, unit_id)
JOIN attribution.waterfall_stages s ON s.waterfall = f.waterfall AND s.rank = f.rank
WHERE l.is_exit
GROUP BY 1, 2, 3, 4;
SELECT (SELECT count(*) FROM plain_exits) AS groups, count(*) AS groups_differing
FROM plain_exits p FULL JOIN attribution.waterfall_exit_reasons v USING (waterfall, stage, exit_stage, reason)
WHERE p.units IS DISTINCT FROM v.units;
-- the rows of a stage add up to waterfall_leakage
SELECT count(*) AS stages_differing
FROM attribution.waterfall_leakage l
LEFT JOIN (SELECT waterfall, stage, sum(units) FILTER (WHERE exit_stage = 'disqualified') AS disqualified,
				  sum(units) FILTER (WHERE exit_stage = 'lost') AS lost
		   FROM attribution.waterfall_exit_reasons GROUP BY 1, 2) x USING (waterfall, stage)
WHERE (l.disqualified, l.lost) IS DISTINCT FROM (coalesce(x.disqualified, 0), coalesce(x.lost, 0));
SELECT stage, exit_stage, reason, units, share_of_exits, unit
FROM attribution.waterfall_exit_reasons WHERE waterfall = 'deals' ORDER BY stage_rank, units DESC, reason;

-- ---------------------------------------------------------------- the data-driven models side by side
-- heuristics and Shapley in plain SQL over the closed opportunities' paths
CREATE TEMP TABLE plain_models AS
WITH won AS (
	SELECT p.opportunity_id, p.path, p.amount FROM attribution.opportunity_paths p WHERE p.status = 'won'
),
touches AS (
	SELECT w.opportunity_id, w.amount, u.channel, u.n, cardinality(w.path) AS len
	FROM won w, unnest(w.path) WITH ORDINALITY u(channel, n)
)
SELECT 'first_touch' AS model, channel, count(*)::numeric AS conversions, sum(amount) AS revenue FROM touches WHERE n = 1 GROUP BY 2
UNION ALL
SELECT 'last_touch', channel, count(*), sum(amount) FROM touches WHERE n = len GROUP BY 2
UNION ALL
SELECT 'linear', channel, sum(1.0 / len), sum(amount / len) FROM touches GROUP BY 2
UNION ALL
SELECT 'shapley', d.channel, sum(1.0 / d.k), sum(d.amount / d.k)
FROM (SELECT DISTINCT t.opportunity_id, t.channel, t.amount,
			 (SELECT count(DISTINCT c) FROM unnest(w.path) c) AS k
	  FROM touches t JOIN won w USING (opportunity_id)) d
GROUP BY 2;
SELECT (SELECT count(*) FROM plain_models) AS rows, count(*) AS rows_differing
FROM plain_models p
FULL JOIN (SELECT * FROM attribution.data_driven_models WHERE model IN ('first_touch', 'last_touch', 'linear', 'shapley')
		   AND conversions <> 0) v USING (model, channel)
WHERE round(p.conversions, 4) IS DISTINCT FROM v.conversions OR abs(p.revenue - v.revenue) >= 0.01 OR v.revenue IS NULL;
-- Markov of every order and the counterfactual model are those of the functions on the same summary
WITH s AS (
	SELECT attribution.path_agg(p.path, p.is_won, CASE WHEN p.is_won THEN p.amount ELSE 0 END::float8) AS paths
	FROM attribution.opportunity_paths p WHERE p.status <> 'open'
),
f AS (
	SELECT 'markov' AS model, o AS markov_order, m.channel, m.removal_effect, m.conversions
	FROM s, generate_series(1, 4) o, attribution.markov(s.paths, o) m
	UNION ALL
	SELECT 'counterfactual', NULL, c.channel, NULL, c.conversions FROM s, attribution.counterfactual(s.paths) c
)
SELECT (SELECT count(*) FROM f) AS rows, count(*) AS rows_differing
FROM f FULL JOIN (SELECT * FROM attribution.data_driven_models WHERE model IN ('markov', 'counterfactual')) v
	ON v.model = f.model AND v.markov_order IS NOT DISTINCT FROM f.markov_order AND v.channel = f.channel
WHERE round(f.conversions::numeric, 4) IS DISTINCT FROM v.conversions
   OR round(f.removal_effect::numeric, 4) IS DISTINCT FROM v.removal_effect;
-- first-order Markov is the one of data_driven_attribution; every model adds up to the won deals and,
-- to the cent, to the won amount
SELECT count(*) AS channels_differing
FROM attribution.data_driven_attribution a
JOIN attribution.data_driven_models m ON m.model = 'markov' AND m.markov_order = 1 AND m.channel = a.channel
WHERE round(m.conversions, 2) <> a.markov_conversions OR m.removal_effect <> a.markov_removal_effect;
SELECT model, markov_order, round(sum(conversions), 2) AS conversions,
	   sum(revenue) = (SELECT sum(amount) FROM attribution.opportunity_paths WHERE status = 'won') AS revenue_exact
FROM attribution.data_driven_models GROUP BY 1, 2 ORDER BY 1, 2;

-- ---------------------------------------------------------------- lead quality per channel
-- the counts are those of lead_quality added up over the campaigns; the rates are recomputed
SELECT count(*) AS channels, count(*) FILTER (WHERE (c.leads, c.qualified, c.accepted, c.disqualified, c.recycled)
											 IS DISTINCT FROM (q.leads, q.qualified, q.accepted, q.disqualified, q.recycled)
										  OR c.acceptance_rate IS DISTINCT FROM round(q.accepted::numeric / nullif(q.qualified, 0), 4))
	   AS channels_differing
FROM attribution.lead_quality_by_channel c
FULL JOIN (SELECT waterfall, source_channel, sum(leads) AS leads, sum(qualified) AS qualified, sum(accepted) AS accepted,
				  sum(disqualified) AS disqualified, sum(recycled) AS recycled
		   FROM attribution.lead_quality GROUP BY 1, 2) q
	ON q.waterfall = c.waterfall AND q.source_channel IS NOT DISTINCT FROM c.source_channel;
-- the reasons: rejections are given on recycles and disqualification, lost reasons on lost; in plain SQL
WITH reasons AS (
	SELECT ls.channel, e.stage = 'lost' AS lost, e.reason, count(*) AS times
	FROM attribution.stage_events e
	JOIN attribution.contacts c ON c.contact_id = e.unit_id
	LEFT JOIN LATERAL (SELECT t.channel FROM attribution.touchpoints t WHERE t.contact_id = c.contact_id
					   AND t.touched_at <= c.created_at ORDER BY t.touched_at DESC, t.touchpoint_id DESC LIMIT 1) ls ON true
	WHERE e.waterfall = 'default' AND e.reason IS NOT NULL
	GROUP BY 1, 2, 3
),
top AS (
	SELECT channel, lost, string_agg(format('%s (%s)', reason, times), ', ' ORDER BY times DESC, reason) AS reasons
	FROM (SELECT r.*, row_number() OVER (PARTITION BY channel, lost ORDER BY times DESC, reason) AS n FROM reasons r) r
	WHERE n <= 3 GROUP BY 1, 2
)
SELECT count(*) AS channels_differing
FROM attribution.lead_quality_by_channel q
LEFT JOIN top r ON r.channel IS NOT DISTINCT FROM q.source_channel AND NOT r.lost
LEFT JOIN top l ON l.channel IS NOT DISTINCT FROM q.source_channel AND l.lost
WHERE q.waterfall = 'default'
  AND (q.top_rejection_reasons IS DISTINCT FROM r.reasons OR q.top_lost_reasons IS DISTINCT FROM l.reasons);
SELECT source_channel, leads, acceptance_rate, top_rejection_reasons, top_lost_reasons
FROM attribution.lead_quality_by_channel ORDER BY leads DESC, source_channel LIMIT 3;

-- ---------------------------------------------------------------- pipeline by the month the deal was created
-- against the credit() window function: every row within a cent of credit x amount added up exactly,
-- and every model's rows add up to the whole pipeline and the won amount
CREATE TEMP TABLE plain_created AS
WITH credits AS (
	SELECT m.name AS model, j.opportunity_id, t.channel, t.campaign,
		   attribution.credit(m.model, t.touched_at, converted_at => j.closed_at, half_life => m.half_life,
				lead_created_at => j.lead_created_at, opportunity_created_at => j.created_at,
				closed_at => j.closed_at, is_direct => t.is_direct, weights => m.weights, lookback => m.lookback,
				touch_id => t.touchpoint_id)
			   OVER (PARTITION BY m.name, t.opportunity_id ORDER BY t.touched_at, t.touchpoint_id) AS credit
	FROM attribution.models m CROSS JOIN attribution.opportunity_journeys j
	JOIN attribution.opportunity_touchpoints t ON t.opportunity_id = j.opportunity_id
	WHERE m.enabled
),
credited AS (
	SELECT c.model, date_trunc('month', j.created_at)::date AS created_month, c.channel, c.campaign, true AS attributed,
		   c.credit::numeric * j.amount AS pipeline
	FROM credits c JOIN attribution.opportunities j USING (opportunity_id)
	WHERE c.credit > 0
	UNION ALL
	SELECT m.name, date_trunc('month', j.created_at)::date, NULL, NULL, false, j.amount
	FROM attribution.models m CROSS JOIN attribution.opportunities j
	WHERE m.enabled AND NOT EXISTS (SELECT FROM credits c WHERE c.model = m.name AND c.opportunity_id = j.opportunity_id
									AND c.credit > 0)
)
SELECT model, created_month, channel, campaign, attributed, sum(pipeline) AS pipeline
FROM credited GROUP BY 1, 2, 3, 4, 5;
SELECT count(*) FILTER (WHERE p.pipeline >= 0.01) AS rows,
	   count(*) FILTER (WHERE abs(coalesce(v.pipeline, 0) - coalesce(p.pipeline, 0)) >= 0.01) AS rows_differing
FROM plain_created p
FULL JOIN attribution.campaign_pipeline_by_created_month v ON v.model = p.model AND v.created_month = p.created_month
	AND v.channel IS NOT DISTINCT FROM p.channel AND v.campaign IS NOT DISTINCT FROM p.campaign AND v.attributed = p.attributed;
SELECT count(*) AS models,
	   bool_and(pipeline = (SELECT sum(amount) FROM attribution.opportunities)) AS pipeline_exact,
	   bool_and(revenue = (SELECT sum(amount) FROM attribution.opportunities WHERE is_won)) AS revenue_exact
FROM (SELECT model, sum(pipeline) AS pipeline, sum(revenue) AS revenue
	  FROM attribution.campaign_pipeline_by_created_month GROUP BY model) m;

-- ---------------------------------------------------------------- numbers a person can read
SELECT pg_typeof(credit) AS credit, pg_typeof(pipeline_credit) AS pipeline_credit
FROM attribution.opportunity_touch_credits LIMIT 1;
SELECT pg_typeof(amount_cents) AS amount_cents, pg_typeof(credit) AS credit FROM attribution.credit_facts LIMIT 1;
SELECT round(sum(amount_cents) / 100.0, 2) = (SELECT sum(amount) FROM attribution.opportunities) AS cents_exact
FROM (SELECT DISTINCT opportunity_id, amount_cents FROM attribution.credit_facts) f;
-- a credit of six decimals, adding up to exactly 1 for every attributed opportunity
SELECT count(*) FILTER (WHERE total <> 1) AS opportunities_not_1, max(scale) AS decimals
FROM (SELECT sum(credit) AS total, max(scale(credit)) AS scale FROM attribution.opportunity_credits
	  WHERE credit IS NOT NULL GROUP BY model, opportunity_id) c;

-- ---------------------------------------------------------------- sources that disagree
SELECT kind, "check", status FROM attribution.check_sources();
SELECT count(*) FROM attribution.check_sources(0);
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.source_name('touchpoints');
SELECT attribution.source_name('leads');
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.source_name(NULL);
SELECT attribution.known_source_kind('stage_events');
SELECT attribution.known_source_kind('Touchpoints');
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.known_source_kind(NULL);
-- touchpoints of your own with the contacts still the built-in table: the contact ids are another system's
CREATE SCHEMA crm;
CREATE TABLE crm.touches AS
SELECT touchpoint_id, 'P' || substr(contact_id, 2) AS contact_id, touched_at, channel, campaign, is_direct
FROM attribution.touchpoints;
SELECT attribution.use_source('touchpoints', 'crm.touches');
SELECT kind, "check", status, detail FROM attribution.check_sources() WHERE status <> 'ok' ORDER BY kind, "check";
-- contacts of your own, still empty
CREATE TABLE crm.people (contact_id text, account_id text, created_at timestamptz);
SELECT attribution.use_source('contacts', 'crm.people');
SELECT kind, "check", status, detail FROM attribution.check_sources(50) WHERE status <> 'ok' ORDER BY kind, "check";
-- a source that cannot be read is an error row, not an error
DROP TABLE crm.people;
SELECT kind, "check", status, detail FROM attribution.check_sources() WHERE status = 'error';
SELECT attribution.use_source('contacts', NULL);
SELECT attribution.use_source('touchpoints', NULL);
SELECT count(*) FILTER (WHERE status IN ('warning', 'error')) AS problems FROM attribution.check_sources();

-- ---------------------------------------------------------------- comments travel with copies
CREATE TABLE crm.velocity AS SELECT * FROM attribution.waterfall_velocity;
SELECT attribution.copy_comments('attribution.waterfall_velocity', 'crm.velocity');
SELECT obj_description('crm.velocity'::regclass, 'pg_class') = obj_description('attribution.waterfall_velocity'::regclass, 'pg_class')
	AS table_comment, col_description('crm.velocity'::regclass, 2) AS stage_comment;
SELECT attribution.copy_comments('attribution.waterfall_velocity', 'crm.velocity', 'Velocity, copied on Monday');
SELECT obj_description('crm.velocity'::regclass, 'pg_class');
SELECT attribution.copy_comments(NULL, 'crm.velocity');
SELECT attribution.copy_comments('attribution.waterfall_velocity', 'attribution.models_pkey');
\echo :LAST_ERROR_SQLSTATE
-- materialize() keeps the documentation of the view and of every column
SELECT attribution.materialize('waterfall_velocity', 'crm.velocity_copy');
SELECT obj_description('crm.velocity_copy'::regclass, 'pg_class');
SELECT count(*) AS columns, count(col_description(a.attrelid, a.attnum)) AS described,
	   count(*) FILTER (WHERE col_description(a.attrelid, a.attnum)
						= col_description('attribution.waterfall_velocity'::regclass, a.attnum)) AS same_as_the_view
FROM pg_attribute a WHERE a.attrelid = 'crm.velocity_copy'::regclass AND a.attnum > 0;
DELETE FROM attribution.materialized_views;
SET client_min_messages = warning;
DROP SCHEMA crm CASCADE;
RESET client_min_messages;

-- ---------------------------------------------------------------- publish(): the reports without the raw tables
CREATE ROLE regress_attribution_bi_reader LOGIN;
CREATE ROLE regress_attribution_analyst LOGIN;
SELECT view_name, published_as FROM attribution.publish('regress_bi', 'regress_attribution_bi_reader') ORDER BY 1;
-- owner-rights views, owned by whoever published them, with the view's and the columns' comments
SELECT count(*) AS views, bool_and(c.reloptions @> '{security_invoker=false}') AS owner_rights,
	   bool_and(pg_get_userbyid(c.relowner) = current_user) AS owned_by_publisher,
	   bool_and(obj_description(c.oid, 'pg_class') = obj_description(('attribution.' || c.relname)::regclass, 'pg_class'))
		   AS comments_copied
FROM pg_class c WHERE c.relnamespace = 'regress_bi'::regnamespace AND c.relkind = 'v';
SELECT count(*) AS columns, count(col_description(a.attrelid, a.attnum)) AS described
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'regress_bi'::regnamespace AND c.relkind = 'v' AND a.attnum > 0;
-- scalar columns only: the stage history is left out, a path is text; types keep their modifiers
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'regress_bi'::regnamespace AND a.attnum > 0
  AND (c.relname IN ('stage_histories', 'opportunity_paths') OR (c.relname = 'channel_performance' AND a.attname = 'pipeline'))
ORDER BY c.relname, a.attnum;
SELECT col_description('regress_bi.opportunity_paths'::regclass, 5);
SELECT count(*) AS non_scalar_columns
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
WHERE c.relnamespace = 'regress_bi'::regnamespace AND c.relkind = 'v' AND a.attnum > 0
  AND (t.typcategory IN ('A', 'C', 'U') OR t.typname = 'interval');
-- the BI role reads the published reports, the same rows as the views, and nothing else
SET ROLE regress_attribution_bi_reader;
SELECT model, channel, attributed, pipeline FROM regress_bi.channel_performance WHERE model = 'w_shaped'
ORDER BY attributed DESC, pipeline DESC LIMIT 3;
SELECT count(*) FROM regress_bi.waterfall_velocity;
SELECT count(*) FROM attribution.channel_performance;
SELECT count(*) FROM attribution.touchpoints;
SELECT count(*) FROM attribution.stage_events;
RESET ROLE;
CREATE FUNCTION pg_temp.digest(view regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	result text;
BEGIN
	EXECUTE format('SELECT md5(string_agg(r::text, ''|'' ORDER BY r::text)) FROM %s r', view) INTO result;
	RETURN result;
END
$$;
SELECT count(*) AS views, count(*) FILTER (WHERE pg_temp.digest(('regress_bi.' || v.view_name)::regclass)
											 = pg_temp.digest(('attribution.' || v.view_name)::regclass)) AS same_rows
FROM attribution.reporting_views v WHERE v.view_name NOT IN ('stage_histories', 'opportunity_paths');
-- an analyst with only the invoker-rights views still needs the tables: row-level security stays theirs
GRANT USAGE ON SCHEMA attribution TO regress_attribution_analyst;
GRANT SELECT ON attribution.channel_performance TO regress_attribution_analyst;
SET ROLE regress_attribution_analyst;
SELECT count(*) FROM attribution.channel_performance;
SELECT count(*) FROM regress_bi.channel_performance;
RESET ROLE;
-- publishing again replaces what publish() made and keeps its grants, also to another role
SELECT count(*) FROM attribution.publish('regress_bi', 'regress_attribution_analyst', '{channel_performance,models_enabled}');
SELECT count(*) FROM attribution.publish('regress_bi', 'regress_attribution_bi_reader', '{channel_performance}');
SELECT has_table_privilege('regress_attribution_analyst', 'regress_bi.channel_performance', 'SELECT') AS analyst,
	   has_table_privilege('regress_attribution_bi_reader', 'regress_bi.channel_performance', 'SELECT') AS bi_reader,
	   has_function_privilege('regress_attribution_analyst', 'regress_bi.channel_performance_rows()', 'EXECUTE') AS analyst_rows,
	   has_function_privilege('public', 'regress_bi.channel_performance_rows()', 'EXECUTE') AS public_rows;
SET ROLE regress_attribution_analyst;
SELECT count(*) > 0 AS reads FROM regress_bi.channel_performance;
RESET ROLE;
-- bad arguments, and relations publish() did not make
SELECT * FROM attribution.publish(NULL, 'regress_attribution_bi_reader');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.publish('attribution', 'regress_attribution_bi_reader');
SELECT * FROM attribution.publish('pg_catalog', 'regress_attribution_bi_reader');
SELECT * FROM attribution.publish('regress_bi', 'regress_no_such_role');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.publish('regress_bi', 'regress_attribution_bi_reader', '{channel_performance,touchpoints,NULL}');
\echo :LAST_ERROR_SQLSTATE
CREATE SCHEMA regress_bi_own;
CREATE TABLE regress_bi_own.lead_sources (x int);
SELECT * FROM attribution.publish('regress_bi_own', NULL, '{lead_sources}');
\echo :LAST_ERROR_SQLSTATE
DROP TABLE regress_bi_own.lead_sources;
CREATE FUNCTION regress_bi_own.lead_sources_rows() RETURNS int LANGUAGE sql AS 'SELECT 1';
SELECT * FROM attribution.publish('regress_bi_own', NULL, '{lead_sources}');
\echo :LAST_ERROR_SQLSTATE
SET client_min_messages = warning;
DROP SCHEMA regress_bi_own CASCADE;
DROP SCHEMA regress_bi CASCADE;
RESET client_min_messages;
REVOKE ALL ON attribution.channel_performance FROM regress_attribution_analyst;
REVOKE ALL ON SCHEMA attribution FROM regress_attribution_analyst;
DROP ROLE regress_attribution_bi_reader;
DROP ROLE regress_attribution_analyst;

TRUNCATE attribution.contacts, attribution.opportunities, attribution.campaign_costs, attribution.stage_events,
	attribution.stage_targets CASCADE;
