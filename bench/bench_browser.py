"""TensorBoard's projector and this app side by side, on the very same logdir, in one run of headless Chromium.

For each configuration it writes one TF2 checkpoint (``tf.train.Checkpoint(embedding=tf.Variable(vectors))`` plus
``projector_config.pbtxt``) of N × D float32 vectors in 6 clusters, one per type (Fire, Water, Grass, Electric,
Rock, Ice), with a single-column ``metadata.tsv`` (no header) of labels such as ``Fire-0001``. A ``/users``
suffix (``10000x128/users``, ``10000x128/2d/users``) gives the shape of a user's metadata instead: a header and
three columns, ``name`` (those labels), ``type`` (``Fire``…) and ``number`` (an integer from 0 to 999); the app
then colours by ``type`` at first and TensorBoard by nothing, and both search ``name`` (TensorBoard its first
non-numeric column, the app its label column, found by name). TensorBoard
(``python -m tensorboard.main --logdir DIR``) and the app (``app.py --logdir DIR``) both open that directory.
Both servers are started, and left to finish their start-up work (until their processes go idle), before
anything is timed. Every time below runs from the action to two animation frames after the condition holds.

3D configurations (``10000x128``, ``100000x128``, ``50000x768``), TensorBoard vs the app, in PCA 3D:

1. **open → points drawn**: ``page.goto``. TensorBoard: ``.numDataPoints`` reads N and ``#total-variance``
   says "described" (PCA drawn). App: ``gd._fullData[0].x.length === N`` and ``#point-count`` reads N points.
   The first page of each app (cold server, cold browser cache) is reported as *first open*; the median of
   the ``--repeats`` fresh pages after it as *open*.
2. **search → highlight drawn**: query ``Fire-``. TensorBoard searches as you type: ``fill`` the ``<input>`` in
   ``#search-box``, done when that element's ``message`` property is ``"<count> matches."``. App: fill
   ``#search-input`` and press Enter, done when ``#search-status`` reads ``<count> matches`` and
   ``gd._fullData[0].marker.color`` differs from a copy taken before the search.
3. **click → neighbours listed**: TensorBoard: a click on the first row of its search results (the inspector's
   matches list; that row's link selects the point), done when the nearest-neighbours list has children.
   App: the same point (the first ``Fire-`` row) selected the way Plotly reports a click on it: Playwright cannot
   aim a mouse at one WebGL marker, so the bench emits Plotly's own event on the graph,
   ``gd.emit('plotly_click', {points: [{curveNumber: 0, pointNumber: i, x, y, z}]})``. dcc.Graph listens to that
   event exactly as to a real click and sets ``clickData``; done when ``#neighbors-list`` has children. Both
   clicks are JavaScript events dispatched without Playwright's actionability waits.

   Beside the search, the *plotly floor* column gives plotly.js's own least cost of any change to a 3D scene:
   a page with the installed ``plotly.min.js`` drawing a scatter3d of the same N as the app draws it (squares,
   opacity 0.9, at the screen's pixel ratio), timing ``glplot.redraw()`` with nothing changed to two frames
   (median of 5).

4. **click → labels drawn** (app only): a click on the second ``Fire-`` point, done when the labels layer
   shows its label in bold beside it (its neighbours' labels come in the same frame).
5. **labels layer, per frame** (app only): the camera turned in 30 steps (2D: zoomed in 30 steps) with a point
   and its neighbours labelled; the median script time the layer spends per frame to place its labels
   (``window.projectorLabels.frameCost()``). 2D measures it with the search's matches labelled, up to 100k
   points (30 redraws of a million points would take minutes).

2D configurations (``10000x128/2d``, ``100000x128/2d``, ``1000000x128/2d``) go beyond TensorBoard (which caps
at 100k points):
the app opens (3D, untimed), switches with the "2D" radio until ``_fullData[0].type === 'scattergl'``, then
times ``--repeats`` rounds of *search → highlight drawn* and *clear → restyled* (``#clear-selection``, done when
``marker.color`` differs from the highlighted copy), against plotly.js's own floor measured in the same browser:
a page with ``plotly.min.js`` from the installed plotly package drawing a scattergl of the same N and timing one
``Plotly.restyle(gd, {'marker.color': [Uint8Array codes]})`` to two frames (median of 5). Up to 100k points
the 2D logdir also has a sprite (16 × 16 px per point), and each round times *zoom to 2,000 points → images
drawn*: a relayout to a square around the first ``Fire-`` point holding about 2,000 points, done when the
plot's image layer covers those ranges (the browser found the points in view, the server drew their
thumbnails, the picture was laid over the axes).

``--before DIR`` measures a second checkout of the app (say a ``git worktree`` at an older commit) in the same
run: its server starts beside the ``--app-root`` one for each configuration (with its own port, log and cache
directory), its pages come between the others' (TensorBoard's page r, the app's page r, then its page r; in 2D
its page after the app's), each measured by the very same steps, and the table gains ``before s`` and
``after/before`` (app s / before s).

The app is read only through its public component IDs and Plotly's decoded ``gd._fullData`` (never ``gd.data``),
gd = ``document.querySelector('#scatter .js-plotly-plot')``. The TensorBoard side is in
``bench/tensorboard_projector.py``. Servers and browser share the machine: run it alone
(``flock /tmp/heavy.lock …`` on a shared box) and compare only figures from one run.

  .venv/bin/python bench/bench_browser.py [--configs 10000x128 100000x128 50000x768 10000x128/2d 100000x128/2d
      1000000x128/2d] (each NxD[/2d][/users])
      [--repeats 3] [--json results.json] [--app-root DIR] [--before DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import tensorboard_projector as tb  # noqa: E402

from tests.e2e.launch import App, free_port, launch_chromium, tail  # noqa: E402

VIEWPORT = {"width": 1400, "height": 900}
TYPES = ["Fire", "Water", "Grass", "Electric", "Rock", "Ice"]
QUERY = "Fire-"
DEFAULT_CONFIGS = ["10000x128", "100000x128", "50000x768", "10000x128/2d", "100000x128/2d", "1000000x128/2d"]
FLOOR_RESTYLES = 5

GD = "document.querySelector('#scatter .js-plotly-plot')"
TRACE = f"(() => {{ const gd = {GD}; return gd && gd._fullData && gd._fullData[0]; }})()"
TWO_FRAMES = tb.TWO_FRAMES
APP_DRAWN = f"""(n) => {{ const t = {TRACE}; const pc = document.querySelector('#point-count');
    return !!t && !!t.x && t.x.length === n && !!pc && pc.textContent.replace(/[^0-9]/g, '') === String(n); }}"""
APP_2D = f"(n) => {{ const t = {TRACE}; return !!t && t.type === 'scattergl' && !!t.x && t.x.length === n; }}"
# A copy of the decoded colours, to tell when the next restyle has landed.
SNAPSHOT_COLOR = f"""() => {{ const c = {TRACE}.marker.color;
    window.__benchColor = (c != null && typeof c.slice === 'function') ? c.slice() : c; }}"""
COLOR_CHANGED_JS = f"""const colorChanged = () => {{ const t = {TRACE}; if (!t || !t.marker) return false;
    const c = t.marker.color, b = window.__benchColor;
    const isArray = (x) => x != null && typeof x === 'object' && typeof x.length === 'number';
    if (!isArray(c) || !isArray(b)) return c !== b;
    if (c.length !== b.length) return true;
    for (let i = 0; i < c.length; i++) if (c[i] !== b[i]) return true;
    return false; }};"""
STATUS_JS = """const matches = (n) => { const s = document.querySelector('#search-status');
    const m = s && s.textContent.match(/(\\d[\\d,.\\s\\u202f]*)\\s*matches/);
    return !!m && m[1].replace(/[^0-9]/g, '') === String(n); };"""
APP_HIGHLIGHTED = "(n) => { " + COLOR_CHANGED_JS + STATUS_JS + " return matches(n) && colorChanged(); }"
APP_RESTYLED = "() => { " + COLOR_CHANGED_JS + " return colorChanged(); }"
NEIGHBOURS_TEXT = "() => { const l = document.querySelector('#neighbors-list'); return l ? l.textContent : null; }"
APP_NEIGHBOURS = """(before) => { const l = document.querySelector('#neighbors-list');
    return !!l && l.children.length > 0 && l.textContent !== before; }"""
EMIT_CLICK = f"""(i) => {{ const gd = {GD}; const t = gd._fullData[0];
    const point = {{curveNumber: 0, pointNumber: i, x: t.x[i], y: t.y[i]}};
    if (t.z) point.z = t.z[i];
    gd.emit('plotly_click', {{points: [point]}}); }}"""


APP_ANCHOR_LABEL = """(before) => { const a = document.querySelector('.scatter-labels .label.anchor');
    return !!a && a.textContent !== before; }"""
ANCHOR_LABEL_TEXT = """() => { const a = document.querySelector('.scatter-labels .label.anchor');
    return a ? a.textContent : null; }"""
# Turn the 3D camera (or zoom the 2D axes) in steps, so the labels layer places its labels anew every frame.
MOVE_VIEW = f"""async () => {{ const gd = {GD}; const three = gd._fullData[0].type === 'scatter3d';
    for (let i = 0; i < 30; i++) {{
        const a = 0.05 * (i + 1);
        const update = three
            ? {{'scene.camera.eye': {{x: 1.6 * Math.cos(a), y: 1.6 * Math.sin(a), z: 0.8}}}}
            : {{'xaxis.range': gd._fullLayout.xaxis.range.map((v) => v * 0.98),
                'yaxis.range': gd._fullLayout.yaxis.range.map((v) => v * 0.98)}};
        await window.Plotly.relayout(gd, update);
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    }}
    return window.projectorLabels.frameCost(); }}"""


# A square around the first point (the first Fire- row) holding about `count` points; returns its side.
ZOOM_TO_POINTS = f"""(count) => {{ const gd = {GD}; const t = gd._fullData[0];
    const d = new Float64Array(t._length);
    for (let i = 0; i < t._length; i++) d[i] = Math.max(Math.abs(t.x[i] - t.x[0]), Math.abs(t.y[i] - t.y[0]));
    const r = d.slice().sort()[Math.min(count, t._length - 1)];
    window.Plotly.relayout(gd, {{'xaxis.range': [t.x[0] - r, t.x[0] + r], 'yaxis.range': [t.y[0] - r, t.y[0] + r]}});
    return 2 * r; }}"""
UNZOOM = f"() => window.Plotly.relayout({GD}, {{'xaxis.autorange': true, 'yaxis.autorange': true}})"
IMAGES_DRAWN = f"""(side) => {{ const gd = {GD};
    const image = (gd.layout.images || []).find((i) => i.name === 'points');
    return !!image && Math.abs(image.sizex - side) < 1e-6 * Math.max(1, side); }}"""


# ----------------------------------------------------------------------------------------------------- the logdir
def write_sprite(path: Path, cluster: np.ndarray, cell: int = 16) -> None:
    """One 16 × 16 px thumbnail per point (its cluster's colour, shaded by its row), row-first."""
    from PIL import Image

    n = len(cluster)
    columns = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    colours = np.array([[230, 80, 40], [40, 110, 230], [60, 170, 70], [240, 200, 40], [140, 110, 90], [120, 210, 230]])
    shade = np.linspace(0.6, 1.0, cell)[None, :, None] * np.linspace(0.6, 1.0, cell)[:, None, None]
    sheet = np.zeros((rows * cell, columns * cell, 3), dtype=np.uint8)
    for i, k in enumerate(cluster.tolist()):
        r, c = divmod(i, columns)
        sheet[r * cell : (r + 1) * cell, c * cell : (c + 1) * cell] = (colours[k] * shade).astype(np.uint8)
    Image.fromarray(sheet).save(path / "sprite.png")


def write_logdir(path: Path, n: int, dim: int, seed: int = 0, sprite: bool = False, users: bool = False) -> dict:
    """N × D float32 in 6 clusters (one per type) as a TF2 checkpoint + projector config + label metadata
    (and a sprite of one thumbnail per point when ``sprite``). The metadata is one column of labels, no header;
    with ``users`` a header and three columns: ``name`` (the labels), ``type`` and ``number`` (0 to 999)."""
    import tensorflow as tf
    from tensorboard.plugins import projector

    rng = np.random.default_rng(seed)
    cluster = rng.integers(0, len(TYPES), size=n)
    centers = rng.normal(0, 4, size=(len(TYPES), dim)).astype(np.float32)
    vectors = rng.standard_normal(size=(n, dim), dtype=np.float32)
    vectors += centers[cluster]
    counts = np.bincount(cluster, minlength=len(TYPES))
    width = max(4, len(str(int(counts.max()))))
    seen = [0] * len(TYPES)
    labels = []
    for k in cluster.tolist():
        seen[k] += 1
        labels.append(f"{TYPES[k]}-{seen[k]:0{width}d}")
    path.mkdir(parents=True)
    if users:  # drawn after the vectors, which stay those of the same seed without it
        numbers = rng.integers(0, 1000, size=n).tolist()
        lines = ["name\ttype\tnumber"]
        lines += [f"{label}\t{TYPES[k]}\t{number}" for label, k, number in zip(labels, cluster.tolist(), numbers)]
    else:
        lines = labels
    (path / "metadata.tsv").write_text("\n".join(lines) + "\n")
    tf.train.Checkpoint(embedding=tf.Variable(vectors)).save(str(path / "embedding.ckpt"))
    config = projector.ProjectorConfig()
    embedding = config.embeddings.add()
    embedding.tensor_name = "embedding/.ATTRIBUTES/VARIABLE_VALUE"
    embedding.metadata_path = "metadata.tsv"
    if sprite:
        write_sprite(path, cluster)
        embedding.sprite.image_path = "sprite.png"
        embedding.sprite.single_image_dim.extend([16, 16])
    projector.visualize_embeddings(str(path), config)
    fire = np.flatnonzero(cluster == TYPES.index("Fire"))
    return {"matches": int(fire.size), "first_match": int(fire[0]), "second_match": int(fire[1])}


# ---------------------------------------------------------------------------------------------------- the servers
def wait_idle(pids: list[int], max_s: float, busy_cores: float = 0.15, quiet_s: float = 1.5) -> float:
    """Wait until the processes (with their children) use less than ``busy_cores`` CPU for ``quiet_s``."""
    import psutil

    start = time.monotonic()
    quiet_since = None
    last: dict[int, float] = {}
    first = True
    while time.monotonic() - start < max_s:
        total = 0.0
        for pid in pids:
            try:
                root = psutil.Process(pid)
                for p in [root, *root.children(recursive=True)]:
                    t = p.cpu_times()
                    total_p = t.user + t.system
                    total += total_p - last.get(p.pid, total_p)
                    last[p.pid] = total_p
            except psutil.Error:
                pass
        now = time.monotonic()
        if first:  # the first sample only sets the baseline
            first = False
        elif total < busy_cores * 0.5:
            quiet_since = quiet_since or now
            if now - quiet_since >= quiet_s:
                break
        else:
            quiet_since = None
        time.sleep(0.5)
    return time.monotonic() - start


# -------------------------------------------------------------------------------------------------------- the app
class DashRequests:
    """Counts a page's Dash callback requests in flight, to let the page settle between steps (untimed)."""

    def __init__(self, page) -> None:
        self.pending = 0
        page.on("request", lambda r: self._count(r, +1))
        page.on("requestfinished", lambda r: self._count(r, -1))
        page.on("requestfailed", lambda r: self._count(r, -1))

    def _count(self, request, step: int) -> None:
        if "_dash-update-component" in request.url:
            self.pending = max(0, self.pending + step)


def settle(page, requests: DashRequests | None = None, quiet_ms: int = 400, timeout_s: float = 300) -> None:
    """No Dash request in flight for ``quiet_ms``, then two frames."""
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while time.monotonic() < deadline:
        page.wait_for_timeout(50)
        if requests is None or requests.pending == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= quiet_ms / 1000:
                break
        else:
            quiet_since = None
    page.evaluate(TWO_FRAMES)


def app_open(page, url: str, n: int, timeout_s: float) -> float:
    start = time.perf_counter()
    page.goto(url, timeout=timeout_s * 1000)
    page.wait_for_function(APP_DRAWN, arg=n, polling="raf", timeout=timeout_s * 1000)
    page.evaluate(TWO_FRAMES)
    return time.perf_counter() - start


def app_search(page, expected: int, timeout_s: float) -> float:
    page.evaluate(SNAPSHOT_COLOR)
    start = time.perf_counter()
    page.fill("#search-input", QUERY)
    page.press("#search-input", "Enter")
    page.wait_for_function(APP_HIGHLIGHTED, arg=expected, polling="raf", timeout=timeout_s * 1000)
    page.evaluate(TWO_FRAMES)
    return time.perf_counter() - start


def app_click(page, point: int, timeout_s: float) -> float:
    before = page.evaluate(NEIGHBOURS_TEXT)
    start = time.perf_counter()
    page.evaluate(EMIT_CLICK, point)
    page.wait_for_function(APP_NEIGHBOURS, arg=before, polling="raf", timeout=timeout_s * 1000)
    page.evaluate(TWO_FRAMES)
    seconds = time.perf_counter() - start
    if QUERY not in (page.evaluate(NEIGHBOURS_TEXT) or ""):  # pointNumber i should be row i, a Fire point
        print(f"    note: the app's neighbours of point {point} are not {QUERY}… points: plot order ≠ row order?")
    return seconds


def app_click_labels(page, point: int, timeout_s: float) -> float:
    """A click → the clicked point's label drawn beside it (and its neighbours' labels)."""
    before = page.evaluate(ANCHOR_LABEL_TEXT)
    start = time.perf_counter()
    page.evaluate(EMIT_CLICK, point)
    page.wait_for_function(APP_ANCHOR_LABEL, arg=before, polling="raf", timeout=timeout_s * 1000)
    page.evaluate(TWO_FRAMES)
    return time.perf_counter() - start


def app_label_frame(page) -> float:
    """Script time of the labels layer per frame while the view moves (seconds; median of its last frames)."""
    cost = page.evaluate(MOVE_VIEW)
    if cost is None:
        raise RuntimeError("the labels layer drew no frame")
    return float(cost) / 1000


def app_zoom_images(page, timeout_s: float) -> float:
    """Zoom to about 2,000 points around the first ``Fire-`` point → their images drawn over the plot."""
    start = time.perf_counter()
    size = page.evaluate(ZOOM_TO_POINTS, 2000)
    page.wait_for_function(IMAGES_DRAWN, arg=size, polling="raf", timeout=timeout_s * 1000)
    page.evaluate(TWO_FRAMES)
    return time.perf_counter() - start


def app_clear(page, timeout_s: float) -> float:
    page.evaluate(SNAPSHOT_COLOR)
    start = time.perf_counter()
    page.locator("#clear-selection").dispatch_event("click")
    page.wait_for_function(APP_RESTYLED, polling="raf", timeout=timeout_s * 1000)
    page.evaluate(TWO_FRAMES)
    return time.perf_counter() - start


def app_switch_2d(page, n: int, timeout_s: float) -> None:
    page.get_by_text("2D", exact=True).click()
    page.wait_for_function(APP_2D, arg=n, polling="raf", timeout=timeout_s * 1000)


# --------------------------------------------------------------------------------------------- plotly.js's floor
def floor_page(browser, n: int, workdir: Path, timeout_s: float, dimension: int = 2):
    """plotly.js alone (installed package's plotly.min.js, no CDN): a page with one scattergl (or, with
    ``dimension`` 3, a scatter3d drawn as the app draws it: squares, opacity 0.9, at the screen's pixel ratio)
    of N points in six groups drawn (``window.BASE`` its colour codes, ``window.HIGH`` a highlight of one group);
    its context and page."""
    import plotly

    js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    html = workdir / "plotly-floor.html"
    html.write_text(
        f"<html><body style='margin:0'><div id='g' style='width:1000px;height:800px'></div>"
        f"<script src='{js.as_uri()}'></script></body></html>"
    )
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(html.as_uri(), timeout=timeout_s * 1000)
    page.evaluate(
        """([n, dimension]) => new Promise((resolve) => {
        const x = new Float32Array(n), y = new Float32Array(n), z = new Float32Array(n), c = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          const k = i % 6, a = Math.random() * 6.283, r = Math.sqrt(-2 * Math.log(Math.random() + 1e-12));
          x[i] = 5 * Math.cos(k) + r * Math.cos(a); y[i] = 5 * Math.sin(k) + r * Math.sin(a); c[i] = k + 1;
          z[i] = k + r * Math.sin(3 * a);
        }
        window.BASE = c;
        window.HIGH = c.map((v) => (v === 1 ? 1 : 0));
        const scale = ['#cccccc', '#e4572e', '#3a86ff', '#38b000', '#ffbe0b', '#8d6e63', '#80deea', '#6a4c93']
            .map((col, i) => [i / 7, col]);
        const marker = {size: 3, color: c, colorscale: scale, cmin: 0, cmax: 7};
        let trace = {type: 'scattergl', mode: 'markers', x, y, marker};
        if (dimension === 3) {
          Plotly.setPlotConfig({plotGlPixelRatio: Math.min(2, Math.max(1, window.devicePixelRatio || 1))});
          trace = {type: 'scatter3d', mode: 'markers', x, y, z,
                   marker: Object.assign(marker, {symbol: 'square', opacity: 0.9, line: {width: 0}})};
        }
        Plotly.newPlot('g', [trace], {margin: {l: 0, r: 0, t: 0, b: 0}})
          .then(() => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true))));
    })""",
        [n, dimension],
    )
    return context, page


def floor_restyle(browser, n: int, workdir: Path, timeout_s: float) -> list[float]:
    """plotly.js's floor: ``Plotly.restyle(gd, {'marker.color': [Uint8Array]})`` of :func:`floor_page`'s N points
    to two frames, FLOOR_RESTYLES times (seconds)."""
    context, page = floor_page(browser, n, workdir, timeout_s)
    try:
        times = []
        for k in range(FLOOR_RESTYLES):
            ms = page.evaluate(
                """(which) => new Promise((resolve) => {
                const gd = document.getElementById('g'), t = performance.now();
                Plotly.restyle(gd, {'marker.color': [which ? window.HIGH : window.BASE]}).then(() =>
                  requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t))));
            })""",
                k % 2 == 0,
            )
            times.append(ms / 1000)
        return times
    finally:
        context.close()


def floor_scene_frame(browser, n: int, workdir: Path, timeout_s: float) -> list[float]:
    """plotly.js's floor in 3D: one frame of :func:`floor_page`'s scatter3d of N points drawn again with nothing
    changed (``glplot.redraw()``) to two frames, FLOOR_RESTYLES times (seconds): what any change to the scene
    costs at the least, however its colours reach the buffers."""
    context, page = floor_page(browser, n, workdir, timeout_s, dimension=3)
    try:
        times = []
        for _ in range(FLOOR_RESTYLES):
            ms = page.evaluate(
                """() => new Promise((resolve) => {
                const scene = document.getElementById('g')._fullLayout.scene._scene, t = performance.now();
                scene.glplot.redraw();
                requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t)));
            })"""
            )
            times.append(ms / 1000)
        return times
    finally:
        context.close()


# ------------------------------------------------------------------------------------------------------ the runs
@dataclass
class Config:
    n: int
    dim: int
    view: str  # "3d": against TensorBoard; "2d": the app alone against plotly.js's floor
    users: bool = False  # metadata of a user's shape: a header, name / type / number (see write_logdir)

    @classmethod
    def parse(cls, text: str) -> "Config":
        size, *suffixes = text.lower().split("/")
        n, _, dim = size.partition("x")
        views = [s for s in suffixes if s in ("2d", "3d")]
        users = suffixes.count("users")
        if not n.isdigit() or not dim.isdigit() or len(views) > 1 or users > 1 or len(views) + users < len(suffixes):
            raise argparse.ArgumentTypeError(
                f"{text!r}: expected NxD, NxD/2d, NxD/users or NxD/2d/users, e.g. 10000x128 or 1000000x128/2d"
            )
        return cls(int(n), int(dim), views[0] if views else "3d", bool(users))

    @property
    def name(self) -> str:
        return f"{self.n:,} × {self.dim} {self.view.upper()}" + (", 3 columns" if self.users else "")

    @property
    def tag(self) -> str:
        """For file names: ``10000x1283d``, ``10000x1282d-users``."""
        return f"{self.n}x{self.dim}{self.view}" + ("-users" if self.users else "")

    @property
    def sprite(self) -> bool:
        """2D views up to 100k points get a sprite, to time images as points (TensorBoard's logdirs have none)."""
        return self.view == "2d" and self.n <= 100_000


@dataclass
class Samples:
    values: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, step: str, value: float) -> None:
        self.values.setdefault(step, []).append(value)
        print(f"    {step}: {value:.3f} s", flush=True)

    def fail(self, step: str, error: BaseException) -> None:
        message = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:300]
        self.errors.setdefault(step, message)
        print(f"    {step}: FAILED {message}", flush=True)


STEP_FIRST_OPEN = "first open → points drawn"
STEP_OPEN = "open → points drawn"
STEP_SEARCH = "search → highlight drawn"
STEP_CLICK = "click → neighbours listed"
STEP_CLEAR = "clear → restyled"
STEP_LABELS = "click → labels drawn"
STEP_LABEL_FRAME = "labels layer, per frame"
STEP_IMAGES = "zoom to 2,000 points → images drawn"


def attempt(samples: Samples, step: str, func) -> bool:
    try:
        samples.add(step, func())
        return True
    except Exception as error:  # noqa: BLE001 — a failing step is reported in the table, the run goes on
        samples.fail(step, error)
        return False


def tensorboard_page(context, server, data: dict, n: int, samples: Samples, first: bool, timeout_s: float) -> None:
    page = context.new_page()
    page.set_default_timeout(timeout_s * 1000)
    try:
        frame = None

        def do_open():
            nonlocal frame
            seconds, frame = tb.open_projector(page, server.url, n, timeout_s)
            return seconds

        if not attempt(samples, STEP_FIRST_OPEN if first else STEP_OPEN, do_open) or first:
            return
        # Metadata arrives apart from the tensor: the search needs the label column (untimed).
        frame.wait_for_function(
            "() => {"
            + tb.DEEP_JS
            + """ const p = deep('vz-projector-inspector-panel');
            return !!p && !!p.metadataFields && p.metadataFields.length > 0; }""",
            timeout=timeout_s * 1000,
        )
        page.wait_for_timeout(300)
        if attempt(samples, STEP_SEARCH, lambda: tb.search(frame, QUERY, data["matches"], timeout_s)):
            page.wait_for_timeout(300)
            attempt(samples, STEP_CLICK, lambda: tb.click_first_match(frame, timeout_s))
            page.wait_for_timeout(300)
            tb.clear_search(frame, timeout_s)
    finally:
        page.close()


def app_page(
    context, server, data: dict, config: Config, samples: Samples, first: bool, repeats: int, timeout_s: float
) -> None:
    page = context.new_page()
    page.set_default_timeout(timeout_s * 1000)
    requests = DashRequests(page)
    try:
        if config.view == "2d":
            app_open(page, server.url, config.n, timeout_s)
            settle(page, requests)
            app_switch_2d(page, config.n, timeout_s)
            settle(page, requests)
            for _ in range(repeats):
                if not attempt(samples, STEP_SEARCH, lambda: app_search(page, data["matches"], timeout_s)):
                    return
                settle(page, requests)
                if config.n <= 100_000:  # 30 redraws of a million points would take minutes for a sub-ms figure
                    attempt(samples, STEP_LABEL_FRAME, lambda: app_label_frame(page))
                    settle(page, requests)
                if not attempt(samples, STEP_CLEAR, lambda: app_clear(page, timeout_s)):
                    return
                settle(page, requests)
                if config.sprite:
                    attempt(samples, STEP_IMAGES, lambda: app_zoom_images(page, timeout_s))
                    page.evaluate(
                        f"() => window.Plotly.relayout({GD}, {{'xaxis.autorange': true, 'yaxis.autorange': true}})"
                    )
                    settle(page, requests)
            return
        step = STEP_FIRST_OPEN if first else STEP_OPEN
        if not attempt(samples, step, lambda: app_open(page, server.url, config.n, timeout_s)) or first:
            return
        settle(page, requests)
        if attempt(samples, STEP_SEARCH, lambda: app_search(page, data["matches"], timeout_s)):
            settle(page, requests)
            attempt(samples, STEP_CLICK, lambda: app_click(page, data["first_match"], timeout_s))
            settle(page, requests)
            attempt(samples, STEP_LABELS, lambda: app_click_labels(page, data["second_match"], timeout_s))
            settle(page, requests)
            attempt(samples, STEP_LABEL_FRAME, lambda: app_label_frame(page))
            settle(page, requests)
            app_clear(page, timeout_s)  # untimed here: clear between repeats
            settle(page, requests)
    finally:
        page.close()


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def run_config(
    browser, config: Config, logdir: Path, data: dict, args, workdir: Path, apps: dict[str, Path]
) -> list[dict]:
    """Measure ``config`` on TensorBoard (3D) or plotly.js's floor (2D) and on each of ``apps`` (name → checkout:
    ``app``, and ``before`` with --before), their servers all up at once; one row per step."""
    tag = config.tag
    tb_samples = Samples()
    samples = {name: Samples() for name in apps}
    floor: list[float] = []
    tb_server = None
    servers: dict[str, App] = {}
    contexts = []
    try:
        if config.view == "3d":
            try:
                tb_server = tb.TensorBoardServer(args.python, logdir, free_port(), workdir / f"tensorboard-{tag}.log")
            except Exception as error:  # noqa: BLE001
                tb_samples.fail(STEP_FIRST_OPEN, error)
        for name, root in apps.items():
            try:
                servers[name] = App(  # app.py --logdir DIR --port P --cache-dir TMP
                    workdir / f"{name}-{tag}.log",
                    logdir,
                    ("--cache-dir", str(workdir / f"cache-{name}-{tag}")),
                    python=args.python,
                    app_root=root,
                )
            except Exception as error:  # noqa: BLE001
                samples[name].fail(STEP_FIRST_OPEN if config.view == "3d" else STEP_SEARCH, error)
        pids = [s.pid for s in (tb_server, *servers.values()) if s is not None]
        waited = wait_idle(pids, args.warmup_timeout)
        print(f"  servers up and idle after {waited:.1f} s of warm-up", flush=True)

        if config.view == "3d":
            print("  plotly.js floor (one frame of the scene)", flush=True)
            floor = floor_scene_frame(browser, config.n, workdir, args.timeout)
            print("    frame: " + ", ".join(f"{s:.3f}" for s in floor) + " s", flush=True)
            tb_context = browser.new_context(viewport=VIEWPORT)
            app_contexts = {name: browser.new_context(viewport=VIEWPORT) for name in servers}
            contexts += [tb_context, *app_contexts.values()]
            for r in range(args.repeats + 1):  # page r of each, in turn
                if tb_server is not None:
                    print(f"  TensorBoard, page {r}", flush=True)
                    tensorboard_page(tb_context, tb_server, data, config.n, tb_samples, r == 0, args.timeout)
                for name, context in app_contexts.items():
                    print(f"  {name}, page {r}", flush=True)
                    app_page(context, servers[name], data, config, samples[name], r == 0, args.repeats, args.timeout)
        else:
            print("  plotly.js floor", flush=True)
            floor = floor_restyle(browser, config.n, workdir, args.timeout)
            print("    restyle: " + ", ".join(f"{s:.3f}" for s in floor) + " s", flush=True)
            for name, server in servers.items():
                print(f"  {name} (2D)", flush=True)
                context = browser.new_context(viewport=VIEWPORT)
                contexts.append(context)
                try:
                    app_page(context, server, data, config, samples[name], False, args.repeats, args.timeout)
                except Exception as error:  # noqa: BLE001 — e.g. the open or the 2D switch failed
                    samples[name].fail(STEP_SEARCH, error)
    finally:
        for context in contexts:
            context.close()
        for server in (tb_server, *servers.values()):
            if server is not None:
                server.stop()
        for name in servers:
            if samples[name].errors:
                print(f"  {name} log tail:\n" + tail(workdir / f"{name}-{tag}.log"), flush=True)

    steps = (
        [STEP_FIRST_OPEN, STEP_OPEN, STEP_SEARCH, STEP_CLICK, STEP_LABELS, STEP_LABEL_FRAME]
        if config.view == "3d"
        else [STEP_SEARCH, STEP_CLEAR, STEP_LABEL_FRAME] + ([STEP_IMAGES] if config.sprite else [])
    )
    before_samples = samples.get("before", Samples())
    rows = []
    for step in steps:
        app_only = step in (STEP_LABELS, STEP_LABEL_FRAME, STEP_IMAGES)  # no counterpart measured beside it
        ref_values = [] if app_only else tb_samples.values.get(step, []) if config.view == "3d" else floor
        app_values = samples["app"].values.get(step, [])
        before_values = before_samples.values.get(step, [])
        ref, app, before = median(ref_values), median(app_values), median(before_values)
        errors = [("TB", tb_samples.errors.get(step))] + [(name, s.errors.get(step)) for name, s in samples.items()]
        rows.append(
            {
                "config": config.name,
                "step": step,
                "TensorBoard s": ref if config.view == "3d" else None,
                "plotly floor s": ref if config.view == "2d" else median(floor) if step == STEP_SEARCH else None,
                "app s": app,
                "ratio": (app / ref) if app is not None and ref else None,
                "ratio of": "app/TB" if config.view == "3d" else "app/floor",
                "before s": before,
                "after/before": (app / before) if app is not None and before else None,
                "TensorBoard samples": tb_samples.values.get(step, []) if config.view == "3d" else [],
                "floor samples": floor if config.view == "2d" or step == STEP_SEARCH else [],
                "app samples": app_values,
                "before samples": before_values,
                "errors": "; ".join(f"{who}: {e}" for who, e in errors if e),
            }
        )
    return rows


def environment(browser, apps: dict[str, Path], python: str) -> dict:
    """The run's date, Chromium, nproc, TensorBoard and plotly versions, and the commit of each of ``apps``
    (``app commit``, ``before commit``)."""
    import plotly

    def run(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    def commit(root: Path) -> str:
        short = run("git", "-C", str(root), "rev-parse", "--short", "HEAD")
        if short and run("git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"):
            short += " (with uncommitted changes)"
        return short or "?"

    tensorboard_version = run(python, "-c", "import tensorboard; print(tensorboard.__version__)")
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "chromium": browser.version,
        "nproc": run("nproc") or str(os.cpu_count()),
        "tensorboard": tensorboard_version,
        "plotly": plotly.__version__,
        **{f"{name} commit": commit(root) for name, root in apps.items()},
    }


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--configs",
        type=Config.parse,
        nargs="+",
        default=[Config.parse(c) for c in DEFAULT_CONFIGS],
        metavar="NxD[/2d][/users]",
        help=f"default: {' '.join(DEFAULT_CONFIGS)}",
    )
    parser.add_argument("--repeats", type=int, default=3, help="fresh pages (3D) or rounds (2D) per measurement")
    parser.add_argument("--json", type=Path, help="also save the table (and every sample) as JSON here")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed for any one wait")
    parser.add_argument(
        "--warmup-timeout",
        type=float,
        default=600,
        help="at most this long for the servers' start-up work before timing",
    )
    parser.add_argument("--app-root", type=Path, default=ROOT, help="the checkout whose app.py to run")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DIR",
        help="another checkout of the app (e.g. a git worktree at an older commit) measured beside --app-root's",
    )
    venv_python = ROOT / ".venv" / "bin" / "python"
    parser.add_argument(
        "--python",
        default=str(venv_python if venv_python.exists() else sys.executable),
        help="interpreter for app.py and TensorBoard",
    )
    args = parser.parse_args()
    apps = {"app": args.app_root.resolve()}
    if args.before is not None:
        apps["before"] = args.before.resolve()
        if not (apps["before"] / "app.py").is_file():
            parser.error(f"--before {args.before}: no app.py there")

    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp, sync_playwright() as p:
        workdir = Path(tmp)
        browser = launch_chromium(p)
        env = environment(browser, apps, args.python)
        print("  ".join(f"{k}: {v}" for k, v in env.items()), flush=True)
        logdirs: dict[tuple[int, int, bool, bool], tuple[Path, dict]] = {}
        try:
            for config in args.configs:
                print(f"{config.name}", flush=True)
                key = (config.n, config.dim, config.sprite, config.users)
                if key not in logdirs:
                    suffix = ("-sprite" if config.sprite else "") + ("-users" if config.users else "")
                    path = workdir / f"logdir-{config.n}x{config.dim}{suffix}"
                    start = time.perf_counter()
                    written = write_logdir(path, config.n, config.dim, sprite=config.sprite, users=config.users)
                    logdirs[key] = (path, written)
                    print(
                        f"  logdir written in {time.perf_counter() - start:.1f} s "
                        f"({logdirs[key][1]['matches']:,} labels match {QUERY!r})",
                        flush=True,
                    )
                try:
                    rows += run_config(browser, config, *logdirs[key], args, workdir, apps)
                except Exception:  # noqa: BLE001
                    traceback.print_exc()
        finally:
            browser.close()

    table = pd.DataFrame(rows)
    shown = ["config", "step", "TensorBoard s", "plotly floor s", "app s", "ratio", "ratio of"]
    if "before" in apps:
        shown += ["before s", "after/before"]
    commits = "  ".join(f"{name} {env[f'{name} commit']}" for name in apps)
    print()
    print(
        f"{env['date']}  Chromium {env['chromium']}  nproc {env['nproc']}  TensorBoard {env['tensorboard']}  "
        f"plotly {env['plotly']}  {commits}  repeats {args.repeats} (medians)"
    )
    if not table.empty:
        for column in ("TensorBoard s", "plotly floor s", "app s", "ratio", "before s", "after/before"):
            table[column] = pd.to_numeric(table[column], errors="coerce")
        print(table[shown].to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="—"))
        errors = table[table["errors"] != ""]
        for _, row in errors.iterrows():
            print(f"! {row['config']}, {row['step']}: {row['errors']}")
    if args.json:
        args.json.write_text(json.dumps({**env, "repeats": args.repeats, "rows": rows}, indent=1, ensure_ascii=False))
        print(f"saved {args.json}")


if __name__ == "__main__":
    main()
