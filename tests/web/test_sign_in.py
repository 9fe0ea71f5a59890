"""Signing in and out: argon2 passwords, the signed cookie, CSRF on forms and API writes,
throttling with Retry-After."""

from __future__ import annotations

import subprocess
import sys

from web.support import PASSWORD, signed_in


def _form(client, email, password, token):
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": token, "next": "/queue"},
    )


def test_sign_in_sets_a_signed_http_only_same_site_cookie(app):
    client = signed_in(app, None)
    response = _form(client, "ANA@seller.example ", PASSWORD, client.csrf)
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie
    assert client.get("/queue").status_code == 200


def test_a_wrong_password_or_a_tampered_cookie_gets_nowhere(app):
    client = signed_in(app, None)
    refused = _form(client, "ana@seller.example", "not the password", client.csrf)
    assert refused.status_code == 401 and "do not match" in refused.text
    good = signed_in(app, "ana@seller.example")
    value = good.cookies.get("salesrelay_session")
    good.cookies.set("salesrelay_session", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert good.get("/queue").status_code == 303


def test_forms_without_their_csrf_token_are_refused(app, world):
    client = signed_in(app, "ana@seller.example")
    path = f"/journeys/{world.own_journey}/touches"
    assert client.post(path, data={"channel": "call"}).status_code == 403
    assert client.post(path, data={"channel": "call", "csrf_token": "forged"}).status_code == 403
    assert client.post(path, data={"channel": "call", "csrf_token": client.csrf}).status_code == 303
    # The JSON API takes the cookie too, but a write must carry the token in a header.
    api = f"/api/v1/journeys/{world.own_journey}/touches"
    assert client.post(api, json={"channel": "call"}).status_code == 403
    ok = client.post(api, json={"channel": "call"}, headers={"X-CSRF-Token": client.csrf})
    assert ok.status_code == 201
    # Signing in needs the token as well, so no other site can sign someone in.
    anonymous = signed_in(app, None)
    assert _form(anonymous, "ana@seller.example", PASSWORD, "forged").status_code == 403


def test_sign_out_ends_the_session_and_every_older_copy_of_its_cookie(app):
    client = signed_in(app, "mia@seller.example")
    stolen = client.cookies.get("salesrelay_session")
    response = client.post("/sign-out", data={"csrf_token": client.csrf})
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    assert client.get("/dashboard").status_code == 303
    thief = signed_in(app, None)
    thief.cookies.set("salesrelay_session", stolen)
    assert thief.get("/dashboard").status_code == 303
    assert signed_in(app, "mia@seller.example").get("/dashboard").status_code == 200


def test_repeated_failures_are_throttled_with_retry_after(app):
    client = signed_in(app, None)
    statuses = [
        _form(client, "ana@seller.example", f"guess {n}", client.csrf).status_code for n in range(6)
    ]
    assert statuses[:4] == [401] * 4 and statuses[4:] == [429, 429]
    blocked = _form(client, "ana@seller.example", PASSWORD, client.csrf)
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins" in blocked.text
    # Another address is not locked out by someone guessing Ana's password.
    assert _form(client, "mia@seller.example", PASSWORD, client.csrf).status_code == 303


def test_the_next_page_after_sign_in_stays_on_this_site(app):
    for target, landing in (
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
        ("/team?page=2", "/team?page=2"),
    ):
        client = signed_in(app, None)
        response = client.post(
            "/sign-in",
            data={
                "email": "ana@seller.example",
                "password": PASSWORD,
                "csrf_token": client.csrf,
                "next": target,
            },
        )
        assert response.headers["location"] == landing, target


def test_users_create_prints_a_generated_password_once(settings_env, world):
    command = [
        sys.executable,
        "-m",
        "salesrelay",
        "users",
        "create",
        "--role",
        "admin",
        "--email",
        "Boss@Seller.example",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Created admin boss@seller.example" in done.stdout
    assert "Password (shown once):" in done.stdout
    again = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "already exists" in again.stderr + again.stdout
    bad = subprocess.run(
        [*command[:6], "root", "--email", "x@y.example"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 1 and "role" in bad.stderr + bad.stdout
