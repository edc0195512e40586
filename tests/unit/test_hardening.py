"""Hardening: no lost write, no limit that races, sessions that end, personal pages never kept,
no worker blocked by a picture. Concurrency runs for real (many requests at once, each
database); every test here failed before its fix."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import time
import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from okmarts.app import create_app
from okmarts.cli import served_base_url
from okmarts.services import accounts, cart, questions
from okmarts.services.accounts import Device, InvalidCredentials, Site
from okmarts.services.avatars import AvatarInvalid, process_avatar
from okmarts.services.rate_limits import Limit, RateLimited
from okmarts.tables.accounts import Account, AccountSession, Attempt
from okmarts.tables.checkout import CartLine
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.reviews import Question
from tests.states.accounts import PASSWORD, csrf, new_email, post_form, sign_up, verified_account
from tests.states.catalog import new_product

Client = AsyncTestClient[Litestar]
SITE = Site(secret="test-secret-key-not-for-production", base_url="http://shop.test")
CONCURRENT = 16


def device(ip: str = "198.51.100.20") -> Device:
    return Device(ip=ip, user_agent="pytest", device_id=uuid.uuid4().hex)


async def units_in_cart(account_id: int, product_id: int) -> int:
    row = (
        await CartLine.select(CartLine.quantity)
        .where((CartLine.account == account_id) & (CartLine.product == product_id))
        .first()
    )
    return row["quantity"] if row else 0


# -- The signed-in cart -------------------------------------------------------------------------


async def test_concurrent_adds_from_one_account_are_all_kept(client: Client) -> None:
    account = await verified_account(client)
    product = await new_product(stock=500)
    answers = await asyncio.gather(
        *(
            post_form(client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "1"})
            for _ in range(CONCURRENT)
        )
    )
    assert [answer.status_code for answer in answers] == [303] * CONCURRENT
    assert await units_in_cart(account.id, product["id"]) == CONCURRENT
    page = await client.get("/cart")
    assert f'value="{CONCURRENT}"' in page.text


async def test_concurrent_adds_stop_at_the_stock_and_say_so(client: Client) -> None:
    account = await verified_account(client)
    product = await new_product(stock=5)
    answers = await asyncio.gather(
        *(
            post_form(client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "1"})
            for _ in range(CONCURRENT)
        )
    )
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [303] * 5 + [422] * (CONCURRENT - 5)
    refused = next(answer for answer in answers if answer.status_code == 422)
    assert "Only 5 of this product are in stock." in refused.text
    assert await units_in_cart(account.id, product["id"]) == 5


async def test_sign_in_merges_racing_adds_lose_nothing(client: Client) -> None:
    account = await verified_account(client)
    product = await new_product(stock=500)
    visitor_cart = [cart.CartItem(product["id"], 1)]
    await asyncio.gather(
        *(cart.merge_into_account(account.id, visitor_cart) for _ in range(8)),
        *(cart.change_account_cart(account.id, product["id"], 1, add=True) for _ in range(8)),
    )
    assert await units_in_cart(account.id, product["id"]) == 16


async def test_racing_signed_in_adds_lose_nothing_and_count_in_turn(client: Client) -> None:
    """cart.add_to_account_cart (one row read, then a write, in the account's lock): adds of the
    same and of other products racing each other and a sign-in's merge all land, and each sees
    the cart as the one before it left it."""
    account = await verified_account(client)
    products = [await new_product(stock=500) for _ in range(3)]
    added = await asyncio.gather(
        *(cart.add_to_account_cart(account.id, p["id"], 1) for p in products for _ in range(10)),
        cart.merge_into_account(account.id, [cart.CartItem(products[0]["id"], 1)]),
    )
    for product, expected in zip(products, (11, 10, 10), strict=True):
        assert await units_in_cart(account.id, product["id"]) == expected
    counts = sorted(result.count for result in added if isinstance(result, cart.Added))
    assert len(counts) == 30 and len(set(counts)) == 30 and max(counts) <= 31


async def test_a_visitor_cart_joins_the_account_at_sign_in(app: Litestar) -> None:
    product = await new_product(stock=50)
    async with AsyncTestClient(app=app) as shopper:
        account = await verified_account(shopper)
        await post_form(shopper, "/logout")
        for _ in range(2):
            await post_form(shopper, "/cart/lines", {"product_id": str(product["id"])})
        signed_in = await post_form(
            shopper, "/login", {"email": account.email, "password": PASSWORD}
        )
        assert signed_in.status_code == 303
        assert await units_in_cart(account.id, product["id"]) == 2
        assert "okmarts_cart" not in shopper.cookies


async def test_quantity_messages_state_the_rule_their_form_applies(client: Client) -> None:
    await verified_account(client)
    product = await new_product(stock=50)
    added = await post_form(
        client, "/cart/lines", {"product_id": str(product["id"]), "quantity": "0"}
    )
    assert added.status_code == 422
    assert "Enter a quantity from 1 to 999." in added.text
    await post_form(client, "/cart/lines", {"product_id": str(product["id"])})
    changed = await post_form(client, f"/cart/lines/{product['id']}", {"quantity": "-1"})
    assert changed.status_code == 422
    assert "Enter a quantity from 0 to 999 (0 removes the product)." in changed.text


# -- Rate limits that hold under concurrency ----------------------------------------------------


async def test_parallel_wrong_passwords_are_checked_at_most_the_limit(app: Litestar) -> None:
    account = await accounts.register(
        accounts.SignUp(email=new_email(), password=PASSWORD, accept_policy=True), SITE, device()
    )

    async def guess(number: int) -> str:
        try:
            await accounts.authenticate(account.email, f"wrong guess {number}", device())
        except InvalidCredentials:
            return "checked"
        except RateLimited:
            return "limited"
        return "signed in"

    outcomes = await asyncio.gather(*(guess(n) for n in range(CONCURRENT)))
    limit = accounts.SIGN_IN_FAILURES_PER_ACCOUNT.attempts
    assert outcomes.count("checked") == limit
    assert outcomes.count("limited") == CONCURRENT - limit
    assert await Attempt.count().where(Attempt.key == f"sign-in-account:{account.email}") == limit


async def test_parallel_sign_ups_from_one_address_stop_at_the_limit(app: Litestar) -> None:
    limit = Limit(f"sign-up-test-{uuid.uuid4().hex[:6]}", attempts=10, window=dt.timedelta(hours=1))
    emails = [new_email("crowd") for _ in range(CONCURRENT)]

    async def register(email: str) -> bool:
        try:
            await accounts.register(
                accounts.SignUp(email=email, password=PASSWORD, accept_policy=True),
                SITE,
                device("203.0.113.77"),
                limit=limit,
            )
        except RateLimited:
            return False
        return True

    created = await asyncio.gather(*(register(email) for email in emails))
    assert created.count(True) == 10
    assert await Account.count().where(Account.email.is_in(emails)) == 10


async def test_parallel_reset_requests_send_at_most_the_limit(app: Litestar) -> None:
    account = await accounts.register(
        accounts.SignUp(email=new_email(), password=PASSWORD, accept_policy=True), SITE, device()
    )

    async def reset(number: int) -> bool:
        try:
            await accounts.request_password_reset(
                account.email, SITE, device(f"192.0.2.{number + 1}")
            )
        except RateLimited:
            return False
        return True

    sent = await asyncio.gather(*(reset(n) for n in range(CONCURRENT)))
    limit = accounts.RESET_PER_ACCOUNT.attempts
    assert sent.count(True) == limit
    mailed = await OutboxMessage.count().where(
        (OutboxMessage.recipient == account.email) & (OutboxMessage.kind == "password_reset")
    )
    assert mailed == limit


async def test_parallel_questions_stop_at_the_limit(client: Client) -> None:
    account = await verified_account(client)
    product = await new_product(stock=5)

    async def ask(number: int) -> bool:
        try:
            await questions.ask(account, product["id"], f"Does it fit a DIN rail, case {number}?")
        except RateLimited:
            return False
        return True

    asked = await asyncio.gather(*(ask(n) for n in range(CONCURRENT)))
    limit = questions.QUESTIONS_PER_ACCOUNT.attempts
    assert asked.count(True) == limit
    assert await Question.count().where(Question.account == account.id) == limit


# -- Sessions -------------------------------------------------------------------------------------


async def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(app: Litestar) -> None:
    async with (
        AsyncTestClient(app=app) as browser,
        AsyncTestClient(app=app) as thief,
        AsyncTestClient(app=app) as phone,
    ):
        account = await sign_up(browser)
        stolen = browser.cookies["okmarts_session"]
        signed_in = await post_form(phone, "/login", {"email": account.email, "password": PASSWORD})
        assert signed_in.status_code == 303
        thief.cookies.set("okmarts_session", stolen)
        assert (await thief.get("/account", follow_redirects=False)).status_code == 200
        assert await AccountSession.count().where(AccountSession.account == account.id) == 2

        await post_form(browser, "/logout")

        refused = await thief.get("/account", follow_redirects=False)
        assert refused.status_code in {302, 303} and "/login" in refused.headers["location"]
        # The phone's own session is another one: it stays signed in.
        assert (await phone.get("/account", follow_redirects=False)).status_code == 200
        assert await AccountSession.count().where(AccountSession.account == account.id) == 1


# -- Headers --------------------------------------------------------------------------------------


async def test_personal_answers_are_never_stored_by_caches(app: Litestar) -> None:
    product = await new_product(stock=5)
    async with AsyncTestClient(app=app) as visitor, AsyncTestClient(app=app) as shopper:
        for path in ("/cart", "/login", "/register", "/password-reset"):
            answer = await visitor.get(path, follow_redirects=False)
            assert answer.headers["cache-control"] == "no-store", path
        assert (await visitor.get("/")).headers["cache-control"] == "no-cache"
        await verified_account(shopper)
        for path in ("/", f"/products/{product['slug']}", "/products", "/search?q=relay", "/cart"):
            answer = await shopper.get(path)
            assert answer.status_code == 200 and "Sign out" in answer.text
            assert answer.headers["cache-control"] == "no-store", path
        for path in ("/account", "/account/orders", "/account/privacy"):
            answer = await shopper.get(path)
            assert answer.status_code == 200
            assert answer.headers["cache-control"] == "no-store", path


async def test_https_sites_send_strict_transport_security(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as client:
        plain = await client.get("/")
    assert "strict-transport-security" not in plain.headers
    secure = create_app(dataclasses.replace(app.state.settings, base_url="https://shop.test"))
    async with AsyncTestClient(app=secure, base_url="https://shop.test") as client:
        answer = await client.get("/")
        missing = await client.get("/nowhere")
    assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert missing.status_code == 404
    assert "strict-transport-security" in missing.headers


async def test_avatars_are_never_sniffed(client: Client) -> None:
    await verified_account(client)
    picture = io.BytesIO()
    Image.new("RGB", (300, 300), (200, 30, 30)).save(picture, format="PNG")
    await client.post(
        "/account/profile",
        data={"_csrf_token": csrf(client), "nickname": "sniff_test"},
        files={"avatar": ("me.png", picture.getvalue(), "image/png")},
    )
    stored = await Account.select(Account.avatar).where(Account.nickname == "sniff_test").first()
    answer = await client.get(f"/media/avatars/{stored['avatar']}")
    assert answer.status_code == 200
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_head_is_answered_wherever_get_is(client: Client) -> None:
    product = await new_product(stock=5)
    for path in ("/", "/products", f"/products/{product['slug']}", "/search?q=relay", "/cart"):
        got, head = await client.get(path), await client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
    assert (await client.head("/no-such-page")).status_code == 404


async def test_a_browser_refusing_cookies_is_told_so(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as client:
        refused = await client.post(
            "/cart/lines", data={"product_id": "1", "_csrf_token": "x"}, follow_redirects=False
        )
        assert refused.status_code == 403
        assert "This shop needs cookies to accept forms" in refused.text
        # With the cookie but a wrong token: the form is stale, reloading helps.
        await client.get("/")
        stale = await client.post(
            "/cart/lines", data={"product_id": "1", "_csrf_token": "x"}, follow_redirects=False
        )
        assert stale.status_code == 403 and "This form has expired" in stale.text
    async with AsyncTestClient(app=app) as chinese_browser:
        chinese = await chinese_browser.post(
            "/cart/lines",
            data={"product_id": "1"},
            headers={"accept-language": "zh-CN"},
            follow_redirects=False,
        )
        assert chinese.status_code == 403
        assert "This shop needs cookies" not in chinese.text and "Cookie" in chinese.text


def test_links_follow_the_address_served_when_no_base_url_is_set() -> None:
    assert served_base_url("127.0.0.1", 8791) == "http://127.0.0.1:8791"
    assert served_base_url("::1", 8000) == "http://[::1]:8000"
    assert served_base_url("0.0.0.0", 8080).endswith(":8080")


# -- Pictures off the event loop ------------------------------------------------------------------


def png(size: tuple[int, int]) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, (10, 90, 160)).save(output, format="PNG")
    return output.getvalue()


def test_pictures_beyond_what_an_avatar_needs_are_refused_before_decoding() -> None:
    bomb = png((6000, 6600))  # a few KB, 40 megapixels
    started = time.perf_counter()
    with pytest.raises(AvatarInvalid, match="too many pixels"):
        process_avatar(bomb)
    assert time.perf_counter() - started < 0.2


def test_a_large_camera_photo_is_decoded_at_a_fraction_of_its_size() -> None:
    photo = io.BytesIO()
    Image.new("RGB", (8000, 6000), (90, 120, 30)).save(photo, format="JPEG", quality=80)
    avatar = process_avatar(photo.getvalue())
    with Image.open(io.BytesIO(avatar)) as image:
        assert image.size == (256, 256)


async def test_the_server_answers_while_a_large_avatar_is_processed(client: Client) -> None:
    await verified_account(client)
    upload = png((4000, 4000))  # 16 megapixels: the largest PNG accepted, decoded whole
    delays: list[float] = []

    async def probe() -> None:
        await asyncio.sleep(0.05)  # the upload is being processed by now
        for _ in range(5):
            started = time.perf_counter()
            assert (await client.get("/healthz")).text == "ok"
            delays.append(time.perf_counter() - started)
            await asyncio.sleep(0.02)

    uploaded, _ = await asyncio.gather(
        client.post(
            "/account/profile",
            data={"_csrf_token": csrf(client), "nickname": "big_picture"},
            files={"avatar": ("big.png", upload, "image/png")},
            follow_redirects=False,
        ),
        probe(),
    )
    assert uploaded.status_code == 303
    assert max(delays) < 0.1, delays
