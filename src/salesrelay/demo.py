"""A lived-in demo: a four-role team and a stream of realistic leads, routed like real ones."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from salesrelay.auth import service as auth_service
from salesrelay.db import transaction
from salesrelay.demo_life import Life
from salesrelay.playbook import service as playbook_service
from salesrelay.playbook import template_text
from salesrelay.team import service as team_service
from salesrelay.team.schemas import RepCreate
from salesrelay.users import service as user_service
from salesrelay.users.schemas import UserCreate

FIRST_NAMES = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Ana",
    "Bo",
    "Chen",
    "Dara",
    "Emil",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Jo",
    "Kai",
    "Lena",
    "Maya",
    "Noor",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Vik",
    "Wen",
    "Xena",
    "Yusuf",
    "Zoe",
    "José",
    "Zoë",
    "Åsa",
    "Ngozi",
    "Kenji",
    "Łukasz",
]
LAST_NAMES = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Silva",
    "Chen",
    "Okafor",
    "Nguyen",
    "Müller",
    "Haddad",
    "Rossi",
    "Kowalski",
    "Sato",
    "Johansson",
    "García",
    "Novak",
    "Dubois",
    "Schmidt",
    "Patel",
    "Kim",
    "O'Brien",
    "Ferreira",
    "Ivanova",
    "Ahmed",
]
COMPANY_WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Wonka",
    "Massive",
    "Dynamic",
    "Aperture",
    "Black",
    "Mesa",
    "Oscorp",
    "Pied",
    "Piper",
    "Gringotts",
    "Monarch",
    "Nakatomi",
    "Virtucon",
    "Blue",
    "Sun",
    "Weyland",
    "Yutani",
    "Duff",
    "Krusty",
    "Prestige",
    "Ollivander",
    "Sirius",
    "Vault",
    "Contoso",
    "Fabrikam",
    "Northwind",
]
COMPANY_KINDS = (
    "Labs",
    "Systems",
    "Analytics",
    "Logistics",
    "Health",
    "Bank",
    "Retail",
    "Cloud",
    "AI",
    "Foods",
)
SUFFIXES = ("Inc", "Ltd", "GmbH", "LLC", "", "", "Corp")
INDUSTRIES = (
    "software",
    "finance",
    "healthcare",
    "manufacturing",
    "retail",
    "logistics",
    "education",
)
COUNTRIES = ("US", "US", "US", "GB", "DE", "FR", "CA", "BR", "IN", "AU")
SOURCES = ("web", "web", "web", "webinar", "referral", "event", "outbound", "list", "chat")
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com")

DEMO_TEAM = [
    # name, email, roles, capacity, territories, timezone, manager
    ("Morgan Lee", "morgan@salesrelay.demo", ["closing"], 20, [], "America/New_York", None),
    (
        "Priya Raman",
        "priya@salesrelay.demo",
        ["account_management"],
        60,
        [],
        "America/New_York",
        None,
    ),
    (
        "Ana Silva",
        "ana@salesrelay.demo",
        ["inbound_qualification"],
        400,
        [],
        "America/New_York",
        "morgan",
    ),
    (
        "Bo Chen",
        "bo@salesrelay.demo",
        ["inbound_qualification"],
        400,
        [],
        "America/Chicago",
        "morgan",
    ),
    (
        "Eve Adams",
        "eve@salesrelay.demo",
        ["inbound_qualification"],
        300,
        ["enterprise"],
        "America/New_York",
        "morgan",
    ),
    (
        "Sam Park",
        "sam@salesrelay.demo",
        ["outbound_prospecting"],
        400,
        [],
        "America/Los_Angeles",
        "morgan",
    ),
    (
        "Lena Novak",
        "lena@salesrelay.demo",
        ["outbound_prospecting"],
        400,
        ["enterprise"],
        "Europe/Berlin",
        "morgan",
    ),
    ("Cal Rivera", "cal@salesrelay.demo", ["closing"], 80, [], "America/New_York", "morgan"),
    (
        "Dara Okafor",
        "dara@salesrelay.demo",
        ["closing"],
        80,
        ["enterprise"],
        "America/New_York",
        "morgan",
    ),
    (
        "Noor Haddad",
        "noor@salesrelay.demo",
        ["professional_services"],
        40,
        [],
        "America/New_York",
        "priya",
    ),
    (
        "Kai Sato",
        "kai@salesrelay.demo",
        ["account_management"],
        150,
        [],
        "America/Chicago",
        "priya",
    ),
    (
        "Rosa García",
        "rosa@salesrelay.demo",
        ["account_management"],
        150,
        [],
        "America/New_York",
        "priya",
    ),
]


def fake_leads(count: int, *, seed: int = 7, companies: int | None = None) -> Iterator[dict]:
    """Deterministic, varied leads: names with accents, free-mail and company domains, sizes."""
    # Seeded on purpose: the same demo data every run; nothing secret is drawn from it.
    rng = random.Random(seed)  # nosec B311
    companies = companies or max(10, count // 3)
    for number in range(count):
        company_number = rng.randrange(companies)
        word = _company_word(company_number)
        kind = COMPANY_KINDS[company_number % len(COMPANY_KINDS)]
        company = f"{word} {kind} {rng.choice(SUFFIXES)}".strip()
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = f"{first}.{last}{number}".lower().replace("'", "")
        local = local.encode("ascii", "ignore").decode() or f"lead{number}"
        if rng.random() < 0.2:
            email = f"{local}@{rng.choice(FREE_MAIL)}"
        else:
            email = f"{local}@{word.lower()}-{kind.lower()}.example"
        employees = int(rng.lognormvariate(4.5, 1.8))
        yield {
            "email": email,
            "first_name": first,
            "last_name": last,
            "company": company,
            "phone": f"+1 212 555 {rng.randrange(10000):04d}" if rng.random() < 0.5 else None,
            "source": rng.choice(SOURCES),
            "country": rng.choice(COUNTRIES),
            "employees": min(employees, 500_000),
            "industry": rng.choice(INDUSTRIES),
            "title": rng.choice(("CTO", "VP Sales", "Head of Ops", "Founder", "Engineer", "CFO")),
        }


SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "ta",
    "vo",
    "zen",
    "pri",
    "qua",
    "dex",
    "mar",
    "tel",
    "vin",
    "sol",
    "ori",
    "bel",
    "cor",
    "fa",
    "gen",
    "hal",
]


def _company_word(number: int) -> str:
    """A distinct made-up name per number: the first few are famous fictional companies."""
    if number < len(COMPANY_WORDS):
        return COMPANY_WORDS[number]
    parts = []
    while number:
        number, digit = divmod(number, len(SYLLABLES))
        parts.append(SYLLABLES[digit])
    return "".join(parts).capitalize()


def create_team(session: Session) -> dict[str, int]:
    ids: dict[str, int] = {}
    for name, email, roles, capacity, territories, timezone, manager in DEMO_TEAM:
        rep = team_service.create(
            session=session,
            data=RepCreate(
                name=name,
                email=email,
                roles=roles,
                capacity=capacity,
                territories=territories,
                timezone=timezone,
                hours="mon-fri 08:00-18:00",
                manager_email=f"{manager}@salesrelay.demo" if manager else None,
            ),
        )
        ids[email.split("@")[0]] = rep.id
    return ids


DEMO_ADMIN = "admin@salesrelay.demo"
MANAGERS = ("morgan", "priya")


def create_users(session: Session, password: str) -> list[dict]:
    """The first admin, and a sign-in for every rep (managers as managers), one password."""
    sign_ins = [{"email": DEMO_ADMIN, "role": "admin", "name": "Demo Admin", "rep_email": None}]
    for name, email, *_ in DEMO_TEAM:
        role = "manager" if email.split("@")[0] in MANAGERS else "rep"
        sign_ins.append({"email": email, "role": role, "name": name, "rep_email": email})
    hashed = user_service.hash_password(password)
    for entry in sign_ins:
        data = UserCreate(password=password, **entry)
        user_service.create(session=session, data=data, password_hash=hashed)
    return sign_ins


def seed(
    factory: sessionmaker[Session], *, now: datetime, leads: int = 2000, days: int = 90
) -> dict:
    """Install the four-role playbook, the team and its sign-ins, then live through `days`
    days in which `leads` leads arrive, in the order things happen."""
    # Seeded on purpose (a repeatable demo); the password below comes from secrets.
    rng = random.Random(11)  # nosec B311
    password = secrets.token_urlsafe(9)
    with transaction(factory) as session:
        text = template_text("four-role")
        playbook_service.install(session=session, text=text, created_by="demo")
        create_team(session)
        sign_ins = create_users(session, password)
        _, admin_key = auth_service.create(session=session, name="demo admin", scope="admin")
        _, intake_key = auth_service.create(session=session, name="demo web form", scope="intake")
    life = Life(factory, now)
    start = now - timedelta(days=days)
    for lead in fake_leads(leads, seed=5, companies=leads * 2):
        life.arrive(lead, _arrival(rng, start, now))
    life.run()
    return {
        "journeys": life.created,
        "leads": leads,
        "admin_key": admin_key,
        "intake_key": intake_key,
        "password": password,
        "sign_ins": sign_ins,
    }


def _arrival(rng: random.Random, start: datetime, now: datetime) -> datetime:
    """Mostly on weekdays in the team's working day, growing towards today."""
    span = (now - start).total_seconds()
    while True:
        at = start + timedelta(seconds=span * rng.random() ** 0.8)
        local_hour = (at.hour - 5) % 24  # New York, near enough for a demo
        if (at.weekday() < 5 and 8 <= local_hour < 18) or rng.random() < 0.08:
            return at
