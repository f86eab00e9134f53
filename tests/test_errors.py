from __future__ import annotations

import os

import pytest

from projector.errors import internal_text, reason, without_paths


def test_reason_hides_the_servers_path(tmp_path):
    path = tmp_path / "run" / "sprite.png"
    error = OSError(f"cannot identify image file {str(path)!r}")
    assert reason(error, path, "run/sprite.png") == "cannot identify image file 'run/sprite.png'"


def test_reason_hides_the_resolved_path_of_a_link(tmp_path):
    (tmp_path / "data.npy").write_bytes(b"")
    os.symlink(tmp_path / "data.npy", tmp_path / "t.npy")
    error = ValueError(f"Failed to interpret file {str(tmp_path / 'data.npy')!r} as a pickle")
    assert str(tmp_path) not in reason(error, tmp_path / "t.npy", "t.npy")


def test_reason_of_an_os_error_is_its_strerror(tmp_path):
    with pytest.raises(OSError) as caught:
        open(tmp_path / "missing.tsv", "rb")
    assert reason(caught.value, tmp_path / "missing.tsv", "missing.tsv") == "No such file or directory"


def test_an_unexpected_error_is_shown_without_the_servers_paths(tmp_path):
    cache = tmp_path / ".cache" / "embedding-projector" / "results" / "ab12.npy"
    with pytest.raises(OSError) as caught:
        open(cache, "rb")
    text = internal_text(caught.value)
    assert text == "FileNotFoundError: [Errno 2] No such file or directory: 'ab12.npy'"
    assert internal_text(KeyError(str(cache))) == "KeyError: 'ab12.npy'"
    moved = OSError(18, "Invalid cross-device link", "/srv/a/in.npy", None, "/mnt/b/out.npy")
    assert internal_text(moved) == "OSError: [Errno 18] Invalid cross-device link: 'in.npy' -> 'out.npy'"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("cannot write /srv/cache/results/ab12.npy.", "cannot write ab12.npy."),
        ("disk full in /var/tmp/jobs/ (no space)", "disk full in jobs (no space)"),
        ("(/a/b/c) and [/d/e] and path=/f/g, done", "(c) and [e] and path=g, done"),
        ("see ~/.cache/embedding-projector/numba/x.nbi: stale", "see x.nbi: stale"),
        (r"C:\Users\me\cache\ab.npy is locked", "ab.npy is locked"),
        (r"share \\server\projector\t.tsv gone", "share t.tsv gone"),
        ("/only", "only"),
    ],
)
def test_each_absolute_path_becomes_its_last_component(text, shown):
    assert without_paths(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "Error connecting to redis://host:6379/0.",
        "see https://example.com/a/b",
        "run/metadata.tsv and ./t.npy and ../up/x",
        "1/2 done, N/A, a / b, ratio 3/4",
        "a plain message",
    ],
)
def test_urls_fractions_and_relative_paths_are_kept(text):
    assert without_paths(text) == text
