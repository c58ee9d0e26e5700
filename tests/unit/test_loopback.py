"""One loopback guard for every probe that sends bursts or load, and one free_port."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from stackcheck import UsageError
from stackcheck.load import safety
from stackcheck.probes.loopback import LOAD_REFUSAL, free_port, is_loopback_host, require_loopback


def _resolving_to(*addresses: str) -> Any:
    def fake(host: str, port: object, *args: object, **kwargs: object) -> list[tuple[Any, ...]]:
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (a, 0)) for a in addresses]

    return fake


def _url(host: str) -> str:
    return f"http://[{host.strip('[]')}]:8080" if ":" in host else f"http://{host}:8080"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.5.5.5", "::1", "[::1]", "::ffff:127.0.0.1", "localhost"])
def test_loopback_addresses_and_names_pass(host: str) -> None:
    assert is_loopback_host(host)
    require_loopback(_url(host), False)


@pytest.mark.parametrize("host", ["10.0.0.1", "192.0.2.1", "::ffff:192.0.2.1", "2001:db8::1", "0.0.0.0"])
def test_other_addresses_are_refused(host: str) -> None:
    assert not is_loopback_host(host)
    with pytest.raises(UsageError, match=r"not a loopback address.*--allow-remote"):
        require_loopback(_url(host), False, "the probe")


def test_a_name_resolving_elsewhere_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _resolving_to("192.0.2.7"))
    assert not is_loopback_host("staging.example")
    with pytest.raises(UsageError, match=r"staging\.example, which is not a loopback address"):
        require_loopback("https://staging.example", False, "the rate-limit probe")


def test_a_name_resolving_to_loopback_and_elsewhere_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _resolving_to("127.0.0.1", "192.0.2.7"))
    assert not is_loopback_host("split.example")


def test_an_unresolvable_name_is_not_loopback_and_refused_as_such() -> None:
    assert not is_loopback_host("no-such-host.invalid")
    with pytest.raises(UsageError, match=r"cannot resolve the target host 'no-such-host\.invalid'"):
        require_loopback("http://no-such-host.invalid", False)


def test_allow_remote_lets_any_host_through_without_resolving_it() -> None:
    require_loopback("http://192.0.2.1:8080", True)
    require_loopback("http://no-such-host.invalid", True)


def test_a_url_without_host_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"has no host"):
        require_loopback("http://:8080", False)


def test_load_words_the_same_rule_for_load() -> None:
    assert safety.is_loopback_host is is_loopback_host
    with pytest.raises(UsageError) as info:
        safety.require_loopback("192.0.2.10:5557", False, what="master")
    assert str(info.value).startswith(LOAD_REFUSAL.line.format(what="master", host="192.0.2.10"))
    safety.require_loopback("[::ffff:127.0.0.1]:5557", False, what="master")


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_free_port_is_bindable_on_its_host(host: str) -> None:
    port = free_port(host)
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, port))
