"""A training-step change, from the move to the points drawn: this app beside TensorBoard's projector (3D) and
plotly.js alone (2D and 3D), on the same logdir, in one run of headless Chromium.

For each N it writes, with tensorboardX's ``add_embedding(mat, metadata, global_step=s, tag="words")``, N × D
float32 vectors in 6 clusters that drift apart over ``--steps`` steps (labels ``Fire-0001``…), and opens it
with both servers (each left to finish its start-up work before anything is timed).

- **this app**: the step slider moved with the keyboard (End, Home: the last and the first step, in turn), done
  when ``gd._fullData[0].x`` holds the new step's first coordinate, plus two animation frames; in PCA 3D,
  then in 2D (the "2D" radio). ``--before DIR`` measures a second checkout beside it (say a ``git worktree``
  at an older commit) by the very same steps.
- **TensorBoard** lists each step as a tensor of its own (``words:00000``, …): a step change is choosing
  another one in its data panel (the panel's ``selectedTensor``, which its tensor menu sets); done when its
  projector holds the new data set with its PCA computed (``dataSet.projections['pca-0']``), plus two frames.
- **plotly.js alone** (the installed package's ``plotly.min.js``): a scatter3d and a scattergl of N points,
  ``Plotly.restyle`` of their x, y (and z) to the other step's, to two frames: the floor of any plotly.js app.

Every figure is the median of ``--repeats`` moves (plotly.js: of 5). Run it alone on the machine.

  .venv/bin/python bench/bench_steps.py [--sizes 10000 100000] [--dim 64] [--steps 3] [--repeats 5]
      [--before DIR] [--json results.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import tensorboard_projector as tb  # noqa: E402
from bench_browser import APP_DRAWN, GD, TWO_FRAMES, VIEWPORT, app_switch_2d, wait_idle  # noqa: E402

from tests.e2e.launch import App, free_port, launch_chromium  # noqa: E402
from tests.logdirs import write_tensorboardx_steps  # noqa: E402

TYPES = ["Fire", "Water", "Grass", "Electric", "Rock", "Ice"]
FLOOR_MOVES = 5
QUIET_MS = 1500  # untimed, between two moves
FIRST_X = f"() => {GD}._fullData[0].x[0]"
X_CHANGED = f"(before) => {{ const t = {GD}._fullData[0]; return !!t && t.x[0] !== before; }}"
TB_TENSORS = "() => {" + tb.DEEP_JS + " const p = deep('vz-projector-data-panel');"
TB_TENSORS += " return p ? [p.selectedTensor, p.tensorNames] : null; }"
TB_CHOOSE = "(name) => {" + tb.DEEP_JS + " window.__benchSet = deep('vz-projector').dataSet;"
TB_CHOOSE += " deep('vz-projector-data-panel').selectedTensor = name; }"
TB_LOADED = (
    "(n) => {"
    + tb.DEEP_JS
    + """ const ds = deep('vz-projector').dataSet;
    return !!ds && ds !== window.__benchSet && ds.points.length === n && !!ds.projections['pca-0']; }"""
)


def vectors_at(n: int, dim: int, k: int, seed: int = 0) -> np.ndarray:
    """Six clusters whose centres move apart by a step's worth at step k; each point keeps its offset."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(TYPES), dim)).astype(np.float32) * 4
    offsets = rng.normal(size=(n, dim)).astype(np.float32)
    return centres[np.arange(n) % len(TYPES)] * (1 + 0.5 * k) + offsets


def write(path: Path, n: int, dim: int, steps: int) -> list[int]:
    labels = [f"{TYPES[i % len(TYPES)]}-{i:06d}" for i in range(n)]
    numbers = [100 * k for k in range(steps)]
    write_tensorboardx_steps(path, [("words", s, vectors_at(n, dim, k), labels) for k, s in enumerate(numbers)])
    return numbers


def app_moves(page, n: int, repeats: int, timeout_s: float) -> list[float]:
    """``repeats`` slider moves (to the first step and back to the last, in turn) → the new step's points drawn,
    in seconds."""
    handle = page.locator("#step-slider [role=slider]")
    times = []
    for _ in range(repeats):
        page.wait_for_timeout(QUIET_MS)  # what follows a move (the colours, the URL) is done before the next
        page.evaluate(TWO_FRAMES)
        before = page.evaluate(FIRST_X)
        start = time.perf_counter()
        at_first = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemin")
        handle.press("End" if at_first else "Home")  # always to the other end
        page.wait_for_function(X_CHANGED, arg=before, polling="raf", timeout=timeout_s * 1000)
        page.evaluate(TWO_FRAMES)
        times.append(time.perf_counter() - start)
    return times


def app_run(browser, server: App, n: int, repeats: int, timeout_s: float) -> dict[str, list[float]]:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(server.url, timeout=timeout_s * 1000)
        page.wait_for_function(APP_DRAWN, arg=n, polling="raf", timeout=timeout_s * 1000)
        page.wait_for_selector("#step-slider [role=slider]", state="visible", timeout=timeout_s * 1000)
        page.wait_for_timeout(3 * QUIET_MS)  # the panels filled in after the first view
        page.locator("#step-slider [role=slider]").focus()
        three = app_moves(page, n, repeats, timeout_s)
        app_switch_2d(page, n, timeout_s)
        page.locator("#step-slider [role=slider]").focus()
        two = app_moves(page, n, repeats, timeout_s)
        return {"3d": three, "2d": two}
    finally:
        context.close()


def tensorboard_run(browser, server, n: int, steps: list[int], repeats: int, timeout_s: float) -> list[float]:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        _, frame = tb.open_projector(page, server.url, n, timeout_s)
        shown, listed = frame.evaluate(TB_TENSORS) or (None, [])
        first, last = f"words:{steps[0]:05d}", f"words:{steps[-1]:05d}"
        if {first, last} - {t["name"] for t in listed}:
            raise RuntimeError(f"TensorBoard lists {[t['name'] for t in listed]}, not {first} and {last}")
        ends = [last, first] if shown == first else [first, last]  # always to the other end
        times = []
        for r in range(repeats):
            frame.evaluate(TWO_FRAMES)
            start = time.perf_counter()
            frame.evaluate(TB_CHOOSE, ends[r % 2])
            frame.wait_for_function(TB_LOADED, arg=n, polling="raf", timeout=timeout_s * 1000)
            frame.evaluate(TWO_FRAMES)
            times.append(time.perf_counter() - start)
        return times
    finally:
        context.close()


def floor_moves(browser, n: int, dim: int, steps: int, workdir: Path, timeout_s: float) -> dict[str, list[float]]:
    """plotly.js alone: restyle a scatter3d's (and a scattergl's) coordinates between two steps' PCA places."""
    import plotly

    js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    html = workdir / "plotly-steps.html"
    html.write_text(
        f"<html><body style='margin:0'><div id='g' style='width:1000px;height:800px'></div>"
        f"<script src='{js.as_uri()}'></script></body></html>"
    )
    places = []
    for k in (0, steps - 1):  # the first three principal axes of each step, as the app draws them
        v = vectors_at(n, dim, k)
        v = v - v.mean(axis=0)
        _, _, vt = np.linalg.svd(v[:: max(1, n // 20_000)], full_matrices=False)
        places.append((v @ vt[:3].T).astype(np.float32).T.tolist())
    results = {}
    for kind in ("scatter3d", "scattergl"):
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.goto(html.as_uri(), timeout=timeout_s * 1000)
            page.evaluate(
                """([kind, places]) => new Promise((resolve) => {
                window.PLACES = places.map((p) => p.map((axis) => Float32Array.from(axis)));
                const [x, y, z] = window.PLACES[0];
                const trace = {type: kind, mode: 'markers', x, y, marker: {size: 3}};
                if (kind === 'scatter3d') trace.z = z;
                Plotly.newPlot('g', [trace], {margin: {l: 0, r: 0, t: 0, b: 0}})
                  .then(() => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true))));
            })""",
                [kind, places],
            )
            times = []
            for r in range(FLOOR_MOVES):
                ms = page.evaluate(
                    """([kind, which]) => new Promise((resolve) => {
                    const gd = document.getElementById('g'), t = performance.now(), [x, y, z] = window.PLACES[which];
                    const update = kind === 'scatter3d' ? {x: [x], y: [y], z: [z]} : {x: [x], y: [y]};
                    Plotly.restyle(gd, update).then(() =>
                      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t))));
                })""",
                    [kind, 1 - r % 2],
                )
                times.append(ms / 1000)
            results["3d" if kind == "scatter3d" else "2d"] = times
        finally:
            context.close()
    return results


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--before", type=Path, help="a second checkout of the app, measured beside this one")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    apps = {"app": ROOT, **({"before": args.before} if args.before else {})}
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-steps-") as tmp, sync_playwright() as playwright:
        workdir = Path(tmp)
        browser = launch_chromium(playwright)
        for n in args.sizes:
            logdir = workdir / f"logdir-{n}"
            print(f"{n:,} × {args.dim}, {args.steps} steps: writing", flush=True)
            steps = write(logdir, n, args.dim, args.steps)
            servers: dict = {}
            try:
                servers["TensorBoard"] = tb.TensorBoardServer(args.python, logdir, free_port(), workdir / f"tb-{n}.log")
                for name, root in apps.items():
                    cache = ("--cache-dir", str(workdir / f"cache-{name}-{n}"))
                    servers[name] = App(workdir / f"{name}-{n}.log", logdir, cache, python=args.python, app_root=root)
                print(f"  idle after {wait_idle([s.pid for s in servers.values()], 600):.1f} s", flush=True)
                print("  plotly.js alone", flush=True)
                floor = floor_moves(browser, n, args.dim, args.steps, workdir, args.timeout)
                measured = {}
                for name in apps:
                    print(f"  {name}", flush=True)
                    measured[name] = app_run(browser, servers[name], n, args.repeats, args.timeout)
                print("  TensorBoard", flush=True)
                board = tensorboard_run(browser, servers["TensorBoard"], n, steps, args.repeats, args.timeout)
            finally:
                for server in servers.values():
                    server.stop()
            for view in ("3d", "2d"):
                app = median(measured["app"][view])
                row = {
                    "N": n,
                    "view": view,
                    "app s": app,
                    "before s": median(measured["before"][view]) if "before" in measured else None,
                    "TensorBoard s": median(board) if view == "3d" else None,
                    "plotly.js s": median(floor[view]),
                    "samples": {"app": measured, "TensorBoard": board, "plotly.js": floor},
                }
                row["app/TB"] = app / row["TensorBoard s"] if row["TensorBoard s"] else None
                row["app/plotly.js"] = app / row["plotly.js s"]
                row["app/before"] = app / row["before s"] if row["before s"] else None
                rows.append(row)
                print(
                    f"  {view}: app {app:.3f} s"
                    + (f", before {row['before s']:.3f} s (×{row['app/before']:.2f})" if row["before s"] else "")
                    + (f", TensorBoard {row['TensorBoard s']:.3f} s (×{row['app/TB']:.2f})" if row["app/TB"] else "")
                    + f", plotly.js {row['plotly.js s']:.3f} s (×{row['app/plotly.js']:.2f})",
                    flush=True,
                )
        browser.close()
    if args.json:
        args.json.write_text(json.dumps({"date": dt.date.today().isoformat(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
