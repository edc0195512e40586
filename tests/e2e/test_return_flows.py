"""After-sales in the browser (issue 16), JavaScript on and off: a part bought by card arrives
damaged; the shopper returns it from the order page with a photo (a file that is no photo is
refused first, the form kept), staff approve and mark it received, and the card is refunded,
stock comes back and the points earned on it are taken back. A second return is refused, and
the shopper escalates it to a complaint with its case number and 15-day due date.

Once (JavaScript off for the shopper): a part paid by bank transfer comes back with a photo;
staff, signed in to their pages, see the photo, and after the parts are received mark the bank
refund paid with its reference; the shopper reads it on the return's page and in an email."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from babel.dates import format_date
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.conftest import TestDatabase
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import query, shopper_page
from tests.e2e.returns_staff import INSTRUCTIONS, REFUSAL, return_step
from tests.e2e.staff import deliver_order
from tests.e2e.steps import assert_no_page_load, fill_address, mark_page
from tests.e2e.test_account_flows import follow_mailed_link, new_email, sign_up
from tests.e2e.test_admin import create_staff, sign_in
from tests.e2e.test_checkout_flows import SUCCESS_CARD, well_stocked_products
from tests.smtp import SmtpSink


def _stock(database: TestDatabase, slug: str) -> int:
    [(stock,)] = query(database, f"SELECT stock FROM product WHERE slug = '{slug}'")
    return int(stock)


def _photo(folder: Path, name: str) -> Path:
    """A photo of a damaged part, as a phone saves it (with a camera name in its EXIF)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneCam"
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (160, 60, 40)).save(out, format="JPEG", exif=exif)
    path = folder / name
    path.write_bytes(out.getvalue())
    return path


def _ask_to_return(
    page: Page,
    number: str,
    title: str,
    reason: str,
    note: str,
    photos: list[Path] | None = None,
    *,
    opened: bool = False,
) -> str:
    if not opened:
        page.goto(f"/account/orders/{number}")
        page.get_by_role("link", name="Return parts").click()
    expect(page.get_by_role("heading", name=f"Return parts of order {number}")).to_be_visible()
    page.get_by_label(f"Quantity of {title} to return").fill("1")
    page.get_by_label("Why do you return them?").select_option(label=reason)
    page.get_by_label("What happened? (optional)").fill(note)
    if photos:
        page.get_by_label("Photos of the parts (optional)").set_input_files(photos)
    page.get_by_role("button", name="Ask to return these parts").click()
    expect(page.get_by_text("We received your return request")).to_be_visible()
    heading = page.get_by_role("heading", level=1).inner_text()
    found = re.search(r"R-\d{4}-\d{6}", heading)
    assert found is not None, heading
    return found.group(0)


def test_a_damaged_part_is_returned_and_refunded_then_a_complaint(
    page: Page,
    javascript: bool,
    mail_server: SmtpSink,
    live_server: str,
    seeded_database: TestDatabase,
    tmp_path: Path,
) -> None:
    email = new_email("returns")
    sign_up(page, email)
    follow_mailed_link(page, mail_server, email, "Confirm your email address")
    [(_sku, slug)] = well_stocked_products(seeded_database, 1)

    # Two of a part, paid by card; staff ship and deliver them.
    page.goto(f"/products/{slug}")
    title = page.get_by_role("heading", level=1).inner_text()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.locator("#cart-count")).to_contain_text("2")
    page.goto("/checkout")
    fill_address(page)
    page.get_by_label("Name on the card").fill("Mia Wong")
    page.get_by_label("Card number").fill(SUCCESS_CARD)
    page.get_by_label("Expiry (MM/YY)").fill("12/35")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Thank you for your order!")).to_be_visible()
    number = re.search(r"OK-\d{6}-[A-Z0-9]{6}", page.get_by_role("heading", level=1).inner_text())
    assert number is not None
    order = number.group(0)
    deliver_order(seeded_database, live_server, order)
    stock_before = _stock(seeded_database, slug)

    # One arrived damaged: the shopper asks to return it (a wrong quantity and a file that is
    # no photo first: both messages, the typed note kept).
    page.goto(f"/account/orders/{order}")
    page.get_by_role("link", name="Return parts").click()
    mark_page(page, javascript)
    page.get_by_label(f"Quantity of {title} to return").fill("5")
    page.get_by_label("What happened? (optional)").fill("The housing is cracked.")
    not_a_photo = tmp_path / "notes.jpg"
    not_a_photo.write_text("not a photo at all")
    page.get_by_label("Photos of the parts (optional)").set_input_files(not_a_photo)
    page.get_by_role("button", name="Ask to return these parts").click()
    expect(page.get_by_text("Enter a whole number from 0 to 2.")).to_be_visible()
    expect(page.get_by_text("notes is not a photo we can read")).to_be_visible()
    expect(page.get_by_label("What happened? (optional)")).to_have_value("The housing is cracked.")
    assert_no_page_load(page, javascript)
    if javascript:  # the accessibility scan (axe-core) needs scripts
        assert_accessible(page, "the return form with its errors")
    first = _ask_to_return(
        page,
        order,
        title,
        "A part arrived damaged",
        "The housing is cracked.",
        [_photo(tmp_path, "cracked housing.jpg")],
        opened=True,
    )
    expect(page.locator("#return-photos")).to_contain_text("cracked-housing.jpg")
    mail_server.wait_for(email, subject_contains=first)

    return_step(seeded_database, live_server, "approve", first)
    page.reload()
    expect(page.locator("#return-instructions")).to_have_text(INSTRUCTIONS)
    return_step(seeded_database, live_server, "receive", first)
    page.reload()
    expect(page.locator("#return-status")).to_have_text("Refunded")
    expect(page.locator("#return-refund")).to_contain_text("$")
    mail_server.wait_for(email, subject_contains=f"Return {first} refunded")
    # Stock is back; the card was refunded; the points earned on the part were taken back.
    assert _stock(seeded_database, slug) == stock_before + 1
    [(refund, state)] = query(
        seeded_database,
        f"SELECT refund_minor, refund_state FROM return_request WHERE number = '{first}'",
    )
    [(refunded,)] = query(
        seeded_database,
        "SELECT s.refunded_minor FROM sandbox_transaction s JOIN payment p"
        ' ON p.transaction_id = s.transaction_id JOIN shop_order o ON o.id = p."order"'
        f" WHERE o.number = '{order}'",
    )
    assert state == "done" and int(refunded) == int(refund) > 0
    taken = query(
        seeded_database,
        "SELECT e.amount FROM points_entry e JOIN account a ON a.id = e.account"
        f" WHERE a.email = '{email}' AND e.reason = 'return_taken_back'",
    )
    assert len(taken) == 1 and int(taken[0][0]) < 0
    page.goto(f"/account/orders/{order}")
    expect(page.locator(".order-history")).to_contain_text("Return refunded")

    # The other one: refused; the shopper escalates it to a complaint.
    second = _ask_to_return(page, order, title, "I no longer need it", "Ordered one too many.")
    return_step(seeded_database, live_server, "refuse", second)
    page.reload()
    expect(page.locator("#return-refusal")).to_have_text(REFUSAL)
    if javascript:
        assert_accessible(page, "a refused return")
    mark_page(page, javascript)
    page.get_by_role("button", name="Open a complaint").click()
    expect(page.get_by_text("Write at least 2 characters.")).to_be_visible()
    assert_no_page_load(page, javascript)
    page.get_by_label("What is your complaint?").fill("The seal was intact when I sent it.")
    page.get_by_role("button", name="Open a complaint").click()
    expect(page.get_by_text("Your complaint is open.")).to_be_visible()
    case = page.locator("#complaint-case").inner_text()
    assert re.fullmatch(r"K-\d{4}-\d{6}", case), case
    [(created, due)] = query(
        seeded_database,
        f"SELECT created_at, due_at FROM complaint WHERE case_number = '{case}'",
    )
    created_at, due_at = (
        value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        for value in (created, due)
    )
    assert due_at - created_at == dt.timedelta(days=15)
    expect(page.locator("#complaint-due")).to_have_text(format_date(due_at.date(), locale="en"))
    mail_server.wait_for(email, subject_contains=f"Complaint {case} received")
    if javascript:
        assert_accessible(page, "a complaint")


def test_a_bank_refund_is_marked_paid_by_staff_who_see_the_photo(
    browser: Browser,
    mail_server: SmtpSink,
    live_server: str,
    seeded_database: TestDatabase,
    tmp_path: Path,
) -> None:
    email = new_email("bank-return")
    [(_sku, slug)] = well_stocked_products(seeded_database, 1)
    with shopper_page(browser, live_server, javascript=False) as page:
        sign_up(page, email)
        follow_mailed_link(page, mail_server, email, "Confirm your email address")
        page.goto(f"/products/{slug}")
        title = page.get_by_role("heading", level=1).inner_text()
        page.get_by_role("button", name="Add to cart", exact=True).click()
        page.goto("/checkout")
        fill_address(page)
        page.get_by_label("Bank transfer").check()
        page.get_by_role("button", name="Place order").click()
        expect(page.get_by_text("Thank you for your order!")).to_be_visible()
        found = re.search(
            r"OK-\d{6}-[A-Z0-9]{6}", page.get_by_role("heading", level=1).inner_text()
        )
        assert found is not None
        order = found.group(0)
        deliver_order(seeded_database, live_server, order)  # paid, shipped, delivered
        number = _ask_to_return(
            page,
            order,
            title,
            "A part arrived damaged",
            "Dented on one side.",
            [_photo(tmp_path, "dent.jpg")],
        )
        return_step(seeded_database, live_server, "approve", number)
        return_step(seeded_database, live_server, "receive", number)
        page.reload()
        expect(page.locator("#return-refund")).to_contain_text(
            "paid by bank transfer to the account you paid from"
        )
        [(return_id,)] = query(
            seeded_database, f"SELECT id FROM return_request WHERE number = '{number}'"
        )

        # Staff (the service role) see the photo and record the transfer they made.
        staff_email, password = create_staff(seeded_database, "service")
        context = browser.new_context(base_url=live_server, locale="en-US")
        staff = context.new_page()
        staff.set_default_timeout(10_000)
        sign_in(staff, staff_email, password)
        staff.goto(f"/admin/service/returns/{return_id}/")
        expect(staff.locator("#return-photos")).to_contain_text("dent.jpg")
        with staff.expect_download() as download:
            staff.get_by_role("link", name="dent.jpg").click()
        photo = Image.open(download.value.path())
        assert photo.format == "JPEG" and not photo.getexif()
        staff.get_by_label("Payment reference of the transfer").fill("SEPA-2026-0042")
        staff.get_by_role("button", name="Mark the refund paid").click()
        expect(staff.locator("#return-refund-paid")).to_contain_text("SEPA-2026-0042")
        context.close()

        mail_server.wait_for(email, subject_contains=f"Return {number}: refund paid")
        page.reload()
        expect(page.locator("#return-refund-paid")).to_contain_text("SEPA-2026-0042")
        page.goto(f"/account/orders/{order}")
        expect(page.locator(".order-history")).to_contain_text(
            "Return refund paid by bank transfer"
        )
