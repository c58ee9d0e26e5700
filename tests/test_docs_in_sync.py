"""Generated documents match the code; regenerate with `nox -s docs`."""

from __future__ import annotations

import pytest

from conftest import REPO_ROOT
from stackcheck.catalog import SUITES
from stackcheck.docgen import GENERATED


@pytest.mark.parametrize("rel", sorted(GENERATED))
def test_generated_document_is_current(rel: str) -> None:
    committed = (REPO_ROOT / rel).read_text(encoding="utf-8")
    assert committed == GENERATED[rel](), f"{rel} is stale: run `nox -s docs` and commit the result"


def test_every_suite_has_a_folder_and_a_docs_page() -> None:
    for suite in SUITES:
        assert (REPO_ROOT / "suites" / suite).is_dir(), suite
        assert (REPO_ROOT / "docs" / "suites" / f"{suite}.md").is_file(), f"docs/suites/{suite}.md is missing"


def _moved_to_test_catalog() -> None:
    suite_checks = {spec.id for specs in SUITES.values() for spec in specs}
    marked = set()
    for path in (REPO_ROOT / "suites").rglob("test_*.py"):
        text = path.read_text(encoding="utf-8")
        marked |= {check for check in suite_checks if f'check("{check}")' in text}
    assert marked == suite_checks, f"checks without a suite test: {sorted(suite_checks - marked)}"


def test_readme_names_the_two_commands() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "nox -s demo" in readme and "nox -s tests" in readme


def test_the_team_checks_page_lists_every_reserved_namespace_and_is_linked() -> None:
    from stackcheck.team import reserved_namespaces

    page = (REPO_ROOT / "docs" / "team-checks.md").read_text(encoding="utf-8")
    listing = page.split("must not be one stackcheck uses: ", 1)[1].split(" (every", 1)[0]
    listed = {part.strip("` ") for part in listing.split(",")}
    assert listed == set(reserved_namespaces()), "docs/team-checks.md: update the reserved namespaces"
    assert "docs/team-checks.md" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")
