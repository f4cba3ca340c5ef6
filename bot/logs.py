"""Logging set-up: a level from LOG_LEVEL, secrets redacted from every record, chatty libraries quiet."""
from __future__ import annotations

import logging


class Redact(logging.Filter):
    """Replaces each secret (the bot token) wherever it appears in a formatted record."""

    def __init__(self, *secrets: str):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        text = record.exc_text or ""
        for secret in self.secrets:
            message, text = message.replace(secret, "[redacted]"), text.replace(secret, "[redacted]")
        record.msg, record.args, record.exc_text = message, None, text or None
        return True


def configure(level: str = "INFO", secrets: tuple[str, ...] = ()) -> None:
    """Log to stderr at `level`; httpx (which logs request URLs, token included) only from WARNING."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact(*secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A delivery round that outlasts the tick makes APScheduler warn on every skipped tick; that is by design.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
