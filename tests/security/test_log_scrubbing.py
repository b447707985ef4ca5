"""The database's own error text (PostgreSQL's DETAIL: `Key (id_number)=(…) already exists`,
`Failing row contains (…)`) never reaches the logs, whatever hide_parameters hides."""

from __future__ import annotations

import logging
import traceback

import pytest
from sqlalchemy import text
from starlette.requests import Request

from app.observability import ScrubbingFormatter, scrub_db_detail
from app.problems import unexpected_error_response

SECRET_ID = "001085099999"


def _request() -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/api/v1/cases",
            "headers": [],
            "query_string": b"",
            "scheme": "http",
            "server": ("test", 80),
            "state": {},
        }
    )


class FakePgError(Exception):
    """What asyncpg's exceptions print: the message, then DETAIL (and HINT) lines."""


def _chained_database_error() -> BaseException:
    try:
        try:
            raise FakePgError(
                'duplicate key value violates unique constraint "uq_x"\n'
                f"DETAIL:  Key (id_number)=({SECRET_ID}) already exists.\n"
                "HINT:  a line\nthat goes on with Nguyễn Văn An"
            )
        except FakePgError as inner:
            raise RuntimeError('(IntegrityError) duplicate key value violates unique constraint "uq_x"') from inner
    except RuntimeError as exc:
        return exc


def test_an_unexpected_database_error_is_logged_without_its_detail(json_log):
    unexpected_error_response(_request(), _chained_database_error())
    logged = json_log.text
    assert "uq_x" in logged and "DETAIL: [hidden" in logged  # the operator still sees what failed
    assert SECRET_ID not in logged and "Nguyễn" not in logged and "Nguy\\u1ec5n" not in logged


def test_plain_text_logs_are_scrubbed_too():
    exc = _chained_database_error()
    record = logging.LogRecord(
        "app.errors", logging.ERROR, __file__, 1, "unhandled error", None, (type(exc), exc, exc.__traceback__)
    )
    out = ScrubbingFormatter("%(levelname)s %(name)s %(message)s").format(record)
    assert "uq_x" in out and SECRET_ID not in out and "Nguyễn" not in out


def test_text_without_a_detail_is_unchanged():
    assert scrub_db_detail("plain message\nTraceback ...") == "plain message\nTraceback ..."


async def test_a_real_database_error_is_logged_without_the_values(db, json_log, is_postgres):
    """On PostgreSQL the violated row's values come back in DETAIL; on SQLite the message names
    only the column."""
    s = db.session
    await s.execute(
        text("INSERT INTO admin_unit (code, name, level, path) VALUES (:c, :n, 'ward', :p)"),
        {"c": "99901", "n": "Phường thử", "p": "01/99901/"},
    )
    with pytest.raises(Exception) as err:
        async with s.begin_nested():
            await s.execute(
                text("INSERT INTO admin_unit (code, name, level, path) VALUES (:c, :n, 'ward', :p)"),
                {"c": "99901", "n": SECRET_ID, "p": "01/99901/"},
            )
    if is_postgres:
        assert "99901" in "".join(traceback.format_exception(err.value))  # the DETAIL was there
    unexpected_error_response(_request(), err.value)
    assert "unhandled error" in json_log.text
    assert "(code)=(99901)" not in json_log.text and SECRET_ID not in json_log.text
