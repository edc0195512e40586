"""Cessation of operations (policy §7): announce, stop sign-ups and statistics, tell everyone
once, refuse to finish early, then erase what is held.

A wind-down closes the whole shop, so these tests run in a database of their own (per
backend), emptied of shoppers' data before each test.
"""

from __future__ import annotations

import datetime as dt
import html
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from piccolo.table import Table

from okmarts.app import bind_tables, create_app
from okmarts.piccolo_conf import APP_REGISTRY
from okmarts.services import wind_down
from okmarts.services.service_state import wind_down as wind_down_state
from okmarts.settings import Settings
from okmarts.tables.accounts import Account, Address, SignIn
from okmarts.tables.checkout import Order
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.privacy import PageView, PrivacyRequest, ServiceState
from okmarts.tables.reviews import Question, Review
from tests.conftest import BACKENDS, TestDatabase, create_database, drop_database, okmarts
from tests.states.accounts import PASSWORD, errors_in, new_email, post_form, sign_up
from tests.unit.conftest import settings_for

NOW = dt.datetime(2031, 5, 4, 9, 30, tzinfo=dt.UTC)
NOTICE = 'class="notice warning wind-down-notice"'


@pytest.fixture(scope="module", params=BACKENDS)
def own_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestDatabase]:
    """A migrated database with a small catalog; the tables point back where they were after."""
    database = create_database(request.param, tmp_path_factory)
    okmarts("migrate", env=database.env())
    okmarts("seed", "--products", "24", "--seed", "3", env=database.env())
    tables = [t for config in APP_REGISTRY.app_configs.values() for t in config.table_classes]
    previous = {table: table._meta.db for table in tables}
    yield database
    for table, engine in previous.items():
        table._meta.db = engine
    drop_database(database)


EMPTIED: list[type[Table]] = [
    OutboxMessage,
    Review,
    Question,
    Order,
    Account,
    PageView,
    PrivacyRequest,
    ServiceState,
]


@pytest.fixture
async def settings(own_database: TestDatabase) -> Settings:
    bind_tables(own_database.url)
    for table in EMPTIED:
        await table.delete(force=True)
    return settings_for(own_database)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def shopper(locale: str = "en", created_at: dt.datetime = NOW) -> Account:
    account = Account(
        email=new_email("closing"),
        password_hash="not-a-real-hash",
        policy_version="2023-07-04",
        policy_accepted_at=created_at,
        created_at=created_at,
        email_verified_at=created_at,
        locale=locale,
        real_name="Grace Hopper",
        nickname="grace",
        company="Navy",
    )
    await account.save()
    return account


def text_of(page: str) -> str:
    return html.unescape(" ".join(page.split()))


async def test_announcing_stops_sign_ups_and_shows_the_notice_everywhere(
    client: AsyncTestClient[Litestar], settings: Settings
) -> None:
    home = await client.get("/")
    assert home.status_code == 200 and NOTICE not in home.text
    await sign_up(client)  # open until the announcement
    await post_form(client, "/logout")

    await wind_down.announce(settings, notice_days=30)
    # Workers read the state every few seconds: as if that time had passed.
    client.app.state.wind_down.forget()
    for path in ("/", "/products", "/privacy", "/register", "/no-such-page"):
        page = await client.get(path)
        assert NOTICE in page.text, path
    closes_on = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).strftime("%b %-d, %Y")
    page = text_of((await client.get("/products")).text)
    assert f"Okmarts is closing on {closes_on}." in page
    assert 'href="/privacy"' in page and 'href="/account/privacy"' in page

    form = {"email": new_email("too-late"), "password": PASSWORD, "accept_policy": "yes"}
    refused = await post_form(client, "/register", form)
    assert refused.status_code == 422
    assert "new accounts can no longer be created" in " ".join(errors_in(refused.text))
    htmx = await post_form(
        client,
        "/register",
        form,
        headers={"HX-Request": "true", "HX-Target": "register-form"},
    )
    assert htmx.status_code == 422 and "<html" not in htmx.text
    assert "new accounts can no longer be created" in " ".join(errors_in(htmx.text))
    assert not await Account.exists().where(Account.email == form["email"])


async def test_cached_catalog_pages_show_the_notice_once_it_is_announced(
    settings: Settings,
) -> None:
    app = create_app(Settings(**{**settings.__dict__, "page_cache_seconds": 60}))
    async with AsyncTestClient(app=app) as client:
        assert NOTICE not in (await client.get("/products")).text
        await wind_down.announce(settings, notice_days=10)
        # The worker reads the state again after its short interval (made zero here) and drops
        # the pages it rendered without the notice, though their own time is not up.
        app.state.wind_down.seconds = 0
        assert NOTICE in (await client.get("/products")).text
        assert NOTICE in (await client.get("/products")).text  # cached, with the notice


async def test_every_account_is_emailed_once_in_its_language(
    settings: Settings, own_database: TestDatabase
) -> None:
    english, chinese = await shopper(), await shopper("zh_Hans")
    announced = await wind_down.announce(settings, notice_days=45, now=NOW)
    assert announced.emails_queued == 2 and not announced.already_announced
    state = await wind_down_state()
    assert state is not None and state.announced_at == NOW
    assert state.ends_at == NOW + dt.timedelta(days=45) and not state.finished

    late = await shopper()  # say, created by staff meanwhile
    again = await wind_down.announce(settings, notice_days=5, now=NOW + dt.timedelta(days=1))
    assert again.already_announced and again.emails_queued == 1
    assert (await wind_down_state()) == state  # the date first announced stands

    rows = await OutboxMessage.select(
        OutboxMessage.account, OutboxMessage.locale, OutboxMessage.text_body
    ).where(OutboxMessage.kind == wind_down.NOTICE_KIND)
    assert sorted(row["account"] for row in rows) == sorted([english.id, chinese.id, late.id])
    by_account = {row["account"]: row for row in rows}
    assert "Okmarts is closing on Jun 18, 2031." in by_account[english.id]["text_body"]
    assert by_account[chinese.id]["locale"] == "zh_Hans"
    assert "2031年6月18日" in by_account[chinese.id]["text_body"]
    assert "/account/privacy" in by_account[english.id]["text_body"]

    # The operator's command says the same, and emails nobody twice.
    result = okmarts("wind-down", "--notice-days", "30", env=own_database.env())
    assert "Queued 0 closing emails" in result.stdout
    assert await OutboxMessage.count().where(OutboxMessage.kind == wind_down.NOTICE_KIND) == 3


def refused(*args: str, database: TestDatabase) -> subprocess.CompletedProcess[str]:
    """Run the command expecting it to refuse (exit status 1)."""
    result = subprocess.run(
        [sys.executable, "-m", "okmarts.cli", *args],
        env=database.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result


async def test_finishing_waits_for_the_notice_period_then_erases_personal_data(
    client: AsyncTestClient[Litestar], settings: Settings, own_database: TestDatabase
) -> None:
    with pytest.raises(wind_down.WindDownRefused, match="No wind-down"):
        await wind_down.finish(settings, now=NOW)
    assert (
        "No wind-down was announced"
        in refused("wind-down", "--finish", database=own_database).stderr
    )

    grace = await shopper()
    await Address.insert(
        Address(
            account=grace.id,
            recipient="Grace Hopper",
            country="US",
            city="Arlington",
            line="1 Navy Way",
        )
    )
    await SignIn.insert(SignIn(account=grace.id, ip="198.51.100.7", device_hash="x" * 64))
    await PageView.insert(PageView(visitor="v", session="s", path="/"))
    key = uuid.uuid4().hex
    order = Order(
        number=key[:10].upper(),
        checkout_key=key,
        account=grace.id,
        status="shipped",
        subtotal_minor=5000,
        total_minor=5000,
        recipient="Grace Hopper",
        phone="+1 703 555 0100",
        email=grace.email,
        country="US",
        city="Arlington",
        line="1 Navy Way",
        zip_code="22202",
    )
    await order.save()
    await wind_down.announce(settings, notice_days=30, now=NOW)
    ends_at = NOW + dt.timedelta(days=30)
    await OutboxMessage.update({OutboxMessage.sent_at: NOW}).where(
        OutboxMessage.kind == wind_down.NOTICE_KIND
    )

    with pytest.raises(wind_down.WindDownRefused, match="notice period runs until"):
        await wind_down.finish(settings, now=ends_at - dt.timedelta(seconds=1))
    assert (
        "notice period runs until" in refused("wind-down", "--finish", database=own_database).stderr
    )
    with pytest.raises(wind_down.WindDownRefused, match="still open"):
        await wind_down.finish(settings, now=ends_at)
    assert await Account.exists().where(Account.id == grace.id)

    await Order.update({Order.status: "delivered"}).where(Order.id == order.id)
    erased = await wind_down.finish(settings, now=ends_at)
    assert erased.counts["accounts_erased"] == 1 and erased.orders_kept == 1
    assert await Account.count() == 0 and await Address.count() == 0
    assert await SignIn.count() == 0 and await PageView.count() == 0
    kept = await Order.select().where(Order.id == order.id).first()
    assert kept["account"] is None and kept["total_minor"] == 5000
    for field in ("recipient", "phone", "email", "city", "line", "zip_code"):
        assert kept[field] in ("", None), field
    leftovers = await OutboxMessage.select(OutboxMessage.recipient, OutboxMessage.text_body)
    assert leftovers and all(row == {"recipient": "", "text_body": ""} for row in leftovers)
    state = await wind_down_state()
    assert state is not None and state.finished

    page = text_of((await client.get("/")).text)
    assert "Okmarts has closed." in page
    again = await wind_down.finish(settings, now=ends_at + dt.timedelta(days=1))
    assert set(again.counts.values()) == {0}
    with pytest.raises(wind_down.WindDownRefused, match="finished already"):
        await wind_down.announce(settings, notice_days=30)
