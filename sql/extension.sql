-- The extension installs into its fixed schema and cannot be relocated.
SELECT extname, extversion, extrelocatable, n.nspname AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE extname = 'attribution';
CREATE SCHEMA elsewhere;
ALTER EXTENSION attribution SET SCHEMA elsewhere;
DROP SCHEMA elsewhere;
