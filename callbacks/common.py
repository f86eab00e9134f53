"""Pieces every panel uses: the error banner's content and turning failures into it."""

from __future__ import annotations

import functools
import logging
from typing import Callable
from urllib.parse import parse_qs

from dash import Output, html, no_update, set_props

from callbacks import ids
from projector.errors import ProjectorError, internal_text

log = logging.getLogger(__name__)


def banner_layout() -> html.Div:
    """``error-banner``: one slot for what loading found, one for what the last action hit."""
    return html.Div(
        [
            html.Button("×", id=ids.BANNER_CLOSE, className="banner-close", title="Dismiss"),
            html.Div(id=ids.BANNER_DATA),
            html.Div(id=ids.BANNER_ACTION),
        ],
        id=ids.ERROR_BANNER,
        role="alert",
        className="banner",
    )


def banner(messages: list[str], level: str = "error") -> list:
    """Children of a banner slot listing ``messages``; empty when there is nothing to say."""
    if not messages:
        return []
    return [html.Ul([html.Li(m, className=f"banner-{level}") for m in messages])]


def user_message(error: Exception) -> str:
    """The text shown for an exception: ours verbatim, anything else as an internal error."""
    if isinstance(error, ProjectorError):
        return str(error)
    return f"Internal error ({internal_text(error)}). The rest of the app still works; see the server log."


REFUSED = (
    "This request could not be answered: it holds a value the page never sends, or the server hit a bug (its "
    "log says which). Nothing was changed; reload the page if it keeps happening."
)


def refuse(error: Exception) -> None:
    """Dash's handler for an exception that reached no banner: a request replayed with values the page never
    sends (a wrong type, an id of nothing), or a bug. The outputs stay as they are (None is no update), the
    page's banner says so, the log has the traceback: never a 500."""
    if isinstance(error, ProjectorError):
        message = str(error)
    else:
        log.warning("callback refused: %s", internal_text(error), exc_info=error)
        message = REFUSED
    set_props(ids.BANNER_ACTION, {"children": banner([message])})


def with_banner(outputs: dict, slot: str = ids.BANNER_ACTION) -> dict:
    """A callback's dict of outputs with its banner slot added (key ``"banner"``): where its failures go."""
    return {**outputs, "banner": Output(slot, "children", allow_duplicate=True)}


def answers(app, output: dict, slot: str | None = ids.BANNER_ACTION, **kwargs) -> Callable:
    """``app.callback`` in dict form: the callback returns the outputs it changes (the others stay as they
    are) and, with a banner ``slot``, has it as output ``"banner"``, where its failures are reported."""
    outputs = with_banner(output, slot) if slot else output

    def wrap(func: Callable) -> Callable:
        @functools.wraps(func)
        def inner(*args, **kw):
            return outcome(outputs, **func(*args, **kw))

        return app.callback(output=outputs, **kwargs)(reports_errors(outputs)(inner) if slot else inner)

    return wrap


def reports_errors(outputs: int | dict) -> Callable:
    """Decorate a callback so that failures fill its banner slot and its other outputs stay as they are.

    ``outputs`` is the callback's dict of outputs (the banner under the key ``"banner"``), or, for a
    callback with positional outputs, how many there are (the banner LAST).
    """

    def wrap(func: Callable) -> Callable:
        @functools.wraps(func)
        def inner(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 - every failure must reach the user, not a dead page
                if not isinstance(error, ProjectorError):
                    log.exception("callback %s failed", func.__name__)
                message = banner([user_message(error)])
                if isinstance(outputs, dict):
                    return outcome(outputs, banner=message)
                return (*([no_update] * (outputs - 1)), message)

        return inner

    return wrap


def outcome(outputs: dict, **values) -> dict:
    """The result of a dict-form callback: ``values`` for the outputs named, no change to the others
    (a group of outputs, a list or dict of them, gets a group of no-changes of its shape)."""
    unknown = set(values) - set(outputs)
    if unknown:
        raise KeyError(f"not outputs of this callback: {sorted(unknown)}")
    return {name: values[name] if name in values else unchanged(output) for name, output in outputs.items()}


def unchanged(output):
    """``no_update`` in the shape of an output grouping."""
    if isinstance(output, dict):
        return {name: unchanged(o) for name, o in output.items()}
    if isinstance(output, (list, tuple)):
        return [unchanged(o) for o in output]
    return no_update


def read_query(search: str | None) -> dict[str, str]:
    """The first value of each query parameter."""
    return {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items() if v}


def list_entry(children: list, label: str, row: int, position: int, kind: str, **props) -> html.Li:
    """One entry of a list you can walk: clicking it selects dataset ``row``, hovering it rings trace
    ``position`` on the plot (both in assets/lists.js)."""
    data = {"data-row": str(row), "data-position": str(position)}
    return html.Li(children, className=f"{kind} pick", title=label, tabIndex="0", **data, **props)


def opened(workspace, key: str | None):
    """The dataset of tensor ``key`` for a panel that only lists its columns, or None (no tensor, or one that
    cannot be opened: the data panel says why, so the panel just shows no columns)."""
    if not key:
        return None
    try:
        return workspace.dataset(key)
    except Exception:  # noqa: BLE001 - reported by the data panel's own callback
        return None
