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
    """``python app.py`` in a subprocess, stopped at teardown."""

    def __init__(
        self,
        logdir: Path,
        log_path: Path,
        cache_dir: Path | None = None,
        prefix: str = "/",
        extra_args: tuple[str, ...] = (),
    ) -> None:
        cache_dir = cache_dir or Path(tempfile.mkdtemp(prefix="projector-cache-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{prefix}"
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "app.py"),
                "--logdir",
                str(logdir),
                "--port",
                str(self.port),
                "--cache-dir",
                str(cache_dir),
                "--url-prefix",
                prefix,
                *(() if "--warm-up" in extra_args else ("--warm-up", "data")),  # UMAP compiles only where tested
                *extra_args,
            ],
            cwd=ROOT,
            env={"NUMBA_CACHE_DIR": str(ARTIFACTS / "numba-cache"), **os.environ},  # compiled once per suite
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
def app_url(clustered_logdir, artifacts):
    running = RunningApp(clustered_logdir[0], artifacts / "app-clustered.log")
    yield running.url
    running.stop()


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
