"""Images as points: in 2D each point of a tensor with a sprite is drawn as its thumbnail, following zoom and
pan; in 3D the clicked point's and its neighbours' images show beside the plot; the switch turns them off."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.e2e.pages import CLICK, GRAPH, open_app, point_pixel, settle

pytestmark = pytest.mark.e2e

LAYER = """(sel) => { const gd = document.querySelector(sel);
    const images = (gd.layout.images || []).filter((i) => i.name === 'points');
    return images.length ? {x: images[0].x, y: images[0].y, sizex: images[0].sizex, sizey: images[0].sizey,
        source: images[0].source.slice(0, 22)} : null; }"""
SOURCE = """(sel) => (document.querySelector(sel).layout.images || []).find((i) => i.name === 'points').source"""
RANGES = """(sel) => { const l = document.querySelector(sel)._fullLayout;
    return [l.xaxis.range.slice(), l.yaxis.range.slice()]; }"""


def wait_layer(page, present: bool = True) -> dict | None:
    page.wait_for_function(f"(sel) => (({LAYER})(sel) !== null) === {str(present).lower()}", arg=GRAPH)
    return page.evaluate(LAYER, GRAPH)


def screenshot(page) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(int)


def contrast(shot: np.ndarray, at) -> float:
    """How much the 9 × 9 px around ``at`` vary (a thumbnail of random greys: much; a faint one: little)."""
    x, y = round(at[0]), round(at[1])
    return float(shot[y - 4 : y + 5, x - 4 : x + 5].std())


def thumbnail_shown(shot: np.ndarray, at: tuple[float, float]) -> bool:
    """Whether the 9 × 9 px around ``at`` hold a thumbnail's grey pixels (the test sprite is random greys)."""
    x, y = round(at[0]), round(at[1])
    patch = shot[y - 4 : y + 5, x - 4 : x + 5]
    grey = (np.ptp(patch, axis=2) <= 6).all()
    return bool(grey and patch.std() > 20)  # greys of many shades: not one marker colour, not the paper


def test_points_are_drawn_as_their_images_in_2d(page, app_url, clustered_logdir, artifacts):
    _, vectors, _ = clustered_logdir
    open_app(page, app_url, len(vectors))
    settle(page)
    assert page.is_visible("#images-toggle")  # the tensor has a sprite
    assert page.evaluate(LAYER, GRAPH) is None  # 3D: no image layer

    page.get_by_text("2D", exact=True).click()
    page.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].type === 'scattergl'", arg=GRAPH)
    layer = wait_layer(page)
    (x0, x1), (y0, y1) = page.evaluate(RANGES, GRAPH)
    assert layer["source"].startswith("data:image/png;base64")
    assert layer["x"] == pytest.approx(x0) and layer["y"] == pytest.approx(y1)
    assert layer["sizex"] == pytest.approx(x1 - x0) and layer["sizey"] == pytest.approx(y1 - y0)
    page.wait_for_timeout(300)
    shot = screenshot(page)
    shown = [thumbnail_shown(shot, point_pixel(page, i)) for i in range(0, 240, 12)]
    assert sum(shown) >= 15, shown  # nearly every point (a few hide under a neighbour's image)
    page.screenshot(path=str(artifacts / "e2e-images-2d.png"))

    # The picture lies over the points without taking their hover.
    x, y = point_pixel(page, 0)
    page.mouse.move(x, y)
    page.wait_for_function("() => !!document.querySelector('#scatter .hoverlayer .hovertext')")

    # A search lights its matches' images; the others are faint, as their markers are dimmed.
    rows = clustered_logdir[2]
    before = page.evaluate(SOURCE, GRAPH)
    with page.expect_request(
        lambda r: r.url.endswith("_projector/image-layer") and bool(r.post_data_json["lit"])
    ) as asked:
        page.fill("#search-input", "cat")
        page.press("#search-input", "Enter")
    body = asked.value.post_data_json
    assert len(body["lit"]) == len(body["rows"]) >= 200
    assert {r for r, on in zip(body["rows"], body["lit"]) if on} == {i for i, r in enumerate(rows) if "cat" in r[0]}
    page.wait_for_function(f"([sel, s]) => ({SOURCE})(sel) !== s", arg=[GRAPH, before])
    page.wait_for_timeout(300)
    shot = screenshot(page)
    page.screenshot(path=str(artifacts / "e2e-images-2d-search.png"))
    at = {i: np.array(point_pixel(page, i)) for i in range(len(rows))}
    cats = [i for i, r in enumerate(rows) if "cat" in r[0]]
    alone = [i for i in at if i not in cats and min(np.abs(at[i] - at[c]).max() for c in cats) > 16]
    lit_contrast = np.median([contrast(shot, at[i]) for i in cats])
    faint_contrast = np.median([contrast(shot, at[i]) for i in alone])
    assert alone and lit_contrast > 1.5 * faint_contrast, (lit_contrast, faint_contrast)
    with page.expect_request(lambda r: r.url.endswith("_projector/image-layer") and r.post_data_json["lit"] is None):
        page.click("#clear-selection")

    # Zooming in asks for the picture of what is now in view; it covers the new ranges.
    box = page.locator(GRAPH).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    page.wait_for_function(
        f"([sel, before]) => {{ const l = ({LAYER})(sel); return l && Math.abs(l.sizex - before) > 1e-6; }}",
        arg=[GRAPH, layer["sizex"]],
    )
    (x0, x1), _ = page.evaluate(RANGES, GRAPH)
    assert page.evaluate(LAYER, GRAPH)["sizex"] == pytest.approx(x1 - x0)

    # The switch turns them off, and on again.
    page.get_by_label("Images as points (2D)").uncheck()
    wait_layer(page, present=False)
    page.get_by_label("Images as points (2D)").check()
    wait_layer(page)

    # 3D draws no image layer: the clicked point's image and its nearest neighbours' show beside it instead.
    page.get_by_text("3D", exact=True).click()
    page.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].type === 'scatter3d'", arg=GRAPH)
    wait_layer(page, present=False)
    assert not page.is_visible(".images-strip")
    page.evaluate(CLICK, [GRAPH, 5])
    page.wait_for_selector(".images-strip img.anchor", state="visible")
    strip = page.eval_on_selector_all(".images-strip img", "(els) => els.map((e) => e.src)")
    neighbours = page.eval_on_selector_all("#neighbors-list > li img", "(els) => els.map((e) => e.src)")
    assert len(strip) == 16
    assert strip[0] == page.get_attribute("#point-details img.thumb.large", "src")
    assert strip[1:] == neighbours[:15]
    page.screenshot(path=str(artifacts / "e2e-images-3d.png"))
    page.click("#clear-selection")
    page.wait_for_selector(".images-strip", state="hidden")
