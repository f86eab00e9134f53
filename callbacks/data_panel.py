"""Data panel: run, tensor, label by, colour by, spherize, uploads and metadata download.

Uploads belong to the browser session that made them (callbacks.session): :func:`requester` tells the
workspace whose request it answers, so every panel's ``workspace.dataset(key)`` sees that session's uploads
and metadata, and only those.
"""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html
from dash.exceptions import MissingCallbackContextException
from flask import has_request_context

from callbacks import ids, session
from callbacks.common import answers, banner, read_query
from projector.colors import ColumnKind
from projector.errors import MetadataError, TensorError
from projector.export import metadata_download_tsv
from projector.logdir import RunListing
from projector.moved import moved_options
from projector.thumbnails import MAX_IMAGES
from projector.uploads import (
    DEFAULT_MAX_REQUEST_MB,
    MB,
    PRIVATE,
    SHARED,
    SHARED_BY_YOU,
    UPLOAD_RUN,
    decode_upload,
    max_upload_bytes,
)
from projector.view import INDEX_COLUMN, View, default_label_column
from projector.workspace import Workspace

REFRESH_MS = 30_000
DEFAULT_MAX_UPLOAD = max_upload_bytes(DEFAULT_MAX_REQUEST_MB * MB)


def layout(max_upload: int = DEFAULT_MAX_UPLOAD) -> html.Div:
    """The panel; ``max_upload`` is the largest file the upload buttons take (assets/upload_limits.js says so)."""
    return html.Div(
        [
            html.H2("Data"),
            html.Label("Run", htmlFor=ids.RUN_SELECT),
            dcc.Dropdown(id=ids.RUN_SELECT, clearable=False, placeholder="No runs found"),
            html.Label("Tensor", htmlFor=ids.TENSOR_SELECT),
            dcc.Dropdown(id=ids.TENSOR_SELECT, clearable=False, placeholder="No tensors in this run"),
            html.Div(id=ids.DIMENSIONALITY, className="hint"),
            html.Label("Label by", htmlFor=ids.LABEL_BY),
            dcc.Dropdown(id=ids.LABEL_BY, clearable=False),
            dcc.Checklist(
                id=ids.LABELS_TOGGLE,
                options=[
                    {
                        "label": " Labels on the plot",
                        "value": "on",
                        "title": "The clicked point, its neighbours and the first 100 selected points show their label",
                    }
                ],
                value=["on"],
                persistence=True,
                persistence_type="local",
                className="checkbox",
            ),
            dcc.Store(id=ids.LABELS_SHOWN),
            html.Div(
                [
                    dcc.Checklist(
                        id=ids.IMAGES_TOGGLE,
                        options=[{"label": " Images as points (2D)", "value": "on"}],
                        value=["on"],
                        persistence=True,
                        persistence_type="local",
                        className="checkbox",
                    ),
                    html.Div(
                        f"Each point is drawn as its image while {MAX_IMAGES:,} points or fewer are in view: "
                        "zoom in on a larger plot to see them.",
                        className="hint",
                    ),
                ],
                id=ids.IMAGES_ROW,
                hidden=True,
            ),
            dcc.Checklist(
                id=ids.DENSITY_TOGGLE,
                options=[
                    {
                        "label": " Density under the points (2D)",
                        "value": "on",
                        "title": "A shaded density of all points, drawn by the server, so structure shows where "
                        "many points overlap",
                    }
                ],
                value=[],
                className="checkbox",
            ),
            dcc.Store(id=ids.IMAGES_INFO),
            dcc.Store(id=ids.IMAGES_SHOWN),
            dcc.Store(id=ids.DENSITY_STORE),
            dcc.Store(id=ids.DENSITY_DRAWN),
            dcc.Store(id=ids.DENSITY_SHOWN),
            html.Label("Color by", htmlFor=ids.COLOR_BY),
            dcc.Dropdown(id=ids.COLOR_BY, clearable=True, placeholder="No colour"),
            dcc.Checklist(
                id=ids.CATEGORICAL_COLORING,
                options=[{"label": " Colour numbers by category", "value": "on"}],
                value=[],
                className="checkbox",
            ),
            html.Div(id=ids.COLOR_LEGEND, className="legend"),
            html.Ol(id=ids.CHANGED_LIST, className="changed pick-list"),
            dcc.Checklist(
                id=ids.SPHERIZE,
                options=[{"label": " Spherize data", "value": "on"}],
                value=[],
                className="checkbox",
            ),
            html.Div(
                "Centres the vectors and scales each to unit length before projecting, "
                "so direction matters and magnitude does not.",
                className="hint",
            ),
            html.Label("Load data"),
            html.Div(
                [
                    dcc.Upload(html.Button("Upload vectors"), id=ids.UPLOAD_VECTORS, max_size=max_upload),
                    dcc.Upload(html.Button("Upload metadata"), id=ids.UPLOAD_METADATA, max_size=max_upload),
                    html.Button("Download metadata", id=ids.DOWNLOAD_METADATA),
                ],
                className="buttons",
            ),
            html.Div(
                "Vectors: a TSV of floats (one row per point), word2vec or GloVe text (a word, then its numbers, "
                "on each line) or a .npy N×D array; they appear under the run “(uploaded)”, for this browser only "
                "until shared. Metadata: a TSV for the open tensor, with a header row unless it has one column; "
                "it changes the labels in this browser only.",
                className="hint",
            ),
            html.Div(
                [
                    html.Span(id=ids.UPLOAD_SHARING, className="hint"),
                    html.Button("Share with team", id=ids.UPLOAD_SHARE, hidden=True),
                ],
                className="buttons",
            ),
            dcc.Download(id=ids.METADATA_DOWNLOAD),
            dcc.Interval(id=ids.REFRESH_RUNS, interval=REFRESH_MS),
        ],
        className="panel data-panel",
    )


def run_options(runs: list[str]) -> list[dict]:
    return [{"label": "(logdir root)" if r == "." else r, "value": r} for r in runs]


def tensor_options(specs, notes: dict[str, str] | None = None) -> list[dict]:
    """Tensor dropdown options: ``name (N×D)`` labels (``name (N×D, shared)`` with a note), tensor keys as values."""
    notes = notes or {}
    return [{"label": _noted(spec.label, notes.get(spec.key)), "value": spec.key} for spec in specs]


def _noted(label: str, note: str | None) -> str:
    return f"{label[:-1]}, {note})" if note and label.endswith(")") else (f"{label} ({note})" if note else label)


UPLOAD_NOTES = {PRIVATE: None, SHARED_BY_YOU: "shared by you", SHARED: "shared"}


def upload_notes(workspace: Workspace, specs) -> dict[str, str]:
    """What the tensor list says of each upload: shared by this session or by someone else."""
    notes = {spec.key: UPLOAD_NOTES.get(workspace.upload_status(spec.key) or PRIVATE) for spec in specs}
    return {key: note for key, note in notes.items() if note}


def sharing(status: str | None, name: str) -> tuple[str, bool]:
    """The line saying who sees the open upload, and whether the Share button is hidden."""
    if status == PRIVATE:
        return f"Only this browser sees “{name}”.", False
    if status == SHARED_BY_YOU:
        return f"“{name}” is shared with everyone on this server until it expires.", True
    if status == SHARED:
        return f"“{name}” was shared with the team from another browser.", True
    return "", True


def requester() -> str | None:
    """Whose request the workspace answers: the browser session of the page or callback being served (a
    background job's is the one that started it; "" when the request has none), or None for the server's
    own work outside any request (the warm-up)."""
    if has_request_context():
        return session.current() or ""
    try:
        cookies = ctx.cookies  # a background job: the cookies of the request that started it
    except (LookupError, MissingCallbackContextException):
        return None
    return session.of_cookies(cookies) or ""


def pick(wanted: str | None, current: str | None, choices: list[str]) -> str | None:
    """The wanted choice if it exists, else the current one if still there, else the first."""
    for candidate in (wanted, current):
        if candidate in choices:
            return candidate
    return choices[0] if choices else None


def moved(value: str | None, current: str | None) -> dict:
    """A dropdown's ``"value"`` change, or none when it stays: an unchanged value must not reopen the tensor."""
    return {} if value == current else {"value": value}


def runs_shown(runs: list[str], current: str | None, wanted: str | None, from_url: bool) -> dict:
    """The run dropdown's changes for the logdir's ``runs``: its options, and its value when that moves.

    The URL's run (``wanted``) counts when the URL changed or no run is chosen yet; a timer tick keeps the
    run chosen while it exists, so a refresh never undoes the user's choice.
    """
    value = pick(wanted if from_url or current is None else None, current, runs)
    return {"options": run_options(runs), **moved(value, current)}


NO_RUNS = "No embeddings found in the logdir."


def tensors_shown(
    run: str | None, listing: RunListing, current: str | None, wanted: str | None, notes: dict[str, str] | None = None
) -> dict:
    """The tensor dropdown's changes (and the data banner's) for ``run``'s ``listing``.

    The URL's tensor (``wanted``) counts only when the current one is not in the run (the page opening, another
    run), so a timer tick keeps the tensor chosen. A run with tensors says nothing here: opening the tensor
    reports the run's problems with its own warnings. ``notes`` go with the options (see :func:`tensor_options`).
    """
    if run is None:
        return {"options": [], "value": None, "banner": banner([NO_RUNS])}
    options = tensor_options(listing.specs, notes)
    keys = [s.key for s in listing.specs]
    if not keys:
        messages = [*listing.problems, f"Run {run!r} holds no 2-D tensor to project."]
        return {"options": options, "value": None, "banner": banner(messages)}
    return {"options": options, **moved(pick(wanted if current not in keys else None, current, keys), current)}


def column_options(kinds: list[ColumnKind], steps: tuple[int, ...] = ()) -> dict[str, list[dict]]:
    """Dropdown options for label-by (every column, or the row index), colour-by (every column, and what
    moved since each of the tensor's ``steps``) and the two searches (every column, or all of them at once),
    under the keys of :data:`OPEN_OUTPUTS`."""
    labels = [{"label": k.name, "value": k.name} for k in kinds]
    labels.append({"label": "index (row number)", "value": INDEX_COLUMN})
    searches = [{"label": "all columns", "value": ""}, *labels]
    return {
        "label_options": labels,
        "color_options": [k.option for k in kinds] + moved_options(steps),
        "search_options": searches,
        "custom_options": searches,
    }


OPEN_OUTPUTS = {
    "label_options": Output(ids.LABEL_BY, "options"),
    "label": Output(ids.LABEL_BY, "value"),
    "color_options": Output(ids.COLOR_BY, "options"),
    "color": Output(ids.COLOR_BY, "value"),
    "search_options": Output(ids.SEARCH_COLUMN, "options"),
    "search": Output(ids.SEARCH_COLUMN, "value"),
    "custom_options": Output(ids.CUSTOM_COLUMN, "options"),
    "custom": Output(ids.CUSTOM_COLUMN, "value"),
    "shape": Output(ids.DIMENSIONALITY, "children"),
    "view": Output(ids.VIEW_STORE, "data", allow_duplicate=True),
    "sharing": Output(ids.UPLOAD_SHARING, "children"),
    "share_hidden": Output(ids.UPLOAD_SHARE, "hidden"),
}

EDITED_OUTPUTS = {
    "label_options": Output(ids.LABEL_BY, "options", allow_duplicate=True),
    "color_options": Output(ids.COLOR_BY, "options", allow_duplicate=True),
    "color": Output(ids.COLOR_BY, "value", allow_duplicate=True),
    "search_options": Output(ids.SEARCH_COLUMN, "options", allow_duplicate=True),
    "custom_options": Output(ids.CUSTOM_COLUMN, "options", allow_duplicate=True),
}


def register(app, workspace: Workspace) -> None:
    limit = app.server.config.get("MAX_CONTENT_LENGTH")
    max_upload = max_upload_bytes(limit) if limit else DEFAULT_MAX_UPLOAD
    workspace.requester = requester
    app.clientside_callback(
        ClientsideFunction("labels", "show"), Output(ids.LABELS_SHOWN, "data"), Input(ids.LABELS_TOGGLE, "value")
    )

    @answers(
        app,
        {"options": Output(ids.RUN_SELECT, "options"), "value": Output(ids.RUN_SELECT, "value")},
        slot=None,
        inputs={
            "_ticks": Input(ids.REFRESH_RUNS, "n_intervals"),
            "_path": Input(ids.URL, "pathname"),
            "search": State(ids.URL, "search"),
            "current": State(ids.RUN_SELECT, "value"),
        },
    )
    def refresh_runs(_ticks, _path, search, current):
        wanted = read_query(search).get("run")
        return runs_shown(workspace.runs(), current, wanted, ctx.triggered_id == ids.URL)

    @answers(
        app,
        {"options": Output(ids.TENSOR_SELECT, "options"), "value": Output(ids.TENSOR_SELECT, "value")},
        slot=ids.BANNER_DATA,
        inputs={
            "run": Input(ids.RUN_SELECT, "value"),
            "_ticks": Input(ids.REFRESH_RUNS, "n_intervals"),
            "current": State(ids.TENSOR_SELECT, "value"),
            "search": State(ids.URL, "search"),
        },
        prevent_initial_call=True,
    )
    def list_tensors(run, _ticks, current, search):
        listing = RunListing() if run is None else workspace.listing(run)
        notes = upload_notes(workspace, listing.specs) if run == UPLOAD_RUN else None
        return tensors_shown(run, listing, current, read_query(search).get("tensor"), notes)

    @answers(
        app,
        OPEN_OUTPUTS,
        slot=ids.BANNER_DATA,
        inputs={"key": Input(ids.TENSOR_SELECT, "value")},
        prevent_initial_call=True,
    )
    def open_tensor(key):
        if key is None:
            nothing = dict.fromkeys(("label_options", "color_options", "search_options", "custom_options"), [])
            unset = dict.fromkeys(("label", "color", "search", "custom", "view"))
            return {**nothing, **unset, "shape": "", "sharing": "", "share_hidden": True}
        data = workspace.dataset(key)
        label = default_label_column(list(data.metadata.columns))
        who_sees, share_hidden = sharing(workspace.upload_status(key), data.spec.name)
        return {
            **column_options(workspace.column_kinds(data), data.spec.steps),
            "label": label,
            "color": workspace.default_color_column(data),
            "search": label,
            "custom": label,
            "shape": f"{data.n:,} points × {data.dim:,} dimensions",
            "view": View(key).to_json(),
            "sharing": who_sees,
            "share_hidden": share_hidden,
            "banner": banner([*workspace.listing(data.spec.run).problems, *data.warnings], "warning"),
        }

    @answers(
        app,
        EDITED_OUTPUTS,
        slot=ids.BANNER_DATA,
        inputs={"edited": Input(ids.METADATA_EDITED, "data")},
        state={"key": State(ids.TENSOR_SELECT, "value")},
        prevent_initial_call=True,
    )
    def edited_columns(edited, key):
        """The columns after Edit by gave points values (perhaps in a new column); the choices stay, but a
        cluster run's column is coloured by at once (with its options, so the choice is one of them)."""
        if not edited or edited.get("tensor") != key:
            return {}
        options = column_options(workspace.column_kinds(key), workspace.spec(key).steps)
        if edited.get("color") is True and isinstance(edited.get("column"), str):
            options["color"] = edited["column"]
        return options

    @answers(
        app,
        {
            "runs": Output(ids.RUN_SELECT, "options", allow_duplicate=True),
            "run": Output(ids.RUN_SELECT, "value", allow_duplicate=True),
            "tensors": Output(ids.TENSOR_SELECT, "options", allow_duplicate=True),
            "tensor": Output(ids.TENSOR_SELECT, "value", allow_duplicate=True),
        },
        slot=ids.BANNER_DATA,
        inputs={"contents": Input(ids.UPLOAD_VECTORS, "contents"), "filename": State(ids.UPLOAD_VECTORS, "filename")},
        prevent_initial_call=True,
    )
    def upload_vectors(contents, filename):
        if not contents:
            return {}
        name = filename or "upload.tsv"
        owner = session.ensure()
        key = workspace.add_upload(name, decode_upload(contents, name, max_upload, TensorError), owner)
        specs = workspace.listing(UPLOAD_RUN, owner).specs
        tensors = tensor_options(specs, upload_notes(workspace, specs))
        return {
            "runs": run_options(workspace.runs(owner)),
            "run": UPLOAD_RUN,
            "tensors": tensors,
            "tensor": key,
            "banner": [],
        }

    @answers(
        app,
        {"tensor": Output(ids.TENSOR_SELECT, "value", allow_duplicate=True)},
        slot=ids.BANNER_DATA,
        inputs={
            "contents": Input(ids.UPLOAD_METADATA, "contents"),
            "filename": State(ids.UPLOAD_METADATA, "filename"),
            "key": State(ids.TENSOR_SELECT, "value"),
        },
        prevent_initial_call=True,
    )
    def upload_metadata(contents, filename, key):
        if not contents or not key:
            return {}
        name = filename or "metadata.tsv"
        workspace.set_metadata(key, name, decode_upload(contents, name, max_upload, MetadataError), session.ensure())
        return {"tensor": key, "banner": []}  # reopening the tensor refreshes the label, colour and search columns

    @answers(
        app,
        {
            "tensors": Output(ids.TENSOR_SELECT, "options", allow_duplicate=True),
            "sharing": Output(ids.UPLOAD_SHARING, "children", allow_duplicate=True),
            "share_hidden": Output(ids.UPLOAD_SHARE, "hidden", allow_duplicate=True),
        },
        slot=ids.BANNER_DATA,
        inputs={
            "clicks": Input(ids.UPLOAD_SHARE, "n_clicks"),
            "key": State(ids.TENSOR_SELECT, "value"),
            "run": State(ids.RUN_SELECT, "value"),
        },
        prevent_initial_call=True,
    )
    def share_upload(clicks, key, run):
        if not clicks or not key:
            return {}
        upload = workspace.share_upload(key, session.ensure())
        who_sees, share_hidden = sharing(SHARED_BY_YOU, upload.name)
        specs = workspace.listing(run).specs if run == UPLOAD_RUN else []
        tensors = {"tensors": tensor_options(specs, upload_notes(workspace, specs))} if specs else {}
        return {**tensors, "sharing": who_sees, "share_hidden": share_hidden, "banner": []}

    @answers(
        app,
        {"file": Output(ids.METADATA_DOWNLOAD, "data")},
        slot=None,
        inputs={"_clicks": Input(ids.DOWNLOAD_METADATA, "n_clicks"), "key": State(ids.TENSOR_SELECT, "value")},
        prevent_initial_call=True,
    )
    def download_metadata(_clicks, key):
        if key is None:
            return {}
        data = workspace.dataset(key)
        name = data.spec.name.replace("/", "_") + "_metadata.tsv"
        return {"file": dcc.send_string(metadata_download_tsv(data.metadata, data.row_ids), name)}
