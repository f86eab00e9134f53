"""Broken inputs show a banner naming the file, and the rest of the app keeps working."""

from __future__ import annotations

import numpy as np
import pytest

from tests.e2e.pages import open_app, wait_points, wait_text
from tests.logdirs import write_metadata, write_tf2_logdir

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def broken_app(running_app, tmp_path_factory):
    root = tmp_path_factory.mktemp("broken") / "logdir"
    vectors = np.random.default_rng(3).normal(size=(50, 8)).astype(np.float32)
    write_tf2_logdir(root, vectors, metadata_rows=[f"w{i}" for i in range(50)])
    # A single-column metadata file with a header line: 51 lines for 50 points.
    write_metadata(root / "metadata.tsv", [f"w{i}" for i in range(50)], header=["word"])
    bad = root / "garbled"
    bad.mkdir()
    (bad / "projector_config.pbtxt").write_text("embeddings { tensor_name: 'x' \n sprite {{{ ")
    return running_app(root, "app-broken.log", warm_up="data").url


def test_metadata_mismatch_is_explained_and_points_still_shown(page, broken_app, artifacts):
    open_app(page, broken_app, 50)
    text = wait_text(page, "#error-banner", "metadata")
    assert "metadata.tsv" in text and "header" in text and "51" in text
    page.screenshot(path=str(artifacts / "e2e-banner-metadata.png"))

    page.click("#run-select")
    page.get_by_role("option", name="garbled").click()
    text = wait_text(page, "#error-banner", "projector_config.pbtxt")
    assert "garbled" in text
    page.screenshot(path=str(artifacts / "e2e-banner-pbtxt.png"))
    # The app is still alive: going back to the good run draws its points again.
    page.click("#run-select")
    page.get_by_role("option", name="(logdir root)").click()
    wait_points(page, 50)
