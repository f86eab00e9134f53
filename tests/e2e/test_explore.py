"""A user opens a TF-written logdir, searches, clicks a point, reads its neighbours and isolates."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.e2e.pages import GRAPH, marker_sizes, open_app, plotted, point_pixel, wait_points, wait_text

pytestmark = pytest.mark.e2e


def test_plot_holds_every_point_and_search_counts(page, app_url, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    open_app(page, app_url, len(vectors))
    page.screenshot(path=str(artifacts / "e2e-opened-3d.png"))
    page.fill("#search-input", "cat")
    page.press("#search-input", "Enter")
    expected = sum("cat" in r[0] for r in rows)
    assert wait_text(page, "#search-status", r"\d+ matches") == f"{expected} matches"
    wait_text(page, "#selection-count", f"^{expected} selected$")
    sizes = marker_sizes(page)
    big = [i for i, s in enumerate(sizes) if s > min(sizes)]
    assert big == [i for i, r in enumerate(rows) if "cat" in r[0]]
    page.screenshot(path=str(artifacts / "e2e-search.png"))

    page.click("#search-regex")
    page.fill("#search-input", "^(cat|dog)_1\\d$")
    page.press("#search-input", "Enter")
    expected = sum(bool(re.search(r"^(cat|dog)_1\d$", r[0])) for r in rows)
    assert wait_text(page, "#search-status", f"^{expected} matches$") == f"{expected} matches"


def test_click_lists_neighbours_then_isolate(page, app_url, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    open_app(page, app_url, len(vectors))
    page.get_by_text("2D", exact=True).click()
    page.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].type === 'scattergl'", arg=GRAPH)
    page.fill("#neighbors-k", "7")
    page.press("#neighbors-k", "Enter")
    page.get_by_text("euclidean", exact=True).click()
    # Click an outlying point so nothing else sits under the cursor.
    xy = plotted(page)
    spread = np.linalg.norm(xy[:, None] - xy[None], axis=2) + np.eye(len(xy)) * 1e9
    target = int(np.argmax(spread.min(axis=1)))
    x, y = point_pixel(page, target)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    page.wait_for_function("() => document.querySelectorAll('#neighbors-list li').length === 7")
    items = page.locator("#neighbors-list li").all_inner_texts()
    distances = [float(t.split()[-1]) for t in items]
    assert distances == sorted(distances)
    truth = np.linalg.norm(vectors - vectors[target], axis=1)
    truth[target] = np.inf
    expected = np.argsort(truth, kind="stable")[:7]
    assert [t.split()[0] for t in items] == [rows[i][0] for i in expected]
    assert np.allclose(distances, truth[expected], rtol=1e-3)
    wait_text(page, "#selection-count", "^8 selected$")
    assert rows[target][0] in page.inner_text("#point-details")
    page.screenshot(path=str(artifacts / "e2e-neighbours.png"))

    page.click("#isolate-selection")
    wait_points(page, 8)
    assert page.inner_text("#point-count") == "8 points"
    page.screenshot(path=str(artifacts / "e2e-isolated.png"))
    page.click("#show-all")
    wait_points(page, len(vectors))


def test_box_drag_and_sphere_click_select_points(page, app_url, clustered_logdir, artifacts):
    _, vectors, _ = clustered_logdir
    open_app(page, app_url, len(vectors))
    page.get_by_text("2D", exact=True).click()
    page.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].type === 'scattergl'", arg=GRAPH)
    xy = plotted(page)
    # Box-select the cluster with the largest x: drag from just left of it to past the top right.
    right = xy[:, 0] > np.median(xy[:, 0]) + (xy[:, 0].max() - np.median(xy[:, 0])) / 2
    lo, hi = xy[right].min(axis=0), xy[right].max(axis=0)
    pad = (hi - lo) * 0.05
    page.locator('[data-title="Box Select"]').first.click()
    x0, y0 = page.evaluate(
        """([sel, x, y]) => { const gd = document.querySelector(sel); const r = gd.getBoundingClientRect();
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [r.left + xa._offset + xa.l2p(x), r.top + ya._offset + ya.l2p(y)]; }""",
        [GRAPH, float(lo[0] - pad[0]), float(lo[1] - pad[1])],
    )
    x1, y1 = page.evaluate(
        """([sel, x, y]) => { const gd = document.querySelector(sel); const r = gd.getBoundingClientRect();
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [r.left + xa._offset + xa.l2p(x), r.top + ya._offset + ya.l2p(y)]; }""",
        [GRAPH, float(hi[0] + pad[0]), float(hi[1] + pad[1])],
    )
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    page.mouse.up()
    inside = np.all((xy >= lo - pad) & (xy <= hi + pad), axis=1)
    assert inside.sum() >= right.sum() > 0
    wait_text(page, "#selection-count", f"^{int(inside.sum())} selected$")
    page.screenshot(path=str(artifacts / "e2e-box-select.png"))

    page.click("#clear-selection")
    wait_text(page, "#selection-count", "^0 selected$")
    page.locator('[data-title="Pan"]').first.click()
    page.get_by_text("selects a sphere around it").click()
    target = int(np.argmin(xy[:, 1]))
    radius = float(np.sort(np.linalg.norm(xy - xy[target], axis=1))[5]) * 1.001
    page.fill("#sphere-radius", f"{radius:.6f}")
    page.press("#sphere-radius", "Enter")
    x, y = point_pixel(page, target)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    inside = int((np.linalg.norm(xy - xy[target], axis=1) <= float(f"{radius:.6f}")).sum())
    wait_text(page, "#selection-count", f"^{inside} selected$")
    page.screenshot(path=str(artifacts / "e2e-sphere.png"))
