"""Settings: read once from options and environment; the verify options declared once for CLI and plugin."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from stackcheck import UsageError
from stackcheck.profile.models import Profile
from stackcheck.settings import VERIFY_OPTIONS, Settings, add_options, resolve_target


def test_environment_settings_are_read_once_into_the_object() -> None:
    env = {
        "STACKCHECK_POSTGRES_IMAGE": "stackcheck/postgres:17",
        "STACKCHECK_REDIS_IMAGE": "stackcheck/redis:7",
        "STACKCHECK_TOOLS_DIR": "/opt/tools",
        "STACKCHECK_CHECKOV": "/opt/checkov/bin/checkov",
        "STACKCHECK_DETECT_SECRETS": "~/ds",
    }
    settings = Settings.from_environ(env, infra="docker", allow_remote=True, target="http://127.0.0.1:1")
    env["STACKCHECK_REDIS_IMAGE"] = "changed later"  # a snapshot: later changes are not seen
    assert (settings.postgres_image, settings.redis_image) == ("stackcheck/postgres:17", "stackcheck/redis:7")
    assert settings.tools_dir == Path("/opt/tools")
    assert settings.tool_override("checkov") == Path("/opt/checkov/bin/checkov")
    assert settings.tool_override("detect-secrets") == Path("~/ds").expanduser()
    assert settings.tool_override("bandit") is None
    assert (settings.infra, settings.allow_remote, settings.target) == ("docker", True, "http://127.0.0.1:1")
    assert settings.environ["STACKCHECK_REDIS_IMAGE"] == "stackcheck/redis:7"


def test_defaults_without_any_variable() -> None:
    settings = Settings.from_environ({"XDG_CACHE_HOME": "/cache"})
    assert settings.tools_dir == Path("/cache/stackcheck/tools")
    assert (settings.postgres_image, settings.redis_image, settings.target) == (None, None, None)
    assert (settings.infra, settings.allow_remote) == ("auto", False)


def test_an_unknown_infra_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"unknown --infra 'cloud'"):
        Settings.from_environ({}, infra="cloud")


def test_target_is_the_option_else_the_profile_and_must_be_http() -> None:
    with_target = Profile.model_validate({"name": "x", "target": {"base_url": "https://127.0.0.1:8443"}})
    bare = Profile.model_validate({"name": "x"})
    assert resolve_target("http://127.0.0.1:1", with_target) == "http://127.0.0.1:1"
    assert resolve_target(None, with_target) == "https://127.0.0.1:8443"
    assert resolve_target(None, bare) is None
    with pytest.raises(UsageError, match=r"'ftp://127\.0\.0\.1' is not an http"):
        resolve_target("ftp://127.0.0.1", bare)


def test_the_verify_options_parse_alike_wherever_they_are_added() -> None:
    parser = argparse.ArgumentParser()
    add_options(parser.add_argument, required=frozenset({"profile"}))
    args = parser.parse_args(["--profile", "p.yaml", "--set", "a=1", "--set", "b=2", "--allow-remote"])
    assert (args.profile, args.stackcheck_set, args.allow_remote) == ("p.yaml", ["a=1", "b=2"], True)
    assert (args.target, args.infra, args.report_dir) == (None, "auto", None)
    with pytest.raises(SystemExit):
        parser.parse_args(["--infra", "cloud", "--profile", "p.yaml"])
    seen: list[tuple[str, dict[str, object]]] = []
    add_options(lambda flag, **kwargs: seen.append((flag, kwargs)))
    assert [flag for flag, _ in seen] == [o.flag for o in VERIFY_OPTIONS]
    assert all("required" not in kwargs for _, kwargs in seen)
