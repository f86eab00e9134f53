/* Night mode: a dark page (the `night` class on <html>, styled by night.css) and a dark plot.
 *
 * The plot is themed in place, with one Plotly.update of its layout colours (backgrounds, font, axes and
 * grid lines; for 3-D the scene's axes) and of its colourscale's night colours: the figure is never sent
 * again. Plotly.update rather than Plotly.relayout because it emits no `plotly_relayout`: the graph's
 * relayoutData keeps the user's camera, which a saved bookmark records.
 *
 * A figure the server draws later arrives in the light colours. After every draw (`plotly_afterplot`) the
 * plot is compared with the theme and updated only when they differ, which is when the theme has changed or
 * a new figure has arrived: the restyles of assets/restyle.js stay one update each. Their colourscale is
 * given in the current theme's colours (the core's colourscale theme, set here), so a recolouring needs no
 * second update either.
 */
(function () {
    "use strict";

    const core = window.projectorCore;
    const STORE = core.IDS.THEME_STORE;  // a dcc.Store in localStorage: JSON under its ID
    const LIGHT_DIMMED = "#d8d8d8";  // projector.colors.DIMMED_COLOR: points outside a selection
    const NIGHT_DIMMED = "#46484e";  // as faint against the night paper as the light one is against white
    const NIGHT_PAPER = "#1e1f22";
    const MIN_CONTRAST = 3;  // every other point colour stands out at least this much from the night paper
    const NIGHT_LAYOUT = {
        paper_bgcolor: NIGHT_PAPER,
        plot_bgcolor: NIGHT_PAPER,
        "font.color": "#d4d6db",
        "modebar.bgcolor": "rgba(0, 0, 0, 0)",
        "modebar.color": "#8e9197",
        "modebar.activecolor": "#e8eaed",
    };
    const NIGHT_AXIS = {color: "#c4c6cc", gridcolor: "#34363c", zerolinecolor: "#5b5e65", linecolor: "#5b5e65"};

    const state = {dark: false};
    const lightLayouts = new WeakMap();  // graph div -> its figure's own values of the keys night mode sets
    const nightScales = new Map();  // JSON of a light colourscale -> its night version
    const lightScales = new Map();  // JSON of a night colourscale -> the light one it came from

    function storedDark() {
        try {
            return JSON.parse(window.localStorage.getItem(STORE)) === "dark";
        } catch (error) {
            return false;
        }
    }

    // The page is dark from its first paint when this browser chose night mode (before Dash renders).
    state.dark = storedDark();
    document.documentElement.classList.toggle("night", state.dark);

    /* Colours: "#rrggbb", "#rgb" or "rgb(r, g, b)", compared by WCAG contrast. */
    function rgb(color) {
        const text = String(color).trim().toLowerCase();
        let m = /^#([0-9a-f]{6})$/.exec(text);
        if (m) {
            const n = parseInt(m[1], 16);
            return [n >> 16, (n >> 8) & 255, n & 255];
        }
        m = /^#([0-9a-f]{3})$/.exec(text);
        if (m) {
            return m[1].split("").map(function (c) { return parseInt(c + c, 16); });
        }
        m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/.exec(text);
        return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
    }

    function luminance(c) {
        const linear = c.map(function (v) {
            const s = v / 255;
            return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
        });
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
    }

    function contrast(a, b) {
        const la = luminance(rgb(a));
        const lb = luminance(rgb(b));
        return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
    }

    /* A point colour for the night paper: the dimmed grey turns dark grey; a colour too dark to see there
     * (the low end of Viridis, say) is mixed with white just enough, keeping its hue. */
    function nightColor(color) {
        const c = rgb(color);
        if (!c) {
            return color;
        }
        if (String(color).trim().toLowerCase() === LIGHT_DIMMED) {
            return NIGHT_DIMMED;
        }
        const paper = luminance(rgb(NIGHT_PAPER));
        for (let t = 0; t <= 1.0001; t += 0.02) {
            const mixed = c.map(function (v) { return Math.round(v + (255 - v) * t); });
            if ((luminance(mixed) + 0.05) / (paper + 0.05) >= MIN_CONTRAST) {
                return t === 0 ? color : "rgb(" + mixed.join(", ") + ")";
            }
        }
        return "#ffffff";
    }

    function remember(map, key, value) {
        if (map.size >= 16) {
            map.delete(map.keys().next().value);
        }
        map.set(key, value);
    }

    function firstColor(scale) {
        return Array.isArray(scale) && scale.length && Array.isArray(scale[0]) ? String(scale[0][1]).toLowerCase() : "";
    }

    /* `scale` in the current theme's colours (the same array when it already is). Every colourscale of the
     * scatter starts with the dimmed colour (projector.colors: code 0), which tells which theme it is in. */
    function scaleFor(scale) {
        const first = firstColor(scale);
        if (state.dark && first === LIGHT_DIMMED) {
            const key = JSON.stringify(scale);
            if (!nightScales.has(key)) {
                const night = scale.map(function (entry) { return [entry[0], nightColor(entry[1])]; });
                remember(nightScales, key, night);
                remember(lightScales, JSON.stringify(night), scale);
            }
            return nightScales.get(key);
        }
        if (!state.dark && first === NIGHT_DIMMED) {
            return lightScales.get(JSON.stringify(scale)) || scale;
        }
        return scale;
    }

    function nightLayout(layout) {
        const update = Object.assign({}, NIGHT_LAYOUT);
        const axes = layout.scene ? ["scene.xaxis", "scene.yaxis", "scene.zaxis"] : ["xaxis", "yaxis"];
        axes.forEach(function (axis) {
            Object.keys(NIGHT_AXIS).forEach(function (key) { update[axis + "." + key] = NIGHT_AXIS[key]; });
        });
        if (layout.scene) {
            update["scene.bgcolor"] = NIGHT_PAPER;
        }
        return update;
    }

    function valueAt(object, path) {
        return path.split(".").reduce(function (o, key) { return o === null || o === undefined ? undefined : o[key]; }, object);
    }

    /* Bring the drawn plot to the current theme: one Plotly.update, or nothing when it already is. */
    function themePlot(gd) {
        if (!gd || !gd.layout || !gd.data || !gd._fullLayout || !window.Plotly) {
            return false;
        }
        const isDark = gd.layout.paper_bgcolor === NIGHT_PAPER;
        let layout = null;
        if (state.dark && !isDark) {
            layout = nightLayout(gd.layout);
            const light = {};
            Object.keys(layout).forEach(function (key) {
                const value = valueAt(gd.layout, key);
                light[key] = value === undefined ? null : value;  // null: Plotly's default again
            });
            lightLayouts.set(gd, light);
        } else if (!state.dark && isDark) {
            layout = lightLayouts.get(gd);
            if (!layout) {
                layout = nightLayout(gd.layout);
                Object.keys(layout).forEach(function (key) { layout[key] = null; });
            }
        }
        const trace = gd.data[0];
        const scale = trace && trace.marker && trace.marker.colorscale;
        const themed = scale ? scaleFor(scale) : scale;
        const data = themed !== scale ? {"marker.colorscale": [themed]} : null;
        if (!layout && !data) {
            return false;
        }
        window.Plotly.update(gd, data || {}, layout || {}, data ? [0] : undefined);
        return true;
    }

    const watched = new WeakSet();

    /* Both plots: the scatter and, while something is compared, the second one beside it (hidden, it is
     * left alone: it is themed when it is drawn). */
    function graphs(hiddenToo) {
        const second = document.querySelector("#" + core.IDS.SCATTER_COMPARE + " .js-plotly-plot");
        const shown = second && (hiddenToo || second.offsetParent !== null);
        return [core.graph(), shown ? second : null].filter(Boolean);
    }

    /* Theme every figure once it is drawn: the graph div appears when Dash first renders the plot. */
    function watch() {
        graphs(true).forEach(function (gd) {
            if (!gd.on || watched.has(gd)) {
                return;
            }
            watched.add(gd);
            gd.on("plotly_afterplot", function () {
                Promise.resolve().then(function () {
                    if (gd.offsetParent !== null) {
                        themePlot(gd);
                    }
                });
            });
            window.requestAnimationFrame(function () { themePlot(gd); });
        });
    }

    function apply(dark) {
        state.dark = Boolean(dark);
        document.documentElement.classList.toggle("night", state.dark);
        watch();
        graphs().forEach(themePlot);
    }

    /* The switch and the stored choice, kept in step (callbacks/theme.py): a click on the switch stores the
     * choice; a stored choice (page load, another tab) sets the switch. */
    function sync(value, stored) {
        const noUpdate = window.dash_clientside.no_update;
        const context = window.dash_clientside.callback_context || {};
        const triggered = (context.triggered || []).map(function (t) { return t.prop_id; });
        const clicked = triggered.length === 1 && triggered[0] === core.IDS.NIGHT_MODE + ".value";
        const dark = clicked ? (value || []).indexOf("on") >= 0 : stored === "dark";
        apply(dark);
        if (clicked) {
            return [noUpdate, dark ? "dark" : "light"];
        }
        return [dark ? ["on"] : [], noUpdate];
    }

    core.setColorscaleTheme(scaleFor);  // the scatter's restyles get their colourscale in the theme of the moment
    new MutationObserver(watch).observe(document.documentElement, {childList: true, subtree: true});

    window.projectorNight = {  // for tests
        themePlot: themePlot,
        nightColor: nightColor,
        contrast: contrast,
        LIGHT_DIMMED: LIGHT_DIMMED,
        NIGHT_DIMMED: NIGHT_DIMMED,
        NIGHT_PAPER: NIGHT_PAPER,
        MIN_CONTRAST: MIN_CONTRAST,
    };
    core.clientside("night", {sync: sync});
})();
