"""Suite ``postgres``, clients' TLS rules: a client with ``sslmode=verify-full`` (or ``verify-ca``) connects.

The check logs in on a connection of its own, as such a client would (the DSN's credentials, the profile's
sslmode, CA file and host name); the session's connection is never used, so a server whose certificate a
verifying client rejects fails this check while the others are judged as the DSN connects.
"""

from __future__ import annotations

import pytest

from stackcheck.catalog import postgres as checks
from stackcheck.probes.pgtls import client_tls_login
from stackcheck.testing import EvidenceRecorder, PostgresSection, PostgresServer, require


@pytest.mark.check(checks.SSLMODE)
def test_a_client_with_the_profiles_sslmode_connects(
    postgres: PostgresSection, postgres_server: PostgresServer, evidence: EvidenceRecorder
) -> None:
    sslmode = require(postgres.sslmode, "postgres.sslmode is not set")
    seen = client_tls_login(
        postgres_server.dsn, postgres_server.display, sslmode, postgres.ca_bundle, postgres.server_name
    )
    evidence.record(
        expected={"sslmode": sslmode, "connects": True},
        observed={"sslmode": sslmode, "connects": seen.connected},
        op="==",
        host=seen.host,
        ca_bundle=postgres.ca_bundle or "the DSN's sslrootcert, else libpq's default",
        refusal=seen.refusal,
        tls=seen.protocol,
        cipher=seen.cipher,
    )
    what = "validates for host " + seen.host if sslmode == "verify-full" else "chains to a trusted CA"
    evidence.message = f"sslmode={sslmode}: the server's certificate {what} ({seen.protocol}, {seen.cipher})"
    assert seen.connected, f"a client with sslmode={sslmode} cannot connect to {seen.host}: {seen.refusal}"
