/* The scatter's restyles, done in the browser from the small payloads projector/scatter.py makes.
 *
 * A drawn trace's `meta` names what it shows (view, style, highlight and labels tokens), and `applied` what
 * has been restyled onto it since; the latest payloads name what is wanted. `reconcile` sends exactly one
 * Plotly.update for the difference, or nothing. It runs once the payload's texts are painted and after every
 * redraw, so a figure drawn with an older selection is brought up to date too. `pointStyle` is the browser's copy of projector.figures.point_style (tests compare them).
 */
(function () {
    "use strict";

    /* Dash's polyfill bundle (core-js) replaces String.prototype.trim with a JavaScript one, 40 times slower
     * than the browser's, and plotly.js calls it for every point it restyles (0.1 s per 100k points). The
     * browser's own trim, taken from a blank frame, is put back. */
    (function restoreNativeTrim() {
        const frame = document.createElement("iframe");
        frame.style.display = "none";
        document.documentElement.appendChild(frame);
        const native = frame.contentWindow.String.prototype.trim;
        frame.remove();
        if (native.call(" \u00a0a\n") === "a") {
            Object.defineProperty(String.prototype, "trim", {value: native, writable: true, configurable: true});
        }
    })();

    const TYPED = {u1: Uint8Array, u2: Uint16Array, i4: Int32Array, f4: Float32Array, f8: Float64Array};
    const SEARCH_PAUSE_MS = 300;
    const wanted = {style: null, highlight: null, labels: null};
    const decoded = new Map();
    const applied = new WeakMap();  // trace object -> the tokens restyled onto it since it was drawn
    let searchTurn = 0;

    function decode(spec) {
        const text = atob(spec.bdata);
        const bytes = new Uint8Array(text.length);
        for (let i = 0; i < text.length; i++) {
            bytes[i] = text.charCodeAt(i);
        }
        return new TYPED[spec.dtype](bytes.buffer);
    }

    function decodedOnce(token, spec) {
        if (!decoded.has(token)) {
            if (decoded.size >= 6) {
                decoded.delete(decoded.keys().next().value);
            }
            decoded.set(token, decode(spec));
        }
        return decoded.get(token);
    }

    /* Colour codes and sizes of every point: the selection keeps its colours (or turns red when no column
     * colours the points), everything else is dimmed; selected points are larger, the clicked one largest. */
    function pointStyle(style, codes, positions, anchor, dimension) {
        const sizes = style.sizes[String(dimension)];
        const n = codes.length;
        const size = new Uint8Array(n).fill(sizes.point);
        if (!positions || positions.length === 0) {
            return {color: codes, size: size};
        }
        const color = new codes.constructor(n).fill(style.dimmed);
        for (let k = 0; k < positions.length; k++) {
            const p = positions[k];
            color[p] = style.colorless ? style.selected : codes[p];
            size[p] = sizes.selected;
        }
        if (anchor !== null && anchor !== undefined) {
            size[anchor] = sizes.anchor;
        }
        return {color: color, size: size};
    }

    function graph() {
        return document.querySelector("#scatter .js-plotly-plot");
    }

    function drawnLength(gd) {
        const full = gd._fullData && gd._fullData[0];
        return full ? full._length : -1;
    }

    function reconcile(gd) {
        if (!gd || !gd.data || !gd.data.length || !window.Plotly) {
            return false;
        }
        const trace = gd.data[0];
        const drawn = applied.get(trace) || trace.meta || {};
        const style = wanted.style && wanted.style.view === drawn.view ? wanted.style : null;
        if (!style) {
            return false;
        }
        const highlight = wanted.highlight && wanted.highlight.view === drawn.view ? wanted.highlight : null;
        const highlightToken = highlight ? highlight.token : "";
        const labels = wanted.labels && wanted.labels.view === drawn.view ? wanted.labels : null;
        const data = {};
        const layout = {};
        const meta = Object.assign({}, drawn);
        if (style.token !== drawn.style || highlightToken !== drawn.highlight) {
            const codes = decodedOnce(style.token, style.codes);
            if (codes.length !== drawnLength(gd)) {
                return false;
            }
            const positions = highlight && highlight.token ? decodedOnce(highlight.token, highlight.positions) : null;
            const dimension = trace.type === "scatter3d" ? 3 : 2;
            const s = pointStyle(style, codes, positions, highlight ? highlight.anchor : null, dimension);
            data["marker.color"] = [s.color];
            data["marker.size"] = [s.size];
            if (style.token !== drawn.style) {
                data["marker.colorscale"] = [style.colorscale];
                data["marker.cmin"] = [style.cmin];
                data["marker.cmax"] = [style.cmax];
            }
            if (highlight && highlight.clearsBox && trace.type !== "scatter3d") {
                data.selectedpoints = [null];
                layout.selections = [];
            }
            meta.style = style.token;
            meta.highlight = highlightToken;
        }
        if (labels && labels.token !== drawn.labels && labels.hovertext.length === drawnLength(gd)) {
            data.hovertext = [labels.hovertext];
            meta.labels = labels.token;
        }
        if (!Object.keys(data).length) {
            return false;
        }
        applied.set(trace, meta);  // a figure drawn anew is a new trace object and brings its own `meta`
        window.Plotly.update(gd, data, layout, [0]);
        return true;
    }

    let scheduled = false;

    /* Reconcile once the texts that came with the payload are painted: payloads that arrive together
     * (a colour and a selection) make one update, and "N matches" never waits for the redraw. */
    function schedule() {
        if (scheduled) {
            return;
        }
        scheduled = true;
        window.requestAnimationFrame(function () {
            window.setTimeout(function () {
                scheduled = false;
                reconcile(graph());
            }, 0);
        });
    }

    function watch(gd) {
        if (gd && gd.on && !gd._projectorWatched) {
            gd.on("plotly_afterplot", schedule);
            gd._projectorWatched = true;
        }
    }

    function restyle(style, highlight, labels) {
        wanted.style = style || null;
        wanted.highlight = highlight || null;
        wanted.labels = labels || null;
        watch(graph());
        schedule();
        return window.dash_clientside.no_update;
    }

    /* A streamed layout. When the drawn trace already shows this projection only its coordinates change;
     * otherwise the frame's figure is drawn with the view's labels, and reconcile() then styles it. */
    function frame(payload) {
        const gd = graph();
        const noUpdate = window.dash_clientside.no_update;
        const current = gd && gd.data && gd.data[0];
        if (!payload || !current || !window.Plotly || (current.meta || {}).view !== payload.view) {
            return noUpdate;
        }
        watch(gd);
        const next = payload.figure.data[0];
        const coords = {x: [decode(next.x)], y: [decode(next.y)]};
        if (next.z) {
            coords.z = [decode(next.z)];
        }
        if (current.meta.projection === payload.projection && current.type === next.type) {
            window.Plotly.restyle(gd, coords, [0]);
        } else {
            next.hovertext = current.hovertext;
            const drawn = applied.get(current) || current.meta;
            next.meta = Object.assign({}, drawn, {projection: payload.projection, style: null, highlight: null});
            window.Plotly.react(gd, [next], payload.figure.layout);
        }
        return payload.iteration;
    }

    /* The search text to run: at once on Enter, else after a pause in typing; unchanged text runs nothing. */
    function searchQuery(value, nSubmit, current) {
        const noUpdate = window.dash_clientside.no_update;
        const triggered = (window.dash_clientside.callback_context.triggered || []).map(function (t) { return t.prop_id; });
        const text = value || "";
        const turn = ++searchTurn;
        if (triggered.some(function (id) { return id.endsWith(".n_submit"); })) {
            return text === (current || "") ? noUpdate : text;
        }
        return new Promise(function (resolve) {
            setTimeout(function () {
                resolve(turn === searchTurn && text !== (current || "") ? text : noUpdate);
            }, SEARCH_PAUSE_MS);
        });
    }

    window.projectorScatter = {pointStyle: pointStyle, decode: decode, reconcile: reconcile};
    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        projector: {restyle: restyle, frame: frame, searchQuery: searchQuery},
    });
})();
