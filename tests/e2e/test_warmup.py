"""A server warms up at start-up: visitors get the first view from its result, and see it while it works."""

from __future__ import annotations

import time

import pytest

from app import build_layout
from callbacks import ids
from projector.warmup import WarmUp
from projector.workspace import Workspace
from tests.e2e.pages import open_app

pytestmark = pytest.mark.e2e
READY = "Warm-up: the first view is ready"
COMPUTED = "projector.workspace: PCA of "


def test_visitors_are_served_from_the_warm_up(browser, running_app, clustered_logdir, artifacts):
    logdir, vectors, _ = clustered_logdir
    running = running_app(logdir, "app-warmup.log", warm_up="data", private=True)  # its log: these visits alone
    log_path = running.log_path
    try:
        deadline = time.monotonic() + 120
        while READY not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert READY in log_path.read_text()
        for visitor in range(2):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            open_app(page, running.url, len(vectors))
            if visitor == 0:
                page.screenshot(path=str(artifacts / "warmup-first-visitor.png"))
            context.close()
        text = log_path.read_text()
        assert text.count(COMPUTED) == 1, text  # computed once, at start-up, for both visitors
        assert text.index(COMPUTED) < text.index(READY)  # and the visits above came after READY
    finally:
        running.stop()


def test_a_page_opened_during_warm_up_says_what_the_server_does(tmp_path, clustered_logdir):
    workspace = Workspace(clustered_logdir[0], cache_root=tmp_path)
    warmup = WarmUp(workspace, "data")  # not started: still warming up
    page = build_layout(workspace, warmup)
    status = find(page, ids.WARMUP_STATUS)
    assert status.children == "Starting up…"
    assert find(page, ids.WARMUP_POLL).disabled is False


def find(component, component_id):
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        found = find(child, component_id) if child is not None and not isinstance(child, str) else None
        if found is not None:
            return found
    return None
