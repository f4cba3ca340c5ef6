"""Noticing red-flag signs in a person's own words, in any language the vocabularies cover.

A vocabulary (flows/symptoms/<locale>.yaml) lists phrases per red flag. Text and phrases are
normalised (`bot.values.normalize`) and every word is stemmed with that language's Snowball stemmer.
A phrase matches when its words occur in order with at most `GAP` other words between them, or up to
`FILLERS` light words of the language the message is written in and one other ("my legs are really very
weak", "piernas muy débiles"). A word ending in `*` matches as a prefix, one starting with `=` only as
written or misspelt ("=chills" is no "chilling"), `{n}` matches any number and `{name}` any word of the
vocabulary's word class `name` (such as {body} or {pain}). A misspelt word matches within a small edit
distance (rapidfuzz), but only when it is not itself a common word of any language the vocabularies cover
(wordfreq), so "fewer" never reads as "fever", "seeing" as "peeing", nor the German "wollen" as
"swollen"; a short one ("pian", "fevr") only by one letter swapped, dropped or added after the first, and
when it is no word of any vocabulary. A negation shortly before a match with no contrast word between ("no
fever but..."), or just before one of its words ("my legs are not weak"), makes it a denied mention: denied
signs are re-checked rather than dropped. A negation is no denial when it names a lost ability ("no
control of my bladder", "no longer able to", "...anymore"), and a denial taken back later in the message
("I don't have a fever, well actually I do") is a sign. A sign said of someone else ("my dad was treated
for cancer", with no word for oneself between, and nothing sharing it such as "so did I") and one
overlapping an everyday idiom ("on pins and needles waiting for my results", "12 cm") are not the
person's, unless the sign holds the whole idiom ("my foot keeps falling asleep"). A word that refers back
("they") reads as the word saying where before it ("my legs ... they are weak"). Every vocabulary reads
every message; the words for negation, people and oneself are those of the language the message is
written in, whichever vocabulary matched.
Beyond one message: `joined` reads a sign split across the last messages ("numb", then "both legs"),
`named` the bullets of a question's list that a sign names, `about` whether words are a question's.
"""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import snowballstemmer
import wordfreq
from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

from bot.values import normalize
from bot.flows.model import Vocabulary

GAP = 2  # other words allowed between two words of a phrase
FILLERS = 5  # light words (`fillers`) allowed between two words of a phrase, with one other word
NEGATION_REACH = 3  # words before a match that a negation reaches across
# A side of the legs named with no leg counts in a short end of a message: at most BRIEF other words from
# the side before it (light words aside), none after it but words of the sides ("left one now as well"):
# "and the other one", "bueno, las dos"; not "I turned right and it got worse", "the other option is
# surgery".
BRIEF = 3
OTHERS_REACH = 6  # words before a match that a word for someone else reaches ("my dad was told he had")
COMMON = 3.0  # zipf frequency from which a word is a real word, never a typo
LONG = 5  # letters from which a misspelt word may be any word of the vocabulary within `_allowed` edits
# From SHORT letters up to LONG, a word may be a slip of a 4- or 5-letter word: a letter swapped with the
# next, dropped or added after the first ("pian", "fevr", "numbb"); never one replaced, which turns real
# words into signs ("taut" is no "taub", "leek" no "leak").
SHORT = 3
FOREIGN = 1.0  # below this a word is no word of a language (unless a typo: then it is rare everywhere)
UNSPECIFIC = "*"
EXACT = "="  # before a phrase word: that word as written, not its stem
_LANGUAGES = {"en": "english", "es": "spanish", "de": "german"}
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_CLASS = re.compile(r"^\{([a-z_]+)\}$")
_SENTENCE = re.compile(r"[.!?;:\n]+(?!\d)")
_OPENING = re.compile(r"^\s*([^\W\d_]+)\s*,\s*([^\W_]*)")  # a first word set off by a comma, and the next
_FIRST = re.compile(r"^\s*([^\W\d_]+)")
SPACE = "..."  # in a phrase of `shared`: up to GAP words
BOUNDARY = "|"  # between sentences: ends a negation's reach, and no phrase spans it
IDIOM = "!"


@dataclass(frozen=True, slots=True)
class Mentions:
    """What a message says about red-flag signs: reported, denied, and symptoms naming no flag."""

    positive: frozenset[str] = frozenset()
    negated: frozenset[str] = frozenset()
    unspecific: bool = False

    def __bool__(self) -> bool:
        return bool(self.positive or self.negated or self.unspecific)


@dataclass(frozen=True, slots=True)
class _Word:
    """One word of a phrase: a stem, a prefix (`*`), a word as written (`=`), any number (`{n}`), or a word
    class (`{body}`)."""

    text: str
    stem: str
    prefix: bool = False
    number: bool = False
    cls: str | None = None


@dataclass(frozen=True, slots=True)
class _Phrase:
    flag: str  # UNSPECIFIC for a symptom that names no flag
    words: tuple[_Word, ...]


class _Language:
    """One vocabulary compiled: its phrases, and which phrase words each message word matches."""

    def __init__(self, vocabulary: Vocabulary, languages: tuple[str, ...] = ()):
        self.locale = vocabulary.locale
        self._common_in = languages or (vocabulary.locale,)  # a real word in any of these is never a typo
        self._stemmer = snowballstemmer.stemmer(_LANGUAGES.get(vocabulary.locale, "english"))
        self.negations = frozenset(normalize(w) for w in vocabulary.negations)
        self.contrasts = frozenset(normalize(w) for w in vocabulary.contrasts)
        self.losses = frozenset(normalize(w) for w in vocabulary.losses)
        self.degrees = frozenset(normalize(w) for w in vocabulary.degrees)
        self.no_more = frozenset(normalize(w) for w in vocabulary.no_more)
        self.fillers = frozenset(normalize(w) for w in vocabulary.fillers)
        self.reversals = tuple(_words(p) for p in vocabulary.reversals if _words(p))
        self.others = frozenset(normalize(w) for w in vocabulary.others)
        self.selves = frozenset(normalize(w) for w in vocabulary.selves)
        self.referring = frozenset(normalize(w) for w in vocabulary.referring)
        self.shared = tuple(tuple(w if w == SPACE else normalize(w) for w in p.split()
                                  if w == SPACE or normalize(w)) for p in vocabulary.shared if normalize(p))
        self.places = vocabulary.places
        self.sides = {side: tuple(_words(p) for p in phrases if _words(p))
                      for side, phrases in vocabulary.sides.items()}
        self.side_words = frozenset(w for phrases in self.sides.values() for p in phrases for w in p)
        self.unaffected = frozenset(normalize(w) for w in vocabulary.unaffected)
        self.not_sides = tuple(_words(p) for p in vocabulary.not_sides if _words(p))
        self.legs = vocabulary.legs
        self.elsewhere = frozenset(normalize(w) for w in vocabulary.elsewhere)
        self._classes = {name: [self._compile(w) for w in words] for name, words in vocabulary.words.items()}
        pairs = [(flag, p) for flag, phrases in vocabulary.flags.items() for p in phrases]
        pairs += [(UNSPECIFIC, p) for p in vocabulary.unspecific] + [(IDIOM, p) for p in vocabulary.idioms]
        self.phrases = [_Phrase(flag, self._compile(text)) for flag, text in pairs]
        self.phrases = [p for p in self.phrases if p.words]
        members = [w for forms in self._classes.values() for form in forms for w in form]
        words = {w for p in self.phrases for w in p.words if not w.number and not w.cls} | set(members)
        self._stems = {w.stem for w in words if not w.prefix}
        self._texts = {w.text for w in words}
        self._prefixes = sorted({w.text for w in words if w.prefix})
        self._long = sorted({w.text for w in words if not w.prefix and len(w.text) >= LONG})
        self._short = sorted({w.text for w in words if not w.prefix and SHORT < len(w.text) <= LONG})
        self.known = frozenset(self._texts)  # every vocabulary's words, once the Recogniser has them all
        self.starting: dict[str, list[_Phrase]] = {}  # phrases by the key of their first word
        for phrase in self.phrases:
            self.starting.setdefault(_key(phrase.words[0]), []).append(phrase)
        self.matches = functools.lru_cache(maxsize=50_000)(self._matches)
        self.keys_of = functools.lru_cache(maxsize=1_000)(self._keys_of)
        self.topic = functools.lru_cache(maxsize=1_000)(self._topic)

    def keys(self, word: str) -> frozenset[str]:
        """A word's stem and the keys of the phrase words it matches, word classes aside."""
        return _plain(self.matches(word)) | {self.stem(word)}

    def _keys_of(self, text: str) -> frozenset[str]:
        return frozenset().union(*(self.keys(t) for t in _tokens(text) if t != BOUNDARY))

    def _topic(self, flags: tuple[str, ...], texts: tuple[str, ...]) -> frozenset[str]:
        """The keys of the words of `texts` and of the phrases of `flags`, their word classes spelt out."""
        words = [w for phrase in self.phrases if phrase.flag in flags for w in phrase.words]
        words += [member for w in words if w.cls for form in self._classes.get(w.cls, ())
                  for member in form]
        keys = frozenset(_key(w) for w in words if not w.cls and not w.number)
        return keys.union(*map(self._keys_of, texts))

    def place(self, token: str) -> bool:
        """Whether a word says where a sign is: a word of a `places` class."""
        return any(f"{{{name}}}" in self.matches(token) for name in self.places)

    def leg(self, token: str) -> bool:
        """Whether a word names (part of) a leg: a word of a `legs` class."""
        return any(f"{{{name}}}" in self.matches(token) for name in self.legs)

    def _foreign(self, token: str) -> bool:
        """A common word of another language that is no word of this one ("sides" is not Spanish for
        "sida"): this language's stems and typos are not tried on it."""
        return len(self._common_in) > 1 and zipf(token, self.locale) < FOREIGN \
            and any(zipf(token, lang) >= COMMON for lang in self._common_in if lang != self.locale)

    def _slips(self, token: str) -> list[str]:
        """The 4- or 5-letter words of the vocabulary that `token` is a slip of (see `slip`)."""
        near = extract(token, self._short, scorer=OSA.distance, score_cutoff=1, limit=None)
        return [text for text, _, _ in near if slip(token, text)]

    def stem(self, word: str) -> str:
        return self._stemmer.stemWord(word)

    def _compile(self, phrase: str) -> tuple[_Word, ...]:
        out = []
        for raw in phrase.split():
            if raw == "{n}":
                out.append(_Word("", "", number=True))
                continue
            if _CLASS.match(raw):
                out.append(_Word("", "", cls=raw[1:-1]))
                continue
            text, exact = normalize(raw.lstrip(EXACT).rstrip("*")), raw.startswith(EXACT)
            for part in text.split():
                prefix = raw.endswith("*")
                stem = part if prefix else EXACT + part if exact else self.stem(part)
                out.append(_Word(part, stem, prefix=prefix))
        return tuple(out)

    def _matches(self, token: str, slips: bool = False) -> frozenset[str]:
        """Keys of the phrase words `token` matches: stems, prefixes, and "#" for a number; with `slips`,
        also the short words it may be a slip of (only in the language the message is written in)."""
        if token == BOUNDARY:
            return _END
        if _NUMBER.match(token):
            return frozenset({"#"} | ({token} & self._stems))
        if token not in self._texts and self._foreign(token):
            return frozenset()  # no stem or typo of this language's words, only the words themselves
        found = {s for s in (self.stem(token), EXACT + token) if s in self._stems}
        found |= {f"{p}*" for p in self._prefixes if token.startswith(p)}
        typo = all(zipf(token, lang) < COMMON for lang in self._common_in)
        if typo and len(token) >= LONG:
            for text, _, _ in extract(token, self._long, scorer=OSA.distance,
                                      score_cutoff=_allowed(token), limit=3):
                found |= self._written(text)
            found |= {f"{p}*" for p in self._prefixes if len(p) >= LONG
                      and OSA.distance(token[:len(p)], p) <= 1}
        if slips and typo and SHORT <= len(token) <= LONG and token not in self.known:
            found |= {key for text in self._slips(token) for key in self._written(text)}
        found |= {f"{{{name}}}" for name, forms in self._classes.items()
                  if any(len(form) == 1 and _key(form[0]) in found for form in forms)}
        return frozenset(found)

    def _written(self, text: str) -> set[str]:
        """The keys of a vocabulary word as written: its stem, and itself if a phrase takes it exactly."""
        return {self.stem(text)} | ({EXACT + text} & self._stems)


_END = frozenset({BOUNDARY})


def slip(token: str, word: str) -> bool:
    """Whether `token` is `word` with one letter swapped with the next, dropped or added after the first
    ("pian", "fevr", "yse"); never one replaced, which turns real words into others ("taut", "taub")."""
    return token[:1] == word[:1] and OSA.distance(token, word) == 1 \
        and (len(token) != len(word) or sorted(token) == sorted(word))


def _plain(keys: frozenset[str]) -> frozenset[str]:
    """Keys of words themselves (stems and prefixes), not of word classes, numbers or boundaries."""
    return frozenset(k for k in keys if not k.startswith("{") and k not in ("#", BOUNDARY))


@functools.cache
def _frequencies(locale: str) -> dict[str, float]:
    """wordfreq's zipf frequencies of `locale`, by the normalised word ("tendón" is "tendon")."""
    out: dict[str, float] = {}
    for word, frequency in wordfreq.get_frequency_dict(locale, wordlist="small").items():
        key, value = normalize(word), math.log10(frequency) + 9
        if value > out.get(key, 0.0):
            out[key] = value
    return out


def zipf(token: str, locale: str) -> float:
    """How common a normalised word is in `locale` (zipf scale: 3 is about once per million words)."""
    return _frequencies(locale).get(token, 0.0)


def written_in(words: list[str], locales: list[str]) -> int:
    """Which of `locales` (its index) the normalised `words` are written in: the one whose words are the
    most common in them, the first on a tie. Numbers and sentence boundaries say nothing."""
    words = [w for w in words if w != BOUNDARY and not _NUMBER.match(w)]
    return max(range(len(locales)), key=lambda i: sum(zipf(w, locales[i]) for w in words))


def _allowed(token: str) -> int:
    """Edits forgiven in a misspelt word: one, or two in a long word."""
    return 2 if len(token) >= 9 else 1


def _key(word: _Word) -> str:
    if word.cls:
        return f"{{{word.cls}}}"
    return "#" if word.number else f"{word.text}*" if word.prefix else word.stem


class Recogniser:
    """Reads messages against every vocabulary; pure, and cached per word."""

    def __init__(self, vocabularies: Iterable[Vocabulary]):
        vocabularies = list(vocabularies)
        locales = tuple(v.locale for v in vocabularies)
        self._languages = [_Language(v, locales) for v in vocabularies]
        # each language also knows the others' words for people, negations..., unless they are its own words
        for language in self._languages:
            foreign = [other for other in self._languages if other is not language]
            for name in ("negations", "contrasts", "losses", "degrees", "no_more", "fillers", "others",
                         "referring", "selves"):
                borrowed = {w for other in foreign for w in getattr(other, name)
                            if zipf(w, language.locale) < COMMON}
                setattr(language, name, getattr(language, name) | borrowed)
            language.known = frozenset().union(*(other.known for other in self._languages))
        self._answers = frozenset().union(*(language.negations for language in self._languages))
        yes = [w for v in vocabularies for w in v.affirmations]
        self._yes = frozenset(normalize(w) for w in yes)
        self._accented_yes = frozenset(w.casefold() for w in yes if normalize(w) != w.casefold())

    def tokens(self, text: str) -> list[str]:
        """The normalised words of a message, with a BOUNDARY between sentences; a negation opening it and
        set off by a comma answers the question asked and negates nothing after it ("no, my legs are weak",
        "no, tengo fiebre"), unless another negation follows ("no, neither leg"; "no, I don't have a fever"
        is still denied by its "don't"). So does a yes ("sí, me duele el pecho" is no "si me": if I)."""
        opening, first = _OPENING.match(text), _FIRST.match(text)
        if opening and normalize(opening.group(1)) in self._answers \
                and normalize(opening.group(2)) not in self._answers \
                or opening and normalize(opening.group(1)) in self._yes \
                or first and first.group(1).casefold() in self._accented_yes:
            word = (opening or first).group(1)
            text = f"{word}\n{text[text.index(word) + len(word):].lstrip(' ,')}"
        return _tokens(text)

    def read(self, text: str) -> Mentions:
        positive: set[str] = set()
        negated: set[str] = set()
        for flag, _, denied in self._scan(self.tokens(text)):
            if flag != IDIOM:
                (negated if denied else positive).add(flag)
        negated -= positive
        unspecific = UNSPECIFIC in positive or UNSPECIFIC in negated
        return Mentions(frozenset(positive - {UNSPECIFIC}), frozenset(negated - {UNSPECIFIC}), unspecific)

    def remainder(self, text: str) -> str:
        """The normalised message without the words of any sign it mentions, and those between them ("nope,
        breathing is fine" is a "nope"), to read the rest as an answer."""
        tokens = self.tokens(text)
        drop = {i for _, positions, _ in self._scan(tokens) for i in range(positions[0], positions[-1] + 1)}
        return " ".join(t for i, t in enumerate(tokens) if i not in drop and t != BOUNDARY)

    def joined(self, earlier: list[str], text: str) -> frozenset[str]:
        """The flags of signs that the `earlier` messages and this one only say together ("numb", then
        "both legs"; "tengo la pierna izquierda", then "dormida"; "my legs feel funny", then "they're
        numb"): matches that run from the end of an earlier message into this one, or that hold a word of
        this one referring back to a place named before, not denied, nor in this message alone ("no
        controlo", then "la vejiga", is a loss; "I'm 30", then "10" cm, is no "I'm 10"). The words that end
        an earlier message after a word saying where that the match ends on there ("pierna", then
        "izquierda") are skipped as the phrase skips them, but for a number."""
        before: list[str] = []
        ends = []
        for message in earlier:
            before += self.tokens(message)
            ends.append(len(before))
        tokens, join = before + self.tokens(text), len(before)
        speaker = self._speaker(tokens)

        def from_an_end(positions: list[int]) -> bool:
            last = max(i for i in positions if i < join)
            end = next(e for e in ends if e > last)
            if end == last + 1:
                return True
            tail = tokens[last + 1:end]
            return self._placed(tokens[last]) and not any(c.isdigit() for t in tail for c in t)

        referred = self._referred(speaker, tokens)

        def across(positions: list[int]) -> bool:
            """Whether a match runs from an earlier message into this one, or holds a word of this one
            that refers back to a place named only before ("my legs feel funny", then "they're numb")."""
            if positions[0] < join <= positions[-1]:
                return from_an_end(positions)
            return positions[0] >= join and any(referred[i] != tokens[i] and referred[i] not in tokens[join:]
                                                for i in positions)
        return frozenset(flag for flag, positions, denied in self._scan(tokens)
                         if flag not in (IDIOM, UNSPECIFIC) and not denied and across(positions)
                         and not _denied(speaker, tokens[join:], [i - join for i in positions if i >= join]))

    def sides(self, text: str, answering: bool = False) -> frozenset[str]:
        """The sides of the legs a message says something of ("left", "right", "other", "both"): the words
        of each (`sides`, in the language it is written in) outside the phrases where such a word is no
        side ("right now"). A side counts when its stretch of the sentence (from the side before it to the
        one after) names no place but the legs ("my right knee": `elsewhere`), and a leg is named just
        before it or within two words after, or it ends a short message, or a short end of one after the
        side before, that asks nothing (`BRIEF`) ("and the other one", "re auch"; not "right?");
        and when no negation reaches it (but one opening a message `answering` a question: "no both") and
        no negation or word saying it is well (`unaffected`) follows it there ("the left one is fine"). A
        message too short to tell its language ("boht") is read with every vocabulary's sides."""
        tokens = self.tokens(text)
        speaker = self._speaker(tokens)
        found = _side_words(speaker, tokens)
        if not found and len(tokens) <= BRIEF:
            found = next((f for language in self._languages if (f := _side_words(language, tokens))), [])
        out = set()
        for at, end, side in found:
            sentence = _sentence_span(tokens, at)
            first = max([e for _, e, _ in found if e <= at] + [sentence[0]])
            last = min([a for a, _, _ in found if a >= end] + [sentence[1]])
            if any(self._elsewhere(speaker, t) for t in tokens[first:last]):
                continue
            near = [t for t in tokens[first:at] if t not in speaker.fillers][-1:] \
                + [t for t in tokens[end:last] if t not in speaker.fillers][:2]
            others = [t for i, t in enumerate(tokens[first:], first) if not at <= i < end
                      and t not in speaker.fillers and t != BOUNDARY]
            ends = len(others) <= BRIEF and "?" not in text and all(
                t in speaker.fillers or t in speaker.side_words or t == BOUNDARY for t in tokens[end:])
            if not (any(map(self._leg, near)) or ends):
                continue
            negation = _reached(tokens, at, speaker.negations, speaker.contrasts)
            if (negation is None or answering and negation == 0) \
                    and not (speaker.negations | speaker.unaffected) & set(tokens[end:last]):
                out.add(side)
        return frozenset(out)

    def _placed(self, token: str) -> bool:
        """Whether a word says where a sign is, in any language."""
        return any(language.place(token) for language in self._languages)

    def _leg(self, token: str) -> bool:
        return any(language.leg(token) for language in self._languages)

    def _elsewhere(self, speaker: _Language, token: str) -> bool:
        """A word of a place other than the legs."""
        return token in speaker.elsewhere or (self._placed(token) and not self._leg(token))

    def named(self, text: str, bullets: list[str], own: Iterable[str] = ()) -> set[int]:
        """Which of `bullets` (the signs a question lists) a message names: those holding every word of the
        signs it mentions and its `own` other words, a word saying where as it is ("the numbness one" and
        "only tingling" name "numbness, tingling or an odd feeling between your legs"; "numb leg" not)."""
        tokens = self.tokens(text)
        signs = {tokens[i] for flag, positions, denied in self._scan(tokens) if flag != IDIOM and not denied
                 for i in positions}
        if not signs:
            return set()

        def held(word: str, bullet: str) -> bool:
            if self._placed(word):
                return word in _tokens(bullet)
            return any(language.keys(word) & language.keys_of(bullet) for language in self._languages)
        return {n for n, bullet in enumerate(bullets) if all(held(w, bullet) for w in signs | set(own))}

    def about(self, words: Iterable[str], flags: Iterable[str], texts: Iterable[str],
              placed: bool = False) -> bool:
        """Whether one of `words` is a word of `texts` or of the phrases of `flags` (their word classes
        spelt out), in any language; when `placed`, a word saying where only as written in `texts` ("leg"
        is not about "between your legs")."""
        flags, texts = tuple(sorted(flags)), tuple(texts)
        written = {t for text in texts for t in _tokens(text)}

        def said(word: str) -> bool:
            if placed and self._placed(word):
                return word in written
            return any(language.keys(word) & language.topic(flags, texts) for language in self._languages)
        return any(map(said, words))

    def _speaker(self, tokens: list[str]) -> _Language:
        """The language a message is written in: the one whose words are the most common in it. Its words
        for negation, people and oneself read every vocabulary's matches ("cancer" is English and Spanish:
        in "mi papá tuvo cáncer" the Spanish "papá" is someone else, in "I do not have cancer" the
        English "not" denies it)."""
        return self._languages[written_in(tokens, [language.locale for language in self._languages])]

    def _scan(self, tokens: list[str]) -> Iterable[tuple[str, list[int], bool]]:
        """(flag, positions, denied) for every phrase match in the normalised `tokens`; an idiom of any
        language drops the matches it overlaps in every language."""
        found: list[tuple[str, list[int], bool]] = []
        speaker = self._speaker(tokens)
        referred = self._referred(speaker, tokens)  # read as written and, if it differs, as referred
        for words in [tokens] + ([referred] if referred != tokens else []):
            light = [t in speaker.fillers for t in words]
            for language in self._languages:
                keys = [language.matches(t, language is speaker) for t in words]
                for start, key in ((i, k) for i, ks in enumerate(keys) for k in ks):
                    for phrase in language.starting.get(key, ()):
                        if start + len(phrase.words) > len(keys):  # more words than the text has left
                            continue
                        positions = _positions(phrase, keys, light, start)
                        if positions and not self._of_someone_else(speaker, words, positions):
                            match = (phrase.flag, positions, _denied(speaker, words, positions))
                            if match not in found:
                                found.append(match)
        idioms = [set(p) for flag, p, _ in found if flag == IDIOM]
        # a match inside the span of a denied match of the same flag is denied with it: "no tengo la pierna
        # izquierda dormida" is no "izquierda dormida"
        denials = [(flag, p[0], p[-1]) for flag, p, denied in found if denied]
        found = [(flag, p, denied or any(f == flag and first <= p[0] and p[-1] <= last
                                         for f, first, last in denials))
                 for flag, p, denied in found]
        yield from (m for m in found if m[0] == IDIOM  # a sign holding a whole idiom and more words is kept
                    or all(not idiom & set(m[1]) or idiom < set(m[1]) for idiom in idioms))

    def _referred(self, speaker: _Language, tokens: list[str]) -> list[str]:
        """`tokens` with each word that refers back ("they") replaced by the word saying where that it
        follows in its sentence: "my legs are not numb but they are weak" reads "... but legs are weak"."""
        out, place = list(tokens), None
        for i, token in enumerate(tokens):
            if token == BOUNDARY:
                place = None
            elif token in speaker.referring:
                out[i] = place or token
            elif self._placed(token):
                place = token
        return out

    def _of_someone_else(self, speaker: _Language, tokens: list[str], positions: list[int]) -> bool:
        """Said of someone else: a word for someone else (or its plural, "dads") shortly before the match
        with no word for oneself between, or further back with none up to the match's end ("they think it's
        a clot in my leg" is the person's); and no phrase in the sentence shares it ("so did I")."""
        start, end = positions[0], positions[-1]
        at = _reached(tokens, start, speaker.others, speaker.selves, OTHERS_REACH, plural=True)
        if at is None or start - at > NEGATION_REACH and speaker.selves & set(tokens[start:end + 1]):
            return False
        sentence = _sentence(tokens, start)
        return not any(_spaced(sentence, phrase)
                       for language in self._languages for phrase in language.shared)


def _tokens(text: str) -> list[str]:
    """The normalised words of `text`, with a BOUNDARY between sentences."""
    out: list[str] = []
    for sentence in _SENTENCE.split(text):
        words = normalize(sentence).split()
        if words:
            out += ([BOUNDARY] if out else []) + words
    return out


def _positions(phrase: _Phrase, keys: list[frozenset[str]], light: list[bool], start: int) -> list[int]:
    """Positions of a match of `phrase` starting at `start` (empty if none): each word after at most GAP
    other words, or after up to FILLERS `light` ones and at most one other ("legs have never been this
    weak"; not "numb down my left leg since yesterday, below")."""
    def search(word: int, at: int) -> list[int] | None:
        if word == len(phrase.words):
            return []
        key, heavy = _key(phrase.words[word]), 0
        for i in range(at, len(keys)):
            if keys[i] is _END:
                return None
            if key in keys[i]:
                rest = search(word + 1, i + 1)
                if rest is not None:
                    return [i] + rest
            heavy, skipped = heavy + (not light[i]), i - at + 1
            if heavy > GAP or skipped - heavy > FILLERS or skipped > GAP and heavy > 1:
                return None
        return None
    found = search(1, start + 1) if _key(phrase.words[0]) in keys[start] else None
    return [start] + found if found is not None else []


def _denied(language: _Language, tokens: list[str], positions: list[int]) -> bool:
    """A negation within reach before the match with no contrast word after it, or one just before a word
    of the match (light words aside); not when the negation names a lost ability (a loss word between it
    and the sign's next word, or, for one before the match, a no-more word later in the sentence) or a
    degree ("never been this weak"), nor when a reversal later in the message takes it back."""
    def denies(at: int, word: int) -> bool:
        return not (language.losses | language.degrees) & set(tokens[at + 1:word + 1])
    after = tokens[positions[-1] + 1:]
    sentence = after[:after.index(BOUNDARY)] if BOUNDARY in after else after
    before = _reached(tokens, positions[0], language.negations, language.contrasts)
    # between two words of the match, a negation with only light words before the next ("legs are not
    # weak"; not "coughing up, not much, blood"); "not 15 anymore" is no loss: no_more is not read
    inside = any(tokens[at] in language.negations and set(tokens[at + 1:word]) <= language.fillers
                 and denies(at, word) for word, last in zip(positions[1:], positions)
                 for at in range(last + 1, word))
    if not (inside or before is not None and denies(before, positions[0])
            and not language.no_more & set(sentence)):
        return False
    return not any(_holds(after, reversal) for reversal in language.reversals)


def _holds(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    return bool(_starts(tokens, phrase))


def _side_words(language: _Language, tokens: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, side) of each phrase of the language's `sides` in `tokens`, outside its `not_sides`."""
    idle = {i for phrase in language.not_sides for at in _starts(tokens, phrase)
            for i in range(at, at + len(phrase))}
    return sorted((at, at + len(phrase), side) for side, phrases in language.sides.items()
                  for phrase in phrases for at in _starts(tokens, phrase)
                  if not idle & set(range(at, at + len(phrase))))


def _starts(tokens: list[str], phrase: tuple[str, ...]) -> list[int]:
    """Where `phrase` (normalised words) occurs in `tokens`, as written."""
    n = len(phrase)
    return [i for i in range(len(tokens) - n + 1) if tuple(tokens[i:i + n]) == phrase]


def _words(phrase: str) -> tuple[str, ...]:
    """The normalised words of a phrase of a vocabulary."""
    return tuple(normalize(phrase).split())


def _sentence(tokens: list[str], at: int) -> list[str]:
    """The tokens of the sentence that holds position `at`."""
    first, last = _sentence_span(tokens, at)
    return tokens[first:last]


def _sentence_span(tokens: list[str], at: int) -> tuple[int, int]:
    """Where the sentence that holds position `at` begins and ends (its last token's position + 1)."""
    first = max((i for i in range(at) if tokens[i] == BOUNDARY), default=-1) + 1
    last = next((i for i in range(at, len(tokens)) if tokens[i] == BOUNDARY), len(tokens))
    return first, last


def _spaced(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether `phrase` occurs in `tokens`; its word SPACE stands for up to GAP words ("i ... too")."""
    def rest(at: int, word: int) -> bool:
        if word == len(phrase):
            return True
        if phrase[word] == SPACE:
            return any(rest(i, word + 1) for i in range(at, min(at + GAP, len(tokens)) + 1))
        return at < len(tokens) and tokens[at] == phrase[word] and rest(at + 1, word + 1)
    return any(rest(i, 0) for i in range(len(tokens)))


def _reached(tokens: list[str], start: int, words: frozenset[str], stops: frozenset[str],
             reach: int = NEGATION_REACH, plural: bool = False) -> int | None:
    """Where one of `words` (or, with `plural`, one of them with an "s" added) stands within `reach`
    before `start`, with no stop word (or a sentence boundary) between; None if none does."""
    for at in range(start - 1, max(0, start - reach) - 1, -1):
        if tokens[at] in stops or tokens[at] == BOUNDARY:
            return None
        if tokens[at] in words or plural and tokens[at].endswith("s") and tokens[at][:-1] in words:
            return at
    return None
