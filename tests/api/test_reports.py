"""Periodic reports through HTTP (issue 9): every number equals what the case list returns with the
equivalent filters (docs/reports.md), for several units and periods; a closed period keeps its
numbers when the cases change afterwards; jurisdiction, roles and bad input; snapshots."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from tests.api.casekit import TODAY, case_body
from tests.conftest import assert_problem

REPORT = "/api/v1/reports/periodic"
SNAPSHOTS = "/api/v1/reports/snapshots"
CASES = "/api/v1/cases"
WARDS = ("00070", "00073")
PENDING = ("received", "forwarded", "accepted", "verifying", "suspended")
OUTCOMES = ("upheld", "partly_upheld", "rejected", "true", "partly_true", "false", "answered")
KINDS = ("complaint", "denunciation", "petition", "reflection")
FIELDS = ("land", "housing", "environment", "social_policy", "administration")


async def _try(client, headers, case_id: int, action: str, **fields: Any) -> bool:
    got = await client.get(f"{CASES}/{case_id}", headers=headers)
    assert got.status_code == 200, got.text
    resp = await client.post(
        f"{CASES}/{case_id}/transitions",
        json={"action": action, **fields},
        headers={**headers, "If-Match": got.headers["ETag"]},
    )
    assert resp.status_code in (200, 409), resp.text  # a 409: the law refuses this step here; the walk stops
    return resp.status_code == 200


def _day(d: date) -> str:
    return d.isoformat()


async def _walk(client, rng: random.Random, desk, handler, case: dict[str, Any]) -> None:
    """Take the case down one of the paths a case takes, on dates after its receipt (never after TODAY)."""
    day = date.fromisoformat(case["received_on"])
    cid, kind = case["id"], case["kind"]

    def later() -> str | None:
        nonlocal day
        day = day + timedelta(days=rng.choice((1, 3, 8, 20, 45, 70)))
        return _day(day) if day <= TODAY else None

    path = rng.choice(
        (
            "stay",
            "archive",
            "guide",
            "forward",
            "resolve",
            "resolve",
            "resolve",
            "withdraw",
            "terminate",
            "reject",
            "accepted",
        )
    )
    on = later()
    if on is None or path == "stay":
        return
    if path == "archive":
        await _try(client, desk, cid, "archive", ground="not_processable", on=on)
    elif path == "guide":
        await _try(client, desk, cid, "guide", reason="Hướng dẫn đến Tòa án", on=on)
    elif path == "forward":
        await _try(
            client,
            desk,
            cid,
            "forward",
            to_org="TTR-01" if rng.random() < 0.5 else "UBND-01",
            reason="Không thuộc thẩm quyền",
            on=on,
        )
    elif path == "reject" and kind in ("complaint", "denunciation"):
        ground = "kn11_5_unsigned" if kind == "complaint" else "tc29_form"
        await _try(client, handler, cid, "reject", ground=ground, on=on)
    elif await _try(client, desk, cid, "accept", on=on):
        on = later()
        if on is None or path == "accepted":
            return
        if path == "withdraw":
            await _try(client, desk, cid, "withdraw", reason="Người gửi rút đơn", on=on)
        elif path == "terminate" and kind == "denunciation":
            await _try(client, handler, cid, "terminate", reason="Người bị tố cáo đã chết", on=on)
        elif path in ("resolve", "terminate", "reject"):
            if kind in ("complaint", "denunciation"):
                if not await _try(client, handler, cid, "start_verification", on=on):
                    return
                on = later()
                if on is None:
                    return
                outcome = rng.choice(
                    ("upheld", "partly_upheld", "rejected") if kind == "complaint" else ("true", "partly_true", "false")
                )
            else:
                outcome = "answered"
            await _try(client, handler, cid, "decide", outcome=outcome, summary="Kết quả giải quyết", on=on)


@pytest.fixture
async def world(client, make_user):
    """~50 cases in two wards and at the city, received from Nov 2025 to TODAY, walked down every
    path of the lifecycle with a fixed seed."""
    rng = random.Random(9)
    desks = {w: (await make_user("reception", f"UBND-{w}"))[1] for w in WARDS}
    handlers = {w: (await make_user("handler", f"UBND-{w}"))[1] for w in WARDS}
    city_desk = (await make_user("reception", "MTTQ-01"))[1]
    first = date(2025, 11, 3)
    span = (TODAY - first).days
    cases = []
    for i in range(52):
        ward = WARDS[i % 2] if i % 7 else None
        kind = rng.choice(KINDS)
        received = first + timedelta(days=rng.randrange(span + 1))
        signers = rng.choice((1, 1, 1, 2, 6))
        body = case_body(
            kind=kind,
            received_on=_day(received),
            field=rng.choice(FIELDS),
            location_unit_code=ward or "01",
            title=f"Đơn số {i}",
            petitioners=[
                {"full_name": f"Người gửi {i} {j}", "is_representative": j == 0 and signers > 1} for j in range(signers)
            ],
        )
        if kind == "complaint":
            body["decision_date"] = _day(received - timedelta(days=10))
        desk = desks[ward] if ward else city_desk
        resp = await client.post(CASES, json=body, headers=desk)
        assert resp.status_code == 201, resp.text
        case = resp.json()
        cases.append(case)
        if ward:
            await _walk(client, rng, desk, handlers[ward], case)
        elif rng.random() < 0.6:  # the Front forwards to the ward's committee (it does not resolve)
            on = received + timedelta(days=2)
            if on <= TODAY:
                await _try(
                    client,
                    city_desk,
                    case["id"],
                    "forward",
                    to_org="UBND-00070",
                    reason="Chuyển UBND phường",
                    on=_day(on),
                )
    return {
        "cases": cases,
        "desks": desks,
        "handlers": handlers,
        "city_desk": city_desk,
        "sup": (await make_user("supervisor", "MTTQ-01"))[1],
        "hk_sup": (await make_user("supervisor", "MTTQ-00070"))[1],
        "admin": (await make_user("admin", "UBND-01"))[1],
    }


@pytest.fixture
async def people(client, make_user):
    """A few users and cases, for what does not need the generated world."""
    desks = {w: (await make_user("reception", f"UBND-{w}"))[1] for w in WARDS}
    handlers = {w: (await make_user("handler", f"UBND-{w}"))[1] for w in WARDS}
    for ward, received in (("00070", "2026-07-06"), ("00070", "2026-08-10"), ("00073", "2026-09-01")):
        resp = await client.post(
            CASES, json=case_body(kind="petition", location_unit_code=ward, received_on=received), headers=desks[ward]
        )
        assert resp.status_code == 201, resp.text
    return {
        "desks": desks,
        "handlers": handlers,
        "sup": (await make_user("supervisor", "MTTQ-01"))[1],
        "hk_sup": (await make_user("supervisor", "MTTQ-00070"))[1],
        "admin": (await make_user("admin", "UBND-01"))[1],
    }


async def _report(client, headers, **params: Any) -> dict[str, Any]:
    resp = await client.get(REPORT, params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


class CaseList:
    """The case list API as a supervisor uses it: every case the filters select (all pages)."""

    def __init__(self, client, headers) -> None:
        self.client, self.headers = client, headers
        self.calls = 0

    async def __call__(self, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        for _ in range(100):
            query = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
            resp = await self.client.get(CASES, params=query, headers=self.headers)
            assert resp.status_code == 200, resp.text
            self.calls += 1
            page = resp.json()
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items
        raise AssertionError("too many pages")


async def _expected(cases: CaseList, start: date, end: date, running: bool) -> dict[str, list[dict[str, Any]]]:
    """For each indicator, the cases the list returns with the equivalent filters (docs/reports.md).
    Indicators read at the period's end from the cases' status are listed only for a running period
    (the list shows the cases as they are now, the report as they were at the end)."""
    S, E = _day(start), _day(end)
    before = _day(start - timedelta(days=1))
    received = dict(received_from=S, received_to=E)
    ended = dict(ended_from=S, ended_to=E)
    carried = await cases(pending_on=before)
    new = await cases(**received)
    out: dict[str, list] = {"carried_over": carried, "received": new, "total": carried + new}
    for status in ("guided", "archived", "rejected", "withdrawn", "terminated"):
        out[status] = await cases(status=status, **ended)
    archived_ids = {c["id"] for c in out["archived"]}
    out["processable"] = [c for c in out["total"] if c["id"] not in archived_ids]
    out["within_competence"] = (
        await cases(pending_on=before, accepted_to=E) + await cases(**received, accepted_to=E) + out["rejected"]
    )
    out["accepted"] = await cases(accepted_from=S, accepted_to=E)
    decided = dict(decided_from=S, decided_to=E)
    out["resolved"] = await cases(**decided)
    out["resolved_on_time"] = await cases(**decided, decided_late="false")
    out["resolved_late"] = await cases(**decided, decided_late="true")
    for outcome in OUTCOMES:
        out[f"outcome_{outcome}"] = await cases(**decided, outcome=outcome)
    out["many_signers"] = await cases(**received, signers_min=2)
    out["mass"] = await cases(**received, mass="true")
    if running:
        out["forwarded"] = await cases(pending_on=before, forwarded="true") + await cases(**received, forwarded="true")
        out["pending"] = await cases(status=list(PENDING))
        out["pending_overdue"] = await cases(status=list(PENDING), overdue="true")
        overdue_ids = {c["id"] for c in out["pending_overdue"]}
        out["pending_within_deadline"] = [c for c in out["pending"] if c["id"] not in overdue_ids]
    return out


def _child(case: dict[str, Any]) -> str:
    return case["location_unit_code"]  # the wards are the city's children; "01" is the city's own row


PERIODS = [  # (period, index, start, end): running on TODAY (2026-11-27) or closed
    ("month", 11, date(2026, 11, 1), date(2026, 11, 30)),
    ("quarter", 4, date(2026, 10, 1), date(2026, 12, 31)),
    ("half_year", 2, date(2026, 7, 1), date(2026, 12, 31)),
    ("year", 1, date(2026, 1, 1), date(2026, 12, 31)),
    ("month", 3, date(2026, 3, 1), date(2026, 3, 31)),
    ("quarter", 2, date(2026, 4, 1), date(2026, 6, 30)),
    ("nine_months", 1, date(2026, 1, 1), date(2026, 9, 30)),
    ("year", 1, date(2025, 1, 1), date(2025, 12, 31)),
]


async def test_every_number_equals_the_case_list_with_the_equivalent_filters(client, world):
    for period, index, start, end in PERIODS:
        await _reconcile(client, world["sup"], period, index, start, end)
    await _generated_data_reaches_every_indicator(client, world)
    # what was pending at the end of a closed period is what the next one carries over
    for (kind, i, year), (nxt, j, next_year) in (
        (("quarter", 2, 2026), ("quarter", 3, 2026)),
        (("year", 1, 2025), ("year", 1, 2026)),
        (("month", 3, 2026), ("month", 4, 2026)),
    ):
        ended = await _report(client, world["sup"], period=kind, year=year, index=i, unit="01")
        after = await _report(client, world["sup"], period=nxt, year=next_year, index=j, unit="01")
        assert ended["total"]["cases"]["pending"] == after["total"]["cases"]["carried_over"] > 0
        for a, b in zip(ended["children"], after["children"], strict=True):
            assert a["cases"]["pending"] == b["cases"]["carried_over"]
    await _list_filters_agree_with_each_unit_kind_and_field(client, world)
    await _inspectorate_basis(client, world)


async def _reconcile(client, sup, period: str, index: int, start: date, end: date) -> None:
    rep = await _report(client, sup, period=period, year=start.year, index=index, unit="01")
    assert (rep["period"]["start"], rep["period"]["end"]) == (_day(start), _day(end))
    assert rep["counted_to"] == _day(min(end, TODAY))
    running = end >= TODAY
    expected = await _expected(CaseList(client, sup), start, end, running)
    rows = {r["unit_code"]: r for r in rep["children"] if r["unit_code"] in WARDS}
    for name, listed in expected.items():
        assert rep["total"]["cases"][name] == len(listed), (name, rep["total"]["cases"][name], len(listed))
        by_unit = Counter(_child(c) for c in listed)
        for ward in WARDS:
            assert rows[ward]["cases"][name] == by_unit[ward], (name, ward)
        assert rep["own"]["cases"][name] == by_unit["01"], name
        by_kind, by_field = Counter(c["kind"] for c in listed), Counter(c["field"] for c in listed)
        for kind in KINDS:
            assert rep["total"]["by_kind"][kind][name] == by_kind[kind], (name, kind)
        for field in FIELDS:
            assert rep["total"]["by_field"][field][name] == by_field[field], (name, field)
    # the other children of the city hold nothing here
    assert all(r["cases"]["total"] == 0 for r in rep["children"] if r["unit_code"] not in WARDS)
    # a ward's own report is the city report's row for it
    ward = await _report(client, sup, period=period, year=start.year, index=index, unit="00070")
    assert ward["total"]["cases"] == rows["00070"]["cases"]
    # identities of the form: total = carried over + received; pending = within deadline + overdue
    tot = rep["total"]["cases"]
    assert tot["total"] == tot["carried_over"] + tot["received"]
    assert tot["pending"] == tot["pending_within_deadline"] + tot["pending_overdue"]
    assert tot["resolved"] == tot["resolved_on_time"] + tot["resolved_late"]


async def _list_filters_agree_with_each_unit_kind_and_field(client, world) -> None:
    """The list's own unit, kind and field filters give the rows the report shows."""
    sup = world["sup"]
    rep = await _report(client, sup, period="year", year=2026, unit="01")
    cases = CaseList(client, sup)
    rows = {r["unit_code"]: r for r in rep["children"]}
    for ward in WARDS:
        listed = await cases(unit=ward, received_from="2026-01-01", received_to="2026-12-31")
        assert rows[ward]["cases"]["received"] == len(listed)
        listed = await cases(unit=ward, status=list(PENDING), overdue="true", kind="petition")
        assert rows[ward]["by_kind"]["petition"]["pending_overdue"] == len(listed)
        listed = await cases(unit=ward, decided_from="2026-01-01", decided_to="2026-12-31", field="land")
        assert rows[ward]["by_field"]["land"]["resolved"] == len(listed)


async def _generated_data_reaches_every_indicator(client, world) -> None:
    """The reconciliation above means something only if the numbers are not all zero."""
    rep = await _report(client, world["sup"], period="year", year=2026, unit="01")
    tot = rep["total"]["cases"]
    for name in (
        "carried_over",
        "received",
        "forwarded",
        "guided",
        "archived",
        "accepted",
        "resolved",
        "resolved_on_time",
        "resolved_late",
        "pending_within_deadline",
        "pending_overdue",
        "withdrawn",
        "many_signers",
        "mass",
    ):
        assert tot[name] > 0, name


async def test_a_closed_period_keeps_its_numbers_when_cases_change_afterwards(client, world, app):
    sup, desks, handlers = world["sup"], world["desks"], world["handlers"]
    first = await _report(client, sup, period="quarter", year=2026, index=2, unit="01")
    # work goes on after the quarter: every open case of the wards moves today
    cases = CaseList(client, sup)
    changed = 0
    for c in await cases(status=list(PENDING)):
        ward = c["location_unit_code"]
        if ward not in WARDS:
            continue
        if c["status"] == "received" and c["receiving_org"]["code"] == f"UBND-{ward}":
            changed += await _try(client, desks[ward], c["id"], "archive", ground="not_processable")
        elif c["status"] == "verifying":
            outcome = "upheld" if c["kind"] == "complaint" else "true"
            changed += await _try(client, handlers[ward], c["id"], "decide", outcome=outcome, summary="Xong")
        elif c["status"] == "accepted":
            changed += await _try(client, desks[ward], c["id"], "withdraw", reason="Rút đơn")
    new = await client.post(CASES, json=case_body(received_on=_day(TODAY)), headers=desks["00070"])
    assert new.status_code == 201
    assert changed > 5
    again = await _report(client, sup, period="quarter", year=2026, index=2, unit="01")
    assert again["as_of_seq"] > first["as_of_seq"]
    assert {**again, "as_of_seq": 0} == {**first, "as_of_seq": 0}

    # a correction: a case received in the quarter, entered late with its true date, changes the
    # quarter's numbers for whoever asks now, but not the report counted up to the first cut-off
    late = await client.post(
        CASES, json=case_body(received_on="2026-05-04", title="Đơn nhập muộn"), headers=desks["00073"]
    )
    assert late.status_code == 201
    corrected = await _report(client, sup, period="quarter", year=2026, index=2, unit="01")
    assert corrected["total"]["cases"]["received"] == first["total"]["cases"]["received"] + 1
    pinned = await _report(client, sup, period="quarter", year=2026, index=2, unit="01", as_of_seq=first["as_of_seq"])
    assert pinned == first


async def _inspectorate_basis(client, world) -> None:
    """The data period 15 Dec 2025 .. 14 Dec 2026 counts what was received from 15 Dec 2025."""
    sup = world["sup"]
    rep = await _report(client, sup, period="year", year=2026, basis="inspectorate", unit="01")
    assert (rep["period"]["start"], rep["period"]["end"]) == ("2025-12-15", "2026-12-14")
    assert rep["period"]["label"].startswith("Năm 2026")
    listed = await CaseList(client, sup)(received_from="2025-12-15", received_to="2026-12-14")
    assert rep["total"]["cases"]["received"] == len(listed)


# ---- who may read what ------------------------------------------------------------------------


async def test_roles_and_jurisdiction(client, people):
    world = people
    desk = world["desks"]["00070"]
    assert_problem(await client.get(REPORT, params={"period": "year", "year": 2026}, headers=desk), 403)
    hk_sup = world["hk_sup"]
    own = await _report(client, hk_sup, period="year", year=2026)  # default: the caller's own unit
    assert own["unit"]["code"] == "00070"
    assert_problem(
        await client.get(REPORT, params={"period": "year", "year": 2026, "unit": "00073"}, headers=hk_sup), 404
    )
    assert_problem(await client.get(REPORT, params={"period": "year", "year": 2026, "unit": "01"}, headers=hk_sup), 404)
    assert_problem(
        await client.get(REPORT, params={"period": "year", "year": 2026, "unit": "nope"}, headers=world["sup"]), 404
    )
    handler = world["handlers"]["00073"]
    assert (await _report(client, handler, period="month", year=2026, index=11))["unit"]["code"] == "00073"
    assert_problem(await client.post(SNAPSHOTS, json={"period": "year", "year": 2026}, headers=desk), 403)
    assert (await client.get(REPORT, params={"period": "year", "year": 2026})).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "quarter", "year": 2026, "index": 5}, "index"),
        ({"period": "month", "year": 2026}, "index"),
        ({"period": "month", "year": 2026, "index": 13}, "index"),
        ({"period": "half_year", "year": 2026, "index": 3}, "index"),
        ({"period": "year", "year": 2026, "index": 2}, "index"),
        ({"period": "week", "year": 2026}, "period"),
        ({"period": "year", "year": 1800}, "year"),
        ({"period": "year"}, "year"),
        ({"period": "year", "year": 2027}, "year"),  # not begun on TODAY
        ({"period": "month", "year": 2026, "index": 12}, "index"),
        ({"period": "year", "year": 2026, "format": "pdf"}, "format"),
        ({"period": "year", "year": 2026, "basis": "fiscal"}, "basis"),
        ({"period": "year", "year": 2026, "as_of_seq": 10**9}, "as_of_seq"),
    ],
)
async def test_bad_periods_are_422_naming_the_field(client, make_user, params, field):
    sup = (await make_user("supervisor", "MTTQ-01"))[1]
    assert_problem(await client.get(REPORT, params=params, headers=sup), 422, field)


# ---- formats -----------------------------------------------------------------------------------


async def test_csv_is_utf8_with_bom_and_vietnamese_headings(client, people):
    world = people
    resp = await client.get(
        REPORT, params={"period": "year", "year": 2026, "unit": "01", "format": "csv"}, headers=world["sup"]
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    assert resp.headers["content-disposition"] == 'attachment; filename="bao-cao-01-2026-year.csv"'
    assert resp.content.startswith(b"\xef\xbb\xbf")
    import csv
    import io

    lines = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert lines[0][:4] == ["Mã đơn vị", "Đơn vị", "Phân loại", "Kỳ trước chuyển sang"]
    rep = await _report(client, world["sup"], period="year", year=2026, unit="01")
    total_line = next(line for line in lines if line[1] == "Tổng cộng" and line[2] == "Tất cả")
    assert int(total_line[4]) == rep["total"]["cases"]["received"]


# ---- snapshots ---------------------------------------------------------------------------------


async def test_a_snapshot_is_frozen_audited_immutable_and_verifiable(client, people, db):
    world = people
    sup = world["sup"]
    resp = await client.post(SNAPSHOTS, json={"period": "quarter", "year": 2026, "index": 3, "unit": "01"}, headers=sup)
    assert resp.status_code == 201, resp.text
    snap = resp.json()
    assert resp.headers["location"] == f"{SNAPSHOTS}/{snap['id']}"
    live = await _report(client, sup, period="quarter", year=2026, index=3, unit="01", as_of_seq=snap["audit_head_seq"])
    assert snap["report"] == live
    assert snap["verification"] == {
        "body_digest_ok": True,
        "audit_event_ok": True,
        "chain_ok": True,
        "chain_events_checked": snap["audit_head_seq"],
        "chain_first_bad_seq": None,
        "detail": None,
    }
    # the freeze is in the audit trail, with the digest and the head
    events = (await client.get("/api/v1/audit", params={"entity": "report_snapshot"}, headers=sup)).json()["items"]
    mine = [e for e in events if e["entity_id"] == str(snap["id"])]
    assert mine and mine[0]["action"] == "report.snapshot"
    assert mine[0]["changes"]["body_digest"] == snap["body_digest"]
    # a ward's supervisor sees neither the city's snapshot nor its event
    ward_events = await client.get("/api/v1/audit", params={"entity": "report_snapshot"}, headers=world["hk_sup"])
    assert ward_events.json()["items"] == []

    # work goes on: the snapshot stays as it was
    await client.post(CASES, json=case_body(received_on="2026-08-05"), headers=world["desks"]["00070"])
    got = await client.get(f"{SNAPSHOTS}/{snap['id']}", headers=sup)
    assert got.status_code == 200
    assert got.json() == snap
    listed = (await client.get(SNAPSHOTS, headers=sup)).json()["items"]
    assert [s["id"] for s in listed] == [snap["id"]]
    assert (await client.get(SNAPSHOTS, headers=world["hk_sup"])).json()["items"] == []
    assert_problem(await client.get(f"{SNAPSHOTS}/{snap['id']}", headers=world["hk_sup"]), 404)

    for method in ("PUT", "PATCH", "DELETE"):
        resp = await client.request(method, f"{SNAPSHOTS}/{snap['id']}", headers=sup, json={})
        assert resp.status_code == 405, method
        assert resp.headers["allow"] == "GET"

    # someone edits the stored body behind the service's back: GET says so
    await db.session.execute(
        text("UPDATE report_snapshot SET body_digest = :d WHERE id = :i"), {"d": "0" * 64, "i": snap["id"]}
    )
    await db.session.commit()
    bad = (await client.get(f"{SNAPSHOTS}/{snap['id']}", headers=sup)).json()
    assert bad["verification"]["body_digest_ok"] is False and bad["verification"]["audit_event_ok"] is False
    assert bad["verification"]["chain_ok"] is True


# ---- activities --------------------------------------------------------------------------------


async def _ok(resp, status: int = 201) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    return resp.json()


async def test_dialogues_reception_commitments_recommendations_are_counted_by_their_dates(client, people):
    handler, sup = people["handlers"]["00070"], people["sup"]
    for held_on, visitors in (("2026-11-03", 9), ("2026-11-17", 5), ("2026-10-20", 30)):
        await _ok(
            await client.post(
                "/api/v1/reception-sessions",
                json={
                    "host_name": "Nguyễn Văn Bình",
                    "host_title": "Chủ tịch UBND phường",
                    "led_by_head": True,
                    "held_on": held_on,
                    "visitors": visitors,
                    "case_ids": [],
                },
                headers=handler,
            )
        )
    dialogue = await _ok(
        await client.post(
            "/api/v1/dialogues",
            json={
                "kind": "direct_dialogue",
                "chair": "Chủ tịch UBND phường",
                "scheduled_at": "2026-11-05T14:00:00+07:00",
                "notice_on": "2026-10-28",
                "location": "Nhà văn hóa tổ dân phố 5",
                "unit_code": "00070",
                "topic": "Tiếng ồn công trường",
                "case_ids": [],
                "participants": [],
            },
            headers=handler,
        )
    )
    got = await client.get(f"/api/v1/dialogues/{dialogue['id']}", headers=handler)
    await _ok(
        await client.post(
            f"/api/v1/dialogues/{dialogue['id']}/transitions",
            json={"action": "hold", "on": "2026-11-05", "minutes": "Thống nhất giảm giờ thi công"},
            headers={**handler, "If-Match": got.headers["ETag"]},
        ),
        200,
    )
    commitments = []
    for due in ("2026-11-10", "2026-11-12", "2026-12-10"):
        commitments.append(
            await _ok(
                await client.post(
                    f"/api/v1/dialogues/{dialogue['id']}/commitments",
                    json={"description": f"Việc hạn {due}", "responsible_org": "UBND-00070", "due_on": due},
                    headers=handler,
                )
            )
        )
    got = await client.get(f"/api/v1/commitments/{commitments[0]['id']}", headers=handler)
    await _ok(
        await client.patch(
            f"/api/v1/commitments/{commitments[0]['id']}",
            json={"status": "done", "done_on": "2026-11-09"},
            headers={**handler, "If-Match": got.headers["ETag"]},
        ),
        200,
    )
    rec = await _ok(
        await client.post(
            "/api/v1/supervision/recommendations",
            json={
                "target_org": "UBND-00070",
                "content": "Đề nghị rà soát việc tiếp công dân",
                "response_due": "2026-12-15",
            },
            headers=sup,
        )
    )
    got = await client.get(f"/api/v1/supervision/recommendations/{rec['id']}", headers=handler)
    await _ok(
        await client.post(
            f"/api/v1/supervision/recommendations/{rec['id']}/response",
            json={"response": "Đã rà soát"},
            headers={**handler, "If-Match": got.headers["ETag"]},
        ),
        200,
    )

    rep = await _report(client, sup, period="month", year=2026, index=11, unit="01")
    ward = next(r for r in rep["children"] if r["unit_code"] == "00070")["activities"]
    assert ward == {
        "dialogues_held": 1,
        "reception_sessions": 2,
        "reception_visitors": 14,
        "commitments_kept": 1,
        "commitments_missed": 1,
        "recommendations_issued": 1,
        "recommendations_answered": 1,
        "obligations_missed": ward["obligations_missed"],
    }
    assert rep["total"]["activities"]["reception_sessions"] == 2
    october = await _report(client, sup, period="month", year=2026, index=10, unit="00070")
    assert october["total"]["activities"]["reception_visitors"] == 30
    assert october["total"]["activities"]["dialogues_held"] == 0
