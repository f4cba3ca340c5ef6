"""Putting the parts together: flows from disk, the engine, the store, the service."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.coaching.coach import Coach
from bot.coaching.content import load_plan
from bot.engine import Engine
from bot.flows.load import FlowSet, load_flowset
from bot.service import Backline, utcnow
from bot.settings import Settings
from bot.storage import Store


def load_flows(settings: Settings) -> FlowSet:
    """The checked flows; FlowsInvalid if any check fails, so the bot never starts on a bad flow."""
    return load_flowset(settings.flows)


async def open_backline(settings: Settings, flows: FlowSet | None = None,
                        clock: Callable[[], datetime] = utcnow) -> Backline:
    """Checked flows and plan, the engine, and an opened store; FlowsInvalid before touching the database."""
    engine = Engine(flows or load_flows(settings))
    coach = Coach(engine, load_plan(settings.plan_file))
    store = await Store.open(settings.database_url, settings.database_timeout)
    return Backline(engine, store, coach, clock)
