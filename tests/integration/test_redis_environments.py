"""One profile per environment: ``redis.maxmemory`` in a base profile and a staging overlay (``extends:``),
each judged against its own server, and each failing against the other environment's server.

Two real Redis 7 servers configured as production (2gb) and staging (512mb) would be; the profiles are the
committed ``redis-env-prod.yaml`` and ``redis-env-staging.yaml``, run through the real CLI as the scheduled
staging job runs them (``--infra external``, the URL from the environment).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.datastores import LocalRedis
from tests.integration.conftest import Run, cli_env, verify

pytestmark = [pytest.mark.integration, pytest.mark.local_binaries]
SERVER = {"maxmemory-policy": "allkeys-lru"}


def judge(tmp_path: Path, profile: str, url: str) -> Run:
    """``stackcheck verify --profile PROFILE --suite redis --infra external`` against ``url``."""
    name = f"{profile.removesuffix('.yaml')}-{url.rsplit(':', 1)[1].split('/')[0]}"
    return verify(
        profile,
        "--suite",
        "redis",
        "--infra",
        "external",
        report_dir=tmp_path / name,
        env=cli_env(SC_REDIS_URL=url),
    )


def test_each_environment_is_held_to_its_own_maxmemory(tmp_path: Path) -> None:
    with (
        LocalRedis({**SERVER, "maxmemory": "2gb"}) as prod,
        LocalRedis({**SERVER, "maxmemory": "512mb"}) as staging,
    ):
        runs = {
            (profile, server): judge(tmp_path, f"redis-env-{profile}.yaml", url)
            for profile in ("prod", "staging")
            for server, url in (("prod", prod.url("default")), ("staging", staging.url("default")))
        }
    verdicts = {key: run.results("redis.maxmemory")[0] for key, run in runs.items()}
    assert {key: r["status"] for key, r in verdicts.items()} == {
        ("prod", "prod"): "passed",
        ("prod", "staging"): "failed",
        ("staging", "prod"): "failed",
        ("staging", "staging"): "passed",
    }, {key: r["message"] for key, r in verdicts.items()}
    assert verdicts[("staging", "prod")]["message"] == "maxmemory is 2048mb, the profile says 512mb"
    assert verdicts[("prod", "staging")]["message"] == "maxmemory is 0.500gb, the profile says 2gb"
    # The overlay changed only maxmemory: what it inherits is judged the same on both servers.
    for run in runs.values():
        assert run.status("redis.eviction") == "passed" and run.status("redis.version") == "passed"
    staging_report = runs[("staging", "staging")].report
    assert staging_report is not None and staging_report["profile"]["name"] == "redis-env-staging"
    assert [Path(f).name for f in staging_report["profile"]["files"]] == [
        "redis-env-prod.yaml",
        "redis-env-staging.yaml",
    ]
