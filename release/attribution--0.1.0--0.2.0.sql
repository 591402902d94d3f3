-- attribution: update from 0.1.0 to 0.2.0.  Each part of the change has its
-- own section below; the install script of 0.2.0 is generated from src/sql/,
-- and test/upgrade.sh checks that this update gives the same catalog.

\echo Use "ALTER EXTENSION attribution UPDATE TO '0.2.0'" to load this file. \quit

-- ==== security ====



-- ==== robustness ====



-- ==== scale-out: reporting ====



-- ==== scale-out: aggregates ====



-- ==== compatibility ====



-- ==== reporting for BI ====



-- ==== maintenance ====



-- ==== end ====
