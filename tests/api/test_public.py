"""Public tracking: a citizen's code and PIN show the case's progress in words, never a person's
data; a wrong code and a wrong PIN are the same 404; look-ups are rate-limited."""

from __future__ import annotations

import pytest

from tests.api.casekit import act, case_body

NAME, ID_NUMBER, PHONE, ADDRESS = "Đỗ Văn Bí Mật", "001088077666", "0977111222", "99 Phố Huế, Hà Nội"
RESPONDENT = "Ông Trưởng Phòng Kín Đáo"


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    app.state.public_limits.reset()
    yield
    app.state.public_limits.reset()


async def _file(client, make_user, **over):
    _, desk = await make_user("reception", "MTTQ-01")
    body = case_body(
        petitioners=[{"full_name": NAME, "id_number": ID_NUMBER, "phone": PHONE, "address": ADDRESS}],
        respondent=RESPONDENT,
        **over,
    )
    resp = await client.post("/api/v1/cases", json=body, headers=desk)
    assert resp.status_code == 201, resp.text
    return resp.json(), desk


def _no_personal_data(text: str) -> None:
    for planted in (
        NAME,
        ID_NUMBER,
        PHONE,
        ADDRESS,
        "Phố Huế",
        RESPONDENT,
        "Khiếu nại quyết định thu hồi đất",
        "thu hồi đất nông nghiệp",
    ):
        assert planted not in text, f"{planted!r} leaked"


async def test_a_citizen_tracks_a_case_in_vietnamese_and_english(client, make_user):
    case, desk = await _file(client, make_user)
    code, pin = case["tracking"]["code"], case["tracking"]["pin"]
    resp = await client.get(f"/api/v1/public/cases/{code}", params={"pin": pin})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["code"] == code and body["kind"] == "complaint" and body["kind_label"] == "Khiếu nại"
    assert body["status_label"] == "Đã tiếp nhận đơn, đang phân loại và xử lý" and body["language"] == "vi"
    assert body["received_on"] == "2026-11-20" and body["responsible_org"]["code"] == "MTTQ-01"
    assert body["due"] == case["due"] and body["stage"] == case["stage"]
    assert [m["step"] for m in body["milestones"]] == ["case.create"]
    assert body["milestones"][0]["on"] == "2026-11-20" and body["milestones"][0]["label"] == "Tiếp nhận đơn"

    await act(client, desk, case["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    en = (
        await client.get(
            f"/api/v1/public/cases/{code.lower()}",
            params={"pin": pin},
            headers={"Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"},
        )
    ).json()
    assert en["language"] == "en" and en["status_label"] == "Forwarded to the competent agency"
    assert en["responsible_org"]["code"] == "UBND-00070"
    assert [(m["on"], m["label"]) for m in en["milestones"]] == [
        ("2026-11-20", "Petition received"),
        ("2026-11-23", "Forwarded to the competent agency"),
    ]
    _no_personal_data(resp.text)
    _no_personal_data(str(en))


async def test_a_wrong_code_and_a_wrong_pin_are_the_same_404(client, make_user):
    case, _ = await _file(client, make_user)
    code, pin = case["tracking"]["code"], case["tracking"]["pin"]
    wrong_pin = f"{(int(pin) + 1) % 10**6:06d}"
    bad_pin = await client.get(f"/api/v1/public/cases/{code}", params={"pin": wrong_pin})
    bad_code = await client.get("/api/v1/public/cases/HN-26K-ZZZZZZ", params={"pin": pin})
    assert bad_pin.status_code == bad_code.status_code == 404
    strip = ("instance", "request_id")
    assert {k: v for k, v in bad_pin.json().items() if k not in strip} == {
        k: v for k, v in bad_code.json().items() if k not in strip
    }
    # a PIN that is not six digits is bad input, named
    resp = await client.get(f"/api/v1/public/cases/{code}", params={"pin": "12ab"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "query.pin"


async def test_look_ups_are_rate_limited_per_client(client, make_user, app):
    case, _ = await _file(client, make_user)
    code = case["tracking"]["code"]
    limit = app.state.settings.public_lookups_per_minute
    for i in range(limit):
        assert (await client.get(f"/api/v1/public/cases/{code}", params={"pin": f"{i:06d}"})).status_code in (200, 404)
    resp = await client.get(f"/api/v1/public/cases/{code}", params={"pin": case["tracking"]["pin"]})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    page = await client.post("/track", data={"code": code, "pin": case["tracking"]["pin"]})
    assert page.status_code == 429 and "thử lại sau" in page.text


async def test_the_track_page_form_and_result(client, make_user):
    case, desk = await _file(client, make_user, kind="denunciation", decision_date=None)
    code, pin = case["tracking"]["code"], case["tracking"]["pin"]
    form = await client.get("/track")
    assert form.status_code == 200 and form.headers["content-type"].startswith("text/html")
    assert '<html lang="vi">' in form.text and '<label for="code">' in form.text and '<label for="pin">' in form.text
    result = await client.post("/track", data={"code": code, "pin": pin})
    assert result.status_code == 200, result.text
    assert f"Đơn {code}" in result.text and "Tố cáo" in result.text and "Tiếp nhận đơn" in result.text
    _no_personal_data(result.text)
    missing = await client.post("/track", data={"code": code, "pin": "000000" if pin != "000000" else "111111"})
    assert missing.status_code == 404 and 'role="alert"' in missing.text and "Không tìm thấy" in missing.text
