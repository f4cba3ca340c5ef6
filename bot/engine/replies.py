"""Understanding typed replies to questions that offer buttons. It never guesses: unclear is None."""
from __future__ import annotations

import functools
import re
import unicodedata
import zoneinfo

_YES = {"yes", "y", "yeah", "yea", "yep", "yup", "ya", "yah", "aye", "sure", "correct", "true", "affirmative",
        "i do", "i have", "it does", "it is", "i am", "definitely", "absolutely"}
_NO = {"no", "n", "nope", "nah", "na", "never", "not really", "none", "negative", "i dont", "i havent",
       "it doesnt", "it isnt", "im not", "not at all", "dont think so", "i dont think so", "false"}
# Any of these anywhere means doubt, and doubt counts as yes.
_NOT_SURE = ("not sure", "unsure", "idk", "dont know", "do not know", "dunno", "maybe", "perhaps",
             "no idea", "not certain", "uncertain", "possibly", "might", "kind of", "kinda", "sort of",
             "hard to say", "hard to tell", "cant tell", "can not tell", "cannot tell", "cant say", "cannot say",
             "a little", "a bit", "sometimes", "occasionally", "could", "i think", "i guess", "probably",
             "somewhat", "slightly", "not 100", "not entirely", "not really sure", "not too sure", "used to",
             "did last", "last week")
_LEAD_YES = {"yes", "yeah", "yep", "yup", "y"}
_LEAD_NO = {"no", "nope", "nah", "n"}
# What may follow a leading "no" for it still to be a plain no.
_NO_FILLER = {"no", "nope", "nah", "never", "not", "at", "all", "none", "nothing", "really", "thanks", "thank",
              "you", "i", "dont", "do", "havent", "have", "it", "doesnt", "isnt", "im", "way", "definitely",
              "ever", "before"}


def normalize(text: str) -> str:
    """Lower case, accents and emoji dropped, apostrophes removed, punctuation to spaces."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['’`]", "", text).replace("&", " and ")
    text = re.sub(r"[^\w\s.,]|_", " ", text)
    return " ".join(re.sub(r"(?<!\d)[.,]|[.,](?!\d)", " ", text).split())


def yes_no(text: str) -> str | None:
    """'yes', 'no' or 'not_sure' when the reply clearly says so; doubt anywhere means not_sure.

    A reply that starts with yes and doesn't take it back counts as yes (erring toward the red
    flag); one that starts with no counts as no only if nothing but filler follows.
    """
    words = normalize(text)
    if not words:
        return None
    padded = f" {words} "
    if any(f" {p} " in padded for p in _NOT_SURE):
        return "not_sure"
    if words in _YES:
        return "yes"
    if words in _NO:
        return "no"
    first, *rest = words.split()
    said_no = bool(_LEAD_NO & set(rest)) or " not " in padded
    if first in _LEAD_YES and not said_no:
        return "yes"
    if first in _LEAD_NO and set(rest) <= _NO_FILLER:
        return "no"
    return None


def choice(text: str, labels: list[str]) -> int | None:
    """Index of the option whose label (or 1-based number) the reply gives."""
    words = normalize(text)
    if words.isascii() and words.isdigit() and 1 <= int(words) <= len(labels):
        return int(words) - 1
    matches = [i for i, label in enumerate(labels) if normalize(label) == words]
    return matches[0] if len(matches) == 1 else None


_NUMBER = re.compile(r"^(-?\d+(?:[.,]\d+)?)\s*(?:cm|centimet(?:er|re)s?|cms)?$")


def number(text: str, low: float, high: float) -> float | int | None:
    """The number typed, within [low, high]; a unit of cm is allowed."""
    match = _NUMBER.match(" ".join(text.casefold().split()))
    if not match:
        return None
    value = float(match.group(1).replace(",", "."))
    if not low <= value <= high:
        return None
    return int(value) if value.is_integer() else value


_CLOCK = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a m|p m)?$")


def clock_time(text: str) -> str | None:
    """'HH:MM' for replies such as 7, 07:30, 7.30pm, 19h30; None if it isn't a time of day."""
    match = _CLOCK.match(" ".join(text.casefold().replace(".", ":").split()).replace(": ", ":"))
    if not match:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").replace(" ", "")
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


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
        canonical = [z for z in found if not z.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))]
        if len(canonical) == 1:
            keys.setdefault(city, canonical[0])
    return keys


@functools.cache
def _exact_zones() -> dict[str, str]:
    return {z.casefold(): z for z in zoneinfo.available_timezones()}


def time_zone(text: str) -> str | None:
    """The IANA zone a reply names: 'Europe/Berlin', 'berlin', 'New York', 'utc'; None if unknown."""
    exact = _exact_zones().get(text.strip().casefold())  # before normalizing, which drops the + of Etc/GMT+5
    return exact or _zones().get(normalize(text.replace("_", " ").replace("/", " ")))
