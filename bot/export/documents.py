"""/export's outputs: the one- or two-page PDF for a physiotherapist and everything stored, as JSON."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.coaching.scores import history
from bot.engine import Document
from bot.export.pdf import summary_pdf
from bot.export.portable import export_json


def export_documents(record: Mapping[str, Any], texts: Mapping[str, str], now: datetime) -> list[Document]:
    """The two documents of one person record; `texts` in the person's language."""
    pdf = summary_pdf(record, history(record), texts, now)
    return [Document("backline-summary.pdf", "application/pdf", pdf, texts["export.caption"]),
            Document("backline-data.json", "application/json", export_json(record, now),
                     texts["export.json_caption"])]
