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


def test_telegram_benchmark_runs():
    done = subprocess.run([sys.executable, "bench/telegram_updates.py", "--people", "3", "--inputs", "3",
                           "--rounds", "1"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "all answers stored: yes" in done.stdout \
        and "429 Too Many Requests from the server: 0" in done.stdout


def test_delivery_benchmark_runs():
    done = subprocess.run([sys.executable, "bench/delivery_scale.py", "--people", "2000", "--dense", "50",
                           "--runs", "1", "--send", "20", "--no-postgres"], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "each due person exactly one" in done.stdout and "20/20" in done.stdout


def test_symptom_corpus_benchmark_runs():
    done = subprocess.run([sys.executable, "bench/symptom_corpus.py"], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "false alarms on ordinary chat:" in done.stdout \
        and "emergency and urgent recall 100%: yes" in done.stdout


def test_reply_latency_benchmark_runs():
    done = subprocess.run([sys.executable, "bench/reply_latency.py", "--seconds", "2", "--people", "10",
                           "--rate", "10"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "reply latency p50" in done.stdout and "unanswered 0" in done.stdout
