"""Bookmarks panel: save the view, walk through saved views, download/upload them, export coordinates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from callbacks import ids
from callbacks.common import banner, decode_upload, reports_errors, selected_rows
from projector.bookmarks import ViewState, dumps, loads, read_bookmarks_file
from projector.errors import BookmarkError, ProjectorError
from projector.export import coordinates_csv
from projector.projection import project
from projector.shelf import BookmarkShelf
from projector.view import subset_array, visible_rows
from projector.workspace import Workspace

UPLOAD_LIMIT = 200 * 2**20


def layout() -> html.Div:
    return html.Div(
        [
            html.H2("Bookmarks"),
            html.Div(
                [
                    html.Button("Save view", id=ids.BOOKMARK_SAVE, className="primary"),
                    html.Button("‹ Previous", id=ids.BOOKMARK_PREV, title="Previous bookmark"),
                    html.Button("Next ›", id=ids.BOOKMARK_NEXT, title="Next bookmark"),
                ],
                className="buttons",
            ),
            html.Ol(id=ids.BOOKMARK_LIST, className="bookmarks"),
            html.Div(
                [
                    html.Button("Download bookmarks", id=ids.BOOKMARK_DOWNLOAD),
                    dcc.Upload(html.Button("Upload bookmarks"), id=ids.BOOKMARK_UPLOAD, max_size=UPLOAD_LIMIT),
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
        ],
        className="panel bookmarks-panel",
    )


def full_coords(coords: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Per-dataset-row coordinates: the plotted ones in place, NaN for rows not on screen."""
    out = np.full((n, coords.shape[1]), np.nan, dtype=np.float32)
    out[rows] = coords
    return out


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


RESTORED = [
    (ids.COLOR_BY, "value"),
    (ids.LABEL_BY, "value"),
    (ids.PROJECTION_TABS, "value"),
    (ids.DIMENSION, "value"),
    (ids.SPHERIZE, "value"),
    (ids.PCA_X, "value"),
    (ids.PCA_Y, "value"),
    (ids.PCA_Z, "value"),
    (ids.TSNE_PERPLEXITY, "value"),
    (ids.TSNE_LEARNING_RATE, "value"),
    (ids.TSNE_ITERATIONS, "value"),
    (ids.TSNE_SEED, "value"),
    (ids.UMAP_NEIGHBORS, "value"),
    (ids.UMAP_MIN_DIST, "value"),
    (ids.UMAP_SEED, "value"),
    (ids.CUSTOM_COLUMN, "value"),
    (ids.CUSTOM_LEFT, "value"),
    (ids.CUSTOM_RIGHT, "value"),
    (ids.CUSTOM_UP, "value"),
    (ids.CUSTOM_DOWN, "value"),
    (ids.CUSTOM_REGEX, "value"),
    (ids.SEARCH_INPUT, "value"),
    (ids.SEARCH_COLUMN, "value"),
    (ids.SEARCH_REGEX, "value"),
]


def form_values(state: ViewState) -> list:
    """The panel values a bookmark restores, in the order of ``RESTORED``."""
    axes = (list(state.pca_components) + [0, 1, 2])[:3]
    t, u, c = state.tsne, state.umap, state.custom
    return [
        state.color_by,
        state.label_by,
        state.method,
        state.dimension,
        ["on"] if state.spherize else [],
        *axes,
        t.get("perplexity", 30),
        t.get("learning_rate", "auto"),
        t.get("iterations", 750),
        t.get("seed", 0),
        u.get("n_neighbors", 15),
        u.get("min_dist", 0.1),
        u.get("seed", 0),
        c.get("column", ""),
        c.get("left", ""),
        c.get("right", ""),
        c.get("up", ""),
        c.get("down", ""),
        ["regex"] if c.get("regex") else [],
        state.search.get("query", ""),
        state.search.get("column", ""),
        ["regex"] if state.search.get("regex") else [],
    ]


def register(app, workspace: Workspace, shelf: BookmarkShelf) -> None:
    @app.callback(
        Output(ids.BOOKMARKS_STORE, "data", allow_duplicate=True),
        Output(ids.BOOKMARK_CURSOR, "data", allow_duplicate=True),
        Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
        Input(ids.BOOKMARK_SAVE, "n_clicks"),
        State(ids.BOOKMARKS_STORE, "data"),
        State(ids.VIEW_STORE, "data"),
        State(ids.PROJECTION_STORE, "data"),
        State(ids.SELECTION_STORE, "data"),
        State(ids.NEIGHBORS_STORE, "data"),
        State(ids.SCATTER, "relayoutData"),
        State(ids.RUN_SELECT, "value"),
        *[State(i, p) for i, p in RESTORED],
        prevent_initial_call=True,
    )
    @reports_errors(3)
    def save(_clicks, entries, view, projection, selection, neighbors, camera, run, *form):
        if not view or not view.get("tensor") or not projection:
            raise BookmarkError("Open a tensor and wait for the plot before saving a view.")
        (
            color_by,
            label_by,
            tab,
            dimension,
            spherize,
            px,
            py,
            pz,
            perplexity,
            rate,
            iterations,
            t_seed,
            u_neighbors,
            u_min_dist,
            u_seed,
            c_column,
            c_left,
            c_right,
            c_up,
            c_down,
            c_regex,
            query,
            column,
            regex,
        ) = form
        key = view["tensor"]
        data = workspace.dataset(key)
        subset = subset_array(view.get("indices"))
        coords = project(workspace, key, subset, bool(spherize), projection).coords
        method = projection.get("method") if projection.get("method") in ("pca", "tsne", "umap", "custom") else tab
        title = f"{len(entries or []) + 1}. {method.upper() if method != 'custom' else 'Custom'}"
        state = ViewState(
            label=title,
            method=method,
            dimension=int(coords.shape[1]),
            coords=full_coords(coords, visible_rows(subset, data.n), data.n),
            n_points=data.n,
            n_dims=data.dim,
            filtered=None if subset is None else [int(r) for r in subset],
            selected=selected_rows(selection, neighbors, key).tolist(),
            color_by=color_by,
            label_by=label_by,
            pca_components=[int(a) for a in projection.get("axes", [px, py, pz]) if a is not None],
            tsne={"perplexity": perplexity, "learning_rate": rate, "iterations": iterations, "seed": t_seed},
            umap={"n_neighbors": u_neighbors, "min_dist": u_min_dist, "seed": u_seed},
            custom={
                "column": c_column,
                "left": c_left,
                "right": c_right,
                "up": c_up,
                "down": c_down,
                "regex": bool(c_regex),
            },
            camera=camera if isinstance(camera, dict) else None,
            search={"query": query or "", "column": column or "", "regex": bool(regex)},
            spherize=bool(spherize),
            run=run,
            tensor=data.spec.name,
        )
        entries = [*(entries or []), {"id": shelf.put(state), "title": title}]
        return entries, len(entries) - 1, []

    @app.callback(
        Output(ids.BOOKMARK_LIST, "children"),
        Input(ids.BOOKMARKS_STORE, "data"),
        Input(ids.BOOKMARK_CURSOR, "data"),
    )
    def render(entries, cursor):
        if not entries:
            return [
                html.Li(
                    "No bookmarks yet: “Save view” keeps the projection, selection and colours.", className="hint empty"
                )
            ]
        return items(entries, cursor)

    @app.callback(
        Output(ids.BOOKMARKS_STORE, "data", allow_duplicate=True),
        Input({"type": ids.BOOKMARK_TITLE, "index": ALL}, "value"),
        State(ids.BOOKMARKS_STORE, "data"),
        prevent_initial_call=True,
    )
    def rename(titles, entries):
        if not entries or len(titles) != len(entries):
            return no_update
        renamed = [{**e, "title": t if t else e["title"]} for e, t in zip(entries, titles)]
        return no_update if renamed == entries else renamed

    @app.callback(
        Output(ids.BOOKMARK_CURSOR, "data", allow_duplicate=True),
        Input({"type": ids.BOOKMARK_OPEN, "index": ALL}, "n_clicks"),
        Input(ids.BOOKMARK_PREV, "n_clicks"),
        Input(ids.BOOKMARK_NEXT, "n_clicks"),
        State(ids.BOOKMARK_CURSOR, "data"),
        State(ids.BOOKMARKS_STORE, "data"),
        prevent_initial_call=True,
    )
    def step(open_clicks, _prev, _next, cursor, entries):
        if not entries:
            return no_update
        trigger = ctx.triggered_id
        if isinstance(trigger, dict):
            if not open_clicks[trigger["index"]]:
                return no_update  # a freshly drawn list, not a click
            return trigger["index"]
        current = -1 if cursor is None else int(cursor)
        step_by = -1 if trigger == ids.BOOKMARK_PREV else 1
        return (current + step_by) % len(entries) if current >= 0 else (0 if step_by > 0 else len(entries) - 1)

    @app.callback(
        Output(ids.VIEW_STORE, "data", allow_duplicate=True),
        *[Output(i, p, allow_duplicate=True) for i, p in RESTORED],
        Output(ids.SEARCH_QUERY, "data", allow_duplicate=True),  # the restored search text is not run again
        Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
        Input(ids.BOOKMARK_CURSOR, "data"),
        State(ids.BOOKMARKS_STORE, "data"),
        State(ids.VIEW_STORE, "data"),
        prevent_initial_call=True,
    )
    @reports_errors(len(RESTORED) + 3)
    def restore(cursor, entries, view):
        if cursor is None or not entries or not view or not view.get("tensor") or cursor >= len(entries):
            return (no_update,) * (len(RESTORED) + 3)
        state = shelf.get(entries[cursor]["id"])
        key = view["tensor"]
        data = workspace.dataset(key)
        if (state.n_points, state.n_dims) != (data.n, data.dim):
            raise BookmarkError(
                f"Bookmark '{entries[cursor]['title']}' was saved for {state.n_points:,} × {state.n_dims:,} points; "
                f"this tensor is {data.n:,} × {data.dim:,}."
            )
        subset = None if state.filtered is None else np.asarray(sorted(state.filtered), dtype=np.int64)
        rows = visible_rows(subset, data.n)
        coords = np.asarray(state.coords, dtype=np.float32)[rows]
        if coords.size and not np.isfinite(coords).all():
            raise BookmarkError(f"Bookmark '{entries[cursor]['title']}' lacks coordinates for some of its points.")
        result = f"bookmark-{entries[cursor]['id']}"
        workspace.results.set(result, coords, meta={"bookmark": entries[cursor]["title"]})
        restored = {
            "tensor": key,
            "indices": None if subset is None else [int(r) for r in subset],
            "bookmark": {
                "method": state.method,
                "result": result,
                "dimension": int(coords.shape[1]),
                "selected": [int(r) for r in state.selected],
                "camera": state.camera,
                "id": entries[cursor]["id"],
                "axes": list(state.pca_components),
            },
        }
        return (restored, *form_values(state), state.search.get("query", ""), [])

    @app.callback(
        Output(ids.BOOKMARK_FILE, "data"),
        Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
        Input(ids.BOOKMARK_DOWNLOAD, "n_clicks"),
        State(ids.BOOKMARKS_STORE, "data"),
        prevent_initial_call=True,
    )
    @reports_errors(2)
    def download(_clicks, entries):
        if not entries:
            raise BookmarkError("There are no bookmarks to download yet: save a view first.")
        states = []
        for entry in entries:
            state = shelf.get(entry["id"])
            state.label = entry["title"]
            states.append(state)
        return dcc.send_string(dumps(states), "projector-bookmarks.json"), []

    @app.callback(
        Output(ids.BOOKMARKS_STORE, "data", allow_duplicate=True),
        Output(ids.BOOKMARK_CURSOR, "data", allow_duplicate=True),
        Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
        Input(ids.BOOKMARK_UPLOAD, "contents"),
        State(ids.BOOKMARK_UPLOAD, "filename"),
        State(ids.BOOKMARKS_STORE, "data"),
        State(ids.VIEW_STORE, "data"),
        prevent_initial_call=True,
    )
    @reports_errors(3)
    def upload(contents, filename, entries, view):
        if not contents or not view or not view.get("tensor"):
            return no_update, no_update, no_update
        data = workspace.dataset(view["tensor"])
        payload = decode_upload(contents)
        try:
            states = loads(payload, data.n, data.dim, max_bytes=UPLOAD_LIMIT)
        except BookmarkError as error:
            raise BookmarkError(f"{filename}: {error} Your current bookmarks are kept.") from None
        added = [{"id": shelf.put(s), "title": s.label or f"{filename} #{i + 1}"} for i, s in enumerate(states)]
        entries = [*(entries or []), *added]
        return entries, len(entries) - len(added), []

    @app.callback(
        Output(ids.BOOKMARKS_STORE, "data", allow_duplicate=True),
        Output(ids.BOOKMARK_CURSOR, "data", allow_duplicate=True),
        Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
        Input(ids.TENSOR_SELECT, "value"),
        prevent_initial_call=True,
    )
    @reports_errors(3)
    def open_bookmarks_path(key):
        if not key:
            return [], None, no_update
        spec = workspace.spec(key)
        if not spec.bookmarks_path:
            return [], None, no_update
        data = workspace.dataset(key)
        try:
            states = read_bookmarks_file(workspace.logdir, spec.bookmarks_path, data.n, data.dim)
        except ProjectorError as error:  # the other tensor's bookmarks must not linger in the list
            return [], None, banner([str(error)])
        shown = Path(spec.bookmarks_path).name
        entries = [{"id": shelf.put(s), "title": s.label or f"{shown} #{i + 1}"} for i, s in enumerate(states)]
        return entries, None, banner([])

    @app.callback(
        Output(ids.CSV_FILE, "data"),
        Output(ids.BANNER_ACTION, "children", allow_duplicate=True),
        Input(ids.EXPORT_CSV, "n_clicks"),
        State(ids.VIEW_STORE, "data"),
        State(ids.PROJECTION_STORE, "data"),
        State(ids.SELECTION_STORE, "data"),
        State(ids.NEIGHBORS_STORE, "data"),
        State(ids.SPHERIZE, "value"),
        prevent_initial_call=True,
    )
    @reports_errors(2)
    def export(_clicks, view, projection, selection, neighbors, spherize):
        if not view or not view.get("tensor") or not projection:
            raise BookmarkError("Open a tensor and wait for the plot before exporting.")
        key = view["tensor"]
        data = workspace.dataset(key)
        subset = subset_array(view.get("indices"))
        projected = project(workspace, key, subset, bool(spherize), projection)
        rows = visible_rows(subset, data.n)
        text = coordinates_csv(
            projected.coords, rows, data.metadata, selected_rows(selection, neighbors, key), projected.titles
        )
        name = f"{data.spec.name.replace('/', '_')}-{projection.get('method', 'view')}.csv"
        return dcc.send_string(text, name), []
