"""Cookie consent: the banner until a choice, the signed choice and its log, GPC, and visit
statistics recorded only for visitors who accepted analytics."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from okmarts.admin import STATISTICS_FORM
from okmarts.app import create_app
from okmarts.services import consent, service_state
from okmarts.services.consent import Consent
from okmarts.services.service_state import WindDown
from okmarts.tables.catalog import Product
from okmarts.tables.privacy import CookieConsent, PageView
from tests.conftest import TestDatabase
from tests.unit.conftest import settings_for
from tests.unit.test_admin import csrf
from tests.unit.test_admin_orders import staff

Client = AsyncTestClient[Litestar]

SECRET = "test-secret-key-not-for-production"
BANNER = 'id="cookie-banner"'
GPC = {"Sec-GPC": "1"}
STATISTICS_URL = "/admin/api/forms/visit-statistics/"


class FromAddress:
    """The app as if every request came from `host` (the test client says "testclient")."""

    def __init__(self, app: Litestar, host: str) -> None:
        self.app = app
        self.host = host

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": (self.host, 50000)}
        await self.app(scope, receive, send)


def form_token(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the page has a form"
    return match.group(1)


async def token(client: Client, path: str = "/cookies") -> str:
    return form_token((await client.get(path)).text)


async def choose(client: Client, choice: str, next_path: str = "/products", **fields: str) -> Any:
    return await client.post(
        "/cookies",
        data={"_csrf_token": await token(client), "choice": choice, "next": next_path, **fields},
        follow_redirects=False,
    )


def put_consent_cookie(client: Client, value: str) -> None:
    """Replace the browser's consent cookie (as a visitor could, by hand)."""
    client.cookies.delete(consent.CONSENT_COOKIE)
    client.cookies.set(consent.CONSENT_COOKIE, value, domain="testserver.local")


def stored_consent(client: Client) -> Consent:
    found = consent.decode_consent(SECRET, client.cookies.get(consent.CONSENT_COOKIE))
    assert found is not None, "a signed consent cookie"
    return found


async def views_of(client: Client) -> int:
    visitor = consent.visitor_key(SECRET, stored_consent(client).consent_id)
    return await PageView.count().where(PageView.visitor == visitor)


async def a_product_path() -> str:
    product = await Product.select(Product.slug).first()
    assert product
    return f"/products/{product['slug']}"


@pytest.fixture
async def visitor(app: Litestar) -> AsyncIterator[Client]:
    """A second, separate browser on the same app."""
    async with AsyncTestClient(app=app) as other:
        yield other


# -- The rules --------------------------------------------------------------------------------


def test_ip_addresses_are_truncated() -> None:
    assert consent.ip_prefix("203.0.113.77") == "203.0.113.0"
    assert consent.ip_prefix("2001:db8:85a3:1234:5678:8a2e:370:7334") == "2001:db8:85a3::"
    assert consent.ip_prefix("::ffff:198.51.100.9") == "198.51.100.0"
    assert consent.ip_prefix("testclient") == ""
    assert consent.ip_prefix(None) == ""


def test_choices_and_gpc() -> None:
    assert consent.chosen_categories("accept_all") == set(consent.OPTIONAL)
    assert consent.chosen_categories("reject_all") == set()
    assert consent.chosen_categories("custom", ["analytics", "necessary", "bogus"]) == {"analytics"}
    with pytest.raises(consent.ConsentChoiceError):
        consent.chosen_categories("everything")
    everything = Consent("some-id", frozenset(consent.OPTIONAL))
    assert everything.allows("analytics") and everything.allows("marketing")
    assert not everything.allows("analytics", gpc=True)
    assert not everything.allows("marketing", gpc=True)
    assert everything.allows("preferences", gpc=True) and everything.allows("necessary", gpc=True)


def test_the_cookie_round_trips_and_forgeries_are_refused() -> None:
    chosen = Consent("abc-123", frozenset({"analytics"}))
    raw = consent.encode_consent(SECRET, chosen)
    decoded = consent.decode_consent(SECRET, raw)
    assert decoded is not None and decoded.current
    assert (decoded.consent_id, decoded.categories) == ("abc-123", {"analytics"})
    assert decoded.given_at is not None
    assert consent.decode_consent("another-secret", raw) is None
    assert consent.decode_consent(SECRET, raw[:-2] + "xx") is None
    assert consent.decode_consent(SECRET, "garbage") is None
    old = consent.decode_consent(
        SECRET, consent.encode_consent(SECRET, Consent("abc-123", frozenset(), "2001-01-01"))
    )
    assert old is not None and not old.current


# -- The banner -------------------------------------------------------------------------------


async def test_a_new_visitor_sees_the_banner_until_they_choose(client: Client) -> None:
    client.cookies.clear()
    home = await client.get("/")
    assert BANNER in home.text
    assert 'aria-labelledby="cookie-banner-title"' in home.text
    for label in ("Accept all", "Reject all", "Customize"):
        assert label in home.text
    assert (await client.get("/cookies")).text.count(BANNER) == 0, "not on the settings page"

    response = await choose(client, "reject_all", next_path="/products?sort=newest")
    assert response.status_code == 303
    assert response.headers["location"] == "/products?sort=newest"
    cookie = response.headers["set-cookie"].lower()
    assert "okmarts_consent=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "max-age=31536000" in cookie
    assert stored_consent(client).categories == frozenset()
    for path in ("/", "/products", await a_product_path(), "/cart"):
        assert BANNER not in (await client.get(path)).text, path


async def test_htmx_gets_an_answer_that_swaps_the_banner_away(client: Client) -> None:
    client.cookies.clear()
    response = await client.post(
        "/cookies",
        data={"_csrf_token": await token(client), "choice": "accept_all", "next": "/"},
        headers={"HX-Request": "true", "HX-Target": "cookie-banner"},
        follow_redirects=False,
    )
    # Only out-of-band parts: nothing takes the banner's place, the focus goes to the skip link
    # (not lost with the button pressed), and screen readers hear that the choice is kept.
    assert response.status_code == 200 and BANNER not in response.text
    assert 'id="skip-link"' in response.text and "autofocus" in response.text
    assert "Your cookie choices are saved." in response.text
    assert stored_consent(client).categories == set(consent.OPTIONAL)
    assert BANNER not in (await client.get("/")).text


async def test_the_banner_returns_for_an_old_cookie_policy_version(client: Client) -> None:
    client.cookies.clear()
    await choose(client, "accept_all")
    kept_id = stored_consent(client).consent_id
    old = Consent(kept_id, frozenset(consent.OPTIONAL), version="2020-01-01")
    put_consent_cookie(client, consent.encode_consent(SECRET, old))
    assert BANNER in (await client.get("/")).text
    before = await PageView.count()
    await client.get("/products")
    assert await PageView.count() == before, "an old choice allows no statistics"
    # Asked again, the visitor keeps their anonymous id.
    await choose(client, "reject_all")
    assert stored_consent(client).consent_id == kept_id
    assert stored_consent(client).version == consent.COOKIE_POLICY_VERSION


async def test_a_forged_cookie_is_no_consent(client: Client) -> None:
    client.cookies.clear()
    forged = consent.encode_consent(
        "not-the-secret", Consent("forged-id", frozenset(consent.OPTIONAL))
    )
    put_consent_cookie(client, forged)
    assert BANNER in (await client.get("/")).text
    await client.get("/products")
    visitor = consent.visitor_key(SECRET, "forged-id")
    assert await PageView.count().where(PageView.visitor == visitor) == 0


async def test_the_footer_link_opens_the_settings_page(client: Client) -> None:
    client.cookies.clear()
    await choose(client, "custom", analytics="on")
    page = await client.get("/products?sort=newest")
    assert 'href="/cookies?next=/products%3Fsort%3Dnewest">Cookie settings</a>' in page.text
    settings = await client.get("/cookies", params={"next": "/products?sort=newest"})
    assert settings.status_code == 200
    assert 'name="next" value="/products?sort=newest"' in settings.text
    html = re.sub(r"\s+", " ", settings.text)
    assert re.search(r'id="cookie-analytics" name="analytics" value="on"[^>]* checked', html)
    assert not re.search(r'id="cookie-marketing" name="marketing" value="on"[^>]* checked', html)
    assert 'id="cookie-necessary" checked disabled' in html
    for name in ("okmarts_session", "okmarts_csrf", "okmarts_cart", "okmarts_lang"):
        assert name in html
    assert "okmarts_consent" in html and "okmarts_visit" in html
    # Saved from the page itself, the page says so.
    response = await client.post(
        "/cookies",
        data={
            "_csrf_token": form_token(settings.text),
            "choice": "custom",
            "next": "/cookies",
            "source": "settings",
            "preferences": "on",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/cookies?saved=1"
    assert stored_consent(client).categories == {"preferences"}
    assert "Your cookie choices are saved." in (await client.get("/cookies?saved=1")).text


# -- The log ----------------------------------------------------------------------------------


async def test_each_choice_is_logged_with_a_truncated_address(app: Litestar) -> None:
    for host, prefix in [
        ("203.0.113.77", "203.0.113.0"),
        ("2001:db8:85a3:1234:5678:8a2e:370:7334", "2001:db8:85a3::"),
    ]:
        async with AsyncTestClient(app=FromAddress(app, host)) as client:  # type: ignore[arg-type]
            await choose(client, "accept_all")
            await choose(client, "custom", analytics="on", marketing="on")
            await choose(client, "reject_all")
            consent_id = stored_consent(client).consent_id
        rows = (
            await CookieConsent.select()
            .where(CookieConsent.consent_id == consent_id)
            .order_by(CookieConsent.id)
        )
        assert [row["categories"] for row in rows] == [
            "necessary,preferences,analytics,marketing",
            "necessary,analytics,marketing",
            "necessary",
        ]
        assert {row["ip_prefix"] for row in rows} == {prefix}
        assert {row["cookie_policy_version"] for row in rows} == {consent.COOKIE_POLICY_VERSION}
        assert {row["source"] for row in rows} == {"banner"}
        assert all(row["created_at"] is not None for row in rows)
        everything = [str(value) for row in await CookieConsent.select() for value in row.values()]
        assert not any(host in value for value in everything), "no full address anywhere"
        views = [str(value) for row in await PageView.select() for value in row.values()]
        assert not any(host in value for value in views)


async def test_gpc_refuses_analytics_and_marketing_even_when_accepted(client: Client) -> None:
    client.cookies.clear()
    await client.get("/", headers=GPC)
    response = await client.post(
        "/cookies",
        data={"_csrf_token": await token(client), "choice": "accept_all", "next": "/"},
        headers=GPC,
        follow_redirects=False,
    )
    assert response.status_code == 303
    chosen = stored_consent(client)
    assert chosen.categories == {"preferences"}
    row = await CookieConsent.select().where(CookieConsent.consent_id == chosen.consent_id).first()
    assert (
        row is not None and row["source"] == "gpc" and row["categories"] == "necessary,preferences"
    )
    page = await client.get("/cookies", headers=GPC)
    assert "Global Privacy Control" in page.text
    html = re.sub(r"\s+", " ", page.text)
    assert re.search(r'id="cookie-analytics" name="analytics" value="on"[^>]* disabled', html)


# -- Visit statistics -------------------------------------------------------------------------


async def test_page_views_only_after_accepting_analytics(client: Client) -> None:
    client.cookies.clear()
    before = await PageView.count()
    await client.get("/")
    await client.get("/products")
    assert await PageView.count() == before, "nothing before a choice"

    await choose(client, "accept_all", next_path="/products")
    product = await a_product_path()
    assert (await client.get(product)).status_code == 200
    assert (await client.get("/products?sort=newest")).status_code == 200
    assert await views_of(client) == 2
    visitor = consent.visitor_key(SECRET, stored_consent(client).consent_id)
    rows = await PageView.select().where(PageView.visitor == visitor).order_by(PageView.id)
    assert [row["path"] for row in rows] == [product, "/products"], "paths without the query"
    assert len({row["session"] for row in rows}) == 1, "one visit"
    assert client.cookies.get(consent.VISIT_COOKIE)

    # Not page views: files, the health check, htmx fragments, errors, redirects, the admin.
    await client.get("/static/css/site.css")
    await client.get("/healthz")
    await client.get("/search", params={"q": "valve"}, headers={"HX-Request": "true"})
    await client.get("/no-such-page")
    await client.get("/account", follow_redirects=False)
    await client.get("/admin/", follow_redirects=False)
    assert await views_of(client) == 2

    # A new visit (the visit cookie expired): a second session of the same visitor.
    client.cookies.delete(consent.VISIT_COOKIE)
    await client.get("/")
    rows = await PageView.select().where(PageView.visitor == visitor)
    assert len(rows) == 3 and len({row["session"] for row in rows}) == 2

    # Sec-GPC: nothing, whatever the cookie says.
    await client.get("/", headers=GPC)
    await client.get("/products", headers=GPC)
    assert await views_of(client) == 3

    # Withdrawn on the settings page (that visit to it still counts): nothing more after.
    response = await choose(client, "reject_all")
    assert await views_of(client) == 4
    assert "okmarts_visit=" in response.headers.get("set-cookie", "")
    assert not client.cookies.get(consent.VISIT_COOKIE), "the visit cookie goes"
    await client.get("/")
    await client.get("/products")
    assert await views_of(client) == 4


async def test_no_page_views_after_rejecting_or_with_only_preferences(
    client: Client, visitor: Client
) -> None:
    client.cookies.clear()
    await choose(client, "reject_all")
    await choose(visitor, "custom", preferences="on", marketing="on")
    for browser in (client, visitor):
        for path in ("/", "/products", await a_product_path()):
            assert (await browser.get(path)).status_code == 200
        assert await views_of(browser) == 0
        assert not browser.cookies.get(consent.VISIT_COOKIE)


async def test_statistics_stop_during_a_wind_down(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.cookies.clear()
    await choose(client, "accept_all")

    async def winding_down() -> WindDown:
        now = dt.datetime.now(dt.UTC)
        return WindDown(announced_at=now, ends_at=now + dt.timedelta(days=30))

    monkeypatch.setattr(service_state, "wind_down", winding_down)
    await client.get("/")
    assert await views_of(client) == 0
    monkeypatch.undo()
    await client.get("/")
    assert await views_of(client) == 1


async def test_a_failing_insert_never_breaks_the_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.cookies.clear()
    await choose(client, "accept_all")

    async def broken(view: consent.PageViewRecord) -> bool:
        raise RuntimeError("statistics database on fire")

    monkeypatch.setattr(consent, "record_page_view", broken)
    response = await client.get("/products")
    assert response.status_code == 200 and "Okmarts" in response.text


# -- Cached catalog pages -----------------------------------------------------------------------


def cached_app(database: TestDatabase) -> Litestar:
    settings = settings_for(database)
    return create_app(settings.__class__(**{**settings.__dict__, "page_cache_seconds": 60}))


async def test_cached_pages_show_the_banner_only_to_those_who_have_not_chosen(
    seeded_database: TestDatabase,
) -> None:
    app = cached_app(seeded_database)
    path = await a_product_path()
    async with (
        AsyncTestClient(app=app) as first,
        AsyncTestClient(app=app) as chooser,
        AsyncTestClient(app=app) as later,
    ):
        page = await first.get(path)
        assert BANNER in page.text
        # The banner's form in the cached page carries each visitor's own token.
        banner_token = form_token(page.text[page.text.index(BANNER) :])
        assert banner_token == form_token(page.text)
        response = await first.post(
            "/cookies",
            data={"_csrf_token": banner_token, "choice": "accept_all", "next": path},
            follow_redirects=False,
        )
        assert response.status_code == 303 and response.headers["location"] == path
        mine = await first.get(path)
        assert BANNER not in mine.text and "<!--okmarts-cookie-banner" not in mine.text
        assert 'name="_csrf_token"' in mine.text, "the rest of the page is whole"

        await choose(chooser, "reject_all")
        assert BANNER not in (await chooser.get(path)).text
        # Served from the same cached rendering, a new visitor still gets the banner.
        assert BANNER in (await later.get(path)).text
        assert await views_of(first) == 1, "the cached page counts as a page view"


# -- Malformed posts --------------------------------------------------------------------------


async def test_malformed_posts_are_refused_not_crashed(client: Client) -> None:
    client.cookies.clear()
    csrf_token = await token(client)
    bad: list[tuple[dict[str, Any], dict[str, str]]] = [
        ({"choice": "accept_all", "next": "/"}, {}),  # no CSRF token
        ({"_csrf_token": csrf_token}, {}),
        ({"_csrf_token": csrf_token, "choice": "everything"}, {}),
        ({"_csrf_token": csrf_token, "choice": ""}, {}),
        ({"_csrf_token": csrf_token, "choice": ["accept_all", "reject_all"]}, {}),
        ({"_csrf_token": csrf_token, "choice": "accept_all", "next": ["/a", "/b"]}, {}),
        ({"_csrf_token": csrf_token, "choice": "bogus"}, {"HX-Request": "true"}),
    ]
    for data, headers in bad:
        response = await client.post("/cookies", data=data, headers=headers, follow_redirects=False)
        assert 400 <= response.status_code < 500, (data, response.status_code)
    htmx = await client.post(
        "/cookies",
        data={"_csrf_token": csrf_token, "choice": "bogus", "next": "/products"},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 400 and BANNER in htmx.text
    assert 'name="next" value="/products"' in htmx.text
    json_body = await client.post(
        "/cookies",
        json={"choice": "accept_all"},
        headers={"x-okmarts-csrf": csrf_token},
        follow_redirects=False,
    )
    assert 400 <= json_body.status_code < 500
    assert not client.cookies.get(consent.CONSENT_COOKIE)
    # A redirect target elsewhere is not followed; an odd switch value is just "on".
    for target in ("https://evil.example/", "//evil.example", "javascript:alert(1)"):
        response = await client.post(
            "/cookies",
            data={"_csrf_token": csrf_token, "choice": "custom", "next": target, "analytics": "x"},
            follow_redirects=False,
        )
        assert response.status_code == 303 and response.headers["location"] == "/"
    assert stored_consent(client).categories == {"analytics"}


# -- Staff: the admin's summary -----------------------------------------------------------------


async def test_visit_summary_counts_views_sessions_and_visitors(app: Litestar) -> None:
    # A day long past, so that only these rows count.
    day = dt.datetime(2001, 3, 14, 10, tzinfo=dt.UTC)
    tag = uuid.uuid4().hex[:8]
    rows = [
        # (day offset, visitor, session, path)
        (0, "a", "a1", "/"),
        (0, "a", "a1", "/products"),
        (0, "a", "a2", "/"),
        (0, "b", "b1", "/"),
        (1, "b", "b2", "/products"),
    ]
    for offset, visitor, session, path in rows:
        await PageView.insert(
            PageView(
                visitor=f"{tag}-{visitor}",
                session=f"{tag}-{session}",
                path=f"/{tag}{path}",
                ip_prefix="203.0.113.0",
                created_at=day + dt.timedelta(days=offset),
            )
        )
    try:
        summary = await consent.visit_summary(days=3, top=2, now=day + dt.timedelta(days=1))
        assert (summary.first_day, summary.last_day) == (
            dt.date(2001, 3, 13),
            dt.date(2001, 3, 15),
        )
        assert (summary.page_views, summary.sessions, summary.visitors) == (5, 4, 2)
        assert [(d.page_views, d.sessions, d.visitors) for d in summary.days] == [
            (0, 0, 0),
            (4, 3, 2),
            (1, 1, 1),
        ]
        assert summary.top_paths == [(f"/{tag}/", 3), (f"/{tag}/products", 2)]
    finally:
        await PageView.delete().where(PageView.path.like(f"/{tag}%"))


async def test_superusers_see_visit_statistics_in_the_admin(client: Client) -> None:
    client.cookies.clear()
    await choose(client, "accept_all")
    await client.get("/products")
    await staff(client, superuser=True)
    forms = (await client.get("/admin/api/forms/grouped/")).json()["grouped"]
    assert [form["slug"] for form in forms["Visit statistics"]] == ["visit-statistics"]
    assert any(form["name"] == STATISTICS_FORM for form in forms["Visit statistics"])
    tables = (await client.get("/admin/api/tables/grouped/")).json()["grouped"]
    assert set(tables["Visit statistics"]) == {"page_view", "cookie_consent"}

    answer = await client.post(STATISTICS_URL, json={"days": 30}, headers=csrf(client))
    assert answer.status_code == 200, answer.text
    message = answer.json()["custom_form_success"]
    assert re.search(r"\d+ page views, \d+ sessions, \d+ unique visitors", message)
    assert "/products (" in message

    download = await client.post(
        STATISTICS_URL, json={"days": 7, "download_csv": True}, headers=csrf(client)
    )
    assert download.status_code == 200
    lines = download.text.splitlines()
    assert lines[0] == "day,page_views,sessions,unique_visitors"
    assert len([line for line in lines if re.match(r"\d{4}-\d\d-\d\d,", line)]) == 7
    assert any(line.startswith("total,") for line in lines)

    # Read only: the page views are evidence.
    listing = (await client.get("/admin/api/tables/page_view/")).json()
    row_id = listing["rows"][0]["id"]
    patched = await client.patch(
        f"/admin/api/tables/page_view/{row_id}/", json={"path": "/x"}, headers=csrf(client)
    )
    assert patched.status_code == 405
    deleted = await client.delete(f"/admin/api/tables/page_view/{row_id}/", headers=csrf(client))
    assert deleted.status_code == 405
    too_long = await client.post(STATISTICS_URL, json={"days": 5000}, headers=csrf(client))
    assert too_long.status_code == 422


async def test_moderators_see_no_visit_statistics(client: Client) -> None:
    client.cookies.clear()
    await staff(client, superuser=False)
    forms = [form["slug"] for form in (await client.get("/admin/api/forms/")).json()]
    assert "visit-statistics" not in forms
    assert "page_view" not in (await client.get("/admin/api/tables/")).json()
    refused = await client.post(STATISTICS_URL, json={"days": 30}, headers=csrf(client))
    assert refused.status_code in {403, 404}


async def test_a_shopper_who_restricted_processing_is_never_counted(app: Litestar) -> None:
    from okmarts.tables.accounts import Account
    from okmarts.tables.privacy import PageView
    from tests.states.accounts import post_form, sign_up

    async with AsyncTestClient(app=app) as client:
        account = await sign_up(client)
        await Account.update({Account.restrict_processing: True}).where(Account.id == account.id)
        await post_form(client, "/cookies", {"choice": "accept_all", "next": "/"})
        before = await PageView.count()
        for _ in range(3):
            assert (await client.get("/products")).status_code == 200
        assert await PageView.count() == before
