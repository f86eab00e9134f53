"""The custom projection as TensorBoard's how-to uses it: axes from searches in the whole dataset, each search
with its own regex switch and its own count, also while only some points are shown."""

from __future__ import annotations

import pytest

from tests.e2e.pages import GRAPH, choose, open_app, wait_points, wait_text

pytestmark = pytest.mark.e2e


def test_custom_axes_come_from_every_point_while_some_are_isolated(page, app_url, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    open_app(page, app_url, len(vectors))
    page.fill("#search-input", "cat")
    page.press("#search-input", "Enter")
    cats = sum("cat" in r[0] for r in rows)
    wait_text(page, "#search-status", f"^{cats} matches$")
    page.click("#isolate-selection")
    wait_points(page, cats)
    page.click('#projection-tabs .tab:has-text("Custom")')
    page.fill("#custom-left", "^dog")
    page.check("#custom-left-regex input")
    page.press("#custom-left", "Enter")
    page.fill("#custom-right", "horse")
    page.press("#custom-right", "Enter")
    dogs, horses = sum(r[0].startswith("dog") for r in rows), sum("horse" in r[0] for r in rows)
    wait_text(page, "#custom-left-matches", f"^{dogs} matches$")
    wait_text(page, "#custom-right-matches", f"^{horses} matches$")
    page.wait_for_function(
        "(sel) => { const x = document.querySelector(sel)._fullLayout.xaxis; "
        "return !!x && x.title.text === \"'^dog' ← → 'horse'\"; }",
        arg=GRAPH,
    )
    wait_points(page, cats)  # only the isolated points are drawn, on axes from every point
    assert "0 matches" not in page.inner_text("#custom-status")
    page.fill("#custom-right", "^horse")  # regex off on the right: '^' is a character to find
    page.press("#custom-right", "Enter")
    wait_text(page, "#custom-right-matches", "^0 matches$")
    wait_text(page, "#custom-status", "right search '\\^horse' matches 0 points")
    page.screenshot(path=str(artifacts / "e2e-custom-isolated.png"))


def test_numbers_coloured_by_category_on_request(page, app_url, clustered_logdir, artifacts):
    _, vectors, _ = clustered_logdir
    open_app(page, app_url, len(vectors))
    choose(page, "color-by", "x0 (numeric)")
    wait_text(page, "#color-legend", "gradient from low to high")
    page.check("#categorical-coloring input")
    wait_text(page, "#color-legend", r"x0: [\d,]+ colours")
    page.wait_for_function(
        "(sel) => new Set(Array.from(document.querySelector(sel)._fullData[0].marker.color)).size > 50", arg=GRAPH
    )
    page.screenshot(path=str(artifacts / "e2e-categorical-coloring.png"))
