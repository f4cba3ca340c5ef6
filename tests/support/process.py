"""A real `backline run` process against the local Bot API test server, to be killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile

from tests.support.botapi import BotAPIServer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class BotProcess:
    """`backline run` (polling, or a webhook on `port`), started and killed as an operator would."""

    def __init__(
        self,
        server: BotAPIServer,
        database_url: str,
        webhook_port: int | None = None,
        log_level: str = "INFO",
        env: dict[str, str] | None = None,
        webhook_url: str | None = None,
    ):
        """`webhook_url`: the public URL to set (a load balancer's), if not the process's own port."""
        self.server, self.url, self.port, self.log_level = server, database_url, webhook_port, log_level
        self.webhook_url = webhook_url or f"http://127.0.0.1:{webhook_port}/telegram"
        self.env = env or {}
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="backline-run-", suffix=".log", delete=False)
        self.kills = 0

    def start(self) -> None:
        env = (
            os.environ
            | {
                "TELEGRAM_BOT_TOKEN": self.server.token,
                "TELEGRAM_API_BASE_URL": self.server.base_url,
                "DATABASE_URL": self.url,
                "LOG_LEVEL": self.log_level,
                "TELEGRAM_WEBHOOK_SECRET": "crash-test",
            }
            | self.env
        )
        args = [sys.executable, "-m", "bot", "run"]
        if self.port is not None:
            args += [
                "--webhook-url",
                self.webhook_url,
                "--port",
                str(self.port),
                "--listen",
                "127.0.0.1",
            ]
        self.proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.kills += 1

    def terminate(self) -> None:
        """SIGTERM, as an orchestrator stops a process, and wait for it to finish."""
        self.stop()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        with open(self.log.name, encoding="utf-8", errors="replace") as log:
            return log.read()
