"""Configuration from the environment (and a .env file if present)."""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
DEFAULT_API = "https://api.telegram.org/bot"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line for the person starting the bot."""


@dataclass(frozen=True)
class Settings:
    token: str
    api_base_url: str = DEFAULT_API
    database_url: str | None = None
    log_level: str = "INFO"
    webhook_secret: str = ""
    send_rate: int = 30  # Bot API calls to chats per second, all chats together (0: no cap of ours)

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never reach a log: the token, and the webhook secret."""
        return self.token, self.webhook_secret

    @property
    def file_base_url(self) -> str:
        """python-telegram-bot's base_file_url beside base_url (…/bot → …/file/bot)."""
        head, _, tail = self.api_base_url.rstrip("/").rpartition("/")
        return f"{head}/file/{tail}"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        if env is None:  # a .env in the directory the bot starts from; the environment wins over it
            load_dotenv(Path.cwd() / ".env", override=False)
            env = dict(os.environ)
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram "
                                "and put its token in the environment or a .env file")
        if not TOKEN.match(token):
            raise SettingsError("TELEGRAM_BOT_TOKEN does not look like a bot token "
                                "(expected digits, a colon, then at least 30 letters, digits, _ or -)")
        level = env.get("LOG_LEVEL", "INFO").upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {level!r}")
        secret = env.get("TELEGRAM_WEBHOOK_SECRET") or hashlib.sha256(f"webhook:{token}".encode()).hexdigest()
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise SettingsError("TELEGRAM_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - (1 to 256 of them)")
        rate = (env.get("TELEGRAM_SEND_RATE") or "30").strip()
        if not rate.isdigit():
            raise SettingsError(f"TELEGRAM_SEND_RATE must be a whole number of messages a second, not {rate!r}")
        return cls(token=token, api_base_url=env.get("TELEGRAM_API_BASE_URL") or DEFAULT_API,
                   database_url=env.get("DATABASE_URL") or None, log_level=level, webhook_secret=secret,
                   send_rate=int(rate))
