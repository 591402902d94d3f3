# Shared set-up for the test and demo commands (sourced, not run).
#
# att_setup_or_reuse installs the Debian packages that are missing, builds the
# extension, installs it into a private copy of the PostgreSQL installation
# (so nothing outside the scratch folder is touched and several checkouts can
# be tested at once), and starts a throwaway cluster as an unprivileged user
# on a Unix socket inside the scratch folder.  The cluster is stopped and the
# scratch folder removed on exit (ATTR_KEEP=1 keeps it).
#
# Environment:
#   PG_MAJOR     PostgreSQL major version (default 15)
#   ATTR_PORT    port number of the throwaway cluster (default: derived from the PID)
#   ATTR_WORK    scratch folder (default: a new folder under /tmp)
#   PG_CFLAGS    extra compiler flags for the build

PG_MAJOR=${PG_MAJOR:-15}
PG_BINDIR=/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PG_BINDIR/pg_config

att_log() { printf '== %s\n' "$*" >&2; }

att_need_packages() {
	local missing="" pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $pkg"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing Debian packages:$missing (run as root, or install them first)" >&2
		return 1
	fi
	att_log "installing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# the server and its headers in one call, so that their minor versions match
	apt-get install -y -qq postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR $missing >/dev/null
}

att_install_base_packages() {
	att_need_packages postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR libpq-dev gcc make
}

# run a command as the unprivileged owner of the cluster
att_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

att_make_workdir() {
	if [ -z "${ATTR_WORK:-}" ]; then
		ATTR_WORK=$(mktemp -d /tmp/attribution.XXXXXX)
	fi
	mkdir -p "$ATTR_WORK"
	chmod 755 "$ATTR_WORK"
	ATTR_ROOT=$ATTR_WORK/root
	ATTR_SOCK=$ATTR_WORK/sock
	ATTR_DATA=$ATTR_WORK/data
	ATTR_PORT=${ATTR_PORT:-$((20000 + $$ % 20000))}
	export ATTR_WORK ATTR_ROOT ATTR_SOCK ATTR_DATA ATTR_PORT
}

# build and install into a private copy of the server installation
att_build_install() {
	local srcdir=$1
	att_log "building (PG_CFLAGS=${PG_CFLAGS:-})"
	make -C "$srcdir" -s PG_CONFIG="$PG_CONFIG" PG_CFLAGS="${PG_CFLAGS:-}" clean >/dev/null
	make -C "$srcdir" -s PG_CONFIG="$PG_CONFIG" PG_CFLAGS="${PG_CFLAGS:-}" all
	rm -rf "$ATTR_ROOT"
	mkdir -p "$ATTR_ROOT/usr/lib/postgresql" "$ATTR_ROOT/usr/share/postgresql"
	cp -a "/usr/lib/postgresql/$PG_MAJOR" "$ATTR_ROOT/usr/lib/postgresql/"
	cp -a "/usr/share/postgresql/$PG_MAJOR" "$ATTR_ROOT/usr/share/postgresql/"
	make -C "$srcdir" -s PG_CONFIG="$PG_CONFIG" PG_CFLAGS="${PG_CFLAGS:-}" DESTDIR="$ATTR_ROOT" install >/dev/null
	chmod -R a+rX "$ATTR_ROOT"
	ATTR_BINDIR=$ATTR_ROOT/usr/lib/postgresql/$PG_MAJOR/bin
	export ATTR_BINDIR
}

att_start_cluster() {
	att_log "starting a throwaway cluster on socket $ATTR_SOCK port $ATTR_PORT"
	mkdir -p "$ATTR_SOCK" "$ATTR_DATA" "$ATTR_WORK/log"
	if [ "$(id -u)" = 0 ]; then chown postgres "$ATTR_SOCK" "$ATTR_DATA" "$ATTR_WORK/log"; fi
	ATTR_LOG=$ATTR_WORK/log/server.log
	export ATTR_LOG
	att_as_owner "$ATTR_BINDIR/initdb" -D "$ATTR_DATA" -U postgres -A trust -E UTF8 --locale=C >/dev/null
	# ATTR_SERVER_ENV: VAR=value words for the server's environment (test/sanitize.sh)
	# shellcheck disable=SC2086
	att_as_owner env ${ATTR_SERVER_ENV:-} "$ATTR_BINDIR/pg_ctl" -D "$ATTR_DATA" -w -l "$ATTR_LOG" \
		-o "-k $ATTR_SOCK -p $ATTR_PORT -c listen_addresses= ${ATTR_SERVER_OPTS:-}" start >/dev/null
	export PGHOST=$ATTR_SOCK PGPORT=$ATTR_PORT PGUSER=postgres
	trap att_cleanup EXIT
}

att_cleanup() {
	if [ -n "${ATTR_DATA:-}" ] && [ -f "$ATTR_DATA/postmaster.pid" ]; then
		att_as_owner "$ATTR_BINDIR/pg_ctl" -D "$ATTR_DATA" -m fast stop >/dev/null 2>&1 || true
	fi
	if [ "${ATTR_KEEP:-0}" != 1 ] && [ -n "${ATTR_WORK:-}" ]; then
		rm -rf "$ATTR_WORK"
	fi
}

att_psql() {
	"$ATTR_BINDIR/psql" -X -v ON_ERROR_STOP=1 -q "$@"
}

# The flags of the test build (test/run-all.sh and the checks that run alone).
ATT_TEST_CFLAGS="-Wall -Wextra -Werror -DUSE_ASSERT_CHECKING -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers"

# For the checks that also run on their own (test/fuzz.sh, test/concurrency.sh,
# ...): reuse the cluster of the calling test/run-all.sh when it exports
# ATTR_REUSE_CLUSTER=1, otherwise install, build and start one as run-all does.
att_setup_or_reuse() {
	local srcdir=$1
	if [ "${ATTR_REUSE_CLUSTER:-0}" = 1 ] && [ -n "${ATTR_BINDIR:-}" ] && [ -n "${PGHOST:-}" ]; then
		return 0
	fi
	export PG_CFLAGS=${PG_CFLAGS:-$ATT_TEST_CFLAGS}
	att_install_base_packages
	att_make_workdir
	att_build_install "$srcdir"
	att_start_cluster
}

# the line "N passed, N failed" of a log, as "N N" (a missing line counts as a failure)
att_summary_counts() {
	local line rest
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1 || true)
	if [ -z "$line" ]; then
		echo "0 1"
		return
	fi
	rest=${line#*passed, }
	echo "${line%% passed*} ${rest%% failed*}"
}

# the server log from byte offset $1 on (what a check produced)
att_log_since() {
	tail -c +"$(( $1 + 1 ))" "$ATTR_LOG"
}

# Pass/fail counting, shared by the check scripts.  att_checks_begin <label>
# [verbose] sets passed and failed to 0; check <ok: 0 or 1> <what> counts one
# check and prints the failures (verbose=1: every check) under the label;
# count <passed> <failed> <what> adds the totals of a whole part (run-all);
# att_checks_end prints "N passed, N failed" and fails when a check failed,
# so that it can be the last command of a script.
att_checks_begin() {
	ATT_CHECK_LABEL=$1
	ATT_CHECK_VERBOSE=${2:-0}
	passed=0
	failed=0
}

check() {	# check <ok: 0 or 1> <what>
	if [ "$1" = 1 ]; then
		passed=$((passed + 1))
		if [ "$ATT_CHECK_VERBOSE" = 1 ]; then
			echo "ok [$ATT_CHECK_LABEL]: $2"
		fi
	else
		failed=$((failed + 1))
		echo "FAILED [$ATT_CHECK_LABEL]: $2"
	fi
}

count() {	# count <passed> <failed> <what>
	passed=$((passed + $1))
	failed=$((failed + $2))
	att_log "$3: $1 passed, $2 failed"
}

# 1 when the command succeeds, 0 otherwise (for check)
yes_no() { if "$@"; then echo 1; else echo 0; fi; }

att_checks_end() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
