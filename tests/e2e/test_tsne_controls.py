"""t-SNE as TensorBoard has it: supervision by a metadata column, Resume after Stop, Perturb, open runs."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from tests.e2e.pages import GRAPH, plotted, wait_points, wait_text
from tests.logdirs import write_tf2_logdir

pytestmark = pytest.mark.e2e

N = 300
ITERATION = (
    "() => { const m = /iteration (\\d+)/.exec(document.querySelector('#tsne-status').innerText); return m && +m[1]; }"
)


@pytest.fixture(scope="module")
def classes() -> np.ndarray:
    return np.arange(N) % 2


@pytest.fixture(scope="module")
def controls_app(running_app, tmp_path_factory, classes):
    """Two classes that overlap in the input (means 0.6 standard deviations apart in one of 10 dimensions)."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(N, 10)).astype(np.float32)
    vectors[:, 0] += 0.6 * classes
    rows = [[f"w{i}", f"class-{c}"] for i, c in enumerate(classes)]
    root = tmp_path_factory.mktemp("tsne-controls") / "logdir"
    write_tf2_logdir(root, vectors, metadata_rows=rows, header=["word", "kind"])
    cache = tmp_path_factory.mktemp("cache")
    return running_app(root, "app-tsne-controls.log", cache_dir=cache, warm_up="data").url


def iteration(page) -> int | None:
    return page.evaluate(ITERATION)


def open_tsne(page, url: str, iterations: str) -> None:
    page.goto(url)
    wait_points(page, N)
    page.click('#projection-tabs .tab:has-text("t-SNE")')
    page.get_by_text("2D", exact=True).click()
    page.fill("#tsne-iterations", iterations)
    page.press("#tsne-iterations", "Enter")


def knn_purity(points: np.ndarray, classes: np.ndarray, k: int = 10) -> float:
    distances = ((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(distances, np.inf)
    near = np.argsort(distances, axis=1)[:, :k]
    return float((classes[near] == classes[:, None]).mean())


def test_supervised_run_separates_the_labelled_classes(page, controls_app, classes, artifacts):
    open_tsne(page, controls_app, "300")
    page.click("#tsne-supervise-column")
    page.get_by_role("option", name="kind", exact=True).click()
    page.focus(f"#{'tsne-supervise-weight'} [role=slider]")
    page.keyboard.press("End")  # 100 %
    page.click("#tsne-run")
    wait_text(page, "#tsne-status", "iteration 300 of 300: done", timeout=120_000)
    wait_points(page, N)
    page.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].type === 'scattergl'", arg=GRAPH)
    assert knn_purity(plotted(page), classes) > 0.9  # unsupervised: about 0.55
    page.locator("#tsne-controls").screenshot(path=str(artifacts / "e2e-tsne-controls.png"))


def test_stop_then_resume_counts_on_and_perturb(page, controls_app):
    open_tsne(page, controls_app, "")  # empty: until stopped
    assert page.is_disabled("#tsne-resume") and page.is_disabled("#tsne-perturb")
    page.click("#tsne-run")
    wait_text(page, "#tsne-status", r"iteration \d+ \(until Stop\)", timeout=120_000)
    page.wait_for_function(f"() => ({ITERATION})() >= 100", timeout=60_000)
    page.click("#tsne-perturb")  # the running job takes it
    wait_text(page, "#tsne-status", "perturbing|iteration")
    page.click("#tsne-stop")
    stopped = wait_text(page, "#tsne-status", ": stopped$", timeout=30_000)
    stopped_at = int(re.search(r"iteration (\d+)", stopped).group(1))
    page.wait_for_function("() => !document.querySelector('#tsne-resume').disabled", timeout=30_000)
    assert page.is_enabled("#tsne-perturb")
    page.click("#tsne-resume")
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (seen and seen[-1] > stopped_at + 50):
        seen.append(iteration(page) or 0)
        time.sleep(0.1)
    streamed = [i for i in seen if i not in (0, stopped_at)]  # 0: a line without an iteration
    assert streamed and all(i > stopped_at for i in streamed), seen  # counting on, never from 25 again
    page.click("#tsne-stop")
    again = wait_text(page, "#tsne-status", ": stopped$", timeout=30_000)
    resumed_at = int(re.search(r"iteration (\d+)", again).group(1))
    assert resumed_at > stopped_at
    page.wait_for_function("() => !document.querySelector('#tsne-perturb').disabled", timeout=30_000)
    before = plotted(page)
    page.click("#tsne-perturb")  # stopped: a run from the perturbed layout
    page.wait_for_function(f"() => ({ITERATION})() > {resumed_at}", timeout=60_000)
    page.click("#tsne-stop")
    wait_text(page, "#tsne-status", ": stopped$", timeout=30_000)
    assert not np.array_equal(plotted(page), before)
    assert page.is_enabled("#tsne-run")


def test_a_finished_run_goes_on_when_more_iterations_are_asked(page, controls_app):
    open_tsne(page, controls_app, "100")
    page.click("#tsne-run")
    wait_text(page, "#tsne-status", "iteration 100 of 100: done", timeout=120_000)
    time.sleep(1)
    assert page.is_disabled("#tsne-resume")  # nothing left to run at this setting
    page.fill("#tsne-iterations", "300")
    page.press("#tsne-iterations", "Enter")
    page.wait_for_function("() => !document.querySelector('#tsne-resume').disabled", timeout=30_000)
    page.click("#tsne-resume")
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (seen and seen[-1] == 300):
        seen.append(iteration(page) or 0)
        time.sleep(0.1)
    wait_text(page, "#tsne-status", "iteration 300 of 300: done", timeout=60_000)
    streamed = [i for i in seen if i not in (0, 100)]
    assert streamed and all(i > 100 for i in streamed), seen  # from where the finished run ended
    wait_points(page, N)
