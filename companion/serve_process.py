"""``inflow serve`` as a child process on a free loopback port (used by ``inflow bench`` and the tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_bytes(pid: int) -> int | None:
    """The process's peak resident set size (Linux ``VmHWM``); elsewhere its current RSS (psutil)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import psutil

    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return None


class ServeProcess:
    """A real waitress server: ``python -m companion serve`` over a content folder and a data folder."""

    def __init__(self, data_dir: Path, content_root: Path, model: str = "fake", watch: bool = False,
                 extra_args: tuple[str, ...] = (), log_path: Path | None = None):
        self.data_dir = Path(data_dir)
        self.content_root = Path(content_root)
        self.model = model
        self.watch = watch
        self.extra_args = extra_args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/v1"
        self.log_path = log_path or self.data_dir.parent / f"serve-{self.port}.log"
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0

    def launch(self) -> "ServeProcess":
        """Start the process without waiting for it."""
        args = [sys.executable, "-m", "companion", "serve", "--port", str(self.port), "--data-dir",
                str(self.data_dir), "--content", str(self.content_root)]
        if not self.watch:
            args.append("--no-watch")
        args.extend(self.extra_args)
        self.log = open(self.log_path, "ab")
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "INFLOW_MODEL": self.model})
        return self

    def wait_until(self, ready, timeout: float) -> float:
        """Poll ``ready()`` (True when the server answered as wanted); seconds since launch when it did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"inflow serve exited with {self.proc.returncode} (log: {self.log_path})")
            try:
                if ready():
                    return time.perf_counter() - self.started_at
            except requests.RequestException:
                pass
            time.sleep(0.02)
        raise TimeoutError(f"inflow serve was not ready within {timeout} s (log: {self.log_path})")

    def start(self, timeout: float = 120) -> "ServeProcess":
        """Start and wait until ``/health`` answers."""
        self.launch()
        self.wait_until(lambda: requests.get(f"{self.url}/health", timeout=1).ok, timeout)
        return self

    @property
    def token(self) -> str:
        return (self.data_dir / "token").read_text().strip()

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def peak_rss(self) -> int | None:
        return peak_rss_bytes(self.proc.pid) if self.proc else None

    def stop(self, kill: bool = False) -> None:
        if self.proc and self.proc.poll() is None:
            (self.proc.kill if kill else self.proc.terminate)()
            self.proc.wait(timeout=30)
        if getattr(self, "log", None):
            self.log.close()
