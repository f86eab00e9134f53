"""What the e2e tests do on the page: open the app, wait for points drawn or a text, pick from a dropdown,
click a point, read the plotted coordinates and labels, count Plotly's updates, run t-SNE.

Every helper a second test module needs lives here, so that no test module imports another. The plot is read
through Plotly's decoded ``gd._fullData`` (never ``gd.data``), gd being :data:`GRAPH`.
"""

from __future__ import annotations

import re

import numpy as np
from playwright.sync_api import TimeoutError as PlaywrightTimeout

GRAPH = "#scatter .js-plotly-plot"
COMPARE_GRAPH = "#scatter-compare .js-plotly-plot"  # the second plot, beside the first
MENU = ".dash-dropdown-content [role=option]"  # the open dropdown's options, not the checklists
CLICK = "([sel, i]) => document.querySelector(sel).emit('plotly_click', {points: [{curveNumber: 0, pointNumber: i}]})"
PLOTTED = """(sel) => { const t = document.querySelector(sel)._fullData[0];
    return [Array.from(t.x), Array.from(t.y), t.z ? Array.from(t.z) : null]; }"""
FINGERPRINT = """(sel) => { const t = document.querySelector(sel)._fullData[0];
    let s = 0; for (let i = 0; i < Math.min(t.x.length, 200); i++) { s += t.x[i] * (i + 1); }
    return t.type + ':' + t.x.length + ':' + s.toFixed(4); }"""

# Counting Plotly's calls: ``page.evaluate(COUNT_UPDATES, GRAPH)`` once, RESET before an interaction, then
# (after :func:`settle`) ``page.evaluate(UPDATES) == ONE_UPDATE`` for one Plotly.update and one redraw, or
# ``== ONE_WRITE`` for colours and sizes written into the drawn 3D points (assets/points3d.js) and no redraw.
COUNT_UPDATES = """(sel) => {
    const gd = document.querySelector(sel);
    window.__plotly = [];
    window.__afterplot = 0;
    for (const name of ["newPlot", "react", "restyle", "relayout", "update"]) {
        const original = window.Plotly[name];
        if (original.__counted) { continue; }
        window.Plotly[name] = function (...args) { window.__plotly.push(name); return original.apply(this, args); };
        window.Plotly[name].__counted = true;
    }
    if (!window.__pointsCounted) {
        const write = window.projectorPoints3d.writePoints;
        window.projectorCore.setPointWriter(function (graph, change) {
            const done = write(graph, change);
            if (done) { window.__plotly.push("points"); }
            return done;
        });
        window.__pointsCounted = true;
    }
    gd.on("plotly_afterplot", () => { window.__afterplot += 1; });
}"""
ONE_UPDATE = [["update"], 1]
ONE_WRITE = [["points"], 0]
RESET = "() => { window.__plotly = []; window.__afterplot = 0; }"
UPDATES = "() => [window.__plotly, window.__afterplot]"

# The labels drawn beside points (assets/labels.js's ``.scatter-labels`` layer), with their boxes on the page.
SHOWN = """() => { const layer = document.querySelector('.scatter-labels');
    if (!layer || getComputedStyle(layer).display === 'none') { return []; }
    return Array.from(layer.querySelectorAll('.label')).map((e) => {
        const b = e.getBoundingClientRect();
        return {text: e.textContent, kind: e.className.replace('label ', ''), left: b.left, top: b.top,
                bottom: b.bottom, right: b.right}; }); }"""


def settle(page) -> None:
    """Let every callback and redraw an interaction starts finish (nothing should follow the first update)."""
    page.wait_for_timeout(1500)


def wait_points(page, n: int, graph: str = GRAPH) -> None:
    """Until the plot's (or ``graph``'s) first trace holds ``n`` points."""
    page.wait_for_function(
        """([sel, n]) => { const gd = document.querySelector(sel);
            return gd && gd._fullData && gd._fullData.length && gd._fullData[0].x
                && gd._fullData[0].x.length === n; }""",
        arg=[graph, n],
    )


def wait_text(page, selector: str, pattern: str, timeout: float | None = None) -> str:
    """Until the element's text matches the regular expression ``pattern``; that text. A wait that times out
    says what the element said instead."""
    try:
        page.wait_for_function(
            "([sel, pat]) => { const el = document.querySelector(sel); "
            "return el && new RegExp(pat).test(el.innerText); }",
            arg=[selector, pattern],
            timeout=timeout,
        )
    except PlaywrightTimeout:
        shown = page.evaluate("(sel) => document.querySelector(sel)?.innerText ?? null", selector)
        raise AssertionError(f"{selector} never matched {pattern!r}; it says {shown!r}") from None
    return page.inner_text(selector)


def dropdown_options(page, dropdown_id: str) -> list[str]:
    """The option texts of a dropdown, read by opening it (and closing it again)."""
    page.click(f"#{dropdown_id}")
    page.wait_for_selector(MENU)
    options = [text.strip() for text in page.locator(MENU).all_inner_texts()]
    page.keyboard.press("Escape")
    page.wait_for_selector(MENU, state="detached")
    return options


def choose(page, dropdown_id: str, option: str) -> None:
    """Pick the option named ``option`` (a colour-by choice also names its count: ``mood (1 value)``), else
    the first whose text holds it."""
    page.click(f"#{dropdown_id}")
    page.wait_for_selector(MENU)
    named = page.locator(MENU).filter(has_text=re.compile(rf"^{re.escape(option)}( \(|$)"))
    (named if named.count() else page.locator(MENU).filter(has_text=option)).first.click()


def marker_sizes(page, graph: str = GRAPH) -> list[float]:
    return page.evaluate(
        """(sel) => { const m = document.querySelector(sel)._fullData[0].marker;
            return Array.from(m.size); }""",
        graph,
    )


def point_pixel(page, i: int) -> tuple[float, float]:
    return page.evaluate(
        """([sel, i]) => { const gd = document.querySelector(sel); const t = gd._fullData[0];
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis; const r = gd.getBoundingClientRect();
            return [r.left + xa._offset + xa.l2p(t.x[i]), r.top + ya._offset + ya.l2p(t.y[i])]; }""",
        [GRAPH, i],
    )


def open_app(page, url: str, n: int) -> None:
    """Open the page and wait for its ``n`` points drawn and counted."""
    page.goto(url)
    wait_points(page, n)
    wait_text(page, "#point-count", f"^{n:,} points$")


def plotted(page, dtype=np.float64, graph: str = GRAPH) -> np.ndarray:
    """The first trace's coordinates as Plotly holds them, one row a point: x, y (and z in 3D); ``np.float32``
    to compare with what a bookmark or the CSV export holds."""
    x, y, z = page.evaluate(PLOTTED, graph)
    return np.array([x, y] + ([z] if z else []), dtype=dtype).T


def shown(page) -> list[dict]:
    """The labels on the plot: text, kind (anchor, near, selected) and box."""
    return page.evaluate(SHOWN)


def wait_labels(page, test: str) -> list[dict]:
    """Until the JavaScript expression ``test`` about ``labels`` (as :func:`shown` gives them) holds; the labels."""
    page.wait_for_function(f"() => {{ const labels = ({SHOWN})(); return {test}; }}")
    return shown(page)


def cosine_order(vectors: np.ndarray, i: int) -> np.ndarray:
    """The other rows by cosine distance to row ``i``, nearest first: the neighbours the page should list."""
    v = vectors.astype(np.float64)
    unit = v / np.linalg.norm(v, axis=1, keepdims=True)
    d = 1 - unit @ unit[i]
    d[i] = np.inf
    return np.argsort(d, kind="stable")


def open_tsne(page, url: str, run: str, n: int) -> None:
    """Open the page on ``run`` (its ``n`` points drawn), then its t-SNE tab in 2D."""
    page.goto(url)
    page.click("#run-select")
    page.get_by_role("option", name=run, exact=True).click()
    wait_points(page, n)
    page.click('#projection-tabs .tab:has-text("t-SNE")')
    page.get_by_text("2D", exact=True).click()


def start_long_run(page) -> None:
    """Run 5,000 iterations and wait for the first streamed iteration."""
    page.fill("#tsne-iterations", "5000")
    page.press("#tsne-iterations", "Enter")
    page.click("#tsne-run")
    page.wait_for_function(
        "() => /iteration (\\d+)/.test(document.querySelector('#tsne-status').innerText)", timeout=120_000
    )
