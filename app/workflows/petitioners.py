"""Rules about the people who file: representatives of a group, and the keys that match a person
across cases. Pure and I/O-free."""

from __future__ import annotations

from collections.abc import Sequence

from app.errors import field_error

MASS_THRESHOLD = 5  # đông người: five or more people on one matter (Luật Tiếp công dân Art 29-30)


def representatives_needed(count: int) -> tuple[int, int] | None:
    """Luật Tiếp công dân Art 29: 5–10 people appoint one or two representatives from among
    themselves; more than ten, up to five. None when no representative is needed."""
    if count < MASS_THRESHOLD:
        return None
    return (1, 2) if count <= 10 else (1, 5)


def check_representatives(count: int, is_representative: Sequence[bool]) -> None:
    """Refuse a group whose representatives do not fit Art 29 (a 422 naming the petitioners)."""
    bounds = representatives_needed(count)
    if bounds is None:
        return
    low, high = bounds
    reps = sum(1 for r in is_representative if r)
    if not low <= reps <= high:
        raise field_error(
            "body.petitioners",
            f"{count} petitioners must appoint {low}–{high} representative(s) from among themselves "
            f"(Luật Tiếp công dân Art 29); {reps} marked is_representative",
        )


def phone_key(phone: str | None) -> str | None:
    """A phone number as digits, +84/84 folded to the national 0 prefix, for matching."""
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("84") and len(digits) > 10:
        digits = "0" + digits[2:]
    return digits or None
