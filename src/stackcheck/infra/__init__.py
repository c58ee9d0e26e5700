"""Service providers: where a run's Postgres and Redis come from (``--infra auto|docker|local|external``).

* :mod:`~stackcheck.infra.docker` — throwaway containers (testcontainers, host networking, labelled);
* :mod:`~stackcheck.infra.local` — throwaway servers from local ``initdb``/``postgres``/``redis-server``;
* :mod:`~stackcheck.infra.external` — the servers the profile names (``${VAR}`` from the environment);
* :mod:`~stackcheck.infra.select` — ``auto`` and :func:`preflight` (exit 2 before anything runs);
* :mod:`~stackcheck.infra.session` — start what a run needs in parallel, and always remove it.

The docker SDK and testcontainers are imported only when the docker provider is used.
"""

from stackcheck.infra.base import Control, PostgresServer, ProviderKind, RedisServer, ServiceName, redact_url
from stackcheck.infra.external import expand_env
from stackcheck.infra.select import choose_provider, needed_services, preflight
from stackcheck.infra.session import ServiceSession

__all__ = [
    "Control",
    "PostgresServer",
    "ProviderKind",
    "RedisServer",
    "ServiceName",
    "ServiceSession",
    "choose_provider",
    "expand_env",
    "needed_services",
    "preflight",
    "redact_url",
]
