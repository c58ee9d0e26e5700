"""``postgres.sslmode`` (``pg.sslmode``) proven both ways on real PostgreSQL 15 servers with TLS.

The claim "clients must use sslmode=verify-full" holds when such a client can connect: the server speaks
TLS with a certificate that chains to the CA clients trust and names the host they use. Judged through the
real CLI (``--infra external``) against servers with a certificate for the right host, the wrong host, an
untrusted (self-signed) one, and no TLS at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fixtures.certs import issue_set
from fixtures.datastores import LocalPostgres
from stackcheck.infra.base import free_port
from tests.integration.conftest import Run, judge

pytestmark = [pytest.mark.integration, pytest.mark.local_binaries]


def judge_tls(tmp_path: Path, section: dict[str, Any], dsn: str) -> Run:
    """``stackcheck verify --suite postgres --infra external`` of ``section`` (and a version to judge)."""
    return judge(tmp_path, "postgres", {"version": ">=15", **section}, dsn)


def sslmode_result(run: Run) -> dict[str, Any]:
    found = run.results("pg.sslmode")
    assert len(found) == 1, (run.statuses(), run.stderr)
    return found[0]


def test_verify_full_passes_when_the_certificate_names_the_host(tmp_path: Path) -> None:
    with LocalPostgres(ssl_only=True) as pg:
        assert pg.certs is not None
        ca = str(pg.certs.ca_file)
        dsn = pg.add_role("verifier")
        run = judge_tls(tmp_path, {"require_ssl": True, "sslmode": "verify-full", "ca_bundle": ca}, dsn)
        result = sslmode_result(run)
        assert result["status"] == "passed", result
        assert result["evidence"]["observed"] == {"sslmode": "verify-full", "connects": True}
        details = result["evidence"]["details"]
        assert details["host"] == "127.0.0.1" and details["tls"] in ("TLSv1.2", "TLSv1.3"), details
        assert "validates for host 127.0.0.1" in result["message"]
        # The two claims are separate and agree here: plain logins refused (pg.ssl), verify-full works.
        assert run.statuses()["pg.ssl"] == "passed" and run.code == 0, run.statuses()
        verify_ca = sslmode_result(judge_tls(tmp_path, {"sslmode": "verify-ca", "ca_bundle": ca}, dsn))
        assert verify_ca["status"] == "passed", verify_ca


def test_server_name_is_the_host_the_certificate_must_name(tmp_path: Path) -> None:
    # The DSN reaches the server by address (a tunnel, a pod IP); clients use db.internal, the cert's name.
    with LocalPostgres(ssl=True, cert_hosts=("db.internal",)) as pg:
        assert pg.certs is not None
        ca = str(pg.certs.ca_file)
        dsn = pg.add_role("verifier")
        named = {"sslmode": "verify-full", "ca_bundle": ca, "server_name": "db.internal"}
        result = sslmode_result(judge_tls(tmp_path, named, dsn))
        assert result["status"] == "passed", result
        assert result["evidence"]["details"]["host"] == "db.internal"
        # The DSN's own host is not a name on the certificate: a verify-full client of 127.0.0.1 fails.
        by_address = sslmode_result(judge_tls(tmp_path, {"sslmode": "verify-full", "ca_bundle": ca}, dsn))
        assert by_address["status"] == "failed", by_address
        assert 'does not match host name "127.0.0.1"' in by_address["message"], by_address
        # verify-ca checks the chain only: the same server passes.
        chain_only = sslmode_result(judge_tls(tmp_path, {"sslmode": "verify-ca", "ca_bundle": ca}, dsn))
        assert chain_only["status"] == "passed", chain_only


def test_verify_full_fails_on_a_wrong_host_or_an_untrusted_certificate(tmp_path: Path) -> None:
    other_ca = str(issue_set(tmp_path / "other-ca").ca_file)
    with LocalPostgres(ssl=True) as pg:
        assert pg.certs is not None
        ca = str(pg.certs.ca_file)
        dsn = pg.add_role("verifier")
        wrong_host = {"sslmode": "verify-full", "ca_bundle": ca, "server_name": "db.example.internal"}
        result = sslmode_result(judge_tls(tmp_path, wrong_host, dsn))
        assert result["status"] == "failed", result
        assert "does not match host name" in result["message"], result
        assert result["evidence"]["observed"] == {"sslmode": "verify-full", "connects": False}
        untrusted = sslmode_result(
            judge_tls(tmp_path, {"sslmode": "verify-full", "ca_bundle": other_ca}, dsn)
        )
        assert untrusted["status"] == "failed", untrusted
        assert "certificate verify failed" in untrusted["message"], untrusted
        # The other checks connect as the DSN says (no sslmode in it): judged, not errored.
        assert (
            judge_tls(tmp_path, {"sslmode": "verify-ca", "ca_bundle": other_ca}, dsn).statuses()["pg.version"]
            == "passed"
        )
    with LocalPostgres(ssl=True, self_signed=True) as pg:
        assert pg.certs is not None
        dsn = pg.add_role("verifier")
        section = {"sslmode": "verify-full", "ca_bundle": str(pg.certs.ca_file)}
        self_signed = sslmode_result(judge_tls(tmp_path, section, dsn))
        assert self_signed["status"] == "failed", self_signed
        assert "certificate verify failed" in self_signed["message"], self_signed


def test_verify_full_fails_when_the_server_has_ssl_off(tmp_path: Path) -> None:
    ca = str(issue_set(tmp_path / "ca").ca_file)
    with LocalPostgres() as pg:
        dsn = pg.add_role("verifier")
        run = judge_tls(tmp_path, {"sslmode": "verify-full", "ca_bundle": ca}, dsn)
    result = sslmode_result(run)
    assert result["status"] == "failed", result
    assert "server does not support SSL" in result["message"], result
    assert run.statuses()["pg.version"] == "passed" and run.code == 1


def test_what_keeps_the_check_from_judging_is_error(tmp_path: Path) -> None:
    ca = str(issue_set(tmp_path / "ca").ca_file)
    section = {"sslmode": "verify-full", "ca_bundle": ca}
    unreachable = judge_tls(tmp_path, section, f"postgresql://v:${{SC_PW}}@127.0.0.1:{free_port()}/postgres")
    result = sslmode_result(unreachable)
    assert (result["status"], result["error_reason"]) == ("error", "unreachable"), result
    assert unreachable.code == 3
    with LocalPostgres(ssl=True) as pg:
        assert pg.certs is not None
        dsn = pg.add_role("verifier")
        wrong_password = dsn.replace(pg.passwords["verifier"], "not-it")
        section = {"sslmode": "verify-full", "ca_bundle": str(pg.certs.ca_file)}
        refused = sslmode_result(judge_tls(tmp_path, section, wrong_password))
        assert (refused["status"], refused["error_reason"]) == ("error", "access_denied"), refused
        assert "not-it" not in refused["message"]
        # No CA file anywhere (no ca_bundle, no sslrootcert, no ~/.postgresql/root.crt): the verifier's gap.
        no_ca = sslmode_result(
            judge_tls(tmp_path, {"sslmode": "verify-full"}, dsn + "?sslrootcert=/nonexistent.pem")
        )
        assert (no_ca["status"], no_ca["error_reason"]) == ("error", "misconfigured"), no_ca
        assert "postgres.ca_bundle" in no_ca["message"]


def test_a_ca_bundle_that_is_not_a_file_is_a_usage_error(tmp_path: Path) -> None:
    section = {"sslmode": "verify-full", "ca_bundle": str(tmp_path / "missing.pem")}
    run = judge_tls(tmp_path, section, "postgresql://v@127.0.0.1:1/postgres")
    assert run.code == 2 and run.report is None, run.stderr
    assert "postgres.ca_bundle" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) <= 2, run.stderr
