"""Drive TensorBoard 2.x's Embedding Projector from Playwright, for the side-by-side bench in bench_browser.py.

``http://127.0.0.1:P/#projector`` puts the projector in a nested iframe
(``/data/plugin_entry.html?name=projector`` → ``/data/plugin/projector/projector_binary.html``), and its Polymer
elements keep their content in (open) shadow roots. So:

- the projector's frame is the one, among ``page.frames``, whose shadow-piercing query finds ``.numDataPoints``;
- Playwright's CSS locators pierce open shadow roots, which is enough for actions (fill, click);
- properties and conditions are read with ``evaluate`` and a recursive ``shadowRoot`` walk (:data:`DEEP_JS`).

What each step waits for (the same facts as PERFORMANCE.md, "Driving TensorBoard's projector from Playwright"):

- points drawn: ``.numDataPoints`` text equals N and ``#total-variance`` text contains "described" (PCA done);
- search: type into the ``<input>`` inside ``#search-box`` (a ``vz-projector-input``; it searches on every ``input``
  event, Playwright's ``fill`` sends one); done when that element's ``message`` property (not its light-DOM text)
  reads ``"<count> matches."``;
- click: the first row of the inspector's ``.matches-list`` (an ``<a>`` whose ``onclick`` selects that point);
  done when ``.nn-list`` (nearest points in the original space) has children;
- UMAP: the dimension is set first (untimed) on ``#umap-toggle`` (bound to the projections panel's ``umapIs3d``),
  then a click on the ``.ink-tab[data-tab="umap"]`` tab starts umap-js (no Run button needed on a data set without
  UMAP; ``#run-umap`` is for re-runs, disabled while one runs); done when the panel's ``dataSet.projections.umap`` is
  true, ``#run-umap`` is enabled again and ``vz-projector``'s ``projection`` is UMAP in that dimension. UMAP runs on
  the first 5000 of the data set's shuffled points only (``UMAP_SAMPLE_SIZE``), kNN included.

Every step ends two animation frames after its condition holds, in the projector's frame.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.e2e.launch import Server

# A shadow-piercing querySelector, cached per selector while the element stays connected (the walk over every
# shadow root costs a few ms, and the waits below evaluate it on every animation frame).
DEEP_JS = """
const deep = (sel) => {
  const cache = window.__benchDeep || (window.__benchDeep = {});
  const hit = cache[sel];
  if (hit && hit.isConnected) return hit;
  const walk = (root) => {
    const found = root.querySelector(sel);
    if (found) return found;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const r = walk(el.shadowRoot); if (r) return r; }
    }
    return null;
  };
  const el = walk(document);
  if (el) cache[sel] = el;
  return el;
};
"""
TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
POINTS_DRAWN = (
    "(n) => {"
    + DEEP_JS
    + """
  const count = deep('.numDataPoints'), variance = deep('#total-variance');
  return !!count && !!variance && count.textContent.replace(/[^0-9]/g, '') === String(n)
    && variance.textContent.includes('described');
}"""
)
MESSAGE = "() => {" + DEEP_JS + " const box = deep('#search-box'); return box ? (box.message || '') : null; }"
MESSAGE_IS = "(text) => {" + DEEP_JS + " const box = deep('#search-box'); return !!box && box.message === text; }"
NEIGHBOURS_LISTED = "() => {" + DEEP_JS + " const nn = deep('.nn-list'); return !!nn && nn.children.length > 0; }"
HAS_COUNT_ELEMENT = "() => {" + DEEP_JS + " return !!deep('.numDataPoints'); }"
# UMAP: whether a run has started / finished on the projections panel's data set (null before one is loaded), and
# the panel's current tab.
UMAP_STATE = (
    "() => {"
    + DEEP_JS
    + """
  const panel = deep('vz-projector-projections-panel'), ds = panel && panel.dataSet;
  return ds ? {started: !!ds.hasUmapRun, done: ds.projections.umap === true, tab: panel.currentProjection || null}
    : null;
}"""
)
SET_UMAP_3D = "(is3d) => {" + DEEP_JS + " deep('#umap-toggle').checked = is3d; }"
UMAP_3D_IS = (
    "(is3d) => {"
    + DEEP_JS
    + " const panel = deep('vz-projector-projections-panel'), toggle = deep('#umap-toggle');"
    + " return !!panel && !!toggle && panel.umapIs3d === is3d && toggle.checked === is3d; }"
)
UMAP_DONE = (
    "(dim) => {"
    + DEEP_JS
    + """
  const panel = deep('vz-projector-projections-panel'), projector = deep('vz-projector'), run = deep('#run-umap');
  const ds = panel && panel.dataSet, projection = projector && projector.projection;
  return !!ds && ds.projections.umap === true && !!run && !run.disabled && !!projection
    && projection.projectionType === 'umap' && projection.dimensionality === dim;
}"""
)
# The modal's progress lines ("Finding nearest neighbors: 40%", "Optimizing UMAP (epoch 120 of 400)"), for errors.
NOTIFY_MESSAGES = "() => {" + DEEP_JS + " const m = deep('#notify-msgs'); return m ? m.innerText : null; }"

SEARCH_INPUT = "#search-box input"
FIRST_MATCH = ".matches-list .list .row a"
UMAP_TAB = '.ink-tab[data-tab="umap"]'


class TensorBoardServer(Server):
    """``python -m tensorboard.main --logdir DIR --host 127.0.0.1 --port P``, ready once it serves its plugin list."""

    def __init__(self, python: str, logdir: Path, port: int, log_path: Path, timeout_s: float = 180) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/#projector"
        command = [
            python,
            "-m",
            "tensorboard.main",
            "--logdir",
            str(logdir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        super().__init__("TensorBoard", command, f"http://127.0.0.1:{port}/data/plugins_listing", log_path, timeout_s)


def projector_frame(page, timeout_s: float):
    """The (nested) frame that holds the projector: the one whose shadow-piercing query finds ``.numDataPoints``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in page.frames:
            try:
                if frame.evaluate(HAS_COUNT_ELEMENT):
                    return frame
            except Exception:  # a frame navigating or detached meanwhile: look again
                continue
        time.sleep(0.05)
    raise TimeoutError("no frame with the projector's .numDataPoints")


def open_projector(page, url: str, n: int, timeout_s: float):
    """page.goto(url) → N points loaded and PCA drawn, plus two frames. Returns (seconds, projector frame)."""
    start = time.perf_counter()
    page.goto(url, timeout=timeout_s * 1000)
    frame = projector_frame(page, timeout_s)
    frame.wait_for_function(POINTS_DRAWN, arg=n, polling="raf", timeout=timeout_s * 1000)
    frame.evaluate(TWO_FRAMES)
    return time.perf_counter() - start, frame


def search(frame, query: str, expected: int, timeout_s: float) -> float:
    """Type ``query`` (one ``input`` event, as Playwright's fill sends) → "<expected> matches." plus two frames."""
    box = frame.locator(SEARCH_INPUT).first
    box.wait_for(state="visible", timeout=timeout_s * 1000)
    if frame.evaluate(MESSAGE) == f"{expected} matches.":
        raise RuntimeError("TensorBoard's search box already shows the expected message before the search")
    start = time.perf_counter()
    box.fill(query)
    frame.wait_for_function(MESSAGE_IS, arg=f"{expected} matches.", polling="raf", timeout=timeout_s * 1000)
    frame.evaluate(TWO_FRAMES)
    return time.perf_counter() - start


def click_first_match(frame, timeout_s: float) -> float:
    """Click the first row of the search results → the nearest-neighbours list is filled, plus two frames.

    The click is dispatched on the row's link (its ``onclick`` selects the point), without Playwright's
    actionability waits, so neither app is charged for them (the app's click is a JavaScript event too).
    """
    row = frame.locator(FIRST_MATCH).first
    row.wait_for(state="attached", timeout=timeout_s * 1000)
    if frame.evaluate(NEIGHBOURS_LISTED):
        raise RuntimeError("TensorBoard's neighbours list is already filled before the click")
    start = time.perf_counter()
    row.dispatch_event("click")
    frame.wait_for_function(NEIGHBOURS_LISTED, polling="raf", timeout=timeout_s * 1000)
    frame.evaluate(TWO_FRAMES)
    return time.perf_counter() - start


def clear_search(frame, timeout_s: float) -> None:
    """Empty the search input: TensorBoard clears the message and the selection."""
    frame.locator(SEARCH_INPUT).first.fill("")
    frame.wait_for_function(MESSAGE_IS, arg="", polling="raf", timeout=timeout_s * 1000)
    frame.evaluate(TWO_FRAMES)


def run_umap(frame, dimension: int, timeout_s: float) -> float:
    """Set UMAP's dimension (untimed), click the UMAP tab → umap-js's layout written and drawn, plus two frames.

    While PCA is the current tab, flipping ``#umap-toggle`` only redraws PCA (the panel's ``umapIs3d`` observer
    re-begins the current projection); the tab's click then runs UMAP in that dimension, as the data set has none
    yet: kNN of the sample (WebGL, or the CPU without it), "Initializing UMAP...", then epochs in batches of 10 per
    animation frame. The click is dispatched, like :func:`click_first_match`'s, without actionability waits (the
    projector's modal progress dialog may be open over the page). Defaults stand: 15 neighbours, min dist 0.1.
    """
    if dimension not in (2, 3):
        raise ValueError(f"UMAP's dimension is 2 or 3, not {dimension}")
    is3d = dimension == 3
    tab = frame.locator(UMAP_TAB).first
    tab.wait_for(state="attached", timeout=timeout_s * 1000)
    state = frame.evaluate(UMAP_STATE)
    if state is None:
        raise RuntimeError("TensorBoard's projections panel has no data set")
    if state["started"] or state["done"]:
        raise RuntimeError("TensorBoard's UMAP has already run on this data set before the click")
    if state["tab"] in ("umap", "tsne"):  # flipping the toggle would re-begin that projection
        raise RuntimeError(f"TensorBoard's projections panel is on {state['tab']!r}, not PCA, before the click")
    frame.evaluate(SET_UMAP_3D, is3d)
    frame.wait_for_function(UMAP_3D_IS, arg=is3d, polling="raf", timeout=timeout_s * 1000)
    frame.evaluate(TWO_FRAMES)
    start = time.perf_counter()
    tab.dispatch_event("click")
    if not frame.evaluate(UMAP_STATE)["started"]:
        raise RuntimeError("the click on TensorBoard's UMAP tab did not start UMAP")
    try:
        frame.wait_for_function(UMAP_DONE, arg=dimension, polling="raf", timeout=timeout_s * 1000)
    except Exception as error:  # most likely Playwright's timeout: say how far TensorBoard got
        try:
            messages = frame.evaluate(NOTIFY_MESSAGES)
        except Exception:
            messages = None
        raise RuntimeError(f"TensorBoard's UMAP did not finish; its progress dialog reads {messages!r}") from error
    frame.evaluate(TWO_FRAMES)
    return time.perf_counter() - start
