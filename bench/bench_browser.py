"""End-to-end figures in headless Chromium: page open → points drawn, search → highlighted, recolour.

Same measurements as the peers' table in PERFORMANCE.md. For each N it writes a TF2 checkpoint of N × D
float32 vectors with a word/cluster metadata TSV, starts ``app.py`` on a free loopback port and drives
Debian's Chromium. Run: ``.venv/bin/python bench/bench_browser.py [--sizes 10000 100000] [--dim 128]``.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_foundation import write_logdir  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
DRAWN = """(n) => { const gd = document.querySelector('#scatter .js-plotly-plot');
    return gd && gd._fullData && gd._fullData.length && gd._fullData[0].x && gd._fullData[0].x.length === n; }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(logdir: Path, cache: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--logdir", str(logdir), "--port", str(port), "--cache-dir", str(cache)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "_dash-layout", timeout=1)
            return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("app did not start")


def measure(browser, url: str, n: int, dimension: int) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(300_000)
    received = []
    page.on("response", lambda r: received.append((r.url, r.headers.get("content-length"))))
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(DRAWN, arg=n)
    open_s = time.perf_counter() - start
    if dimension == 2:
        page.get_by_text("2D", exact=True).click()
        page.wait_for_function("() => document.querySelector('#scatter .js-plotly-plot')._fullData[0].type === 'scattergl'")
        page.wait_for_timeout(500)
    start = time.perf_counter()
    page.fill("#search-input", "w1")
    page.press("#search-input", "Enter")
    page.wait_for_function("() => /\\d+ selected/.test(document.querySelector('#selection-count').innerText) && "
                           "document.querySelector('#selection-count').innerText !== '0 selected'")
    page.wait_for_function("""() => { const m = document.querySelector('#scatter .js-plotly-plot')._fullData[0].marker;
        return Array.from(m.color).some(c => c === 0); }""")  # dimmed points drawn
    search_s = time.perf_counter() - start
    start = time.perf_counter()
    page.click("#clear-selection")
    page.wait_for_function("() => document.querySelector('#selection-count').innerText === '0 selected'")
    page.wait_for_function("""() => { const m = document.querySelector('#scatter .js-plotly-plot')._fullData[0].marker;
        return !Array.from(m.color).some(c => c === 0); }""")
    clear_s = time.perf_counter() - start
    page.close()
    opened = round(open_s, 2) if dimension == 3 else None  # the page always opens in 3D
    return {"N": n, "view": f"{dimension}D", "open → points drawn s": opened,
            "search → highlighted s": round(search_s, 2), "clear → restyled s": round(clear_s, 2)}


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--views", type=int, nargs="+", default=[3, 2], choices=[2, 3],
                        help="plot dimensions to measure (the page opens in 3D either way)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for n in args.sizes:
            logdir = Path(tmp) / f"n{n}"
            write_logdir(logdir, n, args.dim)
            for dimension in args.views:
                process, url = start_app(logdir, Path(tmp) / f"cache{n}{dimension}")
                try:
                    rows.append(measure(browser, url, n, dimension))
                finally:
                    process.terminate()
                    process.wait(timeout=10)
                print(rows[-1], flush=True)
        browser.close()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
