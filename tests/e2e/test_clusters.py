"""Clusters: found on the vectors or the layout, named from a column, coloured, listed, drawn on the plot and
selected from the list, for this browser only."""

from __future__ import annotations

import json

import pytest

from tests.e2e.pages import choose, dropdown_options, open_app, settle, wait_text

pytestmark = pytest.mark.e2e

NAMES = """() => { const layer = document.querySelector('.scatter-clusters');
    if (!layer || getComputedStyle(layer).display === 'none') { return []; }
    return Array.from(layer.querySelectorAll('.cluster-name')).map((e) => {
        const b = e.getBoundingClientRect();
        return {text: e.textContent, size: parseFloat(e.style.fontSize), left: b.left, top: b.top,
                right: b.right, bottom: b.bottom}; }); }"""
LISTED = """() => Array.from(document.querySelectorAll('#cluster-list > li')).map((li) => li.innerText)"""
MATCHED_ROWS = """() => Array.from(document.querySelectorAll('#match-list [data-row]'))
    .map((e) => Number(e.dataset.row))"""
TRACE_COLORS = """() => { const gd = document.querySelector('#scatter .js-plotly-plot');
    return Array.from(gd._fullData[0].marker.color); }"""


def find_clusters(page, name_by: str | None = None, source: str | None = None) -> str:
    if name_by:
        choose(page, "cluster-name-by", name_by)
    if source:
        page.get_by_text(source, exact=True).click()
    page.click("#cluster-run")
    return wait_text(page, "#cluster-status", r"clusters? in", timeout=60_000)


def test_clusters_are_found_named_coloured_listed_and_selected(page, browser, app_url, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    groups = [r[1] for r in rows]
    open_app(page, app_url, len(vectors))
    settle(page)

    status = find_clusters(page, name_by="group")
    assert status.startswith("3 clusters in 240 points"), status
    page.wait_for_function(f"() => ({LISTED})().length === 3")  # the list follows the new column
    listed = page.evaluate(LISTED)
    assert len(listed) == 3
    assert sorted(line.split("\n")[0].split(" · ")[1] for line in listed) == ["blue 100 %", "green 100 %", "red 100 %"]
    assert all("80" in line and "33.3 %" in line for line in listed)

    # Coloured by the new column at once; the column is a choice like any other.
    page.wait_for_function("() => document.querySelector('#color-by').innerText.includes('cluster')")
    assert any(option.startswith("cluster (3 values)") for option in dropdown_options(page, "color-by"))
    assert len(set(page.evaluate(TRACE_COLORS))) == 3

    # The names are drawn on the plot, one per cluster, and none overlaps another.
    page.wait_for_function(f"() => ({NAMES})().length === 3")
    names = page.evaluate(NAMES)
    assert sorted(n["text"] for n in names) == ["blue 100 %", "green 100 %", "red 100 %"]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            apart = a["right"] <= b["left"] or b["right"] <= a["left"]
            assert apart or a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
    page.screenshot(path=str(artifacts / "e2e-clusters-named.png"))

    # Clicking a cluster in the list selects exactly its points, as a search would.
    entry = page.locator("#cluster-list > li").filter(has_text="red 100 %")
    entry.click()
    wait_text(page, "#selection-count", "^80 selected$")
    wait_text(page, "#search-status", r"^80 matches \(cluster: ")
    assert sorted(page.evaluate(MATCHED_ROWS)) == [i for i, g in enumerate(groups) if g == "red"][:80]
    page.screenshot(path=str(artifacts / "e2e-clusters-selected.png"))

    # The clusters belong to this browser: another one has no cluster column.
    other = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        second = other.new_page()
        open_app(second, app_url, len(vectors))
        settle(second)
        assert not any(option.startswith("cluster") for option in dropdown_options(second, "color-by"))
        assert second.evaluate(LISTED) == []
    finally:
        other.close()


def test_clusters_on_the_layout_follow_isolation(page, app_url, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    open_app(page, app_url, len(vectors))
    settle(page)
    page.fill("#cluster-min-size", "1")
    page.press("#cluster-min-size", "Enter")
    page.click("#cluster-run")
    wait_text(page, "#error-banner", "minimum cluster size")
    assert page.evaluate(LISTED) == []

    page.fill("#cluster-min-size", "")
    page.press("#cluster-min-size", "Enter")
    status = find_clusters(page, name_by="group", source="on the layout on screen")
    assert status.startswith("3 clusters in 240 points"), status

    # Isolate the blue points: the list and the names are of the subset's clusters only.
    page.fill("#search-input", "blue")
    choose(page, "search-column", "group")
    page.press("#search-input", "Enter")
    wait_text(page, "#search-status", "^80 matches$")
    page.click("#isolate-selection")
    wait_text(page, "#point-count", "^80 points$")
    page.wait_for_function(f"() => ({LISTED})().length === 1")
    assert "blue 100 %" in page.evaluate(LISTED)[0] and "100.0 %" in page.evaluate(LISTED)[0]
    page.wait_for_function(f"() => ({NAMES})().length === 1")
    page.screenshot(path=str(artifacts / "e2e-clusters-isolated.png"))


def test_a_bookmark_with_clusters_makes_them_again_for_a_teammate(browser, app_url, clustered_logdir, tmp_path):
    _, vectors, _ = clustered_logdir
    page = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True).new_page()
    page.set_default_timeout(30_000)
    open_app(page, app_url, len(vectors))
    settle(page)
    page.fill("#cluster-min-size", "20")
    page.press("#cluster-min-size", "Enter")
    find_clusters(page, name_by="group")
    page.click("#bookmark-save")
    page.wait_for_function("() => document.querySelectorAll('#bookmark-list input').length === 1")
    with page.expect_download() as info:
        page.click("#bookmark-download")
    path = tmp_path / "clusters.json"
    info.value.save_as(path)
    page.context.close()
    saved = json.loads(path.read_text())[0]["dashProjector"]
    assert saved["clusters"] == {"source": "vectors", "min_size": 20, "name_by": "group"}

    # Another browser has no clusters until it opens the bookmark, which finds them again.
    fresh = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    fresh.set_default_timeout(30_000)
    open_app(fresh, app_url, len(vectors))
    settle(fresh)
    assert fresh.evaluate(LISTED) == []
    fresh.set_input_files("#bookmark-upload input[type=file]", str(path))
    fresh.wait_for_function("() => document.querySelectorAll('#bookmark-list input').length === 1")
    fresh.click("#bookmark-list button")
    wait_text(fresh, "#cluster-status", r"^3 clusters in 240 points", timeout=60_000)
    fresh.wait_for_function(f"() => ({LISTED})().length === 3")
    assert fresh.input_value("#cluster-min-size") == "20"
    fresh.wait_for_function("() => document.querySelector('#color-by').innerText.includes('cluster')")
    fresh.context.close()


# Each cluster name's centre on the page, and the mean pixel of its cluster's points as plotted now (2D).
NAME_AND_CENTRE = """(groups) => { const gd = document.querySelector('#scatter .js-plotly-plot');
    const t = gd._fullData[0], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const r = gd.getBoundingClientRect();
    const names = Array.from(document.querySelectorAll('.scatter-clusters .cluster-name'));
    return Object.entries(groups).map(([name, rows]) => {
        const e = names.find((n) => n.textContent === name); if (!e) { return null; }
        const b = e.getBoundingClientRect();
        let x = 0, y = 0;
        for (const i of rows) { x += r.left + xa._offset + xa.l2p(t.x[i]); y += r.top + ya._offset + ya.l2p(t.y[i]); }
        return {name, at: [b.left + b.width / 2, b.top + b.height / 2], centre: [x / rows.length, y / rows.length]};
    }); }"""


def test_cluster_names_follow_a_streaming_tsne(page, app_url, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    groups = {f"{g} 100 %": [i for i, r in enumerate(rows) if r[1] == g] for g in ("red", "green", "blue")}
    open_app(page, app_url, len(vectors))
    settle(page)
    find_clusters(page, name_by="group")
    page.click('#projection-tabs .tab:has-text("t-SNE")')
    page.get_by_text("2D", exact=True).click()
    page.fill("#tsne-iterations", "5000")
    page.press("#tsne-iterations", "Enter")
    page.click("#tsne-run")
    page.wait_for_function("() => /iteration (\\d+)/.test(document.querySelector('#tsne-status').innerText)")
    try:
        seen = []
        for _ in range(3):
            page.wait_for_timeout(700)
            placed = page.evaluate(NAME_AND_CENTRE, groups)
            assert all(p is not None for p in placed), placed
            for p in placed:  # at the cluster's centre as it is plotted in this frame
                assert abs(p["at"][0] - p["centre"][0]) < 30 and abs(p["at"][1] - p["centre"][1]) < 30, p
            seen.append([tuple(round(v) for v in p["at"]) for p in placed])
        assert len(set(map(tuple, seen))) > 1  # the names moved with the streamed layout
        page.screenshot(path=str(artifacts / "e2e-clusters-tsne.png"))
    finally:
        page.click("#tsne-stop")
