"""Settings, read from the environment (prefix SALESRELAY_) or a .env file."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SALESRELAY_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./salesrelay.db"
    environment: str = Field(default="development", pattern="^(development|test|production)$")
    secret_key: str = DEVELOPMENT_SECRET
    max_request_bytes: int = 1_000_000
    base_url: str = "http://127.0.0.1:8000"
    max_concurrent_requests: int | None = None
    """Requests handled at once per process; default 8 on SQLite (one writer), 32 on PostgreSQL."""

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
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError(
                "SALESRELAY_SECRET_KEY must be set to a long random value in production"
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
