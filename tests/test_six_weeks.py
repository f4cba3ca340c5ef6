"""Six weeks in the simulator: a person answers the weekly scores, the plan adapts to them, the week-6
review follows the re-screen, and /export gives a PDF and a JSON file holding exactly their data (a
second person, in the same database, appears in neither)."""
from __future__ import annotations

import json
from pathlib import Path

from pypdf import PdfReader

from bot.export.portable import import_json
from tests.support.simulated import Person, day_message, delivered, keys, questions

START = "2027-03-01T06:00+00:00"  # 08:00 in London is ahead, in GMT and in BST (from 28 March)
PAIN = {7: "5", 14: "4", 21: "4", 28: "3", 35: "3", 42: "2"}  # from a baseline of 6
SHOES = {7: "4", 14: "5", 21: "6", 28: "7", 35: "7", 42: "8"}  # from a baseline of 3
CM = {7: "9", 14: "10", 21: "11", 28: "12", 35: "13", 42: "14"}  # from the calf check's 8


async def test_six_weeks_scores_adapt_review_and_export_hold_exactly_one_persons_data(backline, tmp_path):
    ann = Person(backline, "ann", START, files=tmp_path / "ann")
    bob = Person(backline, "bob", START, files=tmp_path / "bob")
    await ann.enrol(pain="6", activities=(("tying my shoes", "3"),))
    await bob.enrol(pain="8", activities=(("gardening in the allotment", "2"),))
    variants = {}
    for day in range(1, 43):
        out = await ann.send(advance="1d")
        assert delivered(out) == [day]
        message = day_message(out)
        variants[day] = "harder" if "(harder)" in message["text"] else "standard"
        choice = "too_easy" if "too_easy" in [b["id"] for b in message["buttons"]] and day == 8 else "done"
        out = await ann.send(button=choice, ref=message["ref"])
        if day in PAIN:
            assert keys(out)[-1] == "scores.pain_week"
            for typed in (PAIN[day], SHOES[day], CM[day]):
                out = await ann.send(text=typed)
            assert "scores.week_thanks" in keys(out) and "recheck.intro" not in keys(out)
    assert variants[8] == "standard" and all(variants[d] == "harder" for d in range(9, 43)), \
        "a week all done offers the harder variant; chosen, it stays"

    rescreen = await ann.send(advance="7d")  # after the six weeks, weekly
    assert delivered(rescreen) == [43] and keys(rescreen) == ["plan.rescreen"]
    out = await ann.send(button="screen", ref=questions(rescreen)[-1]["ref"])
    while questions(out) and questions(out)[-1]["screens"]:
        out = await ann.send(button="no")
    assert keys(out)[-2:] == ["recheck.all_clear", "review.title"], "review after a clear re-screen"
    review = next(o for o in out if o["type"] == "message" and o["key"] == "review.title")["text"]
    assert "Back pain: 6 → 2 out of 10 (better by 4)" in review
    assert "tying my shoes: 3 → 8 (better by 5)" in review
    assert "Knee-to-wall distance: 8 → 14 cm (better by 6)" in review
    assert "Routines done: 42 of 43 (98%)" in review
    assert "carry on with the weekly maintenance routine" in review
    [chart] = [o for o in out if o["type"] == "photo"]
    assert Path(chart["path"]).read_bytes().startswith(b"\x89PNG")
    maintenance = await ann.send(advance="7d")
    assert delivered(maintenance) == [44] and keys(maintenance) == ["plan.day"]

    documents = [o for o in await ann.send(command="export") if o["type"] == "document"]
    assert [d["mime"] for d in documents] == ["application/pdf", "application/json"]
    pdf, data = (Path(d["path"]).read_bytes() for d in documents)
    record, _ = import_json(data)
    assert record["person"]["external_id"] == "ann"
    assert [a["name"] for a in record["activities"]] == ["tying my shoes"]
    pains = [s["value"] for s in record["scores"] if s["measure"] == "pain"]
    assert pains == [6, 5, 4, 4, 3, 3, 2]
    assert [m["cm"] for m in record["measurements"]] == [8, 9, 10, 11, 12, 13, 14], "each distance once"
    assert [d["day"] for d in record["deliveries"]] == list(range(1, 45))
    assert {d["checkin"] for d in record["deliveries"] if d["day"] == 8} == {"too_easy"}
    text = "".join(page.extract_text() for page in PdfReader(documents[0]["path"]).pages)
    assert "tying my shoes" in text
    for other in ("bob", "allotment"):
        assert other not in data.decode() and other not in text.lower(), "nothing of anyone else"
    assert json.loads(data)["record"]["enrolment"]["carry"]["day"] == 44
