-- Shapley values, the counterfactual model and the heuristics: known answers
-- computed by hand, edge cases, bad input.
SET search_path = attribution, public;
SET extra_float_digits = 0;

-- Simplified Shapley: a (4 conversions) and a>b (6): a = 4 + 6/2 = 7, b = 3.
SELECT * FROM shapley('[[["a"],4,4,0],[["a","b"],6,6,0]]');
SELECT * FROM shapley('[[["a"],4,4,0],[["a","b"],6,6,0]]', 'ordered');
-- b>a>b (2 conversions, value 20), a>c (3, 9), c (1, 5), x>y (no conversion):
-- split over distinct channels, order and repeats do not matter.
-- a = 2/2 + 3/2 = 2.5, b = 1, c = 3/2 + 1 = 2.5; value a = 10 + 4.5,
-- b = 10, c = 4.5 + 5.  Channels of no converting path get 0.
SELECT * FROM shapley('[[["b","a","b"],2,20,1],[["a","c"],3,9,0],[["c"],1,5,0],[["x","y"],0,0,5]]');
-- Ordered: the share goes to the position of the channel's first appearance
-- among the distinct channels: b>a>b gives b position 1, a position 2.
SELECT * FROM shapley('[[["b","a","b"],2,20,1],[["a","c"],3,9,0],[["c"],1,5,0],[["x","y"],0,0,5]]', 'ordered');
-- summed over positions, the ordered value is the simplified one
SELECT o.channel, sum(o.conversions) = s.conversions AS same_conversions, sum(o.value) = s.value AS same_value
FROM shapley('[[["b","a","b"],2,20,1],[["a","c"],3,9,0],[["c"],1,5,0]]', 'ordered') o
JOIN shapley('[[["b","a","b"],2,20,1],[["a","c"],3,9,0],[["c"],1,5,0]]') s USING (channel)
GROUP BY o.channel, s.conversions, s.value ORDER BY o.channel;
-- No channel limit beyond the summary's own: one journey through 1000
-- channels gives each 1/1000.
SELECT count(*) AS channels, round(min(conversions)::numeric, 12) AS each, round(sum(conversions)::numeric, 9) AS total
FROM shapley((SELECT path_agg(p, true)
              FROM (SELECT array_agg('c' || i ORDER BY i) AS p FROM generate_series(1, 1000) i) t));
SELECT count(*) FROM shapley('[]');
SELECT count(*) FROM shapley('[]', 'ordered');
SELECT count(*) FROM shapley('[[["a"],1,1,0]]', NULL);
SELECT * FROM shapley('[[["a"],1,1,0]]', 'unordered');
SELECT * FROM shapley('[[["a"],1,1,0]]', '');

-- Counterfactual.  Rates: a>b 3/4, a>c 1/2, a 1/4; b, c alone never occur (0).
-- a>b: without a 0 (gain 3/4), without b 1/4 (gain 1/2): a 3*.6, b 3*.4.
-- a>c: gains 1/2 and 1/4: a 2/3, c 1/3.  a alone: all to a.
-- a = 1.8 + 2/3 + 1, b = 1.2, c = 1/3; value a = 30*.6 + 5*2/3 + 2.
SELECT * FROM counterfactual('[[["a","b"],3,30,1],[["a","c"],1,5,1],[["a"],1,2,3]]');
-- Every gain 0 (a>b converts less often than a or b alone): all to the last
-- touch.  a = 1, b = 1 + 1.
SELECT * FROM counterfactual('[[["a","b"],1,1,9],[["b"],1,1,0],[["a"],1,1,0]]');
-- Repeats: leaving out either a of a>a>b gives a>b (rate 1/2), leaving out b
-- gives a>a (not observed): gains 1/2, 1/2, 1 -> a 1, b 1; a>b: a .5, b .5.
SELECT * FROM counterfactual('[[["a","a","b"],2,2,0],[["a","b"],1,1,1]]');
SELECT * FROM counterfactual('[[["solo"],2,7,1]]');
SELECT count(*) FROM counterfactual('[]');

-- Heuristics: a>b>a (3 conversions, 30), a>c (1, 1), c (no conversion).
-- first: a 4 (31); last: a 3 (30), c 1 (1); linear per touch: a 3*2/3 + 1/2,
-- b 1, c 1/2; value a 20 + .5, b 10, c .5.
SELECT * FROM heuristics('[[["a","b","a"],3,30,1],[["a","c"],1,1,1],[["c"],0,0,2]]');
SELECT count(*) FROM heuristics('[]');

-- Every model's credits add up to the total conversions and value.
CREATE TABLE random_journeys AS
SELECT i AS id,
       ARRAY(SELECT 'c' || (abs(hashint4(i * 100 + k)) % 7)
             FROM generate_series(1, 1 + abs(hashint4(i)) % 9) k ORDER BY k) AS path,
       abs(hashint4(i * 7 + 1)) % 3 = 0 AS converted,
       (abs(hashint4(i * 13)) % 100000) / 100.0 AS revenue
FROM generate_series(1, 3000) i;
CREATE TABLE random_summary AS SELECT path_agg(path, converted, revenue) AS ps FROM random_journeys;
WITH totals AS (
	SELECT sum(p.conversions) AS conversions, sum(p.value) AS value
	FROM random_summary, paths(ps) p),
credits AS (
	SELECT 'shapley' AS model, conversions, value FROM random_summary, shapley(ps)
	UNION ALL SELECT 'shapley ordered', conversions, value FROM random_summary, shapley(ps, 'ordered')
	UNION ALL SELECT 'counterfactual', conversions, value FROM random_summary, counterfactual(ps)
	UNION ALL SELECT 'first touch', first_touch, first_touch_value FROM random_summary, heuristics(ps)
	UNION ALL SELECT 'last touch', last_touch, last_touch_value FROM random_summary, heuristics(ps)
	UNION ALL SELECT 'linear', linear, linear_value FROM random_summary, heuristics(ps))
SELECT model,
       abs(sum(c.conversions) - min(t.conversions)) <= 1e-9 * min(t.conversions) AS conversions_add_up,
       abs(sum(c.value) - min(t.value)) <= 1e-9 * min(t.value) AS value_adds_up,
       bool_and(c.conversions >= 0 AND c.value >= 0) AS non_negative
FROM credits c, totals t GROUP BY model ORDER BY model;

DROP TABLE random_journeys, random_summary;
