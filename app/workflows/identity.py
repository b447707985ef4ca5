"""Who may see a denouncer's identity (Luật Tố cáo 25/2018 Art 9(1)(b), 47, 48, 56).

The denouncer's name, ID number, phone, address and e-mail are kept secret: only the
organisation that holds the case (the one that received it, or the one it is assigned to) sees
them, and each of its reads is audited. Everyone else who may see the case sees that the
identity is protected, and no identity fields. Pure and I/O-free.
"""

from __future__ import annotations

from collections.abc import Iterable


def may_see_identity(protected: bool, holder_org_ids: Iterable[int | None], viewer_org_id: int) -> bool:
    """`protected`: the case carries a denouncer's identity; `holder_org_ids`: the receiving and
    assigned organisations."""
    if not protected:
        return True
    return viewer_org_id in {i for i in holder_org_ids if i is not None}
