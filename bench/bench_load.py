"""Many visitors at once: N sessions click through the real app over HTTP for D seconds while a t-SNE job runs.

The logdir is one TF2 checkpoint (``tests.logdirs.write_tf2_logdir``) of N × D float32 vectors in 6 clusters, one
per type (Fire, Water, Grass, Electric, Rock, Ice), with a metadata TSV of four columns: ``label`` (``Fire-0001``),
``type``, ``score`` (numeric) and ``batch`` (8 values). The app (``app.py --logdir DIR --warm-up data``) starts on a
free port and is left to finish its warm-up (the first view ready) before anything is timed.

Every request is the one the Dash renderer sends, built from the app's own ``_dash-dependencies``: a POST to
``_dash-update-component?endId=…`` (the page's signed ``end_id``, echoed as the renderer does) with the JSON body
``output``, ``outputs``, ``inputs``, ``state``, ``changedPropIds``; each input and state value is that property's
current value in the session's copy of the page (its ``_dash-layout``, updated with every callback response, as the
renderer's store is). A session is one browser tab that

- **opens** the page: ``GET /``, ``GET _dash-layout``, ``GET _dash-dependencies``, then the callbacks the page runs
  to open its tensor: the run list (``refresh-runs``), the tensor list (``run-select.value``) and the tensor itself
  (``tensor-select.value``; the follow-on draw and restyle callbacks are not sent);
- then, with a pause of ``--think`` seconds on average (uniform from half to one and a half times it) before each
  step, does ``--actions`` steps taking turns at
  **search** (the inspector's ``select`` callback triggered by ``search-query.data``, as after typing a query such as
  ``Water-0``), **click** (the same callback triggered by ``scatter.clickData`` holding one point, as Plotly reports a
  click on a random point) and **colour** (``recolor``, triggered by ``color-by.value`` set to the next column),
  and opens the page again.

Meanwhile one more tab runs t-SNE the way the browser does: the background callback's POST with a new
``tsne-token.data`` (answered with a signed ``cacheKey`` and ``job``), then a poll every ``interval`` ms
(``?cacheKey=…&job=…`` with the inputs blanked) until the answer holds a ``response``, and, every ``tsne-ping``
interval while it runs, the page's "still open" ping (``tsne-ping.n_intervals``; the app stops a job whose page has
gone quiet). A job that ends is followed by another with a new seed, so one runs throughout; sessions start once
the first has reported progress.

A request counts as an error when it fails, answers other than 200 (or 204, nothing to update, for a callback), is
not JSON with a ``response`` (callbacks), says something in the error banner (``banner-action``/``banner-data``
children with text), or lacks what it should show (``N matches``, a neighbours list, the scatter style). The table
gives p50/p95/p99 and the largest latency per request kind (request sent to body read, in ms), errors, and throughput
over the sessions' requests, against the target p95 ≤ 500 ms and no error. The client runs on the same machine as
the app: run it alone (``flock /tmp/heavy.lock …`` on a shared box).

  .venv/bin/python bench/bench_load.py [--sessions 20] [--seconds 60] [--points 10000] [--dim 128] [--think 1]
      [--actions 6] [--threads 8] [--no-tsne] [--json results.json] [--log app.log]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from tests.e2e.launch import App, tail  # noqa: E402

TYPES = ["Fire", "Water", "Grass", "Electric", "Rock", "Ice"]
COLUMNS = ["label", "type", "score", "batch"]
QUERIES = ["Water-0", "Fire-", "Grass-00", "Electric-000", "Rock-", "Ice-0001"]  # each matches at any --points
TARGET_P95_MS = 500.0
REQUEST_TIMEOUT_S = 120
HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}
CONFIG_RE = re.compile(r'<script id="_dash-config" type="application/json">(.*?)</script>', re.S)

# The app's component IDs and properties the sessions touch (callbacks/ids.py).
RUNS_TRIGGER, RUNS_OUTPUT = "refresh-runs.n_intervals", "run-select.options"
TENSORS_TRIGGER, TENSORS_OUTPUT = "run-select.value", "tensor-select.options"
OPEN_TRIGGER, OPEN_OUTPUT = "tensor-select.value", "label-by.options"
SEARCH_TRIGGER, CLICK_TRIGGER, SELECT_OUTPUT = "search-query.data", "scatter.clickData", "selection-store.data"
COLOUR_TRIGGER, COLOUR_OUTPUT = "color-by.value", "scatter-style.data"
TSNE_TRIGGER, TSNE_OUTPUT = "tsne-token.data", "projection-done.data"
TSNE_STOP_TRIGGER = "tsne-stop.n_clicks"
TSNE_PING_TRIGGER = "tsne-ping.n_intervals"  # while a job runs, its page says every few seconds that it is open
BANNERS = ("banner-action", "banner-data")

OPEN_KINDS = ["open: page", "open: layout", "open: dependencies", "open: runs", "open: tensors", "open: tensor"]
ACTION_KINDS = ["search", "click", "colour"]
TSNE_KINDS = ["t-SNE start", "t-SNE poll", "t-SNE ping"]


# ----------------------------------------------------------------------------------------------------- the logdir
def write_logdir(path: Path, n: int, dim: int, seed: int = 0) -> None:
    """N × D float32 in 6 clusters as a TF2 checkpoint, with label/type/score/batch metadata."""
    from tests.logdirs import write_tf2_logdir

    rng = np.random.default_rng(seed)
    cluster = rng.integers(0, len(TYPES), size=n)
    centers = rng.normal(0, 4, size=(len(TYPES), dim)).astype(np.float32)
    vectors = rng.standard_normal(size=(n, dim), dtype=np.float32)
    vectors += centers[cluster]
    width = max(4, len(str(int(np.bincount(cluster).max()))))
    scores = rng.normal(50, 15, size=n)
    seen = [0] * len(TYPES)
    rows = []
    for i, k in enumerate(cluster.tolist()):
        seen[k] += 1
        rows.append([f"{TYPES[k]}-{seen[k]:0{width}d}", TYPES[k], f"{scores[i]:.2f}", f"batch-{i % 8}"])
    write_tf2_logdir(path, vectors, metadata_rows=rows, header=COLUMNS)


def app_server(python: str, logdir: Path, cache: Path, log_path: Path, threads: int) -> App:
    """``app.py --logdir DIR --port P --cache-dir TMP --threads T --warm-up data``, ready once it serves its layout."""
    return App(
        log_path, logdir, ("--cache-dir", str(cache), "--threads", str(threads), "--warm-up", "data"), python=python
    )


# ---------------------------------------------------------------------------------------- the Dash wire protocol
def split_output(output: str) -> tuple[list[dict], bool]:
    """A callback's ``output`` string as the renderer's ``outputs`` (``@hash`` suffixes kept), and whether multi."""
    multi = output.startswith("..")
    parts = output[2:-2].split("...") if multi else [output]
    outputs = []
    for part in parts:
        component, _, prop = part.rpartition(".")
        outputs.append({"id": component, "property": prop})
    return outputs, multi


def key(item: dict) -> tuple[str, str]:
    return item["id"], item["property"].split("@")[0]


@dataclass
class Callback:
    """One entry of ``_dash-dependencies``, turned into request bodies."""

    spec: dict

    @property
    def interval_s(self) -> float:
        return (self.spec.get("background") or {}).get("interval", 500) / 1000

    def body(self, props: dict, changed: list[str], blank: bool = False) -> dict:
        """The renderer's body: every input and state filled from ``props`` (absent values left out, as
        ``JSON.stringify`` drops ``undefined``); ``blank`` nulls them, as in a background callback's polls."""

        def fill(items: list[dict]) -> list[dict]:
            filled = []
            for item in items:
                entry = {"id": item["id"], "property": item["property"]}
                if blank:
                    entry["value"] = None
                elif key(item) in props:
                    entry["value"] = props[key(item)]
                filled.append(entry)
            return filled

        outputs, multi = split_output(self.spec["output"])
        body = {
            "output": self.spec["output"],
            "outputs": outputs if multi else outputs[0],
            "inputs": fill(self.spec["inputs"]),
            "changedPropIds": changed,
            "parsedChangedPropsIds": changed,
        }
        if self.spec["state"]:
            body["state"] = fill(self.spec["state"])
        return body


def find_callback(dependencies: list[dict], output: str, trigger: str, required: bool = True) -> Callback | None:
    """The callback with ``output`` among its outputs and ``trigger`` among its inputs (None when there is
    none and it is not ``required``)."""
    found = [
        spec
        for spec in dependencies
        if any(key(o) == tuple(output.split(".")) for o in split_output(spec["output"])[0])
        and any(f"{i['id']}.{i['property']}" == trigger for i in spec["inputs"])
    ]
    if not found and not required:
        return None
    if len(found) != 1:
        raise RuntimeError(f"expected one callback with output {output} and input {trigger}; found {len(found)}")
    return Callback(found[0])


def layout_props(layout) -> dict[tuple[str, str], object]:
    """Every (component id, property) → value in a ``_dash-layout`` tree (string ids only)."""
    props: dict[tuple[str, str], object] = {}
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict) and "props" in node and "type" in node:
            values = node["props"]
            if isinstance(values.get("id"), str):
                for name, value in values.items():
                    props[(values["id"], name)] = value
            stack.extend(v for v in values.values() if isinstance(v, (dict, list)))
    return props


def text_of(children) -> str:
    """The text in a component tree (as JSON), e.g. a banner's messages."""
    if children is None:
        return ""
    if isinstance(children, (str, int, float)):
        return str(children)
    if isinstance(children, list):
        return " ".join(t for t in (text_of(c) for c in children) if t)
    if isinstance(children, dict):
        return text_of((children.get("props") or {}).get("children"))
    return ""


def decode_array(value) -> np.ndarray | None:
    """A figure array: a plain list or plotly's ``{dtype, bdata}`` base64 encoding."""
    if isinstance(value, list):
        return np.asarray(value, dtype=float)
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return None


# ------------------------------------------------------------------------------------------------- measurements
@dataclass
class Sample:
    kind: str
    at: float  # seconds since the timed run began
    ms: float
    error: str | None
    size: int = 0  # response bytes


@dataclass
class Recorder:
    started: float = field(default_factory=time.perf_counter)
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, start: float, seconds: float, error: str | None, size: int = 0) -> None:
        with self.lock:
            self.samples.append(Sample(kind, start - self.started, seconds * 1000, error, size))


class RequestFailed(Exception):
    pass


class Tab:
    """One browser tab on the app: its HTTP connection, the page's ``end_id`` and its copy of the components' props."""

    def __init__(self, base: str, recorder: Recorder | None, rng: random.Random) -> None:
        self.base = base
        self.recorder = recorder
        self.rng = rng
        self.http = requests.Session()
        self.http.headers.update({"Referer": base})
        self.end_id = ""
        self.props: dict[tuple[str, str], object] = {}
        self.callbacks: dict[str, Callback] = {}
        self.coords: list[np.ndarray] = []
        self.search_turn = rng.randrange(len(QUERIES))
        self.last: tuple[str, float, float, int] = ("", 0.0, 0.0, 0)  # kind, start, seconds, bytes

    # one request, timed from send to body read
    def request(self, kind: str, method: str, path: str, **kwargs) -> requests.Response:
        start = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, timeout=REQUEST_TIMEOUT_S, **kwargs)
            response.content  # noqa: B018 - read the whole body inside the timing
        except requests.RequestException as error:
            self.record(kind, start, f"{type(error).__name__}: {error}")
            raise RequestFailed(kind) from error
        self.last = (kind, start, time.perf_counter() - start, len(response.content))
        if response.status_code not in ((200, 204) if method == "POST" else (200,)):
            self.fail(f"HTTP {response.status_code}: {response.text[:200]}")
        return response

    def record(self, kind: str, start: float, error: str | None, seconds: float | None = None, size: int = 0) -> None:
        if self.recorder is not None:
            seconds = time.perf_counter() - start if seconds is None else seconds
            self.recorder.add(kind, start, seconds, error, size)

    def ok(self) -> None:
        """Record the last request as answered as it should be."""
        kind, start, seconds, size = self.last
        self.record(kind, start, None, seconds, size)

    def fail(self, message: str) -> None:
        """Record the last request as an error and give up the step."""
        kind, start, seconds, size = self.last
        self.record(kind, start, message, seconds, size)
        raise RequestFailed(message)

    def get(self, kind: str, path: str) -> requests.Response:
        return self.request(kind, "GET", path)

    def callback(self, kind: str, name: str, changed: list[str], params: dict | None = None, blank=False) -> dict:
        """POST a callback as the renderer does; its response's props update the tab's copy of the page.
        An answer of 204 (every output left as it is) is ``{}``."""
        body = self.callbacks[name].body(self.props, changed, blank)
        query = {"endId": self.end_id, **(params or {})}
        response = self.request(kind, "POST", "_dash-update-component", params=query, json=body, headers=HEADERS)
        if response.status_code == 204:
            return {}
        try:
            data = response.json()
        except ValueError:
            self.fail(f"not JSON: {response.text[:200]}")
        for component, values in (data.get("response") or {}).items():
            for prop, value in values.items():
                self.props[(component, prop)] = value
        banner = " ".join(text_of((data.get("response") or {}).get(b, {}).get("children")) for b in BANNERS).strip()
        if banner:
            self.fail(f"banner: {banner[:300]}")
        return data

    def answer(self, kind: str, name: str, changed: list[str]) -> dict:
        data = self.callback(kind, name, changed)
        if "response" not in data:
            self.fail(f"no response in {json.dumps(data)[:200]}")
        return data["response"]

    # what a visitor does
    def open(self) -> None:
        page = self.get("open: page", "")
        match = CONFIG_RE.search(page.text)
        if not match:
            self.fail("no _dash-config in the page")
        self.end_id = json.loads(match.group(1)).get("end_id", "")
        self.ok()
        layout = self.get("open: layout", "_dash-layout")
        self.ok()
        dependencies = self.get("open: dependencies", "_dash-dependencies")
        self.ok()
        self.props = layout_props(layout.json())
        self.props[("url", "pathname")] = "/"  # dcc.Location reports the page's address on mount
        self.props[("url", "search")] = ""
        specs = dependencies.json()
        self.callbacks = {
            "runs": find_callback(specs, RUNS_OUTPUT, RUNS_TRIGGER),
            "tensors": find_callback(specs, TENSORS_OUTPUT, TENSORS_TRIGGER),
            "open": find_callback(specs, OPEN_OUTPUT, OPEN_TRIGGER),
            "select": find_callback(specs, SELECT_OUTPUT, SEARCH_TRIGGER),
            "colour": find_callback(specs, COLOUR_OUTPUT, COLOUR_TRIGGER),
            "tsne": find_callback(specs, TSNE_OUTPUT, TSNE_TRIGGER),
            "tsne stop": find_callback(specs, "tsne-status.children", TSNE_STOP_TRIGGER),
            "tsne ping": find_callback(specs, "tsne-status.children", TSNE_PING_TRIGGER, required=False),
        }
        figure = self.props.get(("scatter", "figure")) or {}
        trace = (figure.get("data") or [{}])[0]
        self.coords = [a for a in (decode_array(trace.get(axis)) for axis in "xyz") if a is not None]
        self.answer("open: runs", "runs", [])  # its initial call: nothing changed
        self.ok()
        response = self.answer("open: tensors", "tensors", [TENSORS_TRIGGER])
        if not (response.get("tensor-select") or {}).get("value"):
            self.fail("no tensor listed")
        self.ok()
        response = self.answer("open: tensor", "open", [OPEN_TRIGGER])
        if not (response.get("view-store") or {}).get("data"):
            self.fail("no view opened")
        self.ok()

    def search(self) -> None:
        query = QUERIES[self.search_turn % len(QUERIES)]
        self.search_turn += 1
        self.props[("search-input", "value")] = query  # typed, then written to search-query by the browser
        self.props[("search-query", "data")] = query
        response = self.answer("search", "select", [SEARCH_TRIGGER])
        status = text_of((response.get("search-status") or {}).get("children"))
        if not re.search(r"[1-9][\d,]* match", status):
            self.fail(f"search {query!r}: status {status!r}")
        self.ok()

    def click(self) -> None:
        n = len(self.coords[0]) if self.coords else 1
        i = self.rng.randrange(n)
        point = {"curveNumber": 0, "pointNumber": i, "pointIndex": i}
        for axis, values in zip("xyz", self.coords):
            point[axis] = float(values[i])
        self.props[("scatter", "clickData")] = {"points": [point]}
        response = self.answer("click", "select", [CLICK_TRIGGER])
        if not (response.get("neighbors-list") or {}).get("children"):
            self.fail(f"click on point {i}: no neighbours listed")
        self.ok()

    def colour(self) -> None:
        options = [o["value"] for o in self.props.get(("color-by", "options")) or []]
        current = self.props.get(("color-by", "value"))
        if options:
            following = options[(options.index(current) + 1) % len(options)] if current in options else options[0]
            self.props[("color-by", "value")] = following
        response = self.answer("colour", "colour", [COLOUR_TRIGGER])
        if not isinstance((response.get("scatter-style") or {}).get("data"), dict):
            self.fail(f"colour by {self.props.get(('color-by', 'value'))!r}: no style")
        self.ok()


# ------------------------------------------------------------------------------------------------------- workers
def session(base: str, recorder: Recorder, stop: threading.Event, index: int, args) -> None:
    """One visitor: open, ``args.actions`` steps taking turns at search, click and colour, open again…"""
    rng = random.Random(index)
    tab = Tab(base, recorder, rng)
    actions = [tab.search, tab.click, tab.colour]

    def pause() -> bool:
        return stop.wait(rng.uniform(0.5, 1.5) * args.think) if args.think > 0 else stop.is_set()

    if stop.wait(index * 0.1):  # staggered starts
        return
    while not stop.is_set():
        try:
            tab.open()
            for step in range(args.actions):
                if pause():
                    return
                actions[(index + step) % len(actions)]()
        except RequestFailed:
            pass  # recorded; start over with a fresh page
        except Exception as error:  # noqa: BLE001 - a broken step must not end the visitor
            recorder.add("session", time.perf_counter(), 0, f"{type(error).__name__}: {error}")
        if pause():
            return


@dataclass
class TsneReport:
    started: int = 0
    outcomes: list[str] = field(default_factory=list)  # the status each finished job ended with
    frames: int = 0
    status: str = ""
    accepted: threading.Event = field(default_factory=threading.Event)
    error: str = ""


def tsne_tab(base: str, recorder: Recorder, stop: threading.Event, report: TsneReport) -> None:
    """A tab running t-SNE throughout: start, poll every ``interval`` until done (and, while it runs, send the
    page's "still open" pings when the app has them), then start again with a new seed."""
    tab = Tab(base, None, random.Random(-1))
    token = None
    try:
        tab.open()
        tab.recorder = recorder
        spec = tab.callbacks["tsne"].spec
        running = (spec.get("running") or {}).get("running") or {}
        running_off = (spec.get("running") or {}).get("runningOff") or {}
        ping = tab.callbacks.get("tsne ping")
        seed = 0
        while not stop.is_set():
            seed += 1
            token = uuid.uuid4().hex
            tab.props[("tsne-token", "data")] = token
            tab.props[("tsne-seed", "value")] = seed  # a new layout, not the shared cache's
            handles = tab.callback("t-SNE start", "tsne", [TSNE_TRIGGER])
            if "cacheKey" not in handles or "job" not in handles:
                tab.fail(f"no background job: {json.dumps(handles)[:200]}")
            tab.ok()
            report.started += 1
            for prop, value in running.items():  # the renderer's side updates while the job runs
                tab.props[tuple(prop.rsplit(".", 1))] = value
            interval = tab.callbacks["tsne"].interval_s
            ping_every = float(tab.props.get(("tsne-ping", "interval")) or 5000) / 1000
            last_ping = time.perf_counter()
            params = {"cacheKey": handles["cacheKey"], "job": handles["job"]}
            while not stop.wait(interval):
                data = tab.callback("t-SNE poll", "tsne", [TSNE_TRIGGER], params, blank=True)
                tab.ok()
                progress = data.get("progress") or {}
                if progress:
                    report.accepted.set()
                    report.status = text_of(progress.get("tsne-status.children")) or report.status
                    report.frames += bool(progress.get("scatter-frame.data"))
                if "response" in data:
                    report.outcomes.append(text_of((data["response"].get("tsne-status") or {}).get("children")))
                    report.status = report.outcomes[-1]
                    token = None
                    break
                if ping is not None and time.perf_counter() - last_ping >= ping_every:
                    last_ping = time.perf_counter()
                    tab.props[("tsne-ping", "n_intervals")] = int(tab.props.get(("tsne-ping", "n_intervals")) or 0) + 1
                    tab.callback("t-SNE ping", "tsne ping", [TSNE_PING_TRIGGER])
                    tab.ok()
            for prop, value in running_off.items():
                tab.props[tuple(prop.rsplit(".", 1))] = value
    except RequestFailed as error:
        report.error = str(error)
    except Exception as error:  # noqa: BLE001
        report.error = f"{type(error).__name__}: {error}"
    finally:
        report.accepted.set()
        if token:  # Stop, as its button does, so the job ends with the run
            try:
                tab.recorder = None
                tab.props[("tsne-stop", "n_clicks")] = 1
                tab.callback("t-SNE stop", "tsne stop", [TSNE_STOP_TRIGGER])
            except Exception:  # noqa: BLE001 - the server is stopped next anyway
                pass


class CpuMeter:
    """Cores used by the app's own process, by its children (the t-SNE jobs) and by this client, every second."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.me = psutil.Process()
        self.app = self.jobs = self.client = 0.0
        self.seconds = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def times(self) -> tuple[float, dict[int, float]]:
        import psutil

        t = self.root.cpu_times()
        children = {}
        for child in self.root.children(recursive=True):
            try:
                c = child.cpu_times()
                children[child.pid] = c.user + c.system
            except psutil.Error:
                pass
        return t.user + t.system, children

    def client_time(self) -> float:
        t = self.me.cpu_times()
        return t.user + t.system

    def run(self) -> None:
        app, children = self.times()
        client = self.client_time()
        last = time.perf_counter()
        while not self.stop.wait(1.0):
            app_now, children_now = self.times()
            client_now = self.client_time()
            now = time.perf_counter()
            self.app += app_now - app
            self.jobs += sum(v - children.get(pid, 0.0) for pid, v in children_now.items())
            self.client += client_now - client
            self.seconds += now - last
            app, children, client, last = app_now, children_now, client_now, now

    def __enter__(self) -> CpuMeter:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


# --------------------------------------------------------------------------------------------------------- report
def percentiles(values: list[float]) -> tuple[float, float, float, float]:
    a = np.asarray(values, dtype=float)
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return float(p50), float(p95), float(p99), float(a.max())


def table(samples: list[Sample], kinds: list[str]) -> list[dict]:
    rows = []
    for kind in kinds:
        chosen = [s for s in samples if s.kind == kind]
        if not chosen:
            continue
        p50, p95, p99, top = percentiles([s.ms for s in chosen])
        errors = sum(s.error is not None for s in chosen)
        size = float(np.median([s.size for s in chosen])) / 1000  # a typical answer's size
        row = {"kind": kind, "count": len(chosen), "p50": p50, "p95": p95, "p99": p99, "max": top}
        rows.append(row | {"errors": errors, "kB": size})
    return rows


def print_table(rows: list[dict]) -> None:
    print(f"{'kind':<24}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}{'kB':>8}")
    for row in rows:
        flag = "  > target" if not row["kind"].startswith("t-SNE") and row["p95"] > TARGET_P95_MS else ""
        print(
            f"{row['kind']:<24}{row['count']:>7}{row['p50']:>9.0f}{row['p95']:>9.0f}{row['p99']:>9.0f}"
            f"{row['max']:>9.0f}{row['errors']:>8}{row['kB']:>8.1f}{flag}"
        )


def environment(threads: int) -> dict:
    def run(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = run("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD")
    if commit and run("git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    import dash

    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "app commit": commit or "?",
        "nproc": str(os.cpu_count()),
        "app threads": str(threads),
        "dash": dash.__version__,
        "load average": " ".join(f"{v:.2f}" for v in os.getloadavg()),  # before the run: other work on the machine
    }


def app_log_summary(path: Path) -> list[str]:
    """What the app's log says about the run: waitress queueing, warnings, errors, t-SNE jobs finished."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    depths = [int(m.group(1)) for m in (re.search(r"Task queue depth is (\d+)", line) for line in lines) if m]
    summary = []
    if depths:
        summary.append(f"waitress queued requests {len(depths)} times (deepest queue {max(depths)})")
    problems = [line for line in lines if re.search(r"\b(ERROR|CRITICAL|Traceback)\b", line)]
    warnings = [line for line in lines if " WARNING " in line and "Task queue depth" not in line]
    summary += [f"error: {line[:300]}" for line in problems[:10]]
    summary += [f"warning: {line[:300]}" for line in warnings[:10]]
    summary += [line[:300] for line in lines if re.search(r"t-SNE on .* points", line)]
    return summary


# ----------------------------------------------------------------------------------------------------------- main
def wait_warmed(base: str, timeout_s: float) -> float:
    """Until the layout carries the first view (the app's warm-up has read the tensor and computed its PCA)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout_s:
        layout = requests.get(base + "_dash-layout", timeout=REQUEST_TIMEOUT_S).json()
        if layout_props(layout).get(("projection-store", "data")):
            return time.perf_counter() - start
        time.sleep(1)
    raise RuntimeError(f"the app did not finish its warm-up within {timeout_s:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20, help="concurrent visitors (default 20)")
    parser.add_argument("--seconds", type=float, default=60, help="how long they keep at it (default 60)")
    parser.add_argument("--points", type=int, default=10_000, help="points in the logdir (default 10000)")
    parser.add_argument("--dim", type=int, default=128, help="dimensions of each vector (default 128)")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause before each step, s (default 1; 0: none)")
    parser.add_argument("--actions", type=int, default=6, help="steps between two opens of the page (default 6)")
    parser.add_argument("--threads", type=int, default=8, help="the app's --threads (default 8)")
    parser.add_argument("--no-tsne", action="store_true", help="leave t-SNE out (a baseline)")
    parser.add_argument("--json", type=Path, help="also save the table and the run's settings as JSON here")
    parser.add_argument("--log", type=Path, help="keep a copy of the app's log here")
    venv_python = ROOT / ".venv" / "bin" / "python"
    parser.add_argument(
        "--python",
        default=str(venv_python if venv_python.exists() else sys.executable),
        help="interpreter for app.py",
    )
    args = parser.parse_args()

    env = environment(args.threads)
    settings = {
        "points": f"{args.points:,} × {args.dim}",
        "sessions": str(args.sessions),
        "seconds": f"{args.seconds:g}",
        "think s": f"{args.think:g}",
        "actions per open": str(args.actions),
        "t-SNE": "no" if args.no_tsne else "yes",
    }
    print("  ".join(f"{k}: {v}" for k, v in {**env, **settings}.items()), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        workdir = Path(tmp)
        logdir = workdir / "logdir"
        start = time.perf_counter()
        write_logdir(logdir, args.points, args.dim)
        print(f"logdir written in {time.perf_counter() - start:.1f} s", flush=True)
        log_path = workdir / "app.log"
        server = app_server(args.python, logdir, workdir / "cache", log_path, args.threads)
        try:
            print(f"app up on {server.url}; warm-up done after {wait_warmed(server.url, 600):.1f} s more", flush=True)
            result = run(server, args)
        finally:
            server.stop()
            if args.log:
                shutil.copyfile(log_path, args.log)
        summary = app_log_summary(log_path)
        if not result:
            print(tail(log_path, 30))
            return
    report(result, env, settings, summary, args)


def run(server: App, args) -> dict | None:
    base = server.url
    first = Recorder()  # one untimed visitor first: the first hits that fill the app's caches
    tab = Tab(base, first, random.Random(-2))
    try:
        tab.open()
        tab.search()
        tab.click()
        tab.colour()
    except RequestFailed:
        pass
    print("first visit (untimed): " + ", ".join(f"{s.kind} {s.ms:.0f} ms" for s in first.samples), flush=True)
    if any(s.error for s in first.samples):
        print("first visit failed: " + "; ".join(f"{s.kind}: {s.error}" for s in first.samples if s.error))
        return None

    stop = threading.Event()
    recorder = Recorder()
    tsne = TsneReport()
    threads = []
    if not args.no_tsne:
        threads.append(threading.Thread(target=tsne_tab, args=(base, recorder, stop, tsne), daemon=True))
        threads[0].start()
        tsne.accepted.wait(120)
        print(f"t-SNE running: {tsne.status or tsne.error or '?'}", flush=True)
    with CpuMeter(server.pid) as cpu:
        recorder.started = time.perf_counter()
        workers = [
            threading.Thread(target=session, args=(base, recorder, stop, i, args), daemon=True)
            for i in range(args.sessions)
        ]
        for worker in workers:
            worker.start()
        stop.wait(args.seconds)
        stop.set()
        for worker in workers + threads:
            worker.join(REQUEST_TIMEOUT_S)
        elapsed = time.perf_counter() - recorder.started
    return {"samples": recorder.samples, "first": first.samples, "elapsed": elapsed, "tsne": tsne, "cpu": cpu}


def report(result: dict, env: dict, settings: dict, summary: list[str], args) -> None:
    samples: list[Sample] = result["samples"]
    sessions = [s for s in samples if not s.kind.startswith("t-SNE")]
    rows = table(samples, OPEN_KINDS + ACTION_KINDS + ["session"])
    everything = table(
        [Sample("all sessions' requests", s.at, s.ms, s.error, s.size) for s in sessions], ["all sessions' requests"]
    )
    tsne_rows = table(samples, TSNE_KINDS)
    throughput = len(sessions) / result["elapsed"]
    cpu: CpuMeter = result["cpu"]
    tsne: TsneReport = result["tsne"]

    print()
    print("  ".join(f"{k}: {v}" for k, v in {**env, **settings}.items()))
    print_table(rows + everything + tsne_rows)
    print(f"throughput: {throughput:.1f} requests/s over {result['elapsed']:.1f} s ({len(sessions)} session requests)")
    if cpu.seconds:
        print(
            f"CPU (cores, on average, of {os.cpu_count()}): app process {cpu.app / cpu.seconds:.2f}, "
            f"its job processes {cpu.jobs / cpu.seconds:.2f}, this client {cpu.client / cpu.seconds:.2f}"
        )
    if not args.no_tsne:
        print(
            f"t-SNE: {tsne.started} job(s) started, {len(tsne.outcomes)} ended {tsne.outcomes}, {tsne.frames} frames "
            f"received; last status: {tsne.status!r}" + (f"; failed: {tsne.error}" if tsne.error else "")
        )
    over = [r["kind"] for r in rows if r["p95"] > TARGET_P95_MS]
    errors = sum(r["errors"] for r in rows)
    verdict = "met" if not over and not errors else "NOT met"
    print(
        f"target p95 ≤ {TARGET_P95_MS:.0f} ms, 0 errors: {verdict}"
        + (f" (p95 over target: {', '.join(over)})" if over else "")
        + (f" ({errors} errors)" if errors else "")
    )
    messages = Counter((s.kind, s.error) for s in samples if s.error)
    for (kind, message), count in messages.most_common(15):
        print(f"! {count} × {kind}: {message}")
    for line in summary:
        print(f"app log: {line}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    **env,
                    **settings,
                    "rows": rows + everything + tsne_rows,
                    "throughput": throughput,
                    "t-SNE": {"started": tsne.started, "ended": tsne.outcomes, "frames": tsne.frames},
                    "first visit": [s.__dict__ for s in result["first"]],
                    "errors": [{"kind": k, "error": m, "count": c} for (k, m), c in messages.items()],
                    "app log": summary,
                },
                indent=1,
                ensure_ascii=False,
            )
        )
        print(f"saved {args.json}")


if __name__ == "__main__":
    main()
