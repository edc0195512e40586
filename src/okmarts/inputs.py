"""Reading what visitors send: whole numbers and text, the same way in every form and URL.

Every number a visitor sends (an id in a path or a form, a quantity, points, a rating, a page)
is read by `parse_int`; every text loses its control characters through `clean_text` (forms by
`web.clean_form`, query strings and paths by the `web.refuse_control_characters` middleware).
Pure functions, no HTTP: services use them too.
"""

from __future__ import annotations

# The largest value of an INTEGER column on PostgreSQL (SERIAL ids, stock, points, prices in
# cents are all int4 there; SQLite's integers have 64 bits). A bigger number can't name a row
# or fit a column: refused here, it never reaches the driver, which would raise (OverflowError,
# DataError) and answer the visitor with a 500.
MAX_INT = 2**31 - 1

_CONTROL_CHARACTERS = dict.fromkeys(
    code for code in (*range(0x20), *range(0x7F, 0xA0)) if chr(code) not in "\t\n\r"
)


def parse_int(raw: object, *, minimum: int = 0, maximum: int = MAX_INT) -> int | None:
    """A whole number written with the digits 0-9, from `minimum` to `maximum`; else None.

    Only ASCII digits count: "²" and "①" (which str.isdigit() accepts and int() refuses) and
    "٣" (which int() reads as 3) are refused, so what is stored is what the shopper sees typed.
    Spaces around the number are allowed; a sign, "_", a decimal point or an exponent are not.
    None for anything else, a list included (a field sent twice).
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or not (text.isascii() and text.isdecimal()):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(max(maximum, 0))):  # a 10,000-digit number is not even converted
        return None
    value = int(digits)
    return value if minimum <= value <= maximum else None


def clean_text(text: str) -> str:
    """The text without control characters (NUL, ESC, DEL, the C1 range); tabs and line breaks
    stay. PostgreSQL refuses NUL in text, SQLite's full-text query parser stops at it, and no
    shopper means to type any of them."""
    return text.translate(_CONTROL_CHARACTERS)


def has_control_characters(text: str) -> bool:
    return clean_text(text) != text
