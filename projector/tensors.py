"""Tensor files named by ``tensor_path``: TSV of floats, raw little-endian float32, or ``.npy``."""

from __future__ import annotations

import array as pyarray
import codecs
import io
import logging
import os
import re
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

from projector.errors import TensorError

log = logging.getLogger(__name__)

NPY_MAGIC = b"\x93NUMPY"


def _shown(path: str | Path, name: str | None) -> str:
    return name or os.fspath(path)


def read_tensor_file(path: str | Path, shape: tuple[int, ...] | None = None, *, name: str | None = None) -> np.ndarray:
    """A tensor file as a float32 N×D array; rows with NaN/inf are kept.

    ``.npy`` files are read with ``np.load`` (no pickles); text is a TSV of floats; with ``shape``
    given, a binary file must be exactly ``prod(shape) * 4`` bytes of little-endian float32.
    ``name`` is how the file is shown in error messages (default: ``path``).
    """
    shown = _shown(path, name)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as error:
        raise TensorError(f"Tensor file {shown} cannot be read ({error.strerror}); check that it exists.") from error
    if size == 0:
        raise TensorError(f"Tensor file {shown} is empty; write one row of numbers per point.")
    if head.startswith(NPY_MAGIC) or os.fspath(path).endswith(".npy"):
        array = _read_npy(path, shown)
    elif shape and not _looks_like_text(path):
        expected = int(np.prod(shape)) * 4
        if expected != size:
            raise TensorError(
                f"Tensor file {shown} has {size:,} bytes but tensor_shape {list(shape)} needs {expected:,} bytes "
                "of float32; fix tensor_shape in projector_config.pbtxt or rewrite the file."
            )
        array = _read_raw(path, tuple(shape), shown)
    else:
        with open(path, "rb") as f:
            array = parse_tensor_tsv(f.read(), name=shown)
    if shape and tuple(array.shape) != tuple(shape):
        log.warning("%s: tensor_shape %s in the config but the file holds %s", shown, list(shape), array.shape)
    return array


def _looks_like_text(path: str | Path) -> bool:
    with open(path, "rb") as f:
        sample = f.read(4096)
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(sample) - 4:  # not just a character cut at the sample's end
            return False
        text = sample[: error.start].decode("utf-8")
    return all(c.isprintable() or c in "\t\r\n" for c in text)


def _read_npy(path: str | Path, shown: str) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise TensorError(
            f"Tensor file {shown} is not a readable .npy array ({error}); save it with np.save."
        ) from error
    if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.number):
        raise TensorError(f"Tensor file {shown} holds {getattr(array, 'dtype', type(array))} values; save numbers.")
    if array.ndim != 2:
        raise TensorError(
            f"Tensor file {shown} has shape {array.shape}; the projector needs a 2-D matrix N×D (one row per point)."
        )
    return np.ascontiguousarray(array, dtype=np.float32)


def _read_raw(path: str | Path, shape: tuple[int, ...], shown: str) -> np.ndarray:
    if len(shape) != 2:
        raise TensorError(f"Tensor file {shown}: tensor_shape {list(shape)} is not 2-D; give it as [N, D].")
    array = np.fromfile(path, dtype="<f4")
    return array.reshape(shape).astype(np.float32, copy=False)


def parse_tensor_tsv(data: bytes | str, *, name: str = "tensor TSV") -> np.ndarray:
    """Tab-separated floats, one row per point, as float32 N×D; blank lines are skipped.

    pandas' C parser reads the file; ``nan`` and ``inf`` cells are kept as such. A cell that is not a
    number or a row with a different number of cells raises TensorError naming ``name``, the line and
    the column.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            sep="\t",
            header=None,
            dtype=np.float32,
            engine="c",
            quoting=3,
            keep_default_na=False,  # a short row is padded with empty cells, which fail: never a silent NaN
            na_values=["nan", "NaN", "NAN", "-nan"],
            skip_blank_lines=True,
        )
        array = frame.to_numpy(dtype=np.float32)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        # The C parser only says that something is wrong: find the line and column, or read the
        # spellings Python's float() accepts and pandas does not ("nAn", " 1.5 ").
        array = _parse_exactly(raw, name)
    if array.size == 0:
        raise TensorError(f"Tensor file {name} has no rows; write one row of numbers per point.")
    return np.ascontiguousarray(array, dtype=np.float32)


_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _parse_exactly(raw: bytes, name: str) -> np.ndarray:
    """Line by line, stopping at the first bad cell; values are kept as float32 (4 bytes each)."""
    values = pyarray.array("f")
    width = None
    for number, match in enumerate(_LINE.finditer(raw), start=1):
        line, start = match.group().rstrip(b"\r\n"), match.start()
        if number == 1 and line.startswith(codecs.BOM_UTF8):
            line, start = line[len(codecs.BOM_UTF8) :], len(codecs.BOM_UTF8)
        if not line.strip():
            continue
        cells = line.split(b"\t")
        try:
            row = [float(cell) for cell in cells]
        except ValueError:
            _refuse_cell(name, number, start, line, cells)
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise TensorError(
                f"Tensor file {name}, line {number} has {len(row)} values but the first row has {width}; "
                "every row must have the same number of tab-separated values."
            )
        values.extend(row)
    rows = len(values) // width if width else 0
    return np.frombuffer(values, dtype=np.float32).reshape(rows, width or 0)


def _refuse_cell(name: str, number: int, offset: int, line: bytes, cells: list[bytes]) -> NoReturn:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TensorError(
            f"Tensor file {name} is neither UTF-8 text nor float32 of the given tensor_shape "
            f"(undecodable byte at offset {offset + error.start}); write a TSV of floats or set tensor_shape."
        ) from None
    column, cell = next((j, c) for j, c in enumerate(cells, start=1) if not _is_float(c))
    text = cell.decode("utf-8")
    shown = repr(text[:40]) if text.strip() else "an empty cell"
    raise TensorError(
        f"Tensor file {name}, line {number}, column {column}: {shown} is not a number; "
        "the tensor TSV must hold only numbers (no header row, no labels: put those in metadata)."
    )


def _is_float(cell: bytes) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def peek_tensor_shape(path: str | Path, shape: tuple[int, ...] | None = None) -> tuple[int, int] | None:
    """The N×D of a tensor file without parsing its numbers (``None`` if it cannot be told cheaply)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            if f.read(len(NPY_MAGIC)) == NPY_MAGIC:
                f.seek(0)
                version = np.lib.format.read_magic(f)
                header = (
                    np.lib.format.read_array_header_1_0(f)
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0(f)
                )
                found = tuple(int(d) for d in header[0])
                return found if len(found) == 2 else None  # type: ignore[return-value]
        if not _looks_like_text(path):
            ok = shape and len(shape) == 2 and int(np.prod(shape)) * 4 == size
            return (int(shape[0]), int(shape[1])) if ok else None
        with open(path, "rb") as f:
            rows, width = 0, None
            for line in f:
                if line.strip():
                    rows += 1
                    if width is None:
                        width = line.count(b"\t") + 1
            return (rows, width) if width else None
    except (OSError, ValueError):
        return None
