"""The benchmarks still run (briefly, with no timing asserted: numbers belong in their output)."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_engine_benchmark_runs():
    done = subprocess.run([sys.executable, "bench/engine_steps.py", "--seconds", "0.2"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "engine alone:" in done.stdout and "engine + SQLite, 20 people:" in done.stdout
