-- attribution: update from 0.1.0 to 0.2.0.  Each part of the change has its
-- own section below; the install script of 0.2.0 is generated from src/sql/,
-- and test/upgrade.sh checks that this update gives the same catalog.

\echo Use "ALTER EXTENSION attribution UPDATE TO '0.2.0'" to load this file. \quit

-- ==== security ====



-- ==== robustness ====



-- ==== scale-out: reporting ====



-- ==== scale-out: aggregates ====

-- credit_sum_agg(channel_credits [, weight]): credit by channel over many
-- journeys with a storable state, which distributed engines split into
-- partial aggregates; sum() keeps working as its deprecated alias (replaced
-- in place, so that views using it stay).
CREATE TYPE @extschema@.credit_sum_state;

CREATE FUNCTION @extschema@.credit_sum_state_in(cstring) RETURNS @extschema@.credit_sum_state
	AS 'MODULE_PATHNAME', 'credit_sum_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_sum_state_out(@extschema@.credit_sum_state) RETURNS cstring
	AS 'MODULE_PATHNAME', 'credit_sum_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_sum_state_recv(internal) RETURNS @extschema@.credit_sum_state
	AS 'MODULE_PATHNAME', 'credit_sum_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_sum_state_send(@extschema@.credit_sum_state) RETURNS bytea
	AS 'MODULE_PATHNAME', 'credit_sum_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.credit_sum_state (
	INPUT = @extschema@.credit_sum_state_in,
	OUTPUT = @extschema@.credit_sum_state_out,
	RECEIVE = @extschema@.credit_sum_state_recv,
	SEND = @extschema@.credit_sum_state_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended
);
COMMENT ON TYPE @extschema@.credit_sum_state IS
	'Partial state of credit_sum_agg(): compensated credit sums by channel (text form: base64 of the binary form)';
COMMENT ON FUNCTION @extschema@.credit_sum_state_in(cstring) IS 'Text input of credit_sum_state';
COMMENT ON FUNCTION @extschema@.credit_sum_state_out(@extschema@.credit_sum_state) IS 'Text output of credit_sum_state';
COMMENT ON FUNCTION @extschema@.credit_sum_state_recv(internal) IS 'Binary input of credit_sum_state';
COMMENT ON FUNCTION @extschema@.credit_sum_state_send(@extschema@.credit_sum_state) IS 'Binary output of credit_sum_state';

CREATE FUNCTION @extschema@.credit_sum_trans(@extschema@.credit_sum_state, @extschema@.channel_credits)
	RETURNS @extschema@.credit_sum_state
	AS 'MODULE_PATHNAME', 'credit_sum_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_sum_trans(@extschema@.credit_sum_state, @extschema@.channel_credits, float8)
	RETURNS @extschema@.credit_sum_state
	AS 'MODULE_PATHNAME', 'credit_sum_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_sum_combine(@extschema@.credit_sum_state, @extschema@.credit_sum_state)
	RETURNS @extschema@.credit_sum_state
	AS 'MODULE_PATHNAME', 'credit_sum_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.credit_sum_final(@extschema@.credit_sum_state) RETURNS @extschema@.channel_credits
	AS 'MODULE_PATHNAME', 'credit_sum_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.credit_sum_trans(@extschema@.credit_sum_state, @extschema@.channel_credits) IS
	'Transition function of credit_sum_agg(channel_credits)';
COMMENT ON FUNCTION @extschema@.credit_sum_trans(@extschema@.credit_sum_state, @extschema@.channel_credits, float8) IS
	'Transition function of credit_sum_agg(channel_credits, float8)';
COMMENT ON FUNCTION @extschema@.credit_sum_combine(@extschema@.credit_sum_state, @extschema@.credit_sum_state) IS
	'Combine function of credit_sum_agg: adds two partial states';
COMMENT ON FUNCTION @extschema@.credit_sum_final(@extschema@.credit_sum_state) IS
	'Final function of credit_sum_agg: the credit by channel of a state';

CREATE AGGREGATE @extschema@.credit_sum_agg(@extschema@.channel_credits) (
	SFUNC = @extschema@.credit_sum_trans, STYPE = @extschema@.credit_sum_state, SSPACE = 1000,
	COMBINEFUNC = @extschema@.credit_sum_combine,
	FINALFUNC = @extschema@.credit_sum_final, PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.credit_sum_agg(@extschema@.channel_credits, weight float8) (
	SFUNC = @extschema@.credit_sum_trans, STYPE = @extschema@.credit_sum_state, SSPACE = 1000,
	COMBINEFUNC = @extschema@.credit_sum_combine,
	FINALFUNC = @extschema@.credit_sum_final, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.credit_sum_agg(@extschema@.channel_credits) IS
	'Credit by channel added up over many journeys';
COMMENT ON AGGREGATE @extschema@.credit_sum_agg(@extschema@.channel_credits, float8) IS
	'Credit by channel times a weight per journey (its revenue, say), added up over many journeys';
CREATE OR REPLACE AGGREGATE @extschema@.sum(@extschema@.channel_credits) (
	SFUNC = @extschema@.credit_sum_trans, STYPE = @extschema@.credit_sum_state, SSPACE = 1000,
	COMBINEFUNC = @extschema@.credit_sum_combine,
	FINALFUNC = @extschema@.credit_sum_final, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE @extschema@.sum(@extschema@.channel_credits, weight float8) (
	SFUNC = @extschema@.credit_sum_trans, STYPE = @extschema@.credit_sum_state, SSPACE = 1000,
	COMBINEFUNC = @extschema@.credit_sum_combine,
	FINALFUNC = @extschema@.credit_sum_final, PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.sum(@extschema@.channel_credits) IS
	'Deprecated name of credit_sum_agg(channel_credits): credit by channel added up over many journeys';
COMMENT ON AGGREGATE @extschema@.sum(@extschema@.channel_credits, float8) IS
	'Deprecated name of credit_sum_agg(channel_credits, float8): credit by channel times a weight per journey, added up';
DROP FUNCTION @extschema@.channel_credits_sum_trans(internal, @extschema@.channel_credits);
DROP FUNCTION @extschema@.channel_credits_sum_trans(internal, @extschema@.channel_credits, float8);
DROP FUNCTION @extschema@.channel_credits_sum_combine(internal, internal);
DROP FUNCTION @extschema@.channel_credits_sum_serialize(internal);
DROP FUNCTION @extschema@.channel_credits_sum_deserialize(bytea, internal);
DROP FUNCTION @extschema@.channel_credits_sum_final(internal);


-- ==== compatibility ====



-- ==== reporting for BI ====



-- ==== maintenance ====



-- ==== end ====
