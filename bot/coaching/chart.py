"""Progress charts as PNG bytes: knee-to-wall distance, pain and function over the plan's dates. Pure."""
from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone

from bot.coaching.scores import History
from bot.locales import day_name

GREEN, RED, BLUE = "#1f7a5a", "#b23a48", "#2f5d9b"
MIN_SPAN = timedelta(days=7)  # one point still gets a week-wide axis, not matplotlib's years
# The text keys of the three panels' titles and y-axis labels (flows/texts/<locale>.yaml).
CHART_TEXTS = ("chart.knee_to_wall", "chart.knee_to_wall_axis", "chart.pain", "chart.pain_axis",
               "chart.function", "chart.function_axis")


def progress_png(history: History, texts: Mapping[str, str]) -> bytes:
    """Three stacked panels, for a phone: knee-to-wall cm, pain 0-10, function (activities' average) 0-10."""
    figure = _figure(6, 9)
    progress_panels(figure, history, texts)
    return _png(figure)


def progress_panels(figure, history: History, texts: Mapping[str, str]) -> None:
    """Draw the three panels on `figure` (a PNG for /progress, a page of the PDF export)."""
    knee = list(history.measurements)
    pain = [(r.at, r.value) for r in history.pain()]
    function = [(at, value) for at, _, value in history.function()]
    when = [t for t, _ in knee + pain + function]
    axes = figure.subplots(3, 1, sharex=True)
    _panel(axes[0], knee, texts["chart.knee_to_wall"], texts["chart.knee_to_wall_axis"], GREEN,
           max(15.0, max((v for _, v in knee), default=0) + 2))
    _panel(axes[1], pain, texts["chart.pain"], texts["chart.pain_axis"], RED, 10.5)
    _panel(axes[2], function, texts["chart.function"], texts["chart.function_axis"], BLUE, 10.5)
    _dates(axes[2], when, history.start, texts)
    figure.tight_layout(h_pad=1.5)


def _figure(width: float, height: float):
    # Imported here: matplotlib costs about 0.9 s and 40 MB, and only /progress and /export need it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=120)
    FigureCanvasAgg(figure)
    return figure


def _panel(axes, points: list[tuple[datetime, float]], title: str, ylabel: str, color: str,
           top: float) -> None:
    axes.plot([t for t, _ in points], [v for _, v in points], marker="o", markersize=8, color=color,
              linewidth=2.5)
    axes.set_title(title, fontsize=15, loc="left")
    axes.set_ylabel(ylabel, fontsize=12)
    axes.set_ylim(0, top)
    axes.tick_params(labelsize=12)
    axes.grid(alpha=0.3)


def _dates(axes, when: list[datetime], start: date | None, texts: Mapping[str, str]) -> None:
    """The x axis spans the plan's dates only: from its start (or first point) to its last point, a week
    at least, with a day's margin either side; dates written in the texts' language (Babel)."""
    from matplotlib.dates import AutoDateLocator, num2date
    from matplotlib.ticker import FuncFormatter

    first = min([*when, *([_instant(start)] if start else [])], default=None)
    if first is None:
        first = _instant(date(2000, 1, 1))
    last = max([*when, first + MIN_SPAN])
    axes.set_xlim(first - timedelta(days=1), last + timedelta(days=1))
    axes.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=7))
    pattern, locale = texts["format.chart_date"], texts["format.locale"]
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: day_name(num2date(x).date(), locale, pattern)))
    axes.tick_params(axis="x", labelrotation=30)


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(), timezone.utc)


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
