"""The week-6 review: how pain, each activity, function and the knee-to-wall distance changed, adherence,
and what to do next, in words (texts from flows/texts) and one chart. Pure."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.coaching.chart import progress_png
from bot.coaching.content import Plan
from bot.coaching.scores import History, Reading

MAINTENANCE, PHYSIOTHERAPIST = "maintenance", "physiotherapist"


@dataclass(frozen=True)
class Change:
    """First and last value of a measure; `better` is the change, positive when it improved."""

    first: float | None
    last: float | None
    lower_is_better: bool = False

    @property
    def known(self) -> bool:
        return self.first is not None and self.last is not None

    @property
    def better(self) -> float | None:
        if not self.known:
            return None
        return (self.first - self.last) if self.lower_is_better else (self.last - self.first)


@dataclass(frozen=True)
class WeekReview:
    pain: Change
    function: Change
    activities: tuple[tuple[str, Change], ...]
    knee_to_wall: Change
    done: int
    sent: int
    adherence: int  # percent of the routines sent that were done
    advice: str  # maintenance or physiotherapist
    text: str
    chart: bytes


def week_review(plan: Plan, history: History, texts: Mapping[str, str]) -> WeekReview:
    """The review of `history`; `texts` are one locale's texts (review.*, chart.*)."""
    pain = _change(history.pain(), lower_is_better=True)
    function_values = [v for _, _, v in history.function()]
    function = Change(*(_ends(function_values)))
    activities = tuple((name, _change(history.activity(slot)))
                       for slot, name in sorted(history.activities.items()))
    cm = [v for _, v in sorted(history.measurements)]
    knee = Change(*_ends(cm))
    done, sent = history.adherence()
    adherence = round(100 * done / sent) if sent else 0
    need = plan.review.improve_by
    improved = any(c.better is not None and c.better >= need for c in (pain, function))
    advice = MAINTENANCE if improved else PHYSIOTHERAPIST
    t = _Texts(texts)
    lines = [t("review.title")]
    lines.append(t.change("review.pain", pain, texts["chart.pain"]))
    lines.append(t.change("review.function", function, texts["chart.function"]))
    lines += [t.change("review.activity", c, name, name=name) for name, c in activities if c.known]
    lines.append(t.change("review.knee_to_wall", knee, texts["chart.knee_to_wall"]))
    lines.append(t("review.adherence", done=done, sent=sent, percent=adherence))
    lines += ["", t(f"review.{advice}", points=f"{need:g}")]
    return WeekReview(pain, function, activities, knee, done, sent, adherence, advice, "\n".join(lines),
                      progress_png(history, texts))


def _change(readings: list[Reading], lower_is_better: bool = False) -> Change:
    return Change(*_ends([r.value for r in readings]), lower_is_better=lower_is_better)


def _ends(values: list[float]) -> tuple[float | None, float | None]:
    """First and last, when there are at least two values to compare."""
    return (values[0], values[-1]) if len(values) > 1 else (None, None)


class _Texts:
    def __init__(self, texts: Mapping[str, str]):
        self.texts = texts

    def __call__(self, key: str, **values: object) -> str:
        return self.texts[key].format(**values)

    def change(self, key: str, change: Change, measure: str, **values: object) -> str:
        if not change.known:
            return self("review.missing", measure=measure)
        better = change.better
        words = self("review.same") if abs(better) < 0.05 else self(
            "review.better" if better > 0 else "review.worse", n=_number(abs(better)))
        return self(key, first=_number(change.first), last=_number(change.last), change=words, **values)


def _number(value: float) -> str:
    return f"{round(value, 1):g}"
