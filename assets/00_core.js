/* The core the other browser scripts share, as window.projectorCore: the component IDs they name, the
 * scatter's graph, the latest restyle payloads, decoding of typed arrays, where a point is drawn on the
 * screen, elements laid over the plot, and the registration of clientside callbacks.
 *
 * Named 00_core.js because Dash loads the files of assets/ in alphanumeric order: this one must run first,
 * so that every other script finds the core defined when it starts. No other script reaches another's
 * globals; each one takes what it shares from here and puts what it offers here.
 */
(function () {
    "use strict";

    /* Component IDs the scripts name (callbacks/ids.py, whose names they keep; tests/test_assets.py compares
     * the two). dcc.Store with storage_type="local" keeps its data in localStorage under its ID. */
    const IDS = Object.freeze({
        SCATTER: "scatter",
        NEIGHBORS_LIST: "neighbors-list",
        MATCH_LIST: "match-list",
        CHANGED_LIST: "changed-list",
        COMPARE_CHANGED: "compare-changed",
        SCATTER_COMPARE: "scatter-compare",
        COMPARE_NEIGHBORS: "compare-neighbors",
        LIST_PICK: "list-pick",
        CLUSTER_LIST: "cluster-list",
        GROUP_PICK: "group-pick",
        POINT_DETAILS: "point-details",
        BANNER_ACTION: "banner-action",
        NIGHT_MODE: "night-mode",
        THEME_STORE: "theme-store",
    });

    const TYPED = {u1: Uint8Array, u2: Uint16Array, i4: Int32Array, f4: Float32Array, f8: Float64Array};
    const decoded = new Map();
    const applied = new WeakMap();  // trace object -> the tokens restyled onto it since it was drawn
    const painters = {texts: [], restyled: []};
    let colorscaleTheme = function (scale) { return scale; };

    /* The latest payloads of the restyle callback (assets/restyle.js writes them): what the plot should
     * show. The lists and the labels take the highlight from here, so they follow the same selection. */
    const wanted = {style: null, highlight: null, labels: null};

    function graph() {
        return document.querySelector("#" + IDS.SCATTER + " .js-plotly-plot");
    }

    /* A typed array sent by the server as {dtype, bdata} (base64), as plotly.py encodes arrays. */
    function decode(spec) {
        const text = atob(spec.bdata);
        const bytes = new Uint8Array(text.length);
        for (let i = 0; i < text.length; i++) {
            bytes[i] = text.charCodeAt(i);
        }
        return new TYPED[spec.dtype](bytes.buffer);
    }

    /* decode(), kept for the last few tokens: every frame of the labels and each reconcile read the same
     * highlight again. */
    function decodedOnce(token, spec) {
        if (!decoded.has(token)) {
            if (decoded.size >= 10) {
                decoded.delete(decoded.keys().next().value);
            }
            decoded.set(token, decode(spec));
        }
        return decoded.get(token);
    }

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

    /* The tokens the graph's first trace shows: those restyled onto it since it was drawn, else its own. */
    function drawn(gd) {
        const trace = gd && gd.data && gd.data[0];
        return (trace && (applied.get(trace) || trace.meta)) || {};
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
     * another view than `view`. */
    function pointPixel(gd, p, view) {
        const full = gd && gd._fullData && gd._fullData[0];
        if (!full || !(p >= 0 && p < full._length) || drawn(gd).view !== view) {
            return null;
        }
        const value = full.type === "scatter3d" ? [full.x[p], full.y[p], full.z[p]] : [full.x[p], full.y[p]];
        return valuePixel(gd, value, true);
    }

    /* Where data coordinates `value` ([x, y] in 2D, [x, y, z] in 3D) are drawn, in viewport pixels; null behind
     * the camera, and with `inSight`, null outside the axes' ranges too (a trail's earlier steps may lie
     * beyond them, and are drawn clipped to the plot). */
    function valuePixel(gd, value, inSight) {
        const full = gd && gd._fullData && gd._fullData[0];
        const layout = gd && gd._fullLayout;
        if (!full || !layout) {
            return null;
        }
        const rect = gd.getBoundingClientRect();
        if (full.type === "scatter3d") {
            const scene = layout.scene && layout.scene._scene;
            // The scene's own layout is the one it drew: a relayout that redraws no trace (a resize) leaves
            // gd._fullLayout.scene with its axes' default ranges.
            const sceneLayout = scene && scene.fullSceneLayout;
            if (!sceneLayout || !scene.glplot || !scene.glplot.cameraParams || !scene.dataScale || value.length < 3) {
                return null;
            }
            const axes = [sceneLayout.xaxis, sceneLayout.yaxis, sceneLayout.zaxis];
            const v = [];
            for (let i = 0; i < 3; i++) {
                const fraction = axes[i].r2fraction(value[i]);
                if (!(fraction === fraction) || (inSight && !(fraction >= 0 && fraction <= 1))) {
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
        const x = xa.l2p(value[0]);
        const y = ya.l2p(value[1]);
        if (!(x === x && y === y) || (inSight && !(x >= 0 && x <= xa._length && y >= 0 && y <= ya._length))) {
            return null;
        }
        return [rect.left + xa._offset + x, rect.top + ya._offset + y];
    }

    /* The plot area of the scatter (its axes or its scene), in viewport pixels: [left, top, width, height]. */
    function plotArea(gd) {
        const layout = gd && gd._fullLayout;
        if (!layout || !layout._size) {
            return null;
        }
        const rect = gd.getBoundingClientRect();
        const size = layout._size;
        return [rect.left + size.l, rect.top + size.t, size.w, size.h];
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

    /* What is painted around a restyle (assets/restyle.js runs them): "texts" once the payload's texts are
     * painted, a frame before the restyle, and "restyled" after it. What needs no restyle of the plot (the
     * lists' mark, the labels) is drawn at "texts", so it never waits for plotly.js to rebuild a trace. */
    function onPaint(phase, painter) {
        painters[phase].push(painter);
    }

    function paint(phase) {
        painters[phase].forEach(function (painter) { painter(); });
    }

    /* Text widths in pixels, measured once per font and text: the labels and the cluster names are placed
     * every frame, and a canvas measure costs no page layout. */
    const widths = new Map();
    let measuring = null;
    function textWidth(text, font) {
        const key = font + "\u0000" + text;
        let width = widths.get(key);
        if (width === undefined) {
            if (!measuring) {
                measuring = document.createElement("canvas").getContext("2d");
            }
            measuring.font = font;
            width = Math.ceil(measuring.measureText(text).width);
            if (widths.size > 5000) {
                widths.clear();
            }
            widths.set(key, width);
        }
        return width;
    }

    function shortText(text, longest) {
        const value = String(text === undefined || text === null ? "" : text);
        return value.length > longest ? value.slice(0, longest - 1) + "\u2026" : value;
    }

    /* Whether box [left, top, right, bottom] overlaps one of `placed`. */
    function overlaps(box, placed) {
        for (let i = 0; i < placed.length; i++) {
            const other = placed[i];
            if (box[0] < other[2] && other[0] < box[2] && box[1] < other[3] && other[1] < box[3]) {
                return true;
            }
        }
        return false;
    }

    /* A layer of text over the plot (the labels, the cluster names): `draw(rect, items, dress)` places items
     * [x, y, text, ...] in the plot's pixels (rect: the plot's box on the page), `dress(span, item)` setting
     * what differs per span; it writes to the page only when something moved or changed. */
    function textLayer(className) {
        const holder = {element: null, key: ""};
        function element() {
            return overlay(holder, "element", className, {"aria-hidden": "true"});
        }
        function clear() {
            if (holder.element && holder.element.style.display !== "none") {
                holder.element.replaceChildren();
                holder.element.style.display = "none";
            }
            holder.key = "";
        }
        function draw(rect, items, dress) {
            const key = [rect.left, rect.top, rect.width, rect.height]
                .concat(items.map(function (item) { return item.join(","); }))
                .join("|");
            if (key === holder.key) {
                return;
            }
            holder.key = key;
            const layer = element();
            layer.style.left = rect.left + "px";
            layer.style.top = rect.top + "px";
            layer.style.width = rect.width + "px";
            layer.style.height = rect.height + "px";
            const spans = layer.children;
            for (let i = 0; i < items.length; i++) {
                const item = items[i];
                let span = spans[i];
                if (!span) {
                    span = document.createElement("span");
                    layer.appendChild(span);
                }
                if (span.textContent !== item[2]) {
                    span.textContent = item[2];
                }
                dress(span, item);
                span.style.transform = "translate(" + item[0] + "px, " + item[1] + "px)";
            }
            while (spans.length > items.length) {
                layer.lastChild.remove();
            }
            layer.style.display = items.length ? "block" : "none";
        }
        return {draw: draw, clear: clear};
    }

    /* Set (or, with null, remove) the layout image called `name`, keeping the others: the images as points
     * lie over the plot and the density under it, each script owning its own. */
    function setImage(gd, name, image) {
        const current = (gd && gd.layout && gd.layout.images) || [];
        const others = current.filter(function (other) { return other && other.name !== name; });
        if (!image && others.length === current.length) {
            return;
        }
        window.Plotly.update(gd, {}, {images: image ? others.concat([Object.assign({}, image, {name: name})]) : others});
    }

    /* assets/points3d.js sets how a restyle of the 3D scatter's colours, sizes and texts is written straight
     * into its drawn buffers; `writePoints` is false when it cannot be (or no writer is loaded). */
    let pointWriter = null;
    function setPointWriter(writer) {
        pointWriter = writer;
    }

    function writePoints(gd, change) {
        return pointWriter ? pointWriter(gd, change) : false;
    }

    /* Night mode sets how a restyle's colourscale is themed; by default it is left as it is. */
    function setColorscaleTheme(theme) {
        colorscaleTheme = theme;
    }

    function themedColorscale(scale) {
        return colorscaleTheme(scale);
    }

    /* Functions for ClientsideFunction(namespace, name) on the Python side: window.dash_clientside[namespace],
     * added to what is there, so scripts sharing a namespace keep each other's functions. */
    function clientside(namespace, functions) {
        window.dash_clientside = window.dash_clientside || {};
        window.dash_clientside[namespace] = Object.assign({}, window.dash_clientside[namespace], functions);
        return window.dash_clientside[namespace];
    }

    /* plotly.js draws its WebGL plots at twice the screen's pixels unless told otherwise (its config
     * plotGlPixelRatio), four times the work of every 3D frame on a common screen. Drawn at the screen's own
     * ratio (2 at most), they are as sharp as the screen shows. Plotly loads after these scripts, so it is
     * set the moment plotly.js defines itself, before it draws anything. */
    function drawAtScreenResolution(plotly) {
        plotly.setPlotConfig({plotGlPixelRatio: Math.min(2, Math.max(1, window.devicePixelRatio || 1))});
    }
    if (window.Plotly) {
        drawAtScreenResolution(window.Plotly);
    } else {
        let plotly;
        Object.defineProperty(window, "Plotly", {
            configurable: true,
            enumerable: true,
            get: function () { return plotly; },
            set: function (value) {
                Object.defineProperty(window, "Plotly", {value: value, writable: true, configurable: true, enumerable: true});
                plotly = value;
                if (value && value.setPlotConfig) {
                    drawAtScreenResolution(value);
                }
            },
        });
    }

    window.projectorCore = Object.freeze({
        IDS: IDS,
        wanted: wanted,
        applied: applied,
        graph: graph,
        decode: decode,
        decodedOnce: decodedOnce,
        highlightArrays: highlightArrays,
        drawn: drawn,
        pointPixel: pointPixel,
        valuePixel: valuePixel,
        plotArea: plotArea,
        overlay: overlay,
        textWidth: textWidth,
        shortText: shortText,
        overlaps: overlaps,
        textLayer: textLayer,
        setImage: setImage,
        onPaint: onPaint,
        paint: paint,
        setPointWriter: setPointWriter,
        writePoints: writePoints,
        setColorscaleTheme: setColorscaleTheme,
        themedColorscale: themedColorscale,
        clientside: clientside,
    });
})();
