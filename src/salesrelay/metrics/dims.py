"""The dimensions reports filter and group by — role, rep, team, source, segment, stage —
as integer codes per fact row, with labels for the codes. Pure: the playbook and the team
come in as a `Context`.

Each report says which column a dimension reads (the rep who touched first, the receiver of
a handoff…); this module turns that column into codes, checks filter values (an unknown
rep or role is an error that lists the known ones) and labels the groups.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from salesrelay.calendar import BusinessCalendar
from salesrelay.errors import InvalidInputError
from salesrelay.metrics.reports import Groups
from salesrelay.metrics.table import MISSING, Table
from salesrelay.playbook.schema import Playbook

SEGMENTS = (("smb", 0.0, 100.0), ("mid_market", 100.0, 1000.0), ("enterprise", 1000.0, math.inf))
"""Segments by the lead's employee count: [low, high). The 1,000 line is the four-role
template's enterprise routing rule; leads without a count are 'unknown'."""
UNKNOWN = "unknown"
NONE_LABEL = "(none)"


@dataclass(frozen=True)
class RepInfo:
    id: int
    name: str
    email: str
    roles: tuple[str, ...]
    capacity: int
    open_journeys: int
    manager_id: int | None
    deleted: bool

    @property
    def primary_role(self) -> str | None:
        return self.roles[0] if self.roles else None

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>" + (" (deleted)" if self.deleted else "")


@dataclass
class Context:
    """The playbook in force, its calendar, the team (deleted reps too) and `now`."""

    playbook: Playbook
    calendar: BusinessCalendar
    reps: dict[int, RepInfo]
    now: float
    roles: list[str] = field(init=False)
    stages: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.stages = [stage.id for stage in self.playbook.stages]
        roles = list(self.playbook.roles)
        for rep in self.reps.values():
            roles += [r for r in rep.roles if r not in roles]
        self.roles = roles

    def stage_role(self, stage_id: str | None) -> str | None:
        try:
            return self.playbook.stage(stage_id).role if stage_id else None
        except KeyError:
            return None

    def role_function(self, role: str | None) -> str | None:
        return self.playbook.role_function(role) if role else None

    def stages_where(self, test: Callable) -> list[str]:
        return [stage.id for stage in self.playbook.stages if test(stage)]

    def rep_lookup(
        self, value: Callable[[RepInfo], int | None]
    ) -> Callable[[np.ndarray], np.ndarray]:
        """A vectorised map rep id → value(rep) (-1 for no rep or no value)."""
        size = max(self.reps, default=0) + 2
        table = np.full(size, MISSING, dtype=np.int64)
        for rep in self.reps.values():
            found = value(rep)
            table[rep.id] = MISSING if found is None else found

        def lookup(rep_ids: np.ndarray) -> np.ndarray:
            ids = np.where((rep_ids >= 0) & (rep_ids < size - 1), rep_ids, size - 1)
            return table[ids]

        return lookup

    def find_rep(self, value: str, *, name: str) -> int:
        text = value.strip().lower()
        for rep in self.reps.values():
            if str(rep.id) == text or rep.email.lower() == text:
                return rep.id
        raise InvalidInputError(
            f"{name} {value!r} is not a rep on the team; give a rep's id or e-mail", field=name
        )


@dataclass
class Axis:
    """One dimension over a table's rows: codes, a label per code, and filter matching."""

    codes: np.ndarray
    label: Callable[[int], str]
    match: Callable[[str], list[int]]


class Axes(Mapping[str, Axis]):
    """A report's dimensions, each made only when a filter or a grouping asks for it."""

    def __init__(self, factories: dict[str, Callable[[], Axis]]) -> None:
        self._factories = factories
        self._made: dict[str, Axis] = {}

    def __getitem__(self, name: str) -> Axis:
        if name not in self._made:
            self._made[name] = self._factories[name]()
        return self._made[name]

    def __iter__(self):
        return iter(self._factories)

    def __len__(self) -> int:
        return len(self._factories)


def rep_axis(context: Context, rep_ids: np.ndarray) -> Axis:
    def label(code: int) -> str:
        rep = context.reps.get(code)
        return rep.label if rep else (NONE_LABEL if code < 0 else f"rep {code}")

    return Axis(rep_ids.astype(np.int64), label, lambda v: [context.find_rep(v, name="rep")])


def team_axis(context: Context, rep_ids: np.ndarray) -> Axis:
    manager_of = context.rep_lookup(lambda rep: rep.manager_id)

    def label(code: int) -> str:
        manager = context.reps.get(code)
        return f"team of {manager.name}" if manager else "(no manager)"

    return Axis(manager_of(rep_ids), label, lambda v: [context.find_rep(v, name="team")])


def _role_match(context: Context) -> Callable[[str], list[int]]:
    def match(value: str) -> list[int]:
        if value not in context.roles:
            raise InvalidInputError(
                f"unknown role {value!r}; roles: {', '.join(context.roles)}", field="role"
            )
        return [context.roles.index(value)]

    return match


def _role_label(context: Context) -> Callable[[int], str]:
    return lambda code: context.roles[code] if code >= 0 else NONE_LABEL


def stage_role_axis(context: Context, table: Table, column: str) -> Axis:
    """The role that owns the stage in `column` (per the playbook in force)."""
    lookup = np.asarray(
        [
            context.roles.index(r) if (r := context.stage_role(s)) in context.roles else MISSING
            for s in table.vocab[column]
        ]
        + [MISSING],
        dtype=np.int64,
    )
    return Axis(lookup[table[column]], _role_label(context), _role_match(context))


def rep_role_axis(context: Context, rep_ids: np.ndarray) -> Axis:
    """The rep's primary role (the first of their roles)."""
    role_of = context.rep_lookup(
        lambda rep: context.roles.index(rep.primary_role) if rep.primary_role else None
    )
    return Axis(role_of(rep_ids), _role_label(context), _role_match(context))


def stage_axis(context: Context, table: Table, column: str) -> Axis:
    """Stages coded in playbook order; stages the playbook no longer has come after."""
    names = list(context.stages)
    names += [s for s in table.vocab[column] if s not in names]
    lookup = np.asarray([names.index(s) for s in table.vocab[column]] + [MISSING], dtype=np.int64)

    def match(value: str) -> list[int]:
        if value not in names:
            raise InvalidInputError(
                f"unknown stage {value!r}; stages: {', '.join(context.stages)}", field="stage"
            )
        return [names.index(value)]

    return Axis(lookup[table[column]], lambda c: names[c] if c >= 0 else NONE_LABEL, match)


def text_axis(table: Table, column: str) -> Axis:
    """Free text (source, protocol, policy) coded in alphabetical order, so groups come out
    in the same order however the facts were stored."""
    words = sorted(table.vocab[column])
    rank = np.asarray([words.index(w) for w in table.vocab[column]] + [MISSING], dtype=np.int64)
    return Axis(
        rank[table[column]],
        lambda c: words[c] if c >= 0 else NONE_LABEL,
        lambda v: [words.index(v)] if v in words else [],
    )


def segment_axis(employees: np.ndarray) -> Axis:
    codes = np.full(len(employees), len(SEGMENTS), dtype=np.int64)
    for index, (_, low, high) in enumerate(SEGMENTS):
        codes[(employees >= low) & (employees < high)] = index
    names = [name for name, _, _ in SEGMENTS] + [UNKNOWN]

    def match(value: str) -> list[int]:
        if value not in names:
            raise InvalidInputError(
                f"unknown segment {value!r}; segments: {', '.join(names)}", field="segment"
            )
        return [names.index(value)]

    return Axis(codes, lambda c: names[c], match)


# -- applying a query ------------------------------------------------------------------


def needed(
    base: Sequence[str], by_dimension: Mapping[str, Sequence[str]], query
) -> tuple[str, ...]:
    """The columns a report reads for this query: its own, and those of the dimensions
    the query filters or groups by (a report over all reps need not load who they were)."""
    used = [*query.filters, *query.group_by]
    return tuple(dict.fromkeys([*base, *(c for d in used for c in by_dimension.get(d, ()))]))


def mask(axes: Mapping[str, Axis], filters: dict[str, list[str]], rows: int) -> np.ndarray:
    """Rows that pass every filter; a filter on a dimension the report lacks is an error."""
    keep = np.ones(rows, dtype=bool)
    for name, values in filters.items():
        axis = axes.get(name)
        if axis is None:
            raise InvalidInputError(
                f"this report cannot be filtered by {name}; it can by: {', '.join(axes)}",
                field=name,
            )
        codes = [code for value in values for code in axis.match(value)]
        keep &= np.isin(axis.codes, np.asarray(codes, dtype=np.int64))
    return keep


def grouping(
    axes: Mapping[str, Axis], group_by: Sequence[str], selected: np.ndarray
) -> tuple[Groups, list[dict[str, str]]]:
    """Groups of the selected rows, and the label of each group by dimension."""
    keys = [axes[name].codes[selected] for name in group_by]
    groups = Groups(keys, int(selected.sum()) if selected.dtype == bool else len(selected))
    labels = [
        {name: axes[name].label(code) for name, code in zip(group_by, key, strict=True)}
        for key in groups.keys
    ]
    return groups, labels
