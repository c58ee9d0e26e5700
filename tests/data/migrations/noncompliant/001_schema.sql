-- The same schema with the mistakes the checks must catch: no hypertable, RLS off, a v4 "uuidv7".
CREATE OR REPLACE FUNCTION uuidv7() RETURNS uuid LANGUAGE sql VOLATILE AS 'SELECT gen_random_uuid()';

CREATE TABLE prices (time timestamptz NOT NULL, symbol text NOT NULL, close numeric NOT NULL);

CREATE TABLE accounts (id uuid PRIMARY KEY DEFAULT uuidv7(), tenant_id text NOT NULL, email text NOT NULL);
CREATE POLICY tenant_isolation ON accounts USING (tenant_id = current_setting('app.tenant_id', true));

-- events as one plain table, and an extension the team's ADR rules out.
CREATE TABLE events (id bigint NOT NULL, created_at timestamptz NOT NULL, payload jsonb);
CREATE EXTENSION hstore;
