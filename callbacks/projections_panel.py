"""Projections panel: the projection tabs, 2-D/3-D switch and PCA component choice."""

from __future__ import annotations

from dash import Input, Output, dcc, html

from callbacks import ids
from projector.pca import PCAResult

DEFAULT_AXES = (0, 1, 2)


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


def _job_controls(controls_id: str, fields: list, run_id: str, stop_id: str, status_id: str, hint: str) -> html.Div:
    """A background-job tab: parameter fields, Run/Stop, a live status line and a hint."""
    return html.Div(
        [
            html.Div(fields, className="grid2"),
            html.Div(
                [html.Button("Run", id=run_id, className="primary"), html.Button("Stop", id=stop_id, disabled=True)],
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
        _number(ids.TSNE_PERPLEXITY, "Perplexity", 30, min=1, step="any"),
        _text(ids.TSNE_LEARNING_RATE, "Learning rate", "auto", "auto"),
        _number(ids.TSNE_ITERATIONS, "Iterations", 750, min=10, step=1),
        _number(ids.TSNE_SEED, "Seed", 0, min=0, step=1),
    ]
    hint = (
        "Runs on the server on every point; the layout is redrawn as it forms. "
        "Same parameters and seed give the same layout."
    )
    return _job_controls(ids.TSNE_CONTROLS, fields, ids.TSNE_RUN, ids.TSNE_STOP, ids.TSNE_STATUS, hint)


def _umap_controls() -> html.Div:
    fields = [
        _number(ids.UMAP_NEIGHBORS, "Neighbours", 15, min=2, step=1),
        _number(ids.UMAP_MIN_DIST, "Min distance", 0.1, min=0, max=1, step="any"),
        _number(ids.UMAP_SEED, "Seed", 0, min=0, step=1),
    ]
    hint = (
        "The first UMAP run of a server also compiles umap-learn's numba code: expect it to take "
        "some seconds longer than the next ones."
    )
    return _job_controls(ids.UMAP_CONTROLS, fields, ids.UMAP_RUN, ids.UMAP_STOP, ids.UMAP_STATUS, hint)


def _custom_controls() -> html.Div:
    return html.Div(
        [
            html.Label("Search in", htmlFor=ids.CUSTOM_COLUMN),
            dcc.Dropdown(id=ids.CUSTOM_COLUMN, clearable=False),
            dcc.Checklist(
                id=ids.CUSTOM_REGEX, options=[{"label": " Regex", "value": "regex"}], value=[], className="checkbox"
            ),
            html.Div(
                [
                    _text(ids.CUSTOM_LEFT, "X: left", "search"),
                    _text(ids.CUSTOM_RIGHT, "X: right", "search"),
                    _text(ids.CUSTOM_UP, "Y: up", "blank = random"),
                    _text(ids.CUSTOM_DOWN, "Y: down", "blank = random"),
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
        ],
        className="panel projections-panel",
    )


def component_options(result: PCAResult) -> list[dict]:
    """``Component #i (v%)`` options for the top components."""
    return [
        {"label": f"Component #{i + 1} ({ratio * 100:.1f}%)", "value": i}
        for i, ratio in enumerate(result.explained_variance_ratio)
    ]


def axis_choice(result: PCAResult, wanted: list[int | None], dimension: int) -> list[int]:
    """The components to plot: the user's choice where valid and distinct, else the first free ones."""
    k = len(result.explained_variance_ratio)
    chosen: list[int] = []
    for i, value in enumerate(wanted[:dimension]):
        if value is None or value >= k or value in chosen:
            value = next((c for c in range(k) if c not in chosen), i % max(k, 1))
        chosen.append(value)
    return chosen


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


def register(app) -> None:
    @app.callback(*[Output(c, "style") for c in TAB_CONTROLS.values()], Input(ids.PROJECTION_TABS, "value"))
    def show_tab(tab):
        return [{"display": "block" if name == tab else "none"} for name in TAB_CONTROLS]
