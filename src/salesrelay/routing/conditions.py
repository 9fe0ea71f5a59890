"""Routing conditions: compiled once from a rule's `when`, tested against each lead.

A condition names a dotted path into the lead ("employees", "attributes.plan",
"account.is_customer") and either a plain value (equals) or a mapping of operators, all
of which must hold. Strings compare case-insensitively. A missing field (absent or None)
fails every operator except `exists: false` and `ne`. A plain `null` means `exists: false`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

OPERATORS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists", "contains")
_SYMBOLS = {"gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
_BOOLEAN = object()
"""Tags booleans when comparing, so `true` never equals 1."""


@dataclass(frozen=True, slots=True)
class Condition:
    path: str
    operator: str
    expected: Any
    get: Callable[[Mapping[str, Any]], Any]
    test: Callable[[Any], bool]
    """Takes the value `get` found (None when missing)."""
    before: str
    after: str | None
    """A held condition reads `before + value + after`, or just `before` when after is None."""

    def holds(self, lead: Mapping[str, Any]) -> bool:
        return self.test(self.get(lead))

    def describe(self, lead: Mapping[str, Any]) -> str:
        """A human sentence for a condition that held, e.g. 'employees 1200 ≥ 1000'."""
        if self.after is None:
            return self.before
        return self.before + show(self.get(lead)) + self.after


def _wording(path: str, operator: str, expected: Any) -> tuple[str, str | None]:
    shown = show(expected)
    return {
        "eq": (f"{path} is ", ""),
        "ne": (f"{path} is ", f", not {shown}"),
        "in": (f"{path} ", f" is in {shown}"),
        "not_in": (f"{path} ", f" is not in {shown}"),
        "exists": (f"{path} is present" if expected else f"{path} is missing", None),
        "contains": (f"{path} ", f" contains {shown}"),
    }.get(operator) or (f"{path} ", f" {_SYMBOLS[operator]} {shown}")


def compile_conditions(when: Mapping[str, Any], *, rule: str = "") -> tuple[Condition, ...]:
    """Compile a rule's `when`; raises ValueError naming the rule, path and what to write."""
    compiled: list[Condition] = []
    for path, spec in when.items():
        where = f"rule {rule!r}, condition {path!r}" if rule else f"condition {path!r}"
        if not isinstance(path, str) or not all(path.split(".")):
            raise ValueError(f"{where}: write a field name or dotted path such as 'account.plan'")
        if isinstance(spec, Mapping):
            if not spec:
                raise ValueError(f"{where}: give a value or operators such as {{gte: 1000}}")
            operators = dict(spec)
        elif spec is None:
            operators = {"exists": False}
        else:
            operators = {"eq": spec}
        for name, expected in operators.items():
            if name not in OPERATORS:
                raise ValueError(
                    f"{where}: unknown operator {name!r}; use one of {', '.join(OPERATORS)}"
                )
            test = _TESTS[name](expected, where)
            before, after = _wording(path, name, expected)
            compiled.append(Condition(path, name, expected, _getter(path), test, before, after))
    return tuple(compiled)


def show(value: Any) -> str:
    """A value as a reason sentence shows it: true/false, [a, b], 'missing', short text."""
    if type(value) is str and len(value) <= 60:
        return value
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(show(item) for item in value) + "]"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _getter(path: str) -> Callable[[Mapping[str, Any]], Any]:
    keys = path.split(".")
    if len(keys) == 1:
        key = keys[0]

        def get(lead: Mapping[str, Any]) -> Any:
            return lead.get(key)

        return get

    def get_nested(lead: Mapping[str, Any]) -> Any:
        value: Any = lead
        for key in keys:
            try:
                value = value.get(key)
            except AttributeError:  # a scalar where a mapping was expected
                return None
            if value is None:
                return None
        return value

    return get_nested


def _normal(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, bool):
        return (_BOOLEAN, value)
    return value


def _members(expected: Any, where: str) -> frozenset[Any] | tuple[Any, ...]:
    if not isinstance(expected, list | tuple | set | frozenset):
        raise ValueError(f"{where}: 'in' and 'not_in' take a list, e.g. [outbound, list]")
    normal = [_normal(item) for item in expected]
    try:
        return frozenset(normal)
    except TypeError:  # unhashable members: compare one by one
        return tuple(normal)


def _eq(expected: Any, where: str) -> Callable[[Any], bool]:
    target = _normal(expected)
    if isinstance(expected, str):
        return lambda value: isinstance(value, str) and value.casefold() == target
    return lambda value: value is not None and _normal(value) == target


def _ne(expected: Any, where: str) -> Callable[[Any], bool]:
    equal = _eq(expected, where)
    return lambda value: not equal(value)


def _in(expected: Any, where: str) -> Callable[[Any], bool]:
    members = _members(expected, where)

    def test(value: Any) -> bool:
        if type(value) is str:
            return value.casefold() in members
        try:
            return value is not None and _normal(value) in members
        except TypeError:  # an unhashable value is in no list of plain values
            return False

    return test


def _not_in(expected: Any, where: str) -> Callable[[Any], bool]:
    inside = _in(expected, where)
    return lambda value: value is not None and not inside(value)


def _ordering(name: str) -> Callable[[Any, str], Callable[[Any], bool]]:
    compare = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}[name]

    def build(expected: Any, where: str) -> Callable[[Any], bool]:
        if isinstance(expected, bool) or not isinstance(expected, int | float | str):
            raise ValueError(f"{where}: '{name}' compares with a number or text, e.g. 1000")

        def test(value: Any) -> bool:
            if value is None or isinstance(value, bool):
                return False
            try:
                return compare(value, expected)
            except TypeError:  # text against a number: the condition does not hold
                return False

        return test

    return build


def _exists(expected: Any, where: str) -> Callable[[Any], bool]:
    if not isinstance(expected, bool):
        raise ValueError(f"{where}: 'exists' takes true or false")
    if expected:
        return lambda value: value is not None
    return lambda value: value is None


def _contains(expected: Any, where: str) -> Callable[[Any], bool]:
    target = _normal(expected)

    def test(value: Any) -> bool:
        if isinstance(value, str):
            return isinstance(expected, str) and target in value.casefold()
        if isinstance(value, Mapping):
            return expected in value
        if isinstance(value, list | tuple | set | frozenset):
            return any(_normal(item) == target for item in value)
        return False

    return test


_TESTS: dict[str, Callable[[Any, str], Callable[[Any], bool]]] = {
    "eq": _eq,
    "ne": _ne,
    "in": _in,
    "not_in": _not_in,
    "gt": _ordering("gt"),
    "gte": _ordering("gte"),
    "lt": _ordering("lt"),
    "lte": _ordering("lte"),
    "exists": _exists,
    "contains": _contains,
}
