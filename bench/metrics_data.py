"""A year of synthetic sales history for bench_metrics.py, written with plain executemany.

A four-role team of 60 reps and N journeys arriving over 365 days (most in New York business
hours). Each journey lives a plausible life: a first touch after a heavy-tailed delay (or
never), follow-up touches, qualification, a handoff to a closer that is accepted, rejected or
expires and is offered again, and a deal that is won or lost; SLA events and field updates
fill the log up to the requested number of events. Events are stored in time order, so event
ids interleave journeys as they do in production.
"""

from __future__ import annotations

import sqlite3
import time
from array import array
from datetime import UTC, datetime

import numpy as np

from salesrelay import migrate
from salesrelay.calendar import BusinessCalendar
from salesrelay.db import make_engine, make_sessionmaker, transaction
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook import template_text

START = datetime(2025, 11, 1, tzinfo=UTC).timestamp()
DAYS = 365
NOW = START + (DAYS + 30) * 86400.0
DAY, HOUR, MINUTE = 86400.0, 3600.0, 60.0

STAGES = (
    "new",
    "qualifying",
    "prospecting",
    "engaged",
    "discovery",
    "proposal",
    "negotiation",
    "won",
    "lost",
    "disqualified",
    "nurture",
)
S = {name: index for index, name in enumerate(STAGES)}
SOURCES = ("web", "referral", "event", "outbound", "list")
KINDS = (
    "lead.received",
    "journey.routed",
    "journey.queued",
    "journey.touched",
    "journey.stage_changed",
    "handoff.proposed",
    "handoff.accepted",
    "handoff.rejected",
    "handoff.expired",
    "handoff.rated",
    "sla.met",
    "sla.missed",
    "sla.breached",
    "journey.fields_updated",
)
K = {name: index for index, name in enumerate(KINDS)}
MANAGERS = (1, 2)
INBOUND = tuple(range(3, 23))
OUTBOUND = tuple(range(23, 33))
CLOSERS = tuple(range(33, 48))
POST_SALES = tuple(range(48, 61))


def _stamp(epochs: np.ndarray) -> list[str]:
    """Epoch seconds as SQLAlchemy stores UTC on SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    text = np.datetime_as_string((epochs * 1e6).astype("datetime64[us]"), unit="us")
    return [value.replace("T", " ") for value in text.tolist()]


class _Log:
    """Events as parallel arrays: journey, kind, time, rep (0 = none), three data ints."""

    def __init__(self) -> None:
        self.journey, self.kind, self.rep = array("i"), array("b"), array("i")
        self.at = array("d")
        self.a, self.b, self.c = array("i"), array("i"), array("i")

    def add(self, journey, kind, at, rep=0, a=0, b=0, c=0) -> None:
        self.journey.append(journey)
        self.kind.append(K[kind])
        self.at.append(at)
        self.rep.append(rep)
        self.a.append(a)
        self.b.append(b)
        self.c.append(c)

    def __len__(self) -> int:
        return len(self.kind)


def _data(kind: int, a: int, b: int, c: int, journey: int) -> str:
    name = KINDS[kind]
    if name == "lead.received":
        employees = f', "employees": {b}' if b > 0 else ""
        return f'{{"email": "lead{journey}@bench.example", "source": "{SOURCES[a]}"{employees}}}'
    if name in ("journey.routed", "journey.queued"):
        return '{"rule": "bench", "method": "round_robin", "reasons": [], "fallback": null}'
    if name == "journey.touched":
        return f'{{"channel": "call", "note": null, "first": {"true" if a else "false"}}}'
    if name == "journey.stage_changed":
        handoff = f', "handoff_id": {c}' if c else ""
        return (
            f'{{"from": "{STAGES[a]}", "to": "{STAGES[b]}", "reason": null, "note": null{handoff}}}'
        )
    if name.startswith("handoff."):
        extra = {
            "handoff.rejected": ', "reason": "not_qualified"',
            "handoff.rated": f', "rating": {a}',
        }.get(name, "")
        return f'{{"handoff_id": {c}{extra}}}'
    if name.startswith("sla."):
        return '{"policy": "first_touch_inbound", "kind": "first_touch"}'
    return '{"fields": {"note": "called back"}}'


def _life(j, arrived, inbound, owner, rng, log, handoffs, calendar):
    """One journey's events; returns (stage, status, outcome, owner, touched, due, value)."""
    due = calendar.add_business_minutes(
        datetime.fromtimestamp(arrived, UTC), 5 if inbound else 960
    ).timestamp()
    log.add(j, "journey.routed" if owner else "journey.queued", arrived, owner)
    stage, outcome, value, touched = (S["new"] if inbound else S["prospecting"]), None, None, None
    u = rng.random(12)
    if u[0] < 0.9:
        scale = (3.0, 90.0, 1800.0)[int(np.searchsorted((0.55, 0.85), u[1]))]
        touched = arrived + scale * MINUTE * float(np.exp(rng.normal(0, 1)))
        who = owner or INBOUND[j % len(INBOUND)]
        if u[2] < 0.04:
            who = CLOSERS[j % len(CLOSERS)]  # a closer answering a new lead: outside work
        log.add(j, "journey.touched", touched, who, a=1)
        log.add(j, "sla.met" if touched <= due else "sla.missed", touched)
        for _ in range(rng.poisson(1.3)):
            log.add(j, "journey.touched", touched + rng.exponential(2 * DAY), owner or who)
    else:
        log.add(j, "sla.breached", due)
        if u[3] < 0.4 and owner:
            log.add(
                j, "journey.stage_changed", arrived + 10 * DAY, owner, a=stage, b=S["disqualified"]
            )
            return S["disqualified"], "closed", "disqualified", owner, None, due, None
        return stage, "open", None, owner, None, due, None
    now = touched + rng.exponential(DAY)
    moves_on = u[4] < (0.55 if inbound else 0.4)
    if not moves_on:
        if u[4] < 0.8:
            log.add(j, "journey.stage_changed", now, owner, a=stage, b=S["disqualified"])
            return S["disqualified"], "closed", "disqualified", owner, touched, due, None
        return stage, "open", None, owner, touched, due, None
    nxt = S["qualifying"] if inbound else S["engaged"]
    log.add(j, "journey.stage_changed", now, owner, a=stage, b=nxt)
    stage = nxt
    if u[5] >= 0.5:
        if u[5] < 0.8:
            log.add(
                j,
                "journey.stage_changed",
                now + rng.exponential(5 * DAY),
                owner,
                a=stage,
                b=S["nurture"],
            )
            return S["nurture"], "closed", "nurture", owner, touched, due, None
        return stage, "open", None, owner, touched, due, None
    now += rng.exponential(2 * DAY)
    receiver = CLOSERS[int(u[6] * len(CLOSERS))]
    accepted_at, replaces = None, None
    for attempt in range(2):
        handoff = len(handoffs) + 1
        log.add(j, "handoff.proposed", now, owner, c=handoff)
        fate = u[7] if attempt == 0 else u[8]
        row = [handoff, j, owner, receiver, STAGES[stage], now, now + 4 * HOUR, replaces]
        if fate < 0.75:
            accepted_at = now + rng.exponential(2 * HOUR)
            rating = int(2 + u[9] * 4) if u[9] < 0.6 else None
            handoffs.append((*row, "accepted", accepted_at, None, rating))
            break
        if fate < 0.9:
            decided = now + rng.exponential(3 * HOUR)
            handoffs.append((*row, "rejected", decided, "not_qualified", None))
            log.add(j, "handoff.rejected", decided, receiver, c=handoff)
            end = S["nurture"] if u[10] < 0.5 else S["disqualified"]
            log.add(j, "journey.stage_changed", decided + DAY, owner, a=stage, b=end)
            return end, "closed", STAGES[end], owner, touched, due, None
        if attempt == 1:
            handoffs.append((*row, "proposed", None, None, None))
            return stage, "open", None, owner, touched, due, None
        handoffs.append((*row, "expired", now + 4 * HOUR, None, None))
        log.add(j, "handoff.expired", now + 4 * HOUR, receiver, c=handoff)
        now, replaces = now + 4 * HOUR, handoff
        receiver = CLOSERS[(CLOSERS.index(receiver) + 1) % len(CLOSERS)]
    log.add(j, "journey.stage_changed", accepted_at, receiver, a=stage, b=S["discovery"], c=handoff)
    log.add(j, "handoff.accepted", accepted_at, receiver, c=handoff)
    if handoffs[-1][-1] is not None:
        log.add(j, "handoff.rated", accepted_at + DAY, receiver, a=handoffs[-1][-1], c=handoff)
    stage, owner, now = S["discovery"], receiver, accepted_at
    for chance, nxt, wait in ((0.6, "proposal", 5), (0.6, "negotiation", 7), (0.5, "won", 10)):
        now += rng.exponential(wait * DAY)
        if rng.random() >= chance:
            if rng.random() < 0.4:
                log.add(j, "journey.stage_changed", now, owner, a=stage, b=S["lost"])
                return S["lost"], "closed", "lost", owner, touched, due, None
            return stage, "open", None, owner, touched, due, None
        if nxt == "won":
            value = float(round(rng.lognormal(10, 0.8), 2))
            log.add(j, "journey.fields_updated", now, owner)
            outcome = "won"
        log.add(j, "journey.stage_changed", now, owner, a=stage, b=S[nxt])
        stage = S[nxt]
    return stage, "open", outcome, owner, touched, due, value


def generate(path: str, *, journeys: int, events: int, seed: int = 7, log=print) -> dict:
    started = time.perf_counter()
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        playbook_service.install(
            session=session, text=template_text("four-role"), created_by="bench"
        )
    engine.dispose()
    calendar = BusinessCalendar.from_playbook(
        playbook_service.parse(template_text("four-role")).calendar
    )
    rng = np.random.default_rng(seed)
    day = rng.integers(0, DAYS, journeys)
    office = rng.random(journeys) < 0.75
    clock = np.where(
        office, 14 * HOUR + rng.random(journeys) * 8 * HOUR, rng.random(journeys) * DAY
    )
    arrivals = np.sort(START + day * DAY + clock)
    sources = rng.choice(len(SOURCES), journeys, p=(0.45, 0.15, 0.1, 0.2, 0.1))
    employees = np.where(rng.random(journeys) < 0.85, rng.lognormal(4.5, 1.6, journeys), 0)
    entry = array("i")
    events_log, handoffs = _Log(), []
    rows = []
    for index in range(journeys):
        j, arrived = index + 1, float(arrivals[index])
        inbound = sources[index] < 3
        pool = INBOUND if inbound else OUTBOUND
        owner = 0 if rng.random() < 0.03 else pool[index % len(pool)]
        events_log.add(
            j, "lead.received", arrived, 0, a=int(sources[index]), b=int(employees[index])
        )
        stage, status, outcome, owner, touched, due, value = _life(
            j, arrived, inbound, owner, rng, events_log, handoffs, calendar
        )
        entry.append(S["new"] if inbound else S["prospecting"])
        rows.append((j, stage, status, outcome, owner, touched, due, value))
    filler = events - len(events_log)
    if filler > 0:
        chosen = rng.integers(0, journeys, filler)
        times = arrivals[chosen] + rng.exponential(20 * DAY, filler)
        for j, at in zip((chosen + 1).tolist(), times.tolist(), strict=True):
            kind = "journey.fields_updated" if j % 3 else "sla.met"
            events_log.add(j, kind, at)
    log(
        f"  simulated {journeys:,} journeys, {len(events_log):,} events, "
        f"{len(handoffs):,} handoffs in {time.perf_counter() - started:.0f} s"
    )
    _write(path, arrivals, sources, rows, events_log, handoffs)
    log(f"  written to {path} in {time.perf_counter() - started:.0f} s")
    return {"journeys": journeys, "events": len(events_log), "handoffs": len(handoffs), "now": NOW}


def _write(path, arrivals, sources, rows, log, handoffs) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-1000000")
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
        "AND tbl_name IN ('events', 'journeys', 'handoffs', 'accounts')"
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f"DROP INDEX {name}")
    connection.execute("BEGIN")
    stamp = _stamp(np.asarray([START - DAY]))[0]
    reps = []
    for rep in range(1, 61):
        role = (
            "closing"
            if rep in MANAGERS or rep in CLOSERS
            else "inbound_qualification"
            if rep in INBOUND
            else "outbound_prospecting"
            if rep in OUTBOUND
            else "account_management"
        )
        manager = None if rep in MANAGERS else (1 if rep in INBOUND or rep in CLOSERS else 2)
        reps.append(
            (
                rep,
                f"Rep {rep}",
                f"rep{rep}@bench.example",
                f'["{role}"]',
                0 if rep in MANAGERS else 60_000,
                1,
                "[]",
                "America/New_York",
                "mon-fri 09:00-17:00",
                0,
                manager,
                0,
                stamp,
            )
        )
    connection.executemany(
        "INSERT INTO reps (id, name, email, roles, capacity, weight, territories, timezone, "
        "hours, paused, manager_id, open_journeys, created_at) VALUES "
        "(?,?,?,?,?,?,?,?,?,?,?,?,?)",
        reps,
    )
    created = _stamp(arrivals)
    connection.executemany(
        "INSERT INTO accounts (id, name, name_key, is_customer, created_at) VALUES (?,?,?,0,?)",
        [(j, f"Account {j}", f"account {j}", created[j - 1]) for j in range(1, len(rows) + 1)],
    )
    touched = _stamp(np.asarray([r[5] or 0.0 for r in rows]))
    dues = _stamp(np.asarray([r[6] for r in rows]))
    connection.executemany(
        "INSERT INTO journeys (id, account_id, kind, stage, status, outcome, owner_rep_id, "
        "source, playbook_version, fields, created_at, updated_at, first_touch_due_at, "
        "first_touched_at) VALUES (?,?,'new_business',?,?,?,?,?,1,?,?,?,?,?)",
        [
            (
                j,
                j,
                STAGES[stage],
                status,
                outcome,
                owner or None,
                SOURCES[sources[j - 1]],
                f'{{"contract_value": {value}}}' if value else "{}",
                created[j - 1],
                created[j - 1],
                dues[j - 1],
                touched[j - 1] if touch else None,
            )
            for (j, stage, status, outcome, owner, touch, _, value) in rows
        ],
    )
    proposed = _stamp(np.asarray([h[5] for h in handoffs]))
    accept_by = _stamp(np.asarray([h[6] for h in handoffs]))
    decided = _stamp(np.asarray([h[9] or 0.0 for h in handoffs]))
    connection.executemany(
        "INSERT INTO handoffs (id, journey_id, protocol, from_rep_id, to_rep_id, from_stage, "
        "to_stage, status, fields, reasons, proposed_at, accept_by, replaces_id, decided_at, "
        "rejection_reason, rating) VALUES "
        "(?,?,'qualified_to_closer',?,?,?,'discovery',?,'{}','[]',?,?,?,?,?,?)",
        [
            (
                h[0],
                h[1],
                h[2] or None,
                h[3],
                h[4],
                h[8],
                proposed[i],
                accept_by[i],
                h[7],
                decided[i] if h[9] else None,
                h[10],
                h[11],
            )
            for i, h in enumerate(handoffs)
        ],
    )
    order = np.argsort(np.frombuffer(log.at, dtype=np.float64), kind="stable")
    columns = [
        np.frombuffer(c, dtype=c.typecode)[order]
        for c in (log.journey, log.kind, log.rep, log.a, log.b, log.c)
    ]
    at = np.frombuffer(log.at, dtype=np.float64)[order]
    for first in range(0, len(order), 500_000):
        part = slice(first, first + 500_000)
        stamps = _stamp(at[part])
        journey, kind, rep, a, b, c = (col[part].tolist() for col in columns)
        connection.executemany(
            "INSERT INTO events (journey_id, kind, at, rep_id, actor, data) VALUES "
            "(?,?,?,?,'bench',?)",
            [
                (
                    journey[i],
                    KINDS[kind[i]],
                    stamps[i],
                    rep[i] or None,
                    _data(kind[i], a[i], b[i], c[i], journey[i]),
                )
                for i in range(len(journey))
            ],
        )
    connection.execute("COMMIT")
    for _, sql in indexes:
        connection.execute(sql)
    connection.execute("ANALYZE")
    connection.close()
