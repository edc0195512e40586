"""Quotes: a buyer asks for prices on a list of parts; staff answer with a price per line and a
date the prices hold until; the buyer accepts (an order at those prices), declines, or lets it
expire.

States: requested → answered → accepted | declined | expired; requested → declined (staff
decline, or the buyer withdraws). Each change is one conditional UPDATE on the state it leaves
("… WHERE status = 'answered'"), so two requests racing for the same change make it once: a
quote is accepted once, never twice, and its order is written in the same transaction as the
acceptance (services.orders through `checkout.Checkout.after_order`).

An answered quote whose `valid_until` has passed is expired when read (`effective_status`),
whether or not the retention run (`expire_due`) has written it yet: it can't be accepted.

Numbers are "Q-<year>-<row id, 6 digits>": the id makes them unique whoever asks at the same
moment, with no counter to lock (gaps don't matter for quotes, unlike invoices).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from okmarts.db import write_transaction
from okmarts.i18n import N_, Message
from okmarts.services import addresses, checkout, orders, pricing, rate_limits
from okmarts.services.cart import MAX_LINES, MAX_QUANTITY, CartLineView, CartView
from okmarts.services.messaging import enqueue_email, notify_mail_queued
from okmarts.services.rate_limits import Limit
from okmarts.settings import Settings
from okmarts.tables.accounts import Account
from okmarts.tables.catalog import Product, ProductImage, ProductStatus
from okmarts.tables.checkout import Order
from okmarts.tables.quotes import Quote, QuoteLine

STATUSES = {
    # TRANSLATORS: quote status: the buyer asked, staff have not answered yet
    "requested": N_("Requested"),
    # TRANSLATORS: quote status: staff gave prices
    "answered": N_("Answered"),
    # TRANSLATORS: quote status: the buyer ordered at the quoted prices
    "accepted": N_("Accepted"),
    # TRANSLATORS: quote status: the prices no longer hold
    "expired": N_("Expired"),
    # TRANSLATORS: quote status: refused by the shop or withdrawn by the buyer
    "declined": N_("Declined"),
}
NOTE_MAX_LENGTH = 2000
STAFF_NOTE_MAX_LENGTH = 2000
# Enough for a purchasing department; stops one account filling the staff queue.
REQUESTS_PER_ACCOUNT = Limit("quote-request", attempts=10, window=dt.timedelta(hours=1))
ANSWERED_KIND = "quote_answered"
DECLINED_KIND = "quote_declined"
# Ended quotes: what retention counts from `updated_at` (services.retention).
ENDED_STATUSES = ("accepted", "expired", "declined")


class QuoteRefused(Exception):
    """The quote can't be asked for or changed as asked; the message says why."""

    def __init__(self, message: Message, field: str = "quote") -> None:
        super().__init__(message.msgid)
        self.message = message
        self.field = field


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def number_for(year: int, quote_id: int) -> str:
    return f"Q-{year}-{quote_id:06d}"


def effective_status(status: str, valid_until: dt.datetime | None, now: dt.datetime) -> str:
    """The state as the buyer sees it now: an answered quote past its date is expired."""
    until = aware(valid_until)
    if status == "answered" and until is not None and until <= now:
        return "expired"
    return status


# -- Asking for a quote ------------------------------------------------------------------------


@dataclass
class RequestForm:
    delivery_country: str = ""
    note: str = ""
    errors: dict[str, Message] = field(default_factory=dict)


def check_request(delivery_country: str, note: str) -> RequestForm:
    """The request form read and checked (errors per field, nothing raised)."""
    form = RequestForm(delivery_country.strip().upper()[:2], note.strip())
    if form.delivery_country not in dict(addresses.countries("en")):
        form.errors["delivery_country"] = Message(N_("Choose a country or region from the list."))
    if len(form.note) > NOTE_MAX_LENGTH:
        form.errors["note"] = Message(
            N_("Use at most %(limit)s characters here."), {"limit": NOTE_MAX_LENGTH}
        )
    return form


async def request_for_lines(
    account: Account,
    lines: Iterable[tuple[int, int]],
    *,
    delivery_country: str,
    note: str,
    now: dt.datetime | None = None,
) -> Quote:
    """Ask for a quote on (product id, quantity) lines: from the cart, or a saved list
    (`saved_lists.lines_of(account_id, list_id)` gives such lines). The source is left as it is.
    Raises QuoteRefused (field "delivery_country", "note" or "quote")."""
    now = now or utc_now()
    form = check_request(delivery_country, note)
    if form.errors:
        name, message = next(iter(form.errors.items()))
        raise QuoteRefused(message, name)
    quantities: dict[int, int] = {}
    for product_id, quantity in lines:
        quantities[product_id] = quantities.get(product_id, 0) + quantity
    if not quantities:
        raise QuoteRefused(Message(N_("Add parts first: there is nothing to quote.")))
    if len(quantities) > MAX_LINES or any(
        not 0 < quantity <= MAX_QUANTITY for quantity in quantities.values()
    ):
        raise QuoteRefused(
            Message(
                N_("A quote holds at most %(lines)s parts, each 1 to %(quantity)s pieces."),
                {"lines": MAX_LINES, "quantity": MAX_QUANTITY},
            )
        )
    products = {
        row["id"]: row
        for row in await Product.select(
            Product.id, Product.sku, Product.title, Product.currency, Product.status
        ).where(Product.id.is_in(list(quantities)))
    }
    if len(products) != len(quantities) or any(
        row["status"] != ProductStatus.active.value for row in products.values()
    ):
        raise QuoteRefused(
            Message(N_("A part on the list is discontinued or gone: remove it and try again."))
        )
    currencies = {row["currency"] for row in products.values()}
    if len(currencies) != 1:
        raise QuoteRefused(
            Message(N_("Ask for separate quotes for parts priced in another currency."))
        )
    try:
        await rate_limits.consume((REQUESTS_PER_ACCOUNT, str(account.id)), now=now)
    except rate_limits.RateLimited as limited:
        raise QuoteRefused(
            Message(
                N_("You asked for many quotes in a short time: try again in %(minutes)s minutes."),
                {"minutes": limited.minutes},
            )
        ) from limited
    async with write_transaction(Quote._meta.db):
        # A placeholder number, unique as it is random; the id makes the real one.
        quote = Quote(
            number=f"new-{secrets.token_hex(8)}",
            account=account.id,
            status="requested",
            currency=currencies.pop(),
            delivery_country=form.delivery_country,
            note=form.note,
            created_at=now,
            updated_at=now,
        )
        await quote.save()
        quote.number = number_for(now.year, quote.id)
        await Quote.update({Quote.number: quote.number}).where(Quote.id == quote.id)
        await QuoteLine.insert(
            *(
                QuoteLine(
                    quote=quote.id,
                    product=product_id,
                    sku=products[product_id]["sku"],
                    title=products[product_id]["title"],
                    quantity=quantity,
                )
                for product_id, quantity in quantities.items()
            )
        )
    return quote


# -- Reading -----------------------------------------------------------------------------------


async def list_quotes(account_id: int, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The account's quotes, newest first, each with its status as of now and its line count."""
    now = now or utc_now()
    rows = (
        await Quote.select(
            Quote.id,
            Quote.number,
            Quote.status,
            Quote.created_at,
            Quote.valid_until,
            Quote.currency,
        )
        .where(Quote.account == account_id)
        .order_by(Quote.created_at, ascending=False)
        .order_by(Quote.id, ascending=False)
        .limit(200)
    )
    totals: dict[int, tuple[int, int | None]] = {}
    if rows:
        for line in await QuoteLine.select(
            QuoteLine.quote, QuoteLine.quantity, QuoteLine.unit_price_minor
        ).where(QuoteLine.quote.is_in([row["id"] for row in rows])):
            count, total = totals.get(line["quote"], (0, 0))
            price = line["unit_price_minor"]
            total = None if price is None or total is None else total + price * line["quantity"]
            totals[line["quote"]] = (count + 1, total)
    for row in rows:
        row["status"] = effective_status(row["status"], row["valid_until"], now)
        row["line_count"], row["total_minor"] = totals.get(row["id"], (0, None))
        if row["status"] == "requested":
            row["total_minor"] = None
    return rows


@dataclass
class QuoteDetail:
    quote: Quote
    lines: list[dict[str, Any]]
    status: str  # as of now (an answered quote past its date: "expired")
    order_number: str | None = None  # the order placed from it, once accepted

    @property
    def priced(self) -> bool:
        return self.quote.status != "requested" and all(
            line["unit_price_minor"] is not None for line in self.lines
        )

    @property
    def total_minor(self) -> int | None:
        if not self.priced:
            return None
        return sum(line["line_total_minor"] for line in self.lines)

    @property
    def acceptable(self) -> bool:
        return self.status == "answered" and self.priced

    @property
    def declinable(self) -> bool:
        return self.status in ("requested", "answered")


async def _detail(quote: Quote | None, now: dt.datetime) -> QuoteDetail | None:
    if quote is None:
        return None
    lines = (
        await QuoteLine.select(
            QuoteLine.id,
            QuoteLine.product,
            QuoteLine.sku,
            QuoteLine.title,
            QuoteLine.quantity,
            QuoteLine.unit_price_minor,
        )
        .where(QuoteLine.quote == quote.id)
        .order_by(QuoteLine.id)
    )
    for line in lines:
        price = line["unit_price_minor"]
        line["line_total_minor"] = None if price is None else price * line["quantity"]
    order_number = None
    if quote.order is not None:
        order = await Order.select(Order.number).where(Order.id == quote.order).first()
        order_number = order["number"] if order else None
    return QuoteDetail(
        quote, lines, effective_status(quote.status, quote.valid_until, now), order_number
    )


async def get_quote(
    account_id: int, number: str, now: dt.datetime | None = None
) -> QuoteDetail | None:
    """The account's own quote with that number (None for anyone else's, or none at all)."""
    quote = (
        await Quote.objects()
        .where((Quote.number == number[:20]) & (Quote.account == account_id))
        .first()
    )
    return await _detail(quote, now or utc_now())


async def staff_detail(quote_id: int, now: dt.datetime | None = None) -> QuoteDetail | None:
    return await _detail(
        await Quote.objects().where(Quote.id == quote_id).first(), now or utc_now()
    )


# -- The buyer's decisions ---------------------------------------------------------------------


async def decline_by_buyer(account_id: int, number: str, now: dt.datetime | None = None) -> None:
    """The buyer declines an answered quote or withdraws a request (not one ended already)."""
    now = now or utc_now()
    changed = (
        await Quote.update({Quote.status: "declined", Quote.updated_at: now})
        .where(
            (Quote.number == number[:20])
            & (Quote.account == account_id)
            & (
                (Quote.status == "requested")
                | ((Quote.status == "answered") & (Quote.valid_until > now))
            )
        )
        .returning(Quote.id)
    )
    if not changed:
        raise QuoteRefused(Message(N_("This quote has ended already: nothing was changed.")))


@dataclass
class QuoteCheckout:
    """What a quote's checkout prices: its lines as a cart, at its prices."""

    detail: QuoteDetail
    cart: CartView
    price_overrides: dict[int, int]


NOT_ACCEPTABLE = N_("This quote can no longer be ordered: it was accepted, declined or expired.")


async def checkout_for(
    account_id: int, number: str, now: dt.datetime | None = None
) -> QuoteCheckout | None:
    """The quote's lines as a cart priced at the quote (its stock as it is now), for
    services.checkout; None if the account has no such quote. Raises QuoteRefused when it can't
    be ordered (not answered, expired, a part gone)."""
    now = now or utc_now()
    detail = await get_quote(account_id, number, now)
    if detail is None:
        return None
    if not detail.acceptable:
        raise QuoteRefused(Message(NOT_ACCEPTABLE))
    ids = [line["product"] for line in detail.lines]
    if None in ids:
        raise QuoteRefused(
            Message(N_("A part of this quote is no longer sold: ask us for a new quote."))
        )
    products = {
        row["id"]: row
        for row in await Product.select(
            Product.id,
            Product.slug,
            Product.stock,
            Product.weight_grams,
            Product.status,
        ).where(Product.id.is_in(ids))
    }
    images = {
        row["product"]: row["path"]
        for row in await ProductImage.select(ProductImage.product, ProductImage.path).where(
            ProductImage.product.is_in(ids), ProductImage.position == 0
        )
    }
    lines = []
    for line in detail.lines:
        product = products[line["product"]]
        lines.append(
            CartLineView(
                product_id=line["product"],
                slug=product["slug"],
                sku=line["sku"],
                title=line["title"],
                unit_price_minor=line["unit_price_minor"],
                currency=detail.quote.currency,
                stock=product["stock"],
                weight_grams=product["weight_grams"],
                points_price=None,  # a quoted line is paid in money
                image=images.get(line["product"], ""),
                quantity=line["quantity"],
                status=product["status"],
            )
        )
    overrides = {line["product"]: line["unit_price_minor"] for line in detail.lines}
    return QuoteCheckout(detail=detail, cart=CartView(lines), price_overrides=overrides)


async def mark_accepted(quote_id: int, order_id: int, now: dt.datetime | None = None) -> bool:
    """Inside the order's transaction: answered and still valid → accepted, with its order.
    False if another request accepted it first (or it ended): the caller rolls back."""
    now = now or utc_now()
    changed = (
        await Quote.update({Quote.status: "accepted", Quote.order: order_id, Quote.updated_at: now})
        .where(
            (Quote.id == quote_id)
            & (Quote.status == "answered")
            & (Quote.valid_until > now)
            & Quote.order.is_null()
        )
        .returning(Quote.id)
    )
    return bool(changed)


async def price_checkout(
    account: Account,
    quoted: QuoteCheckout,
    form: checkout.CheckoutForm,
    settings: Settings,
    *,
    placing: bool,
) -> checkout.Checkout:
    """The checkout of a quote: its lines at its prices, through the checkout's own pricing and
    checks (stock included); placing the order (orders.place_order) marks the quote accepted in
    the order's transaction, or refuses the order if it was accepted (or ended) meanwhile."""
    priced = await checkout.price_checkout(
        quoted.cart,
        form,
        account,
        settings,
        placing=placing,
        price_overrides=quoted.price_overrides,
    )
    quote_id = quoted.detail.quote.id

    async def accept(order: Any) -> None:
        if not await mark_accepted(quote_id, order.id):
            raise orders.OrderRefused(Message(NOT_ACCEPTABLE))

    priced.after_order = accept
    return priced


# -- Staff ---------------------------------------------------------------------------------------


async def default_prices(detail: QuoteDetail) -> dict[int, int]:
    """Line id → the price staff start from: today's price for the quantity (with quantity
    price breaks where services.pricing has them)."""
    ids = [line["product"] for line in detail.lines if line["product"] is not None]
    prices = {
        row["id"]: row["price_minor"]
        for row in await Product.select(Product.id, Product.price_minor).where(
            Product.id.is_in(ids or [0])
        )
    }
    # Price breaks (H-pricing) where they have landed: the break for the line's quantity.
    break_prices = getattr(pricing, "break_prices", None)
    unit_price_for = getattr(pricing, "unit_price_for", None)
    breaks = await break_prices(ids) if break_prices and unit_price_for and ids else {}
    result = {}
    for line in detail.lines:
        price = prices.get(line["product"])
        if price is None:
            continue
        if breaks and unit_price_for is not None:
            price = unit_price_for(price, breaks.get(line["product"], []), line["quantity"])
        result[line["id"]] = price
    return result


async def _mail(quote_id: int, kind: str, settings: Settings) -> None:
    detail = await staff_detail(quote_id)
    assert detail is not None
    account = await Account.objects().where(Account.id == detail.quote.account).first()
    if account is None:
        return
    await enqueue_email(
        kind=kind,
        recipient=account.email,
        locale=account.locale,
        account_id=account.id,
        context={
            "quote": detail.quote,
            "lines": detail.lines,
            "total_minor": detail.total_minor,
            "link": f"{settings.base_url}/account/quotes/{detail.quote.number}",
        },
    )


async def answer(
    quote_id: int,
    prices: dict[int, int],
    *,
    valid_until: dt.datetime,
    staff_note: str,
    staff: str,
    settings: Settings,
    now: dt.datetime | None = None,
) -> None:
    """Staff price every line of a requested quote and say until when the prices hold; the
    buyer is emailed in the same transaction. Raises QuoteRefused (English: staff read it)."""
    now = now or utc_now()
    if valid_until <= now:
        raise QuoteRefused(Message("The validity date must be in the future."), "valid_until")
    if len(staff_note) > STAFF_NOTE_MAX_LENGTH:
        raise QuoteRefused(
            Message(f"The note may hold at most {STAFF_NOTE_MAX_LENGTH} characters."), "note"
        )
    if any(price < 0 for price in prices.values()):
        raise QuoteRefused(Message("Prices must be 0 or more."), "prices")
    line_ids = {
        row["id"] for row in await QuoteLine.select(QuoteLine.id).where(QuoteLine.quote == quote_id)
    }
    if not line_ids or set(prices) != line_ids:
        raise QuoteRefused(Message("Give a price for every line of the quote."), "prices")
    async with write_transaction(Quote._meta.db):
        changed = (
            await Quote.update(
                {
                    Quote.status: "answered",
                    Quote.valid_until: valid_until,
                    Quote.staff_note: staff_note,
                    Quote.answered_at: now,
                    Quote.answered_by: staff[:100],
                    Quote.updated_at: now,
                }
            )
            .where((Quote.id == quote_id) & (Quote.status == "requested"))
            .returning(Quote.id)
        )
        if not changed:
            raise QuoteRefused(Message("This quote was answered or declined already."))
        for line_id, price in prices.items():
            await QuoteLine.update({QuoteLine.unit_price_minor: price}).where(
                (QuoteLine.id == line_id) & (QuoteLine.quote == quote_id)
            )
        await _mail(quote_id, ANSWERED_KIND, settings)
    notify_mail_queued()


async def decline(
    quote_id: int,
    reason: str,
    *,
    staff: str,
    settings: Settings,
    now: dt.datetime | None = None,
) -> None:
    """Staff decline a requested quote, saying why; the buyer is emailed in the same
    transaction."""
    now = now or utc_now()
    reason = reason.strip()
    if not reason:
        raise QuoteRefused(Message("Say why the quote is declined: the buyer reads it."), "note")
    if len(reason) > STAFF_NOTE_MAX_LENGTH:
        raise QuoteRefused(
            Message(f"The reason may hold at most {STAFF_NOTE_MAX_LENGTH} characters."), "note"
        )
    async with write_transaction(Quote._meta.db):
        changed = (
            await Quote.update(
                {
                    Quote.status: "declined",
                    Quote.staff_note: reason,
                    Quote.answered_at: now,
                    Quote.answered_by: staff[:100],
                    Quote.updated_at: now,
                }
            )
            .where((Quote.id == quote_id) & (Quote.status == "requested"))
            .returning(Quote.id)
        )
        if not changed:
            raise QuoteRefused(Message("This quote was answered or declined already."))
        await _mail(quote_id, DECLINED_KIND, settings)
    notify_mail_queued()


async def expire_due(now: dt.datetime | None = None, *, dry_run: bool = False) -> int:
    """Answered quotes past their date become expired (they already read as expired)."""
    now = now or utc_now()
    due = (Quote.status == "answered") & (Quote.valid_until <= now)
    count = await Quote.count().where(due)
    if count and not dry_run:
        await Quote.update({Quote.status: "expired", Quote.updated_at: now}).where(due)
    return count
