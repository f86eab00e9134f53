import numpy as np
import pandas as pd

from projector.view import (
    INDEX_COLUMN,
    point_labels,
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
