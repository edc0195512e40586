"""Invoices: one per paid order, numbered without gaps per year, drawn as PDF in the buyer's
language.

Numbering: `issue` runs inside the transaction that makes the order paid (placing a card order,
staff marking a bank transfer paid). It increments the year's counter row with one atomic
upsert (`INSERT … ON CONFLICT (year) DO UPDATE … RETURNING`): on PostgreSQL the row stays locked
until that transaction ends, on SQLite the write transaction holds the database, so two
invoices never get one number; and a rolled-back payment rolls its number back with it, so no
number is skipped. The unique index on `invoice.order` makes "one invoice per order" hold even
against a second call.

Invoices are tax records: kept for services.erasure.ORDER_RETENTION_YEARS, also after the buyer
deletes the account (docs/personal-data.md), and in the buyer's data download.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from okmarts.demo.datasheets import PDF_ENCODING, pdf_text
from okmarts.i18n import N_, Catalogs, _money, babel_locale
from okmarts.settings import Settings
from okmarts.tables.checkout import Order, OrderLine
from okmarts.tables.invoices import Invoice, InvoiceCounter

# TRANSLATORS: the title of a tax invoice (a noun)
INVOICE_TITLE = N_("Invoice")


async def issue(order_id: int, locale: str, now: dt.datetime) -> Invoice:
    """Inside the paying transaction: the order's invoice with the year's next number (the
    existing one if it has one already)."""
    existing = await Invoice.objects().where(Invoice.order == order_id).first()
    if existing is not None:
        return existing
    year = now.year
    rows = await InvoiceCounter.raw(
        "INSERT INTO invoice_counter (year, last_number) VALUES ({}, 1) "
        "ON CONFLICT (year) DO UPDATE SET last_number = invoice_counter.last_number + 1 "
        "RETURNING last_number",
        year,
    )
    sequence = int(rows[0]["last_number"])
    invoice = Invoice(
        order=order_id,
        number=f"{year}-{sequence:06d}",
        year=year,
        sequence=sequence,
        issued_at=now,
        locale=locale[:10],
    )
    await invoice.save()
    return invoice


async def invoice_of(order_id: int) -> Invoice | None:
    return await Invoice.objects().where(Invoice.order == order_id).first()


# -- The PDF --------------------------------------------------------------------------------------


@dataclass
class InvoiceDocument:
    invoice: Invoice
    order: Order
    lines: list[dict]


async def load(order: Order) -> InvoiceDocument | None:
    invoice = await invoice_of(order.id)
    if invoice is None:
        return None
    lines = await OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id)
    return InvoiceDocument(invoice=invoice, order=order, lines=lines)


def file_name(invoice: Invoice) -> str:
    return f"okmarts-invoice-{invoice.number}.pdf"


async def pdf(document: InvoiceDocument, settings: Settings, catalogs: Catalogs) -> bytes:
    """The invoice as PDF, in the language it was issued in (drawing is CPU work: a thread)."""
    return await asyncio.to_thread(render, document, settings, catalogs)


class _Writer:
    """Text in the invoice's language where the font can show it (see Settings.invoice_font)."""

    def __init__(self, settings: Settings, catalogs: Catalogs, locale: str) -> None:
        # fpdf2 (with fontTools) weighs ~29 MB in every worker that imports it: imported when
        # a PDF is made, not with the app (issue 15: memory per worker).
        from fpdf import FPDF

        self.pdf = FPDF(format="A4")
        self.font = "Helvetica"
        self.unicode = False
        font_file = settings.invoice_font
        if font_file and Path(font_file).is_file():
            self.pdf.add_font("invoice", "", font_file)
            self.pdf.add_font("invoice", "B", font_file)
            self.font, self.unicode = "invoice", True
        else:
            self.pdf.core_fonts_encoding = PDF_ENCODING
        translations = catalogs.translations(locale)
        probe = translations.gettext(INVOICE_TITLE)
        if not self.unicode and not _fits(probe):
            # The core fonts can't show this language: English labels, amounts in its format.
            locale = "en"
            translations = catalogs.translations("en")
        self.locale = locale
        self.gettext = translations.gettext

    def text(self, value: str) -> str:
        return value if self.unicode else pdf_text(value)

    def _(self, msgid: str, **values: Any) -> str:
        translated = self.gettext(msgid)
        try:
            translated = translated % values if values else translated
        except (KeyError, ValueError, TypeError):
            translated = msgid % values if values else msgid
        return self.text(translated)

    def money(self, amount_minor: int, currency: str) -> str:
        return self.text(_money(self.locale, amount_minor, currency))

    def date(self, value: dt.datetime) -> str:
        from babel.dates import format_date

        return self.text(format_date(value.date(), "medium", locale=babel_locale(self.locale)))


def _fits(text: str) -> bool:
    try:
        text.encode(PDF_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def render(document: InvoiceDocument, settings: Settings, catalogs: Catalogs) -> bytes:
    """Blocking: call through `pdf`."""
    invoice, order = document.invoice, document.order
    w = _Writer(settings, catalogs, invoice.locale)
    p, _ = w.pdf, w._
    p.set_auto_page_break(auto=True, margin=15)
    p.add_page()
    p.set_font(w.font, "B", 18)
    p.cell(0, 10, _(INVOICE_TITLE), new_x="LMARGIN", new_y="NEXT")
    p.set_font(w.font, "", 10)
    facts = [
        (_(N_("Invoice number")), invoice.number),
        (_(N_("Invoice date")), w.date(invoice.issued_at)),
        (_(N_("Order number")), order.number),
        (_(N_("Order date")), w.date(order.created_at)),
    ]
    if order.po_number:
        facts.append((_(N_("Purchase-order number")), w.text(order.po_number)))
    for label, value in facts:
        p.cell(50, 6, label)
        p.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    p.ln(4)
    top = p.get_y()
    # Seller left, buyer right.
    p.set_font(w.font, "B", 10)
    p.cell(90, 6, _(N_("Seller")))
    p.cell(0, 6, _(N_("Buyer")), new_x="LMARGIN", new_y="NEXT")
    p.set_font(w.font, "", 10)
    seller = [settings.seller_address]
    if settings.seller_vat_number:
        seller.append(_(N_("VAT number: %(number)s"), number=settings.seller_vat_number))
    p.multi_cell(85, 5, w.text("\n".join([settings.seller_name, *seller])))
    left_end = p.get_y()
    p.set_xy(p.l_margin + 90, top + 6)
    buyer: list[str] = []
    if order.for_company:
        buyer.append(order.company)
        if order.tax_id:
            buyer.append(_(N_("VAT number: %(number)s"), number=order.tax_id))
        buyer.append(order.billing_address)
    else:
        buyer += [order.recipient, order.line, f"{order.zip_code} {order.city}", order.country]
    p.multi_cell(0, 5, w.text("\n".join(part for part in buyer if part.strip())))
    p.set_y(max(left_end, p.get_y()) + 6)
    _lines_table(w, document)
    _totals(w, order)
    p.set_font(w.font, "", 8)
    if any(line.get("reverse_charge") for line in _tax_lines(order)):
        p.ln(2)
        p.multi_cell(
            0,
            4,
            _(
                N_(
                    "Reverse charge: VAT is due from the recipient of the supply (Article 196 "
                    "of Council Directive 2006/112/EC)."
                )
            ),
        )
    return bytes(p.output())


def _tax_lines(order: Order) -> list[dict]:
    lines = order.tax_lines
    if isinstance(lines, str):
        import json

        try:
            lines = json.loads(lines or "[]")
        except ValueError:
            lines = []
    return [line for line in lines or [] if isinstance(line, dict)]


def _lines_table(w: _Writer, document: InvoiceDocument) -> None:
    p, _, order = w.pdf, w._, document.order
    widths = (30, 80, 18, 30, 32)
    p.set_font(w.font, "B", 9)
    heads = (_(N_("SKU")), _(N_("Product")), _(N_("Quantity")), _(N_("Unit price")))
    for width, head in zip(widths, (*heads, _(N_("Line total"))), strict=True):
        p.cell(width, 7, head, border="B")
    p.ln()
    p.set_font(w.font, "", 9)
    for line in document.lines:
        p.cell(widths[0], 6, w.text(line["sku"])[:24])
        p.cell(widths[1], 6, w.text(line["title"])[:60])
        p.cell(widths[2], 6, str(line["quantity"]), align="R")
        p.cell(widths[3], 6, w.money(line["unit_price_minor"], order.currency), align="R")
        p.cell(widths[4], 6, w.money(line["line_total_minor"], order.currency), align="R")
        p.ln()
    p.ln(2)


def _totals(w: _Writer, order: Order) -> None:
    p, _ = w.pdf, w._
    rows: list[tuple[str, str]] = [
        (_(N_("Subtotal")), w.money(order.subtotal_minor, order.currency))
    ]
    if order.discount_minor:
        rows.append((_(N_("Discount")), "-" + w.money(order.discount_minor, order.currency)))
    if order.points_value_minor:
        rows.append((_(N_("Points used")), "-" + w.money(order.points_value_minor, order.currency)))
    rows.append((_(N_("Shipping")), w.money(order.shipping_minor, order.currency)))
    taxes = _tax_lines(order)
    for tax in taxes:
        label = (
            _(N_("VAT %(rate)s%% reverse charge (%(country)s)"), **tax)
            if tax.get("reverse_charge")
            else _(N_("VAT %(rate)s%% (%(country)s)"), **tax)
        )
        rows.append((label, w.money(int(tax.get("tax_minor") or 0), order.currency)))
    if not taxes:
        rows.append((_(N_("No tax charged on this order")), w.money(0, order.currency)))
    rows.append((_(N_("Total")), w.money(order.total_minor, order.currency)))
    for index, (label, value) in enumerate(rows):
        last = index == len(rows) - 1
        p.set_font(w.font, "B" if last else "", 10)
        p.cell(140, 6, label, align="R", border="T" if last else "")
        p.cell(50, 6, value, align="R", border="T" if last else "", new_x="LMARGIN", new_y="NEXT")
