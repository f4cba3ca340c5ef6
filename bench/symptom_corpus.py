"""How well the symptom recogniser reads the labelled corpus (tests/data/symptoms/*.yaml).

Run: python bench/symptom_corpus.py [--misses] [--corpus tests/data/symptoms-heldout] [--locale es]
Targets (clinical v2 issue): recall 100% for every emergency and urgent flag; false alarms on
ordinary chat under 5%. A sign counts as caught when the flags recognised route the person at least
as urgently as its row ("exact" also needs the labelled flag itself); a denied sign, or one that
names no flag, counts when it re-runs the screen; ordinary chat is a false alarm when it does.
Each language's corpus is scored on its own, and every message is read by every vocabulary.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import load_flows  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.engine import Engine  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "symptoms"


@dataclass
class Score:
    """Counts per flag and per kind of case, and the cases missed."""

    caught: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    exact: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    kinds: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    misses: list[str] = field(default_factory=list)

    def recall(self, flag: str) -> float:
        return self.caught[flag] / self.total[flag] if self.total[flag] else 1.0

    @property
    def false_alarms(self) -> float:
        alarms, cases = self.kinds["ordinary"]
        return alarms / cases if cases else 0.0


def load_corpus(folder: Path = CORPUS) -> list[dict]:
    """Every case of every language's corpus file, each with its `locale`."""
    cases = []
    for file in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        cases += [dict(case, locale=data["locale"]) for case in data["cases"]]
    return cases


def score(engine: Engine, cases: list[dict]) -> Score:
    clinical = engine.flowset.clinical
    result = Score()
    for case in cases:
        found = engine.mentions(case["text"])
        if case.get("negated") or case.get("unspecific"):
            kind = "negated" if case.get("negated") else "unspecific"
            result.kinds[kind][0] += bool(found)
            result.kinds[kind][1] += 1
            if not found:
                result.misses.append(f"{kind}: {case['text']!r}")
        elif case.get("flags"):
            reached = clinical.most_urgent(sorted(found.positive))
            for flag in case["flags"]:
                result.total[flag] += 1
                ok = (reached is not None
                      and clinical.urgency(reached) >= clinical.urgency(clinical.flag_outcome(flag)))
                result.caught[flag] += ok
                result.exact[flag] += flag in found.positive
                if not ok:
                    result.misses.append(f"{flag}: {case['text']!r} -> {sorted(found.positive) or found}")
        else:
            result.kinds["ordinary"][0] += bool(found)
            result.kinds["ordinary"][1] += 1
            if found:
                result.misses.append(f"false alarm: {case['text']!r} -> {found}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="list every case missed or falsely flagged")
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help="a folder of corpus files (default: %(default)s)")
    parser.add_argument("--locale", help="only this language's corpus (default: each in turn)")
    args = parser.parse_args()
    engine = Engine(load_flows(Settings()))
    every = load_corpus(args.corpus)
    for locale in sorted({c["locale"] for c in every} if args.locale is None else {args.locale}):
        print(f"\n== {locale} ==")
        report(engine, [c for c in every if c["locale"] == locale], args.misses)


def report(engine: Engine, cases: list[dict], misses: bool) -> None:
    """Print one language's scores."""
    started = time.perf_counter()
    result = score(engine, cases)
    took = time.perf_counter() - started
    clinical = engine.flowset.clinical
    by_locale = defaultdict(int)
    for case in cases:
        by_locale[case["locale"]] += 1
    print(f"corpus: {len(cases)} cases ({', '.join(f'{k} {v}' for k, v in sorted(by_locale.items()))}); "
          f"read in {took * 1000 / len(cases):.2f} ms a message")
    print(f"{'flag':34} {'outcome':13} {'cases':>5} {'recall':>7} {'exact':>7}")
    for flag in clinical.flags:
        n = result.total[flag.id]
        print(f"{flag.id:34} {flag.outcome:13} {n:5} {result.recall(flag.id):7.0%} "
              f"{(result.exact[flag.id] / n if n else 1):7.0%}")
    for kind in ("negated", "unspecific"):
        hit, n = result.kinds[kind]
        print(f"{kind} signs that re-run the screen: {hit}/{n} ({hit / n if n else 1:.0%})")
    alarms, n = result.kinds["ordinary"]
    print(f"false alarms on ordinary chat: {alarms}/{n} ({result.false_alarms:.1%}; target under 5%)")
    urgent = [f.id for f in clinical.flags if f.outcome in ("emergency", "urgent")]
    caught, total = sum(result.caught[f] for f in urgent), sum(result.total[f] for f in urgent)
    every_caught, every_total = sum(result.caught.values()), sum(result.total.values())
    print(f"recall: emergency and urgent {caught}/{total} ({caught / total if total else 1:.0%}); every flag "
          f"{every_caught}/{every_total} ({every_caught / every_total if every_total else 1:.0%})")
    print(f"emergency and urgent recall 100%: "
          f"{'yes' if all(result.recall(f) == 1 for f in urgent) else 'no'}")
    if misses:
        print("\n".join(result.misses))


if __name__ == "__main__":
    main()
