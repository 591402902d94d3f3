#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts a throwaway cluster,
# loads the built-in demo data set and prints the attribution reports.
#
#   bash demo/run.sh
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

att_install_base_packages
att_make_workdir
att_build_install "$srcdir"
att_start_cluster
att_psql -d postgres -c "CREATE DATABASE attribution_demo"
att_psql -d attribution_demo -c "CREATE EXTENSION attribution"
att_log "loading the demo data set"
att_psql -d attribution_demo -f "$srcdir/demo/data.sql" >/dev/null
att_psql -d attribution_demo -c "SELECT count(*) AS journeys, (SELECT count(*) FROM demo_touches) AS touches, count(*) FILTER (WHERE converted) AS conversions FROM demo_journeys"
att_psql -d attribution_demo -f "$srcdir/demo/report.sql"
