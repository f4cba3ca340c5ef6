"""The exports: the JSON export validates against its schema and round-trips; the PDF opens, has two
pages and holds the person's numbers; a Document is what an adapter would send."""
from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta, timezone

import jsonschema
import pytest
from pypdf import PdfReader

from bot.engine import Document
from bot.export.pdf import summary_pdf
from bot.coaching.scores import history
from bot.export.portable import SCHEMA_PATH, export_json, import_json, schema

T0 = datetime(2027, 3, 1, 7, 30, tzinfo=timezone.utc)


def at(day: int, hours: float = 0) -> datetime:
    return T0 + timedelta(days=day - 1, hours=hours)


def person_record() -> dict:
    """A person 14 days into the plan, as storage would load it."""
    deliveries = [{"day": d, "local_date": date(2027, 3, d), "due_at": at(d), "status": "sent",
                   "claimed_at": at(d), "sent_at": at(d, 0.01),
                   "checkin": "skipped" if d == 5 else "done" if d != 9 else None} for d in range(1, 15)]
    return {
        "person": {"id": 7, "channel": "telegram", "external_id": "4242", "stopped": None,
                   "created_at": at(0, -1), "updated_at": at(14, 1)},
        "progress": {"flow": None, "state": None,
                     "answers": {"squat_heels_lift": "yes", "activity_1": "tying my shoes"},
                     "step": 31, "locale": "en", "last_outcome": "coaching"},
        "triage_results": [{"outcome": "coaching", "flags": [], "at": at(0, -0.5)}],
        "clearances": [],
        "enrolment": {"status": "active", "updated_at": at(0), "delivery_time": "07:30",
                      "time_zone": "Europe/Lisbon",
                      "profile": {"squat_heels_lift": "yes", "wall_test": "hard", "knee_to_wall_cm": 6},
                      "next_day": 15, "next_due": at(15), "rescreened_at": None},
        "deliveries": deliveries,
        "measurements": [{"at": at(0), "cm": 6.0}, {"at": at(7, 0.1), "cm": 7.5},
                         {"at": at(14, 0.1), "cm": 9.0}],
        "activities": [{"slot": 1, "name": "tying my shoes", "created_at": at(0)},
                       {"slot": 2, "name": "sitting through a film", "created_at": at(0)}],
        "scores": [{"at": at(0), "day": 0, "measure": "pain", "slot": None, "value": 7.0},
                   {"at": at(0), "day": 0, "measure": "activity", "slot": 1, "value": 3.0},
                   {"at": at(0), "day": 0, "measure": "activity", "slot": 2, "value": 4.0},
                   {"at": at(7, 0.1), "day": 7, "measure": "pain", "slot": None, "value": 5.0},
                   {"at": at(7, 0.1), "day": 7, "measure": "activity", "slot": 1, "value": 5.0},
                   {"at": at(14, 0.1), "day": 14, "measure": "pain", "slot": None, "value": 4.0},
                   {"at": at(14, 0.1), "day": 14, "measure": "activity", "slot": 1, "value": 6.0},
                   {"at": at(14, 0.1), "day": 14, "measure": "activity", "slot": 2, "value": 8.0}],
    }


def test_the_json_export_validates_against_its_schema_and_round_trips():
    record = person_record()
    data = export_json(record, at(14, 2))
    body = json.loads(data)
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(body, schema(), format_checker=jsonschema.FormatChecker())
    assert (body["format"], body["version"]) == ("backline-export", 1)
    assert body["record"]["deliveries"][0]["local_date"] == "2027-03-01"
    assert body["record"]["scores"][0] == {"at": "2027-02-28T07:30:00+00:00", "day": 0, "measure": "pain",
                                           "slot": None, "value": 7.0}
    again, exported_at = import_json(data)
    assert again == record and exported_at == at(14, 2)
    assert export_json(again, exported_at) == data


def test_a_record_the_schema_rejects():
    body = json.loads(export_json(person_record(), at(14)))
    body["record"]["scores"][0]["value"] = 11
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, schema())
    body = json.loads(export_json(person_record(), at(14)))
    body["record"]["person"]["password"] = "x"  # nothing undocumented may slip in
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, schema())


def test_an_incomplete_record_or_a_naive_time_is_refused():
    record = person_record()
    del record["scores"]
    with pytest.raises(ValueError, match="scores"):
        export_json(record, at(1))
    record = person_record()
    record["measurements"][0]["at"] = datetime(2027, 3, 1)
    with pytest.raises(ValueError, match="time zone"):
        export_json(record, at(1))
    with pytest.raises(ValueError, match="backline-export"):
        import_json(b'{"format": "other", "version": 1}')


def test_the_schema_file_ships_with_the_package():
    assert SCHEMA_PATH.exists() and schema()["title"].endswith("version 1")


def test_history_from_a_record():
    h = history(person_record())
    assert h.start == date(2027, 3, 1) and h.adherence() == (12, 14)
    assert h.baseline_pain() == 7 and [r.value for r in h.pain()] == [7, 5, 4]
    assert [round(v, 2) for _, _, v in h.function()] == [3.5, 5, 7]
    assert h.activities == {1: "tying my shoes", 2: "sitting through a film"}


def test_the_pdf_opens_has_two_pages_and_holds_the_numbers(flowset):
    record = person_record()
    data = summary_pdf(record, history(record), flowset.texts["en"], at(14, 2))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    first = " ".join(reader.pages[0].extract_text().split())
    assert "Backline summary" in first and "14 March 2027" in first
    assert "Safety check of 28 February 2027: no warning sign, home plan offered" in first
    assert "heels lift in a deep squat: Yes" in first and "knee-to-wall distance (cm): 6" in first
    assert "07:30 (Lisbon time); 14 routines sent, up to day 14" in first
    assert "Routines done: 12 of 14 (86%)" in first
    assert "7 → 4" in first and "tying my shoes: 3 → 6" in first and "sitting through a film: 4 → 8" in first
    charts = " ".join(reader.pages[1].extract_text().split())
    assert "Knee-to-wall distance" in charts and "Back pain" in charts and "Your activities" in charts


def test_the_pdf_of_someone_never_enrolled(flowset):
    record = person_record() | {"enrolment": None, "deliveries": [], "measurements": [], "activities": [],
                                "scores": [], "triage_results": []}
    reader = PdfReader(io.BytesIO(summary_pdf(record, history(record), flowset.texts["en"], at(1))))
    text = reader.pages[0].extract_text()
    assert "No safety check finished yet." in text and "Not on the daily plan." in text


def test_a_document_output_carries_the_file():
    doc = Document("backline.pdf", "application/pdf", b"%PDF-", "Your summary")
    assert (doc.filename, doc.mime, doc.data, doc.caption) == ("backline.pdf", "application/pdf", b"%PDF-",
                                                               "Your summary")
    assert Document("a.json", "application/json", b"{}").caption == ""
