"""The knee-to-wall progress chart, as PNG bytes."""
from __future__ import annotations

import io
from datetime import datetime


def knee_to_wall_png(points: list[tuple[datetime, float]], title: str, ylabel: str) -> bytes:
    """A line of distance over time; farther is better (more ankle bend)."""
    # Imported here: matplotlib costs about 0.9 s and 40 MB, and only /progress needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.4), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot([t for t, _ in points], [cm for _, cm in points], marker="o", color="#1f7a5a", linewidth=2)
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.set_ylim(0, max(15.0, max(cm for _, cm in points) + 2))
    axes.grid(alpha=0.3)
    axes.xaxis.set_major_formatter(DateFormatter("%d %b"))
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
