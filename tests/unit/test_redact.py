"""The one redaction layer: credential shapes, learned values, command lines, keyed tags, the guard."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from stackcheck._exceptions import ProfileError
from stackcheck.profile import load_profile
from stackcheck.redact import MASK, Redactor, credentials_in, literal_credential, redact_url, secret_tag
from stackcheck.scan.bandit import parse_bandit
from stackcheck.scan.secrets import parse_detect_secrets

PW = "Pl4nted-" + "pw-c0ffee"  # built at run time: this file holds no secret of its own


@pytest.mark.parametrize(
    "text",
    [
        f"http://user:{PW}@127.0.0.1:8080",
        f"HTTPS://user:{PW}@127.0.0.1:8443/path?x=1",
        f"postgresql://u@h/db?password={PW}",
        f"postgresql://u@h/db?sslmode=require&PassWord={PW}",
        f"redis://127.0.0.1:6379/0?password={PW}",
        f"http://127.0.0.1/x?pass={PW}",
        f"http://127.0.0.1/x?pwd={PW}#frag",
        f"http://127.0.0.1/x?Token={PW}",
        f"http://127.0.0.1/x?secret={PW}&y=2",
        f"http://127.0.0.1/x?api_key={PW}",
        f"postgresql://u@h/db?sslpassword={PW}",
        f"host=127.0.0.1 port=5432 password={PW} dbname=app",
        f"host=127.0.0.1 password='{PW} with space' dbname=app",
        f"host=127.0.0.1 sslpassword={PW}",
        f"connect failed: postgresql://app:{PW}@db:5432/app refused",
        f"Authorization: Bearer {PW}",
        f"password: '{PW}'",
    ],
)
def test_every_credential_shape_is_masked_and_masking_twice_changes_nothing(text: str) -> None:
    red = Redactor()
    once = red.text(text)
    assert PW not in once and red.text(once) == once


def test_the_user_and_host_stay_visible_and_references_are_not_literal_credentials() -> None:
    assert redact_url(f"http://user:{PW}@127.0.0.1:8080") == "http://user:***@127.0.0.1:8080"
    assert redact_url("postgresql://u@h/db?password=x&sslmode=require") == (
        "postgresql://u@h/db?password=***&sslmode=require"
    )
    reference = "postgresql://app:${PGPASSWORD}@db/app?password=${PGPASSWORD}"
    # A reference is no literal credential (the guard accepts it), but is masked like one all the same.
    assert not literal_credential(reference) and "PGPASSWORD" not in redact_url(reference)
    assert Redactor().text("token: none") == "token: none"  # short words after a keyword are not secrets


def test_a_password_with_apostrophes_at_signs_and_colons_is_masked_whole() -> None:
    tricky = "it's:a@b'c"
    assert tricky in credentials_in(f"redis://:{tricky}@127.0.0.1:6379/0")
    red = Redactor()
    red.learn(f"redis://:{tricky}@127.0.0.1:6379/0")
    assert red.text(f"echoed {tricky} bare") == f"echoed {MASK} bare"


def test_learned_values_are_masked_bare_and_percent_decoded() -> None:
    red = Redactor()
    red.learn(f"http://u:{PW}%21@127.0.0.1:1", None, "")
    assert red.text(f"the server said {PW}! twice") == f"the server said {MASK} twice"


def test_a_command_line_is_redacted_argument_by_argument_before_quoting() -> None:
    argv = ["stackcheck", "verify", "--set", f"postgres.dsn=host=h password=it's-{PW}", "--target"]
    argv.append(f"http://u:{PW}@127.0.0.1:1")
    line = Redactor().command(argv)
    assert PW not in line and "it" not in line.split("password=")[1][:4]
    assert "http://u:***@127.0.0.1:1" in line


def test_evidence_keys_named_like_credentials_hide_their_value() -> None:
    data = Redactor().data({"password": PW, "sslpassword": "${X}", "rows": [{"Token": PW}], "passed": "x"})
    assert PW not in json.dumps(data) and data["sslpassword"] == "***" and data["passed"] == "x"


def test_secret_tags_are_keyed_per_run_not_a_hash_prefix_a_dictionary_reverses() -> None:
    sha1 = hashlib.sha1(b"postgres").hexdigest()
    tag = secret_tag(sha1)
    assert len(tag) == 12 and tag == secret_tag(sha1) and tag not in sha1
    assert tag not in (hashlib.sha256(b"postgres").hexdigest(), hashlib.md5(b"postgres").hexdigest())


def test_detect_secrets_output_keeps_no_hash_of_the_secret() -> None:
    sha1 = hashlib.sha1(b"postgres").hexdigest()
    baseline = {"results": {"a.env": [{"type": "Secret Keyword", "line_number": 3, "hashed_secret": sha1}]}}
    (finding,) = parse_detect_secrets(json.dumps(baseline))
    assert sha1[:8] not in finding.message and "secret tag" in finding.message
    # The fingerprint is stable across runs (waivers name it) and does not depend on the secret.
    other = json.dumps(baseline).replace(sha1, hashlib.sha1(b"hunter2").hexdigest())
    assert parse_detect_secrets(other)[0].fingerprint == finding.fingerprint


def test_bandit_password_with_an_apostrophe_is_masked_whole_and_learned() -> None:
    secret = f"it's-{PW}"
    output = {
        "results": [
            {
                "test_id": "B105",
                "test_name": "hardcoded_password_string",
                "issue_text": f"Possible hardcoded password: '{secret}'",
                "issue_severity": "LOW",
                "issue_confidence": "MEDIUM",
                "filename": "/nonexistent/app.py",
                "line_number": 2,
            }
        ],
        "errors": [],
    }
    findings, secrets, _ = parse_bandit(json.dumps(output))
    assert secrets == {secret}
    assert PW not in findings[0].message and "s-" not in findings[0].message
    assert findings[0].message.startswith("Possible hardcoded password: '***'")


@pytest.mark.parametrize(
    "option",
    [
        f"postgres.dsn=postgresql://app:{PW}@127.0.0.1:5432/app",
        f"postgres.dsn=postgresql://app@127.0.0.1:5432/app?password={PW}",
        f"postgres.dsn=host=127.0.0.1 password={PW}",
        f"redis.url=redis://127.0.0.1:6379/0?Password={PW}",
        f"redis.url=redis://:{PW}@127.0.0.1:6379/0",
    ],
)
def test_the_literal_password_guard_refuses_every_form_and_its_refusal_masks_it(
    tmp_path: Path, option: str
) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("name: p\npostgres: {}\nredis: {}\n")
    with pytest.raises(ProfileError) as caught:
        load_profile(profile, [option])
    assert "literal password" in str(caught.value)
    assert PW not in Redactor().text(str(caught.value))


def test_the_guard_accepts_references_in_every_form(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "name: p\npostgres: {dsn: 'postgresql://app@h/app?password=${PGPASSWORD}'}\n"
        "redis: {url: 'redis://:${REDIS_PASSWORD}@127.0.0.1:6379/0'}\n"
    )
    assert load_profile(profile).profile.postgres is not None
