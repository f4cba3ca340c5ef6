"""The languages the bot speaks, choosing one for a new person, and dates and places in each (Babel)."""
from __future__ import annotations

import string
from datetime import date

from babel.dates import format_date, get_timezone_location

LOCALES = ("en", "es", "de")
DEFAULT = "en"


def from_telegram(language_code: str | None) -> str:
    """The locale for Telegram's `language_code` ("es-MX" -> "es", "de" -> "de"); English otherwise."""
    if not isinstance(language_code, str):
        return DEFAULT
    base = language_code.replace("_", "-").split("-")[0].strip().lower()
    return base if base in LOCALES else DEFAULT


def known(locale: str | None) -> str:
    """`locale` if the bot speaks it, else the default."""
    return locale if locale in LOCALES else DEFAULT


def day_name(day: date, locale: str, pattern: str) -> str:
    """A date in `locale` by a CLDR `pattern` (format.date): "EEEE d MMMM" is "Thursday 3 December"."""
    return format_date(day, format=pattern, locale=known(locale))


def place(zone: str, locale: str) -> str:
    """The city a time zone is named after, in `locale` ("Europe/London" -> "Londres" in Spanish)."""
    try:
        return get_timezone_location(zone, locale=known(locale), return_city=True)
    except (LookupError, ValueError):
        return zone.rsplit("/", 1)[-1].replace("_", " ")


def placeholders(template: str) -> set[str]:
    """The {names} a text fills in."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
