"""The JSON export (data portability): everything stored about a person, in a documented, versioned
format (export.schema.json next to this file). Pure: a plain person record in, bytes out, and back.

The person record mirrors the tables (bot/storage/tables.py), one key per table, with Python values
(datetime, date) where the tables hold times:
{person, progress, triage_results, clearances, enrolment, deliveries, measurements, activities, scores}.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

FORMAT = "backline-export"
VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("export.schema.json")
# Per section: its fields holding an instant (ISO 8601 with offset) or a date (YYYY-MM-DD).
INSTANTS = {
    "person": ("created_at", "updated_at"),
    "triage_results": ("at",),
    "clearances": ("at",),
    "enrolment": ("updated_at", "next_due", "rescreened_at"),
    "deliveries": ("due_at", "claimed_at", "sent_at"),
    "measurements": ("at",),
    "activities": ("created_at",),
    "scores": ("at",),
}
DATES = {"deliveries": ("local_date",)}
SECTIONS = ("person", "progress", "triage_results", "clearances", "enrolment", "deliveries", "measurements",
            "activities", "scores")


def export_json(record: Mapping[str, Any], exported_at: datetime) -> bytes:
    """The export file: {format, version, exported_at, record}, as UTF-8 JSON."""
    missing = [s for s in SECTIONS if s not in record]
    if missing:
        raise ValueError(f"the person record lacks {', '.join(missing)}")
    body = {"format": FORMAT, "version": VERSION, "exported_at": exported_at.isoformat(),
            "record": {s: _convert(s, record[s], _iso) for s in SECTIONS}}
    return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def import_json(data: bytes) -> tuple[dict[str, Any], datetime]:
    """The person record and export time read back from an export file (times as datetime and date)."""
    body = json.loads(data.decode("utf-8"))
    if body.get("format") != FORMAT or body.get("version") != VERSION:
        raise ValueError(f"not a {FORMAT} file of version {VERSION}")
    record = {s: _convert(s, body["record"][s], _parse) for s in SECTIONS}
    return record, datetime.fromisoformat(body["exported_at"])


def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _convert(section: str, value: Any, how) -> Any:
    if section not in INSTANTS and section not in DATES:
        return value
    if value is None:
        return None
    rows = value if isinstance(value, list) else [value]
    fields = {**{f: "instant" for f in INSTANTS.get(section, ())},
              **{f: "date" for f in DATES.get(section, ())}}
    out = [{k: how(v, fields[k]) if k in fields and v is not None else v for k, v in row.items()}
           for row in rows]
    return out if isinstance(value, list) else out[0]


def _iso(value: datetime | date, kind: str) -> str:
    if kind == "instant" and (not isinstance(value, datetime) or value.tzinfo is None):
        raise ValueError(f"an instant needs a time zone: {value!r}")
    return value.isoformat()


def _parse(value: str, kind: str) -> datetime | date:
    return datetime.fromisoformat(value) if kind == "instant" else date.fromisoformat(value)
