"""`backline simulate` (JSON Lines) and `backline chat`, each through a real subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


class Sim:
    """One `backline simulate` process, talked to line by line."""

    def __init__(self, database_url: str, user: str = "sim", start: str | None = None):
        env = dict(os.environ, DATABASE_URL=database_url)
        extra = ["--start", start] if start else []
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "simulate", "--user", user, *extra],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def send(self, obj) -> list[dict]:
        """Send one line; return every output line up to and including the waiting (or error) line."""
        self.proc.stdin.write((obj if isinstance(obj, str) else json.dumps(obj)) + "\n")
        self.proc.stdin.flush()
        out = []
        while True:
            line = json.loads(self.proc.stdout.readline())
            out.append(line)
            if line["type"] in ("waiting", "error"):
                return out

    def close(self) -> int:
        self.proc.stdin.close()
        return self.proc.wait(timeout=20)


@pytest.fixture
def sim(database_url):
    sim = Sim(database_url)
    yield sim
    sim.close()


def last_message(out):
    return [o for o in out if o["type"] == "message"][-1]


def test_simulator_protocol_to_coaching(sim):
    out = sim.send({"command": "start"})
    assert out[-1] == {"type": "waiting"}
    assert last_message(out)["buttons"][0] == {"id": "agree", "label": "I understand, let's start"}
    out = sim.send({"button": "agree"})
    flags_screened = []
    while last_message(out)["screens"]:
        flags_screened += last_message(out)["screens"]
        out = sim.send({"text": "No"})
    assert len(flags_screened) == 20
    while last_message(out)["buttons"]:
        out = sim.send({"button": last_message(out)["buttons"][0]["id"]})
    out = sim.send({"text": "11 cm"})
    assert {"type": "outcome", "outcome": "coaching", "flags": []} in out
    assert [b["id"] for b in last_message(out)["buttons"]] == ["accept", "decline"]


def test_simulator_red_flag_outcome_and_bad_lines(sim):
    sim.send({"command": "start"})
    sim.send({"button": "agree"})
    assert sim.send("this is not json") == [{"type": "error", "message": "not JSON: Expecting value"}]
    assert sim.send({"dance": "now"})[0]["type"] == "error"
    assert sim.send({"text": 5})[0] == {"type": "error", "message": '"text" takes a string'}
    out = sim.send({"button": "not_sure"})
    assert out[-2:] == [{"type": "outcome", "outcome": "emergency",
                         "flags": ["bladder_bowel", "saddle_numbness", "sexual_dysfunction"]},
                        {"type": "waiting"}]
    assert "emergency" in out[0]["text"]


def test_simulator_progress_survives_the_process(database_url):
    first = Sim(database_url, user="kim")
    first.send({"command": "start"})
    question = last_message(first.send({"button": "agree"}))
    assert first.close() == 0
    second = Sim(database_url, user="kim")
    try:
        out = second.send({"command": "start"})
        assert last_message(out)["text"] == question["text"]
    finally:
        second.close()


def test_terminal_chat(tmp_path):
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'chat.db'}")
    done = subprocess.run([sys.executable, "-m", "bot", "chat", "--user", "tess"], input="1\nyes\n/help\n",
                          capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "[1] I understand, let's start   [2] Not now" in done.stdout
    assert "[1] Yes   [2] No   [3] Not sure" in done.stdout
    assert "(outcome: emergency)" in done.stdout
    assert "/restart: go through the check again" in done.stdout


def enrol_in_simulator(sim, at="07:30", zone="Europe/Berlin"):
    out = sim.send({"command": "start"})
    out = sim.send({"button": "agree"})
    while last_message(out)["screens"]:
        out = sim.send({"button": "no"})
    while last_message(out)["buttons"]:
        out = sim.send({"button": last_message(out)["buttons"][0]["id"]})
    out = sim.send({"text": "8"})
    out = sim.send({"button": "accept"})
    out = sim.send({"text": at})
    out = sim.send({"text": zone})
    assert last_message(out)["key"] == "scores.pain"
    for typed in ("5", "tying my shoes", "4"):
        out = sim.send({"text": typed})
    return sim.send({"button": "no_more"})


def test_six_weeks_through_the_simulator_clock(database_url):
    sim = Sim(database_url, start="2027-03-01T12:00:00Z")  # Berlin skips 02:00-03:00 on 28 March 2027
    out = enrol_in_simulator(sim, at="02:30", zone="Europe/Berlin")
    assert "first routine arrives on Tuesday 2 March at 02:30" in last_message(out)["text"]
    deliveries = []
    for _ in range(49):
        out = sim.send({"advance": "1d"})
        deliveries += [o for o in out if o["type"] == "delivery"]
        if any(o["type"] == "delivery" for o in out):
            sim.send({"button": "done"})
    days = [d["day"] for d in deliveries]
    assert days == list(range(1, 43)) + [43], "42 daily messages, then weekly maintenance"
    times = {d["at"][:10]: d["at"][11:] for d in deliveries}
    assert len(times) == len(deliveries), "one a day, never twice"
    assert times.pop("2027-03-28") == "03:30+02:00", "the skipped 02:30 arrives once, just after the gap"
    assert set(times.values()) == {"02:30+01:00", "02:30+02:00"}
    progress = sim.send({"command": "progress"})
    assert "43 of 43 sent (100%)" in progress[0]["text"]
    assert progress[1]["type"] == "photo" and progress[1]["bytes"] > 1000
    assert sim.close() == 0


def test_simulator_rejects_a_bad_duration(sim):
    assert sim.send({"advance": "soon"})[0] == {
        "type": "error",
        "message": "cannot read duration 'soon': use a number with w, d, h or m, like 1d or 3h"}
