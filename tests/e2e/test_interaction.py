"""Each interaction reaches the scatter as exactly one restyle (in 3D, written into the drawn points);
Enter searches at once."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageChops

from projector import scatter
from projector.colors import encode_column, uniform_encoding
from projector.figures import near_levels, point_style
from projector.view import View
from tests.e2e.launch import ROOT
from tests.e2e.pages import (
    CLICK,
    COUNT_UPDATES,
    GRAPH,
    ONE_WRITE,
    RESET,
    UPDATES,
    choose,
    marker_sizes,
    open_app,
    settle,
    wait_text,
)

pytestmark = pytest.mark.e2e


def test_search_click_clear_and_recolour_are_one_update_each(page, app_url, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    open_app(page, app_url, len(vectors))
    settle(page)
    page.evaluate(COUNT_UPDATES, GRAPH)

    page.fill("#search-input", "cat")
    page.press("#search-input", "Enter")
    expected = [i for i, r in enumerate(rows) if "cat" in r[0]]
    wait_text(page, "#search-status", f"^{len(expected)} matches$")
    settle(page)
    assert page.evaluate(UPDATES) == ONE_WRITE
    sizes = marker_sizes(page)
    assert [i for i, s in enumerate(sizes) if s > min(sizes)] == expected
    assert page.inner_text("#selection-count") == f"{len(expected)} selected"
    page.screenshot(path=str(artifacts / "interaction-search.png"))

    page.evaluate(RESET)
    page.evaluate(CLICK, [GRAPH, 5])
    wait_text(page, "#selection-count", "^101 selected$")  # the point and its 100 neighbours (the default)
    settle(page)
    assert page.evaluate(UPDATES) == ONE_WRITE
    assert page.locator("#neighbors-list > li").count() == 100
    assert page.input_value("#search-input") == ""

    page.evaluate(RESET)
    page.fill("#neighbors-k", "20")
    page.press("#neighbors-k", "Enter")
    wait_text(page, "#selection-count", "^21 selected$")
    settle(page)
    assert page.evaluate(UPDATES) == ONE_WRITE

    page.evaluate(RESET)
    page.click("#clear-selection")
    wait_text(page, "#selection-count", "^0 selected$")
    settle(page)
    assert page.evaluate(UPDATES) == ONE_WRITE
    assert len(set(marker_sizes(page))) == 1

    page.evaluate(RESET)
    page.click("#color-by")
    page.get_by_role("option", name="word", exact=False).first.click()
    page.wait_for_function("() => document.querySelector('#color-legend').innerText.includes('word')")
    settle(page)
    assert page.evaluate(UPDATES) == ONE_WRITE
    colors = page.evaluate(f"() => Array.from(document.querySelector('{GRAPH}')._fullData[0].marker.color)")
    assert len(set(colors)) == len({r[0] for r in rows})


def test_enter_searches_at_once_and_typing_after_a_pause(page, app_url, clustered_logdir):
    _, vectors, _ = clustered_logdir
    open_app(page, app_url, len(vectors))
    page.evaluate("""() => {
        window.__sent = [];
        const original = window.fetch;
        window.fetch = function (url, options) {
            if (options && typeof options.body === "string" && options.body.includes('"search-query.data"')
                    && options.body.includes('"output":"..selection-store.data')) {
                window.__sent.push(performance.now());
            }
            return original.apply(this, arguments);
        };
        document.querySelector("#search-input").addEventListener("keydown", (e) => {
            if (e.key === "Enter") { window.__enter = performance.now(); }
        });
    }""")
    page.type("#search-input", "dog", delay=20)
    page.press("#search-input", "Enter")
    wait_text(page, "#search-status", r"^\d+ matches$")
    page.wait_for_timeout(800)  # the pause after typing ends: the same text is not searched twice
    sent, enter = page.evaluate("() => [window.__sent, window.__enter]")
    assert len(sent) == 1 and sent[0] - enter < 150  # the pause after typing is 300 ms

    page.evaluate("() => { window.__sent = []; }")
    page.type("#search-input", "_1", delay=20)
    page.wait_for_timeout(100)
    assert page.evaluate("() => window.__sent.length") == 0  # still typing
    wait_text(page, "#search-status", r"^\d+ matches$")
    page.wait_for_function("() => window.__sent.length === 1")


@pytest.mark.parametrize("dimension", [2, 3])
def test_browser_and_server_style_points_alike(browser, dimension):
    rng = np.random.default_rng(dimension)
    page = browser.new_page()
    try:
        page.set_content("<html><body></body></html>")
        page.add_script_tag(path=str(ROOT / "assets" / "00_core.js"))
        page.add_script_tag(path=str(ROOT / "assets" / "restyle.js"))
        view = View("r::t")
        many = encode_column(pd.Series([f"w{i}" for i in range(300)]))  # 303 colours: codes past 255
        for encoding in (uniform_encoding(300), encode_column(pd.Series(rng.choice(list("abcde"), 300))), many):
            for count in (0, 1, 40):
                rows = rng.choice(300, size=count, replace=False)
                anchor = int(rows[0]) if count else None
                near = rows[1:]  # the clicked point's neighbours, nearest first, at distances coloured by level
                levels = near_levels(np.sort(rng.random(near.size))[::-1])
                highlight = scatter.highlight_for(view, rows, anchor, near_rows=near, near_levels=levels)
                style = scatter.style_payload(view, encoding, "c")
                payload = scatter.highlight_payload(view, highlight)
                got = page.evaluate(
                    """([style, hl, dimension]) => {
                    const s = window.projectorCore;
                    const codes = s.decode(style.codes);
                    const out = window.projectorRestyle.pointStyle(style, codes, s.decode(hl.positions), hl.anchor,
                        dimension, s.decode(hl.near), s.decode(hl.levels));
                    return [Array.from(out.color), Array.from(out.size)];
                }""",
                    [style, payload, dimension],
                )
                want = point_style(
                    encoding, highlight.positions, highlight.anchor, dimension, highlight.near, highlight.levels
                )
                assert got[0] == want.codes.tolist()
                assert got[1] == want.sizes.tolist()
    finally:
        page.close()


def test_a_search_typed_while_the_page_opens_is_kept(page, app_url, clustered_logdir):
    """The page's first selection request answered after the user searched (a busy server) leaves the search."""
    import json

    _, vectors, rows = clustered_logdir
    held = []

    def hold_first_selection(route, request):
        body = json.loads(request.post_data or "{}")
        first = "selection-store" in body.get("output", "") and "view-store.data" in body.get("changedPropIds", [])
        if first and not held:
            held.append(route)  # answered below, once the user has searched
        else:
            route.continue_()

    page.route(lambda url: "_dash-update-component" in url, hold_first_selection)
    open_app(page, app_url, len(vectors))
    for _ in range(200):  # the request may leave just after the points are drawn (a prefilled first view)
        if held:
            break
        page.wait_for_timeout(50)  # (Playwright runs the route handler while the test waits)
    assert held, "the page's first selection request was not seen"
    page.fill("#search-input", "cat")
    page.press("#search-input", "Enter")
    page.wait_for_timeout(300)
    held[0].continue_()  # the late answer arrives after the search was asked for
    expected = [i for i, r in enumerate(rows) if "cat" in r[0]]
    wait_text(page, "#search-status", f"^{len(expected)} matches$")
    settle(page)
    assert page.input_value("#search-input") == "cat"
    assert page.inner_text("#search-status") == f"{len(expected)} matches"
    sizes = marker_sizes(page)
    assert [i for i, s in enumerate(sizes) if s > min(sizes)] == expected


# The scatter's colours, sizes and texts as plotly.js holds them, and the same trace rebuilt by a full restyle.
MARKER_STATE = """(sel) => { const f = document.querySelector(sel)._fullData[0]; const m = f.marker;
    return {color: Array.from(m.color), size: Array.from(m.size), colorscale: m.colorscale, cmin: m.cmin,
            cmax: m.cmax, hovertext: Array.from(f.hovertext || [])}; }"""
REBUILD = """async (sel) => { const gd = document.querySelector(sel); const m = gd.data[0].marker;
    await Plotly.restyle(gd, {"marker.color": [m.color.slice()], "marker.size": [m.size.slice()],
        "marker.colorscale": [JSON.parse(JSON.stringify(m.colorscale))]}, [0]);
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))); }"""
# Scene renders since the last RESET_RENDERS: gl-plot3d calls its onrender once per frame it draws.
COUNT_RENDERS = """(sel) => { const glplot = document.querySelector(sel)._fullLayout.scene._scene.glplot;
    window.__renders = 0;
    if (!glplot.__counted) { const render = glplot.onrender;
        glplot.onrender = function () { window.__renders += 1; return render.apply(this, arguments); };
        glplot.__counted = true; } }"""
HOVER_LABEL = """() => { const g = document.querySelector('#scatter .hovertext');
    return g ? [g.textContent, g.querySelector('path').style.fill] : null; }"""


def plot_pixels(page) -> Image.Image:
    """The 3D scene's own pixels (no overlay over it), drawn anew and read in the same task."""
    page.mouse.move(1, 1)
    page.wait_for_function("() => !document.querySelector('#scatter .hovertext')")
    url = page.evaluate(
        """(sel) => { const scene = document.querySelector(sel)._fullLayout.scene._scene;
        scene.glplot.redraw(); return scene.glplot.gl.canvas.toDataURL('image/png'); }""",
        GRAPH,
    )
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA")


def hover_label(page, position: int):
    x, y = page.evaluate(
        "([sel, p]) => window.projectorCore.pointPixel(document.querySelector(sel), p, "
        "window.projectorCore.drawn(document.querySelector(sel)).view)",
        [GRAPH, position],
    )
    page.mouse.move(x, y)
    page.wait_for_function(f"() => ({HOVER_LABEL})() !== null")
    return page.evaluate(HOVER_LABEL)


def assert_written_as_rebuilt(page, artifacts, name: str, hover: int | None = None) -> None:
    """The last interaction was written into the drawn 3D points, and a full restyle of the very same trace
    draws the same pixels and leaves the same marker arrays (and hover label)."""
    settle(page)
    calls, redraws = page.evaluate(UPDATES)
    assert "points" in calls and "update" not in calls and redraws == 0, (name, calls, redraws)
    assert page.evaluate("() => window.__renders") == 1, name  # one frame for the change, no redraws after it
    written, written_pixels = page.evaluate(MARKER_STATE, GRAPH), plot_pixels(page)
    written_hover = hover_label(page, hover) if hover is not None else None
    written_pixels.save(artifacts / f"points3d-{name}.png")
    page.evaluate(REBUILD, GRAPH)
    rebuilt, rebuilt_pixels = page.evaluate(MARKER_STATE, GRAPH), plot_pixels(page)
    assert written == rebuilt, name
    rebuilt_pixels.save(artifacts / f"points3d-{name}-rebuilt.png")
    assert ImageChops.difference(written_pixels, rebuilt_pixels).getbbox() is None, name
    if hover is not None:
        assert hover_label(page, hover) == written_hover, name
    page.mouse.move(1, 1)
    page.wait_for_function("() => !document.querySelector('#scatter .hovertext')")
    page.evaluate(RESET)
    page.evaluate(COUNT_RENDERS, GRAPH)


def test_written_points_draw_what_a_full_restyle_draws(page, app_url, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    open_app(page, app_url, len(vectors))
    settle(page)
    page.evaluate(COUNT_UPDATES, GRAPH)
    page.evaluate(COUNT_RENDERS, GRAPH)
    cats = [i for i, r in enumerate(rows) if "cat" in r[0]]

    page.fill("#search-input", "cat")
    page.press("#search-input", "Enter")
    wait_text(page, "#search-status", f"^{len(cats)} matches$")
    assert_written_as_rebuilt(page, artifacts, "search", hover=cats[0])
    page.evaluate(CLICK, [GRAPH, 5])
    wait_text(page, "#selection-count", "^101 selected$")
    assert_written_as_rebuilt(page, artifacts, "click", hover=5)
    page.click("#clear-selection")
    wait_text(page, "#selection-count", "^0 selected$")
    assert_written_as_rebuilt(page, artifacts, "clear")
    choose(page, "color-by", "word")
    page.wait_for_function("() => document.querySelector('#color-legend').innerText.includes('word')")
    assert_written_as_rebuilt(page, artifacts, "colour")

    page.check("#night-mode input[type=checkbox]")
    page.wait_for_function("(sel) => document.querySelector(sel)._fullLayout.paper_bgcolor !== '#ffffff'", arg=GRAPH)
    settle(page)
    page.evaluate(RESET)
    page.evaluate(COUNT_RENDERS, GRAPH)
    page.fill("#search-input", "dog")
    page.press("#search-input", "Enter")
    wait_text(page, "#search-status", r"^\d+ matches$")
    assert_written_as_rebuilt(page, artifacts, "night-search")
    page.uncheck("#night-mode input[type=checkbox]")
    page.wait_for_function("(sel) => document.querySelector(sel)._fullLayout.paper_bgcolor === '#ffffff'", arg=GRAPH)

    # A search while t-SNE streams its frames (each frame restyles the points' places, from gd.data).
    page.click('#projection-tabs .tab:has-text("t-SNE")')
    page.click("#tsne-run")
    page.wait_for_function("() => /iteration (\\d+)/.test(document.querySelector('#tsne-status').innerText)")
    page.fill("#search-input", "cat")
    page.press("#search-input", "Enter")
    wait_text(page, "#tsne-status", "done", timeout=120_000)
    settle(page)
    assert page.evaluate("(sel) => document.querySelector(sel)._fullData[0].type", GRAPH) == "scatter3d"
    page.evaluate(RESET)
    page.evaluate(COUNT_RENDERS, GRAPH)
    page.evaluate(CLICK, [GRAPH, 7])
    wait_text(page, "#selection-count", r"^\d+ selected$")
    assert_written_as_rebuilt(page, artifacts, "tsne-click", hover=7)
