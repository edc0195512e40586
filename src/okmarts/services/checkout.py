"""Checkout: what the cart and the checkout form cost, and whether the form can be an order.

Everything is priced by services.pricing.price_order (its docstring gives the order of the
rules); this module gathers its inputs (break prices come with the cart view; coupon, automatic
discounts, shipping quote, points balance, tax terms from services.tax) and checks the form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from okmarts.i18n import N_, Message, current_locale
from okmarts.inputs import parse_int
from okmarts.services import (
    addresses,
    companies,
    coupons,
    points,
    pricing,
    recommendations,
    shipping,
    tax,
)
from okmarts.services.accounts import normalize_email
from okmarts.services.cart import CartView
from okmarts.services.payments import CardDetails, validate_card
from okmarts.settings import Settings
from okmarts.tables.accounts import Account, Address

DEFAULT_COUNTRY = "US"
PAYMENT_METHODS = {"card": N_("Credit or debit card"), "bank_transfer": N_("Bank transfer")}


@dataclass
class Summary:
    totals: pricing.Totals
    country: str
    shipping: shipping.Quote | None
    quotes: list[shipping.Quote] = field(default_factory=list)
    countries: tuple[tuple[str, str], ...] = ()
    coupon_error: Message | None = None
    # The cart's tax is an estimate for `country` as a consumer (the checkout knows the buyer).
    tax_estimated: bool = False

    @property
    def tax_shown(self) -> list[tax.ShownTaxLine]:
        return tax.shown(self.totals.tax_lines)


def priced_lines(
    cart: CartView, redeem: set[int] | frozenset[int] = frozenset()
) -> list[pricing.PricedLine]:
    return [
        pricing.PricedLine(
            product_id=line.product_id,
            sku=line.sku,
            title=line.title,
            unit_price_minor=line.unit_price_minor,
            quantity=line.quantity,
            weight_grams=line.weight_grams,
            points_price=line.points_price,
            pay_with_points=bool(line.points_price) and line.product_id in redeem,
        )
        for line in cart.lines
    ]


def with_price_overrides(cart: CartView, price_overrides: dict[int, int] | None) -> CartView:
    """The cart with agreed unit prices (a quote's) on the lines they name, instead of the
    break price; those lines show no break saving."""
    if not price_overrides:
        return cart
    return CartView(
        [
            replace(
                line,
                unit_price_minor=price_overrides[line.product_id],
                list_price_minor=price_overrides[line.product_id],
                break_quantity=0,
            )
            if line.product_id in price_overrides
            else line
            for line in cart.lines
        ]
    )


def cart_product_ids(cart: CartView) -> list[int]:
    return [line.product_id for line in cart.lines]


def points_rules(settings: Settings) -> pricing.PointsRules:
    return pricing.PointsRules(
        points_per_unit_off=settings.points_per_unit_off,
        points_max_share_percent=settings.points_max_share_percent,
    )


async def default_country(account: Account | None) -> str:
    if account is None:
        return DEFAULT_COUNTRY
    row = (
        await Address.select(Address.country)
        .where((Address.account == account.id) & (Address.kind == "shipping"))
        .order_by(Address.is_default, ascending=False)
        .first()
    )
    return row["country"] if row else DEFAULT_COUNTRY


async def cart_summary(
    cart: CartView,
    *,
    country: str,
    account: Account | None,
    now: dt.datetime | None = None,
    seller_country: str = "DE",
) -> Summary:
    """The cart's totals with automatic discounts, the cheapest shipping to `country` and the
    tax a consumer there pays (an estimate: the checkout applies the buyer's VAT number)."""
    now = now or dt.datetime.now(dt.UTC)
    known = dict(addresses.countries(current_locale.get()))
    country = country.upper() if country.upper() in known else await default_country(account)
    lines = priced_lines(cart)
    subtotal = sum(line.line_total_minor for line in lines)
    quotes = (
        await shipping.quotes(country, cart.weight_grams, subtotal, cart.currency)
        if cart.lines
        else []
    )
    totals = pricing.price_order(
        lines,
        currency=cart.currency,
        discounts=await coupons.automatic_discounts(cart.currency, now),
        bundles=await recommendations.bundle_terms(cart.currency, cart_product_ids(cart)),
        shipping_minor=quotes[0].cost_minor if quotes else 0,
        tax=tax.terms_for(country, seller_country=seller_country),
    )
    return Summary(
        totals=totals,
        country=country,
        shipping=quotes[0] if quotes else None,
        quotes=quotes,
        countries=addresses.countries(current_locale.get()),
        tax_estimated=True,
    )


# -- The checkout form ---------------------------------------------------------------------------


@dataclass
class CheckoutForm:
    checkout_key: str = ""
    address_id: str = ""  # a saved address picked instead of typing one
    recipient: str = ""
    phone: str = ""
    email: str = ""
    country: str = ""
    region: str = ""
    city: str = ""
    line: str = ""
    zip_code: str = ""
    save_address: bool = False
    for_company: bool = False
    company: str = ""
    tax_id: str = ""
    billing_address: str = ""
    # Company accounts (services/companies.py): "company" buys for the shopper's company;
    # the buyer's purchase-order number (optional).
    buying_for: str = ""
    po_number: str = ""
    shipping_method: str = ""
    coupon_code: str = ""
    points: str = ""
    redeem: frozenset[int] = frozenset()
    payment_method: str = "card"
    card_number: str = ""
    card_expiry: str = ""
    card_cvc: str = ""
    card_holder: str = ""
    # What can't be read from the form as sent (a product to redeem that is no number, say).
    problems: dict[str, Message] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: dict[str, Any], redeem: list[str]) -> CheckoutForm:
        values = {
            name: str(data.get(name) or "").strip()
            for name in cls.__dataclass_fields__
            if name not in {"save_address", "for_company", "redeem", "problems"}
        }
        product_ids = [parse_int(value, minimum=1) for value in redeem]
        form = cls(
            **values,
            save_address=data.get("save_address") == "yes",
            for_company=data.get("for_company") == "yes",
            redeem=frozenset(product_id for product_id in product_ids if product_id is not None),
        )
        if None in product_ids:
            form.problems["redeem"] = Message(N_("Choose the products to redeem from the list."))
        return form

    def card(self) -> CardDetails:
        return CardDetails(
            number=self.card_number,
            expiry=self.card_expiry,
            cvc=self.card_cvc,
            holder=self.card_holder,
        )

    def refill(self) -> dict[str, Any]:
        """What goes back into the form after an error: never the card number or CVC."""
        values = dict(self.__dict__)
        values.pop("card_number")
        values.pop("card_cvc")
        values.pop("problems")
        values["redeem"] = set(self.redeem)
        return values


@dataclass
class Checkout:
    """A priced checkout form: the summary, and what is wrong with it (if anything)."""

    form: CheckoutForm
    summary: Summary
    errors: dict[str, Message]
    points_balance: int
    coupon: pricing.CouponTerms | None = None
    # The cart as priced (quote prices applied) and its priced lines: what the order records.
    cart: CartView | None = None
    lines: list[pricing.PricedLine] = field(default_factory=list)
    # Quotes (services.quotes) hook: a quote's checkout prices its lines at the quoted unit
    # prices and, inside the order's transaction, marks the quote accepted (`after_order`,
    # which refuses with orders.OrderRefused to roll the order back); the cart is left alone.
    price_overrides: dict[int, int] | None = None
    after_order: Callable[[Any], Awaitable[None]] | None = None
    # Company accounts: the company bought for, and whether the order waits for an approver.
    company_id: int | None = None
    needs_approval: bool = False


async def apply_saved_address(form: CheckoutForm, account: Account) -> None:
    """Fill the address fields from the saved address the shopper picked (none: nothing): one
    of their own ("12"), or, when buying for their company, one of the company's ("c12",
    services.companies)."""
    if form.address_id in ("", "new"):
        return
    if form.address_id.startswith("c"):
        await _apply_company_address(form, account)
        return
    address_id = parse_int(form.address_id, minimum=1)
    saved: Address | None = None
    if address_id is not None:
        try:
            saved = await addresses.get_address(account.id, address_id)
        except addresses.AddressNotFound:
            saved = None
    if saved is None:
        form.problems["address_id"] = Message(
            N_("Choose one of your saved addresses, or a new address.")
        )
        return
    for name in ("recipient", "phone", "country", "region", "city", "line", "zip_code"):
        setattr(form, name, getattr(saved, name))


async def _apply_company_address(form: CheckoutForm, account: Account) -> None:
    address_id = parse_int(form.address_id[1:], minimum=1)
    saved = None
    if address_id is not None:
        saved = await companies.company_address(account.id, address_id)
    if saved is None:
        form.problems["address_id"] = Message(
            N_("Choose one of your saved addresses, or a new address.")
        )
        return
    if form.buying_for != "company":
        form.problems["address_id"] = Message(
            N_(
                "Your company's addresses are for orders bought for the company: choose it "
                'under "Buying for", or another address.'
            )
        )
        return
    for name in ("recipient", "phone", "country", "region", "city", "line", "zip_code"):
        setattr(form, name, getattr(saved, name))


async def address_choices(account: Account) -> dict[str, list[Any]]:
    """The saved-address picker: the shopper's own shipping addresses, and their company's
    (offered when buying for it; empty for a shopper of no company)."""
    own = [a for a in await addresses.list_addresses(account.id) if a.kind == "shipping"]
    member = await companies.membership(account.id)
    shared = await companies.company_addresses(member.company.id) if member else []
    return {"saved_addresses": own, "company_addresses": shared}


def _address_errors(form: CheckoutForm) -> dict[str, Message]:
    errors: dict[str, Message] = {}
    required = N_("This field is required.")
    for name in ("recipient", "phone", "city", "line", "zip_code"):
        if not getattr(form, name):
            errors[name] = Message(required)
    limits = {**addresses.LIMITS, "billing_address": 500}
    for name, limit in limits.items():
        if len(getattr(form, name)) > limit:
            errors[name] = Message(N_("Use at most %(limit)s characters here."), {"limit": limit})
    if form.phone and "phone" not in errors and not addresses.PHONE.match(form.phone):
        errors["phone"] = Message(N_("Enter a phone number with digits, e.g. +49 30 1234567."))
    if form.zip_code and "zip_code" not in errors and not addresses.ZIP.match(form.zip_code):
        errors["zip_code"] = Message(N_("Enter a zip code of 2 to 12 letters or digits."))
    if form.country not in dict(addresses.countries("en")):
        errors["country"] = Message(N_("Choose a country or region from the list."))
    try:
        form.email = normalize_email(form.email)
    except ValueError as error:
        errors["email"] = Message(str(error))
    if form.for_company:
        for name in ("company", "billing_address"):
            if not getattr(form, name):
                errors[name] = Message(required)
    return errors


def _points_requested(form: CheckoutForm, errors: dict[str, Message]) -> int:
    if not form.points:
        return 0
    requested = parse_int(form.points)
    if requested is None:
        errors["points"] = Message(N_("Enter a whole number of points."))
        return 0
    return requested


async def price_checkout(
    cart: CartView,
    form: CheckoutForm,
    account: Account,
    settings: Settings,
    *,
    placing: bool,
    now: dt.datetime | None = None,
    price_overrides: dict[int, int] | None = None,
) -> Checkout:
    """Price the form as it stands; when placing, also check everything an order needs.

    `price_overrides` ({product id: unit price_minor}): agreed prices (a quote's,
    services.quotes) that replace the break prices of those lines. A quote's prices are final:
    no coupon, automatic discount or kit price comes on top of them; points may still pay for
    part of the order, and tax applies as to any order."""
    now = now or dt.datetime.now(dt.UTC)
    errors: dict[str, Message] = dict(form.problems)
    if not form.country:
        form.country = await default_country(account)
    form.country = form.country.upper()
    cart = with_price_overrides(cart, price_overrides)
    company = await _company_buyer(form, account, errors)
    vat_country = _check_tax_id(form, errors)
    lines = priced_lines(cart, form.redeem)
    quoted = price_overrides is not None
    subtotal = sum(line.line_total_minor for line in lines)
    quotes = await shipping.quotes(form.country, cart.weight_grams, subtotal, cart.currency)
    chosen = next((q for q in quotes if q.method_code == form.shipping_method), None)
    if chosen is None:
        if placing and form.shipping_method:
            errors["shipping_method"] = Message(N_("Choose one of the shipping methods offered."))
        chosen = quotes[0] if quotes else None
    if chosen is None:
        errors["country"] = Message(N_("We can't ship this order to the chosen country yet."))
    else:
        form.shipping_method = chosen.method_code

    coupon: pricing.CouponTerms | None = None
    coupon_error: Message | None = None
    if form.coupon_code and not quoted:
        try:
            coupon = await coupons.check_coupon(
                form.coupon_code,
                account_id=account.id,
                subtotal_minor=subtotal,
                currency=cart.currency,
                now=now,
            )
        except coupons.CouponInvalid as invalid:
            coupon_error = coupons.shown(invalid.message)
            errors["coupon_code"] = coupon_error
    balance = await points.balance(account.id)
    totals = pricing.price_order(
        lines,
        currency=cart.currency,
        coupon=coupon,
        discounts=() if quoted else await coupons.automatic_discounts(cart.currency, now),
        bundles=()
        if quoted
        else await recommendations.bundle_terms(cart.currency, cart_product_ids(cart)),
        shipping_minor=chosen.cost_minor if chosen else 0,
        points_requested=_points_requested(form, errors),
        points_balance=balance,
        rules=points_rules(settings),
        tax=tax.terms_for(
            form.country, seller_country=settings.seller_country, vat_country=vat_country
        ),
    )
    if totals.points_short:
        errors["redeem"] = Message(
            N_("You need %(num)s more points to redeem these products."),
            {"num": totals.points_short},
        )
    if placing:
        errors.update(_address_errors(form))
        if form.payment_method not in PAYMENT_METHODS:
            errors["payment_method"] = Message(N_("Choose a payment method."))
        elif form.payment_method == "card" and totals.total_minor > 0:
            card_errors = validate_card(form.card(), now.date())
            errors.update({f"card_{name}": message for name, message in card_errors.items()})
        if any(line.discontinued for line in cart.lines):
            errors["cart"] = Message(
                N_("A part in your cart is discontinued: remove it (its page lists replacements).")
            )
        elif not cart.ready:
            errors["cart"] = Message(N_("Some products in your cart are no longer in stock."))
        if not form.checkout_key or len(form.checkout_key) > 64:
            errors["cart"] = Message(N_("This checkout form is out of date: please try again."))
    needs_approval = _needs_approval(company, form, totals, errors, placing)
    summary = Summary(
        totals=totals,
        country=form.country,
        shipping=chosen,
        quotes=quotes,
        countries=addresses.countries(current_locale.get()),
        coupon_error=coupon_error,
    )
    return Checkout(
        form=form,
        summary=summary,
        errors=errors,
        points_balance=balance,
        coupon=coupon,
        cart=cart,
        lines=lines,
        price_overrides=price_overrides,
        company_id=company.company.id if company is not None else None,
        needs_approval=needs_approval,
    )


def _check_tax_id(form: CheckoutForm, errors: dict[str, Message]) -> str:
    """A company's tax number checked (services.tax.check_vat_number) and kept normalized;
    returns its EU country for the tax rules ("" for a consumer or an invalid number)."""
    if not form.for_company or not form.tax_id:
        return ""
    try:
        form.tax_id, country = tax.check_vat_number(form.tax_id, form.country)
    except tax.VatInvalid as invalid:
        errors["tax_id"] = invalid.message
        return ""
    return country


async def _company_buyer(
    form: CheckoutForm, account: Account, errors: dict[str, Message]
) -> companies.Membership | None:
    """Company accounts (services/companies.py): "buying for" the shopper's company takes its
    name, VAT number (checked with the tax rules next) and, unless typed, billing address.
    Checks the PO number."""
    form.po_number, po_error = companies.check_po_number(form.po_number)
    if po_error:
        errors["po_number"] = po_error
    if form.buying_for != "company":
        form.buying_for = ""
        return None
    found = await companies.membership(account.id)
    if found is None:
        form.buying_for = ""
        errors["buying_for"] = Message(N_("You don't belong to a company (any more)."))
        return None
    form.for_company = True
    form.company, form.tax_id = found.company.name, found.company.vat_number
    form.billing_address = form.billing_address or found.company.billing_address
    return found


def _needs_approval(
    found: companies.Membership | None,
    form: CheckoutForm,
    totals: pricing.Totals,
    errors: dict[str, Message],
    placing: bool,
) -> bool:
    """An order above the company's approval limit waits for an approver and is paid by bank
    transfer once approved."""
    if found is None:
        return False
    waits = companies.needs_approval(found, totals.total_minor, totals.currency)
    if placing and waits and form.payment_method == "card":
        errors["payment_method"] = Message(
            N_(
                "This order is above your company's approval limit: it waits for an approver "
                "and is paid by bank transfer once approved. Choose bank transfer."
            )
        )
    return waits
