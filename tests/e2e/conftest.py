"""Start the real app on a free loopback port and drive it in Debian's headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests.logdirs import write_tf2_logdir

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-gl=angle",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
ANIMALS = ["cat", "dog", "horse", "cow", "sheep", "goat"]
COLORS = ["red", "green", "blue"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningApp:
    """``python app.py`` in a subprocess, stopped at teardown.

    The warm-up is the shipped one (``all``: the data, then UMAP's compilation, in the server process the
    jobs fork from); a module whose tests never run UMAP may pass ``warm_up="data"`` to start quicker.
    ``home`` starts the app as the README does: no ``--logdir`` unless one is given, no ``--cache-dir``,
    HOME and XDG_CACHE_HOME in ``home`` and numba's own caching.
    """

    def __init__(
        self,
        logdir: Path | None,
        log_path: Path,
        cache_dir: Path | None = None,
        prefix: str = "/",
        extra_args: tuple[str, ...] = (),
        warm_up: str = "all",
        home: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{prefix}"
        self.log_path = log_path
        self.log = open(log_path, "w")
        args = ["--port", str(self.port), "--url-prefix", prefix, "--warm-up", warm_up, *extra_args]
        if logdir is not None:
            args[:0] = ["--logdir", str(logdir)]
        if home is None:
            args += ["--cache-dir", str(cache_dir or Path(tempfile.mkdtemp(prefix="projector-cache-")))]
            env = {"NUMBA_CACHE_DIR": str(ARTIFACTS / "numba-cache"), **os.environ}  # compiled once per suite
        else:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "PROJECTOR_"))}
            env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), *args],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app exited early; see {log_path}")
            try:
                with urllib.request.urlopen(self.url + "_dash-layout", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"app did not start within 60 s; see {log_path}")

    def wait_log(self, text: str, timeout: float = 180) -> str:
        """The server's log once it holds ``text``; fails on a timeout or when the app exits first."""
        deadline = time.monotonic() + timeout
        while text not in self.log_path.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in the server's log ({self.log_path})")
            time.sleep(0.3)
        return self.log_path.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def clustered_logdir(tmp_path_factory) -> tuple[Path, np.ndarray, list[list[str]]]:
    """A TF2 logdir of 240 points in 3 clusters with word/colour/size metadata and a sprite."""
    rng = np.random.default_rng(7)
    centers = rng.normal(0, 10, size=(3, 16))
    cluster = np.repeat(np.arange(3), 80)
    vectors = (centers[cluster] + rng.normal(0, 1, size=(240, 16))).astype(np.float32)
    rows = [[f"{ANIMALS[i % 6]}_{i}", COLORS[cluster[i]], f"{vectors[i, 0]:.3f}"] for i in range(240)]
    images = (rng.random((240, 8, 8)) * 255).astype(np.uint8)
    path = write_tf2_logdir(
        tmp_path_factory.mktemp("e2e") / "logdir",
        vectors,
        metadata_rows=rows,
        header=["word", "group", "x0"],
        sprite_images=images,
    )
    return path, vectors, rows


@pytest.fixture(scope="session")
def clustered_app(clustered_logdir, artifacts):
    """The app most tests share, on the clustered logdir with the shipped warm-up."""
    running = RunningApp(clustered_logdir[0], artifacts / "app-clustered.log")
    yield running
    running.stop()


@pytest.fixture(scope="session")
def app_url(clustered_app):
    return clustered_app.url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
