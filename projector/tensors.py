"""Tensor files named by ``tensor_path``: TSV of floats, raw little-endian float32, or ``.npy``."""

from __future__ import annotations

import array as pyarray
import codecs
import io
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

from projector.errors import TensorError, reason

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
            f"Tensor file {shown} is not a readable .npy array ({reason(error, path, shown)}); save it with np.save."
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
                return found if len(found) == 2 else None
        if not _looks_like_text(path):
            if shape is not None and len(shape) == 2 and int(np.prod(shape)) * 4 == size:
                return (int(shape[0]), int(shape[1]))
            return None
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


# ---------------------------------------------------------------------------------------------
# word vectors: word2vec and GloVe text

WORD_COLUMN = "word"  # the metadata column of the words of a word-vector file
SNIFF_BYTES = 64 * 1024  # how much of a file is looked at to tell its layout
SNIFF_LINES = 100
NAN_SPELLINGS = ["nan", "NaN", "NAN", "-nan"]
_COUNT = re.compile(r"^[0-9]+$")


@dataclass(frozen=True)
class WordLayout:
    """A word-vector text file: a word then ``dims`` numbers per line, tab- or space-separated, maybe
    after word2vec's header line ``N D``."""

    tab: bool
    dims: int
    header: tuple[int, int] | None = None


def parse_tensor_text(data: bytes | str, *, name: str = "tensor TSV") -> tuple[np.ndarray, pd.Series | None]:
    """A text file of vectors as float32 N×D, with its words when it is word2vec or GloVe text (else None).

    Word-vector text (each line a word, then its numbers) is told by :func:`sniff_word_layout`; anything
    else is read by :func:`parse_tensor_tsv`, exactly as before. The words come back as strings named
    :data:`WORD_COLUMN`, one per row.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    layout = sniff_word_layout(raw)
    if layout is None:
        return parse_tensor_tsv(raw, name=name), None
    try:
        vectors, words = _read_words_fast(raw, layout)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        # A word with a space in it, a short row or a bad number: find it line by line.
        vectors, words = _read_words_exactly(raw, layout, name)
    if layout.header is not None and layout.header != vectors.shape:
        rows, dims = layout.header
        raise TensorError(
            f"Tensor file {name}, line 1: the word2vec header says {rows:,} words of {dims:,} numbers but the file "
            f"holds {vectors.shape[0]:,} words of {vectors.shape[1]:,}; fix or remove the first line."
        )
    if vectors.size == 0:
        raise TensorError(f"Tensor file {name} has no rows; write one row of numbers per point.")
    return np.ascontiguousarray(vectors, dtype=np.float32), words.rename(WORD_COLUMN).reset_index(drop=True)


def sniff_word_layout(raw: bytes) -> WordLayout | None:
    """The layout of word-vector text, or None when ``raw`` is not that (plain numbers, binary, too little).

    It is word-vector text when, on the first lines, the first field is not a number on most lines and
    on most lines the fields after it are numbers, as many on each. A first line of two whole numbers is
    word2vec's ``N D`` header.
    """
    sample = raw[:SNIFF_BYTES]
    if b"\0" in sample:
        return None
    text = sample.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = text.splitlines()
    if len(raw) > SNIFF_BYTES:
        lines = lines[:-1]  # the last one may be cut short
    lines = [line for line in lines if line.strip()][: SNIFF_LINES + 1]
    header = None
    first = lines[0].split() if lines else []
    if len(first) == 2 and all(_COUNT.match(f) for f in first) and len(lines) > 1:
        header, lines = (int(first[0]), int(first[1])), lines[1:]
    if not lines:
        return None
    tab = "\t" in lines[0]
    rows = [_fields(line, tab) for line in lines[:SNIFF_LINES]]
    counts = Counter(len(r) - 1 for r in rows if len(r) > 1 and all(_is_number(c) for c in r[1:]))
    if not counts:
        return None
    dims, fitting = counts.most_common(1)[0]
    worded = sum(not _is_number(r[0]) for r in rows)
    if fitting * 2 <= len(rows) or worded * 2 <= len(rows):
        return None
    return WordLayout(tab=tab, dims=dims, header=header)


def _fields(line: str, tab: bool) -> list[str]:
    """The fields of a line: tab-separated (trailing empty ones dropped) or separated by runs of spaces."""
    return line.rstrip("\t\r\n ").split("\t") if tab else line.split()


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_words_fast(raw: bytes, layout: WordLayout) -> tuple[np.ndarray, pd.Series]:
    """pandas' C parser reads the words as text and the numbers as float32; ValueError or ParserError if
    a line does not fit (a word with a space, a row short of numbers, a cell that is not a number)."""
    numbers = range(1, layout.dims + 1)
    frame = pd.read_csv(  # type: ignore[call-overload]  # pandas-stubs: na_values keyed by position
        io.BytesIO(raw),
        sep="\t" if layout.tab else r"\s+",  # runs of spaces (and a trailing one): still the C parser
        header=None,
        skiprows=1 if layout.header else 0,
        dtype={0: object, **{i: np.float32 for i in numbers}},
        engine="c",
        quoting=3,  # a quote is part of a word
        keep_default_na=False,  # "nan", "null" and "NA" are words; a missing number fails
        na_values={i: NAN_SPELLINGS for i in numbers},
        skip_blank_lines=True,
        encoding="utf-8",
        encoding_errors="replace",
    )
    if frame.shape[1] != layout.dims + 1:
        raise ValueError("a row has another number of fields")
    return frame.iloc[:, 1:].to_numpy(dtype=np.float32), frame[0].astype(str).astype(object)


def _read_words_exactly(raw: bytes, layout: WordLayout, name: str) -> tuple[np.ndarray, pd.Series]:
    """Line by line: each line's word is what comes before its last ``dims`` fields (so it may hold spaces);
    numpy converts the numbers. TensorError naming the line when one does not fit."""
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
    words: list[str] = []
    cells: list[list[str]] = []
    numbers: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if (number == 1 and layout.header) or not line.strip():
            continue
        parts = line.rstrip("\t\r\n ").rsplit("\t" if layout.tab else None, layout.dims)
        word_end = _fields(parts[0], layout.tab)[-1] if len(parts) == layout.dims + 1 else ""
        if len(parts) != layout.dims + 1 or (len(_fields(parts[0], layout.tab)) > 1 and _is_number(word_end)):
            found = len(_fields(line, layout.tab)) - 1
            raise TensorError(
                f"Tensor file {name}, line {number} has {found:,} values after its word but the file's lines have "
                f"{layout.dims:,}; every line must hold a word and then the same number of values."
            )
        words.append(parts[0].strip())
        cells.append(parts[1:])
        numbers.append(number)
    try:
        vectors = np.array(cells, dtype=str).astype(np.float32) if cells else np.empty((0, layout.dims), np.float32)
    except ValueError:
        row, column = next((i, j) for i, row in enumerate(cells) for j, c in enumerate(row) if not _is_number(c))
        raise TensorError(
            f"Tensor file {name}, line {numbers[row]}, column {column + 2}: {cells[row][column][:40]!r} is not a "
            "number; each line must hold a word and then only numbers."
        ) from None
    return vectors.reshape(len(cells), layout.dims), pd.Series(words, dtype=object)
