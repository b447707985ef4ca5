"""A case's unit changes only by `relocate` (issue #6 B3): an explicit, reasoned transition whose
audit event the supervisors of the old unit keep seeing, while the new unit's see the case.
Also the blank titles that ended in 500 (issue #6 C10)."""

from __future__ import annotations

import pytest

from tests.api.casekit import act, new_case
from tests.conftest import assert_problem

OLD, NEW = "00070", "00004"


@pytest.fixture
async def people(make_user):
    return {
        "desk": (await make_user("reception", "MTTQ-01"))[1],  # the city's desk: its unit stays visible to the city
        "old_sup": (await make_user("supervisor", f"HDND-{OLD}"))[1],
        "new_sup": (await make_user("supervisor", f"HDND-{NEW}"))[1],
    }


async def test_relocate_moves_the_case_and_the_old_ward_keeps_the_event(client, people):
    desk, old_sup, new_sup = people["desk"], people["old_sup"], people["new_sup"]
    case = await new_case(client, desk, location_unit_code=OLD)
    cid = case["id"]
    assert (await client.get(f"/api/v1/cases/{cid}", headers=old_sup)).status_code == 200
    assert (await client.get(f"/api/v1/cases/{cid}", headers=new_sup)).status_code == 404
    due, stage = case["due"], case["stage"]

    out = await act(client, desk, cid, "relocate", location_unit_code=NEW, reason="Thửa đất thuộc địa bàn khác")
    assert out["location_unit_code"] == NEW and out["status"] == "received"
    assert out["due"] == due and out["stage"] == stage  # no effect on the clock

    # The new ward's supervisor sees the case and its whole history.
    assert (await client.get(f"/api/v1/cases/{cid}", headers=new_sup)).status_code == 200
    hist = (await client.get(f"/api/v1/cases/{cid}/history", headers=new_sup)).json()["items"]
    ev = next(e for e in hist if e["action"] == "case.relocate")
    assert ev["changes"]["location_unit_code"] == {"from": OLD, "to": NEW}
    assert ev["reason"] == "Thửa đất thuộc địa bàn khác"

    # The old ward's supervisor no longer sees the case, but sees that it moved, and where to.
    assert (await client.get(f"/api/v1/cases/{cid}", headers=old_sup)).status_code == 404
    await act(client, desk, cid, "forward", to_org=f"UBND-{NEW}", reason="Thuộc thẩm quyền")
    trail = await client.get(f"/api/v1/audit?case_id={cid}", headers=old_sup)
    assert trail.status_code == 200, trail.text
    assert [e["action"] for e in trail.json()["items"]] == ["case.relocate"]  # not what happens afterwards
    assert trail.json()["items"][0]["changes"]["location_unit_code"] == {"from": OLD, "to": NEW}
    assert "case.relocate" in [
        e["action"] for e in (await client.get("/api/v1/audit", headers=old_sup)).json()["items"]
    ]


async def test_relocate_needs_a_unit_and_a_reason(client, people):
    desk = people["desk"]
    cid = (await new_case(client, desk, location_unit_code=OLD))["id"]
    body = await act(client, desk, cid, "relocate", location_unit_code=NEW, expect=422)
    assert [e["field"] for e in body["errors"]] == ["body.reason"]
    body = await act(client, desk, cid, "relocate", reason="x", expect=422)
    assert [e["field"] for e in body["errors"]] == ["body.location_unit_code"]
    body = await act(client, desk, cid, "relocate", location_unit_code="99999", reason="x", expect=422)
    assert body["errors"][0]["field"] == "body.location_unit_code"
    body = await act(client, desk, cid, "relocate", location_unit_code=OLD, reason="x", expect=422)
    assert body["errors"][0]["field"] == "body.location_unit_code"
    names = [a["action"] for a in (await client.get(f"/api/v1/cases/{cid}/actions", headers=desk)).json()["actions"]]
    assert "relocate" in names
    await act(client, desk, cid, "guide", reason="Hướng dẫn")  # a final status: no more moves
    await act(client, desk, cid, "relocate", location_unit_code=NEW, reason="x", expect=409)


async def test_patch_no_longer_moves_a_case(client, people):
    desk, old_sup = people["desk"], people["old_sup"]
    cid = (await new_case(client, desk, location_unit_code=OLD))["id"]
    resp = await client.patch(
        f"/api/v1/cases/{cid}", json={"location_unit_code": NEW}, headers={**desk, "If-Match": '"1"'}
    )
    body = assert_problem(resp, 422, "body.location_unit_code")
    assert "relocate" in body["errors"][0]["message"]
    assert (await client.get(f"/api/v1/cases/{cid}", headers=old_sup)).json()["location_unit_code"] == OLD


async def test_blank_titles_are_a_422_naming_the_field(client, people):
    desk = people["desk"]
    c = await new_case(client, desk)
    resp = await client.patch(f"/api/v1/cases/{c['id']}", json={"title": "   "}, headers={**desk, "If-Match": '"1"'})
    assert_problem(resp, 422, "body.title")
    resp = await client.post(
        f"/api/v1/cases/{c['id']}/split",
        headers={**desk, "If-Match": '"1"'},
        json={"parts": [{"kind": "complaint", "title": "Khiếu nại"}, {"kind": "petition", "title": " \t "}]},
    )
    assert_problem(resp, 422, "body.parts.1.title")
    assert (await client.get(f"/api/v1/cases/{c['id']}", headers=desk)).json()["version"] == 1
