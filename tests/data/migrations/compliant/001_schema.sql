-- A schema like Chimera's and Djinn's: a hypertable, an RLS-protected table, UUIDv7 keys.
CREATE EXTENSION IF NOT EXISTS timescaledb;

-- UUIDv7 (RFC 9562) for PostgreSQL < 18: 48-bit Unix ms timestamp, version 7, RFC variant, random rest.
CREATE OR REPLACE FUNCTION uuidv7() RETURNS uuid LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    b bytea := substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
               || substring(uuid_send(gen_random_uuid()) FROM 7);
BEGIN
    b := set_byte(b, 6, (b'0111' || get_byte(b, 6)::bit(4))::bit(8)::int);  -- version 7; a ';' here is fine
    b := set_byte(b, 8, (b'10' || get_byte(b, 8)::bit(6))::bit(8)::int);    -- variant 10
    RETURN encode(b, 'hex')::uuid;
END
$$;

CREATE TABLE prices (
    time   timestamptz NOT NULL,
    symbol text        NOT NULL,
    close  numeric     NOT NULL
);
SELECT create_hypertable('prices', 'time');

CREATE TABLE accounts (
    id        uuid PRIMARY KEY DEFAULT uuidv7(),
    tenant_id text NOT NULL,
    email     text NOT NULL
);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON accounts
    USING (tenant_id = current_setting('app.tenant_id', true));
/* a block comment; with a semicolon; */
CREATE INDEX CONCURRENTLY accounts_tenant ON accounts (tenant_id);
