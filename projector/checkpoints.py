"""TF1 (``tf.compat.v1.train.Saver``) and TF2 (``tf.train.Checkpoint``) checkpoints.

Finding a checkpoint prefix needs no TensorFlow (the ``checkpoint`` state file is parsed here);
listing and reading variables import TensorFlow inside the functions, so importing this module
stays cheap.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from projector.cache import LRUCache, cached
from projector.errors import CheckpointError, TensorError

log = logging.getLogger(__name__)

STATE_FILENAME = "checkpoint"
TF2_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"

# Keys that are bookkeeping, never embeddings.
_BOOKKEEPING = {"_CHECKPOINTABLE_OBJECT_GRAPH", "save_counter", "global_step", "beta1_power", "beta2_power"}
# The last component of a TF1 optimizer slot variable, e.g. "embedding/Adam_1".
_TF1_SLOT = re.compile(
    r"^(Adam|Adam_\d+|Nadam(_\d+)?|Momentum|RMSProp(_\d+)?|Adagrad|AdagradDA(_\d+)?|Adadelta(_\d+)?"
    r"|Ftrl(_\d+)?|ProximalAdagrad|ExponentialMovingAverage|Adamax(_\d+)?|LAMB(_\d+)?)$"
)
# Variables that only an optimizer object has (its other keys are then all slots).
_TF2_OPTIMIZER_MARKERS = ("/_iterations" + TF2_SUFFIX, "/iter" + TF2_SUFFIX)


def _tf() -> Any:
    """TensorFlow, imported on first use (it costs seconds) with its C++ chatter turned down."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise CheckpointError("Reading TensorFlow checkpoints needs TensorFlow: pip install tensorflow-cpu") from error
    return tf


def readable_name(key: str) -> str:
    """The name shown to users: ``embedding/.ATTRIBUTES/VARIABLE_VALUE`` -> ``embedding``, ``w:0`` -> ``w``."""
    if key.endswith(TF2_SUFFIX):
        key = key[: -len(TF2_SUFFIX)]
    if key.endswith(":0"):
        key = key[:-2]
    return key


def optimizer_owners(keys: set[str] | frozenset[str]) -> set[str]:
    """Attribute paths of TF2 optimizers in a checkpoint, recognised by their ``_iterations``/``iter`` variable."""
    owners = set()
    for key in keys:
        for marker in _TF2_OPTIMIZER_MARKERS:
            if key.endswith(marker) and len(key) > len(marker):
                owners.add(key[: -len(marker)])
    return owners


def is_optimizer_slot(key: str, owners: set[str] | frozenset[str] = frozenset()) -> bool:
    """Whether ``key`` is optimizer state or bookkeeping rather than a model variable.

    ``owners`` (from :func:`optimizer_owners`) lets TF2 optimizers saved under any attribute
    name, not only ``optimizer``, be recognised.
    """
    name = readable_name(key)
    if key in _BOOKKEEPING or name in _BOOKKEEPING:
        return True
    if "/.OPTIMIZER_SLOT/" in key or key.startswith("optimizer/"):
        return True
    if "/" in name and _TF1_SLOT.match(name.rsplit("/", 1)[-1]):
        return True
    return any(key.startswith(owner + "/") for owner in owners)


def inside(path: str | Path, within: str | Path | None) -> bool:
    """Whether ``path``, symlinks followed, lies in directory ``within`` (always true when ``within`` is None)."""
    if within is None:
        return True
    real, root = os.path.realpath(path), os.path.realpath(within)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _prefix_exists(prefix: str, within: str | Path | None = None) -> bool:
    """Whether a checkpoint is at ``prefix``; what lies outside ``within`` is not even looked at."""
    index = prefix + ".index"
    if inside(index, within) and os.path.exists(index):
        return True
    return not prefix.endswith(".index") and inside(prefix, within) and os.path.isfile(prefix)


_QUOTED = r'"((?:[^"\\]|\\.)*)"'


def _unquote(text: str) -> str:
    return text.encode("utf-8").decode("unicode_escape")


def _read_state(directory: str, within: str | Path | None) -> str | None:
    """The text of ``directory/checkpoint``; None when it is absent, unreadable or leads outside ``within``."""
    state = os.path.join(directory, STATE_FILENAME)
    if not inside(state, within):
        log.warning("%s leads outside %s; not read", state, within)
        return None
    try:
        return Path(state).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _locate(directory: str, named: str, within: str | Path | None) -> str | None:
    """The checkpoint prefix a state file line names, made absolute, if it exists on disk."""
    candidate = named if os.path.isabs(named) else os.path.join(directory, named)
    # TF1 savers write absolute paths: in a logdir that was moved or copied, the files beside
    # the state file are the ones meant, even if the original location still exists.
    local = os.path.join(directory, os.path.basename(named))
    for path in (local, candidate) if os.path.isabs(named) else (candidate,):
        if _prefix_exists(path, within):
            return os.path.normpath(path)
    return None


def _state_file_prefix(directory: str, within: str | Path | None = None) -> str | None:
    """The ``model_checkpoint_path`` of ``directory/checkpoint``, made absolute, if it exists on disk."""
    text = _read_state(directory, within)
    return None if text is None else _named_latest(directory, text, within)


def _named_latest(directory: str, text: str, within: str | Path | None) -> str | None:
    state = os.path.join(directory, STATE_FILENAME)
    match = re.search(rf"^\s*model_checkpoint_path\s*:\s*{_QUOTED}", text, re.MULTILINE)
    if not match:
        log.warning("%s has no model_checkpoint_path line", state)
        return None
    named = _unquote(match.group(1))
    found = _locate(directory, named, within)
    if found is None:
        log.warning("%s names %s, which does not exist (or lies outside %s)", state, named, within)
    return found


def kept_checkpoints(directory: str | Path, *, within: str | Path | None = None) -> list[str]:
    """The checkpoints ``directory/checkpoint`` lists that still exist, oldest first, the latest last.

    These are ``all_model_checkpoint_paths`` (what ``tf.train.CheckpointManager`` and a TF1 ``Saver``
    keep, ``max_to_keep`` of them) then ``model_checkpoint_path``; a checkpoint deleted since, or lying
    outside ``within``, is left out.
    """
    directory = os.fspath(directory)
    text = _read_state(directory, within)
    if text is None:
        return []
    named = [_unquote(m) for m in re.findall(rf"^\s*all_model_checkpoint_paths\s*:\s*{_QUOTED}", text, re.MULTILINE)]
    latest = _named_latest(directory, text, within)
    found = [p for p in (_locate(directory, n, within) for n in named) if p is not None and p != latest]
    kept = list(dict.fromkeys(found))
    return kept + [latest] if latest else kept


def step_number(prefix: str) -> int | None:
    """The training step in a checkpoint's name: the digits after the last ``-`` (``ckpt-3`` -> 3,
    ``model.ckpt-1000`` -> 1000), None when there are none.

    ``CheckpointManager.save(checkpoint_number=...)`` and ``Saver.save(global_step=...)`` write the step
    there (a manager's default is its save count), so the name alone tells it, without opening the file.
    """
    match = re.search(r"-([0-9]{1,18})$", os.path.basename(prefix))
    return int(match.group(1)) if match else None


def latest_checkpoint(directory: str | Path, *, within: str | Path | None = None) -> str | None:
    """The newest checkpoint prefix in ``directory`` (from its ``checkpoint`` file, else the newest ``*.index``).

    With ``within`` given, files that lie (symlinks followed) outside that directory are never opened.
    """
    directory = os.fspath(directory)
    prefix = _state_file_prefix(directory, within)
    if prefix:
        return prefix
    try:
        indexes = [
            e for e in os.scandir(directory) if e.name.endswith(".index") and inside(e.path, within) and e.is_file()
        ]
    except OSError:
        return None
    if not indexes:
        return None
    newest = max(indexes, key=lambda e: (e.stat().st_mtime_ns, e.name))
    return os.path.normpath(newest.path[: -len(".index")])


def resolve_checkpoint(
    path: str | Path,
    base_dir: str | Path | None = None,
    *,
    name: str | None = None,
    within: str | Path | None = None,
) -> str:
    """The checkpoint prefix that ``path`` names: a prefix, an ``.index`` file, or a directory (its latest).

    Relative paths are taken from ``base_dir``. Raises CheckpointError when nothing is there;
    ``name`` is how the path is shown in that message. Files outside ``within`` are never opened.
    """
    text = os.path.expanduser(os.fspath(path))
    if base_dir is not None and not os.path.isabs(text):
        text = os.path.join(os.fspath(base_dir), text)
    text = os.path.normpath(text)
    shown = name or os.fspath(path)
    if os.path.isdir(text):
        found = latest_checkpoint(text, within=within)
        if found is None:
            raise CheckpointError(
                f"Checkpoint directory {shown} holds no checkpoint (no 'checkpoint' file and no *.index files); "
                "save one there or point model_checkpoint_path at a checkpoint prefix such as ckpt-1."
            )
        return found
    if text.endswith(".index"):
        text = text[: -len(".index")]
    if not _prefix_exists(text, within):
        raise CheckpointError(
            f"Checkpoint {shown} not found (expected {os.path.basename(text)}.index beside its data files); "
            "fix model_checkpoint_path or remove it to use the run's latest checkpoint."
        )
    return text


def signature(prefix: str) -> tuple[str, int, int]:
    """``(prefix, mtime_ns, size)`` of the checkpoint's index file (of ``prefix`` itself when it has none)."""
    try:
        st = os.stat(prefix + ".index")
    except OSError:
        st = os.stat(prefix)
    return (prefix, st.st_mtime_ns, st.st_size)


def list_variables(
    prefix: str, *, name: str | None = None, cache: LRUCache | None = None
) -> dict[str, tuple[int, ...]]:
    """Every variable of the checkpoint as ``{key: shape}``; kept in ``cache`` by the index file's mtime and size."""
    shown = name or prefix
    try:
        content = signature(prefix)
    except OSError as error:
        raise CheckpointError(
            f"Checkpoint {shown} not found ({error.strerror}); save it again or fix the path."
        ) from error

    def read() -> dict[str, tuple[int, ...]]:
        tf = _tf()
        try:
            pairs = tf.train.list_variables(prefix)
        except Exception as error:  # TF raises NotFoundError, DataLossError, ... with long texts
            raise CheckpointError(
                f"Checkpoint {shown} cannot be read ({_short(error, prefix, shown)}); it may be truncated or still "
                "being written."
            ) from error
        return {key: tuple(int(d) for d in shape) for key, shape in pairs}

    return dict(cached(cache, "variables", content, read))


def embedding_variables(
    prefix: str, *, name: str | None = None, cache: LRUCache | None = None
) -> dict[str, tuple[int, ...]]:
    """The checkpoint's embeddings: 2-D variables with both dims > 1, optimizer slots excluded."""
    variables = list_variables(prefix, name=name, cache=cache)
    owners = optimizer_owners(set(variables))
    return {
        key: shape
        for key, shape in sorted(variables.items())
        if len(shape) == 2 and min(shape) > 1 and not is_optimizer_slot(key, owners)
    }


def check_matrix_shape(shape: tuple[int, ...], what: str) -> None:
    """Raise TensorError unless ``shape`` is an N×D matrix with N ≥ 2 and D ≥ 2."""
    if len(shape) != 2:
        raise TensorError(f"{what} has shape {tuple(shape)}; the projector needs a 2-D matrix N×D (one row per point).")
    if shape[0] < 2 or shape[1] < 2:
        raise TensorError(f"{what} has shape {tuple(shape)}; the projector needs at least 2 points and 2 dimensions.")


def read_variable(prefix: str, key: str, *, name: str | None = None, cache: LRUCache | None = None) -> np.ndarray:
    """One variable of the checkpoint as a float32 N×D array (``cache`` keeps the checkpoint's variable list).

    Raises CheckpointError for a missing or unreadable checkpoint or key, TensorError for a
    variable that is not a 2-D numeric matrix.
    """
    shown = name or prefix
    variables = list_variables(prefix, name=name, cache=cache)
    if key not in variables:
        available = ", ".join(readable_name(k) for k in embedding_variables(prefix, name=name, cache=cache)) or "none"
        raise CheckpointError(
            f"Checkpoint {shown} has no variable {key!r} (its 2-D variables: {available}); "
            "fix tensor_name in projector_config.pbtxt."
        )
    what = f"Variable {readable_name(key)!r} of checkpoint {shown}"
    check_matrix_shape(variables[key], what)
    tf = _tf()
    try:
        value = tf.train.load_checkpoint(prefix).get_tensor(key)
    except Exception as error:
        raise CheckpointError(
            f"{what} cannot be read ({_short(error, prefix, shown)}); the checkpoint may be corrupt."
        ) from error
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.number):
        raise TensorError(f"{what} holds {array.dtype} values; the projector needs numbers.")
    return np.ascontiguousarray(array, dtype=np.float32)


def _short(error: Exception, prefix: str, shown: str) -> str:
    """The first line of TensorFlow's message, with the checkpoint's path written as ``shown``, not the server's."""
    lines = str(error).strip().splitlines()
    if not lines:
        return type(error).__name__
    directory, shown_directory = os.path.dirname(prefix), os.path.dirname(shown)
    text = lines[0].replace(prefix, shown)
    if directory:
        text = text.replace(directory + os.sep, f"{shown_directory}/" if shown_directory else "")
    return text[:300]
