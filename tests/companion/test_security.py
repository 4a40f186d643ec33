"""The security contract (design §6): Host and Origin allowlists, token, pairing, limits, no debug."""

from __future__ import annotations

import hmac
import logging
import stat
import time
import types
import uuid

import pytest
from click.testing import CliRunner

import companion.security as security
from companion.cli import main
from companion.config import Paths
from companion.security import CHROMIUM_ORIGIN, PAIRING_TTL, Pairing
from tests.conftest import PORT, Api, make_app

ERROR_KEYS = {"ok", "status", "error", "errors"}
TIPS = {"url": "https://mail.example.com/", "title": "Email filters", "text": "Learn email filters in a few steps."}
PROTECTED = [
    ("POST", "/tips", TIPS),
    ("GET", "/lessons/lesson-0", None),
    ("POST", "/lessons/lesson-0/check", {"answer": 0}),
    ("POST", "/events", {"events": [{"id": "event-0001", "type": "shown", "lesson_id": "lesson-0"}]}),
    ("GET", "/progress", None),
    ("GET", "/roles", None),
    ("GET", "/dashboard", None),
]


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == ERROR_KEYS and body["ok"] is False and body["status"] == status and body["error"]
    return body


def data_dir(api: Api):
    return api.app.extensions["inflow"].settings.data_dir


def pairing_file(api: Api):
    return Paths(data_dir(api)).pairing


# --- Origin ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [
    "http://evil.example",
    "http://127.0.0.1:9999",                                   # a web page served on this machine
    f"http://127.0.0.1:{PORT}",
    "chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",   # another extension
    CHROMIUM_ORIGIN + ".evil.example",
    "null",
])
def test_foreign_origin_is_refused_without_cors_grant(api, origin):
    for method, path in [("POST", "/tips"), ("GET", "/health"), ("POST", "/pair"), ("OPTIONS", "/tips")]:
        response = api.open(method, path, json=TIPS if method == "POST" else None, headers={"Origin": origin})
        assert_error(response, 403)
        assert "Access-Control-Allow-Origin" not in response.headers


def test_extension_origin_gets_a_cors_grant(api):
    response = api.post("/tips", json=TIPS)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == CHROMIUM_ORIGIN
    preflight = api.open("OPTIONS", "/tips", headers={"Authorization": None,
                                                      "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == CHROMIUM_ORIGIN
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_configured_firefox_origin_is_accepted(tmp_path, content, fake_embedder):
    firefox = "moz-extension://0b1c2d3e-1111-2222-3333-444455556666"
    api = Api(make_app(tmp_path / "data", content.root, fake_embedder, extra_origins=(firefox,)))
    response = api.get("/roles", headers={"Origin": firefox})
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == firefox


def test_requests_without_origin_are_allowed_with_token(api):
    response = api.get("/roles", headers={"Origin": None})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert_error(api.get("/roles", headers={"Origin": None, "Authorization": None}), 401)


# --- Host (DNS rebinding) --------------------------------------------------------------------------


@pytest.mark.parametrize("host", [f"evil.example:{PORT}", "127.0.0.1:9999", "127.0.0.1", "localhost",
                                  f"attacker.localhost:{PORT}", "attacker.localhost", f"127.0.0.2:{PORT}",
                                  f"0.0.0.0:{PORT}", f"127.0.0.1.evil.example:{PORT}"])
def test_rebinding_host_is_refused(api, host):
    for path in ["/health", "/roles"]:
        response = api.get(path, headers={"Host": host})
        assert_error(response, 403)
        assert "lessons" not in response.get_json()


@pytest.mark.parametrize("host", [f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"[::1]:{PORT}"])
def test_loopback_hosts_on_our_port_are_accepted(api, host):
    assert api.get("/roles", headers={"Host": host}).status_code == 200


# --- bearer token ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method, path, body", PROTECTED)
def test_protected_routes_need_the_bearer_token(api, method, path, body):
    token = api.token
    refused = {
        "no header": ({"Authorization": None}, None),
        "wrong token": ({"Authorization": "Bearer " + "x" * len(token)}, None),
        "token in the query string": ({"Authorization": None}, {"token": token, "access_token": token}),
        "basic scheme": ({"Authorization": f"Basic {token}"}, None),
        "no scheme": ({"Authorization": token}, None),
        "truncated token": ({"Authorization": f"Bearer {token[:-1]}"}, None),
        "empty bearer": ({"Authorization": "Bearer "}, None),
    }
    for case, (headers, query) in refused.items():
        response = api.open(method, path, json=body, headers=headers, query_string=query)
        assert response.status_code == 401, case
        assert_error(response, 401)
    assert api.events.query("SELECT COUNT(*) FROM events")[0][0] == 0


@pytest.mark.parametrize("method, path, body", PROTECTED)
def test_protected_routes_work_with_the_token(api, method, path, body):
    expected = 404 if path.endswith("/check") else 200  # lesson-0 has no knowledge check
    assert api.open(method, path, json=body).status_code == expected


def test_health_and_pair_are_open(api):
    assert api.get("/health", headers={"Authorization": None}).status_code == 200
    assert api.get("/openapi.json", headers={"Authorization": None}).status_code == 200
    assert_error(api.post("/pair", json={"code": "000000"}, headers={"Authorization": None}), 403)


def test_token_is_compared_in_constant_time(api, monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    assert api.get("/roles").status_code == 200
    assert_error(api.get("/roles", headers={"Authorization": "Bearer nope"}), 401)
    assert (api.token.encode(), api.token.encode()) in calls
    assert (b"nope", api.token.encode()) in calls


def test_token_file_is_private_and_stable(api, tmp_path, content, fake_embedder):
    path = Paths(data_dir(api)).token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == api.token and len(api.token) >= 32
    again = make_app(data_dir(api), content.root, fake_embedder)
    assert again.extensions["inflow"].token == api.token, "a restart keeps the paired extension working"
    other = make_app(tmp_path / "other", content.root, fake_embedder)
    assert other.extensions["inflow"].token != api.token


def test_token_appears_only_in_the_pair_response_and_never_in_logs(api, caplog):
    caplog.set_level(logging.DEBUG)
    code = Pairing(pairing_file(api)).issue()
    responses = [
        api.get("/health"), api.get("/openapi.json"), api.get("/roles"), api.get("/progress"),
        api.get("/dashboard"), api.get("/lessons/lesson-0"), api.post("/tips", json=TIPS),
        api.post("/events", json={"events": [{"id": uuid.uuid4().hex, "type": "shown", "lesson_id": "lesson-0"}]}),
        api.get("/nope"), api.post("/tips", json={"bad": 1}), api.get("/roles", headers={"Host": "evil.example"}),
        api.get("/roles", headers={"Authorization": "Bearer wrong"}), api.open("OPTIONS", "/tips"),
    ]
    for response in responses:
        assert api.token not in response.get_data(as_text=True)
        assert all(api.token not in value for value in response.headers.values())
    paired = api.post("/pair", json={"code": code}, headers={"Authorization": None})
    assert paired.get_json()["token"] == api.token
    assert api.token not in caplog.text
    assert code not in caplog.text


# --- pairing ---------------------------------------------------------------------------------------


def pair(api: Api, code):
    return api.post("/pair", json={"code": code}, headers={"Authorization": None})


def other_code(code: str, n: int = 1) -> str:
    return f"{(int(code) + n) % 1_000_000:06d}"


def test_pairing_code_works_once(api):
    code = Pairing(pairing_file(api)).issue()
    assert stat.S_IMODE(pairing_file(api).stat().st_mode) == 0o600
    assert code not in pairing_file(api).read_text(), "only a salted digest of the code is stored"
    first = pair(api, code)
    assert first.status_code == 200 and first.get_json() == {"ok": True, "token": api.token}
    assert api.get("/roles", headers={"Authorization": f"Bearer {first.get_json()['token']}"}).status_code == 200
    assert "token" not in assert_error(pair(api, code), 403)


def test_a_new_code_replaces_the_old_one(api):
    old = Pairing(pairing_file(api)).issue()
    new = Pairing(pairing_file(api)).issue()
    if old != new:
        assert_error(pair(api, old), 403)
    assert pair(api, new).status_code == 200


def test_expired_code_is_refused(api, monkeypatch):
    code = Pairing(pairing_file(api)).issue()
    later = time.time() + PAIRING_TTL + 1
    monkeypatch.setattr(security, "time", types.SimpleNamespace(time=lambda: later, monotonic=time.monotonic))
    body = assert_error(pair(api, code), 403)
    assert "expired" in body["error"] and "token" not in body
    assert not pairing_file(api).exists()


def test_zero_ttl_code_is_refused(api):
    code = Pairing(pairing_file(api), ttl=0).issue()  # `inflow pair` with no lifetime, same file
    assert_error(pair(api, code), 403)


def test_five_wrong_codes_kill_even_the_right_one(api):
    code = Pairing(pairing_file(api)).issue()
    for n in range(1, 6):
        assert_error(pair(api, other_code(code, n)), 403)
    assert_error(pair(api, code), 403)


def test_four_wrong_codes_still_leave_the_right_one(api):
    code = Pairing(pairing_file(api)).issue()
    for n in range(1, 5):
        assert_error(pair(api, other_code(code, n)), 403)
    assert pair(api, code).status_code == 200


def test_no_active_code_is_refused(api):
    assert not pairing_file(api).exists()
    assert_error(pair(api, "123456"), 403)


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12 345", " 123456", "12345\n", "",
                                  "١٢٣٤٥٦", "¹²³⁴⁵⁶", 123456, None, ["123456"]])
def test_malformed_code_is_400_and_costs_no_attempt(api, code):
    real = Pairing(pairing_file(api)).issue()
    body = assert_error(pair(api, code), 400)
    assert body["errors"] and body["errors"][0].startswith("code:")
    for n in range(1, 5):
        pair(api, other_code(real, n))
    assert pair(api, real).status_code == 200, "malformed codes must not count as wrong guesses"


def test_pair_body_must_be_a_json_object(api):
    assert_error(api.post("/pair", data="code=123456", headers={"Authorization": None,
                                                                "Content-Type": "application/x-www-form-urlencoded"}), 400)
    assert_error(pair(api, None), 400)


def test_pairing_attempts_are_rate_limited(api):
    code = Pairing(pairing_file(api)).issue()
    limit = api.app.extensions["inflow"].settings.pair_attempts_per_minute
    assert 0 < limit <= 10, "brute force must stay hopeless against a 6-digit code"
    for _ in range(limit):
        assert_error(pair(api, "x"), 400)
    assert_error(pair(api, code), 429)
    assert api.get("/health").status_code == 200, "other routes are not affected"


def test_requests_are_rate_limited(tmp_path, content, fake_embedder):
    api = Api(make_app(tmp_path / "data", content.root, fake_embedder, requests_per_minute=5))
    for _ in range(5):
        assert api.get("/roles").status_code == 200
    assert_error(api.get("/roles"), 429)


# --- limits, CLI, debug ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/tips", "/events", "/pair"])
def test_body_over_64_kib_is_413_json(api, path):
    big = '{"url": "https://a.example/", "text": "' + "a" * (64 * 1024) + '"}'
    response = api.post(path, data=big, headers={"Content-Type": "application/json"})
    assert_error(response, 413)


def test_body_just_under_the_limit_is_read(api):
    body = '{"url": "https://a.example/", "text": "' + "a " * 15_000 + '"}'
    assert len(body) < 64 * 1024
    response = api.post("/tips", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["errors"][0].startswith("text:")


@pytest.fixture
def no_waitress(monkeypatch):
    import waitress

    calls = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kwargs: calls.append(kwargs))
    monkeypatch.setenv("INFLOW_MODEL", "fake")
    return calls


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_cli_refuses_a_non_loopback_host(tmp_path, content, no_waitress, host):
    result = CliRunner().invoke(main, ["serve", "--host", host, "--content", str(content.root),
                                       "--data-dir", str(tmp_path / "data"), "--no-watch"])
    assert result.exit_code != 0
    assert f"refusing to listen on {host}" in result.output and "--allow-non-loopback" in result.output
    assert no_waitress == [] and not (tmp_path / "data").exists()


def test_cli_serves_on_loopback(tmp_path, content, no_waitress):
    result = CliRunner().invoke(main, ["serve", "--content", str(content.root), "--data-dir",
                                       str(tmp_path / "data"), "--no-watch", "--port", "8799"])
    assert result.exit_code == 0, result.output
    assert [(c["host"], c["port"]) for c in no_waitress] == [("127.0.0.1", 8799)]
    token = Paths(tmp_path / "data").token.read_text().strip()
    assert token not in result.output


def test_app_never_runs_in_debug_mode(app, tmp_path, content, fake_embedder, monkeypatch):
    assert app.debug is False
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert make_app(tmp_path / "debug", content.root, fake_embedder).debug is False
