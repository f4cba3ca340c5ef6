"""Understanding typed replies to questions that offer buttons. It never guesses: unclear is None."""
from __future__ import annotations

import functools
import re
import unicodedata
import zoneinfo

_YES = {"yes", "y", "yeah", "yea", "yep", "yup", "ya", "yah", "aye", "sure", "correct", "true", "affirmative",
        "i do", "i have", "it does", "it is", "i am", "definitely", "absolutely", "yes please", "yes i do",
        "yes i have", "yes it does"}
_NO = {"no", "n", "nope", "nah", "na", "never", "none", "negative", "i dont", "i havent", "it doesnt", "it isnt",
       "im not", "not at all", "false", "none of them", "none of those", "none of these", "no never", "nothing",
       "dont think so", "i dont think so", "i dont have any", "i dont have any of those", "i dont have those",
       "i dont have that", "i dont have any of these", "not me", "none apply", "none of them apply",
       "none of those apply", "none of these apply", "nothing like that", "i do not", "i have not", "it does not"}
# Any of these anywhere means doubt, and doubt counts as yes.
_NOT_SURE = ("not sure", "unsure", "idk", "dont know", "do not know", "dunno", "maybe", "perhaps",
             "no idea", "not certain", "uncertain", "possibly", "might", "kind of", "kinda", "sort of", "sorta",
             "hard to say", "hard to tell", "cant tell", "can not tell", "cannot tell", "cant say", "cannot say",
             "a little", "a bit", "a tad", "sometimes", "occasionally", "could", "i think", "i guess", "probably",
             "somewhat", "slightly", "not 100", "not entirely", "not really", "not too sure", "used to",
             "did last", "last week", "now and then", "on and off", "mostly", "partly", "i suppose", "ish",
             "not exactly", "not quite", "more or less", "well", "hmm", "hm", "er", "erm", "um", "umm")
_LEAD_YES = {"yes", "yeah", "yep", "yup", "y", "ya", "aye", "sure"}
_LEAD_NO = {"no", "nope", "nah", "n", "na", "never", "none", "nothing"}
# What may follow a leading "no" for it still to be a plain no.
_NO_FILLER = {"no", "nope", "nah", "never", "not", "at", "all", "none", "nothing", "thanks", "thank", "you", "i",
              "dont", "havent", "it", "doesnt", "isnt", "im", "way", "definitely", "ever", "before", "of", "those",
              "these", "that", "them", "any", "anything", "like", "to", "me", "for", "either", "neither", "nor",
              "apply", "applies", "here", "thankfully", "luckily", "fortunately", "sorry", "ok", "okay", "nada",
              "whatsoever", "so", "far", "happily", "the", "above", "cheers", "mate", "really", "didnt", "wasnt",
              "arent", "hasnt", "none", "nothing"}
# After a leading "no", these take it back ("no, I do have it", "nope, I do"): a contradiction is doubt.
_TAKE_BACK = {"do", "does", "did", "have", "has", "had", "am", "is", "was", "are", "were", "yes", "yeah", "yep",
              "actually", "but", "though", "except", "although", "apart", "wait", "hang", "sometimes", "get",
              "got", "feel", "felt", "can", "cant"}
# Emoji read as answers, before normalising drops them.
_EMOJI = {"👍": " yes ", "✅": " yes ", "✔": " yes ", "☑": " yes ", "👌": " yes ", "👎": " no ", "❌": " no ",
          "✖": " no ", "🚫": " no ", "🤷": " not sure ", "🤔": " not sure "}
_NEGATED = {"not", "never", "nt"}  # "have not", "did never": the verb stays a no
# Pointing at a sign of a list question ("only the first one") is a yes to the question.
_POINTING = ("first one", "second one", "third one", "fourth one", "fifth one", "last one", "the first",
             "the second", "the third", "the fourth", "the last", "one of them", "one of those", "one of these",
             "some of them", "some of those", "all of them", "all of those", "all of these", "that one",
             "only one", "just one", "a couple", "two of them", "two of those", "more than one")
# Taking back an earlier answer ("I meant yes to the last one", "I pressed the wrong button").
_CORRECTION = ("meant yes", "meant to say yes", "meant to press yes", "meant to tap yes", "wrong button",
               "pressed the wrong", "tapped the wrong", "pressed no by mistake", "tapped no by mistake",
               "by mistake", "change my answer", "changed my mind", "previous question", "last question",
               "earlier question", "question before", "i was wrong", "that was wrong", "should have said yes",
               "should be yes", "actually yes to")


def normalize(text: str) -> str:
    """Lower case, accents and emoji dropped, apostrophes removed, punctuation to spaces."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['’`]", "", text).replace("&", " and ")
    text = re.sub(r"[^\w\s.,]|_", " ", text)
    return " ".join(re.sub(r"(?<!\d)[.,]|[.,](?!\d)", " ", text).split())


def yes_no(text: str) -> str | None:
    """'yes', 'no' or 'not_sure' when the reply clearly says so; doubt anywhere means not_sure.

    Only a clear no is no: a leading no followed by nothing but filler. A no that is taken back
    ("no, I do have it"), a yes with a no in it, or any hedge is doubt, which counts as yes.
    """
    for emoji, word in _EMOJI.items():
        text = text.replace(emoji, word)
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
    if any(f" {p} " in padded for p in _POINTING) and not padded.startswith((" no ", " none ")):
        return "yes"
    first, *rest = words.split()
    if first in _LEAD_YES:
        return "not_sure" if _LEAD_NO & set(rest) or " not " in padded else "yes"
    if first in _LEAD_NO:
        kept = [w for i, w in enumerate(rest) if not (w in _TAKE_BACK and rest[i + 1:i + 2] and
                                                       rest[i + 1] in _NEGATED)]
        kept = [w for i, w in enumerate(kept) if not (w in _NEGATED and i and kept[i - 1] in _TAKE_BACK)]
        if _TAKE_BACK & set(kept) or _LEAD_YES & set(kept):
            return "not_sure"
        if all(w in _NO_FILLER or w.isdigit() or w in ("years", "old", "yo") for w in kept):
            return "no"  # "no, I'm 41" states a fact; a number alone takes nothing back
    return None


def corrects(text: str) -> bool:
    """Whether the reply takes back an earlier answer rather than answering the question asked."""
    padded = f" {normalize(text)} "
    return any(f" {p} " in padded for p in _CORRECTION)


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
