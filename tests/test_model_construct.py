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


def _set_both(obj_fast: Any, obj_slow: Any, name: str, value: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    setattr(obj_fast, name, value)
    with monkeypatch.context() as m:
        m.setattr(SQLModel, "__setattr__", construct._ORIGINAL_SETATTR)
        setattr(obj_slow, name, value)


@pytest.mark.parametrize("cls", TABLE_MODELS, ids=lambda c: c.__name__)
def test_fast_setattr_changes_the_object_as_sqlmodel_does(cls, monkeypatch):
    assert SQLModel.__setattr__ is construct.fast_setattr
    names = list(cls.model_fields)
    kwargs = {n: f"value of {n}" for n in names[::2]}
    fast, slow = cls(**kwargs), cls(**kwargs)
    for i, name in enumerate(names):  # set fields given at construction and others, twice
        _set_both(fast, slow, name, i, monkeypatch)
        _set_both(fast, slow, name, None, monkeypatch)
    _set_both(fast, slow, "_sa_instance_state", fast._sa_instance_state, monkeypatch)
    _set_both(fast, slow, "_sa_instance_state", slow._sa_instance_state, monkeypatch)
    factory_fields = {n for n, f in cls.model_fields.items() if f.default_factory is not None}
    assert _state(fast, factory_fields) == _state(slow, factory_fields)


def test_fast_setattr_on_a_persistent_object_marks_it_modified(monkeypatch):
    """After a flush an object's committed state is empty: a change records the old value, as the
    unit of work needs to write an UPDATE."""
    a, b = Case(title="a", kind="petition"), Case(title="a", kind="petition")
    for obj in (a, b):
        inspect(obj)._commit_all(obj.__dict__)  # as a flush leaves it
    _set_both(a, b, "title", "b", monkeypatch)
    _set_both(a, b, "id", 7, monkeypatch)  # a primary key: SQLAlchemy keeps its active history
    factory_fields = {n for n, f in Case.model_fields.items() if f.default_factory is not None}
    assert _state(a, factory_fields) == _state(b, factory_fields)
    assert inspect(a).attrs.title.history.deleted == ["a"] and inspect(a).attrs.title.history.added == ["b"]


def test_fast_setattr_leaves_api_schemas_alone():
    from app.models.cases import CaseCreate

    assert construct._setter(CaseCreate, "title") is None
