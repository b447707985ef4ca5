"""Text as the service compares it: one folding function, and title similarity.

Diacritics-insensitive text: `dat dai` finds `đất đai` on SQLite and PostgreSQL alike. We store a
folded copy of searchable text (lower case, no tone marks, đ→d) next to the original and search
the folded copy; on PostgreSQL a trigram index backs it (docs/decisions). Address parsing folds
with the same function. Pure."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


class _DropMarks(dict[int, int | None]):
    """`str.translate` table that deletes the non-spacing marks (category Mn) and keeps every other
    character, filled in as characters are met (a few hundred in practice; capped)."""

    def __missing__(self, codepoint: int) -> int | None:
        kept = None if unicodedata.category(chr(codepoint)) == "Mn" else codepoint
        if len(self) < 20_000:
            self[codepoint] = kept
        return kept


_DROP_MARKS = _DropMarks()


def fold(text: str | None) -> str:
    if not text:
        return ""
    s = text.replace("đ", "d").replace("Đ", "D")
    s = unicodedata.normalize("NFD", s).translate(_DROP_MARKS)
    s = unicodedata.normalize("NFC", s).lower()
    return _SPACES.sub(" ", s).strip()


def _title_tokens(text: str) -> set[str]:
    return {t for t in fold(text).split() if len(t) > 1}


def similar_titles(a: str, b: str) -> bool:
    """Two titles are about the same thing when at least half of their words (folded, longer
    than one letter) are shared (Jaccard ≥ 0.5): used to suggest possible duplicates at intake."""
    ta, tb = _title_tokens(a), _title_tokens(b)
    if not ta or not tb:
        return False
    return len(ta & tb) / len(ta | tb) >= 0.5
