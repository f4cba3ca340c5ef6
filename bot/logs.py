"""Logging set-up: a level from LOG_LEVEL, secrets redacted from every record, chatty libraries quiet."""
from __future__ import annotations

import logging
from urllib.parse import quote


class Redact(logging.Filter):
    """Replaces each secret (the bot token, the webhook secret), also URL-encoded, wherever it appears
    in a record: its message, its traceback and its stack."""

    def __init__(self, *secrets: str):
        super().__init__()
        found = {form for s in secrets if s for form in (s, quote(s, safe=""))}
        self.secrets = sorted(found, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: keep what it says
            message = f"{record.msg} {record.args}"
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self._clean(message), None
        record.exc_text = self._clean(record.exc_text) if record.exc_text else None
        record.stack_info = self._clean(record.stack_info) if record.stack_info else None
        return True


def configure(level: str = "INFO", secrets: tuple[str, ...] = ()) -> None:
    """Log to stderr at `level`, `secrets` redacted from every record whichever logger made it; httpx
    (which logs every request URL, token included) only from WARNING."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact(*secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default", "transitions"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A delivery round that outlasts the tick makes APScheduler warn on every skipped tick; that is by design.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
