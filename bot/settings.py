"""The one settings object: read from the environment (and a .env file) once, in bot/cli.py, and passed
down to whatever needs it. No other module reads the environment."""
from __future__ import annotations

import hashlib
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

REPO = Path(__file__).resolve().parent.parent
TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
DEFAULT_API = "https://api.telegram.org/bot"
DEFAULT_TIMEOUT = 4.0  # seconds a unit of work may take (DATABASE_TIMEOUT)
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line for the person starting the bot."""


@dataclass(frozen=True)
class Settings:
    token: str = ""  # TELEGRAM_BOT_TOKEN: only `backline run` needs one (telegram() checks it)
    api_base_url: str = DEFAULT_API
    webhook_secret: str = ""
    send_rate: int = 30  # Bot API calls to chats per second, all chats and processes together (0: no cap)
    database_url: str | None = None  # None: a SQLite file in the user's data folder
    database_timeout: float = DEFAULT_TIMEOUT
    flows: Path = REPO / "flows"
    content: Path = REPO / "content"
    log_level: str = "INFO"

    @property
    def plan_file(self) -> Path:
        return self.content / "plan.yaml"

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never reach a log: the token, and the webhook secret."""
        return self.token, self.webhook_secret

    @property
    def file_base_url(self) -> str:
        """python-telegram-bot's base_file_url beside base_url (…/bot → …/file/bot)."""
        head, _, tail = self.api_base_url.rstrip("/").rpartition("/")
        return f"{head}/file/{tail}"

    def telegram(self) -> Settings:
        """These settings, checked for running on Telegram: a token of the right shape."""
        if not self.token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram "
                                "and put its token in the environment or a .env file")
        if not TOKEN.match(self.token):
            raise SettingsError("TELEGRAM_BOT_TOKEN does not look like a bot token "
                                "(expected digits, a colon, then at least 30 letters, digits, _ or -)")
        return self

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        if env is None:  # a .env in the directory the bot starts from; the environment wins over it
            load_dotenv(Path.cwd() / ".env", override=False)
            env = dict(os.environ)
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        level = env.get("LOG_LEVEL", "INFO").upper()
        if level not in LEVELS:
            raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {level!r}")
        secret = env.get("TELEGRAM_WEBHOOK_SECRET") or (
            hashlib.sha256(f"webhook:{token}".encode()).hexdigest() if token else "")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise SettingsError("TELEGRAM_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - "
                                "(1 to 256 of them)")
        rate = (env.get("TELEGRAM_SEND_RATE") or "30").strip()
        if not rate.isdigit():
            raise SettingsError(f"TELEGRAM_SEND_RATE must be a whole number of messages a second, "
                                f"not {rate!r}")
        return cls(token=token, api_base_url=env.get("TELEGRAM_API_BASE_URL") or DEFAULT_API,
                   webhook_secret=secret, send_rate=int(rate), database_url=env.get("DATABASE_URL") or None,
                   database_timeout=_timeout(env.get("DATABASE_TIMEOUT", "")),
                   flows=Path(env.get("BACKLINE_FLOWS") or REPO / "flows"),
                   content=Path(env.get("BACKLINE_CONTENT") or REPO / "content"),
                   log_level=level)


def _timeout(text: str) -> float:
    """DATABASE_TIMEOUT in seconds (default 4): how long one unit of work may take."""
    text = text.strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not (0 < value <= 3600 and math.isfinite(value)):
        raise SettingsError(f"DATABASE_TIMEOUT must be a number of seconds above 0, not {text!r}")
    return value
