"""Unit normalisation of PostgreSQL settings, checked against what pg_settings really reports."""

from __future__ import annotations

import pytest

from stackcheck.probes.pgsettings import (
    ROLE_SOURCES,
    ServerSetting,
    command_line_settings,
    compare_setting,
    in_base_unit,
    parse_quantity,
)


def _s(name: str, setting: str, unit: str | None, vartype: str) -> ServerSetting:
    return ServerSetting(name=name, setting=setting, unit=unit, vartype=vartype)


SHARED_BUFFERS_256MB = _s("shared_buffers", "32768", "8kB", "integer")


@pytest.mark.parametrize(
    ("profile_value", "server", "matches", "observed"),
    [
        ("256MB", SHARED_BUFFERS_256MB, True, "256MB"),
        ("262144kB", SHARED_BUFFERS_256MB, True, "262144kB"),
        ("0.25GB", SHARED_BUFFERS_256MB, True, "0.25GB"),
        (32768, SHARED_BUFFERS_256MB, True, "32768"),  # a bare number is in the base unit (8kB pages)
        ("128MB", SHARED_BUFFERS_256MB, False, "256MB"),
        ("1GB", _s("effective_cache_size", "131072", "8kB", "integer"), True, "1GB"),
        ("64MB", _s("maintenance_work_mem", "65536", "kB", "integer"), True, "64MB"),
        ("16MB", _s("wal_buffers", "2048", "8kB", "integer"), True, "16MB"),
        ("4MB", _s("wal_buffers", "512", "8kB", "integer"), True, "4MB"),
        ("30s", _s("statement_timeout", "30000", "ms", "integer"), True, "30s"),
        ("1min", _s("statement_timeout", "60000", "ms", "integer"), True, "1min"),
        ("5min", _s("checkpoint_timeout", "300", "s", "integer"), True, "5min"),
        ("1h", _s("checkpoint_timeout", "300", "s", "integer"), False, "0.083333h"),
        (0.9, _s("checkpoint_completion_target", "0.9", None, "real"), True, "0.9"),
        (1.1, _s("random_page_cost", "4", None, "real"), False, "4"),
        (100, _s("max_connections", "100", None, "integer"), True, "100"),
        (True, _s("fsync", "on", None, "bool"), True, "on"),
        ("off", _s("fsync", "on", None, "bool"), False, "on"),
        ("Replica", _s("wal_level", "replica", None, "enum"), True, "replica"),
        (
            "pg_stat_statements, timescaledb",
            _s("shared_preload_libraries", "timescaledb,pg_stat_statements", None, "string"),
            True,
            "timescaledb,pg_stat_statements",
        ),
        ('"$user", public', _s("search_path", '"$user", public', None, "string"), True, '"$user", public'),
    ],
)
def test_compare_setting(
    profile_value: str | int | float | bool, server: ServerSetting, matches: bool, observed: str
) -> None:
    result = compare_setting(profile_value, server)
    assert (result.matches, result.observed) == (matches, observed)


def test_finer_unit_rounds_to_base_unit_like_postgres() -> None:
    # SET shared_buffers = '262145kB' is stored as 32768 pages (rounded to the nearest 8kB).
    assert compare_setting("262145kB", SHARED_BUFFERS_256MB).matches


@pytest.mark.parametrize(
    ("value", "server"),
    [
        ("30s", SHARED_BUFFERS_256MB),  # a time for a memory setting
        ("256MB", _s("fsync", "on", None, "bool")),
        ("many", _s("max_connections", "100", None, "integer")),
        ("10parsecs", _s("statement_timeout", "0", "ms", "integer")),
    ],
)
def test_impossible_values_are_usage_errors(value: str, server: ServerSetting) -> None:
    with pytest.raises(ValueError, match=r"boolean|unit|number"):
        compare_setting(value, server)


def test_parse_quantity() -> None:
    assert parse_quantity("256MB") == (256.0, "MB")
    assert parse_quantity(" 0.9 ") == (0.9, "")
    with pytest.raises(ValueError, match="not a number"):
        parse_quantity("MB256")


STATEMENT_TIMEOUT = _s("statement_timeout", "0", "ms", "integer")


@pytest.mark.parametrize(
    ("text", "server", "base"),
    [
        ("30s", STATEMENT_TIMEOUT, "30000"),
        ("0", STATEMENT_TIMEOUT, "0"),
        ("1min", STATEMENT_TIMEOUT, "60000"),
        ("1500us", STATEMENT_TIMEOUT, "2"),  # rounded to the base unit, as PostgreSQL does
        ("256MB", SHARED_BUFFERS_256MB, "32768"),
        ("4MB", _s("work_mem", "4096", "kB", "integer"), "4096"),
        ("1.1", _s("random_page_cost", "4", None, "real"), "1.1"),
        ("true", _s("fsync", "on", None, "bool"), "on"),
        ("OFF", _s("fsync", "on", None, "bool"), "off"),
        ("read committed", _s("default_transaction_isolation", "x", None, "enum"), "read committed"),
    ],
)
def test_in_base_unit_writes_values_as_pg_settings_shows_them(
    text: str, server: ServerSetting, base: str
) -> None:
    assert in_base_unit(text, server) == base


@pytest.mark.parametrize(
    ("text", "server"), [("30MB", STATEMENT_TIMEOUT), ("maybe", _s("fsync", "on", None, "bool"))]
)
def test_in_base_unit_refuses_what_is_no_value_of_the_setting(text: str, server: ServerSetting) -> None:
    with pytest.raises(ValueError, match="not"):
        in_base_unit(text, server)


def test_command_line_settings_reads_postmaster_opts() -> None:
    # postmaster.opts as PostgreSQL 15 writes it (a real one, from the local provider).
    opts = (
        '/usr/lib/postgresql/15/bin/postgres "-D" "/tmp/x/data" "-c" "port=53517" "-c"'
        ' "listen_addresses=127.0.0.1" "-c" "shared_preload_libraries=pg_stat_statements"'
        ' "-c" "statement_timeout=0" "--work-mem=8MB" "-c" "search_path=a, b"\n'
    )
    found = command_line_settings(opts)
    assert found["statement_timeout"] == "0" and found["port"] == "53517"
    assert found["work_mem"] == "8MB" and found["search_path"] == "a, b"
    assert "-D" not in found and command_line_settings('"unbalanced') == {}


def test_role_sources_are_the_sessions_own() -> None:
    assert {"user", "database user", "client"} <= ROLE_SOURCES
    assert not {"default", "configuration file", "command line", "database", "global"} & ROLE_SOURCES
