"""Every page the accessibility scan visits, and every GET route it leaves out (with the reason).

The one list to extend when the shop gets a new page: tests/e2e/test_accessibility.py scans each
entry of SCANNED with axe-core, and fails when a GET route of the app is in neither SCANNED nor
NOT_SCANNED. A URL or heading may name facts the scan sets up first, in braces: {product} (the
slug of a reviewed product with an answered question), {product_title}, {category} and
{category_name}, {order} (a paid order's number), {address} (an address id), {line} (an order
line waiting for a review), {compared} (the query string of three parts of one category, for
/compare), {message} (the message-center entry of that order's confirmation), and the emailed
links {verify_link}, {reset_link}, {delete_link},
{guardian_link}.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Page, expect

# Who looks at the page: each is a browser of its own (JavaScript on).
NEWCOMER = "newcomer"  # first visit: the cookie banner is still there
VISITOR = "visitor"  # not signed in, cookie choice made
SHOPPER = "shopper"  # verified, with an address, a paid order, a delivered one and a review
UNVERIFIED = "unverified"  # signed up, email not confirmed yet
POLICY_PENDING = "policy-pending"  # signed in, a newer privacy policy to accept


def press(button: str) -> Callable[[Page], None]:
    """Submit a form as it is (empty): the page then shows its error messages.

    The button is found by a CSS selector, not its name: the same step runs in every language.
    """

    def act(page: Page) -> None:
        page.locator(button).click()
        expect(page.get_by_role("alert").first).to_be_visible()

    return act


@dataclass(frozen=True)
class Scan:
    name: str
    route: str | None  # the route path as the app lists it (None: no route, the 404 page)
    url: str
    heading: str  # a heading the page shows: proves the scan looks at the intended page
    who: str = VISITOR
    then: Callable[[Page], None] | None = None  # what the shopper does before the scan


SCANNED: list[Scan] = [
    # -- The storefront ------------------------------------------------------------------------
    Scan("home", "/", "/", "Industrial parts, ready to ship"),
    Scan("cookie-banner", "/", "/", "Your cookie choices", who=NEWCOMER),
    Scan("all-products", "/products", "/products", "All products"),
    Scan("listing-filter-error", "/products", "/products?min_price=abc", "All products"),
    Scan("category", "/categories/{slug:str}", "/categories/{category}", "{category_name}"),
    # Spec filters (services.facets): a value ticked, a quantity with the wrong unit.
    Scan(
        "category-spec-filters",
        "/categories/{slug:str}",
        "/categories/proximity-sensors?spec.output-type=PNP+NO&min.sensing-distance=4+V",
        "Proximity sensors",
    ),
    Scan("product", "/products/{slug:str}", "/products/{product}", "{product_title}"),
    Scan(
        "product-signed-in",
        "/products/{slug:str}",
        "/products/{product}",
        "{product_title}",
        who=SHOPPER,
    ),
    # A seeded demo kit (okmarts seed), and the kit's own page.
    Scan("kit", "/kits/{slug:str}", "/kits/starter-kit", "Starter kit"),
    # Three parts side by side (shared and differing rows), and the "Add a part" form's error.
    Scan("compare", "/compare", "/compare?{compared}", "Compare parts"),
    Scan("compare-add-error", "/compare", "/compare?{compared}&add=no-such-part", "Add a part"),
    Scan("search-results", "/search", "/search?q=sensor", "Results for “sensor”"),
    Scan("search-nothing", "/search", "/search?q=qqxzv", "Results for “qqxzv”"),
    Scan("search-start", "/search", "/search", "Search the catalog"),
    Scan("cart-empty", "/cart", "/cart", "Your cart"),
    Scan("cart-filled", "/cart", "/cart", "Your cart", who=SHOPPER),
    Scan("checkout", "/checkout", "/checkout", "Checkout", who=SHOPPER),
    Scan(
        "checkout-errors",
        "/checkout",
        "/checkout",
        "Checkout",
        who=SHOPPER,
        then=press("button[value=place]"),
    ),
    Scan("checkout-locked", "/checkout", "/checkout", "You can't buy yet", who=UNVERIFIED),
    Scan(
        "order-placed",
        "/account/orders/{number:str}",
        "/account/orders/{order}?notice=placed",
        "Order {order}",
        who=SHOPPER,
    ),
    # Quotes (issue 21): the list, and the request form with the shopper's cart.
    Scan("quotes", "/account/quotes", "/account/quotes", "My quotes", who=SHOPPER),
    Scan(
        "quote-request",
        "/account/quotes/new",
        "/account/quotes/new",
        "Request a quote",
        who=SHOPPER,
    ),
    # Customer service (issue 16, H-chat): contact us, a visitor's "check your email", the
    # shopper's conversations.
    Scan("support-new", "/support/new", "/support/new", "Contact us", who=VISITOR),
    Scan("support-sent", "/support/sent", "/support/sent", "Check your email", who=VISITOR),
    Scan("support-list", "/account/support", "/account/support", "Customer service", who=SHOPPER),
    Scan("sign-in", "/login", "/login", "Sign in"),
    Scan(
        "sign-in-errors",
        "/login",
        "/login",
        "Sign in",
        then=press("#login-form button[type=submit]"),
    ),
    Scan("sign-up", "/register", "/register", "Create an account"),
    Scan(
        "sign-up-errors",
        "/register",
        "/register",
        "Create an account",
        then=press("#register-form button[type=submit]"),
    ),
    Scan(
        "email-confirmed", "/verify-email", "{verify_link}", "Email address confirmed", who=SHOPPER
    ),
    Scan(
        "link-invalid",
        "/verify-email",
        "/verify-email?token=not-a-token",
        "This link does not work",
    ),
    Scan("password-reset", "/password-reset", "/password-reset", "Reset your password"),
    Scan(
        "password-reset-confirm", "/password-reset/confirm", "{reset_link}", "Choose a new password"
    ),
    Scan("guardian-consent", "/guardian", "{guardian_link}", "Consent for a child's account"),
    Scan(
        "policy-acceptance",
        "/policy/accept",
        "/policy/accept",
        "Our privacy policy has changed",
        who=POLICY_PENDING,
    ),
    Scan("comment-rules", "/comment-rules", "/comment-rules", "Comment rules"),
    Scan("contact", "/contact", "/contact", "Contact us"),
    Scan("cookie-settings", "/cookies", "/cookies", "Cookie settings"),
    Scan("privacy-policy", "/privacy", "/privacy", "Privacy policy"),
    Scan("not-found", None, "/no-such-page", "We can’t find that page"),
    # -- The personal center -------------------------------------------------------------------
    Scan("account", "/account", "/account", "My account", who=SHOPPER),
    Scan(
        "account-unverified",
        "/account",
        "/account",
        "Please confirm your email address",
        who=UNVERIFIED,
    ),
    Scan("profile", "/account/profile", "/account/profile", "Profile", who=SHOPPER),
    Scan("addresses", "/account/addresses", "/account/addresses", "Address book", who=SHOPPER),
    Scan("company", "/account/company", "/account/company", "Company account", who=SHOPPER),
    Scan(
        "address-errors",
        "/account/addresses",
        "/account/addresses",
        "Address book",
        who=SHOPPER,
        then=press("#address-book form.stack-form button[type=submit]"),
    ),
    Scan(
        "address-edit",
        "/account/addresses/{address_id:str}",
        "/account/addresses/{address}",
        "Edit address",
        who=SHOPPER,
    ),
    Scan("points", "/account/points", "/account/points", "Points", who=SHOPPER),
    Scan(
        "security", "/account/security", "/account/security", "Password and sign-ins", who=SHOPPER
    ),
    Scan("orders", "/account/orders", "/account/orders", "My orders", who=SHOPPER),
    Scan(
        "order",
        "/account/orders/{number:str}",
        "/account/orders/{order}",
        "Order {order}",
        who=SHOPPER,
    ),
    Scan("reviews", "/account/reviews", "/account/reviews", "Reviews and questions", who=SHOPPER),
    Scan(
        "review-form",
        "/account/reviews/new",
        "/account/reviews/new?line={line}",
        "Review",
        who=SHOPPER,
    ),
    Scan(
        "review-form-errors",
        "/account/reviews/new",
        "/account/reviews/new?line={line}",
        "Review",
        who=SHOPPER,
        then=press("form[action='/account/reviews'] button[type=submit]"),
    ),
    Scan("privacy-center", "/account/privacy", "/account/privacy", "Privacy", who=SHOPPER),
    # Issue 21 (H-lists): quick order and saved lists.
    Scan("quick-order", "/quick-order", "/quick-order", "Quick order"),
    Scan("saved-lists", "/account/lists", "/account/lists", "Saved lists", who=SHOPPER),
    Scan("messages", "/account/messages", "/account/messages", "Messages", who=SHOPPER),
    Scan(
        "message",
        "/account/messages/{entry_id:str}",
        "/account/messages/{message}",
        "Your Okmarts order {order}",
        who=SHOPPER,
    ),
    Scan(
        "notification-settings",
        "/account/notifications",
        "/account/notifications",
        "Notification settings",
        who=SHOPPER,
    ),
    Scan(
        "watched-parts",
        "/account/watches",
        "/account/watches",
        "Watched parts",
        who=SHOPPER,
    ),
    Scan(
        "watch-confirm",
        "/watches/confirm",
        "/watches/confirm?token={watch_confirm}",
        "Confirm your alert",
        who=VISITOR,
    ),
    Scan(
        "watch-stop",
        "/watches/stop",
        "/watches/stop?token={watch_stop}",
        "Stop watching this part",
        who=VISITOR,
    ),
    Scan(
        "follows",
        "/account/follows",
        "/account/follows",
        "Categories and brands you follow",
        who=SHOPPER,
    ),
    Scan(
        "delete-account",
        "/account/privacy/delete",
        "/account/privacy/delete",
        "Delete my account",
        who=SHOPPER,
    ),
    Scan(
        "delete-confirm",
        "/account/delete/confirm",
        "{delete_link}",
        "Confirm the deletion of your account",
        who=SHOPPER,
    ),
    # Issue 16 (H-returns): the return form ({order} is paid, not delivered: it says why it
    # can't be returned yet; test_return_flows.py scans it with the form).
    Scan(
        "return-request",
        "/account/orders/{number:str}/return",
        "/account/orders/{order}/return",
        "Return parts of order {order}",
        who=SHOPPER,
    ),
]

# GET routes that are no page of ours to scan, each with the reason.
NOT_SCANNED: dict[str, str] = {
    "/healthz": "plain text for load balancers, no HTML",
    "/unsubscribe/{token:str}": "scanned in test_newsletter_flows.py (needs an emailed token)",
    "/support/survey/{token:str}": "scanned in test_support_survey_flows.py (an emailed token)",
    "/static/{file_path:path}": "files (CSS, images, htmx)",
    "/media/avatars/{file_path:path}": "uploaded pictures",
    "/account/privacy/export": "a ZIP download",
    "/account/orders/{number:str}/invoice": "a PDF download (the order's invoice)",
    "/account/company/orders/{number:str}": "the order page (scanned as order-placed), for a "
    "company member; needs a company with an order",
    "/company-invitations/{token:str}": "needs an emailed invitation; scanned by hand: a "
    "heading, a message and one button (tests/e2e/test_company_flows.py walks it)",
    "/products/{slug:str}/documents/{document_id:int}": "a file download (PDF, drawing, CAD)",
    "/staff/privacy-requests/overdue": "a redirect into the staff admin",
    "/admin": "Piccolo Admin, a separate app for staff with its own markup",
    # Quotes (issue 21): an answered quote takes staff's step; test_quote_flows.py scans them.
    "/account/quotes/{number:str}": "scanned in test_quote_flows.py (needs an answered quote)",
    "/account/quotes/{number:str}/checkout": "scanned in test_quote_flows.py (an answered quote)",
    "/account/quotes/{number:str}/pdf": "a PDF download",
    # Customer service (issue 16, H-chat): test_support_flows.py scans the visitor's pages.
    "/support/verify": "scanned in test_support_flows.py (needs an emailed link)",
    "/support/c/{token:str}": "scanned in test_support_flows.py (needs a confirmed visitor)",
    "/support/c/{token:str}/files/{file_id:str}": "a file download (photo or PDF)",
    "/account/support/{number:str}": "the same page as /support/c/ (test_support_flows.py), "
    "for the signed-in owner",
    "/account/support/{number:str}/files/{file_id:str}": "a file download (photo or PDF)",
    # Issue 16 (H-returns): a return and a complaint take staff's steps first.
    "/account/returns/{number:str}": "scanned in test_return_flows.py (needs a return)",
    "/account/complaints/{case:str}": "scanned in test_return_flows.py (needs a complaint)",
    # These need an OpenID Connect provider, which this scan's server has none of: the flow's
    # browser test (test_oidc_flows.py) scans them with a loopback provider.
    "/account/lists/{list_id:str}/csv": "a CSV download",
    # A list of the shopper's own, and the pages made from it: the flow's browser test
    # (test_quick_order_flows.py) scans them, with the quick order's results.
    "/account/lists/add": "scanned in test_quick_order_flows.py (needs a cart or a product)",
    "/account/lists/{list_id:str}": "scanned in test_quick_order_flows.py (needs a list)",
    "/lists/shared/{token:str}": "scanned in test_quick_order_flows.py (needs a shared list)",
    "/sign-in-with/sign-up": "scanned in test_oidc_flows.py (needs a provider)",
    "/sign-in-with/{key:str}/callback": "scanned in test_oidc_flows.py (a redirect, or its error)",
}

# Key pages scanned again in Simplified Chinese (names from SCANNED).
SCANNED_IN_CHINESE = [
    "home",
    "compare",
    "product-signed-in",
    "sign-up-errors",
    "checkout",
    "account",
]
