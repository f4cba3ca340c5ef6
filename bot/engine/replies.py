"""Understanding typed replies to questions that offer buttons. It never guesses: unclear is None.

The words are data, one file per language (flows/replies/<locale>.yaml, model `Replies`); a `Reading`
reads with one language's words, and `Readings` with all of them, the person's own first.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from bot.engine.symptoms import slip, written_in, zipf
from bot.flows.model import Replies
from bot.values import localised_zones, normalize, time_zone

_CLOCK = re.compile(r"^(?:(\D*?)\s+)?(\d{1,2})(?::(\d{2}))?\s*(\D*)$")
# Emoji read as answers, before normalising drops them.
_REPEATED = re.compile(r"([a-z])\1+")
_PARTS = re.compile(r"[,;.!?()\n]+")  # the parts of a reply set off by punctuation
LITTLE = 6.0  # zipf frequency from which a word is one of a language's commonest little words (my, in, the)
_EMOJI = {"👍": "yes", "✅": "yes", "✔": "yes", "☑": "yes", "👌": "yes", "👎": "no", "❌": "no",
          "✖": "no", "🚫": "no", "🤷": "not_sure", "🤔": "not_sure"}


def _words(items: Iterable[str]) -> frozenset[str]:
    return frozenset(normalize(i) for i in items)


def _pattern(phrase: str) -> str:
    """A regular expression finding a phrase among normalised, spaced words; {n} is a number, {year} a year
    from 1900 to 2099."""
    words = [r"\d+" if w == "{n}" else r"(?:19|20)\d\d" if w == "{year}" else re.escape(normalize(w))
             for w in phrase.split()]
    return rf" {' '.join(w for w in words if w)} "


class Reading:
    """Typed answers read with one language's words."""

    def __init__(self, replies: Replies):
        self.locale = replies.locale
        self.yes, self.no, self.not_sure = _words(replies.yes), _words(replies.no), _words(replies.not_sure)
        self.hedges = _words(replies.hedges)
        self.lead_yes, self.lead_no = _words(replies.lead_yes), _words(replies.lead_no)
        self.no_filler, self.take_back = _words(replies.no_filler), _words(replies.take_back)
        self.negated, self.ages = _words(replies.negated), _words(replies.ages)
        self.numbers = {normalize(k): v for k, v in replies.numbers.items()}
        self.coming_before, self.coming_after = _words(replies.coming_before), _words(replies.coming_after)
        self.pointing, self.corrections = _words(replies.pointing), _words(replies.corrections)
        self.topics = {flag: _words(words) for flag, words in replies.topics.items()}
        self.first = _words(replies.first)
        self.conditions, self.limits = _words(replies.conditions), _words(replies.limits)
        self.qualifiers, self.complaint = _words(replies.qualifiers), _words(replies.complaint)
        self.cleared, self.not_cleared = _words(replies.cleared), _words(replies.not_cleared)
        self.regrets, self.professionals = _words(replies.regrets), _words(replies.professionals)
        self.outgrown = _words(replies.outgrown)
        self._past = [re.compile(_pattern(p)) for p in replies.past]
        groups = (replies.yes, replies.no, replies.lead_yes, replies.lead_no, replies.no_filler,
                  replies.take_back, replies.negated, replies.ages, replies.not_sure, replies.hedges,
                  replies.pointing, replies.qualifiers)
        self.filler = frozenset(w for group in groups for phrase in _words(group) for w in phrase.split())
        self._set_off = frozenset(w for w in self.lead_yes if len(w) > 1)
        self.emoji = {e: normalize({"yes": replies.lead_yes, "no": replies.lead_no,
                                    "not_sure": replies.not_sure}[a][0]) for e, a in _EMOJI.items()}
        units = "|".join(re.escape(u) for u in sorted(_words(replies.units), key=len, reverse=True))
        self._number = re.compile(rf"^(-?\d+(?:[.,]\d+)?)\s*(?:{units})?$")
        self.hours, self.at = _words(replies.hours), _words(replies.at)
        self._halves = ({w: "am" for w in _words(replies.morning)}
                        | {w: "pm" for w in _words(replies.afternoon)})
        self.cities = {normalize(k): v for k, v in replies.cities.items()}

    def yes_no(self, text: str) -> str | None:
        """'yes', 'no' or 'not_sure' when the reply clearly says so; doubt anywhere means not_sure.

        Only a clear no is no: a leading no followed by nothing but filler. A no that is taken back
        ("no, I do have it"), a yes with a no in it, or any hedge is doubt, which counts as yes.
        """
        for emoji, word in self.emoji.items():
            text = text.replace(emoji, f" {word} ")
        words = normalize(text)
        if not words:
            return None
        found = self._yes_no(words)
        if found is None and _REPEATED.search(words):  # "yesss", "nooo"
            found = self._yes_no(_REPEATED.sub(r"\1", words))
        if found is None and self._slip_of_yes(words):  # "yse", "ye": doubt, which counts as yes
            found = "not_sure"
        if found == "no" and text.rstrip().endswith("?"):
            return "not_sure"  # "no?" asks rather than answers
        if found is None and self._set_off_yes(text) and not self.corrects(text):  # "long time ago, yes"
            found = "not_sure" if self.lead_no & set(words.split()) else "yes"
        return found

    def _yes_no(self, words: str) -> str | None:
        padded = f" {words} "
        if any(f" {p} " in padded for p in self.not_sure | self.hedges):
            return "not_sure"
        if words in self.yes:
            return "yes"
        if words in self.no:
            return "no"
        if any(f" {p} " in padded for p in self.pointing) and words.split()[0] not in self.lead_no:
            return "yes"
        first, *rest = words.split()
        if not words.isdigit() and any(p.search(padded) for p in self._past):
            return "not_sure"  # "20 years ago", "no, as a child": it happened ("1985" alone may be a birth)
        if first in self.lead_yes:
            return "not_sure" if self.lead_no & set(rest) or self.negated & set(rest) else "yes"
        if first in self.lead_no:
            kept = [w for i, w in enumerate(rest) if w not in self.take_back
                    or not (rest[i + 1:i + 2] and rest[i + 1] in self.negated  # "have not"
                            or any(b not in self.filler for b in rest[:i]))]  # "calves just feel tight"
            kept = [w for i, w in enumerate(kept)
                    if not (w in self.negated and i and kept[i - 1] in self.take_back)]
            if self.take_back & set(kept) or self.lead_yes & set(kept):
                return "not_sure"
            if all(w in self.no_filler or w.isdigit() or w in self.ages for w in kept):
                return "no"  # "no, I'm 41" states a fact; a number alone takes nothing back
        when = (self.conditions | self.qualifiers) & set(rest)
        if first in self.conditions or first in self.limits and when:
            return "not_sure"  # "when I cough", "only at night": yes, when or where ("only my back": no)
        return None

    def _set_off_yes(self, text: str) -> bool:
        """Whether a word of yes opens or ends a part of the reply set off by punctuation ("at rest, yes",
        "the right one yes, and the left one too")."""
        parts = (normalize(part).split() for part in _PARTS.split(text))
        return any(part and {part[0], part[-1]} & self._set_off for part in parts)

    def _slip_of_yes(self, word: str) -> bool:
        """Whether a one-word reply is a word of yes with one letter swapped with the next, dropped or added
        after the first ("yse", "ye", "yesa"), and no word of no."""
        if " " in word or word in self.no | self.lead_no:
            return False
        return any(len(yes) > 2 and slip(word, yes) for yes in self.yes | self.lead_yes if " " not in yes)

    def plain_yes(self, text: str) -> bool:
        """Whether the reply is a plain yes ("yes", "yes I have") or says a professional gave it ("my GP said
        exercise is fine"); `Readings.plain_yes` also asks that nothing qualifies it (`qualified`)."""
        words = normalize(text)
        padded = f" {words} "
        return "?" not in text and (words in self.yes or bool(self.professionals & set(words.split()))
                                    and any(f" {p} " in padded for p in self.cleared))

    def qualified(self, text: str) -> bool:
        """Whether a yes is held back: doubt, a no or negation, a condition, regret ("unfortunately") or
        words saying it is not quite or not yet given ("sort of", "but", "for now", "an appointment")."""
        padded = f" {normalize(text)} "
        words = set(padded.split())
        held = self.lead_no | self.negated | self.conditions - self.lead_yes | self.regrets  # "si" is yes
        return bool(words & held) \
            or any(f" {p} " in padded for p in self.not_sure | self.not_cleared)

    def corrects(self, text: str) -> bool:
        """Whether the reply takes back an earlier answer rather than answering the question asked."""
        padded = f" {normalize(text)} "
        return any(f" {p} " in padded for p in self.corrections)

    def named(self, text: str) -> tuple[set[str], bool]:
        """What a correction names: the red flags of the questions its words name, and whether it names
        the first question."""
        words = set(normalize(text).split())
        return {flag for flag, names in self.topics.items() if names & words}, bool(self.first & words)

    def age(self, text: str) -> int | None:
        """A whole-number age typed in a reply ("15", "no, I'm fifteen", "30 years old"); one still to come,
        with a word saying so just before or after it ("turning 16", "16 in March"), is a year more than the
        person's; one denied is below it ("not 16 yet"), or none if outgrown ("not 15 anymore")."""
        words = normalize(text).split()
        found = [(i, int(w) if w.isdigit() else self.numbers[w]) for i, w in enumerate(words)
                 if (w.isdigit() and len(w) <= 3) or w in self.numbers]
        if len(found) != 1 or not 1 <= found[0][1] <= 120:
            return None
        at, age = found[0]
        before, after = words[at - 1] if at else "", words[at + 1] if at + 1 < len(words) else ""
        if at > 1 and before in self.negated:  # "no, 15" opens with its answer
            return None if after in self.outgrown else age - 1  # "not 15 anymore"; "not 16 yet" is 15
        return age - 1 if before in self.coming_before or after in self.coming_after else age

    def number(self, text: str, low: float, high: float) -> float | int | None:
        """The number typed, within [low, high]; a unit of centimetres is allowed."""
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
        match = self._number.match(" ".join(plain.split()))
        if not match:
            return None
        value = float(match.group(1).replace(",", "."))
        if not low <= value <= high:
            return None
        return int(value) if value.is_integer() else value

    def clock_time(self, text: str) -> str | None:
        """'HH:MM' for replies such as 7, 07:30, 7.30pm, 19h30, 18 Uhr, 6 de la tarde; None otherwise."""
        clean = re.sub(r"(\d)\s*[.:h]\s*(\d{2})(?!\d)", r"\1:\2", text.casefold().strip())
        match = _CLOCK.match(clean)
        if not match or normalize(match.group(1) or "") not in self.at | {""}:
            return None
        hour, minute, rest = int(match.group(2)), int(match.group(3) or 0), normalize(match.group(4))
        for word in sorted(self.hours, key=len, reverse=True):
            if rest == word or rest.startswith(f"{word} "):
                rest = rest[len(word):].strip()
                break
        if rest and rest not in self._halves:
            return None
        half = self._halves.get(rest)
        if half:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if half == "pm" else 0)
        if hour > 23 or minute > 59:
            return None
        return f"{hour:02d}:{minute:02d}"

    def time_zone(self, text: str) -> str | None:
        """The IANA zone a reply names: a zone name, its city in this language, or a listed place."""
        key = normalize(text.replace("_", " ").replace("/", " "))
        return time_zone(text) or localised_zones(self.locale).get(key) or self.cities.get(key)


class Readings:
    """Every language's reading; the person's language first, the others where it finds nothing."""

    def __init__(self, replies: Iterable[Replies]):
        self.by_locale = {r.locale: Reading(r) for r in replies}

    def _order(self, locale: str) -> list[Reading]:
        first = self.by_locale.get(locale) or self.by_locale.get("en")
        return [first] + [r for r in self.by_locale.values() if r is not first] if first else []

    def yes_no(self, text: str, locale: str) -> str | None:
        """Doubt in any language is doubt; otherwise the first language that reads an answer decides."""
        found = [r.yes_no(text) for r in self._order(locale)]
        if "not_sure" in found:
            return "not_sure"
        return next((f for f in found if f is not None), None)

    def corrects(self, text: str, locale: str) -> bool:
        return any(r.corrects(text) for r in self._order(locale))

    def beside(self, text: str) -> tuple[list[str], list[str]]:
        """A reply's own words, in any language (not its answer, doubt, pointing or qualifying words, nor
        the commonest little words): all of them, and those before a word that starts saying when ("a bit
        when I cough")."""
        words, readings = normalize(text).split(), self.by_locale.values()
        cut = next((i for i, w in enumerate(words) if any(w in r.conditions for r in readings)), len(words))
        own = [(i, w) for i, w in enumerate(words) if not any(w in r.filler for r in readings)
               and all(zipf(w, r.locale) < LITTLE for r in readings)]
        return [w for _, w in own], [w for i, w in own if i < cut]

    def hedged(self, text: str) -> bool:
        """Whether a reply's only doubt is weak ("a bit", "sometimes"), in every language."""
        padded, readings = f" {normalize(text)} ", self.by_locale.values()
        return (not any(f" {p} " in padded for r in readings for p in r.not_sure)
                and any(f" {p} " in padded for r in readings for p in r.hedges))

    def plain(self, text: str) -> bool:
        """Whether a reply starts or ends with a plain yes or no ("yes, a bit", "a little, no")."""
        words = normalize(text).split()
        ends = {words[0], words[-1]} if words else set()
        return any(ends & (r.lead_yes | r.lead_no) for r in self.by_locale.values())

    def complaint(self, word: str) -> bool:
        """Whether a word is one of what the bot is for (back, pain), in any language."""
        return any(word in r.complaint for r in self.by_locale.values())

    def negates(self, text: str) -> bool:
        """Whether a reply holds a word of no or of negation, in any language."""
        words = set(normalize(text).split())
        return any(words & (r.lead_no | r.negated) for r in self.by_locale.values())

    def unsure(self, text: str) -> bool:
        """Whether a reply says its writer is not sure ("not sure", "no sé"), in any language."""
        padded = f" {normalize(text)} "
        return any(f" {p} " in padded for r in self.by_locale.values() for p in r.not_sure)

    def plain_yes(self, text: str, locale: str) -> bool:
        """A plain yes in some language, held back in none."""
        order = self._order(locale)
        return any(r.plain_yes(text) for r in order) and not any(r.qualified(text) for r in order)

    def named(self, text: str, locale: str) -> tuple[set[str], bool]:
        """The flags and first-question mention a correction names, in any language."""
        found = [r.named(text) for r in self._order(locale)]
        return set().union(*(f for f, _ in found)), any(first for _, first in found)

    def age(self, text: str, locale: str) -> int | None:
        """The age typed, read in the language the reply is written in (the one whose words are the most
        common in it; the person's on a tie): "nein, 16 im März" is German, and in "I only hurt it once"
        the Spanish "once" is no age."""
        order = self._order(locale)
        if not order:
            return None
        return order[written_in(normalize(text).split(), [r.locale for r in order])].age(text)

    def number(self, text: str, low: float, high: float, locale: str) -> float | int | None:
        return next((v for r in self._order(locale) if (v := r.number(text, low, high)) is not None), None)

    def clock_time(self, text: str, locale: str) -> str | None:
        return next((v for r in self._order(locale) if (v := r.clock_time(text)) is not None), None)

    def time_zone(self, text: str, locale: str) -> str | None:
        return next((v for r in self._order(locale) if (v := r.time_zone(text)) is not None), time_zone(text))


def choice(text: str, labels: list[str]) -> int | None:
    """Index of the option whose label (or 1-based number) the reply gives."""
    words = normalize(text)
    if words.isascii() and words.isdigit() and 1 <= int(words) <= len(labels):
        return int(words) - 1
    matches = [i for i, label in enumerate(labels) if normalize(label) == words]
    return matches[0] if len(matches) == 1 else None
