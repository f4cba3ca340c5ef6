"""Telegram adapter pieces that need no server: settings, signed callbacks, rendering, redaction."""
from __future__ import annotations

import logging

import pytest

from bot.adapters.telegram import render
from bot.adapters.telegram.callbacks import CallbackSigner
from bot.settings import DEFAULT_API, Settings, SettingsError
from bot.engine import Button, Message, Press
from bot.logs import Redact

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_settings_from_env():
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
                           "LOG_LEVEL": "debug"})
    assert s.api_base_url == "http://127.0.0.1:8081/bot" \
        and s.file_base_url == "http://127.0.0.1:8081/file/bot"
    assert s.log_level == "DEBUG" and len(s.webhook_secret) == 64
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}).api_base_url == DEFAULT_API


def test_settings_without_a_token_serve_the_terminal_and_hold_every_setting(tmp_path):
    s = Settings.from_env({"DATABASE_URL": "sqlite:///x.db", "DATABASE_TIMEOUT": "2", "LOG_LEVEL": "warning",
                           "BACKLINE_FLOWS": str(tmp_path)})
    assert (s.token, s.webhook_secret, s.database_url, s.database_timeout) == ("", "", "sqlite:///x.db", 2.0)
    assert s.flows == tmp_path and s.plan_file.name == "plan.yaml" and s.log_level == "WARNING"
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN is not set"):
        s.telegram()


@pytest.mark.parametrize("env,says", [
    ({}, "TELEGRAM_BOT_TOKEN is not set"),
    ({"TELEGRAM_BOT_TOKEN": "hello"}, "does not look like a bot token"),
    ({"TELEGRAM_BOT_TOKEN": "12345:short"}, "does not look like a bot token"),
    ({"TELEGRAM_BOT_TOKEN": TOKEN, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be"),
    ({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "no spaces please"}, "TELEGRAM_WEBHOOK_SECRET"),
])
def test_settings_errors_are_one_clear_line(env, says):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env).telegram()
    assert says in str(caught.value) and "\n" not in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_callback_data_is_signed_for_one_person():
    signer = CallbackSigner(TOKEN)
    data = signer.data(42, "17", "not_sure")
    assert len(data.encode()) <= 64
    assert signer.press(42, data) == Press("not_sure", "17")
    assert signer.press(43, data) is None, "another person's button"
    ref, answer, sig = data.split(":")
    assert signer.press(42, f"{ref}:yes:{sig}") is None, "tampered answer"
    assert signer.press(42, f"18:{answer}:{sig}") is None, "tampered question"
    assert signer.press(42, "garbage") is None and signer.press(42, None) is None
    assert CallbackSigner("987654321:" + "x" * 35).press(42, data) is None, "another bot's button"


def test_split_respects_the_limit_and_prefers_paragraphs():
    text = ("a" * 3000) + "\n\n" + ("b" * 3000) + "\n" + ("c " * 2000)
    pieces = render.split(text)
    assert all(len(p) <= render.LIMIT for p in pieces)
    assert pieces[0] == "a" * 3000
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    assert render.split("x" * 5000) == ["x" * 4096, "x" * 904]


def test_html_is_escaped_after_splitting():
    pieces = render.html_pieces("1 < 2 & " + "y" * 4090 + " <b>")
    assert pieces == ["1 &lt; 2 &amp;", "y" * 4090 + " &lt;b&gt;"]
    assert render.answered("Q?", "<Yes>") == "Q?\n\n<b>→ &lt;Yes&gt;</b>"


def test_keyboard_has_one_signed_button_a_row():
    signer = CallbackSigner(TOKEN)
    markup = render.keyboard(Message("q", (Button("yes", "Yes"), Button("no", "No")), ref="3"), 7, signer)
    rows = markup.inline_keyboard
    assert [[b.text for b in row] for row in rows] == [["Yes"], ["No"]]
    assert signer.press(7, rows[1][0].callback_data) == Press("no", "3")
    assert render.keyboard(Message("plain"), 7, signer) is None


def test_redact_removes_the_token_from_messages_and_tracebacks():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "POST %s/getMe", (f"https://api/bot{TOKEN}",),
                               None)
    Redact(TOKEN).filter(record)
    assert TOKEN not in record.getMessage() and "[redacted]" in record.getMessage()
    try:
        raise RuntimeError(f"failed for bot{TOKEN}")
    except RuntimeError:
        import sys
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    Redact(TOKEN).filter(record)
    assert TOKEN not in record.exc_text


def test_a_message_without_buttons_is_merged_into_the_next():
    from bot.adapters.telegram.sender import _groups
    from bot.engine import Action, Answered, Outcome
    from bot.runtime.rows import draft_of
    from bot.storage.outbox import Row

    def rows(*outputs):
        drafts = [d for d in map(draft_of, outputs) if d is not None]
        return [Row(i, "telegram", "1", d.kind, d.body) for i, d in enumerate(drafts)]

    def shown(groups):  # (kinds, joined text, buttons of the last) of each Bot API call
        return [([r.kind for r in g], "\n\n".join(r.body.get("text", "") for r in g),
                 g[-1].body.get("buttons")) for g in groups]
    intro, question = Message("Thank you."), Message("Bladder?", (Button("yes", "Yes"),), ("bladder_bowel",),
                                                     "5")
    calls = shown(_groups(rows(Answered("4", "Agree"), intro, Action("hold_plan"), question,
                               Outcome("coaching"), Message("a"), Message("b"))))
    assert calls == [(["answered"], "", None),
                     (["message", "message"], "Thank you.\n\nBladder?", [["yes", "Yes"]]),
                     (["outcome"], "", None), (["message", "message"], "a\n\nb", [])]
    long = rows(Message("x" * 4000), Message("y" * 200))
    assert [len(g) for g in _groups(long)] == [1, 1], "never over the limit"
