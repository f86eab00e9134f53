import numpy as np
import pandas as pd

from projector.colors import (
    DIMMED,
    FIRST_CODE,
    LEGEND_LIMIT,
    MISSING,
    MUTED_COLOR,
    SELECTED,
    category_colors,
    column_kinds,
    default_color_column,
    discrete_colorscale,
    encode_column,
    highlight,
    uniform_encoding,
)


def test_categorical_codes_follow_frequency_and_mark_missing():
    enc = encode_column(pd.Series(["b", "a", "b", "", "c", "b", "a"]))
    assert enc.kind == "categorical"
    first = FIRST_CODE
    assert enc.codes.tolist() == [first, first + 1, first, MISSING, first + 2, first, first + 1]
    assert [(e.label, e.count) for e in enc.legend] == [("b", 3), ("a", 2), ("c", 1), ("(missing)", 1)]
    assert enc.palette[enc.codes[0]] == enc.legend[0].color


def test_numeric_column_gets_a_gradient_with_its_range():
    enc = encode_column(pd.Series(["0", "5", "10.5", ""]))
    assert enc.kind == "numeric"
    assert enc.value_range == (0.0, 10.5)
    assert enc.codes[0] == FIRST_CODE and enc.codes[2] == len(enc.palette) - 1 and enc.codes[3] == MISSING
    assert enc.codes[0] < enc.codes[1] < enc.codes[2]


def test_few_whole_numbers_are_class_ids_coloured_by_category():
    assert encode_column(pd.Series([str(i % 10) for i in range(100)])).kind == "categorical"
    assert encode_column(pd.Series([str(i) for i in range(100)])).kind == "numeric"
    assert encode_column(pd.Series(["0.5", "1", "2"])).kind == "numeric"


def test_more_than_fifty_categories_are_all_coloured_distinctly():
    values = pd.Series([f"w{i}" for i in range(300)])
    enc = encode_column(values)
    assert len(set(enc.codes.tolist())) == 300
    assert len(set(enc.palette[FIRST_CODE:])) == 300
    assert len(enc.legend) == LEGEND_LIMIT and enc.hidden_categories == 250
    assert len(set(category_colors(300))) == 300


def test_highlight_dims_everything_outside_the_selection():
    enc = encode_column(pd.Series(["x", "y", "x", "y"]))
    codes = highlight(enc, np.array([1, 2]))
    assert codes[0] == DIMMED and codes[3] == DIMMED
    assert codes[1] == enc.codes[1] and codes[2] == enc.codes[2]
    assert highlight(enc, np.array([], dtype=int)) is enc.codes
    plain = highlight(uniform_encoding(3), np.array([0]))
    assert plain.tolist() == [SELECTED, DIMMED, DIMMED]


def test_discrete_colorscale_maps_each_code_to_its_colour():
    palette = ["#000000", "#ff0000", "#00ff00"]
    scale, cmin, cmax = discrete_colorscale(palette)
    for code, color in enumerate(palette):
        t = (code - cmin) / (cmax - cmin)
        below = [c for pos, c in scale if pos <= t][-1]
        above = [c for pos, c in scale if pos >= t][0]
        assert below == above == color


def test_column_kinds_say_how_each_column_is_coloured():
    metadata = pd.DataFrame(
        {"score": ["0.5", "1.25", "-3", ""], "digit": ["1", "2", "1", "3"], "word": ["a", "b", "", "a"]}
    )
    kinds = column_kinds(metadata)
    assert [(k.name, k.numeric, k.distinct) for k in kinds] == [
        ("score", True, 3),
        ("digit", False, 3),
        ("word", False, 2),
    ]
    assert [k.option["label"] for k in kinds] == ["score (numeric)", "digit (3 values)", "word (2 values)"]
    assert default_color_column(metadata, kinds) == default_color_column(metadata) == "digit"


def test_numbers_can_be_coloured_by_category():
    values = pd.Series(["0.5", "1.25", "-3", "0.5"])
    assert encode_column(values).kind == "numeric"
    forced = encode_column(values, categorical=True)
    assert forced.kind == "categorical" and forced.codes[0] == forced.codes[3] != forced.codes[1]


def test_muted_values_are_grey_and_listed_last_without_taking_a_colour():
    values = pd.Series(["1 · a"] * 5 + ["noise"] * 9 + ["2 · b"] * 3)
    muted = encode_column(values, muted=("noise",))
    assert [(e.label, e.count) for e in muted.legend] == [("1 · a", 5), ("2 · b", 3), ("noise", 9)]
    assert muted.legend[-1].color == MUTED_COLOR and muted.legend[0].color == category_colors(3)[0]
    assert muted.palette[muted.codes[5]] == MUTED_COLOR
    plain = encode_column(values)
    assert plain.legend[0].label == "noise" and plain.legend[0].color != MUTED_COLOR
