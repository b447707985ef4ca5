"""The lifecycle table itself (pure): coherent, complete, and documented from the code."""

from __future__ import annotations

from pathlib import Path

from app.workflows import lifecycle as lc
from app.workflows.lifecycle import Kind, Status
from app.workflows.roles import Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md"


def test_docs_lifecycle_md_is_generated_from_the_table():
    assert DOC.read_text(encoding="utf-8") == lc.markdown(), (
        "docs/lifecycle.md is stale: run python -m app.workflows.lifecycle --markdown > docs/lifecycle.md"
    )


def test_every_contract_action_is_declared():
    contract = {
        "forward",
        "accept",
        "reject",
        "return",
        "guide",
        "archive",
        "start_verification",
        "suspend",
        "resume",
        "extend",
        "decide",
        "close",
        "appeal",
        "withdraw",
        "terminate",
    }
    assert contract <= set(lc.ACTION_NAMES)


def test_no_action_leaves_a_final_status_but_appeal_from_closed():
    # Luật Khiếu nại Art 33: the appeal window runs from the decision, even once the file is closed.
    # A notice sent after the end (`notify`, records_only) changes no status.
    for a in lc.ACTIONS:
        leaves = a.from_statuses & lc.FINAL_STATUSES
        assert (
            not leaves
            or (a.name == "appeal" and leaves == {Status.closed})
            or (a.records_only and a.to_status is None and a.clock == lc.Clock.none)
        ), a.name


def test_every_open_status_can_be_left_and_final_statuses_are_reachable():
    reachable = {a.to_status or a.ends_in for a in lc.ACTIONS if a.to_status or a.ends_in}
    assert reachable >= lc.FINAL_STATUSES
    for status in lc.OPEN_STATUSES:
        assert any(status in a.from_statuses for a in lc.ACTIONS), status


def test_supervisors_and_admins_take_no_action():
    for a in lc.ACTIONS:
        assert not (a.roles & {Role.supervisor, Role.admin}), a.name


def test_an_action_name_is_unambiguous_for_each_kind_and_status():
    for kind in Kind:
        for rnd in (1, 2) if kind == Kind.complaint else (None,):
            for status in Status:
                names = [a.name for a in lc.allowed(kind, rnd, status)]
                assert len(names) == len(set(names)), (kind, rnd, status, names)


def test_decide_outcomes_by_kind_follow_the_contract():
    assert lc.find("decide", Kind.complaint, 1, Status.verifying).outcomes[Kind.complaint] == (
        "upheld",
        "partly_upheld",
        "rejected",
    )
    assert lc.find("decide", Kind.denunciation, None, Status.verifying).outcomes[Kind.denunciation] == (
        "true",
        "partly_true",
        "false",
    )
    assert lc.find("decide", Kind.petition, None, Status.accepted) is not None
    assert lc.find("decide", Kind.complaint, 1, Status.accepted) is None  # complaints are verified first


def test_refusal_grounds_are_the_law_lists():
    reject = lc.find("reject", Kind.complaint, 1, Status.forwarded)
    assert len(reject.grounds_for(Kind.complaint)) == 9  # Luật Khiếu nại Art 11 has nine grounds
    assert all("Art 11" in g.source for g in reject.grounds_for(Kind.complaint))
    assert all("Art 29" in g.source for g in reject.grounds_for(Kind.denunciation))
    assert lc.find("reject", Kind.petition, None, Status.forwarded) is None


def test_appeal_is_for_first_round_complaints_only():
    assert lc.find("appeal", Kind.complaint, 1, Status.decided) is not None
    assert lc.find("appeal", Kind.complaint, 2, Status.decided) is None
    assert lc.find("appeal", Kind.denunciation, None, Status.decided) is None
