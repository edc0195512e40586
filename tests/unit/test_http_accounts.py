"""Accounts through HTTP: sign-up to verified, sessions, reset, profile, addresses, guardians."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from okmarts.tables.accounts import Account, Address, PointsEntry, SignIn
from okmarts.tables.messaging import OutboxMessage
from tests.states.accounts import (
    PASSWORD,
    errors_in,
    links_mailed_to,
    local,
    new_email,
    post_form,
    sign_up,
    verified_account,
)

Client = AsyncTestClient[Litestar]


def jpeg(size: tuple[int, int] = (400, 300)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, (10, 90, 160)).save(output, format="JPEG")
    return output.getvalue()


async def test_sign_up_verify_and_see_the_account_unlocked(client: Client) -> None:
    email = new_email()
    account = await sign_up(client, email)
    assert account.policy_version == "2023-07-04" and account.policy_accepted_at is not None
    assert account.password_hash.startswith("$argon2id$") and PASSWORD not in account.password_hash
    page = await client.get("/account")
    assert page.headers["content-type"].startswith("text/html")
    assert "Please confirm your email address" in page.text
    assert "not buy, review, ask questions or vote" in page.text

    [link] = await links_mailed_to(email, "verify_email")
    confirmed = await client.get(local(link))
    assert confirmed.status_code == 200 and "is confirmed" in confirmed.text
    page = await client.get("/account")
    assert "Please confirm your email address" not in page.text
    assert "fully active" in page.text
    stored = await Account.objects().where(Account.id == account.id).first()
    assert stored.email_verified_at is not None
    # The first sign-in (at sign-up) is in the history, without a new-device alert.
    assert await SignIn.count().where(SignIn.account == account.id) == 1
    assert not await links_mailed_to(email, "new_device")


async def test_resend_verification_sends_a_new_working_link(client: Client) -> None:
    account = await sign_up(client)
    response = await post_form(client, "/account/verification")
    assert response.status_code == 200 and "We sent a new confirmation link" in response.text
    links = await links_mailed_to(account.email, "verify_email")
    assert len(links) == 2
    assert "is confirmed" in (await client.get(local(links[1]))).text


async def test_tampered_or_foreign_verification_links_are_refused(client: Client) -> None:
    account = await sign_up(client)
    [link] = await links_mailed_to(account.email, "verify_email")
    response = await client.get(local(link)[:-4] + "AAAA")
    assert response.status_code == 400 and "This link does not work" in response.text
    response = await client.get("/verify-email")
    assert response.status_code == 400
    assert (
        await Account.objects().where(Account.id == account.id).first()
    ).email_verified_at is None


async def test_sign_up_refusals_keep_the_form_and_say_why(client: Client) -> None:
    taken = (await sign_up(client)).email
    client.cookies.pop("okmarts_session", None)
    response = await post_form(
        client,
        "/register",
        {"email": taken, "password": "short", "date_of_birth": "2999-01-01"},
    )
    assert response.status_code == 422
    messages = errors_in(response.text)
    assert "Use at least 10 characters for your password." in messages
    assert "Your date of birth cannot be in the future." in messages
    assert "Please read and accept the privacy policy to create an account." in messages
    assert f'value="{taken}"' in response.text  # refilled
    assert 'value="short"' not in response.text  # never the password
    response = await post_form(
        client, "/register", {"email": taken, "password": PASSWORD, "accept_policy": "yes"}
    )
    assert response.status_code == 422
    assert "already exists" in response.text
    assert await Account.count().where(Account.email == taken) == 1


async def test_sign_up_errors_are_in_the_shoppers_language(client: Client) -> None:
    client.cookies["okmarts_lang"] = "zh_Hans"
    response = await post_form(client, "/register", {"email": "nope", "password": "x"})
    assert response.status_code == 422
    assert "Use at least 10 characters" not in response.text
    assert re.search(r"[\u4e00-\u9fff]", " ".join(errors_in(response.text)))


async def test_sign_in_next_and_sign_out(client: Client) -> None:
    account = await sign_up(client)
    await post_form(client, "/logout")
    assert "okmarts_session" not in client.cookies
    page = await client.get("/account", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Faccount"

    wrong = await post_form(client, "/login", {"email": account.email, "password": "nope nope"})
    assert wrong.status_code == 422 and "email address or password is not correct" in wrong.text
    assert f'value="{account.email}"' in wrong.text

    response = await post_form(
        client,
        "/login",
        {"email": account.email.upper(), "password": PASSWORD, "next": "/account/addresses"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/account/addresses"
    assert "Address book" in (await client.get("/account/addresses")).text


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
async def test_next_never_leaves_the_site(client: Client, target: str) -> None:
    account = await sign_up(client)
    await post_form(client, "/logout")
    response = await post_form(
        client, "/login", {"email": account.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 303 and response.headers["location"] == "/account"


async def test_htmx_sign_in_redirects_with_hx_redirect(client: Client) -> None:
    account = await sign_up(client)
    await post_form(client, "/logout")
    response = await post_form(
        client,
        "/login",
        {"email": account.email, "password": PASSWORD},
        headers={"HX-Request": "true", "HX-Target": "login-form"},
    )
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/account"
    wrong = await post_form(
        client,
        "/login",
        {"email": account.email, "password": "wrong wrong"},
        headers={"HX-Request": "true", "HX-Target": "login-form"},
    )
    # Only the form comes back, to be swapped in place (422 swaps, see base.html).
    assert wrong.status_code == 422 and wrong.text.lstrip().startswith('<form id="login-form"')


async def test_too_many_failed_sign_ins_say_when_to_try_again(client: Client) -> None:
    account = await sign_up(client)
    await post_form(client, "/logout")
    for _ in range(5):
        response = await post_form(client, "/login", {"email": account.email, "password": "bad!"})
        assert response.status_code == 422
    response = await post_form(client, "/login", {"email": account.email, "password": PASSWORD})
    assert response.status_code == 429
    assert re.search(r"Please try again in 1[45] minutes", response.text)


async def test_sign_out_everywhere_ends_other_sessions(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as laptop, AsyncTestClient(app=app) as phone:
        account = await sign_up(laptop)
        response = await post_form(phone, "/login", {"email": account.email, "password": PASSWORD})
        assert response.status_code == 303
        assert "Sign out" in (await phone.get("/account")).text
        response = await post_form(laptop, "/account/sessions/revoke")
        assert response.headers["location"] == "/account/security?notice=signed-out-elsewhere"
        assert (await laptop.get("/account")).status_code == 200
        gone = await phone.get("/account", follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login")


async def test_password_change_signs_out_other_devices(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as laptop, AsyncTestClient(app=app) as phone:
        account = await sign_up(laptop)
        await post_form(phone, "/login", {"email": account.email, "password": PASSWORD})
        bad = await post_form(
            laptop,
            "/account/password",
            {"current_password": "wrong", "new_password": "x", "confirm_password": "x"},
        )
        assert bad.status_code == 422
        assert "Your current password is not correct." in errors_in(bad.text)
        new = "new calm harbour 81"
        ok = await post_form(
            laptop,
            "/account/password",
            {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
        )
        assert ok.status_code == 303
        assert "Password changed" in (await laptop.get(ok.headers["location"])).text
        assert (await phone.get("/account", follow_redirects=False)).status_code == 303


async def test_password_reset_by_emailed_link_once(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as client:
        account = await sign_up(client)
        await post_form(client, "/logout")
        response = await post_form(client, "/password-reset", {"email": account.email})
        assert response.status_code == 200 and "we have sent it a link" in response.text
        # An unknown address gets the same answer, and no email.
        stranger = new_email()
        response = await post_form(client, "/password-reset", {"email": stranger})
        assert "we have sent it a link" in response.text
        assert not await OutboxMessage.exists().where(OutboxMessage.recipient == stranger)

        [link] = await links_mailed_to(account.email, "password_reset")
        form = await client.get(local(link))
        assert "Choose a new password" in form.text
        token = parse_qs(urlsplit(link).query)["token"][0]
        mismatch = await post_form(
            client,
            "/password-reset/confirm",
            {"token": token, "new_password": "brand new words", "confirm_password": "other"},
        )
        assert mismatch.status_code == 422
        done = await post_form(
            client,
            "/password-reset/confirm",
            {
                "token": token,
                "new_password": "brand new words",
                "confirm_password": "brand new words",
            },
        )
        assert done.status_code == 303 and "okmarts_session" in client.cookies
        again = await client.get(local(link))
        assert again.status_code == 400 and "This link does not work" in again.text
        await post_form(client, "/logout")
        response = await post_form(
            client, "/login", {"email": account.email, "password": "brand new words"}
        )
        assert response.status_code == 303


async def test_new_device_sign_in_is_recorded_and_mailed(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as laptop, AsyncTestClient(app=app) as phone:
        account = await sign_up(laptop)
        await post_form(laptop, "/logout")
        await post_form(laptop, "/login", {"email": account.email, "password": PASSWORD})
        assert not await links_mailed_to(account.email, "new_device")  # same browser
        await post_form(
            phone,
            "/login",
            {"email": account.email, "password": PASSWORD},
            headers={
                "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) "
                "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
            },
        )
        alert = await OutboxMessage.objects().where(
            (OutboxMessage.recipient == account.email) & (OutboxMessage.kind == "new_device")
        )
        assert len(alert) == 1 and "Mobile Safari" in alert[0].text_body
        history = await phone.get("/account/security")
        assert "Mobile Safari" in history.text and "new device" in history.text
        assert await SignIn.count().where(SignIn.account == account.id) == 3


async def test_profile_with_avatar_earns_50_points_shown_in_the_center(client: Client) -> None:
    account = await verified_account(client)
    fields = {
        "real_name": "Wang Fang",
        "nickname": "fang_w",
        "gender": "female",
        "date_of_birth": "1985-07-14",
        "company": "Chengdu Drives Ltd",
        "address": "88 Tianfu Avenue",
        "zip_code": "610000",
    }
    response = await client.post(
        "/account/profile",
        data={"_csrf_token": client.cookies["okmarts_csrf"], **fields},
        files={"avatar": ("me.jpg", jpeg(), "image/jpeg")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/account/profile?notice=points-awarded"
    page = await client.get(response.headers["location"])
    assert "50 points are yours" in page.text
    stored = await Account.objects().where(Account.id == account.id).first()
    avatar = await client.get(f"/media/avatars/{stored.avatar}")
    assert avatar.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(avatar.content)) as image:
        assert image.size == (256, 256)
    points_page = await client.get("/account/points")
    assert 'id="points-balance">50<' in points_page.text and "Profile completed" in points_page.text
    # Saving again (a double submit) gives no second reward.
    again = await client.post(
        "/account/profile",
        data={"_csrf_token": client.cookies["okmarts_csrf"], **fields},
        follow_redirects=False,
    )
    assert again.headers["location"] == "/account/profile?notice=profile-saved"
    assert await PointsEntry.count().where(PointsEntry.account == account.id) == 1


async def test_a_bad_avatar_is_refused_and_the_form_kept(client: Client) -> None:
    await verified_account(client)
    response = await client.post(
        "/account/profile",
        data={"_csrf_token": client.cookies["okmarts_csrf"], "nickname": "kept_nick"},
        files={"avatar": ("notes.jpg", b"this is text, not a picture", "image/jpeg")},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert "This file is not a picture we can read" in response.text
    assert 'value="kept_nick"' in response.text


async def test_address_book_and_ownership(app: Litestar) -> None:
    async with AsyncTestClient(app=app) as alice, AsyncTestClient(app=app) as bob:
        await sign_up(alice)
        bob_account = await sign_up(bob)
        address = {
            "kind": "shipping",
            "recipient": "Bob Lee",
            "phone": "+1 415 555 0100",
            "country": "US",
            "region": "CA",
            "city": "San Francisco",
            "line": "1 Market St",
            "zip_code": "94105",
        }
        bad = await post_form(
            bob, "/account/addresses", {**address, "country": "XX", "zip_code": "!"}
        )
        assert bad.status_code == 422
        assert "Choose a country or region from the list." in errors_in(bad.text)
        assert await post_form(bob, "/account/addresses", address)
        await post_form(bob, "/account/addresses", {**address, "city": "Oakland"})
        billing = {**address, "kind": "billing", "company": ""}
        refused = await post_form(bob, "/account/addresses", billing)
        assert "A billing address needs the company's name." in errors_in(refused.text)
        await post_form(bob, "/account/addresses", {**billing, "company": "Lee Robotics"})
        rows = await Address.objects().where(Address.account == bob_account.id).order_by(Address.id)
        assert [(a.kind, a.city, a.is_default) for a in rows] == [
            ("shipping", "San Francisco", True),
            ("shipping", "Oakland", False),
            ("billing", "San Francisco", True),
        ]
        # Another account's address: 404 on every URL, and nothing changes.
        for path in [f"/account/addresses/{rows[0].id}"]:
            assert (await alice.get(path)).status_code == 404
        for path in ["", "/delete", "/default"]:
            response = await post_form(
                alice, f"/account/addresses/{rows[1].id}{path}", {**address, "city": "Hacked"}
            )
            assert response.status_code == 404
        assert await Address.count().where(Address.account == bob_account.id) == 3

        edit = await bob.get(f"/account/addresses/{rows[1].id}")
        assert 'value="Oakland"' in edit.text
        bad = await post_form(bob, f"/account/addresses/{rows[1].id}", {**address, "city": ""})
        assert bad.status_code == 422 and "This field is required." in errors_in(bad.text)
        await post_form(bob, f"/account/addresses/{rows[1].id}", {**address, "city": "Oakland CA"})
        await post_form(bob, f"/account/addresses/{rows[1].id}", {**address, "city": "Oakland"})
        await post_form(bob, f"/account/addresses/{rows[1].id}/default")
        await post_form(bob, f"/account/addresses/{rows[0].id}/delete")
        rows = await Address.objects().where(Address.account == bob_account.id).order_by(Address.id)
        assert [(a.city, a.is_default) for a in rows] == [
            ("Oakland", True),
            ("San Francisco", True),
        ]
        page = await bob.get("/account/addresses")
        assert "Oakland" in page.text and "United States" in page.text


async def test_a_child_is_locked_until_the_guardian_agrees(client: Client) -> None:
    guardian = new_email("parent")
    missing = await post_form(
        client,
        "/register",
        {
            "email": new_email(),
            "password": PASSWORD,
            "accept_policy": "yes",
            "date_of_birth": "2016-03-01",
        },
    )
    assert missing.status_code == 422 and "parent or guardian" in " ".join(errors_in(missing.text))
    account = await verified_account(client, date_of_birth="2016-03-01", guardian_email=guardian)
    assert account.is_minor
    page = await client.get("/account")
    assert "Waiting for your parent or guardian" in page.text
    # Typing an adult's year does not lift the lock.
    response = await client.post(
        "/account/profile",
        data={"_csrf_token": client.cookies["okmarts_csrf"], "date_of_birth": "1990-01-01"},
        follow_redirects=False,
    )
    assert response.status_code == 422 and "contact us" in response.text
    [link] = await links_mailed_to(guardian, "guardian_consent")
    consent_page = await client.get(local(link))
    assert "I am the parent or guardian and I agree" in consent_page.text
    token = parse_qs(urlsplit(link).query)["token"][0]
    agreed = await post_form(client, "/guardian", {"token": token})
    assert "You have agreed" in agreed.text
    page = await client.get("/account")
    assert "Waiting for your parent or guardian" not in page.text and "fully active" in page.text
    stored = await Account.objects().where(Account.id == account.id).first()
    assert stored.guardian_confirmed_at is not None and stored.is_minor  # still flagged


async def test_forms_refuse_requests_without_the_csrf_token(client: Client) -> None:
    account = await sign_up(client)
    for path, data in [
        ("/logout", {}),
        ("/account/sessions/revoke", {}),
        ("/login", {"email": account.email, "password": PASSWORD}),
    ]:
        response = await client.post(path, data=data, follow_redirects=False)
        assert response.status_code == 403
    assert (await Account.objects().where(Account.id == account.id).first()).session_version == 1


MALFORMED = [
    "",
    " ",
    "x" * 5000,
    "\x00",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "😀" * 300,
    "9" * 40,
    "-1",
    "2024-02-30",
    "0000-00-00",
    "%00",
    "../../etc/passwd",
]
FORMS = {
    "/register": ["email", "password", "accept_policy", "date_of_birth", "guardian_email", "next"],
    "/login": ["email", "password", "next"],
    "/password-reset": ["email"],
    "/password-reset/confirm": ["token", "new_password", "confirm_password"],
    "/guardian": ["token"],
    "/account/profile": [
        "real_name",
        "nickname",
        "gender",
        "date_of_birth",
        "company",
        "address",
        "zip_code",
    ],
    "/account/addresses": [
        "kind",
        "recipient",
        "phone",
        "country",
        "region",
        "city",
        "line",
        "zip_code",
        "company",
        "tax_id",
        "is_default",
    ],
    "/account/password": ["current_password", "new_password", "confirm_password"],
    "/account/guardian": ["guardian_email"],
}


async def test_malformed_values_in_every_form_never_give_a_5xx(app: Litestar) -> None:
    from okmarts.services import rate_limits  # noqa: F401  (limits are part of what is tested)

    async with AsyncTestClient(app=app) as client:
        await sign_up(client)
        for path, fields in FORMS.items():
            for value in MALFORMED:
                data = {field: value for field in fields}
                response = await post_form(client, path, data)
                assert response.status_code < 500, (path, value, response.text[:500])
                if response.status_code >= 400:
                    assert "Traceback" not in response.text
            # Fields missing altogether, and unknown ones.
            response = await post_form(client, path, {"unexpected": "1"})
            assert response.status_code < 500, (path, response.text[:500])
        for path in [
            "/verify-email?token=",
            "/password-reset/confirm?token=%00",
            "/guardian?token=" + "A" * 5000,
            "/account/addresses/999999999",
            "/account/addresses/-1",
            "/account/addresses/abc",
            "/login?next=%00",
        ]:
            response = await client.get(path)
            assert response.status_code < 500, (path, response.text[:300])


async def test_emails_follow_the_language_the_shopper_chose(client: Client) -> None:
    account = await sign_up(client)
    await post_form(client, "/language", {"lang": "zh_Hans", "next": "/account"})
    assert (await Account.objects().where(Account.id == account.id).first()).locale == "zh_Hans"
    await post_form(client, "/account/verification")
    [latest] = await OutboxMessage.objects().where(
        (OutboxMessage.recipient == account.email) & (OutboxMessage.kind == "verify_email")
    ).order_by(OutboxMessage.id, ascending=False).limit(1)
    assert latest.locale == "zh_Hans" and re.search(r"[\u4e00-\u9fff]", latest.subject)
