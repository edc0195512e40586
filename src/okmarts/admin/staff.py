"""Staff accounts (Piccolo users), as `okmarts create-staff` makes them, and their roles.

A superuser ("admin") may do everything. Everyone else holds roles (tables.support_staff
.StaffRole): `moderator` (reviews and questions) and/or `service` (the service inbox, returns,
complaints). Staff made before roles existed hold no row and are moderators, as they were."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from piccolo.apps.user.tables import BaseUser
from piccolo_api.session_auth.tables import SessionsBase
from starlette.requests import HTTPConnection
from starlette.types import Scope

from okmarts.tables.support_staff import StaffRole

MODERATOR = "moderator"
SERVICE = "service"
ROLES = (MODERATOR, SERVICE)

MIN_PASSWORD_LENGTH = 12
# BaseUser refuses longer passwords, and its username column holds 100 characters.
MAX_PASSWORD_LENGTH = 128
MAX_EMAIL_LENGTH = 100
# piccolo_api's session login sets this cookie; create_admin offers no way to rename it.
SESSION_COOKIE = "id"
# How the admin's API keeps a session in use going (create_admin's default): our pages do too.
SESSION_INCREASE_EXPIRY = timedelta(minutes=20)


class StaffInputError(ValueError):
    """An email or password that `create-staff` refuses."""


@dataclass(frozen=True)
class StaffResult:
    email: str
    created: bool


def normalise_staff_email(email: str) -> str:
    """Return the lower-cased email (the staff username), or raise StaffInputError."""
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise StaffInputError(f"Not a valid email address: {error}") from None
    if len(email) > MAX_EMAIL_LENGTH:
        raise StaffInputError(f"The email is longer than {MAX_EMAIL_LENGTH} characters.")
    return email


def check_staff_password(password: str) -> None:
    """Raise StaffInputError when the password is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffInputError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StaffInputError(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")


def generate_password() -> str:
    return secrets.token_urlsafe(18)


async def save_staff(
    email: str, password: str, superuser: bool, roles: Iterable[str] = (MODERATOR,)
) -> StaffResult:
    """Create the staff user, or update the roles and password of the existing one.

    `roles` (ROLES) replace the ones held before; a superuser needs none."""
    email = normalise_staff_email(email)
    check_staff_password(password)
    roles = sorted(set(roles))
    if unknown := [role for role in roles if role not in ROLES]:
        raise StaffInputError(f"Unknown role: {', '.join(unknown)}.")
    if not superuser and not roles:
        raise StaffInputError("Give the staff member a role.")
    async with BaseUser._meta.db.transaction():
        user = (
            await BaseUser.objects()
            .where((BaseUser.username == email) | (BaseUser.email == email))
            .first()
        )
        if user is None:
            user = await BaseUser.create_user(
                username=email,
                email=email,
                password=password,
                active=True,
                admin=True,
                superuser=superuser,
            )
            await _set_roles(user.id, [] if superuser else roles)
            return StaffResult(email=email, created=True)
        await BaseUser.update(
            {
                BaseUser.username: email,
                BaseUser.email: email,
                BaseUser.active: True,
                BaseUser.admin: True,
                BaseUser.superuser: superuser,
                BaseUser.password: BaseUser.hash_password(password),
            }
        ).where(BaseUser.id == user.id)
        await _set_roles(user.id, [] if superuser else roles)
        # A new password (or role) ends the sessions signed in with the old one.
        await SessionsBase.delete().where(SessionsBase.user_id == user.id)
    return StaffResult(email=email, created=False)


async def _set_roles(user_id: int, roles: list[str]) -> None:
    await StaffRole.delete().where(StaffRole.user_id == user_id)
    if roles:
        await StaffRole.insert(*[StaffRole(user_id=user_id, role=role) for role in roles])


async def staff_roles(user: BaseUser) -> frozenset[str]:
    """The roles this staff user holds: every role for a superuser; a moderator's for staff
    with no role row (made before roles existed)."""
    if user.superuser:
        return frozenset(ROLES)
    rows = await StaffRole.select(StaffRole.role).where(StaffRole.user_id == user.id)
    return frozenset(row["role"] for row in rows) or frozenset({MODERATOR})


async def has_role(user: BaseUser, role: str) -> bool:
    return role in await staff_roles(user)


async def signed_in_staff(
    scope: Scope, *, increase_expiry: timedelta | None = None
) -> BaseUser | None:
    """The staff user whose live admin session the request carries (active, admin), or None.

    The same check as the admin's own (piccolo_api's session backend with `admin_only`): a
    shopper's session is another cookie and never names a staff user. `increase_expiry`: a
    session close to its end is extended by it, as the admin's API does for a page in use."""
    token = HTTPConnection(scope).cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user_id = await SessionsBase.get_user_id(token, increase_expiry=increase_expiry)
    if user_id is None:
        return None
    return (
        await BaseUser.objects()
        .where((BaseUser.id == user_id) & (BaseUser.active == True) & (BaseUser.admin == True))
        .first()
    )
