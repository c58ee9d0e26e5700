"""The reference service's readiness follows its real dependencies (issue 3's fault drill builds on it)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fixtures.refservice import RefService
from fixtures.refservice.runner import free_port
from stackcheck.infra.base import PostgresServer, RedisServer
from stackcheck.infra.local import LocalProvider
from tests.integration.http_surface import SURFACE_PROFILE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[PostgresServer, RedisServer]]:
    """A real Postgres and Redis from the host's binaries."""
    provider = LocalProvider()
    try:
        yield provider.start_postgres({}), provider.start_redis({}, None)
    finally:
        provider.close()


@pytest.mark.local_binaries
def test_ready_is_200_with_both_dependencies_up_and_names_the_one_that_stops(
    servers: tuple[PostgresServer, RedisServer],
) -> None:
    postgres, redis = servers
    with RefService(SURFACE_PROFILE, postgres_dsn=postgres.dsn, redis_url=redis.url) as service:
        up = httpx.get(f"{service.url}/health/ready", timeout=5)
        assert up.status_code == 200 and up.json()["checks"] == {"app": "UP", "postgres": "UP", "redis": "UP"}
        redis.stop()
        try:
            down = httpx.get(f"{service.url}/health/ready", timeout=5)
        finally:
            redis.start()
        assert down.status_code == 503 and down.json()["down"] == ["redis"]
        assert httpx.get(f"{service.url}/health/ready", timeout=5).status_code == 200
        assert '"msg":"not ready"' in service.logs()  # structured JSON log line


def test_unreachable_dependencies_answer_503_fast_unless_the_defect_ignores_them() -> None:
    dsn = f"postgresql://app@127.0.0.1:{free_port()}/app"
    url = f"redis://127.0.0.1:{free_port()}/0"
    with RefService(SURFACE_PROFILE, postgres_dsn=dsn, redis_url=url) as service:
        response = httpx.get(f"{service.url}/health/ready", timeout=5)
        assert response.status_code == 503 and response.json()["down"] == ["postgres", "redis"]
        assert response.elapsed.total_seconds() < 2.5  # 1 s timeouts, checked concurrently
    with RefService(
        SURFACE_PROFILE, defects=["ready-ignores-deps"], postgres_dsn=dsn, redis_url=url
    ) as service:
        ignoring = httpx.get(f"{service.url}/health/ready", timeout=5)
        assert ignoring.status_code == 200 and ignoring.json()["checks"]["redis"].startswith("DOWN")
