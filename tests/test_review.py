"""The week-6 review against a known history, and the /progress chart: three panels, the plan's dates only."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest
from PIL import Image

from bot.coaching import load_plan
from bot.coaching.chart import progress_png
from bot.coaching.review import MAINTENANCE, PHYSIOTHERAPIST, week_review
from bot.coaching.scores import History, Reading

START = date(2027, 3, 1)
PLAN = load_plan()


def at(day: int) -> datetime:
    return datetime(2027, 3, 1, 8, tzinfo=timezone.utc) + timedelta(days=day - 1)


def known_history(pain_end: float = 3, function_end: tuple[float, float] = (6, 7)) -> History:
    """Baseline pain 6, activities 2 and 3; weekly checks on days 7..42; 36 of 42 days done."""
    readings = [Reading(at(0), 0, "pain", 6), Reading(at(0), 0, "activity", 2, 1),
                Reading(at(0), 0, "activity", 3, 2)]
    for week in range(1, 7):
        day = 7 * week
        last = week == 6
        readings += [Reading(at(day), day, "pain", pain_end if last else 5),
                     Reading(at(day), day, "activity", function_end[0] if last else 3, 1),
                     Reading(at(day), day, "activity", function_end[1] if last else 4, 2)]
    checkins = {d: ("skipped" if d % 7 == 3 else "done") for d in range(1, 43)}
    measurements = tuple((at(d), cm) for d, cm in [(0, 6.0), (7, 7.0), (14, 8.5), (42, 11.0)])
    return History(START, checkins, tuple(readings), measurements,
                   {1: "tying my shoes", 2: "sitting through a film"})


def test_the_review_numbers_of_a_known_history(flowset):
    review = week_review(PLAN, known_history(), flowset.texts["en"])
    assert (review.pain.first, review.pain.last, review.pain.better) == (6, 3, 3)
    assert (review.function.first, review.function.last, review.function.better) == (2.5, 6.5, 4)
    assert [(n, c.first, c.last) for n, c in review.activities] == [("tying my shoes", 2, 6),
                                                                     ("sitting through a film", 3, 7)]
    assert (review.knee_to_wall.first, review.knee_to_wall.last, review.knee_to_wall.better) == (6, 11, 5)
    assert (review.done, review.sent, review.adherence) == (36, 42, 86)
    assert review.advice == MAINTENANCE
    text = review.text
    assert "Back pain: 6 → 3 out of 10 (better by 3)" in text
    assert "on average: 2.5 → 6.5 out of 10 (better by 4)" in text
    assert "tying my shoes: 2 → 6 (better by 4)" in text
    assert "Knee-to-wall distance: 6 → 11 cm (better by 5)" in text
    assert "36 of 42 (86%)" in text and "maintenance" in text
    assert Image.open(io.BytesIO(review.chart)).format == "PNG"


@pytest.mark.parametrize("pain_end, function_end, advice", [
    (5, (3, 4), PHYSIOTHERAPIST),   # pain down 1, function up 1: not enough
    (4, (3, 4), MAINTENANCE),       # pain down 2 is enough
    (7, (4, 5), MAINTENANCE),       # function up 2 is enough, even with pain up 1
    (8, (2, 3), PHYSIOTHERAPIST),   # worse
])
def test_see_a_physiotherapist_unless_a_score_improved_by_two(flowset, pain_end, function_end, advice):
    review = week_review(PLAN, known_history(pain_end, function_end), flowset.texts["en"])
    assert review.advice == advice
    assert ("physiotherapist" in review.text.split("\n")[-1]) == (advice == PHYSIOTHERAPIST)


def test_a_review_with_no_weekly_scores_says_so_and_advises_a_physiotherapist(flowset):
    history = History(START, {1: "done"}, (Reading(at(0), 0, "pain", 4),))
    review = week_review(PLAN, history, flowset.texts["en"])
    assert review.advice == PHYSIOTHERAPIST and review.pain.better is None
    assert "Back pain: not enough measurements" in review.text




def test_progress_chart_is_one_tall_png_with_three_panels(flowset):
    png = progress_png(known_history(), flowset.texts["en"])
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.height > image.width  # stacked for a phone


@pytest.mark.parametrize("points", [1, 2, 10])
def test_the_x_axis_spans_the_plan_dates_only(flowset, points):
    from matplotlib.dates import num2date
    from matplotlib.figure import Figure

    from bot.coaching.chart import progress_panels

    history = History(START, {}, tuple(Reading(at(7 * i), 7 * i, "pain", 5) for i in range(points)),
                      tuple((at(7 * i), 8.0) for i in range(points)))
    figure = Figure()
    progress_panels(figure, history, flowset.texts["en"])
    left, right = (num2date(x) for x in figure.axes[0].get_xlim())
    assert left <= at(0) and right >= at(7 * (points - 1))
    assert (right - left).days <= max(9, 7 * (points - 1) + 3)


def test_the_chart_in_spanish_and_german_renders_with_their_dates(flowset):
    from bot.locales import day_name
    one = History(date(2027, 3, 1), {}, (), ((at(1), 9.0),), {})
    for locale, month in (("es", "mar"), ("de", "Mär")):
        assert month in day_name(date(2027, 3, 1), locale, {"es": "d MMM", "de": "d. MMM"}[locale])
        png = progress_png(one, flowset.texts[locale])
        assert Image.open(io.BytesIO(png)).format == "PNG"
