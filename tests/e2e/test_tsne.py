"""t-SNE runs in a background job and the plot animates as it optimises; Stop freezes it."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.pages import FINGERPRINT, GRAPH, open_tsne, start_long_run, wait_points, wait_text
from tests.logdirs import blobs, write_tf2_logdir

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tsne_app(running_app, tmp_path_factory):
    root = tmp_path_factory.mktemp("tsne") / "logdir"
    write_tf2_logdir(root / "small", blobs(2000, 1), metadata_rows=[f"p{i}" for i in range(2000)])
    write_tf2_logdir(root / "large", blobs(8000, 2), metadata_rows=[f"q{i}" for i in range(8000)])
    return running_app(root, "app-tsne.log", cache_dir=tmp_path_factory.mktemp("cache"), warm_up="data").url


def iteration(text: str) -> int | None:
    match = re.search(r"iteration (\d+)", text)
    return int(match.group(1)) if match else None


def test_layout_streams_while_optimising(page, tsne_app, artifacts):
    open_tsne(page, tsne_app, "small", 2000)
    page.fill("#tsne-iterations", "500")
    page.press("#tsne-iterations", "Enter")
    page.click("#tsne-run")
    statuses, prints = [], []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status = page.inner_text("#tsne-status")
        if iteration(status) is not None and (not statuses or statuses[-1] != status):
            statuses.append(status)
            prints.append(page.evaluate(FINGERPRINT, GRAPH))
        if "done" in status:
            break
        time.sleep(0.2)
    assert "done" in statuses[-1], statuses
    running = [iteration(s) for s in statuses if "done" not in s]
    assert len(running) >= 2 and running == sorted(running), statuses
    during = {p for p, s in zip(prints, statuses) if "done" not in s and p.startswith("scattergl:2000:")}
    assert len(during) >= 3, (statuses, prints)  # coordinates changed at least twice before completion
    wait_points(page, 2000)
    wait_text(page, "#point-count", "^2,000 points$")
    page.screenshot(path=str(artifacts / "e2e-tsne-done.png"))


def test_stop_freezes_the_iteration(page, browser, tsne_app, artifacts):
    open_tsne(page, tsne_app, "large", 8000)
    start_long_run(page)
    # Another user's clicks are served while the job runs in its own process.
    other = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    other.goto(tsne_app)
    other.click("#run-select")
    other.get_by_role("option", name="large", exact=True).click()
    wait_points(other, 8000)
    started = time.monotonic()
    other.fill("#search-input", "q12")
    other.press("#search-input", "Enter")
    wait_text(other, "#search-status", "matches")
    assert time.monotonic() - started < 20  # a blocked server would answer only after the job (minutes)
    assert iteration(page.inner_text("#tsne-status")) is not None  # still running meanwhile
    other.context.close()
    page.click("#tsne-stop")
    text = wait_text(page, "#tsne-status", "stopped")
    stopped_at = iteration(text)
    assert stopped_at is not None and stopped_at < 5000
    frozen = page.evaluate(FINGERPRINT, GRAPH)
    time.sleep(3)
    assert iteration(page.inner_text("#tsne-status")) == stopped_at
    assert page.evaluate(FINGERPRINT, GRAPH) == frozen
    assert page.is_enabled("#tsne-run")
    page.screenshot(path=str(artifacts / "e2e-tsne-stopped.png"))


def test_changing_tensor_cancels_a_running_job(page, tsne_app):
    open_tsne(page, tsne_app, "large", 8000)
    start_long_run(page)
    page.click("#run-select")
    page.get_by_role("option", name="small", exact=True).click()
    wait_points(page, 2000)
    wait_text(page, "#tsne-status", "press Run")
    page.wait_for_function("() => !document.querySelector('#tsne-run').disabled")
    time.sleep(3)  # a job still running would keep sending frames and counting iterations
    assert "iteration" not in page.inner_text("#tsne-status")
    assert page.evaluate(FINGERPRINT, GRAPH).startswith("scattergl:2000:")
