#!/usr/bin/env bash
# Writes doc/reference.md from the catalog: every type, function, aggregate,
# table, view and setting of the extension with its COMMENT and the version
# that added it.
#
#   bash test/gen_reference.sh            # regenerate doc/reference.md
#   bash test/gen_reference.sh --check    # compare it with a fresh install
#
# How: in one database, install the oldest version of the extension and
# update it one version at a time to the newest, recording after each step
# the objects that appeared (the "added in" column); then, in a database with
# a fresh install of the newest version, write the reference with
# test/reference.sql.  --check writes it to a scratch file and compares it
# with doc/reference.md, ending with "N passed, N failed".
#
# Sets up its own cluster like test/run-all.sh, or reuses the caller's
# (ATTR_REUSE_CLUSTER=1).
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

mode=write
case "${1:-}" in
	--check) mode=check ;;
	"") ;;
	*) echo "usage: bash test/gen_reference.sh [--check]" >&2; exit 2 ;;
esac

att_setup_or_reuse "$srcdir"
out=$ATTR_WORK/reference
rm -rf "$out"
mkdir -p "$out"
chmod 755 "$out"

# every session of this script: UTC and no notices, so that the text is stable
export PGTZ=UTC PGOPTIONS="-c client_min_messages=warning"
walk_db=attribution_reference_walk
fresh_db=attribution_reference_fresh
for db in $walk_db $fresh_db; do
	att_psql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
done

# 1. the walk: the oldest version, then each update in turn
att_psql -d $walk_db -At >"$out/added.tsv" <<'SQL'
CREATE TEMP TABLE ref_added (kind text, ident text, version text, PRIMARY KEY (kind, ident));
CREATE TEMP VIEW ref_versions AS
SELECT version, row_number() OVER (ORDER BY string_to_array(regexp_replace(version, '[^0-9.]', '', 'g'), '.')::int[]) AS n
FROM pg_available_extension_versions WHERE name = 'attribution';
-- record the objects present now that are not recorded yet, under version v
CREATE FUNCTION pg_temp.record(v text) RETURNS void LANGUAGE sql AS $$
INSERT INTO ref_added
SELECT 'function', p.oid::regprocedure::text, v FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
UNION ALL
SELECT CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END, c.oid::regclass::text, v FROM pg_class c
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT 'type', t.oid::regtype::text, v FROM pg_type t
JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution'
ON CONFLICT DO NOTHING
$$;
SELECT CASE WHEN n = 1 THEN format('CREATE EXTENSION attribution VERSION %L', version)
			ELSE format('ALTER EXTENSION attribution UPDATE TO %L', version) END,
	   format('SELECT pg_temp.record(%L)', version)
FROM ref_versions ORDER BY n
\gexec
SELECT 'walked: ' || string_agg(version, ' ' ORDER BY n) FROM ref_versions;
COPY ref_added TO STDOUT;
SQL
grep '^walked: ' "$out/added.tsv" >&2 || true
grep -v -e "^walked: " -e "^$" "$out/added.tsv" >"$out/added.copy" || true

# 2. the reference, from a fresh install of the newest version
att_psql -d $fresh_db -At -o "$out/reference.md" <<SQL
CREATE EXTENSION attribution;
CREATE TEMP TABLE ref_added (kind text, ident text, version text);
\\copy ref_added FROM '$out/added.copy'
\\i $srcdir/test/reference.sql
SQL
for db in $walk_db $fresh_db; do
	att_psql -d postgres -c "DROP DATABASE $db"
done

if [ "$mode" = write ]; then
	cp "$out/reference.md" "$srcdir/doc/reference.md"
	echo "wrote doc/reference.md ($(wc -l <"$out/reference.md") lines)"
	exit 0
fi
if diff -u "$srcdir/doc/reference.md" "$out/reference.md"; then
	echo "doc/reference.md is up to date with the catalog of a fresh install"
	echo "1 passed, 0 failed"
else
	echo "FAILED [reference]: doc/reference.md differs from the catalog (diff above);" \
		"regenerate it with: bash test/gen_reference.sh"
	echo "0 passed, 1 failed"
	exit 1
fi
