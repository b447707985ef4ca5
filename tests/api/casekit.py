"""Helpers for case tests: log a case, take an action with the right If-Match."""

from __future__ import annotations

from datetime import date
from typing import Any

TODAY = date(2026, 11, 27)  # pinned business date for case tests (a Friday)


def case_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "complaint",
        "channel": "in_person",
        "received_on": "2026-11-20",
        "title": "Khiếu nại quyết định thu hồi đất",
        "content": "Đề nghị xem xét lại việc thu hồi đất nông nghiệp",
        "field": "land",
        "location_unit_code": "00070",
        "respondent": "UBND phường Hoàn Kiếm",
        "petitioners": [
            {
                "full_name": "Nguyễn Văn An",
                "id_number": "001085012345",
                "phone": "0912345678",
                "address": "12 Hàng Bạc, Hà Nội",
            }
        ],
    }
    body.update(over)
    return body


async def new_case(client, headers, **over: Any) -> dict[str, Any]:
    resp = await client.post("/api/v1/cases", json=case_body(**over), headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def act(client, headers, case_id: int, action: str, *, expect: int = 200, **fields: Any) -> dict[str, Any]:
    got = await client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert got.status_code == 200, got.text
    resp = await client.post(
        f"/api/v1/cases/{case_id}/transitions",
        json={"action": action, **fields},
        headers={**headers, "If-Match": got.headers["ETag"]},
    )
    assert resp.status_code == expect, resp.text
    return resp.json()
