"""Two people on one server: what one uploads stays in their browser until they share it with the team."""

from __future__ import annotations

import numpy as np
import pytest

from tests.e2e.pages import GRAPH, dropdown_options, open_app, wait_points, wait_text

pytestmark = pytest.mark.e2e


def new_page(browser):
    """A page in a browser context of its own: its own cookies, so its own session on the server."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def hover_texts(page) -> list[str]:
    return page.evaluate("(sel) => Array.from(document.querySelector(sel)._fullData[0].hovertext)", GRAPH)


def test_uploads_stay_in_their_session_until_shared(browser, app_url, clustered_logdir, tmp_path, artifacts):
    _, vectors, rows = clustered_logdir
    n = len(vectors)
    alice, bob = new_page(browser), new_page(browser)
    try:
        open_app(alice, app_url, n)
        open_app(bob, app_url, n)
        bob_labels = hover_texts(bob)
        assert bob_labels[:3] == [r[0] for r in rows[:3]]

        # Alice's metadata for the logdir's tensor relabels her view only.
        nicknames = tmp_path / "nicknames.tsv"
        nicknames.write_text("nickname\tteam\n" + "".join(f"pet{i}\tt{i % 4}\n" for i in range(n)))
        alice.set_input_files("#upload-metadata input[type=file]", str(nicknames))
        alice.wait_for_function("() => document.querySelector('#label-by').innerText.includes('nickname')")
        wait_text(alice, "#color-by", "team")
        alice.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].hovertext[0] === 'pet0'", arg=GRAPH)
        bob.reload()
        open_app(bob, app_url, n)
        assert dropdown_options(bob, "label-by") == ["word", "group", "x0", "index (row number)"]
        assert hover_texts(bob) == bob_labels

        # Alice uploads GloVe-style word vectors: listed for her, not for Bob.
        words = [f"word{i}" for i in range(60)]
        uploaded = np.random.default_rng(31).normal(size=(60, 5))
        glove = tmp_path / "team_words.txt"
        glove.write_text("".join(w + " " + " ".join(f"{v:.5f}" for v in row) + "\n" for w, row in zip(words, uploaded)))
        alice.set_input_files("#upload-vectors input[type=file]", str(glove))
        wait_points(alice, 60)
        wait_text(alice, "#point-count", "^60 points$")
        assert "(uploaded)" in alice.inner_text("#run-select")
        assert "team_words (60×5)" in alice.inner_text("#tensor-select")
        assert dropdown_options(alice, "label-by") == ["word", "index (row number)"]  # the words are the labels
        alice.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].hovertext[0] === 'word0'", arg=GRAPH)
        wait_text(alice, "#upload-sharing", "Only this browser sees")
        assert alice.is_visible("#upload-share")
        alice.locator(".data-panel").screenshot(path=str(artifacts / "e2e-private-uploads-private.png"))

        # A layout job runs in a process of its own, and still as Alice: it may read her private upload.
        alice.click('#projection-tabs .tab:has-text("t-SNE")')
        alice.click("#tsne-run")
        assert wait_text(alice, "#tsne-status", "done", timeout=120_000)
        assert "not available" not in alice.inner_text("#error-banner")

        bob.reload()
        open_app(bob, app_url, n)
        assert dropdown_options(bob, "run-select") == ["(logdir root)"]
        assert not bob.is_visible("#upload-share")

        # Alice shares it: Bob finds it under "(uploaded)", marked as shared, with its words.
        alice.click("#upload-share")
        wait_text(alice, "#upload-sharing", "shared with everyone on this server")
        wait_text(alice, "#tensor-select", r"team_words \(60×5, shared by you\)")
        assert not alice.is_visible("#upload-share")
        alice.locator(".data-panel").screenshot(path=str(artifacts / "e2e-private-uploads-shared.png"))

        bob.reload()
        open_app(bob, app_url, n)
        assert dropdown_options(bob, "run-select") == ["(logdir root)", "(uploaded)"]
        bob.click("#run-select")
        bob.get_by_role("option", name="(uploaded)", exact=True).click()
        wait_points(bob, 60)
        assert "team_words (60×5, shared)" in bob.inner_text("#tensor-select")
        wait_text(bob, "#upload-sharing", "shared with the team from another browser")
        assert not bob.is_visible("#upload-share")
        bob.wait_for_function("(sel) => document.querySelector(sel)._fullData[0].hovertext[0] === 'word0'", arg=GRAPH)
        # Alice's nicknames are still hers alone.
        bob.click("#run-select")
        bob.get_by_role("option", name="(logdir root)").click()
        wait_points(bob, n)
        assert dropdown_options(bob, "label-by") == ["word", "group", "x0", "index (row number)"]
        assert hover_texts(bob) == bob_labels
        bob.screenshot(path=str(artifacts / "e2e-private-uploads-other-session.png"))
    finally:
        alice.context.close()
        bob.context.close()
