"""The restore drill's executor seam: the docker command lines it builds, which executor ``--infra`` picks,
and that a docker executor that cannot run says so as ``error`` (never a verdict). The drill itself runs in
containers and on local binaries in tests/integration/test_drills_restore.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.infra import pitr_exec
from stackcheck.infra.pitr_exec import (
    DockerExecutor,
    LocalExecutor,
    drill_executor,
    exec_argv,
    labels,
    server_argv,
    tools_argv,
)
from stackcheck.settings import Settings

ROOT = Path("/tmp/stackcheck-drill-abc")
TAGS = labels("drill-0123456789ab", 4242, "host1")


def test_every_drill_container_is_labelled_like_the_docker_providers_and_with_the_drills_run() -> None:
    from stackcheck.infra import docker

    assert set(TAGS) == {
        docker.LABEL_MANAGED, docker.LABEL_PID, docker.LABEL_HOST, docker.LABEL_SERVICE, docker.LABEL_RUN
    }  # fmt: skip
    assert TAGS[docker.LABEL_RUN] == "drill-0123456789ab" and TAGS[docker.LABEL_PID] == "4242"


def test_a_server_runs_in_the_foreground_on_the_host_network_with_the_drill_folder_at_the_same_path() -> None:
    argv = server_argv("img:1", "stackcheck-drill-x-primary", ROOT, TAGS, ["postgres", "-D", f"{ROOT}/p"])
    assert argv[:3] == ["docker", "run", "--rm"] and "-d" not in argv  # its client's exit is the server's
    assert argv[argv.index("--stop-signal") + 1] == "SIGINT"  # PostgreSQL's fast shutdown
    assert argv[argv.index("--network") + 1] == "host"
    assert argv[argv.index("-v") + 1] == f"{ROOT}:{ROOT}"
    assert argv[argv.index("--name") + 1] == "stackcheck-drill-x-primary"
    assert "org.stackcheck.run=drill-0123456789ab" in argv
    assert argv[-4:] == ["img:1", "postgres", "-D", f"{ROOT}/p"]  # the image, then the server's own argv


def test_tools_run_with_docker_exec_as_the_images_postgres_user_in_one_waiting_container() -> None:
    argv = tools_argv("img:1", "stackcheck-drill-x-tools", ROOT, TAGS)
    assert argv[:4] == ["docker", "run", "-d", "--rm"] and argv[-3:] == ["img:1", "sleep", "infinity"]
    assert argv[argv.index("-v") + 1] == f"{ROOT}:{ROOT}"
    assert exec_argv("c", ["initdb", "-D", "/x"]) == [
        "docker",
        "exec",
        "-u",
        "postgres",
        "c",
        "initdb",
        "-D",
        "/x",
    ]


def _settings(infra: str, image: str | None = None) -> Settings:
    return Settings(infra=infra, postgres_image=image)  # type: ignore[arg-type]


def test_infra_docker_picks_containers_of_the_profiles_image_else_the_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pitr_exec.os, "geteuid", lambda: 0)
    monkeypatch.setattr(pitr_exec.shutil, "which", lambda name: f"/usr/bin/{name}")
    chosen = drill_executor(_settings("docker", "stackcheck/postgres:17"))
    assert isinstance(chosen, DockerExecutor) and chosen.servers == "docker stackcheck/postgres:17"
    assert chosen.tools_container == f"stackcheck-{chosen.run_id}-tools"
    assert chosen.container(ROOT / "primary") == f"stackcheck-{chosen.run_id}-primary"
    mine = drill_executor(_settings("docker", "stackcheck/postgres:17"), "team/pg:16")
    assert isinstance(mine, DockerExecutor) and mine.image == "team/pg:16"


def test_infra_local_and_auto_with_local_binaries_pick_the_local_binaries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bindir = Path("/usr/lib/postgresql/15/bin")
    monkeypatch.setattr(pitr_exec, "find_postgres_bindir", lambda: bindir)
    monkeypatch.setattr(pitr_exec, "drill_bindir", lambda: bindir)
    for infra in ("local", "auto"):
        chosen = drill_executor(_settings(infra, "stackcheck/postgres:17"))
        assert isinstance(chosen, LocalExecutor) and chosen.servers == f"local {bindir}"
    monkeypatch.setattr(pitr_exec, "find_postgres_bindir", lambda: None)
    monkeypatch.setattr(pitr_exec.os, "geteuid", lambda: 0)
    monkeypatch.setattr(pitr_exec.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert isinstance(drill_executor(_settings("auto", "stackcheck/postgres:17")), DockerExecutor)


def test_docker_without_its_command_line_or_as_non_root_is_an_error_naming_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pitr_exec.os, "geteuid", lambda: 0)
    monkeypatch.setattr(pitr_exec.shutil, "which", lambda name: None)
    with pytest.raises(CouldNotCheck) as missing:
        DockerExecutor("img:1")
    assert missing.value.reason is ErrorReason.TOOL_MISSING and "--infra local" in str(missing.value)
    monkeypatch.setattr(pitr_exec.os, "geteuid", lambda: 1000)
    with pytest.raises(CouldNotCheck) as denied:
        DockerExecutor("img:1")
    assert denied.value.reason is ErrorReason.ACCESS_DENIED


def test_an_image_without_pgbackrest_is_tool_missing_naming_the_recipe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pitr_exec.os, "geteuid", lambda: 0)
    monkeypatch.setattr(pitr_exec.shutil, "which", lambda name: f"/usr/bin/{name}")
    calls: list[list[str]] = []

    def fake_run(argv: list[str], what: str, *, user: str | None, timeout_s: float = 0) -> str:
        calls.append(list(argv))
        raise CouldNotCheck("exit 1", ErrorReason.TOOL_FAILED)  # `command -v pgbackrest` finds nothing

    monkeypatch.setattr(pitr_exec, "run_as", fake_run)
    executor = DockerExecutor("img:1")
    with pytest.raises(CouldNotCheck) as raised:
        executor.tool("pgbackrest")
    assert raised.value.reason is ErrorReason.TOOL_MISSING
    assert "img:1 has no pgbackrest" in str(raised.value) and "build_images.py" in str(raised.value)
    assert calls == [exec_argv(executor.tools_container, ["sh", "-c", "command -v pgbackrest"])]
