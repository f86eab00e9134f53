"""Training steps: an embedding saved at several steps is one tensor with a step slider and a Play button.

Moving the slider changes only the vectors: the view keeps its rows and is marked as moved by its step, so the
projection, selection, search, colours, labels and camera stay (``View.at_step``). The steps a tensor has
come from the server's listing, never from the page.
"""

from __future__ import annotations

import math
from typing import Any

from dash import ClientsideFunction, Input, Output, State, dcc, html

from callbacks import ids
from callbacks.common import answers, read_query
from projector.errors import ProjectorError
from projector.figures import typed_array
from projector.trails import MAX_TRAILS, trails
from projector.view import Selection, View
from projector.workspace import Workspace

PLAY_MS = 1500  # between two steps while playing: time to see one drawn before the next
MAX_MARKS = 12  # labelled marks; a long run's other steps are unlabelled ticks


def layout() -> html.Div:
    return html.Div(
        [
            html.H2("Training steps"),
            html.Label("Step shown", htmlFor=ids.STEP_SLIDER),
            html.Div(
                [
                    html.Div(
                        dcc.Slider(id=ids.STEP_SLIDER, min=0, max=0, step=None, marks={}, updatemode="mouseup"),
                        className="step-slider",
                    ),
                    html.Button("▶ Play", id=ids.STEP_PLAY, title="Walk through the steps, one after the other"),
                ],
                className="step-controls",
            ),
            dcc.Checklist(
                id=ids.TRAILS_TOGGLE,
                options=[
                    {
                        "label": " Trails",
                        "value": "on",
                        "title": f"The paths of the clicked point and the first {MAX_TRAILS} selected over the steps",
                    }
                ],
                value=[],
                className="toggle",
            ),
            html.Div(id=ids.TRAILS_STATUS, className="hint trails-status"),
            dcc.Store(id=ids.TRAILS_STORE),
            dcc.Store(id=ids.TRAILS_SELECTION),
            dcc.Store(id=ids.TRAILS_SHOWN),
            dcc.Interval(id=ids.STEP_TIMER, interval=PLAY_MS, disabled=True),
        ],
        id=ids.STEP_ROW,
        hidden=True,
        className="panel step-row",
    )


def marks(steps: tuple[int, ...]) -> dict[int, str]:
    """One mark per step, labelled with its number (every few of them when there are many)."""
    every = max(1, -(-len(steps) // MAX_MARKS))
    return {s: str(s) if i % every == 0 or i == len(steps) - 1 else "" for i, s in enumerate(steps)}


def steps_shown(steps: tuple[int, ...], wanted: str | None) -> dict:
    """The slider of a tensor saved at ``steps``: hidden below two steps, else at the URL's step when it is
    one of them (``wanted``), else at the latest. Its keyboard step is the steps' common spacing, so arrow
    keys go from one saved step to the next when they are evenly spaced (:func:`nearest` snaps the rest)."""
    if len(steps) < 2:
        return {"hidden": True, "marks": {}, "min": 0, "max": 0, "value": None, "step": 1}
    value = int(wanted) if wanted and wanted.isdigit() and int(wanted) in steps else steps[-1]
    spacing = math.gcd(*(b - a for a, b in zip(steps, steps[1:])))
    return {"hidden": False, "marks": marks(steps), "min": steps[0], "max": steps[-1], "value": value, "step": spacing}


def nearest(steps: tuple[int, ...], value: float | None) -> int | None:
    """The saved step nearest a place on the slider (the earlier of two as near); None without steps."""
    if not steps or value is None:
        return None
    return min(steps, key=lambda s: (abs(s - value), s))


def next_step(steps: tuple[int, ...], current: int | None) -> tuple[int | None, bool]:
    """While playing: the step after ``current`` and whether to go on; from the last, the first again."""
    if len(steps) < 2:
        return None, False
    if current not in steps or current == steps[-1]:
        return steps[0], True
    following = steps[steps.index(current) + 1]
    return following, following != steps[-1]


SPEC_KEYS = ("method", "axes", "result", "dimension", "column", "left", "right", "up", "down", "regex") + tuple(
    f"{side}_regex" for side in ("left", "right", "up", "down")
)


def trails_answer(
    workspace: Workspace,
    on: list | None,
    drawn: dict | None,
    selection: dict | None,
    view: dict | None,
    spherized: bool,
    forms: dict[str, dict[str, Any]],
) -> dict:
    """The trails to draw over the projection on screen (``drawn``, the projection store's record) and the
    line that says what they show; none while the switch is off, nothing is selected or the record is of
    another view than ``view``."""
    shown = View.from_json(view)
    if not on or shown is None or not drawn or drawn.get("view") != shown.token:
        return {"trails": None, "status": ""}
    spec = {k: drawn[k] for k in SPEC_KEYS if k in drawn}
    method = spec.get("method")
    form = forms.get(method) if isinstance(method, str) else None
    chosen = Selection.from_json(selection, shown.tensor)
    found = trails(workspace, shown, spherized, spec, chosen, form)
    if not found.rows.size:
        return {"trails": None, "status": "Select points (click one, search or drag) to see their trails."}
    payload = {
        "view": drawn["view"],
        "steps": list(found.steps),
        "shown": found.shown,
        "count": int(found.rows.size),
        "dimension": int(found.coords.shape[2]),
        "anchor": chosen is not None and chosen.anchor is not None,
        "coords": typed_array(found.coords.reshape(-1)),
    }
    return {"trails": payload, "status": found.note}


def register(app, workspace: Workspace) -> None:
    def steps_of(key: str | None) -> tuple[int, ...]:
        """The steps the server lists for tensor ``key`` (none for a tensor that has gone: its banner says so)."""
        try:
            return workspace.spec(key).steps if isinstance(key, str) else ()
        except ProjectorError:
            return ()

    @answers(
        app,
        {
            "hidden": Output(ids.STEP_ROW, "hidden"),
            "marks": Output(ids.STEP_SLIDER, "marks"),
            "min": Output(ids.STEP_SLIDER, "min"),
            "max": Output(ids.STEP_SLIDER, "max"),
            "value": Output(ids.STEP_SLIDER, "value"),
            "step": Output(ids.STEP_SLIDER, "step"),
        },
        slot=ids.BANNER_DATA,
        inputs={"key": Input(ids.TENSOR_SELECT, "value"), "search": State(ids.URL, "search")},
        prevent_initial_call=True,
    )
    def show_steps(key, search):
        return steps_shown(steps_of(key), read_query(search).get("step"))

    @answers(
        app,
        {
            "view": Output(ids.VIEW_STORE, "data", allow_duplicate=True),
            "value": Output(ids.STEP_SLIDER, "value", allow_duplicate=True),
        },
        inputs={
            "place": Input(ids.STEP_SLIDER, "value"),
            "view": State(ids.VIEW_STORE, "data"),
            "key": State(ids.TENSOR_SELECT, "value"),
        },
        prevent_initial_call=True,
    )
    def move(place, view, key):
        """The view at the saved step nearest the slider, the slider snapped onto it (nothing when the view
        shows that step already, or another tensor)."""
        view = View.from_json(view)
        steps = steps_of(key)
        step = nearest(steps, place)
        if view is None or view.tensor != key or step is None:
            return {}
        snapped = {} if place == step else {"value": step}
        shown = steps[-1] if view.step is None else view.step
        return snapped if shown == step else {"view": view.at_step(step).to_json(), **snapped}

    @answers(
        app,
        {"playing": Output(ids.STEP_TIMER, "disabled"), "label": Output(ids.STEP_PLAY, "children")},
        inputs={"_clicks": Input(ids.STEP_PLAY, "n_clicks"), "stopped": State(ids.STEP_TIMER, "disabled")},
        prevent_initial_call=True,
    )
    def play(_clicks, stopped):
        """Play starts the walk, and stops it again when pressed while it plays."""
        return {"playing": not stopped, "label": "■ Stop" if stopped else "▶ Play"}

    @answers(
        app,
        {
            "value": Output(ids.STEP_SLIDER, "value", allow_duplicate=True),
            "playing": Output(ids.STEP_TIMER, "disabled", allow_duplicate=True),
            "label": Output(ids.STEP_PLAY, "children", allow_duplicate=True),
        },
        inputs={
            "_ticks": Input(ids.STEP_TIMER, "n_intervals"),
            "current": State(ids.STEP_SLIDER, "value"),
            "key": State(ids.TENSOR_SELECT, "value"),
        },
        prevent_initial_call=True,
    )
    def walk(_ticks, current, key):
        steps = steps_of(key)
        step, more = next_step(steps, nearest(steps, current))
        done = {} if more else {"playing": True, "label": "▶ Play"}
        return {**({"value": step} if step is not None else {}), **done}

    @answers(
        app,
        {"trails": Output(ids.TRAILS_STORE, "data"), "status": Output(ids.TRAILS_STATUS, "children")},
        inputs={
            "on": Input(ids.TRAILS_TOGGLE, "value"),
            "drawn": Input(ids.PROJECTION_STORE, "data"),
            "selection": Input(ids.TRAILS_SELECTION, "data"),
            "view": State(ids.VIEW_STORE, "data"),
            "spherize": State(ids.SPHERIZE, "value"),
            "forms": {
                tab: {name: State(field, "value") for name, field in ids.FORM_FIELDS[tab].items()}
                for tab in ("tsne", "umap")
            },
        },
        prevent_initial_call=True,
    )
    def show_trails(on, drawn, selection, view, spherize, forms):
        """Each selected point's path over the steps, in the projection on screen."""
        return trails_answer(workspace, on, drawn, selection, view, bool(spherize), forms)

    app.clientside_callback(  # the selection reaches show_trails only while Trails is on
        ClientsideFunction("projector", "whileUsed"),
        Output(ids.TRAILS_SELECTION, "data"),
        Input(ids.SELECTION_STORE, "data"),
        Input(ids.TRAILS_TOGGLE, "value"),
    )
    app.clientside_callback(
        ClientsideFunction("trails", "show"), Output(ids.TRAILS_SHOWN, "data"), Input(ids.TRAILS_STORE, "data")
    )
