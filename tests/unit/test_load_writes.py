"""Write endpoints in the load plan: opt-in, bounded bodies, headers without literal secrets."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from stackcheck import UsageError
from stackcheck._exceptions import ProfileError
from stackcheck.load.plan import PlanEndpoint, build_plan
from stackcheck.load.request import expanded_headers, missing_references, secret_header_values
from stackcheck.profile import load_profile
from stackcheck.profile.models import LoadEndpoint, Profile
from stackcheck.profile.stages import MAX_BODY_BYTES


def write(endpoint: dict[str, Any], **load: Any) -> dict[str, Any]:
    return {
        "allow_writes": True,
        "endpoints": [{"path": "/api/v1/items", "method": "POST", **endpoint}],
        **load,
    }


def plan_endpoint(load: dict[str, Any], base: Path | None = None) -> PlanEndpoint:
    profile = Profile.model_validate({"name": "p", "slo": {"p95_ms": 200}, "load": load})
    plan = build_plan(profile, "http://127.0.0.1:8080", workers=0, stats_path="/tmp/s.json", base=base)
    return plan.endpoints[0]


def profile_error(tmp_path: Path, load: str) -> str:
    path = tmp_path / "p.yaml"
    path.write_text(f"name: p\nslo: {{p95_ms: 200}}\nload:\n{load}", encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    return str(info.value)


def test_a_write_endpoint_without_allow_writes_is_one_error_naming_the_endpoint_and_the_key(
    tmp_path: Path,
) -> None:
    message = profile_error(
        tmp_path,
        "  endpoints:\n    - {path: /api/v1/ping}\n"
        "    - {path: /api/v1/items, method: PUT, body: {name: a}}\n",
    )
    assert "p.yaml:4:3 load.endpoints: PUT /api/v1/items (endpoints[1]) changes data" in message, message
    assert "set `load.allow_writes: true`" in message and "\n" not in message


def test_with_allow_writes_the_same_endpoint_is_planned_as_json() -> None:
    endpoint = plan_endpoint(write({"body": {"name": "widget", "tags": ["a"]}, "expect_status": [201]}))
    assert endpoint.method == "POST" and endpoint.name == "POST /api/v1/items"
    assert json.loads(endpoint.body or b"") == {"name": "widget", "tags": ["a"]}
    assert endpoint.content_type == "application/json" and endpoint.expect_status == (201,)


def test_safe_methods_need_no_opt_in_and_send_no_body() -> None:
    endpoint = plan_endpoint({"endpoints": [{"path": "/health/live", "headers": {"X-Trace": "load"}}]})
    assert endpoint.body is None and endpoint.content_type is None
    assert endpoint.headers == (("X-Trace", "load"),)


@pytest.mark.parametrize(
    ("endpoint", "content_type", "sent"),
    [
        ({"body": "a=1&b=2", "content_type": "application/x-www-form-urlencoded"}, None, b"a=1&b=2"),
        ({"body": "plain words"}, "text/plain; charset=utf-8", b"plain words"),
        ({"body": [1, 2]}, "application/json", b"[1,2]"),
    ],
)
def test_a_string_body_is_sent_as_written_and_a_list_as_json(
    endpoint: dict[str, Any], content_type: str | None, sent: bytes
) -> None:
    planned = plan_endpoint(write(endpoint))
    assert planned.body == sent
    assert planned.content_type == (content_type or endpoint.get("content_type"))


def test_body_file_is_read_relative_to_the_profile_folder(tmp_path: Path) -> None:
    (tmp_path / "bodies").mkdir()
    (tmp_path / "bodies" / "item.json").write_bytes(b'{"name": "from a file"}')
    planned = plan_endpoint(write({"body_file": "bodies/item.json"}), base=tmp_path)
    assert planned.body == b'{"name": "from a file"}' and planned.content_type == "application/json"
    (tmp_path / "blob.bin").write_bytes(b"\x00\xff")
    planned = plan_endpoint(write({"body_file": "blob.bin", "method": "PATCH"}), base=tmp_path)
    assert planned.body == b"\x00\xff" and planned.content_type == "application/octet-stream"
    assert base64.b64decode(planned.body_base64 or "") == b"\x00\xff"  # the plan is JSON: base64


def test_a_body_file_over_one_mib_missing_or_a_folder_is_a_usage_error_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "big.json").write_bytes(b" " * (MAX_BODY_BYTES + 1))
    with pytest.raises(UsageError, match=r"load.endpoints\[0\].body_file 'big.json' is 1,048,577 bytes"):
        plan_endpoint(write({"body_file": "big.json"}), base=tmp_path)
    (tmp_path / "exact.json").write_bytes(b" " * MAX_BODY_BYTES)
    assert len(plan_endpoint(write({"body_file": "exact.json"}), base=tmp_path).body or b"") == MAX_BODY_BYTES
    with pytest.raises(UsageError, match=r"body_file 'nope.json': cannot read it"):
        plan_endpoint(write({"body_file": "nope.json"}), base=tmp_path)
    with pytest.raises(UsageError, match="is not a regular file"):
        plan_endpoint(write({"body_file": "."}), base=tmp_path)


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ({"method": "GET", "body": {"a": 1}}, "GET /api/v1/items has a body: only POST, PUT and PATCH"),
        ({"body": "x", "body_file": "x.json"}, "either `body` or `body_file`, not both"),
        ({"content_type": "application/json"}, "`content_type` describes a body"),
        ({"body": "x" * (MAX_BODY_BYTES + 1)}, "larger than 1,048,576 bytes"),
        ({"headers": {"Authorization": "Bearer abc123"}}, "carries a credential: write it as a ${VAR}"),
        ({"headers": {"X-API-Key": "k"}}, "carries a credential"),
        ({"headers": {"Content-Type": "text/plain"}}, "use `content_type`"),
        ({"headers": {"Host": "example.com"}}, "the HTTP client sets it"),
        ({"headers": {"X-A": "one\r\nX-Injected: 1"}}, "must be one line"),
        ({"headers": {"Bad Name": "v"}}, "is not an HTTP token"),
        ({"headers": {"X-A": "1", "x-a": "2"}}, "given twice"),
        ({"headers": {f"X-{i}": "v" for i in range(33)}}, "at most 32 headers"),
    ],
)
def test_endpoint_rules(endpoint: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("$", r"\$").replace("(", r"\(")):
        LoadEndpoint.model_validate({"path": "/api/v1/items", "method": "POST", **endpoint})


def test_credential_headers_are_references_expanded_by_the_sender_and_redacted() -> None:
    planned = plan_endpoint(
        write({"body": {"name": "a"}, "headers": {"Authorization": "Bearer ${API_TOKEN}"}})
    )
    assert planned.headers == (("Authorization", "Bearer ${API_TOKEN}"),)  # the plan holds no secret
    environ = {"API_TOKEN": "s3cret-token-value"}
    assert expanded_headers(dict(planned.headers), environ) == {"Authorization": "Bearer s3cret-token-value"}
    assert secret_header_values(dict(planned.headers), environ) == ["s3cret-token-value"]
    by_key = {"load.endpoints[0]": dict(planned.headers)}
    assert missing_references(by_key, environ) is None
    assert missing_references(by_key, {}) == (
        "load.endpoints[0].headers.Authorization uses ${API_TOKEN}, which is not set in the environment"
    )


def test_the_request_bytes_encode_the_path_as_a_client_does_and_refuse_what_http_cannot_carry() -> None:
    from stackcheck.load.request import build_request

    wire = build_request("http://127.0.0.1:8080/base/", "GET", "/search?q=a b&c=%2F/é", None, {})
    head = wire.data.split(b"\r\n")
    assert head[0] == b"GET /base/search?q=a%20b&c=%2F/%C3%A9 HTTP/1.1" and head[1] == b"Host: 127.0.0.1:8080"
    for headers, words in (
        ({"X-A": "one\r\nX-B: two"}, "header X-A contains a line break"),
        ({"X-A": "caf\u20ac"}, "header X-A has a character HTTP/1.1 cannot carry"),
    ):
        with pytest.raises(ValueError, match=words):
            build_request("http://127.0.0.1:8080", "GET", "/", None, headers)
