/* The 3D scatter's colours, sizes and hover texts written into the point buffers plotly.js already drew,
 * instead of a restyle.
 *
 * For any restyle of a scatter3d, plotly.js rebuilds the whole trace: every point's position, glyph and
 * colour are computed and uploaded again, and the scene is drawn in the frames after. A highlight changes
 * only colours and sizes. This writes those into the drawn trace's buffers (gl-scatter3d keeps, per point,
 * the vertices of its glyph: a position, a colour and an offset scaled by the size), keeps `gd.data` and
 * `gd._fullData` in step so every reader sees the trace as a restyle would have left it, and draws the
 * scene once. Anything it does not know exactly (another symbol, a colour it cannot parse, a colourscale
 * that blends, a trace not drawn yet) makes it decline, and the caller restyles as before.
 */
(function () {
    "use strict";

    const core = window.projectorCore;

    // plotly.js's glyphs of the 3D marker symbols (its gl3d_markers), for the symbols the app draws.
    const GLYPHS = {square: "\u25A0", circle: "\u25CF"};

    const KNOWN = new Set(["color", "size", "colorscale", "cmin", "cmax", "hovertext"]);  // what can be written
    const templates = new Map();  // glyph and pixel ratio -> the glyph's vertices at size 1

    /* The offsets of one glyph's vertices at size 1, as gl-scatter3d lays them (the filled triangles, then
     * the outline's edges), built by its own update on a stand-in that keeps what it would upload. */
    function glyphTemplate(cloud, glyph) {
        const key = glyph + "@" + cloud.pixelRatio;
        if (!templates.has(key)) {
            const kept = {};
            const buffer = function (name) {
                return {update: function (data) { kept[name] = Float32Array.from(data); }};
            };
            const standIn = {
                pixelRatio: cloud.pixelRatio,
                useOrtho: cloud.useOrtho,
                pointBuffer: buffer("position"),
                colorBuffer: buffer("color"),
                glyphBuffer: buffer("offset"),
                idBuffer: buffer("id"),
            };
            Object.getPrototypeOf(cloud).update.call(standIn, {
                position: [[0, 0, 0]], glyph: [glyph], color: [[0, 0, 0, 1]], size: [1],
                lineColor: [[0, 0, 0, 1]], lineWidth: 0, opacity: 1,
            });
            templates.set(key, {fill: standIn.vertexCount, line: standIn.lineVertexCount, offsets: kept.offset});
        }
        return templates.get(key);
    }

    /* "#rgb", "#rrggbb", "rgb(r, g, b)" or "rgba(r, g, b, a)" as plotly.js hands colours to WebGL: channels
     * in 0..1; null for any other form. */
    function rgba(color) {
        const text = String(color).trim();
        let m = text.match(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i);
        if (m) {
            const hex = m[1].length === 3 ? m[1].replace(/(.)/g, "$1$1") : m[1];
            return [0, 2, 4].map(function (i) { return parseInt(hex.slice(i, i + 2), 16) / 255; }).concat([1]);
        }
        m = text.match(/^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)$/i);
        if (m) {
            return [+m[1] / 255, +m[2] / 255, +m[3] / 255, m[4] === undefined ? 1 : +m[4]];
        }
        return null;
    }

    /* The colour of every code 0..top under a colourscale of steps (each code's value between two stops of
     * one colour, as projector.colors.discrete_colorscale makes them); null when a code falls where the
     * scale blends two colours, which only plotly.js's own interpolation would give exactly. */
    function stepColors(scale, cmin, cmax, top) {
        const table = [];
        for (let code = 0; code <= top; code++) {
            const f = Math.min(1, Math.max(0, (code - cmin) / (cmax - cmin)));
            let at = null;
            for (let i = 0; i + 1 < scale.length; i++) {
                if (f >= scale[i][0] && f <= scale[i + 1][0]) {
                    at = scale[i][1] === scale[i + 1][1] ? scale[i][1] : null;
                    break;
                }
            }
            const color = at === null ? null : rgba(at);
            if (!color) {
                return null;
            }
            table.push(color);
        }
        return table;
    }

    /* plotly.js's size of a marker in the buffers (scatter3d's calculateSize through makeBubbleSizeFn). */
    function sizeFunction(marker) {
        const ref = marker.sizeref || 1;
        const least = marker.sizemin || 0;
        return function (size) {
            const half = (4 * size) / 2;
            const base = marker.sizemode === "area" ? Math.sqrt(half / ref) : half / ref;
            return base > 0 ? Math.max(base, least) : 0;
        };
    }

    function sameArray(a, b) {
        if (!a || !b || a.length !== b.length) {
            return false;
        }
        for (let i = 0; i < a.length; i++) {
            if (a[i] !== b[i]) {
                return false;
            }
        }
        return true;
    }

    /* The drawn trace's parts when it is a plain marker scatter3d as the app draws it, else null. */
    function drawnCloud(gd) {
        const full = gd && gd._fullData && gd._fullData[0];
        const scene = gd && gd._fullLayout && gd._fullLayout.scene && gd._fullLayout.scene._scene;
        if (!full || full.type !== "scatter3d" || !scene || !scene.glplot || scene.glplot.contextLost) {
            return null;
        }
        const plotted = scene.traces && scene.traces[full.uid];
        const cloud = plotted && plotted.scatterPlot;
        const marker = full.marker || {};
        const glyph = typeof marker.symbol === "string" ? GLYPHS[marker.symbol] : undefined;
        if (!cloud || plotted.mode !== "markers" || !glyph || !(cloud.opacity < 1) || cloud.pointCount !== full._length) {
            return null;  // an opacity below 1 keeps the cloud transparent whatever the colours' alpha
        }
        const template = glyphTemplate(cloud, glyph);
        const n = full._length;
        if (cloud.vertexCount !== template.fill * n || cloud.lineVertexCount !== template.line * n) {
            return null;  // some point is not drawn (not finite), or the glyph is not the one assumed
        }
        return {full: full, scene: scene, plotted: plotted, cloud: cloud, template: template, n: n};
    }

    /* Write `change` ({color, size: typed arrays of codes and sizes; colorscale, cmin, cmax when they change;
     * hovertext}) into the drawn 3D trace of `gd`. True when done (and the scene drawn), false when the caller
     * must restyle instead. */
    function writePoints(gd, change) {
        const drawn = Object.keys(change).every(function (key) { return KNOWN.has(key); }) && drawnCloud(gd);
        if (!drawn) {
            return false;
        }
        const {full, scene, plotted, cloud, template, n} = drawn;
        const input = gd.data[0];
        const marker = full.marker;
        const scale = change.colorscale || marker.colorscale;
        const cmin = change.cmin !== undefined ? change.cmin : marker.cmin;
        const cmax = change.cmax !== undefined ? change.cmax : marker.cmax;
        const codes = change.color || marker.color;
        const sizes = change.size || marker.size;
        if (!codes || codes.length !== n || !sizes || sizes.length !== n || !Array.isArray(scale) || !(cmax > cmin)) {
            return false;
        }
        if (change.hovertext && change.hovertext.length !== n) {
            return false;
        }
        if (!("color" in change || "size" in change || "colorscale" in change)) {
            input.hovertext = full.hovertext = plotted.textLabels = change.hovertext;  // only texts: nothing to draw
            return true;
        }
        let top = 0;
        for (let i = 0; i < n; i++) {
            top = codes[i] > top ? codes[i] : top;
        }
        const table = stepColors(scale, cmin, cmax, top);
        if (!table) {
            return false;
        }
        const fill = template.fill;
        const colors = new Float32Array(4 * fill * n);
        for (let i = 0, o = 0; i < n; i++) {
            const c = table[codes[i]];
            for (let v = 0; v < fill; v++, o += 4) {
                colors[o] = c[0];
                colors[o + 1] = c[1];
                colors[o + 2] = c[2];
                colors[o + 3] = c[3];
            }
        }
        cloud.colorBuffer.update(colors, 0);  // the filled glyphs' colours; the outline keeps its own
        // The drawn sizes: every way of changing them (this write, a restyle, a new figure) leaves them here.
        const resized = !sameArray(marker.size, sizes);
        if (resized) {
            writeSizes(cloud, template, sizes, sizeFunction(marker), n);
        }

        // gd.data and gd._fullData as a restyle would have left them, for every reader and the next redraw.
        const values = {color: codes, size: sizes, colorscale: scale, cmin: cmin, cmax: cmax};
        Object.keys(values).forEach(function (key) {
            input.marker[key] = values[key];
            marker[key] = values[key];
        });
        if ("_cmin" in marker) {
            marker._cmin = cmin;
            marker._cmax = cmax;
        }
        if (change.hovertext) {
            input.hovertext = change.hovertext;
            full.hovertext = change.hovertext;
            plotted.textLabels = change.hovertext;  // what its hover reads
        }
        hoverColors(plotted, table, codes);
        if (resized) {
            pickWhereDrawn(gd, scene, cloud);
        }
        scene.glplot.redraw();
        return true;
    }

    /* New sizes need the scene's picking buffer drawn again, or a grown point would be hovered only where it
     * was drawn before. That pass costs as much as a frame of the scene, so it is made when the pointer is on
     * the plot (a click on it), else once the pointer comes onto it (after a search typed beside it). */
    const pointerOn = new WeakMap();  // graph -> whether the pointer is over it
    const stale = new WeakMap();  // graph -> the cloud whose picking waits for the pointer
    function pickWhereDrawn(gd, scene, cloud) {
        if (!pointerOn.has(gd)) {
            pointerOn.set(gd, gd.matches(":hover"));
            gd.addEventListener("pointerenter", function () {
                pointerOn.set(gd, true);
                const waiting = stale.get(gd);
                const current = gd._fullLayout && gd._fullLayout.scene && gd._fullLayout.scene._scene;
                stale.delete(gd);
                if (waiting && current && current.glplot) {
                    waiting.dirty = true;  // drawn with the next frame of the scene
                    current.glplot.redraw();
                }
            });
            gd.addEventListener("pointerleave", function () { pointerOn.set(gd, false); });
        }
        if (pointerOn.get(gd)) {
            cloud.dirty = true;  // drawn with this frame
        } else {
            stale.set(gd, cloud);
        }
    }

    /* Each vertex's offset from its point is the glyph's at size 1 times the point's size in the buffers. */
    function writeSizes(cloud, template, sizes, size, n) {
        const fill = template.fill;
        const line = template.line;
        const unit = template.offsets;
        const offsets = new Float32Array(2 * fill * n);
        for (let i = 0, o = 0; i < n; i++) {
            const s = size(sizes[i]);
            for (let v = 0; v < 2 * fill; v++, o++) {
                offsets[o] = s * unit[v];
            }
        }
        cloud.glyphBuffer.update(offsets, 0);
        if (cloud.lineWidth > 0 && line > 0) {  // outlines are drawn only with a line width
            const edges = new Float32Array(2 * line * n);
            for (let i = 0, o = 0; i < n; i++) {
                const s = size(sizes[i]);
                for (let v = 0; v < 2 * line; v++, o++) {
                    edges[o] = s * unit[2 * fill + v];
                }
            }
            cloud.glyphBuffer.update(edges, 4 * 2 * fill * n);
        }
    }

    /* The trace's per-point colours as its hover label takes them ("rgb(r,g,b)" strings), made only when a
     * hover asks; the next full draw sets its own. */
    function hoverColors(plotted, table, codes) {
        let made = null;
        Object.defineProperty(plotted, "color", {
            configurable: true,
            enumerable: true,
            get: function () {
                if (!made) {
                    const names = table.map(function (c) {
                        return "rgb(" + [c[0], c[1], c[2]].map(function (v) { return Math.round(v * 255); }) + ")";
                    });
                    made = Array.from(codes, function (code) { return names[code]; });
                }
                return made;
            },
            set: function (value) {
                Object.defineProperty(plotted, "color", {value: value, writable: true, configurable: true, enumerable: true});
            },
        });
    }

    core.setPointWriter(writePoints);
    window.projectorPoints3d = {writePoints: writePoints};  // for tests
})();
