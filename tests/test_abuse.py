"""Every server callback, replayed with values the page never sends: a clear answer (never a 500), within
2 s, without the server's memory growing by what a request claims, and nothing another session owns
changed. The callbacks come from the app's own callback map, so a new one is covered when it is added.

Each request is the page's own for one callback (values from the layout), with one input or state value
replaced by a hostile one. Background callbacks (t-SNE/UMAP Run) fork a job; their inputs are checked by
the job's own parse before anything is computed (tests/test_jobs.py), and are left out here.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import math
import resource
import time

import numpy as np
import pytest

import app as projector_app
from callbacks.inputs import parser_of
from projector.view import Selection, View

HOSTILE = {
    "none": None,
    "true": True,
    "negative": -1,
    "huge int": 2**63,
    "huge float": 1e308,
    "nan": math.nan,
    "inf": -math.inf,
    "long string": "x" * 200_000,
    "path": "../../../../etc/passwd",
    "many zeros": [0] * 200_000,
    "nested": json.loads("[" * 200 + "]" * 200),
    "object": {"method": "pca", "axes": [0] * 200_000, "tensor": "..::t", "indices": [10**12] * 1000, "id": "x"},
    "lasso": {"points": [], "lassoPoints": {"x": list(range(100_000)), "y": list(range(100_000))}},
    "other session's key": {"tensor": "(uploaded)::b", "indices": None},
}
MAX_S = 2.0
POINTS = 400  # enough that a request asking for N × its own length (200,000 axes) takes 320 MB
HEADROOM = 4 * 2**30  # address space a request may add: beyond it an allocation fails (and shows), not the machine
MAX_GROWTH = 200 * 2**20


def walk(component):
    """Every component of a layout."""
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            yield from walk(child)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("abuse")
    logdir = root / "logdir"
    logdir.mkdir()
    (logdir / "t.tsv").write_text("".join(f"{i}\t{i % 3}\t{i % 5}\n" for i in range(POINTS)))
    (logdir / "projector_config.pbtxt").write_text('embeddings { tensor_name: "t" tensor_path: "t.tsv" }\n')
    config = projector_app.Config(logdir=logdir, cache_dir=root / "cache", warm_up="data")
    dash_app = projector_app.create_app(config)
    dash_app.warmup.wait()  # the page then opens with its first view drawn: its stores hold a tensor's view
    server = dash_app.server
    with server.test_request_context("/"):
        layout = dash_app.layout() if callable(dash_app.layout) else dash_app.layout
    values = {}
    for component in walk(layout):
        cid = getattr(component, "id", None)
        if isinstance(cid, str):
            values[cid] = component.to_plotly_json()["props"]
    # The page as it stands once its first tensor is open: what its stores hold then.
    key = dash_app.warmup.key
    assert key and values["projection-store"].get("data"), "the warm-up made no first view"
    values["view-store"]["data"] = View(key).to_json()
    values["selection-store"]["data"] = Selection.of(key, [1, 2, 3], anchor=1, source="click").to_json()
    return dash_app, values


def payload(key: str, spec: dict, values: dict, slot: int | None, value) -> dict:
    outputs = spec["output"] if isinstance(spec["output"], list) else [spec["output"]]

    def item(dep, i):
        cid, prop = dep["id"], dep["property"]
        if isinstance(cid, str) and cid.startswith("{"):  # a pattern-matching id: the page sends a list
            return []
        sent = values.get(cid, {}).get(prop)
        return {"id": cid, "property": prop, "value": value if i == slot else sent}

    slots = spec["inputs"] + spec["state"]
    items = [item(dep, i) for i, dep in enumerate(slots)]
    inputs, state = items[: len(spec["inputs"])], items[len(spec["inputs"]) :]
    body = {
        "output": key,
        "outputs": [
            [] if isinstance(o.component_id, dict) else {"id": o.component_id, "property": o.component_property}
            for o in outputs  # a pattern-matching output matches no component of a page without charts
        ],
        "inputs": inputs,
        "state": state,
        "changedPropIds": [f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"],
    }
    if not isinstance(spec["output"], list):
        body["outputs"] = body["outputs"][0]
    return body


def server_callbacks(dash_app) -> list[tuple[str, dict]]:
    return [(k, v) for k, v in dash_app.callback_map.items() if v.get("callback") and not v.get("background")]


@contextlib.contextmanager
def capped_memory(headroom: int = HEADROOM):
    """Address space limited to what the process has plus ``headroom``: a request that asks for more fails
    with MemoryError (shown as an internal error) instead of taking the machine's memory."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + headroom, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def test_every_input_of_every_callback_has_a_type(served):
    dash_app, _ = served
    untyped = {
        f"{dep['id']}.{dep['property']}"
        for _, spec in dash_app.callback_map.items()
        if spec.get("callback")
        for dep in spec["inputs"] + spec["state"]
        if parser_of(json.loads(dep["id"]) if dep["id"].startswith("{") else dep["id"], dep["property"]) is None
    }
    assert not untyped, f"give these inputs a parser in callbacks/inputs.py: {sorted(untyped)}"


def test_the_pages_own_requests_pass_the_checks(served):
    dash_app, values = served
    client = dash_app.server.test_client()
    client.get("/")
    for key, spec in server_callbacks(dash_app):
        body = json.dumps(payload(key, spec, values, None, None))
        response = client.post("/_dash-update-component", data=body, content_type="application/json")
        assert response.status_code != 400, (key, response.data[:300])


def replay(client, callbacks: list[tuple[str, dict]], values: dict) -> tuple[list[str], dict]:
    """Each callback's request once per input and hostile value; what went wrong, and the worst figures."""
    failures: list[str] = []
    stats = {"tried": 0, "worst_s": 0.0, "most_bytes": 0}
    for key, spec in callbacks:
        slots = spec["inputs"] + spec["state"]
        for slot in range(len(slots)):
            for name, value in HOSTILE.items():
                body = json.dumps(payload(key, spec, values, slot, value))
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
                started = time.perf_counter()
                response = client.post("/_dash-update-component", data=body, content_type="application/json")
                took = time.perf_counter() - started
                grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - peak  # a new peak, if any
                stats["tried"] += 1
                stats["worst_s"] = max(stats["worst_s"], took)
                stats["most_bytes"] = max(stats["most_bytes"], grown)
                internal = b"Internal error" in response.data  # a failure the server did not foresee
                if response.status_code >= 500 or internal or took > MAX_S or grown > MAX_GROWTH:
                    said = "internal error" if internal else response.status_code
                    where = f"{key[:60]} slot {slot} ({slots[slot]['id']}) = {name}"
                    failures.append(f"{where}: {said} in {took:.2f} s, +{grown / 2**20:.0f} MB")
    return failures, stats


def test_every_callback_refuses_hostile_values_quickly_and_in_bounded_memory(served):
    dash_app, values = served
    workspace = dash_app.warmup.workspace
    client = dash_app.server.test_client()
    client.get("/")  # the page: a session of its own
    # What another session owns, and a result the server computed, to check afterwards.
    theirs = "b" * 32
    upload = workspace.add_upload("b.tsv", b"1\t2\n3\t4\n5\t6\n7\t8\n", theirs)
    computed = np.arange(2 * POINTS, dtype=np.float32).reshape(POINTS, 2)
    workspace.results.set("umap-" + "0" * 40, computed, meta={"status": "done"})

    callbacks = server_callbacks(dash_app)
    assert len(callbacks) >= 30  # every panel's callbacks were found
    logging.disable(logging.CRITICAL)  # records kept by pytest would hold every refused request's frames
    try:
        with capped_memory():
            failures, stats = replay(client, callbacks, values)
    finally:
        logging.disable(logging.NOTSET)
    print(
        f"{len(callbacks)} callbacks, {stats['tried']} hostile requests, worst {stats['worst_s']:.2f} s, "
        f"+{stats['most_bytes'] / 2**20:.0f} MB at most"
    )
    by_input = collections.Counter(f.split(" = ")[0].split(" slot ")[1] for f in failures)
    summary = "\n".join(f"{count:4} {where}" for where, count in by_input.most_common())
    assert not failures, f"{len(failures)} of {stats['tried']} refused badly, by input:\n{summary}\n{failures[:5]}"
    assert workspace.dataset(upload, theirs).vectors.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]]
    np.testing.assert_array_equal(workspace.results.get("umap-" + "0" * 40), computed)
