"""Swedish organisation numbers: reading what people type, checking the Luhn digit, and writing them out."""
from __future__ import annotations

import re

from skotsel.domain.errors import ValidationError

# People paste numbers from letters and web pages, where the hyphen may be a dash.
_SEPARATORS = re.compile(r"[\s\-‐‑–—]")
# Skatteverket writes legal entities with century 16 in 12-digit form; 19/20 appear when a personnummer is used.
_CENTURIES = ("16", "19", "20")


def normalise_org_number(text: str) -> str:
    """The 10 digits of an organisation number, e.g. "556036-0793" → "5560360793"."""
    digits = _SEPARATORS.sub("", text or "")
    if digits and not (digits.isascii() and digits.isdigit()):
        raise ValidationError("Organisationsnumret får bara innehålla siffror och bindestreck.",
                              "The organisation number may only contain digits and a hyphen.", field="org_number")
    if len(digits) == 12 and digits[:2] in _CENTURIES:
        digits = digits[2:]
    if len(digits) != 10:
        raise ValidationError("Organisationsnumret ska ha 10 siffror.",
                              "The organisation number must have 10 digits.", field="org_number")
    if _luhn_check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError("Organisationsnumret har fel kontrollsiffra.",
                              "The organisation number has the wrong check digit.", field="org_number")
    return digits


def format_org_number(digits: str) -> str:
    """Write ten digits the way Bolagsverket does: "5560360793" → "556036-0793"."""
    return f"{digits[:6]}-{digits[6:]}"


def complete_org_number(first_nine: int | str) -> str:
    """Nine digits (zero-padded from the left) completed with their Luhn check digit: "556036079" → "5560360793"."""
    digits = str(first_nine).zfill(9)
    return digits + str(_luhn_check_digit(digits))


def _luhn_check_digit(first_nine: str) -> int:
    # Weights 2, 1, 2, … from the left; a two-digit product counts as the sum of its digits.
    total = sum(sum(divmod(int(digit) * (2 - index % 2), 10)) for index, digit in enumerate(first_nine))
    return -total % 10
