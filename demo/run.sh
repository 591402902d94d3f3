#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts a throwaway cluster,
# generates the B2B demo data set (accounts, contacts, campaigns with costs,
# touchpoints, opportunities, the demand waterfall), prints the reports a
# marketing and a sales team would look at, and writes a chart for a slide.
#
#   bash demo/run.sh              the reports, then the server stops
#   ATTR_KEEP=1 bash demo/run.sh  the server keeps running with the demo
#                                 database; the psql command to connect and
#                                 the command to stop it are printed last
#
# Environment: DEMO_OPPORTUNITIES (default 3000) and DEMO_SEED (default 42)
# size and seed the data set; DEMO_OUT is the folder of the chart (default
# demo/out in the source tree); ATTR_PORT the server's port.
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"

opportunities=${DEMO_OPPORTUNITIES:-3000}
seed=${DEMO_SEED:-42}
out=${DEMO_OUT:-$srcdir/demo/out}

att_install_base_packages
att_make_workdir
att_build_install "$srcdir"
att_start_cluster
att_psql -d postgres -c "CREATE DATABASE attribution_demo"
att_psql -d attribution_demo -c "CREATE EXTENSION attribution"

att_log "generating the demo data set ($opportunities opportunities, seed $seed)"
att_psql -d attribution_demo -v opportunities="$opportunities" -v seed="$seed" <<'SQL'
\pset footer off
SELECT * FROM attribution.generate_demo_data(:opportunities, :seed);
-- a preset of our own next to the built-in models: most credit to the late milestones
INSERT INTO attribution.models (name, model, weights, description)
VALUES ('sales_led', 'custom', '{0.1,0.15,0.25,0.3,0.1,0.1}', 'Custom: 10% first, 15% lead, 25% opportunity, 30% close, 10% last, 10% middle');
SQL

att_psql -d attribution_demo -f "$srcdir/demo/report.sql"

mkdir -p "$out"
att_psql -d attribution_demo -At -f "$srcdir/demo/chart.sql" -o "$out/attributed_pipeline.svg"
att_log "wrote the chart of attributed pipeline by channel to $out/attributed_pipeline.svg"

if [ "${ATTR_KEEP:-0}" = 1 ]; then
	# leave the server running for the person who asked for it
	trap - EXIT
	if [ "$(id -u)" = 0 ]; then
		stop="runuser -u postgres -- $ATTR_BINDIR/pg_ctl -D $ATTR_DATA stop"
	else
		stop="$ATTR_BINDIR/pg_ctl -D $ATTR_DATA stop"
	fi
	cat <<EOF

The demo server is still running (port $ATTR_PORT, Unix socket in $ATTR_SOCK).
Connect:
  $ATTR_BINDIR/psql -h $ATTR_SOCK -p $ATTR_PORT -U postgres -d attribution_demo
Stop it:
  $stop
Then remove its folder:
  rm -rf $ATTR_WORK
EOF
fi
