"""Reading a playbook: YAML text → a checked `Playbook`, or every problem with its line.

The YAML is composed into a node tree first, so each value keeps the line it was written
on; shape errors from pydantic and the semantic checks of `validate.py` are then reported
at those lines. Only plain YAML is accepted: no Python tags, and a cap on aliases, nodes
and size, so a hostile file costs nothing to refuse.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path as FilePath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from salesrelay.playbook.schema import Playbook
from salesrelay.playbook.validate import Issue, Path, check_playbook, format_path

MAX_BYTES = 1_000_000
MAX_ALIASES = 100
MAX_NODES = 20_000
MAX_DEPTH = 40
TEMPLATE_NAMES = ("four-role", "three-role", "generalist")

_YAML = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_YAML}{name}" for name in ("str", "int", "float", "bool", "null")}
# Dates stay text: the schema stores them as ISO strings and checks them itself.
_TEXT_TAGS = {f"{_YAML}timestamp", f"{_YAML}str"}


@dataclass(frozen=True)
class LoadResult:
    playbook: Playbook | None
    issues: list[Issue]
    source: str = "<playbook>"

    @property
    def ok(self) -> bool:
        return self.playbook is not None

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "warning"]

    def report(self) -> str:
        """One line per issue, prefixed with the source, for terminals and logs."""
        return "\n".join(f"{self.source}: {issue}" for issue in self.issues)


class PlaybookError(Exception):
    def __init__(self, issues: list[Issue], source: str = "<playbook>") -> None:
        self.issues = issues
        self.source = source
        errors = [issue for issue in issues if issue.severity == "error"]
        listed = "\n".join(f"  {issue}" for issue in errors)
        super().__init__(f"{source} is not a valid playbook ({len(errors)} error(s)):\n{listed}")


class _Refused(Exception):
    """The text is refused before it is read further (too large, unsafe, a bomb…)."""

    def __init__(self, message: str, line: int | None = None, path: Path = ()) -> None:
        super().__init__(message)
        self.line = line
        self.path = path


class LineMap:
    """Where each node of the document was written (1-based lines)."""

    def __init__(self) -> None:
        self.lines: dict[Path, int] = {}
        self.text_starts: dict[Path, int] = {}

    def line(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest parent written in the text."""
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)

    def text_line(self, path: Path, line_in_text: int) -> int | None:
        start = self.text_starts.get(path)
        return start + line_in_text - 1 if start is not None else self.line(path)


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases, so an alias bomb is refused while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_count = 0
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        line = self.peek_event().start_mark.line + 1
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                message = f"refused: more than {MAX_ALIASES} aliases (*name); write the values out"
                raise _Refused(message, line)
        # Composing recurses per level: refuse deep nesting before Python's stack runs out.
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _Refused(f"refused: nested more than {MAX_DEPTH} levels deep", line)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Builder:
    """Turns the node tree into plain data, recording the line of every node."""

    def __init__(self, loader: _GuardedLoader) -> None:
        self.loader = loader
        self.where = LineMap()
        self.node_count = 0
        self.flattened: set[int] = set()

    def build(self, node: yaml.Node, path: Path = ()) -> Any:
        self.node_count += 1
        if self.node_count > MAX_NODES:
            raise _Refused(
                f"refused: more than {MAX_NODES} values once aliases expand", _line(node)
            )
        if isinstance(node, yaml.ScalarNode):
            # Block scalars (| and >) start their text on the line after the indicator.
            self.where.text_starts[path] = _line(node) + (1 if node.style in ("|", ">") else 0)
            return self._scalar(node, path)
        _refuse_foreign_tag(node, path, f"{_YAML}seq", f"{_YAML}map")
        if isinstance(node, yaml.SequenceNode):
            return [self._item(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._mapping(node, path)

    def _item(self, node: yaml.Node, path: Path) -> Any:
        self.where.lines[path] = _line(node)
        return self.build(node, path)

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        _refuse_foreign_tag(node, path, *_SCALAR_TAGS, *_TEXT_TAGS)
        if node.tag in _TEXT_TAGS:
            return node.value
        return self.loader.construct_object(node)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        if id(node) not in self.flattened:  # an aliased mapping is seen again, already merged
            self._refuse_duplicate_keys(node, path)
            self.loader.flatten_mapping(node)  # `<<: *defaults` merge keys, written keys win
            self.flattened.add(id(node))
        data: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            self.where.lines[(*path, key)] = _line(key_node)
            data[key] = self.build(value_node, (*path, key))
        return data

    def _key(self, node: yaml.Node, path: Path) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise _Refused("a key must be plain text, not a list or mapping", _line(node), path)
        return self._scalar(node, path)

    def _refuse_duplicate_keys(self, node: yaml.MappingNode, path: Path) -> None:
        first_lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == f"{_YAML}merge":
                continue
            key = self._key(key_node, path)
            if key in first_lines:
                raise _Refused(
                    f"duplicate key '{key}' (first on line {first_lines[key]}); keep one",
                    _line(key_node),
                    (*path, key),
                )
            first_lines[key] = _line(key_node)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _refuse_foreign_tag(node: yaml.Node, path: Path, *allowed: str) -> None:
    if "python/" in node.tag:
        message = f"refused unsafe tag '{node.tag}'; a playbook holds plain data"
        raise _Refused(message, _line(node), path)
    if node.tag not in allowed:
        raise _Refused(f"unsupported tag '{node.tag}'; remove it", _line(node), path)


def _compose(text: str) -> tuple[Any, LineMap]:
    """The document as plain data with its line map; raises _Refused or a YAML error."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise _Refused(f"refused: the document is larger than {MAX_BYTES // 1_000_000} MB")
    loader = _GuardedLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, LineMap()
        builder = _Builder(loader)
        builder.where.lines[()] = root.start_mark.line + 1
        return builder.build(root), builder.where
    finally:
        loader.dispose()


def _yaml_issue(exc: yaml.YAMLError) -> Issue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    detail = f"{problem} ({context})" if context else problem
    return Issue("error", line, "", f"not valid YAML: {detail}; check indentation and quoting")


# -- pydantic errors in plain words ------------------------------------------------------
_DURATION_HINT = "write a duration such as '5m', '4h' or '2d'"
_FIELD_HINTS = {
    "within": _DURATION_HINT,
    "accept_within": _DURATION_HINT,
    "at": "write '80%', '100%' or '100% + 30m'",
    "hours": "write hours like 'mon-fri 09:00-17:00' or {mon: ['09:00-12:00', '13:00-17:00']}",
}
_ID_HINT = "an id uses lower-case letters, digits and _ and starts with a letter, e.g. 'closing'"
_EXPECTED = {
    "string_type": "text",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
}


def _describe(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off as true/false; quote the text)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"the number {value}"


def _unwrap(annotation: Any) -> Any:
    """Optional[X] → X, Annotated[X, …] → X; for a union of containers, the first one."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(members[0])
    return annotation


def _model_at(path: Path) -> type[BaseModel] | None:
    """The schema model that describes the mapping at `path`, if any."""
    annotation: Any = Playbook
    for part in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = {info.alias or name: info for name, info in annotation.model_fields.items()}
            if part not in fields:
                return None
            annotation = fields[part].annotation
        elif typing.get_origin(annotation) in (dict, list):
            annotation = typing.get_args(annotation)[-1]
        else:
            return None
    annotation = _unwrap(annotation)
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


def _allowed_keys(path: Path) -> list[str]:
    model = _model_at(path)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _has(data: Any, part: Any) -> bool:
    if isinstance(data, dict):
        return part in data
    return isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)


def _resolve(data: Any, error: Any) -> tuple[Path, bool, bool]:
    """The data path of a pydantic error, without the tags pydantic adds for union members.

    Returns (path, is_key, fits): is_key when the error is about a mapping key; fits is False
    when the error belongs to a union member that does not match the kind of the value.
    """
    loc, path = error["loc"], []
    current, fits = data, True
    for index, part in enumerate(loc):
        if part == "[key]":
            return tuple(path), True, fits
        if _has(current, part):
            current = current[part]
        elif error["type"] == "missing" and index == len(loc) - 1:
            pass  # the missing key itself
        elif isinstance(part, str):
            kind = {"dict": dict, "list": list, "str": str}.get(part.split("[")[0])
            fits = fits and (kind is None or isinstance(current, kind))
            continue
        path.append(part)
    return tuple(path), False, fits


def _shape_message(error: Any, path: Path, is_key: bool) -> str:
    kind, value = error["type"], error.get("input")
    name = str(path[-1]) if path else ""
    hint = next((_FIELD_HINTS[p] for p in reversed(path) if p in _FIELD_HINTS), "")
    if kind == "missing":
        return f"missing required key '{name}'; add it"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(path[:-1])
        close = difflib.get_close_matches(name, allowed, n=1)
        guess = f"did you mean '{close[0]}'? " if close else ""
        return f"unknown key '{name}'; {guess}expected one of: {', '.join(allowed)}"
    if kind == "string_pattern_mismatch":
        what = f"key {value!r}" if is_key else repr(value)
        return f"{what} is not a valid id; {_ID_HINT}"
    if kind == "literal_error":
        return f"{value!r} is not allowed here; use {error['ctx']['expected']}"
    if kind == "value_error":
        message = str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
        return message if "write" in message or not hint else f"{message}; {hint}"
    if kind in _EXPECTED:
        got = _describe(value)
        return f"expected {_EXPECTED[kind]}, got {got}" + (f"; {hint}" if hint else "")
    return f"{error['msg']}" + (f"; {hint}" if hint else "")


def _shape_issues(exc: ValidationError, data: Any, where: LineMap) -> list[Issue]:
    resolved = [(error, *_resolve(data, error)) for error in exc.errors()]
    fitting = [path for _, path, _, fits in resolved if fits]
    issues, seen = [], set()
    for error, path, is_key, fits in resolved:
        # A value of a union (calendar.hours) is reported against the member it resembles.
        if not fits and any(other[: len(path)] == path for other in fitting):
            continue
        if path in seen:
            continue
        seen.add(path)
        message = _shape_message(error, path, is_key)
        line = where.line(path[:-1] if error["type"] == "missing" else path)
        issues.append(Issue("error", line, format_path(path), message))
    return issues


# -- the public API -----------------------------------------------------------------------
def _by_line(issues: list[Issue]) -> list[Issue]:
    return sorted(issues, key=lambda issue: issue.line if issue.line is not None else 10**9)


def load_playbook_text(text: str, *, source: str = "<playbook>") -> LoadResult:
    """Parse and check a playbook; never raises for a problem in the text."""
    try:
        data, where = _compose(text)
    except _Refused as exc:
        issue = Issue("error", exc.line, format_path(exc.path), str(exc))
        return LoadResult(None, [issue], source)
    except yaml.YAMLError as exc:
        return LoadResult(None, [_yaml_issue(exc)], source)
    if data is None:
        message = "the playbook is empty; it needs name, roles, stages and entry (see four-role)"
        return LoadResult(None, [Issue("error", 1, "", message)], source)
    if not isinstance(data, dict):
        message = f"a playbook is a mapping with keys such as name and roles, not {_describe(data)}"
        return LoadResult(None, [Issue("error", where.line(()), "", message)], source)
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as exc:
        return LoadResult(None, _by_line(_shape_issues(exc, data, where)), source)
    issues = _by_line(check_playbook(playbook, where))
    has_errors = any(issue.severity == "error" for issue in issues)
    return LoadResult(None if has_errors else playbook, issues, source)


def load_playbook_file(path: str | FilePath) -> LoadResult:
    file = FilePath(path)
    try:
        if file.stat().st_size > MAX_BYTES:
            message = f"refused: the file is larger than {MAX_BYTES // 1_000_000} MB"
            return LoadResult(None, [Issue("error", None, "", message)], str(file))
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        message = f"cannot read the file: {exc}; check the path and that it is UTF-8 text"
        return LoadResult(None, [Issue("error", None, "", message)], str(file))
    return load_playbook_text(text, source=str(file))


def parse_playbook(text: str, *, source: str = "<playbook>") -> Playbook:
    """The playbook, or PlaybookError listing every error (warnings do not stop it)."""
    result = load_playbook_text(text, source=source)
    if result.playbook is None:
        raise PlaybookError(result.issues, source)
    return result.playbook


def template_names() -> list[str]:
    return list(TEMPLATE_NAMES)


def template_text(name: str) -> str:
    if name not in TEMPLATE_NAMES:
        raise KeyError(
            f"unknown playbook template {name!r}; choose one of: {', '.join(TEMPLATE_NAMES)}"
        )
    return (
        resources.files("salesrelay.playbook")
        .joinpath("templates", f"{name}.yaml")
        .read_text(encoding="utf-8")
    )


@lru_cache(maxsize=len(TEMPLATE_NAMES))
def load_template(name: str) -> Playbook:
    """A shipped template as a checked Playbook."""
    return parse_playbook(template_text(name), source=f"{name}.yaml")
