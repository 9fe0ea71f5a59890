"""Every list is paged: `?page=N`, a fixed page size, and the total to say where you are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

PAGE_SIZE = 25


@dataclass(frozen=True)
class Pager:
    page: int
    size: int
    total: int
    exact: bool = True
    """False when only "there is more" is known: the total is then a lower bound."""

    @classmethod
    def of(cls, page: int | None, total: int, size: int = PAGE_SIZE) -> Pager:
        last = max(1, -(-total // size))
        return cls(page=min(max(1, page or 1), last), size=size, total=total)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        known = max(1, -(-self.total // self.size))
        return known if self.exact else max(known, self.page + 1)

    @property
    def first_shown(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last_shown(self) -> int:
        return min(self.total, self.offset + self.size)


PageNumber = Annotated[int, Query(alias="page", ge=1, le=1_000_000)]
"""The `?page=` of any list page."""
