"""Normalising and matching leads: pure functions, no database.

A lead belongs to an existing account when its e-mail domain is the account's domain
(free-mail domains never count) or when its company name is close enough to the account's
name. The same person is recognised by a normalised e-mail, or a normalised phone number
when there is no e-mail.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from rapidfuzz import fuzz, process

FREE_MAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "tutanota.com",
        "qq.com",
        "163.com",
        "126.com",
        "naver.com",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "t-online.de",
        "comcast.net",
        "verizon.net",
        "att.net",
    ]
)

LEGAL_SUFFIXES = frozenset(
    [
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "llc",
        "ltd",
        "limited",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "bv",
        "nv",
        "oy",
        "ab",
        "as",
        "aps",
        "spa",
        "srl",
        "pty",
        "kk",
        "group",
        "holdings",
    ]
)

FUZZY_THRESHOLD = 90.0
"""token_sort_ratio score (0–100) at which two company names are taken as the same company."""

_PLUS_TAG = re.compile(r"\+[^@]*@")
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def email_key(email: str | None) -> str | None:
    """Lower-cased, trimmed, with a '+tag' removed: how we recognise the same person."""
    if not email:
        return None
    key = _PLUS_TAG.sub("@", email.strip().lower())
    return key or None


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower() or None


def company_domain(email: str | None, website: str | None = None) -> str | None:
    """The domain that identifies the lead's company, or None for free-mail addresses."""
    domain = email_domain(email)
    if domain and domain not in FREE_MAIL_DOMAINS:
        return domain
    if website:
        host = re.sub(r"^[a-z]+://", "", website.strip().lower()).split("/", 1)[0]
        host = host.split(":", 1)[0].removeprefix("www.")
        if "." in host and host not in FREE_MAIL_DOMAINS:
            return host
    return None


def company_key(name: str | None) -> str | None:
    """'ACME, Inc.' → 'acme': folded accents, no punctuation, no legal suffix."""
    if not name:
        return None
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or name
    words = _SPACES.sub(" ", _NON_WORD.sub(" ", folded.lower())).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    key = " ".join(words)
    return key[:300] or None


def phone_key(phone: str | None, country: str | None = None) -> str | None:
    """E.164 when the number parses (with the lead's country as the default region)."""
    if not phone:
        return None
    compact = _PHONE_PUNCTUATION.sub("", phone)
    if _E164.match(compact) and "(0)" not in phone:
        return compact  # already international: what phonenumbers would format it as
    region = country.upper() if country and len(country) == 2 else None
    try:
        parsed = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        digits = re.sub(r"\D", "", phone)
        return digits[:32] or None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def name_block(key: str) -> str:
    """The first word of a company key: only names sharing it are compared fuzzily."""
    return key.split(" ", 1)[0]


@dataclass(frozen=True, slots=True)
class AccountCandidate:
    id: int
    name_key: str
    domain: str | None


@dataclass(frozen=True, slots=True)
class AccountMatch:
    account_id: int
    reason: str


def best_fuzzy_match(
    key: str, candidates: Iterable[AccountCandidate], *, threshold: float = FUZZY_THRESHOLD
) -> AccountMatch | None:
    choices = {candidate.id: candidate.name_key for candidate in candidates}
    if not choices:
        return None
    found = process.extractOne(key, choices, scorer=fuzz.token_sort_ratio, score_cutoff=threshold)
    if found is None:
        return None
    name, score, account_id = found
    if _numbers(name) != _numbers(key):  # 'Unit 7' and 'Unit 8' are different companies
        return None
    return AccountMatch(account_id, f"company name '{key}' matches account '{name}' ({score:.0f}%)")


def _numbers(key: str) -> list[str]:
    return _DIGITS.findall(key)


@dataclass(frozen=True, slots=True)
class NormalisedLead:
    """A lead with the keys that matching and routing use, computed once."""

    email: str | None
    email_key: str | None
    phone: str | None
    phone_key: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    company_key: str | None
    domain: str | None
    source: str | None
    country: str | None
    employees: int | None
    industry: str | None
    website: str | None
    title: str | None
    attributes: dict
    received_at: object | None

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or self.email or self.phone or "unknown"

    def routing_facts(self, account: dict) -> dict:
        return {
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "phone": self.phone,
            "source": self.source,
            "country": self.country,
            "employees": self.employees,
            "industry": self.industry,
            "website": self.website,
            "title": self.title,
            "domain": self.domain,
            "attributes": self.attributes,
            "account": account,
        }


def normalise_lead(
    *,
    email: str | None = None,
    phone: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    company: str | None = None,
    source: str | None = None,
    country: str | None = None,
    employees: int | None = None,
    industry: str | None = None,
    website: str | None = None,
    title: str | None = None,
    attributes: dict | None = None,
    received_at=None,
) -> NormalisedLead:
    source_key = source.strip().lower() if source else None
    return NormalisedLead(
        email=email,
        email_key=email_key(email),
        phone=phone,
        phone_key=phone_key(phone, country) if phone else None,
        first_name=first_name,
        last_name=last_name,
        company=company,
        company_key=company_key(company),
        domain=company_domain(email, website),
        source=source_key,
        country=country,
        employees=employees,
        industry=industry,
        website=website,
        title=title,
        attributes=attributes or {},
        received_at=received_at,
    )
