"""The spec that reads one saved step of an embedding listed with several (see ``EmbeddingSpec.steps``)."""

from __future__ import annotations

from dataclasses import replace

from projector.errors import InputError
from projector.logdir import EmbeddingSpec


def step_spec(spec: EmbeddingSpec, step: int) -> EmbeddingSpec:
    """``spec`` reading ``step``: that step's tensor file or checkpoint, and its metadata and sprite when it has
    its own (else the spec's); InputError naming the steps there are when ``spec`` has not that one.

    The result keeps ``spec``'s name, key and steps, so a view stays on the same tensor while its step
    changes; ``step`` and the paths differ, so two steps never share a cached dataset. The latest step gives
    ``spec`` itself back.
    """
    source = next((s for s in spec.step_sources if s.step == step), None)
    if source is None:
        raise InputError(_no_such_step(spec, step))
    return replace(
        spec,
        step=step,
        checkpoint=source.checkpoint,
        tensor_path=source.tensor_path,
        tensor_shape=source.tensor_shape,
        metadata_path=source.metadata_path,
        sprite_path=source.sprite_path,
        sprite_dim=source.sprite_dim,
    )


def _no_such_step(spec: EmbeddingSpec, step: int) -> str:
    what = f"Tensor {spec.name!r} of run {spec.run!r}"
    if not spec.steps:
        return f"{what} is not saved at numbered training steps, so it has no step {step}; open it without a step."
    return (
        f"{what} has no step {step}; its steps are {_listed(spec.steps)}. Pick one of those (a step whose "
        "files were deleted is no longer listed)."
    )


def _listed(steps: tuple[int, ...], shown: int = 8) -> str:
    """``steps`` for a message: all of them, or the first and last few when there are many."""
    if len(steps) <= shown:
        return ", ".join(map(str, steps))
    half = shown // 2
    return f"{', '.join(map(str, steps[:half]))}, … {', '.join(map(str, steps[-half:]))} ({len(steps):,} steps)"
