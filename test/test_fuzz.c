/*
 * test_fuzz.c
 *		Fuzzing of every way a user can hand the extension bytes of its own:
 *
 *		- the text input function of every type (mutated and random literals);
 *		- the binary receive function of every type (mutated binary values);
 *		- the deserialize function of every aggregate with an internal state
 *		  (mutated serialized states), followed by its combine and final
 *		  functions.
 *
 *		Every input must give a value or an ordinary error: the connection must
 *		survive, no error may be an internal one (SQLSTATE XX000, an elog that
 *		"cannot happen"), and a value that is accepted must be a good value: its
 *		text form reads back to the same text, its binary form too, and the
 *		functions that read the type (the "consumers" below) give a result or
 *		an ordinary error on it.
 *
 *		How a serialized state reaches a deserialize function: PostgreSQL calls
 *		deserialize functions only in the finalize step of a split (parallel)
 *		aggregate, on the states the partial step serialized.  The test builds,
 *		for each aggregate, a test aggregate over bytea whose partial step is
 *		string_agg's (it collects the bytes of one row, and its final function
 *		serves as the serialize function: it hands the collected bytes on
 *		unchanged) and whose deserialize, combine and final functions are the
 *		aggregate's own.  The bytes of one row thus reach the deserialize
 *		function as they are.  The test aggregate is only sound in a split
 *		plan (a plain plan would hand string_agg's state to the aggregate's own
 *		final function), so every prepared query is checked with EXPLAIN to be a
 *		Finalize Aggregate over a Partial Aggregate before it runs, and is run
 *		through the same cached generic plan.  Valid states to mutate come from
 *		another test aggregate: the aggregate's own transition function with
 *		its serialize function as the final function.
 *
 *		ATTR_FUZZ_ITERATIONS (default 1000) inputs per type and form and per
 *		aggregate; ATTR_FUZZ_SEED (default 20240601) seeds the generator, so a
 *		run is repeatable.  A failed check prints the input (binary inputs in
 *		hex) to reproduce it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"

#define MAX_FAILURE_REPORTS 5
#define MAX_INPUT_LEN (256 * 1024)

/* ---------------------------------------------------------------- what is fuzzed */

/*
 * Per type: a query that returns valid values of the type (the seeds), and
 * queries that read a value of the type given as $1 (the consumers).  A type
 * of the extension missing here is a failed check, so new types are not
 * forgotten.  Consumers that call a function the installed version does not
 * have are skipped.
 */
/* the models of the state seeds */
#define TOUCH_MODELS_SEEDS "unnest('{linear,time_decay,position_based,w_shaped,last_non_direct}'::text[]) m"

typedef struct TypeSpec
{
	const char *type;
	const char *seeds;
	const char *consumers[6];
} TypeSpec;

static const TypeSpec type_specs[] = {
	{"journey",
		"SELECT attribution.journey_agg(touched_at, channel, touch_id) FROM fuzz.touches GROUP BY journey_id "
		"UNION ALL SELECT attribution.journey_agg(touched_at, channel) FROM fuzz.touches GROUP BY journey_id % 3 "
		"UNION ALL SELECT '[]'",
		{"SELECT attribution.touch_count($1::attribution.journey)",
			"SELECT count(*), sum(c.credit) FROM unnest('{linear,time_decay,position_based,w_shaped,full_path,last_non_direct}'::text[]) m, "
			"attribution.credits($1::attribution.journey, m, converted_at => '2024-02-01', lead_created_at => '2024-01-10', "
			"opportunity_created_at => '2024-01-20', closed_at => '2024-01-30', lookback => '20 days') c",
			"SELECT count(*) FROM attribution.credits($1::attribution.journey, 'custom', weights => '{.1,.2,.3,.1,.2,.1}')",
		NULL}},
	{"channel_credits",
		"SELECT attribution.channel_credit(m, touched_at, channel) FROM fuzz.touches, "
		"unnest('{linear,time_decay,first_touch}'::text[]) m GROUP BY journey_id, m "
		"UNION ALL SELECT attribution.sum(cc, journey_id) FROM (SELECT journey_id, "
		"attribution.channel_credit('position_based', touched_at, channel) cc FROM fuzz.touches GROUP BY journey_id) s "
		"UNION ALL SELECT '{}'",
		{"SELECT count(*), sum(credit) FROM attribution.each($1::attribution.channel_credits)",
			"SELECT attribution.sum(cc)::text, attribution.sum(cc, 2.5)::text FROM (VALUES ($1::attribution.channel_credits), ($1)) v(cc)",
		NULL}},
	{"stage_history",
		"SELECT attribution.stage_agg(stage, entered_at) FROM fuzz.stages GROUP BY unit_id "
		"UNION ALL SELECT attribution.stage_agg(alt_stage, entered_at, '{a,b,c,\"d \\\"e\\\"\"}', '{x}') "
		"FROM fuzz.stages GROUP BY unit_id % 5",
		{"SELECT count(*), max(seq), sum(skipped) FROM attribution.transitions($1::attribution.stage_history)",
			"SELECT attribution.current_stage(h), attribution.furthest_stage(h), attribution.funnel_depth(h, '30 days'), "
			"attribution.funnel_depth(h, '30 days', 'strict_increase'), "
			"attribution.time_in_stage(h, attribution.current_stage(h), '2030-01-01'), "
			"attribution.reached_at(h, attribution.current_stage(h)), "
			"attribution.reached_at(h, attribution.current_stage(h), 'recorded') "
			"FROM (SELECT $1::attribution.stage_history h) s",
			"SELECT count(*) FROM attribution.stage_entries($1::attribution.stage_history)",
			"SELECT r.* FROM (SELECT attribution.waterfall_agg(h) ws FROM (VALUES ($1::attribution.stage_history), ($1)) v(h)) s, "
			"attribution.waterfall_report(ws) r",
		NULL}},
	{"waterfall_summary",
		"SELECT attribution.waterfall_agg(h) FROM (SELECT unit_id, attribution.stage_agg(stage, entered_at) h "
		"FROM fuzz.stages GROUP BY unit_id) s GROUP BY unit_id % 4 "
		"UNION ALL SELECT attribution.waterfall_agg(h) FROM (SELECT unit_id, attribution.stage_agg(alt_stage, entered_at, "
		"'{a,b,c,\"d \\\"e\\\"\"}', '{x}') h FROM fuzz.stages GROUP BY unit_id) s GROUP BY unit_id % 2",
		{"SELECT count(*), sum(reached), max(median_days_to_next), max(p90_days_to_next) "
			"FROM attribution.waterfall_report($1::attribution.waterfall_summary)",
			"SELECT count(*) FROM attribution.waterfall_exits($1::attribution.waterfall_summary)",
			"SELECT count(*), sum(volume) FROM attribution.reverse_waterfall($1::attribution.waterfall_summary, 40)",
			"SELECT attribution.merge(ws)::text FROM (VALUES ($1::attribution.waterfall_summary), ($1)) v(ws)",
		NULL}},
	{"credit_sum_state",
		"SELECT fuzz.credit_sum_state(cc, w) FROM (SELECT journey_id, journey_id * 1.5 w, "
		"attribution.channel_credit(m, touched_at, channel) cc FROM fuzz.touches, "
		"unnest('{linear,time_decay,first_touch}'::text[]) m GROUP BY journey_id, m) s GROUP BY journey_id % 4",
		{"SELECT count(*), sum(credit) FROM attribution.each(attribution.credit_sum_final($1::attribution.credit_sum_state))",
			"SELECT fuzz.credit_sum_states(s)::text FROM (VALUES ($1::attribution.credit_sum_state), ($1)) v(s)",
		NULL}},
	{"credit_by_channel_state",
		"SELECT fuzz.journeys_state(journey_id, m, touched_at, channel, touch_id, is_direct, converted_at, lead_at, "
		"opportunity_at, closed_at, '3 days', NULL, '30 days') FROM fuzz.touches, " TOUCH_MODELS_SEEDS
		" GROUP BY journey_id % 4, m "
		"UNION ALL SELECT fuzz.journeys_state(journey_id, 'custom', touched_at, channel, touch_id, is_direct, NULL, lead_at, "
		"opportunity_at, closed_at, NULL, '{.1,.2,.3,.1,.2,.1}', NULL) FROM fuzz.touches GROUP BY journey_id % 3",
		{"SELECT count(*), sum(credit) FROM attribution.each(attribution.credit_by_channel_final("
			"$1::attribution.credit_by_channel_state))",
			"SELECT fuzz.journeys_states(s)::text FROM (VALUES ($1::attribution.credit_by_channel_state), ($1)) v(s)",
		NULL}},
	{"path_agg_state",
		"SELECT fuzz.path_state(path, converted, value) FROM fuzz.paths GROUP BY g",
		{"SELECT count(*), sum(conversions) FROM attribution.paths(attribution.path_agg_final($1::attribution.path_agg_state))",
			"SELECT fuzz.path_states(s)::text FROM (VALUES ($1::attribution.path_agg_state), ($1)) v(s)",
			"SELECT count(*) FROM attribution.markov(attribution.path_agg_final($1::attribution.path_agg_state))",
		NULL}},
	{"path_summary",
		"SELECT attribution.path_agg(path, converted, value) FROM fuzz.paths GROUP BY g "
		"UNION ALL SELECT attribution.path_agg(path, converted) FROM fuzz.paths GROUP BY g % 2",
		{"SELECT count(*) FROM attribution.markov($1::attribution.path_summary)",
			"SELECT count(*) FROM attribution.markov($1::attribution.path_summary, 2)",
			"SELECT count(*) FROM attribution.transition_matrix($1::attribution.path_summary)",
			"SELECT count(*) FROM attribution.shapley($1::attribution.path_summary)",
			"SELECT (SELECT count(*) FROM attribution.counterfactual($1::attribution.path_summary)), "
			"(SELECT count(*) FROM attribution.heuristics($1::attribution.path_summary)), "
			"(SELECT attribution.merge(ps)::text FROM (VALUES ($1::attribution.path_summary), ($1)) v(ps))",
		NULL}},
};

/*
 * Per aggregate with an internal state: a query that returns serialized
 * states, with %s standing for an aggregate of the same arguments whose
 * result is the serialized state.  An aggregate of the extension missing
 * here is a failed check.
 */
typedef struct StateSpec
{
	const char *aggregate;		/* as regprocedure prints it */
	const char *seeds;
} StateSpec;

#define TOUCH_MODELS "unnest('{linear,time_decay,position_based,w_shaped,full_path,last_non_direct,first_touch}'::text[]) m"

static const StateSpec state_specs[] = {
	{"attribution.journey_agg(timestamp with time zone,text)",
	"SELECT %s(touched_at, channel) FROM fuzz.touches GROUP BY journey_id"},
	{"attribution.journey_agg(timestamp with time zone,text,bigint)",
	"SELECT %s(touched_at, channel, touch_id) FROM fuzz.touches GROUP BY journey_id"},
	{"attribution.channel_credit(text,timestamp with time zone,text)",
	"SELECT %s(m, touched_at, channel) FROM fuzz.touches, " TOUCH_MODELS " GROUP BY journey_id, m"},
	{"attribution.channel_credit(text,timestamp with time zone,text,timestamp with time zone)",
	"SELECT %s(m, touched_at, channel, converted_at) FROM fuzz.touches, " TOUCH_MODELS " GROUP BY journey_id, m"},
	{"attribution.channel_credit(text,timestamp with time zone,text,bigint,boolean,timestamp with time zone,"
		"timestamp with time zone,timestamp with time zone,timestamp with time zone,interval,double precision[],interval)",
		"SELECT %s(m, touched_at, channel, touch_id, is_direct, converted_at, lead_at, opportunity_at, closed_at, "
		"'3 days', NULL, '30 days') FROM fuzz.touches, " TOUCH_MODELS " GROUP BY journey_id, m "
		"UNION ALL SELECT %s('custom', touched_at, channel, touch_id, is_direct, converted_at, lead_at, opportunity_at, "
	"closed_at, NULL, '{.1,.2,.3,.1,.2,.1}', NULL) FROM fuzz.touches GROUP BY journey_id"},
	{"attribution.credit_by_channel(bigint,text,timestamp with time zone,text)",
	"SELECT %s(journey_id, m, touched_at, channel) FROM fuzz.touches, " TOUCH_MODELS " GROUP BY journey_id % 4, m"},
	{"attribution.credit_by_channel(bigint,text,timestamp with time zone,text,timestamp with time zone)",
		"SELECT %s(journey_id, m, touched_at, channel, converted_at) FROM fuzz.touches, " TOUCH_MODELS
	" GROUP BY journey_id % 4, m"},
	{"attribution.credit_by_channel(bigint,text,timestamp with time zone,text,bigint,boolean,timestamp with time zone,"
		"timestamp with time zone,timestamp with time zone,timestamp with time zone,interval,double precision[],interval)",
		"SELECT %s(journey_id, m, touched_at, channel, touch_id, is_direct, converted_at, lead_at, opportunity_at, "
		"closed_at, '3 days', NULL, '30 days') FROM fuzz.touches, " TOUCH_MODELS " GROUP BY journey_id % 4, m "
		"UNION ALL SELECT %s(journey_id, 'custom', touched_at, channel, touch_id, is_direct, converted_at, lead_at, "
	"opportunity_at, closed_at, NULL, '{.1,.2,.3,.1,.2,.1}', NULL) FROM fuzz.touches GROUP BY journey_id % 3"},
	{"attribution.sum(attribution.channel_credits)",
		"SELECT %s(cc) FROM (SELECT journey_id, attribution.channel_credit('linear', touched_at, channel) cc "
	"FROM fuzz.touches GROUP BY journey_id) s GROUP BY journey_id % 5"},
	{"attribution.sum(attribution.channel_credits,double precision)",
		"SELECT %s(cc, journey_id * 1.5) FROM (SELECT journey_id, attribution.channel_credit('linear', touched_at, channel) cc "
	"FROM fuzz.touches GROUP BY journey_id) s GROUP BY journey_id % 5"},
	{"attribution.stage_agg(text,timestamp with time zone)",
	"SELECT %s(stage, entered_at) FROM fuzz.stages GROUP BY unit_id"},
	{"attribution.stage_agg(text,timestamp with time zone,text[])",
	"SELECT %s(alt_stage, entered_at, '{a,b,c,x,\"d \\\"e\\\"\"}') FROM fuzz.stages GROUP BY unit_id"},
	{"attribution.stage_agg(text,timestamp with time zone,text[],text[])",
	"SELECT %s(alt_stage, entered_at, '{a,b,c,\"d \\\"e\\\"\"}', '{x}') FROM fuzz.stages GROUP BY unit_id"},
	{"attribution.waterfall_agg(attribution.stage_history)",
		"SELECT %s(h) FROM (SELECT unit_id, attribution.stage_agg(stage, entered_at) h FROM fuzz.stages GROUP BY unit_id) s "
		"GROUP BY unit_id % 4 UNION ALL SELECT %s(h) FROM (SELECT unit_id, attribution.stage_agg(alt_stage, entered_at, "
	"'{a,b,c,\"d \\\"e\\\"\"}', '{x}') h FROM fuzz.stages GROUP BY unit_id) s GROUP BY unit_id % 2"},
	{"attribution.merge(attribution.waterfall_summary)",
		"SELECT %s(ws) FROM (SELECT unit_id % 6 g, attribution.waterfall_agg(h) ws FROM (SELECT unit_id, "
	"attribution.stage_agg(stage, entered_at) h FROM fuzz.stages GROUP BY unit_id) s GROUP BY 1) t GROUP BY g % 3"},
	{"attribution.path_agg(text[],boolean)",
	"SELECT %s(path, converted) FROM fuzz.paths GROUP BY g"},
	{"attribution.path_agg(text[],boolean,double precision)",
	"SELECT %s(path, converted, value) FROM fuzz.paths GROUP BY g"},
	{"attribution.path_agg(text[],double precision,double precision,double precision)",
	"SELECT %s(path, value / 100, value, 3) FROM fuzz.paths GROUP BY g"},
	{"attribution.merge(attribution.path_summary)",
		"SELECT %s(ps) FROM (SELECT g, attribution.path_agg(path, converted, value) ps FROM fuzz.paths GROUP BY g) s "
	"GROUP BY g % 2"},
};

/*
 * Serialized states that once crashed the server (each found by this test),
 * fed before the mutated ones on every run: channel_credit and
 * credit_by_channel summaries whose counts were each in range but held more
 * positions than their window had touches.
 */
typedef struct KnownState
{
	const char *aggregate;
	const char *hex;
} KnownState;

static const KnownState known_states[] = {
	{"attribution.channel_credit(text,timestamp with time zone,text,bigint,boolean,timestamp with time zone,"
		"timestamp with time zone,timestamp with time zone,timestamp with time zone,interval,double precision[],interval)",
		"01000000093fcccccccccccccd3fcccccccccccccd3fcccccccccccccd3fcccccccccccccd00000000000000003fb9999999"
		"99999a0000000000000000000000007f000000010000025b7f3d40000f0002b18ae17ba0000002b1b31d2a60000002b2a483"
		"42e0000002b19eff53000000000005000000020000000100000000000000000000000200000005656d61696c000000010000"
		"0000000000000000000a6261636b5c736c617368000000010000000000000000010002b141106d2400000000000000000001"
		"00000000010002b18320a5f30000000000000000000200000001010002b18320a5f300000000000000000002000000010100"
		"027f8320a5f30000000000000000000200000001"},
	{"attribution.credit_by_channel(bigint,text,timestamp with time zone,text)",
		"01000000000000000a000000000000001201000000043fd999999999999a0000000000000000000000000000000000000000"
		"000000003fd999999999999a3fc999999999999a000000000000000000000000000000000000000000000000000000000001"
		"0000000100000001000000000000000000000001000000066576656e7473000000010000000000000000010002b36a332e51"
		"0001000000000000000000000000010002b36a337ff80000000000000000000000000000000000000000002601000000043f"
		"d999999999999a0000000000000000000000000000000000000000000000003fd999999999999a3fc999999999999a000000"
		"0000000000000000000000000000000000000000000000000000030000000300000001000000000000000000000003000000"
		"066576656e747300000001000000000000000000000006646972656374000000010000000000000000000000017800000001"
		"0000000000000000010002b124c676450001000000000000000000000000010002b1a8e6e7e3000100000000000000000000"
		"0002000000000000000601000000043fd999999999999a0000000000000000000000000000000000000000000000003fd999"
		"999999999a3fc999999999999a00000000000000000000000000000000000000000000000000000000000700000007000000"
		"010000000000000000000000070000000377656200000001000000000000000000000005656d61696c000000010000000000"
		"0000000000000a6261636b5c736c61736800000001000000000000000000000006736f6369616c0000000100000000000000"
		"000000000b706169645f7365617263680000000100000000000000000000000bc3bc6ec3af63c3b664c3a900000001000000"
		"0000000000000000066576656e7473000000010000000000000000010002b0f52a8115000100000000000000000000000001"
		"0002b2818bd5ef0001000000000000000000000006000000000000002201000000043fd999999999999a0000000000000000"
		"000000000000000000000000000000003fd999999999999a3fc999999999999a000000000000000000000000000000000000"
		"00000000000000000000000800000008000000010000000000000000000000080000000b706169645f736561726368000000"
		"0100000000000000000000000bc3bc6ec3af63c3b664c3a9000000010000000000000000000000066576656e747300000001"
		"0000000000000000000000066469726563740000000100000000000000000000000178000000010000000000000000000000"
		"0873617920226869220000000100000000000000000000000377656200000001000000000000000000000005656d61696c00"
		"0000010000000000000000010002b0f6a596fb0001000000000000000000000006010002b36f134d5c000100000000000000"
		"0000000005000000000000001e01000000043fd999999999999a000000000000000000000000000000000000000000000000"
		"3fd999999999999a3fc999999999999a00000000000000000000000000000000000000000000000000000000000400000004"
		"000000010000000000000000000000040000000a6261636b5c736c61736800000001000000000000000000000006736f6369"
		"616c0000000100000000000000000000000b706169645f7365617263680000000100000000000000000000000bc3bc6ec3af"
		"63c3b664c3a9000000010000000000000000010002b0ee606ecb0001000000000000000000000002010002b366ce252c0001"
		"000000000000000000000001000000000000001a01000000043fd999999999999a0000000000000000000000000000000000"
		"000000000000003fd999999999999a3fc999999999999a000000000000000000000000000000000000000000000000000000"
		"00000900000009000000010000000000000000000000090000000377656200000001000000000000000000000005656d6169"
		"6c0000000100000000000000000000000a6261636b5c736c61736800000001000000000000000000000006736f6369616c00"
		"00000100000000000000000000000b706169645f7365617263680000000100000000000000000000000bc3bc6ec3af63c3b6"
		"64c3a9000000010000000000000000000000066576656e747300000001000000000000000000000006646972656374000000"
		"0100000000000000000000000178000000010000000000000000010002b16a3bb83900010000000000000000000000000100"
		"02b37abd7eb10001000000000000000000000008000000000000001601000000043fd999999999999a000000000000000000"
		"0000000000000000000000000000003fd999999999999a3fc999999999999a00000000000000000000000000000000000000"
		"0000000000000000000005000000050000000100000000000000000000000500000001780000000100000000000000000000"
		"000873617920226869220000000100000000000000000000000377656200000001000000000000000000000005656d61696c"
		"0000000100000000000000000000000a6261636b5c736c617368000000010000000000000000010002b26a37734500010000"
		"00000000000000000000010002b3727856810001000000000000000000000004000000000000000a01000000043fd9999999"
		"99999a0000000000000000000000000000000000000000000000003fd999999999999a3fc999999999999a00000000000000"
		"000000000000000000000000000000000000000000000200000002000000010000000000000000000000020000000a626163"
		"6b5c736c61736800000001000000000000000000000006736f6369616c000000010000000000000000010002b2afacb53900"
		"01000000000000000000000000010002b2f1bcee080001000000000000000000000001000000000000000e01000000043fd9"
		"99999999999a0000000000000000000000000000000000000000000000003fd999999999999a3fc999999999999a00000000"
		"000000000000000000000000000000000000000000000000000600000006000000010000000000000000000000060000000b"
		"706169645f7365617263680000000100000000000000000000000bc3bc6ec3af63c3b664c3a9000000010000000000000000"
		"000000066576656e747300000001000000000000000000000006646972656374000000010000000000000000000000017800"
		"0000010000000000000000000000087361792022686922000000010000000000000000010002b1afb0fa2d00010000000000"
		"00000000000000010002b2fa0216380001000000000000000000000005000000000000000201000000043fd999999999999a"
		"0000000000000000000000000000000000000000000000003fd999999999999a3fc999999999999a00000000000000000000"
		"0000000000000000000000000000000000000003000000030000000100000000000000000000000300000001780000000100"
		"0000000000000000000008736179202268692200000001000000000000000000000003776562000000010000000000000000"
		"010002b1f5263c210001000000000000000000000000010002b27946adbf0001000000000000000000000002"},
	{"attribution.credit_by_channel(bigint,text,timestamp with time zone,text,bigint,boolean,timestamp with time zone,"
		"timestamp with time zone,timestamp with time zone,timestamp with time zone,interval,double precision[],interval)",
		"01000000000000000a000000000000002101000000043fd999999999999a0000000000000000000000000000000000000000"
		"000000003fd999999999999a3fc999999999999a00000000000000000000000000000000010000025b7f3d40000f0002b31d"
		"364f20000002b1b31d2a60000002b1122e6f60000002b3315426800000000007000000060000000100000000000000000000"
		"000600000005656d61696c0000000100000000000000000000000a6261636b5c736c61736800000001000000000000000000"
		"000006736f6369616c0000000100000000000000000000000b706169645f7365617263680000000100000000000000000000"
		"000bc3bc6ec3af63c3b664c3a9000000010000000000000000000000066576656e7473000000010000000000000000010002"
		"b1b621a4480000000000000000000100000000010002b30072c0530000000000000000000600000005000000000000001101"
		"000000043fd999999999999a0000000000000000000000000000000000000000000000003fd999999999999a3fc999999999"
		"999a00000000000000000000000000000000010000025b7f3d40000f0002b27c479420000002b2540be560000002b162a5cc"
		"e0000002b290656b8000000000090000000600000001000000000000000000000006000000066576656e7473000000010000"
		"0000000000000000000664697265637400000001000000000000000000000001780000000100000000000000000000000873"
		"617920226869220000000100000000000000000000000377656200000001000000000000000000000005656d61696c000000"
		"010000000000000000010002b107455c850001000000000000000000000000010002b2519678900000000000000000000900"
		"000005000000000000001501000000043fd999999999999a0000000000000000000000000000000000000000000000003fd9"
		"99999999999a3fc999999999999a00000000000000000000000000000000010000025b7f3d40000f0002b36dadaca0000002"
		"b162a5cce0000002b27c479420000002b381cb8400000000000400000004000000010000000000000000000000040000000b"
		"c3bc6ec3af63c3b664c3a9000000010000000000000000000000066576656e74730000000100000000000000000000000664"
		"69726563740000000100000000000000000000000178000000010000000000000000010002b1fb96e63c0000000000000000"
		"000100000000010002b2c1c790a90001000000000000000000000003000000000000000501000000043fd999999999999a00"
		"00000000000000000000000000000000000000000000003fd999999999999a3fc999999999999a0000000000000000000000"
		"0000000000010000025b7f3d40000f0002b2ccbef1a0000002b2039487e0000002b2ccbef1a0000002b2e0dcc90000000000"
		"0600000004000000010000000000000000000000040000000873617920226869220000000100000000000000000000000377"
		"656200000001000000000000000000000005656d61696c0000000100000000000000000000000a6261636b5c736c61736800"
		"0000010000000000000000010002b10aaa65aa0000000000000000000300000000010002b1d0db1017000000000000000000"
		"0600000003000000000000001d01000000043fd999999999999a000000000000000000000000000000000000000000000000"
		"3fd999999999999a3fc999999999999a00000000000000000000000000000000010000025b7f3d40000f0002b22bd036a000"
		"0002b1122e6f60000002b2540be560000002b23fee0e00000000000300000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000009"
		"01000000043fd999999999999a0000000000000000000000000000000000000000000000003fd999999999999a3fc9999999"
		"99999a00000000000000000000000000000000010000025b7f3d40000f0002b3be250a20000002b1122e6f60000002b18ae1"
		"7ba0000002b3d242e18000000000010000000100000001000000000000000000000001000000087361792022686922000000"
		"010000000000000000010002b2410c28300000000800000000000100000000010002b2410c28300000000000000000000100"
		"000000000000000000001901000000043fd999999999999a0000000000000000000000000000000000000000000000003fd9"
		"99999999999a3fc999999999999a00000000000000000000000000000000010000025b7f3d40000f0002b13a6a1e20000002"
		"b2039487e0000002b13a6a1e20000002b14e87f5800000000008000000010000000100000000000000000000000100000006"
		"646972656374000000010000000000000000010002b0fb9b2b300000000000000000000100000000010002b0fb9b2b300000"
		"000000000000000100000000000000000000000101000000043fd999999999999a0000000000000000000000000000000000"
		"000000000000003fd999999999999a3fc999999999999a00000000000000000000000000000000010000025b7f3d40000f00"
		"02b1db58d920000002b162a5cce0000002b1b31d2a60000002b1ef76b0800000000002000000020000000100000000000000"
		"00000000020000000bc3bc6ec3af63c3b664c3a9000000010000000000000000000000066576656e74730000000100000000"
		"00000000010002b18685af180000000000000000000100000000010002b1c895e7e700000000000000000002000000010000"
		"00000000000d01000000043fd999999999999a0000000000000000000000000000000000000000000000003fd99999999999"
		"9a3fc999999999999a00000000000000000000000000000000010000025b7f3d40000f0002b18ae17ba0000002b1b31d2a60"
		"000002b2a48342e0000002b19eff53000000000005000000020000000100000000000000000000000200000005656d61696c"
		"0000000100000000000000000000000a6261636b5c736c617368000000010000000000000000010002b141106d2400000000"
		"00000000000100000000010002b18320a5f30000000000000000000200000001000000000000002501000000043fd9999999"
		"99999a0000000000000000000000000000000000000000000000003fd999999999999a3fc999999999999a00000000000000"
		"000000000000000000010000025b7f3d40000f0002b0e9f2c0a0000002b2540be560000002b22bd036a0000002b0fe109800"
		"0000000002000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000"},
};

/* the data the seeds are built from: varied, with odd channel names, deterministic */
static const char *const setup_sql[] = {
	"DROP SCHEMA IF EXISTS fuzz CASCADE",
	"CREATE SCHEMA fuzz",
	"CREATE TABLE fuzz.touches AS "
	"SELECT j AS journey_id, CASE WHEN t % 4 = 0 THEN NULL ELSE t END::bigint AS touch_id, "
	"timestamptz '2024-01-01 00:00:00+00' + ((j * 7919 + t * 104729) % 50000) * interval '1 minute' AS touched_at, "
	"(ARRAY['email', 'paid_search', 'direct', 'web', 'social', 'events', 'say \"hi\"', 'back\\slash', "
	"'\u00fcn\u00efc\u00f6d\u00e9', 'x'])[1 + (j * 31 + t * 17) % 10] AS channel, "
	"(j + t) % 5 = 0 AS is_direct, "
	"timestamptz '2024-01-01 00:00:00+00' + ((j * 13) % 40) * interval '1 day' AS converted_at, "
	"timestamptz '2024-01-01 00:00:00+00' + ((j * 7) % 20) * interval '1 day' AS lead_at, "
	"timestamptz '2024-01-01 00:00:00+00' + ((j * 11) % 30) * interval '1 day' AS opportunity_at, "
	"timestamptz '2024-01-01 00:00:00+00' + ((j * 13) % 40 + 1) * interval '1 day' AS closed_at "
	"FROM generate_series(1, 40) j, generate_series(1, 1 + j % 9) t",
	"CREATE TABLE fuzz.stages AS "
	"SELECT u AS unit_id, "
	"(ARRAY['inquiry', 'mql', 'sal', 'sql', 'opportunity', 'won', 'disqualified', 'lost', 'mql', 'sql'])"
	"[1 + (u * 7 + s * 3) % 10] AS stage, "
	"(ARRAY['a', 'b', 'c', 'd \"e\"', 'x', 'a'])[1 + (u * 5 + s) % 6] AS alt_stage, "
	"timestamptz '2024-01-01 00:00:00+00' + ((u * 7919 + s * 104729) % 20000) * interval '1 hour' AS entered_at "
	"FROM generate_series(1, 40) u, generate_series(1, 1 + u % 8) s",
	"CREATE TABLE fuzz.paths AS "
	"SELECT journey_id % 6 AS g, array_agg(channel ORDER BY touched_at, touch_id) AS path, "
	"journey_id % 3 = 0 AS converted, (journey_id * 37 % 1000)::float8 AS value "
	"FROM fuzz.touches GROUP BY journey_id",
	"CREATE TABLE fuzz.state_input (id int, b bytea) WITH (autovacuum_enabled = off)",
	/* the storable states: aggregates that return a state, and ones that combine states */
	"CREATE AGGREGATE fuzz.credit_sum_state(attribution.channel_credits, float8) ("
	"SFUNC = attribution.credit_sum_trans, STYPE = attribution.credit_sum_state)",
	"CREATE AGGREGATE fuzz.credit_sum_states(attribution.credit_sum_state) ("
	"SFUNC = attribution.credit_sum_combine, STYPE = attribution.credit_sum_state, FINALFUNC = attribution.credit_sum_final)",
	"CREATE AGGREGATE fuzz.path_state(text[], boolean, float8) ("
	"SFUNC = attribution.path_agg_trans, STYPE = attribution.path_agg_state)",
	"CREATE AGGREGATE fuzz.path_states(attribution.path_agg_state) ("
	"SFUNC = attribution.path_agg_combine, STYPE = attribution.path_agg_state, FINALFUNC = attribution.path_agg_final)",
	"CREATE AGGREGATE fuzz.journeys_state(bigint, text, timestamptz, text, bigint, boolean, timestamptz, timestamptz, "
	"timestamptz, timestamptz, interval, float8[], interval) ("
	"SFUNC = attribution.credit_by_channel_trans, STYPE = attribution.credit_by_channel_state)",
	"CREATE AGGREGATE fuzz.journeys_states(attribution.credit_by_channel_state) ("
	"SFUNC = attribution.credit_by_channel_combine, STYPE = attribution.credit_by_channel_state, "
	"FINALFUNC = attribution.credit_by_channel_final)",
};

/* words the text mutations insert: the tokens of every text form, and edge values */
static const char *const text_tokens[] = {
	"\"", "\\", "\\\"", "\\\\", "[", "]", "(", ")", "{", "}", ",", ":", " ", "null", "NULL", "nul",
	"-", "+", ".", "e", "E", "0", "1", "-1", "-0", "00", "1e308", "1e309", "-1e308", "4.9e-324", "1e-400",
	"0.30000000000000004", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
	"9223372036854775808", "-9223372036854775809", "99999999999999999999999", "NaN", "Infinity",
	"-inf", "0x10", "1_000", "\"infinity\"", "\"-infinity\"", "\"294277-01-01 00:00:00+00\"",
	"\"4714-11-23 00:00:00+00 BC\"", "\"2024-02-30 00:00:00\"", "\"epoch\"", "\"now\"", "\"\"", "\"a\"",
	"[]", "{}", "[[]]", "[[1,1]]", "[[-1,1]]", "[[1,-1]]", "[[100000,1]]", "\"ladder\"", "\"exits\"",
	"\"events\"", "\"units\"", "\"stages\"", "\"reached\"", "\"recycled\"", "\"exited\"", "\"to_next\"",
	"\"zero\"", "\"buckets\"", "\"inquiry\"", "\"won\"", "\"lost\"", "\"paths\"", "\"path\"",
	"\"conversions\"", "\"value\"", "\"non_conversions\"", "\t", "\n", "\xc3\xa9", "\xe2\x82\xac",
	"\xf0\x9f\x98\x80",
};

/* ---------------------------------------------------------------- byte buffers */

typedef struct Bytes
{
	char	   *data;
	int			len;
} Bytes;

typedef struct BytesList
{
	Bytes	   *items;
	int			n;
	int			capacity;
} BytesList;

static void
list_add(BytesList *list, const char *data, int len)
{
	if (list->n == list->capacity)
	{
		list->capacity = list->capacity ? list->capacity * 2 : 16;
		list->items = realloc(list->items, list->capacity * sizeof(Bytes));
	}
	list->items[list->n].data = malloc(len + 1);
	memcpy(list->items[list->n].data, data, len);
	list->items[list->n].data[len] = '\0';
	list->items[list->n].len = len;
	list->n++;
}

static void
list_free(BytesList *list)
{
	int			i;

	for (i = 0; i < list->n; i++)
		free(list->items[i].data);
	free(list->items);
	list->items = NULL;
	list->n = list->capacity = 0;
}

/* an input under construction, NUL-terminated (text inputs must stay free of NULs) */
typedef struct Buffer
{
	char	   *data;
	int			len;
	int			capacity;
} Buffer;

static void
buf_reserve(Buffer *buf, int len)
{
	if (len + 1 > buf->capacity)
	{
		buf->capacity = (len + 1) * 2;
		buf->data = realloc(buf->data, buf->capacity);
	}
}

static void
buf_set(Buffer *buf, const char *data, int len)
{
	buf_reserve(buf, len);
	memcpy(buf->data, data, len);
	buf->len = len;
	buf->data[len] = '\0';
}

/* replace len bytes at pos by the given bytes */
static void
buf_splice(Buffer *buf, int pos, int len, const char *with, int with_len)
{
	int			new_len = buf->len - len + with_len;
	char	   *copy = malloc(with_len + 1);

	if (new_len > MAX_INPUT_LEN)
	{
		free(copy);
		return;
	}
	memcpy(copy, with, with_len);	/* "with" may point into the buffer */
	buf_reserve(buf, new_len);
	memmove(buf->data + pos + with_len, buf->data + pos + len, buf->len - pos - len);
	memcpy(buf->data + pos, copy, with_len);
	buf->len = new_len;
	buf->data[new_len] = '\0';
	free(copy);
}

/* ---------------------------------------------------------------- mutations */

static const int64_t interesting_ints[] = {
	0, 1, 2, -1, 7, 8, 127, 128, 255, 256, 65535, 65536, 100000, 100001, 1000000, 10000000, 10000001,
	0x3fffffff, 0x40000000, 0x7fffffff, -0x7fffffff - 1,
};

/* 8-byte patterns: timestamps at and past their limits, special doubles */
static const uint64_t interesting_words[] = {
	0, 1, 0xffffffffffffffffULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
	9223371331200000000ULL,		/* the end of the timestamp range */
	(uint64_t) -211813488000000000LL,	/* its start */
	0x7ff0000000000000ULL, 0xfff0000000000000ULL, 0x7ff8000000000000ULL, 0x7fefffffffffffffULL,
	0x0000000000000001ULL, 0x3ff0000000000000ULL, 0xbff0000000000000ULL, 0x4197d78400000000ULL,
};

static void
put_be(char *p, uint64_t value, int width)
{
	int			i;

	for (i = width - 1; i >= 0; i--)
	{
		p[i] = (char) (value & 0xff);
		value >>= 8;
	}
}

/* one change to a binary value; with_nul false keeps NUL bytes out */
static void
mutate_bytes_once(uint64_t *rng, Buffer *buf, const BytesList *seeds, bool with_nul)
{
	int			pos = buf->len > 0 ? rng_int(rng, 0, buf->len - 1) : 0;
	char		tmp[16];
	int			n;
	int			i;

	switch (rng_int(rng, 0, 9))
	{
		case 0:					/* flip a bit */
			if (buf->len > 0)
				buf->data[pos] ^= (char) (1 << rng_int(rng, 0, 7));
			break;
		case 1:					/* an interesting byte */
			if (buf->len > 0)
				buf->data[pos] = (char) (uint8_t) interesting_ints[rng_int(rng, 0, 9)];
			break;
		case 2:					/* an interesting 4-byte count */
		case 3:
			if (buf->len >= 4)
			{
				int64_t		value = rng_int(rng, 0, 4) == 0 ? buf->len - pos + rng_int(rng, -4, 4) :
					interesting_ints[rng_int(rng, 0, sizeof(interesting_ints) / sizeof(interesting_ints[0]) - 1)];

				pos = rng_int(rng, 0, buf->len - 4);
				put_be(buf->data + pos, (uint64_t) value, 4);
			}
			break;
		case 4:					/* an interesting 8-byte word */
			if (buf->len >= 8)
			{
				pos = rng_int(rng, 0, buf->len - 8);
				put_be(buf->data + pos, interesting_words[rng_int(rng, 0,
																  sizeof(interesting_words) / sizeof(interesting_words[0]) - 1)], 8);
			}
			break;
		case 5:					/* truncate */
			buf->len = buf->len > 0 ? rng_int(rng, 0, buf->len - 1) : 0;
			buf->data[buf->len] = '\0';
			break;
		case 6:					/* delete a span */
			if (buf->len > 0)
				buf_splice(buf, pos, rng_int(rng, 1, buf->len - pos < 16 ? buf->len - pos : 16), "", 0);
			break;
		case 7:					/* duplicate a span */
			if (buf->len > 0)
			{
				n = rng_int(rng, 1, buf->len - pos < 64 ? buf->len - pos : 64);
				buf_splice(buf, rng_int(rng, 0, buf->len), 0, buf->data + pos, n);
			}
			break;
		case 8:					/* insert random bytes */
			n = rng_int(rng, 1, 8);
			for (i = 0; i < n; i++)
				tmp[i] = (char) rng_int(rng, 0, 255);
			buf_splice(buf, buf->len > 0 ? pos : 0, 0, tmp, n);
			break;
		case 9:					/* splice with another seed */
			{
				const Bytes *other = &seeds->items[rng_int(rng, 0, seeds->n - 1)];
				int			from = other->len > 0 ? rng_int(rng, 0, other->len) : 0;

				buf->len = pos;
				buf_splice(buf, pos, 0, other->data + from, other->len - from);
			}
			break;
	}
	if (!with_nul)
	{
		for (i = 0; i < buf->len; i++)
			if (buf->data[i] == '\0')
				buf->data[i] = (char) rng_int(rng, 1, 255);
	}
}

static void
mutate_binary(uint64_t *rng, const BytesList *seeds, Buffer *buf)
{
	const Bytes *seed = &seeds->items[rng_int(rng, 0, seeds->n - 1)];
	int			n = rng_int(rng, 1, 3);
	int			i;

	if (rng_int(rng, 0, 49) == 0)
	{
		/* random bytes */
		buf->len = 0;
		buf_reserve(buf, 64);
		buf->len = rng_int(rng, 0, 64);
		for (i = 0; i < buf->len; i++)
			buf->data[i] = (char) rng_int(rng, 0, 255);
		return;
	}
	buf_set(buf, seed->data, seed->len);
	for (i = 0; i < n; i++)
		mutate_bytes_once(rng, buf, seeds, true);
}

/* the words of the seeds (quoted strings, numbers), for the text mutations */
static void
collect_words(const BytesList *seeds, BytesList *words)
{
	int			s;
	size_t		t;

	for (t = 0; t < sizeof(text_tokens) / sizeof(text_tokens[0]); t++)
		list_add(words, text_tokens[t], strlen(text_tokens[t]));
	for (s = 0; s < seeds->n && words->n < 2000; s++)
	{
		const char *p = seeds->items[s].data;
		const char *end = p + seeds->items[s].len;

		while (p < end)
		{
			const char *start = p;

			if (*p == '"')
			{
				for (p++; p < end && *p != '"'; p++)
					if (*p == '\\' && p + 1 < end)
						p++;
				if (p < end)
					p++;
				list_add(words, start, p - start);
			}
			else if ((*p >= '0' && *p <= '9') || *p == '-')
			{
				for (p++; p < end && strchr("0123456789.e+-", *p) != NULL; p++)
					;
				list_add(words, start, p - start);
			}
			else
				p++;
		}
	}
}

/* length of the valid UTF-8 character at p (at most n bytes), 0 if invalid */
static int
utf8_char_length(const unsigned char *p, int n)
{
	int			len;
	int			i;

	if (p[0] < 0x80)
		return 1;
	len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : 0;
	if (len == 0 || len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/*
 * Replace bytes that are not valid UTF-8 by '?': the server rejects such
 * parameters before any input function sees them, so they would only waste
 * inputs.
 */
static void
make_valid_utf8(Buffer *buf)
{
	int			i = 0;

	while (i < buf->len)
	{
		int			len = utf8_char_length((unsigned char *) buf->data + i, buf->len - i);

		if (len == 0)
		{
			buf->data[i] = '?';
			len = 1;
		}
		i += len;
	}
}

static void
mutate_text(uint64_t *rng, const BytesList *seeds, const BytesList *words, Buffer *buf)
{
	const Bytes *seed = &seeds->items[rng_int(rng, 0, seeds->n - 1)];
	int			n = rng_int(rng, 1, 4);
	int			i;

	if (rng_int(rng, 0, 49) == 0)
	{
		/* a random string of tokens */
		buf_set(buf, "", 0);
		n = rng_int(rng, 1, 20);
		for (i = 0; i < n; i++)
		{
			const Bytes *w = &words->items[rng_int(rng, 0, words->n - 1)];

			buf_splice(buf, buf->len, 0, w->data, w->len);
		}
		return;
	}
	buf_set(buf, seed->data, seed->len);
	for (i = 0; i < n; i++)
	{
		int			pos = buf->len > 0 ? rng_int(rng, 0, buf->len) : 0;
		int			span = rng_int(rng, 0, 8);
		const Bytes *w = &words->items[rng_int(rng, 0, words->n - 1)];

		if (pos + span > buf->len)
			span = buf->len - pos;
		switch (rng_int(rng, 0, 5))
		{
			case 0:				/* insert a word */
				buf_splice(buf, pos, 0, w->data, w->len);
				break;
			case 1:				/* replace a span by a word */
			case 2:
				buf_splice(buf, pos, span, w->data, w->len);
				break;
			case 3:				/* delete a span */
				buf_splice(buf, pos, span, "", 0);
				break;
			case 4:				/* a byte-level change */
				mutate_bytes_once(rng, buf, seeds, false);
				break;
			case 5:				/* a long run of one character */
				{
					char		run[600];
					int			len = rng_int(rng, 1, sizeof(run));

					memset(run, "a9\"[{(,.-\\ "[rng_int(rng, 0, 10)], len);
					buf_splice(buf, pos, 0, run, len);
				}
				break;
		}
	}
	if (rng_int(rng, 0, 19) != 0)
		make_valid_utf8(buf);
}

/* ---------------------------------------------------------------- running inputs */

typedef struct Outcome
{
	bool		ok;				/* a result */
	bool		is_null;		/* ... that is NULL */
	bool		lost;			/* the connection is gone */
	char		sqlstate[6];
	char	   *value;			/* first column of the first row (malloc'd), or the error message */
	int			value_len;
} Outcome;

static void
outcome_free(Outcome *o)
{
	free(o->value);
	o->value = NULL;
}

static Outcome
run(PGconn *conn, const char *sql, unsigned int type_oid, const char *param, int param_len,
	int param_format, int result_format)
{
	Outcome		o = {0};
	const char *values[1] = {param};
	int			lengths[1] = {param_len};
	int			formats[1] = {param_format};
	unsigned int types[1] = {type_oid};
	PGresult   *res = PQexecParams(conn, sql, param ? 1 : 0, types, values, lengths, formats, result_format);
	ExecStatusType status = PQresultStatus(res);

	if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
	{
		o.ok = true;
		if (status == PGRES_TUPLES_OK && PQntuples(res) > 0 && PQnfields(res) > 0)
		{
			o.is_null = PQgetisnull(res, 0, 0);
			o.value_len = PQgetlength(res, 0, 0);
			o.value = malloc(o.value_len + 1);
			memcpy(o.value, PQgetvalue(res, 0, 0), o.value_len);
			o.value[o.value_len] = '\0';
		}
		else
			o.is_null = true;
	}
	else
	{
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		o.lost = PQstatus(conn) != CONNECTION_OK || state == NULL;
		snprintf(o.sqlstate, sizeof(o.sqlstate), "%s", state ? state : "?????");
		o.value = strdup(PQerrorMessage(conn));
	}
	PQclear(res);
	return o;
}

/* the tally of one fuzzed target */
typedef struct Tally
{
	char		what[320];
	int			inputs;
	int			accepted;
	int			failures;
	int			nstates;
	char		states[32][6];
	int			state_counts[32];
} Tally;

static void
tally_error(Tally *t, const char *sqlstate)
{
	int			i;

	for (i = 0; i < t->nstates; i++)
		if (strcmp(t->states[i], sqlstate) == 0)
			break;
	if (i == t->nstates)
	{
		if (t->nstates == 32)
			return;
		memcpy(t->states[t->nstates], sqlstate, 6);
		t->state_counts[t->nstates++] = 0;
	}
	t->state_counts[i]++;
}

static void
tally_print(const Tally *t)
{
	int			i;

	printf("fuzz: %s: %d inputs, %d accepted, %d errors (", t->what, t->inputs, t->accepted,
		   t->inputs - t->accepted);
	for (i = 0; i < t->nstates; i++)
		printf("%s%s %d", i ? ", " : "", t->states[i], t->state_counts[i]);
	printf(")%s\n", t->failures ? ", FAILURES" : "");
	fflush(stdout);
}

static void
print_input(const char *label, const char *data, int len, bool binary)
{
	int			i;

	printf("    %s: ", label);
	if (binary)
	{
		printf("\\x");
		for (i = 0; i < len; i++)
			printf("%02x", (unsigned char) data[i]);
	}
	else
		printf("%.*s", len > 4000 ? 4000 : len, data);
	printf("\n");
}

static uint64_t fuzz_rng;
static int	fuzz_iterations;

static void session_setup(PGconn *conn);

/* wait for the server to take connections again after a crash */
static void
reconnect(PGconn *conn)
{
	int			i;

	for (i = 0; i < 60; i++)
	{
		PQreset(conn);
		if (PQstatus(conn) == CONNECTION_OK)
		{
			session_setup(conn);
			return;
		}
		sleep(1);
	}
	fprintf(stderr, "the server does not come back after a crash\n");
	exit(1);
}

/*
 * Judge one outcome.  A lost connection or an internal error is a failure
 * (printed with the input); other errors are tallied.  Returns false when
 * the connection was lost (the caller stops fuzzing the target).
 */
static bool
judge(PGconn *conn, Tally *t, const Outcome *o, const char *step, const char *input, int input_len,
	  bool binary)
{
	if (o->ok)
		return true;
	tally_error(t, o->sqlstate);
	if (!o->lost && strcmp(o->sqlstate, "XX000") != 0 && strcmp(o->sqlstate, "57014") != 0)
		return true;
	t->failures++;
	if (t->failures <= MAX_FAILURE_REPORTS)
	{
		check(false, "%s: %s: %s (%s) %s", t->what, step,
			  o->lost ? "the connection was lost" :
			  strcmp(o->sqlstate, "57014") == 0 ? "an input took over the statement timeout" :
			  "an internal error", o->sqlstate, o->value ? o->value : "");
		print_input("input", input, input_len, binary);
	}
	if (o->lost)
	{
		reconnect(conn);
		return false;
	}
	return true;
}

static void
report_mismatch(Tally *t, const char *what, const char *input, int input_len, bool binary,
				const char *first, const char *second)
{
	t->failures++;
	if (t->failures <= MAX_FAILURE_REPORTS)
	{
		check(false, "%s: %s", t->what, what);
		print_input("input", input, input_len, binary);
		print_input("first", first, strlen(first), false);
		print_input("then", second ? second : "(an error)", second ? strlen(second) : 10, false);
	}
}

/*
 * An accepted value (its text form given) must read back to the same text,
 * in text and in binary, and the consumers must not fail hard on it.
 */
static bool
check_accepted(PGconn *conn, Tally *t, const char *type, unsigned int oid, const char *text,
			   const char *const *consumers, const char *input, int input_len, bool binary)
{
	char		sql[256];
	Outcome		again;
	Outcome		bin;
	const char *const *c;

	snprintf(sql, sizeof(sql), "SELECT $1::attribution.%s::text", type);
	again = run(conn, sql, 0, text, strlen(text), 0, 0);
	if (!judge(conn, t, &again, "reading the output back", input, input_len, binary))
		return false;
	if (!again.ok || strcmp(again.value, text) != 0)
		report_mismatch(t, "an accepted value does not read back to the same text", input, input_len,
						binary, text, again.ok ? again.value : NULL);
	outcome_free(&again);

	/* text -> binary -> text */
	snprintf(sql, sizeof(sql), "SELECT $1::attribution.%s", type);
	bin = run(conn, sql, 0, text, strlen(text), 0, 1);
	if (!judge(conn, t, &bin, "binary output", input, input_len, binary))
		return false;
	if (bin.ok && !bin.is_null)
	{
		Outcome		back = run(conn, "SELECT $1::text", oid, bin.value, bin.value_len, 1, 0);

		if (!judge(conn, t, &back, "binary input of a binary output", input, input_len, binary))
		{
			outcome_free(&bin);
			return false;
		}
		if (!back.ok || strcmp(back.value, text) != 0)
			report_mismatch(t, "the binary form of an accepted value does not read back", input,
							input_len, binary, text, back.ok ? back.value : NULL);
		outcome_free(&back);
	}
	outcome_free(&bin);

	for (c = consumers; *c != NULL; c++)
	{
		Outcome		used = run(conn, *c, 0, text, strlen(text), 0, 0);

		if (!judge(conn, t, &used, *c, input, input_len, binary))
			return false;
		outcome_free(&used);
	}
	return true;
}

/* ---------------------------------------------------------------- the session */

static void
session_setup(PGconn *conn)
{
	exec_ok(conn, "SET client_min_messages = error");
	exec_ok(conn, "SET statement_timeout = '10s'");
	exec_ok(conn, "SET plan_cache_mode = force_generic_plan");
	exec_ok(conn, "SET parallel_setup_cost = 0");
	exec_ok(conn, "SET min_parallel_table_scan_size = 0");
	exec_ok(conn, "SET max_parallel_workers_per_gather = 2");
	/* the leader runs the partial step itself: no worker start-up per query */
	exec_ok(conn, "SET max_parallel_workers = 0");
}

static bool
function_exists(PGconn *conn, const char *name)
{
	const char *params[1] = {name};
	PGresult   *res = PQexecParams(conn,
								   "SELECT 1 FROM pg_proc WHERE proname = $1 AND pronamespace = 'attribution'::regnamespace",
								   1, NULL, params, NULL, NULL, 0);
	bool		found = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0;

	PQclear(res);
	return found;
}

/* the attribution.* functions a query calls all exist */
static bool
query_functions_exist(PGconn *conn, const char *sql)
{
	const char *p = sql;

	while ((p = strstr(p, "attribution.")) != NULL)
	{
		char		name[64];
		int			n = 0;

		p += strlen("attribution.");
		while ((p[n] >= 'a' && p[n] <= 'z') || p[n] == '_')
			n++;
		if (n > 0 && n < (int) sizeof(name) && p[n] == '(')
		{
			memcpy(name, p, n);
			name[n] = '\0';
			if (!function_exists(conn, name))
				return false;
		}
		p += n;
	}
	return true;
}

static void
seeds_of(PGconn *conn, const char *sql, int format, BytesList *seeds)
{
	PGresult   *res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, format);
	int			i;

	if (!check(PQresultStatus(res) == PGRES_TUPLES_OK, "seed query fails: %s: %s", sql,
			   PQerrorMessage(conn)))
	{
		PQclear(res);
		return;
	}
	for (i = 0; i < PQntuples(res); i++)
		if (!PQgetisnull(res, i, 0))
			list_add(seeds, PQgetvalue(res, i, 0), PQgetlength(res, i, 0));
	PQclear(res);
}

/* ---------------------------------------------------------------- types */

static void
fuzz_type(PGconn *conn, const TypeSpec *spec, unsigned int oid)
{
	BytesList	text_seeds = {0};
	BytesList	binary_seeds = {0};
	BytesList	words = {0};
	const char *consumers[8];
	int			nconsumers = 0;
	char		sql[256];
	Buffer		buf = {0};
	Tally		t;
	int			i;

	seeds_of(conn, spec->seeds, 0, &text_seeds);
	seeds_of(conn, spec->seeds, 1, &binary_seeds);
	if (!check(text_seeds.n > 0 && binary_seeds.n > 0, "type %s has seeds", spec->type))
		return;
	collect_words(&text_seeds, &words);
	for (i = 0; spec->consumers[i] != NULL; i++)
	{
		Outcome		o;

		if (!query_functions_exist(conn, spec->consumers[i]))
			continue;
		/* a consumer must work on a valid value, or it tests nothing */
		o = run(conn, spec->consumers[i], 0, text_seeds.items[0].data, text_seeds.items[0].len, 0, 0);
		check(o.ok, "%s: a consumer reads a valid value: %s: %s", spec->type, spec->consumers[i],
			  o.ok ? "" : o.value);
		outcome_free(&o);
		consumers[nconsumers++] = spec->consumers[i];
	}
	consumers[nconsumers] = NULL;

	/* text input */
	memset(&t, 0, sizeof(t));
	snprintf(t.what, sizeof(t.what), "%s text input", spec->type);
	snprintf(sql, sizeof(sql), "SELECT $1::attribution.%s::text", spec->type);
	for (i = 0; i < fuzz_iterations; i++)
	{
		Outcome		o;

		mutate_text(&fuzz_rng, &text_seeds, &words, &buf);
		o = run(conn, sql, 0, buf.data, buf.len, 0, 0);
		t.inputs++;
		if (!judge(conn, &t, &o, "text input", buf.data, buf.len, false))
			break;
		if (o.ok)
		{
			t.accepted++;
			if (!check_accepted(conn, &t, spec->type, oid, o.value, consumers, buf.data, buf.len, false))
				break;
		}
		outcome_free(&o);
	}
	tally_print(&t);
	check(t.failures == 0, "%s: no crash, internal error or bad value (%d failures)", t.what, t.failures);

	/* binary input */
	memset(&t, 0, sizeof(t));
	snprintf(t.what, sizeof(t.what), "%s binary input", spec->type);
	for (i = 0; i < fuzz_iterations; i++)
	{
		Outcome		o;

		mutate_binary(&fuzz_rng, &binary_seeds, &buf);
		o = run(conn, "SELECT $1::text", oid, buf.data, buf.len, 1, 0);
		t.inputs++;
		if (!judge(conn, &t, &o, "binary input", buf.data, buf.len, true))
			break;
		if (o.ok)
		{
			t.accepted++;
			if (!check_accepted(conn, &t, spec->type, oid, o.value, consumers, buf.data, buf.len, true))
				break;
		}
		outcome_free(&o);
	}
	tally_print(&t);
	check(t.failures == 0, "%s: no crash, internal error or bad value (%d failures)", t.what, t.failures);

	free(buf.data);
	list_free(&text_seeds);
	list_free(&binary_seeds);
	list_free(&words);
}

static void
fuzz_types(PGconn *conn)
{
	PGresult   *res = query_ok(conn,
							   "SELECT t.typname, t.oid FROM pg_type t "
							   "JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e' "
							   "JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution' "
							   "WHERE t.typtype = 'b' AND t.typelem = 0 ORDER BY 1");
	int			i;

	check(PQntuples(res) >= 4, "the extension has its types (%d found)", PQntuples(res));
	for (i = 0; i < PQntuples(res); i++)
	{
		const char *name = PQgetvalue(res, i, 0);
		unsigned int oid = (unsigned int) strtoul(PQgetvalue(res, i, 1), NULL, 10);
		const TypeSpec *spec = NULL;
		size_t		s;

		for (s = 0; s < sizeof(type_specs) / sizeof(type_specs[0]); s++)
			if (strcmp(type_specs[s].type, name) == 0)
				spec = &type_specs[s];
		if (check(spec != NULL, "type attribution.%s has a fuzz specification in test_fuzz.c", name))
			fuzz_type(conn, spec, oid);
	}
	PQclear(res);
}

/* ---------------------------------------------------------------- aggregate states */

typedef struct AggInfo
{
	const char *signature;		/* regprocedure */
	const char *argtypes;		/* for CREATE AGGREGATE */
	const char *transfn;
	const char *serialfn;
	const char *deserialfn;
	const char *combinefn;
	const char *finalfn;
	const char *finalmodify;
	const char *result_type;	/* the type's name in schema attribution */
	unsigned int result_oid;
} AggInfo;

/* a query text with every %s replaced by name */
static char *
fill_in(const char *template, const char *name)
{
	size_t		cap = strlen(template) * 2 + 256;
	char	   *out = malloc(cap);
	const char *p;
	size_t		n = 0;

	for (p = template; *p; p++)
	{
		if (p[0] == '%' && p[1] == 's')
		{
			if (n + strlen(name) + 1 >= cap)
				out = realloc(out, cap = cap * 2 + strlen(name));
			memcpy(out + n, name, strlen(name));
			n += strlen(name);
			p++;
		}
		else
		{
			if (n + 2 >= cap)
				out = realloc(out, cap *= 2);
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return out;
}

static bool
exec_checked(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	check(ok, "statement fails: %s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

/* the plan of the prepared query splits the aggregate: the only plan the test aggregate is sound in */
static bool
plan_is_split(PGconn *conn)
{
	PGresult   *res = PQexec(conn, "EXPLAIN (COSTS OFF) EXECUTE fuzz_state(1)");
	bool		partial = false;
	bool		finalize = false;
	bool		other = false;
	int			i;

	for (i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res); i++)
	{
		const char *line = PQgetvalue(res, i, 0);

		if (strstr(line, "Partial Aggregate"))
			partial = true;
		else if (strstr(line, "Finalize Aggregate"))
			finalize = true;
		else if (strstr(line, "Aggregate"))
			other = true;
	}
	PQclear(res);
	return partial && finalize && !other;
}

/* the known states of an aggregate, decoded, added to inputs */
static void
add_known_states(const char *signature, BytesList *inputs)
{
	size_t		k;

	for (k = 0; k < sizeof(known_states) / sizeof(known_states[0]); k++)
	{
		const char *hex = known_states[k].hex;
		int			len = strlen(hex) / 2;
		char	   *bytes = malloc(len + 1);
		int			i;

		if (strcmp(known_states[k].aggregate, signature) != 0)
			continue;
		for (i = 0; i < len; i++)
		{
			unsigned int byte;

			sscanf(hex + 2 * i, "%2x", &byte);
			bytes[i] = (char) byte;
		}
		list_add(inputs, bytes, len);
		free(bytes);
	}
}

static void
fuzz_state(PGconn *conn, const AggInfo *agg, const StateSpec *spec, int number)
{
	char		sql[2048];
	char		bytes_agg[64];
	char		from_agg[64];
	char	   *seed_sql;
	BytesList	seeds = {0};
	BytesList	inputs = {0};
	Buffer		buf = {0};
	Tally		t;
	int			i;
	const char *no_consumers[1] = {NULL};

	snprintf(bytes_agg, sizeof(bytes_agg), "fuzz.state_bytes_%d", number);
	snprintf(from_agg, sizeof(from_agg), "fuzz.from_state_%d", number);
	snprintf(sql, sizeof(sql),
			 "CREATE AGGREGATE %s(%s) (SFUNC = %s, STYPE = internal, FINALFUNC = %s)",
			 bytes_agg, agg->argtypes, agg->transfn, agg->serialfn);
	if (!exec_checked(conn, sql))
		return;
	snprintf(sql, sizeof(sql),
			 "CREATE AGGREGATE %s(bytea, bytea) (SFUNC = pg_catalog.bytea_string_agg_transfn, "
			 "STYPE = internal, SERIALFUNC = pg_catalog.bytea_string_agg_finalfn, DESERIALFUNC = %s, "
			 "COMBINEFUNC = %s, FINALFUNC = %s, FINALFUNC_MODIFY = %s, PARALLEL = SAFE)",
			 from_agg, agg->deserialfn, agg->combinefn, agg->finalfn, agg->finalmodify);
	if (!exec_checked(conn, sql))
		return;
	seed_sql = fill_in(spec->seeds, bytes_agg);
	seeds_of(conn, seed_sql, 1, &seeds);
	free(seed_sql);
	if (!check(seeds.n > 0, "aggregate %s has seeds", agg->signature))
		return;

	/* a valid state first, then the known ones, then mutated ones */
	list_add(&inputs, seeds.items[0].data, seeds.items[0].len);
	add_known_states(agg->signature, &inputs);
	while (inputs.n <= fuzz_iterations)
	{
		mutate_binary(&fuzz_rng, &seeds, &buf);
		list_add(&inputs, buf.data, buf.len);
	}

	/* the inputs, all in one table: one query per input picks one */
	if (!exec_checked(conn, "TRUNCATE fuzz.state_input"))
		return;
	for (i = 0; i < inputs.n; i++)
	{
		char		id[16];
		const char *values[2] = {id, NULL};
		int			lengths[2] = {0, 0};
		int			formats[2] = {0, 1};
		PGresult   *res;

		snprintf(id, sizeof(id), "%d", i);
		values[1] = inputs.items[i].data;
		lengths[1] = inputs.items[i].len;
		res = PQexecParams(conn, "INSERT INTO fuzz.state_input VALUES ($1, $2)", 2, NULL, values,
						   lengths, formats, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			check(false, "insert of a fuzz input fails: %s", PQerrorMessage(conn));
		PQclear(res);
	}
	if (!exec_checked(conn, "ANALYZE fuzz.state_input"))
		return;
	snprintf(sql, sizeof(sql),
			 "PREPARE fuzz_state(int) AS SELECT %s(CASE WHEN id = $1 THEN b END, NULL)::text "
			 "FROM fuzz.state_input",
			 from_agg);
	exec_checked(conn, "DEALLOCATE ALL");
	if (!exec_checked(conn, sql))
		return;
	if (!check(plan_is_split(conn), "%s: the test aggregate runs split (Partial and Finalize Aggregate); "
			   "not fuzzed", agg->signature))
		return;

	memset(&t, 0, sizeof(t));
	snprintf(t.what, sizeof(t.what), "%s state", agg->signature);
	for (i = 0; i < inputs.n; i++)
	{
		PGresult   *res;
		Outcome		o;
		char		id[16];
		const char *values[1] = {id};
		const char *input = inputs.items[i].data;
		int			input_len = inputs.items[i].len;

		snprintf(id, sizeof(id), "%d", i);
		res = PQexecPrepared(conn, "fuzz_state", 1, values, NULL, NULL, 1);
		memset(&o, 0, sizeof(o));
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
		{
			o.ok = true;
			o.is_null = PQgetisnull(res, 0, 0);
			if (!o.is_null)
				o.value = strndup(PQgetvalue(res, 0, 0), PQgetlength(res, 0, 0));
		}
		else
		{
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			o.lost = PQstatus(conn) != CONNECTION_OK || state == NULL;
			snprintf(o.sqlstate, sizeof(o.sqlstate), "%s", state ? state : "?????");
			o.value = strdup(PQerrorMessage(conn));
		}
		PQclear(res);
		t.inputs++;
		if (i == 0)
			check(o.ok, "%s: a valid serialized state is accepted: %s", agg->signature,
				  o.ok ? "" : o.value);
		if (!judge(conn, &t, &o, "deserialize, combine and final", input, input_len, true))
			break;
		if (o.ok)
		{
			t.accepted++;
			if (!o.is_null && !check_accepted(conn, &t, agg->result_type, agg->result_oid, o.value,
											  no_consumers, input, input_len, true))
				break;
		}
		outcome_free(&o);
	}
	exec_checked(conn, "DEALLOCATE ALL");
	tally_print(&t);
	check(t.failures == 0, "%s: no crash, internal error or bad value (%d failures)", t.what, t.failures);
	free(buf.data);
	list_free(&seeds);
	list_free(&inputs);
}

static void
fuzz_states(PGconn *conn)
{
	PGresult   *res = query_ok(conn,
							   "SELECT a.aggfnoid::regprocedure::text, oidvectortypes(p.proargtypes), "
							   "a.aggtransfn::regproc::text, a.aggserialfn::regproc::text, "
							   "a.aggdeserialfn::regproc::text, a.aggcombinefn::regproc::text, "
							   "a.aggfinalfn::regproc::text, "
							   "CASE a.aggfinalmodify WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END, "
							   "t.typname, a.aggfinalextra, a.aggfinalfn <> 0 AND a.aggserialfn <> 0, t.oid "
							   "FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid "
							   "JOIN pg_type t ON t.oid = p.prorettype "
							   "JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e' "
							   "JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'attribution' "
							   "WHERE a.aggtranstype = 'internal'::regtype ORDER BY 1");
	int			i;

	check(PQntuples(res) >= 5, "the extension has aggregates with internal states (%d found)",
		  PQntuples(res));
	for (i = 0; i < PQntuples(res); i++)
	{
		AggInfo		agg;
		const StateSpec *spec = NULL;
		size_t		s;

		agg.signature = PQgetvalue(res, i, 0);
		agg.argtypes = PQgetvalue(res, i, 1);
		agg.transfn = PQgetvalue(res, i, 2);
		agg.serialfn = PQgetvalue(res, i, 3);
		agg.deserialfn = PQgetvalue(res, i, 4);
		agg.combinefn = PQgetvalue(res, i, 5);
		agg.finalfn = PQgetvalue(res, i, 6);
		agg.finalmodify = PQgetvalue(res, i, 7);
		agg.result_type = PQgetvalue(res, i, 8);
		agg.result_oid = (unsigned int) strtoul(PQgetvalue(res, i, 11), NULL, 10);
		if (!check(strcmp(PQgetvalue(res, i, 10), "t") == 0 && strcmp(PQgetvalue(res, i, 9), "f") == 0,
				   "%s has a final, serialize and deserialize function and no FINALFUNC_EXTRA "
				   "(the shape this test fuzzes)", agg.signature))
			continue;
		for (s = 0; s < sizeof(state_specs) / sizeof(state_specs[0]); s++)
			if (strcmp(state_specs[s].aggregate, agg.signature) == 0)
				spec = &state_specs[s];
		if (check(spec != NULL, "aggregate %s has a fuzz specification in test_fuzz.c", agg.signature))
			fuzz_state(conn, &agg, spec, i);
	}
	PQclear(res);
}

void
test_fuzz(PGconn *conn)
{
	const char *iterations = getenv("ATTR_FUZZ_ITERATIONS");
	const char *seed = getenv("ATTR_FUZZ_SEED");
	size_t		i;

	fuzz_iterations = iterations ? atoi(iterations) : 1000;
	fuzz_rng = seed ? strtoull(seed, NULL, 10) : 20240601;
	printf("fuzz: %d inputs per target, seed %llu\n", fuzz_iterations, (unsigned long long) fuzz_rng);
	session_setup(conn);
	for (i = 0; i < sizeof(setup_sql) / sizeof(setup_sql[0]); i++)
	{
		/* the path table needs no path functions: it is plain SQL */
		exec_ok(conn, setup_sql[i]);
	}
	exec_ok(conn, "ANALYZE");
	fuzz_types(conn);
	fuzz_states(conn);
}
