"""How the app, other servers and Chromium are started: one implementation for the e2e tests and bench/.

It lives with the tests, which run it on every ``make test``, and bench/ imports it from here (as bench_load
already imports ``tests.logdirs``): bench/ is a folder of scripts, not a package the suite could import from.
It imports nothing from pytest, so a benchmark needs none of the test setup.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")  # Debian's chromium; never `playwright install`
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-gl=angle",  # WebGL (scattergl, scatter3d) in software: SwiftShader, the same on every machine
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]


def launch_chromium(playwright):
    """Headless Chromium from ``sync_playwright()``, as every test and benchmark draws the plot."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


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


def fresh_home_env(home: Path) -> dict[str, str]:
    """The environment of a user's fresh account in ``home``: no NUMBA_ or PROJECTOR_ settings, its own caches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "PROJECTOR_"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    return env


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
                raise RuntimeError(f"{name} exited early; see {log_path}:\n{tail(log_path)}")
            try:
                with urllib.request.urlopen(ready_url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not start within {timeout_s:.0f} s; see {log_path}:\n{tail(log_path)}")
            time.sleep(0.3)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, children: bool = True) -> None:
        """Terminate the process, kill it after 10 s; then any children it left, unless ``children`` is False
        (a test of the server's own clean-up must see what it leaves). Stopping twice does nothing more."""
        import psutil

        leftover = []
        if children:
            try:
                leftover = psutil.Process(self.process.pid).children(recursive=True)
            except psutil.Error:
                pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for child in leftover:
            try:
                child.terminate()
                child.wait(timeout=10)
            except psutil.TimeoutExpired:
                child.kill()
            except psutil.Error:
                pass
        self.log.close()


class App(Server):
    """``app.py [--logdir DIR] --port P [--url-prefix PREFIX] *args`` on a free loopback port, ready once it
    serves its layout; ``python`` and ``app_root`` run another interpreter or checkout."""

    def __init__(
        self,
        log_path: Path,
        logdir: Path | None = None,
        args: Sequence[str] = (),
        prefix: str | None = None,
        env: dict[str, str] | None = None,
        python: str = sys.executable,
        app_root: Path = ROOT,
        timeout_s: float = 180,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{prefix or '/'}"
        command = [python, str(app_root / "app.py")]
        if logdir is not None:
            command += ["--logdir", str(logdir)]
        command += ["--port", str(self.port)]
        if prefix is not None:
            command += ["--url-prefix", prefix]
        command += list(args)
        super().__init__("app", command, self.url + "_dash-layout", log_path, timeout_s, cwd=app_root, env=env)
