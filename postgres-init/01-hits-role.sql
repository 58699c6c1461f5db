-- The role hits-service logs in as (DB_USER=hits, DB_PASSWORD_FILE=the db-password secret): it owns
-- the database hits, and so its public schema (PostgreSQL >= 15), where the service's migrations
-- create the tables; nothing more (no SUPERUSER, CREATEDB or CREATEROLE), so the replicas can never
-- take the connections PostgreSQL keeps for superusers (superuser_reserved_connections).
--
-- The postgres image runs this once, on an empty data volume, with psql as POSTGRES_USER: the
-- superuser, for administration only (its password is the db-admin-password secret).
-- A volume made before this script existed keeps its old roles: `docker compose down -v` starts afresh.
\set ON_ERROR_STOP on
\set hits_password `cat /run/secrets/db-password`
CREATE ROLE hits LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'hits_password';
CREATE DATABASE hits OWNER hits;
