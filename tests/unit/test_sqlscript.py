"""Splitting migration files into statements."""

from __future__ import annotations

from pathlib import Path

from stackcheck.infra.sqlscript import split_sql

COMPLIANT = Path(__file__).resolve().parents[1] / "data" / "migrations" / "compliant"


def test_semicolons_inside_quotes_comments_and_dollar_bodies_do_not_split() -> None:
    text = (
        "-- a comment; with a semicolon\n"
        "CREATE TABLE t (a text DEFAULT 'x;y', \"b;c\" int);\n"
        "/* block; /* nested; */ still comment */\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$;\n"
        "SELECT E'it\\'s;', 'it''s;';\n"
        "SELECT $$a;b$$"
    )
    statements = split_sql(text)
    assert [s.line for s in statements] == [2, 4, 5, 6]
    assert statements[0].sql.endswith('"b;c" int)')
    assert "RETURN 1; END $body$" in statements[1].sql
    assert statements[3].sql == "SELECT $$a;b$$"


def test_dollar_parameters_are_not_quotes() -> None:
    assert len(split_sql("PREPARE p AS SELECT $1; EXECUTE p(1);")) == 2


def test_comment_only_and_empty_pieces_are_dropped() -> None:
    assert split_sql(";;\n-- nothing\n/* nothing */\n") == []


def test_the_compliant_test_migrations_split_as_written() -> None:
    settings = split_sql((COMPLIANT / "000_settings.sql").read_text())
    assert len(settings) == 8 and all(s.sql.startswith("ALTER SYSTEM SET") for s in settings)
    schema = split_sql((COMPLIANT / "001_schema.sql").read_text())
    assert [s.sql.split()[0] for s in schema] == [
        "CREATE",
        "CREATE",
        "CREATE",
        "SELECT",
        "CREATE",
        "ALTER",
        "ALTER",
        "CREATE",
        "CREATE",
    ]
