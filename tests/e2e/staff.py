"""Staff steps for the browser tests, through the services the admin's forms call.

A shopper's journey meets staff at a few points (the order is shipped and delivered, a review is
approved). Clicking through the admin for them would test the admin, which has tests of its own;
writing the rows by SQL would skip what the change brings (history, points earned, the email).
So these run the same service functions as the admin, as an operator runs an `okmarts` command:
in a process of its own, pointed at the live server's database.

    deliver_order(database, base_url, "OK-261126-ABCDEF")
    approve_review(database, review_id)
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

from tests.conftest import TestDatabase

# How the history of an order names the staff member who changed it.
STAFF_NAME = "e2e-staff"
CARRIER = "DHL Express"
TRACKING_NUMBER = "JD014600006281230"
# `python -m tests.e2e.staff` runs from the project's root, wherever pytest was started.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _run(database: TestDatabase, *args: str, base_url: str = "") -> None:
    env = database.env()
    if base_url:
        env["OKMARTS_BASE_URL"] = base_url  # the links in the emails it queues
    result = subprocess.run(
        [sys.executable, "-m", "tests.e2e.staff", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"staff {' '.join(args)} failed:\n{result.stderr}"


def deliver_order(database: TestDatabase, base_url: str, number: str) -> None:
    """Staff ship the paid order (carrier, tracking number), then mark it delivered (a bank
    transfer's order awaiting payment is marked paid first)."""
    _run(database, "deliver", number, base_url=base_url)


def approve_review(database: TestDatabase, review_id: int) -> None:
    """A moderator approves the review from the queue."""
    _run(database, "approve-review", str(review_id))


async def _deliver(number: str) -> None:
    from okmarts.services import order_status
    from okmarts.settings import Settings
    from okmarts.tables.checkout import Order

    settings = Settings.from_env()
    [row] = await Order.select(Order.id, Order.status).where(Order.number == number)
    if row["status"] == "awaiting_payment":  # a bank transfer: staff saw the money arrive
        await order_status.change_status(row["id"], "paid", actor=STAFF_NAME, settings=settings)
    await order_status.change_status(
        row["id"],
        "shipped",
        actor=STAFF_NAME,
        settings=settings,
        carrier=CARRIER,
        tracking_number=TRACKING_NUMBER,
    )
    await order_status.change_status(row["id"], "delivered", actor=STAFF_NAME, settings=settings)


def send_newsletter(database: TestDatabase, base_url: str, email: str) -> None:
    """The shopper chose the newsletter and follows a new category; staff schedule a newsletter
    to that category's followers, now (the live server's sender queues and sends it)."""
    _run(database, "send-newsletter", email, base_url=base_url)


async def _send_newsletter(email: str) -> None:

    from okmarts.services import newsletters, privacy
    from okmarts.tables.accounts import Account
    from okmarts.tables.catalog import Category
    from okmarts.tables.newsletters import Newsletter, NewsletterTranslation
    from okmarts.tables.notifications import Follow

    account = await Account.objects().where(Account.email == email).first()
    assert account is not None, email
    await privacy.set_consent(account, "marketing_email", True)
    # A seeded category (a new one would show, untranslated, on the home page of later tests);
    # only this shopper gave marketing consent, so only this shopper gets the newsletter.
    category = await Category.select(Category.id).order_by(Category.id, ascending=False).first()
    await Follow.insert(Follow(account=account.id, category=category["id"]))
    [letter] = await Newsletter.insert(
        Newsletter(name="E2E", audience="category", category=category["id"])
    ).returning(Newsletter.id)
    await NewsletterTranslation.insert(
        NewsletterTranslation(
            newsletter=letter["id"],
            locale="en",
            subject="Relays of the month",
            body="New relays are in.",
        )
    )
    await newsletters.schedule(letter["id"])


async def _approve_review(review_id: int) -> None:
    from okmarts.services import moderation

    changed = await moderation.decide_reviews([review_id], "approved", staff=STAFF_NAME)
    assert changed == [review_id], f"review {review_id} was not pending"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.staff")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("deliver").add_argument("number")
    commands.add_parser("approve-review").add_argument("review_id", type=int)
    commands.add_parser("send-newsletter").add_argument("email")
    args = parser.parse_args(argv)

    from okmarts.app import bind_tables
    from okmarts.services import messaging
    from okmarts.settings import Settings

    settings = Settings.from_env()
    bind_tables(settings.database_url)
    messaging.configure_email_rendering(settings.locales_dir)
    if args.command == "deliver":
        asyncio.run(_deliver(args.number))
    elif args.command == "send-newsletter":
        asyncio.run(_send_newsletter(args.email))
    else:
        asyncio.run(_approve_review(args.review_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
