"""Tax: the rule per destination, EU reverse charge for a valid foreign business VAT number,
VAT numbers checked by format and checksum, half-up rounding; and through HTTP, the checkout
refusing a bad VAT number with a message, and orders recording their tax lines (SQLite and
PostgreSQL)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.services import tax
from okmarts.tables.accounts import Address
from okmarts.tables.checkout import Order
from tests.states.accounts import errors_in, post_form, verified_account
from tests.states.catalog import new_product
from tests.states.orders import checkout_fields, checkout_key

Client = AsyncTestClient[Litestar]
SELLER = "DE"
# Valid numbers (format and checksum), and the same with one digit changed.
VALID = {
    "DE": "DE136695976",
    "FR": "FR40303265045",
    "NL": "NL004495445B01",
    "AT": "ATU13585627",
    "GR": "EL094259216",
}
INVALID = ["DE136695977", "FR40303265046", "NL004495446B01", "ATU13585628", "EL094259217"]


@pytest.mark.parametrize(
    ("destination", "rate"),
    [("DE", "19"), ("FR", "20"), ("FI", "25.5"), ("HU", "27"), ("LU", "17"), ("NL", "21")],
)
def test_consumers_in_the_eu_pay_the_destinations_standard_rate(
    destination: str, rate: str
) -> None:
    terms = tax.terms_for(destination, seller_country=SELLER)
    assert (terms.rate, terms.reverse_charge, terms.export) == (Decimal(rate), False, False)


@pytest.mark.parametrize("destination", ["US", "CN", "GB", "CH", "NO", "JP"])
def test_exports_outside_the_eu_carry_no_vat(destination: str) -> None:
    terms = tax.terms_for(destination, seller_country=SELLER, vat_country="FR")
    assert (terms.rate, terms.reverse_charge, terms.export) == (0, False, True)
    assert terms.note == tax.EXPORT_NOTE


def test_reverse_charge_needs_a_foreign_eu_vat_number_and_goods_leaving_the_seller() -> None:
    # A French company, goods to France: reverse charge, 0 %, with the legal note.
    french = tax.terms_for("FR", seller_country=SELLER, vat_country="FR")
    assert (french.rate, french.reverse_charge) == (0, True)
    assert french.note == "Reverse charge: VAT to be accounted for by the recipient"
    # An Austrian company having the goods sent to Italy: still an intra-community supply.
    assert tax.terms_for("IT", seller_country=SELLER, vat_country="AT").reverse_charge
    # A German company (the seller's country): German VAT, wherever in the EU it ships.
    assert tax.terms_for("FR", seller_country=SELLER, vat_country="DE").rate == 20
    assert tax.terms_for("DE", seller_country=SELLER, vat_country="DE").rate == 19
    # Goods staying in Germany, bought by a French company: German VAT.
    domestic = tax.terms_for("DE", seller_country=SELLER, vat_country="FR")
    assert (domestic.rate, domestic.reverse_charge) == (19, False)
    # Northern Ireland's numbers (XI) count as the UK's: no reverse charge.
    assert not tax.terms_for("FR", seller_country=SELLER, vat_country="GB").reverse_charge
    # Another seller country moves the domestic case.
    assert tax.terms_for("DE", seller_country="FR", vat_country="DE").reverse_charge


def test_vat_numbers_are_checked_by_format_and_checksum() -> None:
    for country, number in VALID.items():
        assert tax.validate_vat(number) == (True, number, country)
        # Spaces, dots and lower case are what people type.
        spaced = f"{number[:2].lower()} {number[2:5]}.{number[5:]}"
        assert tax.validate_vat(spaced) == (True, number, country)
    for number in [*INVALID, "DE12345", "XX123456789", "", "DE13669597A"]:
        assert tax.validate_vat(number)[0] is False, number
    # At checkout: a number without its prefix reads as the destination's.
    assert tax.check_vat_number("40303265045", "FR") == ("FR40303265045", "FR")
    assert tax.check_vat_number("094259216", "GR") == ("EL094259216", "GR")
    with pytest.raises(tax.VatInvalid):
        tax.check_vat_number("DE136695977", "US")  # an EU prefix must pass, wherever it ships
    with pytest.raises(tax.VatInvalid):
        tax.check_vat_number("12-3456789", "FR")
    # A tax id outside the EU, shipped outside the EU: kept as typed, no tax effect.
    assert tax.check_vat_number("12-3456789", "US") == ("12-3456789", "")


def test_tax_rounds_half_up_on_whole_minor_units() -> None:
    assert tax.tax_of(1_050, Decimal(19)) == 200  # 199.5
    assert tax.tax_of(1_049, Decimal(19)) == 199  # 199.31
    assert tax.tax_of(10, Decimal(25)) == 3  # 2.5
    assert tax.tax_of(2, Decimal("25.5")) == 1  # 0.51
    assert tax.tax_of(1, Decimal("25.5")) == 0  # 0.255
    line = tax.tax_line(-5, tax.TaxTerms("FI", Decimal("25.5")))
    assert (line.base_minor, line.tax_minor, line.rate_text) == (0, 0, "25.5")


# -- Through HTTP ---------------------------------------------------------------------------


def to(country: str, **extra: str) -> dict[str, str]:
    cities = {"FR": ("Paris", "75001"), "DE": ("Berlin", "10115"), "US": ("Boston", "02110")}
    city, zip_code = cities[country]
    return {"country": country, "city": city, "zip_code": zip_code, **extra}


async def test_a_bad_vat_number_is_refused_with_a_message_and_the_form_kept(
    client: Client,
) -> None:
    product = await new_product(10)
    await verified_account(client)
    await post_form(client, "/cart/lines", {"product_id": str(product["id"])})
    key = await checkout_key(client)
    company = {"for_company": "yes", "company": "Usine SA", "billing_address": "1 rue X, Paris"}
    refused = await post_form(
        client, "/checkout", checkout_fields(key, **to("FR", **company, tax_id="FR40303265046"))
    )
    assert refused.status_code == 422
    assert any("This VAT number is not valid" in error for error in errors_in(refused.text))
    assert 'value="FR40303265046"' in refused.text and 'value="Usine SA"' in refused.text
    assert not await Order.exists().where(Order.checkout_key == key)
    # The billing address in the address book is checked the same way.
    billing = {
        "kind": "billing",
        "recipient": "Anne Achat",
        "phone": "+33 1 23 45 67 89",
        "line": "1 rue X",
        **to("FR"),
        "company": "Usine SA",
        "tax_id": "FR40303265046",
    }
    page = await post_form(client, "/account/addresses", billing)
    assert page.status_code == 422 and "This VAT number is not valid" in page.text
    await post_form(client, "/account/addresses", {**billing, "tax_id": "fr 403 032 650 45"})
    saved = await Address.select(Address.tax_id).where(Address.company == "Usine SA").first()
    assert saved == {"tax_id": "FR40303265045"}


async def test_orders_record_tax_by_destination_and_buyer(client: Client) -> None:
    product = await new_product(10, price_minor=10_000)
    await verified_account(client)

    async def order(fields: dict[str, str]) -> Order:
        await post_form(client, "/cart/lines", {"product_id": str(product["id"])})
        key = await checkout_key(client)
        placed = await post_form(client, "/checkout", checkout_fields(key, **fields))
        assert placed.status_code == 303, errors_in(placed.text)
        found = await Order.objects().where(Order.checkout_key == key).first()
        assert found is not None
        return found

    # A consumer in France: French VAT on goods and shipping.
    consumer = await order(to("FR"))
    base = consumer.subtotal_minor - consumer.discount_minor + consumer.shipping_minor
    assert consumer.tax_minor == tax.tax_of(base, Decimal(20))
    assert consumer.total_minor == base + consumer.tax_minor
    assert _json(consumer.tax_lines) == [
        {
            "rate": "20",
            "country": "FR",
            "base_minor": base,
            "tax_minor": consumer.tax_minor,
            "reverse_charge": False,
        }
    ]
    # A French company with a valid number: reverse charge, shown on its order page.
    company = {"for_company": "yes", "company": "Usine SA", "billing_address": "1 rue X, Paris"}
    reverse = await order(to("FR", **company, tax_id="FR 403 032 650 45"))
    lines = tax.shown(reverse.tax_lines)
    assert [(line.rate, line.reverse_charge, line.tax_minor) for line in lines] == [("0", True, 0)]
    assert reverse.tax_minor == 0 and reverse.tax_id == "FR40303265045"
    page = (await client.get(f"/account/orders/{reverse.number}")).text
    totals = re.search(r'<dl class="totals" id="order-totals">.*?</dl>', page, re.S).group(0)
    assert "VAT 0%" in totals
    assert "Reverse charge: VAT to be accounted for by the recipient" in totals
    # An export: nothing to pay, the 0 % line kept for the invoice.
    export = await order(to("US"))
    assert export.tax_minor == 0
    assert [line.country for line in tax.shown(export.tax_lines)] == ["US"]


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value
