"""The launched service's command line: placeholders, the HTTPS scheme and where its CA is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackcheck._exceptions import UsageError
from stackcheck.infra.launch import LaunchedService
from stackcheck.profile.models import ServiceSection


def launched(tmp_path: Path, **section: object) -> LaunchedService:
    profile = tmp_path / "p.yaml"
    profile.write_text("name: p\n")
    return LaunchedService(ServiceSection.model_validate(section), {}, profile, "/health", {})


def test_an_https_service_gets_a_tls_folder_a_plain_port_and_its_ca(tmp_path: Path) -> None:
    service = launched(
        tmp_path,
        command=["./app", "--port", "{port}", "--tls-dir", "{tls_dir}", "--http-port", "{http_port}"],
        scheme="https",
        ca_bundle="{tls_dir}/ca.pem",
    )
    tls_dir = Path(service.argv[4])
    assert service.url == f"https://127.0.0.1:{service.port}"
    assert tls_dir.is_dir() and service.ca_bundle == str(tls_dir / "ca.pem")
    assert service.http_port == int(service.argv[6]) != service.port
    service.stop()
    assert not tls_dir.exists()


def test_a_plain_service_has_no_plain_port_to_check_and_no_ca(tmp_path: Path) -> None:
    service = launched(tmp_path, command=["./app", "--port", "{port}"])
    assert service.url.startswith("http://") and service.http_port is None and service.ca_bundle is None
    service.stop()


def test_an_unknown_placeholder_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"unknown placeholder \{tls\}") as caught:
        launched(tmp_path, command=["./app", "{tls}"])
    assert "{tls_dir}" in str(caught.value.hint) and "{http_port}" in str(caught.value.hint)
