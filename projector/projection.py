"""Which coordinates are on screen, described as small JSON, and how to get them back.

A *projection spec* is what the browser keeps: enough to recompute (PCA, custom) or look up (t-SNE,
UMAP, from the shared result cache) the drawn coordinates of a view without sending them back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from projector.custom import custom_projection
from projector.dataset import Dataset
from projector.errors import ProjectorError
from projector.workspace import Workspace

METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP", "custom": "Custom"}


@dataclass
class Projected:
    """Coordinates of the visible points, axis titles and the spec that reproduces them."""

    coords: np.ndarray
    titles: list[str]
    spec: dict
    notes: list[str] = field(default_factory=list)


class LayoutMissing(ProjectorError):
    """A t-SNE or UMAP layout is not in the result cache (not run yet, or evicted)."""


def pca_spec(axes: list[int]) -> dict:
    return {"method": "pca", "axes": [int(a) for a in axes]}


def layout_spec(method: str, result: str, dimension: int) -> dict:
    return {"method": method, "result": result, "dimension": int(dimension)}


def custom_spec(column: str | None, left: str, right: str, up: str, down: str, regex: bool) -> dict:
    return {
        "method": "custom",
        "column": column or "",
        "left": left or "",
        "right": right or "",
        "up": up or "",
        "down": down or "",
        "regex": bool(regex),
    }


def project(
    workspace: Workspace, tensor: str | Dataset, subset: np.ndarray | None, spherized: bool, spec: dict
) -> Projected:
    """The coordinates ``spec`` describes for a tensor (key or dataset) restricted to ``subset``."""
    method = spec.get("method")
    if spec.get("result"):  # a finished t-SNE/UMAP run or a restored bookmark: coordinates as stored
        layout = workspace.results.get(spec["result"])
        if layout is None:
            raise LayoutMissing(
                f"The {METHOD_NAMES.get(method, method)} layout is no longer cached; "
                "press Run (or open the bookmark) again."
            )
        if method == "pca" and spec.get("axes"):
            titles = [f"Component #{a + 1}" for a in spec["axes"]][: layout.shape[1]]
        else:
            titles = [f"{METHOD_NAMES.get(method, method)} {i + 1}" for i in range(layout.shape[1])]
        return Projected(layout, titles, spec)
    if method == "pca":
        result = workspace.pca(tensor, subset, spherized)
        axes = spec["axes"]
        return Projected(result.coords[:, axes], [f"Component #{a + 1}" for a in axes], spec)
    if method == "custom":
        data = workspace.resolve(tensor)
        rows = slice(None) if subset is None else subset
        metadata = data.metadata.iloc[rows].reset_index(drop=True)
        result = custom_projection(
            workspace.vectors(data, subset, spherized),
            metadata,
            spec["column"] or None,
            spec["left"],
            spec["right"],
            spec["up"],
            spec["down"],
            regex=spec["regex"],
        )
        return Projected(result.coords, [result.x_title, result.y_title], spec, list(result.notes))
    raise ProjectorError(f"Unknown projection {method!r}; choose one of {', '.join(METHOD_NAMES)}.")
