"""Two embeddings of the same rows side by side: what the open tensor can be compared with, the second
embedding drawn in the first one's projection, and how each point's neighbourhood differs between them.

Rows are matched by index: row i of the second embedding is the same item as row i of the first (another
step of the same tensor, another run or model trained on the same items); or by a metadata column both
tables have, when the second lists the same items in another order. The second view is turned
(rotated or mirrored, never stretched) to lie as close as it can to the first, so the same cluster sits in
the same corner of both plots.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from projector.alignment import match_rows, neighborhood_change, turned_to
from projector.dataset import Dataset, content_hash
from projector.errors import InputError, ProjectorError
from projector.projection import METHOD_NAMES, Projected, pca_spec, project
from projector.view import subset_digest, visible_rows
from projector.workspace import Workspace

STEP_MARK = "@step="
_CHOICE = re.compile(r"(?P<key>.{1,900}?)(?:@step=(?P<step>\d{1,18}))?")
MAX_OPTIONS = 200  # choices listed (the steps first, then the tensors in the runs' order): a page stays light
MAX_CHANGE_ROWS = 20_000  # exact neighbours in both spaces: quadratic in the points (as "moved since")
MOST_CHANGED = 20


@dataclass(frozen=True)
class Choice:
    """The second embedding: a tensor key, and one of its steps (None: as the tensor opens)."""

    key: str
    step: int | None = None

    @property
    def value(self) -> str:
        return self.key if self.step is None else f"{self.key}{STEP_MARK}{self.step}"


def parse_choice(value: object) -> Choice | None:
    """The choice a ``compare-tensor`` value names; None for none."""
    if value in (None, ""):
        return None
    match = _CHOICE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InputError("Pick the tensor to compare with from the list.")
    step = match.group("step")
    return Choice(match.group("key"), None if step is None else int(step))


def compare_options(workspace: Workspace, data: Dataset, session: str | None = None) -> list[dict[str, str]]:
    """The embeddings ``data`` can be compared with: its other saved steps, then every tensor of the logdir (and
    the session's uploads) of the same number of rows, or of a number not known before it is read."""
    spec = data.spec
    options = [
        {"label": f"this tensor at step {s:,}", "value": Choice(spec.key, s).value}
        for s in spec.steps
        if s != spec.step
    ]
    for run in workspace.runs(session):
        for other in workspace.listing(run, session).specs:
            shape = other.tensor_shape
            if other.key != spec.key and (shape is None or shape[0] == data.n):
                options.append({"label": f"{run}: {other.label}", "value": Choice(other.key).value})
            if len(options) >= MAX_OPTIONS:
                return options
    return options


def second_dataset(
    workspace: Workspace, data: Dataset, choice: Choice, by: str | None = None, session: str | None = None
) -> Dataset:
    """The dataset ``choice`` names, its rows in ``data``'s order: by index, or paired by the metadata column
    ``by`` that both tables have (each key once on each side, every row paired)."""
    other = workspace.dataset(choice.key, session, step=choice.step)
    if by:
        return _paired(workspace, data, other, by)
    if other.n != data.n:
        raise InputError(
            f"{other.spec.label} holds {other.n:,} points and the open tensor {data.n:,}: rows are matched by "
            "their index, so pick a tensor of the same points (or match the rows by a column both have)."
        )
    return other


def _paired(workspace: Workspace, data: Dataset, other: Dataset, by: str) -> Dataset:
    for table, name in ((data, "the open tensor"), (other, other.spec.label)):
        if by not in table.metadata.columns:
            raise InputError(f"Rows are matched by the column {by!r}, which {name} has not: pick a column both have.")

    def compute() -> Dataset:
        match = match_rows(data.metadata[by], other.metadata[by])
        order = match.second  # every row paired, in the first table's order
        vectors = np.ascontiguousarray(other.vectors[order])
        return replace(
            other,
            vectors=vectors,
            metadata=other.metadata.iloc[order].reset_index(drop=True),
            row_ids=other.row_ids[order],
            sprite=None,  # a sprite's cells are in the file's order
            content_hash=content_hash(vectors),
        )

    key = (other.content_hash, other.metadata_hash, data.metadata_hash, by)
    return workspace.cache.get_or_compute("paired", key, compute)


def name_of(data: Dataset) -> str:
    """How the second embedding is named: its tensor, and the step when it has several."""
    spec = data.spec
    step = f" at step {spec.step:,}" if spec.step is not None and len(spec.steps) > 1 else ""
    return f"{spec.label}{step}"


def second_view(
    workspace: Workspace,
    first: Projected,
    other: Dataset,
    subset: np.ndarray | None,
    spherized: bool,
) -> tuple[Projected, str]:
    """The second embedding's coordinates in the first view's projection where it can be computed here (PCA,
    custom axes), else in PCA, turned onto the first view's; and a line saying what is drawn."""
    spec, method = first.spec, first.spec.get("method")
    dimension = first.coords.shape[1]
    name = METHOD_NAMES.get(str(method), str(method))
    projected, note = None, f"{name_of(other)}, {name} as on the left"
    if method in ("pca", "custom") and not spec.get("result"):
        try:
            projected = project(workspace, other, subset, spherized, spec)
        except ProjectorError as error:
            note = f"{name_of(other)} in PCA: {error}"
    elif method in ("tsne", "umap"):
        note = f"{name_of(other)} in PCA ({name} is run on the tensor that is open: open it to run one)"
    if projected is None:
        components = workspace.pca(other, subset, spherized).coords.shape[1]
        projected = project(workspace, other, subset, spherized, pca_spec(list(range(min(dimension, components)))))
    if projected.coords.shape == first.coords.shape:
        projected = Projected(turned_to(first.coords, projected.coords), projected.titles, projected.spec)
    return projected, f"{note}, turned to match it."


def change_scores(
    workspace: Workspace, data: Dataset, other: Dataset, subset: np.ndarray | None, k: int, metric: str
) -> np.ndarray:
    """Per visible row, 1 − Jaccard of its ``k`` exact nearest neighbours (among the visible rows) in the two
    embeddings' original spaces, cached per pair, subset, k and metric."""
    rows = visible_rows(subset, data.n)
    if rows.size > MAX_CHANGE_ROWS:
        raise InputError(
            f"Neighbourhood change counts every point's exact neighbours in both embeddings: at most "
            f"{MAX_CHANGE_ROWS:,} points, and {rows.size:,} are in view. Isolate fewer points first."
        )
    k = min(int(k), max(rows.size - 1, 1))
    key = (data.content_hash, other.content_hash, subset_digest(subset), k, metric)
    return workspace.cache.get_or_compute(
        "compare", key, lambda: neighborhood_change(data.vectors[rows], other.vectors[rows], k, metric)
    )


def shared_neighbours(first: list[int], second: list[int]) -> set[int]:
    """The rows both neighbour lists hold."""
    return set(first) & set(second)
