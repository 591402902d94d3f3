-- Markov-chain attribution: known answers computed by hand, edge cases,
-- bad input.  Numbers that are not exact in binary are rounded for display.
SET search_path = attribution, public;
SET extra_float_digits = 0;

-- Known answer 1: A>B>A>B>B>A, A>B>B>A>A, A>A, one conversion each, no
-- non-conversions.  Collapsed: A>B>A>B>A, A>B>A, A.  A->B 1/2, A->conversion
-- 1/2, B->A 1.  P = 1; without B, P = 1/2; without A, 0: removal effects 1
-- and .5, credits 2 and 1.  Every path converts, which a NOTICE points out.
CREATE TABLE known1 (path text[], converted boolean);
INSERT INTO known1 VALUES ('{A,B,A,B,B,A}', true), ('{A,B,B,A,A}', true), ('{A,A}', true);
SELECT * FROM markov((SELECT path_agg(path, converted) FROM known1));
SELECT * FROM transition_matrix((SELECT path_agg(path, converted) FROM known1));

-- Known answer 2: C1>C2>C3 converts, C1 and C2>C3 do not.  P = 1/3; without
-- C1 1/6 (effect .5), without C2 or C3 0 (effect 1): credits .2, .4, .4.
SELECT * FROM markov('[[["C1","C2","C3"],1,1,0],[["C1"],0,0,1],[["C2","C3"],0,0,1]]');

-- Known answer 3: a>b 3 conversions 1 non-conversion, a>c 1 and 1.
-- a->b 2/3, b->conversion 3/4, c->conversion 1/2; P = 2/3, without b 1/6,
-- without c 1/2: effects 1, .75, .25, credits 2, 1.5, .5.
SELECT * FROM transition_matrix('[[["a","b"],3,3,1],[["a","c"],1,1,1]]');
SELECT * FROM markov('[[["a","b"],3,3,1],[["a","c"],1,1,1]]');
-- Value weighting: a>b converts 30 in all, a>c 5.  Value absorbed from b is
-- 30/4 per journey reaching it, from c 5/2; from start (4*7.5 + 2*2.5)/6 =
-- 35/6; without b 5/6 (effect 6/7), without c 5 (effect 1/7), without a 0:
-- value credits 35 * (1, 6/7, 1/7) / 2 = 17.5, 15, 2.5.
SELECT * FROM markov('[[["a","b"],3,30,1],[["a","c"],1,5,1]]');
-- a chain that is a tree is the same at every order
SELECT chain_order, channel, removal_effect, conversions
FROM generate_series(1, 4) chain_order,
     markov('[[["a","b"],3,3,1],[["a","c"],1,1,1]]', chain_order)
ORDER BY chain_order, channel;

-- Higher orders on known answer 1.  Order 2 states: A, A>B, B>A.  A->A>B 2/3,
-- A->conversion 1/3, A>B->B>A 1, B>A->A>B 1/3, B>A->conversion 2/3.  P = 1;
-- without B only A->conversion is left: P = 1/3, effect 2/3; without A, 0.
-- Credits 3 * (1, 2/3) / (5/3) = 1.8, 1.2.  Orders 3 and 4 give the same.
SELECT * FROM transition_matrix((SELECT path_agg(path, converted) FROM known1), 2);
SELECT chain_order, channel, round(removal_effect::numeric, 12) AS removal_effect,
       round(conversions::numeric, 12) AS conversions
FROM generate_series(1, 4) chain_order,
     markov((SELECT path_agg(path, converted) FROM known1), chain_order)
ORDER BY chain_order, channel;
SELECT * FROM transition_matrix((SELECT path_agg(path, converted) FROM known1), 3);

-- One channel alone gets everything.
SELECT * FROM markov('[[["solo"],3,30,5]]');
-- A channel that is the last touch of every converting path has effect 1.
SELECT * FROM markov('[[["a","c"],2,2,1],[["b","c"],1,1,0],[["a","b"],0,0,3]]');
-- A channel only on paths with no route to conversion has effect 0.
SELECT * FROM markov('[[["a","b"],2,2,1],[["z"],0,0,4]]');
-- The chain can route around a channel that every converting path touched:
-- a>c>b converts, a>b does not; the chain has a->b->conversion, so removing
-- c halves P (effect .5, not 1).  This is the model, not an error.
SELECT * FROM markov('[[["a","c","b"],1,1,0],[["a","b"],0,0,1]]');
-- No conversions at all: effects and credits 0.
SELECT * FROM markov('[[["a","b"],0,0,5],[["b"],0,0,1]]');
-- An empty summary returns no rows, as does a NULL argument.
SELECT count(*) FROM markov('[]');
SELECT count(*) FROM transition_matrix('[]', 3);
SELECT count(*) FROM markov('[[["a"],1,1,0]]', NULL);

-- Bad orders.
SELECT * FROM markov('[[["a"],1,1,0]]', 0);
SELECT * FROM markov('[[["a"],1,1,0]]', 5);
SELECT * FROM transition_matrix('[[["a"],1,1,0]]', -1);

-- Random journeys over 6 channels: credits add up to the totals at every
-- order, transition probabilities add up to 1 per state, and a component
-- of the order-3 chain is large enough to be solved by sweeps.
CREATE TABLE random_journeys AS
SELECT i AS id,
       ARRAY(SELECT 'c' || (abs(hashint4(i * 100 + k)) % 6)
             FROM generate_series(1, 1 + abs(hashint4(i)) % 8) k ORDER BY k) AS path,
       abs(hashint4(i * 7 + 1)) % 3 = 0 AS converted,
       (abs(hashint4(i * 13)) % 100000) / 100.0 AS revenue
FROM generate_series(1, 3000) i;
CREATE TABLE random_summary AS SELECT path_agg(path, converted, revenue) AS ps FROM random_journeys;
WITH totals AS (
	SELECT sum(p.conversions) AS conversions, sum(p.value) AS value
	FROM random_summary, paths(ps) p)
SELECT chain_order,
       abs(sum(m.conversions) - min(t.conversions)) <= 1e-9 * min(t.conversions) AS conversions_add_up,
       abs(sum(m.value) - min(t.value)) <= 1e-9 * min(t.value) AS value_adds_up,
       bool_and(removal_effect BETWEEN 0 AND 1) AS effects_in_range,
       count(*) AS channels
FROM random_summary, totals t, generate_series(1, 4) chain_order, markov(ps, chain_order) m
GROUP BY chain_order ORDER BY chain_order;
SELECT chain_order, count(DISTINCT from_state) AS states,
       bool_and(abs(total - 1) < 1e-12) AS rows_sum_to_one
FROM (SELECT chain_order, from_state, sum(probability) AS total
      FROM random_summary, generate_series(1, 3) chain_order, transition_matrix(ps, chain_order)
      GROUP BY chain_order, from_state) t
GROUP BY chain_order ORDER BY chain_order;

-- A ring of 1100 channels, each path c(i)>c(i+1) with one conversion and one
-- non-conversion: one component too large for the dense order-1 method, so
-- every channel is removed and solved for.  By symmetry each gets 1.
CREATE TABLE ring AS
SELECT path_agg(ARRAY['r' || i, 'r' || ((i + 1) % 1100)], 1, 1, 1) AS ps
FROM generate_series(0, 1099) i;
SELECT count(*) AS channels, round(min(conversions)::numeric, 9) AS min_credit,
       round(max(conversions)::numeric, 9) AS max_credit,
       round(sum(conversions)::numeric, 9) AS total
FROM ring, markov(ps);

DROP TABLE known1, random_journeys, random_summary, ring;
