"""Checks that every language is complete: the same text keys, the same {placeholders}, and the words
the engine reads (answers, signs) and the question rules, for every locale the bot speaks."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.locales import LOCALES, placeholders
from bot.sourcefile import Source, SourceError

if TYPE_CHECKING:
    from bot.flows.load import FlowSet


def compare(sources: dict[str, Source], texts: dict[str, dict[str, str]], kind: str) -> list[SourceError]:
    """Keys one locale has and another lacks, and texts whose {placeholders} differ from the English."""
    problems: list[SourceError] = []
    every = {k for t in texts.values() for k in t}
    reference = texts.get("en") or next(iter(texts.values()), {})
    for locale, own in texts.items():
        source = sources[locale]
        missing = sorted(every - own.keys())
        if missing:
            where = {k: _where(sources, texts, k) for k in missing}
            problems.append(source.error((), f"{kind}/{locale}.yaml lacks keys other locales have: "
                                             + ", ".join(f"{k} ({where[k]})" for k in missing)))
        for key, text in own.items():
            if key in reference and locale != "en" and placeholders(text) != placeholders(reference[key]):
                ours, english = sorted(placeholders(text)), sorted(placeholders(reference[key]))
                problems.append(source.error(_loc(key), f"{key!r} fills in {ours}, but the English fills in "
                                                        f"{english}"))
    return problems


def _loc(key: str) -> tuple:
    return (key,)


def _where(sources: dict[str, Source], texts: dict[str, dict[str, str]], key: str) -> str:
    locale = "en" if key in texts.get("en", {}) else next(loc for loc, t in texts.items() if key in t)
    source = sources[locale]
    return f"{Path(source.path).name}:{source.line(_loc(key))}"


def check_locales(flowset: FlowSet) -> list[SourceError]:
    """Every locale the bot speaks has texts, answer words, a symptom vocabulary and question rules."""
    problems = compare(flowset.text_sources, flowset.texts, "texts")
    sources = list(flowset.text_sources.values())
    folder = Path(sources[0].path).parent.parent if sources else Path()
    for locale in LOCALES:
        for kind, present in (("texts", flowset.texts), ("replies", flowset.replies),
                              ("symptoms", flowset.vocabularies), ("question-rules", flowset.question_rules)):
            if locale not in present:
                name = "question-rules.yaml" if kind == "question-rules" else f"{kind}/{locale}.yaml"
                where = folder / name
                problems.append(SourceError(where, 1, f"locale {locale!r} has no {kind}"
                                            + (" entry" if kind == "question-rules" else " file")))
    return problems
