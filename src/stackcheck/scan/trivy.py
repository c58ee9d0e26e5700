"""trivy over the profile's images: misconfiguration of the image config, secrets in layers, and CVEs.

One ``trivy image`` run per image (a local image from the Docker engine, or an image tarball) decides up to
three checks for that image: ``image.trivy`` (misconfiguration: root user, no HEALTHCHECK ... from the
image's history), ``secrets.image`` (secrets in any layer) and ``image.vulnerabilities`` (known CVEs).
Misconfiguration and secret scanning work offline (``--skip-check-update`` uses the checks compiled into
trivy). The vulnerability DB cannot be downloaded here: without ``scan.vulnerability_db`` (a trivy cache
folder holding ``db/trivy.db``) vulnerability scanning is ``skipped`` with that reason — never ``passed``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog import secrets as secret_checks
from stackcheck.catalog.spec import CheckSpec
from stackcheck.scan.context import Planned, ScanContext, display_path
from stackcheck.scan.findings import ToolOutcome, make_finding, severity_of
from stackcheck.scan.runner import Job, JobResult
from stackcheck.scan.scanner import Scanner, ScannerName
from stackcheck.scan.toolcache import ToolSpec, locate

__all__ = ["MISCONFIG", "SCANNER", "SECRETS", "TOOL", "VULNS", "parse_trivy", "vulnerability_db"]

NAME = ScannerName.TRIVY
TRIVY_MODULE = "github.com/aquasecurity/trivy"
TOOL = ToolSpec(
    NAME,
    "trivy",
    "0.74.0",
    go_package=f"{TRIVY_MODULE}/cmd/trivy",
    go_version_var=f"{TRIVY_MODULE}/pkg/version/app.ver",
    go_experiments=("jsonv2",),  # trivy v0.74 uses encoding/json/v2: Go 1.26 builds it only with this on
)
MISCONFIG, SECRETS, VULNS = scan_checks.IMAGE, secret_checks.IMAGE, scan_checks.VULNERABILITIES


def vulnerability_db(ctx: ScanContext) -> tuple[Path | None, str]:
    """The trivy cache folder holding a vulnerability DB, or None with the reason there is none."""
    configured = ctx.section.vulnerability_db
    if configured is None:
        return (
            None,
            "no vulnerability database configured (scan.vulnerability_db); it cannot be downloaded offline",
        )
    folder = Path(configured) if Path(configured).is_absolute() else ctx.base / configured
    if not (folder / "db" / "trivy.db").is_file():
        return None, f"no vulnerability database at {display_path(folder)}/db/trivy.db"
    return folder, ""


def _image_source(image: str) -> list[str]:
    if image.endswith((".tar", ".tar.gz")):
        return ["--input", image]
    return ["--image-src", "docker", image]


def _plan(ctx: ScanContext) -> list[Planned]:
    if not ctx.images:
        reason = "scan.images is empty"
        return [
            Planned(check, None, outcome=ToolOutcome(NAME, check, None, skipped=reason))
            for check in (MISCONFIG, SECRETS, VULNS)
        ]
    exe = locate(TOOL, ctx.settings)
    db, no_db_reason = vulnerability_db(ctx)
    cache = db or ctx.settings.tools_dir / "trivy-cache"
    ignore = ctx.work / "trivyignore"
    ignore.write_text("".join(f"{rule}\n" for rule in ctx.section.skip), encoding="utf-8")
    planned = []
    for n, image in enumerate(ctx.images):
        subject = Path(image).name if image.endswith((".tar", ".tar.gz")) else image
        if image.endswith((".tar", ".tar.gz")) and not Path(image).is_file():
            error = f"scan.images: image tarball {display_path(image)} does not exist"
            planned += [
                Planned(c, subject, outcome=ToolOutcome(NAME, c, subject, error=error))
                for c in (MISCONFIG, SECRETS, VULNS)
            ]
            continue
        out = ctx.work / f"trivy-{n}.json"
        scanners = "vuln,secret" if db else "secret"
        argv = [
            str(exe),
            "image",
            "--quiet",
            "--format",
            "json",
            "--output",
            str(out),
            "--cache-dir",
            str(cache),
            "--skip-db-update",
            "--skip-check-update",
            "--offline-scan",
            "--scanners",
            scanners,
            "--image-config-scanners",
            "misconfig,secret",
            "--ignorefile",
            str(ignore),
            "--timeout",
            f"{int(ctx.section.timeout_s)}s",
            *_image_source(image),
        ]
        job = Job(
            f"{NAME} {subject}",
            NAME,
            tuple(argv),
            timeout_s=ctx.section.timeout_s + 30,
            output=out,
            env={"GOMAXPROCS": "1"} if ctx.budget else {},  # a Go program: one core of the budget
            exclusive=f"{NAME} {cache}",  # one trivy per cache folder at a time (it locks the folder)
        )
        planned.append(Planned(MISCONFIG, subject, job=job))
        if db is None:
            planned.append(
                Planned(VULNS, subject, outcome=ToolOutcome(NAME, VULNS, subject, skipped=no_db_reason))
            )
    return planned


def parse_trivy(text: str, subject: str) -> dict[CheckSpec, list[Any]]:
    """trivy's JSON → findings by check (misconfig, secrets, vulnerabilities)."""
    data = json.loads(text)
    out: dict[CheckSpec, list[Any]] = {MISCONFIG: [], SECRETS: [], VULNS: []}
    for result in data.get("Results") or []:
        target = str(result.get("Target", ""))
        file = f"{subject}:{target}" if target else subject
        for m in result.get("Misconfigurations") or []:
            if m.get("Status", "FAIL") != "FAIL":
                continue
            rule = str(m.get("AVDID") or m.get("ID"))
            line = (m.get("CauseMetadata") or {}).get("StartLine")
            message = f"{m.get('Title', rule)}: {m.get('Message', '')}".strip(": ")
            out[MISCONFIG].append(
                make_finding(
                    tool=NAME,
                    rule_id=rule,
                    severity=severity_of(m.get("Severity")),
                    message=message,
                    anchor=str(m.get("Message", "")),
                    file=file,
                    line=line,
                )
            )
        for s in result.get("Secrets") or []:
            rule = str(s.get("RuleID"))
            layer = str((s.get("Layer") or {}).get("DiffID", ""))[:19]
            message = f"{s.get('Title', rule)} ({s.get('Category', 'secret')}) in image layer {layer or '?'}"
            out[SECRETS].append(
                make_finding(
                    tool=NAME,
                    rule_id=rule,
                    severity=severity_of(s.get("Severity")),
                    message=message,
                    anchor=f"{layer}:{s.get('StartLine')}",
                    file=file,
                    line=s.get("StartLine"),
                )
            )
        for v in result.get("Vulnerabilities") or []:
            rule = str(v.get("VulnerabilityID"))
            fixed = v.get("FixedVersion") or "no fix yet"
            message = (
                f"{v.get('PkgName')} {v.get('InstalledVersion')}: {v.get('Title') or rule} (fixed in {fixed})"
            )
            out[VULNS].append(
                make_finding(
                    tool=NAME,
                    rule_id=rule,
                    severity=severity_of(v.get("Severity")),
                    message=message,
                    anchor=f"{v.get('PkgName')}@{v.get('InstalledVersion')}",
                    file=file,
                )
            )
    return out


def _parse(ctx: ScanContext, planned: Planned, result: JobResult) -> list[ToolOutcome]:
    checks = [MISCONFIG, SECRETS] + ([VULNS] if vulnerability_db(ctx)[0] else [])
    subject = planned.subject
    if result.failure:
        return [
            ToolOutcome(NAME, c, subject, error=result.failure, duration_s=result.duration_s) for c in checks
        ]
    try:
        by_check = parse_trivy(result.output or "{}", subject or "")
    except (ValueError, KeyError, TypeError) as exc:
        error = f"trivy wrote unreadable JSON: {exc}"
        return [ToolOutcome(NAME, c, subject, error=error) for c in checks]
    return [
        ToolOutcome(NAME, c, subject, findings=tuple(by_check[c]), duration_s=result.duration_s)
        for c in checks
    ]


# trivy ≈ 0.8 s per image here.
SCANNER = Scanner(name=NAME, tool=TOOL, checks=(MISCONFIG, SECRETS, VULNS), cost=2, plan=_plan, parse=_parse)
