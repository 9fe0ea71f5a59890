"""A column table of facts: NumPy arrays of equal length, text held as int32 codes. Pure.

Text columns are dictionary-encoded: `codes[i]` indexes `vocab[field]`, -1 means none.
Tables with different vocabularies (blocks written at different times) are concatenated by
re-coding each into a merged vocabulary, which costs a lookup per row, not a string per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

TEXT = "text"
MISSING = -1


@dataclass(frozen=True)
class Kind:
    """A kind of fact and its columns: (name, NumPy dtype or TEXT)."""

    name: str
    fields: tuple[tuple[str, str], ...]

    def dtype(self, name: str) -> np.dtype:
        kind = dict(self.fields)[name]
        return np.dtype("<i4") if kind == TEXT else np.dtype(kind).newbyteorder("<")

    def is_text(self, name: str) -> bool:
        return dict(self.fields)[name] == TEXT

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.fields]


@dataclass
class Table:
    kind: Kind
    columns: dict[str, np.ndarray]
    vocab: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    @classmethod
    def empty(cls, kind: Kind, names: Sequence[str] | None = None) -> Table:
        names = kind.names if names is None else names
        return cls(
            kind,
            {n: np.zeros(0, dtype=kind.dtype(n)) for n in names},
            {n: [] for n in names if kind.is_text(n)},
        )

    @classmethod
    def from_lists(cls, kind: Kind, lists: dict[str, list]) -> Table:
        """Columns given as Python lists (text as str or None, numbers as float/int/None)."""
        columns: dict[str, np.ndarray] = {}
        vocab: dict[str, list[str]] = {}
        for name, kind_of in kind.fields:
            values = lists[name]
            if kind_of == TEXT:
                words: dict[str, int] = {}
                codes = [MISSING if v is None else words.setdefault(v, len(words)) for v in values]
                columns[name] = np.asarray(codes, dtype="<i4")
                vocab[name] = list(words)
            else:
                columns[name] = np.asarray(values, dtype=kind.dtype(name))
        return cls(kind, columns, vocab)

    def take(self, selector: np.ndarray) -> Table:
        """The rows a boolean mask or an index array selects, with the same vocabulary."""
        return Table(self.kind, {n: c[selector] for n, c in self.columns.items()}, dict(self.vocab))

    def select(self, names: Iterable[str]) -> Table:
        names = list(names)
        return Table(
            self.kind,
            {n: self.columns[n] for n in names},
            {n: self.vocab[n] for n in names if n in self.vocab},
        )

    def code_of(self, name: str, value: str) -> int:
        try:
            return self.vocab[name].index(value)
        except ValueError:
            return MISSING

    def codes_of(self, name: str, values: Iterable[str]) -> np.ndarray:
        words = {w: i for i, w in enumerate(self.vocab[name])}
        return np.asarray([words[v] for v in values if v in words], dtype=np.int64)

    def isin(self, name: str, values: Iterable[str]) -> np.ndarray:
        """Rows whose text column `name` is one of `values` (a lookup per row, no sort)."""
        wanted = np.zeros(len(self.vocab[name]) + 1, dtype=bool)  # the last slot: code -1
        wanted[self.codes_of(name, values)] = True
        return wanted[self.columns[name]]

    def text(self, name: str, code: int) -> str | None:
        return self.vocab[name][code] if code >= 0 else None


def concat(kind: Kind, tables: Sequence[Table], names: Sequence[str] | None = None) -> Table:
    """One table of the rows of all `tables`, text re-coded into one vocabulary."""
    names = list(names) if names is not None else kind.names
    tables = [t for t in tables if len(t)]
    if not tables:
        return Table.empty(kind, names)
    if len(tables) == 1:
        return tables[0].select(names)
    columns: dict[str, np.ndarray] = {}
    vocab: dict[str, list[str]] = {}
    for name in names:
        if not kind.is_text(name):
            columns[name] = np.concatenate([t.columns[name] for t in tables])
            continue
        words: dict[str, int] = {}
        parts = []
        for table in tables:
            own = table.vocab.get(name, [])
            # Index len(own) of the lookup is the code -1 ("none") wrapped around.
            lookup = np.asarray(
                [words.setdefault(w, len(words)) for w in own] + [MISSING], dtype="<i4"
            )
            parts.append(lookup[table.columns[name]])
        columns[name] = np.concatenate(parts)
        vocab[name] = list(words)
    return Table(kind, columns, vocab)
