"""Edit by: the selected points get a value in a metadata column; colours, labels, search and the metadata
download follow at once, for this browser only."""

from __future__ import annotations

import pytest

from tests.e2e.pages import CLICK, GRAPH, choose, dropdown_options, open_app, settle, wait_labels, wait_text

pytestmark = pytest.mark.e2e


def search(page, text: str, column: str | None = None) -> str:
    if column:
        choose(page, "search-column", column)
    page.fill("#search-input", text)
    page.press("#search-input", "Enter")
    return wait_text(page, "#search-status", r"\d+ match")


def test_edit_by_tags_the_selection_for_this_browser(page, browser, app_url, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    words = [r[0] for r in rows]
    cats = [i for i, w in enumerate(words) if "cat" in w]
    open_app(page, app_url, len(vectors))
    settle(page)

    # Nothing selected: a clear message, nothing changes.
    page.fill("#edit-by-column", "mood")
    page.fill("#edit-by-value", "happy")
    page.press("#edit-by-value", "Enter")
    wait_text(page, "#error-banner", "Select some points first")
    assert "mood (1 value)" not in dropdown_options(page, "color-by")

    # Search, then tag the matches in a new column with Enter.
    assert search(page, "cat") == f"{len(cats)} matches"
    page.press("#edit-by-value", "Enter")
    wait_text(page, "#edit-by-status", f"^{len(cats)} points now have mood = happy$")
    page.wait_for_function("() => !document.querySelector('#error-banner').innerText.includes('Select some')")
    assert "mood (1 value)" in dropdown_options(page, "color-by")
    assert "mood" in dropdown_options(page, "label-by")

    # Colour by the new column: the legend counts the tagged points.
    choose(page, "color-by", "mood")
    legend = wait_text(page, "#color-legend", "happy")
    assert f"happy{len(cats)}" in legend.replace("\n", "").replace(" ", "")
    page.wait_for_function(
        "([sel, n]) => { const c = document.querySelector(sel)._fullData[0].marker.color;"
        " return c && new Set(Array.from(c)).size >= 2; }",
        arg=[GRAPH, len(vectors)],
    )

    # Search by the tag.
    page.click("#clear-selection")
    wait_text(page, "#selection-count", "^0 selected$")
    assert search(page, "happy", "mood") == f"{len(cats)} matches"

    # Overwrite an existing column for one clicked point: its label on the plot follows.
    page.click("#clear-selection")
    wait_text(page, "#selection-count", "^0 selected$")
    choose(page, "search-column", "word")
    page.evaluate(CLICK, [GRAPH, 7])
    wait_text(page, "#selection-count", "^101 selected$")
    page.fill("#edit-by-column", "word")
    page.fill("#edit-by-value", "renamed")
    page.click("#edit-by-apply")
    wait_text(page, "#edit-by-status", "^101 points now have word = renamed$")
    labels = wait_labels(page, "labels.some((l) => l.kind === 'anchor' && l.text === 'renamed')")
    assert all(label["text"] == "renamed" for label in labels)
    page.wait_for_function(  # the inspector names them anew too
        "() => { const items = Array.from(document.querySelectorAll('#neighbors-list > li'));"
        " return items.length === 100 && items.every((e) => e.title === 'renamed'); }"
    )
    page.screenshot(path=str(artifacts / "e2e-edit-by.png"))

    # The download carries the edits.
    with page.expect_download() as info:
        page.click("#download-metadata")
    lines = open(info.value.path(), encoding="utf-8").read().splitlines()
    header = lines[0].split("\t")
    assert "mood" in header
    moods = [line.split("\t")[header.index("mood")] for line in lines[1:]]
    assert [i for i, m in enumerate(moods) if m == "happy"] == cats

    # Another browser sees the files' metadata, untouched.
    other = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    open_app(other, app_url, len(vectors))
    assert not [o for o in dropdown_options(other, "color-by") if o.startswith("mood")]
    assert search(other, "renamed", "word") == "0 matches"
    other.context.close()
