"""Piccolo Admin's screens, where piccolo-admin 1.14 has no setting for what staff need.

Piccolo Admin is a built Vue app (one JavaScript bundle). Its custom forms draw every field as a
one-line text input (no choice lists, no text areas), its edit form makes every column editable,
"Add Row" shows on every table, and its login labels are not tied to their inputs. What it does
offer is used: column choices, translations (the login's "Username" reads "Email": staff sign in
with their email). The rest is done here, in two parts:

- The schema the admin's API gives for each table says what staff may do with it (`add_row`,
  `edit_row`) and which columns are read only (`read_only` on a column), as our TableConfigs and
  hooks decide. The server refuses those writes whatever the screen shows (validators, hooks).
- The bundle is served with a few small changes (`PATCHES`) that read those flags, pass a custom
  form field's `choices` and `widget` to the field (a choice list, a text area), reload a row
  after saving it, show a list's id column, and tie the login labels to their inputs; and the
  stylesheet with one (`CSS_PATCHES`): choice lists read as written, not title-cased. Each
  change replaces one exact piece; if piccolo-admin (pinned) changes it, building the admin
  fails and names the change to redo, rather than serving a half-changed app.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from piccolo_admin.endpoints import ASSET_PATH, TableConfig
from piccolo_admin.translations.data import TRANSLATIONS
from piccolo_admin.translations.models import Translation
from starlette.types import Message, Receive, Scope, Send

from okmarts.admin.tables import _refuse_request

# What the login's "Username" box asks for: staff accounts are named by their email.
EMAIL_LABELS = {
    "en": "Email",
    "cy": "E-bost",
    "hr": "E-pošta",
    "pt": "E-mail",
    "de": "E-Mail",
    "fr": "E-mail",
    "es": "Correo electrónico",
    "fi": "Sähköposti",
    "ru": "Электронная почта",
    "uk": "Електронна пошта",
    "zh-cn": "电子邮箱",
    "zh-tw": "電子郵件",
    "tr": "E-posta",
    "fa": "ایمیل",
    "it": "Email",
    "hu": "E-mail",
    "sk": "E-mail",
}
LOGIN_USERNAME_ID = "login-email"
LOGIN_PASSWORD_ID = "login-password"


def translations() -> list[Translation]:
    """Piccolo Admin's translations, with the login's "Username" saying "Email"."""
    return [
        translation.model_copy(
            update={
                "translations": {
                    **translation.translations,
                    "Username": EMAIL_LABELS.get(translation.language_code.lower(), "Email"),
                }
            }
        )
        for translation in TRANSLATIONS
    ]


def choice_list(options: dict[str, str]) -> dict[str, Any]:
    """A custom form field's `json_schema_extra` drawing it as a choice list, in this order
    (value: what it reads); the same `choices` Piccolo Admin reads from a column."""
    # The schema's keys come out sorted, and the admin lists the choices in key order: number
    # the keys so that order is this one.
    return {
        "extra": {
            "choices": {
                f"{index:02d}_{value or 'none'}": {"display_name": name, "value": value}
                for index, (value, name) in enumerate(options.items())
            }
        }
    }


# A custom form field's `json_schema_extra` drawing it as a multi-line text area.
TEXT_AREA: dict[str, Any] = {"extra": {"widget": "text-area"}}


# -- What the schema tells the screens ---------------------------------------------------------


@dataclass(frozen=True)
class TableScreen:
    """What staff may do with a table on screen: add rows, edit rows, and which columns."""

    add_row: bool = True
    edit_row: bool = True
    read_only: frozenset[str] = field(default_factory=frozenset)

    def annotate(self, schema: dict[str, Any]) -> dict[str, Any]:
        extra = schema.setdefault("extra", {})
        extra["add_row"] = self.add_row
        extra["edit_row"] = self.edit_row
        for name, prop in schema.get("properties", {}).items():
            read_only = not self.edit_row or name in self.read_only
            prop.setdefault("extra", {})["read_only"] = read_only
        return schema


def _refuses(config: TableConfig, endpoint: str) -> bool:
    validators = config.validators
    return validators is not None and _refuse_request in (getattr(validators, endpoint) or [])


def table_screens(
    configs: Iterable[TableConfig], read_only: dict[str, Iterable[str]] | None = None
) -> dict[str, TableScreen]:
    """Each table's screen, from what its validators refuse and the read-only columns given
    (by table name) for tables whose other columns staff edit."""
    read_only = read_only or {}
    screens = {}
    for config in configs:
        name = config.table_class._meta.tablename
        screens[name] = TableScreen(
            add_row=not _refuses(config, "post_single"),
            edit_row=not _refuses(config, "patch_single"),
            read_only=frozenset(read_only.get(name, ())),
        )
    return screens


SCHEMA_PATH = re.compile(r"^/api/tables/(?P<table>[a-z0-9_]+)/schema/?$")


async def annotate_schema(
    screen: TableScreen, app: Any, scope: Scope, receive: Receive, send: Send
) -> None:
    """Run `app` and add the screen's flags to the table schema it answers with."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def buffered(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(chunks)
        headers = list(start.get("headers", []))
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if start["status"] == 200 and content_type.startswith(b"application/json"):
            body = json.dumps(screen.annotate(json.loads(body))).encode()
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    await app(scope, receive, buffered)


# -- The bundle, changed ------------------------------------------------------------------------


@dataclass(frozen=True)
class Patch:
    why: str
    old: str
    new: str


# Each `old` is a piece of piccolo-admin 1.14.0's built bundle, found exactly once.
PATCHES = (
    Patch(
        "login: the email box has a label tied to it (and is an email box)",
        't0("label",null,M0(e.$t("Username")),1),x0(t0("input",{name:"username",type:"text",',
        f't0("label",{{for:"{LOGIN_USERNAME_ID}"}},M0(e.$t("Username")),1),'
        f'x0(t0("input",{{id:"{LOGIN_USERNAME_ID}",name:"username",type:"email",'
        'autocomplete:"username",',
    ),
    Patch(
        "login: the password label is tied to the password box",
        't0("label",null,M0(e.$t("Password")),1),'
        'z0(c,{onInput:t[1]||(t[1]=a=>e.password=a),value:e.password},null,8,["value"])',
        f't0("label",{{for:"{LOGIN_PASSWORD_ID}"}},M0(e.$t("Password")),1),'
        f'z0(c,{{inputId:"{LOGIN_PASSWORD_ID}",onInput:t[1]||(t[1]=a=>e.password=a),'
        'value:e.password},null,8,["value"])',
    ),
    Patch(
        "password box: takes an id",
        'X9=N0({emits:["input"],props:{value:String},',
        'X9=N0({emits:["input"],props:{value:String,inputId:String},',
    ),
    Patch(
        "password box: sets the id",
        't0("input",{name:"password",value:e.value,',
        't0("input",{id:e.inputId,name:"password",value:e.value,',
    ),
    Patch(
        "password box: the id is a dynamic property",
        'I9=["value","type"]',
        'I9=["id","value","type"]',
    ),
    Patch(
        "list: a column without a schema property (the id: the schema leaves the primary key "
        "out) shows its value instead of stopping the list",
        'isBoolean(e){return Jt(this.schema.properties[e])=="boolean"},'
        'isInterval(e){return nn(this.schema.properties[e])=="duration"},'
        "isJSON(e){var t;return((t=this.schema.properties[e].extra)==null?void 0:t.widget)"
        '=="json"},isArray(e){return Jt(this.schema.properties[e])=="array"},',
        'isBoolean(e){const t=this.schema.properties[e];return!!t&&Jt(t)=="boolean"},'
        'isInterval(e){const t=this.schema.properties[e];return!!t&&nn(t)=="duration"},'
        "isJSON(e){var t,o;return((t=(o=this.schema.properties[e])==null?void 0:o.extra)"
        '==null?void 0:t.widget)=="json"},'
        'isArray(e){const t=this.schema.properties[e];return!!t&&Jt(t)=="array"},',
    ),
    Patch(
        'list: no "Add Row" where rows are not added',
        'z0(p,{to:{name:"addRow",params:{tableName:e.tableName}},class:"button",',
        'e.schema.extra.add_row===!1?h0("",!0):(Z(),R0(p,{key:"add_row",'
        'to:{name:"addRow",params:{tableName:e.tableName}},class:"button",',
    ),
    Patch(
        'list: (the end of "Add Row")',
        '{default:J0(()=>[z0(a,{icon:"plus"}),t0("span",null,M0(e.$t("Add Row")),1)]),_:1},'
        '8,["to"])',
        '{default:J0(()=>[z0(a,{icon:"plus"}),t0("span",null,M0(e.$t("Add Row")),1)]),_:1},'
        '8,["to"]))',
    ),
    Patch(
        "edit form: read-only columns are shown as text, not as fields",
        "b.extra.foreign_key?(Z(),R0(p,{key:0,fieldName:String(l),"
        "tableName:b.extra.foreign_key.to,",
        '!e.isFilter&&b.extra.read_only?(Z(),p0("p",{key:2,class:"read_only_value",'
        '"data-column":String(l)},M0(e.shownValue(b,String(l))),9,["data-column"])):'
        "b.extra.foreign_key?(Z(),R0(p,{key:0,fieldName:String(l),"
        "tableName:b.extra.foreign_key.to,",
    ),
    Patch(
        'edit form: no "add" link beside a read-only foreign key',
        'e.isFilter?h0("",!0):(Z(),R0(s,{key:0,to:{name:"addRow",'
        "params:{tableName:b.extra.foreign_key.to}}",
        'e.isFilter||b.extra.read_only?h0("",!0):(Z(),R0(s,{key:0,to:{name:"addRow",'
        "params:{tableName:b.extra.foreign_key.to}}",
    ),
    Patch(
        "edit form: a read-only column is not marked required",
        "isRequired(e){return!this.isFilter&&(this.schema.required||[]).indexOf(e)!=-1}",
        "isRequired(e){var o;return!this.isFilter&&!((o=this.schema.properties[e])!=null&&"
        "o.extra&&o.extra.read_only)&&(this.schema.required||[]).indexOf(e)!=-1}",
    ),
    Patch(
        "edit form: how a read-only value reads (the readable name, the choice, the time)",
        "getValue(e){return this.row?this.row[e]:void 0},",
        "getValue(e){return this.row?this.row[e]:void 0},"
        "shownValue(b,l){const v=this.getValue(l);if(b.extra.foreign_key){"
        'const r=this.getValue(l+"_readable");return r??(v??"\\u2014")}'
        "if(b.extra.choices){const c=Object.values(b.extra.choices).find(c=>c.value==v);"
        "if(c)return c.display_name}"
        'if(v===null||v===void 0||v==="")return"\\u2014";'
        'if(this.getFormat(b)=="date-time"){const d=new Date(v);'
        "if(!isNaN(d))return d.toLocaleString()}return String(v)},",
    ),
    Patch(
        "edit form: after saving, show the row as saved (what the server set too)",
        'await this.$store.dispatch("updateRow",n);var r={contents:"Successfully saved row"',
        'await this.$store.dispatch("updateRow",n),await this.fetchData();'
        'var r={contents:"Successfully saved row"',
    ),
    Patch(
        'edit form: no "Save" where rows are not edited',
        't0("button",{disabled:!e.saveButtonEnabled,"data-uitest":"save_button"},'
        'M0(e.$t("Save")),9,W9)',
        'e.schema.extra.edit_row===!1?h0("",!0):(Z(),p0("button",{key:"save",'
        'disabled:!e.saveButtonEnabled,"data-uitest":"save_button"},M0(e.$t("Save")),9,W9))',
    ),
    Patch(
        "bulk update: read-only columns are not offered",
        "z!=e.schema.extra.primary_key_name&&l.extra.unique==!1",
        "z!=e.schema.extra.primary_key_name&&l.extra.unique==!1&&!l.extra.read_only",
    ),
    Patch(
        "custom forms: a field's choices (a choice list) and widget (a text area)",
        "value:a.default,isNullable:e.isNullable(a),",
        "value:a.default,isNullable:e.isNullable(a),"
        "choices:a.extra&&a.extra.choices||null,widget:a.extra&&a.extra.widget,",
    ),
    Patch(
        "choice lists: marked, so their choices read as written (see CSS_PATCHES)",
        'p0("select",{name:e.fieldName,"onUpdate:modelValue":t[0]||(t[0]=c=>e.localValue=c)}',
        'p0("select",{class:"choice_select",name:e.fieldName,'
        '"onUpdate:modelValue":t[0]||(t[0]=c=>e.localValue=c)}',
    ),
    Patch(
        "custom forms: (choices and widget are dynamic properties)",
        'null,8,["columnName","type","value","isNullable","timeResolution","format"])',
        'null,8,["columnName","type","value","isNullable","timeResolution","format",'
        '"choices","widget"])',
    ),
)


# The admin's stylesheet capitalises every select's text, which title-cases choices written as
# sentences (the comment rules) and "(none)": choice lists show them as written.
CSS_PATCHES = (
    Patch(
        "choice lists: choices read as written, not title-cased",
        "select{text-transform:capitalize}",
        "select{text-transform:capitalize}select.choice_select{text-transform:none}",
    ),
)


class BundleChanged(RuntimeError):
    """piccolo-admin's bundle is not the one PATCHES were written for."""


@dataclass(frozen=True)
class Bundle:
    name: str
    body: bytes
    etag: str
    content_type: bytes = b"text/javascript; charset=utf-8"


def bundle_path(asset_dir: Path | None = None, suffix: str = ".js") -> Path:
    """The admin's one JavaScript bundle, or stylesheet (a name with a hash: read the folder)."""
    found = sorted((asset_dir or Path(ASSET_PATH) / "assets").glob(f"index-*{suffix}"))
    if len(found) != 1:
        raise BundleChanged(
            f"Expected one index-*{suffix} in piccolo-admin's assets, found {found}."
        )
    return found[0]


def patch_bundle(source: str, patches: Iterable[Patch] = PATCHES) -> str:
    for patch in patches:
        count = source.count(patch.old)
        if count != 1:
            raise BundleChanged(
                f"piccolo-admin's bundle changed: {patch.why!r} finds its piece {count} times "
                "(expected once). Redo it in okmarts/admin/ui.py for this version."
            )
        source = source.replace(patch.old, patch.new)
    return source


def _patched(suffix: str, patches: Iterable[Patch], content_type: bytes) -> Bundle:
    path = bundle_path(suffix=suffix)
    body = patch_bundle(path.read_text(encoding="utf-8"), patches).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:20]}"'
    return Bundle(name=path.name, body=body, etag=etag, content_type=content_type)


@cache
def patched_bundle() -> Bundle:
    return _patched(".js", PATCHES, b"text/javascript; charset=utf-8")


@cache
def patched_stylesheet() -> Bundle:
    return _patched(".css", CSS_PATCHES, b"text/css; charset=utf-8")


def patched_assets() -> dict[str, Bundle]:
    """The admin's assets we serve changed, by their path under the admin."""
    return {f"/assets/{bundle.name}": bundle for bundle in (patched_bundle(), patched_stylesheet())}


async def serve_bundle(bundle: Bundle, scope: Scope, send: Send) -> None:
    headers = [
        (b"content-type", bundle.content_type),
        (b"etag", bundle.etag.encode()),
        # Same name as the unchanged bundle: ask again each time (a 304 when unchanged).
        (b"cache-control", b"no-cache"),
    ]
    asked = dict(scope.get("headers", [])).get(b"if-none-match", b"")
    if bundle.etag.encode() in [tag.strip() for tag in asked.split(b",")]:
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers.append((b"content-length", str(len(bundle.body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": bundle.body})
