"""TLS verdicts on nginx, Apache and HAProxy beside testssl.sh and sslscan run on the same servers.

Nine configurations per server — modern (TLS 1.3 only), intermediate (TLS 1.2+1.3, Mozilla intermediate
suites), legacy (TLS 1.0-1.3 with CBC and static-RSA suites at ``@SECLEVEL=0``), intermediate plus
forward-secret CBC-SHA1 suites, and certificates expiring in 5 days, expired, for other names only,
self-signed and on an RSA-1024 key — each judged by ``stackcheck verify --suite tls`` (``tls.protocols``,
``tls.ciphers``, ``tls.certificate``; ``tls.redirect`` on nginx's protocol cases, whose plain-HTTP port
redirects except in the legacy one, beside ``curl``), by sslscan (every case: protocols, suites per
protocol, the certificate) and by testssl.sh (``-p -e`` where protocols and suites are the point, ``-S``
for the certificate cases on nginx: it is the slow one, ~20-40 s a run, so it runs in a bounded pool of
threads beside the rest).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from accuracy.harness import Verdicts, run_tool, stackcheck
from accuracy.model import Row, Unavailable
from accuracy.servers import KINDS, Config, available, start
from accuracy.tlsref import TlsReading, run_sslscan, run_testssl, weak_suites
from fixtures.nginx.config import MOZILLA_INTERMEDIATE_CIPHERS as INTERMEDIATE
from stackcheck.report.sanitize import one_line

__all__ = ["CASES", "rows"]

STATIC_RSA = ("TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA")
CBC_FS = "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA"
LEGACY = f"{INTERMEDIATE}:{CBC_FS}:AES128-SHA:AES256-SHA:@SECLEVEL=0"
FULL = ("-p", "-e")  # protocols, then every suite once (-E, per protocol, takes 5x longer)
CERT_ONLY = ("-S",)
MIN_DAYS, MIN_RSA_BITS = 14, 2048
WORKERS = 5  # testssl.sh, sslscan and stackcheck runs at once (bounded: a 2-core machine)


@dataclass(frozen=True)
class Case:
    """A configuration, the profile's promise, and what the configuration makes true."""

    name: str
    config: Config
    min_version: str = "1.2"
    weak: tuple[str, ...] = ()  # IANA names of the weak suites configured
    cert_problem: str = ""  # what is wrong with the certificate configured ("" = nothing)
    testssl_scope: tuple[str, ...] = CERT_ONLY
    also_min: tuple[str, ...] = ()  # further promises judged on tls.protocols alone
    cipher_decision: str = ""


CASES: tuple[Case, ...] = (
    Case("modern (TLS 1.3 only)", Config(versions=("1.3",)), "1.3", testssl_scope=FULL),
    Case("intermediate (TLS 1.2+1.3)", Config(), "1.2", testssl_scope=FULL, also_min=("1.3",)),
    Case(
        "legacy (TLS 1.0-1.3, CBC + static RSA, SECLEVEL=0)",
        Config(versions=("1.0", "1.1", "1.2", "1.3"), ciphers=LEGACY, http_redirect=False),
        weak=STATIC_RSA,
        testssl_scope=FULL,
    ),
    Case(
        "intermediate + ECDHE CBC-SHA1",
        Config(ciphers=f"{INTERMEDIATE}:{CBC_FS}"),
        testssl_scope=(),
        cipher_decision="Forward-secret CBC-SHA1 suites (ECDHE-RSA-AES128-SHA) pass the built-in rule "
        "(forward secrecy, >= 128 bits, no NULL/EXPORT/RC4/DES/MD5): they are not broken. Mozilla's "
        "intermediate profile excludes them as pre-AEAD; a profile that wants that sets `tls.policy: "
        "mozilla-intermediate`, which then fails them (tests/integration/test_tls_third_party.py).",
    ),
    Case("certificate expiring in 5 days", Config(certificate={"days": 5}), cert_problem="5 days left"),
    Case("expired certificate", Config(certificate={"expired": True}), cert_problem="expired yesterday"),
    Case(
        "wrong host (other.example.com only)",
        Config(certificate={"hosts": ("other.example.com", "www.other.example.com")}),
        cert_problem="issued for other.example.com only",
    ),
    Case("self-signed certificate", Config(certificate={"self_signed": True}), cert_problem="self-signed"),
    Case(
        "weak key (RSA 1024, SECLEVEL=0)",
        Config(ciphers=f"{INTERMEDIATE}:@SECLEVEL=0", certificate={"key": "rsa1024"}),
        cert_problem="RSA 1024-bit key",
    ),
)


@dataclass
class _Run:
    kind: str
    case: Case
    url: str = ""
    ca_file: str = ""
    start_error: str = ""
    sslscan: TlsReading | None = None
    scope: tuple[str, ...] = ()  # what testssl.sh ran (empty: not run on this server)
    testssl: Future[TlsReading] | None = None
    verdicts: dict[str, Verdicts] = field(default_factory=dict)
    http_port: int | None = None  # nginx's plain-HTTP port (tls.redirect), on the protocol cases
    curl_redirect: str = ""


def _profile(run: _Run, min_version: str) -> dict[str, Any]:
    return {
        "name": f"accuracy-tls-{run.kind}",
        "target": {"base_url": run.url, "ca_bundle": run.ca_file, "timeout_s": 5},
        "tls": {
            "min_version": min_version,
            "cert_min_days_left": MIN_DAYS,
            "min_rsa_bits": MIN_RSA_BITS,
            **({"http_port": run.http_port} if run.http_port else {}),
        },
    }


def _redirect_row(run: _Run) -> Row:
    redirects = run.case.config.http_redirect
    status, message, _ = _sc(run.verdicts[run.case.min_version], "tls.redirect")
    code, _, location = run.curl_redirect.partition(" ")
    seen = code in ("301", "302", "303", "307", "308") and location.startswith("https://")
    return Row(
        suite="tls",
        case=f"{run.kind}: {run.case.name}",
        check="tls.redirect",
        truth="passed" if redirects else "failed",
        truth_detail="return 301 https://…" if redirects else "plain HTTP serves the docroot",
        reference_tool="curl -s -w '%{http_code} %{redirect_url}'",
        reference=one_line(run.curl_redirect or "no answer", 200),
        reference_agrees=seen == redirects,
        stackcheck=status,
        stackcheck_detail=one_line(message, 300),
    )


def _fmt(protocols: frozenset[str] | set[str]) -> str:
    return ", ".join(sorted(protocols)) or "none"


def _readings(run: _Run) -> list[TlsReading]:
    found = [r for r in (run.sslscan,) if r is not None]
    if run.testssl is not None:
        found.append(run.testssl.result())
    return found


def _sc(v: Verdicts, check: str) -> tuple[str, str, dict[str, Any]]:
    try:
        r = v.result(check)
    except LookupError as exc:
        return "error", str(exc)[:160], {}
    details = (r.get("evidence") or {}).get("details") or {}
    return str(r["status"]), str(r.get("message") or "")[:160], dict(details)


def _protocol_row(run: _Run, min_version: str, suffix: str = "") -> Row:
    case = run.case
    configured = {f"TLS {v}" for v in case.config.versions}
    ok = min(case.config.versions) >= min_version and (min_version != "1.3" or "1.3" in case.config.versions)
    readings = [r for r in _readings(run) if r.tool == "sslscan" or "-p" in run.scope]
    status, message, details = _sc(run.verdicts[min_version], "tls.protocols")
    seen = set(details.get("accepted") or [])
    note = "" if seen == configured or status == "error" else f" (saw {_fmt(seen)} ≠ configured)"
    return Row(
        suite="tls",
        case=f"{run.kind}: {case.name}{suffix}",
        check="tls.protocols",
        truth="passed" if ok else "failed",
        truth_detail=f"configured {_fmt(configured)}; promise ≥ TLS {min_version}",
        reference_tool=" + ".join(r.tool for r in readings),
        reference=one_line(
            "; ".join(f"{r.tool}: {_fmt(r.protocols) if not r.error else r.error}" for r in readings), 300
        ),
        reference_agrees=all(r.protocols == configured for r in readings) if readings else None,
        stackcheck=status,
        stackcheck_detail=one_line(message + note, 300),
    )


def _cipher_row(run: _Run) -> Row:
    case = run.case
    truth_weak = frozenset(case.weak)
    readings = [r for r in _readings(run) if r.tool == "sslscan" or "-e" in run.scope]
    status, message, details = _sc(run.verdicts[case.min_version], "tls.ciphers")
    seen = {name.split(" ", 2)[-1] for name in (details.get("weak") or {})}
    note = "" if seen == truth_weak or status == "error" else f" (weak seen {sorted(seen)} ≠ configured)"

    def reading(r: TlsReading) -> str:
        if r.error:
            return f"{r.tool}: {r.error}"
        weak = weak_suites(r.suites)
        what = "distinct suites" if r.tool == "testssl.sh" else "(protocol, suite) pairs"
        return f"{r.tool}: {len(r.suites)} {what}, {len(weak)} weak {sorted(weak)}"

    truth = "failed" if truth_weak else "passed"
    return Row(
        suite="tls",
        case=f"{run.kind}: {case.name}",
        check="tls.ciphers",
        truth=truth,
        truth_detail=f"weak configured: {', '.join(truth_weak) or 'none'}",
        reference_tool=" + ".join(r.tool for r in readings),
        reference=one_line("; ".join(reading(r) for r in readings), 300),
        reference_agrees=all(weak_suites(r.suites) == truth_weak for r in readings) if readings else None,
        stackcheck=status,
        stackcheck_detail=one_line(f"{details.get('accepted', '?')} suites: {message}{note}", 300),
        decision=case.cipher_decision,  # shown even when agreeing: the truth itself is a choice
    )


def _cert_row(run: _Run) -> Row:
    case = run.case
    readings = [r for r in _readings(run) if r.tool == "sslscan" or "-S" in run.scope]
    status, message, _ = _sc(run.verdicts[case.min_version], "tls.certificate")
    texts, agrees = [], []
    for r in readings:
        if r.cert is None:
            texts.append(f"{r.tool}: no certificate read {r.error}")
            agrees.append(False)
            continue
        problems = r.cert.problems(MIN_DAYS, MIN_RSA_BITS)
        texts.append(f"{r.tool}: {'; '.join(problems) or 'fine'} ({r.cert.days_left:g} d, {r.cert.key})")
        agrees.append(bool(problems) == bool(case.cert_problem))
    return Row(
        suite="tls",
        case=f"{run.kind}: {case.name}",
        check="tls.certificate",
        truth="failed" if case.cert_problem else "passed",
        truth_detail=case.cert_problem or "issued by the trusted CA for 127.0.0.1, 90 days, RSA 2048",
        reference_tool=" + ".join(r.tool for r in readings),
        reference=one_line("; ".join(texts), 300),
        reference_agrees=all(agrees) if readings else None,
        stackcheck=status,
        stackcheck_detail=one_line(message, 300),
    )


def _start_error_rows(run: _Run) -> Iterator[Row]:
    for check in ("tls.protocols", "tls.ciphers", "tls.certificate"):
        yield Row(
            "tls",
            f"{run.kind}: {run.case.name}",
            check,
            "passed",
            "the server did not start",
            "-",
            run.start_error[:160],
            False,
            "not run",
        )


def _observe(run: _Run) -> None:
    """sslscan and stackcheck (once per promise) on one running server."""
    run.sslscan = run_sslscan("127.0.0.1", urlsplit(run.url).port or 443)
    if run.http_port:
        fmt = "%{http_code} %{redirect_url}"
        url = f"http://127.0.0.1:{run.http_port}/"
        run.curl_redirect = run_tool(
            ["curl", "-s", "--max-time", "20", "-o", "/dev/null", "-w", fmt, url], 60
        ).stdout
    for min_version in (run.case.min_version, *run.case.also_min):
        run.verdicts[min_version] = stackcheck(
            "verify", _profile(run, min_version), "--target", run.url, "--suite", "tls"
        )


def _scope(run: _Run) -> tuple[str, ...]:
    """testssl.sh is the slow reference: every server where protocols and ciphers are the point, the
    certificate cases on nginx only (sslscan reads every certificate)."""
    if run.case.testssl_scope == CERT_ONLY and run.kind != "nginx":
        return ()
    return run.case.testssl_scope


def rows() -> Iterator[Row]:
    """Start every (server, configuration), read it with the reference tools and stackcheck, one row each."""
    kinds = [k for k in KINDS if available(k)]
    if not kinds:
        raise Unavailable("none of nginx, apache2, haproxy is installed")
    runs = [_Run(kind, case) for kind in kinds for case in CASES]
    with ExitStack() as stack, ThreadPoolExecutor(WORKERS) as pool:
        for run in runs:
            try:
                server = stack.enter_context(start(run.kind, run.case.config))
            except RuntimeError as exc:
                run.start_error = str(exc)
                continue
            run.url, run.ca_file = server.url, str(server.ca_file)
            if run.kind == "nginx" and run.case.testssl_scope == FULL:
                run.http_port = server.ports.http
            run.scope = _scope(run)
            if run.scope:  # the slowest first, so that they do not trail at the end
                port = urlsplit(run.url).port or 443
                run.testssl = pool.submit(run_testssl, "127.0.0.1", port, server.ca_file, run.scope)
        observed = {id(run): pool.submit(_observe, run) for run in runs if not run.start_error}
        for run in runs:
            if run.start_error:
                yield from _start_error_rows(run)
                continue
            observed[id(run)].result()
            yield _protocol_row(run, run.case.min_version)
            for extra in run.case.also_min:
                yield _protocol_row(run, extra, f", promise TLS {extra} only")
            yield _cipher_row(run)
            yield _cert_row(run)
            if run.http_port:
                yield _redirect_row(run)
