"""What each way of selecting points does: one handler per trigger of the inspector's ``select`` callback.

A handler reads the typed inputs of one request (:class:`SelectInputs`) and returns a :class:`Change`, plain
values saying what the selection becomes and which texts go with it; the panel turns a change into outputs
(``callbacks.inspector_panel``). Handlers know nothing of Dash, so the tests call them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Callable

import numpy as np

from callbacks import ids
from projector.charts import rows_in_range, rows_with_values
from projector.compare import parse_choice, second_dataset, second_view
from projector.dataset import Dataset
from projector.errors import InputError
from projector.projection import project
from projector.search import search_columns
from projector.selection import default_radius, in_box, in_lasso, within_radius
from projector.view import Opening, Selection, View, to_positions, to_rows, visible_rows
from projector.workspace import Workspace


@dataclass(frozen=True)
class SelectInputs:
    """The values of one ``select`` request, already checked for their types by ``callbacks.inputs``."""

    view: View
    query: str | None = None
    column: str | None = None
    regex: list | None = None
    click: dict | None = None
    compare_click: dict | None = None  # a click on the second plot (callbacks.compare_panel)
    compare_drag: dict | None = None  # a box or lasso on it
    compare: str | None = None  # what it shows (a compare-tensor value)
    compare_by: str | None = None  # the column its rows are matched by (None: the row number)
    drag: dict | None = None
    pick: dict | None = None
    group: dict | None = None  # rows picked by a column's values or range (a cluster, a chart)
    opening: Opening | None = None  # the bookmark being opened, when it triggered this request
    k: int | None = None
    metric: str | None = None
    mode: str | None = None
    radius: float | str | None = None
    projection: dict | None = None
    spherize: list | None = None
    current: dict | None = None  # the selection store as it was
    label_by: str | None = None
    typed: str | None = None  # the search box's text when the request left

    @classmethod
    def of(cls, values: dict, view: View, triggered: list[str] | tuple[str, ...]) -> SelectInputs:
        """The inputs of a request with dict-form ``values``; the opening record counts only when it changed."""
        named = {f.name for f in fields(cls)} - {"view", "opening"}
        opened = f"{ids.BOOKMARK_OPENING}.data" in triggered
        opening = Opening.from_json(values.get("opening")) if opened else None
        return cls(view=view, opening=opening, **{name: values.get(name) for name in named})


@dataclass(frozen=True)
class Change:
    """What one request changes. ``selection`` None changes nothing at all."""

    selection: Selection | None
    status: str | None = None  # the search status line; None leaves it
    matches: np.ndarray | None = None  # rows for the match list; None leaves it, empty empties it
    clear_search: bool = False  # empty the search box and the query it ran
    clear_banner: bool = False  # a new search answers the banner of the last
    redraw: bool = True  # False: the same points, named anew; the plot is left alone


UNCHANGED = Change(None)
NO_ROWS = np.zeros(0, dtype=np.int64)


def cleared(sel: Selection, inp: SelectInputs) -> Change:
    """``sel`` replacing a search: its status and matches go, and its text when there is one. Text typed while
    this request was on its way (the page's first, answered late by a busy server) is not there to clear."""
    return Change(sel, status="", matches=NO_ROWS, clear_search=bool(inp.typed or inp.query))


def on_view(workspace: Workspace, data: Dataset, inp: SelectInputs) -> Change:
    """A new view: nothing selected, or what the bookmark being opened selected (its search text it brings
    itself, through the bookmark's restore); another step of the same view keeps the selection, its
    neighbours found again in that step's vectors; the page's first view keeps what was typed while it came."""
    key = data.spec.key
    if inp.opening is not None:
        return Change(Selection.of(key, inp.opening.selected, None, "bookmark"), status="", matches=NO_ROWS)
    if inp.view.moved:  # another training step of the same rows: the selection and search stay
        kept = Selection.from_json(inp.current, key)
        return UNCHANGED if kept is None else Change(kept)
    if inp.current is None:  # the page's first view (late from a busy server): a search typed meanwhile is run
        return on_search(workspace, data, inp) if (inp.query or "").strip() else Change(Selection(key), status="")
    return cleared(Selection(key), inp)


def on_clear(workspace: Workspace, data: Dataset, inp: SelectInputs) -> Change:
    return cleared(Selection(data.spec.key), inp)


def on_neighbours(workspace: Workspace, data: Dataset, inp: SelectInputs) -> Change:
    """Another count or metric of neighbours: the same selection, its neighbours found again."""
    return Change(Selection.from_json(inp.current, data.spec.key))


def on_edit(workspace: Workspace, data: Dataset, inp: SelectInputs) -> Change:
    """Metadata edited: the same selection named anew (a search's matches relisted), the plot left alone."""
    sel = Selection.from_json(inp.current, data.spec.key)
    if sel is None:
        return UNCHANGED
    matches = np.asarray(sel.points, dtype=np.int64) if sel.source == "search" else None
    return Change(sel, matches=matches, redraw=False)


def on_search(workspace: Workspace, data: Dataset, inp: SelectInputs) -> Change:
    """The query, its column or its regex flag changed: its matches (a single match is clicked, so its
    neighbours show)."""
    key = data.spec.key
    if not (inp.query or "").strip():
        return Change(Selection(key, source="search"), status="", matches=NO_ROWS, clear_banner=True)
    subset = inp.view.subset
    frame = data.metadata if subset is None else data.metadata.iloc[subset]
    matches = visible_rows(subset, data.n)[search_columns(frame, inp.column, inp.query, bool(inp.regex))]
    anchor = int(matches[0]) if matches.size == 1 else None
    sel = Selection.of(key, matches, anchor, "search")
    listed = np.asarray(sel.points, dtype=np.int64)
    return Change(sel, status=f"{matches.size:,} matches", matches=listed, clear_banner=True)


def on_pick(workspace: Workspace, data: Dataset, inp: SelectInputs) -> Change:
    """An entry of a list picked: its point, as a click; the search and its matches stay."""
    row = picked_row(inp.pick, inp.view.subset, data.n)
    return UNCHANGED if row is None else Change(Selection.of(data.spec.key, [row], row, "click"))


def on_group(workspace: Workspace, data: Dataset, inp: SelectInputs) -> Change:
    """A cluster picked in the list, bars clicked or a range brushed on a chart: the points of the view whose
    value is one of those (or in that range), selected and listed as a search's matches."""
    group = inp.group or {}
    column = group.get("column")
    if not isinstance(column, str) or column not in data.metadata.columns:
        raise InputError(f"There is no metadata column {str(column)[:80]!r} to select by; open the tensor again.")
    rows = visible_rows(inp.view.subset, data.n)
    values = data.metadata[column].iloc[rows].reset_index(drop=True)
    span = group.get("range")
    if span is not None:
        if not isinstance(span, list) or len(span) != 2:
            raise InputError("A chart's range is two numbers; brush the chart again.")
        picked, what = rows[rows_in_range(values, span[0], span[1])], f"{column} {min(span):g} to {max(span):g}"
    elif group.get("values") is not None:
        chosen = group["values"]
        picked, what = rows[rows_with_values(values, chosen)], f"{column}: {', '.join(map(str, chosen))[:120]}"
    else:
        return UNCHANGED
    anchor = int(picked[0]) if picked.size == 1 else None
    sel = Selection.of(data.spec.key, picked, anchor, "search")
    return Change(
        sel,
        status=f"{picked.size:,} matches ({what})",
        matches=np.asarray(sel.points, dtype=np.int64),
        clear_search=bool(inp.typed or inp.query),
        clear_banner=True,
    )


def on_drag(workspace: Workspace, data: Dataset, inp: SelectInputs) -> Change:
    """A box or lasso: every point inside it (a cleared box is no new drag)."""
    drag = inp.drag
    if not drag or not (drag.get("range") or drag.get("lassoPoints")):
        return UNCHANGED
    positions = dragged_positions(drag, plotted_coords(workspace, data, inp))
    return cleared(Selection.of(data.spec.key, to_rows(inp.view.subset, positions), None, "drag"), inp)


def on_click(workspace: Workspace, data: Dataset, inp: SelectInputs) -> Change:
    """A click on the plot: the point and its neighbours, or the sphere around it."""
    position = clicked_position(inp.click)
    if position is None:
        return UNCHANGED
    key, subset = data.spec.key, inp.view.subset
    if inp.mode == "sphere":
        coords = plotted_coords(workspace, data, inp)
        r = float(inp.radius) if inp.radius not in (None, "") else default_radius(coords)
        sel = Selection.of(key, to_rows(subset, within_radius(coords, position, r)), None, "sphere")
    else:
        row = int(to_rows(subset, np.array([position]))[0])
        sel = Selection.of(key, [row], row, "click")
    return cleared(sel, inp)


def on_compare_click(workspace: Workspace, data: Dataset, inp: SelectInputs) -> Change:
    """A click on the second plot: the same row as on the first (its points are the same rows, in order)."""
    return on_click(workspace, data, replace(inp, click=inp.compare_click))


def on_compare_drag(workspace: Workspace, data: Dataset, inp: SelectInputs) -> Change:
    """A box or lasso on the second plot: the rows inside it there, selected in both."""
    drag, choice = inp.compare_drag, parse_choice(inp.compare)
    if choice is None or not drag or not (drag.get("range") or drag.get("lassoPoints")):
        return UNCHANGED
    first = project(workspace, data, inp.view.subset, bool(inp.spherize), plotted_spec(inp))
    other = second_dataset(workspace, data, choice, inp.compare_by)
    second, _ = second_view(workspace, first, other, inp.view.subset, bool(inp.spherize))
    positions = dragged_positions(drag, second.coords)
    return cleared(Selection.of(data.spec.key, to_rows(inp.view.subset, positions), None, "drag"), inp)


Handler = Callable[[Workspace, Dataset, SelectInputs], Change]

# Which handler answers a request, by the first of these properties among its triggers. A view change comes
# first (a bookmark opening changes the view and its opening record at once); then what the pointer did, the
# user's latest act when Dash sends it together with a change it was still waiting to send (a search column
# chosen just before a click): a click's answer finds the neighbours with the k, metric and names it is sent.
HANDLERS: tuple[tuple[str, Handler], ...] = (
    (f"{ids.VIEW_STORE}.data", on_view),
    (f"{ids.CLEAR_SELECTION}.n_clicks", on_clear),
    (f"{ids.LIST_PICK}.data", on_pick),
    (f"{ids.GROUP_PICK}.data", on_group),
    (f"{ids.SCATTER}.selectedData", on_drag),
    (f"{ids.SCATTER}.clickData", on_click),
    (f"{ids.SCATTER_COMPARE}.clickData", on_compare_click),
    (f"{ids.SCATTER_COMPARE}.selectedData", on_compare_drag),
    (f"{ids.NEIGHBORS_K}.value", on_neighbours),
    (f"{ids.DISTANCE_METRIC}.value", on_neighbours),
    (f"{ids.METADATA_EDITED}.data", on_edit),
    (f"{ids.SEARCH_QUERY}.data", on_search),
    (f"{ids.SEARCH_COLUMN}.value", on_search),
    (f"{ids.SEARCH_REGEX}.value", on_search),
)


def handler_for(triggered: list[str] | tuple[str, ...]) -> Handler | None:
    """The handler of a request triggered by these ``id.property`` names; None when none of them selects."""
    return next((handler for prop, handler in HANDLERS if prop in triggered), None)


def clicked_position(event: dict | None) -> int | None:
    points = (event or {}).get("points") or []
    return int(points[0]["pointNumber"]) if points and "pointNumber" in points[0] else None


def dragged_positions(event: dict, coords: np.ndarray) -> np.ndarray:
    """Trace positions inside a box or lasso drag (computed from its outline, not the sent points)."""
    if event.get("range"):
        return in_box(coords, tuple(event["range"]["x"]), tuple(event["range"]["y"]))
    return in_lasso(coords, event["lassoPoints"]["x"], event["lassoPoints"]["y"])


def plotted_spec(inp: SelectInputs) -> dict:
    """The drawn projection's record, or InputError while none is drawn."""
    if not inp.projection:
        raise InputError("The plot is still being drawn; try again in a moment.")
    return inp.projection


def plotted_coords(workspace: Workspace, data: Dataset, inp: SelectInputs) -> np.ndarray:
    """The coordinates currently drawn, recomputed or read back from the result cache."""
    return project(workspace, data, inp.view.subset, bool(inp.spherize), plotted_spec(inp)).coords


def picked_row(pick: dict | None, subset: np.ndarray | None, n: int) -> int | None:
    """The dataset row a list click picked, or None when it is not a point in view."""
    row = (pick or {}).get("row")
    if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < n:
        return None
    return row if to_positions(subset, np.array([row])).size else None
