"""The points on screen: the view (a tensor and an optional sorted subset of its rows), the selection in it,
a bookmark being opened, and label text for the points."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

INDEX_COLUMN = "__index__"


def subset_array(indices: list[int] | None) -> np.ndarray | None:
    """The isolated rows as a sorted unique int64 array, or None when every row is shown."""
    if indices is None:
        return None
    return np.unique(np.asarray(indices, dtype=np.int64))


def subset_digest(indices: np.ndarray | None) -> str:
    """A short stable name for a subset of rows (``"all"`` for every row)."""
    if indices is None:
        return "all"
    return hashlib.blake2b(np.asarray(indices, dtype=np.int64).tobytes(), digest_size=12).hexdigest()


def visible_rows(subset: np.ndarray | None, n: int) -> np.ndarray:
    """Dataset rows drawn in the plot, in trace order."""
    return np.arange(n, dtype=np.int64) if subset is None else subset


def to_positions(subset: np.ndarray | None, rows: np.ndarray) -> np.ndarray:
    """Trace positions of dataset ``rows``; rows not on screen are dropped."""
    rows = np.asarray(rows, dtype=np.int64)
    if subset is None:
        return rows
    if subset.size == 0:
        return np.empty(0, dtype=np.int64)
    pos = np.minimum(np.searchsorted(subset, rows), subset.size - 1)
    positions: np.ndarray = pos[subset[pos] == rows]
    return positions


def to_rows(subset: np.ndarray | None, positions: np.ndarray) -> np.ndarray:
    """Dataset rows of trace ``positions``."""
    positions = np.asarray(positions, dtype=np.int64)
    return positions if subset is None else subset[positions]


def point_labels(metadata: pd.DataFrame, column: str | None) -> np.ndarray:
    """One label string per dataset row from ``column``; row numbers when there is no such column."""
    if column and column != INDEX_COLUMN and column in metadata.columns:
        return metadata[column].astype(str).to_numpy()
    return np.arange(len(metadata)).astype(str)


LABEL_PREFERENCE = ("label", "name", "word", "title", "text")


def default_label_column(columns: list[str]) -> str:
    """The column points are labelled by at first: a label-like name, else the first column, else the row."""
    for preferred in LABEL_PREFERENCE:
        for column in columns:
            if column.lower() == preferred:
                return column
    return columns[0] if columns else INDEX_COLUMN


@dataclass(frozen=True)
class View:
    """The tensor on screen, which of its rows are in view and which of its training steps; the browser
    keeps it as small JSON.

    The step is not part of the view's :attr:`token`: payloads name rows (colours, highlight, labels), and the
    rows stay when the step moves. ``moved`` says the view came from moving the step alone (the selection,
    search and highlight then stay); it is not compared.
    """

    tensor: str
    indices: tuple[int, ...] | None = None  # isolated rows, sorted and unique; None = every row
    step: int | None = None  # the training step shown; None = the latest (or a tensor without steps)
    moved: bool = field(default=False, compare=False)

    @classmethod
    def of(cls, tensor: str, rows: np.ndarray | list[int] | None = None, step: int | None = None) -> View:
        """The view of ``rows`` of ``tensor`` (every row when None) at ``step``."""
        if rows is None:
            return cls(tensor, step=step)
        return cls(tensor, tuple(np.unique(np.asarray(rows, dtype=np.int64)).tolist()), step)

    @functools.cached_property
    def subset(self) -> np.ndarray | None:
        """The isolated rows as an int64 array, or None when every row is shown."""
        return None if self.indices is None else np.asarray(self.indices, dtype=np.int64)

    @property
    def token(self) -> str:
        """A short name of the view: what the browser compares to know a payload is for what it shows."""
        return f"{self.tensor}|{subset_digest(self.subset)}"

    def at_step(self, step: int | None) -> View:
        """The same rows of the same tensor at another step, marked as moved there."""
        return View(self.tensor, self.indices, step, moved=True)

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "tensor": self.tensor,
            "indices": None if self.indices is None else list(self.indices),
        }
        if self.step is not None:
            record["step"] = self.step
        if self.moved:
            record["moved"] = "step"
        return record

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> View | None:
        """The view a store holds, or None when it shows no tensor."""
        if not data or not data.get("tensor"):
            return None
        step = data.get("step")
        view = cls.of(str(data["tensor"]), data.get("indices"), None if step is None else int(step))
        return replace(view, moved=True) if data.get("moved") == "step" else view


@dataclass(frozen=True)
class Selection:
    """The selected rows of a tensor, the clicked one (``anchor``, whose neighbours are listed) and how
    they were selected (``search``, ``click``, ``drag``, ``sphere``, ``bookmark`` or ``clear``)."""

    tensor: str
    points: tuple[int, ...] = ()
    anchor: int | None = None
    source: str = "clear"

    @classmethod
    def of(
        cls, tensor: str, rows: np.ndarray | list[int], anchor: int | None = None, source: str = "clear"
    ) -> Selection:
        return cls(tensor, tuple(int(r) for r in np.asarray(rows, dtype=np.int64).reshape(-1)), anchor, source)

    def rows(self, neighbors: dict[str, Any] | None = None) -> np.ndarray:
        """Selected rows plus the anchor's listed ``neighbors`` (a neighbours record ``{anchor, indices}``)."""
        rows = list(self.points)
        if self.anchor is not None and neighbors and neighbors.get("anchor") == self.anchor:
            rows.extend(neighbors.get("indices") or [])
        return np.unique(np.asarray(rows, dtype=np.int64))

    def to_json(self) -> dict[str, Any]:
        return {"tensor": self.tensor, "points": list(self.points), "anchor": self.anchor, "source": self.source}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None, tensor: str | None = None) -> Selection | None:
        """The selection a store holds; None when there is none, or it was made on another tensor."""
        if not data or not data.get("tensor") or (tensor is not None and data["tensor"] != tensor):
            return None
        anchor = data.get("anchor")
        return cls.of(
            data["tensor"],
            data.get("points") or [],
            None if anchor is None else int(anchor),
            str(data.get("source") or "clear"),
        )


def selected_rows(
    selection: dict[str, Any] | None, neighbors: dict[str, Any] | None, tensor: str | None = None
) -> np.ndarray:
    """Selected dataset rows of a stored selection plus the clicked point's listed neighbours (none if the
    selection was made on another tensor than ``tensor``)."""
    sel = Selection.from_json(selection, tensor)
    return np.empty(0, dtype=np.int64) if sel is None else sel.rows(neighbors)


@dataclass(frozen=True)
class Opening:
    """A bookmark being opened: the layout to draw (``result`` in the shared result cache), its selection
    and camera. The browser sends it once, beside the view it opens."""

    id: str
    method: str
    result: str
    dimension: int
    selected: tuple[int, ...] = ()
    camera: dict[str, Any] | None = None
    axes: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "selected": list(self.selected), "axes": list(self.axes)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Opening | None:
        if not data:
            return None
        return cls(
            str(data["id"]),
            str(data["method"]),
            str(data["result"]),
            int(data["dimension"]),
            tuple(int(r) for r in data.get("selected") or ()),
            data.get("camera") if isinstance(data.get("camera"), dict) else None,
            tuple(int(a) for a in data.get("axes") or ()),
        )
