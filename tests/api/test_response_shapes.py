"""Typed response models keep the JSON shapes clients rely on (issue 7 item 6): an optional key
of an action or a flag is left out where it does not apply, never sent as null."""

from __future__ import annotations

from tests.api.casekit import act, new_case


async def test_actions_and_flags_leave_out_the_keys_that_do_not_apply(client, make_user):
    desk = (await make_user("reception", "MTTQ-01"))[1]
    ward = (await make_user("handler", "UBND-00070"))[1]
    case = await new_case(client, desk, kind="complaint")
    await act(client, desk, case["id"], "forward", to_org="UBND-00070", on="2026-11-23")
    got = (await client.get(f"/api/v1/cases/{case['id']}/actions", headers=ward)).json()
    by_name = {a["action"]: a for a in got["actions"]}
    base = {"action", "label", "to_status", "required", "optional", "source"}
    assert set(by_name["reject"]) == base | {"grounds"}
    assert set(by_name["reject"]["grounds"][0]) == {"code", "label", "source"}
    assert set(by_name["accept"]) == base  # no grounds, outcomes, complexities, urgent_reasons: absent
    assert set(by_name["flag_urgent"]) == base | {"urgent_reasons"}
    anonymous = await new_case(client, desk, kind="denunciation", anonymous=True, petitioners=[])
    flag = next(f for f in anonymous["flags"] if f["code"] == "anonymous_denunciation")
    assert set(flag) == {"code", "source", "detail"}  # no case_code/org/received_on: a duplicate's keys
