"""Putting the parts together: flows from disk, the engine, the store, the service."""
from __future__ import annotations

import os
from pathlib import Path

from bot.engine import Engine
from bot.flows.load import FlowSet, load_flowset
from bot.service import Backline
from bot.storage import Store

REPO = Path(__file__).resolve().parent.parent


def flows_dir() -> Path:
    """BACKLINE_FLOWS, or flows/ beside the package (a clone or an editable install)."""
    return Path(os.environ.get("BACKLINE_FLOWS") or REPO / "flows")


def load_flows(path: Path | None = None) -> FlowSet:
    """The checked flows; FlowsInvalid if any check fails, so the bot never starts on a bad flow."""
    return load_flowset(path or flows_dir())


async def open_backline(database_url: str | None = None, flows: FlowSet | None = None) -> Backline:
    store = await Store.open(database_url)
    return Backline(Engine(flows or load_flows()), store)
