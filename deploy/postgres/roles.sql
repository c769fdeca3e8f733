-- PostgreSQL roles for the service (docs/ARCHITECTURE.md, "Tenancy"). Two that log in:
--   kexie_owner  owns the schema; migrations run as it (MIGRATION_DATABASE_URL).
--   kexie_app    what the service connects as (DATABASE_URL): owns nothing, NOBYPASSRLS,
--                so row-level security binds it on every tenant table.
-- and the three a transaction takes for its scope (SET LOCAL ROLE), named after the database
-- (`<database>_association` and so on): each is bound by its own policies alone, which
-- migration 0035 makes and grants the tables to.
--   kexie_association  an association's scope: its own rows.
--   kexie_federation   a federation's, or a national scope's: its federations' rows.
--   kexie_system       the system scope (jobs, provisioning): BYPASSRLS.
-- Run with psql as a superuser: psql -v ON_ERROR_STOP=1 -f deploy/postgres/roles.sql
-- Set real passwords afterwards: ALTER ROLE kexie_app PASSWORD '...';
-- The test suite runs this same file (with per-run names), so it is kept working.

CREATE ROLE kexie_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE ROLE kexie_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE ROLE kexie_association NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE ROLE kexie_federation NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE ROLE kexie_system NOLOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE;
GRANT kexie_association, kexie_federation, kexie_system TO kexie_app;
CREATE DATABASE kexie OWNER kexie_owner;

-- @database: the statements below run connected to the new database, as kexie_owner.
\connect kexie kexie_owner

GRANT USAGE ON SCHEMA public TO kexie_app, kexie_association, kexie_federation, kexie_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kexie_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO kexie_app;
