"""identity: personnummer, samordningsnummer, organisationsnummer."""

from __future__ import annotations

import datetime as dt

import pytest
from builders import ORGNR10, ORGNR12, PNR, PNR2, SAMNR
from hypothesis import given
from hypothesis import strategies as st

from portal.standard import identity, schemas
from portal.standard.identity import (
    ORGANISATIONSNUMMER,
    PERSONNUMMER,
    SAMORDNINGSNUMMER,
    InvalidIdentity,
    from_ombud,
    luhn_ok,
    make_orgnr,
    make_personnummer,
    parse_kund,
    parse_organisation,
    parse_person,
)

TODAY = dt.date(2026, 6, 15)


def _raises(code: str, fn, *args, **kwargs) -> InvalidIdentity:
    with pytest.raises(InvalidIdentity) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, f"expected code {code!r}, got {info.value.code!r} ({info.value})"
    return info.value


# --- valid numbers ---------------------------------------------------------


@pytest.mark.parametrize("text", [PNR, "19900909-1233", " 19900909 1233 ", "19900909 - 1233"])
def test_person_twelve_digit_forms(text):
    ident = parse_person(text)
    assert ident.digits == PNR
    assert ident.kind == PERSONNUMMER
    assert ident.is_person


def test_second_personnummer():
    assert parse_person(PNR2).digits == PNR2


def test_samordningsnummer_is_recognised_by_day_plus_60():
    ident = parse_person(SAMNR)
    assert ident.kind == SAMORDNINGSNUMMER
    assert ident.digits == SAMNR
    assert ident.is_person


@pytest.mark.parametrize("text", [ORGNR10, "559000-1235", ORGNR12, " 559000-1235 "])
def test_organisation_forms_normalise_to_12_digits_with_16(text):
    ident = parse_organisation(text)
    assert ident.digits == ORGNR12
    assert ident.kind == ORGANISATIONSNUMMER
    assert not ident.is_person


# --- 10-digit input and the century rules --------------------------------------


def test_ten_digit_with_dash_is_under_100():
    assert parse_person("900909-1233", today=TODAY).digits == PNR
    assert parse_person("9009091233", today=TODAY).digits == PNR


def test_ten_digit_plus_for_a_year_after_this_one_goes_back_two_centuries():
    pnr = make_personnummer("18300505", "123")
    assert parse_person(pnr[2:8] + "+" + pnr[8:], today=TODAY).digits == pnr


def test_ten_digit_plus_for_recent_two_digit_year():
    pnr = make_personnummer("19200101", "123")
    # With '-' this year would be 2020 (a six-year-old in 2026).
    assert parse_person(pnr[2:8] + "-" + pnr[8:], today=TODAY).digits == "20200101" + pnr[8:]
    # With '+' the same digits mean 1920.
    assert parse_person(pnr[2:8] + "+" + pnr[8:], today=TODAY).digits == "19200101" + pnr[8:]


def test_ten_digit_year_after_this_year_is_last_century():
    pnr = make_personnummer("19300505", "123")
    assert parse_person(pnr[2:8] + "-" + pnr[8:], today=TODAY).digits == pnr


def test_ten_digit_depends_on_today():
    pnr = make_personnummer("20250505", "123")
    ten = pnr[2:8] + "-" + pnr[8:]
    assert parse_person(ten, today=dt.date(2026, 1, 1)).digits == pnr
    assert parse_person(ten, today=dt.date(2024, 1, 1)).digits == "19250505" + pnr[8:]


def test_ten_digit_dash_never_gives_a_birth_date_in_the_future():
    pnr = make_personnummer("19261231", "123")  # 99 years old on 2026-06-15
    ident = parse_person(pnr[2:8] + "-" + pnr[8:], today=TODAY)
    assert ident.digits == pnr  # not 20261231..., which is after today


def test_ten_digit_samordningsnummer():
    assert parse_person(SAMNR[2:8] + "-" + SAMNR[8:], today=TODAY).kind == SAMORDNINGSNUMMER


# --- invalid input: the right code, and never the number in the message -------------


@pytest.mark.parametrize(
    "text,code",
    [
        ("199009091234", "checksum"),
        ("19900909-1234", "checksum"),
        ("900909-1234", "checksum"),
        (make_personnummer("19900230", "123"), "date"),  # 30 February
        (make_personnummer("19901301", "123"), "date"),  # month 13
        (make_personnummer("19900001", "123"), "date"),  # month 0
        (make_personnummer("19900900", "123"), "date"),  # day 0
        (make_personnummer("19900290", "123"), "date"),  # samordningsnummer for 30 February
        (make_personnummer("19900260", "123"), "date"),  # day 60: neither a date nor a samordningsnummer
        ("1990090912", "date"),  # 10 digits read as YYMMDD-NNNN: month 90
        ("19900909123", "format"),  # 11 digits
        ("1990090912334", "format"),  # 13 digits
        ("90090912", "format"),  # 8 digits
        ("", "format"),
        (None, "format"),
        ("19900909-123X", "format"),
        ("ABCDEFGH1233", "format"),
        ("19900909--1233", "format"),
        ("199009091233\n9", "format"),
    ],
)
def test_invalid_person(text, code):
    err = _raises(code, parse_person, text, today=TODAY)
    if text:
        digits_only = "".join(ch for ch in text if ch.isdigit())
        assert digits_only not in str(err)
        assert text not in str(err)


def test_date_is_checked_before_the_checksum():
    # A leap day exists in 1992 but not in 1990.
    assert parse_person(make_personnummer("19920229", "123")).digits.startswith("19920229")
    _raises("date", parse_person, make_personnummer("19900229", "123"))


@pytest.mark.parametrize(
    "text,code",
    [
        ("5590001234", "checksum"),
        ("165590001234", "checksum"),
        ("559000123", "format"),
        ("55900012355", "format"),
        ("175590001235", "format"),  # 12 digits without the 16 prefix
        ("55900A1235", "format"),
        ("", "format"),
        (None, "format"),
        (make_orgnr("551000123"), "format"),  # third digit 1: a personnummer shape, not an org
    ],
)
def test_invalid_organisation(text, code):
    err = _raises(code, parse_organisation, text)
    if text:
        assert text not in str(err)


def test_parse_kund_checks_type_against_number():
    assert parse_kund(PNR, PERSONNUMMER).digits == PNR
    assert parse_kund(SAMNR, SAMORDNINGSNUMMER).kind == SAMORDNINGSNUMMER
    assert parse_kund(ORGNR12, ORGANISATIONSNUMMER).digits == ORGNR12
    _raises("type", parse_kund, PNR, SAMORDNINGSNUMMER)
    _raises("type", parse_kund, SAMNR, PERSONNUMMER)
    _raises("type", parse_kund, PNR, "Gdnr")
    # The standard's organisation number is 12 digits with 16; the 10-digit form is not accepted here.
    _raises("format", parse_kund, ORGNR10, ORGANISATIONSNUMMER)
    _raises("checksum", parse_kund, "199009091234", PERSONNUMMER)


@pytest.mark.parametrize("text", ["１９９００９０９１２３３", "١٩٩٠٠٩٠٩١٢٣٣"])
def test_non_ascii_digits_are_rejected_or_normalised(text):
    try:
        ident = parse_person(text)
    except InvalidIdentity:
        return
    assert ident.digits == PNR
    assert schemas.problems("part", {"kund": ident.as_kund()}) == []


# --- Mina ombud forms -------------------------------------------------------------


def test_ombud_id_per_kind():
    assert parse_person(PNR).ombud_id() == (PNR, "pnr")
    assert parse_person(SAMNR).ombud_id() == (SAMNR, "samnr")
    assert parse_organisation(ORGNR12).ombud_id() == (ORGNR10, "orgnr")


@pytest.mark.parametrize("ident", [PNR, SAMNR])
def test_from_ombud_round_trip_persons(ident):
    original = parse_person(ident)
    assert from_ombud(*original.ombud_id()) == original


def test_from_ombud_round_trip_organisation():
    original = parse_organisation(ORGNR10)
    back = from_ombud(*original.ombud_id())
    assert back == original
    assert back.digits == ORGNR12


def test_from_ombud_rejects_mismatches():
    _raises("type", from_ombud, PNR, "samnr")
    _raises("type", from_ombud, SAMNR, "pnr")
    _raises("type", from_ombud, PNR, "gdnr")
    _raises("type", from_ombud, PNR, "foo")
    _raises("format", from_ombud, PNR[2:], "pnr")  # Mina ombud pnr is 12 digits
    _raises("checksum", from_ombud, "5590001234", "orgnr")


def test_as_kund_is_schema_valid():
    for ident in (parse_person(PNR), parse_person(SAMNR), parse_organisation(ORGNR10)):
        assert schemas.problems("part", {"kund": ident.as_kund()}) == []
    assert parse_organisation(ORGNR10).as_kund() == {"identifierare": ORGNR12, "typ": ORGANISATIONSNUMMER}


# --- display: masked, repr ----------------------------------------------------------


def test_masked_forms():
    assert parse_person(PNR).masked() == "19900909-****"
    assert parse_person(SAMNR).masked() == "19910661-****"
    assert parse_organisation(ORGNR12).masked() == "559000-1235"


@pytest.mark.parametrize("ident", [PNR, SAMNR])
def test_repr_and_str_never_show_the_full_number(ident):
    parsed = parse_person(ident)
    for text in (repr(parsed), str(parsed), f"{parsed}", repr([parsed]), repr({"x": parsed})):
        assert ident not in text
        assert ident[8:] not in text
        assert "****" in text


# --- properties ---------------------------------------------------------------------

dates = st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2099, 12, 31))
serials = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")


@given(dates, serials)
def test_make_personnummer_always_parses(day, serial):
    pnr = make_personnummer(day.strftime("%Y%m%d"), serial)
    ident = parse_person(pnr)
    assert ident.digits == pnr and ident.kind == PERSONNUMMER
    # 12 digits with a hyphen, too.
    assert parse_person(pnr[:8] + "-" + pnr[8:]).digits == pnr


@given(dates, serials)
def test_make_personnummer_samordningsnummer_parses(day, serial):
    samnr = make_personnummer(day.strftime("%Y%m") + f"{day.day + 60:02d}", serial)
    ident = parse_person(samnr)
    assert ident.kind == SAMORDNINGSNUMMER
    assert from_ombud(*ident.ombud_id()) == ident


@given(dates, serials, st.integers(min_value=2, max_value=11), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_in_the_checked_digits_is_caught(day, serial, position, delta):
    """Luhn catches every single-digit error in the ten digits it covers.

    (The century, the first two of twelve digits, is outside the checksum by design.)
    """
    pnr = make_personnummer(day.strftime("%Y%m%d"), serial)
    changed = pnr[:position] + str((int(pnr[position]) + delta) % 10) + pnr[position + 1:]
    assert not luhn_ok(changed[2:])
    with pytest.raises(InvalidIdentity) as info:
        parse_person(changed)
    assert info.value.code in ("checksum", "date")
    assert changed not in str(info.value)


orgnr_nines = st.tuples(st.integers(0, 99), st.integers(2, 9), st.integers(0, 999_999)).map(
    lambda t: f"{t[0]:02d}{t[1]}{t[2]:06d}"
)


@given(orgnr_nines, st.integers(0, 9), st.integers(1, 9))
def test_orgnr_single_digit_change_is_caught(nine, position, delta):
    org = make_orgnr(nine)
    assert parse_organisation(org).digits == "16" + org
    changed = org[:position] + str((int(org[position]) + delta) % 10) + org[position + 1:]
    with pytest.raises(InvalidIdentity) as info:
        parse_organisation(changed)
    assert info.value.code in ("checksum", "format")  # format when the third digit drops below 2


def test_luhn_digit_known_values():
    assert identity.luhn_digit("900909123") == 3
    assert identity.luhn_digit("559000123") == 5
    assert luhn_ok("9009091233")
    assert not luhn_ok("900909123")
    assert not luhn_ok("90090912AB")
