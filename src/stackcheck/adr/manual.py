"""Claims no profile key expresses: how they are recognised, and the reason the draft gives for each.

A sentence no drafting rule maps is a claim only when it reads as one of these kinds: a cost, an
availability target, a process, a platform choice... Each entry is a pattern and the reason written as
the claim's ``manual:`` (what would be needed for a check, where stackcheck has one). The first entry
that matches wins; a sentence matching none is not a claim (a description, an example, a heading).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stackcheck.adr.model import Kind, Sentence

__all__ = ["MANUAL", "ManualKind", "manual_reason"]


@dataclass(frozen=True)
class ManualKind:
    """A kind of claim no key expresses: its pattern and the reason the draft writes."""

    name: str
    pattern: re.Pattern[str]
    reason: str
    context: bool = False  # also matched on the lines the sentence hangs under ("Validation Rules:")
    prose_only: bool = False  # not matched on lines of code blocks (whose YAML names vendors everywhere)
    only_with: re.Pattern[str] | None = None  # a second pattern the sentence must match too


def _kind(
    name: str, pattern: str, reason: str, context: bool = False, prose_only: bool = False, only_with: str = ""
) -> ManualKind:
    also = re.compile(only_with, re.I) if only_with else None
    return ManualKind(name, re.compile(pattern, re.I), reason, context, prose_only, also)


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
        "secret storage",
        r"\bsecrets?\s+manager\b|\bkey\s+vault\b|\bvault\b|\benvironment\s+variables?\b|\bsecret\s+store\b"
        r"|^secrets?\s*:",
        "where secrets live is platform configuration: no check reads it",
    ),
    _kind(
        "non-root image",
        r"\bnon-?root\b|(?-i:^USER\s+\w+)|\brun(?:s)?\s+as\s+(?:user|uid)\b|\buid\s+\d+",
        "a non-root image: checkov checks the Dockerfile once scan.iac_paths names it (the ADR names none)",
    ),
    _kind(
        "container hardening",
        r"\bread-?only\b|\bcap-drop\b|\bcapabilit|\bseccomp\b|\bprivileged\b|no-new-privileges",
        "container runtime flags: no check inspects the orchestrator",
    ),
    _kind(
        "scanning",
        r"\bSAST\b|\bDAST\b|static\s+(?:code\s+)?analysis|\bbandit\b|\bgosec\b|security\s+scan|scan\w*\s+"
        r"(?:docker\s+|container\s+)?images?|\bCVEs?\b|\bvulns?\b|vulnerabilit",
        "stackcheck scan checks it once scan.code_paths / scan.images name the code and images",
    ),
    _kind(
        "infrastructure as code",
        r"\bIaC\b|\bterraform\b|\bcloudformation\b|infrastructure\s+as\s+code|\bhelm\b",
        "IaC: stackcheck scan checks it once scan.iac_paths names the files (the ADR names none)",
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
        r"|\bdumps?\b|\brestor",
        "backup schedule, retention and replication are provider settings: no check reads them",
        context=True,
    ),
    _kind(
        "database features",
        r"\buuid\s?v7\b|\bRLS\b|row-level\s+security|\bpartition(?:ed|ing)?\b|\bhypertables?\b",
        "names no function or table: set postgres.uuidv7, postgres.rls_tables or postgres.hypertables",
    ),
    _kind(
        "pooler",
        r"\bpgbouncer\b|\bpool\s+mode\b|\bdefault\s+pool\s+size\b|\bmax\s+client\s+connections\b",
        "names no PgBouncer setting with its value: set pgbouncer.pool_mode, max_client_conn or "
        "default_pool_size (pgbouncer.config reads them from the admin console)",
    ),
    _kind(
        "transport security",
        r"\bTLS\b|\bSSL\b|\bHTTPS\b|\bcertificates?\b",
        "names no protocol version, policy or port: set tls.min_version, tls.policy or tls.http_port",
    ),
    _kind(
        "metrics",
        r"\bprometheus\b|\bmetrics?\s+export",
        "names no metrics endpoint: set metrics.path (and metrics.required) to check the exposition",
    ),
    _kind(
        "data residency",
        r"\bresidency\b|\bregions?\b|(?:us|eu|ap|sa|ca|me|af)-(?:north|south|east|west|central)\w*-\d",
        "data residency: scan.allowed_regions checks the IaC's regions once it is a rule and scan.iac_paths "
        "is set",
    ),
    _kind(
        "monitoring",
        r"\balert(?:s|ing)?\b|\balarms?\b|\bmonitor(?:ing|ed)?\b|\bdashboards?\b|\btracing\b|\bAPM\b|\bon-call\b",
        "monitoring and alerting configuration: no check reads it",
    ),
    _kind(
        "logging",
        r"\blogs?\b|\blogging\b|\bPII\b|\blog\s+level\b",
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
        context=True,
    ),
    _kind(
        "timeouts and caching",
        r"\btimeouts?\b|\bTTL\b|\bcach(?:e|ing)\b|\bdebug\b",
        "an internal timeout, cache or debug setting: not observable from outside",
        context=True,
    ),
    _kind(
        "application limits",
        r"\bmax(?:imum)?\b|\bmin(?:imum)?\b|\blimits?\b|\bretries\b|\brestart\s+policy\b",
        "an application or orchestrator limit: no check observes it",
    ),
    _kind(
        "scaling",
        r"(?:auto-?scal|\bscal(?:e|es|ing)\b|\breplicas?\b|\bHPA\b|\binstances?\b)",
        "scaling behaviour: no bounded check shows it",
        only_with=r"\d|\blimits?\b|horizontal|stateless",
    ),
    _kind(
        "user-facing timing",
        r"\bmean\s+time\s+to\b|\bMTT[RD]\b|\bpage\s+load\b|\btime\s+to\s+market\b",
        "measured over time or from users' browsers: no bounded check shows it",
    ),
    _kind(
        "process",
        r"\brunbooks?\b|\bdrills?\b|\brehears|\btest(?:ed|s|ing)?\s+(?:quarterly|annually|monthly|periodically|every)"
        r"|\breview(?:ed|s)?\b|\bapprov(?:al|ed|e)\b|\bdocument(?:ed)?\b|\bprocedures?\b|\bmanual\s+(?:approval"
        r"|verification|validation|trigger|backups?)|\bon\s+every\s+(?:push|merge|commit|pr)\b|auto-?deploy"
        r"|\bdeploys?\s+to\b|\bpromote\b|\bblue[/-]green\b|\bcanary\b|\brollback\b|\bCI/CD\b|\bcoverage\b"
        r"|\bdependency\s+updates|deployment\s+(?:frequency|failure)|\bquarterly\b|\bannual(?:ly)?\b"
        r"|\bupon\s+approval|\bswitch\s+traffic\b|\bif\s+healthy\b|\brun\s+health\s+checks\b|\bhealth\s+check\s+each\b",
        "process: no check observes it",
    ),
    _kind(
        "platform",
        r"^(?:platform|provider|hosting|framework|runtime|language|build|packaging|secret\s+store|orchestration)\s*:"
        r"|\bprimary\s+choice\b|\b(?:hosted|deployed|runs?)\s+on\b|\bwe\s+(?:use|run|deploy)\b"
        r"|\bfor\s+production\s+launch\b",
        "a platform or framework choice: no check observes the provider",
    ),
    _kind(
        "platform (named)",
        r"\b(?:aws|amazon|gcp|google\s+cloud|azure|railway|vercel|heroku|render|fly\.io|netlify|neon|supabase"
        r"|ecs|fargate|eks|gke|aks|kubernetes|cloud\s+run|elasticache|rds)\b",
        "a platform or framework choice: no check observes the provider",
        prose_only=True,
    ),
    _kind(
        "requirement",
        r"\b(?:must|shall|required?|requirement|never|always|mandatory|only)\b|^no\s+\w+|hard-?coded",
        "no profile key expresses it: keep it manual, or write a check of your own",
    ),
)


# A claim says something of something: two bare words ("Log aggregation", "Cache") are a label.
_PREDICATE = re.compile(r"\S+\s+\S+\s+\S+|\d|\b(?:only|no|never|must|required|all|every)\b|:\s*\S", re.I)


def manual_reason(sentence: Sentence) -> str | None:
    """Why no key can verify ``sentence``, if it reads as a claim at all; None for a sentence that is not."""
    if not _PREDICATE.search(sentence.text):
        return None
    # DB_POOL_SIZE, LOG_LEVEL: configuration names read as words.
    text = sentence.text.replace("_", " ")
    parents = " / ".join(sentence.parents).replace("_", " ")
    for kind in MANUAL:
        if kind.prose_only and sentence.kind is Kind.CODE:
            continue
        if kind.only_with is not None and not kind.only_with.search(text):
            continue
        if kind.pattern.search(text) or (kind.context and kind.pattern.search(parents)):
            return kind.reason
    return None
