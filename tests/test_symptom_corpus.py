"""The symptom recogniser against each language's labelled corpus: the clinical v2 targets hold."""
from __future__ import annotations

import importlib.util
import sys

import pytest

from bot.locales import LOCALES
from tests.conftest import REPO

_spec = importlib.util.spec_from_file_location("symptom_corpus", REPO / "bench" / "symptom_corpus.py")
corpus = sys.modules["symptom_corpus"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)
# English has the largest corpus; each other language at least a few phrasings of every urgent sign.
SIZES = {"en": {"urgent": 10, "ordinary": 100, "negated": 40, "all": 300},
         "es": {"urgent": 10, "ordinary": 60, "negated": 15, "all": 200},
         "de": {"urgent": 10, "ordinary": 60, "negated": 15, "all": 200}}


def cases(locale: str, folder=corpus.CORPUS) -> list[dict]:
    return [c for c in corpus.load_corpus(folder) if c["locale"] == locale]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_emergency_and_urgent_sign_in_the_corpus_is_caught(engine, locale):
    result = corpus.score(engine, cases(locale))
    clinical = engine.flowset.clinical
    urgent = [f.id for f in clinical.flags if f.outcome in ("emergency", "urgent")]
    assert all(result.total[f] >= SIZES[locale]["urgent"] for f in urgent), "enough phrasings of each"
    missed = [m for m in result.misses if m.split(":")[0] in urgent]
    assert not missed, "\n".join(missed)


@pytest.mark.parametrize("locale", LOCALES)
def test_false_alarms_on_ordinary_chat_stay_under_five_percent(engine, locale):
    result = corpus.score(engine, cases(locale))
    assert result.kinds["ordinary"][1] >= SIZES[locale]["ordinary"]
    assert result.false_alarms < 0.05, "\n".join(m for m in result.misses if m.startswith("false alarm"))


@pytest.mark.parametrize("locale", LOCALES)
def test_denied_signs_are_rechecked_not_dropped(engine, locale):
    result = corpus.score(engine, cases(locale))
    hit, n = result.kinds["negated"]
    assert n >= SIZES[locale]["negated"] and hit == n, \
        "\n".join(m for m in result.misses if m.startswith("negated"))


@pytest.mark.parametrize("locale", LOCALES)
def test_each_language_has_a_corpus_and_a_held_out_one(locale):
    assert len(cases(locale)) >= SIZES[locale]["all"]
    assert len(cases(locale, REPO / "tests" / "data" / "symptoms-heldout")) >= 50


def test_a_sign_is_read_whatever_the_persons_language(engine):
    """Every vocabulary reads every message: the words of one language are no answer to the question asked."""
    assert "pe_signs" in engine.mentions("me duele el pecho").positive
    assert "pe_signs" in engine.mentions("ich habe Brustschmerzen").positive
    assert "pe_signs" in engine.mentions("my chest hurts").positive
    assert not engine.mentions("30 seconds each side?"), "an English word is no Spanish stem (sida)"
    assert not engine.mentions("wollen wir morgen weitermachen?"), \
        "a German word is no English typo (swollen)"
