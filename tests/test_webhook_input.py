"""Webhook input that is not one readable update is refused with 400, logging no traceback and none of it;
the token and the webhook secret never reach the logs, at any level."""
from __future__ import annotations

import json
import logging

import httpx
import pytest

from bot import logs
from bot.settings import Settings
from bot.adapters.telegram.webhook import MAX_BODY, MAX_READ, SECRET_HEADER
from tests.support.botapi import BotAPIServer
from tests.telegram_harness import SECRET, running_bot, say

MARK = "zqxmarker"  # in every refused body: it must not be logged


def message(**fields):
    base = {"message_id": 1, "date": 1_700_000_000, "chat": {"id": 401, "type": "private"},
            "from": {"id": 401, "is_bot": False, "first_name": "T"}, "text": f"hello {MARK}"}
    return {"update_id": 900_000_001, "message": base | fields}


REFUSED = {
    "null": b"null", "list": b"[]", "number": b"3", "string": json.dumps(MARK).encode(),
    "not json": f"{{{MARK}".encode(), "not utf-8": b"\xff\xfe" + MARK.encode(), "empty": b"",
    "nested too deep": b"[" * 200_000 + b"]" * 200_000,
    "too large": json.dumps({"update_id": 1, "pad": MARK * (MAX_BODY // len(MARK) + 1)}).encode(),
    "no update_id": json.dumps({"message": message()["message"]}).encode(),
    "update_id text": json.dumps(message() | {"update_id": "7"}).encode(),
    "update_id float": json.dumps(message() | {"update_id": 7.5}).encode(),
    "update_id bool": json.dumps(message() | {"update_id": True}).encode(),
    "chat a string": json.dumps(message(chat=MARK)).encode(),
    "date a string": json.dumps(message(date=MARK)).encode(),
    "message a list": json.dumps({"update_id": 5, "message": [MARK]}).encode(),
    "text a number": json.dumps(message(text=12345)).encode(),
    "user id a string": json.dumps(message(**{"from": {"id": MARK, "is_bot": False}})).encode(),
    "query data a number": json.dumps({"update_id": 6, "callback_query": {
        "id": "1", "from": {"id": 401, "is_bot": False, "first_name": "T"}, "chat_instance": "1",
        "data": 77}}).encode(),
}


@pytest.fixture
async def server():
    async with BotAPIServer() as server:
        yield server


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
async def test_bodies_that_are_not_updates_get_400_and_no_secret_is_logged(server, sqlite_url, engine, capfd,
                                                                           unused_tcp_port, level):
    settings = Settings(token=server.token, webhook_secret=SECRET)
    logs.configure(level, secrets=settings.secrets)
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram"
    try:
        user = server.user(401)
        async with running_bot(server, sqlite_url, webhook_url=url, port=unused_tcp_port):
            await say(server, user, "/start")
            async with httpx.AsyncClient(timeout=30) as client:
                headers = {SECRET_HEADER: SECRET}
                answers = {name: (await client.post(url, content=body, headers=headers)).status_code
                           for name, body in REFUSED.items()}
                try:
                    huge = (await client.post(url, content=b"{" * (MAX_READ + 1),
                                              headers={SECRET_HEADER: SECRET})).status_code
                except httpx.TransportError:  # refused before it was read: the connection is closed
                    huge = 400
                valid = await client.post(url, json=message(text="/help", entities=[
                    {"type": "bot_command", "offset": 0, "length": 5}]), headers={SECRET_HEADER: SECRET})
            await server.wait_for(lambda: len(user.messages()) >= 2)
    finally:
        logging.getLogger().handlers.clear()
    assert answers == {name: 400 for name in REFUSED} and huge == 400
    assert valid.status_code == 200
    captured = capfd.readouterr()
    logged = captured.err + captured.out
    assert "refused" in logged, "the run did log"
    assert "Traceback" not in logged and " ERROR " not in logged
    assert MARK not in logged
    assert server.token not in logged and SECRET not in logged
    if level == "DEBUG":
        assert "setWebhook" in logged, "PTB's own debug log (it shows the secret_token parameter) was seen"


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'bot.db'}"


def test_the_filter_redacts_arguments_tracebacks_stacks_and_encoded_forms(capfd):
    token, secret = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789", "s3cret-Value_x"
    logs.configure("DEBUG", secrets=(token, secret))
    log = logging.getLogger("some.library")
    try:
        log.debug("GET https://api.telegram.org/bot%s/getMe", token)
        log.info("secret=%s encoded=%s", secret, token.replace(":", "%3A"))
        try:
            raise RuntimeError(f"failed for {token}")
        except RuntimeError:
            log.exception("a failure")
        log.warning("where am I", stack_info=True, extra={"x": secret})
        log.error("bad args %s %s", token)  # a malformed call still says something, redacted
    finally:
        logging.getLogger().handlers.clear()
    logged = capfd.readouterr().err
    assert logged.count("[redacted]") >= 5 and "failed for [redacted]" in logged
    assert token not in logged and secret not in logged and "123456%3A" not in logged
