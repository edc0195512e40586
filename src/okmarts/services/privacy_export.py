"""The privacy center's download (policy §4: access and portability): every personal record
of an account as JSON (and CSV for tables), with a README describing each field.

`EXPORT_REGISTRY` names every table holding an account's data and the file that carries it; a
test checks that every column marked `# personal` reaches the download.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from piccolo.table import Table

from okmarts.i18n import N_, Message
from okmarts.services.accounts import now_utc
from okmarts.services.avatars import avatars_dir
from okmarts.services.privacy import (
    RESPONSE_DAYS,
    SELF_SERVICE,
    PrivacyRefused,
    _insert_request,
)
from okmarts.tables.accounts import (
    Account,
    AccountSession,
    Address,
    Attempt,
    LinkedIdentity,
    PointsEntry,
    SignIn,
)
from okmarts.tables.checkout import (
    CartLine,
    CouponUse,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentAttempt,
)
from okmarts.tables.companies import Company, CompanyAddress, CompanyInvitation, CompanyMember
from okmarts.tables.invoices import Invoice
from okmarts.tables.lists import SavedList, SavedListItem
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.newsletters import NewsletterDelivery
from okmarts.tables.notifications import (
    Follow,
    Notification,
    NotificationSubscription,
    PolicyNotice,
)
from okmarts.tables.privacy import ConsentEvent, PolicyAcceptance, PrivacyRequest
from okmarts.tables.quotes import Quote, QuoteLine
from okmarts.tables.recommendations import RecommendationDismissal
from okmarts.tables.returns import Complaint, ReturnLine, ReturnRequest
from okmarts.tables.reviews import Question, Review, ReviewVote
from okmarts.tables.support import Conversation, ConversationAttachment, ConversationMessage
from okmarts.tables.support_staff import SurveyAnswer
from okmarts.tables.watches import PartWatch

# -- The download (policy §4: access and portability) --------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    """One file of the download: what it holds and what each field means (for the README)."""

    name: str
    about: str
    fields: dict[str, str]
    csv: bool = False


# Which file carries each table holding an account's data (see the module docstring).
EXPORT_REGISTRY: dict[type[Table], str] = {
    Account: "profile.json",
    Address: "addresses.json",
    Order: "orders.json",
    OrderLine: "orders.json",
    OrderEvent: "orders.json",
    Payment: "orders.json",
    CouponUse: "orders.json",
    PaymentAttempt: "payment_attempts.json",
    CartLine: "cart.json",
    RecommendationDismissal: "dismissed_recommendations.json",
    Review: "reviews.json",
    ReviewVote: "votes.json",
    Question: "questions.json",
    PointsEntry: "points.json",
    SignIn: "sign_ins.json",
    LinkedIdentity: "linked_accounts.json",
    AccountSession: "sessions.json",
    Attempt: "rate_limit_attempts.json",
    OutboxMessage: "emails_sent.json",
    Notification: "messages.json",
    NotificationSubscription: "notification_settings.json",
    Follow: "follows.json",
    PartWatch: "watched_parts.json",
    PolicyNotice: "policy_notices.json",
    NewsletterDelivery: "newsletters_received.json",
    SavedList: "saved_lists.json",
    SavedListItem: "saved_lists.json",
    # Company accounts (services/companies.py) and invoices (services/invoices.py).
    Company: "company.json",
    CompanyMember: "company.json",
    CompanyInvitation: "company.json",
    CompanyAddress: "company.json",
    Invoice: "invoices.json",
    ConsentEvent: "consents.json",
    PolicyAcceptance: "policy_acceptances.json",
    PrivacyRequest: "privacy_requests.json",
    Quote: "quotes.json",
    QuoteLine: "quotes.json",
    Conversation: "customer_service.json",
    ConversationMessage: "customer_service.json",
    ConversationAttachment: "customer_service.json",
    SurveyAnswer: "customer_service.json",  # issue 16 (H-survey)
    # Issue 16 (H-returns): returns and complaints (services/returns.py).
    ReturnRequest: "returns.json",
    ReturnLine: "returns.json",
    Complaint: "complaints.json",
}
# Columns left out on purpose (the README says why): secrets, internal keys, and staff members'
# names (their data, not yours).
NOT_EXPORTED: dict[type[Table], frozenset[str]] = {
    Account: frozenset({"password_hash", "session_version"}),
    AccountSession: frozenset({"key_hash", "account"}),
    # A digest of issuer and subject (both exported): an index, not data of its own.
    LinkedIdentity: frozenset({"identity_key", "account"}),
    Order: frozenset({"checkout_key", "account"}),
    PaymentAttempt: frozenset({"checkout_key", "account"}),
    Review: frozenset({"moderated_by", "account"}),
    Question: frozenset({"moderated_by", "answered_by", "account"}),
    OutboxMessage: frozenset(
        {"html_body", "message_id", "attempts", "last_error", "claimed_until", "send_after"}
    ),
    PrivacyRequest: frozenset({"closed_by", "account"}),
    Quote: frozenset({"answered_by", "account"}),
    # Issue 16 (H-returns): staff members' names are theirs.
    ReturnRequest: frozenset({"decided_by", "received_by", "refund_paid_by", "account"}),
    Complaint: frozenset({"decided_by", "account"}),
    # The link's digest: a key, not data.
    CompanyInvitation: frozenset({"token_hash"}),
}

_WHEN = N_("When it was created (UTC).")
_ID = N_("Our number for this record.")
_MONEY = N_("Amount in minor units of the currency (cents: 1250 is 12.50).")

EXPORT_FILES: list[ExportFile] = [
    ExportFile(
        "profile.json",
        N_("Your account and profile, as one object."),
        {
            "id": N_("Your account number."),
            "email": N_("Your email address (you sign in with it)."),
            "email_verified_at": N_("When you confirmed your email address."),
            "locale": N_("The language you chose."),
            "policy_version": N_("The privacy-policy version you accepted last."),
            "policy_accepted_at": N_("When you accepted it."),
            "created_at": N_("When you signed up (UTC)."),
            "real_name": N_("Real name."),
            "nickname": N_("Nickname, shown beside your reviews."),
            "gender": N_("Gender."),
            "date_of_birth": N_("Date of birth."),
            "company": N_("Company."),
            "address": N_("Address from your profile."),
            "zip_code": N_("Zip code from your profile."),
            "avatar": N_("File name of your picture (the picture is in the avatar folder)."),
            "is_minor": N_("Whether you were under 14 when you told us your date of birth."),
            "guardian_email": N_("Your parent's or guardian's email address, if we asked."),
            "guardian_confirmed_at": N_("When your parent or guardian agreed."),
            "restrict_processing": N_("Whether you restricted processing."),
            "object_to_marketing": N_("Whether you object to direct marketing."),
            "marketing_email_consent": N_("Whether you agreed to marketing email."),
            "personalisation_consent": N_("Whether you agreed to personalised recommendations."),
            "third_party_sign_in_consent": N_(
                "Whether you agreed to signing in with another account (authorised login)."
            ),
            "last_active_at": N_("When you were last active."),
        },
    ),
    ExportFile(
        "addresses.json",
        N_("Your address book."),
        {
            "id": _ID,
            "kind": N_("shipping or billing."),
            "recipient": N_("Recipient's name."),
            "phone": N_("Telephone number."),
            "country": N_("Country (ISO 3166 code)."),
            "region": N_("Region or state."),
            "city": N_("City."),
            "line": N_("Street address."),
            "zip_code": N_("Zip code."),
            "company": N_("Company."),
            "tax_id": N_("Tax number (billing addresses)."),
            "is_default": N_("Whether it is your default address."),
            "created_at": _WHEN,
        },
        csv=True,
    ),
    ExportFile(
        "orders.json",
        N_(
            "Your orders, each with its lines, payments as stored (never a full card number), "
            "status history and coupons used. orders.csv, order_lines.csv and payments.csv hold "
            "the same as tables."
        ),
        {
            "id": _ID,
            "number": N_("Order number."),
            "status": N_("Status now."),
            "currency": N_("Currency (ISO 4217)."),
            "subtotal_minor": _MONEY,
            "discount_minor": _MONEY,
            "discount_label": N_("Which discount applied."),
            "coupon_code": N_("Coupon code used."),
            "points_used": N_("Points used for this order."),
            "points_value_minor": _MONEY,
            "shipping_method": N_("Shipping method."),
            "shipping_minor": _MONEY,
            "total_minor": _MONEY,
            "points_earned": N_("Points this order earned."),
            "recipient": N_("Recipient's name."),
            "phone": N_("Telephone number."),
            "email": N_("Email address given at checkout."),
            "country": N_("Country (ISO 3166 code)."),
            "region": N_("Region or state."),
            "city": N_("City."),
            "line": N_("Street address."),
            "zip_code": N_("Zip code."),
            "for_company": N_("Whether you bought for a company."),
            "company": N_("Company."),
            "tax_id": N_("Tax number."),
            "billing_address": N_("Billing address."),
            "tax_minor": _MONEY,
            "tax_lines": N_("The tax per rate: rate, country, amount taxed and tax (minor units)."),
            "po_number": N_("Your purchase-order number."),
            "company_ref": N_("The company account it was placed for (our number), if any."),
            "carrier": N_("Carrier."),
            "tracking_number": N_("Tracking number."),
            "created_at": _WHEN,
            "updated_at": N_("When it last changed."),
            "payment_reminded_at": N_("When we reminded you that the order awaited payment."),
            "awaiting_payment_since": N_(
                "When the order began awaiting payment, if later than when it was placed (an "
                "order your company approved): the time to pay counts from then."
            ),
            "lines": N_("What you bought (see order_lines.csv for the fields)."),
            "payments": N_("Payments (see payments.csv for the fields)."),
            "history": N_("Every status change: status, note, actor (you, the system or staff)."),
            "coupon_uses": N_("Coupons used: code and time."),
        },
    ),
    ExportFile(
        "order_lines.csv",
        N_("Every line of your orders."),
        {
            "order_number": N_("Order number."),
            "id": _ID,
            "product": N_("Product number (empty if the product is gone)."),
            "sku": N_("Product code (SKU)."),
            "title": N_("Product name when you bought it."),
            "unit_price_minor": _MONEY,
            "unit_points": N_("Points price per unit (points-only products)."),
            "quantity": N_("Quantity."),
            "line_total_minor": _MONEY,
            "weight_grams": N_("Weight in grams."),
        },
        csv=True,
    ),
    ExportFile(
        "payments.csv",
        N_("Payments of your orders, as the payment gateway reported them."),
        {
            "order_number": N_("Order number."),
            "id": _ID,
            "method": N_("card, bank_transfer or points."),
            "status": N_("Payment status."),
            "amount_minor": _MONEY,
            "currency": N_("Currency (ISO 4217)."),
            "payer_name": N_("Payer's name."),
            "payer_email": N_("Payer's email address."),
            "card_brand": N_("Card brand."),
            "card_last4": N_("Last four digits of the card."),
            "transaction_id": N_("Transaction number."),
            "created_at": _WHEN,
            "card_attempt": N_("The card payment attempt it came from (payment_attempts.json)."),
        },
        csv=True,
    ),
    ExportFile(
        "payment_attempts.json",
        N_(
            "Every card payment you started at checkout, whether or not it became an order, "
            "and what became of it (we delete them after 90 days)."
        ),
        {
            "id": _ID,
            "amount_minor": _MONEY,
            "currency": N_("Currency (ISO 4217)."),
            "method": N_("Payment method (card)."),
            "status": N_(
                "started, authorised (the amount held on the card), captured (paid), voided "
                "(the hold released) or failed (declined)."
            ),
            "transaction_id": N_("Transaction number."),
            "created_at": _WHEN,
            "updated_at": N_("When it last changed."),
        },
        csv=True,
    ),
    ExportFile(
        "cart.json",
        N_("What is in your cart now."),
        {
            "product_sku": N_("Product code (SKU)."),
            "product_title": N_("Product name."),
            "quantity": N_("Quantity."),
            "added_at": N_("When you added it."),
        },
    ),
    ExportFile(
        "saved_lists.json",
        N_("Your saved lists of parts (projects), each with its parts."),
        {
            "id": _ID,
            "name": N_("The list's name."),
            "share_token": N_("The key of its read-only share link (empty: not shared)."),
            "company": N_(
                "The company account whose members see the list (our number; empty: not "
                "shared with a company)."
            ),
            "created_at": _WHEN,
            "updated_at": N_("When the list last changed."),
            "items": N_(
                "The parts on the list (product, product_sku, product_title, quantity, note…)."
            ),
            "product": N_("Our number for the product."),
            "product_sku": N_("Product code (SKU)."),
            "product_title": N_("Product name."),
            "quantity": N_("Quantity."),
            "note": N_("Your note on the part."),
            "added_at": N_("When you added it."),
        },
    ),
    ExportFile(
        "dismissed_recommendations.json",
        N_('Products you asked us not to recommend to you again ("Not interested").'),
        {
            "product": N_("Our number for the product."),
            "product_sku": N_("Product code (SKU)."),
            "product_title": N_("Product name."),
            "created_at": N_("When you dismissed it."),
        },
    ),
    ExportFile(
        "reviews.json",
        N_("Reviews you wrote."),
        {
            "id": _ID,
            "product": N_("Product number."),
            "product_title": N_("Product name."),
            "order_line": N_("The order line you reviewed."),
            "rating": N_("Stars, 1 to 5."),
            "title": N_("Title."),
            "body": N_("Text."),
            "status": N_("pending, approved or rejected."),
            "rejection_reason": N_("Which comment rule a rejected review broke."),
            "moderated_at": N_("When it was decided."),
            "helpful_count": N_("How many found it helpful."),
            "not_helpful_count": N_("How many found it not helpful."),
            "helpful_score": N_("Sort score from those votes (millionths)."),
            "created_at": _WHEN,
        },
    ),
    ExportFile(
        "votes.json",
        N_("Your helpful / not helpful votes on reviews (only yours; not the reviews' text)."),
        {
            "id": _ID,
            "review": N_("The review's number."),
            "product_title": N_("The product the review is about."),
            "helpful": N_("1: helpful, 0: not helpful."),
            "created_at": _WHEN,
        },
    ),
    ExportFile(
        "questions.json",
        N_("Questions you asked about products, with our answers."),
        {
            "id": _ID,
            "product": N_("Product number."),
            "product_title": N_("Product name."),
            "body": N_("Your question."),
            "status": N_("pending, approved or rejected."),
            "rejection_reason": N_("Which comment rule a rejected question broke."),
            "answer": N_("Our answer."),
            "answered_at": N_("When we answered."),
            "moderated_at": N_("When it was decided."),
            "created_at": _WHEN,
        },
    ),
    ExportFile(
        "points.json",
        N_("Every change to your points."),
        {
            "id": _ID,
            "amount": N_("Points added (positive) or used (negative)."),
            "balance_after": N_("Balance after this change."),
            "reason": N_("Why (a code, e.g. profile_complete)."),
            "once_key": N_("Key of a reward given once only."),
            "created_at": _WHEN,
        },
        csv=True,
    ),
    ExportFile(
        "sign_ins.json",
        N_("Your sign-ins (policy §3: security)."),
        {
            "id": _ID,
            "created_at": N_("When you signed in."),
            "ip": N_("IP address."),
            "user_agent": N_("What your browser said it was."),
            "browser": N_("Browser."),
            "os": N_("Operating system."),
            "device_hash": N_("A keyed hash of your browser's device cookie (not the cookie)."),
            "new_device": N_("Whether we saw that device for the first time."),
            "method": N_("How you signed in: password, or the other account's provider."),
        },
        csv=True,
    ),
    ExportFile(
        "linked_accounts.json",
        N_(
            "Accounts of other platforms linked for signing in, with what we keep of them. "
            "Their tokens are never stored."
        ),
        {
            "id": _ID,
            "provider": N_("The provider's name in our settings."),
            "issuer": N_("The provider's address (OpenID Connect issuer)."),
            "subject": N_("The provider's number for you."),
            "claims": N_(
                "What we keep of what the provider sent: email, nickname, picture "
                "address, country, company."
            ),
            "linked_at": N_("When you linked it."),
            "last_used_at": N_("When you last signed in with it."),
        },
    ),
    ExportFile(
        "sessions.json",
        N_("The browsers you are signed in on now (signing out on one ends its session)."),
        {
            "id": _ID,
            "created_at": N_("When you signed in on that browser."),
        },
        csv=True,
    ),
    ExportFile(
        "rate_limit_attempts.json",
        N_(
            "Recent attempts counted against your account by our rate limits (kept for hours "
            "only; attempts counted by IP address cannot be told apart and are not included)."
        ),
        {
            "key": N_("Which limit, and your email address or account number."),
            "created_at": _WHEN,
        },
    ),
    ExportFile(
        "emails_sent.json",
        N_("Emails we sent (or are about to send) about your account, with their text."),
        {
            "id": _ID,
            "kind": N_("What the email was about (e.g. verify_email, order_status)."),
            "recipient": N_("Where it went."),
            "locale": N_("Its language."),
            "subject": N_("Subject."),
            "text_body": N_("Text (the HTML version says the same)."),
            "created_at": _WHEN,
            "sent_at": N_("When our mail server handed it on (empty: not sent yet)."),
            "notification_type": N_(
                "The type of message it is, as on your notification settings page."
            ),
            "withheld_at": N_(
                "When we decided not to send it after all, because you no longer wanted "
                "that type of message (empty: not withheld)."
            ),
        },
        csv=True,
    ),
    ExportFile(
        "messages.json",
        N_("The messages in your message center."),
        {
            "id": _ID,
            "type": N_("The type of message, as on your notification settings page."),
            "kind": N_("What the message was about (e.g. order_status)."),
            "title": N_("Title."),
            "body": N_("Text."),
            "link": N_("The page of the shop it points to."),
            "created_at": _WHEN,
            "read_at": N_("When you read it (empty: unread)."),
        },
    ),
    ExportFile(
        "notification_settings.json",
        N_(
            "The notification settings you changed. A type and channel not listed here has "
            "its default."
        ),
        {
            "id": _ID,
            "type": N_("The type of message, as on your notification settings page."),
            "channel": N_("Where it is sent: email, or center (your message center)."),
            "enabled": N_("Whether you get it (true) or not (false)."),
            "changed_at": N_("When you changed it."),
        },
    ),
    ExportFile(
        "company.json",
        N_(
            "Your company account: the company, your membership and role, and the invitations "
            "sent to you or by you."
        ),
        {
            "company": N_(
                "The company: name, VAT number, billing address, currency, approval limit."
            ),
            "membership": N_("Your role in it (buyer, approver or owner) and when you joined."),
            "addresses": N_(
                "The company's shipping addresses, which its members may choose at checkout: "
                "recipient, phone, country, region, city, street address, zip code."
            ),
            "recipient": N_("Recipient's name."),
            "phone": N_("Telephone number."),
            "city": N_("City."),
            "line": N_("Street address."),
            "zip_code": N_("Zip code."),
            "invitations": N_(
                "Invitations sent to your address or by you: email, role, when sent, when it "
                "expires or was accepted."
            ),
            "name": N_("Company name."),
            "vat_number": N_("VAT number."),
            "billing_address": N_("Billing address."),
            "email": N_("The invited email address."),
        },
    ),
    ExportFile(
        "invoices.json",
        N_("The invoices of your paid orders (download each as PDF on its order's page)."),
        {
            "order_number": N_("Order number."),
            "number": N_("Invoice number."),
            "issued_at": N_("When it was issued (UTC)."),
            "locale": N_("The language it is drawn in."),
        },
    ),
    ExportFile(
        "follows.json",
        N_("The categories and brands you follow, for the weekly digest of new products."),
        {
            "id": _ID,
            "category": N_("The number of the category you follow (empty: a brand)."),
            "brand": N_("The number of the brand you follow (empty: a category)."),
            "created_at": N_("When you started following it."),
            "digested_until": N_("Products added after this time are in no digest yet."),
        },
    ),
    ExportFile(
        "watched_parts.json",
        N_(
            "The parts you watch (back in stock, a lower price, discontinued), also those you "
            "watched with this address before signing in."
        ),
        {
            "id": _ID,
            "email": N_("The address a watch made without signing in goes to (empty: yours)."),
            "locale": N_("The language of its alerts."),
            "product": N_("The number of the product you watch."),
            "kind": N_("What you asked to be told: back_in_stock, price_drop or discontinued."),
            "created_at": N_("When you started watching it."),
            "seen_price_minor": N_(
                "The price you last saw, in cents: a lower price is told as a price drop."
            ),
            "fired_at": N_("When we last told you (a told back-in-stock alert is done)."),
        },
    ),
    ExportFile(
        "policy_notices.json",
        N_("Each new privacy-policy version we told you about (by email or message center)."),
        {
            "id": _ID,
            "version": N_("Policy version."),
            "created_at": N_("When we told you."),
        },
    ),
    ExportFile(
        "newsletters_received.json",
        N_("The newsletters we queued for you; the emails themselves are in emails_sent.json."),
        {
            "id": _ID,
            "newsletter": N_("The number of the newsletter."),
            "outbox_message": N_("The number of its email in emails_sent.json."),
            "queued_at": N_("When it was queued for you."),
        },
    ),
    ExportFile(
        "quotes.json",
        N_("Quotes you asked for, with their lines and our prices."),
        {
            "id": _ID,
            "number": N_("The quote's number."),
            "status": N_("requested, answered, accepted, expired or declined."),
            "currency": N_("Currency of the prices."),
            "delivery_country": N_("Where the parts were to be delivered."),
            "note": N_("What you wrote with the request."),
            "staff_note": N_("Our note to you (or why we declined)."),
            "valid_until": N_("Until when the quoted prices held."),
            "created_at": _WHEN,
            "answered_at": N_("When we answered."),
            "order": N_("The order placed from the quote, if any (our number for it)."),
            "updated_at": N_("When it last changed."),
            "lines": N_("Each part: product, SKU, title, quantity, quoted unit price."),
        },
    ),
    # Issue 16 (H-returns): returns and complaints (services/returns.py).
    ExportFile(
        "returns.json",
        N_("Parts of your orders you asked to return, and what became of them."),
        {
            "id": _ID,
            "number": N_("The return's number."),
            "order": N_("Our number for the order (see orders.csv)."),
            "conversation": N_("Our number for its conversation (see customer_service.json)."),
            "status": N_("requested, approved, refused, received or refunded."),
            "reason": N_("Why you returned the parts: damaged, wrong_part, not_needed or other."),
            "note": N_("What you wrote with the request."),
            "staff_reason": N_("Why we refused it, if we did."),
            "instructions": N_("How we asked you to send the parts back."),
            "refund_minor": _MONEY,
            "refund_points": N_("Points spent on the order that we gave back."),
            "points_taken_back": N_("Points earned on the order that we took back."),
            "refund_method": N_("How the money went back: card, bank_transfer or points."),
            "refund_state": N_(
                "done, to_be_paid (a bank transfer we owe you), paid (that transfer made) "
                "or failed."
            ),
            "refund_reference": N_("The reference of our bank transfer of the refund, once paid."),
            "refund_paid_on": N_("The day we paid that bank transfer."),
            "created_at": _WHEN,
            "updated_at": N_("When it last changed."),
            "decided_at": N_("When we approved or refused it."),
            "received_at": N_("When the parts reached us."),
            "refunded_at": N_("When we refunded it."),
            "lines": N_("Each part returned: the order line (order_line) and the quantity."),
        },
    ),
    ExportFile(
        "complaints.json",
        N_(
            "Your complaints and disputes, with our decisions. We keep them for legal claims "
            "even when you delete your account, until the limitation period ends."
        ),
        {
            "id": _ID,
            "case_number": N_("The case number."),
            "email": N_("The address our answers go to."),
            "conversation": N_("Our number for its conversation (see customer_service.json)."),
            "return_request": N_("Our number for the refused return it is about (returns.json)."),
            "order": N_("Our number for the order it is about."),
            "summary": N_("What you complained about."),
            "status": N_("open or decided."),
            "decision": N_("upheld, partly_upheld or rejected."),
            "decision_reason": N_("Why we decided so."),
            "created_at": _WHEN,
            "due_at": N_("By when we promised to decide (15 days)."),
            "decided_at": N_("When we decided."),
        },
    ),
    ExportFile(
        "customer_service.json",
        N_(
            "Your conversations with our customer service, with every message you and we "
            "wrote (not our staff's internal notes) and the files you sent."
        ),
        {
            "id": _ID,
            "number": N_("The conversation's number."),
            "email": N_("The address our answers go to."),
            "locale": N_("The language of our emails."),
            "topic": N_("What it is about: general, product, order, return or complaint."),
            "reason": N_("What went wrong with the order, if it is about one."),
            "subject": N_("Subject."),
            "product": N_("The number of the product it is about (empty: none)."),
            "order": N_("Our number for the order it is about (empty: none)."),
            "status": N_("unverified, waiting_for_staff, waiting_for_shopper or closed."),
            "assigned_to": N_("Always empty here: which staff member handles it is ours."),
            "created_at": _WHEN,
            "updated_at": N_("When it last changed."),
            "verified_at": N_("When the email address was confirmed."),
            "waiting_since": N_("Since when your message waits for our answer."),
            "first_answered_at": N_("When we first answered."),
            "closed_at": N_("When it was closed."),
            "messages": N_(
                "Each message: who wrote it (author: shopper, staff or system), its text "
                "(body), when (created_at), and the files sent with it (name, type, size)."
            ),
            "author": N_("In a message: who wrote it."),
            "body": N_("In a message: its text."),
            "survey": N_(
                "Your answer to our satisfaction survey about it, if you gave one: rating "
                "(1 very dissatisfied to 5 very satisfied), comment and when (created_at)."
            ),
            "rating": N_("In a survey answer: how satisfied you were, from 1 to 5."),
            "comment": N_("In a survey answer: what you wrote."),
        },
    ),
    ExportFile(
        "consents.json",
        N_("Your separate consents and switches now, and every change to them."),
        {
            "current": N_("Each consent and switch now (true: given or on)."),
            "events": N_("Each change: consent, granted (true: given or switched on), time."),
        },
    ),
    ExportFile(
        "policy_acceptances.json",
        N_("Each privacy-policy version you accepted."),
        {"version": N_("Policy version."), "accepted_at": N_("When you accepted it.")},
    ),
    ExportFile(
        "privacy_requests.json",
        N_(
            "Your privacy requests, this download included (it shows as open: it is completed "
            "once this file is built)."
        ),
        {
            "id": _ID,
            "kind": N_("export, delete, restrict, object, withdraw or correct."),
            "status": N_("open, completed or rejected."),
            "details": N_("What you asked, and our note when we closed it."),
            "created_at": _WHEN,
            "due_at": N_("When we must have answered (15 days after)."),
            "closed_at": N_("When it was closed."),
        },
        csv=True,
    ),
]

_NESTED = ("lines", "payments", "history", "coupon_uses")
EXPORT_FILES.insert(
    3,
    ExportFile(
        "orders.csv",
        N_("Your orders as a table: the fields of orders.json without the nested lists."),
        {key: text for key, text in EXPORT_FILES[2].fields.items() if key not in _NESTED},
        csv=True,
    ),
)

README_NOT_INCLUDED = [
    N_("Your password: we keep only a one-way hash of it, useless to anyone, so it is left out."),
    N_(
        "Cookie choices: they are stored without any link to an account (a random id kept in "
        "your browser), so we cannot tell which are yours. Your browser's cookie shows your "
        "choice; you can change it on the cookies page."
    ),
    N_(
        "Visit statistics: counted only with your cookie consent, under keyed hashes of that "
        "random id, with no link to your account."
    ),
    N_(
        "Names of our staff who moderated, answered or closed something: theirs, not yours. "
        'Order history says "staff" instead.'
    ),
    N_("Internal keys and counters (session counter, checkout key, email delivery bookkeeping)."),
]


def _plain(value: Any) -> Any:
    """A value as JSON writes it: times in ISO 8601, exact decimals as strings."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(_plain(value))


def _csv(rows: list[dict[str, Any]], fields: Iterable[str]) -> str:
    columns = list(fields)
    for row in rows:  # a column added later still reaches the file
        columns.extend(key for key in row if key not in columns)
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(row.get(column)) for column in columns])
    return output.getvalue()


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_plain) + "\n"


def _columns(table: type[Table], *extra: Any) -> list[Any]:
    """Every column of the table except those NOT_EXPORTED (new columns are included)."""
    left_out = NOT_EXPORTED.get(table, frozenset())
    return [column for column in table._meta.columns if column._meta.name not in left_out] + list(
        extra
    )


def _loaded(value: Any) -> Any:
    """A JSON column as its value (SQLite hands it over as text)."""
    return json.loads(value) if isinstance(value, str) else value


def _without(rows: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    return [{key: value for key, value in row.items() if key not in names} for row in rows]


async def _company(account_id: int, email: str) -> dict[str, Any]:
    """The account's company, its membership, and invitations to or from it."""
    member = (
        await CompanyMember.select(
            CompanyMember.company, CompanyMember.role, CompanyMember.joined_at
        )
        .where(CompanyMember.account == account_id)
        .first()
    )
    company = None
    shipping_addresses: list[dict[str, Any]] = []
    if member is not None:
        company = (
            await Company.select(*_columns(Company)).where(Company.id == member["company"]).first()
        )
        shipping_addresses = _without(
            await CompanyAddress.select(*_columns(CompanyAddress))
            .where(CompanyAddress.company == member["company"])
            .order_by(CompanyAddress.id),
            "company",
        )
    invitations = (
        await CompanyInvitation.select(*_columns(CompanyInvitation))
        .where(
            (CompanyInvitation.email == email)
            | (CompanyInvitation.invited_by == account_id)
            | (CompanyInvitation.accepted_by == account_id)
        )
        .order_by(CompanyInvitation.id)
    )
    return {
        "company": company,
        "membership": _without([member], "company")[0] if member else None,
        "addresses": shipping_addresses,
        "invitations": invitations,
    }


async def _orders(account_id: int) -> dict[str, list[dict[str, Any]]]:
    orders = await (
        Order.select(*_columns(Order))
        .where(Order.account == account_id)
        .order_by(Order.created_at)
        .order_by(Order.id)
    )
    ids = [order["id"] for order in orders]
    numbers = {order["id"]: order["number"] for order in orders}
    lines: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    coupon_uses: list[dict[str, Any]] = []
    if ids:
        lines = await OrderLine.select().where(OrderLine.order.is_in(ids)).order_by(OrderLine.id)
        payments = await Payment.select().where(Payment.order.is_in(ids)).order_by(Payment.id)
        history = (
            await OrderEvent.select(
                OrderEvent.order,
                OrderEvent.status,
                OrderEvent.note,
                OrderEvent.actor,
                OrderEvent.created_at,
            )
            .where(OrderEvent.order.is_in(ids))
            .order_by(OrderEvent.id)
        )
        coupon_uses = (
            await CouponUse.select(
                CouponUse.order, CouponUse.coupon.code.as_alias("code"), CouponUse.created_at
            )
            .where(CouponUse.order.is_in(ids) & (CouponUse.account == account_id))
            .order_by(CouponUse.id)
        )
    for event in history:
        if event["actor"] not in ("customer", "system"):
            event["actor"] = "staff"  # a staff member's name is theirs, not the customer's
    by_order: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for name, rows in (
        ("lines", lines),
        ("payments", payments),
        ("history", history),
        ("coupon_uses", coupon_uses),
    ):
        grouped: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            grouped.setdefault(row["order"], []).append(_without([row], "order")[0])
        by_order[name] = grouped
    nested = [
        {**order, **{name: by_order[name].get(order["id"], []) for name in by_order}}
        for order in orders
    ]
    return {
        "orders": orders,
        "nested": nested,
        "lines": [
            {"order_number": numbers[line["order"]], **_without([line], "order")[0]}
            for line in lines
        ],
        "payments": [
            {"order_number": numbers[pay["order"]], **_without([pay], "order")[0]}
            for pay in payments
        ],
    }


async def _attempts(account: dict[str, Any]) -> list[dict[str, Any]]:
    """Rate-limit attempts keyed by this account's email or number (not those keyed by IP)."""
    subjects = {account["email"], str(account["id"]), f"guardian:{account['id']}"}
    rows = await Attempt.select(Attempt.key, Attempt.created_at).where(
        Attempt.key.like(f"%:{account['email']}")
        | Attempt.key.like(f"%:{account['id']}")
        | Attempt.key.like(f"%:guardian:{account['id']}")
    )
    kept = []
    for row in rows:
        name, _, subject = row["key"].partition(":")
        if not name.endswith("-ip") and subject in subjects:
            kept.append(row)
    return sorted(kept, key=lambda row: row["created_at"])


async def _own(table: type[Table], account_id: int, *extra: Any) -> list[dict[str, Any]]:
    rows = await (
        table.select(*_columns(table, *extra))
        .where(table._meta.get_column_by_name("account") == account_id)
        .order_by(table._meta.primary_key)
    )
    return _without(rows, "account")


async def _watches(account_id: int, email: str) -> list[dict[str, Any]]:
    """The account's watches, and the watches a visitor confirmed with its address."""
    rows = await (
        PartWatch.select(*_columns(PartWatch))
        .where(
            (PartWatch.account == account_id)
            | (PartWatch.account.is_null() & (PartWatch.email == email))
        )
        .order_by(PartWatch.id)
    )
    return _without(rows, "account")


async def _saved_lists(account_id: int) -> list[dict[str, Any]]:
    """The account's saved lists, each with its items (two queries)."""
    lists = await _own(SavedList, account_id)
    items = await (
        SavedListItem.select(
            SavedListItem.saved_list,
            SavedListItem.product,
            SavedListItem.product.sku.as_alias("product_sku"),
            SavedListItem.product.title.as_alias("product_title"),
            SavedListItem.quantity,
            SavedListItem.note,
            SavedListItem.added_at,
        )
        .where(SavedListItem.saved_list.is_in([row["id"] for row in lists] or [0]))
        .order_by(SavedListItem.id)
    )
    by_list: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        by_list.setdefault(item.pop("saved_list"), []).append(item)
    return [{**row, "items": by_list.get(row["id"], [])} for row in lists]


async def collect_export(account_id: int) -> dict[str, Any]:
    """Every personal record about the account, by file (see EXPORT_FILES)."""
    account = await Account.select(*_columns(Account)).where(Account.id == account_id).first()
    if account is None:
        raise PrivacyRefused(Message(N_("This account no longer exists.")))
    orders = await _orders(account_id)
    cart = (
        await CartLine.select(
            CartLine.product.sku.as_alias("product_sku"),
            CartLine.product.title.as_alias("product_title"),
            CartLine.quantity,
            CartLine.added_at,
        )
        .where(CartLine.account == account_id)
        .order_by(CartLine.id)
    )
    votes = (
        await ReviewVote.select(
            ReviewVote.id,
            ReviewVote.review,
            ReviewVote.review.product.title.as_alias("product_title"),
            ReviewVote.helpful,
            ReviewVote.created_at,
        )
        .where(ReviewVote.account == account_id)
        .order_by(ReviewVote.id)
    )
    events = await _own(ConsentEvent, account_id)
    current = {
        "restrict_processing": account["restrict_processing"],
        "object_to_marketing": account["object_to_marketing"],
        "marketing_email": account["marketing_email_consent"],
        "personalised_recommendations": account["personalisation_consent"],
        "third_party_sign_in": account["third_party_sign_in_consent"],
    }
    return {
        "profile.json": account,
        "addresses.json": await _own(Address, account_id),
        "orders.json": orders["nested"],
        "orders.csv": orders["orders"],
        "order_lines.csv": orders["lines"],
        "payments.csv": orders["payments"],
        "payment_attempts.json": await _own(PaymentAttempt, account_id),
        "cart.json": cart,
        "dismissed_recommendations.json": await RecommendationDismissal.select(
            RecommendationDismissal.product,
            RecommendationDismissal.product.sku.as_alias("product_sku"),
            RecommendationDismissal.product.title.as_alias("product_title"),
            RecommendationDismissal.created_at,
        )
        .where(RecommendationDismissal.account == account_id)
        .order_by(RecommendationDismissal.id),
        "reviews.json": await _own(
            Review, account_id, Review.product.title.as_alias("product_title")
        ),
        "votes.json": votes,
        "questions.json": await _own(
            Question, account_id, Question.product.title.as_alias("product_title")
        ),
        "points.json": await _own(PointsEntry, account_id),
        "sign_ins.json": await _own(SignIn, account_id),
        "linked_accounts.json": [
            {**row, "claims": _loaded(row["claims"])}
            for row in await _own(LinkedIdentity, account_id)
        ],
        "sessions.json": await _own(AccountSession, account_id),
        "rate_limit_attempts.json": await _attempts(account),
        "emails_sent.json": await _own(OutboxMessage, account_id),
        "messages.json": await _own(Notification, account_id),
        "notification_settings.json": await _own(NotificationSubscription, account_id),
        "follows.json": await _own(Follow, account_id),
        "watched_parts.json": await _watches(account_id, account["email"]),
        "policy_notices.json": await _own(PolicyNotice, account_id),
        "newsletters_received.json": await _own(NewsletterDelivery, account_id),
        "saved_lists.json": await _saved_lists(account_id),
        "company.json": await _company(account_id, account["email"]),
        "invoices.json": await Invoice.select(
            Invoice.order.number.as_alias("order_number"),
            Invoice.number,
            Invoice.issued_at,
            Invoice.locale,
        )
        .where(Invoice.order.account == account_id)
        .order_by(Invoice.id),
        "consents.json": {"current": current, "events": events},
        "policy_acceptances.json": _without(await _own(PolicyAcceptance, account_id), "id"),
        "privacy_requests.json": await _own(PrivacyRequest, account_id),
        "quotes.json": await _quotes(account_id),
        "customer_service.json": await _conversations(account_id, account["email"]),
        # Issue 16 (H-returns).
        "returns.json": await _returns(account_id),
        "complaints.json": await _own(Complaint, account_id),
    }


async def _returns(account_id: int) -> list[dict[str, Any]]:
    """The account's returns, each with its lines (two queries)."""
    rows = await _own(ReturnRequest, account_id)
    lines: dict[int, list[dict[str, Any]]] = {}
    for line in await ReturnLine.select(
        ReturnLine.return_request, ReturnLine.order_line, ReturnLine.quantity
    ).where(ReturnLine.return_request.is_in([row["id"] for row in rows] or [0])):
        lines.setdefault(line.pop("return_request"), []).append(line)
    return [{**row, "lines": lines.get(row["id"], [])} for row in rows]


async def _quotes(account_id: int) -> list[dict[str, Any]]:
    """The account's quotes, each with its lines (two queries)."""
    quotes = await _own(Quote, account_id)
    lines: dict[int, list[dict[str, Any]]] = {}
    if quotes:
        for line in (
            await QuoteLine.select()
            .where(QuoteLine.quote.is_in([quote["id"] for quote in quotes]))
            .order_by(QuoteLine.id)
        ):
            lines.setdefault(line["quote"], []).append(_without([line], "quote")[0])
    return [{**quote, "lines": lines.get(quote["id"], [])} for quote in quotes]


async def _conversations(account_id: int, email: str) -> list[dict[str, Any]]:
    """The account's conversations (and those it started as a visitor with its address), with
    their messages, attachments and survey answers; staff's internal notes and names are
    staff's (four queries)."""
    conversations = await (
        Conversation.select(*_columns(Conversation))
        .where(
            (Conversation.account == account_id)
            | (Conversation.account.is_null() & (Conversation.email == email))
        )
        .order_by(Conversation.id)
    )
    ids = [row["id"] for row in conversations] or [0]
    messages = await (
        ConversationMessage.select(
            ConversationMessage.id,
            ConversationMessage.conversation,
            ConversationMessage.author,
            ConversationMessage.body,
            ConversationMessage.created_at,
        )
        .where(
            ConversationMessage.conversation.is_in(ids) & (ConversationMessage.internal == False)
        )
        .order_by(ConversationMessage.id)
    )
    files: dict[int, list[dict[str, Any]]] = {}
    for row in await ConversationAttachment.select(
        ConversationAttachment.message,
        ConversationAttachment.filename,
        ConversationAttachment.content_type,
        ConversationAttachment.size_bytes,
    ).where(ConversationAttachment.message.is_in([row["id"] for row in messages] or [0])):
        files.setdefault(row.pop("message"), []).append(row)
    surveys = {
        row.pop("conversation"): row
        for row in await SurveyAnswer.select(
            SurveyAnswer.conversation,
            SurveyAnswer.rating,
            SurveyAnswer.comment,
            SurveyAnswer.created_at,
        ).where(SurveyAnswer.conversation.is_in(ids))
    }
    by_conversation: dict[int, list[dict[str, Any]]] = {}
    for message in messages:
        message["files"] = files.get(message["id"], [])
        by_conversation.setdefault(message.pop("conversation"), []).append(message)
    return [
        {
            **_without([row], "account")[0],
            "assigned_to": "",
            "messages": by_conversation.get(row["id"], []),
            "survey": surveys.get(row["id"]),
        }
        for row in conversations
    ]


def _readme(
    data: dict[str, Any], avatar: str | None, gettext: Callable[[str], str], now: dt.datetime
) -> str:
    _ = gettext
    lines = [
        "# " + _("Your Okmarts data"),
        "",
        _("Made on %(date)s for the account %(email)s.")
        % {"date": now.strftime("%Y-%m-%d %H:%M UTC"), "email": data["profile.json"]["email"]},
        "",
        _(
            "JSON files are UTF-8; CSV files are UTF-8, comma-separated, with a header row. "
            "Times are ISO 8601 (UTC unless they say otherwise). Amounts of money are whole "
            "minor units of the currency beside them (cents: 1250 is 12.50)."
        ),
        "",
        "## " + _("Files"),
    ]
    for item in EXPORT_FILES:
        heading = item.name
        if item.csv and item.name.endswith(".json"):
            heading = f"{item.name}, {_csv_name(item.name)}"
        lines += ["", f"### {heading}", "", _(item.about)]
        fields = dict(item.fields)
        rows = data.get(item.name)
        sample = rows if isinstance(rows, list) else [rows] if isinstance(rows, dict) else []
        for row in sample:  # fields added to the tables later are listed too
            for key in row:
                fields.setdefault(key, "")
        if fields:
            lines.append("")
            for key, meaning in fields.items():
                lines.append(f"- `{key}`: {_(meaning)}" if meaning else f"- `{key}`")
    if avatar:
        lines += ["", f"### {avatar}", "", _("Your profile picture, as we keep it.")]
    lines += ["", "## " + _("What is not included, and why"), ""]
    lines += [f"- {_(reason)}" for reason in README_NOT_INCLUDED]
    lines += [
        "",
        _(
            "Something missing or wrong? Ask us from the privacy center of your account: we "
            "answer within %(days)s days."
        )
        % {"days": RESPONSE_DAYS},
        "",
    ]
    return "\n".join(lines)


def _csv_name(json_name: str) -> str:
    return json_name.removesuffix(".json") + ".csv"


def build_zip(
    data: dict[str, Any],
    *,
    avatar: Path | None = None,
    gettext: Callable[[str], str] = str,
    now: dt.datetime | None = None,
) -> bytes:
    """The download: a JSON file per area, CSV for the tabular ones, README.md, the picture."""
    now = now or now_utc()
    docs = {item.name: item for item in EXPORT_FILES}
    contents: dict[str, str | bytes] = {}
    for name, rows in data.items():
        item = docs[name]
        if name.endswith(".csv"):
            contents[name] = _csv(rows, item.fields)
            continue
        contents[name] = _json(rows)
        if item.csv:
            contents[_csv_name(name)] = _csv(rows, item.fields)
    avatar_name = None
    if avatar is not None and avatar.is_file():
        avatar_name = f"avatar/{avatar.name}"
        contents[avatar_name] = avatar.read_bytes()
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.md", _readme(data, avatar_name, gettext, now))
        for name in sorted(contents):
            archive.writestr(name, contents[name])
    return output.getvalue()


def export_filename(now: dt.datetime | None = None) -> str:
    return f"okmarts-data-{(now or now_utc()):%Y%m%d}.zip"


async def export_zip(
    account_id: int,
    *,
    data_dir: Path | None = None,
    gettext: Callable[[str], str] = str,
    record: bool = True,
    now: dt.datetime | None = None,
) -> bytes:
    """A zip of every personal record about the account; recorded as an export request that
    is opened first and completed once the zip is built (a failure leaves it open for staff)."""
    now = now or now_utc()
    request = None
    if record:
        request = await _insert_request(account_id, "export", "", now, completed=False)
    data = await collect_export(account_id)
    avatar = None
    if data_dir is not None and data["profile.json"].get("avatar"):
        avatar = avatars_dir(data_dir) / Path(data["profile.json"]["avatar"]).name
    # Compressing is CPU work: a thread, so other shoppers' requests go on meanwhile.
    archive = await asyncio.to_thread(build_zip, data, avatar=avatar, gettext=gettext, now=now)
    if request is not None:
        await PrivacyRequest.update(
            {
                PrivacyRequest.status: "completed",
                PrivacyRequest.closed_at: now_utc(),
                PrivacyRequest.closed_by: SELF_SERVICE,
            }
        ).where(PrivacyRequest.id == request.id)
    return archive
