"""What marker choices cost in plotly.js alone: symbol, per-point size, opacity and hover text.

For each N and trace type (``scattergl`` for 2-D, ``scatter3d`` for 3-D) it draws a baseline trace like the
app's (markers, float32 coordinates, uint8 colour codes on a discrete colourscale, a per-point size array,
opacity 0.9, per-point ``hovertext`` with ``%{hovertext}<extra></extra>``, circles) and variants that each
change one thing: square symbol, one scalar size (drawn as large as the array's), opacity 1, no hover text
(``hoverinfo: "none"``); then two combinations that keep the hover text: square + opacity 1 + scalar size, and
"cheapest" (scalar size with circles and opacity 1 in 2-D, with squares and opacity 0.9 in 3-D). It measures,
in headless Debian Chromium with software WebGL (SwiftShader) and the ``plotly.min.js`` bundled with the
installed ``plotly`` package:

* first draw: ``Plotly.newPlot`` to two animation frames later, median of 3 fresh pages;
* restyle: one ``Plotly.restyle`` of ``marker.color`` and ``marker.size`` (colour only for the scalar-size
  variants) to two animation frames after its promise resolves, median of 5 different highlights.

At 10k points it saves a screenshot of every variant, after its last highlight, to ``--shots``.

Run: ``.venv/bin/python bench/bench_markers.py [--sizes 10000 100000] [--shots /tmp/markers]``
(needs Debian's ``chromium`` package at /usr/bin/chromium; never ``playwright install``).
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import plotly
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from projector.colors import (  # noqa: E402
    DIMMED_COLOR,
    FIRST_CODE,
    MISSING_COLOR,
    SELECTED_COLOR,
    ColorEncoding,
    category_colors,
)
from projector.figures import POINT_SIZE, point_style, scatter_figure  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-gl=angle",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
VIEWPORT = {"width": 1200, "height": 800}
CLUSTERS = ["Fire", "Water", "Earth", "Air", "Metal", "Wood", "Ice", "Storm", "Light", "Shadow"]
DRAWS, RESTYLES, SHOT_N = 3, 5, 10_000
TIMEOUT_MS = 600_000

RESTYLE_JS = """async ([codes, sizes]) => {
  const decode = s => Uint8Array.from(atob(s), c => c.charCodeAt(0));
  const update = {'marker.color': [decode(codes)]};
  if (sizes !== null) update['marker.size'] = [decode(sizes)];
  const gd = document.getElementById('g');
  const t0 = performance.now();
  await Plotly.restyle(gd, update);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return (performance.now() - t0) / 1000;
}"""


def scalar_size(dimension: int) -> float:
    """The one marker size that draws like the app's per-point array of ``POINT_SIZE``.

    scatter3d halves sizes given as an array (its bubble-size function) but not a scalar one, so a scalar
    of the same value would draw markers twice as wide there.
    """
    return POINT_SIZE[dimension] / 2 if dimension == 3 else POINT_SIZE[dimension]


def _marker(**changes: object) -> Callable[[dict, int], None]:
    def apply(trace: dict, dimension: int) -> None:
        for key, value in changes.items():
            trace["marker"][key] = scalar_size(dimension) if value == "scalar" else value

    return apply


def _no_hover(trace: dict, dimension: int) -> None:
    del trace["hovertext"], trace["hovertemplate"]
    trace["hoverinfo"] = "none"


def _cheapest(trace: dict, dimension: int) -> None:
    """Scalar size plus what did not slow restyles: opacity 1 with circles in 2-D, squares at opacity 0.9 in 3-D."""
    if dimension == 3:
        _marker(symbol="square", size="scalar")(trace, dimension)
    else:
        _marker(opacity=1, size="scalar")(trace, dimension)


VARIANTS: dict[str, Callable[[dict, int], None]] = {
    "baseline": lambda trace, dimension: None,
    "square": _marker(symbol="square"),
    "scalar size": _marker(size="scalar"),
    "opacity 1": _marker(opacity=1),
    "no hover": _no_hover,
    "square+opacity 1+scalar": _marker(symbol="square", opacity=1, size="scalar"),
    "cheapest": _cheapest,
}


def encoding(n: int, rng: np.random.Generator) -> tuple[np.ndarray, ColorEncoding, list[str]]:
    """Cluster ids, their colour encoding and hover labels like ``Fire-00012``."""
    cluster = rng.integers(0, len(CLUSTERS), size=n)
    palette = [DIMMED_COLOR, SELECTED_COLOR, MISSING_COLOR, *category_colors(len(CLUSTERS))]
    codes = (FIRST_CODE + cluster).astype(np.uint16)
    labels = [f"{CLUSTERS[c]}-{i:05d}" for i, c in enumerate(cluster)]
    return cluster, ColorEncoding(codes, palette, "categorical"), labels


def coordinates(cluster: np.ndarray, dimension: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian blobs, one per cluster, as float32."""
    centres = rng.normal(scale=4.0, size=(len(CLUSTERS), dimension))
    return (centres[cluster] + rng.normal(size=(cluster.size, dimension))).astype(np.float32)


def figure(coords: np.ndarray, enc: ColorEncoding, labels: list[str], variant: str) -> dict:
    """The app's figure for these points at opacity 0.9 and circles, then one variant's change."""
    dimension = coords.shape[1]
    style = point_style(enc, np.array([], dtype=np.int64), None, dimension)
    fig = scatter_figure(coords, labels, style, ["x", "y", "z"][:dimension], "bench")
    trace = fig["data"][0]
    trace["marker"].update(symbol="circle", opacity=0.9)
    VARIANTS[variant](trace, dimension)
    return fig


def highlights(enc: ColorEncoding, cluster: np.ndarray, dimension: int, scalar: bool) -> list[tuple[str, str | None]]:
    """``RESTYLES`` different search results (a few points of one cluster, one anchor) as base64 uint8 arrays."""
    rng = np.random.default_rng(1)
    out = []
    for i in range(RESTYLES):
        members = np.flatnonzero(cluster == i)
        selected = np.sort(rng.choice(members, size=max(5, members.size // 50), replace=False))
        style = point_style(enc, selected, int(selected[0]), dimension)
        codes = base64.b64encode(style.codes.astype(np.uint8).tobytes()).decode("ascii")
        sizes = None if scalar else base64.b64encode(style.sizes.astype(np.uint8).tobytes()).decode("ascii")
        out.append((codes, sizes))
    return out


def write_page(fig: dict, path: Path) -> None:
    """An HTML page that draws ``fig`` with the bundled plotly.js and records the draw time in ``window.DRAWN``."""
    body = json.dumps(fig, cls=plotly.utils.PlotlyJSONEncoder)
    path.write_text(
        "<html><body style='margin:0'><div id=g style='width:1200px;height:800px'></div>"
        f"<script src='{PLOTLY_JS.as_uri()}'></script><script>window.FIG={body}; const t0 = performance.now();"
        "Plotly.newPlot('g', FIG.data, FIG.layout).then(() => requestAnimationFrame(() => requestAnimationFrame(() =>"
        " { window.DRAWN = (performance.now() - t0) / 1000; })));</script></body></html>"
    )


def open_drawn(browser: Browser, page_path: Path) -> tuple[Page, float]:
    """A fresh page with the figure drawn, and its first-draw time in seconds."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(page_path.as_uri(), timeout=TIMEOUT_MS)
    page.wait_for_function("window.DRAWN !== undefined", timeout=TIMEOUT_MS, polling=50)
    return page, page.evaluate("window.DRAWN")


def restyles(page: Page, updates: list[tuple[str, str | None]]) -> list[float]:
    """Seconds for each restyle, one per highlight, on an already drawn page."""
    return [page.evaluate(RESTYLE_JS, list(update)) for update in updates]


def measure(browser: Browser, pages: dict[str, Path], updates: dict[str, list], shots: dict[str, Path | None]) -> dict:
    """Per variant: the symbol plotly.js drew, median first draw over fresh pages and median restyle.

    The variants take turns on each round, so a change in load hits all of them alike. Restyles and the
    screenshot happen on the first round's page.
    """
    draws: dict[str, list[float]] = {variant: [] for variant in pages}
    restyled: dict[str, list[float]] = {}
    symbols: dict[str, str] = {}
    for attempt in range(DRAWS):
        for variant, path in pages.items():
            page, drawn = open_drawn(browser, path)
            draws[variant].append(drawn)
            if attempt == 0:
                symbols[variant] = page.evaluate("document.getElementById('g')._fullData[0].marker.symbol")
                restyled[variant] = restyles(page, updates[variant])
                if shots[variant] is not None:
                    page.locator("#g").screenshot(path=str(shots[variant]))
            page.close()
    return {
        variant: (symbols[variant], statistics.median(draws[variant]), statistics.median(restyled[variant]))
        for variant in pages
    }


def versions(browser: Browser) -> str:
    """Chromium's and plotly.js's versions; drawing a tiny 2-D and 3-D plot on the way warms the browser up."""
    page = browser.new_page()
    page.set_content("<div id=a></div><div id=b></div>")
    page.add_script_tag(path=str(PLOTLY_JS))
    page.evaluate("""() => Promise.all([Plotly.newPlot('a', [{type: 'scattergl', x: [1, 2], y: [1, 2]}]),
                                      Plotly.newPlot('b', [{type: 'scatter3d', x: [1, 2], y: [1, 2], z: [1, 2]}])])""")
    version = page.evaluate("Plotly.version")
    text = f"Chromium {browser.version}, plotly.js {version} (bundled with plotly {plotly.__version__})"
    page.close()
    return text


def run(sizes: list[int], shots: Path) -> pd.DataFrame:
    """The table of first-draw and restyle medians for every N, trace type and variant."""
    shots.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-markers-"))
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        print(versions(browser), flush=True)
        for n in sizes:
            rng = np.random.default_rng(0)
            cluster, enc, labels = encoding(n, rng)
            for trace, dimension in (("scattergl", 2), ("scatter3d", 3)):
                coords = coordinates(cluster, dimension, rng)
                pages, updates, shot = {}, {}, {}
                for variant in VARIANTS:
                    fig = figure(coords, enc, labels, variant)
                    name = f"{trace}-{n}-{variant.replace(' ', '_')}"
                    pages[variant] = work / f"{name}.html"
                    write_page(fig, pages[variant])
                    scalar = not isinstance(fig["data"][0]["marker"]["size"], dict)
                    updates[variant] = highlights(enc, cluster, dimension, scalar)
                    shot[variant] = shots / f"{name}.png" if n == SHOT_N else None
                for variant, (symbol, draw, restyle) in measure(browser, pages, updates, shot).items():
                    rows.append(
                        {
                            "N": n,
                            "trace": trace,
                            "variant": variant,
                            "symbol drawn": symbol,
                            "first draw s": draw,
                            "restyle s": restyle,
                        }
                    )
        browser.close()
    return with_ratios(pd.DataFrame(rows))


def with_ratios(table: pd.DataFrame) -> pd.DataFrame:
    """Add each variant's first-draw and restyle times as ratios to its (N, trace) baseline."""
    base = table[table["variant"] == "baseline"].set_index(["N", "trace"])
    key = pd.MultiIndex.from_frame(table[["N", "trace"]])
    table["draw ratio"] = table["first draw s"].to_numpy() / base.loc[key, "first draw s"].to_numpy()
    table["restyle ratio"] = table["restyle s"].to_numpy() / base.loc[key, "restyle s"].to_numpy()
    return table.round({"first draw s": 3, "restyle s": 3, "draw ratio": 2, "restyle ratio": 2})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--shots", type=Path, default=Path("/tmp/markers"), help="where the 10k screenshots go")
    args = parser.parse_args()
    print(run(args.sizes, args.shots).to_string(index=False))


if __name__ == "__main__":
    main()
