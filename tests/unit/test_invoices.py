"""Invoices: one per paid order, numbered without gaps under concurrency, a PDF for the buyer
(and the company's members) only, with the PO number on the order, email and invoice."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.db import write_transaction
from okmarts.services import invoices, order_status
from okmarts.tables.checkout import Order
from okmarts.tables.invoices import Invoice
from okmarts.tables.messaging import OutboxMessage
from tests.states.accounts import errors_in, post_form, verified_account, verified_shopper
from tests.states.catalog import new_product
from tests.states.orders import checkout_fields, checkout_key, place_order


async def _unpaid_order(account_id: int) -> int:
    order = Order(
        number=f"OK-I-{uuid.uuid4().hex[:8].upper()}",
        account=account_id,
        checkout_key=uuid.uuid4().hex,
        status="awaiting_payment",
        subtotal_minor=1000,
        total_minor=1000,
        recipient="R",
        phone="+1 555 0100",
        email="r@example.com",
        country="US",
        city="X",
        line="1 Y St",
        zip_code="10001",
    )
    await order.save()
    return order.id


async def test_twenty_concurrent_invoices_have_no_gaps_and_no_duplicates(app: Litestar) -> None:
    buyer = await verified_shopper()
    order_ids = [await _unpaid_order(buyer.id) for _ in range(20)]
    year = dt.datetime.now(dt.UTC).year
    before = await Invoice.count().where(Invoice.year == year)
    settings = app.state.settings
    await asyncio.gather(
        *(
            order_status.change_status(order_id, "paid", actor="staff", settings=settings)
            for order_id in order_ids
        )
    )
    # And a second issue for the same orders changes nothing (one invoice per order).
    async with write_transaction(Invoice._meta.db):
        await invoices.issue(order_ids[0], "en", dt.datetime.now(dt.UTC))
    rows = await Invoice.select(Invoice.sequence, Invoice.number).where(Invoice.year == year)
    sequences = sorted(row["sequence"] for row in rows)
    assert len(rows) == before + 20
    assert sequences == list(range(1, len(rows) + 1)), sequences  # no gap, no duplicate
    assert len({row["number"] for row in rows}) == len(rows)
    ours = await Invoice.select(Invoice.number).where(Invoice.order.is_in(order_ids))
    assert len(ours) == 20 and all(row["number"].startswith(f"{year}-") for row in ours)


async def test_a_failed_payment_leaves_no_gap(app: Litestar) -> None:
    buyer = await verified_shopper()
    year = dt.datetime.now(dt.UTC).year
    first = await _unpaid_order(buyer.id)
    try:
        async with write_transaction(Invoice._meta.db):
            await invoices.issue(first, "en", dt.datetime.now(dt.UTC))
            raise RuntimeError("the payment's transaction fails")
    except RuntimeError:
        pass
    await order_status.change_status(first, "paid", actor="staff", settings=app.state.settings)
    rows = await Invoice.select(Invoice.sequence).where(Invoice.year == year)
    assert sorted(row["sequence"] for row in rows) == list(range(1, len(rows) + 1))


async def test_card_order_with_po_number_gets_an_invoice_pdf(app: Litestar) -> None:
    product = await new_product(5)
    async with (
        AsyncTestClient(app=app) as client,
        AsyncTestClient(app=app) as stranger,
    ):
        account = await verified_account(client)
        await post_form(client, "/cart/lines", {"product_id": str(product["id"])})
        key = await checkout_key(client)
        bad = await post_form(client, "/checkout", checkout_fields(key, po_number="PO <1>"))
        assert bad.status_code == 422
        assert any("purchase-order number" in error for error in errors_in(bad.text))
        assert 'value="PO &lt;1&gt;"' in bad.text
        fields = checkout_fields(
            "",
            po_number="PO-2026/0042",
            for_company="yes",
            company="Hydraulik GmbH",
            tax_id="DE136695976",
            billing_address="Hauptstr. 1, 10115 Berlin",
        )
        fields.pop("checkout_key")
        order = await place_order(client, product, fields)
        assert order.status == "paid" and order.po_number == "PO-2026/0042"
        invoice = await Invoice.objects().where(Invoice.order == order.id).first()
        assert invoice is not None and invoice.locale == account.locale
        page = await client.get(f"/account/orders/{order.number}")
        assert "PO-2026/0042" in page.text and invoice.number in page.text
        mail = (
            await OutboxMessage.select(OutboxMessage.text_body)
            .where(
                (OutboxMessage.kind == "order_confirmation") & (OutboxMessage.account == account.id)
            )
            .first()
        )
        assert "PO-2026/0042" in mail["text_body"]
        pdf = await client.get(f"/account/orders/{order.number}/invoice")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"].startswith("attachment;")
        assert invoice.number in pdf.headers["content-disposition"]
        await verified_account(stranger)
        assert (await stranger.get(f"/account/orders/{order.number}/invoice")).status_code == 404


def test_the_pdf_shows_seller_buyer_taxes_po_and_reverse_charge(app: Litestar) -> None:
    order = Order(
        id=1,
        number="OK-260101-ABCDEF",
        currency="EUR",
        subtotal_minor=10000,
        discount_minor=1000,
        shipping_minor=500,
        total_minor=9500,
        tax_lines=[
            {
                "rate": "0",
                "country": "FR",
                "base_minor": 9500,
                "tax_minor": 0,
                "reverse_charge": True,
            }
        ],
        po_number="PO-77",
        for_company=True,
        company="Société Générale Industrie",
        tax_id="FR40303265045",
        billing_address="1 rue de Paris, 75001 Paris",
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    invoice = Invoice(
        order=1,
        number="2026-000007",
        year=2026,
        sequence=7,
        locale="es",
        issued_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
    )
    lines = [
        {
            "sku": "6ES7",
            "title": "PLC",
            "quantity": 2,
            "unit_price_minor": 5000,
            "line_total_minor": 10000,
        }
    ]
    document = invoices.InvoiceDocument(invoice=invoice, order=order, lines=lines)
    writer_text: list[str] = []
    # (services.invoices imports fpdf when it writes: the spy goes on fpdf's own class.)
    from fpdf import FPDF

    original = FPDF.cell

    def spy(self, *args, **kwargs):
        text = kwargs.get("text", args[2] if len(args) > 2 else "")
        writer_text.append(str(text))
        return original(self, *args, **kwargs)

    FPDF.cell = spy
    try:
        pdf = invoices.render(document, app.state.settings, app.state.catalogs)
    finally:
        FPDF.cell = original
    assert pdf.startswith(b"%PDF")
    shown = " ".join(writer_text)
    for expected in ("2026-000007", "OK-260101-ABCDEF", "PO-77"):
        assert expected in shown
    assert "reverse" in shown.lower() or "inversi" in shown.lower()
