"""An embedding saved at several training steps: one tensor, a step slider that moves only the vectors, Play."""

from __future__ import annotations

import numpy as np
import pytest

from tests.e2e.pages import (
    CLICK,
    COMPARE_GRAPH,
    GRAPH,
    choose,
    marker_sizes,
    open_app,
    plotted,
    point_pixel,
    settle,
    wait_points,
    wait_text,
)
from tests.logdirs import write_tensorboardx_steps

pytestmark = pytest.mark.e2e

N = 120
STEPS = (0, 10, 20)
ANIMALS = ("cat", "dog", "cow")


JUMPERS = (0, 3, 6)  # cats that join the dogs after step 0


def vectors_at(step: int) -> np.ndarray:
    """Three clusters that drift apart as training goes on; after step 0 three cats sit among the dogs."""
    rng = np.random.default_rng(1)
    centers = np.eye(3, 8) * (10 + step)
    cluster = np.arange(N) % 3
    if step > 0:
        cluster[list(JUMPERS)] = 1
    noise = rng.normal(0, 1, size=(N, 8)) + (0.05 * step)  # each point keeps its place in its cluster
    return (centers[cluster] + noise).astype(np.float32)


@pytest.fixture(scope="module")
def steps_app(running_app, tmp_path_factory):
    root = tmp_path_factory.mktemp("steps") / "logdir"
    labels = [f"{ANIMALS[i % 3]}_{i}" for i in range(N)]
    write_tensorboardx_steps(root, [("words", step, vectors_at(step), labels) for step in STEPS])
    return running_app(root, "app-steps.log", warm_up="data", prefix="/team/projector/").url  # behind a proxy


def slider_value(page) -> int:
    return int(page.get_attribute("#step-slider [role=slider]", "aria-valuenow"))


def move_to(page, step: int) -> None:
    """Move the slider to ``step`` with the keyboard, as a user may (Home, then right arrow per step)."""
    handle = page.locator("#step-slider [role=slider]")
    handle.focus()
    handle.press("Home")
    for _ in range(STEPS.index(step)):
        handle.press("ArrowRight")
    page.wait_for_function("(want) => new URLSearchParams(location.search).get('step') === want", arg=str(step))


def moved_to(page, step: int, shown: np.ndarray) -> np.ndarray:
    """Move the slider to ``step`` and return the plot's coordinates once they have left ``shown``'s."""
    move_to(page, step)
    page.wait_for_function(
        "([sel, x]) => document.querySelector(sel)._fullData[0].x[0] !== x", arg=[GRAPH, float(shown[0, 0])]
    )
    settle(page)
    return plotted(page)


def test_steps_are_one_tensor_and_the_slider_moves_only_the_vectors(page, steps_app, artifacts):
    open_app(page, steps_app, N)
    options = page.locator("#tensor-select").inner_text()
    assert "words" in options and ":000" not in options  # one tensor, not one per step
    assert page.is_visible("#step-slider") and slider_value(page) == STEPS[-1]  # the latest step at first
    latest = plotted(page)

    page.fill("#search-input", "dog")
    page.press("#search-input", "Enter")
    dogs = [i for i in range(N) if i % 3 == 1]
    wait_text(page, "#search-status", f"^{len(dogs)} matches$")
    settle(page)
    sizes_before = marker_sizes(page)

    first = moved_to(page, STEPS[0], latest)
    assert first.shape == latest.shape and not np.allclose(first, latest)  # other vectors, other layout
    # Their spread is the drift: the clusters sit closer at step 0 than at the last step.
    assert np.ptp(first, axis=0).max() < np.ptp(latest, axis=0).max()
    assert page.input_value("#search-input") == "dog"
    assert page.inner_text("#search-status") == f"{len(dogs)} matches"
    assert page.inner_text("#selection-count") == f"{len(dogs)} selected"
    assert marker_sizes(page) == sizes_before  # the highlight stayed
    page.screenshot(path=str(artifacts / "e2e-steps-first.png"))

    page.reload()  # the step is in the URL
    open_app(page, page.url, N)
    page.wait_for_function("() => document.querySelector('#step-slider [role=slider]')")
    assert slider_value(page) == STEPS[0]
    np.testing.assert_allclose(plotted(page), first, rtol=1e-4, atol=1e-4)


def test_play_walks_every_step_and_stops_at_the_last(page, steps_app):
    open_app(page, steps_app, N)
    move_to(page, STEPS[0])
    seen = []
    page.expose_function("stepSeen", lambda step: seen.append(step))
    page.evaluate(
        """() => {
            const value = () => document.querySelector('#step-slider [role=slider]').getAttribute('aria-valuenow');
            let last = value();  // the step it starts from
            new MutationObserver(() => {
                if (value() !== last) { last = value(); window.stepSeen(last); }
            }).observe(document.querySelector('#step-slider'), {subtree: true, attributes: true});
            const gd = document.querySelector('#scatter .js-plotly-plot');
            gd.data[0].probe = true;  // gone if a whole new figure replaced the trace
            window.placesSeen = [];
            gd.on('plotly_restyle', () => window.placesSeen.push(gd._fullData[0].x[0]));
        }"""
    )
    page.click("#step-play")
    wait_text(page, "#step-play", "Stop")
    wait_text(page, "#step-play", "Play", timeout=15_000)  # it stops by itself at the last step
    assert slider_value(page) == STEPS[-1]
    assert [int(s) for s in seen] == list(STEPS[1:])  # each step once, in order
    settle(page)
    # The points travelled: several places between the steps', the same trace moved, not a figure redrawn.
    places = page.evaluate("() => window.placesSeen")
    assert len(set(places)) > 2 * len(STEPS), places
    assert page.evaluate(f"() => document.querySelector('{GRAPH}').data[0].probe === true")
    assert places[-1] == pytest.approx(float(plotted(page)[0, 0]))


def test_an_isolated_subset_in_2d_keeps_its_points_through_the_steps_and_beside(page, steps_app):
    open_app(page, steps_app, N)
    page.fill("#search-input", "cow")
    page.press("#search-input", "Enter")
    cows = N // 3
    wait_text(page, "#search-status", f"^{cows} matches$")
    page.click("#isolate-selection")
    wait_text(page, "#point-count", f"^{cows} points$")
    page.get_by_text("2D", exact=True).click()
    page.wait_for_function(f"() => document.querySelector('{GRAPH}')._fullData[0].type === 'scattergl'")
    wait_points(page, cows)
    settle(page)
    latest = plotted(page)
    first = moved_to(page, STEPS[0], latest)
    assert first.shape == (cows, 2) and not np.allclose(first, latest)
    assert page.inner_text("#point-count") == f"{cows} points"
    choose(page, "compare-tensor", "this tensor at step 10")
    wait_points(page, cows, COMPARE_GRAPH)
    assert plotted(page, graph=COMPARE_GRAPH).shape == (cows, 2)


def test_a_bookmark_reopens_its_step(page, steps_app):
    open_app(page, steps_app, N)
    move_to(page, STEPS[1])
    settle(page)
    middle = plotted(page)
    page.click("#bookmark-save")
    page.wait_for_function("() => document.querySelectorAll('#bookmark-list input').length === 1")
    move_to(page, STEPS[-1])
    settle(page)
    assert not np.allclose(plotted(page), middle)
    page.click("#bookmark-list li:nth-child(1) button")
    page.wait_for_function("(want) => new URLSearchParams(location.search).get('step') === want", arg=str(STEPS[1]))
    settle(page)
    assert slider_value(page) == STEPS[1]
    np.testing.assert_allclose(plotted(page), middle, rtol=1e-4, atol=1e-4)


def test_colour_by_what_moved_lists_the_points_that_moved_most(page, steps_app, artifacts):
    open_app(page, steps_app, N)
    settle(page)
    before = page.evaluate(f"() => Array.from(document.querySelector('{GRAPH}')._fullData[0].marker.color)")
    choose(page, "color-by", "moved since step 0")
    wait_text(page, "#color-legend", "From step 0 to step 20: distance moved and 10 nearest neighbours lost")
    page.wait_for_function("() => document.querySelectorAll('#changed-list > li').length === 20")
    entries = page.locator("#changed-list > li .changed-label").all_inner_texts()
    assert set(entries[:3]) == {f"cat_{i}" for i in JUMPERS}  # the cats that joined the dogs, first
    settle(page)
    colours = page.evaluate(f"() => Array.from(document.querySelector('{GRAPH}')._fullData[0].marker.color)")
    assert colours != before and len(set(colours)) > 3  # a gradient, not the three animals' colours
    page.screenshot(path=str(artifacts / "e2e-steps-moved.png"))

    page.click("#changed-list > li:nth-child(1)")  # selects that point, like a click on the plot
    wait_text(page, "#point-details", entries[0])
    assert page.inner_text("#selection-count").endswith(" selected")

    move_to(page, STEPS[1])  # from step 0 to step 10: listed again for the step shown
    wait_text(page, "#color-legend", "From step 0 to step 10")
    move_to(page, STEPS[0])
    wait_text(page, "#color-legend", "Step 0 is the step shown: nothing moved")


TRAILS = """() => Array.from(document.querySelectorAll('.scatter-trails path.trail')).map(p => {
    const box = p.closest('.scatter-trails').getBoundingClientRect();
    const vertices = (p.getAttribute('d').match(/-?\\d+ -?\\d+/g) || []).map(v => v.split(' ').map(Number));
    return vertices.map(([x, y]) => [x + box.left, y + box.top]); })"""
RINGS = """() => Array.from(document.querySelectorAll('.scatter-trails circle.trail-shown')).map(c => {
    const box = c.closest('.scatter-trails').getBoundingClientRect();
    return [Number(c.getAttribute('cx')) + box.left, Number(c.getAttribute('cy')) + box.top]; })"""
PIXEL_3D = """([sel, i]) => window.projectorCore.pointPixel(document.querySelector(sel), i,
    window.projectorCore.drawn(document.querySelector(sel)).view)"""


def test_trails_draw_each_selected_points_path_over_the_steps(page, steps_app, artifacts):
    open_app(page, steps_app, N)
    page.fill("#search-input", "cat_6")  # cat_6 (a jumper) and cat_60, cat_63, cat_66, cat_69
    page.press("#search-input", "Enter")
    wait_text(page, "#search-status", "^5 matches$")
    page.get_by_label("Trails").check()
    wait_text(page, "#trails-status", "^Trails of 5 points over 3 steps.$")
    page.wait_for_function(f"() => ({TRAILS})().length === 5 && ({TRAILS})().every(t => t.length === 3)")
    settle(page)
    rings = page.evaluate(RINGS)  # 3D: each ring is where its point is drawn at the step shown
    matches = sorted(
        page.evaluate(f"""() => Array.from(document.querySelector('{GRAPH}')._fullData[0].hovertext)
        .map((t, i) => [t, i]).filter(([t]) => t.startsWith('cat_6')).map(([, i]) => i)""")
    )
    drawn = [page.evaluate(PIXEL_3D, [GRAPH, i]) for i in matches]
    for ring in rings:
        assert min(np.hypot(ring[0] - d[0], ring[1] - d[1]) for d in drawn) < 2
    page.screenshot(path=str(artifacts / "e2e-steps-trails-3d.png"))

    page.get_by_text("2D", exact=True).click()
    page.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].type === 'scattergl'", arg=GRAPH)
    page.wait_for_function(f"() => ({TRAILS})().length === 5")
    settle(page)
    trails = page.evaluate(TRAILS)
    # The trails start together among the cats; cat_6 (the first match) ends among the dogs, the others together.
    starts, ends = np.array([t[0] for t in trails]), np.array([t[-1] for t in trails])
    apart = np.hypot(*(ends[1:] - ends[0]).T).min()
    assert apart > 5 * np.ptp(ends[1:], axis=0).max() and apart > 5 * np.ptp(starts, axis=0).max()
    drawn = [point_pixel(page, i) for i in matches]
    for trail in trails:  # the trail ends at its point's place at the last step, the step shown
        assert min(np.hypot(trail[-1][0] - d[0], trail[-1][1] - d[1]) for d in drawn) < 2
    page.screenshot(path=str(artifacts / "e2e-steps-trails-2d.png"))

    move_to(page, STEPS[0])  # the same trails; the ring goes to the first step's end
    settle(page)
    page.wait_for_function(
        f"""() => {{ const t = ({TRAILS})(), r = ({RINGS})();
            return t.length === 5 && r.every((p, i) => Math.hypot(p[0] - t[i][0][0], p[1] - t[i][0][1]) < 2); }}"""
    )
    page.get_by_label("Trails").uncheck()
    page.wait_for_function(
        "() => { const l = document.querySelector('.scatter-trails'); return !l || l.style.display === 'none'; }"
    )
    assert page.inner_text("#trails-status") == ""


def enlarged(sizes: list[float]) -> set[int]:
    """The points drawn larger than the smallest: the highlighted ones."""
    return {i for i, size in enumerate(sizes) if size > min(sizes)}


def test_a_second_embedding_beside_the_first_lights_up_the_same_rows(page, steps_app, artifacts):
    open_app(page, steps_app, N)
    assert page.is_hidden("#compare-plot")
    choose(page, "compare-tensor", "this tensor at step 0")
    wait_points(page, N, COMPARE_GRAPH)
    wait_text(page, "#compare-status", "^words .* at step 0, PCA as on the left, turned to match it")
    assert not np.allclose(plotted(page, graph=COMPARE_GRAPH), plotted(page))  # step 0's vectors, not step 20's

    page.fill("#search-input", "dog")
    page.press("#search-input", "Enter")
    dogs = {i for i in range(N) if i % 3 == 1}
    wait_text(page, "#search-status", f"^{len(dogs)} matches$")
    settle(page)
    assert enlarged(marker_sizes(page)) == enlarged(marker_sizes(page, COMPARE_GRAPH)) == dogs

    page.fill("#neighbors-k", "10")
    page.press("#neighbors-k", "Enter")
    page.evaluate(CLICK, [COMPARE_GRAPH, JUMPERS[1]])  # a click on the second plot selects the same row
    wait_text(page, "#point-details", f"cat_{JUMPERS[1]}")
    title = wait_text(page, "#compare-neighbors .compare-title", r"of 10 shared$")
    assert int(title.split(": ")[1].split(" of")[0]) <= 3  # a cat among the dogs now, among the cats then
    settle(page)
    assert enlarged(marker_sizes(page)) == enlarged(marker_sizes(page, COMPARE_GRAPH))
    assert page.locator("#compare-neighbors li").count() == 10

    # Hover, linked: a point hovered on the first plot is ringed and named on the second, and back.
    hover = "([sel, event, p]) => document.querySelector(sel).emit(event, {points: [{curveNumber: 0, pointNumber: p}]})"
    page.evaluate(hover, [GRAPH, "plotly_hover", JUMPERS[2]])
    ring = page.locator(".linked-hover")
    ring.wait_for(state="visible")
    assert ring.inner_text() == f"cat_{JUMPERS[2]}"
    at, second = ring.bounding_box(), page.locator(COMPARE_GRAPH).bounding_box()
    centre = (at["x"] + at["width"] / 2, at["y"] + at["height"] / 2)
    assert second["x"] < centre[0] < second["x"] + second["width"]
    assert second["y"] < centre[1] < second["y"] + second["height"]
    page.evaluate(hover, [GRAPH, "plotly_unhover", JUMPERS[2]])
    ring.wait_for(state="hidden")
    page.evaluate(hover, [COMPARE_GRAPH, "plotly_hover", 5])
    ring.wait_for(state="visible")
    first = page.locator(GRAPH).bounding_box()
    assert ring.inner_text() == "cow_5" and ring.bounding_box()["x"] < first["x"] + first["width"]
    page.evaluate(hover, [COMPARE_GRAPH, "plotly_unhover", 5])
    # Turning the first 3D plot turns the second the same way.
    page.evaluate(
        "(sel) => window.Plotly.relayout(document.querySelector(sel), {'scene.camera.eye': {x: 0.2, y: -2.1, z: 0.4}})",
        GRAPH,
    )
    page.wait_for_function(
        "(sel) => { const e = document.querySelector(sel)._fullLayout.scene.camera.eye;"
        " return Math.abs(e.x - 0.2) < 1e-6 && Math.abs(e.y + 2.1) < 1e-6 && Math.abs(e.z - 0.4) < 1e-6; }",
        arg=COMPARE_GRAPH,
    )

    page.click("text=Colour by neighbourhood change")
    page.wait_for_function("() => document.querySelectorAll('#compare-changed > li').length === 20")
    entries = page.locator("#compare-changed > li .changed-label").all_inner_texts()
    assert set(entries[:3]) == {f"cat_{i}" for i in JUMPERS}  # the cats that joined the dogs, first
    wait_text(page, "#compare-status", "Coloured by neighbourhood change")
    page.screenshot(path=str(artifacts / "e2e-compare.png"))

    choose(page, "compare-match", "label")  # the same rows paired by their labels: the same plot, no message
    settle(page)
    assert page.locator("#compare-changed > li .changed-label").all_inner_texts() == entries
    assert page.locator("#error-banner li").count() == 0

    page.click("#bookmark-save")  # the choice is in a bookmark, with its row matching and its colour
    page.wait_for_function("() => document.querySelectorAll('#bookmark-list input').length >= 1")
    choose(page, "compare-tensor", "this tensor at step 10")
    page.click("text=Colour by neighbourhood change")
    wait_text(page, "#compare-status", "at step 10")
    assert not page.is_checked("#compare-color input")
    page.click("#bookmark-list li:last-child button")
    wait_text(page, "#compare-status", "at step 0, PCA as on the left")
    assert "this tensor at step 0" in page.inner_text("#compare-tensor")
    assert page.is_checked("#compare-color input") and "label" in page.inner_text("#compare-match")

    assert "compare=" in page.url  # the second embedding is in the URL: a link reopens it
    page.goto(page.url)
    wait_points(page, N, COMPARE_GRAPH)
    assert "this tensor at step 0" in page.inner_text("#compare-tensor")

    page.check("#night-mode input[type=checkbox]")  # night mode themes the second plot too
    paper = page.evaluate("() => window.projectorNight.NIGHT_PAPER")
    page.wait_for_function(
        "([sel, color]) => document.querySelector(sel)._fullLayout.paper_bgcolor === color", arg=[COMPARE_GRAPH, paper]
    )
    page.screenshot(path=str(artifacts / "e2e-compare-night.png"))
