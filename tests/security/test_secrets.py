"""Secrets never reach logs, error answers or the CLI's output: an API key, a user's
password, the session-signing secret key, the intake signing secret and the database
password, while the app is driven through successes and failures by a real server with
every `salesrelay` and `uvicorn` logger at DEBUG."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

import httpx
import orjson
import pytest
import uvicorn

from factories import api_key, four_role_team, install_template
from salesrelay.app import create_app
from salesrelay.config import Settings
from salesrelay.notify import webhook
from web.support import CSRF, add_user

PASSWORD = "Correct-Horse-7a1f9c2e"
SECRET_KEY = "session-secret-5b6e0d9a7c"
SIGNING_SECRET = "intake-signing-secret-3f8d2a"
DB_PASSWORD = "database-password-9c4e1b"


def leaked(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


@pytest.fixture
def server(database_url, factory):
    """The app behind a real uvicorn in a thread, with its access log on."""
    app = create_app(
        Settings(
            database_url=database_url,
            environment="test",
            secret_key=SECRET_KEY,
            intake_signing_secret=SIGNING_SECRET,
            api_key_rate_per_second=0.001,
            api_key_burst=40,
        )
    )
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, log_level="debug", access_log=True
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started and thread.is_alive():
        time.sleep(0.02)
    port = running.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(30)
    app.state.engine.dispose()


def test_keys_passwords_and_secrets_stay_out_of_logs_and_answers(server, factory, caplog):
    caplog.set_level(logging.DEBUG, logger="salesrelay")
    caplog.set_level(logging.DEBUG, logger="uvicorn")
    install_template(factory)
    four_role_team(factory)
    add_user(factory, "ana@seller.example", "rep", "ana@seller.example")
    from salesrelay.db import transaction
    from salesrelay.users import service as user_service

    with transaction(factory) as session:
        user = user_service.get_by_email(session=session, email="ana@seller.example")
        user.password_hash = user_service.hash_password(PASSWORD)
    key, read_key = api_key(factory, "admin"), api_key(factory, "read")
    secrets = [key, read_key, PASSWORD, SECRET_KEY, SIGNING_SECRET]
    answers = []
    with httpx.Client(base_url=server, follow_redirects=False, timeout=30) as client:

        def send(method, path, **kwargs):
            answers.append(client.request(method, path, **kwargs))
            return answers[-1]

        bearer = {"Authorization": f"Bearer {key}"}
        body = orjson.dumps({"email": "jo@acme.example", "company": "Acme"})
        stamp = str(int(time.time()))
        signed = {
            webhook.TIMESTAMP_HEADER: stamp,
            webhook.SIGNATURE_HEADER: "sha256=" + webhook.sign(SIGNING_SECRET, stamp, body),
            "Content-Type": "application/json",
        }
        assert send("POST", "/api/v1/leads", content=body, headers={**bearer, **signed}).is_success
        assert send("GET", "/api/v1/journeys", headers=bearer).status_code == 200
        # Failures with the key: unsigned, wrongly signed, mangled, wrong scheme, wrong scope,
        # bad input holding the secrets, too many requests.
        assert send("POST", "/api/v1/leads", content=body, headers=bearer).status_code == 401
        forged = {**signed, webhook.SIGNATURE_HEADER: "sha256=" + SIGNING_SECRET}
        assert (
            send("POST", "/api/v1/leads", content=body, headers={**bearer, **forged}).status_code
            == 401
        )
        assert (
            send("GET", "/api/v1/reps", headers={"Authorization": f"Bearer {key}x"}).status_code
            == 401
        )
        assert (
            send("GET", "/api/v1/reps", headers={"Authorization": f"Token {key}"}).status_code
            == 401
        )
        reader = {"Authorization": f"Bearer {read_key}"}
        assert send("DELETE", "/api/v1/reps/1", headers=reader).status_code == 403
        assert (
            send(
                "POST", "/api/v1/reps", json={"email": key, "name": PASSWORD}, headers=bearer
            ).status_code
            == 422
        )
        assert send(
            "PUT", "/api/v1/playbook", content=f"name: [{SECRET_KEY}", headers=bearer
        ).status_code in (400, 415, 422)
        # A client that puts the key in the URL: the access log must not keep it.
        assert send("GET", f"/api/v1/journeys/{key}", headers=bearer).status_code == 422
        assert send("GET", f"/api/v1/journeys?api_key={key}").status_code == 401
        limited = [send("GET", "/api/v1/reps", headers=reader).status_code for _ in range(45)]
        assert 429 in limited
        # Sign-ins: wrong passwords (one of them the key), a password for the wrong user,
        # then the right one, and pages and their errors.
        page = send("GET", "/sign-in")
        token = CSRF.search(page.text).group(1)
        for email, password in (
            ("ana@seller.example", key),
            ("ana@seller.example", PASSWORD + "x"),
            ("nobody@seller.example", PASSWORD),
            ("ana@seller.example", PASSWORD),
        ):
            form = {"email": email, "password": password, "csrf_token": token, "next": "/"}
            send("POST", "/sign-in", data=form)
        assert answers[-1].status_code == 303
        send("GET", "/queue")
        send("GET", "/journeys/999999")
        send("GET", "/settings/users")
        send("POST", "/journeys/1/touches", data={"csrf_token": PASSWORD})
    records = [r for r in caplog.records if r.name.startswith(("salesrelay", "uvicorn"))]
    assert any(r.name == "uvicorn.access" for r in records), "the access log was not captured"
    assert len([r for r in records if r.name == "uvicorn.access"]) >= len(answers)
    for record in records:
        text = record.getMessage() + (
            logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        )
        assert not leaked(text, secrets), f"{record.name}: {text[:300]}"
    for answer in answers:
        # An answer may repeat what its own request sent (a field that failed validation),
        # never anything else.
        sent = str(answer.request.url) + answer.request.content.decode(errors="replace")
        shown = answer.text + str(answer.headers)
        unasked = [secret for secret in leaked(shown, secrets) if secret not in sent]
        assert not unasked, f"{answer.request.method} {answer.request.url.path}"


def salesrelay(*args: str, env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "salesrelay", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_failing_cli_commands_print_no_secrets(sqlite_url, tmp_path):
    base = {
        "SALESRELAY_DATABASE_URL": sqlite_url,
        "SALESRELAY_ENVIRONMENT": "test",
        "SALESRELAY_SECRET_KEY": SECRET_KEY,
        "SALESRELAY_INTAKE_SIGNING_SECRET": SIGNING_SECRET,
        "SALESRELAY_SMTP_PASSWORD": DB_PASSWORD,
    }
    secrets = [PASSWORD, SECRET_KEY, SIGNING_SECRET, DB_PASSWORD]
    created = salesrelay("keys", "create", "--scope", "admin", env=base, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    secrets.append(key)
    ok = salesrelay(
        "users",
        "create",
        "--email",
        "ana@x.example",
        env={**base, "SALESRELAY_PASSWORD": PASSWORD},
        cwd=tmp_path,
    )
    assert ok.returncode == 0 and PASSWORD not in ok.stdout + ok.stderr
    unreachable = f"postgresql+psycopg://salesrelay:{DB_PASSWORD}@127.0.0.1:9/salesrelay"
    failing = [
        (["users", "create", "--email", "ana@x.example"], {"SALESRELAY_PASSWORD": PASSWORD}),
        (["users", "create", "--email", "not an e-mail", "--password", PASSWORD], {}),
        (["users", "create", "--email", "bo@x.example", "--password", PASSWORD[:5]], {}),
        (["keys", "revoke", "999"], {}),
        (["keys", "create", "--scope", key], {}),
        (["journeys", "show", key], {}),
        (["keys", "list"], {"SALESRELAY_DATABASE_URL": unreachable}),
        (["keys", "list"], {"SALESRELAY_ENVIRONMENT": "production", "SALESRELAY_SECRET_KEY": ""}),
        (["keys", "list"], {"SALESRELAY_WEBHOOK_URL": "http://127.0.0.1:9/hook"}),
        (["keys", "list"], {"SALESRELAY_INTAKE_KEY_BURST": "lots"}),
        (["keys", "list"], {"SALESRELAY_ENVIRONMENT": PASSWORD}),
    ]
    for args, env in failing:
        done = salesrelay(*args, env={**base, **env}, cwd=tmp_path)
        output = done.stdout + done.stderr
        assert done.returncode != 0, (args, output)
        assert output.strip(), args
        # A wrong argument may be quoted back to the operator who typed it; a password never.
        typed = {arg for arg in args if not arg.startswith(PASSWORD[:5])}
        assert not [secret for secret in leaked(output, secrets) if secret not in typed], output
        assert "Traceback" not in output, (args, output)
