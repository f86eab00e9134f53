/* The two plots, linked while a second embedding is drawn beside the first. Hover: the hovered point's row
 * is ringed and named on the other plot (the second plot's rows are the first's, position for position:
 * projector/compare.py pairs them); like the lists' ring, it is laid over the plot, not restyled into it.
 * Camera: turning one 3D plot turns the other the same way (the second is turned onto the first, so the
 * same camera shows the same side of both); 2D zoom and pan stay each plot's own, as their scales differ.
 */
(function () {
    "use strict";

    const core = window.projectorCore;
    const IDS = core.IDS;
    const ring = {element: null};
    let attached = 0;
    let following = false;

    function graphOf(id) {
        return document.querySelector("#" + id + " .js-plotly-plot");
    }

    function shows(gd) {
        return gd && gd.offsetParent !== null && gd._fullData && gd._fullData[0];
    }

    function hide() {
        if (ring.element) {
            ring.element.style.display = "none";
        }
    }

    /* Ring position `p` on `other`, named as on `from` (its hover label), when both show as many points. */
    function show(from, other, p) {
        const source = shows(from);
        const target = shows(other);
        if (!source || !target || source._length !== target._length || !(p >= 0 && p < target._length)) {
            hide();
            return;
        }
        const value = target.type === "scatter3d" ? [target.x[p], target.y[p], target.z[p]] : [target.x[p], target.y[p]];
        const at = core.valuePixel(other, value, true);
        if (!at) {
            hide();
            return;
        }
        const element = core.overlay(ring, "element", "scatter-hover linked-hover", {"aria-hidden": "true"});
        if (!element.firstChild) {
            element.appendChild(document.createElement("span"));
        }
        const text = source.hovertext;
        element.firstChild.textContent = text && text[p] !== undefined ? String(text[p]) : "";
        element.dataset.position = String(p);
        element.style.left = at[0] + "px";
        element.style.top = at[1] + "px";
        element.style.display = "block";
    }

    function link(gd, otherId) {
        if (!gd || !gd.on || gd._projectorHoverLinked) {
            return;
        }
        gd._projectorHoverLinked = true;
        attached += 1;
        gd.on("plotly_hover", function (event) {
            const point = event && event.points && event.points[0];
            const other = graphOf(otherId);
            if (point && other && point.curveNumber === 0) {
                show(gd, other, point.pointNumber);
            }
        });
        gd.on("plotly_unhover", hide);
        gd.on("plotly_relayout", function (change) {
            const turned = change && Object.keys(change).some(function (key) {
                return key.indexOf("scene.camera") === 0;
            });
            const other = graphOf(otherId);
            const mine = shows(gd);
            const theirs = shows(other);
            if (!turned || following || !mine || !theirs || mine.type !== "scatter3d" || theirs.type !== "scatter3d") {
                return;
            }
            const now = gd._fullLayout.scene.camera;  // the whole camera, whichever part of it was changed
            const camera = {eye: now.eye, center: now.center, up: now.up, projection: {type: now.projection.type}};
            following = true;  // the other plot's own relayout event is not sent back
            Promise.resolve(window.Plotly.relayout(other, {"scene.camera": camera})).finally(function () {
                following = false;
            });
        });
    }

    /* Both graphs are made by Dash after this script runs; each is linked once it exists. */
    const timer = window.setInterval(function () {
        link(graphOf(IDS.SCATTER), IDS.SCATTER_COMPARE);
        link(graphOf(IDS.SCATTER_COMPARE), IDS.SCATTER);
        if (attached >= 2) {
            window.clearInterval(timer);
        }
    }, 500);
})();
