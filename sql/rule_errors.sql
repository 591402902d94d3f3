-- Bad input to the rule-based models: every error has a SQLSTATE, a message,
-- a detail and a hint.
SET timezone = 'UTC';
\set j '''[("2024-01-01 00:00:00+00", 1, "a"), ("2024-01-02 00:00:00+00", 2, "b")]'''

SELECT * FROM attribution.credits(:j, 'nine_shaped');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'time_decay', half_life => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'time_decay', half_life => '0 days');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'time_decay', half_life => '-1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'linear', lookback => '0 days');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'custom');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'custom', weights => '{0.5,0.5}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'custom', weights => '{0.5,0.5,0,0,0.5,-0.5}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'custom', weights => '{NaN,0,0,0,0,1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'custom', weights => '{Infinity,0,0,0,0,1}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'custom', weights => '{0.2,0.2,0.2,0.2,0.2,0.2}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'custom', weights => '{0.5,NULL,0,0,0.5,0}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'custom', weights => '{{0.5,0.5,0,0,0,0}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'linear', weights => '{1,0,0,0,0,0}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'linear', converted_at => 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM attribution.credits(:j, 'w_shaped', lead_created_at => '-infinity');
\echo :LAST_ERROR_SQLSTATE
-- weights that sum to 1 within 1e-9 are accepted
SELECT count(*) FROM attribution.credits(:j, 'custom', weights => '{0.3333333333,0,0,0,0.3333333333,0.3333333334}');

-- journey_agg: NULL times or channels, infinite times
SELECT attribution.journey_agg(t, c) FROM (VALUES (timestamptz '2024-01-01', 'a'), (NULL, 'b')) v(t, c);
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.journey_agg(t, c) FROM (VALUES (timestamptz '2024-01-01', NULL::text)) v(t, c);
\echo :LAST_ERROR_SQLSTATE
SELECT attribution.journey_agg(t, c) FROM (VALUES (timestamptz 'infinity', 'a')) v(t, c);
\echo :LAST_ERROR_SQLSTATE
-- a row of NULLs (an outer join's missing touch) is skipped; no touch at all gives NULL
SELECT attribution.journey_agg(t, c) FROM (VALUES (timestamptz '2024-01-01', 'a'), (NULL, NULL)) v(t, c);
SELECT attribution.journey_agg(t, c) IS NULL FROM (VALUES (NULL::timestamptz, NULL::text)) v(t, c);

-- a journey longer than the cap of 100000 touches
SELECT attribution.touch_count(attribution.journey_agg(timestamptz '2024-01-01' + i * interval '1 second', 'a'))
FROM generate_series(1, 100001) i;
\echo :LAST_ERROR_SQLSTATE
