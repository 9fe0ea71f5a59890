"""CSV lead import: column presets, row checks with line numbers, batched intake.

Every batch is its own transaction, and every row leaves a receipt keyed by its content,
so an import that is interrupted keeps what it committed and a re-run skips it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from salesrelay.db import background_checkpoints, transaction
from salesrelay.intake import flows as intake_flows
from salesrelay.intake.matching import normalise_lead
from salesrelay.intake.schemas import KNOWN_FIELDS, check_email
from salesrelay.intake.service import MemoryAccountLookup

PRESETS: dict[str, dict[str, str]] = {
    "generic": {
        "email": "email",
        "e-mail": "email",
        "email address": "email",
        "first_name": "first_name",
        "first name": "first_name",
        "firstname": "first_name",
        "last_name": "last_name",
        "last name": "last_name",
        "lastname": "last_name",
        "company": "company",
        "company name": "company",
        "organization": "company",
        "phone": "phone",
        "phone number": "phone",
        "mobile": "phone",
        "source": "source",
        "lead source": "source",
        "country": "country",
        "employees": "employees",
        "company size": "employees",
        "number of employees": "employees",
        "industry": "industry",
        "website": "website",
        "url": "website",
        "title": "title",
        "job title": "title",
        "received_at": "received_at",
        "created_at": "received_at",
    },
    "hubspot": {
        "email": "email",
        "first name": "first_name",
        "last name": "last_name",
        "company name": "company",
        "phone number": "phone",
        "mobile phone number": "phone",
        "original source": "source",
        "country/region": "country",
        "number of employees": "employees",
        "industry": "industry",
        "website url": "website",
        "job title": "title",
        "create date": "received_at",
    },
    "salesforce": {
        "email": "email",
        "firstname": "first_name",
        "lastname": "last_name",
        "company": "company",
        "phone": "phone",
        "mobilephone": "phone",
        "leadsource": "source",
        "country": "country",
        "numberofemployees": "employees",
        "industry": "industry",
        "website": "website",
        "title": "title",
        "createddate": "received_at",
    },
}
TARGET_FIELDS = (*KNOWN_FIELDS, "received_at")
MAX_FIELD_CHARS = 10_000


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    reason: str
    values: list[str]


@dataclass(frozen=True, slots=True)
class GoodRow:
    line: int
    fields: dict[str, Any]
    attributes: dict[str, str]
    fingerprint: str


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    joined: int = 0
    already_imported: int = 0
    rejected: int = 0
    routed: int = 0
    queued: int = 0
    batches: int = 0
    interrupted: bool = False
    rejects_file: str | None = None
    owners: dict[str, int] = field(default_factory=dict)
    first_rejects: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def column_map(header: list[str], *, preset: str, overrides: dict[str, str]) -> list[str | None]:
    """For each CSV column, the lead field it fills (None → kept as an attribute)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset '{preset}'; use one of: {', '.join(PRESETS)}")
    aliases = PRESETS[preset]
    for column, target in overrides.items():
        if target not in TARGET_FIELDS and not target.startswith("attributes."):
            raise ValueError(
                f"--map {column}={target}: unknown field '{target}'; use one of: "
                f"{', '.join(TARGET_FIELDS)} or attributes.NAME"
            )
    lowered = {column.lower(): target for column, target in overrides.items()}
    mapped: list[str | None] = []
    for column in header:
        name = column.strip().lower()
        mapped.append(lowered.get(name) or aliases.get(name))
    return mapped


_BAD_TEXT = re.compile(r"[\udc80-\udcff\x00]")


def check_row(
    values: list[str], header: list[str], targets: list[str | None], line: int
) -> GoodRow | Rejected:
    """One CSV record → the lead's fields, or the reason it cannot be imported."""
    if len(values) != len(header):
        return Rejected(line, f"expected {len(header)} columns, found {len(values)}", values)
    joined = "\x1f".join(values)
    if _BAD_TEXT.search(joined) or len(joined) > MAX_FIELD_CHARS:
        problem = _text_problem(values, header)
        if problem:
            return Rejected(line, problem, values)
    fields: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    for column, target, raw in zip(header, targets, values, strict=True):
        value = raw.strip()
        if not value:
            continue
        if target is None:
            attributes[column.strip()] = value
        elif target.startswith("attributes."):
            attributes[target[11:]] = value
        else:
            fields[target] = value
    problem = _field_problem(fields)
    if problem:
        return Rejected(line, problem, values)
    fingerprint = hashlib.blake2b(joined.encode("utf-8", "surrogateescape"), digest_size=16)
    return GoodRow(line, fields, attributes, "import:" + fingerprint.hexdigest())


def _text_problem(values: list[str], header: list[str]) -> str | None:
    for column, value in zip(header, values, strict=True):
        if "\x00" in value:
            return f"column '{column}' holds a NUL character"
        if _BAD_TEXT.search(value):
            return f"column '{column}' is not valid UTF-8 text"
        if len(value) > MAX_FIELD_CHARS:
            return f"column '{column}' is longer than {MAX_FIELD_CHARS} characters"
    return None


def _field_problem(fields: dict[str, Any]) -> str | None:
    """Checks and converts the typed fields in place; returns what is wrong, if anything."""
    if not fields.get("email") and not fields.get("phone"):
        return "missing email and phone: a lead needs one of them"
    if fields.get("email"):
        try:
            fields["email"] = check_email(fields["email"])
        except ValueError as error:
            return f"malformed email: {error}"
    if "employees" in fields:
        try:
            fields["employees"] = int(float(fields["employees"].replace(",", "")))
            if fields["employees"] < 0:
                raise ValueError
        except ValueError:
            return f"employees must be a whole number, not '{fields['employees']}'"
    if "received_at" in fields:
        try:
            received = datetime.fromisoformat(fields["received_at"].replace("Z", "+00:00"))
        except ValueError:
            return f"received_at '{fields['received_at']}' is not an ISO 8601 time"
        if received.tzinfo is None:
            return "received_at needs a time zone offset, e.g. 2026-11-27T09:30:00Z"
        fields["received_at"] = received
    return None


def read_records(stream: io.TextIOBase) -> Iterator[tuple[int, list[str] | str]]:
    """(line, values) per record, or (line, error) for broken quoting; resumes after it."""
    reader = csv.reader(stream, strict=True)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                # csv's own ceiling (128 KiB) is hit before our per-column check can speak.
                yield reader.line_num, f"a field is longer than {MAX_FIELD_CHARS} characters"
            else:
                yield reader.line_num, f"broken CSV quoting: {error}"
            continue
        yield reader.line_num, values


def import_leads(
    *,
    factory: sessionmaker[Session],
    path: Path,
    preset: str = "generic",
    overrides: dict[str, str] | None = None,
    rejects_path: Path | None = None,
    batch_size: int = 2000,
    now: Callable[[], datetime],
    progress: Callable[[int], None] = lambda _: None,
) -> ImportSummary:
    """Import a CSV file of leads; returns what happened. Rejects go to `rejects_path`."""
    summary = ImportSummary()
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as stream:
        records = read_records(stream)
        first = next(records, None)
        if first is None or isinstance(first[1], str):
            raise ValueError(f"{path}: the first line must be a header row naming the columns")
        header = first[1]
        targets = column_map(header, preset=preset, overrides=overrides or {})
        if "email" not in targets and "phone" not in targets:
            raise ValueError(
                f"{path}: no column maps to email or phone (columns: {', '.join(header)}); "
                "use --preset or --map COLUMN=email"
            )
        engine = factory.kw["bind"]
        with (
            _RejectsWriter(rejects_path, header) as rejects,
            background_checkpoints(engine) as committed,
        ):
            with factory() as session:
                accounts = MemoryAccountLookup(session)
            batch: list[GoodRow] = []
            try:
                for line, values in records:
                    if not isinstance(values, str) and not any(v.strip() for v in values):
                        continue
                    summary.rows += 1
                    checked = (
                        Rejected(line, values, [])
                        if isinstance(values, str)
                        else check_row(values, header, targets, line)
                    )
                    if isinstance(checked, Rejected):
                        summary.rejected += 1
                        if len(summary.first_rejects) < 20:
                            summary.first_rejects.append(
                                {"line": checked.line, "reason": checked.reason}
                            )
                        rejects.write(checked)
                        continue
                    batch.append(checked)
                    if len(batch) >= batch_size:
                        _commit_batch(factory, accounts, batch, summary, now())
                        committed()
                        progress(len(batch))
                        batch = []
                if batch:
                    _commit_batch(factory, accounts, batch, summary, now())
                    committed()
                    progress(len(batch))
            except KeyboardInterrupt:
                summary.interrupted = True
        summary.rejects_file = str(rejects_path) if rejects_path and summary.rejected else None
    return summary


def _commit_batch(
    factory: sessionmaker[Session],
    accounts: MemoryAccountLookup,
    rows: list[GoodRow],
    summary: ImportSummary,
    now: datetime,
) -> None:
    submissions = [
        intake_flows.Submission(
            lead=normalise_lead(
                **{k: v for k, v in row.fields.items() if k != "received_at"},
                attributes=row.attributes,
                received_at=min(row.fields["received_at"], now)
                if "received_at" in row.fields
                else None,
            ),
            key=row.fingerprint,
            keep_response=False,
        )
        for row in rows
    ]
    with transaction(factory) as session:
        outcomes = intake_flows.intake(
            session=session, submissions=submissions, now=now, accounts=accounts
        )
    summary.batches += 1
    for outcome in outcomes:
        if outcome.replayed:
            summary.already_imported += 1
        elif outcome.status_code == 201:
            summary.created += 1
            owner = outcome.answer["owner"]
            if owner is None:
                summary.queued += 1
            else:
                summary.routed += 1
                summary.owners[owner["email"]] = summary.owners.get(owner["email"], 0) + 1
        else:
            summary.joined += 1


class _RejectsWriter:
    """Writes rejected rows with their line and reason, so they can be fixed and re-imported."""

    def __init__(self, path: Path | None, header: list[str]):
        self.path = path
        self.header = header
        self._file = None
        self._writer = None

    def __enter__(self) -> _RejectsWriter:
        return self

    def write(self, rejected: Rejected) -> None:
        if self.path is None:
            return
        if self._writer is None:
            self._file = open(  # noqa: SIM115 - closed in __exit__, opened on the first reject
                self.path, "w", encoding="utf-8", errors="surrogateescape", newline=""
            )
            self._writer = csv.writer(self._file)
            self._writer.writerow(["line", "reason", *self.header])
        self._writer.writerow([rejected.line, rejected.reason, *rejected.values])

    def __exit__(self, *exc) -> None:
        if self._file is not None:
            self._file.close()
