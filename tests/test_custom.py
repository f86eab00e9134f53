from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from projector.custom import CustomProjection, custom_projection, matches
from projector.errors import InputError

D = 8


@pytest.fixture
def data() -> tuple[np.ndarray, pd.DataFrame]:
    """120 points: 'good…' near +4·e0, 'bad…' near −4·e0, 'up…' near +4·e1, 'down…' near −4·e1, the rest near 0."""
    rng = np.random.default_rng(0)
    groups = ["good", "bad", "up", "down", "other"]
    axes = np.eye(D)
    centres = {"good": 4 * axes[0], "bad": -4 * axes[0], "up": 4 * axes[1], "down": -4 * axes[1], "other": np.zeros(D)}
    words, vectors = [], []
    for i in range(120):
        group = groups[i % 5]
        words.append(f"{group.capitalize()}{i}")
        vectors.append(centres[group] + rng.normal(scale=0.5, size=D) + 1.0)
    metadata = pd.DataFrame({"word": words, "group": [w.rstrip("0123456789").lower() for w in words]})
    return np.asarray(vectors, np.float32), metadata


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


def _rows(metadata: pd.DataFrame, prefix: str) -> np.ndarray:
    return metadata["word"].str.lower().str.startswith(prefix).to_numpy()


def _axes(vectors: np.ndarray, result: CustomProjection) -> np.ndarray:
    """The (D, 2) projection directions recovered from the coordinates (vectors have full column rank)."""
    directions, *_ = np.linalg.lstsq(vectors.astype(np.float64), result.coords.astype(np.float64), rcond=None)
    return directions


def test_x_runs_from_left_to_right_centroid(data):
    vectors, metadata = data
    result = custom_projection(vectors, metadata, "word", left="bad", right="GOOD", up="up", down="down")
    assert result.coords.shape == (len(vectors), 2) and result.coords.dtype == np.float32
    good, bad = _rows(metadata, "good"), _rows(metadata, "bad")
    assert result.coords[good, 0].min() > result.coords[bad, 0].max()  # case-insensitive search
    expected = _unit(vectors[good].mean(0) - vectors[bad].mean(0))
    np.testing.assert_allclose(result.coords[:, 0], vectors @ expected, rtol=1e-4, atol=1e-4)
    up, down = _rows(metadata, "up"), _rows(metadata, "down")
    assert result.coords[up, 1].min() > result.coords[down, 1].max()
    np.testing.assert_allclose(
        result.coords[:, 1], vectors @ _unit(vectors[up].mean(0) - vectors[down].mean(0)), rtol=1e-4, atol=1e-4
    )
    assert result.x_title == "'bad' ← → 'GOOD'"
    assert result.y_title == "'down' ↓ ↑ 'up'"
    assert result.notes == []


def test_swapping_left_and_right_mirrors_x(data):
    vectors, metadata = data
    forward = custom_projection(vectors, metadata, "word", "bad", "good")
    backward = custom_projection(vectors, metadata, "word", "good", "bad")
    np.testing.assert_allclose(forward.coords[:, 0], -backward.coords[:, 0], rtol=1e-5, atol=1e-4)


def test_random_y_is_unit_orthogonal_to_x_and_seeded(data):
    vectors, metadata = data
    result = custom_projection(vectors, metadata, "word", "bad", "good", random_state=3)
    directions = _axes(vectors, result)
    assert np.linalg.norm(directions[:, 0]) == pytest.approx(1.0, abs=1e-4)
    assert np.linalg.norm(directions[:, 1]) == pytest.approx(1.0, abs=1e-4)
    assert abs(directions[:, 0] @ directions[:, 1]) < 1e-4
    assert result.y_title == "random"
    assert result.notes == ["Y axis is random: no up/down search given."]
    again = custom_projection(vectors, metadata, "word", "bad", "good", random_state=3)
    other = custom_projection(vectors, metadata, "word", "bad", "good", random_state=4)
    assert np.array_equal(again.coords, result.coords)
    assert np.array_equal(other.coords[:, 0], result.coords[:, 0])
    assert not np.allclose(other.coords[:, 1], result.coords[:, 1])


def test_one_dimensional_vectors_get_a_flat_y(data):
    vectors, metadata = data
    result = custom_projection(vectors[:, :1], metadata, "word", "bad", "good")
    assert np.all(result.coords[:, 1] == 0) and "single dimension" in result.notes[0]


@pytest.mark.parametrize(
    "searches, message",
    [
        (("xyz", "good", "", ""), "The left search 'xyz' matches 0 points in column 'word'."),
        (("bad", "nothing", "", ""), "The right search 'nothing' matches 0 points in column 'word'."),
        (("bad", "good", "zzz", "down"), "The up search 'zzz' matches 0 points in column 'word'."),
        (("bad", "good", "up", "zzz"), "The down search 'zzz' matches 0 points in column 'word'."),
    ],
)
def test_zero_matches_name_the_search(data, searches, message):
    vectors, metadata = data
    with pytest.raises(InputError) as error:
        custom_projection(vectors, metadata, "word", *searches)
    assert str(error.value) == message


@pytest.mark.parametrize(
    "searches, missing",
    [
        (("", "good", "", ""), "left"),
        (("bad", "  ", "", ""), "right"),
        (("bad", "good", "up", ""), "down"),
        (("bad", "good", "", "down"), "up"),
    ],
)
def test_missing_search_is_named(data, searches, missing):
    vectors, metadata = data
    with pytest.raises(InputError, match=rf"^The {missing} search is empty"):
        custom_projection(vectors, metadata, "word", *searches)


def test_same_centroid_has_no_direction(data):
    vectors, metadata = data
    with pytest.raises(InputError, match="same centroid"):
        custom_projection(vectors, metadata, "word", "good", "Good")


def test_regex_mode(data):
    vectors, metadata = data
    with pytest.raises(InputError, match="matches 0 points"):
        custom_projection(vectors, metadata, "word", "^bad\\d+$", "^good\\d+$")  # literal in substring mode
    result = custom_projection(vectors, metadata, "word", "^bad\\d+$", "^good\\d+$", regex=True)
    plain = custom_projection(vectors, metadata, "word", "bad", "good")
    np.testing.assert_allclose(result.coords[:, 0], plain.coords[:, 0], rtol=1e-6)
    with pytest.raises(InputError, match="Invalid regular expression"):
        custom_projection(vectors, metadata, "word", "(bad", "good", regex=True)


def test_regex_searches_run_in_linear_time_and_name_unsupported_syntax(data):
    vectors, metadata = data
    words = [f"good{i}" if i % 5 == 0 else "a" * 35 + ("" if i % 5 == 1 else "!") for i in range(len(metadata))]
    started = time.perf_counter()
    result = custom_projection(vectors, metadata.assign(word=words), "word", "(a+)+$", "^good", regex=True)
    assert time.perf_counter() - started < 2.0
    assert np.isfinite(result.coords).all()
    for query in [r"(good)\1", "good(?=1)"]:
        with pytest.raises(InputError, match="RE2 syntax: backreferences and lookarounds are not supported"):
            custom_projection(vectors, metadata, "word", "bad", query, regex=True)
    with pytest.raises(InputError, match="the limit is 1,000 characters"):
        custom_projection(vectors, metadata, "word", "bad", "g" * 1001)


def test_other_column_and_all_columns(data):
    vectors, metadata = data
    by_group = custom_projection(vectors, metadata, "group", "bad", "good")
    anywhere = custom_projection(vectors, metadata, None, "bad", "good")
    by_word = custom_projection(vectors, metadata, "word", "bad", "good")
    np.testing.assert_allclose(by_group.coords[:, 0], by_word.coords[:, 0], rtol=1e-6)
    np.testing.assert_allclose(anywhere.coords[:, 0], by_word.coords[:, 0], rtol=1e-6)
    with pytest.raises(InputError, match="matches 0 points in the metadata"):
        custom_projection(vectors, metadata, None, "bad", "qqq")


def test_rows_must_match_metadata(data):
    vectors, metadata = data
    with pytest.raises(InputError, match="one metadata row per vector"):
        custom_projection(vectors[:-1], metadata, "word", "bad", "good")


def test_shown_rows_are_projected_on_axes_from_every_point(data):
    vectors, metadata = data
    whole = custom_projection(vectors, metadata, "group", "bad", "good", "down", "up")
    others = np.flatnonzero(metadata["group"] == "other")  # isolated: no 'good' or 'bad' among them
    isolated = custom_projection(vectors, metadata, "group", "bad", "good", "down", "up", rows=others)
    assert isolated.coords.shape == (others.size, 2)
    assert np.allclose(isolated.coords, whole.coords[others], atol=1e-5)


def test_each_search_has_its_own_regex_switch_and_count(data):
    vectors, metadata = data
    regex = {"left": True, "right": False}
    result = custom_projection(vectors, metadata, "word", "^bad", "Good", regex=regex)
    assert result.x_title == "'^bad' ← → 'Good'"
    with pytest.raises(InputError, match="right search '\\^good' matches 0 points"):
        custom_projection(vectors, metadata, "word", "^bad", "^good", regex=regex)  # '^' is literal on the right
    found = matches(metadata, "word", {"left": "^bad", "right": "^good", "up": "", "down": "Down"}, regex)
    assert found == {"left": 24, "right": 0, "down": 24}
