# Citus test cluster (sourced after test/lib.sh, not run).
#
# citus_build_cached   builds Citus from the vendored source tarball once,
#                      into a cache outside the checkout keyed by the
#                      tarball's sha256 and the PostgreSQL version; a second
#                      run finds the build there and skips it.
# citus_install        copies the cached build into the private PostgreSQL
#                      copy of test/lib.sh (att_build_install made it).
# citus_start          starts a coordinator and two workers with Citus
#                      loaded, adds the workers, and a plain single node
#                      (no Citus) to compare against; all on Unix sockets in
#                      the scratch folder, the Citus nodes also on the
#                      loopback interface (they connect to each other).
# citus_stop           stops the four servers (citus_start sets a trap).
# citus_attach         finds the servers that citus_start left running in
#                      $ATTR_WORK (ATTR_KEEP=1), for citus_psql and citus_stop.
# citus_setup          all of the above (with att_build_install).
#
# Environment:
#   ATTR_CITUS_TARBALL  the Citus source tarball (default:
#                       shared/vendor/citus-13.2.2.tar.gz beside the checkout
#                       or the nearest of its parents that has it, else beside
#                       the local repository it was cloned from)
#   ATTR_CITUS_PATCH    the patch for PostgreSQL 15.20 headers (default: next
#                       to the tarball); applied only when the headers need it
#   ATTR_CITUS_SHA256   the tarball's expected sha256 (default: from the
#                       SHA256SUMS file next to the tarball)
#   ATTR_CITUS_CACHE    the build cache (default /var/cache/attribution-citus,
#                       or ~/.cache/attribution-citus for a user who cannot
#                       write there)
#   ATTR_CITUS_PORT     the coordinator's port; the workers take the next two
#                       (default ATTR_PORT + 1)
#   ATTR_PORT           the single node's port (test/lib.sh; it listens on its
#                       socket only)

# the nearest shared/vendor beside dir or beside one of its parents; empty
# when there is none
vendor_near() {
	local dir=$1
	while [ -n "$dir" ] && [ "$dir" != / ]; do
		dir=$(dirname "$dir")
		if [ -d "$dir/shared/vendor" ]; then
			echo "$dir/shared/vendor"
			return
		fi
	done
}

citus_defaults() {
	local srcdir=$1 vendor origin
	# beside the checkout, or beside the local repository it was cloned from
	vendor=$(vendor_near "$srcdir")
	if [ -z "$vendor" ]; then
		origin=$(git -C "$srcdir" remote get-url origin 2>/dev/null || true)
		if [ -n "$origin" ] && [ -d "$origin" ]; then
			vendor=$(vendor_near "$(cd "$origin" && pwd)")
		fi
	fi
	vendor=${vendor:-$srcdir/../shared/vendor}
	ATTR_CITUS_TARBALL=${ATTR_CITUS_TARBALL:-$vendor/citus-13.2.2.tar.gz}
	ATTR_CITUS_PATCH=${ATTR_CITUS_PATCH:-$(dirname "$ATTR_CITUS_TARBALL")/citus-13.2.2-pg15.20.patch}
	if [ -z "${ATTR_CITUS_CACHE:-}" ]; then
		if [ "$(id -u)" = 0 ] || [ -w /var/cache/attribution-citus ]; then
			ATTR_CITUS_CACHE=/var/cache/attribution-citus
		else
			ATTR_CITUS_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/attribution-citus
		fi
	fi
	export ATTR_CITUS_TARBALL ATTR_CITUS_PATCH ATTR_CITUS_CACHE
}

# the tarball's sha256 after checking it against the expected one
citus_verify_tarball() {
	local expected actual sums
	if [ ! -f "$ATTR_CITUS_TARBALL" ]; then
		echo "the Citus source tarball is missing: $ATTR_CITUS_TARBALL (set ATTR_CITUS_TARBALL)" >&2
		return 1
	fi
	expected=${ATTR_CITUS_SHA256:-}
	if [ -z "$expected" ]; then
		sums=$(dirname "$ATTR_CITUS_TARBALL")/SHA256SUMS
		if [ -f "$sums" ]; then
			expected=$(awk -v f="$(basename "$ATTR_CITUS_TARBALL")" '$2 == f || $2 == "*" f { print $1 }' "$sums")
		fi
	fi
	if [ -z "$expected" ]; then
		echo "no checksum for $ATTR_CITUS_TARBALL (a SHA256SUMS file next to it, or ATTR_CITUS_SHA256)" >&2
		return 1
	fi
	actual=$(sha256sum "$ATTR_CITUS_TARBALL" | awk '{ print $1 }')
	if [ "$actual" != "$expected" ]; then
		echo "checksum mismatch for $ATTR_CITUS_TARBALL: $actual, expected $expected" >&2
		return 1
	fi
	echo "$actual"
}

citus_install_build_packages() {
	att_need_packages postgresql-server-dev-$PG_MAJOR gcc make patch liblz4-dev libzstd-dev libkrb5-dev \
		libssl-dev libselinux1-dev libxml2-dev libxslt1-dev libreadline-dev libpam0g-dev zlib1g-dev libicu-dev
}

# the cache folder of this tarball and PostgreSQL version (built if missing)
citus_build_cached() {
	local sha pgver key tmp rc=0 jobs
	citus_install_build_packages
	sha=$(citus_verify_tarball) || return 1
	pgver=$("$PG_CONFIG" --version | awk '{ print $2 }')
	key=$ATTR_CITUS_CACHE/${sha:0:12}-pg$pgver
	CITUS_BUILD=$key
	export CITUS_BUILD
	if [ -f "$key/complete" ]; then
		att_log "Citus: cached build $key"
		return 0
	fi
	mkdir -p "$ATTR_CITUS_CACHE"
	# one build at a time; a second caller waits and then finds it done
	exec 9>"$ATTR_CITUS_CACHE/.lock"
	flock 9
	if [ -f "$key/complete" ]; then
		flock -u 9
		att_log "Citus: cached build $key"
		return 0
	fi
	att_log "Citus: building $(basename "$ATTR_CITUS_TARBALL") for PostgreSQL $pgver into $key"
	tmp=$(mktemp -d "$ATTR_CITUS_CACHE/.build.XXXXXX")
	jobs=$(nproc 2>/dev/null || echo 2)
	(
		set -e
		cd "$tmp"
		tar xzf "$ATTR_CITUS_TARBALL"
		cd citus-*/
		# PostgreSQL 15.20 exports have_createdb_privilege(), which Citus
		# 13.2.2 also defines: patch only headers that declare it
		if grep -q 'have_createdb_privilege' "$("$PG_CONFIG" --includedir-server)/commands/dbcommands.h"; then
			patch -s -p1 <"$ATTR_CITUS_PATCH"
		fi
		./configure -q PG_CONFIG="$PG_CONFIG" --without-libcurl >"$tmp/configure.log" 2>&1
		make -s -j"$jobs" with_llvm=no >"$tmp/make.log" 2>&1
		make -s install with_llvm=no DESTDIR="$tmp/stage" >"$tmp/install.log" 2>&1
		date -u +%FT%TZ >"$tmp/stage.built"
	) || rc=$?
	if [ "$rc" != 0 ]; then
		echo "Citus build failed; last lines of its logs:" >&2
		tail -n 30 "$tmp"/*.log >&2 || true
		rm -rf "$tmp"
		flock -u 9
		return 1
	fi
	rm -rf "$key"
	mkdir -p "$key"
	mv "$tmp/stage" "$key/stage"
	mv "$tmp/stage.built" "$key/complete"
	rm -rf "$tmp"
	flock -u 9
	att_log "Citus: built into $key"
}

# copy the cached build into the private PostgreSQL copy ($ATTR_ROOT)
citus_install() {
	cp -a "$CITUS_BUILD/stage/usr/." "$ATTR_ROOT/usr/"
	chmod -R a+rX "$ATTR_ROOT"
}

# citus_init_node <name> <port> <preload: 0 or 1>
citus_init_node() {
	local name=$1 port=$2 preload=$3 data=$CITUS_WORK/$1
	mkdir -p "$data"
	if [ "$(id -u)" = 0 ]; then chown postgres "$data"; fi
	att_as_owner "$ATTR_BINDIR/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
	{
		echo "port = $port"
		echo "unix_socket_directories = '$CITUS_SOCK'"
		if [ "$preload" = 1 ]; then
			echo "listen_addresses = '127.0.0.1'"
		else
			echo "listen_addresses = ''"
		fi
		echo "max_connections = 100"
		echo "shared_buffers = 64MB"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		if [ "$preload" = 1 ]; then
			echo "shared_preload_libraries = 'citus'"
			echo "max_prepared_transactions = 100"
			echo "wal_level = logical"
		fi
	} | att_as_owner tee -a "$data/postgresql.conf" >/dev/null
	att_as_owner "$ATTR_BINDIR/pg_ctl" -D "$data" -w -l "$CITUS_WORK/log/$name.log" start >/dev/null
}

citus_start() {
	local n
	CITUS_WORK=$ATTR_WORK/citus
	CITUS_SOCK=$CITUS_WORK/sock
	# the single node listens on its Unix socket only, so it may share the
	# port number of test/lib.sh's cluster (whose socket is elsewhere)
	CITUS_SINGLE_PORT=${CITUS_SINGLE_PORT:-$ATTR_PORT}
	CITUS_COORD_PORT=${ATTR_CITUS_PORT:-$((ATTR_PORT + 1))}
	CITUS_WORKER1_PORT=$((CITUS_COORD_PORT + 1))
	CITUS_WORKER2_PORT=$((CITUS_COORD_PORT + 2))
	export CITUS_WORK CITUS_SOCK CITUS_SINGLE_PORT CITUS_COORD_PORT CITUS_WORKER1_PORT CITUS_WORKER2_PORT
	rm -rf "$CITUS_WORK"
	mkdir -p "$CITUS_SOCK" "$CITUS_WORK/log"
	chmod 755 "$CITUS_WORK"
	if [ "$(id -u)" = 0 ]; then chown postgres "$CITUS_SOCK" "$CITUS_WORK/log"; fi
	trap citus_cleanup EXIT
	# an interrupted run stops its servers too (exit runs the EXIT trap)
	trap 'exit 130' INT
	trap 'exit 143' TERM
	att_log "Citus: starting single node :$CITUS_SINGLE_PORT, coordinator :$CITUS_COORD_PORT, workers :$CITUS_WORKER1_PORT :$CITUS_WORKER2_PORT (socket $CITUS_SOCK)"
	citus_init_node single "$CITUS_SINGLE_PORT" 0
	citus_init_node coordinator "$CITUS_COORD_PORT" 1
	citus_init_node worker1 "$CITUS_WORKER1_PORT" 1
	citus_init_node worker2 "$CITUS_WORKER2_PORT" 1
	for n in "$CITUS_COORD_PORT" "$CITUS_WORKER1_PORT" "$CITUS_WORKER2_PORT"; do
		citus_psql "$n" -d postgres -c "CREATE EXTENSION citus"
	done
	citus_psql "$CITUS_COORD_PORT" -d postgres \
		-c "SELECT citus_set_coordinator_host('localhost', $CITUS_COORD_PORT)" \
		-c "SELECT citus_add_node('localhost', $CITUS_WORKER1_PORT)" \
		-c "SELECT citus_add_node('localhost', $CITUS_WORKER2_PORT)" >/dev/null
}

citus_attach() {
	local conf
	ATTR_ROOT=$ATTR_WORK/root
	ATTR_BINDIR=$ATTR_ROOT/usr/lib/postgresql/$PG_MAJOR/bin
	CITUS_WORK=$ATTR_WORK/citus
	CITUS_SOCK=$CITUS_WORK/sock
	for conf in single:CITUS_SINGLE_PORT coordinator:CITUS_COORD_PORT worker1:CITUS_WORKER1_PORT worker2:CITUS_WORKER2_PORT; do
		if [ ! -f "$CITUS_WORK/${conf%%:*}/postgresql.conf" ]; then
			echo "no servers in $CITUS_WORK" >&2
			return 1
		fi
		printf -v "${conf#*:}" '%s' "$(sed -n 's/^port = //p' "$CITUS_WORK/${conf%%:*}/postgresql.conf" | tail -n 1)"
	done
	export ATTR_ROOT ATTR_BINDIR CITUS_WORK CITUS_SOCK CITUS_SINGLE_PORT CITUS_COORD_PORT CITUS_WORKER1_PORT CITUS_WORKER2_PORT
}

# citus_psql <port> [psql arguments]
citus_psql() {
	local port=$1
	shift
	att_psql -h "$CITUS_SOCK" -p "$port" -U postgres "$@"
}

citus_stop() {
	local n
	for n in single coordinator worker1 worker2; do
		if [ -f "$CITUS_WORK/$n/postmaster.pid" ]; then
			att_as_owner "$ATTR_BINDIR/pg_ctl" -D "$CITUS_WORK/$n" -m fast stop >/dev/null 2>&1 || true
		fi
	done
}

citus_cleanup() {
	if [ -n "${CITUS_WORK:-}" ]; then
		citus_stop
	fi
	# the caller's own cluster and scratch folder (test/lib.sh), unless reused
	if [ "${ATTR_REUSE_CLUSTER:-0}" != 1 ]; then
		att_cleanup
	fi
}

# the whole set-up: packages, the extension and Citus in a private copy of
# PostgreSQL, the four servers
citus_setup() {
	local srcdir=$1
	export PG_CFLAGS=${PG_CFLAGS:-$ATT_TEST_CFLAGS}
	citus_defaults "$srcdir"
	att_install_base_packages
	citus_build_cached
	if [ "${ATTR_REUSE_CLUSTER:-0}" = 1 ] && [ -n "${ATTR_BINDIR:-}" ]; then
		: # test/run-all.sh built and installed the extension into $ATTR_ROOT
	else
		att_make_workdir
		att_build_install "$srcdir"
	fi
	citus_install
	citus_start
}
