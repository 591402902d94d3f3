-- Reads the values test/upgrade_values.sql stored: their text forms and
-- what the functions that read them return.  The output must not
-- change when the extension is updated.
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET extra_float_digits = 3;
SELECT to_regclass('public.upgrade_paths') IS NOT NULL AS has_paths \gset

SELECT 'journey', journey_id, j::text, attribution.touch_count(j)
FROM upgrade_journeys ORDER BY 2;
SELECT 'credits', journey_id, c.* FROM upgrade_journeys,
	attribution.credits(j, 'full_path', lead_created_at => '2024-01-10', opportunity_created_at => '2024-01-20',
						closed_at => '2024-01-30') c
ORDER BY 2, 3;
SELECT 'channel_credits', journey_id, cc::text FROM upgrade_journeys ORDER BY 2;
SELECT 'each', e.* FROM upgrade_totals, attribution.each(cc) e ORDER BY 2;
SELECT 'sum', attribution.sum(cc)::text FROM upgrade_journeys;
SELECT 'stage_history', unit_id, h::text FROM upgrade_histories ORDER BY 2;
SELECT 'transitions', unit_id, t.* FROM upgrade_histories, attribution.transitions(h) t ORDER BY 2, 3;
SELECT 'stage', unit_id, attribution.current_stage(h), attribution.furthest_stage(h),
	   attribution.reached_at(h, 'sal'), attribution.time_in_stage(h, 'mql', '2030-01-01'),
	   attribution.funnel_depth(h, '30 days')
FROM upgrade_histories WHERE unit_id < 1000 ORDER BY 2;
SELECT 'waterfall_summary', cohort, ws::text FROM upgrade_waterfalls ORDER BY 2;
SELECT 'waterfall_report', r.* FROM (SELECT attribution.merge(ws) AS ws FROM upgrade_waterfalls) s,
	attribution.waterfall_report(s.ws) r;
\if :has_paths
SELECT 'path_summary', g, ps::text FROM upgrade_paths ORDER BY 2;
SELECT 'markov', m.* FROM (SELECT attribution.merge(ps) AS ps FROM upgrade_paths) s, attribution.markov(s.ps) m ORDER BY 2;
\endif
SELECT to_regclass('public.upgrade_states') IS NOT NULL AS has_states \gset
\if :has_states
SELECT 'credit_sum_state', credit_sum::text, attribution.credit_sum_final(credit_sum)::text,
	   'credit_by_channel_state', credit_by_channel::text, attribution.credit_by_channel_final(credit_by_channel)::text,
	   'path_agg_state', paths::text, attribution.path_agg_final(paths)::text
FROM upgrade_states;
\endif
