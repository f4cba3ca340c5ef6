"""Tests of the local Bot API server, driven by python-telegram-bot itself."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import io
import json

import httpx
import pytest
import pytest_asyncio
import tornado.httpserver
import tornado.netutil
import tornado.web
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from tests.support.botapi import BotAPIServer

# PTB 22 warns on every RetryAfter that retry_after will become a timedelta.
ignore_retry_after_deprecation = pytest.mark.filterwarnings(
    "ignore::telegram.warnings.PTBDeprecationWarning"
)
TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"


@pytest_asyncio.fixture
async def server():
    async with BotAPIServer(TOKEN) as api:
        yield api


@pytest_asyncio.fixture
async def bot(server):
    async with Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as bot:
        yield bot


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.title(), callback_data=d) for d in data]])


async def raw(server: BotAPIServer, method: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{server.base_url}{server.token}/{method}", **kwargs)


def retry_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after  # int today, timedelta in PTB's next major version
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


async def webhook_info_when(bot: Bot, predicate, timeout: float = 3.0):
    async with asyncio.timeout(timeout):
        while not predicate(info := await bot.get_webhook_info()):
            await asyncio.sleep(0.01)
    return info


def long_polling(server: BotAPIServer) -> bool:
    """Whether a getUpdates call is waiting on the server now."""
    return server.calls[-1].method == "getUpdates" and not server.calls[-1].status


@contextlib.asynccontextmanager
async def polling(server: BotAPIServer, *handlers):
    """A real PTB Application with these handlers, polling the server."""
    app = ApplicationBuilder().token(server.token).base_url(server.base_url).build()
    for handler in handlers:
        app.add_handler(handler)
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


@pytest.mark.asyncio
async def test_get_me(server, bot):
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "backline_test_bot")
    assert me.can_join_groups is True
    assert server.calls[-1].method == "getMe" and server.calls[-1].status == 200
    assert server.calls[-1].result == me.to_dict()


@pytest.mark.asyncio
async def test_send_edit_and_answer_round_trip(server, bot):
    user = server.user(42, "Ann")
    sent = await bot.send_message(42, "<b>Hello</b>, Ann &amp; co", parse_mode="HTML",
                                  reply_markup=keyboard("yes", "no"))
    assert sent.text == "Hello, Ann & co"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 5)]
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "yes"
    assert sent.from_user.username == "backline_test_bot" and sent.chat.id == 42
    assert sent.api_kwargs == {}

    query_id = await user.press(sent.message_id, "yes")
    assert user.answered(query_id) is None
    assert await bot.answer_callback_query(query_id, text="Noted") is True
    assert user.answered(query_id)["text"] == "Noted"
    with pytest.raises(BadRequest, match="(?i)query is too old and response timeout expired"):
        await bot.answer_callback_query(query_id)

    edited = await bot.edit_message_text("Thanks!", chat_id=42, message_id=sent.message_id)
    assert edited.text == "Thanks!" and edited.reply_markup is None and edited.edit_date
    last = user.last()
    assert last["text"] == "Thanks!" and "reply_markup" not in last and "edit_date" in last
    assert user.messages() == server.sent(42) and len(server.sent(42)) == 1

    with pytest.raises(BadRequest, match="(?i)message is not modified: specified new message"):
        await bot.edit_message_text("Thanks!", chat_id=42, message_id=sent.message_id)
    markup = await bot.edit_message_reply_markup(
        42, sent.message_id, reply_markup=keyboard("again")
    )
    assert markup.reply_markup.inline_keyboard[0][0].callback_data == "again"
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=42, message_id=999)
    reply = await bot.send_message(42, "re", reply_to_message_id=sent.message_id)
    assert reply.reply_to_message.text == "Thanks!" and reply.message_id == sent.message_id + 1
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(42, "re", reply_to_message_id=999)
    assert await bot.delete_message(42, reply.message_id) is True
    assert await bot.delete_message(42, sent.message_id) is True
    assert server.sent(42) == []
    with pytest.raises(LookupError):
        await user.press(sent.message_id, "yes")


@pytest.mark.asyncio
async def test_user_message_reaches_message_handler_via_polling(server):
    async def echo(update, context):
        await update.message.reply_text(f"echo: {update.message.text}")

    async def start(update, context):
        await update.message.reply_text(f"start {context.args}")

    handlers = CommandHandler("start", start), MessageHandler(filters.TEXT & ~filters.COMMAND, echo)
    async with polling(server, *handlers):
        user = server.user(7)
        incoming = await user.send_command("start payload")
        assert incoming["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
        await server.wait_for(lambda: len(user.messages()) == 1, timeout=3)
        await user.send_text("hello")
        await server.wait_for(lambda: len(user.messages()) == 2, timeout=3)
    assert [m["text"] for m in user.messages()] == ["start ['payload']", "echo: hello"]
    assert [m["message_id"] for m in user.messages()] == [2, 4]
    methods = [call.method for call in server.calls]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    assert methods[-1] == "getUpdates" and server.calls[-1].params["timeout"] == 0
    assert all(call.status == 200 for call in server.calls)


@pytest.mark.asyncio
async def test_callback_press_reaches_callback_query_handler(server):
    seen = []

    async def on_press(update, context):
        seen.append((update.callback_query.data, update.callback_query.message.text))
        await update.callback_query.answer("ok")
        await update.callback_query.edit_message_text("chosen")

    async with polling(server, CallbackQueryHandler(on_press)):
        user = server.user(8)
        async with Bot(TOKEN, base_url=server.base_url) as bot:
            message = await bot.send_message(8, "Pick", reply_markup=keyboard("a"))
        query_id = await user.press(message.message_id, "forged")
        await server.wait_for(lambda: user.last()["text"] == "chosen", timeout=3)
    assert seen == [("forged", "Pick")]
    assert user.answered(query_id)["text"] == "ok"


@pytest.mark.asyncio
async def test_blocked_user_is_forbidden(server, bot):
    server.user(9)
    await bot.send_message(9, "before")
    server.block(9)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(9, "after")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(9, "typing")
    updates = await bot.get_updates()
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"
    assert [m["text"] for m in server.sent(9)] == ["before"]


@pytest.mark.asyncio
@ignore_retry_after_deprecation
async def test_flood_raises_retry_after(server, bot):
    server.user(10)
    server.flood("sendmessage", 2, retry_after=7)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(10, "hi")
        assert retry_seconds(caught.value) == 7
    assert (await bot.send_message(10, "hi")).text == "hi"
    assert server.too_many_requests == 2
    assert [call.status for call in server.calls] == [200, 429, 429, 200]  # getMe first
    response = await raw(server, "getMe")
    assert response.json()["result"]["id"] == 123456


@pytest.mark.asyncio
async def test_bad_requests_carry_telegram_descriptions(server, bot):
    server.user(11)
    cases = [
        ({"chat_id": 11, "text": ""}, "Bad Request: message text is empty"),
        ({"chat_id": 11, "text": "x" * 4097}, "Bad Request: message is too long"),
        ({"chat_id": 11, "text": "a <foo> b", "parse_mode": "HTML"},
         'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 2'),
        ({"chat_id": 11, "text": "<b>open", "parse_mode": "HTML"},
         "Bad Request: can't parse entities: Can't find end tag corresponding to start tag b"),
        ({"chat_id": 11, "text": "1 < 2", "parse_mode": "HTML"},
         'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 2'),
        ({"chat_id": 11, "text": "Q&A", "parse_mode": "HTML"},
         "Bad Request: can't parse entities: "
         'Character "&" must be escaped as "&amp;" at byte offset 1'),
        ({"chat_id": 11, "text": "Done.", "parse_mode": "MarkdownV2"},
         "Bad Request: can't parse entities: "
         "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ({"chat_id": 11, "text": "x", "reply_markup": json.dumps(
            {"inline_keyboard": [[{"text": "t", "callback_data": "d" * 65}]]})},
         "Bad Request: BUTTON_DATA_INVALID"),
        ({"chat_id": 404, "text": "x"}, "Bad Request: chat not found"),
        ({"text": "x"}, "Bad Request: chat_id is empty"),
        ({"chat_id": 11, "text": "x", "parse_mode": "BBCode"},
         "Bad Request: unsupported parse_mode"),
    ]
    for data, description in cases:
        response = await raw(server, "sendMessage", data=data)
        assert response.status_code == 400, data
        assert response.json() == {"ok": False, "error_code": 400, "description": description}

    assert (await bot.send_message(11, "x" * 4096 + "  \n")).text == "x" * 4096
    with pytest.raises(BadRequest, match="(?i)^message text is empty$"):
        await bot.send_message(11, "")
    with pytest.raises(BadRequest, match="(?i)^message is too long$"):
        await bot.send_message(11, "é" * 4097)
    with pytest.raises(BadRequest, match="(?i)^can't parse entities: unsupported start tag"):
        await bot.send_message(11, "<blink>x</blink>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)^button_data_invalid$"):
        await bot.send_message(11, "x", reply_markup=keyboard("é" * 33))
    message = await bot.send_message(11, "same", reply_markup=keyboard("k"))
    with pytest.raises(BadRequest, match="(?i)^message is not modified"):
        await bot.edit_message_text("same", chat_id=11, message_id=message.message_id,
                                    reply_markup=keyboard("k"))
    with pytest.raises(BadRequest, match="(?i)^chat not found$"):
        await bot.send_message(12, "x")


@pytest.mark.asyncio
async def test_formatting_matches_telegram(server, bot):
    server.user(13)
    html = await bot.send_message(
        13, '  <a href="example.com">site</a> 😀 <pre><code class="language-py">x=1</code></pre>\n',
        parse_mode="HTML",
    )
    assert html.text == "site 😀 x=1"
    assert [(e.type, e.offset, e.length, e.url, e.language) for e in html.entities] == [
        ("text_link", 0, 4, "http://example.com/", None),
        ("pre", 8, 3, None, "py"),
    ]
    md = await bot.send_message(
        13, r"*Hi* _there_\! Visit https://t\.me or /help", parse_mode="MarkdownV2"
    )
    assert md.text == "Hi there! Visit https://t.me or /help"
    assert [(e.type, e.offset, e.length) for e in md.entities] == [
        ("bold", 0, 2), ("italic", 3, 5), ("url", 16, 12), ("bot_command", 32, 5),
    ]
    with pytest.raises(BadRequest, match="(?i)^message must be non-empty$"):
        await bot.send_message(13, "<b> </b>", parse_mode="HTML")


@pytest.mark.asyncio
async def test_wrong_token_and_unknown_method(server):
    wrong = Bot("123456:wrong-token", base_url=server.base_url)
    with pytest.raises(InvalidToken, match="was rejected by the server"):
        await wrong.initialize()
    await wrong.shutdown()
    assert server.calls[-1].status == 401
    response = await raw(server, "sendCarrierPigeon")
    assert (response.status_code, response.json()) == (
        404, {"ok": False, "error_code": 404, "description": "Not Found"}
    )
    async with httpx.AsyncClient() as client:
        response = await client.get(server.base_url + "wrong/getMe")
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


@pytest.mark.asyncio
async def test_parameters_as_query_json_and_form(server):
    server.user(14)
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    by_json = await raw(
        server, "SENDMESSAGE", json={"chat_id": 14, "text": "json", "reply_markup": markup}
    )
    by_form = await raw(server, "sendMessage",
                        data={"chat_id": "14", "text": "form", "reply_markup": json.dumps(markup)})
    async with httpx.AsyncClient() as client:
        by_query = await client.get(f"{server.base_url}{TOKEN}/sendmessage",
                                    params={"chat_id": 14, "text": "query"})
    for response, text in ((by_json, "json"), (by_form, "form"), (by_query, "query")):
        assert response.json()["ok"] is True and response.json()["result"]["text"] == text
    assert by_form.json()["result"]["reply_markup"] == markup
    assert [call.method for call in server.calls] == ["sendMessage"] * 3
    assert server.calls[1].params == {"chat_id": 14, "text": "form", "reply_markup": markup}


@pytest.mark.asyncio
async def test_get_updates_offsets_limits_and_long_polling(server, bot):
    user = server.user(15)
    for text in ("one", "two", "three"):
        await user.send_text(text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["one", "two"]
    assert first[1].update_id == first[0].update_id + 1
    again = await bot.get_updates()  # not confirmed yet: Telegram delivers them again
    assert [u.message.text for u in again] == ["one", "two", "three"]
    confirmed_one = await bot.get_updates(offset=first[1].update_id)
    assert [u.message.text for u in confirmed_one] == ["two", "three"]
    assert [u.message.text for u in await bot.get_updates(offset=-1)] == ["three"]
    assert [u.message.text for u in await bot.get_updates()] == ["three"]
    assert await bot.get_updates(offset=again[-1].update_id + 1, timeout=0) == ()

    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await server.wait_for(lambda: long_polling(server))
    started = asyncio.get_running_loop().time()
    await user.send_text("four")
    updates = await poll
    assert [u.message.text for u in updates] == ["four"]
    assert asyncio.get_running_loop().time() - started < 1

    started = asyncio.get_running_loop().time()
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0.2) == ()
    assert asyncio.get_running_loop().time() - started >= 0.2

    await bot.get_updates(allowed_updates=["callback_query"], timeout=0)
    await user.send_text("filtered out")
    assert await bot.get_updates(timeout=0) == ()


@pytest.mark.asyncio
async def test_second_long_poll_ends_the_first(server, bot):
    first = asyncio.create_task(bot.get_updates(timeout=3))
    await server.wait_for(lambda: long_polling(server))
    async with Bot(TOKEN, base_url=server.base_url) as second_instance:
        second = asyncio.create_task(second_instance.get_updates(timeout=0.1))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        assert await second == ()


@pytest.mark.asyncio
async def test_get_updates_conflicts_while_webhook_is_set(server, bot):
    poll = asyncio.create_task(bot.get_updates(timeout=3))
    await server.wait_for(lambda: long_polling(server))
    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cr3t") is True
    with pytest.raises(Conflict, match="terminated by setWebhook request"):
        await poll
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert (info.url, info.has_custom_certificate, info.max_connections) == (
        "http://127.0.0.1:9/hook", False, 40
    )
    await server.user(24).send_text("undeliverable")
    info = await webhook_info_when(bot, lambda info: info.last_error_message)
    assert info.pending_update_count == 1 and info.last_error_message == "Connection refused"
    response = await raw(server, "deleteWebhook", data={"drop_pending_updates": "true"})
    assert response.json() == {"ok": True, "result": True, "description": "Webhook was deleted"}
    assert await bot.get_updates() == ()
    assert (await bot.get_webhook_info()).url == ""


@pytest.mark.asyncio
async def test_webhook_delivery_with_secret_and_retries(server, bot):
    received, answers = [], [500, 200, 200]

    class Hook(tornado.web.RequestHandler):
        def post(self):
            received.append((self.request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                             json.loads(self.request.body)))
            self.set_status(answers.pop(0))

    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    hook_server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/hook", Hook)]))
    hook_server.add_sockets(sockets)
    try:
        user = server.user(16)
        await user.send_text("queued before")
        url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/hook"
        await bot.set_webhook(url, secret_token="s3cr3t", allowed_updates=["message"])
        await user.send_text("after")
        await server.wait_for(lambda: len(received) == 3, timeout=3)
        # an update is confirmed once its POST is answered
        info = await webhook_info_when(bot, lambda info: info.pending_update_count == 0)
    finally:
        hook_server.stop()
        await hook_server.close_all_connections()
    assert {secret for secret, _ in received} == {"s3cr3t"}
    texts = [update["message"]["text"] for _, update in received]
    assert texts == ["queued before", "queued before", "after"]
    assert info.pending_update_count == 0 and info.allowed_updates == ("message",)
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"


@pytest.mark.asyncio
async def test_application_in_webhook_mode(server):
    async def echo(update, context):
        await update.message.reply_text(update.message.text.upper())

    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    port = sockets[0].getsockname()[1]
    sockets[0].close()
    app = ApplicationBuilder().token(server.token).base_url(server.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="hook", secret_token="s3cr3t",
            webhook_url=f"http://127.0.0.1:{port}/hook",
        )
        user = server.user(23)
        await user.send_text("shout")
        await server.wait_for(lambda: user.messages(), timeout=3)
        await app.updater.stop()
        await app.stop()
    assert user.last()["text"] == "SHOUT"
    set_webhook = next(call for call in server.calls if call.method == "setWebhook")
    assert set_webhook.params["secret_token"] == "s3cr3t"


@pytest.mark.asyncio
async def test_send_document_multipart_as_telegram_takes_it(server, bot):
    user = server.user(18)
    data = b"%PDF-1.4\n%fake but non-empty\n"
    response = await raw(server, "sendDocument", data={"chat_id": "18", "caption": "Your export"},
                         files={"document": ("backline.pdf", data, "application/pdf")})
    body = response.json()
    assert response.status_code == 200 and body["ok"] is True
    document = body["result"]["document"]
    assert document["file_name"] == "backline.pdf" and document["mime_type"] == "application/pdf"
    assert document["file_size"] == len(data) and document["file_id"] and document["file_unique_id"]
    assert body["result"]["caption"] == "Your export" and body["result"]["chat"]["id"] == 18
    assert user.last()["_document_bytes"] == data and "_document_bytes" not in body["result"]
    assert server.calls[-1].params["document"].body == data

    # python-telegram-bot's own upload, a JSON file guessed from its name, then a resend by file_id
    message = await bot.send_document(18, io.BytesIO(b'{"version": 1}'), filename="backline.json")
    assert message.document.mime_type == "application/json" and message.document.file_name == "backline.json"
    again = await bot.send_document(18, message.document.file_id, caption="again")
    assert again.document == message.document and user.last()["_document_bytes"] == b'{"version": 1}'
    downloaded = await (await bot.get_file(message.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b'{"version": 1}'
    missing = await raw(server, "sendDocument", data={"chat_id": "18"})
    assert missing.status_code == 400 and "no document" in missing.json()["description"]
    with pytest.raises(BadRequest, match="(?i)message caption is too long"):
        await bot.send_document(18, data, filename="x.pdf", caption="c" * 1025)


@pytest.mark.asyncio
async def test_send_photo_multipart_and_file_id(server, bot):
    user = server.user(17)
    buffer = io.BytesIO()
    Image.new("RGB", (1000, 500), "red").save(buffer, "PNG")
    data = buffer.getvalue()
    message = await bot.send_photo(17, data, caption="<i>chart</i>", parse_mode="HTML",
                                   reply_markup=ReplyKeyboardMarkup([["Menu"]]))
    assert [(p.width, p.height) for p in message.photo] == [
        (90, 45), (320, 160), (800, 400), (1000, 500)
    ]
    assert message.caption == "chart" and message.caption_entities[0].type == "italic"
    assert message.api_kwargs == {}
    stored = user.last()
    assert stored["_photo_bytes"] == data
    assert stored["_reply_markup"]["keyboard"] == [[{"text": "Menu"}]]
    assert "_photo_bytes" not in server.calls[-1].params
    assert server.calls[-1].params["photo"].body == data

    again = await bot.send_photo(17, message.photo[-1].file_id)
    assert again.photo == message.photo and user.last()["_photo_bytes"] == data
    downloaded = await (await bot.get_file(message.photo[-1].file_id)).download_as_bytearray()
    assert bytes(downloaded) == data
    with pytest.raises(BadRequest, match="(?i)image_process_failed"):
        await bot.send_photo(17, b"not an image")
    with pytest.raises(BadRequest, match="(?i)message caption is too long"):
        await bot.send_photo(17, data, caption="c" * 1025)


@pytest.mark.asyncio
async def test_fifty_users_at_once_get_their_own_replies(server):
    async def echo(update, context):
        await context.bot.send_chat_action(update.effective_chat.id, "typing")
        await update.message.reply_text(f"echo {update.effective_user.id}: {update.message.text}")

    users = [server.user(1000 + n, f"User{n}") for n in range(50)]
    async with polling(server, MessageHandler(filters.TEXT, echo)):
        await asyncio.gather(*(user.send_text(f"hi from {user.id}") for user in users))
        await server.wait_for(lambda: all(user.messages() for user in users), timeout=5)
    for user in users:
        assert [m["text"] for m in user.messages()] == [f"echo {user.id}: hi from {user.id}"]
        assert user.last()["message_id"] == 2


@pytest.mark.asyncio
@ignore_retry_after_deprecation
async def test_rate_limit_produces_429(server, bot):
    server.user(18)
    server.user(19)
    server.rate_limit(global_per_second=5)
    for n in range(5):
        await bot.send_message(18 + n % 2, f"m{n}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(18, "one too many")
    assert retry_seconds(caught.value) == 1 and server.too_many_requests == 1

    server.rate_limit(global_per_second=None, per_chat_per_second=1)
    await bot.send_message(18, "first")
    await bot.send_message(19, "other chat")
    with pytest.raises(RetryAfter):
        await bot.send_message(18, "second")
    assert server.too_many_requests == 2


@pytest.mark.asyncio
async def test_injected_server_failures(server, bot):
    server.user(20)
    server.fail("sendMessage", 1)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(20, "x")
    server.fail("sendMessage", 1, status=500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(20, "x")
    assert (await bot.send_message(20, "x")).text == "x"
    assert [call.status for call in server.calls[1:]] == [502, 500, 200]


@pytest.mark.asyncio
async def test_commands_and_chat_actions(server, bot):
    server.user(21)
    assert await bot.set_my_commands([("start", "Start over"), ("help", "What I can do")])
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [
        ("start", "Start over"), ("help", "What I can do")
    ]
    assert await bot.get_my_commands(language_code="de") == ()
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([("Start-Now", "bad")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.send_chat_action(21, "upload_photo") is True
    response = await raw(server, "sendChatAction", data={"chat_id": 21, "action": "dancing"})
    assert response.json()["description"] == "Bad Request: wrong parameter action in request"
    assert await bot.close() is True and await bot.log_out() is True


@pytest.mark.asyncio
async def test_user_media_and_helpers(server, bot):
    user = server.user(22, "Media")
    sticker = await user.send_sticker()
    photo = await user.send_photo()
    voice = await user.send_voice()
    assert "text" not in sticker and sticker["sticker"]["emoji"] == "👍"
    assert photo["photo"][-1]["width"] == 640 and voice["voice"]["mime_type"] == "audio/ogg"
    updates = await bot.get_updates()
    assert updates[1].message.photo[-1].height == 480
    assert bytes(await (await updates[2].message.voice.get_file()).download_as_bytearray())
    with pytest.raises(LookupError):
        await user.press(999, "x")
    with pytest.raises(ValueError):
        await user.press(sticker["message_id"], "x")
    with pytest.raises(LookupError):
        user.last()
    with pytest.raises(TimeoutError, match="user.messages()"):
        await server.wait_for(lambda: user.messages(), timeout=0.05)
