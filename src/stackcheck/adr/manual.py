"""Claims no profile key expresses: how they are recognised, and the reason the draft gives for each.

A sentence no drafting rule maps is a claim only when it reads as one of these kinds: a cost, an
availability target, a process, a platform choice... Each entry is a pattern and the reason written as
the claim's ``manual:`` (what would be needed for a check, where stackcheck has one). The first entry
that matches wins; a sentence matching none is not a claim (a description, an example, a heading).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stackcheck.adr.model import Sentence

__all__ = ["MANUAL", "ManualKind", "manual_reason"]


@dataclass(frozen=True)
class ManualKind:
    """A kind of claim no key expresses: its pattern and the reason the draft writes."""

    name: str
    pattern: re.Pattern[str]
    reason: str


def _kind(name: str, pattern: str, reason: str) -> ManualKind:
    return ManualKind(name, re.compile(pattern, re.I), reason)


MANUAL: tuple[ManualKind, ...] = (
    _kind(
        "secrets in code",
        r"\bsecrets?\b[^.]{0,30}\b(?:in|enter|out\s+of|from)\b[^.]{0,15}\b(?:code|repo(?:sitory)?|images?|config"
        r"(?:uration)?\s+files?)|hard-?coded\s+(?:secrets?|credentials?|keys?)",
        "secrets.repo checks it once scan.secret_paths names the code (the ADR names no path)",
    ),
    _kind(
        "secrets in logs",
        r"\b(?:mask(?:ed)?|redact(?:ed)?)\b[^.]{0,30}\b(?:logs?|sensitive)|\b(?:keys?|secrets?|tokens?)\s+"
        r"(?:are\s+)?(?:masked|redacted)",
        "secrets.logs checks it once scan.log_files and scan.canaries are set (the ADR names neither)",
    ),
    _kind(
        "non-root image",
        r"\bnon-?root\b|(?-i:^USER\s+\w+)|\brun(?:s)?\s+as\s+(?:user|uid)\b|\buid\s+\d+",
        "a non-root image: checkov checks the Dockerfile once scan.iac_paths names it (the ADR names none)",
    ),
    _kind(
        "scanning",
        r"\bSAST\b|\bDAST\b|static\s+(?:code\s+)?analysis|\bbandit\b|\bgosec\b|security\s+scan|scan\w*\s+"
        r"(?:docker\s+|container\s+)?images?|\bCVEs?\b|\bvulns?\b|vulnerabilit",
        "stackcheck scan checks it once scan.code_paths / scan.images name the code and images",
    ),
    _kind(
        "cost",
        r"[$\u00a3\u20ac]\s?\d|\b\d+\s?(?:usd|eur|gbp)\b|\d\s*/\s*month\b|\bbudget\b|\bcost\s+(?:target|limit|cap)",
        "cost: no check measures spend",
    ),
    _kind(
        "availability",
        r"\buptime\b|\bavailability\b|\bSLA\b|\b99(?:\.\d+)?\s?%|highly\s+available|\bHA\b|multi-?(?:az|region)",
        "availability over time: no single bounded run measures it",
    ),
    _kind(
        "compliance",
        r"\b(?:GDPR|DPDP|CCPA|GLBA|PCI(?:\s+DSS)?|SOC\s?2|HIPAA)\b|\bconsent\b|right\s+to\s+(?:deletion|erasure)"
        r"|cross-border|\bcompliance\b|anonymi[sz]",
        "legal or compliance process: no check observes it",
    ),
    _kind(
        "backup",
        r"\bbackups?\b|\bsnapshots?\b|\bretention\b|\bPITR\b|point-in-time|\barchiv|\breplication\b|\bWAL\b"
        r"|\bdumps?\b|\brestore",
        "backup schedule, retention and replication are provider settings: no check reads them",
    ),
    _kind(
        "pooler",
        r"\bpgbouncer\b|\bpool\s+mode\b|\bdefault\s+pool\s+size\b|\bmax\s+client\s+connections\b",
        "connection-pooler settings: no check reads PgBouncer's configuration",
    ),
    _kind(
        "data residency",
        r"\bresidency\b|\bregions?\b|(?:us|eu|ap|sa|ca|me|af)-(?:north|south|east|west|central)\w*-\d",
        "data residency: scan.allowed_regions checks the IaC's regions once it is a rule and scan.iac_paths is set",
    ),
    _kind(
        "monitoring",
        r"\balert(?:s|ing)?\b|\bmonitor(?:ing|ed)?\b|\bdashboards?\b|\btracing\b|\bAPM\b|\bon-call\b",
        "monitoring and alerting configuration: no check reads it",
    ),
    _kind(
        "logging",
        r"\blogs?\b|\blogging\b|\bPII\b",
        "log format and content: no check reads the service's logs for it",
    ),
    _kind(
        "network",
        r"\bVPC\b|private\s+(?:network\w*|subnets?)|\bfirewall\b|security\s+groups?|\bport\s+\d+\b.*\bfrom\b"
        r"|\bdeny\b|service-to-service|\binternal\b|public\s+(?:database|db)\s+access|\bWAF\b|\bDDoS\b|\bVPN\b",
        "network topology: stackcheck sees only the public side",
    ),
    _kind(
        "access",
        r"\bMFA\b|least\s+privilege|\bcredentials?\b|access\s+control|audit\s+logs?|\brotat(?:e|ion)\b"
        r"|\bIAM\b|\bRBAC\b|\bauthenticat",
        "access control and rotation are process: no check observes them",
    ),
    _kind(
        "input validation",
        r"\bvalidat|\bsanitiz|\binputs?\b|\bupload",
        "input validation: no check knows the API's inputs",
    ),
    _kind(
        "timeouts and caching",
        r"\btimeouts?\b|\bTTL\b|\bcach(?:e|ing)\b",
        "an internal timeout or cache behaviour: not observable from outside",
    ),
    _kind(
        "scaling",
        r"(?=.*\d)(?:auto-?scal|\bscal(?:e|es|ing)\b|\breplicas?\b|\bHPA\b|\binstances?\b)|auto-?scaling\s+limits",
        "scaling behaviour: no bounded check shows it",
    ),
    _kind(
        "process",
        r"\brunbooks?\b|\bdrills?\b|\brehears|\btest(?:ed|s|ing)?\s+(?:quarterly|annually|monthly|periodically|every)"
        r"|\breview(?:ed|s)?\b|\bapprov(?:al|ed|e)\b|\bdocumented\b|\bmanual\s+(?:approval|verification|validation"
        r"|trigger|backups?)|\bon\s+every\s+(?:push|merge|commit|pr)\b|auto-?deploy|\bblue[/-]green\b|\bcanary\b"
        r"|\brollback\b|\bCI/CD\b|\bcoverage\b|\bdependency\s+updates|deployment\s+(?:frequency|failure)"
        r"|\bquarterly\b|\bannual(?:ly)?\b|\bupon\s+approval|\bmanual\s+validation",
        "process: no check observes it",
    ),
    _kind(
        "platform",
        r"^(?:platform|provider|hosting|framework|runtime|secret\s+store|orchestration)\s*:|\bprimary\s+choice\b"
        r"|\b(?:hosted|deployed|runs?)\s+on\b|\bwe\s+(?:use|run|deploy)\b|\bfor\s+production\s+launch\b",
        "a platform or framework choice: no check observes the provider",
    ),
    _kind(
        "requirement",
        r"\b(?:must|shall|required?|requirement|never|always|mandatory|only)\b|^no\s+\w+|hard-?coded",
        "no profile key expresses it: keep it manual, or write a check of your own",
    ),
)


def manual_reason(sentence: Sentence) -> str | None:
    """Why no key can verify ``sentence``, if it reads as a claim at all; None for a sentence that is not."""
    for kind in MANUAL:
        if kind.pattern.search(sentence.text):
            return kind.reason
    return None
