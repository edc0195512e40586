"""The inputs a security review answered with a 500: each now gets a 4xx (or its page), with a
message in the shopper's language and the form filled in again. On SQLite and PostgreSQL.

test_fuzz_routes.py throws the same and much more at every route; these name the cases.
"""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.inputs import MAX_INT, clean_text, parse_int
from okmarts.services import addresses, points
from okmarts.web import clean_query_string
from tests.states.accounts import accounts_write, errors_in, post_form, verified_account
from tests.states.catalog import new_product
from tests.states.orders import bought, checkout_fields, checkout_key

Client = AsyncTestClient[Litestar]
HUGE = "9" * 30
NOT_ASCII_DIGITS = ["²", "①", "٣"]  # isdigit() says yes to all three; int() reads "٣" as 3
SPANISH = {"Accept-Language": "es"}


# -- The rules ------------------------------------------------------------------------------


def test_numbers_are_ascii_digits_within_bounds() -> None:
    assert parse_int("42") == 42
    assert parse_int(" 7 ") == 7
    assert parse_int("0" * 50 + "3") == 3
    assert parse_int(str(MAX_INT)) == MAX_INT
    for bad in [None, "", " ", "-1", "+1", "1_000", "1.5", "1e3", "0x1F", "NaN", ["1"]]:
        assert parse_int(bad) is None, bad
    for bad in [*NOT_ASCII_DIGITS, "1²", "𝟙", "Ⅻ", HUGE, str(MAX_INT + 1), "9" * 10_000]:
        assert parse_int(bad) is None, bad
    assert parse_int("0", minimum=1) is None
    assert parse_int("6", minimum=1, maximum=5) is None


def test_control_characters_leave_text_and_query_strings() -> None:
    assert clean_text("pl\x00c\x1b\x7f\x85") == "plc"
    assert clean_text("line one\r\n\tline two") == "line one\r\n\tline two"
    assert clean_text("\u202eright to left") == "\u202eright to left"  # a bidi mark is text
    assert clean_query_string(b"q=pl%00c&page=2") == b"q=plc&page=2"
    assert clean_query_string(b"q=a%1Fb%C2%85c&brand=x") == b"q=abc&brand=x"
    assert clean_query_string("q=caf\u00e9\x00".encode()) == b"q=caf%C3%A9"
    assert clean_query_string(b"q=caf%C3%A9+bar") == b"q=caf%C3%A9+bar"  # untouched


# -- Catalog ----------------------------------------------------------------------------------


async def test_a_search_with_a_nul_is_a_search(client: Client) -> None:
    response = await client.get("/search?q=pl%00c")
    assert response.status_code == 200
    assert 'name="q" value="plc"' in response.text
    live = await client.get(
        "/search?q=rel%00ay", headers={"HX-Request": "true", "HX-Target": "live-search-results"}
    )
    assert live.status_code == 200


async def test_a_path_with_a_control_character_is_no_page(client: Client) -> None:
    for path in ["/products/pl%00c", "/categories/a%1Bb", "/products/x%00/questions"]:
        response = await client.get(path)
        assert response.status_code in (404, 405), path
    assert (await client.get("/products/pl%00c")).status_code == 404


async def test_a_price_filter_beyond_any_price_says_so(client: Client) -> None:
    # (Prices are INTEGER cents on PostgreSQL: 21,474,836.48 is one cent too many.)
    for price in [HUGE, str(MAX_INT), "21474836.48", "²", "٣", "1e9"]:
        response = await client.get(f"/products?min_price={price}", headers=SPANISH)
        assert response.status_code == 400, price
        assert "Introduzca un precio como número, por ejemplo 12,50." in response.text
        assert f'name="min_price" value="{price}"' in response.text


async def test_a_page_number_that_cannot_be_is_404(client: Client) -> None:
    for number in [HUGE, "²", "0", "-1"]:
        assert (await client.get(f"/products?page={number}")).status_code == 404, number
        assert (await client.get(f"/search?q=relay&page={number}")).status_code == 404, number


# -- Cart -------------------------------------------------------------------------------------


async def test_adding_a_product_id_that_cannot_be_says_so(client: Client) -> None:
    for product_id in [HUGE, str(MAX_INT + 1), *NOT_ASCII_DIGITS]:
        fields = {"product_id": product_id, "quantity": "1"}
        response = await post_form(client, "/cart/lines", fields, headers=SPANISH)
        assert response.status_code == 422, product_id
        assert "Elija un producto para añadir." in response.text
        htmx = await post_form(client, "/cart/lines", fields, headers={"HX-Request": "true"})
        assert htmx.status_code == 422 and "Choose a product to add." in htmx.text


async def test_a_cart_line_that_cannot_be_is_404(client: Client) -> None:
    for product_id in [HUGE, str(MAX_INT + 1), "²", "0"]:
        for path in [f"/cart/lines/{product_id}", f"/cart/lines/{product_id}/delete"]:
            response = await post_form(client, path, {"quantity": "1"})
            assert response.status_code == 404, path


async def test_a_quantity_in_other_digits_is_refused(client: Client) -> None:
    product = await new_product(5)
    for quantity in NOT_ASCII_DIGITS:
        response = await post_form(
            client, "/cart/lines", {"product_id": str(product["id"]), "quantity": quantity}
        )
        assert response.status_code == 422, quantity
    line = await post_form(client, f"/cart/lines/{product['id']}", {"quantity": "٣"})
    assert line.status_code == 422


# -- Checkout ---------------------------------------------------------------------------------


async def _at_checkout(client: Client) -> tuple[str, dict[str, int]]:
    """A verified shopper with a redeemable product in the cart, a saved address and points."""
    account = await verified_account(client)
    gift = await new_product(5, price_minor=900, points_price=100)
    address = await addresses.save_address(
        account.id,
        addresses.AddressForm(
            recipient="Ada Buyer",
            phone="+44 20 7946 0958",
            country="GB",
            city="London",
            line="10 Downing Street",
            zip_code="SW1A 2AA",
        ),
    )
    async with accounts_write():
        await points.append_points(account.id, 500, "test")
    await post_form(client, "/cart/lines", {"product_id": str(gift["id"]), "quantity": "1"})
    return await checkout_key(client), {"gift": gift["id"], "address": address.id}


@pytest.mark.parametrize(
    ("field", "message", "spanish"),
    [
        ("points", "Enter a whole number of points.", "Introduzca un número entero de puntos."),
        ("address_id", "Choose one of your saved addresses, or a new address.", None),
        ("redeem", "Choose the products to redeem from the list.", None),
    ],
)
async def test_checkout_numbers_in_other_digits_get_a_message(
    client: Client, field: str, message: str, spanish: str | None
) -> None:
    key, ids = await _at_checkout(client)
    for value in [*NOT_ASCII_DIGITS, HUGE, str(MAX_INT + 1)]:
        response = await post_form(
            client, "/checkout", checkout_fields(key, **{field: value, "line": "1 Refill Road"})
        )
        assert response.status_code == 422, (field, value)
        assert message in errors_in(response.text), (field, value, errors_in(response.text))
        assert 'value="1 Refill Road"' in response.text  # the form comes back filled in
    if spanish:
        response = await post_form(
            client, "/checkout", checkout_fields(key, **{field: "①"}), headers=SPANISH
        )
        assert response.status_code == 422 and spanish in errors_in(response.text)
    # The same fields with good values go through.
    good = {"points": "0", "address_id": str(ids["address"]), "redeem": str(ids["gift"])}
    placed = await post_form(client, "/checkout", checkout_fields(key, **{field: good[field]}))
    assert placed.status_code == 303, errors_in(placed.text)


async def test_a_card_number_in_other_digits_is_refused(client: Client) -> None:
    key, _ = await _at_checkout(client)
    for number in ["4242 4242 4242 ²242", "①", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢"]:
        response = await post_form(client, "/checkout", checkout_fields(key, card=number))
        assert response.status_code == 422, number
        assert "Enter the card number using digits only." in errors_in(response.text)


async def test_an_address_id_that_cannot_be_is_404(client: Client) -> None:
    await verified_account(client)
    for address_id in [HUGE, str(MAX_INT + 1), "²"]:
        assert (await client.get(f"/account/addresses/{address_id}")).status_code == 404
        for path in ["", "/delete", "/default"]:
            response = await post_form(client, f"/account/addresses/{address_id}{path}", {})
            assert response.status_code == 404, (address_id, path)


# -- Reviews ----------------------------------------------------------------------------------


async def test_a_rating_in_other_digits_gets_a_message_and_the_form_back(client: Client) -> None:
    account = await verified_account(client)
    product = await new_product(5)
    line = await bought(account, product)
    review = {"line": str(line), "title": "Clicks into place", "body": "Mounted in a minute."}
    for rating in [*NOT_ASCII_DIGITS, HUGE, "0", "6"]:
        response = await post_form(client, "/account/reviews", {**review, "rating": rating})
        assert response.status_code == 422, rating
        assert "Choose a rating from 1 to 5 stars." in errors_in(response.text)
        assert 'value="Clicks into place"' in response.text
    spanish = await post_form(
        client, "/account/reviews", {**review, "rating": "①"}, headers=SPANISH
    )
    assert spanish.status_code == 422
    assert "Elija una valoración de 1 a 5 estrellas." in errors_in(spanish.text)
    for line_id in [HUGE, "²"]:
        response = await post_form(client, "/account/reviews", {**review, "line": line_id})
        assert response.status_code == 404
        assert (await client.get(f"/account/reviews/new?line={line_id}")).status_code == 404
    for review_id in [HUGE, str(MAX_INT + 1), "²"]:
        response = await post_form(client, f"/reviews/{review_id}/votes", {"choice": "up"})
        assert response.status_code == 404
    done = await post_form(client, "/account/reviews", {**review, "rating": "4"})
    assert done.status_code == 303
    assert re.search(r"notice=review-submitted", done.headers["location"])
