"""The ``postgres`` suite proven both ways on real servers, through the real CLI and its report.json."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import cli_env, containers_of, failing_on, verify

pytestmark = pytest.mark.integration


@pytest.mark.docker
def test_compliant_postgres_passes_every_check(tmp_path: Path) -> None:
    run = verify("pg-compliant.yaml", "--suite", "postgres", "--infra", "docker", report_dir=tmp_path)
    statuses = run.statuses()
    assert run.code == 0, (statuses, run.stderr)
    expected_passed = [
        "pg.version",
        "pg.extensions[vector]",
        "pg.extensions[timescaledb]",
        "pg.extensions[pg_stat_statements]",
        "pg.extensions[pgcrypto]",  # {name: pgcrypto, state: available}: shipped and creatable is enough
        "pg.extensions_absent[postgis]",
        "pg.extensions_absent[hstore]",
        "pg.settings[shared_buffers]",
        "pg.settings[max_connections]",
        "pg.settings[random_page_cost]",
        "pg.rls[accounts]",
        "pg.uuidv7",
        "pg.vector",
        "pg.timeseries[public.prices]",
        "pg.partitioning[events]",
        "pg.connections",
    ]
    assert {k: statuses.get(k) for k in expected_passed} == dict.fromkeys(expected_passed, "passed")
    assert statuses["pg.ssl"] == "skipped" and statuses["pg.sslmode"] == "skipped"
    shared = run.results("pg.settings")[1]["evidence"]
    assert shared["expected"] == "256MB" and shared["observed"] == "256MB"
    assert shared["details"]["server_setting"] == "32768" and shared["details"]["server_unit"] == "8kB"
    version = run.results("pg.version")[0]["evidence"]
    assert version["details"]["provider"] == "docker"
    assert containers_of(run.pid) == [], "a container outlived the run"


@pytest.mark.docker
def test_wrong_postgres_fails_each_check(tmp_path: Path) -> None:
    run = verify("pg-wrong.yaml", "--suite", "postgres", "--infra", "docker", report_dir=tmp_path)
    statuses = run.statuses()
    assert run.code == 1, (statuses, run.stderr)
    must_fail = [
        "pg.version",  # 17 is not >= 18
        "pg.extensions[vector]",  # shipped, but not installed in the database (extensions_state: installed)
        "pg.extensions[timescaledb]",  # not installed (and not preloaded)
        "pg.extensions[pg_stat_statements]",  # not installed (and unusable without preloading)
        "pg.extensions_absent[hstore]",  # created by the migration
        "pg.settings[shared_buffers]",
        "pg.settings[max_connections]",
        "pg.settings[random_page_cost]",
        "pg.ssl",  # ssl off, plain logins accepted
        "pg.rls[accounts]",  # a policy, but RLS never enabled
        "pg.uuidv7",  # returns version 4
        "pg.timeseries[public.prices]",  # a plain table
        "pg.partitioning[events]",  # a plain table too
        "pg.connections",  # 4 pools of 20 > 50 - 3 reserved
    ]
    assert {k: statuses.get(k) for k in must_fail} == dict.fromkeys(must_fail, "failed")
    assert run.failed_checks() == failing_on("profile:pg-wrong.yaml"), "the catalog's failing examples"
    assert "not installed" in run.results("pg.extensions")[0]["message"]
    assert statuses["pg.vector"] == "passed"  # ivfflat this time: both index types work
    assert statuses["pg.extensions_absent[postgis]"] == "passed"  # not shipped in the image at all
    assert run.results("pg.partitioning")[0]["message"] == "public.events is a plain table, not partitioned"
    shared = run.results("pg.settings")[1]["evidence"]
    assert (shared["expected"], shared["observed"]) == ("256MB", "128MB")
    rls = run.results("pg.rls")[0]
    assert rls["evidence"]["observed"] == {"enabled": False, "forced": False, "policies": 1}
    assert "not enabled" in rls["message"]
    assert containers_of(run.pid) == [], "a container outlived a failing run"


@pytest.mark.docker
def test_retention_policy_missing_fails(tmp_path: Path) -> None:
    # Debian's TimescaleDB is the Apache edition: retention policies cannot exist, so the check must fail.
    run = verify(
        "pg-compliant.yaml",
        "--suite",
        "postgres",
        "--infra",
        "docker",
        "--set",
        "postgres.hypertables=[{name: prices, retention: 30 days}]",
        report_dir=tmp_path,
    )
    result = run.results("pg.timeseries")[0]
    assert result["status"] == "failed" and "no retention policy" in result["message"]
    assert result["evidence"]["expected"] == {"hypertable": True, "retention": "30 days"}


@pytest.mark.local_binaries
def test_local_postgres_without_pgvector_fails_vector_checks(tmp_path: Path) -> None:
    run = verify("pg-local.yaml", "--suite", "postgres", "--infra", "local", report_dir=tmp_path)
    statuses = run.statuses()
    assert run.code == 1, (statuses, run.stderr)
    assert statuses["pg.version"] == "passed"
    assert statuses["pg.extensions[pg_stat_statements]"] == "passed"
    assert statuses["pg.extensions[vector]"] == "failed"
    assert statuses["pg.vector"] == "failed"
    assert run.failed_checks() == failing_on("profile:pg-local.yaml"), "the catalog's failing examples"
    assert statuses["pg.settings[shared_buffers]"] == "passed"
    assert statuses["pg.settings[work_mem]"] == "passed"
    assert statuses["pg.settings[fsync]"] == "passed"
    assert statuses["pg.connections"] == "passed"
    assert run.results("pg.version")[0]["evidence"]["details"]["provider"] == "local"


@pytest.fixture
def tls_dir() -> Iterator[Path]:
    """A server certificate, key and an SSL-only pg_hba.conf, readable by the postgres user."""
    folder = Path(tempfile.mkdtemp(prefix="stackcheck-tls-"))
    folder.chmod(0o755)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(folder / "server.key"),
            "-out",
            str(folder / "server.crt"),
        ],
        check=True,
        capture_output=True,
    )
    (folder / "pg_hba.conf").write_text(
        "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all all reject\n"
    )
    (folder / "server.key").chmod(0o600)
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        for path in folder.iterdir():
            os.chown(path, entry.pw_uid, entry.pw_gid)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.local_binaries
def test_ssl_only_server_passes_ssl_check(tmp_path: Path, tls_dir: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    run = verify(
        "pg-ssl.yaml",
        "--suite",
        "postgres",
        "--infra",
        "local",
        report_dir=tmp_path,
        env=cli_env(SC_TLS_DIR=str(tls_dir)),
    )
    result = run.results("pg.ssl")[0]
    assert result["status"] == "passed", (result, run.stderr)
    assert result["evidence"]["observed"] == {"ssl": "on", "non_ssl_login": "refused"}
    assert result["evidence"]["details"]["session_ssl"] is True


def test_unreachable_postgres_is_error_not_failed(tmp_path: Path) -> None:
    from stackcheck.infra.base import free_port

    dsn = f"postgresql://app:${{SC_PG_PASSWORD}}@127.0.0.1:{free_port()}/app"
    run = verify(
        "pg-external.yaml",
        "--suite",
        "postgres",
        "--infra",
        "external",
        report_dir=tmp_path,
        env=cli_env(SC_PG_DSN=dsn, SC_PG_PASSWORD="nope"),
    )
    statuses = run.statuses()
    assert run.code == 3, (statuses, run.stderr)
    assert set(statuses.values()) <= {"error", "skipped"} and "error" in statuses.values()
    # Checks whose keys the profile does not set are skipped before any connection is tried.
    assert {statuses[c] for c in ("pg.uuidv7", "pg.timeseries", "pg.settings", "pg.ssl")} == {"skipped"}
    assert statuses["pg.vector"] == "skipped"  # the profile lists no vector: nothing to connect for
    message = run.results("pg.version")[0]["message"]
    assert "cannot connect to Postgres" in message and "***" in message and "nope" not in message


def test_a_silent_postgres_is_tried_once_not_once_per_check(tmp_path: Path) -> None:
    """A port that accepts TCP but never answers costs one connect timeout, not one per check."""
    import socket

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # accepted by the kernel, never answered
    port = listener.getsockname()[1]
    try:
        dsn = f"postgresql://app:${{SC_PG_PASSWORD}}@127.0.0.1:{port}/app?connect_timeout=1"
        run = verify(
            "pg-external.yaml",
            "--suite",
            "postgres",
            "--infra",
            "external",
            report_dir=tmp_path,
            env=cli_env(SC_PG_DSN=dsn, SC_PG_PASSWORD="nope"),
        )
    finally:
        listener.close()
    assert run.code == 3, run.stderr
    errors = [r for r in run.report["results"] if r["status"] == "error"]
    assert len(errors) >= 3
    assert sum("(not retried)" in r["message"] for r in errors) >= len(errors) - 2
