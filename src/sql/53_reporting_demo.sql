-- Reporting layer, part 4: a deterministic demo data generator.
--
-- generate_demo_data(opportunities, seed) fills the canonical tables with a
-- realistic B2B data set: accounts of varying quality, contacts who touch
-- marketing over weeks, campaigns with daily costs, opportunities with
-- several contacts (some with two roles), wins and losses, and the demand
-- waterfall of every contact with recycling, disqualification and the
-- reasons sales gave, the waterfall 'deals' of every opportunity through the
-- sales stages (its unit is the opportunity, so won deals count as deals),
-- plus monthly stage targets.  Every random number is a
-- hash of (seed, entity, attribute), so the same arguments give the same
-- rows whatever the plan, and a larger size keeps the smaller one's shape.

CREATE FUNCTION @extschema@.demo_uniform(seed bigint, entity bigint, attribute integer)
RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	-- inlinable, so everything is schema-qualified (the caller's search_path applies)
	SELECT CAST(((pg_catalog.hashint8extended((entity OPERATOR(pg_catalog.*) 1000) OPERATOR(pg_catalog.+) attribute, seed)
				  OPERATOR(pg_catalog.>>) 11) OPERATOR(pg_catalog.&) 9007199254740991) AS pg_catalog.float8)
		   OPERATOR(pg_catalog./) 9007199254740992.0
$$;
COMMENT ON FUNCTION @extschema@.demo_uniform(bigint, bigint, integer) IS
	'A number in [0, 1) that depends only on (seed, entity, attribute): the random source of generate_demo_data';

CREATE FUNCTION @extschema@.generate_demo_data(opportunities integer DEFAULT 3000, seed bigint DEFAULT 42)
RETURNS TABLE(table_name text, rows_loaded bigint)
LANGUAGE plpgsql
-- the generated rows are many more than the planner can guess, and
-- compiling the expressions would take longer than running them
SET jit = off
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n_opp_accounts integer;
	scale float8;
	busy text;
	citus_mode text;
	t0 constant timestamptz := '2024-01-01 00:00:00+00';
	as_of constant timestamptz := '2025-12-31 00:00:00+00';
BEGIN
	IF opportunities IS NULL OR seed IS NULL THEN
		RAISE EXCEPTION 'arguments of generate_demo_data must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			DETAIL = 'The size and the seed decide every row of the data set.',
			HINT = 'Call generate_demo_data(3000, 42), or leave out the arguments for these defaults.';
	END IF;
	IF opportunities < 1 OR opportunities > 1000000 THEN
		RAISE EXCEPTION 'number of demo opportunities must be between 1 and 1000000'
			USING ERRCODE = 'invalid_parameter_value',
			DETAIL = format('%s opportunities were asked for.', opportunities),
			HINT = 'A few thousand opportunities make a demo that answers in about a second.';
	END IF;
	-- On Citus, opportunities and the configuration tables are reference
	-- tables that the distributed tables point at: a transaction that read
	-- or wrote distributed tables in parallel can no longer modify them, so
	-- the whole load runs over one connection per node.
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		citus_mode := current_setting('citus.multi_shard_modify_mode');
		PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
	END IF;
	SELECT string_agg(t, ', ') INTO busy FROM (
		SELECT 'contacts' AS t WHERE EXISTS (SELECT 1 FROM @extschema@.contacts)
		UNION ALL SELECT 'opportunities' WHERE EXISTS (SELECT 1 FROM @extschema@.opportunities)
		UNION ALL SELECT 'touchpoints' WHERE EXISTS (SELECT 1 FROM @extschema@.touchpoints)
		UNION ALL SELECT 'campaign_costs' WHERE EXISTS (SELECT 1 FROM @extschema@.campaign_costs)
		UNION ALL SELECT 'stage_events' WHERE EXISTS (SELECT 1 FROM @extschema@.stage_events)
		UNION ALL SELECT 'stage_targets' WHERE EXISTS (SELECT 1 FROM @extschema@.stage_targets)) s;
	IF EXISTS (SELECT 1 FROM @extschema@.waterfalls w WHERE w.name = 'deals'
			   AND (w.ladder, w.exits, w.unit) IS DISTINCT FROM ('{discovery,proposal,negotiation,won}'::text[], '{lost}'::text[], 'opportunity')) THEN
		RAISE EXCEPTION 'the demo data needs the waterfall "deals" it defines'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = 'A waterfall named deals exists with another ladder, exits or unit.',
			HINT = 'Run it in a fresh database, or rename your waterfall deals.';
	END IF;
	IF busy IS NOT NULL THEN
		RAISE EXCEPTION 'the demo data needs empty tables'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = format('These tables already hold rows: %s.', busy),
			HINT = 'Run it in a fresh database, or empty the tables first (TRUNCATE attribution.contacts, attribution.opportunities, attribution.campaign_costs, attribution.stage_events, attribution.stage_targets CASCADE).';
	END IF;

	n_opp_accounts := ceil(opportunities * 0.8);
	scale := opportunities / 3000.0;

	-- accounts: the first n_opp_accounts get the opportunities, as many
	-- again only produce leads; quality drives conversion, wins and channels
	CREATE TEMP TABLE demo_accounts ON COMMIT DROP AS
	SELECT a AS account_key, 'A' || lpad(a::text, 7, '0') AS account_id,
		   @extschema@.demo_uniform(seed, a, 101) AS quality,
		   t0 + @extschema@.demo_uniform(seed, a, 102) * interval '700 days' AS engaged_at,
		   1 + floor(@extschema@.demo_uniform(seed, a, 103) * 5)::integer AS contact_count
	FROM generate_series(1, 2 * n_opp_accounts) a;
	ANALYZE demo_accounts;

	-- contacts: each touches marketing 2 to 10 times, a few days apart, and
	-- becomes a lead at one of its first three touches
	CREATE TEMP TABLE demo_contacts ON COMMIT DROP AS
	SELECT c.*, c.first_at + (c.lead_touch - 1) * c.gap
			   + @extschema@.demo_uniform(seed, c.contact_key * 16 + c.lead_touch, 301) * 0.8 * c.gap AS created_at
	FROM (
		SELECT a.account_key, a.account_id, a.quality, a.account_key * 8 + i AS contact_key, i AS contact_number,
			   'C' || lpad((a.account_key * 8 + i)::text, 8, '0') AS contact_id,
			   a.engaged_at + (i - 1) * interval '6 days'
				   + @extschema@.demo_uniform(seed, a.account_key * 8 + i, 201) * interval '20 days' AS first_at,
			   n.touch_count,
			   interval '1 day' * (3 + 12 * @extschema@.demo_uniform(seed, a.account_key * 8 + i, 202)) AS gap,
			   1 + floor(@extschema@.demo_uniform(seed, a.account_key * 8 + i, 203) * least(3, n.touch_count))::integer
				   AS lead_touch
		FROM demo_accounts a, generate_series(1, a.contact_count) i,
			 LATERAL (SELECT 2 + floor(@extschema@.demo_uniform(seed, a.account_key * 8 + i, 204) * 9)::integer
					  AS touch_count) n
	) c;
	ANALYZE demo_contacts;

	INSERT INTO @extschema@.contacts (contact_id, account_id, created_at)
	SELECT contact_id, account_id, created_at FROM demo_contacts WHERE created_at <= as_of;

	-- touchpoints: first touches come from acquisition channels, middle ones
	-- from nurture, late ones from sales; good accounts attend more webinars
	-- and events
	CREATE TEMP TABLE demo_touches ON COMMIT DROP AS
	SELECT t.*, CASE WHEN t.channel IN ('organic_search', 'referral', 'direct') THEN NULL
					 ELSE t.channel_prefix || '_' || to_char(t.touched_at AT TIME ZONE 'UTC', 'YYYY"q"Q') END AS campaign
	FROM (
		SELECT s.*, CASE s.channel
				WHEN 'paid_search' THEN CASE WHEN s.u_campaign < 0.4 THEN 'search_brand' ELSE 'search_generic' END
				WHEN 'paid_social' THEN CASE WHEN s.u_campaign < 0.5 THEN 'social_abm' ELSE 'social_retargeting' END
				WHEN 'display' THEN 'display_programmatic'
				WHEN 'email' THEN CASE WHEN s.u_campaign < 0.7 THEN 'email_nurture' ELSE 'email_newsletter' END
				WHEN 'webinar' THEN 'webinar_series'
				WHEN 'events' THEN 'events_tradeshow'
				WHEN 'content' THEN 'content_syndication'
				WHEN 'sales_outreach' THEN 'sdr_outbound'
				ELSE NULL END AS channel_prefix
		FROM (
			SELECT r.contact_id, r.touchpoint_id, r.touched_at, r.u_campaign,
				   CASE
					   WHEN r.u_boost < 0.35 * r.quality AND r.k > 1
						   THEN CASE WHEN r.u_channel < 0.6 THEN 'webinar' ELSE 'events' END
					   WHEN r.k = 1 THEN CASE
						   WHEN r.u_channel < 0.25 THEN 'paid_search' WHEN r.u_channel < 0.45 THEN 'organic_search'
						   WHEN r.u_channel < 0.60 THEN 'paid_social' WHEN r.u_channel < 0.72 THEN 'display'
						   WHEN r.u_channel < 0.84 THEN 'content' WHEN r.u_channel < 0.92 THEN 'referral'
						   WHEN r.u_channel < 0.96 THEN 'events' ELSE 'webinar' END
					   WHEN r.phase < 0.7 THEN CASE
						   WHEN r.u_channel < 0.35 THEN 'email' WHEN r.u_channel < 0.48 THEN 'webinar'
						   WHEN r.u_channel < 0.60 THEN 'content' WHEN r.u_channel < 0.70 THEN 'paid_social'
						   WHEN r.u_channel < 0.80 THEN 'paid_search' WHEN r.u_channel < 0.86 THEN 'events'
						   WHEN r.u_channel < 0.91 THEN 'display' WHEN r.u_channel < 0.96 THEN 'organic_search'
						   ELSE 'direct' END
					   ELSE CASE
						   WHEN r.u_channel < 0.30 THEN 'sales_outreach' WHEN r.u_channel < 0.50 THEN 'email'
						   WHEN r.u_channel < 0.70 THEN 'direct' WHEN r.u_channel < 0.80 THEN 'webinar'
						   WHEN r.u_channel < 0.88 THEN 'events' ELSE 'paid_search' END
				   END AS channel
			FROM (
				SELECT c.contact_id, c.quality, k, c.contact_key * 16 + k AS touchpoint_id,
					   (k - 1)::float8 / (c.touch_count - 1) AS phase,
					   c.first_at + (k - 1) * c.gap
						   + @extschema@.demo_uniform(seed, c.contact_key * 16 + k, 301) * 0.8 * c.gap AS touched_at,
					   @extschema@.demo_uniform(seed, c.contact_key * 16 + k, 302) AS u_channel,
					   @extschema@.demo_uniform(seed, c.contact_key * 16 + k, 303) AS u_boost,
					   @extschema@.demo_uniform(seed, c.contact_key * 16 + k, 304) AS u_campaign
				FROM demo_contacts c, generate_series(1, c.touch_count) k
				WHERE c.created_at <= as_of
			) r
		) s
	) t
	WHERE t.touched_at <= as_of;
	CREATE INDEX ON demo_touches (contact_id, touched_at);
	ANALYZE demo_touches;

	INSERT INTO @extschema@.touchpoints (touchpoint_id, contact_id, touched_at, channel, campaign, is_direct)
	SELECT touchpoint_id, contact_id, touched_at, channel, campaign, channel = 'direct'
	FROM demo_touches;

	-- daily spend of every campaign of every quarter
	INSERT INTO @extschema@.campaign_costs (campaign, channel, spent_on, cost)
	SELECT p.prefix || '_' || to_char(d, 'YYYY"q"Q'), p.channel, d::date,
		   round((3.5 * p.daily * scale * (0.6 + 0.8 * @extschema@.demo_uniform(seed, p.n * 10000 + (d::date - date '2024-01-01'), 701)))::numeric, 2)
	FROM (VALUES (1, 'search_brand', 'paid_search', 260.0), (2, 'search_generic', 'paid_search', 420.0),
				 (3, 'social_abm', 'paid_social', 330.0), (4, 'social_retargeting', 'paid_social', 180.0),
				 (5, 'display_programmatic', 'display', 240.0), (6, 'email_nurture', 'email', 45.0),
				 (7, 'email_newsletter', 'email', 25.0), (8, 'webinar_series', 'webinar', 160.0),
				 (9, 'events_tradeshow', 'events', 520.0), (10, 'content_syndication', 'content', 210.0),
				 (11, 'sdr_outbound', 'sales_outreach', 380.0)) p(n, prefix, channel, daily),
		 generate_series(timestamp '2024-01-01', timestamp '2025-12-31', interval '1 day') d;

	-- opportunities: one per account, a second one for the first accounts
	CREATE TEMP TABLE demo_opportunities ON COMMIT DROP AS
	SELECT o.*,
		   CASE WHEN o.u_closes < 0.85 AND o.created_at + o.cycle <= as_of THEN o.created_at + o.cycle END AS closed_at
	FROM (
		SELECT i AS opportunity_key, 'O' || lpad(i::text, 7, '0') AS opportunity_id, a.account_key, a.account_id,
			   a.quality,
			   least(a.engaged_at + interval '1 day' * (20 + 60 * @extschema@.demo_uniform(seed, i, 401))
						 + ((i - 1) / n_opp_accounts) * interval '1 day' * (90 + 120 * @extschema@.demo_uniform(seed, i, 402)),
					 as_of - interval '1 day' * (1 + 20 * @extschema@.demo_uniform(seed, i, 403))) AS created_at,
			   interval '1 day' * (15 + 150 * @extschema@.demo_uniform(seed, i, 404)) AS cycle,
			   @extschema@.demo_uniform(seed, i, 405) AS u_closes,
			   @extschema@.demo_uniform(seed, i, 406) < 0.12 + 0.45 * a.quality AS wins,
			   round((6000 * exp(2.3 * @extschema@.demo_uniform(seed, i, 407)) * (0.7 + 0.6 * a.quality))::numeric, 2)
				   AS amount,
			   @extschema@.demo_uniform(seed, i, 408) < 0.03 AS without_contacts
		FROM generate_series(1, opportunities) i
		JOIN demo_accounts a ON a.account_key = 1 + (i - 1) % n_opp_accounts
	) o;
	ANALYZE demo_opportunities;

	INSERT INTO @extschema@.opportunities (opportunity_id, account_id, created_at, closed_at, is_won, amount)
	SELECT opportunity_id, account_id, created_at, closed_at, closed_at IS NOT NULL AND wins, amount
	FROM demo_opportunities;

	-- the contacts of each opportunity: the account's first contact always,
	-- the others often; sometimes the first contact holds two roles
	CREATE TEMP TABLE demo_opportunity_contacts ON COMMIT DROP AS
	SELECT o.opportunity_id, c.contact_id,
		   (ARRAY['decision_maker', 'champion', 'influencer', 'technical_evaluator', 'end_user'])[c.contact_number] AS role
	FROM demo_opportunities o
	JOIN demo_contacts c ON c.account_key = o.account_key AND c.created_at <= as_of
	WHERE NOT o.without_contacts
	  AND (c.contact_number = 1 OR @extschema@.demo_uniform(seed, o.opportunity_key * 8 + c.contact_number, 501) < 0.6)
	UNION ALL
	SELECT o.opportunity_id, c.contact_id, 'economic_buyer'
	FROM demo_opportunities o
	JOIN demo_contacts c ON c.account_key = o.account_key AND c.contact_number = 1 AND c.created_at <= as_of
	WHERE NOT o.without_contacts AND @extschema@.demo_uniform(seed, o.opportunity_key, 502) < 0.15;
	ANALYZE demo_opportunity_contacts;

	INSERT INTO @extschema@.opportunity_contacts (opportunity_id, contact_id, role)
	SELECT opportunity_id, contact_id, role FROM demo_opportunity_contacts;

	-- The rest reads the scratch tables only, never the tables just loaded:
	-- on Citus, joins of distributed tables with local ones and lateral
	-- subqueries over them cannot always be planned.

	-- the demand waterfall of every contact
	CREATE TEMP TABLE demo_stage_events (unit_id text, stage text, entered_at timestamptz, reason text) ON COMMIT DROP;

	-- contacts on an opportunity: inquiry, mql, sal and sql spread before
	-- the opportunity's creation, then opportunity, then won or lost
	INSERT INTO demo_stage_events
	SELECT c.contact_id, e.stage, e.entered_at, e.reason
	FROM (
		SELECT DISTINCT ON (oc.contact_id) oc.contact_id, o.created_at AS opened_at, o.closed_at,
			   o.closed_at IS NOT NULL AND o.wins AS is_won
		FROM demo_opportunity_contacts oc
		JOIN demo_opportunities o ON o.opportunity_id = oc.opportunity_id
		ORDER BY oc.contact_id, o.created_at, o.opportunity_id
	) f
	JOIN demo_contacts c ON c.contact_id = f.contact_id
	JOIN demo_contacts dc ON dc.contact_id = f.contact_id
	CROSS JOIN LATERAL (
		SELECT * FROM (VALUES
			('inquiry', c.created_at, NULL::text),
			('mql', CASE WHEN c.created_at < f.opened_at THEN c.created_at + (f.opened_at - c.created_at) * 0.25 END, NULL),
			('sal', CASE WHEN c.created_at < f.opened_at THEN c.created_at + (f.opened_at - c.created_at) * 0.5 END, NULL),
			('sql', CASE WHEN c.created_at < f.opened_at THEN c.created_at + (f.opened_at - c.created_at) * 0.75 END, NULL),
			('opportunity', greatest(f.opened_at, c.created_at + interval '1 day'), NULL),
			(CASE WHEN f.is_won THEN 'won' ELSE 'lost' END, f.closed_at,
			 CASE WHEN NOT f.is_won THEN (ARRAY['chose a competitor', 'no budget', 'no decision', 'price'])
				 [1 + floor(@extschema@.demo_uniform(seed, dc.contact_key, 601) * 4)::integer] END)
		) v(stage, entered_at, reason)
	) e
	WHERE e.entered_at IS NOT NULL
	  AND (f.closed_at IS NULL OR c.created_at < f.closed_at OR e.stage = 'inquiry')
	  AND (e.stage NOT IN ('won', 'lost') OR e.entered_at >= greatest(f.opened_at, c.created_at + interval '1 day'));

	-- the other contacts: marketing qualifies some, sales accepts,
	-- recycles or disqualifies them, with reasons that depend on the source
	INSERT INTO demo_stage_events
	SELECT s.contact_id, e.stage, e.entered_at, e.reason
	FROM (
		SELECT p.*,
			   CASE WHEN p.d_mql < p.p_mql THEN p.created_at + interval '1 day' * (1 + 9 * p.u1) END AS mql_at,
			   CASE WHEN p.d_mql >= p.p_mql AND p.d_mql < p.p_mql + 0.15
					THEN p.created_at + interval '1 day' * (2 + 10 * p.u1) END AS dq1_at
		FROM (
			SELECT c.contact_id, c.created_at, t.channel AS source,
				   0.45 + 0.3 * a.quality - CASE WHEN t.channel IN ('display', 'paid_social') THEN 0.15 ELSE 0 END AS p_mql,
				   0.55 + 0.3 * a.quality - CASE WHEN t.channel IN ('display', 'paid_social') THEN 0.25 ELSE 0 END AS p_sal,
				   0.45 + 0.25 * a.quality AS p_sql,
				   @extschema@.demo_uniform(seed, dc.contact_key, 611) AS d_mql,
				   @extschema@.demo_uniform(seed, dc.contact_key, 612) AS d_sal,
				   @extschema@.demo_uniform(seed, dc.contact_key, 613) AS d_sql,
				   @extschema@.demo_uniform(seed, dc.contact_key, 614) AS u1,
				   @extschema@.demo_uniform(seed, dc.contact_key, 615) AS u2,
				   @extschema@.demo_uniform(seed, dc.contact_key, 616) AS u3,
				   @extschema@.demo_uniform(seed, dc.contact_key, 617) AS u_reason
			FROM demo_contacts c
			JOIN demo_contacts dc ON dc.contact_id = c.contact_id
			JOIN demo_accounts a ON a.account_key = dc.account_key
			LEFT JOIN LATERAL (
				SELECT t.channel FROM demo_touches t
				WHERE t.contact_id = c.contact_id AND t.touched_at <= c.created_at
				ORDER BY t.touched_at DESC, t.touchpoint_id DESC LIMIT 1) t ON true
			WHERE c.created_at <= as_of
			  AND NOT EXISTS (SELECT 1 FROM demo_opportunity_contacts oc WHERE oc.contact_id = c.contact_id)
		) p
	) s
	CROSS JOIN LATERAL (
		SELECT * FROM (VALUES
			('inquiry', s.created_at, NULL::text),
			('disqualified', s.dq1_at,
			 (ARRAY['student or job seeker', 'spam or fake details', 'competitor'])[1 + floor(s.u_reason * 3)::integer]),
			('mql', s.mql_at, NULL),
			-- sales accepts the MQL ...
			('sal', CASE WHEN s.d_sal < s.p_sal THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2) END, NULL),
			-- ... or sends it back to nurture ...
			('inquiry', CASE WHEN s.d_sal >= s.p_sal AND s.d_sal < s.p_sal + (1 - s.p_sal) * 0.5
							 THEN s.mql_at + interval '1 day' * (7 + 20 * s.u2) END,
			 (ARRAY['not sales ready', 'no response', 'timing'])[1 + floor(s.u_reason * 3)::integer]),
			-- ... or disqualifies it
			('disqualified', CASE WHEN s.d_sal >= s.p_sal + (1 - s.p_sal) * 0.5
								  THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2) END,
			 CASE WHEN s.source IN ('display', 'paid_social') AND s.u_reason < 0.6 THEN 'wrong persona'
				  ELSE (ARRAY['wrong persona', 'no budget', 'bad contact data', 'existing customer'])
					   [1 + floor(s.u_reason * 4)::integer] END),
			-- an accepted lead becomes a sales-qualified lead, is recycled or disqualified
			('sql', CASE WHEN s.d_sal < s.p_sal AND s.d_sql < s.p_sql
						 THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2 + 3 + 15 * s.u3) END, NULL),
			('mql', CASE WHEN s.d_sal < s.p_sal AND s.d_sql >= s.p_sql AND s.d_sql < s.p_sql + 0.25
						 THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2 + 10 + 30 * s.u3) END,
			 (ARRAY['timing', 'no project this year'])[1 + floor(s.u_reason * 2)::integer]),
			('disqualified', CASE WHEN s.d_sal < s.p_sal AND s.d_sql >= s.p_sql + 0.25
								  THEN s.mql_at + interval '1 day' * (1 + 4 * s.u2 + 3 + 15 * s.u3) END,
			 (ARRAY['no budget', 'no authority', 'chose a competitor'])[1 + floor(s.u_reason * 3)::integer])
		) v(stage, entered_at, reason)
	) e
	WHERE e.entered_at IS NOT NULL;

	INSERT INTO @extschema@.stage_events (unit_id, stage, entered_at, waterfall, reason)
	SELECT DISTINCT ON (unit_id, entered_at, stage) unit_id, stage, entered_at, 'default', reason
	FROM demo_stage_events
	WHERE entered_at <= as_of
	ORDER BY unit_id, entered_at, stage;

	-- the deals: every opportunity through discovery, proposal and
	-- negotiation (won deals pass them all, lost ones stop on the way) to
	-- won or lost at its close, with the reasons of the lost ones
	INSERT INTO @extschema@.waterfalls (name, ladder, exits, unit, description)
	VALUES ('deals', '{discovery,proposal,negotiation,won}', '{lost}', 'opportunity',
			'The sales stages of every opportunity (demo data): its unit is the deal')
	ON CONFLICT (name) DO NOTHING;
	CREATE TEMP TABLE demo_deal_events ON COMMIT DROP AS
	SELECT o.opportunity_id AS unit_id, e.stage, e.entered_at, e.reason
	FROM demo_opportunities o
	CROSS JOIN LATERAL (SELECT o.closed_at IS NOT NULL AND o.wins AS won,
							   @extschema@.demo_uniform(seed, o.opportunity_key, 901) AS u) w
	CROSS JOIN LATERAL (
		SELECT * FROM (VALUES
			('discovery', o.created_at, NULL::text),
			('proposal', CASE WHEN w.won OR w.u < 0.7 THEN o.created_at + o.cycle * 0.35 END, NULL),
			('negotiation', CASE WHEN w.won OR w.u < 0.4 THEN o.created_at + o.cycle * 0.7 END, NULL),
			(CASE WHEN w.won THEN 'won' ELSE 'lost' END, o.closed_at,
			 CASE WHEN NOT w.won THEN (ARRAY['chose a competitor', 'no budget', 'no decision', 'price'])
				 [1 + floor(@extschema@.demo_uniform(seed, o.opportunity_key, 902) * 4)::integer] END)
		) v(stage, entered_at, reason)
	) e
	WHERE e.entered_at IS NOT NULL AND e.entered_at <= as_of;
	INSERT INTO @extschema@.stage_events (unit_id, stage, entered_at, waterfall, reason)
	SELECT unit_id, stage, entered_at, 'deals', reason FROM demo_deal_events;

	-- targets for 2025: last year's monthly average of first entries, plus growth
	INSERT INTO @extschema@.stage_targets (waterfall, period, stage, target, grain)
	SELECT f.waterfall, m::date, f.stage,
		   round(f.per_month * (1.05 + 0.2 * @extschema@.demo_uniform(seed, s.rank * 100 + extract(month FROM m)::integer,
																	   CASE f.waterfall WHEN 'default' THEN 801 ELSE 802 END))),
		   'month'
	FROM (
		SELECT e.waterfall, e.stage, count(*) / 12.0 AS per_month
		FROM (SELECT 'default' AS waterfall, unit_id, stage, min(entered_at) AS first_at FROM demo_stage_events
			  WHERE entered_at <= as_of GROUP BY unit_id, stage
			  UNION ALL
			  SELECT 'deals', unit_id, stage, min(entered_at) FROM demo_deal_events
			  GROUP BY unit_id, stage) e
		WHERE e.first_at >= timestamptz '2024-01-01 00:00:00+00' AND e.first_at < timestamptz '2025-01-01 00:00:00+00'
		GROUP BY e.waterfall, e.stage
	) f
	JOIN @extschema@.waterfall_stages s ON s.waterfall = f.waterfall AND s.stage = f.stage AND NOT s.is_exit,
	generate_series(timestamp '2025-01-01', timestamp '2025-12-01', interval '1 month') m;

	DROP TABLE demo_accounts, demo_contacts, demo_touches, demo_opportunities, demo_opportunity_contacts,
		demo_stage_events, demo_deal_events;
	-- the views' plans depend on the statistics of what was just loaded
	-- (on Citus, the workers analyze their shards themselves: an ANALYZE of
	-- the tables cannot run in the transaction that loaded them)
	IF citus_mode IS NULL THEN
		ANALYZE @extschema@.contacts, @extschema@.opportunities, @extschema@.opportunity_contacts,
			@extschema@.touchpoints, @extschema@.campaign_costs, @extschema@.stage_events, @extschema@.stage_targets,
			@extschema@.models, @extschema@.waterfalls, @extschema@.waterfall_stages;
	END IF;

	RETURN QUERY
	SELECT t.table_name, t.rows_loaded FROM (
		SELECT 1 AS n, 'contacts' AS table_name, count(*) AS rows_loaded FROM @extschema@.contacts
		UNION ALL SELECT 2, 'opportunities', count(*) FROM @extschema@.opportunities
		UNION ALL SELECT 3, 'opportunity_contacts', count(*) FROM @extschema@.opportunity_contacts
		UNION ALL SELECT 4, 'touchpoints', count(*) FROM @extschema@.touchpoints
		UNION ALL SELECT 5, 'campaign_costs', count(*) FROM @extschema@.campaign_costs
		UNION ALL SELECT 6, 'stage_events', count(*) FROM @extschema@.stage_events
		UNION ALL SELECT 7, 'stage_targets', count(*) FROM @extschema@.stage_targets) t
	ORDER BY t.n;

	IF citus_mode IS NOT NULL THEN
		PERFORM set_config('citus.multi_shard_modify_mode', citus_mode, true);
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.generate_demo_data(integer, bigint) IS
	'Fills the empty canonical tables with a deterministic B2B demo data set of the given number of opportunities (default 3000) from a seed';
