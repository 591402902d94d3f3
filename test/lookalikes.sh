#!/usr/bin/env bash
# Look-alike operators, functions and types (a hostile search_path).
#
# A role that can create objects in a schema on a caller's search_path can
# plant an operator or function whose argument types match a call exactly,
# or a domain named like a type; with that schema before pg_catalog, or where
# pg_catalog has no exact match (oid = regclass), the look-alike runs instead
# of pg_catalog's, with the caller's rights.  This check derives, from the
# catalog and from the plans of a run, every operator, function and type the
# extension's views, SQL functions and PL/pgSQL functions use, plants a
# look-alike of each in public, and runs everything again as a superuser
# with search_path = public, pg_catalog, attribution: no look-alike may run.
#
# 1. In a fresh database, test/lookalikes_exercise.sql runs with a clean
#    search_path and debug_print_plan: the operators (:opno), functions
#    (:funcid) and types (:consttype, :resulttype, ...) of every plan made,
#    including the statements of the PL/pgSQL functions and the bodies of
#    the SQL functions inlined into the views, are recorded.  To these are
#    added those of the views' stored rules (pg_rewrite) and of the body of
#    every SQL function (parsed by copying it as a BEGIN ATOMIC function:
#    pg_proc.prosqlbody), read from the stored trees, since PostgreSQL
#    records no dependency on its built-in objects.  Every PL/pgSQL
#    function of the extension must have run (pg_stat_user_functions, or an
#    error's context naming it).
# 2. In a second fresh database, a look-alike of each is created in public:
#    an operator or function with the same name and argument types that
#    raises a WARNING naming itself, then returns what pg_catalog's would
#    (an aggregate whose transition function warns; for a type, a domain of
#    the same name whose check warns).
#    Each operator look-alike is checked to capture an unqualified use.
# 3. The exercise runs again with search_path = public, pg_catalog,
#    attribution: no look-alike may have run, and the errors are the same as
#    in the clean run.
# 4. A self-test keeps the check honest: the same on version 0.1.0, whose
#    use_source() and materialize() did not pin search_path, must catch at
#    least one look-alike (ATTR_LOOKALIKE_OLD, default 0.1.0; empty: skip).
#
#   bash test/lookalikes.sh
#
# Sets up its own cluster like test/run-all.sh, or reuses the caller's
# (ATTR_REUSE_CLUSTER=1).  Ends with "N passed, N failed".
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

att_setup_or_reuse "$srcdir"
att_checks_begin lookalikes

out=$ATTR_WORK/lookalikes
rm -rf "$out"
mkdir -p "$out"
newest=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$srcdir/attribution.control")
old_version=${ATTR_LOOKALIKE_OLD-0.1.0}
hostile_path='public, pg_catalog, attribution'

fresh_db() {	# fresh_db <db> <version>
	att_psql -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
	att_psql -d "$1" -c "SET client_min_messages = warning" -c "CREATE EXTENSION attribution VERSION '$2'" >/dev/null
}

# the statements that read every view and every set-returning source
# function of the extension (from the catalog), before and after the
# sources are switched back to the built-in tables
reads() {	# reads <db>
	local list
	list=$(att_psql -d "$1" -At -c "
		SELECT pg_catalog.format('SELECT * FROM %s;', c.oid::pg_catalog.regclass)
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
			AND d.deptype = 'e'
		JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
		WHERE c.relkind IN ('v', 'm')
		UNION ALL
		SELECT pg_catalog.format('SELECT * FROM %s();', p.oid::pg_catalog.regproc)
		FROM pg_catalog.pg_proc p
		JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid
			AND d.deptype = 'e'
		JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
		WHERE p.proretset AND p.pronargs = 0
		ORDER BY 1")
	printf '%s\n' "$list"
	printf '%s\n' "SELECT attribution.use_source('touchpoints', NULL);" \
		"SELECT attribution.use_source('campaign_costs', NULL);"
	printf '%s\n' "$list"
}

# runs the exercise in <db>; <settings> are SET statements run first
exercise() {	# exercise <db> <settings file> <output file>
	{ cat "$2" "$srcdir/test/lookalikes_exercise.sql"; reads "$1"; } >"$out/exercise_$1.sql"
	# errors are part of the exercise: no ON_ERROR_STOP
	"$ATTR_BINDIR/psql" -X -q -d "$1" -f "$out/exercise_$1.sql" >/dev/null 2>"$3" || true
}

# the ERROR lines of a run, without the psql location prefix
errors_of() { sed -n 's/^psql:[^:]*:[0-9]*: //p' "$1" | grep '^ERROR:' | sort; }

# 1..3 for one version; sets found (distinct look-alikes that ran) and more
run_version() {	# run_version <version> <tag>
	local version=$1 tag=$2 rec_db=attribution_lookalike_rec hos_db=attribution_lookalike_hos
	fresh_db "$rec_db" "$version"

	# 1. record
	printf '%s\n' "SET client_min_messages = log;" "SET debug_print_plan = on;" "SET debug_pretty_print = off;" \
		"SET track_functions = 'pl';" >"$out/record_settings.sql"
	exercise "$rec_db" "$out/record_settings.sql" "$out/record_$tag.log"
	{ grep -o -E ':(opno|funcid|opfuncid|aggfnoid|winfnoid|consttype|resulttype|funcresulttype|vartype) [0-9]+' \
		"$out/record_$tag.log" || true; } | awk '{ print $2 }' | sort -u >"$out/recorded_$tag.oids"
	# RowCompareExpr: ":opnos (o 664 664)"
	{ grep -o -E ':opnos \(o[ 0-9]+\)' "$out/record_$tag.log" || true; } | tr -cs '0-9' '\n' | sed '/^$/d' |
		sort -u >>"$out/recorded_$tag.oids"
	recorded=$(sort -u "$out/recorded_$tag.oids" | wc -l)
	att_psql -d "$rec_db" -c "SELECT pg_catalog.pg_stat_force_next_flush()" >/dev/null
	sleep 1
	# the PL/pgSQL functions of the extension that never ran (track_functions)
	att_psql -d "$rec_db" -At -c "
		SELECT p.oid::pg_catalog.regprocedure
		FROM pg_catalog.pg_proc p
		JOIN pg_catalog.pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
		JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid
			AND d.deptype = 'e'
		JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
		WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_stat_user_functions s
						  WHERE s.funcid = p.oid AND s.calls > 0)
		ORDER BY 1" >"$out/not_run_$tag.txt"
	# (a function that ended in an error is not counted there: it ran if an
	# error's context names it)
	while read -r f; do
		grep -q -F "PL/pgSQL function $f " "$out/record_$tag.log" || echo "$f"
	done <"$out/not_run_$tag.txt" >"$out/not_run_at_all_$tag.txt"
	mv "$out/not_run_at_all_$tag.txt" "$out/not_run_$tag.txt"
	check "$([ ! -s "$out/not_run_$tag.txt" ] && echo 1 || echo 0)" \
		"$version: every PL/pgSQL function of the extension ran in the exercise (not run: $(tr '\n' ' ' <"$out/not_run_$tag.txt"))"

	# the static part: views' rules and SQL function bodies; then the list
	# of pg_catalog operators and functions to imitate
	{
		echo "CREATE TABLE public.lookalike_recorded (oid pg_catalog.oid);"
		echo "COPY public.lookalike_recorded FROM STDIN;"
		cat "$out/recorded_$tag.oids"
		echo '\.'
		cat <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA lookalike_probe;
-- every SQL function of the extension, copied with a body PostgreSQL parses
-- now and whose dependencies it records (its own name, so that parameters
-- qualified by the function's name resolve)
DO $$
DECLARE
	f record;
BEGIN
	FOR f IN SELECT p.oid, p.proname, pg_catalog.pg_get_function_arguments(p.oid) AS args,
				pg_catalog.pg_get_function_result(p.oid) AS result,
				pg_catalog.regexp_replace(p.prosrc, '[;[:space:]]+$', '') AS body
			 FROM pg_catalog.pg_proc p
			 JOIN pg_catalog.pg_language l ON l.oid = p.prolang AND l.lanname = 'sql'
			 JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid
				AND d.deptype = 'e'
			 JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
	LOOP
		PERFORM pg_catalog.set_config('search_path', 'attribution', true);
		EXECUTE pg_catalog.format('CREATE FUNCTION lookalike_probe.%I(%s) RETURNS %s LANGUAGE sql BEGIN ATOMIC %s; END',
								  f.proname, f.args, f.result, f.body);
		PERFORM pg_catalog.set_config('search_path', 'pg_catalog', true);
	END LOOP;
END
$$;
-- Built-in objects are pinned: PostgreSQL records no dependency on them, so
-- the operators and functions are read from the stored trees themselves
-- (the views' rules and the copies' bodies, as nodeToString text).
CREATE TABLE public.lookalike_trees AS
SELECT r.ev_action::pg_catalog.text AS tree
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_depend x ON x.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND x.objid = r.ev_class
	AND x.deptype = 'e'
JOIN pg_catalog.pg_extension e ON e.oid = x.refobjid AND e.extname = 'attribution'
UNION ALL
SELECT p.prosqlbody::pg_catalog.text
FROM pg_catalog.pg_proc p
WHERE p.pronamespace = 'lookalike_probe'::pg_catalog.regnamespace;
CREATE TABLE public.lookalike_targets AS
SELECT DISTINCT CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_operator o WHERE o.oid = x.oid)
					 THEN 'pg_catalog.pg_operator'::pg_catalog.regclass
					 WHEN EXISTS (SELECT FROM pg_catalog.pg_proc p WHERE p.oid = x.oid)
					 THEN 'pg_catalog.pg_proc'::pg_catalog.regclass
					 ELSE 'pg_catalog.pg_type'::pg_catalog.regclass END AS classid,
	   x.oid
FROM (
	SELECT m[2]::pg_catalog.oid AS oid
	FROM public.lookalike_trees t,
		 pg_catalog.regexp_matches(t.tree, ':(opno|funcid|opfuncid|aggfnoid|winfnoid|consttype|resulttype|funcresulttype|vartype) ([0-9]+)', 'g') m
	UNION ALL
	SELECT n::pg_catalog.oid
	FROM public.lookalike_trees t,
		 pg_catalog.regexp_matches(t.tree, ':opnos \(o([ 0-9]+)\)', 'g') m,
		 pg_catalog.regexp_split_to_table(pg_catalog.btrim(m[1]), ' +') n
	UNION ALL
	SELECT r.oid FROM public.lookalike_recorded r
) x
WHERE EXISTS (SELECT FROM pg_catalog.pg_operator o WHERE o.oid = x.oid
			  AND o.oprnamespace = 'pg_catalog'::pg_catalog.regnamespace)
   OR EXISTS (SELECT FROM pg_catalog.pg_proc p WHERE p.oid = x.oid
			  AND p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace)
   -- types: the base types (a domain of the same name can imitate them)
   OR EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.oid = x.oid
			  AND t.typnamespace = 'pg_catalog'::pg_catalog.regnamespace AND t.typtype = 'b'
			  AND t.typcategory <> 'A');
SQL
		echo "\\copy (SELECT 'o', oid FROM public.lookalike_targets WHERE classid = 'pg_catalog.pg_operator'::pg_catalog.regclass ORDER BY 2) TO '$out/targets_$tag.txt'"
		echo "\\copy (SELECT 'f', oid FROM public.lookalike_targets WHERE classid = 'pg_catalog.pg_proc'::pg_catalog.regclass ORDER BY 2) TO '$out/targets_f_$tag.txt'"
		echo "\\copy (SELECT 't', oid FROM public.lookalike_targets WHERE classid = 'pg_catalog.pg_type'::pg_catalog.regclass ORDER BY 2) TO '$out/targets_t_$tag.txt'"
	} >"$out/derive_$tag.sql"
	att_psql -d "$rec_db" -f "$out/derive_$tag.sql" >/dev/null
	cat "$out/targets_f_$tag.txt" "$out/targets_t_$tag.txt" >>"$out/targets_$tag.txt"
	# the derivation in words, for the log
	att_psql -d "$rec_db" -At -F ' ' -c "
		SELECT (SELECT pg_catalog.count(*) FROM public.lookalike_targets
				WHERE classid = 'pg_catalog.pg_operator'::pg_catalog.regclass),
			   (SELECT pg_catalog.count(*) FROM public.lookalike_targets
				WHERE classid = 'pg_catalog.pg_proc'::pg_catalog.regclass),
			   (SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc
				WHERE pronamespace = 'lookalike_probe'::pg_catalog.regnamespace),
			   (SELECT pg_catalog.count(*) FROM public.lookalike_targets
				WHERE classid = 'pg_catalog.pg_type'::pg_catalog.regclass)" >"$out/counts_$tag.txt"
	read -r n_operators n_functions n_sql n_types <"$out/counts_$tag.txt"
	echo "lookalikes: $version: $recorded operators, functions and types recorded in plans; $n_sql SQL function bodies" \
		"parsed; $n_operators pg_catalog operators, $n_functions functions and $n_types types to imitate"
	errors_of "$out/record_$tag.log" >"$out/record_errors_$tag.txt"

	# 2. the look-alikes, in a second database
	fresh_db "$hos_db" "$version"
	{
		echo "SET client_min_messages = warning;"
		echo "CREATE TABLE public.lookalike_targets (kind \"char\", oid pg_catalog.oid);"
		echo "\\copy public.lookalike_targets FROM '$out/targets_$tag.txt'"
		cat <<'SQL'
CREATE TABLE public.lookalike_planted (kind "char", target pg_catalog.oid, signature pg_catalog.text,
	planted boolean, why pg_catalog.text);
-- Each look-alike raises a WARNING naming itself once per session (a
-- setting remembers it), then returns what pg_catalog's object returns.
-- Its own body runs with a pinned search_path, so it cannot recurse.
CREATE FUNCTION public.lookalike_body(n integer, sig text, result_statement text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $f$
	SELECT format('BEGIN IF coalesce(current_setting(%L, true), %L) = %L THEN '
				  'RAISE WARNING %L, %L; PERFORM set_config(%L, %L, false); END IF; %s END',
				  'lookalike.ran_' || n, '', '', '%', 'look-alike ran: ' || sig, 'lookalike.ran_' || n, 'yes',
				  result_statement)
$f$;
DO $$
DECLARE
	t record;
	n integer := 0;
	sig text;
	args text;
	call_args text;
	body text;
	result text;
BEGIN
	FOR t IN SELECT o.oid, o.oprname, o.oprleft, o.oprright, o.oprresult
			 FROM public.lookalike_targets x JOIN pg_catalog.pg_operator o ON o.oid = x.oid
			 WHERE x.kind = 'o' ORDER BY o.oid
	LOOP
		n := n + 1;
		sig := pg_catalog.format('operator %s(%s, %s)', t.oprname,
								 CASE WHEN t.oprleft = 0 THEN 'none' ELSE pg_catalog.format_type(t.oprleft, NULL) END,
								 pg_catalog.format_type(t.oprright, NULL));
		BEGIN
			IF t.oprleft = 0 THEN
				args := pg_catalog.format_type(t.oprright, NULL);
				body := pg_catalog.format('RETURN OPERATOR(pg_catalog.%s) $1;', t.oprname);
			ELSE
				args := pg_catalog.format_type(t.oprleft, NULL) || ', ' || pg_catalog.format_type(t.oprright, NULL);
				body := pg_catalog.format('RETURN $1 OPERATOR(pg_catalog.%s) $2;', t.oprname);
			END IF;
			EXECUTE pg_catalog.format(
				'CREATE FUNCTION public.lookalike_%s(%s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS %L',
				n, args, pg_catalog.format_type(t.oprresult, NULL),
				public.lookalike_body(n, sig, body));
			EXECUTE pg_catalog.format('CREATE OPERATOR public.%s (%s RIGHTARG = %s, FUNCTION = public.lookalike_%s)',
									  t.oprname,
									  CASE WHEN t.oprleft = 0 THEN '' ELSE 'LEFTARG = ' || pg_catalog.format_type(t.oprleft, NULL) || ',' END,
									  pg_catalog.format_type(t.oprright, NULL), n);
			INSERT INTO public.lookalike_planted VALUES ('o', t.oid, sig, true, NULL);
		EXCEPTION WHEN OTHERS THEN
			INSERT INTO public.lookalike_planted VALUES ('o', t.oid, sig, false, SQLERRM);
		END;
	END LOOP;
	-- functions and aggregates whose arguments a PL/pgSQL function can take
	-- (window functions and functions of internal, cstring or "any"
	-- arguments cannot be imitated this way, and are listed as such)
	FOR t IN SELECT p.oid, p.proname, p.prokind, p.proretset, p.provariadic,
					pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity,
					pg_catalog.pg_get_function_result(p.oid) AS result,
					p.pronargs
			 FROM public.lookalike_targets x JOIN pg_catalog.pg_proc p ON p.oid = x.oid
			 WHERE x.kind = 'f' ORDER BY p.oid
	LOOP
		n := n + 1;
		sig := pg_catalog.format('function %s(%s)', t.proname, t.identity);
		-- an aggregate: a look-alike whose transition function warns (its
		-- result is not pg_catalog's: it only has to show that it ran)
		-- (an ordered-set aggregate's look-alike would need a transition and a
		-- final function of another shape: listed as not imitated)
		IF t.prokind = 'a' AND t.identity NOT LIKE '% ORDER BY %' AND NOT EXISTS (SELECT FROM pg_catalog.unnest((SELECT p.proargtypes::pg_catalog.oid[] FROM pg_catalog.pg_proc p WHERE p.oid = t.oid)) a
										   WHERE a IN ('pg_catalog.internal'::pg_catalog.regtype, 'pg_catalog."any"'::pg_catalog.regtype))
		   AND t.provariadic = 0 THEN
			BEGIN
				EXECUTE pg_catalog.format(
					'CREATE FUNCTION public.lookalike_%s(integer%s) RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS %L',
					n, CASE WHEN t.pronargs = 0 THEN '' ELSE ', ' || t.identity END,
					public.lookalike_body(n, sig, 'RETURN 0;'));
				EXECUTE pg_catalog.format('CREATE AGGREGATE public.%I(%s) (SFUNC = public.lookalike_%s, STYPE = integer)',
										  t.proname, CASE WHEN t.pronargs = 0 THEN '*' ELSE t.identity END, n);
				INSERT INTO public.lookalike_planted VALUES ('f', t.oid, sig, true, NULL);
			EXCEPTION WHEN OTHERS THEN
				INSERT INTO public.lookalike_planted VALUES ('f', t.oid, sig, false, SQLERRM);
			END;
			CONTINUE;
		END IF;
		IF t.prokind <> 'f' OR EXISTS (SELECT FROM pg_catalog.unnest((SELECT p.proargtypes::pg_catalog.oid[] FROM pg_catalog.pg_proc p WHERE p.oid = t.oid)) a
									   WHERE a IN ('pg_catalog.internal'::pg_catalog.regtype, 'pg_catalog.cstring'::pg_catalog.regtype,
												   'pg_catalog."any"'::pg_catalog.regtype))
		   OR t.provariadic <> 0 OR t.result LIKE '%internal%' OR t.result LIKE '%cstring%' THEN
			INSERT INTO public.lookalike_planted VALUES ('f', t.oid, sig, false, 'cannot be imitated in PL/pgSQL');
			CONTINUE;
		END IF;
		call_args := (SELECT pg_catalog.string_agg('$' || i, ', ' ORDER BY i) FROM pg_catalog.generate_series(1, t.pronargs) i);
		IF t.proretset THEN
			body := pg_catalog.format('RETURN QUERY SELECT * FROM pg_catalog.%I(%s);', t.proname, coalesce(call_args, ''));
		ELSE
			body := pg_catalog.format('RETURN pg_catalog.%I(%s);', t.proname, coalesce(call_args, ''));
		END IF;
		BEGIN
			EXECUTE pg_catalog.format(
				'CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS %L',
				t.proname, t.identity, t.result,
				public.lookalike_body(n, sig, body));
			INSERT INTO public.lookalike_planted VALUES ('f', t.oid, sig, true, NULL);
		EXCEPTION WHEN OTHERS THEN
			INSERT INTO public.lookalike_planted VALUES ('f', t.oid, sig, false, SQLERRM);
		END;
	END LOOP;
	-- types: a domain of the same name over pg_catalog's type, whose check
	-- warns (it runs when a value is cast to the domain)
	FOR t IN SELECT y.oid, y.typname
			 FROM public.lookalike_targets x JOIN pg_catalog.pg_type y ON y.oid = x.oid
			 WHERE x.kind = 't' ORDER BY y.oid
	LOOP
		n := n + 1;
		sig := pg_catalog.format('type %s', t.typname);
		BEGIN
			EXECUTE pg_catalog.format(
				'CREATE FUNCTION public.lookalike_%s(pg_catalog.%I) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS %L',
				n, t.typname, public.lookalike_body(n, sig, 'RETURN true;'));
			EXECUTE pg_catalog.format('CREATE DOMAIN public.%I AS pg_catalog.%I CHECK (public.lookalike_%s(VALUE))',
									  t.typname, t.typname, n);
			INSERT INTO public.lookalike_planted VALUES ('t', t.oid, sig, true, NULL);
		EXCEPTION WHEN OTHERS THEN
			INSERT INTO public.lookalike_planted VALUES ('t', t.oid, sig, false, SQLERRM);
		END;
	END LOOP;
END
$$;
SQL
	} >"$out/plant_$tag.sql"
	att_psql -d "$hos_db" -f "$out/plant_$tag.sql" >"$out/plant_$tag.log" 2>&1
	read -r planted_ops total_ops planted_fns total_fns planted_types total_types < <(att_psql -d "$hos_db" -At -F ' ' -c "
		SELECT pg_catalog.count(*) FILTER (WHERE kind = 'o' AND planted), pg_catalog.count(*) FILTER (WHERE kind = 'o'),
			   pg_catalog.count(*) FILTER (WHERE kind = 'f' AND planted), pg_catalog.count(*) FILTER (WHERE kind = 'f'),
			   pg_catalog.count(*) FILTER (WHERE kind = 't' AND planted), pg_catalog.count(*) FILTER (WHERE kind = 't')
		FROM public.lookalike_planted")
	echo "lookalikes: $version: planted $planted_ops of $total_ops operator look-alikes, $planted_fns of $total_fns function" \
		"look-alikes and $planted_types of $total_types type look-alikes" \
		"(not imitable in PL/pgSQL: $(att_psql -d "$hos_db" -At -c "SELECT pg_catalog.string_agg(signature, ', ' ORDER BY signature)
			FROM public.lookalike_planted WHERE why = 'cannot be imitated in PL/pgSQL'"))"
	att_psql -d "$hos_db" -At -c "SELECT signature || ': ' || why FROM public.lookalike_planted
		WHERE NOT planted AND why <> 'cannot be imitated in PL/pgSQL' ORDER BY 1" >"$out/not_planted_$tag.txt"
	check "$([ "$planted_ops" = "$total_ops" ] && [ "$total_ops" -gt 0 ] && echo 1 || echo 0)" \
		"$version: a look-alike of every operator used ($planted_ops of $total_ops)"
	check "$([ ! -s "$out/not_planted_$tag.txt" ] && echo 1 || echo 0)" \
		"$version: every function look-alike that PL/pgSQL can express was created ($(head -c 400 "$out/not_planted_$tag.txt"))"

	# each operator look-alike captures an unqualified use under the hostile path
	# (operators on polymorphic types are tried on int4 arrays and elements)
	att_psql -d "$hos_db" -At -c "
		SELECT CASE WHEN o.oprleft = 0 THEN pg_catalog.format('SELECT %s NULL::%s;', o.oprname, r.t)
					ELSE pg_catalog.format('SELECT NULL::%s %s NULL::%s;', l.t, o.oprname, r.t) END
		FROM public.lookalike_planted p JOIN pg_catalog.pg_operator o ON o.oid = p.target,
			 LATERAL (SELECT CASE WHEN o.oprleft IN ('anyarray'::regtype, 'anycompatiblearray'::regtype) THEN 'integer[]'
								  WHEN o.oprleft IN ('anyelement'::regtype, 'anycompatible'::regtype,
													 'anynonarray'::regtype, 'anycompatiblenonarray'::regtype) THEN 'integer'
								  ELSE pg_catalog.format_type(o.oprleft, NULL) END AS t) l,
			 LATERAL (SELECT CASE WHEN o.oprright IN ('anyarray'::regtype, 'anycompatiblearray'::regtype) THEN 'integer[]'
								  WHEN o.oprright IN ('anyelement'::regtype, 'anycompatible'::regtype,
													  'anynonarray'::regtype, 'anycompatiblenonarray'::regtype) THEN 'integer'
								  ELSE pg_catalog.format_type(o.oprright, NULL) END AS t) r
		WHERE p.kind = 'o' AND p.planted ORDER BY p.target" >"$out/capture_$tag.sql"
	"$ATTR_BINDIR/psql" -X -q -d "$hos_db" -c "SET search_path = $hostile_path" -f "$out/capture_$tag.sql" \
		>/dev/null 2>"$out/capture_$tag.log" || true
	captured=$(grep -c 'look-alike ran: operator' "$out/capture_$tag.log" || true)
	check "$([ "$captured" = "$planted_ops" ] && echo 1 || echo 0)" \
		"$version: each operator look-alike captures an unqualified use ($captured of $planted_ops)"

	# 3. the exercise under the hostile search_path
	printf '%s\n' "SET search_path = $hostile_path;" "SET client_min_messages = warning;" >"$out/hostile_settings.sql"
	exercise "$hos_db" "$out/hostile_settings.sql" "$out/hostile_$tag.log"
	grep -o 'look-alike ran: .*' "$out/hostile_$tag.log" | sort -u >"$out/ran_$tag.txt" || true
	found=$(wc -l <"$out/ran_$tag.txt")
	errors_of "$out/hostile_$tag.log" >"$out/hostile_errors_$tag.txt"
	same_errors=0
	cmp -s "$out/record_errors_$tag.txt" "$out/hostile_errors_$tag.txt" && same_errors=1
	n_errors=$(wc -l <"$out/record_errors_$tag.txt")
	att_psql -d postgres -c "DROP DATABASE $rec_db" -c "DROP DATABASE $hos_db" >/dev/null
}

run_version "$newest" new
check "$([ "$found" = 0 ] && echo 1 || echo 0)" \
	"$newest: no look-alike ran under search_path = $hostile_path ($found: $(head -c 600 "$out/ran_new.txt" | tr '\n' ';'))"
check "$same_errors" "$newest: the same $n_errors errors with and without the look-alikes"
[ "$same_errors" = 1 ] || diff "$out/record_errors_new.txt" "$out/hostile_errors_new.txt" | head -n 20

if [ -n "$old_version" ] && [ -f "$ATTR_ROOT$("$PG_CONFIG" --sharedir)/extension/attribution--$old_version.sql" ]; then
	run_version "$old_version" old
	echo "lookalikes: self-test: $old_version ran $found look-alikes:"
	sed 's/^/    /' "$out/ran_old.txt"
	check "$([ "$found" -gt 0 ] && echo 1 || echo 0)" \
		"self-test: the look-alikes are caught in $old_version, whose use_source() and materialize() did not pin search_path"
fi

att_checks_end
