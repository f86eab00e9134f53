"""Reading the map: the density under the points of a 2D plot, and metadata charts that select by a brush or a
click and overlay the selection."""

from __future__ import annotations

import pytest

from tests.e2e.pages import open_app, settle, wait_text

pytestmark = pytest.mark.e2e

DENSITY = """() => { const gd = document.querySelector('#scatter .js-plotly-plot');
    const image = (gd.layout.images || []).find((i) => i.name === 'density');
    return image ? {layer: image.layer, x: image.x, y: image.y, sizex: image.sizex, sizey: image.sizey,
                    source: image.source.slice(0, 22), type: gd._fullData[0].type} : null; }"""
CHARTS = """() => Array.from(document.querySelectorAll('#metadata-charts .js-plotly-plot'))
    .map((gd) => ({title: gd._fullLayout.title.text, traces: gd._fullData.length,
                   selected: gd._fullData.length > 1 ? Array.from(gd._fullData[1].y).reduce((a, b) => a + b) : 0}))"""
# The histogram's bar for x0 laid out on the page: where a brush along it starts and ends.
BRUSH = """([title, lo, hi]) => {
    const gd = Array.from(document.querySelectorAll('#metadata-charts .js-plotly-plot'))
        .find((g) => g._fullLayout.title.text === title);
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
    const y = r.top + ya._offset + ya._length / 2;
    return [r.left + xa._offset + xa.l2p(lo), r.left + xa._offset + xa.l2p(hi), y]; }"""
BRUSHED = """(title) => { const gd = Array.from(document.querySelectorAll('#metadata-charts .js-plotly-plot'))
    .find((g) => g._fullLayout.title.text === title);
    const s = (gd.layout.selections || [])[0]; return s ? [Math.min(s.x0, s.x1), Math.max(s.x0, s.x1)] : null; }"""
CLICK_BAR = """([title, value]) => {
    const gd = Array.from(document.querySelectorAll('#metadata-charts .js-plotly-plot'))
        .find((g) => g._fullLayout.title.text === title);
    const t = gd._fullData[0]; const i = Array.from(t.x).indexOf(value);
    gd.emit('plotly_click', {points: [{curveNumber: 0, pointNumber: i, x: value, y: t.y[i], customdata: value}]}); }"""
MATCHED_ROWS = """() => Array.from(document.querySelectorAll('#match-list [data-row]'))
    .map((e) => Number(e.dataset.row))"""


def test_the_density_lies_under_the_points_in_2d_only(page, app_url, clustered_logdir, artifacts):
    _, vectors, _ = clustered_logdir
    open_app(page, app_url, len(vectors))
    settle(page)
    page.get_by_label("Density under the points (2D)").check()
    settle(page)
    assert page.evaluate(DENSITY) is None  # 3D: no density

    page.get_by_text("2D", exact=True).click()
    page.wait_for_function(f"() => !!({DENSITY})()")
    image = page.evaluate(DENSITY)
    assert image["layer"] == "below" and image["type"] == "scattergl"
    assert image["source"].startswith("data:image/png;base64")
    xy = page.evaluate(
        "() => { const t = document.querySelector('#scatter .js-plotly-plot')._fullData[0];"
        " return [Math.min(...t.x), Math.max(...t.x), Math.min(...t.y), Math.max(...t.y)]; }"
    )
    assert image["x"] <= xy[0] and xy[1] <= image["x"] + image["sizex"]
    assert image["y"] - image["sizey"] <= xy[2] and xy[3] <= image["y"]
    page.screenshot(path=str(artifacts / "e2e-density-2d.png"))

    # A search restyles the points; the density stays under them.
    page.fill("#search-input", "cat")
    page.press("#search-input", "Enter")
    wait_text(page, "#search-status", "matches")
    settle(page)
    assert page.evaluate(DENSITY) is not None

    page.get_by_label("Density under the points (2D)").uncheck()
    page.wait_for_function(f"() => !({DENSITY})()")


def test_charts_brush_and_click_select_and_overlay_the_selection(page, app_url, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    open_app(page, app_url, len(vectors))
    settle(page)
    assert page.evaluate(CHARTS) == []  # closed: nothing drawn
    page.get_by_label("Metadata charts").check()
    page.wait_for_function(f"() => ({CHARTS})().length === 2")
    assert [c["title"] for c in page.evaluate(CHARTS)] == ["group", "x0"]

    # Brush a range along the x0 histogram: exactly the rows in that range are selected.
    values = sorted(float(r[2]) for r in rows)
    start, end, y = page.evaluate(BRUSH, ["x0", values[100], values[130]])
    page.mouse.move(start, y)
    page.mouse.down()
    page.mouse.move((start + end) / 2, y, steps=4)
    page.mouse.move(end, y, steps=4)
    page.mouse.up()
    page.wait_for_function(f"(t) => !!({BRUSHED})(t)", arg="x0")
    lo, hi = page.evaluate(BRUSHED, "x0")
    inside = [i for i, r in enumerate(rows) if lo <= float(r[2]) <= hi]
    assert 10 <= len(inside) <= 100
    wait_text(page, "#selection-count", f"^{len(inside)} selected$")
    wait_text(page, "#search-status", rf"^{len(inside)} matches \(x0 ")
    assert sorted(page.evaluate(MATCHED_ROWS)) == inside
    page.wait_for_function(f"(n) => ({CHARTS})().every((c) => c.traces === 2 && c.selected === n)", arg=len(inside))
    page.screenshot(path=str(artifacts / "e2e-charts-brushed.png"))

    # Click a bar of the group chart: its rows, and every chart overlays them.
    page.evaluate(CLICK_BAR, ["group", "green"])
    green = [i for i, r in enumerate(rows) if r[1] == "green"]
    wait_text(page, "#selection-count", f"^{len(green)} selected$")
    assert sorted(page.evaluate(MATCHED_ROWS)) == green
    page.wait_for_function(f"(n) => ({CHARTS})().every((c) => c.selected === n)", arg=len(green))
    page.screenshot(path=str(artifacts / "e2e-charts-clicked.png"))
