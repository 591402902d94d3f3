-- Labels of every function of the extension, checked through the catalog.
CREATE TEMP VIEW ext_functions AS
SELECT p.oid, p.oid::regprocedure::text AS signature, p.prokind, p.provolatile, p.proisstrict,
	   p.proparallel, p.prosecdef
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution' AND d.deptype = 'e';

-- no function runs with its owner's rights
SELECT signature FROM ext_functions WHERE prosecdef;
-- every function is PARALLEL SAFE, except those that write (triggers, DDL, loading data)
SELECT signature, proparallel FROM ext_functions WHERE proparallel <> 's';
-- every function has a comment
SELECT signature FROM ext_functions WHERE obj_description(oid, 'pg_proc') IS NULL;
-- what is not IMMUTABLE, and why: input of timestamps depends on the session's TimeZone
SELECT signature, provolatile FROM ext_functions WHERE provolatile <> 'i' ORDER BY signature;
-- serialize, deserialize and type I/O functions are STRICT; transition, combine and
-- final functions of internal-state aggregates are not (they see NULL states)
SELECT signature, proisstrict FROM ext_functions
WHERE (signature ~ '_(in|out|send|recv|serialize|deserialize)\(' AND NOT proisstrict)
   OR (signature ~ '_(trans|combine|final)\(' AND proisstrict)
ORDER BY signature;
-- aggregates with an internal state can be split: combine, serialize, deserialize
SELECT a.aggfnoid::regprocedure AS aggregate
FROM pg_aggregate a JOIN ext_functions f ON f.oid = a.aggfnoid
WHERE a.aggtranstype = 'internal'::regtype
  AND (a.aggcombinefn = 0 OR a.aggserialfn = 0 OR a.aggdeserialfn = 0);
-- the labels of the rule-based functions
SELECT signature, prokind, provolatile, proisstrict, proparallel FROM ext_functions
WHERE signature ~ '^attribution\.(credit|credits|journey_agg|channel_credit|credit_by_channel|sum|each|touch_count)\('
ORDER BY signature;
