#!/usr/bin/env bash
# Runs every SQL example of README.md, CONTRIBUTING.md and doc/*.md, and
# compares the outputs the documents show.
#
#   bash test/doc_examples.sh [FILE.md ...]
#
# Each ```sql block of a document runs, with psql, in a database made for
# that document from a template with the extension and the demo data
# (generate_demo_data() with its defaults); the blocks of one document run in
# order in that database, each in a session of its own, so a block may use
# the tables an earlier one created.  Sessions use the time zone UTC.
#
# Markers, on the last non-blank line before the ```sql line:
#   <!-- norun: REASON -->   the block is not run (say why; use sparingly)
#   <!-- db: empty -->       the block runs in the document's second database,
#                            which has the extension but no demo data (for
#                            examples that load rows of their own)
# A ```text block right after a ```sql block (blank lines between allowed) is
# that block's output as psql prints it (aligned, with headers and row
# counts; trailing blanks are ignored), and must match.
#
# Roles an example creates are dropped after its document.  Sets up its own
# cluster like test/run-all.sh, or reuses the caller's
# (ATTR_REUSE_CLUSTER=1).  Ends with "N passed, N failed".
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

if [ $# -gt 0 ]; then
	docs=("$@")
else
	docs=()
	for f in README.md CONTRIBUTING.md doc/*.md; do
		[ -f "$srcdir/$f" ] && docs+=("$f")
	done
fi

att_setup_or_reuse "$srcdir"
out=$ATTR_WORK/doc_examples
rm -rf "$out"
mkdir -p "$out"
chmod 755 "$out"

export PGTZ=UTC PGOPTIONS="-c statement_timeout=300s -c client_min_messages=warning"
demo_tpl=attribution_doc_demo
empty_tpl=attribution_doc_empty
att_log "doc examples: making the template databases"
att_psql -d postgres -c "DROP DATABASE IF EXISTS $demo_tpl" -c "DROP DATABASE IF EXISTS $empty_tpl" \
	-c "CREATE DATABASE $empty_tpl" -c "CREATE DATABASE $demo_tpl"
att_psql -d $empty_tpl -c "SET client_min_messages = warning" -c "CREATE EXTENSION attribution"
att_psql -d $demo_tpl -c "SET client_min_messages = warning" -c "CREATE EXTENSION attribution" \
	-c "SELECT * FROM attribution.generate_demo_data()" >/dev/null

roles_now() {
	att_psql -d postgres -At -c "SELECT rolname FROM pg_roles" | LC_ALL=C sort
}
roles_before=$(roles_now)

att_checks_begin doc
skipped=0
n=0
for doc in "${docs[@]}"; do
	n=$((n + 1))
	dir=$out/$n
	mkdir -p "$dir"
	# split the document into blocks: K.sql, K.out (a documented output), K.info
	awk -v dir="$dir" '
	function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
	{
		line = $0
		# fences as CommonMark has them: up to 3 spaces, then ```; an opening
		# fence has an info string without backticks
		if (!infence && line ~ /^ ? ? ?```[^`]*$/) {
			lang = trim(substr(trim(line), 4))
			infence = 1
			target = ""
			if (lang == "sql") {
				k++
				kind = "run"; reason = ""
				if (lastline ~ /^<!-- norun:/) {
					kind = "norun"; reason = lastline
					sub(/^<!-- norun:[ \t]*/, "", reason); sub(/[ \t]*-->[ \t]*$/, "", reason)
				} else if (lastline ~ /^<!-- db: empty -->$/) {
					kind = "empty"
				}
				printf "%d\t%s\t%s\n", NR, kind, reason > (dir "/" k ".info")
				close(dir "/" k ".info")
				target = dir "/" k ".sql"
				printf "" > target
			} else if (lang == "text" && after_sql) {
				target = dir "/" k ".out"
				printf "" > target
			}
			next
		}
		if (infence && line ~ /^ ? ? ?```+[ \t]*$/) {
			infence = 0
			if (target != "") close(target)
			after_sql = (lang == "sql")
			lastline = trim(line)
			next
		}
		if (infence) {
			if (target != "") print line >> target
			next
		}
		if (trim(line) != "") { lastline = trim(line); after_sql = 0 }
	}' "$srcdir/$doc"

	ls "$dir"/*.info >/dev/null 2>&1 || continue	# no SQL block
	db=attribution_doc_$n
	db_empty=attribution_doc_${n}_empty
	att_psql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP DATABASE IF EXISTS $db_empty" \
		-c "CREATE DATABASE $db TEMPLATE $demo_tpl" -c "CREATE DATABASE $db_empty TEMPLATE $empty_tpl"
	for info in $(ls "$dir"/*.info 2>/dev/null | sort -V); do
		k=$(basename "$info" .info)
		IFS=$'\t' read -r line kind reason <"$info"
		where="$doc:$line"
		if [ "$kind" = norun ]; then
			if [ -z "$reason" ]; then
				echo "FAILED [doc]: $where: a norun marker without a reason"
				failed=$((failed + 1))
			else
				echo "not run: $where ($reason)"
				skipped=$((skipped + 1))
			fi
			continue
		fi
		target_db=$db
		[ "$kind" = empty ] && target_db=$db_empty
		set +e
		att_psql -d "$target_db" -P pager=off -f "$dir/$k.sql" >"$dir/$k.result" 2>"$dir/$k.err"
		rc=$?
		set -e
		if [ "$rc" != 0 ]; then
			echo "FAILED [doc]: $where: the example fails:"
			sed 's/^/    /' "$dir/$k.err" | head -n 20
			failed=$((failed + 1))
			continue
		fi
		if [ -f "$dir/$k.out" ]; then
			# compare without trailing blanks and without blank lines at the ends
			norm() { sed -e 's/[[:space:]]*$//' "$1" | awk 'NF { while (blank > 0) { print ""; blank-- } print; seen = 1; next } seen { blank++ }'; }
			if ! diff -u --label documented --label actual <(norm "$dir/$k.out") <(norm "$dir/$k.result") >"$dir/$k.diff"; then
				echo "FAILED [doc]: $where: the output differs from the documented one (- documented, + actual):"
				sed 's/^/    /' "$dir/$k.diff" | head -n 40
				failed=$((failed + 1))
				continue
			fi
			echo "ok: $where (output compared)"
		else
			echo "ok: $where"
		fi
		passed=$((passed + 1))
	done
	att_psql -d postgres -c "DROP DATABASE $db" -c "DROP DATABASE $db_empty"
	# the roles the examples created
	roles_after=$(roles_now)
	for role in $(LC_ALL=C comm -13 <(echo "$roles_before") <(echo "$roles_after")); do
		att_psql -d postgres -c "DROP ROLE $(printf '"%s"' "$role")"
	done
done
att_psql -d postgres -c "DROP DATABASE $demo_tpl" -c "DROP DATABASE $empty_tpl"

echo "doc examples: ${#docs[@]} documents, $passed blocks ran as documented, $failed failed, $skipped marked not to run"
att_checks_end
