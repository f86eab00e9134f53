"""Lists you can walk: a neighbour or a search match is clicked to select it (its neighbours are listed next) and
hovered to ring it on the plot; neighbours are coloured by distance; the isolate button counts what it isolates."""

from __future__ import annotations

import pytest

from projector.figures import NEAR_LEVELS
from tests.e2e.pages import (
    CLICK,
    COUNT_UPDATES,
    GRAPH,
    ONE_WRITE,
    RESET,
    UPDATES,
    cosine_order,
    open_app,
    point_pixel,
    settle,
    wait_text,
)

pytestmark = pytest.mark.e2e

COUNT_REQUESTS = """() => { window.__requests = 0; if (window.__fetchCounted) { return; }
    const original = window.fetch;
    window.fetch = function (...args) { window.__requests += 1; return original.apply(this, args); };
    window.__fetchCounted = true; }"""
MARKERS = """(sel) => { const m = document.querySelector(sel)._fullData[0].marker;
    return [Array.from(m.color), Array.from(m.size), m.cmin, m.cmax]; }"""
RING = """() => { const r = document.querySelector('.scatter-hover');
    if (!r || getComputedStyle(r).display === 'none') { return null; }
    const b = r.getBoundingClientRect();
    return [b.left + b.width / 2, b.top + b.height / 2, Number(r.dataset.position), r.innerText]; }"""


def entries(page, list_id: str) -> list[str]:
    return page.locator(f"#{list_id} > li").all_inner_texts()


def labels(page, list_id: str) -> list[str]:
    return page.eval_on_selector_all(f"#{list_id} > li", "(els) => els.map((e) => e.title)")


def test_walk_neighbours_and_matches(page, app_url, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    words = [r[0] for r in rows]
    open_app(page, app_url, len(vectors))
    settle(page)
    assert page.inner_text("#isolate-selection") == "Isolate selection"
    page.evaluate(COUNT_UPDATES, GRAPH)

    # A click on the plot lists the 100 nearest neighbours (TensorBoard's default), coloured by distance.
    page.evaluate(CLICK, [GRAPH, 5])
    wait_text(page, "#selection-count", "^101 selected$")
    assert page.locator("#neighbors-list > li").count() == 100
    assert labels(page, "neighbors-list") == [words[i] for i in cosine_order(vectors, 5)[:100]]
    assert page.inner_text("#isolate-selection") == "Isolate 101 points"
    settle(page)
    assert page.evaluate(UPDATES) == ONE_WRITE
    color, size, cmin, cmax = page.evaluate(MARKERS, GRAPH)
    anchor_code = round(cmax - 0.5)
    near_code = anchor_code - NEAR_LEVELS
    assert color[5] == anchor_code and size[5] == max(size)  # the clicked point: its own colour, largest
    levels = [color[i] - near_code for i in cosine_order(vectors, 5)[:100]]
    assert all(0 <= v < NEAR_LEVELS for v in levels) and levels == sorted(levels, reverse=True)
    assert levels[0] > levels[-1]  # nearer is stronger
    assert sum(c >= near_code for c in color) == 101

    # Hovering an entry rings its point on the plot, without a restyle or a request.
    page.evaluate(COUNT_REQUESTS)
    page.evaluate(RESET)
    second = page.locator("#neighbors-list > li").nth(1)
    second_label = second.get_attribute("title")
    second_row = int(second.get_attribute("data-row"))
    second.hover()
    page.wait_for_function(f"() => ({RING})() !== null")
    x, y, position, text = page.evaluate(RING)
    assert position == second_row and text == second_label
    page.wait_for_timeout(300)
    assert page.evaluate(UPDATES) == [[], 0] and page.evaluate("() => window.__requests") == 0
    # The ring sits where Plotly itself draws that point: a scene annotation at its coordinates is centred there.
    page.evaluate(
        """([sel, p]) => { const gd = document.querySelector(sel); const t = gd._fullData[0];
        return Plotly.relayout(gd, {'scene.annotations': [{x: t.x[p], y: t.y[p], z: t.z[p], text: 'o',
            showarrow: false, font: {size: 8}}]}); }""",
        [GRAPH, second_row],
    )
    page.wait_for_selector("g.annotation-scene")
    box = page.locator("g.annotation-scene .annotation-text-g").bounding_box()
    x, y, _, _ = page.evaluate(RING)
    assert abs(box["x"] + box["width"] / 2 - x) < 2.5 and abs(box["y"] + box["height"] / 2 - y) < 2.5
    page.screenshot(path=str(artifacts / "lists-neighbours-hover.png"))
    page.evaluate("(sel) => Plotly.relayout(document.querySelector(sel), {'scene.annotations': []})", GRAPH)
    settle(page)

    # Clicking the second neighbour selects it: its details, its own neighbours; one update.
    page.evaluate(RESET)
    second.click()
    wait_text(page, "#point-details", f"^{second_label}")
    wait_text(page, "#selection-count", "^101 selected$")
    page.wait_for_function(
        "(label) => !Array.from(document.querySelectorAll('#neighbors-list > li')).some((e) => e.title === label)",
        arg=second_label,
    )
    assert labels(page, "neighbors-list") == [words[i] for i in cosine_order(vectors, second_row)[:100]]
    settle(page)
    assert page.evaluate(UPDATES) == ONE_WRITE
    color, size, cmin, cmax = page.evaluate(MARKERS, GRAPH)
    assert color[second_row] == anchor_code and size[second_row] == max(size)

    # More than 100 matches: the first 100 and a line saying how many more.
    page.fill("#search-input", "_")
    page.press("#search-input", "Enter")
    wait_text(page, "#search-status", "^240 matches$")
    assert page.locator("#match-list > li").count() == 100
    assert page.inner_text("#match-more") == "… and 140 more"
    assert page.inner_text("#isolate-selection") == "Isolate 240 points"

    # A search lists its matches; a click on one selects it and lists its neighbours, keeping the matches.
    page.fill("#search-input", "dog")
    page.press("#search-input", "Enter")
    dogs = [i for i, w in enumerate(words) if "dog" in w]
    wait_text(page, "#search-status", f"^{len(dogs)} matches$")
    assert labels(page, "match-list") == [words[i] for i in dogs]
    assert page.inner_text("#match-more") == ""
    assert page.inner_text("#isolate-selection") == f"Isolate {len(dogs)} points"
    settle(page)
    page.evaluate(RESET)
    page.locator("#match-list > li").nth(2).click()
    wait_text(page, "#point-details", f"^{words[dogs[2]]}")
    wait_text(page, "#selection-count", "^101 selected$")
    assert labels(page, "neighbors-list") == [words[i] for i in cosine_order(vectors, dogs[2])[:100]]
    page.wait_for_selector("#match-list > li.current")
    assert labels(page, "match-list") == [words[i] for i in dogs]
    assert page.locator("#match-list > li.current").get_attribute("title") == words[dogs[2]]
    assert page.input_value("#search-input") == "dog"
    settle(page)
    assert page.evaluate(UPDATES) == ONE_WRITE
    page.locator("#match-list > li").nth(5).press("Enter")  # from the keyboard as well
    wait_text(page, "#point-details", f"^{words[dogs[5]]}")
    page.locator("#match-list > li").nth(4).hover()
    page.wait_for_function(f"(p) => {{ const r = ({RING})(); return r !== null && r[2] === p; }}", arg=dogs[4])
    page.screenshot(path=str(artifacts / "lists-matches.png"))

    # In 2-D the ring follows the point too; clearing empties the lists and the isolate button's count.
    page.get_by_text("2D", exact=True).click()
    page.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].type === 'scattergl'", arg=GRAPH)
    settle(page)
    page.locator("#neighbors-list > li").nth(0).hover()
    first = int(page.locator("#neighbors-list > li").nth(0).get_attribute("data-row"))
    page.wait_for_function(f"(p) => {{ const r = ({RING})(); return r !== null && r[2] === p; }}", arg=first)
    x, y, _, _ = page.evaluate(RING)
    px, py = point_pixel(page, first)
    assert abs(px - x) < 1.5 and abs(py - y) < 1.5
    page.screenshot(path=str(artifacts / "lists-2d-hover.png"))
    page.click("#clear-selection")
    wait_text(page, "#selection-count", "^0 selected$")
    assert page.locator("#match-list > li").count() == 0 and page.locator("#neighbors-list > li").count() == 0
    assert page.inner_text("#isolate-selection") == "Isolate selection"
    page.wait_for_function(f"() => ({RING})() === null")
