from __future__ import annotations

import os

import pytest

from projector.errors import reason


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
