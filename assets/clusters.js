/* Cluster names on the plot, and the cluster list's clicks.
 *
 * A cluster run gives every point of the view a cluster (the `cluster-store` payload: a code per plotted
 * point, and each cluster's name and size). Each name is drawn at its cluster's centre, the mean of its
 * points as they are plotted now, so it follows the camera, zoom, a streaming t-SNE layout and a step change;
 * bigger clusters get bigger text and are placed first, and a name that would overlap one already placed is
 * left out. Like the labels, it is a layer of text over the plot, not a trace: nothing is restyled.
 *
 * A click (or Enter) on an entry of the cluster list selects that cluster's points: its value goes to the
 * group-pick store, which the server's select callback answers like a search.
 */
(function () {
    "use strict";

    const core = window.projectorCore;
    const IDS = core.IDS;
    const SHOWN = 60;  // names placed at most, largest clusters first
    const MIN_FONT = 11;  // px, the smallest cluster's name
    const MAX_FONT = 19;  // px, the largest's
    const HEIGHT = 1.3;  // a name's box height, in font sizes, for the overlap test
    const MAX_CHARS = 32;
    const FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    const state = {payload: null, enabled: true, frame: 0, centres: null, arrays: null};
    const layer = core.textLayer("scatter-clusters");
    let picks = 0;

    /* Each cluster's mean position in the plotted coordinates, worked out again only when the plotted arrays
     * change (a new figure, a t-SNE frame, a step move). */
    function centres(full, payload) {
        const axes = full.type === "scatter3d" ? [full.x, full.y, full.z] : [full.x, full.y];
        const same = state.arrays && state.centres && state.arrays.payload === payload &&
            state.arrays.axes.length === axes.length && state.arrays.axes.every(function (a, i) { return a === axes[i]; });
        if (same) {
            return state.centres;
        }
        const codes = core.decodedOnce(payload.token + ":codes", payload.codes);
        const count = payload.names.length;
        const sums = axes.map(function () { return new Float64Array(count); });
        const counts = new Float64Array(count);
        const n = Math.min(codes.length, full._length || 0);
        for (let p = 0; p < n; p++) {
            const c = codes[p];
            if (c >= 0 && c < count) {
                counts[c] += 1;
                for (let a = 0; a < axes.length; a++) {
                    sums[a][c] += Number(axes[a][p]);
                }
            }
        }
        const out = [];
        for (let c = 0; c < count; c++) {
            out.push(counts[c] ? sums.map(function (s) { return s[c] / counts[c]; }) : null);
        }
        state.arrays = {payload: payload, axes: axes};
        state.centres = out;
        return out;
    }

    /* Where each name goes this frame, in the plot's pixels: [x, y, text, font size]. */
    function placements(gd, payload) {
        const full = gd._fullData && gd._fullData[0];
        const rect = gd.getBoundingClientRect();
        const out = [];
        if (!full || core.drawn(gd).view !== payload.view) {
            return {rect: rect, names: out};
        }
        const at = centres(full, payload);
        const largest = Math.max(1, payload.sizes[0] || 1);
        const placed = [];
        for (let c = 0; c < at.length && out.length < SHOWN; c++) {
            if (!at[c]) {
                continue;
            }
            const pixel = core.valuePixel(gd, at[c], true);
            if (!pixel) {
                continue;
            }
            const text = core.shortText(payload.names[c], MAX_CHARS);
            const size = Math.round(MIN_FONT + (MAX_FONT - MIN_FONT) * Math.sqrt(payload.sizes[c] / largest));
            const width = core.textWidth(text, "600 " + size + "px " + FAMILY) + 6;
            const x = pixel[0] - rect.left;
            const y = pixel[1] - rect.top;
            const box = [x - width / 2, y - size * HEIGHT / 2, x + width / 2, y + size * HEIGHT / 2];
            if (core.overlaps(box, placed)) {
                continue;
            }
            placed.push(box);
            out.push([Math.round(x - width / 2), Math.round(y), text, size, c]);
        }
        return {rect: rect, names: out};
    }

    function dress(span, name) {
        span.className = "cluster-name";
        span.dataset.cluster = String(name[4]);
        span.style.fontSize = name[3] + "px";
    }

    function tick() {
        state.frame = 0;
        const gd = core.graph();
        const payload = state.payload;
        if (!state.enabled || !payload || !payload.names.length || !gd || !gd.data || !gd.data.length) {
            layer.clear();
            return;  // asleep until a run, the view or the switch changes
        }
        const frame = placements(gd, payload);
        layer.draw(frame.rect, frame.names, dress);
        state.frame = window.requestAnimationFrame(tick);
    }

    function wake() {
        if (!state.frame) {
            state.frame = window.requestAnimationFrame(tick);
        }
    }

    /* The clientside callback of the cluster store and the labels switch: the names follow both. */
    function show(payload, labels) {
        state.payload = payload && payload.names ? payload : null;
        state.enabled = Array.isArray(labels) ? labels.length > 0 : labels !== false;
        state.centres = null;
        wake();
        return Boolean(state.payload && state.enabled);
    }

    function pick(entry) {
        const value = entry.dataset.cluster;
        if (!value || !window.dash_clientside || !window.dash_clientside.set_props) {
            return;
        }
        picks += 1;  // a count, so picking the same cluster again is a change the server sees
        window.dash_clientside.set_props(IDS.GROUP_PICK, {data: {column: "cluster", values: [value], pick: picks}});
    }

    function listEntry(target) {
        return target && target.closest ? target.closest("#" + IDS.CLUSTER_LIST + " [data-cluster]") : null;
    }

    document.addEventListener("click", function (event) {
        const entry = listEntry(event.target);
        if (entry) {
            pick(entry);
        }
    });
    document.addEventListener("keydown", function (event) {
        const entry = event.key === "Enter" ? listEntry(event.target) : null;
        if (entry) {
            event.preventDefault();
            pick(entry);
        }
    });

    /* A bookmark's cluster run, made again once the plot shows its view: Find clusters pressed once. */
    let againDone = null;
    function again(pending, drawn, clicks) {
        const skip = window.dash_clientside.no_update;
        if (!pending || !drawn || drawn.view !== pending.view || againDone === pending.opened) {
            return skip;
        }
        againDone = pending.opened;  // each opening of a bookmark runs once
        return (clicks || 0) + 1;
    }

    core.onPaint("restyled", wake);
    window.projectorClusters = {wake: wake, show: show};  // for tests
    core.clientside("clusters", {show: show, again: again});
})();
