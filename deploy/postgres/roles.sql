-- PostgreSQL roles for the service (docs/ARCHITECTURE.md, "Tenancy"). Two roles:
--   kexie_owner  owns the schema; migrations run as it (MIGRATION_DATABASE_URL).
--   kexie_app    what the service connects as (DATABASE_URL): owns nothing, NOBYPASSRLS,
--                so row-level security binds it on every tenant table.
-- Run with psql as a superuser: psql -v ON_ERROR_STOP=1 -f deploy/postgres/roles.sql
-- Set real passwords afterwards: ALTER ROLE kexie_app PASSWORD '...';
-- The test suite runs this same file (with per-run names), so it is kept working.

CREATE ROLE kexie_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE ROLE kexie_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE kexie OWNER kexie_owner;

-- @database: the statements below run connected to the new database, as kexie_owner.
\connect kexie kexie_owner

GRANT USAGE ON SCHEMA public TO kexie_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kexie_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO kexie_app;
