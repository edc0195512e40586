"""What staff see of the shop's tables: the catalog and personal tables for admins, product
titles (read only) for moderators."""

from __future__ import annotations

from typing import Any

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import Column
from piccolo.columns.readable import Readable
from piccolo.table import Table, create_table_class
from piccolo_admin.endpoints import TableConfig
from piccolo_api.crud.endpoints import OrderBy, PiccoloCRUD
from piccolo_api.crud.validators import Validators
from starlette.exceptions import HTTPException
from starlette.requests import Request

from okmarts.admin import catalog_specs, price_breaks
from okmarts.tables.accounts import Account, Address, Attempt, PointsEntry, SignIn
from okmarts.tables.catalog import Brand, Category, Product, ProductImage
from okmarts.tables.messaging import OutboxMessage
from okmarts.tables.recommendations import Bundle, BundlePart

# The admin's view of `account`: the same table without `password_hash`, so the hash is neither
# returned by the API, nor filterable, nor in the edit form (a `secret` column would still be).
AdminAccount = create_table_class(
    "AdminAccount",
    class_kwargs={"tablename": Account._meta.tablename},
    class_members={
        column._meta.name: column.copy()
        for column in Account._meta.columns
        if not column._meta.primary_key and column._meta.name != Account.password_hash._meta.name
    },
)


# Moderators' view of `product`: which product a review or question is about, and nothing more.
# The class holds only these columns, so price, stock and the rest can be neither read, filtered
# nor written through it; the validators refuse every write to what it does hold.
# Reviews and questions refer to products through it, so their lists name the product by its
# title (`Readable`), not its id, for admins too.
MODERATOR_PRODUCT_COLUMNS = ("title", "slug")


def _product_readable(cls: type[Table]) -> Readable:
    return Readable(template="%s", columns=[cls._meta.get_column_by_name("title")])


ModeratorProduct = create_table_class(
    "ModeratorProduct",
    class_kwargs={"tablename": Product._meta.tablename},
    class_members={
        **{
            name: Product._meta.get_column_by_name(name).copy()
            for name in MODERATOR_PRODUCT_COLUMNS
        },
        "get_readable": classmethod(_product_readable),
    },
)


def _account_columns(*names: str) -> list[Column]:
    return [AdminAccount._meta.get_column_by_name(name) for name in names]


CATALOG_MENU_GROUP = "Catalog"
READ_ONLY = ("post_single", "put_single", "patch_single", "delete_single", "delete_all")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _refuse_request(piccolo_crud: PiccoloCRUD, request: Request) -> None:
    raise HTTPException(status_code=405, detail="The admin doesn't allow this on this table.")


def _refuse_writes(piccolo_crud: PiccoloCRUD, request: Request) -> None:
    if request.method not in SAFE_METHODS:
        _refuse_request(piccolo_crud, request)


def _refuse(*methods: str) -> Validators:
    """Validators refusing the given PiccoloCRUD endpoints (post_single, patch_single…)."""
    return Validators(**{method: [_refuse_request] for method in methods})


def read_only_view() -> Validators:
    """Validators refusing every write: the write endpoints by name, and any request but a read
    whichever endpoint it reaches (should piccolo_api add one)."""
    return Validators(**{method: [_refuse_request] for method in READ_ONLY}, every=[_refuse_writes])


def catalog_tables() -> list[TableConfig]:
    """The catalog, for admins only: prices, stock, categories, brands, images, specs."""

    def config(table: type[Table], **options: Any) -> TableConfig:
        return TableConfig(table, menu_group=CATALOG_MENU_GROUP, **options)

    return [
        config(
            Product,
            visible_columns=[
                Product.sku,
                Product.title,
                Product.brand,
                Product.category,
                Product.price_minor,
                Product.currency,
                Product.stock,
                Product.featured,
                # "discontinued": the page says so and lists replacements; it can't be bought.
                Product.status,
            ],
            visible_filters=[
                Product.sku,
                Product.title,
                Product.brand,
                Product.category,
                Product.featured,
                Product.status,
            ],
            link_column=Product.title,
            order_by=[OrderBy(Product.created_at, ascending=False)],
            # Specs checked against the category's definitions; typed values kept.
            # … and a new price kept above its quantity price breaks.
            hooks=[*catalog_specs.PRODUCT_HOOKS, *price_breaks.PRODUCT_HOOKS],
            validators=catalog_specs.NO_PUT,
        ),
        catalog_specs.spec_definition_table(CATALOG_MENU_GROUP),
        # Quantity price breaks (10+, 50+…): ascending quantities, prices never rising.
        price_breaks.price_break_table(CATALOG_MENU_GROUP),
        config(
            Category,
            visible_columns=[Category.name, Category.slug, Category.parent, Category.position],
            link_column=Category.name,
            order_by=[OrderBy(Category.name)],
        ),
        config(
            Brand,
            visible_columns=[Brand.name, Brand.slug, Brand.country],
            link_column=Brand.name,
            order_by=[OrderBy(Brand.name)],
        ),
        config(
            ProductImage,
            visible_columns=[
                ProductImage.path,
                ProductImage.product,
                ProductImage.alt,
                ProductImage.position,
            ],
            link_column=ProductImage.path,
            order_by=[OrderBy(ProductImage.product), OrderBy(ProductImage.position)],
        ),
        # Kits: a kit, then its parts (product and quantity each) in "Kit parts". A kit price
        # or a percent off; the shop prices every complete kit in a cart (services.pricing).
        config(
            Bundle,
            visible_columns=[
                Bundle.name,
                Bundle.slug,
                Bundle.price_minor,
                Bundle.percent_off,
                Bundle.currency,
                Bundle.active,
            ],
            visible_filters=[Bundle.name, Bundle.active],
            link_column=Bundle.name,
            order_by=[OrderBy(Bundle.name)],
        ),
        config(
            BundlePart,
            visible_columns=[
                BundlePart.bundle,
                BundlePart.product,
                BundlePart.quantity,
                BundlePart.position,
            ],
            visible_filters=[BundlePart.bundle, BundlePart.product],
            order_by=[OrderBy(BundlePart.bundle), OrderBy(BundlePart.position)],
        ),
    ]


def moderator_product_table() -> TableConfig:
    """Moderators' product list: id, title and slug, read only (what a review is about)."""
    title = ModeratorProduct._meta.get_column_by_name("title")
    slug = ModeratorProduct._meta.get_column_by_name("slug")
    return TableConfig(
        ModeratorProduct,
        menu_group=CATALOG_MENU_GROUP,
        visible_columns=[title, slug],
        visible_filters=[title, slug],
        link_column=title,
        order_by=[OrderBy(title)],
        validators=read_only_view(),
    )


def personal_tables() -> list[TableConfig]:
    """Shoppers' tables, the outbox and staff users: for superusers only."""
    return [
        TableConfig(
            AdminAccount,
            menu_group="Shoppers",
            visible_columns=_account_columns(
                "email", "nickname", "real_name", "email_verified_at", "is_minor", "created_at"
            ),
            link_column=_account_columns("email")[0],
            order_by=[OrderBy(_account_columns("created_at")[0], ascending=False)],
            # Accounts come from sign-up (lower-cased email, a password hash), never from here.
            validators=_refuse("post_single", "put_single"),
        ),
        TableConfig(
            Address,
            menu_group="Shoppers",
            visible_columns=[
                Address.recipient,
                Address.account,
                Address.kind,
                Address.city,
                Address.country,
                Address.is_default,
            ],
            link_column=Address.recipient,
            order_by=[OrderBy(Address.created_at, ascending=False)],
        ),
        # The points ledger is append-only (each row holds the running balance): read only.
        TableConfig(
            PointsEntry,
            menu_group="Shoppers",
            order_by=[OrderBy(PointsEntry.created_at, ascending=False)],
            validators=_refuse(*READ_ONLY),
        ),
        TableConfig(
            SignIn,
            menu_group="Shoppers",
            exclude_visible_columns=[SignIn.user_agent, SignIn.device_hash],
            order_by=[OrderBy(SignIn.created_at, ascending=False)],
            validators=_refuse(*READ_ONLY),
        ),
        TableConfig(
            Attempt,
            menu_group="Shoppers",
            order_by=[OrderBy(Attempt.created_at, ascending=False)],
            # Deleting attempts lifts a rate limit; nothing else makes sense here.
            validators=_refuse("post_single", "put_single", "patch_single"),
        ),
        TableConfig(
            OutboxMessage,
            menu_group="Email",
            visible_columns=[
                OutboxMessage.subject,
                OutboxMessage.kind,
                OutboxMessage.recipient,
                OutboxMessage.created_at,
                OutboxMessage.attempts,
                OutboxMessage.sent_at,
                OutboxMessage.last_error,
            ],
            link_column=OutboxMessage.subject,
            order_by=[OrderBy(OutboxMessage.created_at, ascending=False)],
        ),
        TableConfig(
            BaseUser,
            menu_group="Staff",
            visible_columns=[
                BaseUser.username,
                BaseUser.active,
                BaseUser.admin,
                BaseUser.superuser,
                BaseUser.last_login,
            ],
            link_column=BaseUser.username,
            order_by=[OrderBy(BaseUser.username)],
        ),
    ]
