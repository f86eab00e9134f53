"""One cluster run on a view: its points (the vectors, or the layout on screen) clustered by HDBSCAN, each
cluster named from a metadata column, the result written as the session's ``cluster`` metadata column (so it
colours, labels, searches and exports like any other). The cluster numbers are kept in the shared result
cache like a layout: the same run again (another visitor, a bookmark reopened) skips HDBSCAN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from projector.clusters import (
    COLUMN,
    MAX_FIT,
    NOISE,
    SOURCES,
    check_min_size,
    cluster_names,
    cluster_values,
    default_min_size,
    find_clusters,
)
from projector.dataset import Dataset
from projector.errors import InputError
from projector.view import View, visible_rows
from projector.workspace import Workspace


@dataclass(frozen=True)
class ClusterRun:
    """What a run found: each cluster's name and size (largest first), the noise points, all points."""

    names: list[str]
    sizes: list[int]
    noise: int
    points: int
    cached: bool
    fitted: int  # the points HDBSCAN was fitted on (a sample of a large view; the others joined the nearest)

    def summary(self) -> str:
        found = f"{len(self.names)} cluster{'' if len(self.names) == 1 else 's'}"
        notes = [f"fitted on a sample of {self.fitted:,}"] if self.fitted < self.points else []
        notes += ["from the cache"] if self.cached else []
        return f"{found} in {self.points:,} points, {self.noise:,} as noise" + (
            f" ({'; '.join(notes)})" if notes else ""
        )


def cluster_key(
    workspace: Workspace, data: Dataset, view: View, spherized: bool, source: str, layout_id: str | None, size: int
) -> str:
    """The shared-cache key of a run's cluster numbers."""
    extra: dict[str, object] = {"source": source, "min_size": size}
    if source == "layout":
        extra["layout"] = layout_id
    return workspace.result_key(data, view.subset, spherized, "clusters", extra)


def run_clusters(
    workspace: Workspace,
    view: View,
    *,
    session: str | None,
    spherized: bool,
    source: str,
    min_size: object,
    name_by: str | None,
    layout: np.ndarray | None = None,
    layout_id: str | None = None,
    on_stage: Callable[[str], object] | None = None,
) -> ClusterRun:
    """Cluster ``view``'s points (``source`` "vectors", or "layout": ``layout``, the coordinates on screen,
    named ``layout_id``), name the clusters from metadata column ``name_by`` (None: numbered) and write the
    ``cluster`` column for ``session``. InputError for a source, size or column the view cannot take."""
    data = workspace.view_data(view, session)
    rows = visible_rows(view.subset, data.n)
    if source not in SOURCES:
        raise InputError(f"Clusters are found on the vectors or on the layout on screen; got {source!r}.")
    size = default_min_size(rows.size) if min_size in (None, "") else check_min_size(min_size, rows.size)
    if name_by is not None and (name_by == COLUMN or name_by not in data.metadata.columns):
        raise InputError(f"Clusters can be named by a metadata column of this tensor; {name_by!r} is not one.")
    if source == "layout":
        if layout is None or not layout_id or np.shape(layout)[0] != rows.size:
            raise InputError("The layout on screen is not of these points: wait for the plot, then run again.")
        points = np.asarray(layout)
    else:
        points = workspace.vectors(data, view.subset, spherized)
    key = cluster_key(workspace, data, view, spherized, source, layout_id, size)
    stored = workspace.results.get(key)
    cached = stored is not None and stored.shape == (rows.size,)
    if stored is None or not cached:
        if on_stage is not None:
            sampled = f" (HDBSCAN on a sample of {MAX_FIT:,})" if rows.size > MAX_FIT else ""
            on_stage(f"finding clusters of at least {size:,} points in {rows.size:,}{sampled}")
        stored = find_clusters(points, size)
        workspace.results.set(key, stored.astype(np.int32), meta={"source": source, "min_size": size})
    labels = stored.astype(np.int64)
    column = data.metadata[name_by].iloc[rows].reset_index(drop=True) if name_by is not None else None
    names = cluster_names(labels, column)
    workspace.set_column(view.tensor, COLUMN, rows, cluster_values(labels, names), session)
    sizes = np.bincount(labels[labels != NOISE], minlength=len(names)).tolist()
    fitted = min(int(rows.size), MAX_FIT)
    return ClusterRun(names, [int(s) for s in sizes], int((labels == NOISE).sum()), int(rows.size), cached, fitted)
