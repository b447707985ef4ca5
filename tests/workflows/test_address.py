"""Free-text address -> today's Hanoi ward/commune (app.workflows.address).

Expected answers come from the two data sources, read here independently of the resolver: the official
list (``vietnam_provinces``) for codes and names, and the ``vietnamadminunits`` conversion tables for which
former ward became which current one(s).
"""

from __future__ import annotations

import socket

import pytest
from vietnam_provinces import ProvinceCode, Ward

from app.workflows.address import (
    AddressNotResolved,
    AddressResolution,
    UnitRef,
    _NameIndex,
    match_official_unit,
    official_units,
    resolve_address,
)

HANOI_KEY = "thanhphohanoi"  # vietnamadminunits' key for Hanoi, before and after 2025


def official(name: str, province: int = 1) -> UnitRef:
    """Straight from vietnam_provinces, not through the resolver."""
    hits = [w for w in Ward.iter_by_province(ProvinceCode(province)) if w.name == name]
    assert len(hits) == 1, name
    return UnitRef(code=f"{int(hits[0].code):05d}", name=hits[0].name)


@pytest.fixture(scope="module")
def pkg():
    from vietnamadminunits import parse_address
    from vietnamadminunits.converter import converter_2025 as cv
    from vietnamadminunits.parser import parser_from_2025 as pf
    from vietnamadminunits.parser import parser_legacy as pl

    return {"parse": parse_address, "cv": cv, "pf": pf, "pl": pl}


def new_ward_name(pkg, new_ward_key: str) -> str:
    return pkg["pf"].DICT_PROVINCE_WARD_NO_ACCENTED[HANOI_KEY][new_ward_key]["ward"]


def split_targets(pkg, old_key: str) -> tuple[str, list[str]]:
    """(default new ward name, all new ward names) of a split former ward, from the package's table."""
    entries = pkg["cv"].DICT_PROVINCE_WARD_DIVIDED[HANOI_KEY][old_key]
    default = [new_ward_name(pkg, e["newWardKey"]) for e in entries if e["isDefaultNewWard"]]
    assert len(default) == 1
    return default[0], [new_ward_name(pkg, e["newWardKey"]) for e in entries]


def unsplit_target(pkg, old_key: str) -> str:
    hits = [k for k, olds in pkg["cv"].DICT_PROVINCE_WARD_NO_DIVIDED[HANOI_KEY].items() if old_key in olds]
    assert len(hits) == 1 and old_key not in pkg["cv"].DICT_PROVINCE_WARD_DIVIDED[HANOI_KEY]
    return new_ward_name(pkg, hits[0])


# ------------------------------------------------------------------------------------- official list


def test_official_units_are_the_126_hanoi_units_with_five_digit_codes():
    units = official_units()
    assert len(units) == 126
    assert len({u.code for u in units}) == 126
    assert all(len(u.code) == 5 and u.code.isdigit() for u in units)
    assert UnitRef("00070", "Phường Hoàn Kiếm") in units
    assert [u.code for u in units] == sorted(u.code for u in units)
    assert official_units("1") == units  # "1" and "01" are the same province
    assert official_units() is official_units()  # cached


def test_unknown_province_code_is_a_value_error():
    with pytest.raises(ValueError):
        official_units("00")
    with pytest.raises(ValueError):
        resolve_address("Phường Hoàn Kiếm", province_code="HN")


# -------------------------------------------------------------------------------- current addresses


@pytest.mark.parametrize(
    "text",
    [
        "Phường Hoàn Kiếm, Hà Nội",
        "số 5 Tràng Tiền, phường Hoàn Kiếm, thành phố Hà Nội",
        "phuong hoan kiem, ha noi",
        "PHƯỜNG HOÀN KIẾM, TP. HÀ NỘI",
        "Phường Hoàn Kiếm",  # no province: read in the requested one
        "Phường Hoàn Kiếm, Hà Nội, Việt Nam",
    ],
)
def test_current_address_resolves_to_the_official_unit(text):
    res = resolve_address(text)
    assert res == AddressResolution(
        unit=official("Phường Hoàn Kiếm"), candidates=(), legacy=False, ambiguous=False, note=None
    )
    assert res.unit.code == "00070"


def test_former_ward_name_in_the_street_does_not_make_the_address_legacy(pkg):
    text = "số 5 Tràng Tiền, phường Hoàn Kiếm, thành phố Hà Nội"
    # The package's legacy parser does see the former phường Tràng Tiền (the street) in this text ...
    assert pkg["parse"](text, mode="LEGACY", keep_street=False).ward == "Phường Tràng Tiền"
    # ... but the text names the current phường Hoàn Kiếm with its type.
    res = resolve_address(text)
    assert res.unit == official("Phường Hoàn Kiếm") and res.legacy is False


def test_every_official_hanoi_unit_resolves_to_itself_as_a_current_address():
    failures = []
    for unit in official_units():
        for text in (f"{unit.name}, Hà Nội", f"Số 1 ngõ 2, {unit.name}, thành phố Hà Nội"):
            try:
                res = resolve_address(text)
            except AddressNotResolved as exc:
                failures.append((text, str(exc)))
                continue
            if res.unit != unit or res.legacy or res.candidates:
                failures.append((text, res))
    assert failures == []


def test_typed_current_ward_wins_over_a_former_district_namesake():
    # "Đống Đa" is both the former district and a current ward; the text names phường Láng.
    res = resolve_address("phường Láng, quận Đống Đa, Hà Nội")
    assert res.unit == official("Phường Láng") and res.legacy is False
    assert "Quận Đống Đa" in res.note


# -------------------------------------------------- package codes differ: map by name, never by code


def test_cau_giay_is_mapped_by_name_to_the_official_code_not_the_package_code(pkg):
    package_unit = pkg["parse"]("phường Cầu Giấy, Hà Nội", mode="FROM_2025", keep_street=False)
    assert package_unit.ward == "Phường Cầu Giấy" and package_unit.ward_code == "00166"
    assert official("Phường Cầu Giấy").code == "00167"
    assert "00166" not in {u.code for u in official_units()}

    res = resolve_address("phường Cầu Giấy, Hà Nội")
    assert res.unit == UnitRef("00167", "Phường Cầu Giấy")


@pytest.mark.parametrize("name", ["Phường Văn Miếu - Quốc Tử Giám", "Phường Hoàng Mai"])
def test_package_code_that_is_another_units_official_code_is_ignored(pkg, name):
    pkg_code = next(
        w["wardCode"] for w in pkg["pf"].DICT_PROVINCE_WARD_NO_ACCENTED[HANOI_KEY].values() if w["ward"] == name
    )
    other = [u for u in official_units() if u.code == pkg_code]
    # the package's code for this ward is the official code of a different ward (Kim Liên, Yên Sở)
    assert len(other) == 1 and other[0].name != name

    res = resolve_address(f"{name}, Hà Nội")
    assert res.unit == official(name) and res.unit.code != pkg_code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phường Cầu Giấy", "Phường Cầu Giấy"),
        ("  PHƯỜNG   cầu GIẤY ", "Phường Cầu Giấy"),
        ("Cầu Giấy", "Phường Cầu Giấy"),  # no type
        ("P. Cầu Giấy", "Phường Cầu Giấy"),
        ("Xã Hoà Phú", "Xã Hòa Phú"),  # old-style tone placement
        ("Phường Văn Miếu Quốc Tử Giám", "Phường Văn Miếu - Quốc Tử Giám"),
        ("xa hoa phu", "Xã Hòa Phú"),  # diacritics-insensitive fallback
        ("phuong cau giay", "Phường Cầu Giấy"),
    ],
)
def test_match_official_unit_by_name(text, expected):
    assert match_official_unit(text) == official(expected)


@pytest.mark.parametrize("text", ["Phường Atlantis", "", "Xã Cầu Giấy", "Phường Bến Thành"])
def test_match_official_unit_unknown_name_is_none(text):
    assert match_official_unit(text) is None


def test_diacritics_insensitive_fallback_refuses_an_ambiguous_name():
    index = _NameIndex((UnitRef("1", "Xã Phú Cát"), UnitRef("2", "Xã Phù Cát")))
    assert index.match("Xã Phù Cát") == UnitRef("2", "Xã Phù Cát")  # exact wins
    assert index.match("xa phu cat") is None  # folded: two units


# --------------------------------------------------------------------------------- legacy addresses


@pytest.mark.parametrize(
    "text",
    [
        "phường Dịch Vọng Hậu, quận Cầu Giấy, Hà Nội",
        "12 Trần Thái Tông, phường Dịch Vọng Hậu, quận Cầu Giấy, Hà Nội",
        "phường Dịch Vọng Hậu, quận Cầu Giấy",
        "P. Dịch Vọng Hậu, Q. Cầu Giấy, TP. Hà Nội",
        "phuong dich vong hau, quan cau giay, ha noi",
        "phường Dịch Vọng Hậu, Cầu Giấy, Hà Nội",
        "phường Dịch Vọng Hậu, Hà Nội",  # no district: the name existed in one former district only
    ],
)
def test_split_former_ward_returns_default_and_candidates(pkg, text):
    default, targets = split_targets(pkg, f"{HANOI_KEY}_quancaugiay_phuongdichvonghau")
    assert default == "Phường Cầu Giấy" and sorted(targets) == ["Phường Cầu Giấy", "Phường Nghĩa Đô"]

    res = resolve_address(text)
    assert res.legacy is True and res.ambiguous is True
    assert res.unit == official("Phường Cầu Giấy") == UnitRef("00167", "Phường Cầu Giấy")
    assert set(res.candidates) == {official(n) for n in targets}
    assert res.candidates[0] == res.unit  # the default is listed first
    assert res.note.startswith("Phường Dịch Vọng Hậu (quận Cầu Giấy) was split; defaulted to Phường Cầu Giấy")
    assert "Phường Nghĩa Đô (00160)" in res.note


@pytest.mark.parametrize(
    "text",
    [
        "phường Hàng Bạc, quận Hoàn Kiếm, Hà Nội",
        "số 10 Hàng Bạc, phường Hàng Bạc, quận Hoàn Kiếm, thành phố Hà Nội",
    ],
)
def test_unsplit_former_ward_is_converted_without_candidates(pkg, text):
    assert unsplit_target(pkg, f"{HANOI_KEY}_quanhoankiem_phuonghangbac") == "Phường Hoàn Kiếm"
    res = resolve_address(text)
    assert res == AddressResolution(
        unit=official("Phường Hoàn Kiếm"),
        candidates=(),
        legacy=True,
        ambiguous=False,
        note="Phường Hàng Bạc (quận Hoàn Kiếm) is now part of Phường Hoàn Kiếm.",
    )


def test_former_commune_of_a_rural_district(pkg):
    assert unsplit_target(pkg, f"{HANOI_KEY}_huyengialam_xayenvien") == "Xã Phù Đổng"
    res = resolve_address("thôn Đông, xã Yên Viên, huyện Gia Lâm, Hà Nội")
    assert res.unit == official("Xã Phù Đổng") and res.legacy and not res.candidates

    default, targets = split_targets(pkg, f"{HANOI_KEY}_huyengialam_xabattrang")
    res = resolve_address("xã Bát Tràng, huyện Gia Lâm, Hà Nội")
    assert res.legacy and res.ambiguous
    assert res.unit == official(default)
    assert set(res.candidates) == {official(n) for n in targets} and len(res.candidates) == 3


def test_same_name_with_and_without_former_district():
    # "Xã Bát Tràng" exists today too: without the former district it is a current address.
    assert resolve_address("Xã Bát Tràng, Hà Nội") == AddressResolution(
        unit=official("Xã Bát Tràng"), candidates=(), legacy=False, ambiguous=False, note=None
    )
    assert resolve_address("xã Bát Tràng, Gia Lâm, Hà Nội").legacy is True


def test_every_former_hanoi_ward_with_its_district_converts_per_the_package_tables(pkg):
    pl, cv = pkg["pl"], pkg["cv"]
    expected_for = {old: [new] for new, olds in cv.DICT_PROVINCE_WARD_NO_DIVIDED[HANOI_KEY].items() for old in olds}
    for old, entries in cv.DICT_PROVINCE_WARD_DIVIDED[HANOI_KEY].items():
        expected_for[old] = [e["newWardKey"] for e in sorted(entries, key=lambda e: not e["isDefaultNewWard"])]
    districts = pl.DICT_PROVINCE_DISTRICT[HANOI_KEY]
    failures, checked = [], 0
    for dkey, wards in pl.DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED[HANOI_KEY].items():
        for wkey, ward in wards.items():
            expected = [official(new_ward_name(pkg, k)) for k in expected_for[f"{HANOI_KEY}_{dkey}_{wkey}"]]
            text = f"số 1 ngõ 2, {ward['ward']}, {districts[dkey]['district']}, Hà Nội"
            checked += 1
            try:
                res = resolve_address(text)
            except AddressNotResolved as exc:
                failures.append((text, str(exc)))
                continue
            ok = (
                res.legacy
                and res.unit == expected[0]
                and (list(res.candidates) == expected if len(expected) > 1 else res.candidates == ())
            )
            if not ok:
                failures.append((text, res))
    assert checked == 526
    assert failures == []


def test_former_ward_in_the_street_and_former_district_alone_is_legacy(pkg):
    default, targets = split_targets(pkg, f"{HANOI_KEY}_quanhoankiem_phuongtrangtien")
    res = resolve_address("Tràng Tiền, Hoàn Kiếm, Hà Nội")
    assert res.legacy and res.unit == official(default)
    assert set(res.candidates) == {official(n) for n in targets}


# ----------------------------------------------------------------------------------------- no network


class NetworkUsed(RuntimeError):
    pass


@pytest.fixture
def no_network(monkeypatch, pkg):
    calls = []

    def refuse(name):
        def _refuse(*args, **kwargs):
            calls.append(name)
            raise NetworkUsed(name)

        return _refuse

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("socket.getaddrinfo"))
    from geopy.geocoders import ArcGIS
    from vietnamadminunits.parser import utils

    monkeypatch.setattr(ArcGIS, "geocode", refuse("geopy.ArcGIS.geocode"))
    monkeypatch.setattr(utils, "get_geo_location", refuse("parser.utils.get_geo_location"))
    monkeypatch.setattr(pkg["cv"], "get_geo_location", refuse("converter_2025.get_geo_location"))
    return calls


SPLIT_WITH_STREET = [
    "12 Trần Thái Tông, phường Dịch Vọng Hậu, quận Cầu Giấy, Hà Nội",
    "123 Láng Hạ, phường Láng Hạ, quận Đống Đa, Hà Nội",
    "số 8 Tràng Tiền, phường Tràng Tiền, quận Hoàn Kiếm, thành phố Hà Nội",
    "thôn 2, xã Bát Tràng, huyện Gia Lâm, Hà Nội",
]


def test_split_ward_with_street_resolves_without_any_network_call(no_network, pkg):
    for text in SPLIT_WITH_STREET:
        old = pkg["parse"](text, mode="LEGACY", keep_street=False)
        old_key = f"{old.province_key}_{old.district_key}_{old.ward_key}"
        default, targets = split_targets(pkg, old_key)  # really a split ward, per the package's table
        res = resolve_address(text)
        assert res.legacy and res.ambiguous
        assert res.unit == official(default)
        assert set(res.candidates) == {official(n) for n in targets}
    assert no_network == []


def test_the_guard_would_catch_the_packages_geocoding_converter(no_network):
    # Control: the package's own convert_address does try to geocode such an address.
    from vietnamadminunits import convert_address

    with pytest.raises(NetworkUsed):
        convert_address(SPLIT_WITH_STREET[0])
    assert no_network == ["converter_2025.get_geo_location"]


# --------------------------------------------------------------------------------- not resolvable


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Phường Bến Thành, TP Hồ Chí Minh", "Thành phố Hồ Chí Minh"),
        ("Phường Bến Thành, Quận 1, TP.HCM", "Thành phố Hồ Chí Minh"),
        ("Phường Bến Thành", "Thành phố Hồ Chí Minh"),  # no province, but the package places it there
        ("phường Thanh Bình, thành phố Hải Dương, tỉnh Hải Dương", "Hải Phòng"),  # merged into Hải Phòng
        ("", "empty"),
        ("   ", "empty"),
        (" ,.; ", "no letters"),
        ("asdf qwer zxcv", "No current ward/commune"),
        ("xyzhoankiemabc, Hà Nội", "No current ward/commune"),  # a name only inside another word
        ("quận Cầu Giấy, Hà Nội", "former district Quận Cầu Giấy"),
        ("phường Quang Trung, Hà Nội", "several former districts"),  # Đống Đa and Hà Đông
        ("x" * 1001, "longer than"),
    ],
)
def test_unresolvable_texts_raise_with_a_reason(text, reason):
    with pytest.raises(AddressNotResolved) as exc:
        resolve_address(text)
    assert reason in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_non_text_is_not_resolved():
    with pytest.raises(AddressNotResolved):
        resolve_address(None)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ province parameter


def test_province_is_a_parameter():
    res = resolve_address("Phường Bến Thành, TP Hồ Chí Minh", province_code="79")
    assert res.unit == official("Phường Bến Thành", province=79) and res.legacy is False
    with pytest.raises(AddressNotResolved, match="Thành phố Hà Nội"):
        resolve_address("Phường Hoàn Kiếm, Hà Nội", province_code="79")
