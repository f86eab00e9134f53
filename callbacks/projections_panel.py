"""Projections panel: the projection tabs, 2-D/3-D switch and PCA component choice."""

from __future__ import annotations

from dash import dcc, html

from callbacks import ids
from projector.pca import PCAResult

DEFAULT_AXES = (0, 1, 2)


def layout() -> html.Div:
    component = {"clearable": False, "searchable": False}
    return html.Div(
        [
            html.H2("Projections"),
            dcc.Tabs(
                id=ids.PROJECTION_TABS,
                value="pca",
                children=[dcc.Tab(label="PCA", value="pca")],
                className="tabs",
            ),
            dcc.RadioItems(
                id=ids.DIMENSION,
                options=[{"label": " 2D", "value": 2}, {"label": " 3D", "value": 3}],
                value=3,
                inline=True,
                className="radio",
            ),
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
