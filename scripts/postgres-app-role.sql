-- The least-privilege Postgres role of the app (docs/deploy.md, "Least-privilege database role"):
-- rows only, no DDL. Deploy with postgresAppIsAdministrator=false and migrateOnStart=false; the
-- deploy job applies the migrations as the schema owner (the password administrator), then runs
-- this file, as a Postgres Entra administrator when app_object_id is given (only those can create
-- roles for Entra principals; operatorPrincipalId/Name in main.bicep makes you one). Idempotent:
-- run it after every migration.
--
--   psql "host=<postgresHost> dbname=salesauto user=<you> sslmode=verify-full" \
--     -v app_role=<the identity's name, id-...> -v app_object_id=<its principal ID> \
--     -v schema_owner=salesauto_admin -f scripts/postgres-app-role.sql
--
-- app_object_id empty (-v app_object_id=): app_role must already exist (a password login role).
\set ON_ERROR_STOP on

-- 1. What the app may do: read and write the rows of SalesAuto's tables and use their sequences.
-- No CREATE on the schema, no TRUNCATE, no ownership: a compromised app cannot change the schema.
select 'create role salesauto_app nologin'
where not exists (select 1 from pg_roles where rolname = 'salesauto_app') \gexec
select format('grant connect on database %I to salesauto_app', current_database()) \gexec
grant usage on schema public to salesauto_app;
grant select, insert, update, delete on all tables in schema public to salesauto_app;
grant usage, select on all sequences in schema public to salesauto_app;
-- Tables and sequences later migrations create (as the schema owner) get the same grants.
alter default privileges for role :"schema_owner" in schema public grant select, insert, update, delete on tables to salesauto_app;
alter default privileges for role :"schema_owner" in schema public grant usage, select on sequences to salesauto_app;

-- 2. The app's identity signs in as a role of its own name, a member of salesauto_app.
select format('select * from pgaadauth_create_principal_with_oid(%L, %L, %L, false, false)', :'app_role', :'app_object_id', 'service')
where :'app_object_id' <> '' and not exists (select 1 from pg_roles where rolname = :'app_role') \gexec
grant salesauto_app to :"app_role";
