"""Warnings about red-flag question texts that a literal reader could answer wrongly.

The rules are the mechanical ones of the clinical reference (version 2): a red-flag question is one
question (one question mark), and no sign is made to depend on another ("along with ..."). The
phrases that hide a condition are data, per language (flows/question-rules.yaml).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.sourcefile import SourceError

if TYPE_CHECKING:
    from bot.flows.model import FlowSet


def lint(flowset: FlowSet) -> list[SourceError]:
    """One warning per rule a red-flag question's text breaks, in each language, at its line in the texts."""
    keys = sorted({s.say for f in flowset.flows.values() for s in f.states.values() if s.screens and s.say})
    warnings = []
    for locale, texts in flowset.texts.items():
        source = flowset.text_sources[locale]
        hidden = flowset.question_rules.get(locale, {}).get("hidden_conditions", [])
        for key in keys:
            text = texts.get(key, "")
            if text.count("?") > 1:
                warnings.append(source.error((key,), f"red-flag question {key!r} asks {text.count('?')} "
                                             "questions; one yes must answer it "
                                             "(make it one question or a list)"))
            for phrase in hidden:
                if re.search(rf"\b{re.escape(phrase)}\b", text, re.IGNORECASE):
                    warnings.append(source.error((key,), f"red-flag question {key!r} says {phrase!r}: a sign "
                                                 "made to depend on another is missed by a literal reader"))
    return warnings
