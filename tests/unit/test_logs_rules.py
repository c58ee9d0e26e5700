"""The logs suite's rules on recorded lines, the capture sources on real files and a real command, and the
``logs`` profile section's mistakes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from stackcheck.probes.logcapture import CommandLog, FileLog, settle
from stackcheck.probes.logrun import pii_request
from stackcheck.probes.logs import (
    below_level,
    correlation_hits,
    leaks,
    level_counts,
    level_of,
    luhn_valid,
    mask,
    missing_fields,
    parse_lines,
    plant,
)
from stackcheck.profile.logs import LogsSection

SECTION = LogsSection(required_fields=["timestamp", "level", "message", "correlation_id"])


def _lines(*records: object) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records).encode()


def test_aliases_of_the_common_libraries_satisfy_the_required_fields() -> None:
    lines = parse_lines(
        _lines(
            {"ts": "t", "level": "info", "msg": "m", "request_id": "r"},  # zap / the reference service
            {"timestamp": "t", "level": "info", "event": "m", "correlation_id": "c"},  # structlog
            {"@timestamp": "t", "log.level": "info", "message": "m", "trace_id": "x"},  # ECS, flat keys
            {"time": "t", "log": {"level": "info"}, "msg": "m", "correlationId": "c"},  # nested
        )
    )
    assert [missing_fields(line, SECTION) for line in lines] == [[], [], [], []]


def test_a_text_line_lacks_every_field_and_a_json_line_names_what_it_lacks() -> None:
    text, partial = parse_lines(_lines("INFO started", {"ts": "t", "msg": "m"}))
    assert text.record is None and missing_fields(text, SECTION) == SECTION.required_fields
    assert missing_fields(partial, SECTION) == ["level", "correlation_id"]


def test_field_names_replace_the_defaults_for_that_field() -> None:
    section = LogsSection(required_fields=["correlation_id"], field_names={"correlation_id": ["cid"]})
    (line,) = parse_lines(_lines({"correlation_id": "c"}))
    assert missing_fields(line, section) == ["correlation_id"]
    (line,) = parse_lines(_lines({"cid": "c"}))
    assert missing_fields(line, section) == []


def test_levels_are_read_from_json_and_from_text_lines() -> None:
    lines = parse_lines(
        _lines(
            {"level": "DEBUG"},
            {"severity": "warn"},
            "2026-01-01 [INFO] gunicorn.error: Booting worker",
            "time=1 level=debug msg=x",
            "no level here",
            "2026-01-01T00:00:00Z [debug    ] handling  [app] path=/",
        )
    )
    levels = [level_of(line, SECTION) for line in lines]
    assert levels == ["debug", "warning", "info", "debug", None, "debug"]
    assert [line.number for line in below_level(lines, SECTION, "info")] == [1, 4, 6]
    assert level_counts(lines, SECTION)["unknown"] == 1


def test_the_correlation_id_counts_only_under_a_correlation_key() -> None:
    lines = parse_lines(_lines({"correlation_id": "abc"}, {"msg": "got abc"}, {"msg": "other"}))
    assert correlation_hits(lines, "abc", SECTION) == ([1], [2])


def test_planted_values_are_fresh_and_the_card_is_luhn_valid() -> None:
    for _ in range(20):
        values = {p.kind: p.value for p in plant(["email", "phone", "card", "api_key"])}
        assert luhn_valid(values["card"]) and len(values["card"]) == 16
        assert values["email"].endswith("@example.com") and values["phone"].startswith("+447700900")
    assert plant(["email"])[0].value != plant(["email"])[0].value


@given(st.text(alphabet="0123456789", min_size=2, max_size=19))
def test_one_changed_digit_breaks_luhn(digits: str) -> None:
    if luhn_valid(digits):
        changed = str((int(digits[-1]) + 1) % 10)
        assert not luhn_valid(digits[:-1] + changed)


def test_luhn_accepts_the_well_known_test_numbers() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112")


def test_leaks_find_each_form_a_logger_writes_and_name_only_the_kind() -> None:
    planted = plant(["email", "phone", "card", "api_key"])
    v = {p.kind: p.value for p in planted}
    card = v["card"]
    query, headers = pii_request(planted)
    lines = parse_lines(
        _lines(
            f"GET /{query} 200",  # URL-encoded e-mail and phone in an access log
            {"msg": "card", "number": f"{card[:4]} {card[4:8]} {card[8:12]} {card[12:]}"},
            {"headers": {"x-api-key": headers["X-API-Key"]}},
            {"msg": "clean"},
        )
    )
    found = leaks(lines, planted)
    assert found == {"email": [1], "phone": [1], "card": [1, 2], "api_key": [3]}
    masked = " ".join(mask(line.text, planted) for line in lines)
    assert not any(value in masked for value in v.values())
    assert "<card>" in masked and "<api_key>" in masked


def test_mask_hides_anything_shaped_like_personal_data_and_caps_the_line() -> None:
    text = "user bob@corp.example called +1 415 555 0100 with 4111 1111 1111 1111 token " + "a" * 40
    out = mask(text + " x" * 200)
    assert "bob@" not in out and "4111" not in out and "415" not in out and "a" * 24 not in out
    assert len(out) <= 160


def test_parse_lines_skips_blank_lines_and_keeps_numbers() -> None:
    lines = parse_lines(b'{"a":1}\n\n  \n[1,2]\n{broken\n')
    assert [(line.number, line.record is not None) for line in lines] == [(1, True), (4, False), (5, False)]


def test_file_log_reads_only_what_was_appended_and_only_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("before\n")
    log = FileLog(path)
    log.open()
    with path.open("a") as fh:
        fh.write("x" * 3000 + "\n")
    captured = log.read(1024)
    assert captured.data == b"x" * 1024 and captured.dropped == 1977
    path.rename(tmp_path / "app.log.1")  # rotated: the new file was written during the run
    path.write_text("new file\n")
    assert log.read(1024).data == b"new file\n"
    path.write_text("x\n")  # truncated
    assert log.read(1024).data == b"x\n"


def test_a_missing_log_file_is_could_not_check(tmp_path: Path) -> None:
    from stackcheck import CouldNotCheck

    with pytest.raises(CouldNotCheck, match="does not exist"):
        FileLog(tmp_path / "nope.log").open()


def test_a_log_command_is_read_while_it_runs_and_stopped_at_close(tmp_path: Path) -> None:
    script = "import sys,time\nprint('line', flush=True)\ntime.sleep(60)\n"
    log = CommandLog([sys.executable, "-c", script], tmp_path, {})
    log.open()
    try:
        assert settle(log, 10)
        assert log.read(100).data == b"line\n"
        assert log.exit_code() is None
    finally:
        log.close()
    assert log._proc is not None and log._proc.poll() is not None


def test_a_log_command_that_cannot_start_is_a_usage_error(tmp_path: Path) -> None:
    from stackcheck import UsageError

    with pytest.raises(UsageError, match=r"logs\.command"):
        CommandLog(["/nonexistent/logcli"], tmp_path, {}).open()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"file": "a.log", "command": ["x"]}, "not both"),
        ({"min_level": "verbose"}, "min_level"),
        ({"pii": ["ssn"]}, "pii"),
        ({"required_fields": ["host"]}, "required_fields"),
        ({"correlation_header": "X Bad"}, "correlation_header"),
        ({"max_bytes": 10}, "max_bytes"),
    ],
)
def test_logs_section_mistakes_are_rejected(data: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        LogsSection.model_validate(data)


def test_one_window_sends_bounded_requests_and_reads_what_they_logged(tmp_path: Path) -> None:
    import httpx

    from stackcheck.probes.http import HttpProbe
    from stackcheck.probes.logrun import MAX_REQUESTS, exercise

    path = tmp_path / "app.log"
    path.write_text('{"msg": "before the window"}\n')
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        cid = request.headers.get("x-correlation-id", "-")
        with path.open("a") as fh:  # a leaky service: logs the full URL
            fh.write(
                json.dumps({"ts": "t", "level": "info", "msg": str(request.url), "request_id": cid}) + "\n"
            )
        return httpx.Response(200, json={})

    section = LogsSection(correlation_header="X-Correlation-ID", settle_s=2)
    with HttpProbe("http://127.0.0.1:9", transport=httpx.MockTransport(handler)) as http:
        run = exercise(FileLog(path), http, section, [f"/p{i}" for i in range(30)])
    assert len(seen) == run.requests == MAX_REQUESTS
    assert len(run.lines) == MAX_REQUESTS  # only what the window's requests wrote
    assert run.correlation_id is not None
    assert correlation_hits(run.lines, run.correlation_id, section)[0] == [MAX_REQUESTS - 1]
    assert set(leaks(run.lines, run.planted)) == {"email", "phone", "card"}  # the key rode in a header
    assert seen[-1].headers["x-api-key"].startswith("sckey_")


def test_a_window_that_captured_nothing_cannot_be_judged(tmp_path: Path) -> None:
    import httpx

    from stackcheck import CouldNotCheck
    from stackcheck.probes.http import HttpProbe
    from stackcheck.probes.logrun import exercise

    path = tmp_path / "silent.log"
    path.touch()
    transport = httpx.MockTransport(lambda _: httpx.Response(200))
    with HttpProbe("http://127.0.0.1:9", transport=transport) as http:
        run = exercise(FileLog(path), http, LogsSection(settle_s=0.2), ["/"])
    with pytest.raises(CouldNotCheck, match="no log line captured"):
        run.judged_lines()
