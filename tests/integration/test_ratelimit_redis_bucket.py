"""The Redis-backed token bucket (Monte Carlo: "Redis-backed (distributed)") passes the suite too."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator

import httpx
import pytest

from conftest import CliRun
from fixtures.refservice import RefService
from stackcheck.infra.base import RedisServer
from stackcheck.infra.local import LocalProvider
from tests.integration.http_surface import SURFACE_PROFILE, expected, verify

pytestmark = [pytest.mark.integration, pytest.mark.local_binaries]


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server from the host's binary."""
    provider = LocalProvider()
    try:
        yield provider.start_redis({}, None)
    finally:
        provider.close()


def test_two_instances_sharing_redis_share_one_budget_per_ip(
    run_cli: Callable[..., CliRun], redis_server: RedisServer
) -> None:
    common = {"tls": True, "redis_url": redis_server.url, "rate_limit_store": "redis"}
    with RefService(SURFACE_PROFILE, **common) as first:  # type: ignore[arg-type]
        run = verify(run_cli, first, ["ratelimit"])
        assert run.statuses() == expected(["ratelimit"]), run.stdout
        with RefService(SURFACE_PROFILE, tls_dir=first.tls_dir, **common) as second:  # type: ignore[arg-type]
            trust = ssl.create_default_context(cafile=str(first.ca_file))
            # Asked the moment the first instance refuses (keep-alive clients, no handshake between), so the
            # 2 s window cannot roll over in between on a slow machine, as it did after 15 new connections.
            spent: list[int] = []
            on_second = None
            with httpx.Client(verify=trust) as one, httpx.Client(verify=trust) as other:
                for _ in range(30):
                    spent.append(one.get(f"{first.url}/api/v1/ping").status_code)
                    if spent[-1] == 429:
                        on_second = other.get(f"{second.url}/api/v1/ping").status_code
                        break
    assert 429 in spent, spent
    assert on_second == 429  # the budget spent on one instance is spent on the other: one bucket in Redis
