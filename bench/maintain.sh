#!/usr/bin/env bash
# Benchmark of the maintained performance totals: the performance views
# live, the full refresh of maintain_performance(), the views reading the
# maintained totals, and refresh_performance() after a load of 1% new
# touchpoints (A: on the contacts of 1% of the opportunities; B: on
# contacts picked at random), each load's refresh as a share of the full
# one.  The rows of the maintained view are then compared with the live
# view (0 differing).
#
#   bash bench/maintain.sh                        # 100,000 opportunities
#   OPPORTUNITIES=30000 bash bench/maintain.sh
#
# PostgreSQL's defaults, as for bench/reporting.sh.  Times come from
# clock_timestamp() around each statement (bench/maintain.sql).
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
. "$srcdir/test/lib.sh"
. "$srcdir/bench/lib.sh"

OPPORTUNITIES=${OPPORTUNITIES:-100000}
export PG_CFLAGS=${PG_CFLAGS:-}

att_install_base_packages
att_make_workdir
att_build_install "$srcdir"
att_start_cluster
att_psql -d postgres -c "CREATE DATABASE attribution_bench"
att_psql -d attribution_bench -c "CREATE EXTENSION attribution"
att_log "generating the demo data set with $OPPORTUNITIES opportunities"
att_psql -d attribution_bench -c "SELECT * FROM attribution.generate_demo_data($OPPORTUNITIES)"
att_psql -d attribution_bench -c "VACUUM ANALYZE"
bench_load_begin
att_psql -d attribution_bench -q -f "$srcdir/bench/maintain.sql" >/dev/null
att_psql -d attribution_bench -c "
	WITH t AS (SELECT step, min(at) AS first_at, percentile_disc(0.5) WITHIN GROUP (ORDER BY ms) AS ms,
					  count(*) AS runs, max(result) AS result
			   FROM bench_timings GROUP BY step),
		 f AS (SELECT ms FROM t WHERE step LIKE 'maintain_performance%')
	SELECT t.step, t.runs, t.ms AS median_ms, t.result,
		   CASE WHEN t.step LIKE '%refresh_performance()' THEN round(100 * t.ms / f.ms, 2) END AS pct_of_full_refresh
	FROM t, f ORDER BY t.first_at"
bench_load_end
