"""A generated lead file whose right answer is known: distinct people, repeats and bad rows."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ["email", "first_name", "last_name", "phone", "source", "country", "employees", "title"]
INBOUND_SOURCES = ("web", "webinar", "referral", "event", "chat")  # all enter at 'new'


@dataclass(frozen=True)
class Expected:
    rows: int
    people: int
    """Distinct e-mail addresses among the good rows: one contact, account and journey each."""
    distinct_good_rows: int
    """Distinct good rows (one receipt each); the extra ones per person are repeats."""
    bad_rows: int


def write_lead_file(path: Path, rows: int, *, seed: int) -> Expected:
    """`rows` data rows: about 3% repeat an earlier person (half of them the very same row,
    half with other details or the address in capitals), about 0.5% cannot be imported.
    Every person has a domain of their own and no company, so each is their own account and
    no fuzzy company match can merge two of them."""
    rng = random.Random(seed)
    people: list[list[str]] = []
    good: set[tuple[str, ...]] = set()
    emails: set[str] = set()
    bad = 0
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for number in range(rows):
            roll = rng.random()
            if roll < 0.005:
                row = _bad_row(rng, number)
                bad += 1
            elif roll < 0.035 and people:
                row = list(rng.choice(people))
                if rng.random() < 0.5:  # the same person with other details
                    row[0] = row[0].upper() if rng.random() < 0.5 else row[0]
                    row[4] = rng.choice(INBOUND_SOURCES)
                    row[7] = f"title {rng.randrange(1000)}"
            else:
                row = [
                    f"person{number}@n{number}-{rng.randrange(10**6)}.example",
                    rng.choice(("Ana", "Bo", "Chloé", "Dev", "Eun-ji", "Femi")),
                    f"Last{number}",
                    f"+1 212 555 {rng.randrange(10000):04d}" if rng.random() < 0.3 else "",
                    rng.choice(INBOUND_SOURCES),
                    rng.choice(("US", "DE", "GB", "BR")),
                    str(rng.randrange(1, 5000)),
                    "VP Sales",
                ]
                people.append(row)
            if row[0] and "@" in row[0] and not row[0].startswith("bad"):
                good.add(tuple(row))
                emails.add(row[0].lower())
            writer.writerow(row)
    return Expected(rows=rows, people=len(emails), distinct_good_rows=len(good), bad_rows=bad)


def _bad_row(rng: random.Random, number: int) -> list[str]:
    kind = rng.randrange(3)
    base = ["", "Bad", f"Row{number}", "", "web", "US", "10", "CTO"]
    if kind == 0:
        return base  # neither e-mail nor phone
    if kind == 1:
        return [f"bad{number}-not-an-address", *base[1:]]
    return [f"bad{number}@n{number}.example", *base[1:6], "many", "CTO"]  # employees not a number
