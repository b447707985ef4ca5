"""The denouncer's identity (Luật Tố cáo Art 47–48), issue #6 A1–A2.

A1: duplicate suggestions at intake name only cases the caller's own organisation received or
holds; a match against another organisation's case becomes a flag on that case, for its holder,
and the caller's answer looks exactly like no match at all.
A2: protection follows the person: a denouncer stays protected on every case derived from the
denunciation (reclassified, split, appealed, linked as a duplicate), and the holder's reads are
audited.
"""

from __future__ import annotations

import pytest

from tests.api.casekit import act, new_case

NAME, ID_NUMBER = "Nguyễn Văn An", "001085012345"  # the petitioner of casekit.case_body


@pytest.fixture
async def orgs(make_user):
    """The Hoàn Kiếm ward People's Committee (desk and handler), the city's MTTQ desk (its
    jurisdiction covers the ward), the city People's Committee, a city supervisor."""
    return {
        "ward_desk": (await make_user("reception", "UBND-00070"))[1],
        "ward": (await make_user("handler", "UBND-00070"))[1],
        "city_desk": (await make_user("reception", "MTTQ-01"))[1],
        "city": (await make_user("handler", "UBND-01"))[1],
        "supervisor": (await make_user("supervisor", "HDND-01"))[1],
    }


async def _get(client, headers, case_id) -> dict:
    resp = await client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def _actions(client, headers, case_id) -> list[str]:
    resp = await client.get(f"/api/v1/cases/{case_id}/history", headers=headers)
    assert resp.status_code == 200, resp.text
    return [e["action"] for e in resp.json()["items"]]


def _dup_flags(case: dict) -> list[dict]:
    return [f for f in case["flags"] if f["code"] == "possible_duplicate_elsewhere"]


def _shape(created: dict) -> dict:
    """What a caller could compare between two intakes: every field's presence and type, the
    suggestions, the flags."""
    return {
        "keys": sorted(created),
        "possible_duplicates": created["possible_duplicates"],
        "flags": created["flags"],
        "identity_protected": created["identity_protected"],
    }


# ---- A1: duplicates across organisations ---------------------------------------------------------


async def test_a_probe_learns_nothing_and_the_holder_of_the_matched_denunciation_is_told(client, orgs):
    ward_desk, city_desk, sup = orgs["ward_desk"], orgs["city_desk"], orgs["supervisor"]
    den = await new_case(
        client,
        ward_desk,
        kind="denunciation",
        title="Tố cáo cán bộ địa chính sai phạm",
        respondent="Ông Trần Văn Bình, cán bộ địa chính",
    )
    # The city desk's jurisdiction covers the ward's case. It logs a complaint by the same ID
    # number about the same respondent: today's code named the denunciation and its title here.
    probe = await new_case(
        client,
        city_desk,
        kind="complaint",
        title="Khiếu nại việc cấp giấy chứng nhận",
        respondent="Ông Trần Văn Bình, cán bộ địa chính",
    )
    assert probe["possible_duplicates"] == []
    assert den["code"] not in str(probe) and "Tố cáo cán bộ địa chính" not in str(probe)
    # indistinguishable from an intake that matches nobody
    nobody = await new_case(
        client,
        city_desk,
        kind="complaint",
        title="Khiếu nại việc cấp giấy chứng nhận",
        respondent="Ông Trần Văn Bình, cán bộ địa chính",
        petitioners=[{"full_name": "Lê Thị Cúc", "id_number": "001190011111"}],
    )
    assert _shape(probe) == _shape(nobody)

    # The ward holds the denunciation: its case now carries the flag, naming the new case
    # and where it was filed, never its petitioners.
    mine = await _get(client, ward_desk, den["id"])
    flags = _dup_flags(mine)
    assert len(flags) == 1, mine["flags"]
    assert flags[0]["case_code"] == probe["code"] and flags[0]["org"] == "MTTQ-01"
    assert flags[0]["received_on"] == probe["received_on"] and "same respondent" in flags[0]["detail"]
    assert nobody["code"] not in str(mine["flags"])
    # Nobody else sees the link: not the supervisor (who may not see the denouncer and would learn
    # who filed it), not the city desk that logged the probe.
    for other in (sup, city_desk):
        seen = await _get(client, other, den["id"])
        assert _dup_flags(seen) == [] and seen["petitioners"] is None
    # The trail of neither case tells its readers about the other.
    assert "case.duplicate_hint" not in await _actions(client, city_desk, probe["id"])
    assert "case.duplicate_hint" not in await _actions(client, ward_desk, den["id"])


async def test_a_new_denunciation_is_not_linked_to_the_person_elsewhere(client, orgs):
    """The flag would tell the other holder who denounced here (the denouncer's identity)."""
    ward_desk, city_desk = orgs["ward_desk"], orgs["city_desk"]
    first = await new_case(client, ward_desk, kind="complaint", title="Khiếu nại quyết định thu hồi đất")
    den = await new_case(client, city_desk, kind="denunciation", title="Tố cáo cán bộ thu hồi đất sai")
    assert den["possible_duplicates"] == []
    assert _dup_flags(await _get(client, ward_desk, first["id"])) == []


async def test_duplicates_within_the_organisation_are_still_suggested(client, orgs):
    ward_desk, ward = orgs["ward_desk"], orgs["ward"]
    den = await new_case(client, ward_desk, kind="denunciation", title="Tố cáo cán bộ địa chính sai phạm")
    again = await new_case(client, ward, kind="denunciation", title="Tố cáo cán bộ địa chính sai phạm nữa")
    assert [d["id"] for d in again["possible_duplicates"]] == [den["id"]]
    # a case the organisation received and forwarded is still its own
    city_desk = orgs["city_desk"]
    c = await new_case(client, city_desk, title="Khiếu nại quyết định thu hồi đất")
    await act(client, city_desk, c["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    more = await new_case(client, city_desk, title="Khiếu nại quyết định thu hồi đất lần hai")
    assert c["id"] in [d["id"] for d in more["possible_duplicates"]]


# ---- A2: protection follows the person ------------------------------------------------------------


async def test_reclassifying_a_denunciation_keeps_the_denouncer_protected(client, orgs):
    city_desk, sup, city = orgs["city_desk"], orgs["supervisor"], orgs["city"]
    den = await new_case(client, city_desk, kind="denunciation", title="Tố cáo sai phạm đất đai")
    out = await act(client, city_desk, den["id"], "reclassify", kind="petition", reason="Nội dung là kiến nghị")
    assert out["kind"] == "petition" and out["identity_protected"] is True
    for other in (sup, city):  # a supervisor; another organisation whose jurisdiction covers it
        got = await _get(client, other, den["id"])
        assert got["identity_protected"] is True and got["identity_redacted"] is True
        assert got["petitioners"] is None and got["location_address"] is None
        assert NAME not in str(got) and ID_NUMBER not in str(got)
        listed = (await client.get("/api/v1/cases", headers=other)).json()["items"]
        assert next(c for c in listed if c["id"] == den["id"])["identity_protected"] is True
    # the holder still reads it, and each read is audited
    before = (await _actions(client, city_desk, den["id"])).count("case.identity_read")
    mine = await _get(client, city_desk, den["id"])
    assert mine["petitioners"][0]["full_name"] == NAME
    assert (await _actions(client, city_desk, den["id"])).count("case.identity_read") == before + 1


async def test_splitting_a_denunciation_protects_every_part(client, orgs):
    city_desk, sup = orgs["city_desk"], orgs["supervisor"]
    den = await new_case(client, city_desk, kind="denunciation", title="Đơn nhiều nội dung")
    resp = await client.post(
        f"/api/v1/cases/{den['id']}/split",
        headers={**city_desk, "If-Match": '"1"'},
        json={
            "parts": [
                {"kind": "petition", "title": "Kiến nghị sửa đường"},
                {"kind": "reflection", "title": "Phản ánh lấn chiếm vỉa hè"},
                {"kind": "denunciation", "title": "Tố cáo cán bộ địa chính"},
            ]
        },
    )
    assert resp.status_code == 201, resp.text
    out = resp.json()
    ids = [den["id"]] + [o["id"] for o in out["opened_cases"]]
    assert out["case"]["kind"] == "petition" and out["case"]["identity_protected"] is True
    assert [o["identity_protected"] for o in out["opened_cases"]] == [True, True]
    for cid in ids:
        got = await _get(client, sup, cid)
        assert got["identity_protected"] is True and got["petitioners"] is None, got
        assert NAME not in str(got)
    # a part's holder reads it, audited
    part = out["opened_cases"][0]["id"]
    assert (await _get(client, city_desk, part))["petitioners"][0]["id_number"] == ID_NUMBER
    assert "case.identity_read" in await _actions(client, city_desk, part)


async def test_splitting_a_petition_into_a_denunciation_protects_the_petitioner_from_then_on(client, orgs):
    city_desk, sup = orgs["city_desk"], orgs["supervisor"]
    c = await new_case(client, city_desk, kind="petition", title="Đơn nhiều nội dung")
    resp = await client.post(
        f"/api/v1/cases/{c['id']}/split",
        headers={**city_desk, "If-Match": '"1"'},
        json={
            "parts": [{"kind": "denunciation", "title": "Tố cáo cán bộ"}, {"kind": "petition", "title": "Kiến nghị"}]
        },
    )
    assert resp.status_code == 201, resp.text
    await act(client, city_desk, c["id"], "reclassify", kind="petition", reason="Phân loại lại")
    assert (await _get(client, sup, c["id"]))["petitioners"] is None


async def test_a_round_two_complaint_of_a_former_denunciation_is_protected(client, orgs):
    city_desk, ward, city, sup = orgs["city_desk"], orgs["ward"], orgs["city"], orgs["supervisor"]
    case = await new_case(client, city_desk, kind="denunciation", received_on="2026-10-01")
    cid = case["id"]
    await act(client, city_desk, cid, "reclassify", kind="complaint", reason="Nội dung là khiếu nại", on="2026-10-01")
    await act(client, city_desk, cid, "forward", to_org="UBND-00070", on="2026-10-02")
    await act(client, ward, cid, "accept", on="2026-10-05")
    await act(client, ward, cid, "start_verification", on="2026-10-06")
    await act(client, ward, cid, "decide", outcome="rejected", summary="Giữ nguyên", on="2026-11-10")
    out = await act(client, ward, cid, "appeal", on="2026-11-27", reason="Không đồng ý")
    r2 = out["opened_case"]
    assert r2["identity_protected"] is True
    assert (await _get(client, sup, r2["id"]))["petitioners"] is None
    assert (await _get(client, city, r2["id"]))["petitioners"][0]["full_name"] == NAME  # its holder


async def test_a_duplicate_link_carries_protection_both_ways(client, orgs):
    ward_desk, sup = orgs["ward_desk"], orgs["supervisor"]
    den = await new_case(client, ward_desk, kind="denunciation", title="Tố cáo cán bộ địa chính")
    dup = await new_case(client, ward_desk, kind="petition", title="Kiến nghị xử lý cán bộ địa chính")
    assert (await _get(client, sup, dup["id"]))["petitioners"] is not None  # a petition: not protected yet
    await act(client, ward_desk, dup["id"], "archive", ground="duplicate", duplicate_of=den["id"])
    got = await _get(client, sup, dup["id"])
    assert got["identity_protected"] is True and got["petitioners"] is None and got["duplicate_of_id"] == den["id"]
    # and the other way round: a petition that a later denunciation duplicates
    pet = await new_case(
        client,
        ward_desk,
        kind="petition",
        title="Kiến nghị về đất",
        petitioners=[{"full_name": "Lê Thị Cúc", "id_number": "001190011111"}],
    )
    den2 = await new_case(
        client,
        ward_desk,
        kind="denunciation",
        title="Tố cáo về đất",
        petitioners=[{"full_name": "Lê Thị Cúc", "id_number": "001190011111"}],
    )
    await act(client, ward_desk, den2["id"], "archive", ground="duplicate", duplicate_of=pet["id"])
    assert (await _get(client, sup, pet["id"]))["petitioners"] is None
