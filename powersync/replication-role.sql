-- The role the PowerSync service replicates with: it may stream the WAL
-- (REPLICATION) and read the synced tables, and nothing else. Run it as a
-- superuser (or a role with CREATEROLE that owns the tables) on the app's
-- database after `manage.py migrate`, with the role's password as a psql variable:
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -v password="$POWERSYNC_DB_PASSWORD" \
--        -f powersync/replication-role.sql
--
-- Running it again changes nothing but the password. The `powersync` compose
-- profile runs it in its `powersync-role` service; a test runs it on a real cluster.
SELECT 'CREATE ROLE powersync_role WITH LOGIN REPLICATION'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'powersync_role') \gexec
ALTER ROLE powersync_role WITH LOGIN REPLICATION PASSWORD :'password';
-- The synced tables (the publication `powersync` lists the same ones).
GRANT SELECT ON TABLE plans_plan TO powersync_role;
