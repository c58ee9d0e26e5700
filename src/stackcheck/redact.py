"""Redaction: the one place that decides what a credential looks like and masks it.

Every artifact is rendered from a :class:`~stackcheck.report.model.Report` that went through
:func:`stackcheck.report.publish.publishable` (a :class:`Redactor`, then the sanitiser), and every line
stackcheck prints goes through :meth:`Redactor.text` too, so a password in a target URL, a DSN or a
``--set`` option, a secret a scanner quoted and a canary value are masked alike everywhere.

Two kinds of masking:

* **shapes**, found without knowing the value: URL userinfo (``scheme://user:***@host``, the user kept),
  secret query parameters (``?password=***``), libpq ``key=value`` pairs (``password=***``), assignments in
  free text (``api_key: ***``), and well-known token formats (cloud keys, GitHub/GitLab/Slack tokens, JWTs,
  private keys) → ``[REDACTED]``;
* **known values**, learned from those shapes in the run's inputs (:meth:`Redactor.learn`), from scanners
  and from canaries: masked wherever they appear, even bare.

``${VAR}`` references are not literal credentials (the profile guard accepts them), but they are masked
in credential positions all the same. This module imports nothing of stackcheck, so the
profile's literal-password guard, the providers and the report all use the same patterns.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import shlex
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

__all__ = [
    "MASK",
    "SHAPE_MASK",
    "Redactor",
    "credentials_in",
    "expand_references",
    "literal_credential",
    "redact_url",
    "secret_tag",
    "secret_value",
]

MASK = "[REDACTED]"  # a known value or a token shape
SHAPE_MASK = "***"  # the value of a password-like key: user:***@, password=***
MIN_KNOWN_LENGTH = 4  # shorter "secrets" (e.g. '' or 'x') would shred ordinary text
KEEP = frozenset({"claims"})  # claims quote the architecture documents, bad examples included

# Names whose value is a credential: query parameters, libpq keywords, dict keys in evidence.
SECRET_KEYS = (
    "password|passwd|pass|pwd|sslpassword|secret|client_secret|token|access_token|auth_token|"
    "api_key|apikey|api-key|private_key|sslkey_password"
)
_NOT_A_MASK = r"(?!(?:\*\*\*|\[REDACTED\])(?:[\s&#;'\"]|$))"  # already masked: leave it (idempotent)

TOKEN_SHAPES: tuple[re.Pattern[str], ...] = (
    re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[A-Z0-9]{16}\b"),  # AWS access key id
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"),  # GitHub tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"),  # GitLab
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),  # Slack
    re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b"),  # Stripe
    re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}\b"),  # OpenAI-style keys
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),  # Google API key
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"),  # JWT
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"),
)
# scheme://user:password@host: the password may hold ':' or '@' (the last '@' before the path ends it).
URL_USERINFO = re.compile(rf"(?i)\b([a-z][a-z0-9+.-]*://[^/?#@:\s]*:){_NOT_A_MASK}([^/?#\s]*)(@)")
# ?password=... / &token=... (query parameters; libpq and redis-py read passwords from them).
QUERY_SECRET = re.compile(rf"(?i)([?&;](?:{SECRET_KEYS})=){_NOT_A_MASK}([^&#\s]+)")
# libpq key=value: password=pw, password='it''s' (quoted values may hold spaces and \' escapes).
KEY_VALUE_SECRET = re.compile(
    rf"(?i)(?<![\w.-])((?:{SECRET_KEYS})\s*=\s*){_NOT_A_MASK}('(?:\\.|[^'\\])*'|[^\s&]+)"
)
# Free text: "Authorization: Bearer xyz", 'password: "it's"', "access_key=xyz" (values of 6+ characters,
# so "token: none" stays readable; quoted values run to the closing quote that ends the value).
ASSIGNMENT = re.compile(
    r"(?i)\b((?:authorization|bearer|password|passwd|secret|token|api[_-]?key|access[_-]?key)"
    r"[\"']?\s*[:=]\s*(?:(?:bearer|basic|token)\s+)?)"
    + _NOT_A_MASK
    + r"(?!(?:bearer|basic|token)\s)"
    + r"(\"(?:[^\"\\]|\\.)*\"|'.*?'(?=[\s,;)\]}]|$)|[^\s\"',;]{6,})"
)
_REFERENCE = re.compile(r"\$\{([^}]*)\}")

# One random key per process (= per run): tags let a reader match two mentions of one secret within a
# report, but no dictionary can turn a tag back into the secret, and tags of two runs never match.
_RUN_KEY = secrets.token_bytes(32)


def secret_tag(value: str) -> str:
    """A per-run keyed tag of a secret (HMAC-SHA-256, 12 hex digits): never reversible by a dictionary."""
    return hmac.new(_RUN_KEY, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:12]


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def credentials_in(text: str) -> set[str]:
    """The literal credential values ``text`` holds in a known shape (userinfo, query, key=value).

    Percent-encoded values are returned decoded as well; ``${VAR}`` references are not values (they are
    still masked in text: what a reference expands to is a secret, and a run may use it unexpanded).
    """
    found: set[str] = set()
    for pattern in (URL_USERINFO, QUERY_SECRET, KEY_VALUE_SECRET):
        for match in pattern.finditer(text):
            value = _unquoted(match.group(2))
            found |= {value, unquote(value)}
    return {v for v in found if v and not v.startswith("${")}


def literal_credential(text: str) -> bool:
    """Whether ``text`` (a DSN or URL from a profile) holds a password written out, not a ``${VAR}``."""
    return bool(credentials_in(text))


def expand_references(text: str, environ: Mapping[str, str]) -> str:
    """``text`` with every ``${VAR}`` set in ``environ`` replaced (the others left as they are)."""
    return _REFERENCE.sub(lambda m: environ.get(m.group(1), m.group(0)), text)


class Redactor:
    """Masks known secret values and credential-shaped strings in text."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        self.known: list[str] = []
        self.add(known)

    def add(self, values: Iterable[str]) -> None:
        """Learn more secret values (e.g. passwords a scanner quoted)."""
        fresh = {v for v in values if v and len(v) >= MIN_KNOWN_LENGTH and v not in (MASK, SHAPE_MASK)}
        # Longest first: a secret that contains another is masked whole.
        self.known = sorted({*self.known, *fresh}, key=len, reverse=True)

    def learn(self, *texts: str | None) -> None:
        """Learn the credentials written in ``texts`` (a target URL, a DSN, a ``--set`` option)."""
        for text in texts:
            if text:
                self.add(credentials_in(text))

    def text(self, value: str) -> str:
        """``value`` with every secret masked."""
        for secret in self.known:
            value = value.replace(secret, MASK)
        for pattern in TOKEN_SHAPES:
            value = pattern.sub(MASK, value)
        value = URL_USERINFO.sub(rf"\g<1>{SHAPE_MASK}\g<3>", value)
        value = QUERY_SECRET.sub(rf"\g<1>{SHAPE_MASK}", value)
        value = KEY_VALUE_SECRET.sub(rf"\g<1>{SHAPE_MASK}", value)
        return ASSIGNMENT.sub(rf"\g<1>{SHAPE_MASK}", value)

    def data(self, value: Any) -> Any:
        """Redact every string inside nested dicts/lists (keys included; a secret-named key's value too)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.data(k): v if k in KEEP else self._item(k, v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value

    def _item(self, key: Any, value: Any) -> Any:
        return SHAPE_MASK if secret_value(key, value) else self.data(value)

    def command(self, argv: Iterable[str]) -> str:
        """A command line for the report: each argument redacted *before* shell quoting."""
        return shlex.join(self.text(arg) for arg in argv)


_SECRET_KEY = re.compile(rf"(?i)(?:{SECRET_KEYS})")


def secret_value(key: object, value: object) -> bool:
    """Whether ``value`` is a credential by its key's name (``{"password": "..."}``)."""
    return (
        isinstance(key, str)
        and isinstance(value, str)
        and value not in ("", SHAPE_MASK, MASK)
        and bool(_SECRET_KEY.fullmatch(key))
    )


def redact_url(url: str) -> str:
    """``postgresql://app:s3cret@h:5432/db`` → ``postgresql://app:***@h:5432/db`` (query, key=value too)."""
    return Redactor().text(url)
