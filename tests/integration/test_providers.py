"""Service providers: parallel start, control for the fault drill, cleanup on every path, preflight."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stackcheck import UsageError
from stackcheck.infra import ServiceSession, preflight
from stackcheck.infra.probe import postgres_version, redis_version
from stackcheck.probes.postgres import connect_postgres
from stackcheck.profile.models import Profile
from stackcheck.settings import Settings
from stackcheck.wait import wait_until
from tests.integration.conftest import PROFILES, REPO, cli_env, containers_of, verify

pytestmark = pytest.mark.integration

IMAGES = {"postgres": "stackcheck/postgres:17", "redis": "stackcheck/redis:7"}


def _profile(**sections: dict[str, object]) -> Profile:
    return Profile.model_validate({"name": "providers", **sections})


def _settings(infra: str, environ: dict[str, str]) -> Settings:
    return Settings.from_environ(environ, infra=infra)


def _session(kind: str) -> ServiceSession:
    env = cli_env()
    profile = _profile(
        postgres={"image": env["STACKCHECK_POSTGRES_IMAGE"]} if kind == "docker" else {},
        redis={"image": env["STACKCHECK_REDIS_IMAGE"]} if kind == "docker" else {},
    )
    settings = Settings.from_environ(env)
    return ServiceSession(kind, profile, ["postgres", "redis"], settings=settings, base_dir=PROFILES)  # type: ignore[arg-type]


def _exercise_controls(session: ServiceSession) -> None:
    pg, cache = session.postgres(), session.redis()
    assert pg.managed and cache.managed
    assert postgres_version(pg.dsn) and redis_version(cache.url)
    pg.pause()
    assert postgres_version(pg.dsn, timeout_s=1) is None, "a paused Postgres still answered"
    pg.resume()
    assert wait_until(lambda: postgres_version(pg.dsn), 10)
    cache.stop()
    assert redis_version(cache.url, timeout_s=1) is None, "a stopped Redis still answered"
    cache.start()
    assert redis_version(cache.url)
    pg.stop()
    pg.start()
    assert postgres_version(pg.dsn)


@pytest.mark.docker
def test_docker_services_start_in_parallel_and_obey_controls() -> None:
    started = time.monotonic()
    with _session("docker") as session:
        session.start()
        elapsed = time.monotonic() - started
        pid_containers = containers_of(os.getpid())
        assert len(pid_containers) == 2
        _exercise_controls(session)
    assert containers_of(os.getpid()) == [], "close() left a container behind"
    assert elapsed < 30


@pytest.mark.local_binaries
def test_local_services_obey_controls_and_leave_nothing() -> None:
    with _session("local") as session:
        session.start()
        workdirs = [Path(str(s.control.workdir)) for s in (session.postgres(), session.redis())]
        assert all(d.is_dir() for d in workdirs)
        _exercise_controls(session)
    assert not any(d.exists() for d in workdirs), "close() left a temporary directory behind"


@pytest.mark.docker
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_run_leaves_no_container(tmp_path: Path, signum: signal.Signals) -> None:
    cmd = [
        sys.executable,
        "-m",
        "stackcheck",
        "verify",
        "--profile",
        str(PROFILES / "both.yaml"),
        "--suite",
        "postgres",
        "--suite",
        "redis",
        "--infra",
        "docker",
        "--report-dir",
        str(tmp_path),
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=cli_env(SC_REDIS_PASSWORD="pw"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_until(lambda: len(containers_of(proc.pid)) == 2, 60, 0.05), "containers never appeared"
        proc.send_signal(signum)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert containers_of(proc.pid) == [], f"containers outlived a run stopped by {signum.name}"


@pytest.mark.docker
def test_orphans_of_a_killed_run_are_reaped() -> None:
    import docker

    from stackcheck.infra.docker import DockerProvider, reap_orphans

    dead = subprocess.Popen(["true"])
    dead.wait()
    labels = {**DockerProvider().labels("redis"), "org.stackcheck.pid": str(dead.pid)}
    client = docker.from_env()
    try:
        container = client.containers.create(
            IMAGES["redis"], command=["sleep", "60"], labels=labels, network="host"
        )
        assert container.short_id in reap_orphans()
        assert containers_of(dead.pid) == []
    finally:
        client.close()


@pytest.mark.docker
def test_broken_migration_is_error_not_failed(tmp_path: Path) -> None:
    run = verify("pg-broken-migration.yaml", "--suite", "postgres", "--infra", "docker", report_dir=tmp_path)
    assert run.code == 3, (run.statuses(), run.stderr)
    message = run.results("pg.version")[0]["message"]
    assert "migration 001_broken.sql:3 failed" in message and "syntax error" in message
    assert containers_of(run.pid) == []


def test_preflight_names_a_missing_environment_variable() -> None:
    profile = _profile(postgres={"dsn": "postgresql://app:${SC_NOT_SET_PW}@127.0.0.1:1/app"})
    with pytest.raises(UsageError, match=r"postgres\.dsn uses \$\{SC_NOT_SET_PW\}.*SC_NOT_SET_PW is not set"):
        preflight(_settings("external", {}), profile, ["postgres"], None)
    preflight(_settings("external", {"SC_NOT_SET_PW": "x"}), profile, ["postgres"], None)
    preflight(_settings("external", {}), profile, ["health"], None)  # the postgres suite is not selected


def test_preflight_external_needs_a_dsn() -> None:
    with pytest.raises(UsageError, match=r"--infra external needs postgres\.dsn"):
        preflight(_settings("external", {}), _profile(postgres={}), [], None)


@pytest.mark.docker
def test_preflight_docker_with_unavailable_image_says_how_to_build() -> None:
    profile = _profile(redis={"image": "stackcheck/does-not-exist:0"})
    with pytest.raises(
        UsageError, match=r"stackcheck/does-not-exist:0 is not present locally.*build_images\.py"
    ):
        preflight(_settings("docker", {}), profile, ["redis"], None)


def test_preflight_auto_without_docker_or_binaries_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import stackcheck.infra.docker as docker_mod
    import stackcheck.infra.local as local_mod

    monkeypatch.setattr(docker_mod, "engine_problem", lambda: "no Docker engine answered (socket missing)")
    monkeypatch.setattr(local_mod, "find_postgres_bindir", lambda: None)
    with pytest.raises(UsageError) as caught:
        preflight(_settings("auto", {}), _profile(postgres={}), ["postgres"], None)
    text = str(caught.value)
    assert "no Docker engine answered" in text and "initdb/postgres" in text and "ensure-docker.sh" in text
    assert "\n" not in text


@pytest.mark.local_binaries
def test_the_verifier_never_prepares_statements_on_the_server() -> None:
    # Behind PgBouncer in transaction mode a server-side prepared statement outlives the client and the next
    # run collides with it (DuplicatePreparedStatement): psycopg prepares a query on its 6th use by default.
    with _session("local") as session:
        server = session.postgres()
        conn = connect_postgres(server.dsn, server.display)
        try:
            for _ in range(10):
                conn.execute("SELECT %s::int", (1,))
            prepared = conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()
        finally:
            conn.close()
    assert prepared == (0,)
