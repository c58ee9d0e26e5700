"""Pure rules of the cors, exposure and metrics probes."""

from __future__ import annotations

from stackcheck.probes.cors import FOREIGN_ORIGIN, foreign_origins, grant_of, missing_grants
from stackcheck.probes.exposure import SENSITIVE_PATHS, Answer, exposed, leaks, refused_all
from stackcheck.probes.metrics import find_family, latency_histogram, parse_exposition, unit_scale_ms


def test_foreign_origins_include_look_alikes_but_never_an_allowed_origin() -> None:
    origins = foreign_origins(["https://app.example.com", "http://legacy.example.com"])
    assert origins[:2] == [FOREIGN_ORIGIN, "null"]
    assert "https://app.example.com.stackcheck.invalid" in origins
    assert "https://stackcheck-app.example.com" in origins
    assert "http://app.example.com" in origins
    assert "http://legacy.example.com" not in origins


def test_grants_and_the_wildcard_credentials_combination() -> None:
    assert grant_of("https://x", {"access-control-allow-origin": "https://x"}).granted
    assert grant_of("null", {"access-control-allow-origin": "null"}).granted
    star = grant_of(
        "https://x", {"access-control-allow-origin": "*", "access-control-allow-credentials": "true"}
    )
    assert star.granted and star.wildcard_with_credentials
    assert not grant_of("https://x", {"access-control-allow-origin": "https://y"}).granted
    assert not grant_of("https://x", {}).granted


def test_preflight_grants_must_cover_method_and_headers() -> None:
    ok = {"access-control-allow-methods": "GET, PUT", "access-control-allow-headers": "Content-Type"}
    assert missing_grants("PUT", ["content-type"], ok) == []
    assert missing_grants("GET", [], {}) == []  # safelisted method
    assert missing_grants("DELETE", ["x-token"], ok) == [
        "Access-Control-Allow-Methods lacks DELETE",
        "Access-Control-Allow-Headers lacks x-token",
    ]


def test_exposure_counts_real_content_not_catch_all_pages() -> None:
    missing = Answer(404, "not found")
    spa = Answer(200, "<html>app</html>")
    env = Answer(200, "APP_ENV=production\nSECRET=x\n")
    sig = SENSITIVE_PATHS["/.env"]
    assert exposed("/.env", env, missing, sig)
    assert not exposed("/.env", Answer(404, ""), missing, sig)
    assert not exposed("/.env", spa, spa, sig)  # an SPA answers 200 to everything
    assert exposed("/.env", env, spa, sig)
    assert exposed("/secret.txt", Answer(200, "x"), missing, None)
    assert not exposed("/secret.txt", spa, spa, None)


def test_leak_signatures() -> None:
    assert leaks('Traceback (most recent call last):\n  File "/app/main.py", line 3') == ["Python traceback"]
    assert leaks("at com.acme.Api.get(Api.java:42)") == ["Java stack trace"]
    assert leaks("goroutine 1 [running]:") == ["Go panic"]
    assert leaks("<hr><center>nginx/1.22.1</center>") == ["server version"]
    assert leaks("<center>nginx</center>") == []


EXPOSITION = """\
# HELP http_requests_total Requests
# TYPE http_requests_total counter
http_requests_total{path="/"} 3
# TYPE in_flight gauge
in_flight 1
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 1
http_request_duration_seconds_bucket{le="0.2"} 2
http_request_duration_seconds_bucket{le="+Inf"} 3
http_request_duration_seconds_count 3
http_request_duration_seconds_sum 0.4
"""


def test_exposition_families_types_and_histogram_buckets() -> None:
    families = parse_exposition(EXPOSITION).families
    counter = find_family(families, "http_requests_total")
    assert counter is not None and counter.type == "counter"
    assert find_family(families, "http_request_duration_seconds_count") is not None
    assert find_family(families, "nope") is None
    histogram = latency_histogram(families, None)
    assert histogram is not None and histogram.boundaries == (0.1, 0.2)
    assert latency_histogram(families, "in_flight") is None
    assert unit_scale_ms("request_latency_ms") == 1.0 and unit_scale_ms(histogram.name) == 1000.0


def test_nothing_seen_only_when_the_root_and_every_probe_are_refused() -> None:
    assert refused_all(200, [403, 403, 404]) is None  # / answers: the 403s hide the paths
    assert refused_all(400, [400, 400, 200]) is None  # something was served
    assert refused_all(404, [404, 404]) is None  # not found is an answer about the paths
    why = refused_all(400, [400, 400])
    assert why is not None and "answered 400" in why
    assert refused_all(401, [403, 401]) == refused_all(403, [401]) is not None
