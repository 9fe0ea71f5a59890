"""Finding and creating contacts and accounts; intake receipts."""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from salesrelay.db import insert_rows, reserve_ids, run
from salesrelay.intake.matching import AccountCandidate, AccountMatch, best_fuzzy_match, name_block
from salesrelay.intake.models import Account, Contact, IntakeReceipt


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: int
    name: str
    name_key: str
    domain: str | None
    owner_rep_id: int | None
    is_customer: bool


FUZZY_NEIGHBOURS = 25
"""Accounts compared on each side of a new name, in sort order, within its first word."""

_ACCOUNT_COLUMNS = (
    Account.id,
    Account.name,
    Account.name_key,
    Account.domain,
    Account.owner_rep_id,
    Account.is_customer,
)


_ACCOUNTS = select(*_ACCOUNT_COLUMNS)
_BY_DOMAINS = _ACCOUNTS.where(Account.domain.in_(bindparam("keys", expanding=True)))
_BY_NAME_KEYS = _ACCOUNTS.where(Account.name_key.in_(bindparam("keys", expanding=True)))
_BY_ID = _ACCOUNTS.where(Account.id == bindparam("id"))
# Only names sharing the first word are compared, and of those only the nearest in sort
# order on each side (two short index scans), so a common first word such as 'global'
# cannot make one lead compare against thousands of accounts.
_NEIGHBOURS_BELOW = (
    _ACCOUNTS.where(Account.name_key >= bindparam("block"), Account.name_key < bindparam("key"))
    .order_by(Account.name_key.desc())
    .limit(FUZZY_NEIGHBOURS)
)
_NEIGHBOURS_ABOVE = (
    _ACCOUNTS.where(Account.name_key >= bindparam("key"), Account.name_key < bindparam("end"))
    .order_by(Account.name_key)
    .limit(FUZZY_NEIGHBOURS)
)
_CONTACTS_BY_EMAIL = select(Contact.email_key, Contact.id, Contact.account_id).where(
    Contact.email_key.in_(bindparam("keys", expanding=True))
)
_CONTACTS_BY_PHONE = (
    select(Contact.phone_key, Contact.id, Contact.account_id)
    .where(Contact.phone_key.in_(bindparam("keys", expanding=True)))
    .order_by(Contact.id)
)


class AccountLookup(Protocol):
    """Where intake finds existing accounts: the database, or a preloaded index for bulk work."""

    def by_domains(self, domains: set[str]) -> dict[str, AccountInfo]: ...
    def by_name_keys(self, keys: set[str]) -> dict[str, AccountInfo]: ...
    def fuzzy(self, key: str) -> AccountMatch | None: ...
    def get(self, account_id: int) -> AccountInfo | None: ...
    def remember(self, account: AccountInfo) -> None: ...


class DbAccountLookup:
    def __init__(self, session: Session):
        self.session = session

    def _rows(self, statement, **params) -> list[AccountInfo]:
        return [AccountInfo(*row) for row in run(self.session, statement, params)]

    def by_domains(self, domains: set[str]) -> dict[str, AccountInfo]:
        if not domains:
            return {}
        found = sorted(self._rows(_BY_DOMAINS, keys=list(domains)), key=lambda a: -a.id)
        return {a.domain: a for a in found}

    def by_name_keys(self, keys: set[str]) -> dict[str, AccountInfo]:
        if not keys:
            return {}
        found = sorted(self._rows(_BY_NAME_KEYS, keys=list(keys)), key=lambda a: -a.id)
        return {a.name_key: a for a in found}

    def fuzzy(self, key: str) -> AccountMatch | None:
        block = name_block(key)
        rows = [
            *self._rows(_NEIGHBOURS_BELOW, block=block, key=key),
            *self._rows(_NEIGHBOURS_ABOVE, key=key, end=block + "\uffff"),
        ]
        return best_fuzzy_match(
            key, (AccountCandidate(row.id, row.name_key, row.domain) for row in rows)
        )

    def get(self, account_id: int) -> AccountInfo | None:
        rows = self._rows(_BY_ID, id=account_id)
        return rows[0] if rows else None

    def remember(self, account: AccountInfo) -> None:
        """Nothing to do: the database already has it."""


class MemoryAccountLookup:
    """Every account in memory, kept up to date as a bulk import creates new ones."""

    def __init__(self, session: Session):
        self._by_id: dict[int, AccountInfo] = {}
        self._by_domain: dict[str, AccountInfo] = {}
        self._by_key: dict[str, AccountInfo] = {}
        self._blocks: dict[str, list[tuple[str, int, str | None]]] = defaultdict(list)
        for row in session.execute(select(*_ACCOUNT_COLUMNS).order_by(Account.id)):
            self.remember(AccountInfo(*row))

    def remember(self, account: AccountInfo) -> None:
        self._by_id[account.id] = account
        if account.domain:
            self._by_domain[account.domain] = account
        self._by_key[account.name_key] = account
        bisect.insort(
            self._blocks[name_block(account.name_key)],
            (account.name_key, account.id, account.domain),
        )

    def by_domains(self, domains: set[str]) -> dict[str, AccountInfo]:
        return {d: self._by_domain[d] for d in domains if d in self._by_domain}

    def by_name_keys(self, keys: set[str]) -> dict[str, AccountInfo]:
        return {k: self._by_key[k] for k in keys if k in self._by_key}

    def fuzzy(self, key: str) -> AccountMatch | None:
        block = self._blocks.get(name_block(key), [])
        at = bisect.bisect_left(block, (key,))
        nearest = block[max(0, at - FUZZY_NEIGHBOURS) : at + FUZZY_NEIGHBOURS]
        return best_fuzzy_match(
            key, (AccountCandidate(i, name, domain) for name, i, domain in nearest)
        )

    def get(self, account_id: int) -> AccountInfo | None:
        return self._by_id.get(account_id)


def contacts_by_keys(
    *, session: Session, email_keys: set[str], phone_keys: set[str]
) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """(email key → (contact id, account id)), and the same by phone for e-mail-less leads."""
    by_email: dict[str, tuple[int, int]] = {}
    by_phone: dict[str, tuple[int, int]] = {}
    if email_keys:
        for key, contact_id, account_id in run(
            session, _CONTACTS_BY_EMAIL, {"keys": list(email_keys)}
        ):
            by_email[key] = (contact_id, account_id)
    if phone_keys:
        for key, contact_id, account_id in run(
            session, _CONTACTS_BY_PHONE, {"keys": list(phone_keys)}
        ):
            by_phone[key] = (contact_id, account_id)
    return by_email, by_phone


def reserve_account_ids(*, session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Ids for new account rows, set on each row; insert them later with insert_accounts."""
    ids = reserve_ids(session, Account.__table__, len(rows))
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    return ids


def insert_accounts(*, session: Session, rows: list[dict[str, Any]]) -> None:
    insert_rows(session, Account.__table__, rows)


def create_contacts(*, session: Session, rows: list[dict[str, Any]]) -> list[int]:
    return _insert_with_ids(session, Contact.__table__, rows)


def _insert_with_ids(session: Session, table, rows: list[dict[str, Any]]) -> list[int]:
    ids = reserve_ids(session, table, len(rows))
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    insert_rows(session, table, rows)
    return ids


def receipts(*, session: Session, keys: set[str]) -> dict[str, Any]:
    """Stored receipts by key: rows with request_hash, status_code and response."""
    if not keys:
        return {}
    columns = (
        IntakeReceipt.key,
        IntakeReceipt.request_hash,
        IntakeReceipt.status_code,
        IntakeReceipt.response,
    )
    return {
        row.key: row for row in session.execute(select(*columns).where(IntakeReceipt.key.in_(keys)))
    }


def store_receipts(*, session: Session, rows: list[dict[str, Any]]) -> None:
    insert_rows(session, IntakeReceipt.__table__, rows)


def set_account_owners(*, session: Session, owners: dict[int, int]) -> None:
    """Give accounts that have no owner yet the rep their first journey went to."""
    for account_id, rep_id in owners.items():
        session.execute(
            update(Account)
            .where(Account.id == account_id, Account.owner_rep_id.is_(None))
            .values(owner_rep_id=rep_id)
        )
