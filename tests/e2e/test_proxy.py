"""Served under a reverse-proxy sub-path, every page, asset and callback URL carries the prefix."""

from __future__ import annotations

import pytest

from tests.e2e.pages import open_app, wait_text

pytestmark = pytest.mark.e2e

PREFIX = "/ml/projector/"


@pytest.fixture(scope="module")
def prefixed_url(running_app, clustered_logdir):
    return running_app(clustered_logdir[0], "app-prefix.log", prefix=PREFIX, warm_up="data").url


def test_everything_is_served_under_the_prefix_and_nothing_from_elsewhere(page, prefixed_url, clustered_logdir):
    _, vectors, _ = clustered_logdir
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    open_app(page, prefixed_url, len(vectors))
    page.fill("#search-input", "cat")
    page.press("#search-input", "Enter")
    wait_text(page, "#search-status", "matches")
    origin = prefixed_url[: -len(PREFIX)]
    outside = [u for u in requested if not u.startswith(prefixed_url) and not u.startswith("data:")]
    assert not outside, outside
    assert any("_dash-update-component" in u for u in requested)
    assert all(u.startswith(origin) for u in requested if not u.startswith("data:"))
