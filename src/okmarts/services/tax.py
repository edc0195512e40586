"""Tax (VAT) by destination and buyer: the rule table, EU reverse charge, VAT number checks.

Catalog prices are net — without VAT, the convention of shops selling to companies — and are
shown as "excl. VAT"; tax is added at checkout, last, on what the order costs after price
breaks, the discount and points (services.pricing applies the rules below).

The seller is in `Settings.seller_country` (OKMARTS_SELLER_COUNTRY, default DE). For an order
shipped to `destination`:

1. Outside the EU (an export: US, CN, GB, CH, NO…): no VAT is charged (0 %). The order still
   records one tax line at 0 % with the destination, so an invoice can state the export.
2. In the EU, to a company with a valid VAT number (format and checksum, python-stdnum) of a
   member state other than the seller's, and the goods leave the seller's country (destination
   is not the seller's country): an intra-community supply, reverse charge — 0 % and the note
   "Reverse charge: VAT to be accounted for by the recipient" on the order and its invoice.
3. Any other EU destination: that country's standard rate (STANDARD_RATES). Sales to
   consumers in another member state are taxed where the goods arrive (the EU's distance-sales
   rules, the shop reporting through the One-Stop Shop); sales within the seller's country,
   to consumers or companies alike, at the seller's rate, which is then the destination's.

A VAT number of Northern Ireland (XI) counts as the United Kingdom's here: no reverse charge.
The rates are not in any template: pages and invoices show the rate an order recorded.

What is taxed: the goods after breaks, discount and points, plus shipping (a delivery charge
follows the VAT of the goods it delivers). One destination means one rate per order, so an
order-level discount needs no allocation across rates. Tax = base × rate / 100, rounded
half-up to whole minor units, once per order (not per line): 19 % of 1 050 is 199.5, so 200.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import format_percent
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError

from okmarts.i18n import N_, Message, babel_locale, current_locale

# Standard VAT rates of the EU member states, in percent (European Commission, "VAT rates
# applied in the Member States", checked for 2025: Finland 25.5 % from 1 Sep 2024, Slovakia
# 23 % from 1 Jan 2025, Estonia 24 % from 1 Jul 2025, Romania 21 % from 1 Aug 2025). Industrial
# parts take the standard rate everywhere. Change a rate here when a country changes it.
STANDARD_RATES: dict[str, Decimal] = {
    "AT": Decimal("20"),
    "BE": Decimal("21"),
    "BG": Decimal("20"),
    "CY": Decimal("19"),
    "CZ": Decimal("21"),
    "DE": Decimal("19"),
    "DK": Decimal("25"),
    "EE": Decimal("24"),
    "ES": Decimal("21"),
    "FI": Decimal("25.5"),
    "FR": Decimal("20"),
    "GR": Decimal("24"),
    "HR": Decimal("25"),
    "HU": Decimal("27"),
    "IE": Decimal("23"),
    "IT": Decimal("22"),
    "LT": Decimal("21"),
    "LU": Decimal("17"),
    "LV": Decimal("21"),
    "MT": Decimal("18"),
    "NL": Decimal("21"),
    "PL": Decimal("23"),
    "PT": Decimal("23"),
    "RO": Decimal("21"),
    "SE": Decimal("25"),
    "SI": Decimal("22"),
    "SK": Decimal("23"),
}
EU_COUNTRIES = frozenset(STANDARD_RATES)
# VAT number prefixes that are not the ISO country code.
_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB"}
_COUNTRY_PREFIX = {"GR": "EL"}

REVERSE_CHARGE_NOTE = N_("Reverse charge: VAT to be accounted for by the recipient")
EXPORT_NOTE = N_("No VAT: export outside the EU")
INVALID_VAT = N_(
    "This VAT number is not valid: check the country code and the digits (for example DE136695976)."
)


class VatInvalid(Exception):
    """A VAT number that fails its country's format or checksum; the message says so."""

    def __init__(self) -> None:
        super().__init__(INVALID_VAT)
        self.message = Message(INVALID_VAT)


@dataclass(frozen=True)
class TaxTerms:
    """How an order to `country` is taxed: a rate in percent, or reverse charge (0 %)."""

    country: str
    rate: Decimal
    reverse_charge: bool = False

    @property
    def export(self) -> bool:
        return self.country not in EU_COUNTRIES

    @property
    def note(self) -> str:
        """The msgid shown with the tax line ("" for plain VAT)."""
        if self.reverse_charge:
            return REVERSE_CHARGE_NOTE
        return EXPORT_NOTE if self.export else ""


@dataclass(frozen=True)
class TaxLine:
    """One rate's tax on an order, as Order.tax_lines records it (`as_json`)."""

    rate: Decimal
    country: str
    base_minor: int
    tax_minor: int
    reverse_charge: bool = False

    @property
    def rate_text(self) -> str:
        return rate_text(self.rate)

    @property
    def note(self) -> str:
        return TaxTerms(self.country, self.rate, self.reverse_charge).note

    def as_json(self) -> dict[str, Any]:
        return {
            "rate": self.rate_text,
            "country": self.country,
            "base_minor": self.base_minor,
            "tax_minor": self.tax_minor,
            "reverse_charge": self.reverse_charge,
        }


def rate_text(rate: Decimal | str | int) -> str:
    """A rate as recorded and shown: "19", "25.5", "0"."""
    text = format(Decimal(rate).normalize(), "f")
    return text


def tax_of(base_minor: int, rate: Decimal) -> int:
    """`rate` % of an amount, rounded half-up to whole minor units."""
    exact = Decimal(base_minor) * rate / Decimal(100)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tax_line(base_minor: int, terms: TaxTerms) -> TaxLine:
    base = max(0, base_minor)
    return TaxLine(
        rate=terms.rate,
        country=terms.country,
        base_minor=base,
        tax_minor=tax_of(base, terms.rate),
        reverse_charge=terms.reverse_charge,
    )


def terms_for(destination: str, *, seller_country: str, vat_country: str = "") -> TaxTerms:
    """The rule of the module docstring for this destination and buyer. `vat_country`: the
    country of the buyer's validated VAT number ("" for a consumer, or no valid number)."""
    destination = destination.upper()
    seller = seller_country.upper()
    if destination not in EU_COUNTRIES:
        return TaxTerms(destination, Decimal(0))
    if vat_country in EU_COUNTRIES and vat_country != seller and destination != seller:
        return TaxTerms(destination, Decimal(0), reverse_charge=True)
    return TaxTerms(destination, STANDARD_RATES[destination])


def validate_vat(number: str) -> tuple[bool, str, str]:
    """(ok, normalized number, ISO country) of an EU VAT number with its country prefix, checked
    by format and checksum (stdnum.eu.vat); not ok: (False, the number compacted, "")."""
    try:
        compact = eu_vat.compact(number)
    except ValidationError:
        compact = "".join(number.split()).upper()
    try:
        normalized = eu_vat.validate(number)
    except (ValidationError, ValueError):
        return False, compact, ""
    prefix = normalized[:2].upper()
    return True, normalized, _PREFIX_COUNTRY.get(prefix, prefix)


def looks_like_eu_vat(number: str) -> bool:
    """Starts with an EU VAT prefix (DE…, EL…, XI…): it must then pass `validate_vat`."""
    prefix = "".join(number.split())[:2].upper()
    return (
        prefix.isalpha()
        and (prefix in EU_COUNTRIES or prefix in _PREFIX_COUNTRY)
        and prefix != "GR"
    )


def check_vat_number(number: str, destination: str) -> tuple[str, str]:
    """(normalized number, its country) of a buyer's tax number at checkout or in the billing
    address, or VatInvalid.

    A number with an EU prefix must pass its checksum. To an EU destination, a number without a
    prefix is read as that country's (the prefix added) and must pass too. Any other number (a
    tax id outside the EU, to a destination outside the EU) is kept as typed, country "": it
    changes no tax, as exports carry none.
    """
    number = " ".join(number.split())
    if not number:
        return "", ""
    if looks_like_eu_vat(number):
        ok, normalized, country = validate_vat(number)
    elif destination.upper() in EU_COUNTRIES:
        prefix = _COUNTRY_PREFIX.get(destination.upper(), destination.upper())
        ok, normalized, country = validate_vat(prefix + number)
    else:
        return number, ""
    if not ok:
        raise VatInvalid()
    return normalized, country


# -- Showing tax lines -------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownTaxLine:
    """A recorded tax line for a page or an email, formatted in the reader's language when
    rendered (the properties read the current locale)."""

    rate: str
    country: str
    base_minor: int
    tax_minor: int
    reverse_charge: bool = False

    @property
    def percent(self) -> str:
        return format_percent(
            Decimal(self.rate) / 100, format="#,##0.##%", locale=babel_locale(current_locale.get())
        )

    @property
    def country_name(self) -> str:
        return babel_locale(current_locale.get()).territories.get(self.country, self.country)

    @property
    def note(self) -> str:
        return TaxTerms(self.country, Decimal(self.rate), self.reverse_charge).note


def shown(tax_lines: Any) -> list[ShownTaxLine]:
    """Order.tax_lines (JSON text or a list) or Totals.tax_lines, ready to show."""
    if isinstance(tax_lines, str):
        tax_lines = json.loads(tax_lines or "[]")
    found = []
    for line in tax_lines or ():
        data = line.as_json() if isinstance(line, TaxLine) else line
        found.append(
            ShownTaxLine(
                rate=str(data.get("rate", "0")),
                country=str(data.get("country", "")),
                base_minor=int(data.get("base_minor", 0)),
                tax_minor=int(data.get("tax_minor", 0)),
                reverse_charge=bool(data.get("reverse_charge", False)),
            )
        )
    return found
