"""Plain values in typed text, whatever the language: normalised words, HH:MM clock times, IANA zones."""
from __future__ import annotations

import functools
import re
import unicodedata
import zoneinfo

from bot.locales import place


def normalize(text: str) -> str:
    """Lower case, accents and emoji dropped, apostrophes removed, punctuation to spaces."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['’`]", "", text).replace("&", " and ")
    text = re.sub(r"[^\w\s.,]|_", " ", text)
    return " ".join(re.sub(r"(?<!\d)[.,]|[.,](?!\d)", " ", text).split())


_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def clock_time(text: str) -> str | None:
    """'HH:MM' for a time written as H:MM or HH:MM (the form of a flow's choices); None otherwise."""
    match = _HHMM.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


@functools.cache
def _zones() -> dict[str, str]:
    """Lookup keys (full name, and city where unambiguous) to IANA zone names."""
    names = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z in ("UTC", "GMT"))
    keys: dict[str, str] = {}
    cities: dict[str, list[str]] = {}
    for name in names:
        keys[normalize(name.replace("_", " ").replace("/", " "))] = name
        cities.setdefault(normalize(name.rsplit("/", 1)[-1].replace("_", " ")), []).append(name)
    for city, found in cities.items():
        canonical = [z for z in found if not _legacy(z)]
        if len(canonical) == 1:
            keys.setdefault(city, canonical[0])
    return keys


def _legacy(zone: str) -> bool:
    return zone.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))


@functools.cache
def localised_zones(locale: str) -> dict[str, str]:
    """Zone cities as `locale` names them (Babel): "londres" -> Europe/London in Spanish."""
    found: dict[str, list[str]] = {}
    for zone in sorted(z for z in zoneinfo.available_timezones() if "/" in z and not _legacy(z)):
        found.setdefault(normalize(place(zone, locale)), []).append(zone)

    def named_after(zone: str) -> bool:  # a link (Europe/Belfast) is named after the zone it follows (London)
        return normalize(zone.rsplit("/", 1)[-1].replace("_", " ")) == normalize(place(zone, "en"))
    own = {city: [z for z in zones if named_after(z)] for city, zones in found.items()}
    return {city: (zones if len(zones) == 1 else own[city])[0] for city, zones in found.items()
            if len(zones) == 1 or len(own[city]) == 1}


@functools.cache
def _exact_zones() -> dict[str, str]:
    return {z.casefold(): z for z in zoneinfo.available_timezones()}


def time_zone(text: str) -> str | None:
    """The IANA zone a reply names: 'Europe/Berlin', 'berlin', 'New York', 'utc'; None if unknown."""
    exact = _exact_zones().get(text.strip().casefold())  # before normalizing, which drops the + of Etc/GMT+5
    return exact or _zones().get(normalize(text.replace("_", " ").replace("/", " ")))
