/* The density layer: the server's shaded density of the drawn 2D layout (the `density-store` payload), laid
 * under the points as a layout image in data coordinates, so it pans and zooms with them. It is shown only
 * while the plot holds the points it was computed from (three of them are checked), so a streamed t-SNE frame
 * or a step move hides it until the density of the new layout arrives, and a new figure gets it back.
 */
(function () {
    "use strict";

    const core = window.projectorCore;
    const NAME = "density";
    const state = {payload: null, bound: null};

    function close(a, b) {
        return Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(a), Math.abs(b));
    }

    /* Whether the plot shows the points the payload's density was computed from. */
    function matches(gd, payload) {
        const full = gd._fullData && gd._fullData[0];
        if (!full || full.type === "scatter3d" || !full.x || core.drawn(gd).view !== payload.view) {
            return false;
        }
        const n = full._length || full.x.length;
        const at = [0, Math.floor(n / 2), n - 1].filter(function (i, k, all) { return all.indexOf(i) === k; });
        return at.length === payload.probe.length && at.every(function (i, k) {
            return close(Number(full.x[i]), payload.probe[k][0]) && close(Number(full.y[i]), payload.probe[k][1]);
        });
    }

    function shown(gd) {
        const images = (gd.layout && gd.layout.images) || [];
        return images.find(function (image) { return image && image.name === NAME; }) || null;
    }

    function apply() {
        const gd = core.graph();
        if (!gd || !gd._fullData) {
            return;
        }
        if (state.bound !== gd && gd.on) {
            state.bound = gd;
            gd.on("plotly_afterplot", apply);  // a new figure, a t-SNE frame, a step move
        }
        const payload = state.payload;
        const current = shown(gd);
        if (payload && matches(gd, payload)) {
            if (!current || current.source !== payload.image.source) {
                core.setImage(gd, NAME, payload.image);
            }
        } else if (current) {
            core.setImage(gd, NAME, null);
        }
    }

    /* The clientside callback of the density store. */
    function show(payload) {
        state.payload = payload && payload.image && payload.probe ? payload : null;
        apply();
        return Boolean(state.payload);
    }

    core.onPaint("restyled", apply);
    core.clientside("density", {show: show});
})();
