"""Load goes to loopback only, unless --allow-remote: decided before anything is sent."""

from __future__ import annotations

import pytest

from stackcheck import UsageError
from stackcheck.load.safety import is_loopback_host, require_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["192.0.2.10", "10.0.0.1", "::ffff:192.0.2.1", "2001:db8::1", "0.0.0.0"])
def test_other_addresses_are_not_loopback(host: str) -> None:
    assert not is_loopback_host(host)


def test_a_remote_target_is_refused_with_the_flag_to_pass() -> None:
    with pytest.raises(UsageError) as info:
        require_loopback("http://192.0.2.10:8080", allow_remote=False)
    assert "'192.0.2.10' is not a loopback address" in str(info.value) and "--allow-remote" in str(info.value)


def test_allow_remote_lets_a_remote_target_through() -> None:
    require_loopback("http://192.0.2.10:8080", allow_remote=True)


def test_an_unresolvable_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="cannot resolve"):
        require_loopback("http://no-such-host.invalid", allow_remote=False)
