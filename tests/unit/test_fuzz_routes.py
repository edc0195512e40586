"""Every route the app registers, fed hostile input: never a 5xx, never a traceback in the log.

The routes come from `app.routes` when the test runs, so a route added later is fuzzed without
touching this file. For each route and method the names to fill are found the same way: the
path parameters, the query parameters the handler declares, the names the handler's code (and
the functions and constants of its module it uses) reads, and the form fields of the templates
it renders (their includes too). Then, with a valid CSRF token on every POST:

- a sweep: every one of those names in turn gets each of KILLERS while the others keep a
  baseline value that gets past the first checks (this visitor's own address, order line...);
- Hypothesis: EXAMPLES_PER_ROUTE requests with any of them left out, at the baseline or hostile
  (control characters and NUL, huge and negative integers, digits that are not ASCII: "²",
  "①", "٣", 10,000-character strings, bidi overrides, SQL and full-text-search syntax, a field
  sent twice), sometimes as htmx, sometimes as multipart with an upload.

Each runs anonymously and signed in (a verified account with a cart, an address and a delivered
order, so checkout and review forms are reached), on every test database (SQLite, and
PostgreSQL when OKMARTS_TEST_POSTGRES_URL is set). Every failure is reported at the end, route
by route, not just the first.
"""

from __future__ import annotations

import ast
import inspect
import logging
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.routes import ASGIRoute, HTTPRoute
from litestar.testing import TestClient

from okmarts.app import create_app
from okmarts.services import addresses
from okmarts.settings import PACKAGE_DIR
from okmarts.tables.accounts import Account, Attempt
from okmarts.tables.catalog import Product
from okmarts.tables.checkout import OrderLine
from okmarts.tables.reviews import Review
from tests.conftest import TestDatabase
from tests.states.accounts import PASSWORD, links_mailed_to, local, new_email
from tests.states.orders import bought
from tests.unit.conftest import settings_for

# What is not fuzzed here, and why (everything else `app.routes` holds is):
SKIPPED_MOUNTS = {
    # Piccolo Admin: a FastAPI app mounted whole, with its own sign-in and CSRF; staff only,
    # tested in test_admin.py. Its routes are not this app's handlers.
    "/admin",
}
SKIPPED_PREFIXES = (
    # Files served from disk by path; no input reaches a service, a template or the database.
    "/static/",
    "/media/",
)

EXAMPLES_PER_ROUTE = 6  # random ones per route, method and visitor, beside the sweep
CSRF_COOKIE, CSRF_HEADER, CSRF_FIELD = "okmarts_csrf", "x-okmarts-csrf", "_csrf_token"
SESSION_COOKIE = "okmarts_session"
SRC = PACKAGE_DIR

# -- Hostile values ---------------------------------------------------------------------------

CONTROL = [chr(c) for c in (*range(32), 0x7F, 0x85, 0x9B)]
BIDI = ["\u202e", "\u202d", "\u2066", "\u2067", "\u2069", "\u200f", "\u061c"]
NASTY = [
    "",
    " ",
    "\x00",
    "pl\x00c",
    "1\x00",
    "\x1b[31m",
    "a\r\nSet-Cookie: x=1",
    "9" * 30,
    "-" + "9" * 30,
    str(2**31),
    str(2**63),
    str(2**64),
    "0" * 40 + "7",
    "-1",
    "0",
    "²",
    "①",
    "٣",
    "١٢٣",
    "𝟙",
    "Ⅻ",
    "1²",
    " 7 ",
    "+5",
    "1_000",
    "1e9",
    "0x1F",
    "NaN",
    "inf",
    "1.5",
    "\u202eevil",
    "' OR '1'='1",
    "1; DROP TABLE product; --",
    '"',
    '"unterminated',
    "a*",
    "*",
    "NEAR(relay switch)",
    "^x",
    "title:relay",
    "relay AND",
    "OR",
    "!x & | :* <->",
    "a:*",
    "\\",
    "%",
    "_",
    "%00",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "../../../etc/passwd",
    "//evil.example",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "x" * 10_000,
    "é" * 5_000,
    "😀" * 200,
    "\ufeff",
    "\u0301",
]

hostile_text: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(NASTY),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    # Digits that are not ASCII: str.isdigit() says yes to many of them, int() to some.
    st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=4),
    st.text(st.characters(codec="utf-8"), max_size=30),
    st.builds(
        lambda noise, text: noise + text + noise,
        st.text(st.sampled_from(CONTROL + BIDI), min_size=1, max_size=3),
        st.text(st.characters(codec="utf-8"), max_size=12),
    ),
)
# Printable ASCII only: header values go over the wire as Latin-1.
header_text = st.text(st.sampled_from(string.printable.strip() + " "), max_size=40)


# Each field in turn gets each of these while the others keep their baseline (a value that gets
# past the earlier checks): the inputs the security review found answered with a 500, and the
# first number above PostgreSQL's INTEGER columns (an id SQLite would still take).
KILLERS = ("pl\x00c", "9" * 30, str(2**31), "²")
DEFAULT_BASELINE = "1"


def value_strategy(known: list[str]) -> st.SearchStrategy[str | list[str]]:
    """A field's value: hostile, sometimes a real id or slug, sometimes sent twice or more."""
    single = st.one_of(hostile_text, st.sampled_from(known)) if known else hostile_text
    return st.one_of(single, st.lists(single, min_size=2, max_size=3))


# -- What the app registers, and the names its forms and code use ---------------------------------

_TEMPLATE_NAME = re.compile(r'"((?:pages|partials)/[\w/.-]+\.html)"')
_READS = re.compile(
    r"""(?:\.get|\.getall|_field\(\s*data,)\(?\s*["']([A-Za-z_]\w*)["']|data\[\s*["'](\w+)["']\]"""
)
NOT_FIELDS = {CSRF_FIELD, "viewport", "htmx-config", "description"}  # the token, <meta> tags


def _template_fields(template: str, seen: set[str]) -> tuple[set[str], set[str]]:
    """Form field names in a template and what it includes or imports (not the page it
    extends: base.html's own forms post to their own routes), and its file inputs."""
    names: set[str] = set()
    files: set[str] = set()
    if template in seen or not (SRC / template).is_file():
        return names, files
    seen.add(template)
    text = (SRC / template).read_text(encoding="utf-8")
    names.update(re.findall(r'\bname="([A-Za-z_][\w-]*)"', text))
    names.update(re.findall(r'\{\{-?\s*[\w.]+\(\s*"([a-z_]+)"', text))  # field("email", ...)
    for tag in re.findall(r"<input\b[^>]*>", text, re.S):
        if 'type="file"' in tag:
            files.update(re.findall(r'\bname="(\w+)"', tag))
    for used in re.findall(r'\{%-?\s*(?:include|from|import)\s+"([^"]+)"', text):
        more, more_files = _template_fields(used, seen)
        names |= more
        files |= more_files
    return names - NOT_FIELDS, files


def _handler_source(fn: Any) -> str:
    """The handler's code and the code of its module it reaches: the functions and methods it
    calls and the constants it names (a template name kept in PAGE, say), transitively."""
    module = inspect.getmodule(fn)
    if module is None or not module.__name__.startswith("okmarts."):
        return ""  # Litestar's own handlers (OPTIONS) read nothing of ours
    source = inspect.getsource(module)
    definitions: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [node.name]
        elif isinstance(node, ast.Assign) and node.col_offset == 0:
            names = [target.id for target in node.targets if isinstance(target, ast.Name)]
        else:
            continue
        for name in names:
            definitions.setdefault(name, []).append(ast.get_source_segment(source, node) or "")
    parts: list[str] = []
    todo, seen = [fn.__name__], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for part in definitions.get(name, []):
            parts.append(part)
            todo += re.findall(r"\b[A-Za-z_]\w*\b", part)
    return "\n".join(parts)


def _handler_fields(source: str) -> tuple[set[str], set[str], set[str]]:
    """Names a handler's code reads, and the form fields of the templates it renders."""
    read = {a or b for a, b in _READS.findall(source)} - NOT_FIELDS
    names: set[str] = set()
    files: set[str] = set()
    seen: set[str] = set()
    for template in _TEMPLATE_NAME.findall(source):
        more, more_files = _template_fields(template, seen)
        names |= more
        files |= more_files
    return read, names | read, files


@dataclass
class Target:
    """One method of one route, with the names worth filling in."""

    method: str
    path_format: str
    path_params: list[str]
    query_names: list[str]
    form_names: list[str]
    file_names: list[str]
    handler: str

    def __str__(self) -> str:
        return f"{self.method} {self.path_format} ({self.handler})"


def discover_targets(app: Litestar) -> list[Target]:
    """Every HTTP route and method of the app but the skipped ones, read from `app.routes`."""
    targets: list[Target] = []
    for route in app.routes:
        if isinstance(route, ASGIRoute):
            assert route.path in SKIPPED_MOUNTS, f"a new mounted app at {route.path}: fuzz it?"
            continue
        assert isinstance(route, HTTPRoute), route
        if route.path.startswith(SKIPPED_PREFIXES):
            continue
        for method, (handler, kwargs_model) in sorted(route.route_handler_map.items()):
            read, fields, files = _handler_fields(_handler_source(handler.fn))
            declared = {param.field_alias for param in kwargs_model.expected_query_params}
            sends_body = method in {"POST", "PUT", "PATCH", "DELETE"}
            targets.append(
                Target(
                    method=method,
                    path_format=route.path_format,
                    path_params=sorted(route.path_parameters),
                    # A form's fields go in the body of a POST, in the query of a GET.
                    query_names=sorted(declared if sends_body else declared | read),
                    form_names=sorted(fields) if sends_body else [],
                    file_names=sorted(files) if sends_body else [],
                    handler=getattr(handler.fn, "__qualname__", repr(handler.fn)),
                )
            )
    return targets


# -- The visitors ------------------------------------------------------------------------------


@dataclass
class Visitor:
    client: TestClient[Litestar]
    # Values that get past the first checks, by field name (ids of this visitor's own things).
    baseline: dict[str, str] = field(default_factory=dict)
    email: str | None = None  # signed in as (None: anonymous)
    cookies: list[tuple[str, str, str, str]] = field(default_factory=list)

    def base(self, name: str) -> str:
        return self.baseline.get(name, DEFAULT_BASELINE)

    def keep_cookies(self) -> None:
        self.cookies = [(c.name, c.value or "", c.domain, c.path) for c in self.client.cookies.jar]

    def restore_cookies(self) -> None:
        """Every request starts from the same browser state (signed in stays signed in)."""
        self.client.cookies.jar.clear()
        for name, value, domain, path in self.cookies:
            self.client.cookies.set(name, value, domain=domain, path=path)

    def csrf(self) -> str:
        return next((value for name, value, *_ in self.cookies if name == CSRF_COOKIE), "")

    def follow_session(self, response: httpx.Response) -> None:
        """Go on with a session a request renewed; sign in again after one it ended."""
        set_cookies = response.headers.get_list("set-cookie")
        if not any(cookie.startswith(f"{SESSION_COOKIE}=") for cookie in set_cookies):
            return
        if not response.cookies.get(SESSION_COOKIE) and self.email:
            signed_in = self.client.post(
                "/login",
                data={CSRF_FIELD: self.csrf(), "email": self.email, "password": PASSWORD},
                follow_redirects=False,
            )
            assert signed_in.status_code == 303, signed_in.text[:500]
        self.keep_cookies()


def _sign_up_verified(client: TestClient[Litestar]) -> Account:
    email = new_email("fuzz")
    response = client.post(
        "/register",
        data={
            CSRF_FIELD: client.cookies.get(CSRF_COOKIE) or "",
            "email": email,
            "password": PASSWORD,
            "accept_policy": "yes",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    [link] = client.blocking_portal.call(links_mailed_to, email, "verify_email")
    assert "is confirmed" in client.get(local(link)).text
    account = client.blocking_portal.call(_account_by_email, email)
    assert account is not None
    return account


async def _account_by_email(email: str) -> Account | None:
    return await Account.objects().where(Account.email == email).first()


async def _catalog_baseline() -> dict[str, str]:
    product = await Product.select(Product.id, Product.slug).where(Product.stock > 5).first()
    review = await Review.select(Review.id).first()
    assert product
    return {
        "product_id": str(product["id"]),
        "slug": product["slug"],
        "review_id": str(review["id"]) if review else DEFAULT_BASELINE,
        "q": "relay",
        "quantity": "1",
        "rating": "4",
        # Checkout: placing with a card runs every check (the other fields fail, no order).
        "action": "place",
        "payment_method": "card",
    }


async def _account_baseline(account: Account) -> dict[str, str]:
    """An address and a delivered order of the account: the ids its forms and pages take."""
    product = await Product.select(Product.id, Product.title).where(Product.stock > 5).first()
    address = await addresses.save_address(
        account.id,
        addresses.AddressForm(
            recipient="Fuzz Tester",
            phone="+44 20 7946 0958",
            country="GB",
            city="London",
            line="1 Test Street",
            zip_code="SW1A 2AA",
        ),
    )
    line_id = await bought(account, product)
    order = (
        await OrderLine.select(OrderLine.order.number.as_alias("number"))
        .where(OrderLine.id == line_id)
        .first()
    )
    assert order
    return {"address_id": str(address.id), "line": str(line_id), "number": order["number"]}


@pytest.fixture
def pooled_app(seeded_database: TestDatabase) -> Litestar:
    """The app as conftest's `app` fixture builds it, but with a PostgreSQL connection pool.

    (conftest's app has none because the async test client serves from pytest's event loop and
    a pool belongs to one loop; this sync client serves from a loop of its own, startup to
    shutdown, which is where the pool is opened and closed. Without it every query opens a
    connection, and this test takes three times as long on PostgreSQL.)
    """
    return create_app(replace(settings_for(seeded_database), database_pool_size=4))


@pytest.fixture(params=["anonymous", "signed_in"])
def visitor(request: pytest.FixtureRequest, pooled_app: Litestar) -> Iterator[Visitor]:
    with TestClient(app=pooled_app) as client:
        client.get("/")  # the CSRF cookie, as a browser gets it from any page
        baseline = client.blocking_portal.call(_catalog_baseline)
        email = None
        if request.param == "signed_in":
            account = _sign_up_verified(client)
            email = account.email
            baseline.update(client.blocking_portal.call(_account_baseline, account))
            # Something in the cart, so that the checkout form is reached, not a redirect.
            response = client.post(
                "/cart/lines",
                data={
                    CSRF_FIELD: client.cookies.get(CSRF_COOKIE) or "",
                    "product_id": baseline["product_id"],
                    "quantity": "1",
                },
                follow_redirects=False,
            )
            assert response.status_code == 303, response.text[:500]
        current = Visitor(client=client, baseline=baseline, email=email)
        current.keep_cookies()
        yield current
        # The sweep floods sign-in, sign-up and reset from the test client's address: its
        # rate-limit counts must not lock the tests that run after it out.
        client.blocking_portal.call(_forget_client_attempts)


async def _forget_client_attempts() -> None:
    await Attempt.delete().where(Attempt.key.like("%:testclient"))


# -- The property ----------------------------------------------------------------------------

Spec = dict[str, Any]  # path, query and form values, multipart, upload, htmx target, language


def _baseline(target: Target, visitor: Visitor) -> Spec:
    return {
        "path": {name: visitor.base(name) for name in target.path_params},
        "query": {name: visitor.base(name) for name in target.query_names},
        "form": {name: visitor.base(name) for name in target.form_names},
        "multipart": False,
        "upload": b"",
        "htmx": None,
        "language": None,
    }


def _sweep(target: Target, visitor: Visitor) -> Iterator[Spec]:
    """Every path parameter, query parameter and form field in turn set to each killer value."""
    base = _baseline(target, visitor)
    yield base  # first the baseline itself: where it must sign in first, the sweep stops
    for part in ("path", "query", "form"):
        for name in base[part]:
            for killer in KILLERS:
                yield {**base, part: {**base[part], name: killer}}


def _specs(target: Target, visitor: Visitor) -> st.SearchStrategy[Spec]:
    known = sorted(set(visitor.baseline.values()))
    values = value_strategy(known)

    def field_value(name: str) -> st.SearchStrategy[Any]:
        # Left out, at its baseline, or hostile.
        return st.one_of(st.none(), st.just(visitor.base(name)), values)

    return st.fixed_dictionaries(
        {
            "path": st.fixed_dictionaries(
                {
                    name: st.one_of(st.just(visitor.base(name)), hostile_text)
                    for name in target.path_params
                }
            ),
            "query": st.fixed_dictionaries({n: field_value(n) for n in target.query_names}),
            "form": st.fixed_dictionaries({n: field_value(n) for n in target.form_names}),
            "multipart": st.booleans(),
            "upload": st.binary(max_size=512),
            "htmx": st.one_of(
                st.none(),
                st.sampled_from(["live-search-results", "listing-results", "order-summary"]),
                header_text,
            ),
            "language": st.one_of(st.none(), header_text),
        }
    )


def _pairs(fields: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (name, item)
        for name, value in fields.items()
        if value is not None
        for item in (value if isinstance(value, list) else [value])
    ]


def _problems_logged(records: list[logging.LogRecord]) -> list[str]:
    found = []
    for record in records:
        text = record.getMessage()
        if (
            record.exc_info
            or record.levelno >= logging.ERROR
            or "Traceback" in text
            or "Unhandled error" in text
        ):
            found.append(f"{record.name} {record.levelname}: {text[:300]}")
    return found


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}…({len(text)} chars)"


def _send(
    target: Target, visitor: Visitor, spec: Spec, caplog: pytest.LogCaptureFixture
) -> httpx.Response:
    visitor.restore_cookies()
    headers: dict[str, str] = {}
    if spec["htmx"] is not None:
        headers.update({"HX-Request": "true", "HX-Target": spec["htmx"]})
    if spec["language"] is not None:
        headers["Accept-Language"] = spec["language"]
    url = target.path_format.format(
        **{name: quote(value, safe="") for name, value in spec["path"].items()}
    )
    request: dict[str, Any] = {"params": _pairs(spec["query"]), "headers": headers}
    if target.method in {"POST", "PUT", "PATCH", "DELETE"}:
        headers[CSRF_HEADER] = visitor.csrf()
        # (httpx sends a list value as the same field repeated.)
        form = {name: value for name, value in spec["form"].items() if value is not None}
        request["data"] = {**form, CSRF_FIELD: visitor.csrf()}
        if spec["multipart"]:
            request["files"] = [
                (name, ("upload.png", spec["upload"], "image/png"))
                for name in target.file_names or ["file"]
            ]
    seen = len(caplog.records)
    response = visitor.client.request(target.method, url, follow_redirects=False, **request)
    visitor.follow_session(response)
    problems = _problems_logged(caplog.records[seen:])
    changed = {
        f"{part}.{name}": _short(value)
        for part in ("path", "query", "form")
        for name, value in spec[part].items()
        if value is not None and value != visitor.base(name)
    }
    where = f"{target.method} {url[:120]} with {changed}"
    assert response.status_code < 500, f"{response.status_code} from {where}"
    assert "Traceback" not in response.text, f"a traceback in the page of {where}"
    assert not problems, f"{where} logged {problems}"
    return response


def _signs_in_first(response: httpx.Response) -> bool:
    target = response.headers.get("location") or response.headers.get("hx-redirect") or ""
    return target.startswith("/login")


def _fuzz(target: Target, visitor: Visitor, caplog: pytest.LogCaptureFixture) -> list[str]:
    """The route's failures: every one of the sweep, then Hypothesis's (shrunk) first."""
    failures: list[str] = []
    # The sweep where input gets past the sign-in (the baseline tells); else random ones only.
    for number, spec in enumerate(_sweep(target, visitor)):
        try:
            response = _send(target, visitor, spec, caplog)
        except AssertionError as error:
            failures.append(str(error))
        except Exception as error:  # raised through the test client: as bad as a 500
            failures.append(f"{type(error).__name__} from {target}: {str(error)[:300]}")
        else:
            if number == 0 and _signs_in_first(response):
                if visitor.email:  # the signed-in visitor must get past every sign-in
                    failures.append(f"{target.method} {target.path_format} asked to sign in")
                break

    @settings(
        # Litestar's own OPTIONS answers read no input: a couple of examples are plenty.
        max_examples=EXAMPLES_PER_ROUTE if target.method != "OPTIONS" else 2,
        deadline=None,
        database=None,  # nothing written into the work tree; a failure prints its example
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=True,
    )
    @given(spec=_specs(target, visitor))
    def run(spec: Spec) -> None:
        _send(target, visitor, spec, caplog)

    try:
        run()
    except Exception as error:
        failures += _summary(error)
    return failures


def _summary(error: BaseException) -> list[str]:
    if isinstance(error, BaseExceptionGroup):
        return [line for inner in error.exceptions for line in _summary(inner)]
    return [f"{type(error).__name__}: {str(error)[:600]} (Hypothesis)"]


def test_no_route_answers_hostile_input_with_a_5xx(
    pooled_app: Litestar, visitor: Visitor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    targets = discover_targets(pooled_app)
    # Discovery itself: the catalog, cart, checkout, account and review routes are all there.
    found = {str(target).split(" (")[0] for target in targets}
    for expected in (
        "GET /search",
        "POST /cart/lines",
        "POST /cart/lines/{product_id}",
        "POST /checkout",
        "POST /account/addresses/{address_id}",
        "POST /account/reviews",
        "POST /reviews/{review_id}/votes",
    ):
        assert expected in found, (expected, sorted(found))
    failures: list[str] = []
    for target in targets:
        failures += [f"{target}: {line}" for line in _fuzz(target, visitor, caplog)]
    assert not failures, f"{len(failures)} failures on {len(targets)} routes:\n" + "\n".join(
        failures
    )
