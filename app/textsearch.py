"""Diacritics-insensitive text: `dat dai` finds `đất đai` on SQLite and PostgreSQL alike.

We store a folded copy of searchable text (lower case, no tone marks, đ→d) next to the original
and search the folded copy; on PostgreSQL a trigram index backs it (docs/decisions)."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    if not text:
        return ""
    s = text.replace("đ", "d").replace("Đ", "D")
    s = unicodedata.normalize("NFD", s)
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn")
    s = unicodedata.normalize("NFC", s).lower()
    return _SPACES.sub(" ", s).strip()
