"""Pages of the back-office's long lists (register, audit trail, purge receipts).

A list is read one page at a time with LIMIT/OFFSET in the database, after a count: page
numbers ("page 3 of 40") need the count anyway, and the orderings are total (time, then a
unique id), so a row sits at one offset only. A page number that is not a plain positive
whole number, given twice, or past the last page names no page: :class:`NoSuchPage`, which the
views answer with the back-office's 404 page.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from flask import current_app
from werkzeug.datastructures import MultiDict

# At most 9 digits: enough for any real list, and far from what an SQL OFFSET can hold.
_NUMBER = re.compile(r"[1-9][0-9]{0,8}")

T = TypeVar("T")


class NoSuchPage(LookupError):
    """The page asked for does not exist (a bad number, or past the last page)."""


@dataclasses.dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, its number (from 1), the page size and the total count."""

    items: list[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the list has (1 for an empty list)."""
        return max(1, -(-self.total // self.size))

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def page_size() -> int:
    return int(current_app.config["BACKOFFICE_PAGE_SIZE"])


def page_number(args: MultiDict) -> int:
    """The ``page`` query parameter (1 when absent); raises :class:`NoSuchPage` for anything but
    one plain positive whole number given once."""
    values = args.getlist("page")
    if not values:
        return 1
    if len(values) > 1 or not _NUMBER.fullmatch(values[0]):
        raise NoSuchPage()
    return int(values[0])


def paginate(number: int, size: int, total: int, fetch: Callable[[int, int], list[T]]) -> Page[T]:
    """Page ``number`` of a list of ``total`` rows; ``fetch(limit, offset)`` reads its rows.
    Raises :class:`NoSuchPage` past the last page, before any row is read."""
    page: Page[T] = Page([], number, size, total)
    if number > page.pages:
        raise NoSuchPage()
    return dataclasses.replace(page, items=fetch(size, (number - 1) * size))
