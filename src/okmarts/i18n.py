"""Languages: Babel catalogs under locales/, the request's locale in a ContextVar, formatting.

A translator's mistake never costs a page: a compiled translation that would not format (a
placeholder the code doesn't pass, a lone %, other HTML tags) is dropped when its catalog loads,
so the English text shows instead, and formatting falls back to the English text too.
"""

from __future__ import annotations

import datetime as dt
import gettext as gnu_gettext
import logging
import math
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_currency, format_decimal, get_currency_precision
from babel.support import NullTranslations, Translations
from babel.units import format_unit
from jinja2 import pass_context
from markupsafe import Markup

from okmarts import pseudo_locale
from okmarts.catalog_check import check_and_compile
from okmarts.completion import (
    DEFAULT_MIN_COMPLETION,
    DOMAIN,
    SOURCE_LOCALE,
    completion_by_language,
    offered_languages,
)
from okmarts.translation_rules import translation_problems

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.runtime import Context

    from okmarts.settings import Settings

log = logging.getLogger(__name__)

current_locale: ContextVar[str] = ContextVar("okmarts_locale", default=SOURCE_LOCALE)
# In debug mode, `?preview_language=de` shows one page in any catalog's language, however
# incomplete: for translators checking their work (OKMARTS_LANGUAGE_PREVIEW lists languages
# offered whatever their completion, outside debug mode too).
PREVIEW_PARAMETER = "preview_language"
# In debug mode, catalogs whose files changed are reloaded; files are looked at this often.
RELOAD_SECONDS = 1.0


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (translated where shown)."""
    return message


@dataclass(frozen=True)
class Message:
    """A message to show later in the reader's language: an N_-marked msgid and its values
    (and its msgctxt, for a word that reads differently elsewhere: see NP_)."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    context: str | None = None


def NP_(context: str, message: str) -> Message:
    """N_ with a msgctxt: the same English word (“Completed”) for things whose translations
    differ (an order is masculine in Spanish, a request feminine). Shown through `message`."""
    return Message(message, context=context)


# -- Loading compiled catalogs --------------------------------------------------------------------


def _mo_entries(
    data: bytes, charset: str
) -> Iterator[tuple[str | None, tuple[str, ...], tuple[str, ...]]]:
    """(msgctxt, msgids, msgstrs) of each entry of a compiled catalog (GNU .mo format)."""
    order = "<" if struct.unpack("<I", data[:4])[0] == 0x950412DE else ">"
    _, count, ids_at, strs_at = struct.unpack(f"{order}4I", data[4:20])
    for index in range(count):
        id_length, id_offset = struct.unpack_from(f"{order}2I", data, ids_at + 8 * index)
        str_length, str_offset = struct.unpack_from(f"{order}2I", data, strs_at + 8 * index)
        raw_id = data[id_offset : id_offset + id_length]
        raw_str = data[str_offset : str_offset + str_length]
        if not raw_id:
            continue  # the header
        context, separator, raw_id = raw_id.rpartition(b"\x04")
        yield (
            context.decode(charset) if separator else None,
            tuple(part.decode(charset) for part in raw_id.split(b"\0")),
            tuple(part.decode(charset) for part in raw_str.split(b"\0")),
        )


def drop_broken_translations(translations: Translations, mo_path: Path) -> list[str]:
    """Forget translations that would break a page (a placeholder the code doesn't pass, a lone
    %, different HTML tags): gettext then answers the English text. Returns what was dropped."""
    dropped = []
    catalog: dict[Any, str] = translations._catalog  # type: ignore[attr-defined]
    charset = translations.charset() or "utf-8"
    for context, msgids, msgstrs in _mo_entries(mo_path.read_bytes(), charset):
        problems = [text for text, is_error in translation_problems(msgids, msgstrs) if is_error]
        if len(msgids) > 1 and not all(msgstrs):
            problems.append("a plural form is empty")
        if not problems:
            continue
        key = f"{context}\x04{msgids[0]}" if context is not None else msgids[0]
        if len(msgids) > 1:
            for form in range(len(msgstrs)):
                catalog.pop((key, form), None)
        else:
            catalog.pop(key, None)
        dropped.append(msgids[0])
        log.warning(
            "%s: translation of %r not used (the English text is shown instead): %s",
            mo_path,
            msgids[0],
            "; ".join(problems),
        )
    return dropped


def load_translations(where: Path, chain: list[str]) -> NullTranslations:
    """The compiled catalog of the first language of chain found under where, made safe."""
    found = gnu_gettext.find(DOMAIN, str(where), chain)
    if not found:
        return NullTranslations()
    try:
        with open(found, "rb") as handle:
            translations = Translations(fp=handle, domain=DOMAIN)
        drop_broken_translations(translations, Path(found))
    except (OSError, ValueError, SyntaxError, struct.error) as error:
        # A corrupt file or a plural formula Python can't read: English rather than a 500.
        log.error("%s cannot be loaded (%s): the English text is shown", found, error)
        return NullTranslations()
    return translations


# -- Catalogs -------------------------------------------------------------------------------------


class Catalogs:
    """The compiled catalogs found under locales/: adding a folder there adds a language.

    A language is offered (in the chooser, to browsers, to the language cookie) when at least
    min_completion percent of the source strings are translated, or when it is listed in
    preview (OKMARTS_LANGUAGE_PREVIEW). debug (OKMARTS_DEBUG) reloads catalogs whose files
    changed, compiling an edited .po first, and lets `?preview_language=` show any catalog.

    pseudo_dir: where `okmarts pseudo-locale` wrote the pseudo-locale, to offer it last (only
    when OKMARTS_PSEUDO_LOCALE is on, and only once it has been generated).
    """

    def __init__(
        self,
        locales_dir: Path,
        pseudo_dir: Path | None = None,
        *,
        min_completion: float = DEFAULT_MIN_COMPLETION,
        preview: Iterable[str] = (),
        debug: bool = False,
    ) -> None:
        self.locales_dir = locales_dir
        self.pseudo_dir = pseudo_dir
        self.min_completion = min_completion
        self.preview_languages = tuple(code.replace("-", "_") for code in preview)
        self.debug = debug
        self.completion = completion_by_language(locales_dir)
        # Every catalog there is, offered or not (what a debug-mode preview may choose from).
        self.present: list[str] = [SOURCE_LOCALE, *self.completion]
        self.available: list[str] = [
            SOURCE_LOCALE,
            *offered_languages(locales_dir, min_completion, self.preview_languages),
        ]
        for code in self.preview_languages:
            if code not in self.completion:
                log.warning("OKMARTS_LANGUAGE_PREVIEW: no catalog locales/%s/LC_MESSAGES/", code)
        if pseudo_dir is not None and (pseudo_dir / pseudo_locale.COMPILED).exists():
            self.available.append(pseudo_locale.PSEUDO_LOCALE)
            self.present.append(pseudo_locale.PSEUDO_LOCALE)
        self._translations: dict[str, NullTranslations] = {}
        self._versions: dict[str, tuple[int | None, ...]] = {}
        self._looked_at: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings: Settings, pseudo_dir: Path | None = None) -> Catalogs:
        """The catalogs as the settings (OKMARTS_LANGUAGE_*, OKMARTS_DEBUG) ask for them."""
        return cls(
            settings.locales_dir,
            pseudo_dir,
            min_completion=settings.language_min_completion,
            preview=settings.language_preview,
            debug=settings.debug,
        )

    # -- loading and reloading

    def _files(self, locale: str) -> list[Path]:
        if locale == pseudo_locale.PSEUDO_LOCALE:
            return [self.pseudo_dir / pseudo_locale.COMPILED] if self.pseudo_dir else []
        files = []
        for code in fallback_chain(locale):
            folder = self.locales_dir / code / "LC_MESSAGES"
            files += [folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"]
        return files

    def _version(self, locale: str) -> tuple[int | None, ...]:
        versions: list[int | None] = []
        for path in self._files(locale):
            try:
                versions.append(path.stat().st_mtime_ns)
            except OSError:
                versions.append(None)
        return tuple(versions)

    def _reload_if_changed(self, locale: str) -> None:
        """Debug mode: a catalog edited since it was loaded is loaded again (at most once a
        RELOAD_SECONDS); an edited .po is checked and compiled first, as `make install` would."""
        now = time.monotonic()
        if now - self._looked_at.get(locale, -RELOAD_SECONDS) < RELOAD_SECONDS:
            return
        self._looked_at[locale] = now
        version = self._version(locale)
        if self._versions.get(locale) == version:
            return
        if locale != pseudo_locale.PSEUDO_LOCALE:
            self._compile_edited(locale)
            version = self._version(locale)
        self._versions[locale] = version
        self._translations.pop(locale, None)

    def _compile_edited(self, locale: str) -> None:
        for code in fallback_chain(locale):
            po = self.locales_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"
            mo = po.with_suffix(".mo")
            if not po.exists() or (mo.exists() and mo.stat().st_mtime_ns >= po.stat().st_mtime_ns):
                continue
            report = check_and_compile(po, msgfmt=False)
            for problem in report.problems:
                log.warning("%s", problem)
            if report.errors:
                log.warning("%s has errors: the last good compiled catalog stays in use", po)

    def translations(self, locale: str) -> NullTranslations:
        if self.debug:
            self._reload_if_changed(locale)
        cached = self._translations.get(locale)
        if cached is None:
            # Babel does not fall back from zh_Hans_CN to zh_Hans: pass the chain.
            chain = fallback_chain(locale)
            where = self.locales_dir
            if locale == pseudo_locale.PSEUDO_LOCALE and self.pseudo_dir is not None:
                where = self.pseudo_dir
            cached = load_translations(where, chain)
            self._translations[locale] = cached
        return cached

    # -- translating

    def gettext(self, message: str) -> str:
        return self.translations(current_locale.get()).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations(current_locale.get()).ngettext(singular, plural, count)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations(current_locale.get()).pgettext(context, message)

    def npgettext(self, context: str, singular: str, plural: str, count: int) -> str:
        return self.translations(current_locale.get()).npgettext(context, singular, plural, count)

    def message(self, message: Message | str) -> str:
        """A Message (or a plain msgid) translated into the current language."""
        if isinstance(message, str):
            return self.gettext(message)
        if message.context is None:
            text = self.gettext(message.msgid)
        else:
            text = self.pgettext(message.context, message.msgid)
        if not message.params:
            return text
        return format_or_source(text, message.msgid, message.params)

    def install_gettext(self, env: Environment) -> None:
        """Install _, gettext, ngettext, pgettext and npgettext on a Jinja environment, newstyle
        (`_("%(num)s left", num=n)`), falling back to the English text when a translation
        cannot be formatted with the values given: never a 500 for a translator's typo."""
        env.install_gettext_callables(  # type: ignore[attr-defined]
            self.gettext,
            self.ngettext,
            newstyle=True,
            pgettext=self.pgettext,
            npgettext=self.npgettext,
        )
        callables = safe_newstyle_callables(self)
        env.globals.update(callables)
        # `_` is Jinja's alias that looks `gettext` up at every call: the same callable, direct.
        env.globals["_"] = callables["gettext"]

    # -- choosing

    def negotiate(self, accept_language: str | None) -> str:
        """Best available locale for an Accept-Language header, or the source language."""
        if not accept_language:
            return SOURCE_LOCALE
        preferred: list[tuple[float, str]] = []
        for position, part in enumerate(accept_language.split(",")):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            if tag and tag != "*" and quality > 0:
                preferred.append((-quality + position * 1e-6, tag.replace("-", "_")))
        wanted = [tag for _, tag in sorted(preferred)]
        for tag in wanted:
            code = self.match(tag)
            if code:
                return code
        return SOURCE_LOCALE

    def match(self, tag: str) -> str | None:
        """Map a browser or user tag (zh-CN, zh_Hans, en-GB…) onto an offered locale."""
        return _match(tag, self.available)

    def preview(self, tag: str | None) -> str | None:
        """Debug mode only: the catalog `?preview_language=<tag>` asks for, offered or not."""
        if not self.debug or not tag:
            return None
        return _match(tag, self.present)


def _match(tag: str, codes: list[str]) -> str | None:
    code = tag.replace("-", "_")
    if code == pseudo_locale.PSEUDO_LOCALE:
        # Chosen by its exact code only: its language, en, is the source language's.
        return code if code in codes else None
    try:
        wanted = Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        return None
    for code in codes:
        if code == pseudo_locale.PSEUDO_LOCALE:
            continue
        have = babel_locale(code)
        if have.language != wanted.language:
            continue
        # Chinese: the script decides (zh-CN and zh mean Hans, zh-TW means Hant).
        if have.script and have.script != _script_of(wanted):
            continue
        return code
    return None


# -- Formatting that never fails ------------------------------------------------------------------

_warned: set[tuple[str, str]] = set()


def format_or_source(translated: str, source: str, values: Any) -> str:
    """translated % values; if the translation can't take the values, the English text."""
    try:
        return translated % values
    except (KeyError, ValueError, TypeError, IndexError) as error:
        key = (source, type(error).__name__)
        if key not in _warned:
            _warned.add(key)
            log.warning(
                "translation %r of %r cannot be formatted (%s: %s): the English text is shown",
                translated,
                source,
                type(error).__name__,
                error,
            )
        return source % values


def safe_newstyle_callables(catalogs: Catalogs) -> dict[str, Callable[..., str]]:
    """Jinja's newstyle gettext callables, with format_or_source where Jinja uses a bare %."""

    def finish(context: Context, translated: str, source: str, variables: dict[str, Any]) -> str:
        if not variables and "%" not in translated:
            # What formatting it with no values would give, for less.
            return Markup(translated) if context.eval_ctx.autoescape else translated
        if context.eval_ctx.autoescape:
            translated, source = Markup(translated), Markup(source)
        # Jinja formats every string, with or without values (so %% is a percent sign).
        return format_or_source(translated, source, variables)

    @pass_context
    def gettext(__context: Context, __string: str, **variables: Any) -> str:
        return finish(__context, catalogs.gettext(__string), __string, variables)

    @pass_context
    def ngettext(
        __context: Context, __singular: str, __plural: str, __num: int, **variables: Any
    ) -> str:
        variables.setdefault("num", __num)
        source = __singular if __num == 1 else __plural
        return finish(__context, catalogs.ngettext(__singular, __plural, __num), source, variables)

    @pass_context
    def pgettext(__context: Context, __string_ctx: str, __string: str, **variables: Any) -> str:
        variables.setdefault("context", __string_ctx)
        return finish(__context, catalogs.pgettext(__string_ctx, __string), __string, variables)

    @pass_context
    def npgettext(
        __context: Context,
        __string_ctx: str,
        __singular: str,
        __plural: str,
        __num: int,
        **variables: Any,
    ) -> str:
        variables.setdefault("context", __string_ctx)
        variables.setdefault("num", __num)
        source = __singular if __num == 1 else __plural
        translated = catalogs.npgettext(__string_ctx, __singular, __plural, __num)
        return finish(__context, translated, source, variables)

    return {"gettext": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}


def _script_of(locale: Locale) -> str | None:
    if locale.script:
        return locale.script
    likely = get_global("likely_subtags")
    key = f"{locale.language}_{locale.territory}" if locale.territory else locale.language
    tag = likely.get(key) or likely.get(locale.language)
    return Locale.parse(tag).script if tag else None


def fallback_chain(locale: str) -> list[str]:
    parts = locale.split("_")
    return ["_".join(parts[:n]) for n in range(len(parts), 0, -1)]


@lru_cache(maxsize=32)
def babel_locale(code: str) -> Locale:
    """The locale Babel formats with for a language code (the pseudo-locale's is English)."""
    if code == pseudo_locale.PSEUDO_LOCALE:
        return Locale.parse(pseudo_locale.FORMAT_LOCALE)
    return Locale.parse(code)


@lru_cache(maxsize=32)
def display_name(code: str) -> str:
    """A language's own name, as speakers of it write it."""
    if code == pseudo_locale.PSEUDO_LOCALE:
        return pseudo_locale.DISPLAY_NAME
    name = babel_locale(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def money(amount_minor: int, currency: str) -> str:
    """Format integer minor units as money for the current locale (exact: Decimal, no float)."""
    if type(amount_minor) is int:
        return _money(current_locale.get(), amount_minor, currency)
    return _money.__wrapped__(current_locale.get(), amount_minor, currency)


# Babel takes about 30 µs per price or count, and a listing shows dozens: the same amounts
# recur (prices, counts, page numbers), so each locale's answers are kept.
@lru_cache(maxsize=8192)
def _money(locale: str, amount_minor: int, currency: str) -> str:
    precision = get_currency_precision(currency)
    amount = Decimal(amount_minor).scaleb(-precision)
    return format_currency(amount, currency, locale=babel_locale(locale))


def number(value: int | Decimal) -> str:
    kind = type(value)
    # Kept for ints and floats (not Decimals: 1.0 and 1.00 are equal keys, written differently;
    # nor -0.0, equal to 0.0).
    if kind is int or (kind is float and value != 0 and math.isfinite(value)):
        return _number(current_locale.get(), kind, value)
    return format_decimal(value, locale=babel_locale(current_locale.get()))


@lru_cache(maxsize=8192)
def _number(locale: str, kind: type, value: int | float) -> str:
    return format_decimal(value, locale=babel_locale(locale))


def file_size(size_bytes: int) -> str:
    """A file's size as the reader's language writes it: "340 kB", "1,2 MB" (decimal units)."""
    return _file_size(current_locale.get(), int(size_bytes))


@lru_cache(maxsize=1024)
def _file_size(locale: str, size_bytes: int) -> str:
    where = babel_locale(locale)
    if size_bytes < 1000:
        return format_unit(size_bytes, "digital-byte", length="short", locale=where)
    if size_bytes < 1_000_000:
        kilobytes = Decimal(size_bytes).scaleb(-3).quantize(Decimal(1))
        return format_unit(kilobytes, "digital-kilobyte", length="short", locale=where)
    megabytes = Decimal(size_bytes).scaleb(-6).quantize(Decimal("0.1"))
    return format_unit(megabytes, "digital-megabyte", length="short", locale=where)


@lru_cache(maxsize=256)
def _language_name(locale: str, code: str) -> str:
    try:
        name = babel_locale(locale).languages.get(Locale.parse(code.replace("-", "_")).language)
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:] if name else code


def language_name(code: str) -> str:
    """A language's name in the reader's language ("German", "Deutsch", "德语"); the code itself
    when Babel does not know it."""
    return _language_name(current_locale.get(), code) if code else ""


def date(value: dt.date | dt.datetime, format: str = "medium") -> str:
    return babel_format_date(value, format=format, locale=babel_locale(current_locale.get()))


def datetime(value: dt.datetime, format: str = "medium") -> str:
    """A moment in UTC, as the reader's language writes it (with the zone named)."""
    return babel_format_datetime(
        value, format=format, tzinfo=dt.UTC, locale=babel_locale(current_locale.get())
    ) + " UTC"
