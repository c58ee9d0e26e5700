"""Fixtures of the built-in suites only: the profile's ``postgres`` section shared by the ``postgres`` suite's
modules, and the static scan shared by the `scan` and `secrets` suites.

The run's servers and connections (``pg``, ``redis_client``, ``services``, ``launched_service``) are the
plugin's (:mod:`stackcheck.service_fixtures`), so a team's own suite folder gets them too.
"""

from __future__ import annotations

import pytest

from stackcheck.plugin import COLLECTOR
from stackcheck.profile import Profile
from stackcheck.profile.models import PostgresSection
from stackcheck.scan.engine import ScanRun
from stackcheck.scan.replay import image_subjects, scan_session
from stackcheck.settings import Settings
from stackcheck.testing import profile_of, require


@pytest.fixture
def postgres(profile: Profile) -> PostgresSection:
    """The profile's ``postgres`` section (the plugin already skipped the check when it is absent)."""
    return require(profile.postgres, "profile has no `postgres` section")


# ---- the static scan, shared by the `scan` and `secrets` suites ------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    images = image_subjects(profile.scan.images) if profile and profile.scan else []
    if "image" in metafunc.fixturenames and images:
        metafunc.parametrize("image", images, ids=images)


@pytest.fixture
def image() -> str | None:
    """Replaced by one parameter per ``scan.images`` entry; ``None`` when the profile lists none."""
    return None


@pytest.fixture(scope="session")
def scan_run(request: pytest.FixtureRequest, settings: Settings) -> ScanRun:
    """One run of every scanner for the whole session, whichever suites read it."""
    return scan_session(request.config.stash[COLLECTOR].loaded, settings)
