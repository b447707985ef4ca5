"""Lists and search: every filter of the contract, scoped to the caller's jurisdiction,
keyset-paginated by a stable key; `q` diacritics-insensitive on both databases."""

from __future__ import annotations

import pytest

from tests.api.casekit import act, new_case
from tests.conftest import assert_problem


@pytest.fixture
async def corpus(client, make_user):
    _, city_desk = await make_user("reception", "MTTQ-01")
    _, hk_desk = await make_user("reception", "MTTQ-00070")
    _, bd_desk = await make_user("reception", "MTTQ-00004")
    _, hk = await make_user("handler", "UBND-00070")
    cases = {
        "land_hk": await new_case(
            client, hk_desk, title="Tranh chấp đất đai ở Hàng Bạc", field="land", received_on="2026-11-02"
        ),
        "env_hk": await new_case(
            client, hk_desk, kind="reflection", title="Ô nhiễm tiếng ồn", field="environment", received_on="2026-11-25"
        ),
        "land_bd": await new_case(
            client,
            bd_desk,
            title="Đền bù giải phóng mặt bằng",
            field="compensation",
            location_unit_code="00004",
            received_on="2026-11-10",
        ),
        "den_city": await new_case(
            client, city_desk, kind="denunciation", title="Tố cáo cán bộ", field="corruption", received_on="2026-11-26"
        ),
    }
    await act(client, hk_desk, cases["env_hk"]["id"], "forward", to_org="UBND-00070", on="2026-11-26")
    return {
        "cases": cases,
        "city_desk": city_desk,
        "hk_desk": hk_desk,
        "bd_desk": bd_desk,
        "hk": hk,
        "sup": (await make_user("supervisor", "HDND-01"))[1],
        "hk_sup": (await make_user("supervisor", "HDND-00070"))[1],
    }


async def ids(client, headers, query="") -> list[int]:
    resp = await client.get(f"/api/v1/cases{query}", headers=headers)
    assert resp.status_code == 200, resp.text
    return [c["id"] for c in resp.json()["items"]]


async def test_jurisdiction_scopes_every_list(client, corpus):
    c = corpus["cases"]
    everything = {x["id"] for x in c.values()}
    assert set(await ids(client, corpus["sup"])) == everything
    hk_ids = set(await ids(client, corpus["hk_sup"]))
    # Hoàn Kiếm sees its own ward's cases (the denunciation logged at the city is about Hoàn Kiếm too)
    assert hk_ids == {c["land_hk"]["id"], c["env_hk"]["id"], c["den_city"]["id"]}
    assert set(await ids(client, corpus["bd_desk"])) == {c["land_bd"]["id"]}


async def test_filters(client, corpus):
    c, sup = corpus["cases"], corpus["sup"]
    assert await ids(client, sup, "?kind=reflection") == [c["env_hk"]["id"]]
    assert await ids(client, sup, "?field=compensation") == [c["land_bd"]["id"]]
    assert set(await ids(client, sup, "?unit=00070")) == {c["land_hk"]["id"], c["env_hk"]["id"], c["den_city"]["id"]}
    assert set(await ids(client, sup, "?unit=01")) == {x["id"] for x in c.values()}
    assert await ids(client, sup, "?assigned_org=UBND-00070") == [c["env_hk"]["id"]]
    assert await ids(client, sup, "?receiving_org=MTTQ-00004") == [c["land_bd"]["id"]]
    assert set(await ids(client, sup, "?status=forwarded&status=received")) == {x["id"] for x in c.values()}
    assert await ids(client, sup, "?status=forwarded") == [c["env_hk"]["id"]]
    assert await ids(client, sup, "?received_from=2026-11-20&received_to=2026-11-25") == [c["env_hk"]["id"]]
    # received 2 Nov → processing due 16 Nov (10 WD): overdue on 27 Nov; received 10 Nov → due 24 Nov... see below
    overdue = await ids(client, sup, "?overdue=true")
    assert c["land_hk"]["id"] in overdue and c["den_city"]["id"] not in overdue
    not_overdue = await ids(client, sup, "?overdue=false")
    assert set(overdue).isdisjoint(not_overdue) and set(overdue) | set(not_overdue) == {x["id"] for x in c.values()}
    assert await ids(client, sup, "?due_before=2026-11-17") == [c["land_hk"]["id"]]
    rows = (await client.get("/api/v1/cases?overdue=true", headers=sup)).json()["items"]
    assert all(r["overdue"] and r["days_overdue"] > 0 for r in rows)
    # a status filter with overdue=true: the cases both select (one status list in the SQL)
    for statuses in (["received"], ["received", "forwarded"], ["forwarded"], ["suspended"], ["closed", "received"]):
        query = "".join(f"&status={s}" for s in statuses)
        by_status = set(await ids(client, sup, "?" + query[1:]))
        assert set(await ids(client, sup, "?overdue=true" + query)) == by_status & set(overdue), statuses
        assert set(await ids(client, sup, "?overdue=false" + query)) == by_status & set(not_overdue), statuses
    # a place in the caller's jurisdiction needs no scope condition; one outside it keeps it
    hk_sup = corpus["hk_sup"]
    assert set(await ids(client, hk_sup, "?unit=01")) == {c["land_hk"]["id"], c["env_hk"]["id"], c["den_city"]["id"]}
    assert await ids(client, hk_sup, "?unit=00004") == []
    assert set(await ids(client, hk_sup, "?unit=00070&overdue=true&status=received")) == {c["land_hk"]["id"]} & set(
        overdue
    )


async def test_q_is_diacritics_insensitive(client, corpus):
    c, sup = corpus["cases"], corpus["sup"]
    assert await ids(client, sup, "?q=dat dai") == [c["land_hk"]["id"]]
    assert await ids(client, sup, "?q=ĐẤT ĐAI") == [c["land_hk"]["id"]]
    assert await ids(client, sup, "?q=den bu") == [c["land_bd"]["id"]]
    assert await ids(client, sup, "?q=" + c["env_hk"]["code"].lower()) == [c["env_hk"]["id"]]
    assert await ids(client, sup, "?q=100%25") == []  # LIKE wildcards are literal


async def test_keyset_pagination_walks_everything_once(client, corpus):
    sup = corpus["sup"]
    for sort in ("-received_on", "received_on", "id", "-id", "due", "-due", "-updated_at"):
        seen, cursor = [], None
        while True:
            q = f"?limit=1&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
            page = (await client.get(f"/api/v1/cases{q}", headers=sup)).json()
            seen += [x["id"] for x in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        full = await ids(client, sup, f"?sort={sort}")
        assert seen == full and len(seen) == len(set(seen)) == 4, sort
    dates = [x["received_on"] for x in (await client.get("/api/v1/cases", headers=sup)).json()["items"]]
    assert dates == sorted(dates, reverse=True)


async def test_bad_list_queries_are_422_naming_the_parameter(client, corpus):
    sup = corpus["sup"]
    for query, field in (
        ("?status=lost", "status"),
        ("?limit=500", "limit"),
        ("?cursor=garbage!", "cursor"),
        ("?unit=99999", "unit"),
        ("?assigned_org=NOPE", "assigned_org"),
        ("?sort=title", "sort"),
        ("?due_before=tomorrow", "due_before"),
        ("?overdue=maybe", "overdue"),
    ):
        assert_problem(await client.get(f"/api/v1/cases{query}", headers=sup), 422, f"query.{field}")
    assert_problem(await client.get("/api/v1/cases"), 401)


async def test_list_never_carries_identity(client, corpus):
    resp = await client.get("/api/v1/cases", headers=corpus["city_desk"])
    assert "Nguyễn Văn An" not in resp.text and "001085012345" not in resp.text
