/* The scatter's restyles, done in the browser from the small payloads projector/scatter.py makes, and the
 * streamed t-SNE layouts, which redraw the same trace.
 *
 * A drawn trace's `meta` names what it shows (view, style, highlight and labels tokens), and the core's
 * `applied` what has been restyled onto it since; the latest payloads (the core's `wanted`) name what is
 * wanted. `reconcile` sends exactly one Plotly.update for the difference, or nothing. It runs once the
 * payload's texts are painted and after every redraw, so a figure drawn with an older selection is brought
 * up to date too. `pointStyle` is the browser's copy of projector.figures.point_style (tests compare them).
 */
(function () {
    "use strict";

    const core = window.projectorCore;

    /* Dash's polyfill bundle (core-js) replaces String.prototype.trim with a much slower JavaScript one, and
     * plotly.js calls it for every point it restyles. The browser's own trim, taken from a blank frame, is
     * put back. */
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

    const wanted = core.wanted;

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

    function drawnLength(gd) {
        const full = gd._fullData && gd._fullData[0];
        return full ? full._length : -1;
    }

    function reconcile(gd) {
        if (!gd || !gd.data || !gd.data.length || !window.Plotly) {
            return false;
        }
        const trace = gd.data[0];
        const drawn = core.drawn(gd);
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
            const codes = core.decodedOnce(style.token, style.codes);
            if (codes.length !== drawnLength(gd)) {
                return false;
            }
            const on = highlight && highlight.token;
            const h = on ? core.highlightArrays(highlight) : {positions: null, near: null, levels: null};
            const dimension = trace.type === "scatter3d" ? 3 : 2;
            const s = pointStyle(style, codes, h.positions, on ? highlight.anchor : null, dimension, h.near, h.levels);
            data["marker.color"] = [s.color];
            data["marker.size"] = [s.size];
            if (style.token !== drawn.style) {
                // In the theme of the moment (night mode), so a recolouring needs no second update.
                data["marker.colorscale"] = [core.themedColorscale(style.colorscale)];
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
        core.applied.set(trace, meta);  // a figure drawn anew is a new trace object and brings its own `meta`
        if (!Object.keys(layout).length && core.writePoints(gd, pointChange(data))) {
            return true;  // written into the drawn 3D points: no rebuild of the trace
        }
        window.Plotly.update(gd, data, layout, [0]);
        return true;
    }

    /* A Plotly.update's data (one trace, each value in a list) as assets/points3d.js takes it. */
    function pointChange(data) {
        const change = {};
        Object.keys(data).forEach(function (key) {
            change[key.replace(/^marker\./, "")] = data[key][0];
        });
        return change;
    }

    let scheduled = false;

    /* Reconcile once the texts that came with the payload are painted: payloads that arrive together
     * (a colour and a selection) make one update, and "N matches" never waits for the redraw. What needs no
     * restyle (the core's "texts" painters) is painted a frame before it: a restyle of a large 3D trace
     * holds the page while plotly.js rebuilds the trace. */
    function schedule() {
        if (scheduled) {
            return;
        }
        scheduled = true;
        window.requestAnimationFrame(function () {
            window.setTimeout(function () {
                core.paint("texts");
                window.requestAnimationFrame(function () {
                    window.setTimeout(function () {
                        scheduled = false;
                        reconcile(core.graph());
                        core.paint("restyled");
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
        watch(core.graph());
        schedule();
        return window.dash_clientside.no_update;
    }

    let moving = 0;  // the step move under way: a newer one takes over from wherever the points are
    const TRAVEL_FRAMES = 3;

    /* The points of the view's new step, from `payload.coords` ({x, y, z} typed arrays): at once, or while the
     * steps play travelling there over `payload.tween` ms, eased, one restyle per animation frame (a large 3D
     * trace takes fewer frames, never fewer than TRAVEL_FRAMES). The last frame is the step's exact coordinates. */
    function moveToStep(gd, payload) {
        const axes = Object.keys(payload.coords);
        const target = {};
        axes.forEach(function (axis) { target[axis] = core.decode(payload.coords[axis]); });
        const shown = gd._fullData && gd._fullData[0];
        const from = {};
        const fits = shown && axes.every(function (axis) {
            from[axis] = shown[axis];
            return from[axis] && from[axis].length === target[axis].length;
        });
        const run = ++moving;
        const place = function (coords) {
            const update = {};
            axes.forEach(function (axis) { update[axis] = [coords[axis]]; });
            return window.Plotly.restyle(gd, update, [0]);
        };
        if (!payload.tween || !fits) {
            place(target);
            return payload.step;
        }
        const start = performance.now();
        let frames = 0;
        const travel = function (now) {
            if (run !== moving) {
                return;
            }
            // By the clock, but at least TRAVEL_FRAMES frames: a busy page (a large trace, other work at the
            // step change) shows the points travelling more slowly rather than jumping.
            frames += 1;
            const t = Math.min(1, (now - start) / payload.tween, frames / TRAVEL_FRAMES);
            if (t >= 1) {
                place(target);
                return;
            }
            const eased = t < 0.5 ? 2 * t * t : 1 - 2 * (1 - t) * (1 - t);
            const between = {};
            axes.forEach(function (axis) {
                const a = from[axis];
                const b = target[axis];
                const c = new Float32Array(b.length);
                for (let i = 0; i < b.length; i++) {
                    c[i] = a[i] + (b[i] - a[i]) * eased;
                }
                between[axis] = c;
            });
            place(between).then(function () { window.requestAnimationFrame(travel); });
        };
        window.requestAnimationFrame(travel);
        return payload.step;
    }

    /* A streamed layout. When the drawn trace already shows this projection only its coordinates change;
     * otherwise the frame's figure is drawn with the view's labels, and reconcile() then styles it. */
    function frame(payload) {
        const gd = core.graph();
        const noUpdate = window.dash_clientside.no_update;
        const current = gd && gd.data && gd.data[0];
        if (!payload || !current || !window.Plotly || (current.meta || {}).view !== payload.view) {
            return noUpdate;
        }
        watch(gd);
        if (payload.coords) {  // the step moved: the drawn points go to their new places (moveToStep)
            return moveToStep(gd, payload);
        }
        const next = payload.figure.data[0];
        const coords = {x: [core.decode(next.x)], y: [core.decode(next.y)]};
        if (next.z) {
            coords.z = [core.decode(next.z)];
        }
        if (current.meta.projection === payload.projection && current.type === next.type) {
            window.Plotly.restyle(gd, coords, [0]);
        } else {
            next.hovertext = current.hovertext;
            const drawn = core.applied.get(current) || current.meta;
            next.meta = Object.assign({}, drawn, {projection: payload.projection, style: null, highlight: null});
            window.Plotly.react(gd, [next], payload.figure.layout);
        }
        return payload.iteration;
    }

    window.projectorRestyle = {pointStyle: pointStyle, reconcile: reconcile};  // for tests
    core.clientside("projector", {restyle: restyle, frame: frame});
})();
