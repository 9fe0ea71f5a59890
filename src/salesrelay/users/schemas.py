"""What a user may be created or changed with."""

from __future__ import annotations

from pydantic import BaseModel, Field

ROLES = ("admin", "manager", "rep")
MIN_PASSWORD_LENGTH = 10


class UserCreate(BaseModel):
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(pattern="^(admin|manager|rep)$")
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1000)
    rep_email: str | None = Field(default=None, max_length=320)
    """Link the user to the rep with this e-mail (reps and managers usually are one)."""
