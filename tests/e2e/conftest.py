"""Start the real app on a free loopback port and drive it in Debian's headless Chromium.

A module gets its server from the ``running_app`` factory (how: tests/e2e/launch.py); page helpers are in
tests/e2e/pages.py.
"""

from __future__ import annotations

import collections
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.launch import ROOT, App, fresh_home_env, launch_chromium
from tests.logdirs import write_tf2_logdir

ARTIFACTS = ROOT / "artifacts"
ANIMALS = ["cat", "dog", "horse", "cow", "sheep", "goat"]
COLORS = ["red", "green", "blue"]


class RunningApp(App):
    """``python app.py`` in a subprocess, as the tests start it.

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
        args = ["--warm-up", warm_up, *extra_args]
        if home is None:
            args += ["--cache-dir", str(cache_dir or Path(tempfile.mkdtemp(prefix="projector-cache-")))]
            env = {"NUMBA_CACHE_DIR": str(ARTIFACTS / "numba-cache"), **os.environ}  # compiled once per suite
        else:
            env = fresh_home_env(home)
        super().__init__(log_path, logdir, args, prefix=prefix, env=env, timeout_s=60)

    def wait_log(self, text: str, timeout: float = 180) -> str:
        """The server's log once it holds ``text``; fails on a timeout or when the app exits first."""
        deadline = time.monotonic() + timeout
        while text not in self.log_path.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in the server's log ({self.log_path})")
            time.sleep(0.3)
        return self.log_path.read_text()

    def stop(self) -> None:
        """The app alone: its jobs must end by its own doing (test_jobs checks that they do)."""
        super().stop(children=False)


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
def running_app(artifacts):
    """A factory of servers for the session: ``running_app(logdir, "app-NAME.log", **RunningApp's options)``.

    Modules asking for the same logdir and options share one server, started by the first (whose log name it
    keeps), so they must not stop it. ``private=True`` starts one of its own, for a test that stops it, kills
    its jobs or counts what its log says, or a module that must stop it before what it depends on. The
    servers still running are stopped when the session ends.
    """
    shared: dict[tuple, RunningApp] = {}
    started: list[RunningApp] = []

    def start(
        logdir: Path | None,
        log_name: str,
        *,
        cache_dir: Path | None = None,
        prefix: str = "/",
        extra_args: tuple[str, ...] = (),
        warm_up: str = "all",
        home: Path | None = None,
        private: bool = False,
    ) -> RunningApp:
        key = (logdir, cache_dir, prefix, tuple(extra_args), warm_up, home)
        if not private and key in shared:
            return shared[key]
        app = RunningApp(logdir, artifacts / log_name, cache_dir, prefix, extra_args, warm_up, home)
        started.append(app)
        if not private:
            shared[key] = app
        return app

    yield start
    for app in started:
        app.stop()


@pytest.fixture(scope="session")
def clustered_app(running_app, clustered_logdir):
    """The app most tests share, on the clustered logdir with the shipped warm-up."""
    return running_app(clustered_logdir[0], "app-clustered.log")


@pytest.fixture(scope="session")
def app_url(clustered_app):
    return clustered_app.url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()


class PageTrace:
    """What a page asked its server and said in its console, for the report of a test that failed: a wait
    that timed out then says which callback never answered, or answered with an error."""

    def __init__(self, page) -> None:
        self.started = time.monotonic()
        self.pending: dict[object, tuple[float, str]] = {}
        self.answered: collections.deque[str] = collections.deque(maxlen=12)
        self.console: collections.deque[str] = collections.deque(maxlen=12)
        page.on("request", self._sent)
        page.on("requestfinished", lambda r: self._ended(r, "answered"))
        page.on("requestfailed", lambda r: self._ended(r, "failed"))
        page.on("console", self._said)

    def _said(self, message) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text}")

    def _sent(self, request) -> None:
        if "_dash-update-component" in request.url:
            body = json.loads(request.post_data or "{}")
            self.pending[request] = (time.monotonic(), f"{body.get('output', '')[:70]} <- {body.get('changedPropIds')}")

    def _ended(self, request, how: str) -> None:
        sent = self.pending.pop(request, None)
        if sent is not None:
            response = request.response() if how == "answered" else None
            status = response.status if response is not None else request.failure
            self.answered.append(f"{sent[1]}: {how} {status} after {time.monotonic() - sent[0]:.2f} s")

    def report(self) -> str:
        now = time.monotonic()
        lines = [f"callbacks still waiting for an answer at {now - self.started:.1f} s:"]
        lines += [f"  {what} (sent {now - at:.1f} s ago)" for at, what in self.pending.values()] or ["  none"]
        lines += ["last answered:", *(f"  {line}" for line in self.answered)]
        return "\n".join([*lines, "console:", *(f"  {line}" for line in self.console)])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    trace = PageTrace(page)
    yield page
    if getattr(request.node, "failed_call", False):
        shot = ARTIFACTS / f"failed-{request.node.name[:80]}.png"
        page.screenshot(path=str(shot))
        print(f"{trace.report()}\nscreenshot: {shot}")
    context.close()
