#!/usr/bin/env bash
# The reporting layer through a real BI client's driver: connects with the
# PostgreSQL JDBC driver (Debian package libpostgresql-jdbc-java) and checks
# with DatabaseMetaData what a BI tool discovers (test/jdbc/BiMetadata.java):
# every reporting view listed with its remarks, every column described with
# a scalar JDBC type, the published views as a BI role sees them, a few rows.
#
# Plain JDBC cannot use a Unix socket, so this test starts a cluster of its
# own that listens on 127.0.0.1 only (port ATTR_JDBC_PORT, default the test
# cluster's port + 1), loads the demo data and publishes the views to a BI
# role there, and stops it at the end.
#
#   bash test/jdbc.sh
#
# Builds and installs like test/run-all.sh, or reuses the caller's
# installation (ATTR_REUSE_CLUSTER=1).  Ends with "N passed, N failed".
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

att_setup_or_reuse "$srcdir"
packages=libpostgresql-jdbc-java
command -v javac >/dev/null 2>&1 || packages="$packages default-jdk-headless"
# shellcheck disable=SC2086
att_need_packages $packages
jar=/usr/share/java/postgresql.jar

dir=$ATTR_WORK/jdbc
data=$dir/data
rm -rf "$dir"
mkdir -p "$dir/classes" "$data" "$dir/sock" "$dir/log"
if [ "$(id -u)" = 0 ]; then chown postgres "$data" "$dir/sock" "$dir/log"; fi
port=${ATTR_JDBC_PORT:-$((ATTR_PORT + 1))}
att_as_owner "$ATTR_BINDIR/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
stop_jdbc_cluster() {
	att_as_owner "$ATTR_BINDIR/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
}
# the port may be taken: try a few
started=0
for attempt in 0 1 2 3 4; do
	if att_as_owner "$ATTR_BINDIR/pg_ctl" -D "$data" -w -l "$dir/log/server.log" \
		-o "-k $dir/sock -p $((port + attempt)) -c listen_addresses=127.0.0.1" start >/dev/null 2>&1; then
		port=$((port + attempt))
		started=1
		break
	fi
done
if [ "$started" != 1 ]; then
	echo "jdbc: could not start a cluster on 127.0.0.1 (ports $port to $((port + 4)))"
	tail -n 5 "$dir/log/server.log" || true
	echo "0 passed, 1 failed"
	exit 1
fi
trap stop_jdbc_cluster EXIT
att_log "JDBC test cluster on 127.0.0.1 port $port"

jpsql() { att_psql -h "$dir/sock" -p "$port" -U postgres "$@"; }
jpsql -d postgres -c "CREATE DATABASE attribution_jdbc"
jpsql -d attribution_jdbc -c "SET client_min_messages = warning" -c "CREATE EXTENSION attribution" \
	-c "SELECT count(*) FROM attribution.generate_demo_data(300, 5)" \
	-c "CREATE ROLE bi_reader LOGIN" \
	-c "SELECT count(*) FROM attribution.publish('bi', 'bi_reader')" >/dev/null

javac -d "$dir/classes" -cp "$jar" "$srcdir/test/jdbc/BiMetadata.java"
set +e
java -cp "$jar:$dir/classes" BiMetadata "jdbc:postgresql://127.0.0.1:$port/attribution_jdbc" postgres bi_reader bi
rc=$?
set -e
exit $rc
