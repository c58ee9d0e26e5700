"""checkov over the profile's IaC paths, with stackcheck's custom policies (``policies/checkov/``).

Offline by construction: ``BC_SKIP_MAPPING=TRUE``, ``CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false``,
``--skip-download`` and an explicit ``--framework`` list. The custom policies are copied to the scan's
scratch folder with the profile's parameters (``stackcheck-params.txt``); checkov only warns about and
skips a policy it cannot load, so stackcheck validates every policy file first and reads checkov's log
for load failures: a broken policy makes ``scan.iac`` an ``error`` naming the file, never a silent pass.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog.spec import Severity
from stackcheck.profile.models import Profile, version_specifier
from stackcheck.scan.context import Planned, ScanContext, display_path
from stackcheck.scan.findings import ToolOutcome, make_finding, severity_of
from stackcheck.scan.runner import Job, JobResult
from stackcheck.scan.scanner import Scanner, ScannerName
from stackcheck.scan.toolcache import ToolSpec, locate
from stackcheck.scan.tracked import skip_regex

__all__ = [
    "CUSTOM_SEVERITY",
    "OFFLINE_ENV",
    "SCANNER",
    "TOOL",
    "checkov_reports",
    "render_policies",
    "validate_policies",
]

NAME = ScannerName.CHECKOV
TOOL = ToolSpec(NAME, "checkov", "3.3.30", pip=("checkov==3.3.30",))
CHECK = scan_checks.IAC
# HCL_PARSE_TIMEOUT_SEC=0: checkov gives up parsing a Terraform file after 10 s by default and reports it as a
# parsing error; a valid 1 MB file on a busy machine took longer, and its findings were lost as "could not
# parse it". The whole process is bounded by scan.timeout_s instead.
OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "LOG_LEVEL": "WARNING",
    "HCL_PARSE_TIMEOUT_SEC": "0",
}
# With a core budget checkov gets one core. Given one folder it runs in one process
# (CHECKOV_PARALLELIZATION_TYPE=none): even one forked worker (CHECKOV_WORKERS_NUMBER=1) forks a process
# per framework and file batch and pickles the results back, ~40 % of its CPU under py-spy; on the generated
# corpus (benchmarks/scan_corpus.py) 8.5 s of CPU in one process against ~19 s with one forked worker, the
# same findings with the same frameworks. Given several paths it keeps one forked worker: in one process
# checkov 3.3 merges the reports of several --directory roots and loses findings (examples/: github/ and
# kubernetes/ gave one github_actions report, the Kubernetes one gone; tests/integration/test_ci_examples.py).
ONE_PROCESS_ENV = {"CHECKOV_PARALLELIZATION_TYPE": "none"}
ONE_WORKER_ENV = {"CHECKOV_WORKERS_NUMBER": "1"}
PARAMS_FILE = "stackcheck-params.txt"
REPORT_FILE = "results_json.json"  # the name checkov gives its JSON report in an output folder
POLICY_SUFFIXES = (".py", ".yaml", ".yml", ".json")
YAML_SUFFIXES = (".yml", ".yaml")
SKIPPED_DIRS = {".git", ".nox", ".venv", "venv", "node_modules", "__pycache__", ".terraform"}
MAX_YAML_FILES = 5000  # bounds the parse check on a huge tree
MAX_YAML_BYTES = 5_000_000
# libyaml's safe loader when PyYAML has it: the pure-Python one took 0.9 s for the corpus's 350 files.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# checkov reports no severity offline; stackcheck's own policies carry theirs here.
CUSTOM_SEVERITY: dict[str, Severity] = {
    "CKV_SC_1": Severity.HIGH,
    "CKV_SC_2": Severity.MEDIUM,
    "CKV_SC_3": Severity.HIGH,
    "CKV_SC_4": Severity.MEDIUM,
    "CKV_SC_5": Severity.HIGH,
    "CKV_SC_7": Severity.CRITICAL,
    "CKV_SC_8": Severity.CRITICAL,
    "CKV_SC_10": Severity.LOW,
    "CKV_SC_11": Severity.MEDIUM,
    "CKV_SC_12": Severity.MEDIUM,
    "CKV_SC_13": Severity.MEDIUM,
    "CKV_SC_14": Severity.MEDIUM,
    "CKV_SC_15": Severity.MEDIUM,
    "CKV_SC_16": Severity.MEDIUM,
    "CKV_SC_17": Severity.MEDIUM,
    "CKV_SC_18": Severity.MEDIUM,
    "CKV_SC_19": Severity.LOW,
    "CKV_SC_20": Severity.MEDIUM,
    "CKV_SC_21": Severity.LOW,
    "CKV_SC_22": Severity.MEDIUM,
    "CKV_SC_23": Severity.MEDIUM,
    "CKV_SC_24": Severity.MEDIUM,
}

#: The policies that judge each ``scan.build`` promise (compose's and, for the runtime flags, Kubernetes').
BUILD_POLICIES: dict[str, tuple[str, ...]] = {
    "multi_stage": ("CKV_SC_10",),
    "expose": ("CKV_SC_11",),
    "healthcheck": ("CKV_SC_12",),
    "base_image": ("CKV_SC_13",),
    "build_env": ("CKV_SC_14",),
    "uid": ("CKV_SC_15",),
    "compose_pg_isready": ("CKV_SC_16",),
    "read_only": ("CKV_SC_17", "CKV_K8S_22"),
    "cap_drop_all": ("CKV_SC_18", "CKV_K8S_37"),
    "hpa": ("CKV_SC_19",),
    "ci_runs": ("CKV_SC_20",),
    "ci_coverage_min": ("CKV_SC_21",),
    "rds": ("CKV_SC_22",),
    "cloudwatch_alarms": ("CKV_SC_23",),
    "state_bucket_versioned": ("CKV_SC_24",),
}
# Why a promise went unjudged, where "no file under scan.iac_paths that it judges" says too little.
UNJUDGED: dict[str, str] = {
    "cloudwatch_alarms": 'no provider "aws" block under scan.iac_paths to judge the alarms on',
    "state_bucket_versioned": 'no aws_s3_bucket under scan.iac_paths is the one a backend "s3" block names: '
    "the state bucket lives outside this Terraform (or there is no such backend), so its versioning cannot "
    "be read",
}
MAX_DETAILS = 300  # characters of a stackcheck policy's details kept in the finding

# What checkov logs (and then carries on) when a policy file does not load.
_LOAD_FAILURE = re.compile(
    r"(Custom policy .*? is missing required fields.*|Cannot load external check.*|"
    r"Failed to (?:load|parse|import).*polic.*|Unable to load.*check.*)",
    re.I,
)


def _majors(spec_text: str | None) -> list[int]:
    """The major versions (0..99) a requirement like ``>=16`` or ``16`` admits; [] when unset."""
    if not spec_text:
        return []
    spec = version_specifier(spec_text)
    return [m for m in range(100) if spec.contains(f"{m}.0", prereleases=True)][:40]


def policy_params(profile: Profile) -> dict[str, Any]:
    """The parameters the custom policies read: regions, promised majors, Redis persistence, build claims."""
    section = profile.scan
    build = section.build if section else None
    return {
        "build": build.model_dump(mode="json", exclude_none=True) if build else {},
        "allowed_regions": list(section.allowed_regions) if section else [],
        "postgres_majors": _majors(profile.postgres.version) if profile.postgres else [],
        "redis_majors": _majors(profile.redis.version) if profile.redis else [],
        "redis_appendonly": profile.redis.appendonly if profile.redis else None,
    }


def validate_policies(folder: Path) -> list[str]:
    """Problems with the policy files in ``folder`` (empty: all load). Checks what checkov would skip."""
    problems = []
    for path in sorted(folder.iterdir()):
        if path.suffix not in POLICY_SUFFIXES or path.name.startswith("."):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".py":
            try:
                compile(text, str(path), "exec")
            except SyntaxError as exc:
                problems.append(f"{path.name}:{exc.lineno}: {exc.msg}")
            continue
        try:
            doc = yaml.safe_load(text) if path.suffix != ".json" else json.loads(text)
        except (yaml.YAMLError, ValueError) as exc:
            problems.append(f"{path.name}: not valid {path.suffix[1:].upper()}: {str(exc).splitlines()[0]}")
            continue
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        missing = [k for k in ("id", "name", "category") if not isinstance(meta, dict) or not meta.get(k)]
        if missing or not isinstance(doc, dict) or not isinstance(doc.get("definition"), (dict, list)):
            fields = [f"metadata.{k}" for k in missing]
            if not isinstance(doc, dict) or "definition" not in doc:
                fields.append("definition")
            problems.append(f"{path.name}: policy is missing {', '.join(fields) or 'a valid definition'}")
    return problems


def render_policies(source: Path, target: Path, params: dict[str, Any]) -> Path:
    """Copy the policy files (not sub-folders) to ``target`` with the run's parameters next to them."""
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file() and (path.suffix in POLICY_SUFFIXES or path.name == "__init__.py"):
            shutil.copy2(path, target / path.name)
    (target / "__init__.py").touch()
    (target / PARAMS_FILE).write_text(json.dumps(params, indent=2) + "\n", encoding="utf-8")
    return target


def checkov_command(
    executable: Path,
    paths: tuple[Path, ...],
    frameworks: list[str],
    policies: Path | None,
    skip: list[str],
    out_dir: Path,
    skip_path: str | None = None,
) -> list[str]:
    """The checkov command line stackcheck runs (tests run the same one directly to compare)."""
    argv = [str(executable)]
    for path in paths:
        # Absolute paths: with relative ones checkov misreports file_abs_path for some frameworks.
        argv += ["--file" if path.is_file() else "--directory", str(path.resolve())]
    argv += ["--framework", ",".join(frameworks), "--skip-download", "--compact"]
    if policies is not None:
        argv += ["--external-checks-dir", str(policies)]
    if skip:
        argv += ["--skip-check", ",".join(skip)]
    if skip_path:  # checkov matches it against the absolute paths it walks
        argv += ["--skip-path", skip_path]
    # Given a folder, checkov writes results_json.json there and prints the whole report on stdout too (49 MB
    # on the generated corpus, about a fifth of its CPU, through colorama); given the file in its list form
    # (`-o A -o B --output-file-path a,b`: one path per format, here one and an empty one), the file alone.
    report = out_dir / REPORT_FILE
    target = str(out_dir) if "," in str(report) else f"{report},"
    return [*argv, "-o", "json", "--output-file-path", target]


def _one_core_env(paths: tuple[Path, ...]) -> dict[str, str]:
    """How checkov is kept to one core: one process for a single folder, else one forked worker."""
    return ONE_PROCESS_ENV if len(paths) == 1 and paths[0].is_dir() else ONE_WORKER_ENV


def _known(**kw: Any) -> list[Planned]:
    """An outcome decided before running (``skipped=`` or ``error=``)."""
    return [Planned(CHECK, None, outcome=ToolOutcome(NAME, CHECK, None, **kw))]


def _plan(ctx: ScanContext) -> list[Planned]:
    if not ctx.iac_paths:
        return _known(skipped="scan.iac_paths is empty")
    missing = [p for p in ctx.iac_paths if not p.exists()]
    if missing:
        return _known(error=f"scan.iac_paths: {display_path(missing[0])} does not exist")
    policies = None
    if ctx.policies is not None:
        if not ctx.policies.is_dir():
            return _known(error=f"scan.policies: {display_path(ctx.policies)} is not a folder")
        problems = validate_policies(ctx.policies)
        if problems:
            error = f"custom checkov policy cannot be loaded: {problems[0]} (in {display_path(ctx.policies)})"
            return _known(error=error)
        policies = render_policies(ctx.policies, ctx.work / "checkov-policies", policy_params(ctx.profile))
    exe = locate(TOOL, ctx.settings)
    out_dir = ctx.work / "checkov-out"
    # In git, checkov walks the folders (Terraform needs a module's files together) but skips what git
    # ignores (stackcheck.scan.tracked).
    ignored = skip_regex([i for p in ctx.iac_paths for i in ctx.tracked.ignored_under(p)])
    section = ctx.section
    argv = checkov_command(exe, ctx.iac_paths, section.frameworks, policies, section.skip, out_dir, ignored)
    job = Job(
        name=NAME,
        tool=NAME,
        argv=tuple(argv),
        ok_codes=frozenset({0, 1}),
        env={**OFFLINE_ENV, **(_one_core_env(ctx.iac_paths) if ctx.budget else {})},
        timeout_s=ctx.section.timeout_s,
        cores=1 if ctx.budget else ctx.cores,
        inputs=(*ctx.iac_paths, *((policies,) if policies else ())),  # the rendered policies + parameters
        output=out_dir / REPORT_FILE,
    )
    return [Planned(CHECK, None, job=job)]


def checkov_reports(text: str) -> list[dict[str, Any]]:
    """checkov's JSON: a list with one report per framework, or a single dict when one framework ran."""
    data = json.loads(text)
    if isinstance(data, dict):
        data = [data]
    return [r for r in data if isinstance(r, dict) and isinstance(r.get("results"), dict)]


def _file_of(item: dict[str, Any], roots: tuple[Path, ...], scan_root: Path) -> str | None:
    """The scanned file: ``file_abs_path`` when it exists (checkov doubles it for some frameworks)."""
    return _file_named(item.get("file_abs_path"), str(item.get("file_path") or ""), roots, scan_root)


@functools.lru_cache(maxsize=4096)  # thousands of findings name a few hundred files: one lookup each
def _file_named(absolute: str | None, given: str, roots: tuple[Path, ...], scan_root: Path) -> str | None:
    if absolute and Path(absolute).is_file():
        return display_path(absolute, scan_root)
    relative = given.lstrip("/")
    for root in roots:
        candidate = root / relative if root.is_dir() else root
        if relative and candidate.is_file() and (root.is_dir() or candidate.name == Path(relative).name):
            return display_path(candidate, scan_root)
    return relative or None


def _finding(item: dict[str, Any], status: str, roots: tuple[Path, ...], scan_root: Path) -> Any:
    rule = str(item["check_id"])
    severity = CUSTOM_SEVERITY.get(rule) or severity_of(item.get("severity"))
    lines = item.get("file_line_range") or [None]
    message = str(item.get("check_name") or rule)
    if status == "suppressed":
        comment = (
            item.get("suppress_comment")
            or (item.get("check_result") or {}).get("suppress_comment")
            or "no reason given"
        )
        message += f" [suppressed inline: {comment}]"
    details = item.get("details") if rule.startswith("CKV_SC_") else None
    if isinstance(details, list) and details:
        # What a stackcheck policy found missing (CKV_SC_23: which alarm); built-ins' details stay out.
        message += ": " + "; ".join(str(d) for d in details)[:MAX_DETAILS]
    file = _file_of(item, roots, scan_root)
    # yaml/GitHub Actions resources embed the absolute path of the file: keep the part that names the block.
    resource = str(item.get("resource"))
    for prefix in sorted({str(r) for r in roots} | {str(scan_root)}, key=len, reverse=True):
        resource = resource.replace(prefix + "/", "").replace(prefix, "")
    message += f" (resource {resource})"
    return make_finding(
        tool=NAME,
        rule_id=rule,
        severity=severity,
        message=message,
        anchor=re.sub(r"\[\d+:\d+\]$", "", resource),  # the line span changes when lines move
        file=file,
        line=lines[0],
        status=status,
    )


def unparseable_yaml(
    paths: tuple[Path, ...], limit: int = MAX_YAML_FILES, keep: Callable[[Path], bool] = lambda _: True
) -> list[Path]:
    """YAML files below ``paths`` that do not parse: checkov's yaml and kubernetes runners skip them
    without a word (no ``parsing_errors``, nothing logged), so stackcheck reads them itself."""
    files: list[Path] = []
    for path in paths:
        if path.is_file():
            files += [path] if path.suffix in YAML_SUFFIXES else []
            continue
        for folder, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            found = [Path(folder) / n for n in sorted(names) if Path(n).suffix in YAML_SUFFIXES]
            files += [f for f in found if keep(f)]
            if len(files) >= limit:
                break
    bad = []
    for file in files[:limit]:
        try:
            text = file.read_bytes()[:MAX_YAML_BYTES].decode("utf-8")
            for _ in yaml.load_all(text, Loader=_SAFE_LOADER):
                pass
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            bad.append(file)
    return bad


def _parse(ctx: ScanContext, planned: Planned, result: JobResult) -> list[ToolOutcome]:
    def outcome(**kw: Any) -> list[ToolOutcome]:
        return [ToolOutcome(NAME, CHECK, None, duration_s=result.duration_s, **kw)]

    if result.failure:
        return outcome(error=result.failure)
    # Only lines that can match (every pattern names a policy or a check; none spans lines): the whole
    # output through the regex took 1.4 s on the generated corpus, most of a cached re-run.
    lines = (result.stderr + "\n" + result.stdout).splitlines()
    candidates = "\n".join(ln for ln in lines if "polic" in ln.lower() or "check" in ln.lower())
    load_failures = _LOAD_FAILURE.findall(candidates)
    if load_failures:
        return outcome(error=f"checkov skipped a custom policy: {load_failures[0].strip()}")
    try:
        reports = checkov_reports(result.output or "[]")
    except ValueError as exc:
        return outcome(error=f"checkov wrote unreadable JSON: {exc}")
    findings = []
    passed = 0
    unscanned: list[str] = []
    roots = tuple(p.resolve() for p in ctx.iac_paths)
    scan_root = ctx.root  # resolved once: per finding it was a third of the parse (4,964 on the corpus)
    _file_named.cache_clear()  # files may have come or gone since the last scan in this process
    judged: set[str] = set()
    for report in reports:
        results = report["results"]
        for verdict in ("passed_checks", "failed_checks", "skipped_checks"):
            judged.update(str(i.get("check_id")) for i in results.get(verdict, []))
        findings += [_finding(i, "open", roots, scan_root) for i in results.get("failed_checks", [])]
        findings += [_finding(i, "suppressed", roots, scan_root) for i in results.get("skipped_checks", [])]
        passed += len(results.get("passed_checks", []))
        names, kind = results.get("parsing_errors") or [], report.get("check_type")
        unscanned += [f"{ctx.show(n)}: checkov could not parse it ({kind})" for n in names]
        count = report.get("summary", {}).get("parsing_errors", 0)
        if isinstance(count, int) and count > len(names):
            unscanned.append(f"{count - len(names)} more file(s) checkov could not parse ({kind})")
    # A promise of scan.build that no file under the paths let its policy judge (no Dockerfile, no compose
    # service it builds, no HorizontalPodAutoscaler) is not kept by silence: it could not be checked.
    build = ctx.section.build.model_dump() if ctx.section.build else {}
    for key, rules in BUILD_POLICIES.items():
        if build.get(key) not in (None, False, {}, []) and not judged & set(rules):
            names = " or ".join(rules)
            why = UNJUDGED.get(key, "no file under scan.iac_paths that it judges")
            unscanned.append(f"scan.build.{key} ({names}): {why}")
    if {"yaml", "kubernetes"} & set(ctx.section.frameworks):
        bad = unparseable_yaml(roots, keep=ctx.tracked.keeps)
        unscanned += [f"{ctx.show(p)}: not valid YAML, checkov skipped it" for p in bad]
    if not reports and not unscanned:
        frameworks = ", ".join(ctx.section.frameworks)
        return outcome(skipped=f"no IaC file under scan.iac_paths for checkov's frameworks ({frameworks})")
    details = {
        "frameworks": [r.get("check_type") for r in reports],
        "passed_checks": passed,
        "parsing_errors": len(unscanned),
        "unreadable_files": unscanned,
    }
    return outcome(findings=tuple(findings), details=details, unscanned=tuple(unscanned))


# checkov ≈ 2.4 s here, almost all start-up: the slowest scanner, started first.
SCANNER = Scanner(name=NAME, tool=TOOL, checks=(CHECK,), cost=3, plan=_plan, parse=_parse)
