"""What moved between two training steps of one tensor: a colour-by option per step, and the scores behind it.

A tensor saved at several steps offers "moved since step S" beside its metadata columns. Each point is
scored by :func:`projector.alignment.change_score`: how far it went in the original space (in units of the
neighbour distance at step S) and how many of its nearest neighbours it lost. The neighbourhood half needs
every point's exact neighbours at both steps, quadratic in the points, so above :data:`MAX_NEIGHBOURHOOD_ROWS`
a score is the distance half alone and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from projector.alignment import change_score, moved_since, neighborhood_change

OPTION_TEXT = "moved since step {step}"
_OPTION = re.compile(r"moved since step (\d{1,18})")
MAX_NEIGHBOURHOOD_ROWS = 20_000  # about 5 s of exact neighbours at 128 dimensions on two cores
NEIGHBOURS = 10  # the neighbourhood compared, as the inspector's default
MOST_CHANGED = 20  # points listed under the legend


def moved_options(steps: tuple[int, ...] | list[int]) -> list[dict[str, str]]:
    """Colour-by options for a tensor's steps (none for a tensor saved once)."""
    if len(steps) < 2:
        return []
    return [{"label": f"moved since step {s:,}", "value": OPTION_TEXT.format(step=s)} for s in steps]


def moved_step(value: object, columns: list[str] | tuple[str, ...]) -> int | None:
    """The step S of a "moved since step S" colour-by value; None for anything else, a metadata column of
    that very name included (a column always wins)."""
    if not isinstance(value, str) or value in columns:
        return None
    match = _OPTION.fullmatch(value)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class StepChange:
    """Per-point change scores in [0, 1) between step S and the step shown, and how they were made."""

    scores: np.ndarray  # float32 (N,)
    with_neighbourhood: bool  # False above MAX_NEIGHBOURHOOD_ROWS: the distance moved alone

    @property
    def note(self) -> str:
        if self.with_neighbourhood:
            return f"distance moved and {NEIGHBOURS} nearest neighbours lost, 0 (same) to 1"
        return (
            f"distance moved only: over {MAX_NEIGHBOURHOOD_ROWS:,} points the lost neighbours are not counted "
            "(isolate fewer points to count them)"
        )


def change_between(earlier: np.ndarray, later: np.ndarray, metric: str = "euclidean") -> StepChange:
    """The change of each row from ``earlier`` (step S) to ``later`` (same rows, same dimensions)."""
    moved = moved_since(earlier, later, metric)
    if len(earlier) > MAX_NEIGHBOURHOOD_ROWS:
        distance_only = moved / (1.0 + moved)  # change_score's distance half, on the same scale
        return StepChange(distance_only.astype(np.float32), with_neighbourhood=False)
    lost = neighborhood_change(earlier, later, NEIGHBOURS, "cosine" if metric == "cosine" else "euclidean")
    return StepChange(change_score(moved, lost), with_neighbourhood=True)
