/* Labels on the plot: the clicked point, its neighbours and the first selected points (search matches) carry
 * their label text beside them, in 2D and 3D, as TensorBoard's projector draws them. The `labels-toggle`
 * switch turns them off.
 *
 * The labels are a layer of text over the plot, not a Plotly trace: plotly.js rebuilds a whole trace for any
 * restyle, while the layer costs one projection per labelled point per frame. It follows the camera, zoom,
 * pan and a streaming t-SNE layout, and writes to the page only when a label moves. Labels are placed in
 * order of precedence (the clicked point first, then the nearest neighbours, then the selection) and one
 * that would overlap a label already placed is left out, so the text stays readable however dense the
 * points are. The text is the label-by column (the points' hover labels), set as text, never as HTML.
 */
(function () {
    "use strict";

    const FONT = "11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    const ANCHOR_FONT = "600 12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    const GAP = 6;  // px between a point and its label
    const HEIGHT = 15;  // px of a label's box, for the overlap test
    const MAX_CHARS = 40;  // longer labels are cut with an ellipsis
    const LABELLED_SELECTED = 100;  // selected points labelled, after the clicked point and its neighbours
    const core = window.projectorCore;
    const state = {enabled: true, frame: 0, costs: []};
    const layer = core.textLayer("scatter-labels");

    /* The points that carry their label, in order of precedence: the clicked point, its listed neighbours
     * (nearest first), then the first LABELLED_SELECTED selected points (search matches, a drag); with the
     * view their plotted positions belong to. */
    function labelled() {
        const highlight = core.wanted.highlight;
        if (!highlight || !highlight.token) {
            return null;
        }
        const points = [];
        const seen = new Set();
        function add(position, kind) {
            if (position !== null && position !== undefined && !seen.has(position)) {
                seen.add(position);
                points.push({position: position, kind: kind});
            }
        }
        const h = core.highlightArrays(highlight);
        add(highlight.anchor, "anchor");
        const near = h.near || [];
        for (let k = 0; k < near.length; k++) {
            add(near[k], "near");
        }
        const positions = h.positions || [];
        for (let k = 0; k < positions.length && k < LABELLED_SELECTED; k++) {
            add(positions[k], "selected");
        }
        return {view: highlight.view, points: points};
    }

    /* Where each label goes this frame, in the plot's own pixels: [x, y, text, kind]. */
    function placements(gd, set) {
        const full = gd._fullData && gd._fullData[0];
        const texts = (full && full.hovertext) || (gd.data[0] && gd.data[0].hovertext) || [];
        const rect = gd.getBoundingClientRect();
        const placed = [];
        const out = [];
        for (let i = 0; i < set.points.length; i++) {
            const point = set.points[i];
            const at = core.pointPixel(gd, point.position, set.view);
            if (!at) {
                continue;
            }
            const text = core.shortText(texts[point.position], MAX_CHARS);
            if (!text) {
                continue;
            }
            const x = at[0] - rect.left + GAP;
            const y = at[1] - rect.top;
            const width = core.textWidth(text, point.kind === "anchor" ? ANCHOR_FONT : FONT) + 4;
            const box = [x, y - HEIGHT / 2, x + width, y + HEIGHT / 2];
            if (point.kind !== "anchor" && core.overlaps(box, placed)) {
                continue;
            }
            placed.push(box);
            out.push([Math.round(x), Math.round(y), text, point.kind]);
        }
        return {rect: rect, labels: out};
    }

    function dress(span, label) {
        span.className = "label " + label[3];
    }

    function tick() {
        state.frame = 0;
        const gd = core.graph();
        const set = state.enabled && gd && gd.data && gd.data.length ? labelled() : null;
        if (!set || !set.points.length) {
            layer.clear();
            return;  // asleep until the selection or the switch changes
        }
        const started = window.performance.now();
        const frame = placements(gd, set);
        layer.draw(frame.rect, frame.labels, dress);
        state.costs.push(window.performance.now() - started);
        if (state.costs.length > 120) {
            state.costs.shift();
        }
        state.frame = window.requestAnimationFrame(tick);
    }

    function wake() {
        if (!state.frame) {
            state.frame = window.requestAnimationFrame(tick);
        }
    }

    /* Place the labels at once (the selection changed), then follow the view frame by frame. */
    function now() {
        if (state.frame) {
            window.cancelAnimationFrame(state.frame);
            state.frame = 0;
        }
        tick();
    }

    /* The switch's clientside callback: on unless unticked. */
    function show(value) {
        state.enabled = Array.isArray(value) ? value.length > 0 : Boolean(value);
        if (!state.enabled) {
            layer.clear();
        }
        wake();
        return state.enabled;
    }

    /* What the layer costs: milliseconds of script per frame (median of the last 120 frames it ran). */
    function frameCost() {
        if (!state.costs.length) {
            return null;
        }
        const sorted = state.costs.slice().sort(function (a, b) { return a - b; });
        return sorted[Math.floor(sorted.length / 2)];
    }

    // Placed at once when a payload's texts are painted, then followed frame by frame from the restyle on.
    core.onPaint("texts", now);
    core.onPaint("restyled", wake);
    window.projectorLabels = {wake: wake, now: now, show: show, frameCost: frameCost};  // for tests and benches
    core.clientside("labels", {show: show});
})();
