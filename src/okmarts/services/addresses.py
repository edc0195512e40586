"""The address book: shipping addresses and a company billing address, one default per kind."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from okmarts.db import lock_row, write_transaction
from okmarts.i18n import N_, Message, babel_locale
from okmarts.services import tax
from okmarts.services.accounts import FormInvalid
from okmarts.tables.accounts import Account, Address

KINDS = {"shipping": N_("Shipping address"), "billing": N_("Company billing address")}
MAX_ADDRESSES = 20
PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,24}$")
ZIP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{1,11}$")
LIMITS = {
    "recipient": 100,
    "phone": 30,
    "region": 100,
    "city": 100,
    "line": 300,
    "zip_code": 20,
    "company": 120,
    "tax_id": 40,
}


class AddressNotFound(Exception):
    """No such address in this account's book."""


@dataclass
class AddressForm:
    kind: str = "shipping"
    recipient: str = ""
    phone: str = ""
    country: str = ""
    region: str = ""
    city: str = ""
    line: str = ""
    zip_code: str = ""
    company: str = ""
    tax_id: str = ""
    is_default: bool = False


@lru_cache(maxsize=8)
def countries(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of every country or region, in the reader's language, sorted by name."""
    names = babel_locale(locale).territories
    return tuple(
        sorted(
            (
                (code, name)
                for code, name in names.items()
                if len(code) == 2
                and code.isalpha()
                and code not in {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}
            ),
            key=lambda pair: pair[1],
        )
    )


def clean(form: AddressForm) -> dict[str, object]:
    errors: dict[str, Message] = {}
    values: dict[str, object] = {}
    for name, limit in LIMITS.items():
        value = " ".join(str(getattr(form, name) or "").split())
        if len(value) > limit:
            errors[name] = Message(N_("Use at most %(limit)s characters here."), {"limit": limit})
        values[name] = value
    if form.kind not in KINDS:
        errors["kind"] = Message(N_("Choose one of the options."))
    for name in ("recipient", "city", "line"):
        if not values[name]:
            errors[name] = Message(N_("This field is required."))
    country = (form.country or "").upper()
    if country not in dict(countries("en")):
        errors["country"] = Message(N_("Choose a country or region from the list."))
    if values["phone"] and not PHONE.match(str(values["phone"])):
        errors["phone"] = Message(N_("Enter a phone number with digits, e.g. +49 30 1234567."))
    if not values["zip_code"] or not ZIP.match(str(values["zip_code"])):
        errors["zip_code"] = Message(N_("Enter a zip code of 2 to 12 letters or digits."))
    if form.kind == "billing" and not values["company"]:
        errors["company"] = Message(N_("A billing address needs the company's name."))
    if values["tax_id"] and "tax_id" not in errors:
        # An EU VAT number passes its format and checksum, and is kept normalized (services.tax).
        try:
            values["tax_id"], _ = tax.check_vat_number(str(values["tax_id"]), country)
        except tax.VatInvalid as invalid:
            errors["tax_id"] = invalid.message
    if errors:
        raise FormInvalid(errors)
    return {**values, "kind": form.kind, "country": country, "is_default": bool(form.is_default)}


async def list_addresses(account_id: int) -> list[Address]:
    """Shipping before billing, each kind's default first."""
    return (
        await Address.objects()
        .where(Address.account == account_id)
        .order_by(Address.kind, ascending=False)
        .order_by(Address.is_default, ascending=False)
        .order_by(Address.id)
    )


async def get_address(account_id: int, address_id: int) -> Address:
    """The address, only if it belongs to this account."""
    address = (
        await Address.objects()
        .where((Address.id == address_id) & (Address.account == account_id))
        .first()
    )
    if address is None:
        raise AddressNotFound(address_id)
    return address


async def save_address(
    account_id: int, form: AddressForm, address_id: int | None = None
) -> Address:
    """Add or change an address; the first of a kind, or one marked so, becomes the default."""
    values = clean(form)
    async with write_transaction(Address._meta.db):
        # One account's address-book changes queue up: the size limit and the single default
        # hold when two tabs save at once.
        await lock_row(Account, account_id)
        if address_id is None:
            count = await Address.count().where(Address.account == account_id)
            if count >= MAX_ADDRESSES:
                raise FormInvalid(
                    {"recipient": Message(N_("Your address book is full: delete one first."))}
                )
            address = Address(account=account_id)
        else:
            address = await get_address(account_id, address_id)
        has_default = await Address.exists().where(
            (Address.account == account_id)
            & (Address.kind == values["kind"])
            & (Address.is_default == True)
            & (Address.id != (address_id or 0))
        )
        values["is_default"] = values["is_default"] or not has_default
        for name, value in values.items():
            setattr(address, name, value)
        await address.save()
        if values["is_default"]:
            await _only_default(account_id, address)
    return address


async def _only_default(account_id: int, address: Address) -> None:
    await Address.update({Address.is_default: False}).where(
        (Address.account == account_id)
        & (Address.kind == address.kind)
        & (Address.id != address.id)
    )


async def make_default(account_id: int, address_id: int) -> Address:
    async with write_transaction(Address._meta.db):
        address = await get_address(account_id, address_id)
        await Address.update({Address.is_default: True}).where(Address.id == address.id)
        address.is_default = True
        await _only_default(account_id, address)
    return address


async def delete_address(account_id: int, address_id: int) -> None:
    """Delete; when it was the default, the oldest other address of its kind takes over."""
    async with write_transaction(Address._meta.db):
        address = await get_address(account_id, address_id)
        await Address.delete().where(Address.id == address.id)
        if address.is_default:
            successor = (
                await Address.select(Address.id)
                .where((Address.account == account_id) & (Address.kind == address.kind))
                .order_by(Address.id)
                .first()
            )
            if successor:
                await Address.update({Address.is_default: True}).where(
                    Address.id == successor["id"]
                )
