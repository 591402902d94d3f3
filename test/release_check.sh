#!/usr/bin/env bash
# Release hygiene: the files that state the version and the supported
# PostgreSQL versions agree, META.json follows the PGXN meta spec 1.0.0, and
# `make dist` builds an archive that holds what a distribution needs and
# builds.
#
#   bash test/release_check.sh
#
# The version V is default_version in attribution.control; V is released
# when its install script is frozen in release/.  Checked:
# - META.json: the required keys of the spec and no unknown ones, name,
#   version V, license "postgresql" (and LICENSE is the PostgreSQL License),
#   provides attribution with version V and files that exist, meta-spec
#   1.0.0, release_status "stable" exactly when V is released, and the
#   supported PostgreSQL versions (x_postgresql_versions; the oldest is
#   prereqs.runtime.requires.PostgreSQL);
# - CHANGELOG.md: the newest heading is V, dated when V is released and
#   "(unreleased)" otherwise; every released version has a dated heading;
# - README.md: "Version V" (with "(unreleased" when it is not released);
#   CONTRIBUTING.md: "The current version is V";
# - "Supported PostgreSQL versions: A, B and C" is written once in README.md
#   and CONTRIBUTING.md, and in the newest CHANGELOG.md section that has it,
#   with the versions of META.json;
# - make dist (in a git checkout): the archive is attribution-V.zip with
#   everything under attribution-V/, holds the control file (of version V),
#   the Makefile, META.json, LICENSE and src/, and the extension builds from
#   it alone.
#
# Needs no server.  Ends with "N passed, N failed".
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

att_need_packages jq unzip make gcc postgresql-server-dev-$PG_MAJOR

att_checks_begin release
# the text of a file on one line, so that a phrase may wrap
flat() { tr '\n' ' ' <"$1" | tr -s ' '; }
# the versions of every "Supported PostgreSQL versions: A, B and C" of a file, one line per phrase
supported() {
	flat "$1" | grep -oE 'Supported PostgreSQL versions: [0-9]+(, [0-9]+)*( and [0-9]+)?' |
		sed 's/^Supported PostgreSQL versions: //; s/ and /, /g; s/, / /g' || true
}

cd "$srcdir"
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" attribution.control)
check "$(yes_no test -n "$version")" "attribution.control has a default_version"
released=0
[ -f "release/attribution--$version.sql" ] && released=1
echo "release check: version $version, $([ $released = 1 ] && echo released || echo unreleased)"

# 1. META.json
meta=META.json
if jq -e . "$meta" >/dev/null 2>&1; then
	check 1 "META.json is valid JSON"
	j() { jq -r "$1" "$meta"; }
	for key in name abstract version maintainer license provides meta-spec; do
		check "$(yes_no test "$(jq --arg k "$key" 'has($k)' "$meta")" = true)" "META.json has the required key $key"
	done
	unknown=$(jq -r 'keys[] | select(test("^[xX]_.") | not)
		| select(IN("name","abstract","description","version","maintainer","license","provides","meta-spec",
					"generated_by","tags","no_index","prereqs","release_status","resources") | not)' "$meta")
	check "$(yes_no test -z "$unknown")" "META.json has only keys of the spec or custom x_ keys (unknown: $unknown)"
	check "$(yes_no test "$(j .name)" = attribution)" "META.json name is attribution"
	check "$(yes_no test "$(j .version)" = "$version")" "META.json version $(j .version) is the control file's $version"
	check "$(yes_no grep -qE '^[0-9]+\.[0-9]+\.[0-9]+$' <<<"$(j .version)")" "META.json version is a semantic version"
	check "$(yes_no test "$(j .license)" = postgresql)" "META.json license is postgresql"
	check "$(yes_no test "$(j '."meta-spec".version')" = 1.0.0)" "META.json meta-spec version is 1.0.0"
	check "$(yes_no test "$(j '.provides.attribution.version')" = "$version")" \
		"META.json provides attribution version $version"
	for key in file docfile; do
		f=$(j ".provides.attribution.$key")
		check "$(yes_no test -f "$f")" "META.json provides.attribution.$key ($f) is a file of the repository"
	done
	status=$(j .release_status)
	if [ $released = 1 ]; then
		check "$(yes_no test "$status" = stable)" "META.json release_status of a released version is stable (is $status)"
	else
		check "$(yes_no grep -qxE 'testing|unstable' <<<"$status")" \
			"META.json release_status of an unreleased version is testing or unstable (is $status)"
	fi
	meta_pg=$(jq -r '.x_postgresql_versions // [] | join(" ")' "$meta")
	check "$(yes_no test -n "$meta_pg")" "META.json lists the supported PostgreSQL versions (x_postgresql_versions)"
	oldest=$(tr ' ' '\n' <<<"$meta_pg" | sort -n | head -n 1)
	check "$(yes_no test "$(j '.prereqs.runtime.requires.PostgreSQL')" = "$oldest.0.0")" \
		"META.json requires PostgreSQL $oldest.0.0, the oldest supported version"
else
	check 0 "META.json is valid JSON"
	meta_pg=""
fi
check "$(yes_no grep -q '^PostgreSQL License' LICENSE)" "LICENSE is the PostgreSQL License"
check "$(yes_no grep -q 'Copyright (c) [0-9]*, The attribution authors' LICENSE)" "LICENSE names the attribution authors"

# 2. CHANGELOG.md
first=$(grep -m 1 '^## ' CHANGELOG.md || true)
if [ $released = 1 ]; then
	check "$(yes_no grep -qxE "## ${version//./\\.} \([0-9]{4}-[0-9]{2}-[0-9]{2}\)" <<<"$first")" \
		"CHANGELOG.md begins with the dated heading of the released $version (is: $first)"
else
	check "$(yes_no test "$first" = "## $version (unreleased)")" \
		"CHANGELOG.md begins with \"## $version (unreleased)\" (is: $first)"
fi
for f in release/attribution--*.sql; do
	v=${f#release/attribution--}
	v=${v%.sql}
	case "$v" in *--*) continue ;; esac
	check "$(yes_no grep -qE "^## ${v//./\\.} \([0-9]{4}-[0-9]{2}-[0-9]{2}\)$" CHANGELOG.md)" \
		"CHANGELOG.md has a dated heading for the released version $v"
done
dups=$(grep '^## ' CHANGELOG.md | awk '{ print $2 }' | sort | uniq -d)
check "$(yes_no test -z "$dups")" "CHANGELOG.md has one heading per version (twice: $dups)"

# 3. README.md and CONTRIBUTING.md
if [ $released = 1 ]; then
	check "$(yes_no grep -qE "Version ${version//./\\.}([^.0-9]|\.([^0-9]|\$)|\$)" <(flat README.md))" \
		"README.md says Version $version"
	check "$(yes_no test "$(flat README.md | grep -c "Version ${version} (unreleased" || true)" = 0)" \
		"README.md does not call the released $version unreleased"
else
	check "$(yes_no grep -q "Version $version (unreleased" <(flat README.md))" \
		"README.md says Version $version (unreleased"
fi
check "$(yes_no grep -q "The current version is $version" <(flat CONTRIBUTING.md))" \
	"CONTRIBUTING.md says The current version is $version"

# 4. the supported PostgreSQL versions
for f in README.md CONTRIBUTING.md; do
	n=$(supported "$f" | grep -c . || true)
	check "$(yes_no test "$n" = 1)" "$f states the supported PostgreSQL versions once (found $n)"
	got=$(supported "$f" | head -n 1)
	check "$(yes_no test "$got" = "$meta_pg")" "$f supports PostgreSQL $got, META.json $meta_pg"
done
got=$(supported CHANGELOG.md | head -n 1)
check "$(yes_no test "$got" = "$meta_pg")" "the newest CHANGELOG.md statement supports PostgreSQL $got, META.json $meta_pg"

# 5. make dist
if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	work=$(mktemp -d /tmp/attribution-dist.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	archive=$work/attribution-$version.zip
	if make -s -C "$srcdir" PG_CONFIG="$PG_CONFIG" DIST_ARCHIVE="$archive" dist >"$work/dist.log" 2>&1; then
		check 1 "make dist builds the archive"
		unzip -Z1 "$archive" >"$work/list"
		prefix="attribution-$version/"
		outside=$(grep -v "^$prefix" "$work/list" | head -n 3 || true)
		check "$(yes_no test -z "$outside")" "every file of the archive is under $prefix (not: $outside)"
		for f in attribution.control Makefile META.json LICENSE README.md CHANGELOG.md; do
			check "$(yes_no grep -qx "$prefix$f" "$work/list")" "the archive holds $f"
		done
		check "$(yes_no grep -q "^${prefix}src/.*\.c\$" "$work/list")" "the archive holds src/ with the C sources"
		check "$(yes_no grep -q "^${prefix}src/sql/.*\.sql\$" "$work/list")" "the archive holds src/sql/"
		git -C "$srcdir" ls-tree -r --name-only HEAD | sed "s|^|$prefix|" | LC_ALL=C sort >"$work/tracked"
		grep -v '/$' "$work/list" | LC_ALL=C sort >"$work/files"
		check "$(yes_no cmp -s "$work/tracked" "$work/files")" "the archive holds the files of HEAD and nothing else"
		dist_version=$(unzip -p "$archive" "${prefix}attribution.control" | sed -n "s/^default_version = '\(.*\)'/\1/p")
		check "$(yes_no test "$dist_version" = "$version")" "the archive's control file is of version $version"
		# the extension builds from the archive alone (the user's build: no -Werror)
		(cd "$work" && unzip -q "$archive")
		if make -s -C "$work/$prefix" PG_CONFIG="$PG_CONFIG" >"$work/build.log" 2>&1; then
			check "$(yes_no test -f "$work/${prefix}attribution.so" -a -f "$work/${prefix}attribution--$version.sql")" \
				"the extension builds from the archive"
		else
			tail -n 20 "$work/build.log"
			check 0 "the extension builds from the archive"
		fi
	else
		cat "$work/dist.log"
		check 0 "make dist builds the archive"
	fi
else
	echo "release check: not a git checkout, make dist not tried (not counted)"
fi

att_checks_end
