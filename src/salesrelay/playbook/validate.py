"""Checks that a well-shaped playbook also makes sense as a team design.

The schema only knows the shape of each part. Here the parts are checked against each other,
the way a state machine is checked when it is defined: every stage owned by a known role,
every transition between known stages, no stage nobody can reach or nobody can leave, a
handoff protocol on every transition between roles. Each problem becomes an `Issue` that
names its line and says what to fix, and every problem is reported at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as holiday_calendars
from jinja2 import TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from salesrelay.playbook.schema import (
    CONDITION_OPERATORS,
    CORE_FUNCTIONS,
    INTRO_VARIABLES,
    OUTBOUND_SOURCES,
    EscalationStep,
    Playbook,
    RoutingRule,
    Stage,
    parse_escalation_offset,
)

Path = tuple[str | int, ...]

THREE_OF_FOUR_RULE = (
    "almost every B2B company should have at least three of the four core roles "
    "(Ross & Lemkin, From Impossible to Inevitable, 2016, ch. 10)"
)
SPEED_TO_LEAD_RULE = (
    "a lead contacted within an hour is about 7x as likely to be qualified as one contacted "
    "an hour later (Oldroyd, McElheran & Elkington, 'The Short Life of Online Sales Leads', "
    "HBR 2011)"
)
SLOW_FIRST_TOUCH_MINUTES = 60
# Losing a lead to another role needs no protocol: nobody receives it.
TERMINALS_WITHOUT_HANDOFF = ("lost", "disqualified", "nurture")
# `won` leads into post-sales and `nurture` may send a lead back to an entry stage.
TERMINALS_WITH_A_WAY_OUT = ("won", "nurture")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Issue:
    """One problem in a playbook: where it is and what to do about it."""

    severity: Literal["error", "warning"]
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line is not None else []
        if self.path:
            where.append(self.path)
        prefix = ": ".join(where)
        label = "" if self.severity == "error" else "warning: "
        return f"{prefix}: {label}{self.message}" if prefix else f"{label}{self.message}"


class Locator(Protocol):
    """Finds the line of a node of the playbook text (see load.py)."""

    def line(self, path: Path) -> int | None: ...

    def text_line(self, path: Path, line_in_text: int) -> int | None: ...


def format_path(path: Path) -> str:
    """('routing', 'rules', 1, 'pool') → 'routing.rules[1].pool'."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f"[{str(part)!r}]"
    return text


def one_of(names: Iterable[object]) -> str:
    listed = sorted(str(name) for name in names)
    return ", ".join(listed) if listed else "(none defined)"


def did_you_mean(word: object, names: Iterable[object]) -> str:
    close = difflib.get_close_matches(str(word), [str(name) for name in names], n=1)
    return f"did you mean '{close[0]}'? " if close else ""


def unknown(what: str, name: str, names: Iterable[object], *, or_else: str = "") -> str:
    """ "unknown role 'closr'; did you mean 'closer'? define it under roles: or use one of: …" """
    names = list(names)
    return (
        f"unknown {what} '{name}'; {did_you_mean(name, names)}{or_else}use one of: {one_of(names)}"
    )


class _Checker:
    """Collects the issues of one playbook; each `check_*` method covers one part of it."""

    def __init__(self, playbook: Playbook, where: Locator | None) -> None:
        self.playbook = playbook
        self.where = where
        self.issues: list[Issue] = []
        self.stages: dict[str, Stage] = {}  # the first definition of each id
        for stage in playbook.stages:
            self.stages.setdefault(stage.id, stage)
        self.entry_ids = [playbook.entry.default, *playbook.entry.by_source.values()]
        self.working_owners = {s.role for s in playbook.stages if s.terminal is None}

    def line(self, path: Path, line_in_text: int | None = None) -> int | None:
        if self.where is None:  # a playbook built in code has no text, so no lines
            return None
        if line_in_text is None:
            return self.where.line(path)
        return self.where.text_line(path, line_in_text)

    def error(self, path: Path, message: str, *, line_in_text: int | None = None) -> None:
        line = self.line(path, line_in_text)
        self.issues.append(Issue("error", line, format_path(path), message))

    def warning(self, path: Path, message: str) -> None:
        self.issues.append(Issue("warning", self.line(path), format_path(path), message))

    def unknown_stage(self, path: Path, stage_id: str, what: str) -> None:
        self.error(path, f"{what} {unknown('stage', stage_id, self.stages)}")

    # -- roles, stages, entry ----------------------------------------------------------
    def check_stages(self) -> None:
        first_seen: dict[str, int] = {}
        for index, stage in enumerate(self.playbook.stages):
            if stage.role not in self.playbook.roles:
                or_else = "define it under roles: or "
                message = unknown("role", stage.role, self.playbook.roles, or_else=or_else)
                self.error(("stages", index, "role"), message)
            if stage.id in first_seen:
                first_line = self.line(("stages", first_seen[stage.id]))
                seen = f" (first defined on line {first_line})" if first_line else ""
                self.error(
                    ("stages", index, "id"),
                    f"duplicate stage id '{stage.id}'{seen}; give each stage its own id",
                )
            first_seen.setdefault(stage.id, index)
        for role_id in self.playbook.roles:
            if role_id not in self.working_owners:
                self.warning(
                    ("roles", role_id),
                    f"role '{role_id}' owns no working (non-terminal) stage; give it a stage "
                    "or remove it",
                )

    def check_entry(self) -> None:
        entry = self.playbook.entry
        targets: list[tuple[Path, str]] = [(("entry", "default"), entry.default)]
        targets += [(("entry", "by_source", src), sid) for src, sid in entry.by_source.items()]
        for path, stage_id in targets:
            stage = self.stages.get(stage_id)
            if stage is None:
                self.unknown_stage(path, stage_id, "leads would enter an")
            elif stage.terminal not in (None, "nurture"):
                self.error(
                    path,
                    f"stage '{stage_id}' is terminal ({stage.terminal}); leads must enter a "
                    "working stage such as "
                    f"{one_of(s.id for s in self.playbook.stages if s.terminal is None)}",
                )
        for source in entry.by_source:
            if source != source.strip().lower():
                self.error(
                    ("entry", "by_source", source),
                    f"sources are matched in lower case, so '{source}' never matches; "
                    f"write '{source.strip().lower()}'",
                )

    # -- transitions and the stage graph -------------------------------------------------
    def check_transitions(self) -> None:
        first_seen: dict[tuple[str, str], int] = {}
        for index, transition in enumerate(self.playbook.transitions):
            path: Path = ("transitions", index)
            source = self.stages.get(transition.from_)
            target = self.stages.get(transition.to)
            if source is None:
                self.unknown_stage((*path, "from"), transition.from_, "transition from an")
            if target is None:
                self.unknown_stage((*path, "to"), transition.to, "transition to nowhere: an")
            handoff = transition.handoff
            if handoff is not None and handoff not in self.playbook.handoffs:
                or_else = "define it under handoffs: or "
                message = unknown(
                    "handoff protocol", handoff, self.playbook.handoffs, or_else=or_else
                )
                self.error((*path, "handoff"), message)
            pair = (transition.from_, transition.to)
            if pair in first_seen:
                self.error(path, f"duplicate transition {pair[0]} → {pair[1]}; keep only one")
            first_seen.setdefault(pair, index)
            if source is None or target is None:
                continue
            if source.terminal not in (None, *TERMINALS_WITH_A_WAY_OUT):
                self.error(
                    (*path, "from"),
                    f"stage '{source.id}' is terminal ({source.terminal}), so nothing leaves it; "
                    "remove this transition or make the stage non-terminal",
                )
            roles = self.playbook.roles
            known_roles = source.role in roles and target.role in roles
            crosses_roles = known_roles and source.role != target.role
            if crosses_roles and target.terminal not in TERMINALS_WITHOUT_HANDOFF and not handoff:
                fix = (
                    f"add handoff: <name> naming one of: {one_of(self.playbook.handoffs)} "
                    "(or a new protocol under handoffs:)"
                    if self.playbook.handoffs
                    else "define a protocol under handoffs: and add handoff: <name> here"
                )
                self.error(
                    path,
                    f"transition {source.id} → {target.id} passes the journey from role "
                    f"'{source.role}' to '{target.role}' without a handoff protocol; {fix}",
                )

    def _edges(self) -> dict[str, set[str]]:
        edges: dict[str, set[str]] = {stage_id: set() for stage_id in self.stages}
        for transition in self.playbook.transitions:
            if transition.from_ in self.stages and transition.to in self.stages:
                edges[transition.from_].add(transition.to)
        return edges

    def check_graph(self) -> None:
        edges = self._edges()
        entries = [stage_id for stage_id in self.entry_ids if stage_id in self.stages]
        reachable = _closure(entries, edges)
        backwards: dict[str, set[str]] = {stage_id: set() for stage_id in self.stages}
        for source, targets in edges.items():
            for target in targets:
                backwards[target].add(source)
        terminals = [sid for sid, stage in self.stages.items() if stage.terminal is not None]
        finishing = _closure(terminals, backwards)
        for index, stage in enumerate(self.playbook.stages):
            if stage.terminal is not None or self.stages[stage.id] is not stage:
                continue
            path = ("stages", index, "id")
            if entries and stage.id not in reachable:  # without an entry, check_entry says it
                self.error(
                    path,
                    f"stage '{stage.id}' cannot be reached from any entry stage "
                    f"({one_of(set(self.entry_ids))}); add a transition into it or remove it",
                )
            if not edges[stage.id]:
                self.error(
                    path,
                    f"stage '{stage.id}' is a dead end: no transition leaves it; add one "
                    "(e.g. to a terminal stage such as lost) or make it terminal: lost",
                )
            elif stage.id not in finishing:
                self.error(
                    path,
                    f"journeys in stage '{stage.id}' can never finish: no path from it reaches "
                    "a terminal stage; add a transition towards one",
                )

    def check_coverage(self) -> None:
        if self.playbook.is_generalist:
            return
        covered = {self.playbook.role_function(role) for role in self.working_owners}
        covered &= set(CORE_FUNCTIONS)
        if len(covered) < 3:
            missing = [f for f in CORE_FUNCTIONS if f not in covered]
            counted = f"{len(covered)} of" if covered else "none of"
            listed = f" ({one_of(covered)})" if covered else ""
            unnamed = sorted(r for r in self.working_owners if not self.playbook.role_function(r))
            hint = f" (set function: on {', '.join(unnamed)} to count them)" if unnamed else ""
            self.warning(
                ("roles",),
                f"this specialized playbook covers {counted} the four core functions"
                f"{listed}{hint}; {THREE_OF_FOUR_RULE}. Add a role for {' or '.join(missing)}, "
                "or let one generalist role own every stage",
            )

    # -- handoff protocols ---------------------------------------------------------------
    def check_handoffs(self) -> None:
        used = {t.handoff for t in self.playbook.transitions}
        for name, protocol in self.playbook.handoffs.items():
            path: Path = ("handoffs", name)
            if name not in used:
                self.warning(path, f"handoff '{name}' is not used by any transition; remove it")
            for field_id, field in protocol.fields.items():
                if field.type == "choice" and not field.choices:
                    self.error(
                        (*path, "fields", field_id),
                        f"choice field '{field_id}' has no choices; add choices: [a, b, …]",
                    )
            meeting = protocol.meeting_field
            if meeting is not None and meeting not in protocol.fields:
                self.error(
                    (*path, "meeting_field"),
                    f"meeting_field '{meeting}' is not among this handoff's fields "
                    f"({one_of(protocol.fields)}); add it under fields: with type: datetime",
                )
            elif meeting is not None and protocol.fields[meeting].type != "datetime":
                self.error(
                    (*path, "meeting_field"),
                    f"meeting_field '{meeting}' must be a field of type: datetime to schedule "
                    "a meeting",
                )
            for key in ("intro", "intro_subject"):
                text = getattr(protocol, key)
                for line_in_text, message in template_problems(text, set(protocol.fields)):
                    self.error((*path, key), message, line_in_text=line_in_text)

    # -- SLA policies --------------------------------------------------------------------
    def check_sla(self) -> None:
        inbound = self._inbound_entry_stages()
        for name, policy in self.playbook.sla.items():
            path: Path = ("sla", name)
            for key in ("stages", "pause_in"):
                for index, stage_id in enumerate(getattr(policy, key)):
                    if stage_id not in self.stages:
                        self.unknown_stage((*path, key, index), stage_id, "the policy names an")
            if policy.kind in ("follow_up", "time_in_stage", "response") and not policy.stages:
                self.warning(
                    path, f"a {policy.kind} policy without stages: never runs; list them in stages:"
                )
            self._check_escalation(path, policy.escalation, policy.within_minutes)
            covered = policy.stages or (self.entry_ids if policy.kind == "first_touch" else [])
            slow = policy.kind == "first_touch" and policy.within_minutes > SLOW_FIRST_TOUCH_MINUTES
            for stage_id in sorted(set(covered) & inbound) if slow else []:
                self.warning(
                    (*path, "within"),
                    f"first touch within {policy.within} on inbound stage '{stage_id}' is slow: "
                    f"{SPEED_TO_LEAD_RULE}; aim for minutes, e.g. within: 5m",
                )

    def _check_escalation(
        self, path: Path, steps: list[EscalationStep], allowed_minutes: float
    ) -> None:
        previous: tuple[str, float] | None = None
        for index, step in enumerate(steps):
            offset = parse_escalation_offset(step.at, allowed_minutes=allowed_minutes)
            if previous is not None and offset <= previous[1]:
                self.error(
                    (*path, "escalation", index, "at"),
                    f"escalation steps must come in increasing order, but '{step.at}' does not "
                    f"come after '{previous[0]}'; reorder the steps",
                )
            previous = (step.at, offset)

    def _inbound_entry_stages(self) -> set[str]:
        """Entry stages where leads wait for an answer (not prospected from a list)."""
        entry = self.playbook.entry
        answered = {entry.default}
        answered |= {sid for src, sid in entry.by_source.items() if src not in OUTBOUND_SOURCES}
        return {
            sid
            for sid in answered
            if sid in self.stages
            and self.playbook.role_function(self.stages[sid].role) != "outbound_prospecting"
        }

    # -- routing -------------------------------------------------------------------------
    def check_routing(self) -> None:
        names: set[str] = set()
        for index, rule in enumerate(self.playbook.routing.rules):
            path: Path = ("routing", "rules", index)
            if rule.name in names:  # decisions cite rules by name and rotate per name
                self.error((*path, "name"), f"duplicate rule name '{rule.name}'; rename one")
            names.add(rule.name)
            self._check_pool(path, rule)
            for field, condition in rule.when.items():
                self._check_condition((*path, "when", field), field, condition)

    def _check_pool(self, path: Path, rule: RoutingRule) -> None:
        pool = rule.pool
        if rule.method == "named_rep" and (pool is None or not pool.reps):
            self.error(path, "method named_rep needs pool: {role: <role>, reps: [rep e-mails]}")
        if pool is None:  # without a pool the rule routes to the owner of the default entry
            return
        if pool.role not in self.playbook.roles:
            self.error((*path, "pool", "role"), unknown("role", pool.role, self.playbook.roles))
        elif pool.role not in self.working_owners:
            self.error(
                (*path, "pool", "role"),
                f"rule points at role '{pool.role}', which owns no working stage, so nobody in "
                f"it can take the lead; use one of: {one_of(self.working_owners)}",
            )

    def _check_condition(self, path: Path, field: str, condition: object) -> None:
        if isinstance(condition, list):
            self.warning(
                path,
                "a plain list matches only a field equal to the whole list; to match any of "
                "its items write {in: [...]}",
            )
        operators = condition if isinstance(condition, dict) else {}
        unknown_operators = [op for op in operators if op not in CONDITION_OPERATORS]
        for operator in unknown_operators:
            self.error((*path, operator), unknown("operator", operator, CONDITION_OPERATORS))
        if not unknown_operators:
            problem = condition_problem(field, condition)
            if problem:
                self.error(path, problem)

    # -- business calendar ---------------------------------------------------------------
    def check_calendar(self) -> None:
        calendar = self.playbook.calendar
        problems = [
            (("calendar", "timezone"), timezone_problem(calendar.timezone)),
            (("calendar", "hours"), hours_problem(calendar.hours)),
            (("calendar", "holidays"), holidays_problem(calendar.holidays)),
        ]
        problems += [
            (("calendar", "closed_dates", index), closed_date_problem(text))
            for index, text in enumerate(calendar.closed_dates)
        ]
        for path, problem in problems:
            if problem:
                self.error(path, problem)


def _closure(starts: list[str], edges: dict[str, set[str]]) -> set[str]:
    seen, todo = set(starts), list(starts)
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


_TEMPLATES = SandboxedEnvironment()


def template_problems(text: str, field_ids: set[str]) -> Iterator[tuple[int, str]]:
    """(line in the text, message) for each problem of an intro template."""
    try:
        tree = _TEMPLATES.parse(text)
        _TEMPLATES.compile(tree)
    except TemplateSyntaxError as exc:
        problem = (exc.message or "syntax error").rstrip(".")
        yield (
            exc.lineno,
            f"not a valid Jinja2 template: {problem}; fix the {{{{ }}}} or {{% %}} tags",
        )
        return
    allowed = one_of(INTRO_VARIABLES)
    for name in sorted(meta.find_undeclared_variables(tree) - set(INTRO_VARIABLES)):
        found = next(n for n in tree.find_all(nodes.Name) if n.name == name)
        yield found.lineno, f"unknown variable '{name}'; use one of: {allowed}"
    for node in tree.find_all(nodes.Getattr):
        names_a_field = isinstance(node.node, nodes.Name) and node.node.name == "fields"
        if names_a_field and node.attr not in field_ids:
            message = f"fields.{node.attr} is not a field of this handoff; add it under fields: or"
            yield node.lineno, f"{message} use one of: {one_of(field_ids)}"


def condition_problem(field: str, condition: object) -> str | None:
    """What the routing engine would refuse in this condition (operand types, empty maps)."""
    try:
        from salesrelay.routing.conditions import compile_conditions
    except ImportError:  # conditions are compiled by the routing engine; without it, no check
        return None
    try:
        compile_conditions({field: condition})
    except ValueError as exc:
        return str(exc).removeprefix(f"condition {field!r}: ")
    return None


def timezone_problem(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return (
            f"unknown time zone '{name}'; {did_you_mean(name, available_timezones())}"
            "use an IANA name such as 'Europe/Berlin' or 'America/New_York'"
        )
    return None


def hours_problem(spec: str | dict) -> str | None:
    try:
        from salesrelay.calendar import parse_hours
    except ImportError:  # hours are checked by the calendar module; without it, nothing to check
        return None
    try:
        parse_hours(spec)
    except (ValueError, TypeError) as exc:
        return str(exc) if "write" in str(exc) else f"{exc}; write e.g. 'mon-fri 09:00-17:00'"
    return None


def holidays_problem(code: str | None) -> str | None:
    """Read the way the calendar reads it: 'US', 'DE-BY', case-insensitive."""
    if code is None:
        return None
    country, _, subdivision = code.strip().upper().partition("-")
    try:
        holiday_calendars.country_holidays(country, subdiv=subdivision or None)
    except NotImplementedError:
        subdivisions = holiday_calendars.list_supported_countries().get(country)
        if subdivisions is None:
            return (
                f"unknown holiday country '{country}'; write an ISO 3166 country code such as "
                "'US', optionally with a subdivision such as 'DE-BY'"
            )
        return (
            f"unknown subdivision '{subdivision}' of {country}; use one of: {one_of(subdivisions)}"
        )
    return None


def closed_date_problem(text: str) -> str | None:
    try:
        if ISO_DATE.match(text):
            date.fromisoformat(text)
            return None
    except ValueError:
        pass
    return f"bad closed date '{text}'; write a date as YYYY-MM-DD, e.g. 2025-12-24"


def check_playbook(playbook: Playbook, where: Locator | None = None) -> list[Issue]:
    """Every problem of a well-shaped playbook; `where` finds lines in its text."""
    checker = _Checker(playbook, where)
    checker.check_stages()
    checker.check_entry()
    checker.check_transitions()
    checker.check_graph()
    checker.check_coverage()
    checker.check_handoffs()
    checker.check_sla()
    checker.check_routing()
    checker.check_calendar()
    return checker.issues
