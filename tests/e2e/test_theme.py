"""Night mode: the page and the plot turn dark in place, new figures come up dark, the choice is remembered."""

from __future__ import annotations

import re

import pytest

from projector.colors import DIMMED_COLOR, SELECTED_COLOR
from tests.e2e.pages import COUNT_UPDATES, GRAPH, ONE_WRITE, RESET, UPDATES, choose, open_app, settle, wait_text

pytestmark = pytest.mark.e2e

SWITCH = "#night-mode input[type=checkbox]"
PLOT_THEME = """(sel) => { const gd = document.querySelector(sel); const f = gd._fullLayout;
    const t = gd._fullData[0]; const axis = f.scene ? f.scene.xaxis : f.xaxis;
    return {paper: f.paper_bgcolor, plot: f.scene ? f.scene.bgcolor : f.plot_bgcolor, font: f.font.color,
            axis: axis.color, grid: axis.gridcolor, type: t.type, scale: t.marker.colorscale.map((e) => e[1])}; }"""
PAPER_IS = """([sel, color]) => { const gd = document.querySelector(sel);
    return Boolean(gd && gd._fullLayout && gd._fullLayout.paper_bgcolor === color); }"""
COUNT_RELAYOUT_EVENTS = """(sel) => { window.__relayouts = 0;
    document.querySelector(sel).on("plotly_relayout", () => { window.__relayouts += 1; }); }"""


def rgb(color: str) -> tuple[float, float, float]:
    color = color.strip().lower()
    if color.startswith("#"):
        digits = color[1:] if len(color) == 7 else "".join(c * 2 for c in color[1:4])
        return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    r, g, b = (float(v) for v in re.findall(r"[\d.]+", color)[:3])
    return r, g, b


def luminance(color: str) -> float:
    def linear(v: float) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)))
    return (lb + 0.05) / (la + 0.05)


def computed(page, selector: str, prop: str) -> str:
    return page.evaluate("([sel, prop]) => getComputedStyle(document.querySelector(sel))[prop]", [selector, prop])


def check_dark_plot(page, paper: str) -> dict:
    theme = page.evaluate(PLOT_THEME, GRAPH)
    assert theme["paper"] == theme["plot"] == paper
    assert luminance(paper) < 0.03
    assert contrast(theme["font"], paper) >= 7 and contrast(theme["axis"], paper) >= 4.5
    assert contrast(theme["grid"], paper) < 2  # grid lines stay in the background
    dimmed, *colors = dict.fromkeys(theme["scale"])  # the colourscale's distinct colours, dimmed first
    assert dimmed != DIMMED_COLOR
    assert 1.3 <= contrast(dimmed, paper) < 2.5  # visible, and fainter than any point that counts
    assert all(contrast(c, paper) >= 3 for c in colors), colors
    return theme


def test_night_mode_themes_page_and_plot_in_place(page, app_url, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    open_app(page, app_url, len(vectors))
    settle(page)  # the page's own first answers are in: this test is about the theme, not an early search
    page.fill("#search-input", "cat")
    page.press("#search-input", "Enter")
    expected = sum("cat" in r[0] for r in rows)
    wait_text(page, "#selection-count", f"^{expected} selected$")
    settle(page)
    assert luminance(computed(page, "body", "backgroundColor")) > 0.8
    page.screenshot(path=str(artifacts / "theme-light.png"))
    paper = page.evaluate("() => window.projectorNight.NIGHT_PAPER")
    assert page.evaluate("() => window.projectorNight.LIGHT_DIMMED") == DIMMED_COLOR
    eye = page.evaluate(f"() => JSON.stringify(document.querySelector('{GRAPH}')._fullLayout.scene.camera.eye)")

    # Switching: one Plotly.update of colours, no new figure, no relayout event (the camera a bookmark
    # keeps is the graph's relayoutData), the camera as it was.
    page.evaluate(COUNT_UPDATES, GRAPH)
    page.evaluate(COUNT_RELAYOUT_EVENTS, GRAPH)
    page.check(SWITCH)
    page.wait_for_function(PAPER_IS, arg=[GRAPH, paper])
    settle(page)
    calls, _ = page.evaluate(UPDATES)
    assert calls == ["update"]
    assert page.evaluate("() => window.__relayouts") == 0
    assert page.evaluate(f"() => JSON.stringify(document.querySelector('{GRAPH}')._fullLayout.scene.camera.eye)") == eye
    assert page.evaluate("() => document.documentElement.classList.contains('night')")
    for selector in ("body", "aside.left", "aside.right", "#search-input", "#bookmark-save ~ button"):
        assert luminance(computed(page, selector, "backgroundColor")) < 0.05, selector
    assert luminance(computed(page, "body", "color")) > 0.7
    assert luminance(computed(page, "#search-input", "color")) > 0.7
    theme = check_dark_plot(page, paper)
    assert theme["type"] == "scatter3d"
    assert contrast(SELECTED_COLOR, paper) >= 3
    page.screenshot(path=str(artifacts / "theme-dark-3d.png"))

    # The page's own widgets: an open dropdown and the banner are dark too.
    page.click("#color-by")
    page.wait_for_selector(".dash-dropdown-option")
    assert luminance(computed(page, ".dash-dropdown-option", "color")) > 0.5
    page.screenshot(path=str(artifacts / "theme-dark-dropdown.png"))
    page.keyboard.press("Escape")
    page.fill("#search-input", "(a")
    page.click("#search-regex")
    page.press("#search-input", "Enter")
    wait_text(page, "#error-banner", "missing|unbalanced|parenthes", timeout=10_000)
    assert luminance(computed(page, "#error-banner", "backgroundColor")) < 0.05
    assert contrast(computed(page, "#error-banner", "color"), computed(page, "#error-banner", "backgroundColor")) >= 7
    page.screenshot(path=str(artifacts / "theme-dark-banner.png"))
    page.click("#banner-close")
    page.click("#search-regex")
    page.fill("#search-input", "cat")
    page.press("#search-input", "Enter")
    wait_text(page, "#selection-count", f"^{expected} selected$")
    settle(page)

    # In the dark, a restyle is still one update, and a recolouring arrives in night colours.
    page.evaluate(RESET)
    choose(page, "color-by", "word")
    page.wait_for_function("() => document.querySelector('#color-legend').innerText.includes('word')")
    settle(page)
    assert page.evaluate(UPDATES) == ONE_WRITE
    check_dark_plot(page, paper)
    page.evaluate(RESET)
    choose(page, "color-by", "x0")  # a gradient (Viridis) whose dark end is lifted off the night paper
    page.wait_for_function("() => document.querySelector('#color-legend').innerText.includes('gradient')")
    settle(page)
    assert page.evaluate(UPDATES) == ONE_WRITE
    check_dark_plot(page, paper)
    page.screenshot(path=str(artifacts / "theme-dark-gradient.png"))

    # A new figure from the server (2-D) comes up dark as well, with its own axes themed.
    page.get_by_text("2D", exact=True).click()
    page.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].type === 'scattergl'", arg=GRAPH)
    page.wait_for_function(PAPER_IS, arg=[GRAPH, paper])
    settle(page)
    theme = check_dark_plot(page, paper)
    assert theme["type"] == "scattergl"
    page.screenshot(path=str(artifacts / "theme-dark-2d.png"))

    # Remembered in this browser: a reload opens dark, with the switch on.
    page.reload()
    page.wait_for_function(PAPER_IS, arg=[GRAPH, paper])
    assert page.is_checked(SWITCH)
    assert luminance(computed(page, "body", "backgroundColor")) < 0.05

    # And back to light, in place again.
    settle(page)
    page.evaluate(COUNT_UPDATES, GRAPH)
    page.uncheck(SWITCH)
    page.wait_for_function(f"(sel) => document.querySelector(sel)._fullLayout.paper_bgcolor !== '{paper}'", arg=GRAPH)
    settle(page)
    calls, _ = page.evaluate(UPDATES)
    assert calls == ["update"]
    theme = page.evaluate(PLOT_THEME, GRAPH)
    assert luminance(theme["paper"]) > 0.9
    assert theme["scale"][0] == DIMMED_COLOR
    assert luminance(computed(page, "body", "backgroundColor")) > 0.8
    assert page.evaluate("() => JSON.parse(localStorage.getItem('theme-store'))") == "light"
