"""The parsers every callback input goes through: what the page sends passes as it is, anything else is refused."""

from __future__ import annotations

import json
import math

import pytest

from projector import inputs
from projector.errors import InputError
from projector.inputs import Refused
from projector.projection import checked_spec


@pytest.mark.parametrize(
    "parser, value",
    [
        (inputs.clicks, None),
        (inputs.clicks, 3),
        (inputs.flag, True),
        (inputs.text(), "run/train"),
        (inputs.choice(2, 3), 3),
        (inputs.checklist, ["on"]),
        (inputs.field, "auto"),
        (inputs.field, 0.1),
        (inputs.index, 0),
        (inputs.view, {"tensor": ".::t", "indices": [0, 5, 9]}),
        (inputs.view, {"tensor": ".::t", "indices": None}),
        (inputs.selection, {"tensor": ".::t", "points": [1, 2], "anchor": 1, "source": "click"}),
        (inputs.neighbors, {"anchor": 4, "indices": [1, 2], "distances": [0.1, 0.2]}),
        (inputs.store, {"lassoPoints": {"x": [0.5, 1.5], "y": [2.0, 3.0]}}),
    ],
)
def test_what_the_page_sends_passes_unchanged(parser, value):
    assert parser(value) == value


@pytest.mark.parametrize(
    "parser, value",
    [
        (inputs.clicks, -1),
        (inputs.clicks, True),
        (inputs.clicks, 2**60),
        (inputs.flag, "yes"),
        (inputs.text(), "x" * 1001),
        (inputs.text(), ["a"]),
        (inputs.choice(2, 3), "3"),
        (inputs.choice(2, 3), True),
        (inputs.checklist, ["on"] * 21),
        (inputs.field, math.nan),
        (inputs.field, math.inf),
        (inputs.field, "1" * 101),
        (inputs.index, -3),
        (inputs.view, {"tensor": ".::t", "indices": [1.5]}),
        (inputs.view, {"tensor": ".::t", "indices": [-1]}),
        (inputs.view, {"tensor": ".::t", "indices": [True]}),
        (inputs.view, {"indices": [1]}),
        (inputs.view, "x"),
        (inputs.selection, {"tensor": ".::t", "points": "0-9"}),
        (inputs.neighbors, 7),
        (inputs.store, json.loads("[" * 20 + "]" * 20)),
        (inputs.store, {"a": [1.0, math.nan]}),
        (inputs.store, "x" * (inputs.MAX_STRING + 1)),
    ],
)
def test_anything_else_is_refused(parser, value):
    with pytest.raises(Refused):
        parser(value)


def test_a_projection_spec_is_bounded_before_use():
    assert checked_spec({"method": "pca", "axes": [0, 1, 2]})["axes"] == [0, 1, 2]
    for spec in (
        {"method": "pca", "axes": [0] * 1_000_000},
        {"method": "pca", "axes": [0, 0]},
        {"method": "pca", "axes": [0, -1]},
        {"method": "pca", "axes": [0.5, 1]},
        {"method": "tsne", "result": "../../x"},
        {"method": "tsne", "result": "t" * 200},
        {"method": "custom", "left": "a" * 5000},
        {"method": "nope"},
        "pca",
    ):
        with pytest.raises(InputError):
            checked_spec(spec)
