"""Routing decisions: which rep gets a new lead, and why.

Rules are tried in order; the first whose conditions all hold and whose pool has someone
available places the lead. A rule that matches with nobody available says why and lets
the next rule try; after the last rule the playbook's fallback applies (queue or manager).

A rep is never picked while paused, out of office at `now` or at capacity. Among the rest,
reps inside their own working hours are preferred; only when none of them is free does an
off-hours rep get the lead. `skipped` lists the reps of the placing rule that could not
take it, each with one reason, the first of: lacks role, paused, out of office, outside
working hours, at capacity (and, for a weighted pick, weight 0).

Everything that does not depend on the lead or the state is computed once: conditions
and pools when the engine is built, who is paused, away or working once per minute of
`now`. What is left per decision is a capacity check per pool member and the pick.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from salesrelay.calendar import ALWAYS_OPEN, WeeklyHours
from salesrelay.playbook import schema
from salesrelay.routing.conditions import compile_conditions

_WORKING, _OFF, _PAUSED, _AWAY = range(4)


@dataclass(frozen=True, slots=True)
class RepProfile:
    id: int
    email: str
    name: str
    roles: frozenset[str]
    tags: frozenset[str]
    weight: int = 1
    capacity: int = 50
    paused: bool = False
    timezone: str = "UTC"
    hours: WeeklyHours = ALWAYS_OPEN
    """The rep's own working hours, wall-clock in `timezone`."""
    out_of_office: tuple[tuple[datetime, datetime], ...] = ()
    """Aware [start, end) periods."""
    manager_id: int | None = None


@dataclass(slots=True)
class RoutingState:
    """What routing remembers between decisions; the service loads it and saves it back.

    `cursors` holds, per pool key, the id of the rep picked last (round robin and load
    ties continue after it, so the rotation survives reps joining or leaving); `weights`
    the smooth-weighted-round-robin current weights per pool key and rep.
    """

    open_counts: dict[int, int] = field(default_factory=dict)
    cursors: dict[str, int] = field(default_factory=dict)
    weights: dict[str, dict[int, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "open_counts": {str(rep): count for rep, count in self.open_counts.items()},
            "cursors": dict(self.cursors),
            "weights": {
                key: {str(rep): weight for rep, weight in current.items()}
                for key, current in self.weights.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RoutingState:
        data = data or {}
        return cls(
            open_counts={int(rep): int(n) for rep, n in data.get("open_counts", {}).items()},
            cursors={str(key): int(rep) for key, rep in data.get("cursors", {}).items()},
            weights={
                str(key): {int(rep): float(weight) for rep, weight in current.items()}
                for key, current in data.get("weights", {}).items()
            },
        )


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    rep_id: int | None
    """None: queued."""
    rule: str | None
    """The rule that placed the lead; None on fallback."""
    method: str | None
    reasons: tuple[str, ...]
    candidates: tuple[int, ...]
    """Rep ids in the placing rule's pool (on fallback: of every rule that matched)."""
    skipped: tuple[tuple[int, str], ...]
    fallback: str | None = None
    """None, "queue" or "manager"."""


@dataclass(slots=True)
class _PoolView:
    """A pool as it stands during one minute, before capacity is checked."""

    minute: int
    candidates: tuple[int, ...]
    working: tuple[RepProfile, ...]
    off: tuple[RepProfile, ...]
    exact: frozenset[int]
    """Reps whose out-of-office period starts or ends within the minute: check per lead."""
    unavailable: tuple[tuple[int, str], ...]
    unavailable_notes: tuple[str, ...]
    off_skips: tuple[tuple[int, str], ...]
    off_notes: tuple[str, ...]


class _Roster:
    """The team as routing reads it: zones resolved, out-of-office periods as timestamps."""

    def __init__(self, reps: Sequence[RepProfile]) -> None:
        self.by_id: dict[int, RepProfile] = {}
        self.zones: dict[int, ZoneInfo] = {}
        self.away: dict[int, tuple[tuple[float, float, str], ...]] = {}
        for rep in reps:
            if rep.id in self.by_id:
                raise ValueError(f"rep id {rep.id} appears twice")
            self.by_id[rep.id] = rep
            try:
                zone = self.zones[rep.id] = ZoneInfo(rep.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"rep {rep.email}: unknown time zone {rep.timezone!r}") from None
            if any(start.tzinfo is None or end.tzinfo is None for start, end in rep.out_of_office):
                raise ValueError(f"rep {rep.email}: out-of-office periods must be aware")
            self.away[rep.id] = tuple(
                (start.timestamp(), end.timestamp(), _until(end.astimezone(zone)))
                for start, end in rep.out_of_office
            )
        self.always_working = frozenset(rep.id for rep in reps if rep.hours.is_always_open)
        self.in_id_order = tuple(self.by_id[rep_id] for rep_id in sorted(self.by_id))
        self.by_email = {rep.email.strip().casefold(): rep for rep in self.in_id_order}
        self.current = _Minute(self, -1)

    def at(self, minute: int) -> _Minute:
        """The caches for one minute of `now`; a new minute starts them afresh."""
        current = self.current
        if current.minute != minute:
            current = self.current = _Minute(self, minute)
        return current

    def away_until(self, rep: RepProfile, moment: float) -> str | None:
        """The end of `rep`'s out-of-office period around `moment`, or None if not away."""
        return next((text for start, end, text in self.away[rep.id] if start <= moment < end), None)

    def refusal(self, rep: RepProfile, moment: float, open_count: int) -> str | None:
        """Why `rep` may not take a lead at all now, or None."""
        if rep.paused:
            return "paused"
        until = self.away_until(rep, moment)
        if until is not None:
            return f"out of office until {until}"
        if open_count >= rep.capacity:
            return f"at capacity {open_count}/{rep.capacity}"
        return None

    def manager_for(
        self, candidates: tuple[int, ...], moment: float, counts: dict[int, int]
    ) -> tuple[int | None, str]:
        """The manager of the first candidate who has one, if that manager may take it."""
        rep = next(
            (self.by_id[c] for c in candidates if self.by_id[c].manager_id is not None), None
        )
        if rep is None:
            return None, "no candidate has a manager"
        manager = self.by_id.get(rep.manager_id)
        if manager is None:
            return None, f"{rep.name}'s manager (rep {rep.manager_id}) is not on the team"
        refusal = self.refusal(manager, moment, counts.get(manager.id, 0))
        if refusal is not None:
            return None, f"{rep.name}'s manager {manager.name} is {refusal}"
        return manager.id, f"sent to {manager.name}, manager of {rep.name}, as nobody was available"


class _Minute:
    """Who is paused, away or working during one minute of `now`, and the pool views.

    Each decision holds on to its own minute, so an engine shared between threads stays
    consistent: at worst two threads build the same view twice.
    """

    def __init__(self, roster: _Roster, minute: int) -> None:
        self.roster, self.minute = roster, minute
        self._statuses: dict[int, tuple[int, str]] = {}
        self._local_now: dict[ZoneInfo, datetime] = {}
        self._owner_views: dict[int, _PoolView] = {}

    def local_now(self, zone: ZoneInfo) -> datetime:
        found = self._local_now.get(zone)
        if found is None:
            found = self._local_now[zone] = datetime.fromtimestamp(self.minute * 60, zone)
        return found

    def status(self, rep: RepProfile) -> tuple[int, str]:
        """(working/off/paused/away, and for away the end of the period; 'edge' to recheck)."""
        found = self._statuses.get(rep.id)
        if found is not None:
            return found
        start, end = self.minute * 60, self.minute * 60 + 60
        found = (_PAUSED, "") if rep.paused else None
        edge = ""
        for away_from, away_until, text in () if found else self.roster.away[rep.id]:
            if away_from <= start and away_until >= end:
                found = (_AWAY, text)
                break
            if away_from < end and away_until > start:
                edge = "edge"
        if found is None:
            working = rep.id in self.roster.always_working or rep.hours.is_open(
                self.local_now(self.roster.zones[rep.id])
            )
            found = (_WORKING if working else _OFF, edge)
        self._statuses[rep.id] = found
        return found

    def view(self, pool: tuple[int, ...], static_skips: tuple[tuple[int, str], ...]) -> _PoolView:
        working, off, unavailable, notes, exact = [], [], list(static_skips), [], set()
        notes.extend(
            f"skipped {self.roster.by_id[rep_id].name}: {why}" for rep_id, why in static_skips
        )
        paused = []
        for rep_id in pool:
            rep = self.roster.by_id[rep_id]
            code, detail = self.status(rep)
            if code == _PAUSED:
                unavailable.append((rep_id, "paused"))
                paused.append(rep)
            elif code == _AWAY:
                unavailable.append((rep_id, "out of office"))
                notes.append(f"skipped {rep.name}: out of office until {detail}")
            else:
                (working if code == _WORKING else off).append(rep)
                if detail:
                    exact.add(rep_id)
        if paused:
            notes.append(f"skipped {_names(paused)}: paused")
        return _PoolView(
            self.minute, pool + tuple(rep_id for rep_id, _ in static_skips), tuple(working),
            tuple(off), frozenset(exact), tuple(unavailable), tuple(notes),
            tuple((rep.id, "outside working hours") for rep in off),
            (f"skipped {_names(off)}: outside working hours",) if off else (),
        )  # fmt: skip

    def owner_view(self, rep_id: int) -> _PoolView:
        found = self._owner_views.get(rep_id)
        if found is None:
            found = self._owner_views[rep_id] = self.view((rep_id,), ())
        return found

    def pick(
        self, method: str, key: str, view: _PoolView, moment: float, state: RoutingState,
        reasons: list[str],
    ) -> tuple[int | None, tuple[tuple[int, str], ...]]:  # fmt: skip
        """The method's pick among the free reps of the preferred tier, and who was skipped."""
        get = state.open_counts.get
        skipped = list(view.unavailable)
        reasons += view.unavailable_notes
        weighted = method == "weighted"
        tier = self._free(view.working, view, moment, get, weighted, skipped, reasons)
        if tier:
            skipped += view.off_skips
            reasons += view.off_notes
            available = f"{len(tier)} available"
        else:
            tier = self._free(view.off, view, moment, get, weighted, skipped, reasons)
            if tier:
                first = min(tier, key=self._minutes_until_working).name
                nobody = "working now is free" if view.working else "in the pool is working now"
                reasons.append(f"nobody {nobody}; {first} starts first")
            available = f"{len(tier)} available off hours"
        if not tier:
            return None, tuple(skipped)
        if method == "round_robin":
            chosen = tier[_turn(tier, state.cursors.get(key))]
            state.cursors[key] = chosen.id
            how = f"by round robin (next in turn among {available})"
        elif method == "load_balanced":
            chosen = _least_loaded(tier, state.cursors.get(key), get)
            state.cursors[key] = chosen.id
            share = f"{get(chosen.id, 0)}/{chosen.capacity} open"
            how = f"by load ({share}, the lowest share among {available})"
        elif method == "weighted":
            chosen, total = _smooth_weighted(tier, state.weights.setdefault(key, {}))
            how = f"by weighted round robin (weight {chosen.weight} of {total} among {available})"
        elif method == "account_owner":
            chosen, how = tier[0], "as the account owner"
        else:
            chosen, how = tier[0], "as the first available named rep"
        state.open_counts[chosen.id] = get(chosen.id, 0) + 1
        reasons.append(f"picked {chosen.name} {how}")
        return chosen.id, tuple(skipped)

    def _free(self, group, view, moment, get, weighted, skipped, reasons) -> list[RepProfile]:
        """The reps of `group` below capacity and not away; records why the others are not.

        A weighted pick also leaves out reps of weight 0."""
        free = [rep for rep in group if get(rep.id, 0) < rep.capacity]
        if weighted:
            free = [rep for rep in free if rep.weight > 0]
        if view.exact:
            exact, away = view.exact, self.roster.away_until
            free = [rep for rep in free if rep.id not in exact or away(rep, moment) is None]
        if len(free) < len(group):
            free_ids = {rep.id for rep in free}
            for rep in group:
                if rep.id in free_ids:
                    continue
                count = get(rep.id, 0)
                if weighted and rep.weight <= 0 and count < rep.capacity:
                    skipped.append((rep.id, "weight 0"))
                    reasons.append(f"skipped {rep.name}: weight 0")
                elif count >= rep.capacity:
                    skipped.append((rep.id, f"at capacity {count}/{rep.capacity}"))
                    reasons.append(f"skipped {rep.name}: at capacity {count}/{rep.capacity}")
                else:  # left in the view as its time off starts within this minute
                    skipped.append((rep.id, "out of office"))
                    until = self.roster.away_until(rep, moment)
                    reasons.append(f"skipped {rep.name}: out of office until {until}")
        return free

    def _minutes_until_working(self, rep: RepProfile) -> float:
        waited = rep.hours.minutes_until_open(self.local_now(self.roster.zones[rep.id]))
        return math.inf if waited is None else waited


def _turn(tier: list[RepProfile], cursor: int | None) -> int:
    """Index of the first rep after the one picked last, in id order, wrapping around."""
    if cursor is not None:
        for index, rep in enumerate(tier):
            if rep.id > cursor:
                return index
    return 0


def _least_loaded(tier: list[RepProfile], cursor: int | None, get) -> RepProfile:
    """The lowest open/capacity share; ties go to the first in turn after the cursor."""
    start = _turn(tier, cursor)
    chosen = tier[start]
    chosen_load = get(chosen.id, 0)
    for rep in tier[start + 1 :] + tier[:start]:
        load = get(rep.id, 0)
        if load * chosen.capacity < chosen_load * rep.capacity:
            chosen, chosen_load = rep, load
    return chosen


def _smooth_weighted(tier: list[RepProfile], current: dict[int, float]) -> tuple[RepProfile, int]:
    """Smooth weighted round robin (as in nginx): over sum(weights) picks, each rep gets its
    weight's worth, interleaved rather than in bursts."""
    total, chosen, best = 0, tier[0], -math.inf
    for rep in tier:
        weight = current[rep.id] = current.get(rep.id, 0.0) + rep.weight
        total += rep.weight
        if weight > best:
            chosen, best = rep, weight
    current[chosen.id] = best - total
    return chosen, total


def _until(end: datetime) -> str:
    return end.date().isoformat() if end.time() == end.time().min else f"{end:%Y-%m-%d %H:%M}"


def _names(reps: Sequence[RepProfile], most: int = 4) -> str:
    names = [rep.name for rep in reps[:most]]
    if len(reps) > most:
        return ", ".join(names) + f" and {len(reps) - most} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(slots=True)
class _Rule:
    name: str
    method: str
    checks: tuple[tuple[Any, Any], ...]
    conditions: tuple[Any, ...]
    role: str | None
    pool_key: str
    pool: tuple[int, ...]
    static_skips: tuple[tuple[int, str], ...]
    view: _PoolView | None = None

    def explain(self, lead: Mapping[str, Any]) -> str:
        if not self.conditions:
            return f"rule {self.name!r} matched (it has no conditions)"
        described = ", ".join([condition.describe(lead) for condition in self.conditions])
        return f"rule {self.name!r} matched: {described}"


class RoutingEngine:
    """Compiled routing rules over a team; `decide` is pure apart from `state`."""

    def __init__(
        self,
        routing: schema.Routing,
        reps: Sequence[RepProfile],
        *,
        default_role: str | None = None,
    ) -> None:
        self.fallback = routing.fallback
        self.roster = _Roster(reps)
        problems: list[str] = []
        self._rules = [self._compile(rule, default_role, problems) for rule in routing.rules]
        self.problems = tuple(problems)
        """Things worth telling whoever maintains the playbook: empty pools, unknown e-mails."""

    @property
    def rule_names(self) -> tuple[str, ...]:
        return tuple(rule.name for rule in self._rules)

    def _compile(
        self, rule: schema.RoutingRule, default_role: str | None, problems: list[str]
    ) -> _Rule:
        conditions = compile_conditions(rule.when, rule=rule.name)
        checks = tuple((condition.get, condition.test) for condition in conditions)
        pool, role = rule.pool, (rule.pool.role if rule.pool else default_role)
        static_skips: list[tuple[int, str]] = []
        if rule.method == "account_owner":
            members: tuple[int, ...] = ()
            key = "account_owner"
        elif rule.method == "named_rep":
            if pool is None or not pool.reps:
                raise ValueError(f"rule {rule.name!r} uses named_rep: list e-mails in pool.reps")
            found = []
            for email in pool.reps:
                rep = self.roster.by_email.get(email.strip().casefold())
                if rep is None:
                    problems.append(f"rule {rule.name!r}: no rep has the e-mail {email!r}")
                elif pool.role not in rep.roles:
                    static_skips.append((rep.id, f"lacks role {pool.role}"))
                else:
                    found.append(rep.id)
            members, key = tuple(dict.fromkeys(found)), f"named:{rule.name}"
        else:
            tags = frozenset(pool.tags) if pool else frozenset()
            members = tuple(
                rep.id
                for rep in self.roster.in_id_order
                if (role is None or role in rep.roles) and tags <= rep.tags
            )
            key = (role or "*") + (f"[{','.join(sorted(tags))}]" if tags else "")
        if not members and rule.method == "named_rep":
            problems.append(f"rule {rule.name!r}: none of its named reps has role {role}")
        elif not members and rule.method != "account_owner":
            problems.append(f"rule {rule.name!r}: nobody is in its pool {key}")
        return _Rule(
            rule.name, rule.method, checks, conditions, role if pool else None, key, members,
            tuple(static_skips),
        )  # fmt: skip

    def decide(
        self, lead: Mapping[str, Any], *, now: datetime, state: RoutingState
    ) -> RoutingDecision:
        """Place one lead; on a pick, advances the pool's rotation and counts the lead."""
        if now.tzinfo is None:
            raise ValueError("now has no time zone; pass an aware datetime (UTC)")
        moment = now.timestamp()
        current = self.roster.at(int(moment // 60))
        reasons: list[str] = []
        matched: list[tuple[tuple[int, ...], tuple[tuple[int, str], ...]]] = []
        for rule in self._rules:
            for get, test in rule.checks:
                if not test(get(lead)):
                    break
            else:
                reasons.append(rule.explain(lead))
                if rule.method == "account_owner":
                    view = self._owner_view(rule, lead, current, reasons)
                    if view is None:
                        matched.append(((), rule.static_skips))
                        continue
                else:
                    view = rule.view
                    if view is None or view.minute != current.minute:
                        view = rule.view = current.view(rule.pool, rule.static_skips)
                rep_id, skipped = current.pick(
                    rule.method, rule.pool_key, view, moment, state, reasons
                )
                if rep_id is not None:
                    return RoutingDecision(
                        rep_id, rule.name, rule.method, tuple(reasons), view.candidates, skipped
                    )
                reasons.append(f"rule {rule.name!r} found nobody available; trying the next rule")
                matched.append((view.candidates, skipped))
        return self._fall_back(matched, moment, state, reasons)

    def _owner_view(
        self, rule: _Rule, lead: Mapping[str, Any], current: _Minute, reasons: list[str]
    ) -> _PoolView | None:
        account = lead.get("account")
        owner_id = account.get("owner_rep_id") if isinstance(account, Mapping) else None
        owner = self.roster.by_id.get(owner_id) if owner_id is not None else None
        if owner is None:
            reasons.append(f"rule {rule.name!r}: the account has no owner on the team")
            return None
        if rule.role is not None and rule.role not in owner.roles:
            return current.view((), ((owner.id, f"lacks role {rule.role}"),))
        return current.owner_view(owner.id)

    def _fall_back(
        self,
        matched: list[tuple[tuple[int, ...], tuple[tuple[int, str], ...]]],
        moment: float,
        state: RoutingState,
        reasons: list[str],
    ) -> RoutingDecision:
        candidates = tuple(dict.fromkeys(rep for pool, _ in matched for rep in pool))
        skipped = tuple(dict.fromkeys(skip for _, skips in matched for skip in skips))
        if not matched:
            reasons.append("no rule matched")
        if self.fallback == "manager":
            manager_id, why = self.roster.manager_for(candidates, moment, state.open_counts)
            if manager_id is not None:
                state.open_counts[manager_id] = state.open_counts.get(manager_id, 0) + 1
                reasons.append(why)
                return RoutingDecision(
                    manager_id, None, None, tuple(reasons), candidates, skipped, "manager"
                )
            reasons.append(f"{why}; queued")
        else:
            reasons.append("queued for the next available rep")
        return RoutingDecision(None, None, None, tuple(reasons), candidates, skipped, "queue")
