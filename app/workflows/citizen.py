"""What a citizen and a client system are told about a case: its status in words, and its
projection onto Open311's two statuses. Pure; no personal data ever passes through here."""

from __future__ import annotations

from app.workflows.lifecycle import OPEN_STATUSES, Kind, Status

# Status in words a citizen understands: (Vietnamese, English).
STATUS_WORDS: dict[Status, tuple[str, str]] = {
    Status.received: ("Đã tiếp nhận đơn, đang phân loại và xử lý", "Received; being classified and processed"),
    Status.forwarded: ("Đã chuyển đơn đến cơ quan có thẩm quyền", "Forwarded to the competent agency"),
    Status.accepted: ("Đã thụ lý, đang giải quyết", "Accepted for resolution"),
    Status.verifying: ("Đang xác minh nội dung", "Under verification"),
    Status.suspended: ("Tạm đình chỉ giải quyết", "Resolution suspended"),
    Status.decided: ("Đã có quyết định, kết luận hoặc văn bản trả lời", "A decision, conclusion or answer was issued"),
    Status.closed: ("Đã kết thúc", "Closed"),
    Status.appealed: ("Đã khiếu nại lần hai lên cơ quan cấp trên", "Appealed to the superior agency"),
    Status.rejected: ("Không thụ lý (đã thông báo lý do)", "Not accepted (the reasons were notified)"),
    Status.guided: ("Đã hướng dẫn gửi đến cơ quan có thẩm quyền", "Guided to the competent agency"),
    Status.archived: ("Lưu đơn", "Filed without further action"),
    Status.withdrawn: ("Người gửi đã rút đơn", "Withdrawn by the petitioner"),
    Status.terminated: ("Đình chỉ giải quyết", "Resolution terminated"),
}

KIND_WORDS: dict[Kind, tuple[str, str]] = {
    Kind.complaint: ("Khiếu nại", "Complaint"),
    Kind.denunciation: ("Tố cáo", "Denunciation"),
    Kind.petition: ("Kiến nghị", "Petition"),
    Kind.reflection: ("Phản ánh", "Reflection"),
}

FIELD_WORDS: dict[str, tuple[str, str]] = {
    "land": ("Đất đai", "Land"),
    "housing": ("Nhà ở", "Housing"),
    "compensation": ("Bồi thường, hỗ trợ, tái định cư", "Compensation and resettlement"),
    "environment": ("Môi trường", "Environment"),
    "social_policy": ("Chính sách xã hội", "Social policy"),
    "justice": ("Tư pháp", "Justice"),
    "corruption": ("Tham nhũng, tiêu cực", "Corruption"),
    "administration": ("Hành chính", "Administration"),
    "other": ("Khác", "Other"),
}


def status_words(status: str, lang: str = "vi") -> str:
    vi, en = STATUS_WORDS[Status(status)]
    return en if lang == "en" else vi


def open311_status(status: str) -> str:
    """GeoReport v2 knows `open` and `closed`: every open status of the lifecycle is `open`."""
    return "open" if Status(status) in OPEN_STATUSES else "closed"


def open311_statuses(status: str) -> frozenset[str]:
    """The internal statuses an Open311 `status` filter value stands for."""
    want_open = status == "open"
    return frozenset(s.value for s in Status if (s in OPEN_STATUSES) == want_open)


def preferred_language(accept_language: str | None) -> str:
    """`en` when the client prefers English to Vietnamese, else `vi` (the service's language)."""
    best, best_q = "vi", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.split("-")[0]
        if lang in ("vi", "en") and q > best_q:
            best, best_q = lang, q
    return best


# Public milestones: the audit actions a citizen is told about, in words. Internal steps
# (edits, identity reads, reclassification, returns, relocation) are not milestones.
MILESTONE_WORDS: dict[str, tuple[str, str]] = {
    "case.create": ("Tiếp nhận đơn", "Petition received"),
    "case.create_appeal": ("Tiếp nhận khiếu nại lần hai", "Second-time complaint received"),
    "case.create_split": ("Tiếp nhận đơn (tách từ đơn có nhiều nội dung)", "Received (split from a petition)"),
    "case.forward": ("Chuyển đơn đến cơ quan có thẩm quyền", "Forwarded to the competent agency"),
    "case.accept": ("Thụ lý giải quyết", "Accepted for resolution"),
    "case.reject": ("Không thụ lý", "Not accepted"),
    "case.guide": ("Hướng dẫn gửi đến cơ quan có thẩm quyền", "Guided to the competent agency"),
    "case.archive": ("Lưu đơn", "Filed without further action"),
    "case.start_verification": ("Xác minh nội dung", "Verification started"),
    "case.suspend": ("Tạm đình chỉ giải quyết", "Resolution suspended"),
    "case.resume": ("Tiếp tục giải quyết", "Resolution resumed"),
    "case.extend": ("Gia hạn thời hạn giải quyết", "Time limit extended"),
    "case.decide": ("Ban hành quyết định, kết luận hoặc văn bản trả lời", "Decision, conclusion or answer issued"),
    "case.close": ("Kết thúc hồ sơ", "Closed"),
    "case.appeal": ("Khiếu nại lần hai", "Appealed"),
    "case.withdraw": ("Rút đơn", "Withdrawn"),
    "case.terminate": ("Đình chỉ giải quyết", "Resolution terminated"),
}

STAGE_WORDS: dict[str, tuple[str, str]] = {
    "processing": ("xử lý đơn", "processing"),
    "acceptance": ("thụ lý", "acceptance"),
    "resolution": ("giải quyết", "resolution"),
}


def words(table: dict[str, tuple[str, str]] | dict, key: str, lang: str) -> str:
    vi, en = table[key]
    return en if lang == "en" else vi
