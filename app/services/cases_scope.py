"""Placeholder until the case module lands: no case is in anyone's jurisdiction yet."""
from __future__ import annotations

from sqlalchemy import literal, select


def case_ids_in_jurisdiction(principal):
    return select(literal(None)).where(literal(False))
