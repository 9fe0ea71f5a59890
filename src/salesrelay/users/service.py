"""Users: create with an argon2 password hash, authenticate, change, and throttle guessing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from salesrelay.errors import ConflictError, InvalidInputError, NotFoundError
from salesrelay.team import service as team_service
from salesrelay.team.models import Rep
from salesrelay.users.models import SignInThrottle, User
from salesrelay.users.schemas import ROLES, UserCreate

_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so a wrong address takes as long as a wrong password.


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so a miss costs what a hit does. Made on
    first use: hashing is deliberately slow, and every CLI command imports this module."""
    return _hasher.hash("not a password anyone has")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def get(*, session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_by_email(*, session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def require(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    return user


def count(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def listing(*, session: Session, offset: int = 0, limit: int = 50) -> tuple[list[User], int]:
    users = session.scalars(select(User).order_by(User.email).offset(offset).limit(limit))
    return list(users), count(session=session)


def _rep_id(session: Session, rep_email: str | None) -> int | None:
    if not rep_email:
        return None
    rep = team_service.get_by_email(session=session, email=rep_email)
    if rep is None or rep.deleted_at is not None:
        raise InvalidInputError(f"no rep with e-mail {rep_email}", field="rep_email")
    return rep.id


def create(*, session: Session, data: UserCreate, password_hash: str | None = None) -> User:
    """`password_hash`, when given, is an argon2 hash of `data.password` made earlier (the
    demo signs everyone in with one password and hashes it once)."""
    email = normalise_email(data.email)
    if get_by_email(session=session, email=email) is not None:
        raise ConflictError(f"a user with e-mail {email} already exists", field="email")
    user = User(
        email=email,
        name=data.name.strip(),
        role=data.role,
        rep_id=_rep_id(session, data.rep_email),
        password_hash=password_hash or hash_password(data.password),
    )
    session.add(user)
    session.flush()
    return user


def change(
    *,
    session: Session,
    user: User,
    role: str | None = None,
    rep_email: str | None = None,
    password: str | None = None,
    disabled: bool | None = None,
    now: datetime,
) -> User:
    if role is not None:
        if role not in ROLES:
            raise InvalidInputError(f"role must be one of: {', '.join(ROLES)}", field="role")
        user.role = role
    if rep_email is not None:
        user.rep_id = _rep_id(session, rep_email) if rep_email else None
    if password is not None:
        user.password_hash = hash_password(password)
        user.sessions_valid_after = now
    if disabled is not None:
        user.disabled_at = now if disabled else None
        user.sessions_valid_after = now
    session.flush()
    return user


def authenticate(*, session: Session, email: str, password: str, now: datetime) -> User | None:
    """The user with this e-mail and password, or None; an outdated hash is upgraded."""
    user = get_by_email(session=session, email=email)
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = now
    session.flush()
    return user


def sign_out_everywhere(*, session: Session, user: User, now: datetime) -> None:
    user.sessions_valid_after = now
    session.flush()


def rep_of(*, session: Session, user: User) -> Rep | None:
    return session.get(Rep, user.rep_id) if user.rep_id else None


# -- throttling ------------------------------------------------------------------------


@dataclass(frozen=True)
class Throttled:
    retry_after_seconds: int


@dataclass(frozen=True)
class ThrottleLimits:
    """Failed sign-ins allowed per window for one e-mail address, and from one client
    address; from the settings SALESRELAY_SIGN_IN_* (docs/operations.md)."""

    per_email: int = 5
    per_client: int = 50
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_settings(cls, settings) -> ThrottleLimits:
        return cls(
            per_email=settings.sign_in_failures_per_email,
            per_client=settings.sign_in_failures_per_client,
            window=timedelta(seconds=settings.sign_in_window_seconds),
        )

    def allowed(self, key: str) -> int:
        return self.per_email if key.startswith("email:") else self.per_client


def throttle_keys(email: str, client: str | None) -> list[str]:
    keys = [f"email:{normalise_email(email)}"[:400]]
    if client:
        keys.append(f"ip:{client}"[:400])
    return keys


def check_throttle(*, session: Session, keys: list[str], now: datetime) -> Throttled | None:
    rows = session.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(keys)))
    waits = [
        (row.blocked_until - now).total_seconds()
        for row in rows
        if row.blocked_until is not None and row.blocked_until > now
    ]
    return Throttled(max(1, int(max(waits)) + 1)) if waits else None


def record_failure(
    *, session: Session, keys: list[str], now: datetime, limits: ThrottleLimits = ThrottleLimits()
) -> Throttled | None:
    """Count a failed sign-in; once a key has too many in its window it is blocked until
    the window ends. Returns the wait if this failure crossed the limit."""
    blocked = None
    for key in keys:
        row = session.get(SignInThrottle, key)
        if row is None or now - row.window_started_at >= limits.window:
            if row is None:
                row = SignInThrottle(key=key)
                session.add(row)
            row.failures, row.window_started_at, row.blocked_until = 0, now, None
        row.failures += 1
        if row.failures >= limits.allowed(key):
            row.blocked_until = row.window_started_at + limits.window
            blocked = Throttled(max(1, int((row.blocked_until - now).total_seconds())))
    session.flush()
    return blocked


def clear_throttle(*, session: Session, key: str) -> None:
    row = session.get(SignInThrottle, key)
    if row is not None:
        session.delete(row)
        session.flush()
