/* The scatter's restyles, done in the browser from the small payloads projector/scatter.py makes.
 *
 * A drawn trace's `meta` names what it shows (view, style, highlight and labels tokens), and `applied` what
 * has been restyled onto it since; the latest payloads name what is wanted. `reconcile` sends exactly one
 * Plotly.update for the difference, or nothing. It runs once the payload's texts are painted and after every
 * redraw, so a figure drawn with an older selection is brought up to date too. `pointStyle` is the browser's
 * copy of projector.figures.point_style (tests compare them).
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
            if (decoded.size >= 10) {
                decoded.delete(decoded.keys().next().value);
            }
            decoded.set(token, decode(spec));
        }
        return decoded.get(token);
    }

    /* Colour codes and sizes of every point: the selection keeps its colours (or turns red when no column
     * colours the points), everything else is dimmed; the clicked point's listed neighbours take the colour of
     * their distance level (`near` positions, `levels`), the clicked point its own; selected points are larger,
     * the clicked one largest. */
    function pointStyle(style, codes, positions, anchor, dimension, near, levels) {
        const sizes = style.sizes[String(dimension)];
        const n = codes.length;
        const size = new Uint8Array(n).fill(sizes.point);
        const hasAnchor = anchor !== null && anchor !== undefined;
        const hasNear = near && levels && near.length > 0;
        if ((!positions || positions.length === 0) && !hasAnchor && !hasNear) {
            return {color: codes, size: size};
        }
        const color = new (style.anchorCode < 256 ? Uint8Array : Uint16Array)(n);
        if (positions && positions.length) {
            color.fill(style.dimmed);
            for (let k = 0; k < positions.length; k++) {
                const p = positions[k];
                color[p] = style.colorless ? style.selected : codes[p];
                size[p] = sizes.selected;
            }
        } else {
            color.set(codes);
        }
        if (hasNear) {
            for (let k = 0; k < near.length; k++) {
                color[near[k]] = style.near + levels[k];
            }
        }
        if (hasAnchor) {
            color[anchor] = style.anchorCode;
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
            const on = highlight && highlight.token;
            const h = on ? highlightArrays(highlight) : {positions: null, near: null, levels: null};
            const dimension = trace.type === "scatter3d" ? 3 : 2;
            const s = pointStyle(style, codes, h.positions, on ? highlight.anchor : null, dimension, h.near, h.levels);
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
     * (a colour and a selection) make one update, and "N matches" never waits for the redraw. What needs no
     * restyle (the lists' mark of the clicked point, the labels on the plot) is painted a frame before it:
     * a restyle of a large 3D trace holds the page for about a second. */
    function schedule() {
        if (scheduled) {
            return;
        }
        scheduled = true;
        window.requestAnimationFrame(function () {
            window.setTimeout(function () {
                markAnchor();
                if (window.projectorLabels) {
                    window.projectorLabels.now();
                }
                window.requestAnimationFrame(function () {
                    window.setTimeout(function () {
                        scheduled = false;
                        reconcile(graph());
                        markAnchor();
                        if (window.projectorLabels) {
                            window.projectorLabels.wake();
                        }
                    }, 0);
                });
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

    /* Lists you can walk. A click on an entry of the neighbours or matches list (or Enter on it) selects its
     * point: the entry's dataset row goes to the `list-pick` store, which the server's select callback takes
     * like a click on the plot. Hovering an entry rings its point on the plot and names it. The ring is drawn
     * over the plot, not restyled into it: plotly.js rebuilds a whole trace for any restyle, even of one point
     * (about a second for 100k points in 3D), while the ring costs one projection of one point per frame, and
     * it follows the camera, zoom and pan while the entry stays hovered. */
    const LIST_ENTRY = "#neighbors-list [data-row], #match-list [data-row]";
    const ring = {element: null, entry: null, frame: 0, at: ""};
    let picks = 0;

    function listEntry(target) {
        return target && target.closest ? target.closest(LIST_ENTRY) : null;
    }

    function pick(entry) {
        const row = Number(entry.dataset.row);
        if (!Number.isInteger(row) || !window.dash_clientside.set_props) {
            return;
        }
        picks += 1;
        window.dash_clientside.set_props("list-pick", {data: {row: row, pick: picks}});
    }

    /* The list entries of the clicked point are marked, so a walk through the matches shows where it is. */
    function markAnchor() {
        const highlight = wanted.highlight;
        const anchor = highlight && highlight.token ? highlight.anchor : null;
        document.querySelectorAll(LIST_ENTRY).forEach(function (entry) {
            const on = anchor !== null && anchor !== undefined && Number(entry.dataset.position) === anchor;
            if (entry.classList.contains("current") !== on) {
                entry.classList.toggle("current", on);
            }
        });
    }

    function project(camera, v) {  /* model, view and projection matrices (column-major) applied to a point */
        let p = [v[0], v[1], v[2], 1];
        for (const m of [camera.model, camera.view, camera.projection]) {
            const out = [0, 0, 0, 0];
            for (let i = 0; i < 4; i++) {
                for (let j = 0; j < 4; j++) {
                    out[j] += m[4 * i + j] * p[i];
                }
            }
            p = out;
        }
        return p;
    }

    /* Where trace position `p` is drawn, in viewport pixels; null when it is not in sight or the plot shows
     * another view than the list was made for. */
    function pointPixel(gd, p, view) {
        const full = gd && gd._fullData && gd._fullData[0];
        const layout = gd && gd._fullLayout;
        if (!full || !layout || !(p >= 0 && p < full._length)) {
            return null;
        }
        const drawn = applied.get(gd.data[0]) || gd.data[0].meta || {};
        if (drawn.view !== view) {
            return null;
        }
        const rect = gd.getBoundingClientRect();
        if (full.type === "scatter3d") {
            const sceneLayout = layout.scene;
            const scene = sceneLayout && sceneLayout._scene;
            if (!scene || !scene.glplot || !scene.glplot.cameraParams || !scene.dataScale) {
                return null;
            }
            const value = [full.x[p], full.y[p], full.z[p]];
            const axes = [sceneLayout.xaxis, sceneLayout.yaxis, sceneLayout.zaxis];
            const v = [];
            for (let i = 0; i < 3; i++) {
                const fraction = axes[i].r2fraction(value[i]);
                if (!(fraction >= 0 && fraction <= 1)) {
                    return null;
                }
                v.push(axes[i].r2l(value[i]) * scene.dataScale[i]);
            }
            const q = project(scene.glplot.cameraParams, v);
            if (!(q[3] > 0)) {
                return null;
            }
            const size = layout._size;
            const dx = sceneLayout.domain.x;
            const dy = sceneLayout.domain.y;
            return [
                rect.left + size.l + dx[0] * size.w + 0.5 * (1 + q[0] / q[3]) * size.w * (dx[1] - dx[0]),
                rect.top + size.t + (1 - dy[1]) * size.h + 0.5 * (1 - q[1] / q[3]) * size.h * (dy[1] - dy[0]),
            ];
        }
        const xa = layout.xaxis;
        const ya = layout.yaxis;
        const x = xa.l2p(full.x[p]);
        const y = ya.l2p(full.y[p]);
        if (!(x >= 0 && x <= xa._length && y >= 0 && y <= ya._length)) {
            return null;
        }
        return [rect.left + xa._offset + x, rect.top + ya._offset + y];
    }

    function ringElement() {
        if (!ring.element) {
            const element = document.createElement("div");
            element.className = "scatter-hover";
            element.setAttribute("aria-hidden", "true");
            element.appendChild(document.createElement("span"));
            document.body.appendChild(element);
            ring.element = element;
        }
        return ring.element;
    }

    function hideRing() {
        if (ring.element && ring.at !== "") {
            ring.element.style.display = "none";
            ring.at = "";
        }
    }

    function follow() {
        ring.frame = 0;
        const entry = ring.entry;
        if (!entry || !entry.isConnected || !entry.matches(":hover, :focus-visible")) {
            ring.entry = null;
            hideRing();
            return;
        }
        // The lists arrive with the highlight: its view is the one their positions belong to.
        const at = pointPixel(graph(), Number(entry.dataset.position), wanted.highlight && wanted.highlight.view);
        if (!at) {
            hideRing();
        } else {
            const key = at[0].toFixed(1) + "," + at[1].toFixed(1) + "," + entry.dataset.position;
            if (key !== ring.at) {
                const element = ringElement();
                element.style.left = at[0] + "px";
                element.style.top = at[1] + "px";
                element.dataset.position = entry.dataset.position;
                element.firstChild.textContent = entry.title || "";
                element.style.display = "block";
                ring.at = key;
            }
        }
        ring.frame = window.requestAnimationFrame(follow);
    }

    function hover(entry) {
        ring.entry = entry;
        if (entry && !ring.frame) {
            ring.frame = window.requestAnimationFrame(follow);
        }
    }

    document.addEventListener("click", function (event) {
        const entry = listEntry(event.target);
        if (entry) {
            pick(entry);
        }
    });
    document.addEventListener("keydown", function (event) {
        const entry = (event.key === "Enter" || event.key === " ") && listEntry(event.target);
        if (entry) {
            event.preventDefault();
            pick(entry);
        }
    });
    document.addEventListener("mouseover", function (event) {
        const entry = listEntry(event.target);
        if (entry && entry !== ring.entry) {
            hover(entry);
        }
    });
    document.addEventListener("focusin", function (event) {
        const entry = listEntry(event.target);
        if (entry) {
            hover(entry);
        }
    });

    /* The points that carry their label on the plot (assets/labels.js), in order of precedence: the clicked
     * point, its listed neighbours (nearest first), then the first LABELLED_SELECTED selected points (search
     * matches, a drag); with the view their plotted positions belong to. */
    const LABELLED_SELECTED = 100;

    /* A highlight's arrays, decoded once per token: the selected positions, the neighbours (nearest first)
     * and their distance levels; null where the highlight has none. */
    function highlightArrays(highlight) {
        function array(suffix, encoded) {
            return encoded ? decodedOnce(highlight.token + suffix, encoded) : null;
        }
        return {
            positions: array("", highlight.positions),
            near: array(":near", highlight.near),
            levels: array(":levels", highlight.levels),
        };
    }

    /* The plot positions the highlight lights up (the selection, the clicked point and its neighbours), as a
     * Set with the highlight's token, or null when nothing is highlighted. */
    function lit() {
        const highlight = wanted.highlight;
        if (!highlight || !highlight.token) {
            return null;
        }
        const h = highlightArrays(highlight);
        const positions = new Set(h.positions || []);
        (h.near || []).forEach(function (p) { positions.add(p); });
        if (highlight.anchor !== null && highlight.anchor !== undefined) {
            positions.add(highlight.anchor);
        }
        return {token: highlight.token, view: highlight.view, positions: positions};
    }

    function labelled() {
        const highlight = wanted.highlight;
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
        const h = highlightArrays(highlight);
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

    // An element over the page (placed over the plot by its caller), made once and kept as holder[key].
    function overlay(holder, key, className, attributes) {
        if (!holder[key]) {
            const element = document.createElement("div");
            element.className = className;
            Object.keys(attributes).forEach(function (name) { element.setAttribute(name, attributes[name]); });
            document.body.appendChild(element);
            holder[key] = element;
        }
        return holder[key];
    }

    window.projectorScatter = {
        pointStyle: pointStyle, decode: decode, reconcile: reconcile, graph: graph, pointPixel: pointPixel,
        labelled: labelled, lit: lit, overlay: overlay,
    };
    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        projector: {restyle: restyle, frame: frame, searchQuery: searchQuery},
    });
})();
