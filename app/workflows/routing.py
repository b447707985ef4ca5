"""Routing (chuyển đơn): which organisation is competent for a case, from the admin's rules.

Location → administrative units → the bodies covering them → the one for the kind and field
(as FixMyStreet routes a report). Pure: the rules and the unit's ancestry come in, an ordered
list of candidate organisation codes comes out; the caller takes the first active one, else the
ward's People's Committee (`default_org_code`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol


class Rule(Protocol):
    id: int
    kind: str | None
    field: str | None
    unit_code: str | None
    org_code: str
    priority: int


def ancestors(path: str) -> list[str]:
    """The unit codes of a materialised path, root first: `/01/00070/` → ["01", "00070"]."""
    return [c for c in path.strip("/").split("/") if c]


def ranked_org_codes(rules: Iterable[Rule], *, kind: str, field: str, unit_path: str) -> list[str]:
    """The organisations of the rules that match (kind, field, a unit at or above the case's),
    most specific first: higher priority, then a rule naming the kind, the field, a deeper unit,
    then the older rule."""
    chain: Sequence[str] = ancestors(unit_path)
    matching = [
        r
        for r in rules
        if (r.kind is None or r.kind == kind)
        and (r.field is None or r.field == field)
        and (r.unit_code is None or r.unit_code in chain)
    ]

    def specificity(r: Rule) -> tuple[int, bool, bool, int, int]:
        depth = chain.index(r.unit_code) + 1 if r.unit_code else 0
        return (r.priority, r.kind is not None, r.field is not None, depth, -r.id)

    return [r.org_code for r in sorted(matching, key=specificity, reverse=True)]


def default_org_code(unit_code: str) -> str:
    """The People's Committee of the unit (UBND-<code>): competent by default."""
    return f"UBND-{unit_code}"
