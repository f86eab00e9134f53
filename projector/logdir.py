"""Runs of a TensorBoard logdir, their ``projector_config.pbtxt`` and checkpoints, and path confinement.

A run is the logdir itself (``"."``) or any subdirectory holding a ``projector_config.pbtxt``
(also under ``plugins/org_tensorflow_tensorboard_projector/``), a TF ``checkpoint`` file or
``*.index`` checkpoint files. Its embeddings are the config's ``embeddings`` entries merged with
the 2-D variables of its checkpoint. An embedding saved at several training steps is listed once,
with its steps (see :class:`EmbeddingSpec`).
"""

from __future__ import annotations

import glob
import logging
import os
import posixpath
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from projector import checkpoints
from projector.cache import LRUCache, cached
from projector.errors import CheckpointError, ConfigError, PathError, TensorError
from projector.tensors import peek_tensor_shape

log = logging.getLogger(__name__)

CONFIG_FILENAME = "projector_config.pbtxt"
PLUGIN_DIR = os.path.join("plugins", "org_tensorflow_tensorboard_projector")
MAX_DEPTH = 6
KEY_SEPARATOR = "::"
# tensorboardX's and torch.utils.tensorboard's add_embedding name each call "<tag>:<step, 5+ digits>".
_TAGGED_STEP = re.compile(r"^(?P<tag>.+):(?P<step>[0-9]{5,18})$")


@dataclass(frozen=True)
class StepSource:
    """Where one saved step of an embedding is read from: its metadata and sprite are the step's own when it
    has them, else those of the embedding's latest step."""

    step: int
    checkpoint: str | None = None
    tensor_path: str | None = None
    tensor_shape: tuple[int, ...] | None = None
    metadata_path: str | None = None
    sprite_path: str | None = None
    sprite_dim: tuple[int, int] | None = None


@dataclass(frozen=True)
class EmbeddingSpec:
    """Where one embedding of a run comes from and which assets go with it.

    An embedding saved at several training steps (tensorboardX ``add_embedding(global_step=...)``, the
    checkpoints a ``CheckpointManager`` or ``Saver`` keeps) is one spec: ``steps`` lists them, sorted, and
    the spec's own paths are those of ``step``, the last one, so whatever opens the spec shows the latest.
    :func:`projector.steps.step_spec` gives the spec of another step. ``step_sources`` (where each step is
    read from) is left out of equality and so of cache keys: a spec's data depends on its own paths only.
    """

    run: str
    name: str
    checkpoint: str | None = None
    tensor_key: str | None = None
    tensor_path: str | None = None
    tensor_shape: tuple[int, ...] | None = None
    metadata_path: str | None = None
    sprite_path: str | None = None
    sprite_dim: tuple[int, int] | None = None
    bookmarks_path: str | None = None
    steps: tuple[int, ...] = ()
    step: int | None = None
    step_sources: tuple[StepSource, ...] = field(default=(), compare=False, repr=False)

    @property
    def key(self) -> str:
        """A stable id ``"<run>::<name>"``, unique within a logdir (usable as a dropdown value)."""
        return f"{self.run}{KEY_SEPARATOR}{self.name}"

    @property
    def label(self) -> str:
        """``name (N×D)`` for a dropdown."""
        if self.tensor_shape and len(self.tensor_shape) == 2:
            return f"{self.name} ({self.tensor_shape[0]:,}×{self.tensor_shape[1]:,})"
        return self.name


@dataclass
class RunListing:
    """The embeddings of one run and the non-fatal problems met while listing them."""

    specs: list[EmbeddingSpec] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# paths


def confine(logdir: str | Path, path: str | Path) -> Path:
    """``path`` resolved (symlinks followed); PathError if it lies outside ``logdir``.

    Relative paths are taken from ``logdir``. Only the path is resolved (its links read): the file is neither
    opened nor stat-ed, so call this before any read. The message shows paths relative to the logdir (one
    written outside it, as written), never the server's absolute paths.
    """
    root = Path(os.path.realpath(os.path.expanduser(os.fspath(logdir))))
    candidate = Path(os.path.expanduser(os.fspath(path)))
    if not candidate.is_absolute():
        candidate = root / candidate
    resolved = Path(os.path.realpath(candidate))  # unlike Path.resolve, never stats the target
    if resolved == root or root in resolved.parents:
        return resolved
    shown = display_path(root, candidate)
    written = Path(os.path.normpath(candidate))
    if written == root or root in written.parents:  # inside as written: a symlink leads out
        where = f"{shown} resolves to {os.path.relpath(resolved, root)}, outside the logdir"
    else:
        where = f"{shown} is outside the logdir"
    raise PathError(
        f"{where}; the projector reads only files inside the logdir. Copy the file into the logdir and point "
        "the config at it."
    )


def confine_checkpoint(logdir: str | Path, prefix: str) -> None:
    """PathError unless the checkpoint's index and data files (symlinks followed) all lie inside ``logdir``."""
    index = prefix + ".index"
    confine(logdir, index if os.path.lexists(index) else prefix)
    for shard in sorted(glob.glob(glob.escape(prefix) + ".data-*")):
        confine(logdir, shard)


def display_path(logdir: str | Path, path: str | Path) -> str:
    """``path`` as shown to users: relative to ``logdir`` when written under it (even with ``../``), else as given."""
    root = os.path.abspath(os.path.expanduser(os.fspath(logdir)))
    written = os.path.join(root, os.path.expanduser(os.fspath(path)))
    relative = os.path.relpath(os.path.abspath(written), root)
    if relative == os.curdir:
        return os.fspath(path)
    if relative.startswith(os.pardir) and not written.startswith(root + os.sep):
        return os.fspath(path)  # written as a path outside the logdir: shown as written
    return relative.replace(os.sep, "/")


# ---------------------------------------------------------------------------------------------
# runs


def _is_run_dir(names: set[str], directory: str) -> bool:
    if CONFIG_FILENAME in names or checkpoints.STATE_FILENAME in names:
        return True
    if any(n.endswith(".index") for n in names):
        return True
    return os.path.isfile(os.path.join(directory, PLUGIN_DIR, CONFIG_FILENAME))


def _skipped(name: str) -> bool:
    """Directories the run search never enters: hidden ones and TensorBoard's plugin data."""
    return name.startswith(".") or name == "plugins"


def find_runs(logdir: str | Path) -> list[str]:
    """The runs of ``logdir`` as relative POSIX paths, ``"."`` (the logdir itself) first."""
    root = os.path.abspath(os.path.expanduser(os.fspath(logdir)))
    if not os.path.isdir(root):
        raise ConfigError(f"Logdir {logdir} does not exist or is not a directory; pass --logdir a directory.")
    runs: list[str] = []
    for directory, dirnames, filenames in os.walk(root):
        relative = os.path.relpath(directory, root)
        depth = 0 if relative == os.curdir else relative.count(os.sep) + 1
        dirnames[:] = sorted(d for d in dirnames if not _skipped(d))
        if depth >= MAX_DEPTH:
            dirnames[:] = []
        if _is_run_dir(set(filenames), directory):
            runs.append("." if relative == os.curdir else relative.replace(os.sep, "/"))
    return sorted(runs, key=lambda r: (r != ".", r))


def run_name(logdir: str | Path, run: str) -> str:
    """``run`` spelt as :func:`find_runs` lists it (``./a``, ``a/.`` and ``a//`` are ``a``); ConfigError if
    the run list does not offer it.

    One spelling per run keeps one cache entry per tensor, and no directory the list leaves out is opened.
    Only the run's own path is checked, with the rules of find_runs' walk, not the whole logdir.
    """
    name = posixpath.normpath(run) if run else os.curdir
    if not _offered(os.path.abspath(os.path.expanduser(os.fspath(logdir))), name):
        raise ConfigError(f"Run {_quoted(run)} is not one of the logdir's runs; pick a run from the list.")
    return name


def _offered(root: str, run: str) -> bool:
    """Whether find_runs(root) lists ``run`` (a normalised name)."""
    parts = [] if run == os.curdir else run.split("/")
    if len(parts) > MAX_DEPTH or any(not p or _skipped(p) or os.sep in p for p in parts):
        return False  # also "", ".." and absolute names, which _skipped or the separators catch
    directory = root
    try:
        for part in parts:
            with os.scandir(directory) as entries:  # as os.walk: this exact name, and never through a symlink
                if not any(e.name == part and e.is_dir(follow_symlinks=False) for e in entries):
                    return False
            directory = os.path.join(directory, part)
        with os.scandir(directory) as entries:
            files = {e.name for e in entries if not _is_dir(e)}
    except (OSError, ValueError):  # unreadable, gone meanwhile, or a name holding NUL
        return False
    return _is_run_dir(files, directory)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _quoted(text: str, limit: int = 80) -> str:
    """``text`` quoted for a message, cut short: it may come from a client."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _run_dir(root: Path, run: str) -> tuple[str, Path]:
    """The run's listed name and directory; PathError if it leads out of the logdir, else ConfigError if unlisted."""
    try:
        name = run_name(root, run)
    except ConfigError:
        if "\0" not in run:  # which confine could not even resolve
            confine(root, run)  # a run leading out of the logdir: PathError says so
        raise
    return name, root / name


# ---------------------------------------------------------------------------------------------
# projector_config.pbtxt


@dataclass(frozen=True)
class _ConfigEntry:
    tensor_name: str
    tensor_path: str | None
    tensor_shape: tuple[int, ...] | None
    metadata_path: str | None
    sprite_path: str | None
    sprite_dim: tuple[int, int] | None
    bookmarks_path: str | None


@dataclass(frozen=True)
class _Config:
    path: str
    checkpoint: str | None  # model_checkpoint_path as written, made absolute
    entries: tuple[_ConfigEntry, ...]


def _absolute(base: str, value: str) -> str | None:
    """``value`` taken from directory ``base``; its ``..`` are kept, so messages show it relative to the logdir."""
    if not value:
        return None
    value = os.path.expanduser(value)
    return value if os.path.isabs(value) else os.path.join(base, value)


def _read_config(path: str, cache: LRUCache | None = None) -> _Config:
    """Parse one ``projector_config.pbtxt`` (kept in ``cache`` by mtime and size); ConfigError if malformed."""
    st = os.stat(path)
    return cached(cache, "config", (path, st.st_mtime_ns, st.st_size), lambda: _parse_config(path))


def _parse_config(path: str) -> _Config:
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    config = ProjectorConfig()
    try:
        with open(path, encoding="utf-8") as f:
            text_format.Parse(f.read(), config)
    except (text_format.ParseError, UnicodeDecodeError) as error:
        raise ConfigError(str(error)) from error
    base = os.path.dirname(path)
    entries = tuple(
        _ConfigEntry(
            tensor_name=e.tensor_name,
            tensor_path=_absolute(base, e.tensor_path),
            tensor_shape=tuple(int(d) for d in e.tensor_shape) or None,
            metadata_path=_absolute(base, e.metadata_path),
            sprite_path=_absolute(base, e.sprite.image_path),
            sprite_dim=(
                (int(e.sprite.single_image_dim[0]), int(e.sprite.single_image_dim[1]))
                if len(e.sprite.single_image_dim) >= 2
                else None
            ),
            bookmarks_path=_absolute(base, e.bookmarks_path),
        )
        for e in config.embeddings
    )
    return _Config(path=path, checkpoint=_absolute(base, config.model_checkpoint_path), entries=entries)


def _config_paths(root: Path, run_dir: Path, problems: list[str]) -> list[str]:
    """The run's config files that lie inside the logdir; one that leads out is a problem, left unread."""
    found = []
    for candidate in (run_dir / CONFIG_FILENAME, run_dir / PLUGIN_DIR / CONFIG_FILENAME):
        if not os.path.lexists(candidate):
            continue
        try:
            resolved = confine(root, candidate)
        except PathError as error:
            problems.append(f"The projector config is not read: {error}")
            continue
        if resolved.is_file():
            found.append(os.fspath(candidate))
    return found


# ---------------------------------------------------------------------------------------------
# listing


def _strip_suffix(name: str) -> str:
    return name[:-2] if name.endswith(":0") else name


def _peek_shape(path: Path, shape: tuple[int, ...] | None, cache: LRUCache | None) -> tuple[int, ...] | None:
    """The N×D of tensor file ``path`` (already confined to the logdir), else the config's ``shape``."""
    try:
        st = os.stat(path)
    except OSError:
        return shape
    key = (os.fspath(path), st.st_mtime_ns, st.st_size, shape)
    return cached(cache, "shape", key, lambda: peek_tensor_shape(path, shape)) or shape


def list_embeddings(logdir: str | Path, run: str, cache: LRUCache | None = None) -> RunListing:
    """The embeddings of ``run``: its config's entries merged with its checkpoint's 2-D variables.

    Problems that leave the rest readable (a malformed config, an unreadable checkpoint, a config
    entry naming a missing or non-2-D variable, a path leading out of the logdir) are reported in
    ``problems``. Nothing outside the logdir is opened. ``cache`` keeps parsed configs, tensor
    shapes and checkpoint variable lists by file mtime and size.

    Steps: the entries ``add_embedding`` writes for one tag (``"<tag>:<step>"``) are one spec named
    ``tag``; a checkpoint variable's steps are the kept checkpoints holding it (see _checkpoint_history).
    """
    root = Path(logdir).expanduser().resolve()
    run, run_dir = _run_dir(root, run)
    listing = RunListing()

    def shown(path: str) -> str:
        return display_path(root, path)

    configs: list[_Config] = []
    for path in _config_paths(root, run_dir, listing.problems):
        try:
            configs.append(_read_config(path, cache))
        except ConfigError as error:
            listing.problems.append(
                f"{shown(path)} cannot be parsed ({error}); fix it or write it again with "
                "projector.visualize_embeddings. The rest of the run (its checkpoint variables) is still listed."
            )
        except OSError as error:
            listing.problems.append(f"{shown(path)} cannot be read ({error.strerror}).")

    prefix, variables = _checkpoint_variables(root, run_dir, configs, listing.problems, shown, cache)
    history = _checkpoint_history(root, prefix, cache) if prefix else []

    def held(spec: EmbeddingSpec) -> EmbeddingSpec:
        """``spec`` with its steps: the kept checkpoints holding its variable with the same shape."""
        sources = tuple(
            StepSource(
                step,
                checkpoint=p,
                tensor_shape=spec.tensor_shape,
                metadata_path=spec.metadata_path,
                sprite_path=spec.sprite_path,
                sprite_dim=spec.sprite_dim,
            )
            for step, p, found in history
            if spec.tensor_key is not None and found.get(spec.tensor_key) == spec.tensor_shape
        )
        steps = tuple(source.step for source in sources)
        return replace(spec, steps=steps, step=steps[-1] if steps else None, step_sources=sources)

    entries = [entry for config in configs for entry in config.entries]
    defaults = next((e for e in entries if not e.tensor_name and not e.tensor_path), None)

    by_name: dict[str, str] = {}
    for variable in variables:
        by_name.setdefault(variable, variable)
        by_name.setdefault(checkpoints.readable_name(variable), variable)

    specs: list[EmbeddingSpec] = []
    claimed: set[str] = set()
    names: set[str] = set()

    def unique(name: str) -> str:
        candidate, k = name, 2
        while candidate in names:
            candidate, k = f"{name} ({k})", k + 1
        names.add(candidate)
        return candidate

    stepped = _tagged_steps(entries)
    for entry in entries:
        if entry is defaults:
            continue
        tag = _tagged_step(entry)
        if tag is not None:
            members = stepped.pop(tag[0], None)  # the tag's first entry lists all its steps; the others are done
            if members is not None:
                spec = _stepped_file_spec(root, run, tag[0], members, listing.problems, unique, cache)
                if spec is not None:
                    specs.append(spec)
            continue
        if entry.tensor_path:
            name = _strip_suffix(entry.tensor_name) or os.path.basename(entry.tensor_path)
            try:
                resolved = confine(root, entry.tensor_path)
            except PathError as error:
                listing.problems.append(f"Tensor {name!r} is left out: its tensor_path {error}")
                continue
            if not resolved.exists():
                listing.problems.append(
                    f"Tensor file {shown(entry.tensor_path)} (tensor {name!r}) not found; fix tensor_path in the "
                    "projector config."
                )
            specs.append(
                EmbeddingSpec(
                    run=run,
                    name=unique(name),
                    tensor_path=entry.tensor_path,
                    tensor_shape=_peek_shape(resolved, entry.tensor_shape, cache),
                    metadata_path=entry.metadata_path,
                    sprite_path=entry.sprite_path,
                    sprite_dim=entry.sprite_dim,
                    bookmarks_path=entry.bookmarks_path,
                )
            )
            continue
        wanted = entry.tensor_name
        key = by_name.get(wanted) or by_name.get(_strip_suffix(wanted))
        if key is None:
            listing.problems.append(_missing_variable_message(wanted, prefix, variables, run, shown))
            continue
        shape = variables[key]
        try:
            checkpoints.check_matrix_shape(shape, f"Tensor {wanted!r} named in the projector config of run {run!r}")
        except TensorError as error:
            listing.problems.append(str(error))
            continue
        if key in claimed:
            continue
        claimed.add(key)
        specs.append(
            held(
                EmbeddingSpec(
                    run=run,
                    name=unique(checkpoints.readable_name(key)),
                    checkpoint=prefix,
                    tensor_key=key,
                    tensor_shape=shape,
                    metadata_path=entry.metadata_path,
                    sprite_path=entry.sprite_path,
                    sprite_dim=entry.sprite_dim,
                    bookmarks_path=entry.bookmarks_path,
                )
            )
        )

    for key, shape in variables.items():
        if key in claimed or len(shape) != 2 or min(shape) < 2:
            continue
        specs.append(
            held(
                EmbeddingSpec(
                    run=run,
                    name=unique(checkpoints.readable_name(key)),
                    checkpoint=prefix,
                    tensor_key=key,
                    tensor_shape=shape,
                    metadata_path=defaults.metadata_path if defaults else None,
                    sprite_path=defaults.sprite_path if defaults else None,
                    sprite_dim=defaults.sprite_dim if defaults else None,
                    bookmarks_path=defaults.bookmarks_path if defaults else None,
                )
            )
        )
    if not specs and not listing.problems:
        listing.problems.append(
            f"Run {run!r} holds no embedding: its checkpoint has no 2-D variable of at least 2×2 and its projector "
            "config lists no tensor. Save the embedding matrix as a variable, or add it with tensor_path."
        )
    listing.specs = specs
    return listing


def _tagged_step(entry: _ConfigEntry) -> tuple[str, int] | None:
    """``(tag, step)`` of an entry that tensorboardX's or PyTorch's ``add_embedding`` wrote, else None."""
    match = _TAGGED_STEP.match(entry.tensor_name) if entry.tensor_path else None
    return (match["tag"], int(match["step"])) if match else None


def _tagged_steps(entries: list[_ConfigEntry]) -> dict[str, list[tuple[int, _ConfigEntry]]]:
    """The ``add_embedding`` entries by tag, in the config's order."""
    groups: dict[str, list[tuple[int, _ConfigEntry]]] = {}
    for entry in entries:
        tagged = _tagged_step(entry)
        if tagged is not None:
            groups.setdefault(tagged[0], []).append((tagged[1], entry))
    return groups


def _stepped_file_spec(
    root: Path,
    run: str,
    tag: str,
    members: list[tuple[int, _ConfigEntry]],
    problems: list[str],
    unique: Callable[[str], str],
    cache: LRUCache | None,
) -> EmbeddingSpec | None:
    """One spec for every step of ``tag``; steps whose tensor file is gone are left out, unless all are.

    A step written twice (the same ``global_step`` again) is the last call's, whose files overwrote the first's.
    """
    by_step = dict(sorted(dict(members).items()))
    sources: list[StepSource] = []
    missing: list[StepSource] = []
    for step, entry in by_step.items():
        path = entry.tensor_path or ""
        try:
            resolved = confine(root, path)
        except PathError as error:
            problems.append(f"Step {step} of tensor {tag!r} is left out: its tensor_path {error}")
            continue
        source = StepSource(
            step,
            tensor_path=path,
            tensor_shape=_peek_shape(resolved, entry.tensor_shape, cache),
            metadata_path=entry.metadata_path,
            sprite_path=entry.sprite_path,
            sprite_dim=entry.sprite_dim,
        )
        (sources if resolved.exists() else missing).append(source)
    if not sources:
        if not missing:
            return None
        sources = missing[-1:]
        problems.append(
            f"Tensor file {display_path(root, sources[0].tensor_path or '')} (tensor {tag!r}, step {sources[0].step}) "
            "not found; fix tensor_path in the projector config."
        )
    last = sources[-1]
    sources = [s if s.metadata_path else replace(s, metadata_path=last.metadata_path) for s in sources]
    sources = [
        s if s.sprite_path else replace(s, sprite_path=last.sprite_path, sprite_dim=last.sprite_dim) for s in sources
    ]
    return EmbeddingSpec(
        run=run,
        name=unique(tag),
        tensor_path=last.tensor_path,
        tensor_shape=last.tensor_shape,
        metadata_path=last.metadata_path,
        sprite_path=last.sprite_path,
        sprite_dim=last.sprite_dim,
        bookmarks_path=by_step[last.step].bookmarks_path,
        steps=tuple(source.step for source in sources),
        step=last.step,
        step_sources=tuple(sources),
    )


def _checkpoint_history(
    root: Path, prefix: str, cache: LRUCache | None
) -> list[tuple[int, str, dict[str, tuple[int, ...]]]]:
    """``(step, prefix, variables)`` of each kept checkpoint of the run, by step, ``prefix`` (the one listed) last.

    A checkpoint's step is the number its name ends with (:func:`checkpoints.step_number`). When ``prefix`` is
    its directory's latest, the steps are every checkpoint the ``checkpoint`` state file still keeps, inside
    the logdir and readable, numbered at most ``prefix``'s (a higher one is from an earlier, abandoned
    numbering); a checkpoint the config pins is its one step. An unnumbered ``prefix`` has no steps.
    """
    last = checkpoints.step_number(prefix)
    if last is None:
        return []
    kept = checkpoints.kept_checkpoints(os.path.dirname(prefix), within=root)
    if not kept or kept[-1] != prefix:
        kept = [prefix]
    by_step: dict[int, str] = {}
    for candidate in kept:
        step = checkpoints.step_number(candidate)
        if step is not None and step <= last:
            by_step[step] = candidate
    by_step[last] = prefix
    history = []
    for step, candidate in sorted(by_step.items()):
        try:
            confine_checkpoint(root, candidate)
            found = checkpoints.list_variables(candidate, name=display_path(root, candidate), cache=cache)
        except (CheckpointError, PathError) as error:
            log.info("Step %d of %s is left out: %s", step, display_path(root, prefix), error)
            continue
        history.append((step, candidate, found))
    return history


def _checkpoint_variables(
    root: Path,
    run_dir: Path,
    configs: list[_Config],
    problems: list[str],
    shown: Callable[[str], str],
    cache: LRUCache | None,
) -> tuple[str | None, dict[str, tuple[int, ...]]]:
    """The run's checkpoint prefix and its variables ``{key: shape}``, embeddings first (all 2-D non-slots).

    Returns the embedding variables plus every other variable named by a config (so a 1-D or 3-D
    variable named there can be refused with a message). A checkpoint outside the logdir is not opened.
    """
    named = next((c.checkpoint for c in configs if c.checkpoint), None)
    prefix: str | None
    try:
        if named is not None:
            try:
                confine(root, named)
            except PathError as error:
                raise PathError(f"The checkpoint is not read: model_checkpoint_path {error}") from None
            prefix = checkpoints.resolve_checkpoint(named, name=shown(named), within=root)
        else:
            prefix = checkpoints.latest_checkpoint(run_dir, within=root)
            if prefix is None:
                return None, {}
        label = shown(prefix)
        try:
            confine_checkpoint(root, prefix)
        except PathError as error:
            raise PathError(f"Checkpoint {label} is not read: {error}") from None
        embeddings = checkpoints.embedding_variables(prefix, name=label, cache=cache)
        everything = checkpoints.list_variables(prefix, name=label, cache=cache)
    except (CheckpointError, PathError) as error:
        problems.append(str(error))
        return None, {}
    wanted = {e.tensor_name for c in configs for e in c.entries if e.tensor_name and not e.tensor_path}
    extra: dict[str, tuple[int, ...]] = {}
    for key, shape in everything.items():
        if key in embeddings:
            continue
        if key in wanted or checkpoints.readable_name(key) in {_strip_suffix(w) for w in wanted}:
            extra[key] = shape
    return prefix, {**embeddings, **extra}


def _missing_variable_message(
    wanted: str, prefix: str | None, variables: dict[str, tuple[int, ...]], run: str, shown: Callable[[str], str]
) -> str:
    if prefix is None:
        return (
            f"The projector config of run {run!r} names tensor {wanted!r} but the run has no readable checkpoint "
            "and the entry has no tensor_path; save a checkpoint in the run directory or set tensor_path."
        )
    available = ", ".join(checkpoints.readable_name(k) for k, s in variables.items() if len(s) == 2) or "none"
    return (
        f"The projector config of run {run!r} names tensor {wanted!r}, which checkpoint {shown(prefix)} does not "
        f"hold (its 2-D variables: {available}); fix tensor_name."
    )


def find_spec(logdir: str | Path, key: str, cache: LRUCache | None = None) -> EmbeddingSpec:
    """The embedding whose :attr:`EmbeddingSpec.key` is ``key`` (its run spelt any way :func:`run_name`
    accepts; the spec returned has the run list's spelling); ConfigError if it is gone."""
    run, _, name = key.partition(KEY_SEPARATOR)
    try:
        specs = list_embeddings(logdir, run, cache).specs
    except (ConfigError, PathError):
        specs = []
    for spec in specs:
        if spec.name == name:
            return spec
    raise ConfigError(f"Tensor {_quoted(key)} is no longer in the logdir; pick another run or tensor.")
