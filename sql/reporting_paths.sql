-- Data-driven attribution over the opportunity journeys: the paths of the
-- closed opportunities, with Markov, Shapley and the heuristics side by
-- side, on a data set small enough to check by hand.
SET timezone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never

INSERT INTO attribution.contacts VALUES
	('P1', 'X', '2024-01-01'), ('P2', 'X', '2024-01-01'), ('P3', 'Y', '2024-01-01'), ('P4', 'Y', '2024-01-01'),
	('P5', 'Z', '2024-01-01');
-- Q1 won 100 (path A, B), Q2 lost (A), Q3 won 50 (B), Q4 open (A, B, C: not decided, left out),
-- Q5 lost without any touch (no path)
INSERT INTO attribution.opportunities VALUES
	('Q1', 'X', '2024-02-01', '2024-03-01', true, 100), ('Q2', 'X', '2024-02-01', '2024-03-01', false, 70),
	('Q3', 'Y', '2024-02-01', '2024-03-01', true, 50), ('Q4', 'Y', '2024-02-01', NULL, false, 30),
	('Q5', 'Z', '2024-02-01', '2024-03-01', false, 10);
INSERT INTO attribution.opportunity_contacts VALUES
	('Q1', 'P1', 'champion'), ('Q2', 'P2', 'champion'), ('Q3', 'P3', 'champion'), ('Q4', 'P4', 'champion'),
	('Q5', 'P5', 'champion');
INSERT INTO attribution.touchpoints VALUES
	(1, 'P1', '2024-01-02', 'A', NULL, false), (2, 'P1', '2024-01-03', 'B', NULL, false),
	(3, 'P2', '2024-01-02', 'A', NULL, false), (4, 'P3', '2024-01-05', 'B', NULL, false),
	(5, 'P4', '2024-01-02', 'A', NULL, false), (6, 'P4', '2024-01-03', 'B', NULL, false),
	(7, 'P4', '2024-01-04', 'C', NULL, false);

SELECT * FROM attribution.opportunity_paths ORDER BY opportunity_id;

-- Shapley: Q1 splits over A and B, Q3 is all B: A 0.5 deals and 50, B 1.5 and 100.
-- Heuristics: first touch A 1 (100), B 1 (50); last touch B 2 (150); linear A 0.5 (50), B 1.5 (100).
-- Markov: start -> A 2/3, start -> B 1/3, A -> B 1/2, A -> null 1/2, B -> conversion 1, so
-- P(conversion) = 2/3; without A it is 1/3 (removal effect 0.5), without B 0 (removal effect 1);
-- normalised to the 2 deals: A 0.67, B 1.33.
SELECT * FROM attribution.data_driven_attribution ORDER BY channel;
-- every model credits the same deals and revenue in all
SELECT sum(markov_conversions) AS markov, sum(shapley_conversions) AS shapley,
	   sum(first_touch_conversions) AS first_touch, sum(last_touch_conversions) AS last_touch,
	   sum(linear_conversions) AS linear, sum(markov_revenue) AS markov_revenue,
	   sum(shapley_revenue) AS shapley_revenue, sum(linear_revenue) AS linear_revenue
FROM attribution.data_driven_attribution;

-- no closed opportunity with a touch: no rows, no error
DELETE FROM attribution.opportunities WHERE closed_at IS NOT NULL;
SELECT count(*) FROM attribution.data_driven_attribution;

TRUNCATE attribution.contacts, attribution.opportunities CASCADE;
