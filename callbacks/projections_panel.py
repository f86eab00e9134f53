"""Projections panel: the projection tabs, 2-D/3-D switch and PCA component choice."""

from __future__ import annotations

from dash import Input, Output, State, ctx, dcc, html

from callbacks import ids, session
from callbacks.choosing import Axes, Choice, ChooseInputs, handler_for
from callbacks.common import answers
from projector.custom import matches
from projector.dataset import Dataset
from projector.errors import InputError
from projector.pca import PCAResult
from projector.projection import pca_spec
from projector.tsne import FORM_DEFAULTS as TSNE_DEFAULTS
from projector.umap import FORM_DEFAULTS as UMAP_DEFAULTS
from projector.view import View
from projector.workspace import Workspace

DEFAULT_AXES = (0, 1, 2)
MAX_HELD_CHARS = 64 * 2**20  # a packed layout of 5M points in 3D
NO_SUPERVISION = {"label": "none (unsupervised)", "value": ""}


def _number(id_: str, label: str, value, **kwargs) -> html.Div:
    return html.Div(
        [html.Label(label, htmlFor=id_), dcc.Input(id=id_, type="number", value=value, debounce=True, **kwargs)],
        className="field",
    )


def _text(id_: str, label: str, placeholder: str = "", value: str = "") -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=id_),
            dcc.Input(id=id_, type="text", value=value, placeholder=placeholder, debounce=True),
        ],
        className="field",
    )


def _pca_controls() -> html.Div:
    component = {"clearable": False, "searchable": False}
    return html.Div(
        [
            html.Div(
                [
                    html.Label("X", htmlFor=ids.PCA_X),
                    dcc.Dropdown(id=ids.PCA_X, value=DEFAULT_AXES[0], **component),
                    html.Label("Y", htmlFor=ids.PCA_Y),
                    dcc.Dropdown(id=ids.PCA_Y, value=DEFAULT_AXES[1], **component),
                    html.Label("Z", htmlFor=ids.PCA_Z),
                    dcc.Dropdown(id=ids.PCA_Z, value=DEFAULT_AXES[2], **component),
                ],
                className="pca-axes",
            ),
            html.Div(id=ids.PCA_VARIANCE, className="hint"),
        ],
        id=ids.PCA_CONTROLS,
    )


def _job_controls(
    controls_id: str,
    fields: list,
    run_id: str,
    stop_id: str,
    status_id: str,
    hint: str,
    extra: list | None = None,
    more: list | None = None,
) -> html.Div:
    """A background-job tab: parameter fields (and ``extra`` ones below), Run/Stop (and ``more`` buttons), a
    live status line and a hint."""
    return html.Div(
        [
            html.Div(fields, className="grid2"),
            *(extra or []),
            html.Div(
                [
                    html.Button("Run", id=run_id, className="primary"),
                    html.Button("Stop", id=stop_id, disabled=True),
                    *(more or []),
                ],
                className="buttons",
            ),
            html.Div(id=status_id, className="status", **{"aria-live": "polite"}),
            html.Div(hint, className="hint"),
        ],
        id=controls_id,
        style={"display": "none"},
    )


def _tsne_controls() -> html.Div:
    fields = [
        _number(ids.TSNE_PERPLEXITY, "Perplexity", TSNE_DEFAULTS["perplexity"], min=1, step="any"),
        _text(ids.TSNE_LEARNING_RATE, "Learning rate", "auto", str(TSNE_DEFAULTS["learning_rate"])),
        _number(
            ids.TSNE_ITERATIONS, "Iterations", TSNE_DEFAULTS["iterations"], min=10, step=1, placeholder="until stopped"
        ),
        _number(ids.TSNE_SEED, "Seed", TSNE_DEFAULTS["seed"], min=0, step=1),
    ]
    supervision = html.Div(
        [
            html.Label("Supervise with", htmlFor=ids.TSNE_SUPERVISE_COLUMN),
            dcc.Dropdown(
                id=ids.TSNE_SUPERVISE_COLUMN,
                value=TSNE_DEFAULTS["supervise_column"],
                options=[NO_SUPERVISION],
                clearable=False,
            ),
            html.Label("Supervision weight (%)", htmlFor=ids.TSNE_SUPERVISE_WEIGHT),
            html.Div(  # room for the end marks
                dcc.Slider(
                    id=ids.TSNE_SUPERVISE_WEIGHT,
                    min=0,
                    max=100,
                    step=1,
                    value=TSNE_DEFAULTS["supervise_weight"],
                    marks={0: "0", 50: "50", 100: "100"},
                    tooltip={"placement": "bottom"},
                ),
                style={"padding": "0 12px"},
            ),
        ],
        className="field supervision",
    )
    buttons = [
        html.Button("Resume", id=ids.TSNE_RESUME, disabled=True, title="Go on from the stopped layout on screen"),
        html.Button("Perturb", id=ids.TSNE_PERTURB, disabled=True, title="Nudge the layout and go on optimising"),
    ]
    hint = (
        "Runs on the server on every point; the layout is redrawn as it forms. "
        "Same parameters and seed give the same layout. Empty iterations run until stopped. "
        "Supervision draws points with the same label together and pushes different labels apart."
    )
    return _job_controls(
        ids.TSNE_CONTROLS, fields, ids.TSNE_RUN, ids.TSNE_STOP, ids.TSNE_STATUS, hint, [supervision], buttons
    )


def _umap_controls() -> html.Div:
    fields = [
        _number(ids.UMAP_NEIGHBORS, "Neighbours", UMAP_DEFAULTS["n_neighbors"], min=2, step=1),
        _number(ids.UMAP_MIN_DIST, "Min distance", UMAP_DEFAULTS["min_dist"], min=0, max=1, step="any"),
        _number(ids.UMAP_SEED, "Seed", UMAP_DEFAULTS["seed"], min=0, step=1),
    ]
    aligned = html.Div(
        dcc.Checklist(
            id=ids.UMAP_ALIGNED,
            options=[
                {
                    "label": " Align over steps",
                    "value": "on",
                    "title": "Lay out every saved step in one fit, each close to the steps beside it, so the "
                    "layout travels from step to step instead of starting anew",
                }
            ],
            value=["on"],
            className="checkbox",
        ),
        id=ids.UMAP_ALIGNED_ROW,
        hidden=True,
    )
    hint = (
        "The first UMAP run of a server also compiles umap-learn's numba code: expect it to take "
        "some seconds longer than the next ones."
    )
    return _job_controls(ids.UMAP_CONTROLS, fields, ids.UMAP_RUN, ids.UMAP_STOP, ids.UMAP_STATUS, hint, [aligned])


def _search(id_: str, label: str, placeholder: str, regex_id: str, side: str) -> html.Div:
    """A custom-projection search: its text, its own regex switch and how many points it finds."""
    return html.Div(
        [
            html.Label(label, htmlFor=id_),
            dcc.Input(id=id_, type="text", value="", placeholder=placeholder, debounce=True),
            html.Div(
                [
                    dcc.Checklist(
                        id=regex_id, options=[{"label": " Regex", "value": "regex"}], value=[], className="checkbox"
                    ),
                    html.Span(id=ids.CUSTOM_MATCHES[side], className="matches"),
                ],
                className="search-extras",
            ),
        ],
        className="field",
    )


def _custom_controls() -> html.Div:
    return html.Div(
        [
            html.Label("Search in", htmlFor=ids.CUSTOM_COLUMN),
            dcc.Dropdown(id=ids.CUSTOM_COLUMN, clearable=False),
            html.Div(
                [
                    _search(ids.CUSTOM_LEFT, "X: left", "search", ids.CUSTOM_LEFT_REGEX, "left"),
                    _search(ids.CUSTOM_RIGHT, "X: right", "search", ids.CUSTOM_RIGHT_REGEX, "right"),
                    _search(ids.CUSTOM_UP, "Y: up", "blank = random", ids.CUSTOM_UP_REGEX, "up"),
                    _search(ids.CUSTOM_DOWN, "Y: down", "blank = random", ids.CUSTOM_DOWN_REGEX, "down"),
                ],
                className="grid2",
            ),
            html.Div(id=ids.CUSTOM_STATUS, className="status"),
            html.Div(
                "Each axis is the direction from the centroid of one search's matches to the other's, "
                "in the original space.",
                className="hint",
            ),
        ],
        id=ids.CUSTOM_CONTROLS,
        style={"display": "none"},
    )


def layout() -> html.Div:
    return html.Div(
        [
            html.H2("Projections"),
            dcc.Tabs(
                id=ids.PROJECTION_TABS,
                value="pca",
                children=[
                    dcc.Tab(label="PCA", value="pca"),
                    dcc.Tab(label="t-SNE", value="tsne"),
                    dcc.Tab(label="UMAP", value="umap"),
                    dcc.Tab(label="Custom", value="custom"),
                ],
                className="tabs",
            ),
            dcc.RadioItems(
                id=ids.DIMENSION,
                options=[{"label": " 2D", "value": 2}, {"label": " 3D", "value": 3}],
                value=3,
                inline=True,
                className="radio",
            ),
            _pca_controls(),
            _tsne_controls(),
            _umap_controls(),
            _custom_controls(),
            dcc.Store(id=ids.PROJECTION_REQUEST),
        ],
        className="panel projections-panel",
    )


def component_options(result: PCAResult) -> list[dict]:
    """``Component #i (v%)`` options for the top components."""
    return [
        {"label": f"Component #{i + 1} ({ratio * 100:.1f}%)", "value": i}
        for i, ratio in enumerate(result.explained_variance_ratio)
    ]


def variance_text(result: PCAResult, axes: list[int]) -> str:
    shown = sum(float(result.explained_variance_ratio[a]) for a in axes if a < len(result.explained_variance_ratio))
    return (
        f"Variance described by the plotted components: {shown * 100:.1f}% "
        f"(top {len(result.explained_variance_ratio)}: {result.total_variance_ratio * 100:.1f}%)"
    )


TAB_CONTROLS = {
    "pca": ids.PCA_CONTROLS,
    "tsne": ids.TSNE_CONTROLS,
    "umap": ids.UMAP_CONTROLS,
    "custom": ids.CUSTOM_CONTROLS,
}


STATUS = {"tsne": ids.TSNE_STATUS, "umap": ids.UMAP_STATUS, "custom": ids.CUSTOM_STATUS}

CHOOSE_OUTPUTS = {
    "options": [Output(i, "options") for i in (ids.PCA_X, ids.PCA_Y, ids.PCA_Z)],
    "axes": [Output(i, "value") for i in (ids.PCA_X, ids.PCA_Y, ids.PCA_Z)],
    "flat": Output(ids.PCA_Z, "disabled"),
    "variance": Output(ids.PCA_VARIANCE, "children"),
    "tsne": Output(ids.TSNE_STATUS, "children", allow_duplicate=True),
    "umap": Output(ids.UMAP_STATUS, "children", allow_duplicate=True),
    "custom": Output(ids.CUSTOM_STATUS, "children", allow_duplicate=True),
    "matches": {side: Output(i, "children") for side, i in ids.CUSTOM_MATCHES.items()},
    "request": Output(ids.PROJECTION_REQUEST, "data"),
}


def match_counts(metadata, custom: dict) -> dict[str, str]:
    """ "N matches" for each custom search typed (in the whole dataset), or why it cannot run."""
    texts = {}
    column = custom.get("column") or None
    for side in ids.CUSTOM_MATCHES:
        try:
            counts = matches(metadata, column, {side: custom.get(side) or ""}, bool(custom.get(f"{side}_regex")))
        except InputError as error:
            texts[side] = str(error)
            continue
        if side in counts:
            texts[side] = f"{counts[side]:,} matches"
    return texts


def _form(tab: str, kind=Input) -> dict:
    return {name: kind(component, "value") for name, component in ids.FORM_FIELDS[tab].items()}


def drawn(data: Dataset, inp: ChooseInputs, axes: Axes, choice: Choice) -> dict:
    """The outputs of a choice: the component menus, the status of the tab and what the plot is to draw."""
    statuses = {"custom": ""}  # (a layout tab's status says how its job went until it has news)
    if inp.tab in STATUS and choice.status is not None:
        statuses[inp.tab] = choice.status
    found = {side: "" for side in ids.CUSTOM_MATCHES}
    if inp.tab == "custom" and not inp.opening:
        found.update(match_counts(data.metadata, inp.custom or {}))
    request = {
        "view": inp.view.to_json(),
        "spec": choice.spec,
        "fallback": pca_spec(axes.drawn),
        "spherized": bool(inp.spherize),
        "tab": inp.tab,
        "new_view": inp.new_view,
        "opening": inp.opening and inp.opening.to_json(),
    }
    return {
        "options": [component_options(axes.result)] * 3,
        "axes": (axes.chosen + [None, None])[:3],
        "flat": axes.dimension < 3,
        "variance": variance_text(axes.result, axes.drawn),
        "request": request,
        "matches": found,
        **statuses,
    }


def register(app, workspace: Workspace) -> None:
    @answers(
        app,
        CHOOSE_OUTPUTS,
        slot=ids.BANNER_DATA,
        inputs={
            "view": Input(ids.VIEW_STORE, "data"),
            "opening": Input(ids.BOOKMARK_OPENING, "data"),
            "dimension": Input(ids.DIMENSION, "value"),
            "wanted": [Input(i, "value") for i in (ids.PCA_X, ids.PCA_Y, ids.PCA_Z)],
            "spherize": Input(ids.SPHERIZE, "value"),
            "tab": Input(ids.PROJECTION_TABS, "value"),
            "done": Input(ids.PROJECTION_DONE, "data"),
            "custom": _form("custom"),
            "tsne": _form("tsne", State),
            "umap": _form("umap", State),
        },
        prevent_initial_call=True,
    )
    def choose(**values):
        """The PCA components, the tab's status and the projection the plot is to draw."""
        view = View.from_json(values["view"])
        if view is None:
            return {"options": [[], [], []], "flat": True, "variance": "", "custom": "", "request": {"view": None}}
        inp = ChooseInputs.of(values, view, session.ensure(), ctx.triggered_prop_ids)
        data = workspace.view_data(view)
        axes = Axes.of(workspace.pca(data, view.subset, bool(inp.spherize)), inp)
        return drawn(data, inp, axes, handler_for(inp)(workspace, data, inp, axes))

    @answers(
        app,
        {tab: Output(status, "children", allow_duplicate=True) for tab, status in STATUS.items()},
        slot=None,
        inputs={"record": Input(ids.PROJECTION_STORE, "data")},
        prevent_initial_call=True,
    )
    def report(record):
        """What drawing the projection found (a custom search with no match, a layout no longer cached)."""
        notes, tab = (record or {}).get("notes"), (record or {}).get("tab")
        return {tab: " ".join(notes)} if notes and tab in STATUS else {}

    @answers(
        app,
        {"options": Output(ids.TSNE_SUPERVISE_COLUMN, "options"), "value": Output(ids.TSNE_SUPERVISE_COLUMN, "value")},
        slot=None,
        inputs={"view": Input(ids.VIEW_STORE, "data"), "current": State(ids.TSNE_SUPERVISE_COLUMN, "value")},
        prevent_initial_call=True,
    )
    def supervise_columns(view, current):
        """The open tensor's metadata columns to supervise t-SNE with (a restored bookmark's choice is kept)."""
        view = View.from_json(view)
        columns = [] if view is None else [str(c) for c in workspace.view_data(view).metadata.columns]
        options = [NO_SUPERVISION] + [{"label": c, "value": c} for c in columns]
        return {"options": options, **({} if current in columns or current == "" else {"value": ""})}

    @answers(
        app,
        {"hidden": Output(ids.UMAP_ALIGNED_ROW, "hidden")},
        slot=None,
        inputs={"view": Input(ids.VIEW_STORE, "data")},
        prevent_initial_call=True,
    )
    def offer_alignment(view):
        """*Align over steps* is offered for a tensor saved at two steps or more."""
        view = View.from_json(view)
        return {"hidden": view is None or len(workspace.view_data(view).spec.steps) < 2}

    @answers(
        app,
        {tab: Output(controls, "style") for tab, controls in TAB_CONTROLS.items()},
        slot=None,
        inputs={"tab": Input(ids.PROJECTION_TABS, "value")},
    )
    def show_tab(tab):
        return {name: {"display": "block" if name == tab else "none"} for name in TAB_CONTROLS}
