"""Intake: every field of the contract, the checks a desk officer relies on, reclassification,
splitting and duplicates. Business date pinned to Fri 2026-11-27."""

from __future__ import annotations

from tests.api.casekit import act, case_body, new_case
from tests.conftest import assert_problem


def people(n: int, reps: int) -> list[dict]:
    return [
        {"full_name": f"Người dân số {i}", "id_number": f"0010850{i:05d}", "is_representative": i < reps}
        for i in range(n)
    ]


async def test_intake_returns_the_case_tracking_code_and_pin_once(client, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    resp = await client.post("/api/v1/cases", json=case_body(), headers=desk)
    assert resp.status_code == 201
    body = resp.json()
    assert resp.headers["ETag"] == '"1"' and resp.headers["Location"] == f"/api/v1/cases/{body['id']}"
    assert body["tracking"]["code"] == body["code"] and body["code"].startswith("HN-26K-")
    assert len(body["tracking"]["pin"]) == 6 and body["tracking"]["pin"].isdigit()
    for name in (
        "id",
        "code",
        "kind",
        "status",
        "channel",
        "received_on",
        "title",
        "field",
        "location_unit_code",
        "receiving_org",
        "assigned_org",
        "petitioner_count",
        "mass",
        "identity_protected",
        "due",
        "stage",
        "overdue",
        "days_overdue",
        "outcome",
        "version",
        "created_at",
        "updated_at",
    ):
        assert name in body, name
    got = await client.get(f"/api/v1/cases/{body['id']}", headers=desk)
    assert "tracking" not in got.json() and body["tracking"]["pin"] not in got.text
    assert body["title"] == "Khiếu nại quyết định thu hồi đất"  # Vietnamese text preserved exactly


async def test_received_on_defaults_to_today_and_may_not_be_in_the_future(client, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    body = case_body()
    body.pop("received_on")
    resp = await client.post("/api/v1/cases", json=body, headers=desk)
    assert resp.status_code == 201 and resp.json()["received_on"] == "2026-11-27"
    resp = await client.post("/api/v1/cases", json=case_body(received_on="2026-11-28"), headers=desk)
    assert_problem(resp, 422, "body.received_on")
    resp = await client.post("/api/v1/cases", json=case_body(received_on="0001-01-01"), headers=desk)
    assert_problem(resp, 422, "body.received_on")
    resp = await client.post("/api/v1/cases", json=case_body(decision_date="1899-12-31"), headers=desk)
    assert_problem(resp, 422, "body.decision_date")


async def test_bad_input_names_each_field(client, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    bad = case_body(
        kind="gossip",
        channel="pigeon",
        field="weather",
        petitioners=[{"full_name": "", "id_number": "12ab", "phone": "call me", "email": "x@"}],
    )
    resp = await client.post("/api/v1/cases", json=bad, headers=desk)
    body = assert_problem(resp, 422)
    fields = {e["field"] for e in body["errors"]}
    assert {
        "body.kind",
        "body.channel",
        "body.field",
        "body.petitioners.0.full_name",
        "body.petitioners.0.id_number",
        "body.petitioners.0.phone",
        "body.petitioners.0.email",
    } <= fields
    assert_problem(
        await client.post("/api/v1/cases", json=case_body(location_unit_code="99999"), headers=desk),
        422,
        "body.location_unit_code",
    )
    assert_problem(await client.post("/api/v1/cases", json=case_body(unknown_field=1), headers=desk), 422)
    no_loc = case_body()
    no_loc.pop("location_unit_code")
    assert_problem(await client.post("/api/v1/cases", json=no_loc, headers=desk), 422, "body.location_unit_code")
    resp = await client.post(
        "/api/v1/cases", content=b"{not json", headers={**desk, "Content-Type": "application/json"}
    )
    assert_problem(resp, 422)


async def test_only_desks_and_handlers_log_cases(client, make_user):
    for role in ("supervisor", "admin"):
        _, h = await make_user(role, "HDND-01")
        assert_problem(await client.post("/api/v1/cases", json=case_body(), headers=h), 403)
    assert_problem(await client.post("/api/v1/cases", json=case_body()), 401)


async def test_mass_case_and_representatives_follow_the_reception_law(client, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    # Luật Tiếp công dân Art 29: 5–10 people → one or two representatives
    c = await new_case(client, desk, petitioners=people(6, 2))
    assert c["petitioner_count"] == 6 and c["mass"] is True
    assert any(f["code"] == "mass" for f in c["flags"])
    body = assert_problem(
        await client.post("/api/v1/cases", json=case_body(petitioners=people(6, 3)), headers=desk),
        422,
        "body.petitioners",
    )
    assert "Art 29" in body["detail"]
    assert_problem(await client.post("/api/v1/cases", json=case_body(petitioners=people(7, 0)), headers=desk), 422)
    # more than ten → up to five
    assert (await new_case(client, desk, petitioners=people(12, 5)))["mass"] is True
    assert_problem(await client.post("/api/v1/cases", json=case_body(petitioners=people(12, 6)), headers=desk), 422)
    # a signed list of 40 with two representatives listed
    c = await new_case(client, desk, petitioners=people(2, 2), petitioner_count=40)
    assert c["petitioner_count"] == 40 and c["mass"] is True
    # four people: not a mass case, no representative needed
    assert (await new_case(client, desk, petitioners=people(4, 0)))["mass"] is False


async def test_anonymous_petitions(client, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    c = await new_case(client, desk, kind="reflection", anonymous=True, petitioners=[])
    assert c["anonymous"] is True and c["petitioner_count"] == 0
    d = await new_case(client, desk, kind="denunciation", anonymous=True, petitioners=[])
    assert any(f["code"] == "anonymous_denunciation" for f in d["flags"])
    assert_problem(
        await client.post("/api/v1/cases", json=case_body(anonymous=True), headers=desk), 422, "body.petitioners"
    )
    assert_problem(
        await client.post("/api/v1/cases", json=case_body(petitioners=[]), headers=desk), 422, "body.petitioners"
    )


async def test_late_complaint_is_flagged_not_blocked(client, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    # Luật Khiếu nại Art 9: 90 days from the decision; 2026-08-01 → 2026-11-20 is 111 days
    c = await new_case(client, desk, decision_date="2026-08-01")
    assert c["filing_late"] is True and c["status"] == "received"
    flag = next(f for f in c["flags"] if f["code"] == "filing_deadline_passed")
    assert "Art 9" in flag["source"] and "kn11_6_time_barred" in flag["detail"]
    on_time = await new_case(client, desk, decision_date="2026-09-01")
    assert on_time["filing_late"] is False and on_time["flags"] == []
    assert_problem(
        await client.post("/api/v1/cases", json=case_body(kind="petition", decision_date="2026-09-01"), headers=desk),
        422,
        "body.decision_date",
    )
    assert_problem(
        await client.post("/api/v1/cases", json=case_body(decision_date="2026-11-21"), headers=desk),
        422,
        "body.decision_date",
    )


async def test_complaint_round_and_parent(client, make_user):
    _, desk = await make_user("reception", "UBND-01")
    first = await new_case(client, desk)
    r2 = await new_case(client, desk, complaint_round=2, parent_case_id=first["id"])
    assert r2["complaint_round"] == 2 and r2["parent_case_id"] == first["id"]
    assert r2["stage"] == "acceptance" and r2["due"] == "2026-11-30"  # Art 36(1): 10 days from Fri 20 Nov
    assert_problem(
        await client.post("/api/v1/cases", json=case_body(kind="petition", complaint_round=1), headers=desk),
        422,
        "body.complaint_round",
    )
    _, other = await make_user("reception", "MTTQ-00004")
    assert_problem(
        await client.post("/api/v1/cases", json=case_body(parent_case_id=first["id"]), headers=other),
        422,
        "body.parent_case_id",
    )


async def test_location_from_a_free_text_address(client, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    c = await new_case(client, desk, location_unit_code=None, location_address="Phường Hoàn Kiếm, Hà Nội")
    assert c["location_unit_code"] == "00070"
    assert c["location_resolution"]["unit"]["code"] == "00070" and c["location_resolution"]["legacy"] is False
    resp = await client.post(
        "/api/v1/cases",
        json=case_body(location_unit_code=None, location_address="không có địa chỉ nào như vậy"),
        headers=desk,
    )
    assert_problem(resp, 422, "body.location_address")


async def test_legacy_district_address_resolves_to_todays_ward(client, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    c = await new_case(
        client, desk, location_unit_code=None, location_address="phường Dịch Vọng Hậu, quận Cầu Giấy, Hà Nội"
    )
    res = c["location_resolution"]
    # Dịch Vọng Hậu was split between Phường Cầu Giấy (official code 00167, the converter's default)
    # and Phường Nghĩa Đô (00160): the desk is told, and may choose.
    assert res["legacy"] is True and res["ambiguous"] is True
    assert c["location_unit_code"] == res["unit"]["code"] == "00167"
    assert [x["code"] for x in res["candidates"]] == ["00167", "00160"]
    assert "split" in res["note"]
    # the desk may choose among the candidates, and only among them
    pick = res["candidates"][-1]["code"]
    chosen = await new_case(
        client,
        desk,
        location_unit_code=None,
        location_choice=pick,
        location_address="phường Dịch Vọng Hậu, quận Cầu Giấy, Hà Nội",
    )
    assert chosen["location_unit_code"] == pick == "00160"
    assert chosen["location_resolution"]["ambiguous"] is False
    resp = await client.post(
        "/api/v1/cases",
        json=case_body(
            location_unit_code=None,
            location_choice="00070",
            location_address="phường Dịch Vọng Hậu, quận Cầu Giấy, Hà Nội",
        ),
        headers=desk,
    )
    assert_problem(resp, 422, "body.location_choice")


async def test_possible_duplicates_and_archive_as_duplicate(client, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    first = await new_case(client, desk)
    # same ID number, same respondent
    second = await new_case(client, desk, title="Đơn khiếu nại lần nữa về thu hồi đất")
    assert [d["id"] for d in second["possible_duplicates"]] == [first["id"]]
    assert second["possible_duplicates"][0]["match"] == "same respondent"
    # same folded name and phone, similar title, no ID number
    third = await new_case(
        client, desk, respondent="Ai đó khác", petitioners=[{"full_name": "NGUYEN VAN AN", "phone": "+84 912 345 678"}]
    )
    assert first["id"] in [d["id"] for d in third["possible_duplicates"]]
    # another person: no duplicate
    fourth = await new_case(client, desk, petitioners=[{"full_name": "Trần Thị Bình", "id_number": "001190099999"}])
    assert fourth["possible_duplicates"] == []
    c = await act(client, desk, second["id"], "archive", ground="duplicate", duplicate_of=first["id"])
    assert c["status"] == "archived" and c["duplicate_of_id"] == first["id"]
    body = await act(client, desk, third["id"], "archive", ground="duplicate", expect=422)
    assert body["errors"][0]["field"] == "body.duplicate_of"
    body = await act(client, desk, third["id"], "archive", ground="because", expect=422)
    assert body["errors"][0]["field"] == "body.ground"


async def test_reclassify_by_content_recomputes_the_clock(client, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    c = await new_case(client, desk, kind="complaint", received_on="2026-11-20", title="Đơn khiếu nại")
    assert c["due"] == "2026-12-07"  # complaint processing: 10 WD (Luật TCD Art 28(1))
    # the content denounces an official: a denunciation, 7 WD to log and check (Luật Tố cáo Art 24(1)):
    # from Fri 20 Nov: 23, (24 holiday), 25, 26, 27, 30 Nov, 1, 2 Dec → Wed 2 Dec
    r = await act(client, desk, c["id"], "reclassify", kind="denunciation", reason="Nội dung là tố cáo")
    assert r["kind"] == "denunciation" and r["due"] == "2026-12-02" and r["complaint_round"] is None
    assert r["identity_protected"] is True
    hist = (await client.get(f"/api/v1/cases/{c['id']}/history", headers=desk)).json()["items"]
    ev = next(e for e in hist if e["action"] == "case.reclassify")
    assert ev["changes"]["kind"] == {"from": "complaint", "to": "denunciation"}
    assert ev["changes"]["due"] == {"from": "2026-12-07", "to": "2026-12-02"}
    body = await act(client, desk, c["id"], "reclassify", kind="denunciation", expect=422)
    assert body["errors"][0]["field"] == "body.kind"
    await act(client, desk, c["id"], "forward", to_org="UBND-00070")
    await act(client, desk, c["id"], "reclassify", kind="petition", expect=409)  # only at reception


async def test_split_a_petition_with_several_contents(client, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    c = await new_case(client, desk, kind="complaint", title="Đơn nhiều nội dung")
    resp = await client.post(
        f"/api/v1/cases/{c['id']}/split",
        headers={**desk, "If-Match": '"1"'},
        json={
            "parts": [
                {"kind": "complaint", "title": "Khiếu nại thu hồi đất", "content": "Nội dung 1"},
                {"kind": "denunciation", "title": "Tố cáo cán bộ địa chính", "content": "Nội dung 2"},
                {
                    "kind": "petition",
                    "title": "Kiến nghị sửa đường",
                    "content": "Nội dung 3",
                    "field": "administration",
                },
            ],
            "reason": "Luật Tiếp công dân Art 25(3)",
        },
    )
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert out["case"]["title"] == "Khiếu nại thu hồi đất" and out["case"]["version"] == 2
    kinds = [o["kind"] for o in out["opened_cases"]]
    assert kinds == ["denunciation", "petition"]
    for o in out["opened_cases"]:
        assert o["tracking"]["pin"] and o["receiving_org"]["code"] == "MTTQ-01"
        assert o["petitioner_count"] == 1 and o["received_on"] == c["received_on"]
        assert o["split_from_id"] == c["id"]
    assert out["opened_cases"][1]["field"] == "administration"
    hist = (await client.get(f"/api/v1/cases/{c['id']}/history", headers=desk)).json()["items"]
    split_ev = next(e for e in hist if e["action"] == "case.split")
    assert split_ev["changes"]["split_into"] == [o["id"] for o in out["opened_cases"]]
    one = await client.post(
        f"/api/v1/cases/{c['id']}/split",
        headers={**desk, "If-Match": '"2"'},
        json={"parts": [{"kind": "petition", "title": "x"}]},
    )
    assert_problem(one, 422, "body.parts")
    assert_problem(
        await client.post(
            f"/api/v1/cases/{c['id']}/split",
            headers=desk,
            json={"parts": [{"kind": "petition", "title": "a"}, {"kind": "petition", "title": "b"}]},
        ),
        428,
    )


async def test_patch_descriptive_fields_only_with_if_match(client, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    c = await new_case(client, desk)
    url = f"/api/v1/cases/{c['id']}"
    assert_problem(await client.patch(url, json={"title": "Mới"}, headers=desk), 428)
    assert_problem(await client.patch(url, json={"title": "Mới"}, headers={**desk, "If-Match": '"9"'}), 412)
    resp = await client.patch(
        url, json={"title": "Khiếu nại về bồi thường", "field": "compensation"}, headers={**desk, "If-Match": '"1"'}
    )
    assert resp.status_code == 200 and resp.headers["ETag"] == '"2"'
    assert resp.json()["title"] == "Khiếu nại về bồi thường" and resp.json()["field"] == "compensation"
    assert_problem(await client.patch(url, json={"status": "closed"}, headers={**desk, "If-Match": '"2"'}), 422)
    assert_problem(await client.patch(url, json={"kind": "petition"}, headers={**desk, "If-Match": '"2"'}), 422)
    assert_problem(
        await client.patch(url, json={"location_unit_code": "nowhere"}, headers={**desk, "If-Match": '"2"'}),
        422,
        "body.location_unit_code",
    )
    hist = (await client.get(f"{url}/history", headers=desk)).json()["items"]
    ev = hist[-1]
    assert ev["action"] == "case.update" and set(ev["changes"]) == {"title", "field"}
    _, sup = await make_user("supervisor", "HDND-01")
    assert_problem(await client.patch(url, json={"title": "x"}, headers={**sup, "If-Match": '"2"'}), 403)
    # search follows the new title
    assert [x["id"] for x in (await client.get("/api/v1/cases?q=boi thuong", headers=desk)).json()["items"]] == [
        c["id"]
    ]


async def test_database_errors_never_carry_personal_data_into_logs(client, make_user, caplog, monkeypatch):
    """A failure deep in intake is logged with its traceback, but the SQL parameters (the
    petitioner's name and ID number) are hidden (Luật Tố cáo Art 47; no personal data in logs)."""
    import importlib
    import logging

    intake_module = importlib.import_module("app.services.cases.intake")

    _, desk = await make_user("reception", "MTTQ-01")
    # a value the driver cannot bind makes the petitioner INSERT fail, with its row as parameters
    monkeypatch.setattr(intake_module, "phone_key", lambda phone: object())
    with caplog.at_level(logging.ERROR):
        resp = await client.post(
            "/api/v1/cases",
            json=case_body(
                kind="denunciation", petitioners=[{"full_name": "Lê Thị Bảo Mật", "id_number": "001199000111"}]
            ),
            headers=desk,
        )
    assert resp.status_code == 500, resp.text
    # the database error itself is what was logged (not a secondary error while handling it)
    assert any(r.exc_info and type(r.exc_info[1]).__module__.startswith("sqlalchemy") for r in caplog.records)
    assert "Lê Thị Bảo Mật" not in resp.text
    logged = "\n".join(r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "") for r in caplog.records)
    assert "Lê Thị Bảo Mật" not in logged and "001199000111" not in logged
