"""Payments: card checks, the gateway interface, a test card gateway and bank transfer.

The orders service stores what a gateway answers (tables PaymentAttempt and Payment), and only
ever the card's brand and last four digits. A full card number or CVC is never kept: not in
results, not in logs, not in exception messages (CardDetails leaves both out of its repr).

The test card gateway keeps its own book in the database (table SandboxTransaction), as a
provider keeps it on its side: every worker, and a restarted server, captures, voids and refunds
what another one authorised, and each change is a conditional UPDATE, so it happens once.

Test cards (TestCardGateway, the built-in gateway; any holder name, a CVC of the right length,
any expiry date not in the past):

====================  ==========  ==========================================================
Number                Brand       Outcome
====================  ==========  ==========================================================
4242 4242 4242 4242   Visa        approved
5555 5555 5555 4444   Mastercard  approved
4000 0000 0000 0002   Visa        declined: "Your card was declined."
4000 0000 0000 9995   Visa        declined: insufficient funds
4000 0000 0000 0069   Visa        declined: expired card
4000 0000 0000 0119   Visa        failed: "The payment could not be processed. Please try
                                  again." (a processing error: retrying may succeed)
any other valid card  any         approved
====================  ==========  ==========================================================

Bank transfer (BankTransfer): the shopper gets the bank details and the order number as the
payment reference; the order waits for payment until staff mark it paid.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from piccolo.columns.combination import WhereRaw

from okmarts.i18n import N_, Message
from okmarts.tables.checkout import SandboxTransaction

PaymentStatus = Literal["approved", "declined", "failed"]

# (brand, prefix ranges as (low, high) over the first digits, allowed lengths). Checked in this
# order: Discover's 6011/644-649/65 before UnionPay's wider 62 range.
BRANDS: tuple[tuple[str, tuple[tuple[int, int], ...], tuple[int, ...]], ...] = (
    ("Amex", ((34, 34), (37, 37)), (15,)),
    ("Visa", ((4, 4),), (13, 16, 19)),
    ("Mastercard", ((51, 55), (2221, 2720)), (16,)),
    ("Discover", ((6011, 6011), (644, 649), (65, 65)), (16, 17, 18, 19)),
    ("JCB", ((3528, 3589),), (16, 17, 18, 19)),
    ("UnionPay", ((62, 62),), (16, 17, 18, 19)),
)
BRAND_LENGTHS = {brand: lengths for brand, _ranges, lengths in BRANDS}
CVC_LENGTH = {"Amex": 4}  # 3 for every other brand
MAX_YEARS_AHEAD = 20
HOLDER_MAX_LENGTH = 100


@dataclass(frozen=True)
class TestCards:
    """The test card numbers, as pages show them (module docstring)."""

    __test__ = False  # not a pytest test class, despite the name

    success: str = "4242 4242 4242 4242"
    success_mastercard: str = "5555 5555 5555 4444"
    declined: str = "4000 0000 0000 0002"
    insufficient_funds: str = "4000 0000 0000 9995"
    expired: str = "4000 0000 0000 0069"
    processing_error: str = "4000 0000 0000 0119"


TEST_CARDS = TestCards()
TEST_CARD_OUTCOMES: dict[str, tuple[PaymentStatus, str, str]] = {
    "4000000000000002": ("declined", "card_declined", N_("Your card was declined.")),
    "4000000000009995": (
        "declined",
        "insufficient_funds",
        N_("Your card was declined: insufficient funds."),
    ),
    "4000000000000069": ("declined", "expired_card", N_("Your card has expired.")),
    "4000000000000119": (
        "failed",
        "processing_error",
        N_("The payment could not be processed. Please try again."),
    ),
}


@dataclass(frozen=True)
class CardDetails:
    """What the shopper typed. Number and CVC stay out of repr(), so out of logs and tracebacks."""

    number: str = field(repr=False)
    expiry: str
    cvc: str = field(repr=False)
    holder: str

    def __repr__(self) -> str:
        return (
            f"CardDetails(brand={brand_of(self.number)!r}, last4={last4(self.number)!r}, "
            f"expiry={self.expiry!r}, holder={self.holder!r})"
        )


@dataclass(frozen=True)
class PaymentResult:
    status: PaymentStatus
    transaction_id: str
    card_brand: str = ""
    card_last4: str = ""
    message: Message | None = None  # why it was declined or failed, for the shopper
    # Machine-readable reason ("card_declined", "insufficient_funds", …), "" when approved.
    code: str = ""

    @property
    def approved(self) -> bool:
        return self.status == "approved"


class Gateway(Protocol):
    """A payment provider: authorize at checkout, capture on shipping, void or refund."""

    async def authorize(
        self, amount_minor: int, currency: str, card: CardDetails, idempotency_key: str
    ) -> PaymentResult: ...

    async def capture(self, transaction_id: str) -> PaymentResult: ...

    async def void(self, transaction_id: str) -> PaymentResult: ...

    async def refund(self, transaction_id: str, amount_minor: int) -> PaymentResult: ...

    async def find(self, idempotency_key: str) -> PaymentResult | None:
        """What the gateway answered to an authorisation with this key; None if it never got
        one (providers answer this from a search by merchant reference). The attempts sweep
        uses it for attempts whose answer was never recorded."""
        ...


# -- Card checks (pure) ---------------------------------------------------------------------------


def card_digits(number: str) -> str:
    """The number without the spaces and dashes people type (may still hold other characters,
    but no digit beyond 0-9: "²" or "٣" become "?", which no check below takes for a digit;
    str.isdigit() would, and int("²") then fails)."""
    digits = re.sub(r"[\s-]", "", number or "")
    return digits if digits.isascii() else re.sub(r"[^\x00-\x7f]", "?", digits)


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every card number carries."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def brand_of(number: str) -> str | None:
    """Visa, Mastercard, Amex, UnionPay, Discover or JCB by the number's prefix; else None."""
    digits = card_digits(number)
    if not digits.isdigit():
        return None
    for brand, ranges, _lengths in BRANDS:
        for low, high in ranges:
            width = len(str(low))
            if len(digits) >= width and low <= int(digits[:width]) <= high:
                return brand
    return None


def last4(number: str) -> str:
    """The last four digits: all of a card number that may be kept or shown."""
    digits = card_digits(number)
    return digits[-4:] if digits.isdigit() else ""


def parse_expiry(expiry: str) -> tuple[int, int] | None:
    """(year, month) from "MM/YY" or "MM/YYYY", or None."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", expiry or "")
    if not match:
        return None
    month, year = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        return None
    return (2000 + year if year < 100 else year), month


def validate_card(details: CardDetails, today: dt.date) -> dict[str, Message]:
    """Field-keyed problems with the card details (empty when they can go to a gateway)."""
    errors: dict[str, Message] = {}
    digits = card_digits(details.number)
    brand = brand_of(digits)
    if not digits.isdigit():
        errors["number"] = Message(N_("Enter the card number using digits only."))
    elif not 12 <= len(digits) <= 19:
        errors["number"] = Message(N_("A card number has 12 to 19 digits."))
    elif not luhn_valid(digits):
        errors["number"] = Message(N_("This card number is not valid. Please check it."))
    elif brand is None:
        errors["number"] = Message(
            N_("We accept Visa, Mastercard, American Express, UnionPay, Discover and JCB.")
        )
    elif len(digits) not in BRAND_LENGTHS[brand]:
        errors["number"] = Message(N_("This card number is not valid. Please check it."))

    expiry = parse_expiry(details.expiry)
    if expiry is None:
        errors["expiry"] = Message(N_("Enter the expiry date as MM/YY."))
    elif expiry < (today.year, today.month):
        errors["expiry"] = Message(N_("This card has expired."))
    elif expiry[0] > today.year + MAX_YEARS_AHEAD:
        errors["expiry"] = Message(N_("Check the expiry date."))

    cvc = (details.cvc or "").strip()
    wanted = CVC_LENGTH.get(brand or "", 3)
    if not (cvc.isdigit() and len(cvc) == wanted):
        errors["cvc"] = Message(
            N_("Enter the %(digits)s-digit security code from your card."), {"digits": wanted}
        )

    holder = " ".join((details.holder or "").split())
    if not holder:
        errors["holder"] = Message(N_("Enter the name on the card."))
    elif len(holder) > HOLDER_MAX_LENGTH:
        errors["holder"] = Message(
            N_("Use at most %(limit)s characters here."), {"limit": HOLDER_MAX_LENGTH}
        )
    return errors


# -- Test card gateway ----------------------------------------------------------------------------


def new_transaction_id() -> str:
    return "test_" + secrets.token_hex(12)


# What an authorisation's answer became in the gateway's book: the answer itself stays approved.
_APPROVED_STATES = ("authorised", "captured", "voided", "refunded")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TestCardGateway:
    """A sandbox gateway: the outcome depends on the test card number (module docstring).

    Its state is in the database (table SandboxTransaction), not in this object: every
    authorisation, capture, void and refund, and the answer given to each idempotency key, so a
    retried checkout gets the same answer and transaction, and any worker or a restarted server
    can settle what another one authorised. Every change is a conditional UPDATE.
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, today: Callable[[], dt.date] | None = None) -> None:
        self._today = today or dt.date.today

    async def authorize(
        self, amount_minor: int, currency: str, card: CardDetails, idempotency_key: str
    ) -> PaymentResult:
        """Approve, decline or fail as the test card says; the same key, the same answer."""
        request = (amount_minor, currency, last4(card.number))
        known = (
            await SandboxTransaction.select()
            .where(SandboxTransaction.idempotency_key == idempotency_key)
            .first()
        )
        if known is None:
            result = self._decide(amount_minor, currency, card)
            now = _now()
            inserted = await (
                SandboxTransaction.insert(
                    SandboxTransaction(
                        transaction_id=result.transaction_id,
                        idempotency_key=idempotency_key,
                        amount_minor=amount_minor,
                        currency=currency,
                        card_brand=result.card_brand,
                        card_last4=result.card_last4,
                        status="authorised" if result.approved else result.status,
                        code=result.code,
                        message=result.message.msgid if result.message else "",
                        message_params=json.dumps(result.message.params if result.message else {}),
                        created_at=now,
                        updated_at=now,
                    )
                )
                .on_conflict(target=SandboxTransaction.idempotency_key, action="DO NOTHING")
                .returning(SandboxTransaction.id)
            )
            if inserted:
                return result
            # Another worker answered this key first: its answer is the answer.
            known = (
                await SandboxTransaction.select()
                .where(SandboxTransaction.idempotency_key == idempotency_key)
                .first()
            )
        if (known["amount_minor"], known["currency"], known["card_last4"]) != request:
            # A programming error, never shown to the shopper: no card data in it.
            raise ValueError("idempotency key reused for a different payment")
        return _original_answer(known)

    async def find(self, idempotency_key: str) -> PaymentResult | None:
        """The answer given to this key, or None if no authorisation was asked with it."""
        known = (
            await SandboxTransaction.select()
            .where(SandboxTransaction.idempotency_key == idempotency_key)
            .first()
        )
        return None if known is None else _original_answer(known)

    def _decide(self, amount_minor: int, currency: str, card: CardDetails) -> PaymentResult:
        digits = card_digits(card.number)
        brand, ending = brand_of(digits) or "", last4(digits)
        errors = validate_card(card, self._today())
        status: PaymentStatus
        message: Message | None = None
        code = ""
        if amount_minor <= 0:
            status, code = "failed", "invalid_amount"
            message = Message(N_("The amount to pay is not valid."))
        elif errors:
            # Checkout validates first; this guards callers that don't.
            status, code, message = "declined", "invalid_card", next(iter(errors.values()))
        elif digits in TEST_CARD_OUTCOMES:
            status, code, text = TEST_CARD_OUTCOMES[digits]
            message = Message(text)
        else:
            status = "approved"
        return PaymentResult(status, new_transaction_id(), brand, ending, message, code)

    async def capture(self, transaction_id: str) -> PaymentResult:
        """Take the authorised amount."""
        return await self._move(
            transaction_id, "authorised", "captured", N_("This payment can't be captured.")
        )

    async def void(self, transaction_id: str) -> PaymentResult:
        """Release an authorisation that was not captured."""
        return await self._move(
            transaction_id, "authorised", "voided", N_("This payment can't be cancelled.")
        )

    async def refund(self, transaction_id: str, amount_minor: int) -> PaymentResult:
        """Give back part or all of a captured payment.

        Refunding all of one that was authorised but never captured releases the authorisation
        (as card sandboxes do): nothing was taken, so nothing is left to give back.
        """
        refusal = N_("This amount can't be refunded.")
        released = await self._move(transaction_id, "authorised", "voided", refusal, amount_minor)
        if released.approved or amount_minor <= 0:
            return released
        now = _now()
        # Conditional on what is left to refund: two refunds at once can't give back too much.
        taken = await (
            SandboxTransaction.update(
                {
                    SandboxTransaction.refunded_minor: SandboxTransaction.refunded_minor
                    + amount_minor,
                    SandboxTransaction.updated_at: now,
                }
            )
            .where(
                (SandboxTransaction.transaction_id == transaction_id)
                & (SandboxTransaction.status == "captured")
                & WhereRaw("refunded_minor + {} <= amount_minor", amount_minor)
            )
            .returning(SandboxTransaction.card_brand, SandboxTransaction.card_last4)
        )
        if not taken:
            return await _answer(transaction_id, refusal)
        # All of it given back: the transaction is refunded.
        await SandboxTransaction.update({SandboxTransaction.status: "refunded"}).where(
            (SandboxTransaction.transaction_id == transaction_id)
            & (SandboxTransaction.status == "captured")
            & WhereRaw("refunded_minor = amount_minor")
        )
        return _approved(transaction_id, taken[0])

    async def _move(
        self,
        transaction_id: str,
        before: str,
        after: str,
        refusal: str,
        amount_minor: int | None = None,
    ) -> PaymentResult:
        condition = (SandboxTransaction.transaction_id == transaction_id) & (
            SandboxTransaction.status == before
        )
        if amount_minor is not None:
            condition &= SandboxTransaction.amount_minor == amount_minor
        moved = await (
            SandboxTransaction.update(
                {SandboxTransaction.status: after, SandboxTransaction.updated_at: _now()}
            )
            .where(condition)
            .returning(SandboxTransaction.card_brand, SandboxTransaction.card_last4)
        )
        if not moved:
            return await _answer(transaction_id, refusal)
        return _approved(transaction_id, moved[0])


def _original_answer(row: dict[str, Any]) -> PaymentResult:
    """The answer an authorisation got, rebuilt from the gateway's book."""
    params = row["message_params"]
    if isinstance(params, str):
        params = json.loads(params or "{}")
    approved = row["status"] in _APPROVED_STATES
    return PaymentResult(
        status="approved" if approved else row["status"],
        transaction_id=row["transaction_id"],
        card_brand=row["card_brand"],
        card_last4=row["card_last4"],
        message=Message(row["message"], params) if row["message"] else None,
        code=row["code"],
    )


def _approved(transaction_id: str, row: dict[str, Any]) -> PaymentResult:
    return PaymentResult(
        status="approved",
        transaction_id=transaction_id,
        card_brand=row["card_brand"],
        card_last4=row["card_last4"],
    )


async def _answer(transaction_id: str, refusal: str) -> PaymentResult:
    """A capture, void or refund refused: failed, with the transaction's card (if it exists)."""
    found = (
        await SandboxTransaction.select(
            SandboxTransaction.card_brand, SandboxTransaction.card_last4
        )
        .where(SandboxTransaction.transaction_id == transaction_id)
        .first()
    )
    return PaymentResult(
        status="failed",
        transaction_id=transaction_id,
        card_brand=found["card_brand"] if found else "",
        card_last4=found["card_last4"] if found else "",
        message=Message(refusal),
        code="invalid_state",
    )


def configured_gateway() -> Gateway:
    """The payment gateway of this installation (the app's and the command line's): the test
    card gateway until a real provider is wired in here."""
    return TestCardGateway()


# -- Bank transfer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BankTransfer:
    """Pay by bank transfer: the order waits for payment until staff mark it paid."""

    bank_name: str = "Okmarts Demo Bank"
    account_holder: str = "Okmarts Trading Ltd."
    # A demo account in IBAN format (the standard's documentation example), not a real one.
    iban: str = "DE89 3704 0044 0532 0130 00"
    bic: str = "OKMADEMOXXX"

    def instructions(self, order_number: str, amount_minor: int, currency: str) -> dict[str, Any]:
        """What the shopper needs to make the transfer (amount in minor units: show as money)."""
        return {
            "bank_name": self.bank_name,
            "account_holder": self.account_holder,
            "iban": self.iban,
            "bic": self.bic,
            "reference": order_number,
            "amount_minor": amount_minor,
            "currency": currency,
            "note": Message(
                N_(
                    "Use the order number %(reference)s as the payment reference. "
                    "We ship your order once the transfer arrives."
                ),
                {"reference": order_number},
            ),
        }
