"""Find points by metadata: a case-insensitive substring, or a regular expression run by RE2 in linear time.

Python's ``re`` backtracks: ``(a+)+$`` over one label of 35 a's and a "!" runs for hours holding the GIL,
which would stop every user of a shared server. RE2 takes time linear in the text and drops the features
that need backtracking (backreferences, lookarounds). All values are joined into one text, one value a
line, and searched in one pass that jumps to the next line after each match.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import re2

from projector.errors import InputError

MAX_QUERY_LENGTH = 1_000
RE2_NOTE = "RE2 syntax: backreferences and lookarounds are not supported, so that every search runs in linear time"
_UNANCHORED = re2._Anchor.UNANCHORED
# Escapes and flags whose meaning changes when values are lines of one text: search value by value instead.
_NEEDS_ONE_BY_ONE = re2.compile(r"\\[ACz]|\(\?[a-zA-Z]*-")


def _options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.never_nl = True  # a match never crosses the newline between two values
    options.never_capture = True  # only whether a value matches counts
    options.log_errors = False  # a typing user's bad pattern is no server error
    return options


_OPTIONS = _options()


def _shown(query: str) -> str:
    return f"'{query}'" if len(query) <= 80 else f"'{query[:77]}...'"


def _check_length(query: str) -> None:
    if len(query) > MAX_QUERY_LENGTH:
        raise InputError(
            f"The search is {len(query):,} characters long; the limit is {MAX_QUERY_LENGTH:,} characters. Shorten it."
        )


def _explain(detail: str) -> str:
    """What RE2's error ``detail`` means, and how to do without it, for someone used to Python's ``re``."""
    token = detail.rpartition(": ")[2]
    if detail.startswith("invalid escape sequence: \\") and token[1:2] in set("123456789gk"):
        return f"backreferences such as {token} are not supported ({RE2_NOTE}). Write the repeated text out"
    if token in ("(?P", "(?P="):
        return f"named backreferences such as (?P=name) are not supported ({RE2_NOTE}). Write the text out"
    if token in ("(?=", "(?!", "(?<=", "(?<!"):
        return (
            f"lookarounds such as {token}...) are not supported ({RE2_NOTE}). Match the surrounding text itself, "
            "e.g. foo(bar) rather than foo(?=bar)"
        )
    if token == "(?>" or detail.startswith("bad repetition operator"):
        return f"atomic groups and possessive quantifiers such as {token} are not supported ({RE2_NOTE}). Drop them"
    if token == "(?(":
        return f"conditionals such as (?(1)...) are not supported ({RE2_NOTE}). Use an alternation a|b"
    if token == "\\Z":
        return "\\Z is not supported in RE2 syntax. Use $ for the end of a value"
    if detail.startswith("pattern too large"):
        return "the pattern is too large for RE2 (8 MiB compiled). Use smaller repetition counts"
    if detail.startswith("invalid repetition size"):
        return f"{detail}; RE2 allows counts up to 1000, nested counts multiplied. Use smaller counts"
    return f"{detail}. Fix it"


def _compile(query: str) -> re2._Regexp:
    """The case-insensitive RE2 pattern for ``query``; ``InputError`` naming what RE2 cannot run."""
    try:
        return re2.compile(query, _OPTIONS)
    except re2.error as error:
        detail = error.args[0].decode("utf-8", "replace") if error.args else "cannot be compiled"
        raise InputError(
            f"Invalid regular expression {_shown(query)}: {_explain(detail)}, or turn regex off."
        ) from None


def _as_strings(values: Sequence[str] | pd.Series | pd.Index) -> pd.Series:
    """Values as a string Series; missing cells stay missing."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    series = series.reset_index(drop=True)
    if isinstance(series.dtype, pd.StringDtype):
        return series
    missing = series.isna()
    strings = series.astype(str)
    return strings.where(~missing, None) if missing.any() else strings


def _regex_hits(texts: list[str], query: str) -> np.ndarray:
    """Whether each text contains a match of ``query`` (already validated), in linear time."""
    if _NEEDS_ONE_BY_ONE.search(query):
        match = _compile(query)._regexp.Match
        return np.fromiter(
            (match(_UNANCHORED, b, 0, len(b))[0][0] >= 0 for b in (t.encode("utf-8") for t in texts)), bool, len(texts)
        )
    match = _compile("(?m)" + query)._regexp.Match  # the binding's RE2::Match: 3x less overhead than search()
    text = "\n".join(texts).encode("utf-8")
    breaks = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == ord("\n"))
    starts = []
    position, end = 0, len(text)
    while position <= end:
        start, stop = match(_UNANCHORED, text, position, end)[0]
        if start < 0:
            break
        starts.append(start)
        position = text.find(b"\n", stop) + 1  # the line matched: go on with the next one
        if position == 0:
            break
    lines = np.searchsorted(breaks, np.asarray(starts, dtype=np.int64), side="left")
    if breaks.size != len(texts) - 1:  # some texts hold newlines: each of their lines is searched on its own
        line_counts = np.fromiter((t.count("\n") + 1 for t in texts), np.int64, len(texts))
        lines = np.repeat(np.arange(len(texts)), line_counts)[lines]
    hits = np.zeros(len(texts), dtype=bool)
    hits[lines] = True
    return hits


def _match(values: Sequence[str] | pd.Series | pd.Index, query: str, regex: bool) -> np.ndarray:
    """Boolean mask of matching values (the query is already validated and non-empty)."""
    strings = _as_strings(values)
    if strings.empty:
        return np.zeros(0, dtype=bool)
    filled = strings.to_numpy(dtype=object, na_value="")
    if regex:
        sample = filled[:: max(1, filled.size // 1000)].tolist()
        if 2 * len(set(sample)) <= len(sample):  # a category column: search each distinct value once
            codes, uniques = pd.factorize(filled)
            hits = _regex_hits(uniques.tolist(), query)[codes]
        else:
            hits = _regex_hits(filled.tolist(), query)
    else:
        hits = strings.str.contains(query, case=False, regex=False, na=False).to_numpy(dtype=bool, na_value=False)
    # A pattern such as "x*" matches the empty string; blank cells are missing, not matches.
    matched: np.ndarray = hits & (filled != "")
    return matched


def _checked(query: str, regex: bool) -> bool:
    """Whether ``query`` searches anything; ``InputError`` if it is too long or an invalid pattern."""
    if not query or not query.strip():
        return False
    _check_length(query)
    if regex:
        _compile(query)
    return True


def search(values: Sequence[str] | pd.Series, query: str, regex: bool = False) -> np.ndarray:
    """Sorted int64 positions of ``values`` matching ``query``.

    A case-insensitive substring test, or when ``regex`` is true a case-insensitive RE2 search (Python ``re``
    syntax without backreferences and lookarounds, ``\\w \\d \\b`` ASCII-only, ``\\pL`` for any letter; each
    line of a multi-line value on its own; linear time). An empty or blank query matches nothing,
    and so do missing cells (``""`` or NaN). Raises ``InputError`` for a query over ``MAX_QUERY_LENGTH``
    characters or a pattern RE2 cannot run.
    """
    if not _checked(query, regex):
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(_match(values, query, regex)).astype(np.int64)


def search_columns(frame: pd.DataFrame, column: str | None, query: str, regex: bool) -> np.ndarray:
    """Sorted int64 row positions of ``frame`` whose ``column`` matches ``query`` (see :func:`search`).

    ``column`` None or ``""`` searches every column (a row matches if any cell does). A frame without columns
    searches the row index as strings, the labels such points are shown with.
    """
    if not _checked(query, regex):
        return np.empty(0, dtype=np.int64)
    if frame.shape[1] == 0:
        return np.flatnonzero(_match(frame.index.astype(str), query, regex)).astype(np.int64)
    if column:
        if column not in frame.columns:
            names = ", ".join(map(str, frame.columns[:20])) + (", ..." if frame.shape[1] > 20 else "")
            raise InputError(f"Unknown metadata column {column!r}; choose one of {names}.")
        positions = np.flatnonzero(frame.columns == column)  # a name may repeat
    else:
        positions = np.arange(frame.shape[1])
    hits = np.zeros(len(frame), dtype=bool)
    for position in positions:
        hits |= _match(frame.iloc[:, int(position)], query, regex)
    return np.flatnonzero(hits).astype(np.int64)
