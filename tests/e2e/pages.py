"""What the e2e tests do on the page: wait for points drawn or a text, pick from a dropdown, open the app.

The plot is read through Plotly's decoded ``gd._fullData`` (never ``gd.data``), gd being :data:`GRAPH`.
"""

from __future__ import annotations

import re

GRAPH = "#scatter .js-plotly-plot"
MENU = ".dash-dropdown-content [role=option]"  # the open dropdown's options, not the checklists


def wait_points(page, n: int) -> None:
    """Until the plot's first trace holds ``n`` points."""
    page.wait_for_function(
        """([sel, n]) => { const gd = document.querySelector(sel);
            return gd && gd._fullData && gd._fullData.length && gd._fullData[0].x
                && gd._fullData[0].x.length === n; }""",
        arg=[GRAPH, n],
    )


def wait_text(page, selector: str, pattern: str, timeout: float | None = None) -> str:
    """Until the element's text matches the regular expression ``pattern``; that text."""
    page.wait_for_function(
        "([sel, pat]) => { const el = document.querySelector(sel); return el && new RegExp(pat).test(el.innerText); }",
        arg=[selector, pattern],
        timeout=timeout,
    )
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


def marker_sizes(page) -> list[float]:
    return page.evaluate(
        """(sel) => { const m = document.querySelector(sel)._fullData[0].marker;
            return Array.from(m.size); }""",
        GRAPH,
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
