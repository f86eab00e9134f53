"""Tensor files named by ``tensor_path``: TSV of floats, raw little-endian float32, or ``.npy``."""

from __future__ import annotations

import array as pyarray
import codecs
import io
import logging
import math
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn

import numpy as np
import pandas as pd

from projector.errors import TensorError, reason

log = logging.getLogger(__name__)

NPY_MAGIC = b"\x93NUMPY"
# No number a tool writes is longer (float64's repr is at most 24 characters): a longer cell is not data.
MAX_NUMBER_CHARS = 64
# pandas' C parser costs about 1.5 KB and 40 µs a column, whatever the rows: a one-line file of a million
# columns took 1.5 GB and 40 s. It reads a file only while that cost stays below the file's own size.
PANDAS_COLUMN_BYTES = 2048
PANDAS_MIN_COLUMNS = 2_000
CELL_CHUNK = 2**16  # a long line is split into cells this many bytes at a time, so its cells are never all held


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
        if any(int(d) <= 0 for d in shape):
            raise TensorError(
                f"Tensor file {shown}: tensor_shape {list(shape)} has a side that is not positive; "
                "fix tensor_shape in projector_config.pbtxt."
            )
        expected = math.prod(int(d) for d in shape) * 4  # Python ints: np.prod wraps around at 2**63
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
        with open(path, "rb") as f:
            _check_npy_header(f, os.path.getsize(path), shown)
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise TensorError(
            f"Tensor file {shown} is not a readable .npy array ({reason(error, path, shown)}); save it with np.save."
        ) from error
    return _npy_matrix(array, shown)


def parse_tensor_npy(data: bytes, *, name: str = "tensor .npy") -> np.ndarray:
    """An ``.npy`` file's bytes (an upload) as float32 N×D; TensorError naming ``name`` when unusable.

    Like :func:`read_tensor_file`, the header's shape is checked against the bytes that follow it before
    numpy allocates anything, and no pickle is ever loaded.
    """
    try:
        _check_npy_header(io.BytesIO(data), len(data), name)
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, EOFError) as error:
        raise TensorError(f"Tensor file {name} is not a readable .npy array ({error}); save it with np.save.") from None
    return _npy_matrix(array, name)


def _check_npy_header(f: IO[bytes], size: int, shown: str) -> tuple[int, int]:
    """The N×D an ``.npy`` header gives; TensorError unless it is a numeric matrix of exactly the bytes after it.

    numpy allocates the shape a header claims before reading the data: a 100-byte file claiming 10⁹ × 10⁹
    floats would ask for 4 EB. ValueError for a header numpy cannot read at all.
    """
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    else:  # 3.0 only adds UTF-8 field names of structured arrays, never numbers
        raise ValueError(f"format version {version[0]}.{version[1]} holds no plain numbers")
    if not np.issubdtype(dtype, np.number):
        raise TensorError(f"Tensor file {shown} holds {dtype} values; save numbers.")
    if len(shape) != 2:
        raise TensorError(
            f"Tensor file {shown} has shape {tuple(shape)}; the projector needs a 2-D matrix N×D (one row per point)."
        )
    needed, held = math.prod(shape) * dtype.itemsize, size - f.tell()
    if needed != held:
        raise TensorError(
            f"Tensor file {shown}: its .npy header says shape {tuple(shape)} of {dtype}, {needed:,} bytes, but "
            f"{held:,} bytes follow the header; the file is cut short or damaged: save it again with np.save."
        )
    return int(shape[0]), int(shape[1])


def _npy_matrix(array: object, shown: str) -> np.ndarray:
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

    pandas' C parser reads the file (a file too wide for it is read line by line); ``nan`` and ``inf``
    cells are kept as such. A cell that is not a number, a row with a different number of cells or, when
    read line by line, a cell longer than any number (:data:`MAX_NUMBER_CHARS`) raises TensorError naming
    ``name``, the line and the column. Memory is the float32 result and a few MB, whatever the file claims.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not _pandas_can_read(raw, _first_width(raw)):
        array = _parse_exactly(raw, name)
    else:
        array = _parse_with_pandas(raw, name)
    if array.size == 0:
        raise TensorError(f"Tensor file {name} has no rows; write one row of numbers per point.")
    return np.ascontiguousarray(array, dtype=np.float32)


def _parse_with_pandas(raw: bytes, name: str) -> np.ndarray:
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
    return array


def _pandas_can_read(raw: bytes, columns: int) -> bool:
    """Whether pandas' per-column cost (:data:`PANDAS_COLUMN_BYTES`) stays within the size of the file."""
    return columns <= max(PANDAS_MIN_COLUMNS, len(raw) // PANDAS_COLUMN_BYTES)


def _first_width(raw: bytes) -> int:
    """The number of tab-separated cells on the first line that is not blank (0 if none is)."""
    for _, _, line in _lines(raw):
        if line.strip():
            return line.count(b"\t") + 1
    return 0


_BREAK = re.compile(rb"\r\n?|\n")
LINES_BLOCK = 2**16  # bytes split into lines at a time: C-speed splitting, never a list of every line


def _lines(raw: bytes) -> Iterator[tuple[int, int, bytes]]:
    """Each line as (line number, offset of its first byte, bytes without the line break), one at a time.

    Lines end at LF, CRLF or CR, as for pandas' C parser; a UTF-8 byte order mark before line 1 is dropped.
    """
    number, at = 0, len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    while at < len(raw):
        found = _BREAK.search(raw, min(at + LINES_BLOCK, len(raw)))
        end = found.end() if found else len(raw)
        for piece in raw[at:end].splitlines(keepends=True):
            number += 1
            yield number, at, piece.rstrip(b"\r\n")
            at += len(piece)


def _cell_chunks(line: bytes, sep: bytes) -> Iterator[list[bytes]]:
    """The cells of ``line``, in lists covering about :data:`CELL_CHUNK` bytes each (a one-line file of
    millions of cells is never held as millions of objects at once)."""
    start = 0
    while len(line) - start > CELL_CHUNK:
        cut = line.find(sep, start + CELL_CHUNK)
        if cut < 0:
            break
        yield line[start:cut].split(sep)
        start = cut + 1
    yield line[start:].split(sep) if start else line.split(sep)


def _parse_exactly(raw: bytes, name: str) -> np.ndarray:
    """Line by line, stopping at the first bad cell; values are kept as float32 (4 bytes each).

    Nothing is held but the values and one chunk of one line, so memory is at most about twice the file.
    """
    values = pyarray.array("f")
    width = None
    for number, start, line in _lines(raw):
        if not line.strip():
            continue
        found = 0
        for cells in _cell_chunks(line, b"\t"):
            try:
                if max(map(len, cells)) > MAX_NUMBER_CHARS and any(len(c.strip()) > MAX_NUMBER_CHARS for c in cells):
                    raise ValueError("a cell longer than any number")
                row = [float(cell) for cell in cells]
            except ValueError:
                _refuse_cell(name, number, start, line, cells, found)
            found += len(row)
            if width is not None and found > width:
                break
            values.extend(row)
        if width is None:
            width = found
        elif found != width:
            found = found if found < width else line.count(b"\t") + 1
            raise TensorError(
                f"Tensor file {name}, line {number} has {found} values but the first row has {width}; "
                "every row must have the same number of tab-separated values."
            )
    rows = len(values) // width if width else 0
    return np.frombuffer(values, dtype=np.float32).reshape(rows, width or 0)


def _refuse_cell(name: str, number: int, offset: int, line: bytes, cells: list[bytes], before: int) -> NoReturn:
    """TensorError for the first bad cell of ``cells``, the part of ``line`` after its first ``before`` cells."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TensorError(
            f"Tensor file {name} is neither UTF-8 text nor float32 of the given tensor_shape "
            f"(undecodable byte at offset {offset + error.start}); write a TSV of floats or set tensor_shape."
        ) from None
    column, cell = next((before + j, c) for j, c in enumerate(cells, start=1) if not _is_float(c))
    raise TensorError(
        f"Tensor file {name}, line {number}, column {column}: {_shown_cell(cell.decode('utf-8'))}; "
        "the tensor TSV must hold only numbers (no header row, no labels: put those in metadata)."
    )


def _shown_cell(text: str) -> str:
    """What is wrong with a cell that is not a number, as a message names it."""
    if len(text.strip()) > MAX_NUMBER_CHARS:
        return f"a cell of {len(text.strip()):,} characters is longer than any number ({text[:20]!r}…)"
    return f"{text[:40]!r} is not a number" if text.strip() else "an empty cell is not a number"


def _is_float(cell: bytes | str) -> bool:
    """Whether ``cell`` is a number of at most :data:`MAX_NUMBER_CHARS` characters."""
    if len(cell.strip()) > MAX_NUMBER_CHARS:
        return False
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
                try:  # a shape the file's size does not bear out is not listed: reading it will say why
                    return _check_npy_header(f, size, os.fspath(path))
                except TensorError:
                    return None
        if not _looks_like_text(path):
            if (
                shape is not None
                and len(shape) == 2
                and all(int(d) > 0 for d in shape)
                and math.prod(int(d) for d in shape) * 4 == size
            ):
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
_COUNT = re.compile(r"^[0-9]{1,18}$")  # a count of words or dimensions, short of int()'s 4,300-digit limit


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
    :data:`WORD_COLUMN`, one per row. pandas' C parser reads word-vector text; a file it refuses (a word
    with a space, a bad cell) or one too wide for it is read line by line, which also refuses a cell longer
    than any number. Memory follows what the file holds: word2vec's ``N D`` header is only compared.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    layout = sniff_word_layout(raw)
    if layout is None:
        return parse_tensor_tsv(raw, name=name), None
    try:
        if not _pandas_can_read(raw, layout.dims + 1):
            raise ValueError("too wide for pandas' C parser")
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
    its numbers go straight into float32. TensorError naming the line when one does not fit, and the line
    and column of a cell that is not a number or is longer than any number can be.

    Nothing is held but the float32 values, the words and one line, so memory follows what the file holds:
    at most about twice its size besides the words.
    """
    values = pyarray.array("f")
    words: list[str] = []
    sep = "\t" if layout.tab else None
    header = layout.header is not None  # word2vec's "N D" is the first line that is not blank
    for number, _, data in _lines(raw):
        line = data.decode("utf-8", errors="replace")
        if not line.strip():
            continue
        if header:
            header = False
            continue
        parts = line.rstrip("\t\r\n ").rsplit(sep, layout.dims)
        if len(parts) != layout.dims + 1 or (_SPACE.search(parts[0]) and _ends_with_a_number(parts[0], layout.tab)):
            raise TensorError(
                f"Tensor file {name}, line {number} has {_count_fields(line, layout.tab) - 1:,} values after its "
                f"word but the file's lines have {layout.dims:,}; every line must hold a word and then the same "
                "number of values."
            )
        cells = parts[1:]
        try:
            if max(map(len, cells)) > MAX_NUMBER_CHARS and any(len(c.strip()) > MAX_NUMBER_CHARS for c in cells):
                raise ValueError("a cell longer than any number")
            values.extend([float(cell) for cell in cells])
        except ValueError:
            column, cell = next((j, c) for j, c in enumerate(cells, start=2) if not _is_float(c))
            raise TensorError(
                f"Tensor file {name}, line {number}, column {column}: {_shown_cell(cell)}; "
                "each line must hold a word and then only numbers."
            ) from None
        words.append(parts[0].strip())
    vectors = np.frombuffer(values, dtype=np.float32).reshape(len(words), layout.dims)
    return vectors, pd.Series(words, dtype=object)


_SPACE = re.compile(r"\s")


def _ends_with_a_number(part: str, tab: bool) -> bool:
    """Whether the part of a line before its numbers has several fields (as :func:`_fields` splits them), the
    last a number: then the line has a value too many ("b 7 1 2" for two numbers), not a word with a space
    in it ("new york 1 2")."""
    fields = part.rstrip("\t\r\n ").rsplit("\t", 1) if tab else part.strip().rsplit(None, 1)
    return len(fields) > 1 and _is_number(fields[-1])


def _count_fields(line: str, tab: bool) -> int:
    """The number of fields :func:`_fields` finds in ``line``, without holding them all."""
    if tab:
        return line.rstrip("\t\r\n ").count("\t") + 1
    return sum(1 for _ in re.finditer(r"\S+", line))
