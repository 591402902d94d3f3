-- Path transforms (doc/paths.md): known answers, edge cases, bad input.
SET search_path = attribution, public;

-- path_exposure collapses consecutive repeats
SELECT path_exposure('{a,a,b,a,a,a,c,c}') AS exposure,
       path_exposure('{a}') AS single,
       path_exposure('{}') AS empty,
       path_exposure('{a,A,a}') AS case_matters;

-- path_first keeps the first occurrence of each channel
SELECT path_first('{a,b,a,c,b,d}') AS first,
       path_first('{x,x,x}') AS repeats,
       path_first('{}') AS empty;

-- path_trim keeps the last n touches
SELECT path_trim('{a,b,c,d}', 2) AS last_two,
       path_trim('{a,b}', 5) AS shorter_than_n,
       path_trim('{a,b,c}', 1) AS last_one,
       path_trim('{}', 3) AS empty;

-- path_remove_if_not_all removes channels unless that empties the path
SELECT path_remove_if_not_all('{direct,email,direct,seo}', '{direct}') AS removed,
       path_remove_if_not_all('{direct,direct}', '{direct}') AS all_direct_kept,
       path_remove_if_not_all('{a,b}', '{}') AS nothing_to_remove,
       path_remove_if_not_all('{a,b,c}', '{a,c}') AS two_removed;

-- path_remove_if_last_and_not_all strips a trailing run unless that is the whole path
SELECT path_remove_if_last_and_not_all('{seo,direct,email,direct,direct}', '{direct}') AS stripped,
       path_remove_if_last_and_not_all('{direct,seo}', '{direct}') AS not_last,
       path_remove_if_last_and_not_all('{direct,direct}', '{direct}') AS whole_run_kept,
       path_remove_if_last_and_not_all('{a,b,c}', '{b,c}') AS run_of_two;

-- lower bounds other than 1 and names with special characters
SELECT path_exposure('[0:2]={a,a,b}'::text[]) AS rebased,
       array_lower(path_exposure('[5:6]={x,y}'::text[]), 1) AS lower_bound,
       path_first(ARRAY['a"b', 'c\d', 'a"b', '']) AS special_names;

-- NULL arguments give NULL (STRICT)
SELECT path_exposure(NULL) IS NULL AS null_path,
       path_trim('{a}', NULL) IS NULL AS null_n,
       path_remove_if_not_all('{a}', NULL) IS NULL AS null_channels;

-- bad input
SELECT path_exposure('{a,NULL,b}');
SELECT path_first(ARRAY[NULL]::text[]);
SELECT path_trim('{a,b}', 0);
SELECT path_trim('{a,b}', -3);
SELECT path_remove_if_not_all('{a,b}', '{a,NULL}');
SELECT path_remove_if_last_and_not_all('{a,NULL}', '{a}');
SELECT path_exposure('{{a,b},{c,d}}');
SELECT path_remove_if_not_all('{a,b}', '{{a},{b}}');

-- labels: every function of section 3 is documented, with the right volatility,
-- strictness and parallel safety
SELECT p.oid::regprocedure AS function, p.provolatile AS volatility, p.proisstrict AS strict,
       p.proparallel AS parallel, obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
FROM pg_proc p
JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
WHERE p.proname ~ '^(path_|paths$|merge$|markov$|transition_matrix$|shapley$|counterfactual$|heuristics$)'
  AND (p.proname <> 'merge' OR pg_get_function_identity_arguments(p.oid) LIKE '%path_summary%')
ORDER BY p.proname, p.oid::regprocedure::text;
