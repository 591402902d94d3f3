-- attribution: the install script is generated from the files of src/sql/,
-- concatenated in the order of their names.  Edit those, never the result.

\echo Use "CREATE EXTENSION attribution" to load this file. \quit
