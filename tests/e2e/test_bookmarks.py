"""Save a view, download it through the real button, reopen it in a fresh session; export CSV; URL state."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.e2e.test_explore import GRAPH, open_app, wait_points, wait_text

pytestmark = pytest.mark.e2e

PLOTTED = """(sel) => { const t = document.querySelector(sel)._fullData[0];
    return [Array.from(t.x), Array.from(t.y), t.z ? Array.from(t.z) : null]; }"""


def plotted(page) -> np.ndarray:
    x, y, z = page.evaluate(PLOTTED, GRAPH)
    return np.array([x, y] + ([z] if z else []), dtype=np.float32).T


def test_bookmark_round_trip_through_a_file(browser, app_url, clustered_logdir, artifacts, tmp_path):
    _, vectors, rows = clustered_logdir
    page = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True).new_page()
    page.set_default_timeout(30_000)
    open_app(page, app_url, len(vectors))
    page.fill("#search-input", "dog")
    page.press("#search-input", "Enter")
    expected = [i for i, r in enumerate(rows) if "dog" in r[0]]
    wait_text(page, "#selection-count", f"^{len(expected)} selected$")
    coords = plotted(page)
    page.click("#bookmark-save")
    page.wait_for_function("() => document.querySelectorAll('#bookmark-list input').length === 1")
    page.fill("#bookmark-list input", "dogs in PCA")
    page.press("#bookmark-list input", "Enter")
    page.wait_for_timeout(500)
    with page.expect_download() as info:
        page.click("#bookmark-download")
    path = tmp_path / "bookmarks.json"
    info.value.save_as(path)
    saved = json.loads(path.read_text())
    assert isinstance(saved, list) and len(saved) == 1
    state = saved[0]
    assert state["label"] == "dogs in PCA"
    assert state["selectedProjection"] == "pca"
    assert state["dataSetDimensions"] == [240, 16]
    assert sorted(state["selectedPoints"]) == expected
    file_coords = np.array([[p[f"pca-{k}"] for k in range(3)] for p in state["projections"]], dtype=np.float32)
    assert np.array_equal(file_coords, coords)
    page.screenshot(path=str(artifacts / "e2e-bookmark-saved.png"))
    page.context.close()

    # A fresh session: upload the file, open the bookmark, get the same coordinates and selection.
    fresh = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    fresh.set_default_timeout(30_000)
    open_app(fresh, app_url, len(vectors))
    fresh.get_by_text("2D", exact=True).click()
    fresh.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].type === 'scattergl'", arg=GRAPH)
    fresh.set_input_files("#bookmark-upload input[type=file]", str(path))
    fresh.wait_for_function("() => document.querySelectorAll('#bookmark-list input').length === 1")
    assert fresh.input_value("#bookmark-list input") == "dogs in PCA"
    fresh.click("#bookmark-list button")
    wait_text(fresh, "#selection-count", f"^{len(expected)} selected$")
    fresh.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].type === 'scatter3d'", arg=GRAPH)
    assert np.array_equal(plotted(fresh), coords)
    assert fresh.input_value("#search-input") == "dog"
    fresh.screenshot(path=str(artifacts / "e2e-bookmark-restored.png"))

    # A file for another dataset is refused with a message; the bookmark already loaded stays.
    state["dataSetDimensions"] = [100, 16]
    bad = tmp_path / "other.json"
    bad.write_text(json.dumps([state]))
    fresh.set_input_files("#bookmark-upload input[type=file]", str(bad))
    text = wait_text(fresh, "#error-banner", "100")
    assert "other.json" in text
    assert fresh.locator("#bookmark-list input").count() == 1
    fresh.context.close()


def test_export_csv_matches_the_plot(page, app_url, clustered_logdir, tmp_path):
    _, vectors, rows = clustered_logdir
    open_app(page, app_url, len(vectors))
    page.fill("#search-input", "horse")
    page.press("#search-input", "Enter")
    wait_text(page, "#search-status", "matches")
    coords = plotted(page)
    with page.expect_download() as info:
        page.click("#export-csv")
    frame = pd.read_csv(info.value.path())
    assert frame["row"].tolist() == list(range(len(vectors)))
    axes = [c for c in frame.columns if c.startswith("Component")]
    assert len(axes) == 3
    assert np.array_equal(frame[axes].to_numpy(dtype=np.float32), coords)
    assert frame["word"].tolist() == [r[0] for r in rows]
    assert frame["selected"].tolist() == ["horse" in r[0] for r in rows]


def test_url_reopens_run_tensor_and_projection(page, app_url, clustered_logdir):
    _, vectors, _ = clustered_logdir
    open_app(page, app_url, len(vectors))
    page.click('#projection-tabs .tab:has-text("Custom")')
    page.wait_for_function("() => location.search.includes('projection=custom')")
    url = page.url
    assert "run=" in url and "tensor=" in url
    page.goto("about:blank")
    page.goto(url)
    wait_points(page, len(vectors))
    page.wait_for_function(
        "() => document.querySelector('#projection-tabs .tab--selected').innerText.includes('Custom')"
    )
