"""Shared fixtures: the shipped flows, and a fresh database per test on SQLite and on PostgreSQL."""
from __future__ import annotations

import os
from pathlib import Path

import asyncpg
import pytest

from bot.settings import Settings
from bot.coaching.coach import Coach
from bot.coaching.content import load_plan
from bot.engine import Engine
from bot.flows.load import load_flowset
from bot.service import Backline
from bot.storage import Store
from tests.support.databases import fresh_postgres

REPO = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BACKLINE_TEST_POSTGRES_URL")  # e.g. postgresql://postgres@127.0.0.1:5432/test


@pytest.fixture(scope="session")
def flowset():
    return load_flowset(Settings().flows)


@pytest.fixture(scope="session")
def engine(flowset):
    return Engine(flowset)


async def _fresh_postgres() -> tuple[str, str]:
    return await fresh_postgres(POSTGRES_URL)


async def _drop_postgres(name: str) -> None:
    conn = await asyncpg.connect(POSTGRES_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request, tmp_path):
    """A new, empty database: a SQLite file, or a PostgreSQL database created for this test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'backline.db'}"
        return
    async for url in _postgres():
        yield url


@pytest.fixture
async def postgres_url():
    """A new PostgreSQL database for this test."""
    async for url in _postgres():
        yield url


async def _postgres():
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("CI needs BACKLINE_TEST_POSTGRES_URL (.ci/run sets it)")
        pytest.skip("BACKLINE_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    url, name = await _fresh_postgres()
    try:
        yield url
    finally:
        await _drop_postgres(name)


@pytest.fixture
async def store(database_url):
    store = await Store.open(database_url)
    yield store
    await store.close()


@pytest.fixture(scope="session")
def coach(engine):
    return Coach(engine, load_plan(Settings().plan_file))


@pytest.fixture
async def backline(engine, store, coach):
    return Backline(engine, store, coach)
