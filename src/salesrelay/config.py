"""Settings, read from the environment (prefix SALESRELAY_) or a .env file."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A placeholder, not a password: production refuses to start with it (see below).
DEVELOPMENT_SECRET = "development-only-secret-change-me"  # nosec B105
MIN_SECRET_LENGTH = 32
"""Sessions are signed with the secret key: an empty or short one lets cookies be forged."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SALESRELAY_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./salesrelay.db"
    environment: str = Field(default="development", pattern="^(development|test|production)$")
    secret_key: str = DEVELOPMENT_SECRET
    max_request_bytes: int = 1_000_000
    base_url: str = "http://127.0.0.1:8000"
    max_concurrent_requests: int | None = None
    """Requests handled at once per process; default 8 on SQLite (one writer), 32 on PostgreSQL."""

    # Abuse limits (see docs/operations.md). API keys: token buckets kept in each server
    # process, so N processes allow N times the rate; 0 turns a limit off.
    intake_key_rate_per_second: float = Field(default=1000.0, ge=0)
    intake_key_burst: int = Field(default=2000, ge=1)
    api_key_rate_per_second: float = Field(default=200.0, ge=0)
    """Keys with scope read, write or admin."""
    api_key_burst: int = Field(default=400, ge=1)
    # Failed sign-ins, counted in the database (so across all processes) per window.
    sign_in_failures_per_email: int = Field(default=5, ge=1)
    sign_in_failures_per_client: int = Field(default=50, ge=1)
    sign_in_window_seconds: int = Field(default=900, ge=1)
    intake_signing_secret: str | None = None
    """When set, POST /api/v1/leads needs a valid X-SalesRelay-Signature (docs/api.md)."""

    # Notifications (see docs/handoffs.md). E-mail always goes out over SMTP; Slack and the
    # CRM webhook are on only when their URL is set.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "SalesRelay <salesrelay@localhost>"
    slack_webhook_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_timeout_seconds: float = 10.0

    # The worker (see docs/sla.md): a 1 s tick keeps escalation lag under 2 s.
    worker_tick_seconds: float = Field(default=1.0, gt=0, le=60)
    sweep_batch_size: int = Field(default=500, ge=1, le=50_000)
    outbox_batch_size: int = Field(default=50, ge=1, le=5_000)
    outbox_concurrency: int = Field(default=8, ge=1, le=64)
    outbox_max_attempts: int = Field(default=10, ge=1, le=100)
    outbox_backoff_seconds: float = Field(default=5.0, gt=0)
    outbox_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    outbox_lease_seconds: float = Field(default=120.0, gt=0)
    """How long a claimed message is reserved while it is sent; a crashed worker's messages
    go out again after it, so receivers must drop duplicates by idempotency key."""
    nurture_recycle_days: int = Field(default=90, ge=1, le=3650)
    metrics_token: str | None = None
    """When set, GET /metrics (API and `salesrelay worker --metrics-port`) needs
    `Authorization: Bearer <token>`; see docs/operations.md."""

    def concurrency_limit(self) -> int:
        if self.max_concurrent_requests:
            return self.max_concurrent_requests
        return 8 if self.database_url.startswith("sqlite") else 32

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        weak = self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < MIN_SECRET_LENGTH
        if self.environment == "production" and weak:
            raise ValueError(
                "SALESRELAY_SECRET_KEY must be set to a long random value in production (at "
                f"least {MIN_SECRET_LENGTH} characters, e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`)"
            )
        if self.webhook_url and not self.webhook_secret:
            raise ValueError(
                "SALESRELAY_WEBHOOK_SECRET must be set when SALESRELAY_WEBHOOK_URL is: "
                "receivers verify each webhook's signature with it"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
