"""Findings of the security probe that are about requests and cookies (issue 11).

* deeply nested JSON in an API body gave a 500 (RecursionError): now a 400 with the reason;
* the ``remember_token`` cookie had no SameSite;
* ``/login`` was a 404.
"""
from __future__ import annotations

import json

import pytest

from factcheck.services.users import create_token
from factcheck.web.json_limits import MAX_JSON_DEPTH, json_depth
from tests.conftest import Browser


def test_json_depth_counts_brackets_outside_strings():
    assert json_depth(b'"just a string"') == 0
    assert json_depth(b'{"a": [1, 2, {"b": []}]}') == 4
    assert json_depth(b'{"text": "[[[[[[[[[[ \\" {{{{ "}') == 1
    assert json_depth(json.dumps({"t": "]" * 50 + "[" * 50}).encode()) == 1
    assert json_depth(b"[" * 5000) == 5000  # malformed, measured anyway


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000])
@pytest.mark.parametrize("url", ["/api/v1/articles", "/api/v1/fact-checks", "/api/v1/sources",
                                 "/api/v1/claims/1/transitions", "/api/v1/articles/fetch"])
def test_deeply_nested_json_is_a_400_with_the_reason(app, session, users, url, depth):
    token = create_token(session, user=users["checker"], name="tests")
    body = '{"title": "x", "text": ' + "[" * depth + "]" * depth + "}"
    response = app.test_client().post(url, data=body, content_type="application/json",
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"].startswith(f"The JSON body is nested {depth + 1} levels deep")
    # Without a token the depth is refused all the same, before anything parses the body.
    response = app.test_client().post(url, data=body, content_type="application/json")
    assert response.status_code == 400


def test_json_within_the_limit_still_works(app, session, users):
    token = create_token(session, user=users["checker"], name="tests")
    nested = {"deep": None}
    for _ in range(MAX_JSON_DEPTH - 2):
        nested = {"deep": nested}
    response = app.test_client().post("/api/v1/fact-checks", headers={"Authorization": f"Bearer {token}"}, json={
        "claim_reviewed": "Ports moved 4 million containers.", "rating": "False",
        "url": "https://checks.example/ports", "extra": nested})
    assert response.status_code in (201, 422), response.get_json()
    assert "nested" not in response.get_json().get("error", "")


def _set_cookies(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


@pytest.mark.parametrize("production", [False, True])
def test_every_cookie_is_samesite_lax_and_secure_in_production(app, users, production):
    app.config.update(SESSION_COOKIE_SECURE=production, REMEMBER_COOKIE_SECURE=production)
    browser = Browser(app)
    page = browser.client.get("/auth/login")
    response = browser.client.post("/auth/login", data={
        "email": "checker@example.org", "password": "correct horse battery", "remember": "1",
        "csrf_token": browser._TOKEN.search(page.get_data(as_text=True)).group(1)})
    assert response.status_code == 303
    cookies = _set_cookies(page) + _set_cookies(response)
    names = {cookie.split("=", 1)[0] for cookie in cookies}
    assert {"session", "remember_token"} <= names
    for cookie in cookies:
        attributes = [part.strip().lower() for part in cookie.split(";")]
        assert "samesite=lax" in attributes, cookie
        assert "httponly" in attributes, cookie
        assert ("secure" in attributes) is production, cookie


def test_production_settings_make_cookies_secure():
    from factcheck.config import Settings

    settings = Settings.from_env(environ={}, env="production", secret_key="k" * 40,
                                 database_url="postgresql://u:p@db/factcheck")
    assert settings.session_cookie_secure is True


def test_login_shortcut_redirects_to_the_login_page_keeping_next(app):
    client = app.test_client()
    response = client.get("/login")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    response = client.get("/login?next=/claims/3")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login?next=/claims/3"
    assert client.get(response.headers["Location"]).status_code == 200
