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
    const state = {enabled: true, frame: 0, key: "", layer: null, costs: []};
    const widths = new Map();
    let context = null;

    function textWidth(text, font) {
        const key = font + "\u0000" + text;
        let width = widths.get(key);
        if (width === undefined) {
            if (!context) {
                context = document.createElement("canvas").getContext("2d");
            }
            context.font = font;
            width = Math.ceil(context.measureText(text).width) + 4;
            if (widths.size > 5000) {
                widths.clear();
            }
            widths.set(key, width);
        }
        return width;
    }

    function short(text) {
        const value = String(text === undefined || text === null ? "" : text);
        return value.length > MAX_CHARS ? value.slice(0, MAX_CHARS - 1) + "\u2026" : value;
    }

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

    function layer() {
        return core.overlay(state, "layer", "scatter-labels", {"aria-hidden": "true"});
    }

    function clear() {
        if (state.layer && state.layer.style.display !== "none") {
            state.layer.replaceChildren();
            state.layer.style.display = "none";
        }
        state.key = "";
    }

    function overlaps(box, placed) {
        for (let i = 0; i < placed.length; i++) {
            const other = placed[i];
            if (box[0] < other[2] && other[0] < box[2] && box[1] < other[3] && other[1] < box[3]) {
                return true;
            }
        }
        return false;
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
            const text = short(texts[point.position]);
            if (!text) {
                continue;
            }
            const x = at[0] - rect.left + GAP;
            const y = at[1] - rect.top;
            const width = textWidth(text, point.kind === "anchor" ? ANCHOR_FONT : FONT);
            const box = [x, y - HEIGHT / 2, x + width, y + HEIGHT / 2];
            if (point.kind !== "anchor" && overlaps(box, placed)) {
                continue;
            }
            placed.push(box);
            out.push([Math.round(x), Math.round(y), text, point.kind]);
        }
        return {rect: rect, labels: out};
    }

    function draw(frame) {
        const element = layer();
        const rect = frame.rect;
        element.style.left = rect.left + "px";
        element.style.top = rect.top + "px";
        element.style.width = rect.width + "px";
        element.style.height = rect.height + "px";
        const spans = element.children;
        for (let i = 0; i < frame.labels.length; i++) {
            const label = frame.labels[i];
            let span = spans[i];
            if (!span) {
                span = document.createElement("span");
                element.appendChild(span);
            }
            if (span.textContent !== label[2]) {
                span.textContent = label[2];
            }
            span.className = "label " + label[3];
            span.style.transform = "translate(" + label[0] + "px, " + label[1] + "px)";
        }
        while (spans.length > frame.labels.length) {
            element.lastChild.remove();
        }
        element.style.display = frame.labels.length ? "block" : "none";
    }

    function tick() {
        state.frame = 0;
        const gd = core.graph();
        const set = state.enabled && gd && gd.data && gd.data.length ? labelled() : null;
        if (!set || !set.points.length) {
            clear();
            return;  // asleep until the selection or the switch changes
        }
        const started = window.performance.now();
        const frame = placements(gd, set);
        const key = [frame.rect.left, frame.rect.top, frame.rect.width, frame.rect.height]
            .concat(frame.labels.map(function (label) { return label.join(","); }))
            .join("|");
        if (key !== state.key) {
            draw(frame);
            state.key = key;
        }
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
            clear();
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
