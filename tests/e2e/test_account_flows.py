"""A shopper signs up, confirms the email from the real mailbox, completes the profile, resets the
password; a child waits for a guardian. With JavaScript on (htmx) and off (plain forms)."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.steps import assert_no_page_load, fill_address, mark_page
from tests.smtp import SmtpSink, links_in

PASSWORD = "amber lathe 47 spindle"


def new_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}{chr(64)}example.com"


def sign_up(page: Page, email: str, **extra: str) -> None:
    page.goto("/register")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    for label, value in extra.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("I have read and accept the privacy policy.").check()
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/account\?notice=welcome$"))


def follow_mailed_link(page: Page, mail_server: SmtpSink, recipient: str, subject: str) -> None:
    message = mail_server.wait_for(recipient, subject_contains=subject)
    [link] = links_in(message)[:1]
    page.goto(link)


def avatar_file(tmp_path: Path) -> Path:
    path = tmp_path / "me.jpg"
    output = io.BytesIO()
    Image.new("RGB", (800, 600), (12, 92, 173)).save(output, format="JPEG")
    path.write_bytes(output.getvalue())
    return path


def complete_profile(page: Page, tmp_path: Path) -> None:
    """Fill every profile field, picture included, on the profile page; see the reward."""
    page.get_by_label("Upload a picture").set_input_files(avatar_file(tmp_path))
    page.get_by_label("Nickname").fill("lena_f")
    page.get_by_label("Real name").fill("Lena Fischer")
    page.get_by_label("Gender").select_option("female")
    page.get_by_label("Date of birth").fill("1988-04-02")
    page.get_by_label("Company").fill("Fischer Automation GmbH")
    page.get_by_label("Address", exact=True).fill("Werkstraße 12, Stuttgart")
    page.get_by_label("Zip code").fill("70173")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("50 points are yours")).to_be_visible()


def test_sign_up_verify_complete_the_profile_and_earn_50_points(
    page: Page, javascript: bool, mail_server: SmtpSink, tmp_path: Path
) -> None:
    email = new_email("lena")
    page.goto("/register")
    # A bad first try: the messages appear in the form (swapped in place with JS).
    mark_page(page, javascript)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Use at least 10 characters for your password.")).to_be_visible()
    expect(page.get_by_text("Please read and accept the privacy policy")).to_be_visible()
    assert_no_page_load(page, javascript)
    expect(page.get_by_label("Email address")).to_have_value(email)

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("I have read and accept the privacy policy.").check()
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/account\?notice=welcome$"))
    expect(page.get_by_role("heading", name="Please confirm your email address")).to_be_visible()

    follow_mailed_link(page, mail_server, email, "Confirm your email address")
    expect(page.get_by_role("heading", name="Email address confirmed")).to_be_visible()
    page.get_by_role("link", name="Go to my account").click()
    expect(page.get_by_text("Your account is fully active")).to_be_visible()
    expect(page.locator("#points-balance")).to_have_text("0")

    page.get_by_role("link", name="Edit profile").click()
    complete_profile(page, tmp_path)
    avatar = page.get_by_role("img", name="Your current picture")
    expect(avatar).to_be_visible()
    assert avatar.evaluate("img => img.naturalWidth") == 256

    page.get_by_role("link", name="Points").click()
    expect(page.locator("#points-balance")).to_have_text("50")
    expect(page.get_by_role("cell", name="Profile completed")).to_be_visible()

    # Saving the complete profile again earns nothing more.
    page.get_by_role("link", name="Profile").click()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    page.get_by_role("link", name="Points").click()
    expect(page.locator("#points-balance")).to_have_text("50")
    expect(page.get_by_role("cell", name="Profile completed")).to_have_count(1)


def test_reset_a_forgotten_password(page: Page, javascript: bool, mail_server: SmtpSink) -> None:
    email = new_email("reset")
    sign_up(page, email)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="Forgot your password?").click()
    mark_page(page, javascript)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a reset link").click()
    expect(page.get_by_text("we have sent it a link")).to_be_visible()
    assert_no_page_load(page, javascript)

    follow_mailed_link(page, mail_server, email, "Choose a new password")
    new_password = "quiet copper valley 62"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("New password again").fill(new_password)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("Your new password is saved")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("The email address or password is not correct.")).to_be_visible()
    page.get_by_label("Password").fill(new_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("heading", name="My account")).to_be_visible()


def test_a_child_account_is_locked_until_the_guardian_agrees(
    page: Page, javascript: bool, mail_server: SmtpSink
) -> None:
    child, guardian = new_email("child"), new_email("guardian")
    sign_up(
        page,
        child,
        **{
            "Date of birth (optional)": "2016-03-01",
            "Parent or guardian's email (only if you are under 14)": guardian,
        },
    )
    follow_mailed_link(page, mail_server, child, "Confirm your email address")
    page.goto("/account")
    expect(page.get_by_role("heading", name="Waiting for your parent or guardian")).to_be_visible()
    expect(page.get_by_text("Your account is fully active")).to_have_count(0)

    # The guardian opens the link from their own mailbox, in their own browser.
    guardian_page = page.context.browser.new_page(
        base_url=page.url.split("/account")[0], java_script_enabled=javascript
    )
    try:
        follow_mailed_link(guardian_page, mail_server, guardian, "consent is needed")
        expect(guardian_page.get_by_text(child)).to_be_visible()
        guardian_page.get_by_role("button", name="I am the parent or guardian and I agree").click()
        expect(guardian_page.get_by_text("You have agreed")).to_be_visible()
    finally:
        guardian_page.close()

    page.reload()
    expect(page.get_by_text("Your account is fully active")).to_be_visible()
    expect(page.get_by_role("heading", name="Waiting for your parent or guardian")).to_have_count(0)


def test_keep_an_address_book(page: Page, javascript: bool) -> None:
    sign_up(page, new_email("book"))
    page.goto("/account/addresses")
    for city in ["Hamburg", "Bremen"]:
        fill_address(page, city=city, recipient="Jonas Weber")
        page.get_by_role("button", name="Save address").click()
        expect(page.get_by_text("Address saved.")).to_be_visible()
    cards = page.locator(".address-cards > li")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("Default")
    expect(cards.nth(0)).to_contain_text("Germany")

    hamburg, bremen = cards.filter(has_text="Hamburg"), cards.filter(has_text="Bremen")
    mark_page(page, javascript)
    bremen.get_by_role("button", name="Make default").click()
    expect(page.get_by_text("Default address changed.")).to_be_visible()
    expect(bremen).to_contain_text("Default")
    expect(hamburg).not_to_contain_text("Default")
    hamburg.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Address deleted.")).to_be_visible()
    expect(cards).to_have_count(1)
    expect(cards.nth(0)).to_contain_text("Bremen")
    assert_no_page_load(page, javascript)

    # A billing address without a company is refused in the page, the form kept.
    page.get_by_label("Type", exact=True).select_option("billing")
    page.get_by_label("Recipient name").fill("Jonas Weber")
    page.get_by_role("button", name="Save address").click()
    expect(page.get_by_text("A billing address needs the company's name.")).to_be_visible()
    expect(page.get_by_label("Recipient name")).to_have_value("Jonas Weber")
