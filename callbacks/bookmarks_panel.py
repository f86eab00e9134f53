"""Bookmarks panel: save the view, walk through saved views, download/upload them, export coordinates."""

from __future__ import annotations

import secrets
from pathlib import Path

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from callbacks import ids, session
from callbacks.common import answers, banner
from projector.bookmarks import (
    METHODS,
    ViewState,
    cluster_settings,
    dumps,
    full_coords,
    loads,
    read_bookmarks_file,
    restored_layout,
    restored_record,
)
from projector.errors import BookmarkError, ProjectorError
from projector.export import coordinates_csv
from projector.projection import project
from projector.shelf import BookmarkShelf, checked_entries, cursor_index, without
from projector.uploads import DEFAULT_MAX_REQUEST_MB, MB, decode_upload, max_upload_bytes, owner_of
from projector.view import Opening, View, selected_rows, visible_rows
from projector.workspace import Workspace

DEFAULT_MAX_UPLOAD = max_upload_bytes(DEFAULT_MAX_REQUEST_MB * MB)
NOTHING_TO_DELETE = "No bookmark is open: open one (or step to it) to delete it"


def layout(max_upload: int = DEFAULT_MAX_UPLOAD) -> html.Div:
    return html.Div(
        [
            html.H2("Bookmarks"),
            html.Div(
                [
                    html.Button("Save view", id=ids.BOOKMARK_SAVE, className="primary"),
                    html.Button("‹ Previous", id=ids.BOOKMARK_PREV, title="Previous bookmark"),
                    html.Button("Next ›", id=ids.BOOKMARK_NEXT, title="Next bookmark"),
                    html.Button("Delete", id=ids.BOOKMARK_DELETE, disabled=True, title=NOTHING_TO_DELETE),
                ],
                className="buttons",
            ),
            html.Ol(id=ids.BOOKMARK_LIST, className="bookmarks"),
            html.Div(
                [
                    html.Button("Download bookmarks", id=ids.BOOKMARK_DOWNLOAD),
                    dcc.Upload(html.Button("Upload bookmarks"), id=ids.BOOKMARK_UPLOAD, max_size=max_upload),
                    html.Button(
                        "Export CSV", id=ids.EXPORT_CSV, title="Coordinates of the plotted points with metadata"
                    ),
                ],
                className="buttons",
            ),
            dcc.Download(id=ids.BOOKMARK_FILE),
            dcc.Download(id=ids.CSV_FILE),
            dcc.Store(id=ids.BOOKMARKS_STORE, data=[]),
            dcc.Store(id=ids.BOOKMARK_CURSOR),
            dcc.Store(id=ids.BOOKMARK_GO),
            dcc.Store(id=ids.BOOKMARK_OPENING),
        ],
        className="panel bookmarks-panel",
    )


def items(entries: list[dict], cursor: int | None) -> list:
    return [
        html.Li(
            [
                dcc.Input(
                    id={"type": ids.BOOKMARK_TITLE, "index": i},
                    value=e["title"],
                    debounce=True,
                    className="bookmark-title",
                ),
                html.Button("Open", id={"type": ids.BOOKMARK_OPEN, "index": i}, className="link-button"),
            ],
            className="bookmark current" if i == cursor else "bookmark",
        )
        for i, e in enumerate(entries)
    ]


# The panel values a bookmark keeps: each ViewState field and the component(s) that show it.
FIELDS = {
    "color_by": ids.COLOR_BY,
    "categorical": ids.CATEGORICAL_COLORING,
    "label_by": ids.LABEL_BY,
    "method": ids.PROJECTION_TABS,
    "dimension": ids.DIMENSION,
    "spherize": ids.SPHERIZE,
    "pca_components": [ids.PCA_X, ids.PCA_Y, ids.PCA_Z],
    "tsne": ids.FORM_FIELDS["tsne"],
    "umap": ids.FORM_FIELDS["umap"],
    "custom": ids.FORM_FIELDS["custom"],
    "search": {"query": ids.SEARCH_INPUT, "column": ids.SEARCH_COLUMN, "regex": ids.SEARCH_REGEX},
    "compare": ids.COMPARE_TENSOR,
    "compare_by": ids.COMPARE_MATCH,
    "compare_color": ids.COMPARE_COLOR,
}
# Fields shown as one-option checklists, and the option's value ("regex" also for each custom search's switch).
CHECKBOXES = {"spherize": "on", "categorical": "on", "aligned": "on", "compare_color": "on", "regex": "regex"}


def checkbox(name: str) -> str | None:
    """The option value of a field shown as a one-option checklist, or None for other fields."""
    return CHECKBOXES.get("regex" if name.endswith("_regex") else name)


def components(kind, fields=FIELDS, **kwargs):
    """``FIELDS`` with each component ID made a ``kind`` (Input, Output or State) of its ``value``."""
    if isinstance(fields, dict):
        return {name: components(kind, f, **kwargs) for name, f in fields.items()}
    if isinstance(fields, list):
        return [components(kind, f, **kwargs) for f in fields]
    return kind(fields, "value", **kwargs)


def form_values(state: ViewState) -> dict:
    """The panel values a bookmark restores, shaped as ``FIELDS``."""

    def shown(name: str, value):
        option = checkbox(name)
        return value if option is None else ([option] if value else [])

    values = {name: shown(name, getattr(state, name)) for name in FIELDS}
    values["pca_components"] = (list(state.pca_components) + [0, 1, 2])[:3]
    for group in ("tsne", "umap", "custom", "search"):
        saved = getattr(state, group)
        values[group] = {name: shown(name, saved.get(name)) for name in FIELDS[group]}
    return values


def form_state(form: dict) -> dict:
    """ViewState fields from panel values shaped as ``FIELDS`` (checklists become booleans)."""

    def kept(name: str, value):
        return value if checkbox(name) is None else bool(value)

    state = {name: kept(name, form[name]) for name in FIELDS if not isinstance(FIELDS[name], (dict, list))}
    state["pca_components"] = list(form["pca_components"])
    for group in ("tsne", "umap", "custom", "search"):
        state[group] = {name: kept(name, value) for name, value in form[group].items()}
    state["search"] = {
        **state["search"],
        "query": state["search"]["query"] or "",
        "column": form["search"]["column"] or "",
    }
    return state


RESTORE_OUTPUTS = {
    "view": Output(ids.VIEW_STORE, "data", allow_duplicate=True),
    "opening": Output(ids.BOOKMARK_OPENING, "data"),
    "form": components(Output, allow_duplicate=True),
    "query": Output(ids.SEARCH_QUERY, "data", allow_duplicate=True),  # the restored search is not run again
    "step": Output(ids.STEP_SLIDER, "value", allow_duplicate=True),
    "clusters": {
        "source": Output(ids.CLUSTER_SOURCE, "value", allow_duplicate=True),
        "min_size": Output(ids.CLUSTER_MIN_SIZE, "value", allow_duplicate=True),
        "name_by": Output(ids.CLUSTER_NAME_BY, "value", allow_duplicate=True),
        "again": Output(ids.CLUSTER_AGAIN, "data"),
    },
}
# What saving or uploading bookmarks changes: the list, the current one, and which one to open.
LIST_OUTPUTS = {
    "entries": Output(ids.BOOKMARKS_STORE, "data", allow_duplicate=True),
    "cursor": Output(ids.BOOKMARK_CURSOR, "data", allow_duplicate=True),
    "go": Output(ids.BOOKMARK_GO, "data", allow_duplicate=True),
}


def clusters_again(state: ViewState, view: View, bookmark: str) -> dict:
    """The cluster settings a bookmark restores, and the run to make again once its view is drawn
    (assets/clusters.js presses Find clusters); nothing when it saved none."""
    if not state.clusters:
        return {"source": no_update, "min_size": no_update, "name_by": no_update, "again": None}
    return {**state.clusters, "again": {"view": view.token, "bookmark": bookmark, "opened": secrets.token_hex(6)}}


def owner() -> str:
    """Whose bookmarks a request reaches: its browser session's."""
    return owner_of(session.ensure())


def listed(entries) -> list[dict]:
    """The page's bookmark list for callbacks that only redraw it (a damaged one shows as empty)."""
    try:
        return checked_entries(entries)
    except BookmarkError:
        return []


def register(app, workspace: Workspace, shelf: BookmarkShelf) -> None:
    limit = app.server.config.get("MAX_CONTENT_LENGTH")
    max_upload = max_upload_bytes(limit) if limit else DEFAULT_MAX_UPLOAD

    @answers(
        app,
        LIST_OUTPUTS,
        inputs={
            "_clicks": Input(ids.BOOKMARK_SAVE, "n_clicks"),
            "entries": State(ids.BOOKMARKS_STORE, "data"),
            "view": State(ids.VIEW_STORE, "data"),
            "projection": State(ids.PROJECTION_STORE, "data"),
            "selection": State(ids.SELECTION_STORE, "data"),
            "neighbors": State(ids.NEIGHBORS_STORE, "data"),
            "camera": State(ids.SCATTER, "relayoutData"),
            "run": State(ids.RUN_SELECT, "value"),
            "clusters": State(ids.CLUSTER_PARAMS, "data"),
            "form": components(State),
        },
        running=[(Output(ids.BOOKMARK_DOWNLOAD, "disabled"), True, False)],  # a download waits for the save
        prevent_initial_call=True,
    )
    def save(_clicks, entries, view, projection, selection, neighbors, camera, run, clusters, form):
        entries = checked_entries(entries)
        view = View.from_json(view)
        if view is None or not projection:
            raise BookmarkError("Open a tensor and wait for the plot before saving a view.")
        data = workspace.view_data(view)
        fields = form_state(form)
        coords = project(workspace, data, view.subset, fields["spherize"], projection).coords
        method = projection.get("method") if projection.get("method") in METHODS else fields["method"]
        title = f"{len(entries or []) + 1}. {method.upper() if method != 'custom' else 'Custom'}"
        axes = projection.get("axes", fields["pca_components"])
        state = ViewState(
            **{
                **fields,
                "label": title,
                "method": method,
                "dimension": int(coords.shape[1]),
                "coords": full_coords(coords, visible_rows(view.subset, data.n), data.n),
                "n_points": data.n,
                "n_dims": data.dim,
                "filtered": None if view.indices is None else list(view.indices),
                "selected": selected_rows(selection, neighbors, view.tensor).tolist(),
                "pca_components": [int(a) for a in axes if a is not None],
                "camera": camera if isinstance(camera, dict) else None,
                "run": run,
                "tensor": data.spec.name,
                "step": data.spec.step,
                "clusters": cluster_settings(clusters) if (clusters or {}).get("view") == view.token else None,
            }
        )
        entries = [*(entries or []), {"id": shelf.put(state, owner()), "title": title}]
        # The new bookmark is marked current but not opened: the plot already shows it, and opening it would
        # redraw the plot under a search or click made while the save was answered.
        return {"entries": entries, "cursor": len(entries) - 1, "banner": []}

    @answers(
        app,
        {
            "items": Output(ids.BOOKMARK_LIST, "children"),
            "delete_disabled": Output(ids.BOOKMARK_DELETE, "disabled"),
            "delete_title": Output(ids.BOOKMARK_DELETE, "title"),
        },
        slot=None,
        inputs={"entries": Input(ids.BOOKMARKS_STORE, "data"), "cursor": Input(ids.BOOKMARK_CURSOR, "data")},
    )
    def render(entries, cursor):
        entries = listed(entries)
        if not entries:
            hint = "No bookmarks yet: “Save view” keeps the projection, selection and colours."
            empty = [html.Li(hint, className="hint empty")]
            return {"items": empty, "delete_disabled": True, "delete_title": "There is no bookmark to delete"}
        current = cursor_index(entries, cursor)
        if current is None:
            return {"items": items(entries, cursor), "delete_disabled": True, "delete_title": NOTHING_TO_DELETE}
        title = f"Delete “{entries[current]['title']}” from this list"
        return {"items": items(entries, cursor), "delete_disabled": False, "delete_title": title}

    @answers(
        app,
        {"entries": Output(ids.BOOKMARKS_STORE, "data", allow_duplicate=True)},
        slot=None,
        inputs={
            "titles": Input({"type": ids.BOOKMARK_TITLE, "index": ALL}, "value"),
            "entries": State(ids.BOOKMARKS_STORE, "data"),
        },
        prevent_initial_call=True,
    )
    def rename(titles, entries):
        entries = listed(entries)
        if not entries or len(titles) != len(entries):
            return {}
        renamed = [{**e, "title": t if t else e["title"]} for e, t in zip(entries, titles)]
        return {} if renamed == entries else {"entries": renamed}

    @answers(
        app,
        {
            "cursor": Output(ids.BOOKMARK_CURSOR, "data", allow_duplicate=True),
            "go": Output(ids.BOOKMARK_GO, "data", allow_duplicate=True),
        },
        slot=None,
        inputs={
            "open_clicks": Input({"type": ids.BOOKMARK_OPEN, "index": ALL}, "n_clicks"),
            "_prev": Input(ids.BOOKMARK_PREV, "n_clicks"),
            "_next": Input(ids.BOOKMARK_NEXT, "n_clicks"),
            "cursor": State(ids.BOOKMARK_CURSOR, "data"),
            "entries": State(ids.BOOKMARKS_STORE, "data"),
        },
        prevent_initial_call=True,
    )
    def step(open_clicks, _prev, _next, cursor, entries):
        entries = listed(entries)
        if not entries:
            return {}
        trigger = ctx.triggered_id
        if isinstance(trigger, dict):
            if not open_clicks[trigger["index"]]:
                return {}  # a freshly drawn list, not a click
            return {"cursor": trigger["index"], "go": trigger["index"]}
        current = -1 if cursor is None else int(cursor)
        step_by = -1 if trigger == ids.BOOKMARK_PREV else 1
        target = (current + step_by) % len(entries) if current >= 0 else (0 if step_by > 0 else len(entries) - 1)
        return {"cursor": target, "go": target}

    @answers(
        app,
        {
            "entries": Output(ids.BOOKMARKS_STORE, "data", allow_duplicate=True),
            "cursor": Output(ids.BOOKMARK_CURSOR, "data", allow_duplicate=True),
        },
        inputs={
            "_clicks": Input(ids.BOOKMARK_DELETE, "n_clicks"),
            "entries": State(ids.BOOKMARKS_STORE, "data"),
            "cursor": State(ids.BOOKMARK_CURSOR, "data"),
        },
        prevent_initial_call=True,
    )
    def delete(_clicks, entries, cursor):
        """Drop the current bookmark from this browser's list; the view on screen stays as it is.

        The shelf keeps the saved state: its id may be listed by another browser too, and it expires on its own.
        """
        entries = checked_entries(entries)
        current = cursor_index(entries, cursor)
        if current is None:
            raise BookmarkError(f"{NOTHING_TO_DELETE}." if entries else "There is no bookmark to delete.")
        kept, moved = without(entries, current)
        return {"entries": kept, "cursor": moved, "banner": []}

    @answers(
        app,
        RESTORE_OUTPUTS,
        inputs={
            "go": Input(ids.BOOKMARK_GO, "data"),
            "entries": State(ids.BOOKMARKS_STORE, "data"),
            "view": State(ids.VIEW_STORE, "data"),
        },
        prevent_initial_call=True,
    )
    def restore(go, entries, view):
        entries = checked_entries(entries)
        view = View.from_json(view)
        index = cursor_index(entries or [], go)
        if index is None or view is None:
            return {}
        entry = entries[index]
        state = shelf.get(entry["id"], owner())
        data = workspace.view_data(view)
        subset, coords = restored_layout(state, entry["title"], data.n, data.dim)
        result = f"bookmark-{entry['id']}"
        workspace.results.set(result, coords, meta=restored_record(state, entry["title"]))
        opening = Opening(
            entry["id"],
            state.method,
            result,
            int(coords.shape[1]),
            tuple(int(r) for r in state.selected),
            state.camera,
            tuple(int(a) for a in state.pca_components),
        )
        steps = workspace.spec(view.tensor).steps
        step = state.step if state.step in steps else view.step  # a step no longer kept: the one shown
        return {
            "view": View.of(view.tensor, subset, step).to_json(),
            "step": step if step is not None or not steps else steps[-1],
            "opening": opening.to_json(),
            "form": form_values(state),
            "query": state.search.get("query", ""),
            "clusters": clusters_again(state, View.of(view.tensor, subset, step), entry["id"]),
            "banner": [],
        }

    @answers(
        app,
        {"file": Output(ids.BOOKMARK_FILE, "data")},
        inputs={"_clicks": Input(ids.BOOKMARK_DOWNLOAD, "n_clicks"), "entries": State(ids.BOOKMARKS_STORE, "data")},
        prevent_initial_call=True,
    )
    def download(_clicks, entries):
        entries = checked_entries(entries)
        if not entries:
            raise BookmarkError("There are no bookmarks to download yet: save a view first.")
        states = []
        for entry in entries:
            state = shelf.get(entry["id"], owner())
            state.label = entry["title"]
            states.append(state)
        return {"file": dcc.send_string(dumps(states), "projector-bookmarks.json"), "banner": []}

    @answers(
        app,
        LIST_OUTPUTS,
        inputs={
            "contents": Input(ids.BOOKMARK_UPLOAD, "contents"),
            "filename": State(ids.BOOKMARK_UPLOAD, "filename"),
            "entries": State(ids.BOOKMARKS_STORE, "data"),
            "view": State(ids.VIEW_STORE, "data"),
        },
        prevent_initial_call=True,
    )
    def upload(contents, filename, entries, view):
        entries = checked_entries(entries)
        view = View.from_json(view)
        if not contents or view is None:
            return {}
        data = workspace.view_data(view)
        payload = decode_upload(contents, filename or "bookmarks", max_upload, BookmarkError)
        try:
            states = loads(payload, data.n, data.dim, max_bytes=max_upload)
        except BookmarkError as error:
            raise BookmarkError(f"{filename}: {error} Your current bookmarks are kept.") from None
        added = [
            {"id": shelf.put(s, owner()), "title": s.label or f"{filename} #{i + 1}"} for i, s in enumerate(states)
        ]
        entries = [*(entries or []), *added]
        first = len(entries) - len(added)
        return {"entries": entries, "cursor": first, "go": first, "banner": []}

    @answers(
        app,
        {
            "entries": Output(ids.BOOKMARKS_STORE, "data", allow_duplicate=True),
            "cursor": Output(ids.BOOKMARK_CURSOR, "data", allow_duplicate=True),
        },
        inputs={"key": Input(ids.TENSOR_SELECT, "value")},
        prevent_initial_call=True,
    )
    def open_bookmarks_path(key):
        if not key:
            return {"entries": [], "cursor": None}
        spec = workspace.spec(key)
        if not spec.bookmarks_path:
            return {"entries": [], "cursor": None}
        data = workspace.dataset(key)
        try:
            states = read_bookmarks_file(workspace.logdir, spec.bookmarks_path, data.n, data.dim)
        except ProjectorError as error:  # the other tensor's bookmarks must not linger in the list
            return {"entries": [], "cursor": None, "banner": banner([str(error)])}
        shown = Path(spec.bookmarks_path).name
        entries = [{"id": shelf.put(s, owner()), "title": s.label or f"{shown} #{i + 1}"} for i, s in enumerate(states)]
        return {"entries": entries, "cursor": None, "banner": []}

    @answers(
        app,
        {"file": Output(ids.CSV_FILE, "data")},
        inputs={
            "_clicks": Input(ids.EXPORT_CSV, "n_clicks"),
            "view": State(ids.VIEW_STORE, "data"),
            "projection": State(ids.PROJECTION_STORE, "data"),
            "selection": State(ids.SELECTION_STORE, "data"),
            "neighbors": State(ids.NEIGHBORS_STORE, "data"),
            "spherize": State(ids.SPHERIZE, "value"),
        },
        prevent_initial_call=True,
    )
    def export(_clicks, view, projection, selection, neighbors, spherize):
        view = View.from_json(view)
        if view is None or not projection:
            raise BookmarkError("Open a tensor and wait for the plot before exporting.")
        key = view.tensor
        data = workspace.dataset(key)
        subset = view.subset
        projected = project(workspace, data, subset, bool(spherize), projection)
        rows = visible_rows(subset, data.n)
        text = coordinates_csv(
            projected.coords, rows, data.metadata, selected_rows(selection, neighbors, key), projected.titles
        )
        name = f"{data.spec.name.replace('/', '_')}-{projection.get('method', 'view')}.csv"
        return {"file": dcc.send_string(text, name), "banner": []}
