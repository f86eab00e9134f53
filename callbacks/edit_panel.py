"""Edit by: give the selected points a value in a metadata column (an existing one or a new one).

The values belong to this browser session, like uploads: the metadata files and other people's views are never
changed. Applying them announces the edit (``METADATA_EDITED``); the data panel then refreshes the label,
colour and search columns, and the plot its colours, legend and labels.
"""

from __future__ import annotations

from dash import Input, Output, State, dcc, html

from callbacks import ids, session
from callbacks.common import answers, opened
from projector.errors import InputError
from projector.view import selected_rows
from projector.workspace import Workspace

COLUMNS_LIST = "edit-by-columns"  # the <datalist> of the column field

OUTPUTS = {
    "status": Output(ids.EDIT_BY_STATUS, "children"),
    "edited": Output(ids.METADATA_EDITED, "data"),
}


def layout() -> html.Div:
    return html.Div(
        [
            html.H2("Edit by"),
            html.Div(
                "Give the selected points a value in a metadata column, or in a new one. "
                "The values are kept for this browser; Download metadata carries them.",
                className="hint",
            ),
            html.Div(
                [
                    dcc.Input(
                        id=ids.EDIT_BY_COLUMN,
                        type="text",
                        list=COLUMNS_LIST,
                        placeholder="Column",
                        autoComplete="off",
                        maxLength=100,
                    ),
                    html.Datalist(id=COLUMNS_LIST),
                    dcc.Input(
                        id=ids.EDIT_BY_VALUE,
                        type="text",
                        placeholder="Value",
                        autoComplete="off",
                        maxLength=1000,
                        n_submit=0,
                    ),
                    html.Button("Apply", id=ids.EDIT_BY_APPLY),
                ],
                className="edit-row",
            ),
            html.Div(id=ids.EDIT_BY_STATUS, className="hint"),
        ],
        className="panel edit-panel",
    )


def register(app, workspace: Workspace) -> None:
    @answers(
        app,
        OUTPUTS,
        inputs={"clicks": Input(ids.EDIT_BY_APPLY, "n_clicks"), "submits": Input(ids.EDIT_BY_VALUE, "n_submit")},
        state={
            "column": State(ids.EDIT_BY_COLUMN, "value"),
            "value": State(ids.EDIT_BY_VALUE, "value"),
            "key": State(ids.TENSOR_SELECT, "value"),
            "selection": State(ids.SELECTION_STORE, "data"),
            "neighbors": State(ids.NEIGHBORS_STORE, "data"),
            "edited": State(ids.METADATA_EDITED, "data"),
        },
        prevent_initial_call=True,
    )
    def apply(clicks, submits, column, value, key, selection, neighbors, edited):
        if not key:
            raise InputError("Open a tensor first.")
        rows = selected_rows(selection, neighbors, key)
        count = workspace.tag(key, column, rows, value, session.ensure())
        name, text = (column or "").strip(), (value or "").strip()
        revision = int((edited or {}).get("revision", 0)) + 1
        return {
            "status": f"{count:,} point{'' if count == 1 else 's'} now have {name} = {text or '(empty)'}",
            "edited": {"tensor": key, "column": name, "revision": revision},
            "banner": [],
        }

    @answers(
        app,
        {"options": Output(COLUMNS_LIST, "children")},
        slot=None,
        inputs={"key": Input(ids.TENSOR_SELECT, "value"), "_edited": Input(ids.METADATA_EDITED, "data")},
    )
    def columns(key, _edited):
        data = opened(workspace, key)
        names = [] if data is None else list(data.metadata.columns)
        return {"options": [html.Option(value=name) for name in names]}

    @answers(
        app,
        {"status": Output(ids.EDIT_BY_STATUS, "children", allow_duplicate=True)},
        slot=None,
        inputs={"_key": Input(ids.TENSOR_SELECT, "value")},
        prevent_initial_call=True,
    )
    def forget_status(_key):
        return {"status": ""}
