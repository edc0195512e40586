"""Languages: Babel catalogs under locales/, the request's locale in a ContextVar, formatting."""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_currency, format_decimal, get_currency_precision
from babel.support import NullTranslations, Translations

from okmarts import pseudo_locale

SOURCE_LOCALE = "en"
current_locale: ContextVar[str] = ContextVar("okmarts_locale", default=SOURCE_LOCALE)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (translated where shown)."""
    return message


@dataclass(frozen=True)
class Message:
    """A message to show later in the reader's language: an N_-marked msgid and its values."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)


class Catalogs:
    """The compiled catalogs found under locales/: adding a folder there adds a language.

    pseudo_dir: where `okmarts pseudo-locale` wrote the pseudo-locale, to offer it last (only
    when OKMARTS_PSEUDO_LOCALE is on, and only once it has been generated).
    """

    def __init__(self, locales_dir: Path, pseudo_dir: Path | None = None) -> None:
        self.locales_dir = locales_dir
        self.pseudo_dir = pseudo_dir
        found = sorted(
            path.parent.parent.name
            for path in locales_dir.glob("*/LC_MESSAGES/messages.po")
            if not path.parent.parent.name.startswith("_")
        )
        self.available: list[str] = [
            SOURCE_LOCALE,
            *(code for code in found if code != SOURCE_LOCALE),
        ]
        if pseudo_dir is not None and (pseudo_dir / pseudo_locale.COMPILED).exists():
            self.available.append(pseudo_locale.PSEUDO_LOCALE)
        self._translations: dict[str, NullTranslations] = {}

    def translations(self, locale: str) -> NullTranslations:
        cached = self._translations.get(locale)
        if cached is None:
            # Babel does not fall back from zh_Hans_CN to zh_Hans: pass the chain.
            chain = fallback_chain(locale)
            where = self.locales_dir
            if locale == pseudo_locale.PSEUDO_LOCALE and self.pseudo_dir is not None:
                where = self.pseudo_dir
            cached = Translations.load(str(where), chain, domain="messages")
            self._translations[locale] = cached
        return cached

    def gettext(self, message: str) -> str:
        return self.translations(current_locale.get()).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations(current_locale.get()).ngettext(singular, plural, count)

    def message(self, message: Message | str) -> str:
        """A Message (or a plain msgid) translated into the current language."""
        if isinstance(message, str):
            return self.gettext(message)
        text = self.gettext(message.msgid)
        return text % message.params if message.params else text

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
        """Map a browser or user tag (zh-CN, zh_Hans, en-GB…) onto an available locale."""
        code = tag.replace("-", "_")
        if code == pseudo_locale.PSEUDO_LOCALE:
            # Chosen by its exact code only: its language, en, is the source language's.
            return code if code in self.available else None
        try:
            wanted = Locale.parse(tag.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            return None
        for code in self.available:
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
    precision = get_currency_precision(currency)
    amount = Decimal(amount_minor).scaleb(-precision)
    return format_currency(amount, currency, locale=babel_locale(current_locale.get()))


def number(value: int | Decimal) -> str:
    return format_decimal(value, locale=babel_locale(current_locale.get()))


def date(value: dt.date | dt.datetime, format: str = "medium") -> str:
    return babel_format_date(value, format=format, locale=babel_locale(current_locale.get()))


def datetime(value: dt.datetime, format: str = "medium") -> str:
    """A moment in UTC, as the reader's language writes it (with the zone named)."""
    return babel_format_datetime(
        value, format=format, tzinfo=dt.UTC, locale=babel_locale(current_locale.get())
    ) + " UTC"
