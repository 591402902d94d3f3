# Shared by the benchmark scripts: the load average before and after a
# benchmark, and a mark on a run taken on a busy machine.  The figures of
# bench/RESULTS*.md come only from quiet runs (the machines are shared: other
# jobs on the same cores change times, not the bytes or the answers).
#
#   bench_load_begin        waits up to BENCH_SETTLE seconds (default 90)
#                           for the 1-minute load to fall below
#                           BENCH_QUIET_LOAD (the build and the data
#                           generation just before raise it), then prints
#                           and remembers the load average
#   bench_load_end          prints it again, and "BUSY MACHINE" when the
#                           1-minute load was above BENCH_QUIET_LOAD (default
#                           1.0) before or after

bench_load_begin() {
	local waited=0 limit=${BENCH_QUIET_LOAD:-1.0}
	while [ "$waited" -lt "${BENCH_SETTLE:-90}" ] &&
		awk -v a="$(cut -d' ' -f1 /proc/loadavg)" -v l="$limit" 'BEGIN { exit !(a > l) }'; do
		sleep 5
		waited=$((waited + 5))
	done
	BENCH_LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
	echo "load average (1, 5, 15 minutes) before: $BENCH_LOAD_BEFORE"
}

bench_load_end() {
	local after limit=${BENCH_QUIET_LOAD:-1.0}
	after=$(cut -d' ' -f1-3 /proc/loadavg)
	echo "load average (1, 5, 15 minutes) after: $after"
	if awk -v a="${BENCH_LOAD_BEFORE%% *}" -v b="${after%% *}" -v l="$limit" 'BEGIN { exit !(a > l || b > l) }'; then
		echo "BUSY MACHINE: the 1-minute load average was above $limit; these times are not for publishing"
	fi
}
