"""stackcheck's sessions. ``nox -l`` lists them; ``nox -s NAME -- ARGS`` passes ARGS through.

Each session installs what it needs into its own venv under ``.nox/`` (reused between runs).
Scanners with conflicting pins (checkov) get venvs of their own, never the test venv.

``nox`` alone runs the fast sessions (``unit``, ``lint``, ``typecheck``); ``nox -s tests`` runs everything
(CI: ``.ci/run``). Slow or networked sessions are ``default=False`` and tagged: ``nox -t slow``.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["unit", "lint", "typecheck"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHON = "3.11"
# No network, no Docker, no scanner tools: the package's pure parts and the plugin (pytester).
UNIT_TESTS = ["tests/unit", "tests/plugin", "tests/test_docs_in_sync.py"]


def _install(session: nox.Session, *groups: str) -> None:
    """Install stackcheck (editable, with every extra: docs/install.md) plus the named dependency groups."""
    deps = [dep for group in groups for dep in nox.project.dependency_groups(PYPROJECT, group)]
    session.install("-e", ".[all]", *deps)


@nox.session(python=PYTHON, tags=["fast"])
def unit(session: nox.Session) -> None:
    """Unit and plugin tests: seconds, no network, no Docker, no scanner tools. Extra args go to pytest."""
    _install(session, "test")
    session.run("pytest", "-p", "no:cacheprovider", *(session.posargs or UNIT_TESTS))


@nox.session(python=PYTHON, default=False, tags=["ci", "slow"])
def tests(session: nox.Session) -> None:
    """The whole test-suite: unit and plugin tests first (fast feedback), then the scanner tools are
    installed (trivy is built with Go on a cold cache) and the integration tests run. Extra args go to
    pytest (after the tool install)."""
    _install(session, "test")
    if not session.posargs:
        session.run("pytest", "-p", "no:cacheprovider", *UNIT_TESTS)
    # The scanners live in their own venvs (checkov pins packaging<24); idempotent, instant when present.
    session.run("python", "-m", "stackcheck.scan.tools", "install")
    ignore = [f"--ignore={path}" for path in UNIT_TESTS]
    # Four workers on two cores, a test module per worker at a time (module fixtures stay in one
    # process): the integration tests mostly wait on real servers, and every one of them is written for
    # a busy machine. Measured on this 2-core machine: -n 2 took 2244 s, -n 4 took 1780 s (701 passed).
    parallel = ["-n", "4", "--dist", "loadfile", "--durations=25"]
    session.run("pytest", *(session.posargs or ["tests", "-p", "no:cacheprovider", *parallel, *ignore]))


@nox.session(python=PYTHON, tags=["ci", "fast"])
def lint(session: nox.Session) -> None:
    """ruff: lint and format check of the package, suites, fixtures, tests and the accuracy harness."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    paths = [
        "src",
        "suites",
        "fixtures",
        "tests",
        "benchmarks",
        "accuracy",
        "loadtests",
        "policies/checkov",
        "noxfile.py",
        "conftest.py",
    ]
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)


@nox.session(python=PYTHON, tags=["ci", "fast"])
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the stackcheck package, the suites and the accuracy harness."""
    _install(session, "typecheck")
    session.run("mypy", "--strict", "src/stackcheck", "suites", "accuracy")


@nox.session(python=PYTHON, default=False, tags=["run"])
def verify(session: nox.Session) -> None:
    """``stackcheck verify`` with your arguments: nox -s verify -- --profile P --target URL."""
    _install(session)
    if not session.posargs:
        session.error("pass arguments: nox -s verify -- --profile FILE [--target URL] [--suite NAME]")
    session.run("stackcheck", "verify", *session.posargs)


@nox.session(python=PYTHON, default=False, tags=["ci", "slow"])
def scan(session: nox.Session) -> None:
    """``stackcheck scan``: checkov, bandit, detect-secrets and trivy at once, offline (default: Djinn's IaC).

    The scanners are installed into their own venvs in the tool cache, never into this session's venv.
    """
    _install(session)
    session.run("python", "-m", "stackcheck.scan.tools", "install")
    session.run("stackcheck", "scan", *(session.posargs or ["--profile", "fixtures/iac/djinn/scan.yaml"]))


@nox.session(python=PYTHON, default=False, tags=["load", "slow"])
def load(session: nox.Session) -> None:
    """``stackcheck load`` (``-- --profile P --target URL``), or the reference service under a 15 s load.

    Without ``--profile`` it runs the demo: loadtests/profiles/demo.yaml against the reference service.
    """
    session.install("-e", ".[data,tls,load]", *nox.project.dependency_groups(PYPROJECT, "fixtures"))
    if any(a == "--profile" or a.startswith("--profile=") for a in session.posargs):
        session.run("stackcheck", "load", *session.posargs)
    else:
        session.run("python", "-m", "loadtests.demo", *session.posargs)


@nox.session(python=PYTHON, default=False, tags=["run"])
def demo(session: nox.Session) -> None:
    """The main job on the embedded default: start the reference service, verify it, write a report.

    ``nox -s demo -- --defect slow=/health/live`` switches a defect on to see a failing run;
    ``nox -s demo -- --system djinn`` verifies the reference stack configured as a seed system
    (``fixtures/systems/``; docker, else ``--infra local``); ``--load`` adds a bounded ``stackcheck load``
    judged by the system's ``slo``; ``--drills`` arms the backup drills (RPO, RTO).
    """
    _install(session, "fixtures")
    session.run("python", "-m", "fixtures.demo", *session.posargs)


@nox.session(python=PYTHON, default=False, tags=["docs"])
def docs(session: nox.Session) -> None:
    """Regenerate docs/checks.md, docs/profile.md, docs/report.md and policies/profile.schema.json."""
    _install(session)
    session.run("python", "-m", "stackcheck.docgen")


@nox.session(python=PYTHON, default=False, tags=["bench", "slow"])
def bench(session: nox.Session) -> None:
    """Run benchmarks/bench_*.py and rewrite docs/benchmarks.md; ``-- NAME ...`` runs a subset."""
    _install(session, "test")
    session.install("py-spy>=0.4")  # bench_scan: where each scanner's CPU goes (sampling profiler, MIT)
    session.run("python", "benchmarks/run_all.py", *session.posargs)


@nox.session(python=PYTHON, default=False, tags=["accuracy", "bench"])
def adr(session: nox.Session) -> None:
    """Score ``stackcheck adr draft`` on the seed ADRs against their answer keys (recall, precision) and
    rewrite the "adr draft" section of docs/benchmarks.md (offline, seconds)."""
    _install(session)
    session.run("python", "benchmarks/run_all.py", "adr")


@nox.session(python=PYTHON, default=False, tags=["accuracy", "slow"])
def accuracy(session: nox.Session) -> None:
    """Run stackcheck beside reference tools on servers it builds (accuracy/) and rewrite docs/accuracy.md.

    Needs Debian's nginx, haproxy, apache2, testssl.sh, sslscan, curl, prometheus (promtool), pgbouncer,
    postgresql and redis-server (apt-get install ...; none is started as a service); a case module whose
    package is missing is listed as not run. prometheus-node-exporter on PATH adds its case.
    ``-- --only tls,metrics`` runs a subset.
    """
    _install(session, "test")
    # The scan cases compare with checkov, bandit and detect-secrets run directly (their own venvs).
    session.run("python", "-m", "stackcheck.scan.tools", "install", "checkov", "bandit", "detect-secrets")
    session.run("python", "-m", "accuracy", *session.posargs)


@nox.session(python=False, default=False, tags=["images", "slow"])
def images(session: nox.Session) -> None:
    """Start the Docker engine if needed and build the local Postgres/Redis images from Debian packages.

    For machines where no container registry is reachable (root; idempotent: an up-to-date image is
    skipped in under a second). Afterwards: export STACKCHECK_POSTGRES_IMAGE=stackcheck/postgres:17
    STACKCHECK_REDIS_IMAGE=stackcheck/redis:7. Extra args go to fixtures/images/build_images.py.
    """
    session.run("bash", "fixtures/images/ensure-docker.sh", external=True)
    session.run("python3", "fixtures/images/build_images.py", *session.posargs, external=True)


@nox.session(python=PYTHON, default=False, tags=["images", "slow"])
def image(session: nox.Session) -> None:
    """Build stackcheck's own image (stackcheck:dev; docs/container.md): the wheel and a wheelhouse on the
    host, then ``docker build --network none``. Idempotent. Extra args go to the build script
    (``-- --with-scanners --tag stackcheck:scanners``)."""
    session.install("hatchling>=1.25")  # the wheel is built without build isolation
    _install(session)  # stackcheck itself: the scanner pins (and trivy) come from its tool registry
    session.run("python", "fixtures/images/build_stackcheck_image.py", *session.posargs)
