#!/usr/bin/env bash
# The upgrade chain: for every released version (the full scripts kept in
# release/, see CONTRIBUTING.md "Versions and upgrading"), install it, store values of
# every type with it (test/upgrade_values.sql), ALTER EXTENSION UPDATE one
# step at a time along the update path to the newest version, check after
# every step that the stored values still read the same
# (test/upgrade_read.sql), and at the end compare the catalog of the updated
# database with a fresh install of the newest version (test/catalog.sql).
#
# Also, every run:
# - the stored values of every type survive pg_dump / pg_restore and a binary
#   COPY out and in (the types' I/O and send/receive functions);
# - the scripts in release/ begin with the guard against running them in psql;
#   a frozen copy of the current version equals the generated install script;
#   the installation has every released script and an update path from each;
# - a self-test of the comparison: a made-up older version (the current
#   script) with an empty update script must compare equal, and one whose
#   update script changes a function's cost must be caught.
#
#   bash test/upgrade.sh
#
# Sets up its own cluster like test/run-all.sh, or reuses the caller's
# (ATTR_REUSE_CLUSTER=1).  Ends with "N passed, N failed".
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

att_setup_or_reuse "$srcdir"
att_checks_begin upgrade

out=$ATTR_WORK/upgrade
rm -rf "$out"
mkdir -p "$out"
extdir=$ATTR_ROOT$("$PG_CONFIG" --sharedir)/extension
newest=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$srcdir/attribution.control")
guard='\echo Use "'

# 1. the scripts of the repository
for f in "$srcdir"/release/attribution--*.sql; do
	[ -e "$f" ] || continue
	# the first line that is not a comment or blank (awk: no pipe that could die of SIGPIPE under pipefail)
	first=$(awk '!/^--/ && !/^[[:space:]]*$/ { print; exit }' "$f")
	check "$(yes_no test "${first#"$guard"}" != "$first")" "$(basename "$f") begins with the \\echo guard"
	check "$(yes_no test -f "$extdir/$(basename "$f")")" "$(basename "$f") is installed"
done
make -C "$srcdir" -s PG_CONFIG="$PG_CONFIG" "attribution--$newest.sql" >/dev/null
if [ -f "$srcdir/release/attribution--$newest.sql" ]; then
	check "$(yes_no cmp -s "$srcdir/release/attribution--$newest.sql" "$srcdir/attribution--$newest.sql")" \
		"release/attribution--$newest.sql (frozen) equals the script generated from src/sql/"
fi

# the versions the installation has, oldest first
mapfile -t versions < <(cd "$extdir" && ls attribution--*.sql | grep -v -e '--.*--' |
	sed 's/^attribution--\(.*\)\.sql$/\1/' | sort -V)
echo "upgrade: versions ${versions[*]}, newest $newest"
check "$(yes_no test "${versions[-1]}" = "$newest")" "the newest installed version is the control file's ($newest)"

psql_db() { att_psql -d "$@"; }
fresh_catalog() {	# fresh_catalog <file>: the catalog of a fresh install of the newest version
	att_psql -d postgres -c "DROP DATABASE IF EXISTS attribution_upgrade_fresh" -c "CREATE DATABASE attribution_upgrade_fresh"
	psql_db attribution_upgrade_fresh -c "SET client_min_messages = warning" -c "CREATE EXTENSION attribution"
	psql_db attribution_upgrade_fresh -f "$srcdir/test/catalog.sql" >"$1"
	att_psql -d postgres -c "DROP DATABASE attribution_upgrade_fresh"
}
fresh_catalog "$out/fresh.catalog"
check "$(yes_no test -s "$out/fresh.catalog")" "the catalog of a fresh install is listed"

# chain <from>: install <from>, store values, update step by step, compare; returns the steps taken
steps_total=0
chain() {
	local from=$1 label=$2 path step db=attribution_upgrade_chain n=0
	att_psql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
	psql_db "$db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION attribution VERSION '$from'"
	psql_db "$db" -f "$srcdir/test/upgrade_values.sql" >/dev/null
	psql_db "$db" -f "$srcdir/test/upgrade_read.sql" >"$out/$label.values.before"
	path=$(psql_db "$db" -At -c "SELECT path FROM pg_extension_update_paths('attribution')
		WHERE source = '$from' AND target = '$newest'")
	if [ "$from" != "$newest" ] && [ -z "$path" ]; then
		check 0 "$label: an update path leads from $from to $newest"
		return
	fi
	IFS=- read -r -a steps <<<"${path//--/-}"
	for step in "${steps[@]:1}"; do
		# in a session that has the library loaded already, as a user's would
		# (its settings' prefix is then reserved, say)
		psql_db "$db" -c "SET client_min_messages = warning" -c "LOAD '\$libdir/attribution'" \
			-c "ALTER EXTENSION attribution UPDATE TO '$step'"
		psql_db "$db" -f "$srcdir/test/upgrade_read.sql" >"$out/$label.values.$step"
		check "$(yes_no cmp -s "$out/$label.values.before" "$out/$label.values.$step")" \
			"$label: values stored by $from read the same after the update to $step"
		n=$((n + 1))
	done
	psql_db "$db" -f "$srcdir/test/catalog.sql" >"$out/$label.catalog"
	att_psql -d postgres -c "DROP DATABASE $db"
	steps_total=$((steps_total + n))
	echo "upgrade: $label: $from to $newest in $n steps (${path:-no update needed})"
}

# 2. every released version, updated to the newest
for v in "${versions[@]}"; do
	chain "$v" "from-$v"
	if diff -u "$out/fresh.catalog" "$out/from-$v.catalog" >"$out/from-$v.diff"; then
		check 1 "from $v: the updated catalog equals a fresh install of $newest"
	else
		check 0 "from $v: the updated catalog differs from a fresh install of $newest (see below)"
		head -n 60 "$out/from-$v.diff"
	fi
done

# 3. the stored values survive pg_dump / pg_restore (text COPY through the
# types' input and output functions) and a binary COPY out and in (their
# send and receive functions)
src_db=attribution_upgrade_dump_src
dst_db=attribution_upgrade_dump_dst
att_psql -d postgres -c "DROP DATABASE IF EXISTS $src_db" -c "DROP DATABASE IF EXISTS $dst_db" \
	-c "CREATE DATABASE $src_db" -c "CREATE DATABASE $dst_db"
psql_db "$src_db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION attribution"
psql_db "$src_db" -f "$srcdir/test/upgrade_values.sql" >/dev/null
psql_db "$src_db" -f "$srcdir/test/upgrade_read.sql" >"$out/dump.values.before"
"$ATTR_BINDIR/pg_dump" -Fc -d "$src_db" -f "$out/values.dump"
"$ATTR_BINDIR/pg_restore" -d "$dst_db" "$out/values.dump"
psql_db "$dst_db" -f "$srcdir/test/upgrade_read.sql" >"$out/dump.values.restored"
check "$(yes_no cmp -s "$out/dump.values.before" "$out/dump.values.restored")" \
	"stored values of every type read the same after pg_dump and pg_restore"
if [ "$(id -u)" = 0 ]; then chown postgres "$out"; fi
psql_db "$dst_db" -At -c "SELECT format('COPY %s TO %L (FORMAT binary); TRUNCATE %s; COPY %s FROM %L (FORMAT binary);',
		c.oid::regclass, '$out/' || c.relname || '.bin', c.oid::regclass, c.oid::regclass, '$out/' || c.relname || '.bin')
	FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname LIKE 'upgrade%'" \
	>"$out/binary_copy.sql"
psql_db "$dst_db" -f "$out/binary_copy.sql" >/dev/null
psql_db "$dst_db" -f "$srcdir/test/upgrade_read.sql" >"$out/dump.values.binary"
check "$(yes_no cmp -s "$out/dump.values.before" "$out/dump.values.binary")" \
	"stored values of every type read the same after a binary COPY out and in"
att_psql -d postgres -c "DROP DATABASE $src_db" -c "DROP DATABASE $dst_db"

# 4. self-test of the comparison, with made-up versions installed next to the real ones
real_steps=$steps_total
selftest_old=0.0.0.1
selftest_bad=0.0.0.2
cp "$extdir/attribution--$newest.sql" "$extdir/attribution--$selftest_old.sql"
cp "$extdir/attribution--$newest.sql" "$extdir/attribution--$selftest_bad.sql"
printf '%s\n' "$guard""ALTER EXTENSION attribution UPDATE\" to load this file. \\quit" \
	"-- made up by test/upgrade.sh: changes nothing" >"$extdir/attribution--$selftest_old--$newest.sql"
some_function=$(grep -m1 -oE '^CREATE FUNCTION @extschema@\.[a-z_]+\([^)]*\)' "$extdir/attribution--$newest.sql" |
	sed 's/^CREATE FUNCTION //')
printf '%s\n' "$guard""ALTER EXTENSION attribution UPDATE\" to load this file. \\quit" \
	"-- made up by test/upgrade.sh: an update script that changes a label" \
	"ALTER FUNCTION $some_function COST 4321;" >"$extdir/attribution--$selftest_bad--$newest.sql"
chain "$selftest_old" selftest-same
check "$(yes_no cmp -s "$out/fresh.catalog" "$out/selftest-same.catalog")" \
	"self-test: an update that changes nothing compares equal"
chain "$selftest_bad" selftest-changed
diff "$out/fresh.catalog" "$out/selftest-changed.catalog" >"$out/selftest-changed.diff" || true
if grep -q '^> .*cost=4321' "$out/selftest-changed.diff"; then
	check 1 "self-test: an update that changes a function's cost is caught"
else
	check 0 "self-test: an update that changes a function's cost ($some_function) is not caught"
fi
rm -f "$extdir/attribution--$selftest_old"*.sql "$extdir/attribution--$selftest_bad"*.sql

released=$(( ${#versions[@]} ))
echo "upgrade: $released released version(s) installed, $real_steps real update steps verified" \
	"(plus 2 made-up steps of the self-test), catalog of $(wc -l <"$out/fresh.catalog") lines compared"
att_checks_end
