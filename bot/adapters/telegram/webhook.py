"""Webhook mode: a small tornado server that checks Telegram's secret token and reports health.

A body that is not one readable update (not JSON, not an object, not an Update, too large) is
answered 400, and nothing of it is logged. An update is answered 200 only once the inbox holds it;
while the database does not answer, 503, so that Telegram posts it again later.
"""
from __future__ import annotations

import hmac
import json
import logging
from http import HTTPStatus

from collections.abc import Callable

import tornado.httpserver
import tornado.web

from bot.adapters.telegram.intake import Intake, read_update
from bot.storage import Store

log = logging.getLogger(__name__)
access = logging.getLogger("tornado.access")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # bytes; Telegram's updates are far smaller (a message's text is at most 4096 characters)
MAX_READ = 4 * MAX_BODY  # larger bodies are not even read: the connection is closed


class _Updates(tornado.web.RequestHandler):
    def initialize(self, intake: Intake, secret: str) -> None:
        self.intake, self.secret = intake, secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook request without the right secret token refused")
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        body = self.request.body
        try:
            data = json.loads(body) if len(body) <= MAX_BODY else None
        except (ValueError, RecursionError):  # RecursionError: JSON nested too deep
            data = None
        update = read_update(data, self.intake.bot)
        if update is None:
            update_id = data.get("update_id") if isinstance(data, dict) else None
            log.warning("webhook body that is not a readable update refused (update_id %s)",
                        update_id if type(update_id) is int else "unknown")
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST)
        stored = await self.intake.store([(update.update_id, update)])
        self.set_status(HTTPStatus.OK if stored else HTTPStatus.SERVICE_UNAVAILABLE)


class _Health(tornado.web.RequestHandler):
    def initialize(self, store: Store, leading: Callable[[], bool]) -> None:
        self.store, self.leading = store, leading

    async def get(self) -> None:
        ok = await self.store.ping()
        self.set_status(HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE)
        self.write({"status": "ok" if ok else "unhealthy", "database": "ok" if ok else "unreachable",
                    "leader": self.leading()})


def webhook_app(intake: Intake, store: Store, path: str, secret: str,
                leading: Callable[[], bool]) -> tornado.web.Application:
    """POST `path`: updates (with the secret header); GET /healthz: database reachability, and whether
    this process is the leader."""
    return tornado.web.Application([
        (path, _Updates, {"intake": intake, "secret": secret}),
        (r"/healthz", _Health, {"store": store, "leading": leading}),
    ], log_function=_log_request)


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado's access log, except that an unhealthy answer is a warning: the outage is the error."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.ERROR if status >= 500 else logging.WARNING
    if status == HTTPStatus.SERVICE_UNAVAILABLE:
        level = logging.WARNING
    access.log(level, "%d %s %.2fms", status, handler._request_summary(),
               1000 * handler.request.request_time())


def serve(app: tornado.web.Application, port: int, address: str) -> tornado.httpserver.HTTPServer:
    """Listen on `address:port`; bodies over MAX_READ are not read (tornado answers 400 and closes)."""
    server = tornado.httpserver.HTTPServer(app, max_body_size=MAX_READ)
    server.listen(port, address)
    return server
