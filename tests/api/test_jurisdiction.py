"""A caller's jurisdiction is their organisation's unit and its whole subtree (materialised path)."""

from __future__ import annotations

from app.security import load_principal, unit_path


async def test_ward_staff_cover_their_ward_only_and_city_staff_cover_all(db, make_user, client, admin_headers):
    ward_user, _ = await make_user("handler", "UBND-00070")
    city_user, _ = await make_user("handler", "TTR-01")
    # a unit below the ward (a future level, or a legacy one) belongs to the ward's subtree
    resp = await client.post(
        "/api/v1/units",
        headers=admin_headers,
        json={"code": "00070-TDP1", "name": "Tổ dân phố 1", "level": "commune", "parent_code": "00070"},
    )
    assert resp.status_code == 201, resp.text

    ward = await load_principal(db.session, ward_user)
    city = await load_principal(db.session, city_user)
    assert ward.jurisdiction_path == "01/00070/" and city.jurisdiction_path == "01/"

    hoan_kiem = await unit_path(db.session, "00070")
    cua_nam = await unit_path(db.session, "00073")
    below = await unit_path(db.session, "00070-TDP1")
    hanoi = await unit_path(db.session, "01")
    assert below == "01/00070/00070-TDP1/"
    assert ward.covers(hoan_kiem) and ward.covers(below)
    assert not ward.covers(cua_nam) and not ward.covers(hanoi) and not ward.covers(None)
    assert all(city.covers(p) for p in (hoan_kiem, cua_nam, below, hanoi))
    assert await unit_path(db.session, "99999") is None
