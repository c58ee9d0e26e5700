"""Extensions per entry (``{name, state}`` beside ``extensions_state``) and ``extensions_absent``
(``pg.extensions``, ``pg.extensions_absent``), proven both ways on a real PostgreSQL 15 through the real CLI
(``--infra external``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.datastores import LocalPostgres
from tests.integration.conftest import Run, judge

pytestmark = [pytest.mark.integration, pytest.mark.local_binaries]


def statuses(run: Run, check: str) -> dict[str, str]:
    return {str(r["subject"]): str(r["status"]) for r in run.results(check)}


def test_an_entrys_own_state_wins_over_extensions_state(tmp_path: Path) -> None:
    with LocalPostgres() as pg:
        # pgcrypto and pg_trgm are trusted: a role with CREATE on the database may create them.
        dsn = pg.add_role("verifier", "GRANT CREATE ON DATABASE postgres TO verifier")
        mixed = [{"name": "pgcrypto", "state": "available"}, "pg_trgm"]
        run = judge(tmp_path, "postgres", {"extensions": mixed}, dsn)  # extensions_state: installed (default)
        assert statuses(run, "pg.extensions") == {"pgcrypto": "passed", "pg_trgm": "failed"}, run.stderr
        by_name = {r["subject"]: r for r in run.results("pg.extensions")}
        assert by_name["pgcrypto"]["evidence"]["observed"] == "installable"
        assert "{name: pg_trgm, state: available}" in by_name["pg_trgm"]["message"]
        flipped = [{"name": "pgcrypto", "state": "installed"}, "pg_trgm"]
        run = judge(tmp_path, "postgres", {"extensions": flipped, "extensions_state": "available"}, dsn)
        assert statuses(run, "pg.extensions") == {"pgcrypto": "failed", "pg_trgm": "passed"}
        # An entry without a state of its own takes extensions_state.
        run = judge(
            tmp_path, "postgres", {"extensions": [{"name": "pg_trgm"}], "extensions_state": "available"}, dsn
        )
        assert statuses(run, "pg.extensions") == {"pg_trgm": "passed"}
        pg.sql("CREATE EXTENSION pgcrypto")
        run = judge(tmp_path, "postgres", {"extensions": flipped, "extensions_state": "available"}, dsn)
        assert statuses(run, "pg.extensions") == {"pgcrypto": "passed", "pg_trgm": "passed"}


def test_a_forbidden_extension_fails_once_created(tmp_path: Path) -> None:
    forbidden = {"extensions_absent": ["hstore", "postgis", "plpython3u"]}
    with LocalPostgres() as pg:
        dsn = pg.add_role("verifier")
        clean = judge(tmp_path, "postgres", forbidden, dsn)
        assert statuses(clean, "pg.extensions_absent") == dict.fromkeys(
            ["hstore", "postgis", "plpython3u"], "passed"
        ), clean.stderr
        hstore = clean.results("pg.extensions_absent")[0]
        assert hstore["message"] == "hstore is not installed (shipped with the server) in database postgres"
        assert (hstore["evidence"]["expected"], hstore["evidence"]["observed"]) == ("absent", "absent")
        pg.sql("CREATE EXTENSION hstore")
        dirty = judge(tmp_path, "postgres", forbidden, dsn)
    assert statuses(dirty, "pg.extensions_absent") == {
        "hstore": "failed",
        "postgis": "passed",
        "plpython3u": "passed",
    }
    failed = dirty.results("pg.extensions_absent")[0]
    assert failed["message"].startswith("extension hstore 1.8 is installed in database postgres")
    assert "DROP EXTENSION hstore" in failed["message"]
    assert (
        failed["evidence"]["observed"] == "installed" and failed["evidence"]["details"]["schema"] == "public"
    )
    assert dirty.code == 1


def test_unreachable_server_is_error_for_forbidden_extensions(tmp_path: Path) -> None:
    from stackcheck.infra.base import free_port

    run = judge(
        tmp_path, "postgres", {"extensions_absent": ["postgis"]}, f"postgresql://v@127.0.0.1:{free_port()}/x"
    )
    result = run.results("pg.extensions_absent")[0]
    assert (result["status"], result["error_reason"]) == ("error", "unreachable"), result
    assert run.code == 3
