"""Withdrawal (rút đơn): who withdraws what, and whether the case ends.

- Luật Tố cáo 25/2018 Art 33(1)-(2): a denouncer may withdraw all or part of the content, in
  writing, before the conclusion; the part not withdrawn is still resolved; when one or some of
  several denouncers withdraw, the denunciation is still resolved; only a withdrawal of everything
  ends it (termination, Art 34(3)(a)).
- Art 33(3): a withdrawn denunciation is still resolved where the denounced act shows signs of a
  violation, or the withdrawal was coerced or bought, or the denunciation was used to slander
  (`continue_resolution`, with a reason).
- Luật Khiếu nại 02/2011 Art 10: a complainant may withdraw at any time; the resolver then
  terminates. The partial withdrawal and the several-complainants rule (Law 136/2025; ND 124/2020
  Art 7a as amended) are read the same way as for denunciations (docs/decisions/0040-withdrawal.md).

Pure and I/O-free.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

__all__ = ["WithdrawalPlan", "WithdrawalRefused", "plan_withdrawal"]


class WithdrawalRefused(ValueError):
    """The withdrawal as asked is not possible: `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class WithdrawalPlan:
    withdrawing: tuple[int, ...]  # petitioner ids marked withdrawn now (none for a partial withdrawal)
    by_everyone: bool  # every petitioner (listed or not) has now withdrawn
    ends_case: bool  # the case becomes `withdrawn`
    continues_because: str | None  # why it goes on: "partial", "others_remain", "art33_3"


def plan_withdrawal(
    *,
    kind: str,
    petitioner_ids: Collection[int],
    already_withdrawn: Collection[int],
    signers: int,
    requested: Collection[int] | None,
    partial: str | None,
    continue_resolution: bool,
) -> WithdrawalPlan:
    """What a withdrawal does.

    `petitioner_ids`: the listed petitioners; `already_withdrawn`: those who withdrew before;
    `signers`: how many people the petition has (may exceed those listed); `requested`: the ids
    named by the desk, None for everyone (the representative withdraws for all, ND 31/2019 Art 4(2)).
    A partial withdrawal marks no one as withdrawn: they keep the rest of their petition.
    """
    if continue_resolution and kind != "denunciation":
        raise WithdrawalRefused(
            "body.continue_resolution", "only a denunciation is resolved after its withdrawal (Luật Tố cáo Art 33(3))"
        )
    listed = set(petitioner_ids)
    gone = set(already_withdrawn) & listed
    if requested is None:
        chosen = listed - gone
    else:
        chosen = set(requested)
        if len(chosen) != len(list(requested)):
            raise WithdrawalRefused("body.petitioner_ids", "lists a petitioner twice")
        unknown = chosen - listed
        if unknown:
            raise WithdrawalRefused(
                "body.petitioner_ids", f"not petitioners of this case: {', '.join(str(i) for i in sorted(unknown))}"
            )
        again = chosen & gone
        if again:
            raise WithdrawalRefused(
                "body.petitioner_ids", f"already withdrew: {', '.join(str(i) for i in sorted(again))}"
            )
        if not chosen:
            raise WithdrawalRefused("body.petitioner_ids", "names no one")
    if partial is not None and not partial.strip():
        raise WithdrawalRefused("body.partial", "must describe the content withdrawn")
    if partial is not None:
        return WithdrawalPlan((), False, False, "partial")
    if listed and not chosen:
        raise WithdrawalRefused("body.petitioner_ids", "every petitioner has already withdrawn")
    after = gone | chosen
    # Unlisted signers withdraw only through a withdrawal for everyone.
    by_everyone = after == listed and (requested is None or signers <= len(listed))
    if not by_everyone:
        return WithdrawalPlan(tuple(sorted(chosen)), False, False, "others_remain")
    if continue_resolution:
        return WithdrawalPlan(tuple(sorted(chosen)), True, False, "art33_3")
    return WithdrawalPlan(tuple(sorted(chosen)), True, True, None)
