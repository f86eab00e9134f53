"""The image layer route: what the page sends is drawn; anything else gets a short 400, never a traceback."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from dash import Dash, html
from PIL import Image

import app as projector_app
from callbacks import images
from projector.thumbnails import MAX_IMAGES, MAX_REQUEST_BYTES
from projector.workspace import Workspace
from projector.writer import write_embedding

N = 6
PICS, PLAIN = ".::pics", ".::plain"


@pytest.fixture
def logdir(tmp_path):
    root = tmp_path / "logdir"
    rng = np.random.default_rng(0)
    thumbs = rng.integers(0, 256, size=(N, 4, 4, 3), dtype=np.uint8)
    write_embedding(root, rng.normal(size=(N, 3)), name="pics", images=thumbs)
    write_embedding(root, rng.normal(size=(N, 3)), name="plain")
    return root


@pytest.fixture
def server(logdir, tmp_path):
    """A Dash app with only the image callbacks and route, over the tiny logdir."""
    app = Dash(__name__)
    app.layout = html.Div()
    images.register(app, Workspace(logdir, cache_root=tmp_path / "cache"))
    app.server.testing = True  # an exception in the route fails the test instead of answering 500
    return app.server


def page_body(**changes) -> dict:
    """A request as assets/images.js sends it: three points of the 2-D view, no highlight."""
    body = {
        "tensor": PICS,
        "rows": [0, 2, 5],
        "pixels": [[10.5, 20], [0, 0], [300, 150]],
        "size": 24,
        "width": 300,
        "height": 150,
        "lit": None,
    }
    return {**body, **changes}


def post(server, body, route="/" + images.ROUTE):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return server.test_client().post(route, data=data, content_type="application/json")


def test_the_pages_request_is_drawn(server):
    answer = post(server, page_body())
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    assert Image.open(io.BytesIO(answer.data)).size == (300, 150)
    lit = post(server, page_body(lit=[True, False, True], size=16))
    assert lit.status_code == 200


def test_the_route_of_the_real_app_under_a_prefix(logdir, tmp_path):
    config = projector_app.Config(logdir, url_prefix="/ml/projector/", cache_dir=tmp_path / "c", warm_up="none")
    server = projector_app.create_app(config).server
    assert post(server, page_body(), "/ml/projector/" + images.ROUTE).status_code == 200
    assert post(server, page_body(pixels=[[1e308, 0]] * 3), "/ml/projector/" + images.ROUTE).status_code == 400


NOT_FINITE = [
    b'{"tensor": ".::pics", "rows": [0], "pixels": [[1e999, 0]], "width": 10, "height": 10}',
    b'{"tensor": ".::pics", "rows": [0], "pixels": [[-1e999, 0]], "width": 10, "height": 10}',
    b'{"tensor": ".::pics", "rows": [0], "pixels": [[NaN, 0]], "width": 10, "height": 10}',
    b'{"tensor": ".::pics", "rows": [0], "pixels": [[0, Infinity]], "width": 10, "height": 10}',
    b'{"tensor": ".::pics", "rows": [0], "pixels": [[0, 0]], "width": 1e999, "height": 10}',
    b'{"tensor": ".::pics", "rows": [1' + b"0" * 5000 + b'], "pixels": [[0, 0]], "width": 10, "height": 10}',
]
NOT_JSON = [b"", b"not json", b"\xff\xfe{}", b"[" * 100_000 + b"]" * 100_000, b'{"tensor": ".::pics",}']
BAD_FIELDS = [
    ([1, 2], "must be a JSON object"),
    ({"rows": [0], "pixels": [[0, 0]], "width": 10, "height": 10}, "lacks tensor"),
    (page_body(extra=1), "unknown fields: extra"),
    (page_body(tensor=7), "tensor must be"),
    (page_body(tensor="x" * 5000), "tensor must be"),
    (page_body(tensor=".::nope"), "no longer in the logdir"),
    (page_body(tensor="../../etc::pics"), "no longer in the logdir"),
    (page_body(tensor=PLAIN), "has no images"),
    (page_body(rows="0,2,5"), "rows must be a list"),
    (page_body(rows=[0, 2, 5.5]), "Each of rows must be a whole number"),
    (page_body(rows=[0, True, 5]), "Each of rows must be a whole number"),
    (page_body(rows=[0, -2, 5]), "Each of rows must be a whole number"),
    (page_body(rows=[0, 2, 2**70]), "Each of rows must be a whole number"),
    (page_body(rows=[0, 2, N]), "not in this tensor"),
    (page_body(rows=[0] * (N + 1), pixels=[[1, 1]] * (N + 1)), "not in this tensor"),  # more than it has
    (page_body(rows=[0] * (MAX_IMAGES + 1)), "zoom in"),
    (page_body(pixels=[[0, 0], [1, 1]]), r"one \[x, y\] per point"),
    (page_body(pixels={"x": 1}), r"one \[x, y\] per point"),
    (page_body(pixels=[[0, 0], [1, 1], [2, 2, 2]]), r"Each of pixels must be an \[x, y\]"),
    (page_body(pixels=[[0, 0], [1, 1], ["2", 2]]), r"Each of pixels must be an \[x, y\]"),
    (page_body(pixels=[[0, 0], [1, 1], [False, 2]]), r"Each of pixels must be an \[x, y\]"),
    (page_body(pixels=[[0, 0], [1, 1], [302, 2]]), r"on the 300 × 150 px layer; got \[302, 2\]"),
    (page_body(pixels=[[0, 0], [1, 1], [2, -1e300]]), r"on the 300 × 150 px layer"),
    (page_body(width=0), "width must be a whole number from 1 to 4,096"),
    (page_body(width=4097), "width must be a whole number from 1 to 4,096"),
    (page_body(width="300"), "width must be a whole number"),
    (page_body(width=300.5), "width must be a whole number"),
    (page_body(height=True), "height must be a whole number"),
    (page_body(width=4096, height=4096), "at most 9,437,184 px in all"),
    (page_body(size=25), "Thumbnail size must be one of"),
    (page_body(size=None), "size must be a whole number"),
    (page_body(lit=[True]), "lit must be null or a list"),
    (page_body(lit=[1, 0, 1]), "lit must be null or a list"),
]


@pytest.mark.parametrize("raw", NOT_FINITE + NOT_JSON)
def test_a_body_that_is_not_the_pages_json_is_a_short_400(server, raw, caplog):
    with caplog.at_level(logging.DEBUG):
        answer = post(server, raw)
    assert answer.status_code == 400 and answer.mimetype == "text/plain"
    assert len(answer.get_data(as_text=True)) < 300
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize(("body", "message"), BAD_FIELDS)
def test_each_field_is_checked_with_a_message_saying_what_is_wrong(server, body, message, caplog):
    with caplog.at_level(logging.DEBUG):
        answer = post(server, body)
    text = answer.get_data(as_text=True)
    assert (answer.status_code, answer.mimetype) == (400, "text/plain"), text
    assert re.search(message, text), text
    assert len(text) < 300 and "Traceback" not in text
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_a_body_larger_than_the_page_sends_is_not_read(server):
    answer = post(server, b" " * (MAX_REQUEST_BYTES + 1))
    assert answer.status_code == 413 and "larger than 1,048,576 bytes" in answer.get_data(as_text=True)
    padded = json.dumps(page_body()).encode() + b" " * (MAX_REQUEST_BYTES - 500)
    assert post(server, padded).status_code == 200  # the limit, not the padding, decides


def test_renders_beyond_two_at_once_are_refused_busy_not_queued(server, monkeypatch):
    entered, release = threading.Semaphore(0), threading.Event()
    real = images.layer_png

    def slow(*args):
        entered.release()
        assert release.wait(10)
        return real(*args)

    monkeypatch.setattr(images, "layer_png", slow)
    with ThreadPoolExecutor(images.MAX_RENDERS) as pool:
        drawing = [pool.submit(post, server, page_body()) for _ in range(images.MAX_RENDERS)]
        for _ in drawing:
            assert entered.acquire(timeout=10)
        busy = post(server, page_body())
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        assert "busy" in busy.get_data(as_text=True) and "try again" in busy.get_data(as_text=True)
        assert post(server, page_body(width=0)).status_code == 400  # a bad request is told so, busy or not
        release.set()
        assert [f.result().status_code for f in drawing] == [200] * images.MAX_RENDERS
    monkeypatch.setattr(images, "layer_png", real)
    assert post(server, page_body()).status_code == 200  # the slots were given back


def test_a_failed_render_gives_its_slot_back(server):
    for _ in range(images.MAX_RENDERS + 1):
        assert post(server, page_body(rows=[0, 2, N])).status_code == 400  # refused by layer_png itself
    assert post(server, page_body()).status_code == 200
