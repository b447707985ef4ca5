"""Resolve a free-text Vietnamese address to one of today's wards/communes (two-tier units, 1 July 2025).

Pure and offline. It uses the ``vietnamadminunits`` parsers (both ``parse_address`` modes, always with
``keep_street=False``) and that package's 2025 conversion tables. It never calls ``convert_address``,
because that function geocodes the street through an online service (geopy/ArcGIS) when the former ward
was split. Here a split former ward yields every candidate current unit plus the package's default pick,
marked ``ambiguous``, so that a desk officer chooses.

The package's ward codes sometimes disagree with the official list (``vietnam_provinces``): for example
Phường Cầu Giấy is 00166 in the package and 00167 in the official list. Results are therefore mapped to
official units by name, within the province, and never by the package's code.

Legacy (district-era) or current? Both parsers run (``ParseMode.FROM_2025`` and ``ParseMode.LEGACY``,
``keep_street=False``); name matches are only trusted on word boundaries within one comma-separated part.
The text is read as a former address when it names a former ward/commune of the province and:
- names the former district with its type ("quận Cầu Giấy", "Q. Cầu Giấy", "huyện Gia Lâm", "thị xã Sơn Tây"),
  or on its own ("Tràng Tiền, Hoàn Kiếm, Hà Nội"; not "phường Hoàn Kiếm", which is a current ward), or
- names the former ward with its own type ("phường Dịch Vọng Hậu") under a name no current unit carries,
  or while no current unit is named with its type, or
- no current unit is found at all.
Otherwise it is read as a current address: a former ward name inside the street ("số 5 Tràng Tiền,
phường Hoàn Kiếm") does not make it legacy. A former ward named with its type but without its district
("phường Dịch Vọng Hậu, Hà Nội") is looked up across the province's former districts; if the name existed
in several of them, the district is asked for. A text naming only a former district is not resolved.
A text naming no province is read in the requested province.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app.workflows.text import fold

__all__ = [
    "AddressNotResolved",
    "AddressResolution",
    "UnitRef",
    "match_official_unit",
    "official_units",
    "resolve_address",
]

MAX_ADDRESS_LENGTH = 1000

_PART_SEPARATORS = re.compile(r"[,;|/\n()]+")

_WARD_PREFIXES = ("phuong", "p", "xa", "x", "thitran", "tt", "dackhu")
_DISTRICT_PREFIXES = ("quan", "q", "huyen", "h", "thixa", "tx", "thanhpho", "tp")
_PREFIX_TYPE = {
    "phuong": "phường",
    "p": "phường",
    "xa": "xã",
    "x": "xã",
    "thitran": "thị trấn",
    "tt": "thị trấn",
    "dackhu": "đặc khu",
}

# Longest first so that "Thị trấn X" is not read as type "Thị" + name "trấn X".
_UNIT_TYPES = ("thị trấn", "đặc khu", "phường", "xã")


def _prefixes_of_type(unit_type: str) -> tuple[str, ...]:
    return tuple(p for p, t in _PREFIX_TYPE.items() if t == unit_type.lower()) or _WARD_PREFIXES


# ----------------------------------------------------------------------------------------------- API


@dataclass(frozen=True)
class UnitRef:
    code: str
    name: str


@dataclass(frozen=True)
class AddressResolution:
    unit: UnitRef
    candidates: tuple[UnitRef, ...]
    legacy: bool
    ambiguous: bool
    note: str | None


class AddressNotResolved(ValueError):
    """The text could not be resolved to a single current ward/commune of the province."""


def official_units(province_code: str = "01") -> tuple[UnitRef, ...]:
    """The province's current wards/communes from ``vietnam_provinces`` (official codes), sorted by code."""
    return _official_units(_norm_province_code(province_code))


def match_official_unit(name: str, province_code: str = "01") -> UnitRef | None:
    """Official unit of the province with this name, or None.

    Exact comparison first (case, spacing, dashes, quotes and old/new tone placement such as
    "Hoà"/"Hòa" normalised), then type-aware ("Phường"/"Xã"/... optional or abbreviated), and only as a
    fallback diacritics-insensitive; a fallback that matches several units returns None.
    """
    return _name_index(_norm_province_code(province_code)).match(name)


def resolve_address(text: str, province_code: str = "01") -> AddressResolution:
    """Resolve ``text`` to a current ward/commune of the province (default Hanoi, "01").

    Raises ``AddressNotResolved`` (a ``ValueError``) with an English reason when it cannot, and
    ``ValueError`` for an unknown province code.
    """
    prov = _province(_norm_province_code(province_code))
    if not isinstance(text, str):
        raise AddressNotResolved("The address must be text.")
    if len(text) > MAX_ADDRESS_LENGTH:
        raise AddressNotResolved(f"The address is longer than {MAX_ADDRESS_LENGTH} characters.")
    clean = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
    if not clean:
        raise AddressNotResolved("The address is empty.")
    key = _Key(clean)
    if not key.tokens:
        raise AddressNotResolved("The address contains no letters or digits.")

    explicit = _explicit_province(key)
    if explicit is not None and explicit != prov.code:
        raise AddressNotResolved(f"The address is in {_province_label(explicit)}, not in {prov.name}.")

    cur = _current_ward(clean, key, prov, explicit is not None)
    leg_district, old, old_ambiguity = _legacy_ward(clean, key, prov, explicit is not None)

    if old is not None:
        cur_typed = cur is not None and key.has_typed(_WARD_PREFIXES, cur.bare_keys)
        district_marked = key.has_typed(_DISTRICT_PREFIXES, old.district_bare_keys)
        # the former district as a part of its own: "Tràng Tiền, Hoàn Kiếm, Hà Nội"
        district_alone = key.is_part(old.district_bare_keys)
        # the former ward named with its own type ("phường X", not "xã X" for thị trấn X) ...
        old_typed = key.typed_keys(_prefixes_of_type(old.ward_type), old.bare_keys)
        # ... under a name that no current unit of the province carries
        old_gone = bool(old_typed) and not any(b in prov.new_by_bare for b in old_typed)
        if cur is None or district_marked or district_alone or old_gone or (old_typed and not cur_typed):
            return _convert(old, prov)
    district_named = leg_district is not None and key.has_typed(_DISTRICT_PREFIXES, leg_district.bare_keys)
    if cur is not None and not (district_named and not key.has_typed(_WARD_PREFIXES, cur.bare_keys)):
        note = None
        if district_named and leg_district is not None:
            note = (
                f"{cur.unit.name} is a current unit; the former district {leg_district.name} in the text was ignored."
            )
        return AddressResolution(unit=cur.unit, candidates=(), legacy=False, ambiguous=False, note=note)
    if district_named and leg_district is not None:  # "quận Cầu Giấy, Hà Nội": only the district's namesake
        raise AddressNotResolved(
            f"The address names only the former district {leg_district.name} (abolished on 1 July 2025), "
            f"not a ward/commune; a ward/commune is needed."
        )
    if old_ambiguity:
        raise AddressNotResolved(old_ambiguity)
    hint = "" if explicit is not None else _elsewhere_hint(clean, prov)
    raise AddressNotResolved(f"No current ward/commune of {prov.name} was recognised in the address.{hint}")


# ------------------------------------------------------------------------------------ text handling


_TONE_PLACEMENT = {  # old-style tone placement -> new style, on NFC lower-case text
    "oà": "òa",
    "oá": "óa",
    "oả": "ỏa",
    "oã": "õa",
    "oạ": "ọa",
    "oè": "òe",
    "oé": "óe",
    "oẻ": "ỏe",
    "oẽ": "õe",
    "oẹ": "ọe",
    "uỳ": "ùy",
    "uý": "úy",
    "uỷ": "ủy",
    "uỹ": "ũy",
    "uỵ": "ụy",
}
_TONE_RE = re.compile("|".join(_TONE_PLACEMENT))


def _canon(name: str) -> str:
    """Comparison key keeping diacritics: NFC, case, spacing, dashes, quotes and tone placement."""
    s = unicodedata.normalize("NFC", name).casefold()
    s = s.replace("’", "'").replace("‘", "'").replace("`", "'")
    s = re.sub(r"\s*[-–—]\s*", " ", s)  # "Văn Miếu - Quốc Tử Giám" == "Văn Miếu Quốc Tử Giám"
    s = re.sub(r"\s+", " ", s).strip()
    return _TONE_RE.sub(lambda m: _TONE_PLACEMENT[m.group()], s)


def _split_type(canon_name: str) -> tuple[str | None, str]:
    """("phường", "cầu giấy") from "phường cầu giấy"; also "p. cầu giấy"; (None, name) if untyped."""
    for t in _UNIT_TYPES:
        for spelling in (t, fold(t)):  # "xã cầu giấy" or, typed without diacritics, "xa cau giay"
            if canon_name.startswith(spelling + " "):
                return t, canon_name[len(spelling) + 1 :].strip()
    m = re.match(r"(p|x|tt)\s*\.\s*(.+)$", canon_name)
    if m:
        return {"p": "phường", "x": "xã", "tt": "thị trấn"}[m.group(1)], m.group(2).strip()
    return None, canon_name


def _bare_key(short_name: str) -> str:
    return "".join(re.findall(r"[a-z0-9]+", fold(short_name)))


class _Key:
    """The package's keyword form of a text (folded, only [a-z0-9]) with the word boundaries kept.

    The package matches keywords anywhere in the concatenated text ("hoankiem" inside "xhoankiemy");
    a match is only trusted here when it starts and ends on word boundaries.
    """

    def __init__(self, text: str):
        self.tokens: list[str] = []
        self.starts: dict[int, int] = {}  # offset in key where a word starts -> its comma-separated part
        self.ends: dict[int, int] = {}  # offset in key where a word ends -> its part
        self.parts: list[str] = []  # key of each comma-separated part
        pos = 0
        for part, segment in enumerate(_PART_SEPARATORS.split(fold(text))):
            words = re.findall(r"[a-z0-9]+", segment)
            self.parts.append("".join(words))
            for tok in words:
                self.tokens.append(tok)
                self.starts[pos] = part
                pos += len(tok)
                self.ends[pos] = part
        self.key = "".join(self.tokens)

    def _span_ok(self, i: int, j: int) -> bool:
        """[i, j) starts and ends on word boundaries, within one comma-separated part."""
        return i in self.starts and j in self.ends and self.starts[i] == self.ends[j]

    def aligned(self, keyword: str):
        """End offsets of the word-aligned occurrences of ``keyword``."""
        if not keyword:
            return
        i = self.key.find(keyword)
        while i != -1:
            if self._span_ok(i, i + len(keyword)):
                yield i + len(keyword)
            i = self.key.find(keyword, i + 1)

    def has(self, keyword: str) -> bool:
        return next(self.aligned(keyword), None) is not None

    def has_typed(self, prefixes: tuple[str, ...], bare_keys: frozenset[str]) -> bool:
        """True if one of ``bare_keys`` appears right after a unit-type word ("phường X", "Q. X")."""
        return any(self.has(p + b) for p in prefixes for b in bare_keys)

    def typed_keys(self, prefixes: tuple[str, ...], bare_keys: frozenset[str]) -> frozenset[str]:
        """Those of ``bare_keys`` that appear right after one of the type words ``prefixes``."""
        return frozenset(b for b in bare_keys if any(self.has(p + b) for p in prefixes))

    def after_type_word(self, start: int, prefixes: tuple[str, ...]) -> bool:
        """True if the text at ``start`` is right after one of the type words ``prefixes``."""
        return any(
            start in self.starts
            and self.starts.get(start - len(p)) == self.starts[start]
            and self.key.startswith(p, start - len(p))
            for p in prefixes
        )

    def is_part(self, bare_keys: frozenset[str]) -> bool:
        """True if a comma-separated part is exactly one of ``bare_keys``, bare or after a district type."""
        return any(part == b or part in {p + b for p in _DISTRICT_PREFIXES} for part in self.parts for b in bare_keys)

    def rightmost_typed(self, prefixes: tuple[str, ...], index: dict[str, Any]) -> tuple[str, Any] | None:
        """(type word, value of ``index``) for the right-most "<type word> <name>" whose name is a key."""
        best_end, best = -1, None
        ends = sorted(self.ends)
        for s in sorted(self.starts):
            for prefix in prefixes:
                b0 = s + len(prefix)
                if self.starts.get(b0) != self.starts[s] or not self.key.startswith(prefix, s):
                    continue
                for e in ends:
                    if e > best_end and e > b0 and self._span_ok(s, e) and self.key[b0:e] in index:
                        best_end, best = e, (prefix, index[self.key[b0:e]])
        return best


# ------------------------------------------------------------------------------------ data loading


@lru_cache(maxsize=1)
def _pkg() -> dict[str, Any]:
    """Import ``vietnamadminunits`` lazily (about 0.4 s) and check the internals that are used."""
    api = importlib.import_module("vietnamadminunits")
    pf = importlib.import_module("vietnamadminunits.parser.parser_from_2025")
    pl = importlib.import_module("vietnamadminunits.parser.parser_legacy")
    cv = importlib.import_module("vietnamadminunits.converter.converter_2025")
    needed = {
        pf: (
            "DICT_PROVINCE",
            "DICT_PROVINCE_WARD_NO_ACCENTED",
            "DICT_PROVINCE_WARD_ACCENTED",
            "DICT_PROVINCE_WARD_SHORT_ACCENTED",
        ),
        pl: (
            "DICT_PROVINCE",
            "DICT_PROVINCE_DISTRICT",
            "DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED",
            "DICT_PROVINCE_DISTRICT_WARD_ACCENTED",
            "DICT_PROVINCE_DISTRICT_WARD_SHORT_ACCENTED",
        ),
        cv: ("DICT_PROVINCE", "DICT_PROVINCE_WARD_NO_DIVIDED", "DICT_PROVINCE_WARD_DIVIDED"),
    }
    for mod, names in needed.items():
        missing = [n for n in names if not hasattr(mod, n)]
        if missing:
            raise RuntimeError(f"vietnamadminunits changed: {mod.__name__} lacks {missing}")
    return {"parse": api.parse_address, "mode": api.ParseMode, "pf": pf, "pl": pl, "cv": cv}


def _norm_province_code(province_code: str) -> str:
    code = str(province_code).strip()
    if not code.isdigit():
        raise ValueError(f"Unknown province code {province_code!r}.")
    return f"{int(code):02d}"


@lru_cache(maxsize=64)
def _official_units(code: str) -> tuple[UnitRef, ...]:
    from vietnam_provinces import ProvinceCode, Ward

    try:
        pcode = ProvinceCode(int(code))
    except ValueError:
        raise ValueError(f"Unknown province code {code!r}.") from None
    units = (UnitRef(code=f"{int(w.code):05d}", name=w.name) for w in Ward.iter_by_province(pcode))
    return tuple(sorted(units, key=lambda u: u.code))


def _province_label(code: str) -> str:
    from vietnam_provinces import Province, ProvinceCode

    try:
        return Province.from_code(ProvinceCode(int(code))).name
    except ValueError:
        return f"province {code}"


class _NameIndex:
    def __init__(self, units: tuple[UnitRef, ...]):
        self.exact: dict[str, list[UnitRef]] = {}
        self.typed: dict[tuple[str | None, str], list[UnitRef]] = {}
        self.bare: dict[str, list[UnitRef]] = {}
        self.typed_folded: dict[tuple[str | None, str], list[UnitRef]] = {}
        self.bare_folded: dict[str, list[UnitRef]] = {}
        for u in units:
            c = _canon(u.name)
            t, b = _split_type(c)
            self.exact.setdefault(c, []).append(u)
            self.typed.setdefault((t, b), []).append(u)
            self.bare.setdefault(b, []).append(u)
            self.typed_folded.setdefault((t, fold(b)), []).append(u)
            self.bare_folded.setdefault(fold(b), []).append(u)

    @staticmethod
    def _one(found: list[UnitRef] | None) -> UnitRef | None:
        return found[0] if found and len(found) == 1 else None

    def match_exact(self, name: str) -> UnitRef | None:
        c = _canon(name)
        t, b = _split_type(c)
        return self._one(self.exact.get(c)) or (self._one(self.typed.get((t, b))) if t else None)

    def match(self, name: str) -> UnitRef | None:
        if not name or not name.strip():
            return None
        c = _canon(name)
        t, b = _split_type(c)
        hit = self.match_exact(name)
        if hit is None and t is None:
            hit = self._one(self.bare.get(b))
        if hit is None:  # diacritics-insensitive fallback, only when unique
            hit = self._one(self.typed_folded.get((t, fold(b)))) if t else self._one(self.bare_folded.get(fold(b)))
        return hit


@lru_cache(maxsize=64)
def _name_index(code: str) -> _NameIndex:
    return _NameIndex(_official_units(code))


@dataclass(frozen=True)
class _Province:
    code: str
    name: str  # official
    new_key: str  # vietnamadminunits key, e.g. "thanhphohanoi"
    pkg_name: str  # the package's name, appended to texts that name no province
    legacy: tuple[tuple[str, str], ...]  # (legacy province key, its name) merged into this one
    new_wards: dict[str, dict]  # package ward key -> package ward record
    new_by_bare: dict[str, tuple[str, ...]]  # bare key of a current name ("caugiay") -> package ward keys


@lru_cache(maxsize=64)
def _province(code: str) -> _Province:
    _official_units(code)  # validates the code against the official list
    p = _pkg()
    pf, pl, cv = p["pf"], p["pl"], p["cv"]
    new_key = next((k for k, v in pf.DICT_PROVINCE.items() if v["provinceCode"] == code), None)
    if new_key is None:
        raise ValueError(f"Province {code} is not covered by vietnamadminunits.")
    legacy = tuple(
        (k, pl.DICT_PROVINCE[k]["province"]) for k in cv.DICT_PROVINCE.get(new_key, ()) if k in pl.DICT_PROVINCE
    )
    wards: dict[str, dict] = {}
    for table in (
        pf.DICT_PROVINCE_WARD_SHORT_ACCENTED,
        pf.DICT_PROVINCE_WARD_ACCENTED,
        pf.DICT_PROVINCE_WARD_NO_ACCENTED,
    ):
        wards.update(table.get(new_key, {}))
    by_bare: dict[str, tuple[str, ...]] = {}
    for wkey, w in wards.items():
        for b in _bare_keys(w, "ward"):
            if wkey not in by_bare.get(b, ()):
                by_bare[b] = by_bare.get(b, ()) + (wkey,)
    return _Province(
        code=code,
        name=_province_label(code),
        new_key=new_key,
        pkg_name=pf.DICT_PROVINCE[new_key]["province"],
        legacy=legacy,
        new_wards=wards,
        new_by_bare=by_bare,
    )


@lru_cache(maxsize=1)
def _province_keywords() -> tuple[tuple[str, str], ...]:
    """(keyword, current province code), longest keyword first, from both parsers' province tables."""
    p = _pkg()
    pf, pl, cv = p["pf"], p["pl"], p["cv"]
    legacy_to_new = {
        old: pf.DICT_PROVINCE[new]["provinceCode"]
        for new, olds in cv.DICT_PROVINCE.items()
        for old in olds
        if new in pf.DICT_PROVINCE
    }
    out: dict[str, str] = {}
    for v in pf.DICT_PROVINCE.values():
        for kw in v["provinceKeywords"]:
            out.setdefault(kw, v["provinceCode"])
    for k, v in pl.DICT_PROVINCE.items():
        if k in legacy_to_new:
            for kw in v["provinceKeywords"]:
                out.setdefault(kw, legacy_to_new[k])
    return tuple(sorted(out.items(), key=lambda kv: len(kv[0]), reverse=True))


def _explicit_province(key: _Key) -> str | None:
    """Current code of the right-most province named in the text (word-aligned), else None."""
    best: tuple[int, int, str] | None = None
    for kw, code in _province_keywords():
        for end in key.aligned(kw):
            if key.after_type_word(end - len(kw), _WARD_PREFIXES + ("quan", "huyen", "thixa")):
                continue  # "xã Yên Bài" (Hanoi) is not the former province Yên Bái
            cand = (end, len(kw), code)
            if best is None or cand[:2] > best[:2]:
                best = cand
    return best[2] if best else None


@lru_cache(maxsize=64)
def _old_wards_by_bare(code: str) -> dict[str, tuple[tuple[str, str, str], ...]]:
    """Bare key of a former ward's name -> ((legacy province key, district key, ward key), ...)."""
    pl = _pkg()["pl"]
    out: dict[str, list[tuple[str, str, str]]] = {}
    for old_prov, _ in _province(code).legacy:
        for table in (
            pl.DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED,
            pl.DICT_PROVINCE_DISTRICT_WARD_ACCENTED,
            pl.DICT_PROVINCE_DISTRICT_WARD_SHORT_ACCENTED,
        ):
            for dkey, wards in table.get(old_prov, {}).items():
                for wkey, w in wards.items():
                    entry = (old_prov, dkey, wkey)
                    for b in _bare_keys(w, "ward"):
                        lst = out.setdefault(b, [])
                        if entry not in lst:
                            lst.append(entry)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=64)
def _new_key_by_old(code: str) -> dict[str, str]:
    cv = _pkg()["cv"]
    new_key = _province(code).new_key
    return {old: new for new, olds in cv.DICT_PROVINCE_WARD_NO_DIVIDED.get(new_key, {}).items() for old in olds}


# ---------------------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class _Current:
    unit: UnitRef
    bare_keys: frozenset[str]


@dataclass(frozen=True)
class _District:
    name: str
    bare_keys: frozenset[str]


@dataclass(frozen=True)
class _Old:
    province_key: str
    district_key: str
    ward_key: str
    ward_name: str
    ward_type: str
    district_name: str
    bare_keys: frozenset[str]
    district_bare_keys: frozenset[str]


def _bare_keys(record: dict, level: str) -> frozenset[str]:
    """Keys of a package record's name without its type: from the full name ("Xã Yên Viên" -> "yenvien";
    the short names carry disambiguators such as "Yên Viên (Xã)") plus the package's untyped aliases."""

    def text(field: str) -> str:  # the package's data has a few NaN (float) names outside Hanoi
        value = record.get(field)
        return value if isinstance(value, str) else ""

    name, utype = text(level), text(f"{level}Type")
    if utype and name.lower().startswith(utype.lower() + " "):
        name = name[len(utype) + 1 :]
    else:
        name = re.sub(r"\s*\(.*?\)", "", text(f"{level}Short"))
    prefixes = _WARD_PREFIXES if level == "ward" else _DISTRICT_PREFIXES
    keys = {_bare_key(name)}
    keys.update(kw for kw in record.get(f"{level}Keywords", ()) if not kw.startswith(prefixes))
    return frozenset(k for k in keys if k)


def _type_filter(prefix: str, entries: tuple, type_of) -> tuple:
    """Keep the entries whose unit type matches the type word used in the text (all if none does)."""
    wanted = _PREFIX_TYPE.get(prefix)
    kept = tuple(e for e in entries if (type_of(e) or "").lower() == wanted)
    return kept or entries


def _to_official(pkg_name: str, prov: _Province) -> UnitRef:
    unit = _name_index(prov.code).match(pkg_name)
    if unit is None:
        raise AddressNotResolved(
            f"{pkg_name} (from vietnamadminunits) has no counterpart in the official list of {prov.name}."
        )
    return unit


def _current_ward(clean: str, key: _Key, prov: _Province, explicit: bool) -> _Current | None:
    p = _pkg()
    parse, mode = p["parse"], p["mode"].FROM_2025
    unit = None
    if explicit:
        unit = parse(clean, mode=mode, keep_street=False, level=2)
    if unit is None or unit.province_code != prov.code:
        unit = parse(f"{clean}, {prov.pkg_name}", mode=mode, keep_street=False, level=2)
    found = None
    if unit.province_code == prov.code and unit.ward_key:
        record = prov.new_wards.get(unit.ward_key)
        if record is None:
            found = _Current(
                unit=_to_official(unit.ward, prov), bare_keys=frozenset({_bare_key(unit.short_ward or unit.ward)})
            )
        elif any(key.has(kw) for kw in record["wardKeywords"]):  # not only inside another word
            found = _Current(unit=_to_official(record["ward"], prov), bare_keys=_bare_keys(record, "ward"))
    if found is None or not key.has_typed(_WARD_PREFIXES, found.bare_keys):
        # The package takes the right-most name; a unit named with its type wins over an untyped one
        # ("phường Láng, quận Đống Đa": Đống Đa is also a current ward, but here it is the old district).
        typed = key.rightmost_typed(_WARD_PREFIXES, prov.new_by_bare)
        if typed is not None:
            record = prov.new_wards[_type_filter(typed[0], typed[1], lambda k: prov.new_wards[k]["wardType"])[0]]
            found = _Current(unit=_to_official(record["ward"], prov), bare_keys=_bare_keys(record, "ward"))
    return found


def _legacy_ward(
    clean: str, key: _Key, prov: _Province, explicit: bool
) -> tuple[_District | None, _Old | None, str | None]:
    """The former district and ward named in the text, if any (legacy parser, then a typed-name search),
    and why a typed former ward name could not be placed (same name in several former districts)."""
    p = _pkg()
    parse, mode, pl = p["parse"], p["mode"].LEGACY, p["pl"]
    legacy_keys = {k for k, _ in prov.legacy}
    attempts = [clean] if explicit else []
    attempts += [f"{clean}, {name}" for _, name in prov.legacy]
    district = None
    for text in attempts:
        unit = parse(text, mode=mode, keep_street=False, level=3)
        if unit.province_key not in legacy_keys or not unit.district_key:
            continue
        drec = pl.DICT_PROVINCE_DISTRICT[unit.province_key][unit.district_key]
        dbare = _bare_keys(drec, "district")
        if not any(key.has(kw) for kw in drec["districtKeywords"]):
            continue
        district = district or _District(name=drec["district"], bare_keys=dbare)
        if not unit.ward_key:
            continue
        wrec = _old_ward_record(unit.province_key, unit.district_key, unit.ward_key)
        if wrec is None or not any(key.has(kw) for kw in wrec["wardKeywords"]):
            continue
        return (
            district,
            _Old(
                province_key=unit.province_key,
                district_key=unit.district_key,
                ward_key=unit.ward_key,
                ward_name=wrec["ward"],
                ward_type=wrec["wardType"],
                district_name=drec["district"],
                bare_keys=_bare_keys(wrec, "ward"),
                district_bare_keys=dbare,
            ),
            None,
        )
    return (district, *_typed_old_ward(clean, key, prov))


def _old_ward_record(province_key: str, district_key: str, ward_key: str) -> dict | None:
    pl = _pkg()["pl"]
    for table in (
        pl.DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED,
        pl.DICT_PROVINCE_DISTRICT_WARD_ACCENTED,
        pl.DICT_PROVINCE_DISTRICT_WARD_SHORT_ACCENTED,
    ):
        rec = table.get(province_key, {}).get(district_key, {}).get(ward_key)
        if rec is not None:
            return rec
    return None


def _indexed_old_ward(province_key: str, district_key: str, ward_key: str) -> dict:
    """The record of a former ward found through `_old_wards_by_bare`, which is built from the same tables."""
    rec = _old_ward_record(province_key, district_key, ward_key)
    if rec is None:
        raise LookupError(f"former ward {province_key}/{district_key}/{ward_key} is indexed but has no record")
    return rec


def _typed_old_ward(clean: str, key: _Key, prov: _Province) -> tuple[_Old | None, str | None]:
    """A former ward named with its type but without its district ("phường Dịch Vọng Hậu, Hà Nội")."""
    typed = key.rightmost_typed(_WARD_PREFIXES, _old_wards_by_bare(prov.code))
    if typed is None:
        return None, None
    entries = _type_filter(typed[0], typed[1], lambda e: _indexed_old_ward(*e)["wardType"])
    if len(entries) > 1:  # same folded name in several former districts: narrow by accented spelling
        accented_text = _canon(clean)
        narrowed = tuple(
            e for e in entries if _canon(re.sub(r"\s*\(.*?\)", "", _indexed_old_ward(*e)["wardShort"])) in accented_text
        )
        entries = narrowed or entries
    if len(entries) > 1:
        pl = _pkg()["pl"]
        names = "; ".join(
            f"{_indexed_old_ward(*e)['ward']} ({pl.DICT_PROVINCE_DISTRICT[e[0]][e[1]]['district']})" for e in entries
        )
        return None, f"The former ward/commune name matches several former districts ({names}); add the district."
    old_prov, dkey, wkey = entries[0]
    pl = _pkg()["pl"]
    wrec = _indexed_old_ward(old_prov, dkey, wkey)
    drec = pl.DICT_PROVINCE_DISTRICT[old_prov][dkey]
    return _Old(
        province_key=old_prov,
        district_key=dkey,
        ward_key=wkey,
        ward_name=wrec["ward"],
        ward_type=wrec["wardType"],
        district_name=drec["district"],
        bare_keys=_bare_keys(wrec, "ward"),
        district_bare_keys=_bare_keys(drec, "district"),
    ), None


def _convert(old: _Old, prov: _Province) -> AddressResolution:
    """Former ward -> current unit(s) from the package's conversion tables; no geocoding."""
    cv = _pkg()["cv"]
    old_key = f"{old.province_key}_{old.district_key}_{old.ward_key}"
    where = f"{old.ward_name} ({old.district_name[:1].lower() + old.district_name[1:]})"
    new_key = _new_key_by_old(prov.code).get(old_key)
    if new_key is not None:
        unit = _to_official(prov.new_wards[new_key]["ward"], prov)
        return AddressResolution(
            unit=unit, candidates=(), legacy=True, ambiguous=False, note=f"{where} is now part of {unit.name}."
        )
    split = cv.DICT_PROVINCE_WARD_DIVIDED.get(prov.new_key, {}).get(old_key)
    if not split:
        raise AddressNotResolved(f"vietnamadminunits has no 2025 conversion for {where}.")
    ordered = sorted(split, key=lambda w: not w["isDefaultNewWard"])  # default first, then package order
    candidates: list[UnitRef] = []
    for w in ordered:
        u = _to_official(prov.new_wards[w["newWardKey"]]["ward"], prov)
        if u not in candidates:
            candidates.append(u)
    default = candidates[0]
    if len(candidates) == 1:
        return AddressResolution(
            unit=default, candidates=(), legacy=True, ambiguous=False, note=f"{where} is now part of {default.name}."
        )
    listed = ", ".join(f"{c.name} ({c.code})" for c in candidates)
    return AddressResolution(
        unit=default,
        candidates=tuple(candidates),
        legacy=True,
        ambiguous=True,
        note=f"{where} was split; defaulted to {default.name}; candidates: {listed}.",
    )


def _elsewhere_hint(clean: str, prov: _Province) -> str:
    """If the package places a province-less text elsewhere, say so."""
    p = _pkg()
    unit = p["parse"](clean, mode=p["mode"].FROM_2025, keep_street=False, level=2)
    if unit.province_code and unit.province_code != prov.code and unit.ward:
        return f" It looks like {unit.ward}, {_province_label(unit.province_code)}."
    return ""
