# The extension's aggregates on Citus (sourced by test/citus.sh after its
# set-up, with its helpers check, compare_query, single and coord and its
# output folder $out): every form of every aggregate gives the single node's
# answer on distributed tables, the whole-table aggregates are split into
# partial aggregates on the workers (their states are storable types), and
# the partial states stay small.
#
# The data: touchpoints distributed by the journey (journeys whole in one
# shard) and the same rows distributed by the touch (journeys split over the
# shards), stage events distributed by the unit, and stored daily path and
# waterfall summaries (rollups).  ATTR_CITUS_AGG_TOUCHES sets the number of
# touchpoints (default 60000).

agg_touches=${ATTR_CITUS_AGG_TOUCHES:-60000}
agg_journeys=$((agg_touches / 10))
agg_setup="
SET client_min_messages = warning;
DROP TABLE IF EXISTS agg_touches, agg_touches_by_touch, agg_events, agg_daily_paths, agg_daily_waterfalls;
SELECT setseed(0.42);
CREATE TABLE agg_touches AS
SELECT journey_id, touch_id,
	   timestamptz '2025-01-01' + ((journey_id * 7919) % 300) * interval '1 day'
		   + floor(random() * 60 * 86400) * interval '1 second' AS touched_at,
	   'channel_' || lpad(floor(20 * power(random(), 1.5))::int::text, 2, '0') AS channel,
	   timestamptz '2025-01-01' + ((journey_id * 7919) % 300) * interval '1 day' + interval '50 days' AS converted_at,
	   (journey_id % 13) * 100.0::float8 AS revenue
FROM (SELECT g::bigint AS touch_id, 1 + floor(random() * $agg_journeys)::bigint AS journey_id
	  FROM generate_series(1, $agg_touches) g) t;
CREATE TABLE agg_touches_by_touch AS SELECT * FROM agg_touches;
CREATE TABLE agg_events AS
SELECT u AS unit_id,
	   (ARRAY['inquiry', 'mql', 'sal', 'sql', 'opportunity', 'won', 'disqualified', 'lost', 'mql'])[1 + (u * 7 + s * 3) % 9] AS stage,
	   timestamptz '2024-01-01' + ((u * 7919 + s * 104729) % 20000) * interval '1 hour' AS entered_at
FROM generate_series(1, $agg_journeys) u, generate_series(1, 1 + u % 6) s;
CREATE TABLE agg_daily_paths (day date, paths attribution.path_summary);
CREATE TABLE agg_daily_waterfalls (day date, summary attribution.waterfall_summary);
"
agg_fill_rollups="
INSERT INTO agg_daily_paths
SELECT day, attribution.path_agg(path, converted, value)
FROM (SELECT journey_id, min(touched_at)::date AS day, array_agg(channel ORDER BY touched_at, touch_id) AS path,
			 journey_id % 3 = 0 AS converted, min(revenue) AS value
	  FROM agg_touches GROUP BY journey_id) j GROUP BY day;
INSERT INTO agg_daily_waterfalls
SELECT day, attribution.waterfall_agg(h)
FROM (SELECT unit_id, min(entered_at)::date AS day, attribution.stage_agg(stage, entered_at) AS h
	  FROM agg_events GROUP BY unit_id) u GROUP BY day;
"
rc=0
single -c "$agg_setup" -c "$agg_fill_rollups" >"$out/agg_setup.single" 2>&1 || rc=$?
coord -c "$agg_setup" \
	-c "SELECT create_distributed_table('agg_touches', 'journey_id')" \
	-c "SELECT create_distributed_table('agg_touches_by_touch', 'touch_id', colocate_with => 'none')" \
	-c "SELECT create_distributed_table('agg_events', 'unit_id', colocate_with => 'none')" \
	-c "SELECT create_distributed_table('agg_daily_paths', 'day', colocate_with => 'none')" \
	-c "SELECT create_distributed_table('agg_daily_waterfalls', 'day', colocate_with => 'agg_daily_paths')" \
	-c "$agg_fill_rollups" >"$out/agg_setup.citus" 2>&1 || rc=$?
check "$([ "$rc" = 0 ] && echo 1 || echo 0)" \
	"aggregates: $agg_touches touchpoints distributed by journey and by touch, stage events, daily rollups$([ "$rc" = 0 ] || tail -c 300 "$out/agg_setup.citus")"

# a credit result as rows (channel, credit): compared to 1e-12 relative
credits() { echo "SELECT e.channel, e.credit FROM ($1) s(c), attribution.each(s.c) e"; }
journeys="SELECT journey_id, attribution.channel_credit('position_based', touched_at, channel) AS cc,
	attribution.channel_credit('time_decay', touched_at, channel, converted_at) AS cd, min(revenue) AS revenue,
	array_agg(channel ORDER BY touched_at, touch_id) AS path, journey_id % 3 = 0 AS converted
	FROM agg_touches GROUP BY journey_id"

# 1. the weighted sum (wrong on Citus under 0.1.0), its new name, and the recommended summary path
compare_query agg_sum "$(credits "SELECT attribution.sum(cc) FROM ($journeys) j")"
compare_query agg_sum_weighted "$(credits "SELECT attribution.sum(cc, revenue) FROM ($journeys) j")"
compare_query agg_credit_sum "$(credits "SELECT attribution.credit_sum_agg(cc) FROM ($journeys) j")"
compare_query agg_credit_sum_weighted "$(credits "SELECT attribution.credit_sum_agg(cd, revenue) FROM ($journeys) j")"
compare_query agg_credit_sum_grouped "SELECT j.journey_id % 4, e.channel, e.credit FROM
	(SELECT journey_id % 4 AS journey_id, attribution.credit_sum_agg(cc, revenue) AS c FROM ($journeys) j GROUP BY 1) j,
	attribution.each(j.c) e"
# an ordered call cannot be split: Citus either gathers the rows or refuses it, never a different number
for name in sum credit_sum_agg; do
	rc=0
	coord -A -t -c "$(credits "SELECT attribution.$name(cc, revenue ORDER BY journey_id) FROM ($journeys) j")" \
		>"$out/agg_ordered_$name.citus" 2>"$out/agg_ordered_$name.err" || rc=$?
	single -A -t -c "$(credits "SELECT attribution.$name(cc, revenue ORDER BY journey_id) FROM ($journeys) j")" \
		>"$out/agg_ordered_$name.single"
	if [ "$rc" = 0 ]; then
		check "$(same_rows "$out/agg_ordered_$name.single" "$out/agg_ordered_$name.citus" >/dev/null && echo 1 || echo 0)" \
			"aggregates: $name(cc, weight ORDER BY ...) gives the single node's credits on the cluster"
	else
		check "$(grep -q ERROR "$out/agg_ordered_$name.err" && echo 1 || echo 0)" \
			"aggregates: $name(cc, weight ORDER BY ...) is refused on the cluster: $(head -c 200 "$out/agg_ordered_$name.err")"
	fi
done

# 2. credit_by_channel: journeys whole in a shard, and split over the shards
for table in agg_touches agg_touches_by_touch; do
	compare_query "agg_cbc_short_$table" "$(credits "SELECT attribution.credit_by_channel(journey_id, 'u_shaped', touched_at, channel) FROM $table")"
	compare_query "agg_cbc_converted_$table" "$(credits "SELECT attribution.credit_by_channel(journey_id, 'time_decay', touched_at, channel, converted_at) FROM $table")"
	compare_query "agg_cbc_full_$table" "$(credits "SELECT attribution.credit_by_channel(journey_id, 'custom', touched_at, channel,
		touch_id, channel = 'channel_00', converted_at, converted_at - interval '40 days', NULL, NULL, NULL,
		'{0.3,0.1,0.2,0.2,0.1,0.1}', '45 days') FROM $table")"
	compare_query "agg_cbc_grouped_$table" "SELECT g, e.channel, e.credit FROM
		(SELECT channel = 'channel_03' AS g, attribution.credit_by_channel(journey_id, 'linear', touched_at, channel) AS c
		 FROM $table GROUP BY 1) s, attribution.each(s.c) e"
	# the per-journey aggregates, grouped by the journey: pushed down, or gathered
	compare_query "agg_channel_credit_$table" "SELECT journey_id, e.channel, e.credit FROM
		(SELECT journey_id, attribution.channel_credit('w_shaped', touched_at, channel, converted_at) AS c
		 FROM $table GROUP BY journey_id) s, attribution.each(s.c) e WHERE journey_id % 50 = 0"
	compare_query "agg_journey_agg_$table" "SELECT journey_id, c.position, c.channel, c.credit FROM
		(SELECT journey_id, attribution.journey_agg(touched_at, channel, touch_id) AS j FROM $table GROUP BY journey_id) s,
		attribution.credits(s.j, 'position_based') c WHERE journey_id % 50 = 0"
done

# 3. path_agg (every form) and merge(path_summary): summaries bit for bit
compare_query agg_path_agg "SELECT attribution.path_agg(path, converted)::text FROM ($journeys) j"
compare_query agg_path_agg_value "SELECT attribution.path_agg(path, converted, revenue)::text FROM ($journeys) j"
compare_query agg_path_agg_counts_whole "SELECT attribution.path_agg(path, c, v, n)::text FROM
	(SELECT path, count(*) FILTER (WHERE converted)::float8 AS c, coalesce(sum(revenue) FILTER (WHERE converted), 0) AS v,
			count(*) FILTER (WHERE NOT converted)::float8 AS n FROM ($journeys) j GROUP BY path) p"
compare_query agg_path_agg_grouped "SELECT journey_id % 5, attribution.path_agg(path, converted, revenue)::text FROM ($journeys) j GROUP BY 1"
compare_query agg_merge_paths "SELECT attribution.merge(paths)::text FROM agg_daily_paths"
compare_query agg_merge_paths_monthly "SELECT date_trunc('month', day), attribution.merge(paths)::text FROM agg_daily_paths GROUP BY 1"
compare_query agg_merge_equals_whole "SELECT (SELECT attribution.merge(paths) FROM agg_daily_paths)::text
	= (SELECT attribution.path_agg(path, converted, revenue) FROM ($journeys) j)::text"
compare_query agg_markov "SELECT m.* FROM (SELECT attribution.merge(paths) AS ps FROM agg_daily_paths) s, attribution.markov(s.ps) m"
compare_query agg_shapley "SELECT m.* FROM (SELECT attribution.merge(paths) AS ps FROM agg_daily_paths) s, attribution.shapley(s.ps) m"
compare_query agg_heuristics "SELECT m.* FROM (SELECT attribution.merge(paths) AS ps FROM agg_daily_paths) s, attribution.heuristics(s.ps) m"

# 4. waterfall_agg and merge(waterfall_summary)
histories="SELECT unit_id, attribution.stage_agg(stage, entered_at) AS h FROM agg_events GROUP BY unit_id"
compare_query agg_stage_agg "SELECT unit_id, h::text FROM ($histories) u WHERE unit_id % 97 = 0"
compare_query agg_waterfall_agg "SELECT attribution.waterfall_agg(h)::text FROM ($histories) u"
compare_query agg_waterfall_grouped "SELECT unit_id % 3, attribution.waterfall_agg(h)::text FROM ($histories) u GROUP BY 1"
compare_query agg_merge_waterfalls "SELECT attribution.merge(summary)::text FROM agg_daily_waterfalls"
compare_query agg_waterfall_report "SELECT r.* FROM (SELECT attribution.merge(summary) AS ws FROM agg_daily_waterfalls) s,
	attribution.waterfall_report(s.ws) r"

# 5. the whole-table aggregates are split: partial aggregates on the workers,
# states combined on the coordinator (never every row gathered)
split_check() {	# split_check <name> <query>
	local plan
	plan=$(coord -A -t -c "EXPLAIN (VERBOSE, COSTS OFF) $2" 2>&1 || true)
	# (here-strings, not pipes: under pipefail, echo into grep -q can die of SIGPIPE)
	check "$(grep -q 'worker_partial_agg' <<<"$plan" && grep -q 'coord_combine_agg' <<<"$plan" && echo 1 || echo 0)" \
		"aggregates: $1 runs as partial aggregates on the workers"
}
split_check credit_sum_agg "SELECT attribution.credit_sum_agg(cc, revenue) FROM ($journeys) j"
split_check "sum (deprecated name)" "SELECT attribution.sum(cc, revenue) FROM ($journeys) j"
split_check credit_by_channel "SELECT attribution.credit_by_channel(journey_id, 'linear', touched_at, channel) FROM agg_touches_by_touch"
split_check path_agg "SELECT attribution.path_agg(path, converted, revenue) FROM ($journeys) j"
split_check "merge(path_summary)" "SELECT attribution.merge(paths) FROM agg_daily_paths"
split_check waterfall_agg "SELECT attribution.waterfall_agg(h) FROM ($histories) u"
split_check "merge(waterfall_summary)" "SELECT attribution.merge(summary) FROM agg_daily_waterfalls"

# 6. the partial states are small: what each shard sends for the credit sum
# is its channels' sums (20 channels here), whatever its rows
coord -c "CREATE AGGREGATE public.agg_credit_state(attribution.channel_credits, float8) (
	SFUNC = attribution.credit_sum_trans, STYPE = attribution.credit_sum_state)" >/dev/null 2>&1 || true
state_bytes=$(coord -A -t -c "SELECT sum(result::bigint) FROM run_command_on_shards('agg_touches',
	\$\$SELECT octet_length(public.agg_credit_state(cc, revenue)::text) FROM (SELECT attribution.channel_credit('linear',
	touched_at, channel) AS cc, min(revenue) AS revenue FROM %s GROUP BY journey_id) j\$\$)" 2>&1 || echo error)
shards=$(coord -A -t -c "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'agg_touches'::regclass")
check "$([ "$state_bytes" -le $((shards * 20 * 60)) ] 2>/dev/null && echo 1 || echo 0)" \
	"aggregates: the credit_sum_agg partial states of $shards shards take $state_bytes bytes in all (at most 60 per channel and shard)"
coord -c "DROP AGGREGATE IF EXISTS public.agg_credit_state(attribution.channel_credits, float8)" >/dev/null 2>&1 || true

single -c "DROP TABLE agg_touches, agg_touches_by_touch, agg_events, agg_daily_paths, agg_daily_waterfalls" >/dev/null
coord -c "DROP TABLE agg_touches, agg_touches_by_touch, agg_events, agg_daily_paths, agg_daily_waterfalls" >/dev/null
