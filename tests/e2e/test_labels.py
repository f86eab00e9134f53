"""Labels on the plot: the clicked point, its neighbours and search matches carry their label beside them, in
3D and 2D, without a restyle; the labels follow the label-by column and the `labels-toggle` switch."""

from __future__ import annotations

import json

import pytest

from tests.e2e.pages import (
    CLICK,
    COUNT_UPDATES,
    GRAPH,
    ONE_WRITE,
    RESET,
    SHOWN,
    UPDATES,
    cosine_order,
    open_app,
    point_pixel,
    settle,
    shown,
    wait_labels,
    wait_text,
)

pytestmark = pytest.mark.e2e

PLOT_RECT = """(sel) => { const b = document.querySelector(sel).getBoundingClientRect();
    return [b.left, b.top, b.right, b.bottom]; }"""


def overlapping(labels: list[dict]) -> bool:
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            if a["left"] < b["right"] - 1 and b["left"] < a["right"] - 1:
                if a["top"] < b["bottom"] - 1 and b["top"] < a["bottom"] - 1:
                    return True
    return False


def test_labels_of_the_clicked_point_its_neighbours_and_matches(page, app_url, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    words = [r[0] for r in rows]
    groups = [r[1] for r in rows]
    open_app(page, app_url, len(vectors))
    settle(page)
    assert shown(page) == []  # nothing selected, nothing labelled

    # 3D: a click labels the point and its neighbours; the extra text costs no restyle.
    page.evaluate(COUNT_UPDATES, GRAPH)
    page.evaluate(CLICK, [GRAPH, 5])
    wait_text(page, "#selection-count", "^101 selected$")
    labels = wait_labels(page, "labels.some((l) => l.kind === 'anchor')")
    settle(page)
    assert page.evaluate(UPDATES) == ONE_WRITE  # the highlight's one update, nothing for the labels
    labels = shown(page)
    assert labels[0]["kind"] == "anchor" and labels[0]["text"] == words[5]
    near = [label["text"] for label in labels if label["kind"] == "near"]
    neighbours = {words[i] for i in cosine_order(vectors, 5)[:100]}
    assert len(near) >= 5 and set(near) <= neighbours  # as many as fit without overlapping
    assert not overlapping(labels)
    left, top, right, bottom = page.evaluate(PLOT_RECT, GRAPH)
    assert all(left <= label["left"] and label["bottom"] <= bottom + 1 for label in labels)
    page.screenshot(path=str(artifacts / "e2e-labels-3d.png"))

    # The switch hides them and shows them again, without a request to the server.
    page.get_by_label("Labels on the plot").uncheck()
    wait_labels(page, "labels.length === 0")
    page.get_by_label("Labels on the plot").check()
    wait_labels(page, "labels.some((l) => l.kind === 'anchor')")

    # 2D: each label sits just right of its point.
    page.get_by_text("2D", exact=True).click()
    page.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].type === 'scattergl'", arg=GRAPH)
    labels = wait_labels(page, "labels.some((l) => l.kind === 'anchor')")
    settle(page)
    labels = shown(page)
    anchor = next(label for label in labels if label["kind"] == "anchor")
    x, y = point_pixel(page, 5)
    assert abs(anchor["left"] - (x + 6)) <= 3 and abs((anchor["top"] + anchor["bottom"]) / 2 - y) <= 4

    # A search labels its matches (the first 100 at most) instead.
    page.fill("#search-input", "cat")
    page.press("#search-input", "Enter")
    expected = [w for w in words if "cat" in w]
    wait_text(page, "#search-status", f"^{len(expected)} matches$")
    labels = wait_labels(page, "labels.length > 0 && labels.every((l) => l.kind === 'selected')")
    texts = [label["text"] for label in labels]
    assert set(texts) <= set(expected) and len(texts) >= 5
    assert not overlapping(labels)

    # Labels follow the label-by column.
    page.click("#label-by")
    page.get_by_role("option", name="group", exact=True).click()
    labels = wait_labels(page, "labels.length > 0 && labels.every((l) => !l.text.includes('_'))")
    assert {label["text"] for label in labels} <= {groups[i] for i, w in enumerate(words) if "cat" in w}
    page.screenshot(path=str(artifacts / "e2e-labels-2d.png"))

    # Zooming moves them with their points.
    page.evaluate(RESET)
    before = shown(page)
    page.mouse.move((left + right) / 2, (top + bottom) / 2)
    page.mouse.wheel(0, -400)
    page.wait_for_function(
        "(before) => { const now = (" + SHOWN + ")(); return JSON.stringify(now) !== before; }",
        arg=json.dumps(before),
    )
    page.click("#clear-selection")
    wait_labels(page, "labels.length === 0")
