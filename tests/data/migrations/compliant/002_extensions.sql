-- What Chimera's ADR means by "uses pgvector / pg_stat_statements": created in the database, not only shipped.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
