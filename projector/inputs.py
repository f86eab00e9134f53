"""Values a page sends to the server, parsed before any callback uses them.

Dash hands a callback whatever a client posts; the page sends only what its components hold, so anything
else is a replayed or edited request. Each parser here takes one kind of value (a click count, a short
text, a choice, a form number, a store's JSON) and returns it unchanged when it is one the page could
send, else raises :class:`Refused` saying why. None of them allocates more than the value already takes:
lengths, depths and ranges are checked, never trusted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from projector.errors import InputError

Parser = Callable[[Any], Any]

MAX_TEXT = 1_000  # a dropdown value, a column name
MAX_TYPED = 100_000  # what a user may type or paste into a search (the search itself says what is too long)
MAX_FIELD = 100  # what a form field holds ("auto", "0.1", "5000")
MAX_URL = 10_000
MAX_ROWS = 20_000_000  # row numbers in one store: a view of every point of the largest tensor served
MAX_ROW = 2**31 - 1
MAX_DEPTH = 8  # nesting of a store's JSON (a Plotly event is 4 deep)
MAX_ITEMS = 2 * MAX_ROWS  # values in one store's JSON altogether
MAX_STRING = 2**20  # one string inside a store (a typed array of a highlight is base64 text)
MAX_COUNT = 2**53  # clicks and ticks: what a JavaScript number counts exactly


class Refused(InputError):
    """A value the page never sends."""


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def clicks(value: Any) -> Any:
    """``n_clicks``, ``n_intervals``, ``n_submit``: None or a count."""
    if value is None or (_whole(value) and 0 <= value < MAX_COUNT):
        return value
    raise Refused("a click or tick count must be a whole number from 0")


def flag(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    raise Refused("a switch is true or false")


def text(limit: int = MAX_TEXT) -> Parser:
    """None or a string of at most ``limit`` characters (a dropdown's value, a text field)."""

    def parse(value: Any) -> Any:
        if value is None or (isinstance(value, str) and len(value) <= limit):
            return value
        raise Refused(f"expected text of at most {limit:,} characters")

    return parse


def upload(value: Any) -> Any:
    """An upload's ``contents``: a data URL, as long as the request limit lets it be."""
    if value is None or isinstance(value, str):
        return value
    raise Refused("an upload's contents are a data URL")


def choice(*allowed: Any) -> Parser:
    """One of ``allowed`` (or None)."""

    def parse(value: Any) -> Any:
        if value is None or (type(value) in (str, int) and value in allowed):
            return value
        raise Refused(f"expected one of {', '.join(map(str, allowed))}")

    return parse


def checklist(value: Any) -> Any:
    """A checklist's value: a short list of short option values."""
    if value is None or (
        isinstance(value, list) and len(value) <= 20 and all(isinstance(v, str) and len(v) <= MAX_FIELD for v in value)
    ):
        return value
    raise Refused("a checklist's value is a short list of its options")


def field(value: Any) -> Any:
    """A form field that holds a number (or a word such as "auto"): a finite number or short text."""
    if value is None or (isinstance(value, str) and len(value) <= MAX_FIELD):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return value
    raise Refused(f"a form field holds a finite number or at most {MAX_FIELD} characters")


def position(value: Any) -> Any:
    """A place on a slider: None or a finite number from 0 (keys move it between marks)."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= MAX_ROW):
        return value
    raise Refused("expected a number from 0")


def index(value: Any) -> Any:
    """A small whole number (a component, a list position) or None."""
    if value is None or (_whole(value) and 0 <= value <= MAX_ROW):
        return value
    raise Refused("expected a whole number from 0")


def store(value: Any) -> Any:
    """A store's JSON: at most :data:`MAX_DEPTH` deep, :data:`MAX_ITEMS` values, strings of at most
    :data:`MAX_STRING` characters and finite numbers, checked without copying it."""
    items = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        items += 1
        if items > MAX_ITEMS:
            raise Refused(f"a store holds at most {MAX_ITEMS:,} values")
        if isinstance(item, float) and not math.isfinite(item):
            raise Refused("a store's numbers are finite")
        if isinstance(item, str) and len(item) > MAX_STRING:
            raise Refused(f"a store's strings are at most {MAX_STRING:,} characters")
        if isinstance(item, (list, dict)):
            if depth >= MAX_DEPTH:
                raise Refused(f"a store's JSON is at most {MAX_DEPTH} deep")
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return value


def rows(value: Any, what: str = "rows") -> Any:
    """None or a list of row numbers (whole numbers from 0, at most :data:`MAX_ROWS`)."""
    if value is None:
        return value
    if not isinstance(value, list) or len(value) > MAX_ROWS:
        raise Refused(f"{what} are a list of at most {MAX_ROWS:,} row numbers")
    if not all(_whole(r) and 0 <= r <= MAX_ROW for r in value):
        raise Refused(f"{what} are whole numbers from 0")
    return value


def _record(value: Any, required: tuple[str, ...]) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(k in value for k in required):
        raise Refused(f"expected a record with {', '.join(required)}")
    store(value)
    return value


def record(*required: str) -> Parser:
    """None or a store's record (a JSON object with the ``required`` keys), bounded as :func:`store`."""

    def parse(value: Any) -> Any:
        _record(value, required)
        return value

    return parse


def view(value: Any) -> Any:
    """The view store: None, or ``{tensor, indices, step, moved}`` with a tensor key, the isolated rows, the
    training step shown and whether the step alone moved."""
    record = _record(value, ("tensor",))
    if record is not None:
        text()(record["tensor"])
        rows(record.get("indices"), "isolated rows")
        index(record.get("step"))
        if record.get("moved") not in (None, "step"):
            raise Refused("a view moves only by its step")
    return value


def selection(value: Any) -> Any:
    """The selection store: None, or ``{tensor, points, anchor, source}``."""
    record = _record(value, ("tensor",))
    if record is not None:
        text()(record["tensor"])
        rows(record.get("points"), "selected rows")
        index(record.get("anchor"))
        text(MAX_FIELD)(record.get("source"))
    return value


def neighbors(value: Any) -> Any:
    """The neighbours store: None, or the clicked point and its neighbours' rows."""
    if _record(value, ("anchor",)) is not None:
        index(value["anchor"])
        rows(value.get("indices"), "neighbours")
    return value
