-- A slide for the marketing team: attributed pipeline by channel under
-- first touch, W-shaped and last touch, as an SVG grouped bar chart written
-- by SQL from channel_performance (run with psql -At -o file.svg).  The
-- pipeline of the opportunities a model leaves unattributed is not a bar:
-- a note under the chart gives it, so the bars and the note add up to the
-- total pipeline.
WITH models(model, label, short, colour, n) AS (VALUES
	('first_touch', 'First touch', 'first touch', '#9ecae1', 0),
	('w_shaped', 'W-shaped (pipeline model)', 'W-shaped', '#3182bd', 1),
	('last_touch', 'Last touch', 'last touch', '#fd8d3c', 2)),
data AS (
	SELECT p.channel, m.model, m.label, m.colour, m.n, p.pipeline
	FROM attribution.channel_performance p JOIN models m USING (model)
	WHERE p.attributed
),
unattributed AS (
	SELECT m.short, m.n, coalesce(sum(p.pipeline) FILTER (WHERE NOT p.attributed), 0) AS pipeline,
		   sum(p.pipeline) AS total
	FROM attribution.channel_performance p JOIN models m USING (model)
	GROUP BY m.short, m.n
),
channels AS (
	SELECT channel, row_number() OVER (ORDER BY sum(pipeline) FILTER (WHERE model = 'w_shaped') DESC, channel) - 1 AS i
	FROM data GROUP BY channel
),
scale AS (
	-- the y axis in millions, up to a round number
	SELECT s.step, ceil(s.top / s.step) * s.step AS top, (SELECT count(*) FROM channels) AS groups
	FROM (SELECT max(pipeline) / 1e6 AS top,
				 CASE WHEN max(pipeline) / 1e6 <= 2 THEN 0.5 WHEN max(pipeline) / 1e6 <= 5 THEN 1
					  WHEN max(pipeline) / 1e6 <= 10 THEN 2 WHEN max(pipeline) / 1e6 <= 25 THEN 5
					  ELSE 10 END AS step
		  FROM data) s
),
geometry AS (
	-- plot area: x from 90 to 940, y from 90 (top) to 430 (zero)
	SELECT 90 AS x0, 940 AS x1, 90 AS y_top, 430 AS y0, (940 - 90)::numeric / groups AS group_width, step, top
	FROM scale
)
SELECT concat_ws(E'\n',
	'<svg xmlns="http://www.w3.org/2000/svg" width="960" height="585" viewBox="0 0 960 585" font-family="Helvetica, Arial, sans-serif">',
	'<rect width="960" height="585" fill="white"/>',
	'<text x="90" y="38" font-size="22" font-weight="bold" fill="#222">Which channels create pipeline?</text>',
	'<text x="90" y="62" font-size="14" fill="#555">Attributed pipeline by channel under three attribution models (demo data)</text>',
	-- the y axis title
	'<text transform="translate(34,260) rotate(-90)" font-size="13" fill="#555" text-anchor="middle">Attributed pipeline (millions)</text>',
	-- grid lines and y labels
	(SELECT string_agg(format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ddd"/><text x="%s" y="%s" font-size="12" fill="#555" text-anchor="end">%s</text>',
							  g.x0, round(g.y0 - (g.y0 - g.y_top) * v / g.top, 1), g.x1,
							  round(g.y0 - (g.y0 - g.y_top) * v / g.top, 1), g.x0 - 8,
							  round(g.y0 - (g.y0 - g.y_top) * v / g.top + 4, 1),
							  -- whole millions without decimals, half steps with one
							  to_char(v, CASE WHEN g.step = floor(g.step) THEN 'FM990' ELSE 'FM990.0' END)),
					   '' ORDER BY v)
	 FROM geometry g, generate_series(0, g.top, g.step) v),
	-- the bars
	(SELECT string_agg(format('<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s, %s: %s</title></rect>',
							  round(g.x0 + c.i * g.group_width + g.group_width * (0.12 + 0.25 * d.n), 1),
							  round(g.y0 - (g.y0 - g.y_top) * d.pipeline / 1e6 / g.top, 1),
							  round(g.group_width * 0.25, 1),
							  round((g.y0 - g.y_top) * d.pipeline / 1e6 / g.top, 1),
							  d.colour, d.channel, d.label, to_char(d.pipeline, 'FM999G999G990')),
					   '' ORDER BY c.i, d.n)
	 FROM data d JOIN channels c USING (channel), geometry g),
	-- channel labels, turned to fit
	(SELECT string_agg(format('<text transform="translate(%s,%s) rotate(-35)" font-size="13" fill="#333" text-anchor="end">%s</text>',
							  round(g.x0 + (c.i + 0.5) * g.group_width, 1), g.y0 + 16, replace(c.channel, '_', ' ')),
					   '' ORDER BY c.i)
	 FROM channels c, geometry g),
	'<line x1="90" y1="430" x2="940" y2="430" stroke="#333"/>',
	-- legend
	(SELECT string_agg(format('<rect x="%s" y="505" width="14" height="14" fill="%s"/><text x="%s" y="517" font-size="13" fill="#333">%s</text>',
							  90 + m.n * 260, m.colour, 110 + m.n * 260, m.label), '' ORDER BY m.n)
	 FROM models m),
	-- what the bars leave out, so that they add up to the total
	(SELECT format('<text x="90" y="552" font-size="12" fill="#555">Not shown: unattributed pipeline (opportunities with no touch in the model''s window): %s million.</text>'
				   '<text x="90" y="570" font-size="12" fill="#555">With it, the bars of each model add up to the total pipeline: %s million.</text>',
				   string_agg(format('%s %s', u.short, to_char(u.pipeline / 1e6, 'FM990.0')), ', ' ORDER BY u.n),
				   to_char(max(u.total) / 1e6, 'FM990.0'))
	 FROM unattributed u),
	'</svg>');
