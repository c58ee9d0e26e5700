"""The three third-party HTTPS servers of the TLS and headers cases, configured in their own terms.

:class:`Config` says what a server must do (TLS versions, TLS ≤ 1.2 suites, response headers, certificate);
:func:`start` turns it into an nginx ``NginxSite``, an Apache vhost or a HAProxy frontend and starts the
real process on a free loopback port. What the configuration makes true is the truth of every row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from accuracy.model import Unavailable
from fixtures.apache import ApacheServer, apache_binary, tls_vhost
from fixtures.haproxy import HAProxyServer, haproxy_binary
from fixtures.nginx import NginxServer, NginxSite, nginx_binary
from fixtures.nginx.config import CSP, MOZILLA_INTERMEDIATE_CIPHERS

__all__ = ["CSP", "FULL_HEADERS", "KINDS", "Config", "Running", "available", "start"]

KINDS = ("nginx", "apache", "haproxy")
SECLEVEL0_CNF = Path(__file__).with_name("openssl-seclevel0.cnf")
VERSIONS = ("1.0", "1.1", "1.2", "1.3")
# The security headers of a careful site (the same as fixtures/nginx's), name → value.
FULL_HEADERS: tuple[tuple[str, str], ...] = (
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


@dataclass(frozen=True)
class Config:
    """One server configuration: ``versions`` offered (``"1.0"``…``"1.3"``), the OpenSSL cipher string for
    TLS ≤ 1.2, the headers sent (a name may repeat), whether the Server header names the version, whether
    plain HTTP redirects (nginx), and :func:`fixtures.certs.issue_set` keywords for the certificate."""

    versions: tuple[str, ...] = ("1.2", "1.3")
    ciphers: str = MOZILLA_INTERMEDIATE_CIPHERS
    headers: tuple[tuple[str, str], ...] = FULL_HEADERS
    server_tokens: bool = False
    http_redirect: bool = True  # nginx only: its plain-HTTP port answers 301 to https:// (else serves files)
    certificate: Mapping[str, Any] = field(default_factory=dict)


class Running(Protocol):
    url: str

    @property
    def ca_file(self) -> Any: ...


def available(kind: str) -> bool:
    """Whether Debian's binary for ``kind`` is installed."""
    found = {"nginx": nginx_binary, "apache": apache_binary, "haproxy": haproxy_binary}[kind]()
    return found is not None


def _nginx(config: Config) -> NginxServer:
    names = {"1.0": "TLSv1", "1.1": "TLSv1.1", "1.2": "TLSv1.2", "1.3": "TLSv1.3"}
    known = {name for name, _ in FULL_HEADERS}
    unknown = [name for name, _ in config.headers if name not in known]
    counts = {name: sum(1 for n, _ in config.headers if n == name) for name, _ in config.headers}
    if unknown or any(c > 1 for c in counts.values()):
        raise ValueError(f"NginxSite cannot send {config.headers}: use apache or haproxy for that case")
    sent = set(counts)
    security = {n for n, _ in FULL_HEADERS[1:]}
    if sent & security and not security <= sent:
        raise ValueError("NginxSite sends its security headers all together or not at all")
    site = NginxSite(
        protocols=tuple(names[v] for v in config.versions),
        ciphers=config.ciphers,
        hsts_max_age=31536000 if "Strict-Transport-Security" in sent else None,
        security_headers=security <= sent,
        server_tokens=config.server_tokens,
        retry_after_s=None,
        http_redirect=config.http_redirect,
    )
    return NginxServer(site, certificate=config.certificate)


def _apache(config: Config) -> ApacheServer:
    protocol = "-all " + " ".join(f"+TLSv{v}" if v != "1.0" else "+TLSv1" for v in config.versions)
    seen: set[str] = set()
    lines = []
    for name, value in config.headers:  # `set` replaces, `add` repeats a name
        verb = "add" if name in seen else "set"
        seen.add(name)
        lines.append(f'Header always {verb} {name} "{value}"')
    vhost = tls_vhost(protocol, config.ciphers) + "".join(f"\n    {line}" for line in lines)
    return ApacheServer(
        vhost, server_tokens="Full" if config.server_tokens else "Prod", certificate=config.certificate
    )


def _haproxy(config: Config) -> HAProxyServer:
    low, high = config.versions[0], config.versions[-1]
    ver = {"1.0": "TLSv1.0", "1.1": "TLSv1.1", "1.2": "TLSv1.2", "1.3": "TLSv1.3"}
    bind = f"bind 127.0.0.1:{{port}} ssl crt {{pem}} ssl-min-ver {ver[low]} ssl-max-ver {ver[high]}"
    bind += f" ciphers {config.ciphers}"
    lines = [bind, 'http-request return status 200 content-type text/html string "<p>haproxy under test"']
    seen: set[str] = set()
    for name, value in config.headers:
        verb = "add-header" if name in seen else "set-header"
        seen.add(name)
        lines.append(f'http-after-response {verb} {name} "{value}"')
    if config.server_tokens:
        lines.append('http-after-response set-header Server "HAProxy/2.6"')
    frontend = "".join(f"    {line}\n" for line in lines)
    env = {"OPENSSL_CONF": str(SECLEVEL0_CNF)} if "SECLEVEL=0" in config.ciphers else None
    return HAProxyServer(frontend, certificate=config.certificate, env=env)


def start(kind: str, config: Config) -> AbstractContextManager[Any]:
    """The (not yet started) server of ``kind`` for ``config``; ``with`` starts and stops it."""
    if not available(kind):
        package = {"apache": "apache2"}.get(kind, kind)
        raise Unavailable(f"{kind} is not installed (Debian: apt-get install -y {package})")
    if kind == "nginx":
        return _nginx(config)
    if kind == "apache":
        return _apache(config)
    return _haproxy(config)


def header_names(headers: Sequence[tuple[str, str]]) -> list[str]:
    """Lower-cased names, in order, repeats kept."""
    return [name.lower() for name, _ in headers]
