"""The PDF export: one page of the person's triage, plan, adherence and scores, one of the three charts.
Pure: plain data and one locale's texts in, PDF bytes out (matplotlib's PDF backend)."""
from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.coaching.chart import progress_panels
from bot.coaching.scores import History

A4 = (8.27, 11.69)  # inches
WIDTH = 88  # characters a line
PROFILE_KEYS = ("squat_heels_lift", "feet_turn_out", "tension_after_standing", "leans_on_back", "wall_test",
                "knee_to_wall_cm")


def summary_pdf(record: Mapping[str, Any], history: History, texts: Mapping[str, str],
                made_at: datetime) -> bytes:
    """The summary of a person record (as bot.export.portable takes it) and their scores history."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import FigureCanvasPdf, PdfPages
    from matplotlib.figure import Figure

    buffer = io.BytesIO()
    with rc_context({"pdf.fonttype": 42}), PdfPages(buffer, metadata={"Title": texts["export.title"]}) as pdf:
        page = Figure(figsize=A4)
        FigureCanvasPdf(page)
        _text_page(page, summary_lines(record, history, texts, made_at), texts["export.title"])
        pdf.savefig(page)
        charts = Figure(figsize=A4)
        FigureCanvasPdf(charts)
        charts.suptitle(texts["export.charts"], fontsize=16)
        progress_panels(charts, history, texts)
        pdf.savefig(charts)
    return buffer.getvalue()


def summary_lines(record: Mapping[str, Any], history: History, texts: Mapping[str, str],
                  made_at: datetime) -> list[str]:
    """The first page's lines, in the person's language."""
    t = lambda key, **values: texts[key].format(**values)  # noqa: E731
    lines = [t("export.made", date=f"{made_at:%d %B %Y}"), ""]
    results = sorted(record.get("triage_results") or [], key=lambda r: r["at"])
    if results:
        last = results[-1]
        outcome = t(f"export.outcome.{last['outcome']}")
        lines.append(t("export.triage", date=f"{last['at']:%d %B %Y}", outcome=outcome))
        lines.append(t("export.flags", flags=", ".join(last["flags"])) if last["flags"]
                     else t("export.no_flags"))
    else:
        lines.append(t("export.triage_none"))
    enrolment = record.get("enrolment")
    profile = (enrolment or {}).get("profile") or {}
    if profile:
        lines.append(t("export.calf_check"))
        lines += [f"  {t(f'export.answer.{k}')}: {_value(texts, profile[k])}"
                  for k in PROFILE_KEYS if k in profile]
    lines.append("")
    done, sent = history.adherence()
    if enrolment:
        zone = (enrolment.get("time_zone") or "").rsplit("/", 1)[-1].replace("_", " ")
        day = max((d["day"] for d in record.get("deliveries") or []), default=0)
        status = texts.get(f"export.status.{enrolment['status']}", enrolment["status"])
        lines.append(t("export.plan", status=status, time=enrolment.get("delivery_time") or "-",
                       zone=zone or "-", sent=sent, day=day))
        percent = round(100 * done / sent) if sent else 0
        lines.append(t("export.adherence", done=done, sent=sent, percent=percent))
    else:
        lines.append(t("export.no_plan"))
    lines.append("")
    pain = history.pain()
    if pain:
        lines.append(t("export.pain", first=_value(texts, pain[0].value), last=_value(texts, pain[-1].value)))
    if history.activities:
        lines.append(t("export.activities"))
        for slot, name in sorted(history.activities.items()):
            scores = history.activity(slot)
            first, last = (scores[0].value, scores[-1].value) if scores else (None, None)
            lines.append("  " + t("export.activity", name=name, first=_value(texts, first),
                                  last=_value(texts, last)))
    return lines


def _value(texts: Mapping[str, str], value: Any) -> str:
    if value is None:
        return texts["export.no_value"]
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:g}"
    return texts.get(f"answer.{value}", str(value))


def _text_page(page, lines: list[str], title: str) -> None:
    page.text(0.08, 0.95, title, fontsize=20, weight="bold", va="top")
    wrapped = [w for line in lines for w in (textwrap.wrap(line, WIDTH, subsequent_indent="    ") or [""])]
    y = 0.90
    for line in wrapped:
        page.text(0.08, y, line, fontsize=10.5, va="top")
        y -= 0.022
