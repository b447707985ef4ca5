"""Table objects built by app.models.construct.fast_table_construct are the objects SQLModel's own
construction builds: the same attribute values in the same order, the same SQLAlchemy state
(committed state, modified flag) and the same pydantic bookkeeping, for every table model."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, inspect
from sqlalchemy.orm import configure_mappers
from sqlmodel import SQLModel, _compat

from app import models  # noqa: F401  (every table registered)
from app.models import construct
from app.models.cases import Case

configure_mappers()
TABLE_MODELS = sorted((m.class_ for m in SQLModel._sa_registry.mappers), key=lambda c: c.__name__)


def _state(obj: Any, factory_fields: set[str]) -> dict[str, Any]:
    st = inspect(obj)
    values = [(k, type(v) if k in factory_fields else v) for k, v in obj.__dict__.items() if k != "_sa_instance_state"]
    return {
        "values": values,
        "committed": sorted((k, repr(v)) for k, v in st.committed_state.items()),
        "modified": st.modified,
        "transient": st.transient,
        "expired": sorted(st.expired_attributes),
        "fields_set": obj.__pydantic_fields_set__,
        "extra": obj.__pydantic_extra__,
        "private": obj.__pydantic_private__,
        "dump": {k: (type(v) if k in factory_fields else v) for k, v in obj.model_dump(warnings=False).items()},
    }


def _both(cls: type[Any], kwargs: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    factory_fields = {n for n, f in cls.model_fields.items() if f.default_factory is not None and n not in kwargs}
    assert _compat.sqlmodel_table_construct is construct.fast_table_construct
    fast = _state(cls(**dict(kwargs)), factory_fields)
    with monkeypatch.context() as m:
        m.setattr(_compat, "sqlmodel_table_construct", construct._ORIGINAL)
        slow = _state(cls(**dict(kwargs)), factory_fields)
    return fast, slow


@pytest.mark.parametrize("cls", TABLE_MODELS, ids=lambda c: c.__name__)
def test_fast_construction_builds_the_same_object(cls, monkeypatch):
    assert construct._plan(cls) is not None, "every table model takes the fast path"
    names = list(cls.model_fields)
    for kwargs in (
        {},  # defaults only
        {n: f"value of {n}" for n in names},  # every field given
        {n: i for i, n in enumerate(names) if i % 2},  # some given, some defaulted
        {**{n: None for n in names}, "not_a_field": 1},  # None everywhere, and a key that is not a field
    ):
        fast, slow = _both(cls, kwargs, monkeypatch)
        assert fast == slow, (cls.__name__, kwargs)


def test_a_set_listener_still_fires(monkeypatch):
    seen = []

    def listener(target, value, oldvalue, initiator):
        seen.append(value)
        return value

    event.listen(Case.title, "set", listener, retval=True)
    try:
        fast, slow = _both(Case, {"title": "Đơn", "kind": "petition"}, monkeypatch)
    finally:
        event.remove(Case.title, "set", listener)
    assert fast == slow
    assert seen == ["Đơn", "Đơn"]  # once per construction, both ways
