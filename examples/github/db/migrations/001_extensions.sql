-- The migrations your deployment applies (here: the extensions the profile promises). stackcheck applies
-- postgres.migrations to the throwaway database before the checks, never to --infra external.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
