"""The tracking PIN (issue #6 C12): stored as HMAC-SHA256 under a server key kept outside the
database, checked in constant time, and no argon2 at intake."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select

from app.models.cases import Case
from app.security import hash_password
from app.services import cases as svc
from tests.api.casekit import new_case


async def _stored(db, case_id: int) -> Case:
    return (await db.session.execute(select(Case).where(Case.id == case_id))).scalar_one()


async def test_the_pin_is_stored_as_its_hmac_under_the_server_key(client, db, app, make_user, monkeypatch):
    _, desk = await make_user("reception", "MTTQ-01")

    def no_argon2(*_a, **_k):
        raise AssertionError("intake must not run argon2")

    monkeypatch.setattr("pwdlib.PasswordHash.hash", no_argon2)  # any password hash, whoever configured it
    created = await new_case(client, desk)
    pin = created["tracking"]["pin"]
    assert len(pin) == 6 and pin.isdigit()
    case = await _stored(db, created["id"])
    key = app.state.settings.pin_key
    assert pin not in case.pin_hash
    assert case.pin_hash == "hmac-sha256$" + hmac.new(key, pin.encode(), hashlib.sha256).hexdigest()

    assert svc.verify_pin(case, pin)
    assert not svc.verify_pin(case, f"{(int(pin) + 1) % 10**6:06d}")
    assert not svc.verify_pin(case, pin, key=b"another-key-of-at-least-32-bytes!!")  # a stolen database alone
    assert not svc.verify_pin(case, "")


async def test_a_pin_stored_by_the_argon2_version_still_verifies(client, db, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    case = await _stored(db, (await new_case(client, desk))["id"])
    case.pin_hash = hash_password("246810")
    assert svc.verify_pin(case, "246810") and not svc.verify_pin(case, "246811")
    case.pin_hash = "garbage"
    assert not svc.verify_pin(case, "246810")


def test_split_parts_and_appeals_need_no_demo_hooks():
    """Issue #7 item 7: production intake reads nothing demo-specific from the session."""
    assert not hasattr(svc, "SHARED_PIN") and not hasattr(svc, "TRACKING_CODE_RNG")
