"""``redis.default_user`` and ``redis.acl_users`` (``redis.acl``) proven both ways on a real Redis 7 with ACL
users, through the real CLI (``--infra external``), beside ``redis.require_auth`` (``redis.auth``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fixtures.datastores import LocalRedis
from tests.integration.conftest import Run, judge

pytestmark = [pytest.mark.integration, pytest.mark.local_binaries]
USERS = {"verifier": "+@all", "app": "+@all -@admin", "worker": "+@all -@admin", "reader": "+@read -@admin"}


def acl_result(run: Run) -> dict[str, Any]:
    found = run.results("redis.acl")
    assert len(found) == 1, (run.statuses(), run.stderr)
    return found[0]


def test_default_user_off_and_named_users_on_pass(tmp_path: Path) -> None:
    with LocalRedis(users=USERS) as r:
        r.admin(["ACL", "SETUSER", "default", "off"])  # last: admin() logs in as the default user
        section = {"default_user": "disabled", "acl_users": ["app", "worker"], "require_auth": True}
        run = judge(tmp_path, "redis", section, r.url("verifier"))
    result = acl_result(run)
    assert result["status"] == "passed", result
    assert result["evidence"]["expected"] == {"default": "off", "app": "on", "worker": "on"}
    assert result["evidence"]["observed"] == {"default": "off", "app": "on", "worker": "on"}
    assert result["message"] == "default off, app on, worker on"
    details = result["evidence"]["details"]
    assert details["session_user"] == "verifier" and details["nopass"] == []
    assert "off" in details["flags"]["default"] and "passwords" not in str(details)
    # The two claims agree: with the default user off, an anonymous PING is refused as well.
    assert run.statuses()["redis.auth"] == "passed" and run.code == 0


def test_an_enabled_default_user_or_a_missing_user_fails(tmp_path: Path) -> None:
    with LocalRedis(users=USERS) as r:
        r.admin(["ACL", "SETUSER", "worker", "off"])
        # requirepass on the default user: redis.auth passes, but the default user is not disabled.
        enabled = judge(
            tmp_path, "redis", {"default_user": "disabled", "require_auth": True}, r.url("verifier")
        )
        result = acl_result(enabled)
        assert result["status"] == "failed", result
        assert result["message"] == "the default user is enabled (ACL SETUSER default off)"
        assert enabled.statuses()["redis.auth"] == "passed"
        users = judge(tmp_path, "redis", {"acl_users": ["app", "worker", "ghost"]}, r.url("verifier"))
        result = acl_result(users)
        assert result["status"] == "failed", result
        assert result["evidence"]["observed"] == {"app": "on", "worker": "off", "ghost": "missing"}
        assert result["message"] == (
            "ACL user worker exists but is disabled (off); ACL user ghost does not exist"
        )
        # Logged in as the default user itself: it is enabled, whatever ACL GETUSER would say.
        as_default = acl_result(judge(tmp_path, "redis", {"default_user": "disabled"}, r.url("default")))
        assert as_default["status"] == "failed", as_default
        assert "stackcheck logged in as it" in as_default["message"]
        r.admin(["ACL", "SETUSER", "app", "nopass"])
        nopass = acl_result(judge(tmp_path, "redis", {"acl_users": ["app"]}, r.url("verifier")))
        assert nopass["status"] == "passed" and nopass["evidence"]["details"]["nopass"] == ["app"]
        assert "nopass, any password logs in" in nopass["message"]


def test_a_user_not_allowed_acl_getuser_is_error_not_failed(tmp_path: Path) -> None:
    with LocalRedis(users=USERS) as r:
        r.admin(["ACL", "SETUSER", "default", "off"])
        denied = acl_result(
            judge(tmp_path, "redis", {"default_user": "disabled", "acl_users": ["app"]}, r.url("app"))
        )
    assert (denied["status"], denied["error_reason"]) == ("error", "access_denied"), denied
    assert "refuses ACL GETUSER" in denied["message"] and "+acl|getuser" in denied["message"]


def test_unreachable_redis_is_error(tmp_path: Path) -> None:
    from stackcheck.infra.base import free_port

    run = judge(tmp_path, "redis", {"acl_users": ["app"]}, f"redis://127.0.0.1:{free_port()}/0")
    result = acl_result(run)
    assert (result["status"], result["error_reason"]) == ("error", "unreachable"), result
    assert run.code == 3
