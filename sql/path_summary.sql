-- The path_summary type, path_agg and merge: text form, canonical order,
-- validation, NULL handling, parallel and merged builds.
SET search_path = attribution, public;
SET extra_float_digits = 0;

-- text form: canonical order (channels compared bytewise, a prefix first),
-- repeated paths added up, all-zero paths dropped
SELECT '[]'::path_summary AS empty;
SELECT '[[["b","a"],1,2,3],[["a"],1,1,0],[["b","a"],1,1,1],[["z"],0,0,0]]'::path_summary AS canonical;
SELECT '  [ [ [ "a" , "b" ] , 1 , 1.5 , 2 ] ]  '::path_summary AS spaces;
SELECT '[[["a\"b","c\\d"],1,2,3]]'::path_summary AS escapes;
-- the text form round-trips
SELECT s::text = s::text::path_summary::text AS round_trip
FROM (VALUES ('[[["b","a"],1,2,3],[["a"],1,1,0],[["c","b","c"],2.5,1e300,7]]'::path_summary)) v(s);

-- sums are exact: 0.1 + 0.2 is kept as the exact sum of the two doubles,
-- written as terms, and rounded once when read
SELECT path_agg(p, c, v, n) AS exact_sum
FROM (VALUES ('{a}'::text[], 1::float8, 0.1::float8, 0::float8), ('{a}', 1, 0.2, 0)) t(p, c, v, n);
SELECT value FROM paths('[[["a"],2,0.3+2.7755575615628914e-17,0]]');
SELECT '[[["a"],2,0.3+2.7755575615628914e-17,0]]'::path_summary::text AS terms_round_trip;

-- path_agg(path, converted): value 1 per conversion
CREATE TABLE journeys_small (id int, path text[], converted boolean, revenue float8);
INSERT INTO journeys_small VALUES
	(1, '{seo,email,direct}', true, 100),
	(2, '{seo,email,direct}', false, NULL),
	(3, '{email}', true, 50.5),
	(4, '{seo,email,direct}', true, 20),
	(5, NULL, true, 10),
	(6, '{direct,direct}', false, 999);
SELECT path_agg(path, converted) FROM journeys_small;
-- with value: NULL counts as 0, the value of a non-converting journey is ignored
SELECT path_agg(path, converted, revenue) FROM journeys_small;
SELECT * FROM paths((SELECT path_agg(path, converted, revenue) FROM journeys_small));
-- the pre-counted form gives the same summary as the journeys
SELECT (SELECT path_agg(path, conversions, value, non_conversions)::text
        FROM (SELECT path, sum(CASE WHEN converted THEN 1 ELSE 0 END)::float8 AS conversions,
                     sum(CASE WHEN converted THEN revenue ELSE 0 END) AS value,
                     sum(CASE WHEN converted THEN 0 ELSE 1 END)::float8 AS non_conversions
              FROM journeys_small WHERE path IS NOT NULL GROUP BY path) t)
     = (SELECT path_agg(path, converted, revenue)::text FROM journeys_small) AS counts_form_agrees;
-- NULL counts are 0, rows of no journey are dropped
SELECT path_agg(p, c, v, n) FROM (VALUES ('{a}'::text[], NULL::float8, NULL::float8, 2::float8),
                                         ('{b}', 0, 0, 0), ('{c}', 1, NULL, NULL)) t(p, c, v, n);
-- no rows, or only NULL paths: NULL, like array_agg
SELECT path_agg(path, converted) IS NULL AS no_rows FROM journeys_small WHERE false;
SELECT path_agg(path, converted) IS NULL AS only_null_paths FROM journeys_small WHERE path IS NULL;
-- groups
SELECT converted, path_agg(path, converted) FROM journeys_small GROUP BY converted ORDER BY converted;

-- merge: summaries of parts give the summary of the whole
SELECT merge(ps)::text = (SELECT path_agg(path, converted, revenue)::text FROM journeys_small) AS merged
FROM (SELECT id % 2 AS part, path_agg(path, converted, revenue) AS ps FROM journeys_small GROUP BY 1) t;
SELECT merge(ps) FROM (VALUES (NULL::path_summary), ('[]'), ('[[["a"],1,1,0]]'), ('[[["a"],1,2,3]]')) t(ps);
SELECT merge(ps) IS NULL AS all_null FROM (VALUES (NULL::path_summary)) t(ps);

-- bad input to the aggregates
SELECT path_agg(p, true) FROM (VALUES ('{}'::text[])) t(p);
SELECT path_agg(p, true) FROM (VALUES ('{a,NULL}'::text[])) t(p);
SELECT path_agg(p, true) FROM (VALUES ('{{a},{b}}'::text[])) t(p);
SELECT path_agg(p, NULL::boolean) FROM (VALUES ('{a}'::text[])) t(p);
SELECT path_agg(p, true, 'NaN') FROM (VALUES ('{a}'::text[])) t(p);
SELECT path_agg(p, true, -1) FROM (VALUES ('{a}'::text[])) t(p);
SELECT path_agg(p, false, 'Infinity') FROM (VALUES ('{a}'::text[])) t(p);
SELECT path_agg(p, -1, 0, 0) FROM (VALUES ('{a}'::text[])) t(p);
SELECT path_agg(p, 1, 0, 'NaN') FROM (VALUES ('{a}'::text[])) t(p);
SELECT path_agg(p, 0, 5, 1) FROM (VALUES ('{a}'::text[])) t(p);
SELECT path_agg(p, 1, v, 0) FROM (VALUES ('{a}'::text[], 1.7e308::float8), ('{a}', 1.7e308)) t(p, v);
-- at most 65535 distinct channels
SELECT (SELECT count(*) FROM paths(ps)) AS paths,
       ps::text = ps::text::path_summary::text AS round_trip,
       (SELECT max(path[1] COLLATE "C") FROM paths(ps)) AS last_channel
FROM (SELECT path_agg(ARRAY['c' || i], true) AS ps FROM generate_series(1, 65535) i) t;
SELECT path_agg(ARRAY['c' || i], true) IS NULL FROM generate_series(1, 65536) i;

-- malformed literals
SELECT '['::path_summary;
SELECT '[[["a"],1,1,0]'::path_summary;
SELECT '[[["a"],1,1,0]] x'::path_summary;
SELECT '[[["a"],1,1]]'::path_summary;
SELECT '[[[],1,1,0]]'::path_summary;
SELECT '[[[null],1,1,0]]'::path_summary;
SELECT '[[["a],1,1,0]]'::path_summary;
SELECT '[[["a\x"],1,1,0]]'::path_summary;
SELECT '[[["a"],-1,0,0]]'::path_summary;
SELECT '[[["a"],1,nan,0]]'::path_summary;
SELECT '[[["a"],1,1e999,0]]'::path_summary;
SELECT '[[["a"],1,1+1+1+1,0]]'::path_summary;
SELECT '[[["a"],0,5,0]]'::path_summary;
SELECT '[[["a"],1,1,0],]'::path_summary;
SELECT '{"a":1}'::path_summary;

-- the same summary built serially, in a forced parallel plan (workers only),
-- from daily summaries, and from rows in another order
CREATE TABLE journeys (id int, day int, path text[], converted boolean, revenue float8);
INSERT INTO journeys
SELECT i, i % 7,
       ARRAY(SELECT 'c' || (abs(hashint4(i * 100 + k)) % 6)
             FROM generate_series(1, 1 + abs(hashint4(i)) % 6) k ORDER BY k),
       abs(hashint4(i * 7 + 1)) % 3 = 0,
       (abs(hashint4(i * 13)) % 100000) / 100.0
FROM generate_series(1, 20000) i;
ANALYZE journeys;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial_build AS SELECT path_agg(path, converted, revenue) AS ps FROM journeys;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
-- the combine function's planner cost would keep tables this small serial: lower it to test the parallel plan
ALTER FUNCTION attribution.path_agg_combine(attribution.path_agg_state, attribution.path_agg_state) COST 1;
EXPLAIN (COSTS OFF) SELECT path_agg(path, converted, revenue) FROM journeys;
SELECT (SELECT ps::text FROM serial_build) = ps::text AS parallel_equals_serial,
       (SELECT path_summary_send(ps) FROM serial_build) = path_summary_send(ps) AS same_bytes
FROM (SELECT path_agg(path, converted, revenue) AS ps FROM journeys) t;
CREATE TABLE daily AS SELECT day, path_agg(path, converted, revenue) AS ps FROM journeys GROUP BY day;
EXPLAIN (COSTS OFF) SELECT merge(ps) FROM daily;
SELECT (SELECT ps::text FROM serial_build) = merge(ps)::text AS merged_equals_serial FROM daily;
ALTER FUNCTION attribution.path_agg_combine(attribution.path_agg_state, attribution.path_agg_state) COST 10000000;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
SELECT (SELECT ps::text FROM serial_build) =
       path_agg(path, converted, revenue ORDER BY md5(id::text))::text AS any_order
FROM journeys;
-- a date range of the rollup
SELECT count(*) > 0 AS some_paths,
       (SELECT sum(conversions) FROM paths(merge(ps))) =
       (SELECT count(*) FILTER (WHERE converted) FROM journeys WHERE day BETWEEN 2 AND 4) AS conversions_match
FROM daily WHERE day BETWEEN 2 AND 4;
-- and the summary agrees with the plain-SQL GROUP BY
SELECT count(*) AS paths_differing
FROM paths((SELECT ps FROM serial_build)) s
FULL JOIN (SELECT path, count(*) FILTER (WHERE converted)::float8 AS conversions,
                  coalesce(sum(revenue) FILTER (WHERE converted), 0) AS value,
                  count(*) FILTER (WHERE NOT converted)::float8 AS non_conversions
           FROM journeys GROUP BY path) g ON g.path = s.path
WHERE s.path IS NULL OR g.path IS NULL OR s.conversions <> g.conversions
   OR abs(s.value - g.value) > 1e-9 * greatest(g.value, 1) OR s.non_conversions <> g.non_conversions;

-- stored in a table, dumped and restored through text
CREATE TABLE stored (ps path_summary);
INSERT INTO stored SELECT ps FROM serial_build;
SELECT (SELECT ps::text FROM serial_build) = ps::text AS stored_equals FROM stored;
SELECT (SELECT ps::text FROM serial_build) = ps::text::path_summary::text AS text_restores FROM stored;

DROP TABLE journeys_small, journeys, serial_build, daily, stored;
