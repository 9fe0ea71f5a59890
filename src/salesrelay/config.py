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

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError(
                "SALESRELAY_SECRET_KEY must be set to a long random value in production"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
