"""``scan.build``: the seeds' build claims reach the checkov policies as parameters, and each mistake in
the section is one clear line naming the key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from stackcheck import ProfileError
from stackcheck.profile import load_profile
from stackcheck.profile.models import Profile
from stackcheck.scan.checkov import policy_params


def load(tmp_path: Path, body: str) -> Profile:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\n" + textwrap.dedent(body).lstrip("\n"))
    return load_profile(path).profile


def test_build_claims_become_policy_parameters_and_unset_ones_promise_nothing(tmp_path: Path) -> None:
    profile = load(
        tmp_path,
        """
        scan:
          build:
            expose: [8080]
            healthcheck: {path: /health/ready, interval: 30s, timeout: 3s, start_period: 1m}
            build_env: {CGO_ENABLED: "0"}
        """,
    )
    build = policy_params(profile)["build"]
    assert build == {
        "expose": [8080],
        "healthcheck": {"path": "/health/ready", "interval": "30s", "timeout": "3s", "start_period": "1m"},
        "build_env": {"CGO_ENABLED": "0"},
    }
    assert policy_params(load(tmp_path, "scan: {iac_paths: []}\n"))["build"] == {}


def test_alarm_and_state_bucket_promises_reach_the_terraform_policies(tmp_path: Path) -> None:
    profile = load(
        tmp_path,
        """
        scan:
          build:
            cloudwatch_alarms: {cpu_percent: 80, db_connections: true}
            state_bucket_versioned: true
        """,
    )
    build = policy_params(profile)["build"]
    assert build["cloudwatch_alarms"] == {"cpu_percent": 80, "db_connections": True}  # unset: not judged
    assert build["state_bucket_versioned"] is True


@pytest.mark.parametrize(
    ("body", "key", "hint"),
    [
        ("scan: {build: {healthcheck: {interval: thirty}}}", "scan.build.healthcheck.interval", "30s"),
        ("scan: {build: {expose: [80800]}}", "scan.build.expose[0]", "65535"),
        ("scan: {build: {base_image: 'Python 3.12'}}", "scan.build.base_image", "python:3.12-slim"),
        ("scan: {build: {build_env: {CGO-ENABLED: '0'}}}", "scan.build.build_env", "CGO_ENABLED"),
        ("scan: {build: {uid: -1}}", "scan.build.uid", "0"),
        ("scan: {build: {multistage: true}}", "scan.build.multistage", "unknown key"),
        (
            "scan: {build: {cloudwatch_alarms: {cpu_percent: 180}}}",
            "scan.build.cloudwatch_alarms.cpu_percent",
            "100",
        ),
        ("scan: {build: {cloudwatch_alarms: {cpu: 80}}}", "scan.build.cloudwatch_alarms.cpu", "unknown key"),
    ],
)
def test_a_mistake_in_scan_build_is_one_line_naming_the_key(
    tmp_path: Path, body: str, key: str, hint: str
) -> None:
    with pytest.raises(ProfileError) as caught:
        load(tmp_path, body + "\n")
    assert caught.value.key.startswith(key), caught.value.key
    assert hint in str(caught.value) and "\n" not in str(caught.value).strip(), str(caught.value)
