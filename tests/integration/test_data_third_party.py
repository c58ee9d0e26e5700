"""Data-layer verdicts on servers configured the way third parties run them (issue 11), both ways.

Real PostgreSQL 15 and Redis 7 from the host's packages (:mod:`fixtures.datastores`), judged through the
real CLI with ``--infra external``, as a staging run would: a verifier role with a per-role override, an
extension shipped but not created, ``ssl = off`` behind a ``sslmode=verify-full`` DSN, and a Redis ACL user
that may not run ``CONFIG``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fixtures.datastores import LocalPostgres, LocalRedis
from tests.integration.conftest import Run, judge

pytestmark = [pytest.mark.integration, pytest.mark.local_binaries]


def setting_result(run: Run) -> dict[str, Any]:
    found = run.results("pg.settings")
    assert len(found) == 1, (run.statuses(), run.stderr)
    return found[0]


# ---- pg.settings: the server's value, not the verifier's role's ------------------------------------------


def test_a_role_override_on_the_verifier_never_stands_in_for_the_server_value(tmp_path: Path) -> None:
    with LocalPostgres({"statement_timeout": "0"}) as pg:
        plain = pg.add_role("plain")
        verifier = pg.add_role("verifier", "ALTER ROLE verifier SET statement_timeout = '30s'")
        # Without an override the session's value is the server's: both ways.
        wrong = setting_result(judge(tmp_path, "postgres", {"settings": {"statement_timeout": "30s"}}, plain))
        assert wrong["status"] == "failed", wrong
        assert wrong["evidence"]["details"]["source"] == "command line"
        right = setting_result(judge(tmp_path, "postgres", {"settings": {"statement_timeout": 0}}, plain))
        assert right["status"] == "passed", right
        # The case: the verifier's own 30s used to pass a server at 0. An ordinary role cannot read
        # the server's configuration, so it cannot judge: error, never passed.
        hidden = setting_result(
            judge(tmp_path, "postgres", {"settings": {"statement_timeout": "30s"}}, verifier)
        )
        assert hidden["status"] == "error" and hidden["error_reason"] == "access_denied", hidden
        assert "hides the server's value" in hidden["message"]
        assert "ALTER ROLE verifier SET statement_timeout = 30s" in hidden["message"]
        # A superuser verifier with the same override: the server's value is rebuilt and judged.
        pg.sql("ALTER ROLE stackcheck SET statement_timeout = '30s'")
        su_wrong = judge(tmp_path, "postgres", {"settings": {"statement_timeout": "30s"}}, pg.superuser_dsn)
        result = setting_result(su_wrong)
        assert result["status"] == "failed", result
        details = result["evidence"]["details"]
        assert (details["source"], details["server_setting"]) == ("command line", "0")
        assert (details["session_source"], details["session_setting"]) == ("user", "30000")
        su_right = judge(tmp_path, "postgres", {"settings": {"statement_timeout": "0"}}, pg.superuser_dsn)
        assert setting_result(su_right)["status"] == "passed"
        # A database-wide setting is what every new session on the database gets: readable by any role.
        pg.sql("ALTER DATABASE postgres SET statement_timeout = '45s'")
        db_wide = judge(tmp_path, "postgres", {"settings": {"statement_timeout": "45s"}}, verifier)
        result = setting_result(db_wide)
        assert result["status"] == "passed", result
        assert result["evidence"]["details"]["source"] == "database"
        assert result["evidence"]["details"]["session_setting"] == "30000"
        db_wrong = judge(tmp_path, "postgres", {"settings": {"statement_timeout": "30s"}}, verifier)
        assert setting_result(db_wrong)["status"] == "failed"


def test_alter_system_is_read_from_the_configuration_file_under_an_override(tmp_path: Path) -> None:
    with LocalPostgres() as pg:
        pg.sql("ALTER SYSTEM SET work_mem = '8MB'", "SELECT pg_reload_conf()")
        pg.sql("ALTER ROLE stackcheck SET work_mem = '64MB'")
        wrong = setting_result(
            judge(tmp_path, "postgres", {"settings": {"work_mem": "64MB"}}, pg.superuser_dsn)
        )
        assert wrong["status"] == "failed", wrong
        assert wrong["evidence"]["details"]["source"] == "configuration file"
        right = setting_result(
            judge(tmp_path, "postgres", {"settings": {"work_mem": "8MB"}}, pg.superuser_dsn)
        )
        assert right["status"] == "passed", right


# ---- a refused login is the verifier's credentials, never the server's compliance ------------------------


def test_a_wrong_password_or_a_missing_connect_privilege_is_access_denied(tmp_path: Path) -> None:
    with LocalPostgres({"work_mem": "4MB"}) as pg:
        dsn = pg.add_role("verifier")
        pg.sql("CREATE DATABASE locked", "REVOKE CONNECT ON DATABASE locked FROM PUBLIC")
        right = judge(tmp_path, "postgres", {"settings": {"work_mem": "4MB"}}, dsn)
        assert setting_result(right)["status"] == "passed"
        wrong = judge(
            tmp_path,
            "postgres",
            {"settings": {"work_mem": "4MB"}},
            dsn.replace(":" + pg.passwords["verifier"] + "@", ":not-it@"),
        )
        result = setting_result(wrong)
        assert (result["status"], result["error_reason"]) == ("error", "access_denied"), result
        assert "refused the login: password authentication failed" in result["message"]
        assert "not-it" not in result["message"]
        no_connect = setting_result(
            judge(tmp_path, "postgres", {"settings": {"work_mem": "4MB"}}, pg.role_dsn("verifier", "locked"))
        )
        assert (no_connect["status"], no_connect["error_reason"]) == ("error", "access_denied"), no_connect
        assert 'permission denied for database "locked"' in no_connect["message"]
        pg.sql("GRANT CONNECT ON DATABASE locked TO verifier")
        granted = judge(
            tmp_path, "postgres", {"settings": {"work_mem": "4MB"}}, pg.role_dsn("verifier", "locked")
        )
        assert setting_result(granted)["status"] == "passed"
        missing = setting_result(
            judge(tmp_path, "postgres", {"settings": {"work_mem": "4MB"}}, pg.role_dsn("verifier", "nodb"))
        )
        assert (missing["status"], missing["error_reason"]) == ("error", "misconfigured"), missing


# ---- pg.extensions: installed (default) vs available -----------------------------------------------------


def test_an_extension_the_verifier_could_create_is_not_installed(tmp_path: Path) -> None:
    with LocalPostgres() as pg:
        # pgcrypto is a trusted extension: a role with CREATE on the database may create it.
        dsn = pg.add_role("verifier", "GRANT CREATE ON DATABASE postgres TO verifier")
        statuses = judge(tmp_path, "postgres", {"extensions": ["pgcrypto"]}, dsn)
        result = statuses.results("pg.extensions")[0]
        assert result["status"] == "failed" and "not installed" in result["message"], result
        available = judge(
            tmp_path, "postgres", {"extensions": ["pgcrypto"], "extensions_state": "available"}, dsn
        )
        assert available.results("pg.extensions")[0]["status"] == "passed"
        assert available.results("pg.extensions")[0]["evidence"]["observed"] == "installable"
        # available, but the verifier may not create an untrusted extension: could not check.
        denied = judge(
            tmp_path,
            "postgres",
            {"extensions": ["pg_stat_statements"], "extensions_state": "available"},
            dsn,
        )
        result = denied.results("pg.extensions")[0]
        assert result["status"] == "error" and result["error_reason"] == "access_denied", result
        pg.sql("CREATE EXTENSION pgcrypto")
        installed = judge(tmp_path, "postgres", {"extensions": ["pgcrypto"]}, dsn)
        result = installed.results("pg.extensions")[0]
        assert result["status"] == "passed" and result["evidence"]["observed"] == "installed", result


# ---- pg.ssl behind sslmode=verify-full --------------------------------------------------------------------


SSL_PROFILE = {"version": ">=15", "require_ssl": True, "settings": {"work_mem": "4MB"}}


def test_ssl_off_behind_a_verify_full_dsn_fails_pg_ssl_and_errors_the_rest(tmp_path: Path) -> None:
    with LocalPostgres(ssl_only=True) as good:
        assert good.certs is not None
        ca = good.certs.ca_file
        dsn = good.add_role("verifier") + f"?sslmode=verify-full&sslrootcert={ca}"
        run = judge(tmp_path, "postgres", SSL_PROFILE, dsn)
        statuses = run.statuses()
        assert statuses["pg.ssl"] == "passed", (statuses, run.results("pg.ssl"))
        assert statuses["pg.version"] == "passed" and statuses["pg.settings[work_mem]"] == "passed"
        assert run.results("pg.ssl")[0]["evidence"]["details"]["session_ssl"] is True
        with LocalPostgres() as bad:
            dsn = bad.add_role("verifier") + f"?sslmode=verify-full&sslrootcert={ca}"
            run = judge(tmp_path, "postgres", SSL_PROFILE, dsn)
    statuses = run.statuses()
    assert statuses["pg.ssl"] == "failed", (statuses, run.results("pg.ssl"))
    evidence = run.results("pg.ssl")[0]["evidence"]
    assert evidence["observed"] == {"ssl": "off", "non_ssl_login": "accepted"}
    assert "ssl = off" in run.results("pg.ssl")[0]["message"]
    # The other checks could not connect as the DSN asks: error, never judged over a weaker connection.
    assert statuses["pg.version"] == "error" and statuses["pg.settings[work_mem]"] == "error"
    assert run.code == 1


def test_ssl_on_but_plain_logins_accepted_fails_pg_ssl_only(tmp_path: Path) -> None:
    with LocalPostgres(ssl=True) as pg:
        assert pg.certs is not None
        dsn = pg.add_role("verifier") + f"?sslmode=verify-full&sslrootcert={pg.certs.ca_file}"
        run = judge(tmp_path, "postgres", SSL_PROFILE, dsn)
    statuses = run.statuses()
    assert statuses["pg.ssl"] == "failed" and statuses["pg.version"] == "passed", statuses
    assert run.results("pg.ssl")[0]["evidence"]["observed"] == {"ssl": "on", "non_ssl_login": "accepted"}


# ---- redis.persistence with CONFIG denied -----------------------------------------------------------------


def test_redis_persistence_is_judged_from_info_when_config_is_denied(tmp_path: Path) -> None:
    users = {"verifier": "+@all -config", "admin": "+@all"}
    with LocalRedis({"appendonly": "yes", "appendfsync": "everysec"}, users=users) as r:
        denied = r.url("verifier")

        def persistence(section: dict[str, Any], url: str = denied) -> dict[str, Any]:
            return judge(tmp_path, "redis", section, url).results("redis.persistence")[0]

        assert persistence({"appendonly": True})["status"] == "passed"
        wrong = persistence({"appendonly": False})
        assert wrong["status"] == "failed" and "appendonly is True" in wrong["message"], wrong
        # appendfsync is only in CONFIG: AOF as wanted, fsync unknown -> error; AOF wrong -> failed anyway.
        unknown = persistence({"appendonly": True, "appendfsync": "everysec"})
        assert unknown["status"] == "error" and unknown["error_reason"] == "access_denied", unknown
        assert "appendfsync" in unknown["message"] and "appendonly True" in unknown["message"]
        assert persistence({"appendonly": False, "appendfsync": "everysec"})["status"] == "failed"
        full = {"appendonly": True, "appendfsync": "everysec", "rdb_snapshots": False}
        assert persistence(full, r.url("admin"))["status"] == "passed"
        assert persistence({**full, "appendfsync": "always"}, r.url("admin"))["status"] == "failed"
    with LocalRedis({"appendonly": "no"}, users={"verifier": "+@all -config"}) as r:
        off = judge(tmp_path, "redis", {"appendonly": True}, r.url("verifier"))
        assert off.results("redis.persistence")[0]["status"] == "failed"


def test_redis_maxmemory_zero_is_no_limit_in_the_verdict(tmp_path: Path) -> None:
    with LocalRedis({"maxmemory": "0"}, users={"app": "+@all"}) as r:
        r.admin(["ACL", "SETUSER", "default", "off"])  # only the ACL user may log in
        unlimited = judge(tmp_path, "redis", {"maxmemory": "2gb"}, r.url("app")).results("redis.maxmemory")[0]
        assert unlimited["status"] == "failed", unlimited
        assert unlimited["message"] == "maxmemory is 0 (no limit), the profile says 2gb", unlimited
        none_wanted = judge(tmp_path, "redis", {"maxmemory": 0}, r.url("app")).results("redis.maxmemory")[0]
        assert none_wanted["status"] == "passed", none_wanted
