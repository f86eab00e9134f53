import json

import numpy as np
import pandas as pd

from projector.view import (
    INDEX_COLUMN,
    Opening,
    Selection,
    View,
    point_labels,
    selected_rows,
    subset_array,
    to_positions,
    to_rows,
    visible_rows,
)


def test_positions_and_rows_are_inverse_on_a_subset():
    subset = subset_array([9, 2, 5, 2])
    assert subset.tolist() == [2, 5, 9]
    assert to_positions(subset, np.array([5, 9, 3])).tolist() == [1, 2]
    assert to_rows(subset, np.array([0, 2])).tolist() == [2, 9]
    assert to_positions(None, np.array([4])).tolist() == [4]
    assert visible_rows(None, 3).tolist() == [0, 1, 2]
    assert to_positions(subset_array([]), np.array([1])).size == 0


def test_labels_fall_back_to_row_numbers():
    frame = pd.DataFrame({"word": ["a", "b"]})
    assert point_labels(frame, "word").tolist() == ["a", "b"]
    assert point_labels(frame, INDEX_COLUMN).tolist() == ["0", "1"]
    assert point_labels(pd.DataFrame(index=range(2)), None).tolist() == ["0", "1"]


def test_view_round_trips_and_names_its_subset():
    whole, isolated = View("r::t"), View.of("r::t", [9, 2, 5, 2])
    assert isolated.indices == (2, 5, 9) and isolated.subset.tolist() == [2, 5, 9] and whole.subset is None
    for view in (whole, isolated):
        assert View.from_json(json.loads(json.dumps(view.to_json()))) == view
    assert whole.token != isolated.token and isolated.token == View.of("r::t", [5, 9, 2]).token
    assert View.from_json(None) is None and View.from_json({"tensor": None, "indices": None}) is None


def test_selection_rows_add_the_anchors_neighbours_only():
    sel = Selection.of("r::t", np.array([4, 1]), 4, "click")
    assert sel.rows().tolist() == [1, 4]
    assert sel.rows({"anchor": 4, "indices": [7, 1]}).tolist() == [1, 4, 7]
    assert sel.rows({"anchor": 3, "indices": [7]}).tolist() == [1, 4]
    stored = json.loads(json.dumps(sel.to_json()))
    assert Selection.from_json(stored) == sel and Selection.from_json(stored, "r::other") is None
    assert selected_rows(stored, {"anchor": 4, "indices": [8]}, "r::t").tolist() == [1, 4, 8]
    assert selected_rows(stored, None, "r::other").size == 0 and selected_rows(None, None).size == 0


def test_opening_round_trips():
    opening = Opening("b1", "tsne", "bookmark-b1", 2, (3, 1), {"xaxis.range[0]": 0.5}, (0, 1))
    assert Opening.from_json(json.loads(json.dumps(opening.to_json()))) == opening
    assert Opening.from_json(None) is None
