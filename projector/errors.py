"""One exception family for everything a user can fix; each message names the file and what to do."""

from __future__ import annotations

import os
import re


class ProjectorError(Exception):
    """Base class: ``str(error)`` is a complete message shown to the user in the error banner."""


class ConfigError(ProjectorError):
    """A ``projector_config.pbtxt`` that cannot be parsed or names something that does not exist."""


class CheckpointError(ProjectorError):
    """A checkpoint that is missing, unreadable, or has no usable 2-D variable."""


class TensorError(ProjectorError):
    """A tensor file (TSV, raw float32, .npy) or variable that is not a usable N×D matrix."""


class MetadataError(ProjectorError):
    """A metadata TSV that does not match its tensor."""


class SpriteError(ProjectorError):
    """A sprite image that is too large, unreadable, or does not hold one cell per point."""


class PathError(ProjectorError):
    """An asset path that resolves outside the logdir."""


class InputError(ProjectorError):
    """A value typed by the user that cannot be used (an invalid regex, k out of range, ...)."""


class BookmarkError(ProjectorError):
    """A bookmarks file that is not TensorBoard ``State`` JSON or was saved for a different tensor."""


def reason(error: BaseException, path: str | os.PathLike[str], shown: str) -> str:
    """``error``'s text for a user message, with the server's own path of the file replaced by ``shown``."""
    text = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    written = {os.fspath(path), os.path.abspath(path), os.path.realpath(path)}
    for form in sorted((w for w in written if os.sep in w), key=len, reverse=True):
        text = text.replace(form, shown)
    return text


# An absolute path (POSIX, home-relative, Windows drive or UNC) not inside a URL, a fraction or a relative path.
_PART = r"[^\s'\"`()<>\[\]{},;|/\\]+"
_ABSOLUTE_PATH = re.compile(rf"(?<![\w.~/\\:-])(?:~?/|[A-Za-z]:[\\/]|\\\\)(?:{_PART}[\\/]+)*{_PART}[\\/]?")


def without_paths(text: str) -> str:
    """``text`` with each absolute path cut to its last component (``/srv/cache/results/ab12.npy`` →
    ``ab12.npy``): enough to tell files apart, nothing of the server's layout."""
    return _ABSOLUTE_PATH.sub(_last_component, text)


def _last_component(match: re.Match[str]) -> str:
    path = match.group(0)
    end = len(path.rstrip(".:!?"))  # a full stop after the path ends the sentence, not the file name
    parts = [p for p in re.split(r"[\\/]", path[:end]) if p not in ("", "~") and not re.fullmatch("[A-Za-z]:", p)]
    return (parts[-1] if parts else path[:end]) + path[end:]


def internal_text(error: BaseException) -> str:
    """``Type: text`` of an unexpected exception, for a user's message: without the server's absolute paths."""
    return without_paths(f"{type(error).__name__}: {error}")
