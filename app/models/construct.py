"""Building a table object (`Case(...)`, `AuditEvent(...)`) without SQLModel's per-field cost.

SQLModel's `sqlmodel_table_construct` sets each field with `setattr`, so every field of every new
row goes through SQLModel's `__setattr__`, SQLAlchemy's `set_attribute` (class manager look-up,
`is_instrumented`, the attribute's `set`) and pydantic's `__setattr__`; and for a field with a
`default_factory` pydantic inspects the factory's signature on every call. A `Case` has 50
columns: that was a third of the demo loader's CPU (docs/performance.md, decision 0105).

`fast_table_construct` does, per field, exactly what that `setattr` chain ends in for a plain
column — SQLAlchemy's `ScalarAttributeImpl.set` (`state._modified_event(dict_, impl, old)`, then
`dict_[key] = value`), and pydantic's field handler (`__dict__[key] = value`) — with what does not
change between calls (fields, aliases, defaults, attribute impls) worked out once per class.
`fast_setattr` does the same for one assignment (`case.status = ...`) to an existing object.
Anything they were not written for takes SQLModel's own path: a class with relationships, private
attributes, a post-init, `extra="allow"`, `validate_assignment` or frozen fields, a field that is
not a plain instrumented column or has a loader, a class with `set` listeners, and a primary key
(active history) that is expired and would be loaded. A test (tests/test_model_construct.py)
builds and changes every table model both ways and compares the objects' whole state: values,
SQLAlchemy's committed state and flags, pydantic's fields-set.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from pydantic._internal._utils import smart_deepcopy
from pydantic_core import PydanticUndefined
from sqlalchemy.orm import attributes as orm_attributes
from sqlalchemy.orm import base as orm_base
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlmodel import SQLModel, _compat

_ORIGINAL: Callable[..., Any] = _compat.sqlmodel_table_construct
_IMMUTABLE = (type(None), bool, int, float, complex, str, bytes)
NO_VALUE = orm_base.NO_VALUE
_DONT_SET = getattr(orm_base, "DONT_SET", object())  # a value `set` ignores (SQLAlchemy 2.1)
_DONT_SET_ID = id(_DONT_SET)
_SET_LISTENERS = attrgetter("set")  # an attribute's `set` listeners (falsy when there are none)
# the implementation of a plain column attribute (named without the underscore before SQLAlchemy 2.1)
_SCALAR: Any = getattr(orm_attributes, "_ScalarAttributeImpl", None) or getattr(
    orm_attributes, "ScalarAttributeImpl", None
)

# per class: None (use SQLModel's path) or a tuple of
# (name, alias, impl, kind, default): kind 0 required, 1 default value, 2 default to copy, 3 factory
_Plan = tuple[tuple[str, str | None, Any, int, Any], ...]
_PLANS: dict[type[Any], _Plan | None] = {}
_DISPATCHES: dict[type[Any], tuple[Any, ...]] = {}  # per class with a plan: its fields' event dispatchers


class _NotReady(Exception):
    pass


def _plan(cls: type[Any]) -> _Plan | None:
    config = cls.model_config
    if (
        cls.__sqlmodel_relationships__
        or cls.__private_attributes__
        or cls.__pydantic_post_init__
        or cls.__pydantic_root_model__
        or config.get("extra") == "allow"
        or config.get("validate_assignment")
        or config.get("frozen")
    ):
        return None
    manager = manager_of_class(cls)
    out = []
    for name, field in cls.model_fields.items():
        if field.frozen or name.startswith("_") or name in cls.__class_vars__ or name not in manager:
            return None
        impl = manager[name].impl
        if impl is None:  # mappers not configured yet: decide on a later call
            raise _NotReady
        if _SCALAR is None or type(impl) is not _SCALAR or not impl.send_modified_events:
            return None
        if field.default_factory is not None:
            if field.default_factory_takes_validated_data:
                return None
            kind, default = 3, field.default_factory
        elif field.default is PydanticUndefined:
            kind, default = 0, None
        elif type(field.default) in _IMMUTABLE:
            kind, default = 1, field.default
        else:
            kind, default = 2, field.default
        if impl.callable_ is not None:  # a loader: the previous value is not simply what __dict__ holds
            return None
        out.append((name, field.alias or None, impl, kind, default))
    _DISPATCHES[cls] = tuple(impl.dispatch for _n, _a, impl, _k, _d in out)
    return tuple(out)


def fast_table_construct(*, self_instance: Any, values: dict[str, Any], _fields_set: set[str] | None = None) -> Any:
    """`sqlmodel._compat.sqlmodel_table_construct`, with the same result (see the module's doc)."""
    cls = type(self_instance)
    try:
        plan = _PLANS[cls]
    except KeyError:
        try:
            plan = _PLANS[cls] = _plan(cls)
        except _NotReady:
            plan = None
    if plan is None:
        return _ORIGINAL(self_instance=self_instance, values=values, _fields_set=_fields_set)
    dict_ = self_instance.__dict__
    extra = [k for k in dict_ if k != "_sa_instance_state"]
    if extra:  # something set an attribute before __init__ ran: SQLModel's path sets it again
        return _ORIGINAL(self_instance=self_instance, values=values, _fields_set=_fields_set)
    given: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    for name, alias, _impl, kind, default in plan:
        if alias and alias in values:
            given[name] = values.pop(alias)
        elif name in values:
            given[name] = values.pop(name)
        elif kind == 1:
            defaults[name] = default
        elif kind == 3:
            defaults[name] = default()
        elif kind == 2:
            defaults[name] = smart_deepcopy(default)
    if _fields_set is None:
        _fields_set = set(given)
    state = dict_["_sa_instance_state"]
    if (
        not state.committed_state
        and state.session_id is None
        and not state._last_known_values  # noqa: SLF001
        and not any(map(_SET_LISTENERS, _DISPATCHES[cls]))  # (any field's: a listener anywhere takes the full path)
        and _DONT_SET_ID not in map(id, given.values())
    ):
        # A new object, no listeners: each `set` would record "no previous value" for its key and
        # mark the object modified (the first time), and store the value.
        committed = state.committed_state
        for part in (given, defaults):
            for name in part:
                committed[name] = NO_VALUE
        if committed:
            state._modified_event(dict_, None, NO_VALUE)  # noqa: SLF001 - only flags it modified
        dict_.update(given)
        dict_.update(defaults)
    else:
        for part in (given, defaults):
            for name, value in part.items():
                setattr(self_instance, name, value)
    object.__setattr__(self_instance, "__pydantic_fields_set__", _fields_set)
    object.__setattr__(self_instance, "__pydantic_extra__", None)
    object.__setattr__(self_instance, "__pydantic_private__", None)
    return self_instance


_ORIGINAL_SETATTR: Callable[[Any, str, Any], None] = SQLModel.__setattr__
# (class, attribute) -> the attribute's impl if setting it is the plain case, else None
_SETTERS: dict[tuple[type[Any], str], Any] = {}


def _setter(cls: type[Any], name: str) -> Any:
    if not _compat.is_table_model_class(cls):
        _SETTERS[(cls, name)] = None
        return None
    try:
        plan = _PLANS[cls]
    except KeyError:
        try:
            plan = _PLANS[cls] = _plan(cls)
        except _NotReady:
            return None
    impl = next((i for n, _a, i, _k, _d in plan or () if n == name), None)
    _SETTERS[(cls, name)] = impl
    return impl


def fast_setattr(self: Any, name: str, value: Any) -> None:
    """`SQLModel.__setattr__` for a plain column of a table model whose class has a plan (see the
    module's doc): what SQLAlchemy's `ScalarAttributeImpl.set` and pydantic's field handler do;
    anything else goes to SQLModel's own `__setattr__`."""
    try:
        impl = _SETTERS[(type(self), name)]
    except KeyError:
        impl = _setter(type(self), name)
    if impl is None or value is _DONT_SET:
        _ORIGINAL_SETATTR(self, name, value)
        return
    dict_ = self.__dict__
    state = dict_.get("_sa_instance_state")
    dispatch = impl.dispatch
    if (
        state is None
        or dispatch.set  # a listener: the full path
        # active history (primary keys): the previous value is loaded if the attribute is expired
        or (
            dispatch._active_history  # noqa: SLF001
            and name not in dict_
            and (name in state.expired_attributes or name in state.callables)
        )
    ):
        _ORIGINAL_SETATTR(self, name, value)
        return
    state._modified_event(dict_, impl, dict_.get(name, NO_VALUE))  # noqa: SLF001
    dict_[name] = value
    self.__pydantic_fields_set__.add(name)


def install() -> None:
    """Make SQLModel's `__init__` and `__setattr__` of table models take the fast paths above
    (idempotent)."""
    if getattr(_compat.sqlmodel_table_construct, "__name__", "") == "sqlmodel_table_construct":
        _compat.sqlmodel_table_construct = fast_table_construct
    if SQLModel.__setattr__ is _ORIGINAL_SETATTR:
        SQLModel.__setattr__ = fast_setattr  # type: ignore[method-assign]
