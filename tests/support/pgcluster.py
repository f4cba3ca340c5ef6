"""A throw-away PostgreSQL cluster of the test's own, which it may freeze, stop and start again.

`initdb` refuses to run as root, so as root the cluster belongs to the `postgres` user (through
`runuser`). `freeze` sends SIGSTOP to the postmaster and every backend (PostgreSQL gives each
child its own process group, so a signal to the postmaster's group would not reach them): the
server keeps its sockets open and simply stops answering, as a hung host does.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["Cluster", "ClusterUnavailable"]


class ClusterUnavailable(Exception):
    """This machine cannot run a cluster of the test's own (the reason is the message)."""


def _bin_dir() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise ClusterUnavailable("no initdb on PATH nor in /usr/lib/postgresql/*/bin")
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """`with Cluster() as pg:` initdb into a temporary folder and start on a free port."""

    def __init__(self, settings: str = "") -> None:
        """`settings`: more server options, such as "-c max_connections=300"."""
        self.settings = settings
        self.bin = _bin_dir()
        self._as: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterUnavailable("running as root and there is no postgres user for initdb") from None
            self._as = ["runuser", "-u", "postgres", "--"]
        self.folder = Path(tempfile.mkdtemp(prefix="backline-pg-"))
        if self._as:
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        self.data = self.folder / "data"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._frozen: list[int] = []

    def _pg(self, tool: str, *args: str) -> None:
        command = self._as + [str(self.bin / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise ClusterUnavailable(f"{tool} failed: {(done.stderr or done.stdout).strip()[-400:]}")

    def __enter__(self) -> Cluster:
        try:
            self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-N", "-E", "UTF8")
            self.start()
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.thaw()
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"{self.settings}")
        self._pg("pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.folder / "log"), "-o", options)

    def stop(self, mode: str = "immediate") -> None:
        self._pg("pg_ctl", "stop", "-w", "-D", str(self.data), "-m", mode)

    @property
    def postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def _children(self, parent: int) -> list[int]:
        children = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                    children.append(int(entry))
        return children

    def freeze(self) -> None:
        """SIGSTOP the postmaster first (so that it starts no one new), then all its children."""
        postmaster = self.postmaster
        os.kill(postmaster, signal.SIGSTOP)
        self._frozen = [postmaster] + self._children(postmaster)
        for pid in self._frozen[1:]:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in reversed(self._frozen):
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self._frozen = []
