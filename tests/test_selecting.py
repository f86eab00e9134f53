"""The inspector's selection handlers, one per trigger, called without Dash or a browser."""

import numpy as np
import pytest

from callbacks import ids, selecting
from callbacks.inspector_panel import rendered
from callbacks.selecting import Change, SelectInputs, handler_for
from projector.errors import InputError
from projector.projection import pca_spec, project
from projector.view import Opening, Selection, View
from projector.workspace import Workspace
from projector.writer import write_embedding

ANIMALS = ["cat", "dog", "horse", "cow"]
KEY = ".::embedding"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("selecting")
    vectors = np.random.default_rng(3).normal(size=(24, 5)).astype(np.float32)
    labels = [f"{ANIMALS[i % 4]}_{i}" for i in range(24)]
    write_embedding(root / "logdir", vectors, metadata=labels)
    workspace = Workspace(root / "logdir", cache_root=root / "cache")
    return workspace, workspace.dataset(KEY), labels


def inputs(view: View | None = None, **values) -> SelectInputs:
    base = {"k": 5, "metric": "cosine", "mode": "neighbors", "projection": pca_spec([0, 1])}
    return SelectInputs(view=view or View(KEY), **{**base, **values})


def rows_with(labels, word, among=None) -> list[int]:
    return [i for i, label in enumerate(labels) if word in label and (among is None or i in among)]


def test_the_first_trigger_in_order_picks_the_handler():
    view, opening = f"{ids.VIEW_STORE}.data", f"{ids.BOOKMARK_OPENING}.data"
    assert handler_for([opening, view]) is selecting.on_view  # a bookmark opens with its view
    assert handler_for([f"{ids.SEARCH_REGEX}.value"]) is selecting.on_search
    assert handler_for([f"{ids.SCATTER}.selectedData"]) is selecting.on_drag
    assert handler_for([f"{ids.SCATTER}.clickData"]) is selecting.on_click
    assert handler_for([f"{ids.NEIGHBORS_K}.value"]) is selecting.on_neighbours
    assert handler_for(["somewhere-else.value"]) is None
    # A click sent together with a search column chosen just before it is the user's latest act.
    assert handler_for([f"{ids.SEARCH_COLUMN}.value", f"{ids.SCATTER}.clickData"]) is selecting.on_click


def test_inputs_count_the_opening_record_only_when_it_changed():
    record = Opening("b1", "pca", "r", 2, (1, 2)).to_json()
    triggered = [f"{ids.VIEW_STORE}.data", f"{ids.BOOKMARK_OPENING}.data"]
    assert SelectInputs.of({"opening": record, "k": 7}, View(KEY), triggered).opening.selected == (1, 2)
    assert SelectInputs.of({"opening": record}, View(KEY), [f"{ids.VIEW_STORE}.data"]).opening is None
    assert SelectInputs.of({"k": 7, "_clear": 3}, View(KEY), []).k == 7  # unknown names are dropped


def test_a_search_selects_its_matches_and_a_single_match_is_clicked(loaded):
    workspace, data, labels = loaded
    change = selecting.on_search(workspace, data, inputs(query="cat"))
    cats = rows_with(labels, "cat")
    assert list(change.selection.points) == cats and change.selection.source == "search"
    assert change.status == f"{len(cats)} matches" and list(change.matches) == cats and change.clear_banner
    one = selecting.on_search(workspace, data, inputs(query="^dog_5$", regex=["regex"]))
    assert one.selection.points == (5,) and one.selection.anchor == 5


def test_an_empty_search_clears_its_matches(loaded):
    workspace, data, _ = loaded
    change = selecting.on_search(workspace, data, inputs(query="  "))
    assert change.selection == Selection(KEY, source="search")
    assert change.status == "" and change.matches.size == 0 and not change.clear_search


def test_a_search_in_an_isolated_view_finds_only_points_in_view(loaded):
    workspace, data, labels = loaded
    view = View.of(KEY, list(range(8, 16)))
    change = selecting.on_search(workspace, data, inputs(view, query="cat"))
    assert list(change.selection.points) == rows_with(labels, "cat", range(8, 16))


def test_a_new_view_clears_the_search_only_when_there_is_one(loaded):
    workspace, data, _ = loaded
    before = Selection("other::t", (1,), 1, "click").to_json()  # what the page showed before this view
    quiet = selecting.on_view(workspace, data, inputs(current=before))
    assert quiet.selection == Selection(KEY) and quiet.status == "" and not quiet.clear_search
    assert selecting.on_view(workspace, data, inputs(typed="ca", current=before)).clear_search
    assert selecting.on_view(workspace, data, inputs(query="cat", current=before)).clear_search


def test_the_pages_first_view_keeps_and_runs_a_search_typed_while_it_came(loaded):
    workspace, data, labels = loaded
    typed = selecting.on_view(workspace, data, inputs(typed="ca"))
    assert typed.selection == Selection(KEY) and not typed.clear_search and typed.matches is None
    searched = selecting.on_view(workspace, data, inputs(typed="cat", query="cat"))
    assert list(searched.selection.points) == rows_with(labels, "cat") and not searched.clear_search
    assert searched.status == f"{len(rows_with(labels, 'cat'))} matches"


def test_a_bookmark_opening_selects_what_it_saved_and_keeps_its_own_search_text(loaded):
    workspace, data, _ = loaded
    opening = Opening("b1", "pca", "r", 2, (3, 4))
    change = selecting.on_view(workspace, data, inputs(opening=opening, typed="cat", query="cat"))
    assert change.selection == Selection(KEY, (3, 4), None, "bookmark")
    assert change.matches.size == 0 and not change.clear_search


def test_clear_empties_the_selection_and_the_search(loaded):
    workspace, data, _ = loaded
    change = selecting.on_clear(workspace, data, inputs(typed="cat", query="cat"))
    assert change.selection == Selection(KEY) and change.clear_search and change.matches.size == 0


def test_other_neighbours_keep_the_selection_of_this_tensor_only(loaded):
    workspace, data, _ = loaded
    current = Selection(KEY, (2,), 2, "click").to_json()
    assert selecting.on_neighbours(workspace, data, inputs(current=current)) == Change(Selection(KEY, (2,), 2, "click"))
    elsewhere = {**current, "tensor": "other::t"}
    assert selecting.on_neighbours(workspace, data, inputs(current=elsewhere)) == selecting.UNCHANGED


def test_an_edit_names_the_selection_again_without_redrawing(loaded):
    workspace, data, _ = loaded
    searched = selecting.on_edit(workspace, data, inputs(current=Selection(KEY, (0, 4), None, "search").to_json()))
    assert not searched.redraw and list(searched.matches) == [0, 4]
    clicked = selecting.on_edit(workspace, data, inputs(current=Selection(KEY, (1,), 1, "click").to_json()))
    assert not clicked.redraw and clicked.matches is None
    assert selecting.on_edit(workspace, data, inputs(current=None)) == selecting.UNCHANGED


def test_a_picked_list_entry_is_clicked_when_it_is_in_view(loaded):
    workspace, data, _ = loaded
    change = selecting.on_pick(workspace, data, inputs(pick={"row": 6}))
    assert change.selection == Selection(KEY, (6,), 6, "click") and change.status is None  # the search stays
    for pick in ({"row": True}, {"row": 99}, {"row": "6"}, None):
        assert selecting.on_pick(workspace, data, inputs(pick=pick)) == selecting.UNCHANGED
    assert selecting.on_pick(workspace, data, inputs(View.of(KEY, [1, 2]), pick={"row": 6})) == selecting.UNCHANGED


def test_a_box_selects_the_points_drawn_inside_it(loaded):
    workspace, data, _ = loaded
    coords = project(workspace, data, None, False, pca_spec([0, 1])).coords
    box = {"range": {"x": [0.0, float(coords[:, 0].max())], "y": [0.0, float(coords[:, 1].max())]}}
    change = selecting.on_drag(workspace, data, inputs(drag=box, typed="cat"))
    inside = np.flatnonzero((coords[:, 0] >= 0) & (coords[:, 1] >= 0)).tolist()
    assert list(change.selection.points) == inside and change.selection.source == "drag" and change.clear_search
    assert selecting.on_drag(workspace, data, inputs(drag={"range": None})) == selecting.UNCHANGED
    with pytest.raises(InputError, match="still being drawn"):
        selecting.on_drag(workspace, data, inputs(drag=box, projection=None))


def test_a_click_selects_the_point_or_the_sphere_around_it(loaded):
    workspace, data, _ = loaded
    view = View.of(KEY, [10, 11, 12, 13])
    click = {"points": [{"pointNumber": 2}]}  # the third point in view: row 12
    assert selecting.on_click(workspace, data, inputs(view, click=click)).selection == Selection(
        KEY, (12,), 12, "click"
    )
    huge = selecting.on_click(workspace, data, inputs(view, click=click, mode="sphere", radius=1e9))
    assert huge.selection == Selection(KEY, (10, 11, 12, 13), None, "sphere")
    tiny = selecting.on_click(workspace, data, inputs(view, click=click, mode="sphere", radius=1e-9))
    assert tiny.selection.points == (12,)
    assert selecting.on_click(workspace, data, inputs(click={"points": []})) == selecting.UNCHANGED


def test_a_change_becomes_the_outputs_it_names(loaded):
    workspace, data, labels = loaded
    cats = rows_with(labels, "cat")
    search = rendered(workspace, data, inputs(query="cat"), selecting.on_search(workspace, data, inputs(query="cat")))
    assert search["status"] == f"{len(cats)} matches" and search["count"] == f"{len(cats)} selected"
    assert len(search["match_items"]) == len(cats) and search["banner"] == [] and "search_text" not in search
    assert search["highlight"] is not None
    edit = rendered(workspace, data, inputs(), Change(Selection(KEY, (1,), 1, "click"), redraw=False))
    assert "highlight" not in edit and len(edit["neighbor_items"]) == 5 and "status" not in edit
    cleared = rendered(workspace, data, inputs(), Change(Selection(KEY), clear_search=True))
    assert cleared["search_text"] == "" and cleared["query"] == "" and cleared["count"] == "0 selected"
    assert rendered(workspace, data, inputs(), selecting.UNCHANGED) == {}


def test_another_step_of_the_view_keeps_the_selection_and_the_search(loaded):
    workspace, data, _ = loaded
    current = Selection(KEY, (0, 4), None, "search").to_json()
    moved = View(KEY).at_step(3)
    change = selecting.on_view(workspace, data, inputs(moved, current=current, typed="cat", query="cat"))
    assert change == Change(Selection(KEY, (0, 4), None, "search"))  # no status, matches or search text touched
    assert selecting.on_view(workspace, data, inputs(moved, current=None)) == selecting.UNCHANGED
