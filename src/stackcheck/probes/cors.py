"""Cross-origin probes: which origins a server grants, read from its CORS response headers (pure helpers).

Besides an unrelated origin, the probes try the origins that catch the classic allow-list bugs found by
CORS scanners: ``null`` (sandboxed iframes, ``file:``), a look-alike that starts with an allowed origin
(``https://app.example.com.<evil>``), one that ends with its host (``https://evil-app.example.com``), and the
plain-HTTP twin of an HTTPS origin (readable by anyone on the network path).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["FOREIGN_ORIGIN", "Grant", "credential_problem", "foreign_origins", "grant_of", "missing_grants"]

FOREIGN_ORIGIN = "https://stackcheck-foreign.invalid"
SAFELISTED_METHODS = ("GET", "HEAD", "POST")


@dataclass(frozen=True)
class Grant:
    """What a response grants to the origin that asked."""

    origin: str
    allow_origin: str | None
    allow_credentials: bool
    credentials_header: str | None = None  # Access-Control-Allow-Credentials as sent

    @property
    def credentialed(self) -> bool:
        """A browser lets the asking origin read the answer to a request with credentials (Fetch's CORS
        check): Access-Control-Allow-Origin is that very origin (never ``*``) and
        Access-Control-Allow-Credentials is exactly ``true``."""
        return self.allow_origin == self.origin and self.credentials_header == "true"

    @property
    def granted(self) -> bool:
        """The asking origin may read the response (its own name, ``*``, or ``null`` for ``null``)."""
        return self.allow_origin is not None and self.allow_origin in (self.origin, "*")

    @property
    def wildcard_with_credentials(self) -> bool:
        """``Access-Control-Allow-Origin: *`` together with ``Access-Control-Allow-Credentials: true``."""
        return self.allow_origin == "*" and self.allow_credentials


def grant_of(origin: str, headers: Mapping[str, str]) -> Grant:
    """Read the grant from response headers (lower-case names)."""
    allow = headers.get("access-control-allow-origin")
    raw = headers.get("access-control-allow-credentials")
    credentials = (raw or "").strip().lower() == "true"
    return Grant(origin, allow.strip() if allow is not None else None, credentials, raw)


def foreign_origins(allowed: Sequence[str]) -> list[str]:
    """Origins that must not be granted: unrelated, ``null``, and look-alikes of the allowed ones."""
    origins = [FOREIGN_ORIGIN, "null"]
    for origin in allowed[:3]:
        parts = urlsplit(origin)
        if not parts.scheme or not parts.netloc:
            continue
        origins.append(f"{origin}.stackcheck.invalid")
        origins.append(f"{parts.scheme}://stackcheck-{parts.netloc}")
        if parts.scheme == "https":
            origins.append(f"http://{parts.netloc}")
    allowed_set = set(allowed)
    return [o for o in dict.fromkeys(origins) if o not in allowed_set]


def missing_grants(method: str, asked_headers: Sequence[str], headers: Mapping[str, str]) -> list[str]:
    """What a preflight answer fails to grant for ``method`` with ``asked_headers``."""
    problems = []
    methods = {
        m.strip().upper() for m in headers.get("access-control-allow-methods", "").split(",") if m.strip()
    }
    if method not in SAFELISTED_METHODS and method not in methods and "*" not in methods:
        problems.append(f"Access-Control-Allow-Methods lacks {method}")
    granted = {
        h.strip().lower() for h in headers.get("access-control-allow-headers", "").split(",") if h.strip()
    }
    lacking = [h for h in asked_headers if h.lower() not in granted and "*" not in granted]
    if lacking:
        problems.append(f"Access-Control-Allow-Headers lacks {', '.join(lacking)}")
    return problems


def credential_problem(grant: Grant, allowed: bool, where: str) -> str | None:
    """What is wrong with ``grant`` for ``cors.allow_credentials`` (``None`` when nothing is).

    ``allowed``: the profile allows credentials for this origin (it is listed, and allow_credentials is
    true); ``where`` names the request (``GET from https://app.example.com``)."""
    if not allowed:
        return f"{where} is granted credentials" if grant.credentialed else None
    if grant.allow_origin == "*":
        return f"{where}: Access-Control-Allow-Origin is *, which browsers refuse with credentials"
    if grant.allow_origin != grant.origin:
        shown = "absent" if grant.allow_origin is None else repr(grant.allow_origin)
        return f"{where}: Access-Control-Allow-Origin is {shown}, not the origin itself"
    if grant.credentials_header != "true":
        shown = "absent" if grant.credentials_header is None else repr(grant.credentials_header)
        return f"{where}: Access-Control-Allow-Credentials is {shown}, not true"
    return None
