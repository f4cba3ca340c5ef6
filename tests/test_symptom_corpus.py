"""The symptom recogniser against the labelled corpus: the clinical v2 targets hold."""
from __future__ import annotations

import importlib.util
import sys

from tests.conftest import REPO

_spec = importlib.util.spec_from_file_location("symptom_corpus", REPO / "bench" / "symptom_corpus.py")
corpus = sys.modules["symptom_corpus"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)


def test_every_emergency_and_urgent_sign_in_the_corpus_is_caught(engine):
    result = corpus.score(engine, corpus.load_corpus())
    clinical = engine.flowset.clinical
    urgent = [f.id for f in clinical.flags if f.outcome in ("emergency", "urgent")]
    assert all(result.total[f] >= 10 for f in urgent), "the corpus has at least 10 phrasings of each"
    missed = [m for m in result.misses if m.split(":")[0] in urgent]
    assert not missed, "\n".join(missed)


def test_false_alarms_on_ordinary_chat_stay_under_five_percent(engine):
    result = corpus.score(engine, corpus.load_corpus())
    assert result.kinds["ordinary"][1] >= 100
    assert result.false_alarms < 0.05, "\n".join(m for m in result.misses if m.startswith("false alarm"))


def test_denied_signs_are_rechecked_not_dropped(engine):
    result = corpus.score(engine, corpus.load_corpus())
    hit, n = result.kinds["negated"]
    assert n >= 40 and hit == n, "\n".join(m for m in result.misses if m.startswith("negated"))


def test_the_corpus_has_three_hundred_phrasings():
    assert len(corpus.load_corpus()) >= 300
