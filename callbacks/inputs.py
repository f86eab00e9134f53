"""What each callback input may hold, and the request hook that checks every one before Dash runs a callback.

Every ``(component id, property)`` a server callback reads is in :data:`TYPES` (or, for properties that
mean the same everywhere, :data:`BY_PROPERTY`), with its parser from :mod:`projector.inputs`. A request to
``_dash-update-component`` whose values do not parse is answered 400 with the input and the reason, before
any callback (or background job) starts. ``tests/test_abuse.py`` checks that every input of every callback
has a type here, so a new callback declares its inputs' types in this table.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, request

from callbacks import ids
from projector import inputs as parse
from projector.errors import InputError

log = logging.getLogger(__name__)

BY_PROPERTY: dict[str, parse.Parser] = {
    "n_clicks": parse.clicks,
    "n_intervals": parse.clicks,
    "n_submit": parse.clicks,
    "disabled": parse.flag,
    "contents": parse.upload,
    "filename": parse.text(),
    "pathname": parse.text(parse.MAX_URL),
    "search": parse.text(parse.MAX_URL),
    "clickData": parse.store,
    "selectedData": parse.store,
    "relayoutData": parse.store,
}

_TEXT = [
    ids.RUN_SELECT,
    ids.TENSOR_SELECT,
    ids.COLOR_BY,
    ids.LABEL_BY,
    ids.SEARCH_COLUMN,
    ids.CLICK_MODE,
    ids.DISTANCE_METRIC,
    ids.EDIT_BY_COLUMN,
    ids.CUSTOM_COLUMN,
    ids.TSNE_SUPERVISE_COLUMN,
    ids.BOOKMARK_TITLE,
    ids.COMPARE_TENSOR,
    ids.COMPARE_MATCH,
    ids.CLUSTER_NAME_BY,
]
_TYPED = [ids.SEARCH_INPUT, ids.EDIT_BY_VALUE, ids.CUSTOM_LEFT, ids.CUSTOM_RIGHT, ids.CUSTOM_UP, ids.CUSTOM_DOWN]
_CHECKLISTS = [
    ids.CHARTS_TOGGLE,
    ids.CHART_COLUMNS,
    ids.DENSITY_TOGGLE,
    ids.CATEGORICAL_COLORING,
    ids.TRAILS_TOGGLE,
    ids.COMPARE_COLOR,
    ids.UMAP_ALIGNED,
    ids.SPHERIZE,
    ids.SEARCH_REGEX,
    ids.CUSTOM_LEFT_REGEX,
    ids.CUSTOM_RIGHT_REGEX,
    ids.CUSTOM_UP_REGEX,
    ids.CUSTOM_DOWN_REGEX,
]
_FIELDS = [
    ids.NEIGHBORS_K,
    ids.SPHERE_RADIUS,
    ids.CLUSTER_MIN_SIZE,
    *ids.FORM_FIELDS["tsne"].values(),
    *ids.FORM_FIELDS["umap"].values(),
]
_STORES = [
    ids.PROJECTION_STORE,
    ids.PROJECTION_DONE,
    ids.HIGHLIGHT_STORE,
    ids.LIST_PICK,
    ids.BOOKMARKS_STORE,
    ids.BOOKMARK_OPENING,
    ids.TSNE_START,
    ids.COMPARE_HIGHLIGHT,
    ids.GROUP_PICK,
    ids.CLUSTER_STORE,
    ids.CLUSTER_AGAIN,
]

TYPES: dict[tuple[str, str], parse.Parser] = {
    **{(i, "value"): parse.field for i in _FIELDS},
    **{(i, "value"): parse.text() for i in _TEXT},  # after the fields: t-SNE's supervising column is text
    **{(i, "value"): parse.text(parse.MAX_TYPED) for i in _TYPED},
    **{(i, "value"): parse.checklist for i in _CHECKLISTS},
    **{(i, "value"): parse.index for i in (ids.PCA_X, ids.PCA_Y, ids.PCA_Z)},
    (ids.DIMENSION, "value"): parse.choice(2, 3),
    (ids.CLUSTER_SOURCE, "value"): parse.choice("vectors", "layout"),
    (ids.CLUSTER_STATUS, "children"): parse.text(),  # the job's own status line
    (ids.THEME_STORE, "data"): parse.choice("dark", "light"),
    (ids.DENSITY_DRAWN, "data"): parse.store,
    (ids.CLUSTER_PARAMS, "data"): parse.record("source", "view"),
    (ids.CHARTS_SELECTION, "data"): parse.record(),
    (ids.CHARTS_VIEW, "data"): parse.view,
    (ids.METADATA_CHART, "id"): parse.record("column"),  # a chart's own pattern-matching id
    (ids.STEP_SLIDER, "value"): parse.position,
    (ids.PROJECTION_TABS, "value"): parse.choice("pca", "tsne", "umap", "custom"),
    **{(i, "data"): parse.store for i in _STORES},
    (ids.SEARCH_QUERY, "data"): parse.text(parse.MAX_TYPED),
    (ids.METADATA_EDITED, "data"): parse.record("tensor"),
    (ids.PROJECTION_REQUEST, "data"): parse.record("view"),
    (ids.VIEW_STORE, "data"): parse.view,
    (ids.SELECTION_STORE, "data"): parse.selection,
    (ids.TRAILS_SELECTION, "data"): parse.selection,
    (ids.NEIGHBORS_STORE, "data"): parse.neighbors,
    (ids.COMPARE_NEIGHBOURS_OF, "data"): parse.neighbors,
    (ids.BOOKMARK_CURSOR, "data"): parse.index,
    (ids.BOOKMARK_GO, "data"): parse.index,
    (ids.TSNE_TOKEN, "data"): parse.text(64),
    (ids.UMAP_TOKEN, "data"): parse.text(64),
}


def parser_of(component_id: Any, prop: str) -> parse.Parser | None:
    """The parser of one input (a pattern-matching id by its ``type``), or None when it has none."""
    name = component_id.get("type") if isinstance(component_id, dict) else component_id
    return TYPES.get((name, prop)) or BY_PROPERTY.get(prop) if isinstance(name, str) else None


def check(items: Any) -> None:
    """Check a request's ``inputs`` or ``state``: Refused naming the first value that does not parse."""
    if not isinstance(items, list):
        raise parse.Refused("a callback request lists its inputs")
    for item in items:
        for one in item if isinstance(item, list) else [item]:  # a pattern-matching input: one per match
            if not isinstance(one, dict) or not isinstance(one.get("property"), str):
                raise parse.Refused("a callback input names its component and property")
            parser = parser_of(one.get("id"), one["property"])
            if parser is None:
                raise parse.Refused(f"no callback takes {str(one.get('id'))[:80]}.{one['property'][:40]}")
            try:
                parser(one.get("value"))
            except InputError as error:
                raise parse.Refused(f"{str(one.get('id'))[:80]}.{one['property'][:40]}: {error}") from None


def install(server: Flask, prefix: str) -> None:
    """Check every callback request's values before Dash reads them (Flask caches the parsed JSON for it)."""
    route = f"{prefix}_dash-update-component"

    @server.before_request
    def check_callback_inputs() -> Response | None:
        if request.path != route or request.method != "POST":
            return None
        body = request.get_json(silent=True)
        try:
            if not isinstance(body, dict):
                raise parse.Refused("a callback request is a JSON object")
            check(body.get("inputs", []))
            check(body.get("state", []))
        except parse.Refused as error:
            log.warning("Refused a callback request: %s", error)
            return Response(f"Refused: {error}", status=400, mimetype="text/plain")
        return None
