"""Understanding typed replies to questions that offer buttons. It never guesses: unclear is None."""
from __future__ import annotations

import re
import unicodedata

_YES = {"yes", "y", "yeah", "yea", "yep", "yup", "ya", "yah", "aye", "sure", "correct", "true", "affirmative",
        "i do", "i have", "it does", "it is", "i am", "definitely", "absolutely"}
_NO = {"no", "n", "nope", "nah", "na", "never", "not really", "none", "negative", "i dont", "i havent",
       "it doesnt", "it isnt", "im not", "not at all", "dont think so", "i dont think so", "false"}
_NOT_SURE = ("not sure", "unsure", "idk", "dont know", "do not know", "dunno", "maybe", "perhaps",
             "no idea", "not certain", "uncertain", "possibly", "might", "kind of", "kinda", "sort of",
             "hard to say", "cant tell", "can not tell", "cannot tell")
_LEAD_YES = {"yes", "yeah", "yep", "yup", "y"}
_LEAD_NO = {"no", "nope", "nah", "n"}


def normalize(text: str) -> str:
    """Lower case, accents and emoji dropped, apostrophes removed, punctuation to spaces."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['’`]", "", text)
    text = re.sub(r"[^\w\s.,]|_", " ", text)
    return " ".join(re.sub(r"(?<!\d)[.,]|[.,](?!\d)", " ", text).split())


def yes_no(text: str) -> str | None:
    """'yes', 'no' or 'not_sure' when the reply clearly says so; doubt anywhere means not_sure."""
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
    if first in _LEAD_NO and not (_LEAD_YES & set(rest)):
        return "no"
    return None


def choice(text: str, labels: list[str]) -> int | None:
    """Index of the option whose label (or 1-based number) the reply gives."""
    words = normalize(text)
    if words.isdigit() and 1 <= int(words) <= len(labels):
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
