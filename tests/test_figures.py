import base64

import numpy as np
import pandas as pd

from projector.colors import encode_column, uniform_encoding
from projector.figures import marker_update, point_style, scatter_figure, typed_array


def decode(spec):
    dtype = {"f4": "<f4", "u1": "u1", "u2": "<u2", "f8": "<f8", "i4": "<i4"}[spec["dtype"]]
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype)


def test_typed_array_round_trips():
    values = np.array([1.5, -2.25, 3.0], dtype=np.float32)
    assert np.array_equal(decode(typed_array(values)), values)
    assert typed_array(np.array([1, 2], dtype=np.uint8))["dtype"] == "u1"


def test_scatter_figure_carries_every_point_as_typed_arrays():
    coords = np.random.default_rng(0).normal(size=(500, 3)).astype(np.float32)
    style = point_style(uniform_encoding(500), np.array([3, 4]), 3, 3)
    fig = scatter_figure(coords, [str(i) for i in range(500)], style, ["a", "b", "c"], "rev")
    trace = fig["data"][0]
    assert trace["type"] == "scatter3d"
    for axis, column in zip("xyz", coords.T):
        assert np.array_equal(decode(trace[axis]), column)
    sizes = decode(trace["marker"]["size"])
    assert sizes[3] > sizes[4] > sizes[0]
    flat = point_style(uniform_encoding(500), np.array([]), None, 2)
    two_d = scatter_figure(coords[:, :2], ["p"] * 500, flat, ["a", "b"], "r")
    assert two_d["data"][0]["type"] == "scattergl" and "z" not in two_d["data"][0]


def test_recolour_payload_is_small_for_100k_points():
    values = pd.Series(np.random.default_rng(1).choice(list("abcdefghij"), size=100_000))
    style = point_style(encode_column(values), np.array([], dtype=int), None, 3)
    payload = marker_update(style, sizes=False)
    assert payload["color"]["dtype"] == "u1"
    import json

    assert len(json.dumps(payload)) < 200_000
