"""What the action tables share (the case lifecycle, dialogues, recommendations): an action is
declared with the statuses it may start from, and a request names it. Pure and I/O-free."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar


class Declared(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def from_statuses(self) -> frozenset[Any]: ...


A = TypeVar("A", bound=Declared)


def legal(actions: Iterable[A], name: str, status: Any) -> A | None:
    """The first declaration of `name` that may start from `status`, or None."""
    return next((a for a in actions if a.name == name and status in a.from_statuses), None)


def legal_now(actions: Iterable[A], status: Any) -> list[A]:
    """The declarations that may start from `status`, in table order."""
    return [a for a in actions if status in a.from_statuses]


def missing(required: Iterable[str], given: Any) -> list[str]:
    """The required fields of a request (an object with those attributes) left out or blank."""
    return [f for f in required if getattr(given, f, None) in (None, "")]
