/* Trails: the path of the clicked point and the first selected ones over a tensor's saved training steps,
 * drawn over the plot while `trails-toggle` is on (the server sends each point's position at every step,
 * callbacks/steps_panel.py).
 *
 * Like the labels, the trails are a layer over the plot, not a Plotly trace: adding a trace would make
 * plotly.js rebuild the points' trace too. The layer projects each step's position with the plot's own axes
 * or camera every frame, so the trails follow zoom, pan and a turning camera, and writes to the page only
 * when a trail moves. Positions outside the axes' ranges (an earlier step's) are drawn, clipped to the plot;
 * a step without a layout is a gap. Each trail ends in an arrow at the last step, and a ring marks the step
 * on screen.
 */
(function () {
    "use strict";

    const SVG = "http://www.w3.org/2000/svg";
    const core = window.projectorCore;
    const ARROW = 8;  // px from an arrowhead's tip to its base
    const state = {data: null, coords: null, frame: 0, key: "", layer: null, svg: null, drawn: 0, version: 0};

    function layer() {
        const element = core.overlay(state, "layer", "scatter-trails", {"aria-hidden": "true"});
        if (!state.svg) {
            state.svg = document.createElementNS(SVG, "svg");
            element.appendChild(state.svg);
        }
        return element;
    }

    /* An arrowhead at `to`, pointing away from `from` (the trail's last two drawn steps); "" when they meet. */
    function arrow(from, to) {
        const dx = to[0] - from[0];
        const dy = to[1] - from[1];
        const length = Math.hypot(dx, dy);
        if (length < 1) {
            return "";
        }
        const ux = dx / length;
        const uy = dy / length;
        const back = [to[0] - ARROW * ux, to[1] - ARROW * uy];
        const side = [-uy * ARROW / 2, ux * ARROW / 2];
        return "M" + to[0] + " " + to[1] + " L" + (back[0] + side[0]).toFixed(1) + " " + (back[1] + side[1]).toFixed(1) +
            " L" + (back[0] - side[0]).toFixed(1) + " " + (back[1] - side[1]).toFixed(1) + " Z";
    }

    function clear() {
        if (state.layer && state.layer.style.display !== "none") {
            state.layer.style.display = "none";
        }
        state.key = "";
        state.drawn = 0;
    }

    /* Each trail this frame, in pixels of the plot area: its path ("M x y L …", a gap starts a new "M"), the
     * dots of its steps and the ring of the step shown. */
    function shapes(gd, area) {
        const data = state.data;
        const d = data.dimension;
        const steps = data.steps.length;
        const out = [];
        for (let i = 0; i < data.count; i++) {
            let path = "";
            let open = false;
            const dots = [];
            let ring = null;
            let previous = null;
            let last = null;
            for (let j = 0; j < steps; j++) {
                const at = (i * steps + j) * d;
                const value = [];
                for (let k = 0; k < d; k++) {
                    value.push(state.coords[at + k]);
                }
                const pixel = value[0] === value[0] ? core.valuePixel(gd, value, false) : null;
                if (!pixel) {
                    open = false;
                    continue;
                }
                const x = Math.round(pixel[0] - area[0]);
                const y = Math.round(pixel[1] - area[1]);
                path += (open ? " L" : " M") + x + " " + y;
                previous = open ? last : null;
                last = [x, y];
                open = true;
                dots.push(x + "," + y);
                if (j === data.shown) {
                    ring = [x, y];
                }
            }
            const head = previous && last ? arrow(previous, last) : "";
            out.push({path: path.trim(), head: head, dots: dots, ring: ring, anchor: i === 0 && data.anchor});
        }
        return out;
    }

    function element(parent, index, tag) {
        let child = parent.children[index];
        if (!child || child.tagName.toLowerCase() !== tag) {
            child = document.createElementNS(SVG, tag);
            parent.insertBefore(child, parent.children[index] || null);
        }
        return child;
    }

    function draw(area, trails) {
        const root = layer();
        root.style.left = area[0] + "px";
        root.style.top = area[1] + "px";
        root.style.width = area[2] + "px";
        root.style.height = area[3] + "px";
        const svg = state.svg;
        svg.setAttribute("width", area[2]);
        svg.setAttribute("height", area[3]);
        let n = 0;
        trails.forEach(function (trail) {
            const kind = trail.anchor ? " anchor" : "";
            const line = element(svg, n++, "path");
            line.setAttribute("class", "trail" + kind);
            line.setAttribute("d", trail.path || "M0 0");
            const head = element(svg, n++, "path");
            head.setAttribute("class", "trail-head" + kind);
            head.setAttribute("d", trail.head || "M0 0");
            const dots = element(svg, n++, "path");
            dots.setAttribute("class", "trail-steps" + kind);
            dots.setAttribute("d", trail.dots.map(function (dot) { return "M" + dot.replace(",", " ") + " h0"; }).join(" "));
            const ring = element(svg, n++, "circle");
            ring.setAttribute("class", "trail-shown" + kind);
            ring.setAttribute("r", trail.ring ? "5" : "0");
            ring.setAttribute("cx", trail.ring ? trail.ring[0] : 0);
            ring.setAttribute("cy", trail.ring ? trail.ring[1] : 0);
        });
        while (svg.children.length > n) {
            svg.lastChild.remove();
        }
        root.style.display = trails.length ? "block" : "none";
        state.drawn = trails.filter(function (trail) { return trail.path; }).length;
    }

    function tick() {
        state.frame = 0;
        const gd = core.graph();
        const data = state.data;
        if (!data) {
            clear();
            return;  // asleep until there are trails to draw
        }
        const area = gd && gd.data && gd.data.length && core.drawn(gd).view === data.view ? core.plotArea(gd) : null;
        if (!area) {
            clear();  // the plot is not drawn yet, or shows another view: look again next frame
            state.frame = window.requestAnimationFrame(tick);
            return;
        }
        const trails = shapes(gd, area);
        const key = state.version + "|" + area.join(",") + "|" + trails.map(function (t) { return t.path; }).join("|");
        if (key !== state.key) {
            draw(area, trails);
            state.key = key;
        }
        state.frame = window.requestAnimationFrame(tick);
    }

    function now() {
        if (state.frame) {
            window.cancelAnimationFrame(state.frame);
            state.frame = 0;
        }
        tick();
    }

    /* The trails store's clientside callback: the trails to draw, or null for none. */
    function show(data) {
        state.data = data && data.count ? data : null;
        state.coords = state.data ? core.decode(state.data.coords) : null;
        state.version += 1;  // new trails, or the same ones with another step shown: drawn anew
        now();
        return Boolean(state.data);
    }

    core.onPaint("restyled", now);  // a new figure (another step, another projection) is drawn
    window.projectorTrails = {now: now, drawn: function () { return state.drawn; }};  // for tests
    core.clientside("trails", {show: show});
})();
