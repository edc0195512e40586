"""Account rules: validation, tokens, rate limits, sessions, points and avatars."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import pytest
from litestar import Litestar
from PIL import Image

from okmarts.services import accounts, points, profile, rate_limits
from okmarts.services.accounts import Device, FormInvalid, Site
from okmarts.services.avatars import AVATAR_SIZE, AvatarInvalid, process_avatar
from okmarts.services.rate_limits import Limit, RateLimited
from okmarts.services.tokens import TokenError, TokenExpired, make_token, read_token
from okmarts.tables.accounts import Account, PointsEntry
from tests.states.accounts import PASSWORD, new_email

SECRET = "test-secret-key-not-for-production"
SITE = Site(secret=SECRET, base_url="http://shop.test")
DEVICE = Device(
    ip="192.0.2.10",
    user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    device_id="device-1",
)
TODAY = dt.date(2026, 11, 26)


# -- Validation -------------------------------------------------------------------------------


def test_email_is_validated_and_lower_cased() -> None:
    assert accounts.normalize_email("  Buyer.One" + "@Example.COM ") == "buyer.one" + "@example.com"
    for bad in ["", "no-at-sign", "two" + "@@example.com", "a" * 250 + "@example.com"]:
        with pytest.raises(ValueError):
            accounts.normalize_email(bad)


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short", False),
        ("qwertyuiop", False),  # common
        ("aaaaaaaaaaaa", False),  # one letter repeated
        ("x" * 257, False),
        ("buyer-one-2026!", False),  # contains the email's name
        ("amber lathe 47 spindle", True),
    ],
)
def test_password_rules(password: str, ok: bool) -> None:
    problem = accounts.password_problem(password, "buyer-one" + "@example.com")
    assert (problem is None) is ok


def test_birth_date_rules() -> None:
    assert accounts.parse_birth_date("", TODAY) is None
    assert accounts.parse_birth_date("1990-05-31", TODAY) == dt.date(1990, 5, 31)
    for bad in ["2030-01-01", "31/05/1990", "1890-01-01", "1990-02-30", "x" * 500]:
        with pytest.raises(ValueError):
            accounts.parse_birth_date(bad, TODAY)


def test_a_minor_is_under_14_until_the_birthday() -> None:
    assert accounts.is_minor(dt.date(2012, 11, 27), TODAY)  # turns 14 tomorrow
    assert not accounts.is_minor(dt.date(2012, 11, 26), TODAY)  # 14 today
    assert not accounts.is_minor(None, TODAY)


def test_interaction_lock_reasons() -> None:
    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    child = Account(email_verified_at=now, date_of_birth=dt.date(2015, 1, 1))
    assert accounts.interaction_lock(None, TODAY) == "sign-in"
    assert accounts.interaction_lock(Account(email_verified_at=None), TODAY) == "verify-email"
    assert accounts.interaction_lock(child, TODAY) == "guardian"
    child.guardian_confirmed_at = now
    assert accounts.interaction_lock(child, TODAY) is None


# -- Tokens -------------------------------------------------------------------------------------


def test_tokens_round_trip_and_refuse_tampering_other_purposes_and_age() -> None:
    token = make_token(SECRET, "verify-email", {"a": 7})
    assert read_token(SECRET, "verify-email", token, 60) == {"a": 7}
    with pytest.raises(TokenError):
        read_token(SECRET, "password-reset", token, 60)  # same secret, other purpose
    with pytest.raises(TokenError):
        read_token("another-secret", "verify-email", token, 60)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with pytest.raises(TokenError):
        read_token(SECRET, "verify-email", tampered, 60)
    with pytest.raises(TokenExpired):
        read_token(SECRET, "verify-email", token, -1)
    with pytest.raises(TokenError):
        read_token(SECRET, "verify-email", "", 60)


# -- Rate limits --------------------------------------------------------------------------------


async def test_rate_limit_counts_within_the_window_and_says_when_to_retry(app: Litestar) -> None:
    limit = Limit(f"test-{new_email()}", attempts=3, window=dt.timedelta(minutes=15))
    start = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    for minute in range(3):
        await rate_limits.consume((limit, "198.51.100.7"), now=start + dt.timedelta(minutes=minute))
    with pytest.raises(RateLimited) as refused:
        await rate_limits.consume((limit, "198.51.100.7"), now=start + dt.timedelta(minutes=3))
    # The first attempt (10:00) leaves the window at 10:15: 12 minutes after 10:03.
    assert refused.value.minutes == 12
    await rate_limits.check(limit, "198.51.100.8", start + dt.timedelta(minutes=3))  # other IP
    await rate_limits.check(limit, "198.51.100.7", start + dt.timedelta(minutes=15, seconds=1))


async def test_sign_in_failures_lock_the_account_then_success_clears_them(app: Litestar) -> None:
    account = await accounts.register(
        accounts.SignUp(email=new_email(), password=PASSWORD, accept_policy=True), SITE, DEVICE
    )
    device = Device(ip=f"203.0.113.{account.id % 250}", user_agent="", device_id="x")
    for _ in range(accounts.SIGN_IN_FAILURES_PER_ACCOUNT.attempts):
        with pytest.raises(accounts.InvalidCredentials):
            await accounts.authenticate(account.email, "wrong password!", device)
    with pytest.raises(RateLimited):
        # Even the right password waits: the guesser must not learn it was right.
        await accounts.authenticate(account.email, PASSWORD, device)
    await rate_limits.forget(accounts.SIGN_IN_FAILURES_PER_ACCOUNT, account.email)
    assert (await accounts.authenticate(account.email.upper(), PASSWORD, device)).id == account.id


async def test_sign_up_is_rate_limited_per_ip(app: Litestar) -> None:
    limit = Limit(f"sign-up-test-{new_email()}", attempts=2, window=dt.timedelta(hours=1))
    for _ in range(2):
        await accounts.register(
            accounts.SignUp(email=new_email(), password=PASSWORD, accept_policy=True),
            SITE,
            DEVICE,
            limit=limit,
        )
    email = new_email()
    with pytest.raises(RateLimited) as refused:
        await accounts.register(
            accounts.SignUp(email=email, password=PASSWORD, accept_policy=True),
            SITE,
            DEVICE,
            limit=limit,
        )
    assert 1 <= refused.value.minutes <= 60
    assert not await Account.exists().where(Account.email == email)


# -- Sessions and passwords -----------------------------------------------------------------------


async def test_revoking_sessions_ends_every_earlier_session(app: Litestar) -> None:
    account = await accounts.register(
        accounts.SignUp(email=new_email(), password=PASSWORD, accept_policy=True), SITE, DEVICE
    )
    old, mark = account.session_version, accounts.birth_mark(account)
    key = await accounts.open_session(account)
    assert await accounts.session_account(account.id, old, mark, key) is not None
    new = await accounts.revoke_sessions(account.id)
    assert new == old + 1
    assert await accounts.session_account(account.id, old, mark, key) is None
    assert await accounts.session_account(account.id, new, mark, key) is None  # its row is gone
    fresh = await accounts.open_session(account)
    assert await accounts.session_account(account.id, new, mark, fresh) is not None
    assert await accounts.session_account(str(account.id), new, mark, fresh) is None  # forged
    assert await accounts.session_account(account.id, None, mark, fresh) is None
    assert await accounts.session_account(account.id, new, None, fresh) is None  # no birth mark
    assert await accounts.session_account(account.id, new, 1, fresh) is None  # another account's
    assert await accounts.session_account(account.id, new, mark, None) is None  # no session key
    assert await accounts.session_account(account.id, new, mark, "x" * 32) is None  # unknown
    assert await accounts.session_account(10**30, new, mark, fresh) is None  # no overflow


async def test_signing_out_ends_that_session_only(app: Litestar) -> None:
    account = await accounts.register(
        accounts.SignUp(email=new_email(), password=PASSWORD, accept_policy=True), SITE, DEVICE
    )
    version, mark = account.session_version, accounts.birth_mark(account)
    laptop, phone = await accounts.open_session(account), await accounts.open_session(account)
    await accounts.close_session(laptop)
    assert await accounts.session_account(account.id, version, mark, laptop) is None
    assert await accounts.session_account(account.id, version, mark, phone) is not None


async def test_password_change_checks_the_current_one_and_revokes_sessions(app: Litestar) -> None:
    account = await accounts.register(
        accounts.SignUp(email=new_email(), password=PASSWORD, accept_policy=True), SITE, DEVICE
    )
    with pytest.raises(FormInvalid) as refused:
        await accounts.change_password(account, "not my password", "a new good password", "x")
    assert set(refused.value.errors) == {"current_password", "confirm_password"}
    key = await accounts.open_session(account)
    version = await accounts.change_password(
        account, PASSWORD, "a new good password", "a new good password"
    )
    mark = accounts.birth_mark(account)
    assert await accounts.session_account(account.id, account.session_version, mark, key) is None
    assert await accounts.session_account(account.id, version, mark, key) is None
    fresh = await accounts.open_session(account)
    assert await accounts.session_account(account.id, version, mark, fresh) is not None
    stored = await Account.objects().where(Account.id == account.id).first()
    assert stored.password_hash.startswith("$argon2id$")
    assert await accounts.password_matches(stored.password_hash, "a new good password")


async def test_a_reset_link_works_once(app: Litestar) -> None:
    account = await accounts.register(
        accounts.SignUp(email=new_email(), password=PASSWORD, accept_policy=True), SITE, DEVICE
    )
    token = make_token(
        SECRET,
        "password-reset",
        {"a": account.id, "p": accounts._password_fingerprint(account.password_hash)},
    )
    await accounts.reset_password(token, "fresh secret words", "fresh secret words", SITE)
    with pytest.raises(TokenError):
        await accounts.reset_password(token, "other secret words", "other secret words", SITE)
    stored = await Account.objects().where(Account.id == account.id).first()
    assert await accounts.password_matches(stored.password_hash, "fresh secret words")
    assert stored.session_version == account.session_version + 1


# -- Points ---------------------------------------------------------------------------------------

FULL_PROFILE = profile.ProfileForm(
    real_name="Lena Fischer",
    nickname="lena_f",
    gender="female",
    date_of_birth="1988-04-02",
    company="Fischer Automation GmbH",
    address="Werkstraße 12, Stuttgart",
    zip_code="70173",
)


def jpeg_bytes(size: tuple[int, int] = (640, 480), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    output = io.BytesIO()
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "SecretCam"  # Make
        tags[0x8825] = {2: (48.0, 46.0, 0.0)}  # GPS latitude
        image.save(output, format="JPEG", exif=tags)
    else:
        image.save(output, format="JPEG")
    return output.getvalue()


async def _fresh_account() -> Account:
    return await accounts.register(
        accounts.SignUp(email=new_email(), password=PASSWORD, accept_policy=True), SITE, DEVICE
    )


async def _entries(account_id: int) -> list[dict]:
    return await PointsEntry.select().where(PointsEntry.account == account_id)


async def test_completing_the_profile_earns_50_points_once_ever(app: Litestar, tmp_path) -> None:
    account = await _fresh_account()
    partial = profile.ProfileForm(**{**FULL_PROFILE.__dict__, "company": ""})
    saved = await profile.save_profile(
        account, partial, avatar_upload=jpeg_bytes(), data_dir=tmp_path
    )
    assert saved.points_awarded == 0 and await points.balance(account.id) == 0
    saved = await profile.save_profile(account, FULL_PROFILE, avatar_upload=None, data_dir=tmp_path)
    assert saved.points_awarded == 50
    # Clear a field, fill it again, submit twice: still the one reward.
    await profile.save_profile(account, partial, avatar_upload=None, data_dir=tmp_path)
    for _ in range(2):
        again = await profile.save_profile(
            account, FULL_PROFILE, avatar_upload=None, data_dir=tmp_path
        )
        assert again.points_awarded == 0
    entries = await _entries(account.id)
    assert [(e["amount"], e["balance_after"], e["reason"]) for e in entries] == [
        (50, 50, "profile_complete")
    ]
    assert await points.balance(account.id) == 50


async def test_concurrent_completions_award_the_points_once(app: Litestar, tmp_path) -> None:
    account = await _fresh_account()
    await profile.save_profile(
        account, profile.ProfileForm(), avatar_upload=jpeg_bytes(), data_dir=tmp_path
    )

    async def complete() -> int:
        # Each request loads its own copy of the account, as separate requests would.
        own = await Account.objects().where(Account.id == account.id).first()
        saved = await profile.save_profile(own, FULL_PROFILE, avatar_upload=None, data_dir=tmp_path)
        return saved.points_awarded

    awarded = await asyncio.gather(*(complete() for _ in range(12)))
    assert sorted(awarded) == [0] * 11 + [50]
    assert len(await _entries(account.id)) == 1
    assert await points.balance(account.id) == 50


async def test_the_ledger_keeps_balances_right_under_concurrent_entries(app: Litestar) -> None:
    account = await _fresh_account()
    db = Account._meta.db

    async def add(amount: int) -> None:
        from okmarts.db import write_transaction

        async with write_transaction(db):
            await points.append_points(account.id, amount, "test")

    await asyncio.gather(*(add(amount) for amount in range(1, 21)))
    entries = sorted(await _entries(account.id), key=lambda entry: entry["id"])
    running = 0
    for entry in entries:
        running += entry["amount"]
        assert entry["balance_after"] == running
    assert await points.balance(account.id) == sum(range(1, 21))


# -- Avatars --------------------------------------------------------------------------------------


def test_avatar_is_squared_re_encoded_and_stripped_of_metadata() -> None:
    original = jpeg_bytes((1200, 800), exif=True)
    assert b"SecretCam" in original
    result = process_avatar(original)
    assert b"SecretCam" not in result
    with Image.open(io.BytesIO(result)) as image:
        assert image.format == "JPEG"
        assert image.size == (AVATAR_SIZE, AVATAR_SIZE)
        assert not image.getexif()


def test_transparent_png_and_gif_are_accepted() -> None:
    for fmt, mode in [("PNG", "RGBA"), ("GIF", "P")]:
        output = io.BytesIO()
        Image.new(mode, (300, 300)).save(output, format=fmt)
        with Image.open(io.BytesIO(process_avatar(output.getvalue()))) as image:
            assert image.size == (AVATAR_SIZE, AVATAR_SIZE)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"%PDF-1.4 not a picture at all",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,  # a PNG signature, then garbage
        b"GIF89a" + b"\xff" * (5 * 1024 * 1024 + 1),  # over 5 MB
    ],
    ids=["empty", "pdf", "broken-png", "too-large"],
)
def test_bad_avatar_files_get_a_message(data: bytes) -> None:
    with pytest.raises(AvatarInvalid) as refused:
        process_avatar(data)
    assert str(refused.value)


def test_a_bmp_is_refused_with_the_accepted_formats_named() -> None:
    output = io.BytesIO()
    Image.new("RGB", (50, 50)).save(output, format="BMP")
    with pytest.raises(AvatarInvalid, match="JPEG, PNG, WebP or GIF"):
        process_avatar(output.getvalue())
