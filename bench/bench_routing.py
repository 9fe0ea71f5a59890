"""Routing throughput: decisions per second with 20 rules and 100 reps, on one core.

Run: python bench/bench_routing.py [--leads N]

Beside it, the baseline sends the same leads through a trivial `reps[i % n]` loop: the
cost of just iterating the leads. Both are measured in this run; the ratio is what to
compare across machines. `now` advances 10 µs per lead, as during a bulk import at this
speed; the "new minute every lead" line is the worst case, where nothing cached per minute
of `now` can be reused. Open journeys are reset every 1,000 leads, as if journeys closed
at the rate they open, so pools do not fill up over the run.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from salesrelay.calendar import ALWAYS_OPEN, parse_hours
from salesrelay.playbook import schema
from salesrelay.routing.engine import RepProfile, RoutingEngine, RoutingState

ROLES = {
    "inbound_qualification": 30,
    "outbound_prospecting": 25,
    "closing": 20,
    "account_management": 15,
    "customer_success": 10,
}
REGIONS = {"amer": "America/New_York", "emea": "Europe/Berlin", "apac": "Asia/Singapore"}
SEGMENTS = ("enterprise", "mid_market", "smb")
START = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)  # a Tuesday: New York and Berlin both open
RESET_EVERY = 1_000

RULES = [
    {"name": "existing customer", "when": {"account.is_customer": True}, "method": "account_owner"},
    {
        "name": "strategic accounts",
        "when": {"attributes.tier": "strategic"},
        "pool": {"role": "closing", "reps": ["rep57@example.com", "rep56@example.com"]},
        "method": "named_rep",
    },
    {
        "name": "outbound lists",
        "when": {"source": {"in": ["outbound", "list"]}},
        "pool": {"role": "outbound_prospecting"},
        "method": "load_balanced",
    },
    {
        "name": "partner referrals",
        "when": {"source": "partner", "employees": {"gte": 200}},
        "pool": {"role": "closing", "tags": ["enterprise"]},
        "method": "weighted",
    },
    *[
        {
            "name": f"{segment} {region}",
            "when": {"country": {"in": countries}, "employees": bounds},
            "pool": {"role": "inbound_qualification", "tags": [segment, region]},
            "method": method,
        }
        for segment, bounds, method in (
            ("enterprise", {"gte": 1000}, "round_robin"),
            ("mid_market", {"gte": 100, "lt": 1000}, "weighted"),
        )
        for region, countries in (
            ("amer", ["US", "CA", "BR", "MX"]),
            ("emea", ["DE", "FR", "GB", "NL", "ES"]),
            ("apac", ["SG", "AU", "JP", "IN"]),
        )
    ],
    {
        "name": "fintech",
        "when": {"industry": {"contains": "fin"}},
        "pool": {"role": "closing", "tags": ["mid_market"]},
        "method": "round_robin",
    },
    {
        "name": "free trial upgrade",
        "when": {"attributes.plan": {"in": ["trial", "starter"]}, "attributes.seats": {"gt": 20}},
        "pool": {"role": "customer_success"},
        "method": "load_balanced",
    },
    {
        "name": "no website",
        "when": {"website": {"exists": False}, "phone": {"exists": True}},
        "pool": {"role": "inbound_qualification", "tags": ["smb"]},
        "method": "round_robin",
    },
    {
        "name": "webinar attendees",
        "when": {"source": "webinar", "attributes.plan": {"ne": "pro"}},
        "pool": {"role": "customer_success"},
        "method": "round_robin",
    },
    {
        "name": "events",
        "when": {"source": "event", "country": {"ne": "US"}},
        "pool": {"role": "inbound_qualification", "tags": ["emea"]},
        "method": "weighted",
    },
    {
        "name": "small companies",
        "when": {"employees": {"lt": 100}, "industry": {"not_in": ["education", "government"]}},
        "pool": {"role": "inbound_qualification", "tags": ["smb"]},
        "method": "load_balanced",
    },
    {
        "name": "public sector",
        "when": {"industry": {"in": ["education", "government"]}},
        "pool": {"role": "account_management"},
        "method": "round_robin",
    },
    {
        "name": "expansion",
        "when": {"attributes.expansion": True},
        "pool": {"role": "account_management", "tags": ["enterprise"]},
        "method": "weighted",
    },
    {
        "name": "unknown size",
        "when": {"employees": None},
        "pool": {"role": "inbound_qualification"},
        "method": "load_balanced",
    },
    {"name": "everything else", "pool": {"role": "inbound_qualification"}},
]


def make_reps(rng: random.Random) -> list[RepProfile]:
    office = parse_hours("mon-fri 09:00-17:00")
    reps, rep_id = [], 0
    for role, count in ROLES.items():
        for _ in range(count):
            rep_id += 1
            region = rng.choice(list(REGIONS))
            away = ()
            if rng.random() < 0.05:
                away = ((START - timedelta(days=2), START + timedelta(days=5)),)
            reps.append(
                RepProfile(
                    id=rep_id,
                    email=f"rep{rep_id}@example.com",
                    name=f"Rep {rep_id}",
                    roles=frozenset({role}),
                    tags=frozenset({rng.choice(SEGMENTS), rng.choice(SEGMENTS), region}),
                    weight=rng.choice((1, 1, 2, 3)),
                    capacity=rng.choice((30, 50, 80)),
                    paused=rng.random() < 0.03,
                    timezone=REGIONS[region],
                    hours=ALWAYS_OPEN if rng.random() < 0.2 else office,
                    out_of_office=away,
                    manager_id=None,
                )
            )
    return reps


def make_leads(rng: random.Random, count: int, rep_count: int) -> list[dict]:
    countries = ["US", "CA", "BR", "DE", "FR", "GB", "NL", "SG", "AU", "JP", "IN", "MX", "ES"]
    industries = ["software", "fintech", "retail", "education", "government", "health", None]
    sources = ["web", "web", "web", "outbound", "list", "partner", "event", "webinar"]
    leads = []
    for i in range(count):
        customer = rng.random() < 0.1
        leads.append(
            {
                "email": f"lead{i}@company{i % 5000}.com",
                "first_name": "Lee",
                "last_name": f"Ng {i}",
                "company": f"Company {i % 5000}",
                "phone": "+1 555 0100" if rng.random() < 0.7 else None,
                "source": rng.choice(sources),
                "country": rng.choice(countries),
                "employees": rng.choice([None, 5, 40, 150, 600, 2500, 12000]),
                "industry": rng.choice(industries),
                "website": None if rng.random() < 0.2 else f"https://company{i % 5000}.com",
                "attributes": {
                    "plan": rng.choice(["trial", "starter", "pro", None]),
                    "seats": rng.choice([1, 5, 25, 100]),
                    "tier": "strategic" if rng.random() < 0.02 else None,
                    "expansion": rng.random() < 0.05,
                },
                "account": {
                    "id": i % 5000,
                    "is_customer": customer,
                    "owner_rep_id": rng.randint(71, rep_count) if customer else None,
                },
            }
        )
    return leads


def run_engine(engine, leads, open_counts, step: timedelta) -> float:
    state = RoutingState(open_counts=dict(open_counts))
    now = START
    decide = engine.decide
    started = time.perf_counter()
    for i, lead in enumerate(leads):
        if i % RESET_EVERY == 0:
            state.open_counts = dict(open_counts)
        decide(lead, now=now, state=state)
        now += step
    return time.perf_counter() - started


def run_baseline(reps, leads, open_counts, step: timedelta) -> float:
    counts = dict(open_counts)
    now, size = START, len(reps)
    started = time.perf_counter()
    for i, _lead in enumerate(leads):
        if i % RESET_EVERY == 0:
            counts = dict(open_counts)
        rep = reps[i % size]
        counts[rep.id] = counts.get(rep.id, 0) + 1
        now += step
    return time.perf_counter() - started


def describe_mix(engine, leads, open_counts) -> str:
    """What the timed decisions were made of, so the rate can be judged."""
    state, now = RoutingState(open_counts=dict(open_counts)), START
    queued = fell_through = at_capacity = 0
    for i, lead in enumerate(leads):
        if i % RESET_EVERY == 0:
            state.open_counts = dict(open_counts)
        decision = engine.decide(lead, now=now, state=state)
        queued += decision.rep_id is None
        fell_through += any("trying the next rule" in reason for reason in decision.reasons)
        at_capacity += any(why.startswith("at capacity") for _, why in decision.skipped)
        now += timedelta(microseconds=10)
    share = {"queued": queued, "fell through a rule": fell_through, "capacity skip": at_capacity}
    return ", ".join(f"{100 * count / len(leads):.1f}% {what}" for what, count in share.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(7)
    reps = make_reps(rng)
    leads = make_leads(rng, args.leads, len(reps))
    open_counts = {rep.id: int(rep.capacity * rng.uniform(0.2, 0.7)) for rep in reps}
    routing = schema.Routing(rules=[schema.RoutingRule(**rule) for rule in RULES])
    engine = RoutingEngine(routing, reps)
    print(
        f"{len(routing.rules)} rules, {len(reps)} reps, {len(leads):,} leads, best of {args.repeat}"
    )
    for problem in engine.problems:
        print(f"  note: {problem}")

    warm = timedelta(microseconds=10)
    engine_seconds = min(run_engine(engine, leads, open_counts, warm) for _ in range(args.repeat))
    base_seconds = min(run_baseline(reps, leads, open_counts, warm) for _ in range(args.repeat))
    cold_leads = leads[: max(1, len(leads) // 5)]
    cold_seconds = run_engine(engine, cold_leads, open_counts, timedelta(seconds=61))

    mix = describe_mix(engine, leads[:10_000], open_counts)
    rate, base_rate = len(leads) / engine_seconds, len(leads) / base_seconds
    cold_rate = len(cold_leads) / cold_seconds
    rows = [
        ("routing engine", f"{rate:,.0f} decisions/s", f"{1e6 / rate:.2f} µs each"),
        ("baseline reps[i % n]", f"{base_rate:,.0f} leads/s", f"{1e6 / base_rate:.2f} µs each"),
        ("engine / baseline time", f"{engine_seconds / base_seconds:.1f}×", ""),
        (
            "new minute every lead",
            f"{cold_rate:,.0f} decisions/s",
            f"{1e6 / cold_rate:.2f} µs each",
        ),
    ]
    for label, value, each in rows:
        print(f"{label:<24}{value:>22}  {each}".rstrip())
    print(f"decisions, first 10,000 leads: {mix}")


if __name__ == "__main__":
    main()
