"""Write a projector logdir from Python without TensorFlow: tensor, metadata TSV, sprite and config entry.

>>> write_embedding("logs", vectors, metadata=frame, images=thumbnails)  # doctest: +SKIP
PosixPath('logs/embedding')

The files follow TensorBoard's conventions, so TensorBoard itself opens the logdir too:
``logs/<name>/tensor.npy`` (or ``tensor.tsv``), ``metadata.tsv``, ``sprite.png`` and one
``embeddings { ... }`` entry in ``logs/projector_config.pbtxt`` with paths relative to ``logs``.
Every file is written to a temporary name and renamed into place, the config last, so an app
reading the logdir meanwhile sees either the old embedding or the new one.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import pandas as pd
from PIL import Image

from projector.logdir import CONFIG_FILENAME
from projector.sprites import MAX_SPRITE_SIDE

log = logging.getLogger(__name__)

TENSOR_FORMATS = ("npy", "tsv")
METADATA_FILENAME = "metadata.tsv"
SPRITE_FILENAME = "sprite.png"
_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}  # channels -> PIL mode
_CELL_BREAKS = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


def write_embedding(
    logdir: str | Path,
    vectors: np.ndarray,
    *,
    name: str = "embedding",
    metadata: pd.DataFrame | Sequence[str] | None = None,
    images: np.ndarray | Sequence[Image.Image] | None = None,
    thumbnail_size: tuple[int, int] | None = None,
    tensor_format: str = "npy",
) -> Path:
    """Write one embedding into ``logdir/<name>/`` and list it in ``logdir/projector_config.pbtxt``.

    Parameters
    ----------
    logdir
        The logdir (created if missing). Its root becomes a run; other entries of its config are kept.
    vectors
        N×D numbers (N ≥ 2, D ≥ 2), stored as float32.
    name
        Tensor name shown in the app and name of the folder; an entry of the same name is replaced.
    metadata
        A DataFrame (one column per field; its index is not written) or a sequence of N labels. A
        single column is written without header, as TensorBoard reads it (the app calls it ``label``).
        None/NaN become empty cells; tabs and line breaks inside cells become spaces.
    images
        N thumbnails: an array (N, h, w) or (N, h, w, c) with c in 1..4, uint8 or floats in [0, 1];
        or PIL images. Laid row-first in a ceil(sqrt(N))-wide grid into ``sprite.png``.
    thumbnail_size
        (width, height) every image is resized to; required when PIL images differ in size.
    tensor_format
        ``"npy"`` (exact, fast) or ``"tsv"`` (text, 9 significant digits: exact for float32).

    Returns
    -------
    Path
        The embedding folder ``logdir/<name>``.

    Raises
    ------
    ValueError
        For any argument the projector could not read back (the message says what to change),
        a sprite larger than 8192 px per side, or an existing config that cannot be parsed.
        Nothing is written then.
    TypeError
        For a single PIL image passed as ``images``.
    """
    matrix = _check_vectors(vectors)
    n, dim = matrix.shape
    _check_name(name)
    if tensor_format not in TENSOR_FORMATS:
        choices = ", ".join(TENSOR_FORMATS)
        raise ValueError(f"tensor_format={tensor_format!r} is not supported; choose one of {choices}.")
    metadata_text = None if metadata is None else metadata_tsv(metadata, n)
    if thumbnail_size is not None and images is None:
        raise ValueError("thumbnail_size was given without images; pass images=... or drop thumbnail_size.")
    sprite = None if images is None else sprite_image(images, n, thumbnail_size)

    root = Path(logdir).expanduser()
    config_path = root / CONFIG_FILENAME
    config = _read_config(config_path)  # refuse a broken config before writing anything
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)

    tensor_file = f"tensor.{tensor_format}"
    if tensor_format == "npy":
        _atomic_write(folder / tensor_file, lambda f: np.save(f, matrix, allow_pickle=False))
    else:
        _atomic_write(folder / tensor_file, lambda f: np.savetxt(f, matrix, fmt="%.9g", delimiter="\t"))
    if metadata_text is not None:
        _atomic_write(folder / METADATA_FILENAME, lambda f: f.write(metadata_text.encode("utf-8")))
    if sprite is not None:
        image, _ = sprite
        _atomic_write(folder / SPRITE_FILENAME, lambda f: image.save(f, format="PNG"))

    entry = _replace_entry(config, name)
    entry.tensor_name = name
    entry.tensor_path = f"{name}/{tensor_file}"
    entry.tensor_shape.extend([n, dim])
    if metadata_text is not None:
        entry.metadata_path = f"{name}/{METADATA_FILENAME}"
    if sprite is not None:
        image, (width, height) = sprite
        entry.sprite.image_path = f"{name}/{SPRITE_FILENAME}"
        entry.sprite.single_image_dim.extend([width, height])
    _write_config(config_path, config)
    log.info("Wrote %s×%s embedding %r to %s", n, dim, name, folder)
    return folder


# ---------------------------------------------------------------------------------------------
# checks


def _check_vectors(vectors: npt.ArrayLike) -> np.ndarray:
    array = np.asarray(vectors)
    if array.dtype.kind not in "iuf":
        raise ValueError(
            f"vectors hold {array.dtype} values; pass a 2-D array of numbers (ints or floats), one row per point."
        )
    if array.ndim != 2 or array.shape[0] < 2 or array.shape[1] < 2:
        raise ValueError(
            f"vectors have shape {array.shape}; the projector needs a 2-D matrix N×D with N ≥ 2 points and "
            "D ≥ 2 dimensions (one row per point)."
        )
    return np.ascontiguousarray(array, dtype=np.float32)


def _check_name(name: str) -> None:
    bad = not isinstance(name, str) or name.strip() in ("", ".", "..")
    if bad or any(c in name for c in ("/", "\\", "\0", os.sep)):
        raise ValueError(
            f"name={name!r} cannot name the embedding's folder; use a plain name without slashes, e.g. 'words'."
        )


def _check_length(what: str, count: int, n: int) -> None:
    if count != n:
        raise ValueError(f"{what} has {count:,} rows but vectors have {n:,}; give exactly one per point, in order.")


# ---------------------------------------------------------------------------------------------
# metadata


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, (str, bytes)) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value).translate(_CELL_BREAKS)


def metadata_tsv(metadata: pd.DataFrame | Sequence[Any] | np.ndarray | pd.Series | pd.Index, n: int) -> str:
    """``metadata`` for ``n`` points as TSV text, by TensorBoard's rule (header iff several columns)."""
    if isinstance(metadata, pd.DataFrame):
        _check_length("metadata", len(metadata), n)
        if metadata.shape[1] == 0:
            raise ValueError("metadata is a DataFrame without columns; pass at least one column or metadata=None.")
        columns = [[_cell(v) for v in metadata.iloc[:, j].tolist()] for j in range(metadata.shape[1])]
        header = [_cell(c) for c in metadata.columns] if len(columns) > 1 else None
    else:
        if isinstance(metadata, (str, bytes)) or not hasattr(metadata, "__len__"):
            raise ValueError(f"metadata is a {type(metadata).__name__}; pass a sequence of N labels or a DataFrame.")
        values = metadata.tolist() if isinstance(metadata, (np.ndarray, pd.Series, pd.Index)) else list(metadata)
        if isinstance(metadata, np.ndarray) and metadata.ndim != 1:
            raise ValueError(
                f"metadata is an array of shape {metadata.shape}; pass one label per point, or a DataFrame for "
                "several columns."
            )
        _check_length("metadata", len(values), n)
        if any(isinstance(v, (list, tuple, dict, set, np.ndarray)) for v in values):
            raise ValueError(
                "metadata items are lists; a sequence is written as one column of labels. Pass a DataFrame "
                "(pd.DataFrame(rows, columns=[...])) for several columns."
            )
        columns, header = [[_cell(v) for v in values]], None
    lines = ["\t".join(header)] if header is not None else []
    lines.extend("\t".join(row) for row in zip(*columns))
    return "".join(line + "\n" for line in lines)


# ---------------------------------------------------------------------------------------------
# sprite


def _check_thumbnail_size(size: Any) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
        ok = width > 0 and height > 0 and all(float(v) == int(v) for v in size)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"thumbnail_size={size!r} is not a (width, height) of positive whole pixels, e.g. (32, 32).")
    return width, height


def _fitting_size(n: int, cell: tuple[int, int]) -> tuple[int, int] | None:
    """The largest (width, height) with the aspect of ``cell`` whose grid of ``n`` fits the limit."""
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    max_w, max_h = MAX_SPRITE_SIDE // columns, MAX_SPRITE_SIDE // rows
    scale = min(max_w / cell[0], max_h / cell[1])
    width, height = min(max_w, math.floor(cell[0] * scale)), min(max_h, math.floor(cell[1] * scale))
    return (width, height) if width >= 1 and height >= 1 else None


def _check_grid(n: int, cell: tuple[int, int]) -> tuple[int, int]:
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    width, height = columns * cell[0], rows * cell[1]
    if width > MAX_SPRITE_SIDE or height > MAX_SPRITE_SIDE:
        fits = _fitting_size(n, cell)
        hint = f"pass thumbnail_size={fits} or smaller" if fits else "write fewer points per embedding"
        raise ValueError(
            f"A sprite of {n:,} thumbnails of {cell[0]}×{cell[1]} px ({columns}×{rows} grid) would be "
            f"{width:,}×{height:,} px; sprites may be at most {MAX_SPRITE_SIDE}×{MAX_SPRITE_SIDE} px. {hint}."
        )
    return columns, rows


def _array_images(images: np.ndarray) -> np.ndarray:
    """(N, h, w[, c]) uint8 from an array of uint8, bool, ints in 0..255 or floats in [0, 1]."""
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[3] not in _MODES):
        hint = ""
        if images.ndim == 4 and images.shape[1] in _MODES:
            hint = " For channels-first (N, C, H, W) arrays pass images.transpose(0, 2, 3, 1)."
        raise ValueError(
            f"images have shape {images.shape}; pass (N, height, width) or (N, height, width, channels) with "
            f"1 to 4 channels.{hint}"
        )
    kind = images.dtype.kind
    if kind == "b":
        return images.astype(np.uint8) * 255
    if kind in "iu":
        if images.size and (images.min() < 0 or images.max() > 255):
            raise ValueError("integer images must lie in 0..255; rescale them or pass floats in [0, 1].")
        return images.astype(np.uint8)
    if kind == "f":
        if not np.isfinite(images).all():
            raise ValueError("images hold NaN or infinite values; replace them before writing the sprite.")
        if images.size and (images.min() < 0 or images.max() > 1):
            raise ValueError(
                f"float images must lie in [0, 1] (found {images.min():g}..{images.max():g}); "
                "divide by 255 or pass uint8."
            )
        return (images * 255).round().astype(np.uint8)
    raise ValueError(f"images hold {images.dtype} values; pass uint8, or floats in [0, 1].")


def _pil_images(images: Sequence[Image.Image]) -> tuple[list[Image.Image], str]:
    modes = {image.mode for image in images}
    if len(modes) == 1 and next(iter(modes)) in _MODES.values():
        return list(images), next(iter(modes))
    alpha = any(im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info for im in images)
    mode = "RGBA" if alpha else "RGB"
    return [image.convert(mode) for image in images], mode


def sprite_image(
    images: np.ndarray | Sequence[Image.Image], n: int, thumbnail_size: tuple[int, int] | None = None
) -> tuple[Image.Image, tuple[int, int]]:
    """The sprite of ``n`` thumbnails and its cell (width, height); ValueError if it would exceed 8192 px."""
    size = None if thumbnail_size is None else _check_thumbnail_size(thumbnail_size)
    if isinstance(images, Image.Image):
        raise TypeError("images is a single PIL image; pass a list with one image per point.")
    if not isinstance(images, np.ndarray):
        images = list(images)
    _check_length("images", len(images), n)
    if not isinstance(images, np.ndarray) and len(images) > 0 and all(isinstance(i, Image.Image) for i in images):
        pictures, mode = _pil_images(images)
        sizes = {p.size for p in pictures}
        if size is None and len(sizes) > 1:
            shown = ", ".join(f"{w}×{h}" for w, h in sorted(sizes)[:4])
            raise ValueError(f"images differ in size ({shown} px); pass thumbnail_size=(width, height).")
        cell = size or pictures[0].size
        columns, rows = _check_grid(n, cell)
        if size is not None:
            pictures = [p if p.size == size else p.resize(size, Image.Resampling.LANCZOS) for p in pictures]
        stack = np.stack([np.asarray(p) for p in pictures])
    else:
        stack = _array_images(np.asarray(images))
        if stack.ndim == 4 and stack.shape[3] == 1:
            stack = stack[..., 0]
        cell = size or (int(stack.shape[2]), int(stack.shape[1]))
        columns, rows = _check_grid(n, cell)
        mode = _MODES[1 if stack.ndim == 3 else stack.shape[3]]
        if size is not None and cell != (stack.shape[2], stack.shape[1]):
            stack = np.stack(
                [np.asarray(Image.fromarray(a, mode).resize(size, Image.Resampling.LANCZOS)) for a in stack]
            )
    width, height = cell
    channels = stack.shape[3:]  # () for L
    padded = np.full((rows * columns, height, width, *channels), 255, dtype=np.uint8)
    if mode in ("LA", "RGBA"):
        padded[..., -1] = 0  # empty cells are transparent
    padded[:n] = stack
    sheet = padded.reshape(rows, columns, height, width, *channels).swapaxes(1, 2)
    sheet = sheet.reshape(rows * height, columns * width, *channels)
    return Image.fromarray(np.ascontiguousarray(sheet), mode), cell


# ---------------------------------------------------------------------------------------------
# files and config


def _atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write ``path`` through ``write(binary_file)`` to a temporary name, then rename it into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temporary, "xb") as f:  # unlike mkstemp's 0600, honours the umask like any written file
            write(f)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _read_config(path: Path) -> Any:
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

    config = ProjectorConfig()
    if path.is_file():
        try:
            text_format.Parse(path.read_text(encoding="utf-8"), config)
        except (text_format.ParseError, UnicodeDecodeError) as error:
            raise ValueError(
                f"{path} cannot be parsed ({error}); fix or remove it, then write the embedding again."
            ) from error
    return config


def _replace_entry(config: Any, name: str) -> Any:
    """A cleared entry for ``name``: the first existing one (kept in place, later duplicates dropped) or a new one."""
    same = [i for i, entry in enumerate(config.embeddings) if entry.tensor_name == name]
    for i in reversed(same[1:]):
        del config.embeddings[i]
    if not same:
        return config.embeddings.add()
    entry = config.embeddings[same[0]]
    entry.Clear()
    return entry


def _write_config(path: Path, config: Any) -> None:
    from google.protobuf import text_format

    text = text_format.MessageToString(config)
    _atomic_write(path, lambda f: f.write(text.encode("utf-8")))
