"""Swedish identity numbers: personnummer, samordningsnummer, organisationsnummer.

The standard (part.kund) uses 12 digits: a personnummer or samordningsnummer as
YYYYMMDDNNNC, an organisation number with the prefix ``16``. Mina ombud uses a
10-digit ``orgnr`` without the prefix. Every form ends in a Luhn check digit
computed over the last ten digits.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from portal.standard import clock

PERSONNUMMER = "Personnummer"
SAMORDNINGSNUMMER = "Samordningsnummer"
ORGANISATIONSNUMMER = "Organisationsnummer"
KINDS = (PERSONNUMMER, SAMORDNINGSNUMMER, ORGANISATIONSNUMMER)

# Mina ombud's identity types.
OMBUD_PNR = "pnr"
OMBUD_SAMNR = "samnr"
OMBUD_ORGNR = "orgnr"
OMBUD_GDNR = "gdnr"

_INPUT = re.compile(r"^([0-9]{6}|[0-9]{8})([-+]?)([0-9]{4})\Z")


class InvalidIdentity(ValueError):
    """An identity number that fails format, date or checksum rules.

    ``code`` is one of ``format``, ``date``, ``checksum``, ``type`` so that a user
    interface can show its own translated message. The message (English, for
    developers and producers) never repeats the number itself, so it is safe to log.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _is_digits(text: str, length: int) -> bool:
    """Exactly ``length`` ASCII digits (``str.isdigit`` also accepts other scripts' digits)."""
    return len(text) == length and text.isascii() and text.isdigit()


def luhn_ok(ten_digits: str) -> bool:
    """True when the 10-digit string's last digit is its Luhn check digit."""
    return _is_digits(ten_digits, 10) and luhn_digit(ten_digits[:9]) == int(ten_digits[9])


def luhn_digit(nine_digits: str) -> int:
    """The Luhn check digit for nine digits (weights 2,1,2,1,...)."""
    total = 0
    for i, ch in enumerate(nine_digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return (10 - total % 10) % 10


@dataclass(frozen=True)
class Identity:
    """A validated identity number, always held in the standard's 12-digit form."""

    digits: str  # 12 digits; organisation numbers carry the 16 prefix
    kind: str  # one of KINDS

    @property
    def is_person(self) -> bool:
        return self.kind in (PERSONNUMMER, SAMORDNINGSNUMMER)

    def ombud_id(self) -> tuple[str, str]:
        """(id, typ) as Mina ombud spells this identity."""
        if self.kind == ORGANISATIONSNUMMER:
            return self.digits[2:], OMBUD_ORGNR
        if self.kind == SAMORDNINGSNUMMER:
            return self.digits, OMBUD_SAMNR
        return self.digits, OMBUD_PNR

    def as_kund(self) -> dict:
        """The standard's ``part.kund`` object for this identity."""
        return {"identifierare": self.digits, "typ": self.kind}

    def masked(self) -> str:
        """Display form that hides what need not be shown.

        A person's birth date stays, the last four digits are hidden
        (``19900909-****``). Organisation numbers are public: ``556000-1234``.
        """
        if self.kind == ORGANISATIONSNUMMER:
            return f"{self.digits[2:8]}-{self.digits[8:]}"
        return f"{self.digits[:8]}-****"

    def __repr__(self) -> str:  # never put the full number in a traceback or log
        return f"Identity({self.masked()!r}, {self.kind})"

    __str__ = __repr__


def _valid_date(yyyymmdd: str) -> bool:
    try:
        dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return True


def parse_person(value: str, *, today: dt.date | None = None) -> Identity:
    """Parse a personnummer or samordningsnummer typed by a person.

    Accepts 12 digits (``199009091234``, ``19900909-1234``) or 10 digits
    (``900909-1234``; ``+`` marks someone 100 or older), checks the date
    (day + 60 for a samordningsnummer) and the Luhn digit.
    """
    text = (value or "").strip().replace(" ", "")
    m = _INPUT.match(text)
    if not m:
        raise InvalidIdentity("format", "expected 12 digits, e.g. YYYYMMDD-NNNN")
    date_part, sep, tail = m.groups()
    if len(date_part) == 6:
        date_part = _with_century(date_part, sep == "+", today or clock.today())
    digits = date_part + tail
    return _person_from_12(digits)


def _with_century(yymmdd: str, centenarian: bool, today: dt.date) -> str:
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if dd > 60:  # samordningsnummer: the birth day plus 60
        dd -= 60
    year = today.year // 100 * 100 + yy
    if (year, mm, dd) > (today.year, today.month, today.day):  # never a birth date in the future
        year -= 100
    if centenarian:
        year -= 100
    return f"{year:04d}{yymmdd[2:]}"


def _person_from_12(digits: str) -> Identity:
    if not _is_digits(digits, 12):
        raise InvalidIdentity("format", "a personal identity number has 12 digits")
    day = int(digits[6:8])
    kind = PERSONNUMMER
    date_part = digits[:8]
    if day > 60:
        kind = SAMORDNINGSNUMMER
        date_part = f"{digits[:6]}{day - 60:02d}"
    if not _valid_date(date_part):
        raise InvalidIdentity("date", "the date part is not a valid date")
    if not luhn_ok(digits[2:]):
        raise InvalidIdentity("checksum", "the check digit does not match")
    return Identity(digits, kind)


def parse_organisation(value: str) -> Identity:
    """Parse an organisation number: 10 digits (optionally ``NNNNNN-NNNN``) or 12 with ``16``."""
    text = (value or "").strip().replace(" ", "").replace("-", "")
    if len(text) == 12 and text.startswith("16"):
        text = text[2:]
    if not _is_digits(text, 10):
        raise InvalidIdentity("format", "an organisation number has 10 digits")
    if int(text[2]) < 2:
        raise InvalidIdentity("format", "the third digit of an organisation number is at least 2")
    if not luhn_ok(text):
        raise InvalidIdentity("checksum", "the check digit does not match")
    return Identity("16" + text, ORGANISATIONSNUMMER)


def parse_kund(identifierare: str, typ: str) -> Identity:
    """Validate the standard's ``part.kund`` pair (12 digits plus its typ)."""
    if typ == ORGANISATIONSNUMMER:
        if not (len(identifierare) == 12 and identifierare.startswith("16")):
            raise InvalidIdentity("format", "an organisation number in the standard has 12 digits starting with 16")
        return parse_organisation(identifierare)
    if typ not in (PERSONNUMMER, SAMORDNINGSNUMMER):
        raise InvalidIdentity("type", "unknown identity type")
    ident = _person_from_12(identifierare)
    if ident.kind != typ:
        raise InvalidIdentity("type", "the identity type does not match the number")
    return ident


def from_ombud(id_: str, typ: str) -> Identity:
    """Convert a Mina ombud (id, typ) pair to the standard's 12-digit form."""
    if typ == OMBUD_ORGNR:
        return parse_organisation(id_)
    if typ in (OMBUD_PNR, OMBUD_SAMNR):
        ident = _person_from_12(id_)
        expected = SAMORDNINGSNUMMER if typ == OMBUD_SAMNR else PERSONNUMMER
        if ident.kind != expected:
            raise InvalidIdentity("type", "the identity type does not match the number")
        return ident
    raise InvalidIdentity("type", "unsupported identity type")


def make_personnummer(yyyymmdd: str, serial: str) -> str:
    """Build a valid 12-digit personnummer from a date and a 3-digit serial (for test data)."""
    nine = yyyymmdd[2:] + serial
    return yyyymmdd + serial + str(luhn_digit(nine))


def make_orgnr(nine: str) -> str:
    """Build a valid 10-digit organisation number from its first nine digits (for test data)."""
    return nine + str(luhn_digit(nine))
