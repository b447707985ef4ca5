"""The demo's bulk path: the case service's own functions, run over an in-memory unit of work,
with the rows they make written in bulk (COPY on PostgreSQL, executemany on SQLite).

Why this shape (docs/decisions/0095-demo-bulk-path.md): the demo loader is CPU-bound in Python,
and 40-45 % of that is SQLAlchemy's unit of work flushing one case at a time. The rules are not
the cost. So the bulk path keeps every rule where it is — `app.services.cases.intake`,
`.transition`, `.split`, the dialogue service, `app.services.audit.record` (the chain, hashed by
`canonical_bytes`/`compute_hash`) — and replaces only the session under them by `MemorySession`:
`add` and `flush` keep the objects (and hand out ids the way the database would, in insertion
order from the table's current maximum), `get` and `execute` answer the few look-ups those
functions make from what is in memory. A statement it does not understand raises
`UnsupportedStatement` instead of guessing, so the bulk path fails loudly rather than writing
different rows. Every `batch` cases, `BulkWriter.write` copies the new rows into the database
in one transaction, table by table in `TABLES` order (one more table is one more entry there).

tests/test_demo_bulk.py loads the same seed both ways into two databases and compares every
table row by row, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import operators
from sqlalchemy.sql.dml import Update
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    ColumnClause,
    False_,
    Grouping,
    Null,
    True_,
    UnaryExpression,
)
from sqlalchemy.sql.selectable import Select
from sqlmodel import col

from app.db import Database
from app.models.audit import AuditEvent, CanonicalJSON, canonical_json
from app.models.base import utcnow
from app.models.cases import Case, CaseSearch, Petitioner, RoutingRule
from app.models.dialogues import Dialogue, DialogueCase
from app.models.obligations import CaseObligation
from app.models.reference import AdminUnit, Organization
from app.models.reports import CaseStep
from app.services import audit

# What the demo writes, in foreign-key order. A new table the case service writes (a case
# history, a search table) is one more entry here, and, if the service looks it up while
# loading, one more index in MemorySession._INDEXED.
TABLES: tuple[type[Any], ...] = (
    Case,
    CaseSearch,
    Petitioner,
    CaseObligation,
    Dialogue,
    DialogueCase,
    AuditEvent,
    CaseStep,
)
_BY_TABLE: dict[str, Any] = {m.__table__.name: m for m in TABLES}
# Tables whose integer primary key the database would assign (SERIAL / INTEGER PRIMARY KEY).
_SERIAL = {
    name
    for name, m in _BY_TABLE.items()
    if len(m.__table__.primary_key.columns) == 1
    and name != "audit_event"
    and list(m.__table__.primary_key.columns)[0].autoincrement is not False
}


_ONE_TRANSACTION = object()  # the in-memory session's one, never-ending transaction


class UnsupportedStatement(NotImplementedError):
    """The in-memory session was asked something it cannot answer exactly from memory."""


class _Result:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows

    def scalars(self) -> Iterator[Any]:
        return iter([r[0] for r in self._rows])

    def scalar_one_or_none(self) -> Any:
        if len(self._rows) > 1:
            raise UnsupportedStatement("more than one row for scalar_one_or_none")
        return self._rows[0][0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def all(self) -> list[tuple[Any, ...]]:
        return list(self._rows)


def _unescape(value: str, escape: str | None) -> str:
    if not escape:
        return value
    out, i = [], 0
    while i < len(value):
        if value[i] == escape and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


_COMPARE = {
    operators.eq: lambda a, b: a is not None and b is not None and a == b,
    operators.ne: lambda a, b: a is not None and b is not None and a != b,
    operators.lt: lambda a, b: a is not None and b is not None and a < b,
    operators.le: lambda a, b: a is not None and b is not None and a <= b,
    operators.gt: lambda a, b: a is not None and b is not None and a > b,
    operators.ge: lambda a, b: a is not None and b is not None and a >= b,
    operators.is_: lambda a, b: a is b or a == b,
    operators.is_not: lambda a, b: not (a is b or a == b),
    operators.in_op: lambda a, b: a is not None and a in b,
    operators.not_in_op: lambda a, b: a is not None and a not in b,
}


# The statements the service runs are turned into Python closures once per statement object
# (a statement built once, with parameters, is planned once): `row` maps a table's name to the
# object standing for it, `params` are the statement's execution parameters.
_Row = dict[str, Any]
_Params = Mapping[str, Any]
_Getter = Callable[[_Row, _Params], Any]
_Pred = Callable[[_Row, _Params], bool]


def _failing(message: str) -> Callable[..., Any]:
    """What cannot be evaluated fails when it is evaluated (as an interpreter would), not before."""

    def fail(*_args: Any) -> Any:
        raise UnsupportedStatement(message)

    return fail


def _bound(expr: BindParameter[Any]) -> _Getter:
    key = expr.key

    def bound(_row: _Row, params: _Params) -> Any:
        if key in params:
            return params[key]
        if expr.required:
            raise UnsupportedStatement(f"no value for the parameter {key}")
        return expr.effective_value

    return bound


def _compile_value(expr: Any) -> _Getter:
    if isinstance(expr, BindParameter):
        return _bound(expr)
    if isinstance(expr, ColumnClause) or isinstance(getattr(expr, "table", None), sa.Table):
        table, key = expr.table.name, expr.key

        def column(row: _Row, _params: _Params) -> Any:
            obj = row.get(table)
            if obj is None:
                raise UnsupportedStatement(f"column of {table} outside the statement's tables")
            value = getattr(obj, key)
            return value.value if isinstance(value, Enum) else value

        return column
    if isinstance(expr, Null | True_ | False_):
        constant = None if isinstance(expr, Null) else isinstance(expr, True_)
        return lambda _row, _params: constant
    if isinstance(expr, Grouping):
        return _compile_value(expr.element)
    return _failing(f"expression {type(expr).__name__}")


def _compile_pred(expr: Any) -> _Pred:  # noqa: C901 - one small compiler
    if isinstance(expr, BooleanClauseList):
        parts = [_compile_pred(c) for c in expr.clauses]
        if expr.operator is operators.and_:
            return lambda row, params: all(p(row, params) for p in parts)
        if expr.operator is operators.or_:
            return lambda row, params: any(p(row, params) for p in parts)
        return _failing(f"boolean operator {expr.operator}")
    if isinstance(expr, Grouping):
        return _compile_pred(expr.element)
    if isinstance(expr, BinaryExpression):
        left, right = _compile_value(expr.left), _compile_value(expr.right)
        op = expr.operator
        if op is operators.startswith_op:
            escape = expr.modifiers.get("escape")

            def startswith(row: _Row, params: _Params) -> bool:
                value = left(row, params)
                prefix = _unescape(right(row, params), escape)
                return value is not None and value.startswith(prefix)

            return startswith
        compare = _COMPARE.get(op)
        if compare is None:
            return _failing(f"operator {op}")
        if op in (operators.in_op, operators.not_in_op):

            def among(row: _Row, params: _Params) -> bool:
                value = left(row, params)
                values = {v.value if isinstance(v, Enum) else v for v in right(row, params)}
                return bool(compare(value, values))

            return among

        def binary(row: _Row, params: _Params) -> bool:
            value = left(row, params)
            other = right(row, params)
            return bool(compare(value, other.value if isinstance(other, Enum) else other))

        return binary
    return _failing(f"criterion {type(expr).__name__}")


class _CaseKeys:
    """What is known of a case no longer in memory: its id and tracking code."""

    __slots__ = ("id", "code")

    def __init__(self, id: int, code: str) -> None:  # noqa: A002 - the column's name
        self.id, self.code = id, code


def _is_case_key(expr: Any) -> bool:
    """`case_file.id` or `case_file.code` (a plain column, not the whole entity)."""
    if not isinstance(expr, type) and hasattr(expr, "expression"):
        expr = expr.expression  # an ORM attribute: its column
    return (
        isinstance(expr, ColumnClause)
        and getattr(getattr(expr, "table", None), "name", None) == "case_file"
        and expr.key in ("id", "code")
    )


class MemorySession:
    """Stands in for the AsyncSession under the case service while the demo loads in bulk.

    Holds the reference data (units, organisations, routing rules), the rows made since the last
    write, and the cases the loader may still name (`retain`); answers look-ups by primary key and
    the simple WHERE clauses the service uses (=, IN, IS, prefix, AND/OR, one inner join)."""

    # (table, column) pairs a look-up may start from, and how
    _INDEXED = {
        ("case_file", "id"),
        ("case_file", "code"),
        ("petitioner", "case_id"),
        ("case_search", "case_id"),
        ("case_obligation", "case_id"),
        ("dialogue_case", "case_id"),
        ("dialogue_case", "dialogue_id"),
        ("dialogue", "id"),
        ("organization", "id"),
        ("organization", "code"),
        ("admin_unit", "code"),
    }
    _SMALL = {"organization", "admin_unit", "routing_rule"}  # scanned whole when no index applies

    def __init__(
        self,
        *,
        units: Iterable[AdminUnit],
        orgs: Iterable[Organization],
        rules: Iterable[RoutingRule],
        next_ids: dict[str, int],
        codes: dict[str, Any],
        head: tuple[int, str],
    ) -> None:
        self.info: dict[Any, Any] = {}
        self._units = {u.code: u for u in units}
        self._orgs = {o.id: o for o in orgs}
        self._orgs_by_code = {o.code: o for o in self._orgs.values()}
        self._rules = list(rules)
        self._next = dict(next_ids)
        self._codes: dict[str, Any] = codes  # every tracking code in the database and made since: code -> case id
        self._cases: dict[int, Case] = {}
        self._dialogues: dict[int, Dialogue] = {}
        self._by_case: dict[str, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
        self._dialogue_cases: dict[int, list[DialogueCase]] = defaultdict(list)
        self._pending: list[Any] = []
        self._plans: dict[int, tuple[Any, Callable[[_Params], _Result]]] = {}  # id(statement) -> its plan
        self.new: dict[str, list[Any]] = defaultdict(list)  # made since the last write, in insertion order
        self.head = head  # the audit chain's head, as sealed so far

    # ---- what app.services.audit asks of a session: events wait for the "commit" (seal) ------
    @property
    def sync_session(self) -> MemorySession:
        return self

    def get_nested_transaction(self) -> None:
        return None

    def get_transaction(self) -> object:
        return _ONE_TRANSACTION

    async def connection(self) -> None:
        return None

    async def seal(self) -> None:
        """What a commit does to the events recorded since the last one (app/services/audit.py
        `_append_pending`): number and hash them after the head, then add them and the rows
        attached to them (the cases' dated history), in that order."""
        await self.flush()
        events = audit.take_pending(self)
        if not events:
            return
        self.head = audit.seal(events, self.head, utcnow())
        for ev in events:
            self.add(ev)
        for row in audit.take_attached(self):
            self.add(row)
        await self.flush()

    # ---- the AsyncSession surface the service uses ---------------------------------------------
    def add(self, obj: Any) -> None:
        self._pending.append(obj)

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        obj: Any
        for obj in pending:
            name = obj.__table__.name
            if name not in _BY_TABLE:
                raise UnsupportedStatement(f"the bulk path does not write {name}")
            if name in _SERIAL and obj.id is None:
                obj.id = self._next[name]
                self._next[name] += 1
            self.new[name].append(obj)
            if isinstance(obj, Case):
                self._cases[int(obj.id or 0)] = obj
                self._codes[obj.code] = obj.id
            elif isinstance(obj, Dialogue):
                self._dialogues[int(obj.id or 0)] = obj
            elif isinstance(obj, DialogueCase):
                self._dialogue_cases[obj.dialogue_id].append(obj)
                self._by_case["dialogue_case"][obj.case_id].append(obj)
            elif isinstance(obj, Petitioner | CaseObligation | CaseSearch):
                self._by_case[name][obj.case_id].append(obj)

    async def get(self, model: type[Any], key: Any) -> Any:
        if model is AdminUnit:
            return self._units.get(key)
        if model is Organization:
            return self._orgs.get(key)
        if model is Case:
            return self._known_case(key)
        if model is Dialogue:
            return self._dialogues.get(key)
        if model is CaseSearch:
            # a real session's get() autoflushes before the SELECT it emits on an identity-map
            # miss: a row added and not yet flushed (a case's intake) is found
            await self.flush()
            rows = self._lookup("case_search", "case_id", key)
            return rows[0] if rows else None
        raise UnsupportedStatement(f"get({model.__name__})")

    async def execute(self, stmt: Any, params: Any = None) -> _Result:
        if params is not None and not isinstance(params, Mapping):
            raise UnsupportedStatement("parameters for several executions")
        await self.flush()  # autoflush, as a real session does before a statement
        if isinstance(stmt, Update):
            return self._update(stmt, params or {})
        if isinstance(stmt, Select):
            plan = self._plans.get(id(stmt))
            if plan is None or plan[0] is not stmt:
                if len(self._plans) >= 512:  # statements built per call come and go
                    self._plans.clear()
                plan = self._plans[id(stmt)] = (stmt, self._plan_select(stmt))
            return plan[1](params or {})
        raise UnsupportedStatement(type(stmt).__name__)

    # ---- evaluation ------------------------------------------------------------------------------
    def _known_case(self, case_id: int) -> Case | None:
        case = self._cases.get(case_id)
        if case is None and case_id < self._first_case_id():
            raise UnsupportedStatement(f"case {case_id} was written before this load or evicted")
        return case

    def _first_case_id(self) -> int:
        return self.info.get("bulk_first_case_id", 1)

    def _plan_candidates(
        self, table: str, criteria: tuple[Any, ...], *, keys_only: bool = False
    ) -> Callable[[_Params], list[Any]]:
        """The rows a statement over `table` may match: by the first indexed `=`/`IN` criterion, or
        the whole of a small table."""
        c: Any
        for c in criteria:
            if (
                isinstance(c, BinaryExpression)
                and isinstance(c.left, ColumnClause)
                and getattr(getattr(c.left, "table", None), "name", None) == table
                and (table, c.left.key) in self._INDEXED
                and isinstance(c.right, BindParameter)
                and c.operator in (operators.eq, operators.in_op)
            ):

                def indexed(
                    params: _Params,
                    key: str = c.left.key,
                    value: _Getter = _bound(c.right),
                    many: bool = c.operator is operators.in_op,
                ) -> list[Any]:
                    wanted = value({}, params)
                    out: list[Any] = []
                    for v in wanted if many else (wanted,):
                        out.extend(self._lookup(table, key, v, keys_only=keys_only))
                    return out

                return indexed
        if table == "organization":
            return lambda _params: list(self._orgs.values())
        if table == "admin_unit":
            return lambda _params: list(self._units.values())
        if table == "routing_rule":
            return lambda _params: list(self._rules)
        raise UnsupportedStatement(f"a scan of {table}")

    def _lookup(self, table: str, column: str, value: Any, *, keys_only: bool = False) -> list[Any]:
        """The rows of `table` whose `column` equals `value`. `keys_only`: the statement reads
        nothing of a case but its id and code, which are known for every case (as in intake's
        check that a new tracking code is not taken), in memory or not."""
        if table == "case_file":
            if column == "code":
                case_id = self._codes.get(value)
                if case_id is None:
                    return []
                case = self._cases.get(case_id)
                if case is None:
                    if keys_only:
                        return [_CaseKeys(case_id, value)]
                    raise UnsupportedStatement(f"case {value} is not in memory")
                return [case]
            case = self._known_case(value)
            return [case] if case is not None else []
        if table in ("petitioner", "case_obligation", "dialogue_case", "case_search") and column == "case_id":
            if value not in self._cases:
                raise UnsupportedStatement(f"rows of case {value}, which is not in memory")
            return list(self._by_case[table].get(value, ()))
        if table == "dialogue_case":
            return list(self._dialogue_cases.get(value, ()))
        if table == "dialogue":
            d = self._dialogues.get(value)
            return [d] if d is not None else []
        if table == "organization":
            o = self._orgs.get(value) if column == "id" else self._orgs_by_code.get(value)
            return [o] if o is not None else []
        if table == "admin_unit":
            u = self._units.get(value)
            return [u] if u is not None else []
        raise UnsupportedStatement(f"{table}.{column}")

    def _plan_select(self, stmt: Select[Any]) -> Callable[[_Params], _Result]:  # noqa: C901 - one small compiler
        if stmt._group_by_clauses or stmt._having_criteria or stmt._offset_clause is not None:  # noqa: SLF001
            raise UnsupportedStatement("grouping or offset")
        # (not get_final_froms(): it compiles the statement, the very cost this path avoids)
        descriptions = stmt.column_descriptions
        entities = {d["entity"] for d in descriptions}
        if len(entities) != 1 or None in entities:
            raise UnsupportedStatement("not a statement over one mapped class")
        base: str = next(iter(entities)).__table__.name
        joins: list[tuple[str, str, _Getter]] = []  # (table, its column, the value it must equal)
        for target, onclause, from_, flags in stmt._setup_joins:  # noqa: SLF001
            if from_ is not None or flags.get("isouter") or flags.get("full") or onclause is None:
                raise UnsupportedStatement("outer join, or a join without its condition")
            joined: Any = getattr(target, "__table__", target)
            table: str = joined.name
            if not isinstance(onclause, BinaryExpression) or onclause.operator is not operators.eq:
                joins.append((table, "", _failing("join condition")))
                continue
            mine: Any
            theirs: Any
            mine, theirs = (
                (onclause.left, onclause.right)
                if onclause.left.table.name == table
                else (onclause.right, onclause.left)
            )
            joins.append((table, mine.key, _compile_value(theirs)))
        if stmt._from_obj:  # noqa: SLF001
            raise UnsupportedStatement("explicit FROM")
        criteria = tuple(stmt._where_criteria)  # noqa: SLF001
        keys_only = (
            base == "case_file"
            and not joins
            and not stmt._order_by_clauses  # noqa: SLF001
            and all(_is_case_key(d["expr"]) for d in descriptions)
            and all(
                isinstance(c, BinaryExpression) and _is_case_key(c.left) and isinstance(c.right, BindParameter)
                for c in criteria
            )
        )
        candidates = self._plan_candidates(base, criteria, keys_only=keys_only)
        preds = [_compile_pred(c) for c in criteria]
        order: list[tuple[_Getter, bool]] = []
        for clause in reversed(list(stmt._order_by_clauses)):  # noqa: SLF001 - stable sorts, last key first
            desc = isinstance(clause, UnaryExpression) and clause.modifier is operators.desc_op
            order.append((_compile_value(clause.element if isinstance(clause, UnaryExpression) else clause), desc))
        limit = stmt._limit  # noqa: SLF001
        outputs: list[_Getter] = []
        for d in descriptions:
            expr = d["expr"]
            if isinstance(expr, type):
                name = expr.__table__.name  # type: ignore[attr-defined]
                outputs.append(lambda row, _params, name=name: row[name])  # type: ignore[misc]
            else:
                outputs.append(_compile_value(expr.expression if hasattr(expr, "expression") else expr))

        def run(params: _Params) -> _Result:
            rows: list[_Row] = []
            for obj in candidates(params):
                row = {base: obj}
                for table, key, wanted_of in joins:
                    wanted = wanted_of(row, params)
                    matches = [o for o in self._lookup(table, key, wanted) if getattr(o, key) == wanted]
                    if len(matches) != 1:
                        row = {}
                        break
                    row[table] = matches[0]
                if row and all(p(row, params) for p in preds):
                    rows.append(row)
            for key_of, desc in order:
                rows.sort(key=lambda r, k=key_of: k(r, params), reverse=desc)  # type: ignore[misc]
            if limit is not None:
                rows = rows[:limit]
            return _Result([tuple(out(row, params) for out in outputs) for row in rows])

        return run

    def _update(self, stmt: Update, params: _Params) -> _Result:
        table: str = getattr(stmt.table, "name", "")
        criteria = tuple(stmt._where_criteria)  # noqa: SLF001
        values = {
            (k.key if hasattr(k, "key") else str(k)): (v.effective_value if isinstance(v, BindParameter) else v)
            for k, v in (stmt._values or {}).items()
        }  # noqa: SLF001
        preds = [_compile_pred(c) for c in criteria]
        for obj in self._plan_candidates(table, criteria)(params):
            row = {table: obj}
            if all(p(row, params) for p in preds):
                for k, v in values.items():
                    setattr(obj, k, v)
        return _Result([])

    # ---- between batches -------------------------------------------------------------------------
    def take_new(self, retain: set[int]) -> dict[str, list[Any]]:
        """The rows made since the last call, and forget every case but `retain` (the ones the
        loader may still name), with its rows."""
        if self._pending:
            raise RuntimeError("objects added but not flushed")
        new, self.new = self.new, defaultdict(list)
        keep = {i: c for i, c in self._cases.items() if i in retain}
        self._cases = keep
        self._by_case = defaultdict(
            lambda: defaultdict(list),
            {t: defaultdict(list, {i: rows for i, rows in by.items() if i in keep}) for t, by in self._by_case.items()},
        )
        self._dialogues.clear()
        self._dialogue_cases.clear()
        return new


# ---- the writer --------------------------------------------------------------------------------


def _snapshot(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, c.key) for c in obj.__table__.columns)


def _rows(table: sa.Table, objs: list[Any]) -> list[list[Any]]:
    """Each object's column values in the table's column order, enums as their values. Read from
    the object's `__dict__`: these objects are new (never loaded, nothing expired), so a column
    missing there is one never set, which reads as None, as `getattr` would give."""
    keys = [c.key for c in table.columns]
    out = []
    for obj in objs:
        get = obj.__dict__.get
        out.append([v.value if isinstance(v, Enum) else v for v in map(get, keys)])
    return out


class BulkWriter:
    """Owns the one connection the bulk load writes through; on PostgreSQL it holds the audit
    chain's advisory lock for the whole load, so no other writer can append in between."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.pg = db.dialect == "postgresql"
        self.conn: AsyncConnection | None = None
        self.session: MemorySession | None = None
        self.rows_written: dict[str, int] = defaultdict(int)
        self._written_retained: dict[int, tuple[Any, ...]] = {}
        self._head: tuple[int, str] = (0, audit.GENESIS_HASH)
        self._sending: asyncio.Future[None] | None = None  # the batch being copied

    async def open(self) -> MemorySession:
        self.conn = await self.db.engine.connect()
        if self.pg:
            await self.conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": audit._PG_CHAIN_LOCK})
            await self.conn.commit()
        async with self.db.sessionmaker(bind=self.conn) as s:
            units = list((await s.execute(select(AdminUnit))).scalars())
            orgs = list((await s.execute(select(Organization))).scalars())
            rules = list((await s.execute(select(RoutingRule))).scalars())
            last = (
                await s.execute(
                    select(col(AuditEvent.seq), col(AuditEvent.hash)).order_by(col(AuditEvent.seq).desc()).limit(1)
                )
            ).first()
            next_ids = {}
            for name in _SERIAL:
                model = _BY_TABLE[name]
                next_ids[name] = ((await s.execute(select(func.max(model.id)))).scalar() or 0) + 1
            codes = {c: i for c, i in (await s.execute(select(col(Case.code), col(Case.id)))).all()}
            s.expunge_all()
        await self.conn.commit()
        self._head = (last[0], last[1]) if last else (0, audit.GENESIS_HASH)
        self.session = MemorySession(
            units=units, orgs=orgs, rules=rules, next_ids=next_ids, codes=codes, head=self._head
        )
        self.session.info["bulk_first_case_id"] = next_ids["case_file"]
        return self.session

    async def write(self, retain: set[int]) -> None:
        """Copy what the service made since the last write, in one transaction.

        The rows are taken out of the objects now; the copy itself runs while the loader makes
        the next batch (the database works on one core while the loader works on the other), and
        the next `write` (or `close`) waits for it first, so batches still commit one after the
        other, in order, each checking the chain's head it expects."""
        assert self.conn is not None and self.session is not None
        await self.session.seal()  # the batch's "commit": its events join the chain
        new = self.session.take_new(retain)
        for case_id, before in self._written_retained.items():
            case = self.session._cases.get(case_id)  # noqa: SLF001
            if case is not None and _snapshot(case) != before:
                raise RuntimeError(f"case {case_id}, written in an earlier batch, changed afterwards")
        batch = [
            (_BY_TABLE[name].__table__, self._records(_BY_TABLE[name].__table__, new[name]))
            for name in _BY_TABLE
            if new.get(name)
        ]
        await self.wait()  # the previous batch is in
        self._sending = asyncio.ensure_future(self._send(batch, self._head[0]))
        events = new.get("audit_event")
        if events:
            self._head = (events[-1].seq, events[-1].hash)
        self._written_retained = {i: _snapshot(c) for i, c in self.session._cases.items()}  # noqa: SLF001

    async def wait(self) -> None:
        """Until the batch being copied is committed (its error, if it failed)."""
        sending, self._sending = self._sending, None
        if sending is not None:
            await sending

    def _records(self, table: sa.Table, objs: list[Any]) -> list[Any]:
        """What is sent for `objs`: per row, its values in column order (on PostgreSQL with JSON
        columns encoded as SQLAlchemy's JSON type sends them; on SQLite a dict per row)."""
        cols = list(table.columns)
        rows = _rows(table, objs)
        if self.pg:
            # what SQLAlchemy's JSON type sends (audit_event.changes: its canonical text)
            json_cols = {
                i: canonical_json if isinstance(c.type, CanonicalJSON) else json.dumps
                for i, c in enumerate(cols)
                if isinstance(c.type, sa.JSON | CanonicalJSON)
            }
            for rec in rows:
                for i, dumps in json_cols.items():
                    if rec[i] is not None:
                        rec[i] = dumps(rec[i])
            return rows
        keys = [c.key for c in cols]
        return [dict(zip(keys, rec, strict=True)) for rec in rows]

    async def _send(self, batch: list[tuple[sa.Table, list[Any]]], head_seq: int) -> None:
        assert self.conn is not None
        async with self.conn.begin():
            last = (
                await self.conn.execute(select(col(AuditEvent.seq)).order_by(col(AuditEvent.seq).desc()).limit(1))
            ).scalar()
            if (last or 0) != head_seq:
                raise RuntimeError("the audit chain grew under the bulk load: another writer appended")
            for table, records in batch:
                if self.pg:
                    raw = await self.conn.get_raw_connection()
                    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                        table.name, records=records, columns=[c.name for c in table.columns]
                    )
                else:
                    await self.conn.execute(table.insert(), records)
                self.rows_written[table.name] += len(records)

    async def close(self) -> None:
        """Bring PostgreSQL's id sequences past the ids handed out, release the lock."""
        if self.conn is None:
            return
        try:
            await self.wait()
            if self.pg:
                async with self.conn.begin():
                    for name in sorted(_SERIAL):
                        await self.conn.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
                            )
                        )
                await self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": audit._PG_CHAIN_LOCK})
                await self.conn.commit()
        finally:
            await self.conn.close()
            self.conn = None
