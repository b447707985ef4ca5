"""Withdrawal (pure): who withdraws, and whether the case ends (Luật Tố cáo Art 33; Luật Khiếu nại Art 10)."""

from __future__ import annotations

import pytest

from app.workflows.withdrawal import WithdrawalRefused, plan_withdrawal


def plan(**over):
    args = {
        "kind": "denunciation",
        "petitioner_ids": [1, 2],
        "already_withdrawn": [],
        "signers": 2,
        "requested": None,
        "partial": None,
        "continue_resolution": False,
    }
    args.update(over)
    return plan_withdrawal(**args)


def test_everyone_withdrawing_everything_ends_the_case():
    p = plan()
    assert p.ends_case and p.by_everyone and p.withdrawing == (1, 2)


def test_one_of_several_denouncers_leaves_the_case_running():  # Art 33(2), third sentence
    p = plan(requested=[2])
    assert not p.ends_case and p.withdrawing == (2,) and p.continues_because == "others_remain"
    # the last one withdrawing later ends it
    p = plan(requested=[1], already_withdrawn=[2])
    assert p.ends_case and p.withdrawing == (1,)


def test_a_partial_withdrawal_leaves_the_rest_running_and_marks_no_one():  # Art 33(2), first sentence
    p = plan(partial="Nội dung thứ hai")
    assert not p.ends_case and p.withdrawing == () and p.continues_because == "partial"
    with pytest.raises(WithdrawalRefused) as e:
        plan(partial="  ")
    assert e.value.field == "body.partial"


def test_art33_3_keeps_a_withdrawn_denunciation_open():
    p = plan(continue_resolution=True)
    assert not p.ends_case and p.by_everyone and p.continues_because == "art33_3"


def test_continue_resolution_is_for_denunciations_only():
    with pytest.raises(WithdrawalRefused) as e:
        plan(kind="complaint", continue_resolution=True)
    assert e.value.field == "body.continue_resolution"


def test_unlisted_signers_withdraw_only_with_everyone():
    # 7 signed, 2 listed: the two listed withdrawing by name does not end a petition of seven.
    assert not plan(signers=7, requested=[1, 2]).ends_case
    assert plan(signers=7).ends_case  # the representative withdraws for all (ND 31/2019 Art 4(2))


def test_an_anonymous_case_is_withdrawn_whole():
    assert plan(petitioner_ids=[], signers=0).ends_case


@pytest.mark.parametrize(
    "requested,already,message",
    [
        ([3], [], "not petitioners"),
        ([1, 1], [], "twice"),
        ([2], [2], "already withdrew"),
        ([], [], "names no one"),
    ],
)
def test_bad_petitioner_ids_are_refused_naming_the_field(requested, already, message):
    with pytest.raises(WithdrawalRefused) as e:
        plan(requested=requested, already_withdrawn=already)
    assert e.value.field == "body.petitioner_ids" and message in str(e.value)


def test_nobody_left_to_withdraw():
    with pytest.raises(WithdrawalRefused):
        plan(already_withdrawn=[1, 2])
