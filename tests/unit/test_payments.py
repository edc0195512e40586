"""Card checks, the test card gateway and bank transfer (services.payments).

The checks are pure; the test gateway keeps its book in the database (the `app` fixture binds
the tables to the test database), so every idempotency key here is unique to its test."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid

import pytest
from litestar import Litestar

from okmarts.services.payments import (
    TEST_CARDS,
    BankTransfer,
    CardDetails,
    Gateway,
    TestCardGateway,
    brand_of,
    last4,
    luhn_valid,
    validate_card,
)
from okmarts.tables.checkout import SandboxTransaction

TODAY = dt.date(2026, 11, 26)
VISA = "4242 4242 4242 4242"


def card(
    number: str = VISA, expiry: str = "12/28", cvc: str = "123", holder: str = "Li Wei"
) -> CardDetails:
    return CardDetails(number=number, expiry=expiry, cvc=cvc, holder=holder)


def gateway() -> TestCardGateway:
    return TestCardGateway(today=lambda: TODAY)


def key(name: str) -> str:
    """An idempotency key no other test (or earlier run on this database) has used."""
    return f"{name}-{uuid.uuid4().hex[:12]}"


def test_luhn() -> None:
    assert luhn_valid("4242424242424242")
    assert luhn_valid("378282246310005")
    assert luhn_valid("0")
    assert not luhn_valid("4242424242424241")
    assert not luhn_valid("")
    assert not luhn_valid("4242x42424242424")


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242 4242 4242 4242", "Visa"),
        ("5555-5555-5555-4444", "Mastercard"),
        ("2223003122003222", "Mastercard"),  # the 2-series range
        ("3782 822463 10005", "Amex"),
        ("6011 1111 1111 1117", "Discover"),
        ("6500000000000002", "Discover"),
        ("3566 0020 2036 0505", "JCB"),
        ("6200 0000 0000 0005", "UnionPay"),
        ("6205500000000000004", "UnionPay"),  # 19 digits
        ("3056930009020004", None),  # Diners Club: not accepted
        ("", None),
    ],
)
def test_brands(number: str, brand: str | None) -> None:
    assert brand_of(number) == brand
    if brand:
        assert validate_card(card(number, cvc="1234" if brand == "Amex" else "123"), TODAY) == {}


def test_number_problems() -> None:
    for number in ["4242 4242 4242 424x", "4242.4242.4242.4242"]:
        assert set(validate_card(card(number), TODAY)) == {"number"}
    assert validate_card(card("42424242424"), TODAY)["number"].msgid.startswith("A card number")
    assert validate_card(card("4" * 20), TODAY)["number"].msgid.startswith("A card number")
    assert "not valid" in validate_card(card("4242 4242 4242 4241"), TODAY)["number"].msgid
    assert "We accept" in validate_card(card("3056930009020004"), TODAY)["number"].msgid
    assert last4("4242-4242-4242-4242") == "4242"


def test_expiry_this_month_is_valid_last_month_is_not() -> None:
    for good in ["11/26", "11/2026", " 1/27 ", "12 / 2030"]:
        assert "expiry" not in validate_card(card(expiry=good), TODAY), good
    assert validate_card(card(expiry="10/26"), TODAY)["expiry"].msgid == "This card has expired."
    assert "expiry" in validate_card(card(expiry="12/2025"), TODAY)
    for bad in ["", "13/27", "00/27", "1127", "11-27", "11/270", "11/2060"]:
        assert "expiry" in validate_card(card(expiry=bad), TODAY), bad


def test_cvc_has_three_digits_and_four_for_amex() -> None:
    assert "cvc" not in validate_card(card(cvc="123"), TODAY)
    for bad in ["12", "1234", "12a", ""]:
        assert "cvc" in validate_card(card(cvc=bad), TODAY)
    amex = "378282246310005"
    assert "cvc" not in validate_card(card(amex, cvc="1234"), TODAY)
    problem = validate_card(card(amex, cvc="123"), TODAY)["cvc"]
    assert problem.params == {"digits": 4}


def test_holder_is_required() -> None:
    assert "holder" in validate_card(card(holder="   "), TODAY)
    assert "holder" in validate_card(card(holder="x" * 101), TODAY)


@pytest.mark.parametrize(
    ("number", "status", "code", "brand"),
    [
        ("4242 4242 4242 4242", "approved", "", "Visa"),
        ("5555 5555 5555 4444", "approved", "", "Mastercard"),
        ("3566 0020 2036 0505", "approved", "", "JCB"),  # any other valid card
        ("4000 0000 0000 0002", "declined", "card_declined", "Visa"),
        ("4000 0000 0000 9995", "declined", "insufficient_funds", "Visa"),
        ("4000 0000 0000 0069", "declined", "expired_card", "Visa"),
        ("4000 0000 0000 0119", "failed", "processing_error", "Visa"),
        ("4242 4242 4242 4241", "declined", "invalid_card", "Visa"),  # fails Luhn
    ],
)
async def test_each_test_card_outcome(
    app: Litestar, number: str, status: str, code: str, brand: str
) -> None:
    result = await gateway().authorize(12_345, "USD", card(number), key("key-1"))
    assert (result.status, result.code, result.card_brand) == (status, code, brand)
    assert result.card_last4 == number[-4:]
    assert re.fullmatch(r"test_[0-9a-f]{24}", result.transaction_id)
    assert (result.message is None) is (status == "approved")
    if code == "card_declined":
        assert result.message and result.message.msgid == "Your card was declined."
    if code == "processing_error":
        assert result.message and result.message.msgid == (
            "The payment could not be processed. Please try again."
        )


async def test_the_same_idempotency_key_gives_the_same_answer(app: Litestar) -> None:
    payments = gateway()
    k42, k43, k44, k45 = key("order-42"), key("order-43"), key("order-44"), key("order-45")
    first = await payments.authorize(5_000, "USD", card(), k42)
    again = await payments.authorize(5_000, "USD", card(), k42)
    other = await payments.authorize(5_000, "USD", card(), k43)
    assert again == first
    assert other.transaction_id != first.transaction_id
    declined = await payments.authorize(5_000, "USD", card("4000000000000002"), k44)
    assert await payments.authorize(5_000, "USD", card("4000000000000002"), k44) == declined
    # A declined card's message keeps its values (the security code's length, here).
    bad_cvc = await payments.authorize(5_000, "USD", card(cvc="1"), k45)
    assert bad_cvc.message is not None and bad_cvc.message.params == {"digits": 3}
    assert await payments.authorize(5_000, "USD", card(cvc="1"), k45) == bad_cvc
    # Another gateway object (another worker, a restarted server) gives the same answers.
    assert await gateway().authorize(5_000, "USD", card(), k42) == first
    assert await gateway().find(k44) == declined and await gateway().find(key("never")) is None
    with pytest.raises(ValueError) as error:
        await payments.authorize(9_999, "USD", card(), k42)
    assert "4242424242424242" not in str(error.value)


async def test_concurrent_authorisations_of_one_key_give_one_answer(app: Litestar) -> None:
    shared = key("race")
    answers = await asyncio.gather(
        *(gateway().authorize(5_000, "USD", card(), shared) for _ in range(5))
    )
    assert len({answer.transaction_id for answer in answers}) == 1
    assert await SandboxTransaction.count().where(SandboxTransaction.idempotency_key == shared) == 1


async def test_capture_void_and_refund(app: Litestar) -> None:
    payments = gateway()
    authorized = await payments.authorize(5_000, "USD", card(), key("a"))
    assert (await payments.capture(authorized.transaction_id)).approved
    assert not (await payments.capture(authorized.transaction_id)).approved  # only once
    assert not (await payments.void(authorized.transaction_id)).approved  # captured already
    assert (await payments.refund(authorized.transaction_id, 2_000)).approved
    assert not (await payments.refund(authorized.transaction_id, 3_001)).approved
    assert (await payments.refund(authorized.transaction_id, 3_000)).approved

    other = await payments.authorize(5_000, "USD", card(), key("b"))
    assert (await payments.void(other.transaction_id)).approved
    assert not (await payments.capture(other.transaction_id)).approved
    assert not (await payments.refund(other.transaction_id, 5_000)).approved
    # Refunding all of an uncaptured payment releases it; part of it can't be refunded.
    uncaptured = await payments.authorize(5_000, "USD", card(), key("d"))
    assert not (await payments.refund(uncaptured.transaction_id, 1_000)).approved
    assert (await payments.refund(uncaptured.transaction_id, 5_000)).approved
    assert not (await payments.capture(uncaptured.transaction_id)).approved
    assert not (await payments.refund("test_unknown", 100)).approved
    declined = await payments.authorize(5_000, "USD", card("4000000000000002"), key("c"))
    assert not (await payments.capture(declined.transaction_id)).approved
    book = await SandboxTransaction.select(
        SandboxTransaction.status, SandboxTransaction.refunded_minor
    ).where(SandboxTransaction.transaction_id == authorized.transaction_id)
    assert book == [{"status": "refunded", "refunded_minor": 5_000}]
    assert not (await payments.refund(authorized.transaction_id, 1)).approved  # nothing left


async def test_a_new_gateway_object_settles_what_another_authorised(app: Litestar) -> None:
    """State lives in the database: a worker (or a restarted server) captures, voids and refunds
    what another gateway object authorised, and two of them can't take one step twice."""
    held = await gateway().authorize(7_000, "USD", card(TEST_CARDS.success), key("restart"))
    captures = await asyncio.gather(*(gateway().capture(held.transaction_id) for _ in range(4)))
    assert sum(answer.approved for answer in captures) == 1
    refunds = await asyncio.gather(
        *(gateway().refund(held.transaction_id, 3_000) for _ in range(4))
    )
    assert sum(answer.approved for answer in refunds) == 2  # 6,000 of 7,000: no more fits
    other = await gateway().authorize(7_000, "USD", card(), key("restart-void"))
    voids = await asyncio.gather(*(gateway().void(other.transaction_id) for _ in range(4)))
    assert sum(answer.approved for answer in voids) == 1


def test_the_test_gateway_is_a_gateway() -> None:
    payments: Gateway = gateway()
    assert payments is not None


async def test_no_full_number_or_cvc_in_reprs_results_or_errors(app: Litestar) -> None:
    numbers = ["4242424242424242", "4000000000000002", "4000000000000119", "4242424242424241"]
    payments = gateway()
    for index, number in enumerate(numbers):
        details = card(" ".join(re.findall("....", number)), cvc="987")
        asked = key(f"key-{index}")
        result = await payments.authorize(100, "USD", details, asked)
        errors = validate_card(details, TODAY)
        texts = [repr(details), str(details), repr(result), str(result), repr(errors)]
        # The gateway's book, as stored (less keys, ids and times: random digits could hold
        # "987" by chance).
        texts += [
            repr(row)
            for row in await SandboxTransaction.select(
                *(
                    column
                    for column in SandboxTransaction._meta.columns
                    if column._meta.name
                    not in {"id", "idempotency_key", "transaction_id", "created_at", "updated_at"}
                )
            ).where(SandboxTransaction.idempotency_key == asked)
        ]
        for text in texts:
            # Transaction ids are random hex: they could hold "987" by chance.
            text = re.sub(r"test_[0-9a-f]{24}", "", text)
            assert number not in text.replace(" ", "")
            assert "987" not in text
    assert "last4='4242'" in repr(card())


def test_bank_transfer_instructions() -> None:
    details = BankTransfer().instructions("OK-2026-000123", 45_600, "USD")
    assert details["reference"] == "OK-2026-000123"
    assert (details["amount_minor"], details["currency"]) == (45_600, "USD")
    assert details["iban"].replace(" ", "").isalnum() and details["bank_name"]
    assert details["note"].params == {"reference": "OK-2026-000123"}
