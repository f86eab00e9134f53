"""A server process started for a benchmark: ready once a URL answers, stopped with every child it started."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file ("" when it cannot be read)."""
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Server:
    """``command`` run with its output in ``log_path``; the constructor returns once ``ready_url`` answers 200."""

    def __init__(
        self,
        name: str,
        command: list[str],
        ready_url: str,
        log_path: Path,
        timeout_s: float = 180,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{tail(log_path)}")
            try:
                with urllib.request.urlopen(ready_url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not start within {timeout_s:.0f} s:\n{tail(log_path)}")
            time.sleep(0.3)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """Terminate the process (and any children it left), kill after 10 s."""
        import psutil

        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.Error:
            children = []
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for child in children:
            try:
                child.terminate()
                child.wait(timeout=10)
            except psutil.TimeoutExpired:
                child.kill()
            except psutil.Error:
                pass
        self.log.close()
