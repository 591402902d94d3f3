#!/usr/bin/env bash
# The build-and-test matrix: the whole test suite (test/run-all.sh: the build
# with warnings as errors against that version's headers, pg_regress, the
# libpq driver's property and fuzz tests, the pg_dump round trip, sqlsmith,
# concurrency, the upgrade chain, flat memory) on every supported PostgreSQL
# major version.  Prints "N passed, N failed" per version and ends with one
# summary line of that form.
#
#   bash test/matrix.sh                      # 15 17 18
#   bash test/matrix.sh 17                   # one version
#   bash test/matrix.sh --run 17 COMMAND...  # a command in the root of 17, in
#                                            # the checkout, with PG_MAJOR=17
#
# A version that the machine's own Debian release ships (15 on Debian 12) is
# tested on the machine itself, with the suite's default counts.  Any other
# runs inside a root of the Debian suite that ships it (17: trixie, 18: forky),
# made with mmdebstrap from the mirror named by the machine's apt sources and
# kept between runs under ATTR_MATRIX_CACHE; a root older than
# ATTR_MATRIX_MAX_AGE days, or made from another mirror or package list, is
# made again.  In a root, the checkout is mounted at /src and the tests run
# with reduced fuzzing counts.  Mounts live in a private mount namespace, so
# they vanish with the run whatever way it ends.  Needs root (as CI runs).
#
# Environment:
#   ATTR_MATRIX_CACHE       where the roots are kept (default /var/cache/attribution-matrix)
#   ATTR_MATRIX_MAX_AGE     days after which a root is made again (default 7)
#   ATTR_MATRIX_MIRROR      Debian mirror (default: the one of the apt sources)
#   ATTR_MATRIX_SUITE_<N>   the suite for version N (defaults above)
#   ATTR_MATRIX_FUZZ_QUERIES     sqlsmith queries per version in a root (default 2000)
#   ATTR_MATRIX_FUZZ_ITERATIONS  the C fuzz driver's inputs per target in a root (default 200)
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
PG_MAJOR=15	# only for the helpers of lib.sh used here; each run sets its own
. "$srcdir/test/lib.sh"

DEFAULT_VERSIONS="15 17 18"
CACHE=${ATTR_MATRIX_CACHE:-/var/cache/attribution-matrix}
MAX_AGE_DAYS=${ATTR_MATRIX_MAX_AGE:-7}
# bump when the way a root is made changes, so that cached roots are made again
ROOT_RECIPE=1

suite_of() {	# suite_of <major>: the Debian suite that ships it
	local var=ATTR_MATRIX_SUITE_$1
	if [ -n "${!var:-}" ]; then
		echo "${!var}"
		return
	fi
	case $1 in
		15) echo bookworm ;;
		17) echo trixie ;;
		18) echo forky ;;
		*) return 1 ;;
	esac
}

host_codename() {
	(. /etc/os-release && echo "${VERSION_CODENAME:-}")
}

# The Debian mirror of the machine's apt configuration: the archive that serves
# the machine's own release (not the security archive).
debian_mirror() {
	local codename uri
	if [ -n "${ATTR_MATRIX_MIRROR:-}" ]; then
		echo "$ATTR_MATRIX_MIRROR"
		return
	fi
	codename=$(host_codename)
	uri=$(apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk -v c="$codename" '$2 == c { print $1; exit }')
	if [ -z "$uri" ]; then
		echo "no Debian mirror for $codename in the apt sources; set ATTR_MATRIX_MIRROR" >&2
		return 1
	fi
	echo "${uri%/}"
}

root_packages() {	# root_packages <major>
	echo "postgresql-$1 postgresql-server-dev-$1 libpq-dev gcc make sqlsmith"
}

# mmdebstrap's options; part of the cache key
ROOT_OPTIONS=(--variant=apt
	# Snapshot mirrors serve Release files past their Valid-Until date
	# (testing's lasts a week); the signatures are still checked.
	'--aptopt=Acquire::Check-Valid-Until "false"'
	# dpkg without fsync (the root is made again if anything goes wrong)
	--hook-directory=/usr/share/mmdebstrap/hooks/eatmydata)

# ensure_root <major>: make the root of that version unless a fresh one is
# cached; prints its path
ensure_root() {
	local major=$1 suite mirror root stamp want age now same=0
	suite=$(suite_of "$major")
	mirror=$(debian_mirror)
	root=$CACHE/pg$major-$suite
	stamp=$root.stamp
	want=$(printf 'recipe=%s\nsuite=%s\nmirror=%s\npackages=%s\noptions=%s\n' \
		"$ROOT_RECIPE" "$suite" "$mirror" "$(root_packages "$major")" "${ROOT_OPTIONS[*]}")
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock-pg$major"
	flock 9	# one maker per root at a time
	now=$(date +%s)
	if [ -d "$root" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		same=1
		age=$(( (now - $(stat -c %Y "$stamp")) / 86400 ))
		if [ "$age" -lt "$MAX_AGE_DAYS" ]; then
			att_log "PostgreSQL $major: cached root $root ($age days old)"
			exec 9>&-
			echo "$root"
			return 0
		fi
		att_log "PostgreSQL $major: the cached root is $age days old; making it again"
	elif [ -d "$root" ]; then
		att_log "PostgreSQL $major: the cached root was made another way; making it again"
	fi
	att_need_packages mmdebstrap >&2
	att_log "PostgreSQL $major: making a root of Debian $suite from $mirror"
	rm -rf --one-file-system "$root.new"
	# In a mount namespace of its own, the mounts mmdebstrap makes in the new
	# root go away with it even when it is killed; the system's PATH, so that
	# its Python helpers run with the system's Python.
	if ! unshare --mount --propagation private -- \
		env PATH=/usr/sbin:/usr/bin:/sbin:/bin mmdebstrap "${ROOT_OPTIONS[@]}" \
		--include="$(root_packages "$major" | tr ' ' ',')" \
		"$suite" "$root.new" "$mirror" >"$CACHE/pg$major-$suite.log" 2>&1; then
		tail -n 30 "$CACHE/pg$major-$suite.log" >&2
		rm -rf --one-file-system "$root.new"
		exec 9>&-
		if [ "$same" = 1 ]; then
			# the mirror is unreachable, say: an old root is better than none
			att_log "PostgreSQL $major: making the root failed; using the old one"
			echo "$root"
			return 0
		fi
		return 1
	fi
	rm -rf --one-file-system "$root" "$stamp"
	mv "$root.new" "$root"
	echo "$want" >"$stamp"
	exec 9>&-
	echo "$root"
}

# in_root <root> <major> <command...>: run a command as root inside the root,
# in the checkout mounted at /src, with a scratch /tmp of its own
in_root() {
	local root=$1 major=$2 scratch rc var
	shift 2
	local -a envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
		LANG=C.UTF-8 PG_MAJOR="$major" CI="${CI:-}")
	# the settings of the tests and benchmarks, less the paths of this machine
	for var in $(compgen -v | grep -E '^(ATTR|BENCH|DEMO)_' || true); do
		case $var in
			ATTR_WORK|ATTR_ROOT|ATTR_SOCK|ATTR_DATA|ATTR_BINDIR|ATTR_LOG|ATTR_REUSE_CLUSTER|ATTR_MATRIX_*) ;;
			*) envs+=("$var=${!var}") ;;
		esac
	done
	scratch=$(mktemp -d "${TMPDIR:-/var/tmp}/attribution-matrix.XXXXXX")
	chmod 1777 "$scratch"
	set +e
	unshare --mount --propagation private -- bash -c '
		set -e
		root=$1 src=$2 scratch=$3
		shift 3
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		mkdir -p "$root/src"
		mount --bind "$src" "$root/src"
		mount --bind "$scratch" "$root/tmp"
		exec chroot "$root" /usr/bin/env -i "$@"
	' in-root "$root" "$srcdir" "$scratch" "${envs[@]}" bash -c 'cd /src && exec "$@"' - "$@"
	rc=$?
	set -e
	rm -rf --one-file-system "$scratch"
	return "$rc"
}

# on_host <major>: whether the machine's own release ships that version
on_host() {
	[ "$(suite_of "$1")" = "$(host_codename)" ]
}

# The whole run is one function, read before it starts: editing or updating
# this file during a run cannot change what the run does.
main() {
	if [ "${1:-}" = --run ]; then
		[ $# -ge 3 ] || { echo "usage: $0 --run VERSION COMMAND [ARGUMENT...]" >&2; return 2; }
		major=$2
		shift 2
		suite_of "$major" >/dev/null || { echo "unsupported PostgreSQL version: $major" >&2; return 2; }
		if on_host "$major"; then
			cd "$srcdir"
			PG_MAJOR=$major exec "$@"
		fi
		root=$(ensure_root "$major")
		in_root "$root" "$major" "$@"
		return
	fi

	versions=${*:-$DEFAULT_VERSIONS}
	for major in $versions; do
		suite_of "$major" >/dev/null || { echo "unsupported PostgreSQL version: $major (supported: $DEFAULT_VERSIONS)" >&2; return 2; }
	done
	if [ "$(id -u)" != 0 ]; then
		for major in $versions; do
			on_host "$major" || { echo "PostgreSQL $major is tested in a root of another Debian suite: run as root" >&2; return 2; }
		done
	fi

	matrix_start=$(date +%s)
	logdir=$(mktemp -d "${TMPDIR:-/tmp}/attribution-matrix-logs.XXXXXX")
	trap 'rm -rf "$logdir"' EXIT
	for major in $versions; do
		on_host "$major" || { att_need_packages mmdebstrap; break; }
	done
	# Make (or find) every root first, in the background, while the first
	# versions run: making one mostly waits on the network and the disk.
	for major in $versions; do
		on_host "$major" && continue
		( set +e; ensure_root "$major" >"$logdir/pg$major.root"; echo $? >"$logdir/pg$major.rc" ) &
		echo $! >"$logdir/pg$major.pid"
	done
	total_passed=0
	total_failed=0
	summary=()
	for major in $versions; do
		log=$logdir/pg$major.log
		start=$(date +%s)
		rc=0
		if on_host "$major"; then
			where="on this machine"
			att_log "PostgreSQL $major: the whole suite $where"
			set +e
			PG_MAJOR=$major bash "$srcdir/test/run-all.sh" 2>&1 | tee "$log"
			rc=${PIPESTATUS[0]}
			set -e
		else
			where="in a root of Debian $(suite_of "$major")"
			wait "$(cat "$logdir/pg$major.pid")" || true
			rc=$(cat "$logdir/pg$major.rc" 2>/dev/null || echo 1)
			root=$(cat "$logdir/pg$major.root" 2>/dev/null || true)
			ready=$(stat -c %Y "$logdir/pg$major.rc" 2>/dev/null || date +%s)
			where="$where (ready after $((ready - matrix_start)) s)"
			start=$(date +%s)
			if [ "$rc" = 0 ]; then
				att_log "PostgreSQL $major: the whole suite $where"
				set +e
				ATTR_FUZZ_QUERIES=${ATTR_MATRIX_FUZZ_QUERIES:-2000} \
					ATTR_FUZZ_ITERATIONS=${ATTR_MATRIX_FUZZ_ITERATIONS:-200} \
					in_root "$root" "$major" bash test/run-all.sh 2>&1 | tee "$log"
				rc=${PIPESTATUS[0]}
				set -e
			else
				echo "the root of PostgreSQL $major could not be made" >"$log"
			fi
		fi
		read -r p f < <(att_summary_counts "$log")
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
		total_passed=$((total_passed + p))
		total_failed=$((total_failed + f))
		summary+=("PostgreSQL $major, $where, suite in $(( $(date +%s) - start )) s: $p passed, $f failed")
	done

	att_log "matrix"
	for line in "${summary[@]}"; do
		echo "$line"
	done
	echo "$total_passed passed, $total_failed failed"
	[ "$total_failed" = 0 ]
}

main "$@"
exit
