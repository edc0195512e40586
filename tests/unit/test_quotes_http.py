"""Quotes through HTTP: a buyer asks from the cart, staff answer in the quotes queue of the admin,
the buyer downloads the PDF and orders at the quoted prices; every URL is the owner's only."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.admin.staff import save_staff
from okmarts.services import saved_lists
from okmarts.tables.checkout import CartLine, Order, OrderLine
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.quotes import Quote, QuoteLine
from tests.states.accounts import errors_in, post_form, verified_account
from tests.states.catalog import new_product
from tests.states.orders import checkout_fields
from tests.unit.test_admin import sign_in

Client = AsyncTestClient[Litestar]
AT = chr(64)
QUEUE = "/admin/quotes/"


async def ask_from_cart(client: Client, product: dict, quantity: str = "3") -> Quote:
    added = await post_form(
        client, "/cart/lines", {"product_id": str(product["id"]), "quantity": quantity}
    )
    assert added.status_code == 303
    cart = await client.get("/cart")
    assert 'id="quote-request-form"' in cart.text and 'action="/account/quotes/"' in cart.text
    response = await post_form(
        client, "/account/quotes/", {"delivery_country": "DE", "note": "Project Falcon"}
    )
    assert response.status_code == 303, errors_in(response.text)
    number = re.search(
        r"/account/quotes/(Q-[0-9-]+)\?notice=requested", response.headers["location"]
    )
    quote = await Quote.objects().where(Quote.number == number.group(1)).first()
    assert quote is not None
    return quote


async def staff_client(app: Litestar, *, superuser: bool = True) -> Client:
    client = AsyncTestClient(app=app)
    await client.__aenter__()
    email = f"sales-{uuid.uuid4().hex[:10]}{AT}example.com"
    password = f"staff-password-{uuid.uuid4().hex[:8]}"
    await save_staff(email, password, superuser=superuser)
    await sign_in(client, email, password)
    return client


def token_in(page: str, staff: Client) -> str:
    """The token the page's forms carry (an answered quote has no form: the cookie's)."""
    found = re.search(r'name="csrftoken" value="([^"]+)"', page)
    return found.group(1) if found else staff.cookies.get("csrftoken") or ""


async def staff_post(staff: Client, quote: Quote, action: str, **fields: str) -> Response:
    page = await staff.get(f"{QUEUE}{quote.id}/")
    assert page.status_code == 200, page.text[:300]
    return await staff.post(
        f"{QUEUE}{quote.id}/{action}/",
        data={"csrftoken": token_in(page.text, staff), **fields},
        follow_redirects=False,
    )


async def test_ask_answer_download_and_order_at_the_quoted_prices(
    app: Litestar, client: Client
) -> None:
    product = await new_product(20, price_minor=12_500)
    buyer = await verified_account(client)
    quote = await ask_from_cart(client, product, "4")
    # The cart stays as it is.
    assert await CartLine.count().where(CartLine.account == buyer.id) == 1
    page = await client.get(f"/account/quotes/{quote.number}?notice=requested")
    assert "Requested" in page.text and "Not priced yet" in page.text
    assert 'id="accept-quote"' not in page.text
    listing = await client.get("/account/quotes/")
    assert quote.number in listing.text and "Requested" in listing.text

    staff = await staff_client(app)
    try:
        queue = await staff.get(QUEUE)
        assert queue.status_code == 200 and quote.number in queue.text
        form = await staff.get(f"{QUEUE}{quote.id}/")
        assert 'value="125.00"' in form.text  # today's price, where staff start
        [line_id] = [
            r["id"] for r in await QuoteLine.select(QuoteLine.id).where(QuoteLine.quote == quote.id)
        ]
        # Bad input: clear messages, the form refilled, nothing changed.
        past = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        refused = await staff_post(
            staff, quote, "answer", **{f"price-{line_id}": "-5", "valid_until": past}
        )
        assert refused.status_code == 422
        assert "Enter a price of 0 or more" in refused.text
        assert "must be in the future" in refused.text and 'value="-5"' in refused.text
        assert (await Quote.objects().where(Quote.id == quote.id).first()).status == "requested"
        until = (dt.date.today() + dt.timedelta(days=10)).isoformat()
        done = await staff_post(
            staff,
            quote,
            "answer",
            **{f"price-{line_id}": "99.50", "valid_until": until, "staff_note": "Best we can."},
        )
        assert done.status_code == 303 and "done=answered" in done.headers["location"]
        again = await staff_post(staff, quote, "decline", reason="Too late")
        assert again.status_code == 409
    finally:
        await staff.__aexit__(None, None, None)
    assert await OutboxMessage.count().where(
        (OutboxMessage.recipient == buyer.email) & (OutboxMessage.kind == "quote_answered")
    )

    page = await client.get(f"/account/quotes/{quote.number}")
    assert "Answered" in page.text and "$99.50" in page.text and "$398.00" in page.text
    assert "Best we can." in page.text and 'id="accept-quote"' in page.text

    pdf = await client.get(f"/account/quotes/{quote.number}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert quote.number in pdf.headers["content-disposition"]
    # In the reader's language (the PDF is made whatever fonts the machine has).
    chinese = await client.get(
        f"/account/quotes/{quote.number}/pdf", headers={"accept-language": "zh-CN"}
    )
    assert chinese.status_code == 200 and chinese.content.startswith(b"%PDF")

    checkout = await client.get(f"/account/quotes/{quote.number}/checkout")
    assert checkout.status_code == 200 and quote.number in checkout.text
    assert f'action="/account/quotes/{quote.number}/checkout"' in checkout.text
    assert "$398.00" in checkout.text
    key = re.search(r'name="checkout_key" value="([^"]+)"', checkout.text).group(1)
    placed = await post_form(
        client, f"/account/quotes/{quote.number}/checkout", checkout_fields(key)
    )
    assert placed.status_code == 303, errors_in(placed.text)
    order = await Order.objects().where(Order.checkout_key == key).first()
    [line] = await OrderLine.select().where(OrderLine.order == order.id)
    assert (line["unit_price_minor"], line["quantity"]) == (9_950, 4)
    assert (await Quote.objects().where(Quote.id == quote.id).first()).order == order.id
    # The cart was not checked out: it is still there.
    assert await CartLine.count().where(CartLine.account == buyer.id) == 1
    # A second submit of the same form finds its order; a new form is refused (409).
    resubmit = await post_form(
        client, f"/account/quotes/{quote.number}/checkout", checkout_fields(key)
    )
    assert resubmit.status_code == 303 and order.number in resubmit.headers["location"]
    late = await client.get(f"/account/quotes/{quote.number}/checkout")
    assert late.status_code == 409 and "can no longer be ordered" in late.text
    page = await client.get(f"/account/quotes/{quote.number}")
    assert "Accepted" in page.text and order.number in page.text


async def test_bad_requests_come_back_with_the_form(client: Client) -> None:
    await verified_account(client)
    empty = await post_form(client, "/account/quotes/", {"delivery_country": "DE"})
    assert empty.status_code == 422 and "nothing to quote" in empty.text
    product = await new_product(5)
    await post_form(client, "/cart/lines", {"product_id": str(product["id"])})
    bad = await post_form(
        client, "/account/quotes/", {"delivery_country": "ZZ", "note": "Keep this note"}
    )
    assert bad.status_code == 422
    assert "Choose a country or region from the list." in errors_in(bad.text)
    assert "Keep this note" in bad.text
    unknown_list = await post_form(
        client, "/account/quotes/", {"delivery_country": "DE", "list_id": "12345"}
    )
    assert unknown_list.status_code == 404


async def test_another_accounts_quote_is_404_everywhere(app: Litestar, client: Client) -> None:
    product = await new_product(5)
    await verified_account(client)
    quote = await ask_from_cart(client, product)
    async with AsyncTestClient(app=app) as other:
        await verified_account(other)
        for path in ("", "/pdf", "/checkout"):
            response = await other.get(f"/account/quotes/{quote.number}{path}")
            assert response.status_code == 404, path
        for path in ("/decline", "/checkout"):
            response = await post_form(other, f"/account/quotes/{quote.number}{path}", {})
            assert response.status_code == 404, path
        assert quote.number not in (await other.get("/account/quotes/")).text
    async with AsyncTestClient(app=app) as visitor:
        response = await visitor.get(f"/account/quotes/{quote.number}", follow_redirects=False)
        assert response.status_code in (302, 303) and "/login" in response.headers["location"]
    assert (await Quote.objects().where(Quote.id == quote.id).first()).status == "requested"
    # The owner may withdraw it.
    declined = await post_form(client, f"/account/quotes/{quote.number}/decline", {})
    assert declined.status_code == 303
    assert (await Quote.objects().where(Quote.id == quote.id).first()).status == "declined"
    again = await post_form(client, f"/account/quotes/{quote.number}/decline", {})
    assert again.status_code == 409


async def test_only_superusers_answer_quotes_and_csrf_is_checked(
    app: Litestar, client: Client
) -> None:
    product = await new_product(5)
    await verified_account(client)
    quote = await ask_from_cart(client, product)
    moderator = await staff_client(app, superuser=False)
    try:
        assert (await moderator.get(f"{QUEUE}{quote.id}/")).status_code == 403
    finally:
        await moderator.__aexit__(None, None, None)
    staff = await staff_client(app)
    try:
        forged = await staff.post(
            f"{QUEUE}{quote.id}/decline/",
            data={"csrftoken": "forged", "reason": "x"},
            follow_redirects=False,
        )
        assert forged.status_code == 403
        no_reason = await staff_post(staff, quote, "decline", reason=" ")
        assert no_reason.status_code == 422 and "Say why" in no_reason.text
        declined = await staff_post(staff, quote, "decline", reason="Not sold in DE.")
        assert declined.status_code == 303
    finally:
        await staff.__aexit__(None, None, None)
    page = await client.get(f"/account/quotes/{quote.number}")
    assert "Declined" in page.text and "Not sold in DE." in page.text


async def test_a_saved_list_is_quoted_with_its_own_quantities(client: Client) -> None:
    account = await verified_account(client)
    a, b = await new_product(5), await new_product(5)
    list_id = await saved_lists.add_items(
        account.id, None, "Press line 2", [(a["id"], 4), (b["id"], 2)]
    )
    page = await client.get(f"/account/lists/{list_id}")
    assert f'href="/account/quotes/new?list_id={list_id}"' in page.text
    form = await client.get(f"/account/quotes/new?list_id={list_id}")
    assert form.status_code == 200 and f'value="{list_id}"' in form.text
    response = await post_form(
        client, "/account/quotes/", {"delivery_country": "DE", "list_id": str(list_id)}
    )
    assert response.status_code == 303, errors_in(response.text)
    quote = await Quote.objects().where(Quote.account == account.id).first()
    lines = await QuoteLine.select(QuoteLine.product, QuoteLine.quantity).where(
        QuoteLine.quote == quote.id
    )
    assert sorted((row["product"], row["quantity"]) for row in lines) == sorted(
        [(a["id"], 4), (b["id"], 2)]
    )
    # The cart was not involved, and stays empty.
    assert not await CartLine.exists().where(CartLine.account == account.id)
