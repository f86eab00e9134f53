"""Vectors and metadata uploaded into the running app are explored like a logdir's tensors."""

from __future__ import annotations

import numpy as np
import pytest

from tests.e2e.pages import open_app, wait_points, wait_text

pytestmark = pytest.mark.e2e


def test_upload_vectors_then_metadata(page, app_url, clustered_logdir, tmp_path, artifacts):
    _, vectors, _ = clustered_logdir
    open_app(page, app_url, len(vectors))
    uploaded = np.random.default_rng(11).normal(size=(60, 5)).astype(np.float32)
    vectors_file = tmp_path / "my_vectors.tsv"
    vectors_file.write_text("".join("\t".join(f"{v:.6f}" for v in row) + "\n" for row in uploaded))
    page.set_input_files("#upload-vectors input[type=file]", str(vectors_file))
    wait_points(page, 60)
    wait_text(page, "#point-count", "^60 points$")
    assert "(uploaded)" in page.inner_text("#run-select")

    bad = tmp_path / "short.tsv"
    bad.write_text("word\tkind\n" + "".join(f"w{i}\tk\n" for i in range(10)))
    page.set_input_files("#upload-metadata input[type=file]", str(bad))
    text = wait_text(page, "#error-banner", "short.tsv")
    assert "60" in text

    meta = tmp_path / "words.tsv"
    meta.write_text("word\tkind\n" + "".join(f"w{i}\t{'odd' if i % 2 else 'even'}\n" for i in range(60)))
    page.set_input_files("#upload-metadata input[type=file]", str(meta))
    page.wait_for_function("() => document.querySelector('#label-by').innerText.includes('word')")
    page.fill("#search-input", "w1")
    page.press("#search-input", "Enter")
    expected = sum("w1" in f"w{i}" for i in range(60))
    assert wait_text(page, "#search-status", "matches") == f"{expected} matches"
    page.screenshot(path=str(artifacts / "e2e-upload.png"))
