"""Putting the parts together: flows from disk, the engine, the store, the service."""
from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.coaching.coach import Coach
from bot.coaching.content import load_plan
from bot.engine import Engine
from bot.flows.load import FlowSet, load_flowset
from bot.service import Backline, utcnow
from bot.storage import Store

REPO = Path(__file__).resolve().parent.parent


def flows_dir() -> Path:
    """BACKLINE_FLOWS, or flows/ beside the package (a clone or an editable install)."""
    return Path(os.environ.get("BACKLINE_FLOWS") or REPO / "flows")


def plan_file() -> Path:
    """BACKLINE_CONTENT/plan.yaml, or content/plan.yaml beside the package."""
    return Path(os.environ.get("BACKLINE_CONTENT") or REPO / "content") / "plan.yaml"


def load_flows(path: Path | None = None) -> FlowSet:
    """The checked flows; FlowsInvalid if any check fails, so the bot never starts on a bad flow."""
    return load_flowset(path or flows_dir())


async def open_backline(database_url: str | None = None, flows: FlowSet | None = None,
                        clock: Callable[[], datetime] = utcnow) -> Backline:
    """Checked flows and plan, the engine, and an opened store; FlowsInvalid before touching the database."""
    engine = Engine(flows or load_flows())
    coach = Coach(engine, load_plan(plan_file()))
    store = await Store.open(database_url)
    return Backline(engine, store, coach, clock)
