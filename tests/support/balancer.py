"""A real HAProxy in front of `backline run` processes, as deploy/haproxy.cfg has it, on free ports."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
TEMPLATE = REPO / "deploy" / "haproxy.cfg"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HAProxy:
    """`with HAProxy(backends) as lb:` the deploy/ configuration, listening on lb.port."""

    def __init__(self, backends: list[int]):
        self.binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.port, self.backends = free_port(), backends
        self.folder = Path(tempfile.mkdtemp(prefix="backline-haproxy-"))
        self.proc: subprocess.Popen | None = None

    def config(self) -> str:
        text = TEMPLATE.read_text().replace("bind *:8443", f"bind 127.0.0.1:{self.port}")
        head, _, _ = text.partition("    server bot1")
        servers = "".join(f"    server bot{i + 1} 127.0.0.1:{port} check\n"
                          for i, port in enumerate(self.backends))
        return head + servers

    def __enter__(self) -> HAProxy:
        path = self.folder / "haproxy.cfg"
        path.write_text(self.config())
        log = open(self.folder / "log", "wb")
        self.proc = subprocess.Popen([self.binary, "-db", "-f", str(path)], stdout=log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError(f"haproxy did not start: {(self.folder / 'log').read_text()[-800:]}")

    def __exit__(self, *exc_info: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
