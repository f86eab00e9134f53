"""The first UMAP of a fresh server, as a user meets it: start, warm-up, the UMAP tab, Run → layout drawn.

Each repeat starts a new server with the shipped warm-up (it reads the data, computes its PCA, then compiles
UMAP's numba code in the server process that jobs are forked from) and, once its log says "Warm-up: UMAP
compiled", opens the page in headless Chromium, picks UMAP 2D and presses Run. Timed from the click to the
UMAP layout drawn (``gd._fullData[0]`` a ``scattergl`` of N points whose x-axis reads "UMAP 1") plus two
animation frames; then a second run with 8 neighbours (a new job, not the cache) the same way.

- ``demo``: ``app.py`` with no ``--logdir`` and HOME in a fresh directory, as the README starts it (scikit-learn's
  digits, 1,797 × 64);
- ``N``: a logdir of N × 64 float32 vectors in 6 clusters (bench_browser's TF2 checkpoint), opened by the app
  (``--logdir``, a fresh ``--cache-dir``) and by TensorBoard's projector, whose UMAP runs in the page (umap-js):
  the same click → layout drawn, on a fresh page of one TensorBoard server.

numba's on-disk cache is the one a user's install has (next to umap-learn's files), so the warm-up of the
first repeat may compile from scratch and later ones load; the warm-up column says how long it took.

  .venv/bin/python bench/bench_umap.py [--sizes demo 5000 20000] [--repeats 3] [--skip-tensorboard]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import tensorboard_projector as tb  # noqa: E402
from bench_browser import GD, TWO_FRAMES, VIEWPORT, wait_idle, write_logdir  # noqa: E402

from tests.e2e.launch import App, free_port, fresh_home_env, launch_chromium, tail  # noqa: E402

DIM = 64
DEMO_N = 1797
COMPILED = re.compile(r"Warm-up: UMAP compiled \(([\d.]+) s\)")
UMAP_DRAWN = f"""(n) => {{ const gd = {GD}; const t = gd && gd._fullData && gd._fullData[0];
    return !!t && t.type === 'scattergl' && !!t.x && t.x.length === n
        && gd._fullLayout.xaxis.title.text === 'UMAP 1'
        && /^done/.test(document.querySelector('#umap-status').innerText); }}"""
STATUS_CHANGED = "(before) => document.querySelector('#umap-status').innerText !== before"


class FreshApp(App):
    """``app.py`` as a user starts it: the demo in a fresh HOME, or ``--logdir`` with a fresh cache."""

    def __init__(self, logdir: Path | None, home: Path, log_path: Path) -> None:
        args = () if logdir is None else ("--cache-dir", str(home / "cache"))
        super().__init__(log_path, logdir, args, env=fresh_home_env(home))

    def warm_up_s(self, timeout_s: float) -> float:
        """Wait for the log's "UMAP compiled (X s)" and return X."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = COMPILED.search(self.log_path.read_text())
            if found:
                return float(found.group(1))
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        raise RuntimeError(f"no 'UMAP compiled' in the app's log:\n{tail(self.log_path)}")


def app_umap(page, n: int, neighbours: int | None, timeout_s: float) -> float:
    """Click Run (after setting the neighbours) → done and the UMAP layout drawn, plus two frames."""
    if neighbours is not None:
        page.fill("#umap-neighbors", str(neighbours))
        page.press("#umap-neighbors", "Enter")
        page.wait_for_timeout(300)
    before = page.inner_text("#umap-status")
    start = time.perf_counter()
    page.click("#umap-run")
    page.wait_for_function(STATUS_CHANGED, arg=before, polling="raf", timeout=timeout_s * 1000)
    page.wait_for_function(UMAP_DRAWN, arg=n, polling="raf", timeout=timeout_s * 1000)
    page.evaluate(TWO_FRAMES)
    seconds = time.perf_counter() - start
    status = page.inner_text("#umap-status")
    if status != "done":
        raise RuntimeError(f"UMAP ended {status!r}: {page.inner_text('#error-banner')}")
    return seconds


def app_round(browser, logdir: Path | None, n: int, workdir: Path, timeout_s: float) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(dir=workdir, prefix="home-"))
    server = FreshApp(logdir, home, workdir / f"app-{n}.log")
    try:
        warm = server.warm_up_s(timeout_s)
        wait_idle([server.pid], max_s=60)
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(server.url, timeout=timeout_s * 1000)
        page.wait_for_function(
            f"(n) => {{ const t = {GD} && {GD}._fullData; return !!t && !!t.length && t[0].x.length === n; }}",
            arg=n,
            timeout=timeout_s * 1000,
        )
        page.click('#projection-tabs .tab:has-text("UMAP")')
        page.get_by_text("2D", exact=True).click()
        first = app_umap(page, n, None, timeout_s)
        second = app_umap(page, n, 8, timeout_s)
        context.close()
        return {"warm-up": warm, "first": first, "second": second}
    finally:
        server.stop()


def tensorboard_rounds(browser, logdir: Path, n: int, repeats: int, workdir: Path, timeout_s: float) -> list[float]:
    server = tb.TensorBoardServer(sys.executable, logdir, free_port(), workdir / f"tensorboard-{n}.log")
    try:
        wait_idle([server.pid], max_s=60)
        seconds = []
        for _ in range(repeats):
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            _, frame = tb.open_projector(page, server.url, n, timeout_s)
            seconds.append(tb.run_umap(frame, 2, timeout_s))
            context.close()
        return seconds
    finally:
        server.stop()


def row(label: str, values: list[float]) -> str:
    return f"{label:>28}: median {statistics.median(values):6.2f} s  (" + ", ".join(f"{v:.2f}" for v in values) + ")"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["demo", "5000", "20000"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-tensorboard", action="store_true")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    print(f"bench_umap {dt.date.today()}  app {commit.stdout.strip()}  cores {os.cpu_count()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-umap-") as tmp, sync_playwright() as p:
        workdir = Path(tmp)
        browser = launch_chromium(p)
        for size in args.sizes:
            n = DEMO_N if size == "demo" else int(size)
            logdir = None
            if size != "demo":
                logdir = workdir / f"logdir-{n}"
                write_logdir(logdir, n, DIM)
            rounds = [app_round(browser, logdir, n, workdir, args.timeout) for _ in range(args.repeats)]
            title = "demo (1,797 × 64, README start)" if logdir is None else f"{n:,} × {DIM}"
            print(f"\n{title}, {args.repeats} fresh servers", flush=True)
            for key in ("warm-up", "first", "second"):
                label = {"warm-up": "app warm-up (log)", "first": "app first UMAP", "second": "app second UMAP"}[key]
                print(row(label, [r[key] for r in rounds]), flush=True)
            if logdir is not None and not args.skip_tensorboard:
                peer = tensorboard_rounds(browser, logdir, n, args.repeats, workdir, args.timeout)
                print(row("TensorBoard UMAP", peer), flush=True)
                ratio = statistics.median(r["first"] for r in rounds) / statistics.median(peer)
                print(f"{'first UMAP, app / TensorBoard':>28}: {ratio:.2f}×", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
