"""Reading the map, timed in headless Chromium at several N, beside the field's own tools in the same run.

The logdir is bench_browser's (N × D float32 in six planted groups, metadata of a user's shape: name, type and
a number 0–999). One app server per N (``app.py --logdir``, its own cache), left to finish its warm-up. Each
step runs ``--repeats`` times on fresh pages; the table gives medians:

1. **Find clusters → names drawn** (3D PCA, on the vectors, named by ``type``): a click on ``#cluster-run``;
   done when ``#cluster-status`` says "N clusters in" and the names layer shows them, then two frames. Each
   repeat asks another minimum size (the default, then one and two more), so none is answered from the cache.
   Beside it: scikit-learn's ``HDBSCAN`` on all N points of the same vectors through the same PCA to 50
   dimensions, in this process (what the app's job stands for above its 20,000-point sample), once per N
   (skipped above ``--exact-limit``); and how well the app's clusters match the planted groups (adjusted Rand).
2. **Chart brush → highlight drawn** (2D): the metadata charts opened on ``number`` (untimed); a brush of
   its middle third, sent as Plotly's ``plotly_selected`` event on that chart (what dcc.Graph hears from a real
   brush); done when ``#selection-count`` says how many and the plot's ``_fullData[0].marker.color`` changed,
   then two frames. Beside it: plotly.js alone restyling the colours of N scattergl markers (bench_browser's
   floor).
3. **Density on → drawn** (2D): a tick of ``#density-toggle``; done when the plot's layout holds the
   ``density`` image, then two frames. Beside it: plotly.js alone laying one PNG of the same size under N
   scattergl markers (``Plotly.relayout`` of ``images``).

  .venv/bin/python bench/bench_map.py [--sizes 10000 100000] [--dim 128] [--repeats 3] [--exact-limit 100000]

Run it alone on the machine (``flock /tmp/heavy.lock …`` on a shared box).
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_browser as bb  # noqa: E402

STEP_CLUSTERS = "find clusters → names drawn"
STEP_BRUSH = "chart brush → highlight drawn"
STEP_DENSITY = "density on → drawn"
DENSITY_PIXELS = 384  # callbacks.density_layer.PIXELS

NAMES_DRAWN = """(before) => { const s = document.querySelector('#cluster-status');
    const layer = document.querySelector('.scatter-clusters');
    return !!s && /clusters? in/.test(s.textContent) && s.textContent !== before && !!layer
        && getComputedStyle(layer).display !== 'none' && layer.children.length > 0; }"""
CHARTED = """(title) => Array.from(document.querySelectorAll('#metadata-charts .js-plotly-plot'))
    .some((gd) => gd._fullLayout && gd._fullLayout.title.text === title)"""
BRUSH = """([title, lo, hi]) => { const gd = Array.from(document.querySelectorAll('#metadata-charts .js-plotly-plot'))
    .find((g) => g._fullLayout.title.text === title);
    gd.emit('plotly_selected', {points: [], range: {x: [lo, hi], y: [0, 1]}}); }"""
SELECTED = """(n) => { const c = document.querySelector('#selection-count');
    return !!c && c.textContent.replace(/[^0-9]/g, '') === String(n); }"""
DENSITY_SHOWN = f"""() => {{ const gd = {bb.GD};
    return !!gd && (gd.layout.images || []).some((i) => i && i.name === 'density'); }}"""


def png_uri(pixels: int) -> str:
    """A soft blob as an RGBA PNG data URI, about the size of the app's density image."""
    from PIL import Image

    yy, xx = np.mgrid[0:pixels, 0:pixels] / pixels - 0.5
    alpha = np.clip(190 * np.exp(-(xx**2 + yy**2) * 12), 0, 255).astype(np.uint8)
    rgba = np.dstack([np.full_like(alpha, 31), np.full_like(alpha, 95), np.full_like(alpha, 191), alpha])
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def floor_image(browser, n: int, workdir: Path, repeats: int, timeout_s: float) -> list[float]:
    """plotly.js alone: one PNG laid under N scattergl markers (relayout of ``images``) to two frames."""
    context, page = bb.floor_page(browser, n, workdir, timeout_s)
    try:
        times = []
        for _ in range(repeats):
            ms = page.evaluate(
                """([source, on]) => new Promise((resolve) => {
                const gd = document.getElementById('g'), t = performance.now();
                const images = on ? [{source, xref: 'x', yref: 'y', x: -8, y: 8, sizex: 16, sizey: 16,
                                      sizing: 'stretch', layer: 'below'}] : [];
                Plotly.relayout(gd, {images}).then(() =>
                  requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t))));
            })""",
                [png_uri(DENSITY_PIXELS), True],
            )
            times.append(ms / 1000)
            page.evaluate("() => Plotly.relayout(document.getElementById('g'), {images: []})")
        return times
    finally:
        context.close()


def exact_hdbscan(logdir: Path, n: int, min_size: int, truth: np.ndarray) -> tuple[float, float]:
    """scikit-learn's HDBSCAN on all N vectors (through the app's PCA to 50): seconds and adjusted Rand."""
    from sklearn.cluster import HDBSCAN
    from sklearn.metrics import adjusted_rand_score

    from projector.clusters import reduced
    from projector.workspace import Workspace

    workspace = Workspace(logdir, cache_root=logdir.parent / "exact-cache")
    vectors = workspace.dataset(workspace.listing(".").specs[0].key).vectors
    start = time.perf_counter()
    labels = HDBSCAN(min_cluster_size=min_size, copy=True).fit_predict(reduced(vectors))
    return time.perf_counter() - start, float(adjusted_rand_score(truth, labels))


def app_clusters(page, size: int | None, timeout_s: float) -> float:
    page.fill("#cluster-min-size", "" if size is None else str(size))
    page.press("#cluster-min-size", "Enter")
    before = page.inner_text("#cluster-status")
    start = time.perf_counter()
    page.locator("#cluster-run").dispatch_event("click")
    page.wait_for_function(NAMES_DRAWN, arg=before, polling="raf", timeout=timeout_s * 1000)
    page.evaluate(bb.TWO_FRAMES)
    return time.perf_counter() - start


def app_brush(page, low: float, high: float, expected: int, timeout_s: float) -> float:
    page.evaluate(bb.SNAPSHOT_COLOR)
    start = time.perf_counter()
    page.evaluate(BRUSH, ["number", low, high])
    page.wait_for_function(SELECTED, arg=expected, polling="raf", timeout=timeout_s * 1000)
    page.wait_for_function(bb.APP_RESTYLED, polling="raf", timeout=timeout_s * 1000)
    page.evaluate(bb.TWO_FRAMES)
    return time.perf_counter() - start


def app_density(page, timeout_s: float) -> float:
    start = time.perf_counter()
    page.locator("#density-toggle input").check()
    page.wait_for_function(DENSITY_SHOWN, polling="raf", timeout=timeout_s * 1000)
    page.evaluate(bb.TWO_FRAMES)
    return time.perf_counter() - start


def cluster_truth(logdir: Path) -> tuple[np.ndarray, pd.Series]:
    """The planted group of each row (its type) and its number, from the logdir's metadata."""
    table = pd.read_csv(logdir / "metadata.tsv", sep="\t")
    return table["type"].astype("category").cat.codes.to_numpy(), table["number"]


def one_page(browser, url: str, n: int, size: int | None, brush: tuple, samples, args) -> float | None:
    """One fresh page through the three steps; the adjusted Rand of the app's clusters against the planted
    groups (read from its metadata download) when the cluster run succeeded."""
    low, high, brushed = brush
    truth = None
    context = browser.new_context(viewport=bb.VIEWPORT, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(args.timeout * 1000)
    requests = bb.DashRequests(page)
    try:
        bb.app_open(page, url, n, args.timeout)
        bb.settle(page, requests)
        if bb.attempt(samples, STEP_CLUSTERS, lambda: app_clusters(page, size, args.timeout)):
            bb.settle(page, requests)
            truth = app_agreement(page, args.timeout)
        bb.app_switch_2d(page, n, args.timeout)
        bb.settle(page, requests)
        page.get_by_label("Metadata charts").check()
        page.wait_for_function(CHARTED, arg="number", timeout=args.timeout * 1000)
        bb.settle(page, requests)
        bb.attempt(samples, STEP_BRUSH, lambda: app_brush(page, low, high, brushed, args.timeout))
        bb.settle(page, requests)
        bb.attempt(samples, STEP_DENSITY, lambda: app_density(page, args.timeout))
        bb.settle(page, requests)
    finally:
        context.close()
    return truth


def app_agreement(page, timeout_s: float) -> float:
    """The adjusted Rand index of the cluster column (Download metadata) against the planted types."""
    from sklearn.metrics import adjusted_rand_score

    with page.expect_download(timeout=timeout_s * 1000) as info:
        page.click("#download-metadata")
    table = pd.read_csv(info.value.path(), sep="\t", keep_default_na=False)
    return float(adjusted_rand_score(table["type"], table["cluster"]))


def run_size(browser, n: int, args, workdir: Path) -> list[dict]:
    logdir = workdir / f"logdir-{n}"
    written = bb.write_logdir(logdir, n, args.dim, users=True)
    truth, numbers = cluster_truth(logdir)
    low, high = 333.0, 666.0
    brushed = int(((numbers >= low) & (numbers <= high)).sum())
    from projector.clusters import default_min_size

    sizes = [None, default_min_size(n) + 1, default_min_size(n) + 2]
    app = bb.App(workdir / f"app-{n}.log", logdir, ("--cache-dir", str(workdir / f"cache-{n}")), python=args.python)
    samples = bb.Samples()
    app_ari = None
    try:
        print(f"  server idle after {bb.wait_idle([app.pid], args.warmup_timeout):.1f} s of warm-up", flush=True)
        for r in range(args.repeats):
            ari = one_page(browser, app.url, n, sizes[r % len(sizes)], (low, high, brushed), samples, args)
            if ari is not None:
                app_ari = ari
    finally:
        app.stop()
        if samples.errors:
            print("  app log tail:\n" + bb.tail(workdir / f"app-{n}.log"), flush=True)

    status = ""
    exact = None
    if n <= args.exact_limit:
        seconds, ari = exact_hdbscan(logdir, n, default_min_size(n), truth)
        exact = seconds
        status = f"exact HDBSCAN: adjusted Rand {ari:.3f} against the planted groups"
        print(f"  scikit-learn HDBSCAN on all {n:,}: {seconds:.1f} s ({status})", flush=True)
    floor = bb.floor_restyle(browser, n, workdir, args.timeout)
    image = floor_image(browser, n, workdir, bb.FLOOR_RESTYLES, args.timeout)
    peers = {STEP_CLUSTERS: exact, STEP_BRUSH: statistics.median(floor), STEP_DENSITY: statistics.median(image)}
    names = {
        STEP_CLUSTERS: "scikit-learn HDBSCAN, all points",
        STEP_BRUSH: "plotly.js restyle",
        STEP_DENSITY: "plotly.js image",
    }
    rows = []
    for step in (STEP_CLUSTERS, STEP_BRUSH, STEP_DENSITY):
        values = samples.values.get(step, [])
        app_s = statistics.median(values) if values else None
        peer = peers[step]
        rows.append(
            {
                "N": f"{n:,}",
                "step": step,
                "this app s": app_s,
                "peer": names[step],
                "peer s": peer,
                "app / peer": app_s / peer if app_s and peer else None,
                "error": samples.errors.get(step, ""),
            }
        )
    agreement = "" if app_ari is None else f"the app's clusters: adjusted Rand {app_ari:.3f}"
    print(f"  ({written['matches']:,} Fire points; brush selects {brushed:,}) {agreement}; {status}", flush=True)
    return rows


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--warmup-timeout", type=float, default=600)
    parser.add_argument("--exact-limit", type=int, default=100_000, help="largest N scikit-learn clusters whole")
    venv_python = bb.ROOT / ".venv" / "bin" / "python"
    parser.add_argument("--python", default=str(venv_python if venv_python.exists() else sys.executable))
    args = parser.parse_args()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-map-") as tmp, sync_playwright() as p:
        browser = bb.launch_chromium(p)
        try:
            for n in args.sizes:
                print(f"{n:,} × {args.dim}", flush=True)
                rows += run_size(browser, n, args, Path(tmp))
        finally:
            browser.close()
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
