"""A logdir opened for exploring: runs, datasets and computed projections, cached by content."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from projector.alignment import align_pca
from projector.cache import LRUCache, ResultCache, default_cache_dir
from projector.clusters import COLUMN as CLUSTER_COLUMN
from projector.clusters import NOISE_NAME
from projector.colors import (
    ColorEncoding,
    ColumnKind,
    column_kinds,
    default_color_column,
    encode_column,
    uniform_encoding,
)
from projector.dataset import Dataset, dataset_from_arrays, load_dataset
from projector.errors import ConfigError, InputError, MetadataError
from projector.logdir import (
    EmbeddingSpec,
    RunListing,
    find_runs,
    find_spec,
    list_embeddings,
)
from projector.metadata import parse_metadata
from projector.moved import StepChange, change_between, moved_step
from projector.neighbors import NeighborIndex
from projector.pca import PCAResult, pca, spherize
from projector.steps import step_spec
from projector.tags import Tags, add_tag, apply_tags, set_column, tags_digest
from projector.uploads import KEEP_S, UPLOAD_RUN, Upload, UploadStore, named, owner_of, parse_tensor_upload
from projector.view import View, subset_digest, visible_rows

log = logging.getLogger(__name__)

# How many values of each kind the workspace keeps in memory (least recently used go first).
CACHE_SIZES = {
    "dataset": 4,  # read from the logdir
    "uploaded": 4,  # made from uploaded vectors or metadata
    "pca": 16,
    "neighbors": 4,
    "colors": 8,
    "moved": 8,  # what moved between two steps, per pair of steps and subset
    "compare": 8,  # neighbourhood change between two embeddings of the same rows
    "paired": 2,  # a second embedding's rows put in the first's order by a metadata column
    "trails": 24,  # every visible point's position at one step, per projection (projector/trails.py)
    "kinds": 16,  # column kinds of metadata tables
    "config": 256,  # parsed projector_config.pbtxt files
    "shape": 1024,  # N×D of tensor files, for the listing
    "variables": 256,  # checkpoint variable lists (every kept checkpoint of a run: its steps)
}


class Workspace:
    """Everything the app reads from one logdir; safe to share between requests.

    ``cache`` holds every value read or computed in memory, keyed by content (file mtimes and sizes, digests
    of vectors and tables), so a rewritten file is read again and equal data is computed once.
    """

    def __init__(self, logdir: str | Path, cache_root: str | Path | None = None) -> None:
        root = Path(cache_root) if cache_root else default_cache_dir()
        self.logdir = Path(logdir).resolve()
        self.results = ResultCache(root / "results")
        self.uploads = UploadStore(root / "uploads")
        self.cache = LRUCache(CACHE_SIZES)
        # Whose request a method answers when its ``session`` is not given: the browser session being served
        # ("" for a request without one), or None for the server's own work (the warm-up). The app installs
        # it (callbacks.data_panel); uploads and uploaded metadata are seen by their own session only.
        self.requester: Callable[[], str | None] = lambda: None

    def runs(self, session: str | None = None) -> list[str]:
        """The logdir's runs, then UPLOAD_RUN when the session sees an upload (its own or a shared one)."""
        runs = find_runs(self.logdir)
        return runs + [UPLOAD_RUN] if self.uploads.uploads(self._owner(session)) else runs

    def listing(self, run: str, session: str | None = None) -> RunListing:
        if run == UPLOAD_RUN:
            return RunListing([upload_spec(u) for u in self.uploads.uploads(self._owner(session))], [])
        return list_embeddings(self.logdir, run, self.cache)

    def spec(self, key: str, session: str | None = None) -> EmbeddingSpec:
        """The embedding whose ``key`` is given (ConfigError when it has gone or is another session's upload)."""
        if key.startswith(f"{UPLOAD_RUN}::"):
            return upload_spec(self._upload(key, self._owner(session)))
        return find_spec(self.logdir, key, self.cache)

    def view_data(self, view: View, session: str | None = None) -> Dataset:
        """The dataset a view shows: its tensor at its step."""
        return self.dataset(view.tensor, session, view.step)

    def dataset(self, key: str, session: str | None = None, step: int | None = None) -> Dataset:
        """The tensor's dataset as the session sees it: with the metadata it uploaded for the tensor, if any;
        an uploaded tensor shared by another session comes with its owner's metadata.

        ``step`` picks one of the tensor's saved steps (``EmbeddingSpec.steps``; None: the latest), cached
        apart from every other step; InputError names the steps there are when it has not that one. Uploaded
        metadata and Edit-by tags are the tensor's, so every step shows them.
        """
        owner = self._owner(session)
        upload = self._upload(key, owner) if key.startswith(f"{UPLOAD_RUN}::") else None
        if upload is not None:
            if step is not None:
                step_spec(upload_spec(upload), step)  # an upload has no steps: says so
            base = self.cache.get_or_compute(
                "uploaded", ("vectors", upload.name, upload.token), lambda: self._read_upload(upload)
            )
        else:  # visitors arriving together read the files once
            spec = self.spec(key)
            base = load_dataset(self.logdir, spec if step is None else step_spec(spec, step), self.cache)
        uploaded = self.uploads.metadata(metadata_key(key, upload), owner)
        if uploaded is None and upload is not None and upload.owner != owner:
            uploaded = self.uploads.metadata(metadata_key(key, upload), upload.owner)
        data = base
        if uploaded is not None:
            name, text = uploaded
            data = self.cache.get_or_compute(  # keyed by content: one session's table never serves another's
                "uploaded",
                ("metadata", base.spec, base.content_hash, text_digest(name, text)),
                lambda: with_metadata(base, parse_metadata(text, raw_rows(base), name=name)),
            )
        tags = self.uploads.tags(metadata_key(key, upload), owner)
        if not tags:
            return data
        tagged = data
        return self.cache.get_or_compute(
            "uploaded",
            ("tags", tagged.spec, tagged.content_hash, tagged.metadata_hash, tags_digest(tags)),
            lambda: replace(tagged, metadata=apply_tags(tagged.metadata, tagged.row_ids, tags)),
        )

    def tag(self, key: str, column: str | None, rows: np.ndarray, value: str | None, session: str | None = None) -> int:
        """Give dataset ``rows`` of tensor ``key`` ``value`` in metadata ``column`` for this session (Edit by);
        how many points were tagged."""
        return self._retag(key, rows, session, lambda tags, tensor_rows: add_tag(tags, column, tensor_rows, value))

    def set_column(
        self, key: str, column: str, rows: np.ndarray, values: np.ndarray, session: str | None = None
    ) -> int:
        """Make metadata ``column`` of tensor ``key`` hold ``values`` at dataset ``rows`` (every other point
        empty) for this session, as Edit by keeps its values; how many points hold one."""
        return self._retag(key, rows, session, lambda tags, tensor_rows: set_column(tags, column, tensor_rows, values))

    def _retag(
        self, key: str, rows: np.ndarray, session: str | None, change: Callable[[Tags, np.ndarray], Tags]
    ) -> int:
        """Change this session's tags of tensor ``key`` by ``change(tags, tensor rows of dataset rows)``."""
        owner = self._uploader(session)
        data = self.dataset(key, session)
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if rows.size and (rows.min() < 0 or rows.max() >= data.n):
            raise InputError("The selection belongs to another view of this tensor; select the points again.")
        tensor_rows = data.row_ids[rows]
        upload = self._upload(key, owner) if key.startswith(f"{UPLOAD_RUN}::") else None
        self.uploads.update_tags(metadata_key(key, upload), owner, lambda tags: change(tags, tensor_rows))
        return int(rows.size)

    def add_upload(self, name: str, data: bytes, session: str | None = None) -> str:
        """Keep an uploaded tensor file (TSV, word2vec or GloVe text, .npy) for the session; its tensor key."""
        owner = self._uploader(session)
        vectors, labels = parse_tensor_upload(name, data)
        dataset_from_arrays(vectors, labels, name=name)  # refuse unusable tensors before keeping them
        return self.uploads.add_tensor(Path(name).stem or name, vectors, owner, labels).key

    def set_metadata(self, key: str, name: str, data: bytes, session: str | None = None) -> None:
        """Use an uploaded metadata TSV for tensor ``key`` in this session (checked against its row count first)."""
        owner = self._uploader(session)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise MetadataError(f"{name}: not UTF-8 text; save the metadata as a UTF-8 TSV.") from None
        parse_metadata(text, raw_rows(self.dataset(key, session)), name=name)
        upload = self._upload(key, owner) if key.startswith(f"{UPLOAD_RUN}::") else None
        self.uploads.set_metadata(metadata_key(key, upload), owner, name, text)

    def share_upload(self, key: str, session: str | None = None) -> Upload:
        """List the session's uploaded tensor ``key`` for every session (it still expires when it would have)."""
        owner = self._uploader(session)
        if not key.startswith(f"{UPLOAD_RUN}::"):
            raise InputError("Only uploaded tensors are shared: the logdir's tensors are everyone's already.")
        upload = self._upload(key, owner)
        if upload.owner != owner:
            raise InputError(f"{upload.name!r} was uploaded in another browser; only that browser can share it.")
        shared = self.uploads.share(upload.id)
        if shared is None:
            raise ConfigError(not_available(upload.name))
        return shared

    def delete_upload(self, key: str, session: str | None = None) -> Upload:
        """Drop the session's uploaded tensor ``key`` (with the metadata given to it), freeing its quota."""
        owner = self._uploader(session)
        upload = self._upload(key, owner) if key.startswith(f"{UPLOAD_RUN}::") else None
        deleted = self.uploads.delete(upload.id, owner) if upload is not None else None
        if deleted is None:
            raise InputError("Only this browser's own uploads can be deleted here.")
        return deleted

    def upload_status(self, key: str | None, session: str | None = None) -> str | None:
        """How the session sees uploaded tensor ``key``: uploads.PRIVATE, SHARED_BY_YOU or SHARED; None when
        ``key`` is not an upload the session sees."""
        if not key or not key.startswith(f"{UPLOAD_RUN}::"):
            return None
        owner = self._owner(session)
        upload = self.uploads.upload(key.split("::", 1)[1])
        return upload.status(owner) if upload is not None and upload.visible_to(owner) else None

    def _owner(self, session: str | None) -> str:
        """The owner id of ``session``, or of the requester when it is not given."""
        return owner_of(session if session is not None else self.requester())

    def _uploader(self, session: str | None) -> str:
        """The owner id of a session that may upload (a request without a session may not)."""
        who = session if session is not None else self.requester()
        if who == "":
            raise InputError("This page has no session on the server: reload it, then try again.")
        return owner_of(who)

    def _upload(self, key: str, owner: str) -> Upload:
        """The uploaded tensor of ``key`` if ``owner`` may open it; the same ConfigError whether it has expired
        or is another session's, so a key tells nothing about other people's uploads."""
        name = key.split("::", 1)[1]
        upload = self.uploads.upload(name)
        if upload is None or not upload.visible_to(owner):
            raise ConfigError(not_available(named(name)))
        return upload

    def _read_upload(self, upload: Upload) -> Dataset:
        vectors = self.uploads.vectors(upload.id)
        if vectors is None:
            raise ConfigError(not_available(upload.name))
        data = dataset_from_arrays(vectors, self.uploads.labels(upload.id), name=upload.name)
        return replace(data, spec=upload.spec())

    def resolve(self, tensor: str | Dataset) -> Dataset:
        """A dataset as given, or the one of tensor key ``tensor``: callbacks resolve a key once and pass it on."""
        return tensor if isinstance(tensor, Dataset) else self.dataset(tensor)

    def vectors(self, tensor: str | Dataset, subset: np.ndarray | None, spherized: bool) -> np.ndarray:
        """The vectors a projection of this view starts from (subset rows, spherized if asked)."""
        data = self.resolve(tensor)
        vectors = data.vectors if subset is None else data.vectors[subset]
        return spherize(vectors) if spherized else vectors

    def pca(self, tensor: str | Dataset, subset: np.ndarray | None, spherized: bool) -> PCAResult:
        """PCA of the dataset (or of ``subset`` rows only), cached by content and subset."""
        data = self.resolve(tensor)
        cache_key = (data.content_hash, subset_digest(subset), spherized)

        def compute() -> PCAResult:
            started = time.perf_counter()
            result = pca(self.vectors(data, subset, spherized))
            log.info(
                "PCA of %s (%s rows%s) in %.2f s",
                data.spec.key,
                f"{len(result.coords):,}",
                ", spherized" if spherized else "",
                time.perf_counter() - started,
            )
            return self._on_latest_axes(data, subset, spherized, result)

        return self.cache.get_or_compute("pca", cache_key, compute)

    def _on_latest_axes(
        self, data: Dataset, subset: np.ndarray | None, spherized: bool, result: PCAResult
    ) -> PCAResult:
        """A training step's PCA on the axes of the tensor's latest step (each axis matched, sign and order), so
        that moving the step turns no axis over and swaps none: every step is aligned to the same one."""
        spec = data.spec
        if spec.step is None or not spec.steps or spec.step == spec.steps[-1]:
            return result
        latest = self.pca(self.dataset(spec.key), subset, spherized)
        if latest.components is None:
            return result
        try:
            return align_pca(latest.components, result)
        except InputError:  # another dimension at this step: its own axes
            return result

    def result_key(
        self, tensor: str | Dataset, subset: np.ndarray | None, spherized: bool, method: str, params: Mapping[str, Any]
    ) -> str:
        """The shared result-cache key of a layout: tensor content, subset, method and parameters."""
        view = f"{subset_digest(subset)}{'-spherized' if spherized else ''}"
        return ResultCache.key(self.resolve(tensor).content_hash, view, method, params)

    def color_encoding(
        self, tensor: str | Dataset, column: str | None, subset: np.ndarray | None, categorical: bool = False
    ) -> ColorEncoding:
        """Colours of the visible rows by ``column`` (a palette or a gradient; a palette when ``categorical``),
        cached per metadata table."""
        data = self.resolve(tensor)
        n = data.n if subset is None else subset.size
        since = moved_step(column, list(data.metadata.columns))
        if since is not None:
            return encode_column(pd.Series(self.change_since(data, since, subset).scores))
        if not column or column not in data.metadata.columns:
            return uniform_encoding(n)

        def compute() -> ColorEncoding:
            values = data.metadata[column]
            values = values if subset is None else values.iloc[subset].reset_index(drop=True)
            return encode_column(values, categorical, muted=(NOISE_NAME,) if column == CLUSTER_COLUMN else ())

        key = (data.metadata_hash, column, subset_digest(subset), bool(categorical))
        return self.cache.get_or_compute("colors", key, compute)

    def change_since(self, data: Dataset, since: int, subset: np.ndarray | None) -> StepChange:
        """How each visible row of ``data`` (its tensor at one step) changed since step ``since``, scored among
        the visible rows (an isolated subset is its own neighbourhood), cached per pair of steps."""
        earlier = self.dataset(data.spec.key, step=since)
        if earlier.vectors.shape != data.vectors.shape:
            raise InputError(
                f"Step {since:,} holds {earlier.n:,} points of {earlier.dim:,} dimensions and the step shown "
                f"{data.n:,} of {data.dim:,}: what moved can be shown only between steps of the same points."
            )

        def compute() -> StepChange:
            started = time.perf_counter()
            rows = visible_rows(subset, data.n)
            change = change_between(earlier.vectors[rows], data.vectors[rows])
            seconds = time.perf_counter() - started
            log.info("Change of %s since step %s (%s rows) in %.2f s", data.spec.key, since, f"{rows.size:,}", seconds)
            return change

        key = (earlier.content_hash, data.content_hash, subset_digest(subset))
        return self.cache.get_or_compute("moved", key, compute)

    def column_kinds(self, tensor: str | Dataset) -> list[ColumnKind]:
        """How each metadata column is coloured (numeric or by category, and how many values), cached per table."""
        data = self.resolve(tensor)
        return self.cache.get_or_compute("kinds", data.metadata_hash, lambda: column_kinds(data.metadata))

    def default_color_column(self, tensor: str | Dataset) -> str | None:
        """The column a tensor is coloured by at first (see :func:`projector.colors.default_color_column`)."""
        data = self.resolve(tensor)
        return default_color_column(data.metadata, self.column_kinds(data))

    def neighbor_index(self, tensor: str | Dataset) -> NeighborIndex:
        """The exact nearest-neighbour index of a dataset, cached by content."""
        data = self.resolve(tensor)
        return self.cache.get_or_compute("neighbors", data.content_hash, lambda: NeighborIndex(data.vectors))


def upload_spec(upload: Upload) -> EmbeddingSpec:
    return upload.spec()


def metadata_key(key: str, upload: Upload | None) -> str:
    """What uploaded metadata is kept by: the tensor key, and for an uploaded tensor the upload itself (a
    later upload of the same name is another tensor)."""
    return key if upload is None else f"{key}#{upload.token}"


def not_available(name: str) -> str:
    """Why an uploaded tensor cannot be opened, told the same way whether it expired or is someone else's."""
    return (
        f"The uploaded tensor {name!r} is not available to this browser: uploads are kept for {KEEP_S // 86400} "
        "days, and one made in another browser shows only once its owner shares it with the team. Upload the file "
        "again here."
    )


def text_digest(*parts: str) -> str:
    """Hex blake2b digest of some texts (a short cache key for uploaded metadata)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def raw_rows(data: Dataset) -> int:
    """How many rows the tensor had before rows with NaN or infinity were left out."""
    shape = data.spec.tensor_shape
    return int(shape[0]) if shape else int(data.row_ids[-1]) + 1


def with_metadata(data: Dataset, frame: pd.DataFrame) -> Dataset:
    """``data`` with ``frame`` (one row per original tensor row) as its metadata."""
    kept = frame.iloc[data.row_ids].reset_index(drop=True)
    return replace(data, metadata=kept, warnings=[w for w in data.warnings if "etadata" not in w])
