/* Images as points (2D). While the points in view are few enough to tell apart (the server's limit, 5,000),
 * each is drawn as its sprite thumbnail: after every zoom, pan or redraw the points in view are found here,
 * their rows and pixel positions posted to the server, and the picture it draws of their thumbnails laid
 * over the axes as one Plotly layout image, which follows zoom and pan with the points. With more points in
 * view, a note over the plot says so. In 3D the clicked point's image and its nearest neighbours' show in a
 * strip along the plot's lower edge instead. Tensors without a sprite and the switch off show none.
 *
 * The image is set with Plotly.update (which emits no `plotly_relayout`: the graph's relayoutData keeps the
 * user's zoom). A redraw that drops it brings it back; requests are made only when what is in view changed.
 */
(function () {
    "use strict";

    const SIZE = 24;  // px of a thumbnail's longer side (projector.thumbnails.SIZES)
    const PAUSE_MS = 120;  // after the last zoom or pan step
    const STRIP_NEIGHBOURS = 15;  // 3D: neighbours whose images show beside the clicked one's
    const core = window.projectorCore;
    const IDS = core.IDS;
    const state = {info: null, enabled: true, key: "", asked: "", timer: 0, note: null, strip: null, turn: 0};
    const arrays = new WeakMap();  // coordinate array -> serial number: a new layout is a new array
    let serial = 0;

    function prefix() {
        try {
            const config = JSON.parse(document.getElementById("_dash-config").textContent);
            return config.requests_pathname_prefix || "/";
        } catch (error) {
            return "/";
        }
    }

    function arrayId(values) {
        if (!arrays.has(values)) {
            serial += 1;
            arrays.set(values, serial);
        }
        return arrays.get(values);
    }

    function noteElement() {
        return core.overlay(state, "note", "images-note", {role: "status"});
    }

    function note(gd, text) {
        if (!text) {
            if (state.note) {
                state.note.style.display = "none";
            }
            return;
        }
        const element = noteElement();
        const rect = gd.getBoundingClientRect();
        element.textContent = text;
        element.style.left = rect.left + 12 + "px";
        element.style.top = rect.bottom - 34 + "px";
        element.style.display = "block";
    }

    /* The plot positions the highlight lights up (the selection, the clicked point and its neighbours), as a
     * Set with the highlight's token, or null when nothing is highlighted. */
    function litPositions() {
        const highlight = core.wanted.highlight;
        if (!highlight || !highlight.token) {
            return null;
        }
        const h = core.highlightArrays(highlight);
        const positions = new Set(h.positions || []);
        (h.near || []).forEach(function (p) { positions.add(p); });
        if (highlight.anchor !== null && highlight.anchor !== undefined) {
            positions.add(highlight.anchor);
        }
        return {token: highlight.token, view: highlight.view, positions: positions};
    }

    function hasImages(gd) {
        const images = gd.layout && gd.layout.images;
        return Array.isArray(images) && images.some(function (image) { return image && image.name === "points"; });
    }

    function remove(gd) {
        state.key = "";
        if (hasImages(gd)) {
            core.setImage(gd, "points", null);
        }
    }

    /* The trace positions in view and their pixels in the axes (x right, y down), up to `limit`. */
    function inView(gd, full, limit) {
        const xa = gd._fullLayout.xaxis;
        const ya = gd._fullLayout.yaxis;
        const width = xa._length;
        const height = ya._length;
        const positions = [];
        const pixels = [];
        let count = 0;
        for (let i = 0; i < full._length; i++) {
            const x = xa.l2p(full.x[i]);
            const y = ya.l2p(full.y[i]);
            if (x >= 0 && x <= width && y >= 0 && y <= height) {
                count += 1;
                if (count <= limit) {
                    positions.push(i);
                    pixels.push([Math.round(x * 10) / 10, Math.round(y * 10) / 10]);
                }
            }
        }
        return {positions: positions, pixels: pixels, count: count, xa: xa, ya: ya};
    }

    function dataUrl(blob) {
        return new Promise(function (resolve, reject) {
            const reader = new FileReader();
            reader.onload = function () { resolve(reader.result); };
            reader.onerror = function () { reject(reader.error); };
            reader.readAsDataURL(blob);
        });
    }

    /* 3D: the clicked point's image and its nearest neighbours' in a strip along the plot's lower edge,
     * taken from the inspector (its details and neighbours list carry them). */
    function strip(gd, on) {
        const anchor = on && document.querySelector("#" + IDS.POINT_DETAILS + " img.thumb.large");
        const element = state.strip;
        if (!anchor) {
            if (element) {
                element.style.display = "none";
            }
            return;
        }
        const items = [[anchor.src, "clicked"]].concat(
            Array.from(document.querySelectorAll("#" + IDS.NEIGHBORS_LIST + " > li")).slice(0, STRIP_NEIGHBOURS).map(
                function (entry) {
                    const img = entry.querySelector("img");
                    return img ? [img.src, entry.title || ""] : null;
                }
            ).filter(Boolean)
        );
        core.overlay(state, "strip", "images-strip", {
            "aria-label": "Images of the clicked point and its nearest neighbours",
        });
        const key = items.map(function (item) { return item[0].length + ":" + item[0].slice(-24); }).join("|");
        if (state.strip.dataset.key !== key) {
            state.strip.replaceChildren.apply(state.strip, items.map(function (item, i) {
                const img = document.createElement("img");
                img.src = item[0];
                img.title = i === 0 ? "The clicked point" : item[1];
                img.className = i === 0 ? "anchor" : "";
                return img;
            }));
            state.strip.dataset.key = key;
        }
        const rect = gd.getBoundingClientRect();
        state.strip.style.left = rect.left + 12 + "px";
        state.strip.style.top = rect.bottom - 62 + "px";
        state.strip.style.maxWidth = rect.width - 24 + "px";
        state.strip.style.display = "flex";
    }

    function update() {
        state.timer = 0;
        const gd = core.graph();
        watch(gd);
        const full = gd && gd._fullData && gd._fullData[0];
        if (!full || !gd._fullLayout || !window.Plotly) {
            return;
        }
        const info = state.info;
        const drawn = (gd.data[0] && gd.data[0].meta) || {};
        strip(gd, state.enabled && info && info.sprite && full.type === "scatter3d" && drawn.view === info.view);
        const on = state.enabled && info && info.sprite && full.type !== "scatter3d" && drawn.view === info.view;
        if (!on) {
            note(gd, "");
            remove(gd);
            return;
        }
        const found = inView(gd, full, info.limit);
        const xa = found.xa;
        const ya = found.ya;
        if (found.count > info.limit) {
            note(gd, found.count.toLocaleString("en-US") + " points in view: images show for "
                + info.limit.toLocaleString("en-US") + " or fewer. Zoom in to see them.");
            remove(gd);
            return;
        }
        note(gd, "");
        const highlight = litPositions();
        const lit = highlight && highlight.view === info.view ? highlight : null;
        const key = [info.view, arrayId(full.x), arrayId(full.y), xa.range.join(","), ya.range.join(","),
            xa._length, ya._length, lit ? lit.token : ""].join("|");
        if (key === state.key && hasImages(gd)) {
            return;
        }
        if (key === state.asked) {
            return;  // on its way
        }
        state.asked = key;
        const indices = info.indices;
        const rows = found.positions.map(function (p) { return indices ? indices[p] : p; });
        const turn = ++state.turn;
        const body = {
            tensor: info.tensor, rows: rows, pixels: found.pixels, size: SIZE,
            width: Math.round(xa._length), height: Math.round(ya._length),
            // With a highlight, the other points' images are dimmed, as their markers are.
            lit: lit ? found.positions.map(function (p) { return lit.positions.has(p); }) : null,
        };
        const range = {x: xa.range.slice(), y: ya.range.slice()};
        fetch(prefix() + "_projector/image-layer", {
            method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
            credentials: "same-origin",
        }).then(function (response) {
            if (!response.ok) {
                return response.text().then(function (text) { throw new Error(text); });
            }
            return response.blob();
        }).then(dataUrl).then(function (url) {
            if (turn !== state.turn) {
                return;  // the view moved on meanwhile
            }
            state.asked = "";
            state.key = key;
            core.setImage(gd, "points", {
                source: url, xref: "x", yref: "y", layer: "above",
                x: range.x[0], y: range.y[1], sizex: range.x[1] - range.x[0], sizey: range.y[1] - range.y[0],
                xanchor: "left", yanchor: "top", sizing: "stretch",
            });
        }).catch(function (error) {
            if (turn === state.turn) {
                state.asked = "";
                note(gd, "Images could not be drawn: " + error.message);
            }
        });
    }

    function schedule() {
        if (state.timer) {
            window.clearTimeout(state.timer);
        }
        state.timer = window.setTimeout(update, PAUSE_MS);
    }

    function watch(gd) {
        if (gd && gd.on && !gd._projectorImages) {
            gd.on("plotly_afterplot", schedule);
            gd.on("plotly_relayout", schedule);
            gd._projectorImages = true;
        }
    }

    /* The clientside callback of the view's image info and the switch. */
    function configure(info, value) {
        state.info = info || null;
        state.enabled = Array.isArray(value) ? value.length > 0 : Boolean(value);
        watch(core.graph());
        schedule();
        return state.enabled;
    }

    // A highlight written into the drawn 3D points redraws no figure (no `plotly_afterplot`): the strip
    // follows the restyle itself.
    core.onPaint("restyled", schedule);

    window.projectorImages = {update: update};  // for tests
    core.clientside("images", {configure: configure});
})();
