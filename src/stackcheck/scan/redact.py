"""Redaction: no secret a scanner saw reaches any artifact.

Every artifact is rendered from one :class:`~stackcheck.report.model.Report`, so redacting the report
before it is written redacts ``report.json``, ``junit.xml``, ``summary.md``, ``results.sarif`` and the
console alike. Two layers: the exact values known to be secret (the profile's canaries, passwords a
scanner quoted), and well-known credential shapes (cloud keys, tokens, private keys, passwords in URLs)
for anything else that slipped into a message or an evidence field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from stackcheck.report.model import Report

__all__ = ["MASK", "Redactor", "redact_report"]

MASK = "[REDACTED]"
KEEP = frozenset({"claims"})
MIN_KNOWN_LENGTH = 4  # shorter "secrets" (e.g. '' or 'x') would shred ordinary text

PATTERNS: tuple[re.Pattern[str], ...] = (
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
# scheme://user:password@host → keep the user, hide the password (unless it is a ${VAR} reference).
URL_PASSWORD = re.compile(r"\b([a-z][a-z0-9+.-]*://[^/@:\s]+:)(?!\$\{)([^/@\s]+)(@)", re.I)
# "Authorization: Bearer xyz", "api_key=xyz", "password: 'xyz'" in free text
ASSIGNMENT = re.compile(
    r"(?i)\b((?:authorization|bearer|password|passwd|secret|token|api[_-]?key|access[_-]?key)"
    r"[\"']?\s*[:=]\s*(?:bearer\s+)?[\"']?)([^\s\"',;]{6,})"
)


class Redactor:
    """Masks known secret values and credential-shaped strings in text."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        values = {v for v in known if v and len(v) >= MIN_KNOWN_LENGTH}
        # Longest first: a secret that contains another is masked whole.
        self.known = sorted(values, key=len, reverse=True)

    def add(self, values: Iterable[str]) -> None:
        """Learn more secret values (e.g. passwords a scanner quoted)."""
        self.known = sorted(
            {*self.known, *(v for v in values if v and len(v) >= MIN_KNOWN_LENGTH)}, key=len, reverse=True
        )

    def text(self, value: str) -> str:
        """``value`` with every secret masked."""
        for secret in self.known:
            value = value.replace(secret, MASK)
        for pattern in PATTERNS:
            value = pattern.sub(MASK, value)
        value = URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", value)
        return ASSIGNMENT.sub(lambda m: m.group(1) + (m.group(2) if m.group(2) == MASK else MASK), value)

    def data(self, value: Any) -> Any:
        """Redact every string inside nested dicts/lists (keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            # Claims quote the architecture documents (e.g. 'API_KEY = "abc123"' as the bad example).
            return {self.data(k): v if k in KEEP else self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


def redact_report(report: Report, redactor: Redactor) -> Report:
    """A copy of ``report`` with every string field redacted (messages, evidence, findings, commands)."""
    raw = report.model_dump(mode="json", by_alias=True)
    return Report.model_validate(redactor.data(raw))
