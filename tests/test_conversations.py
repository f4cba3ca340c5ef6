"""The conversation tests as data (tests/conversations/*.yaml), played on SQLite and PostgreSQL."""
from __future__ import annotations

import subprocess
import sys

import pytest

from bot.app import open_backline
from bot.settings import Settings
from bot.conversations.play import case_files, inputs_for, play_file
from bot.locales import LOCALES
from tests.conftest import REPO

FILES = case_files(REPO / "tests" / "conversations")


@pytest.fixture
async def backline(database_url):
    backline = await open_backline(Settings(database_url=database_url))
    yield backline
    await backline.store.close()


CASES = REPO / "tests" / "conversations"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_conversations(backline, path, locale):
    results = await play_file(backline, path, inputs_for(CASES, locale))
    failed = [r.report() for r in results if not r.ok]
    assert not failed, "\n".join(failed)
    for result in results:  # a known issue must still end at least as safely as the case expects
        if result.case.known_issue and result.case.outcome not in (None, "none"):
            clinical = backline.engine.flowset.clinical
            assert result.outcome is None \
                or clinical.urgency(result.outcome) >= clinical.urgency(result.case.outcome)


@pytest.mark.parametrize("locale", LOCALES)
async def test_people_with_no_red_flag_mostly_reach_coaching(tmp_path, locale):
    backline = await open_backline(Settings(database_url=f"sqlite:///{tmp_path / 'bot.db'}"))
    try:
        results = [r for path in FILES for r in await play_file(backline, path, inputs_for(CASES, locale))
                   if r.case.kind == "no_flag"]
    finally:
        await backline.store.close()
    outcomes = [r.outcome for r in results]
    assert len(results) >= 24
    assert not {"urgent", "emergency"} & set(outcomes)
    assert outcomes.count("professional") * 12 <= len(results)
    assert outcomes.count("coaching") >= len(results) - outcomes.count("professional")


def test_backline_test_reports_a_line_per_case_and_a_diff(tmp_path):
    case = tmp_path / "wrong.yaml"
    case.write_text("cases:\n  - name: expects the wrong outcome\n    steps:\n      - command: start\n"
                    "      - press: agree\n      - press: \"yes\"\n        expect: {outcome: coaching}\n"
                    "    outcome: coaching\n")
    done = subprocess.run([sys.executable, "-m", "bot", "test", str(case)], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == f"FAIL {case}:2 expects the wrong outcome"
    assert "step 3 (button 'yes'): expected outcome 'coaching'; got ['emergency']" in done.stdout
    assert "ended at outcome 'emergency', expected 'coaching'" in done.stdout
    assert lines[-1] == "conversations: 0 passed, 1 failed"
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases:\n  - name: x\n    steps:\n      - text: hi\n        press: \"no\"\n")
    done = subprocess.run([sys.executable, "-m", "bot", "test", str(bad)], capture_output=True, text=True)
    assert done.returncode == 1 and f"FAIL {bad}:4: cases.0.steps.0" in done.stdout
