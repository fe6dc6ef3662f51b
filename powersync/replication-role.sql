-- The role the PowerSync service replicates with: it may stream the WAL
-- (REPLICATION) and read the synced tables, and nothing else. Run it as a
-- superuser (or a role with CREATEROLE that owns the tables) on the app's
-- database after `manage.py migrate`, with the role's password in the
-- environment (psql 15 or later reads it, so it never shows in a command line):
--
--   POWERSYNC_DB_PASSWORD=... psql "$DATABASE_URL" -f powersync/replication-role.sql
--
-- Running it again changes nothing but the password. The `powersync` compose
-- profile runs it in its `powersync-role` service; a test runs it on a real cluster.
\set ON_ERROR_STOP on
\getenv password POWERSYNC_DB_PASSWORD
\if :{?password}
\else
  \set password ''
\endif
SELECT :'password' = '' AS password_missing \gset
\if :password_missing
  DO $$ BEGIN RAISE EXCEPTION 'POWERSYNC_DB_PASSWORD is not set: it is the replication role''s password'; END $$;
\endif
SELECT 'CREATE ROLE powersync_role WITH LOGIN REPLICATION'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'powersync_role') \gexec
ALTER ROLE powersync_role WITH LOGIN REPLICATION PASSWORD :'password';
-- The synced tables (the publication `powersync` lists the same ones).
GRANT SELECT ON TABLE plans_plan TO powersync_role;
