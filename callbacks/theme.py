"""Night mode: a dark page and plot, chosen per browser; the switch happens in the browser (assets/night.js).

The plot is themed with one ``Plotly.update`` of its layout colours (and the colourscale's dimmed entry),
never by resending the figure; a figure drawn later is themed as soon as it is drawn.
"""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, dcc, html

from callbacks import ids

ON = "on"


def layout() -> html.Div:
    """The header's switch and the store that remembers it in this browser (localStorage)."""
    return html.Div(
        [
            dcc.Checklist(
                id=ids.NIGHT_MODE,
                options=[{"label": "Night mode", "value": ON}],
                value=[],
                inline=True,
                className="night-toggle",
            ),
            dcc.Store(id=ids.THEME_STORE, storage_type="local"),
        ],
        className="theme",
        title="Dark page and plot; remembered in this browser",
    )


def register(app) -> None:
    # One callback keeps the switch and the stored choice in step, either way: a click stores the choice,
    # a stored choice (page load, another tab) sets the switch. Both apply the theme in the page.
    app.clientside_callback(
        ClientsideFunction("night", "sync"),
        Output(ids.NIGHT_MODE, "value"),
        Output(ids.THEME_STORE, "data"),
        Input(ids.NIGHT_MODE, "value"),
        Input(ids.THEME_STORE, "data"),
    )
