"""Issue #6 D20: the grounds say what the articles say (read in the Law Codification mirror,
diepxuan/diepxuan.github.io van-ban/khieu-nai-to-cao/)."""

from __future__ import annotations

from app.workflows import lifecycle as lc


def _ground(code: str) -> lc.Ground:
    return next(g for a in lc.ACTIONS for gs in a.grounds.values() for g in gs if g.code == code)


def test_archiving_a_denunciation_sent_also_to_the_competent_body_cites_art_24_3():
    # Luật Tố cáo Art 24(3): "… được gửi đồng thời cho nhiều cơ quan …, trong đó có cơ quan … có
    # thẩm quyền giải quyết … thì cơ quan … nhận được tố cáo không xử lý" (24(2) is forwarding).
    assert _ground("sent_to_competent_body").source == "Luật Tố cáo Art 24(3)"


def test_kn11_6_covers_both_time_limits():
    # Luật Khiếu nại Art 11(6): "Thời hiệu, thời hạn khiếu nại đã hết mà không có lý do chính đáng".
    label = _ground("kn11_6_time_barred").label
    assert "thời hiệu, thời hạn" in label and "Art 9" in label and "Art 33" in label


def test_kn11_9_keeps_the_court_termination_exception():
    # Art 11(9): "… trừ quyết định đình chỉ giải quyết vụ án hành chính của Tòa án".
    assert "except a court's decision to stop" in _ground("kn11_9_court").label
