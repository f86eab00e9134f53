"""One user's regex cannot freeze the server: a catastrophic pattern runs while others are served at once."""

from __future__ import annotations

import time
import urllib.request

import numpy as np
import pytest

from projector.writer import write_embedding
from tests.e2e.pages import open_app, wait_text

pytestmark = pytest.mark.e2e

N = 400
CATASTROPHIC = "(a+)+$"  # Python's re tries 2**35 ways on each "aaa…a!" label, holding the GIL all along


def label(i: int) -> str:
    return "a" * 35 + ("" if i % 40 == 0 else "!")  # every 40th matches, the others make re backtrack


@pytest.fixture(scope="module")
def long_labels_app(running_app, tmp_path_factory):
    root = tmp_path_factory.mktemp("regex") / "logdir"
    vectors = np.random.default_rng(5).normal(size=(N, 8)).astype(np.float32)
    write_embedding(root, vectors, metadata=[label(i) for i in range(N)])
    return running_app(root, "app-regex.log", warm_up="data").url


def answered_within(url: str, seconds: float) -> float:
    """Seconds a plain HTTP GET of ``url`` took; fails if the server gives no answer within ``seconds``."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=seconds) as response:
            assert response.status == 200
            response.read()
    except OSError as error:
        pytest.fail(f"GET {url} got no answer within {seconds} s while a regex search ran: {error}")
    return time.monotonic() - started


def is_search(request) -> bool:
    return "/_dash-update-component" in request.url and '"search-query.data"' in (request.post_data or "")


def test_catastrophic_regex_does_not_block_other_clients(page, long_labels_app, artifacts):
    open_app(page, long_labels_app, N)
    page.click("#search-regex")
    page.fill("#search-input", CATASTROPHIC)
    with page.expect_request(is_search):
        page.press("#search-input", "Enter")
    page.wait_for_timeout(200)  # the search request has reached the server
    for path in ("", "_dash-layout", ""):
        assert answered_within(long_labels_app + path, 2.0) < 2.0
    expected = sum(1 for i in range(N) if i % 40 == 0)
    assert wait_text(page, "#search-status", r"^\d+ matches$") == f"{expected} matches"
    page.screenshot(path=str(artifacts / "e2e-regex-catastrophic.png"))


def test_unsupported_regex_syntax_is_explained(page, long_labels_app, artifacts):
    open_app(page, long_labels_app, N)
    page.click("#search-regex")
    page.fill("#search-input", r"(a)\1")
    page.press("#search-input", "Enter")
    text = wait_text(page, "#error-banner", "backreferences")
    assert r"'(a)\1'" in text and "RE2 syntax: backreferences and lookarounds are not supported" in text
    page.screenshot(path=str(artifacts / "e2e-regex-unsupported.png"))
    page.fill("#search-input", "a!$")  # the search works again once the pattern is fixed
    page.press("#search-input", "Enter")
    assert wait_text(page, "#search-status", r"^\d+ matches$") == f"{N - N // 40} matches"
