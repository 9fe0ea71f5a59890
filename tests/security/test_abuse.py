"""Rate limits per API key and per sign-in, and signed intake: beyond a key's rate a 429 with
Retry-After; a server with an intake signing secret takes only signed leads."""

from __future__ import annotations

import time

import orjson
import pytest
from fastapi.testclient import TestClient

from factories import api_key, four_role_team, install_template
from salesrelay.api.limits import TokenBuckets
from salesrelay.app import create_app
from salesrelay.config import Settings
from salesrelay.notify import webhook
from web.support import PASSWORD, add_user, signed_in

SECRET = "intake-signing-secret-for-tests"


@pytest.fixture
def make_client(database_url, factory):
    install_template(factory)
    four_role_team(factory)
    apps = []

    def make(**settings) -> TestClient:
        app = create_app(Settings(database_url=database_url, environment="test", **settings))
        apps.append(app)
        return TestClient(app, follow_redirects=False)

    yield make
    for app in apps:
        app.state.engine.dispose()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def lead(number: int) -> dict:
    return {"email": f"jo{number}@acme{number}.example", "company": f"Acme {number}"}


def test_an_intake_key_past_its_burst_gets_429_with_retry_after(make_client, factory):
    # A refill of one request per 1,000 s: nothing comes back while the test runs.
    client = make_client(intake_key_rate_per_second=0.001, intake_key_burst=2)
    key, other_key = api_key(factory, "intake"), api_key(factory, "intake")
    answers = [client.post("/api/v1/leads", json=lead(n), headers=bearer(key)) for n in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    refused = answers[2]
    assert 1 <= int(refused.headers["Retry-After"]) <= 1000
    assert refused.json()["errors"] == []
    assert "rate" in refused.json()["detail"]
    # The bucket is the key's own: another key, and the first key's reads, still go.
    assert client.post("/api/v1/leads", json=lead(9), headers=bearer(other_key)).status_code == 201


def test_read_write_and_admin_keys_share_the_other_limit(make_client, factory):
    client = make_client(api_key_rate_per_second=0.001, api_key_burst=1)
    for scope in ("read", "write", "admin"):
        key = api_key(factory, scope)
        assert client.get("/api/v1/reps", headers=bearer(key)).status_code == 200
        refused = client.get("/api/v1/reps", headers=bearer(key))
        assert refused.status_code == 429, scope
        assert int(refused.headers["Retry-After"]) >= 1
    # Unknown keys are refused as before (401), never counted.
    assert client.get("/api/v1/reps", headers=bearer("sr_unknown")).status_code == 401


def test_a_limit_of_zero_is_off_and_the_defaults_allow_a_busy_integration(make_client, factory):
    off = make_client(intake_key_rate_per_second=0, intake_key_burst=1)
    key = api_key(factory, "intake")
    for number in range(5):
        assert off.post("/api/v1/leads", json=lead(number), headers=bearer(key)).status_code == 201
    defaults = Settings(environment="test")
    assert defaults.intake_key_rate_per_second >= 1000 and defaults.intake_key_burst >= 1000
    reader = make_client()
    read_key = api_key(factory, "read")
    codes = {reader.get("/api/v1/reps", headers=bearer(read_key)).status_code for _ in range(100)}
    assert codes == {200}


def test_token_buckets_refill_at_their_rate():
    now = [100.0]
    buckets = TokenBuckets(rate=2, burst=3, clock=lambda: now[0])
    assert [buckets.take("k") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("k") == 1  # half a token short at 2/s: wait 1 s (rounded up)
    now[0] += 0.5
    assert buckets.take("k") == 0
    assert buckets.take("other") == 0
    now[0] += 60
    assert [buckets.take("k") for _ in range(4)] == [0, 0, 0, 1]  # never above the burst


def test_sign_in_attempts_are_throttled_by_the_settings(make_client, factory):
    add_user(factory, "ana@seller.example", "rep")
    client = make_client(sign_in_failures_per_email=2)
    wrong = [_sign_in(client, "ana@seller.example", "wrong password") for _ in range(3)]
    assert [r.status_code for r in wrong] == [401, 429, 429]
    assert int(wrong[1].headers["Retry-After"]) >= 60
    # Throttled means the right password waits too, and another address is not affected.
    assert _sign_in(client, "ana@seller.example", PASSWORD).status_code == 429
    add_user(factory, "bo@seller.example", "rep")
    assert _sign_in(client, "bo@seller.example", PASSWORD).status_code == 303


def _sign_in(client: TestClient, email: str, password: str):
    anonymous = signed_in(client.app, None)
    return anonymous.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": anonymous.csrf, "next": "/"},
    )


def signed(body: bytes, *, secret: str = SECRET, at: float | None = None, prefix="sha256="):
    timestamp = str(int(time.time() if at is None else at))
    return {
        webhook.TIMESTAMP_HEADER: timestamp,
        webhook.SIGNATURE_HEADER: prefix + webhook.sign(secret, timestamp, body),
        "Content-Type": "application/json",
    }


def test_with_a_signing_secret_only_correctly_signed_leads_are_taken(make_client, factory):
    client = make_client(intake_signing_secret=SECRET)
    key = api_key(factory, "intake")
    body = orjson.dumps(lead(1))

    def post(headers: dict, content: bytes = body):
        return client.post("/api/v1/leads", content=content, headers={**bearer(key), **headers})

    unsigned = post({"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    assert webhook.SIGNATURE_HEADER in unsigned.json()["detail"]
    assert unsigned.json()["errors"] == []
    wrong_secret = post(signed(body, secret="not-the-secret"))
    assert wrong_secret.status_code == 401
    assert "does not match" in wrong_secret.json()["detail"]
    other_body = post(signed(body), content=orjson.dumps(lead(2)))
    assert other_body.status_code == 401
    stale = post(signed(body, at=time.time() - 3600))
    assert stale.status_code == 401
    assert webhook.TIMESTAMP_HEADER in stale.json()["detail"]
    assert post(signed(body)).status_code == 201
    # The hex alone, as SalesRelay's own outgoing webhooks send it, is accepted too.
    second = orjson.dumps(lead(3))
    assert post(signed(second, prefix=""), content=second).status_code == 201


def test_the_signature_is_checked_before_the_key(make_client):
    client = make_client(intake_signing_secret=SECRET)
    refused = client.post("/api/v1/leads", json=lead(1))
    assert refused.status_code == 401
    assert "signed" in refused.json()["detail"]


def test_without_a_signing_secret_signatures_are_optional(make_client, factory):
    client = make_client()
    key = api_key(factory, "intake")
    body = orjson.dumps(lead(1))
    headers = {**bearer(key), "Content-Type": "application/json"}
    assert client.post("/api/v1/leads", content=body, headers=headers).status_code == 201
