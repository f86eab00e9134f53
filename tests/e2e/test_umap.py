"""UMAP from the page on servers started with the shipped warm-up, which compiles UMAP's numba code in the
server process that every job is forked from: on the demo as the README starts it, and on a logdir; two
runs in a row, 2D and 3D, before and after a t-SNE run."""

from __future__ import annotations

import pytest

from tests.e2e.pages import GRAPH, open_app, wait_points, wait_text

pytestmark = pytest.mark.e2e
COMPILED = "Warm-up: UMAP compiled"
DEMO_POINTS = 1797


def projection_tab(page, name: str, dimension: str) -> None:
    page.click(f'#projection-tabs .tab:has-text("{name}")')
    page.get_by_text(dimension, exact=True).click()


def run_to_the_end(page, method: str, timeout_s: float = 120) -> str:
    """Press the method's Run; its final status (a failure shows the banner's text)."""
    page.click(f"#{method}-run")
    status = wait_text(page, f"#{method}-status", "done|failed|lost|stopped", timeout=timeout_s * 1000)
    assert status.startswith(("done", "iteration")) and "done" in status, (status, page.inner_text("#error-banner"))
    return status


def wait_plotted(page, kind: str, n: int, title: str) -> None:
    page.wait_for_function(
        """([sel, kind, n, title]) => { const gd = document.querySelector(sel); const d = gd && gd._fullData;
            if (!d || !d.length || d[0].type !== kind || !d[0].x || d[0].x.length !== n) return false;
            const axis = gd._fullLayout.scene ? gd._fullLayout.scene.xaxis : gd._fullLayout.xaxis;
            return axis.title.text === title; }""",
        arg=[GRAPH, kind, n, title],
    )


def test_umap_and_tsne_on_the_demo_as_the_readme_starts_it(browser, running_app, artifacts, tmp_path):
    running = running_app(None, "app-readme-start.log", home=tmp_path, private=True)  # no logdir, no cache flags
    try:
        running.wait_log(COMPILED, timeout=300)
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.set_default_timeout(30_000)
        open_app(page, running.url, DEMO_POINTS)

        projection_tab(page, "UMAP", "2D")
        run_to_the_end(page, "umap")  # how soon: bench/bench_umap.py
        wait_plotted(page, "scattergl", DEMO_POINTS, "UMAP 1")
        page.screenshot(path=str(artifacts / "e2e-umap-demo-2d.png"))

        projection_tab(page, "t-SNE", "2D")
        page.fill("#tsne-iterations", "300")
        page.press("#tsne-iterations", "Enter")
        run_to_the_end(page, "tsne")
        wait_plotted(page, "scattergl", DEMO_POINTS, "t-SNE 1")

        projection_tab(page, "UMAP", "3D")
        status = run_to_the_end(page, "umap")
        assert status == "done"
        wait_plotted(page, "scatter3d", DEMO_POINTS, "UMAP 1")

        page.fill("#umap-neighbors", "8")
        page.press("#umap-neighbors", "Enter")
        status = run_to_the_end(page, "umap")
        assert status == "done"  # computed again in a new job, not served from the cache
        wait_plotted(page, "scatter3d", DEMO_POINTS, "UMAP 1")
        page.screenshot(path=str(artifacts / "e2e-umap-demo-3d.png"))
        assert "fork()" not in running.log_path.read_text()
        page.context.close()
    finally:
        running.stop()


def test_umap_twice_on_a_logdir_after_the_warm_up(page, clustered_app, clustered_logdir, artifacts):
    n = len(clustered_logdir[1])
    clustered_app.wait_log(COMPILED, timeout=300)
    open_app(page, clustered_app.url, n)
    projection_tab(page, "UMAP", "2D")
    for neighbours in ("15", "6"):
        page.fill("#umap-neighbors", neighbours)
        page.press("#umap-neighbors", "Enter")
        status = run_to_the_end(page, "umap")
        assert status == "done"
        wait_plotted(page, "scattergl", n, "UMAP 1")
    wait_points(page, n)
    page.screenshot(path=str(artifacts / "e2e-umap-logdir.png"))
