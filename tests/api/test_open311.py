"""Open311 GeoReport v2 as an off-the-shelf client speaks it: URL shapes with the format suffix,
form-encoded POST with api_key, the spec's field names and types, XML with the spec's elements,
and the spec's error format; no personal data in any response."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

BASE = "/open311/v2"
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
# planted personal data: none of it may appear in any Open311 output
NAME, ID_NUMBER, PHONE, EMAIL = "Phạm Thị Riêng Tư", "001199012345", "0987654321", "rieng.tu@example.vn"


@pytest.fixture
async def api_key(client, admin_headers) -> str:
    resp = await client.post(
        "/api/v1/api-keys", json={"name": "Cổng dịch vụ công", "org": "MTTQ-01"}, headers=admin_headers
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["org"] == "MTTQ-01" and body["key"].startswith("hp_") and body["active"] is True
    return body["key"]


def _form(api_key: str, **over: str) -> dict[str, str]:
    form = {
        "api_key": api_key,
        "service_code": "petition-environment",
        "description": "Khói bụi từ xưởng gỗ gây ô nhiễm khu dân cư ngõ 12",
        "attribute[title]": "Phản ánh ô nhiễm khói bụi",
        "attribute[ward]": "00070",
        "first_name": "Phạm Thị",
        "last_name": "Riêng Tư",
        "phone": PHONE,
        "email": EMAIL,
        "attribute[id_number]": ID_NUMBER,
    }
    form.update(over)
    return form


def _xml(resp) -> ET.Element:
    assert resp.headers["content-type"].startswith("text/xml"), resp.headers["content-type"]
    assert resp.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(resp.content)


def _no_personal_data(text: str) -> None:
    for planted in (NAME, "Riêng Tư", ID_NUMBER, PHONE, EMAIL, "12 Hàng Bạc"):
        assert planted not in text, f"{planted!r} leaked"


async def test_service_list_and_definition_in_json_and_xml(client):
    services = (await client.get(f"{BASE}/services.json")).json()
    assert len(services) == 36  # one per kind and field
    land = next(s for s in services if s["service_code"] == "complaint-land")
    assert land["service_name"] == "Khiếu nại — Đất đai" and land["metadata"] is True and land["type"] == "realtime"
    assert set(land) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    root = _xml(await client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and len(root.findall("service")) == 36
    assert root.find("service/service_code").text == services[0]["service_code"]
    assert root.find("service/metadata").text == "true"

    definition = (await client.get(f"{BASE}/services/complaint-land.json")).json()
    assert definition["service_code"] == "complaint-land"
    codes = {a["code"]: a for a in definition["attributes"]}
    assert {"title", "ward", "respondent", "id_number", "decision_date"} <= set(codes)
    assert codes["title"]["required"] is True and codes["title"]["variable"] is True
    assert codes["ward"]["datatype"] == "singlevaluelist" and len(codes["ward"]["values"]) == 126
    assert {"key": "00070", "name": "Phường Hoàn Kiếm"} in codes["ward"]["values"]
    root = _xml(await client.get(f"{BASE}/services/complaint-land.xml"))
    assert root.tag == "service_definition" and root.find("service_code").text == "complaint-land"
    attrs = root.findall("attributes/attribute")
    assert attrs and attrs[0].find("code").text == "title" and attrs[0].find("required").text == "true"
    assert len(root.findall("attributes/attribute[code='ward']/values/value")) == 126
    assert "decision_date" not in {
        a["code"] for a in (await client.get(f"{BASE}/services/petition-land.json")).json()["attributes"]
    }


async def test_file_and_read_a_request_in_json(client, api_key, pinned_today):
    resp = await client.post(f"{BASE}/requests.json", data=_form(api_key))
    assert resp.status_code == 200, resp.text
    [created] = resp.json()
    code = created["service_request_id"]
    assert code.startswith("HN-26N-") and created["token"] == code and "PIN" in created["service_notice"]

    [req] = (await client.get(f"{BASE}/requests/{code}.json", params={"api_key": api_key})).json()
    assert set(req) == REQUEST_FIELDS
    assert req["status"] == "open" and req["service_code"] == "petition-environment"
    assert req["status_notes"] == "Đã tiếp nhận đơn, đang phân loại và xử lý"
    assert "Mặt trận Tổ quốc" in req["agency_responsible"]  # the organisation holding it (MTTQ-01)
    assert req["address"] == "Phường Hoàn Kiếm, Hà Nội" and req["address_id"] == "00070"
    assert req["expected_datetime"].endswith("23:59:59+07:00")  # the statutory due date, end of day in Hanoi
    assert req["requested_datetime"].endswith("+07:00")
    listed = (await client.get(f"{BASE}/requests.json", params={"api_key": api_key})).json()
    assert [r["service_request_id"] for r in listed] == [code]
    assert (await client.get(f"{BASE}/tokens/{code}.json", params={"api_key": api_key})).json() == [
        {"service_request_id": code, "token": code}
    ]


async def test_the_request_is_an_intake_like_any_other(client, api_key, make_user, pinned_today):
    [created] = (await client.post(f"{BASE}/requests.json", data=_form(api_key))).json()
    _, desk = await make_user("reception", "MTTQ-01")
    [case] = (await client.get("/api/v1/cases", params={"q": created["service_request_id"]}, headers=desk)).json()[
        "items"
    ]
    assert case["channel"] == "online" and case["kind"] == "petition" and case["field"] == "environment"
    assert case["receiving_org"]["code"] == "MTTQ-01" and case["due"] is not None
    history = (await client.get(f"/api/v1/cases/{case['id']}/history", headers=desk)).json()["items"]
    assert history[0]["action"] == "case.create" and history[0]["actor"].startswith("apikey-")


async def test_filters_and_xml_listing(client, api_key, make_user, pinned_today):
    codes = []
    for service_code in ("petition-environment", "reflection-housing", "complaint-land"):
        [c] = (await client.post(f"{BASE}/requests.json", data=_form(api_key, service_code=service_code))).json()
        codes.append(c["service_request_id"])
    by_service = (
        await client.get(f"{BASE}/requests.json", params={"api_key": api_key, "service_code": "reflection-housing"})
    ).json()
    assert [r["service_request_id"] for r in by_service] == [codes[1]]
    ids = f"{codes[0]},{codes[2]}"
    by_ids = (await client.get(f"{BASE}/requests.json", params={"api_key": api_key, "service_request_id": ids})).json()
    assert sorted(r["service_request_id"] for r in by_ids) == sorted([codes[0], codes[2]])
    assert len((await client.get(f"{BASE}/requests.json", params={"api_key": api_key, "status": "open"})).json()) == 3
    assert (await client.get(f"{BASE}/requests.json", params={"api_key": api_key, "status": "closed"})).json() == []
    future = (
        await client.get(f"{BASE}/requests.json", params={"api_key": api_key, "start_date": "2099-01-01T00:00:00Z"})
    ).json()
    assert future == []

    root = _xml(await client.get(f"{BASE}/requests.xml", params={"api_key": api_key}))
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert len(requests) == 3 and {child.tag for child in requests[0]} == REQUEST_FIELDS
    assert requests[0].find("status").text == "open"
    created = _xml(await client.post(f"{BASE}/requests.xml", data=_form(api_key)))
    assert created.tag == "service_requests" and created.find("request/service_request_id").text.startswith("HN-")


async def test_status_projection_once_closed(client, api_key, make_user, pinned_today):
    from tests.api.casekit import act

    [created] = (await client.post(f"{BASE}/requests.json", data=_form(api_key))).json()
    _, desk = await make_user("reception", "MTTQ-01")
    [case] = (await client.get("/api/v1/cases", params={"q": created["service_request_id"]}, headers=desk)).json()[
        "items"
    ]
    await act(client, desk, case["id"], "guide", reason="Gửi UBND phường Hoàn Kiếm")
    [req] = (
        await client.get(f"{BASE}/requests/{created['service_request_id']}.json", params={"api_key": api_key})
    ).json()
    assert req["status"] == "closed" and req["status_notes"] == "Đã hướng dẫn gửi đến cơ quan có thẩm quyền"
    assert req["expected_datetime"] is None


async def test_errors_in_the_spec_format(client, api_key):
    # bad input: 400 with [{code, description}] naming the GeoReport field
    resp = await client.post(f"{BASE}/requests.json", data=_form(api_key, description=""))
    assert resp.status_code == 400 and resp.json() == [{"code": 400, "description": "description: is required"}]
    resp = await client.post(f"{BASE}/requests.json", data=_form(api_key, **{"attribute[ward]": "99999"}))
    assert resp.status_code == 400 and resp.json()[0]["description"].startswith("attribute[ward]:")
    resp = await client.post(f"{BASE}/requests.json", data=_form(api_key, service_code="nope"))
    assert resp.status_code == 400 and resp.json()[0]["description"].startswith("service_code:")
    resp = await client.post(f"{BASE}/requests.json", data=_form(api_key, phone="call me"))
    assert resp.status_code == 400 and resp.json()[0]["description"].startswith("phone:")
    # a missing, wrong or revoked key: 403
    for key in ("", "hp_wrong"):
        resp = await client.post(f"{BASE}/requests.xml", data=_form(key))
        root = _xml(resp)
        assert resp.status_code == 403 and root.tag == "errors" and root.find("error/code").text == "403"
    assert (await client.get(f"{BASE}/requests.json")).status_code == 403
    # unknown service, request, jurisdiction: 404
    resp = await client.get(f"{BASE}/services/nope.xml")
    assert resp.status_code == 404 and _xml(resp).find("error/description").text == "No service nope."
    assert (await client.get(f"{BASE}/requests/HN-26N-NOPE.json", params={"api_key": api_key})).status_code == 404
    assert (await client.get(f"{BASE}/services.json", params={"jurisdiction_id": "elsewhere"})).status_code == 404
    assert (await client.get(f"{BASE}/services.json", params={"jurisdiction_id": "hanoi.gov.vn"})).status_code == 200
    # input echoed in an error (a control character, a lone surrogate) still makes well-formed XML
    for odd in ("%08", "%ED%A0%80"):
        resp = await client.get(f"{BASE}/services/x{odd}y.xml")
        assert resp.status_code == 404 and _xml(resp).find("error/code").text == "404"
    # a bad query parameter is the spec's 400 too, not this API's problem+json
    resp = await client.get(f"{BASE}/requests.json", params={"api_key": api_key, "status": "pending"})
    assert resp.status_code == 400 and resp.json()[0]["code"] == 400
    resp = await client.get(f"{BASE}/requests.json", params={"api_key": api_key, "start_date": "yesterday"})
    assert resp.status_code == 400 and "start_date" in resp.json()[0]["description"]


async def test_a_client_reads_only_its_own_requests_and_a_revoked_key_stops(client, admin_headers, api_key):
    [created] = (await client.post(f"{BASE}/requests.json", data=_form(api_key))).json()
    other = (
        await client.post(
            "/api/v1/api-keys", json={"name": "Ứng dụng khác", "org": "UBND-00070"}, headers=admin_headers
        )
    ).json()
    assert (await client.get(f"{BASE}/requests.json", params={"api_key": other["key"]})).json() == []
    assert (
        await client.get(f"{BASE}/requests/{created['service_request_id']}.json", params={"api_key": other["key"]})
    ).status_code == 404
    keys = (await client.get("/api/v1/api-keys", headers=admin_headers)).json()["items"]
    mine = next(k for k in keys if k["name"] == "Cổng dịch vụ công")
    assert "key" not in mine and mine["prefix"] == api_key[:10]
    assert (await client.delete(f"/api/v1/api-keys/{mine['id']}", headers=admin_headers)).status_code == 204
    resp = await client.get(f"{BASE}/requests.json", params={"api_key": api_key})
    assert resp.status_code == 403
    keys = (await client.get("/api/v1/api-keys", headers=admin_headers)).json()["items"]
    assert next(k for k in keys if k["id"] == mine["id"])["active"] is False


async def test_no_personal_data_in_any_open311_output(client, api_key, pinned_today):
    """Names, ID numbers, phones, e-mails and addresses planted at intake appear nowhere."""
    outputs = []
    for service_code in ("denunciation-corruption", "complaint-land", "petition-other"):
        resp = await client.post(
            f"{BASE}/requests.json",
            data=_form(
                api_key,
                service_code=service_code,
                address_string="12 Hàng Bạc, phường Hoàn Kiếm, Hà Nội",
                **{"attribute[ward]": ""},
            ),
        )
        assert resp.status_code == 200, resp.text
        outputs.append(resp.text)
    for fmt in ("json", "xml"):
        listing = await client.get(f"{BASE}/requests.{fmt}", params={"api_key": api_key})
        outputs.append(listing.text)
    [den] = [
        r
        for r in (await client.get(f"{BASE}/requests.json", params={"api_key": api_key})).json()
        if r["service_code"] == "denunciation-corruption"
    ]
    assert den["description"] is None  # a denunciation's content is withheld too
    for text in outputs:
        _no_personal_data(text)


async def test_api_keys_admin_only_and_validated(client, make_user, admin_headers):
    _, desk = await make_user("reception", "MTTQ-01")
    resp = await client.post("/api/v1/api-keys", json={"name": "x", "org": "MTTQ-01"}, headers=desk)
    assert resp.status_code == 403
    resp = await client.post("/api/v1/api-keys", json={"name": "x", "org": "NOPE-1"}, headers=admin_headers)
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "body.org"
    resp = await client.post("/api/v1/api-keys", json={"name": "", "org": "MTTQ-01"}, headers=admin_headers)
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "body.name"
    assert (await client.delete("/api/v1/api-keys/999999", headers=admin_headers)).status_code == 404
    _, ward_admin = await make_user("admin", "UBND-00070")
    resp = await client.post("/api/v1/api-keys", json={"name": "x", "org": "MTTQ-01"}, headers=ward_admin)
    assert resp.status_code == 422  # outside the ward admin's jurisdiction
