/* The metadata charts' events as a group pick: a brush along a histogram selects the points in its range, a
 * click (or a box) on bars the points with those values. The pick goes to the group-pick store, which the
 * server's select callback answers like a search; the charts then overlay the new selection.
 */
(function () {
    "use strict";

    const core = window.projectorCore;
    const MAX_VALUES = 20;  // bars of a chart (projector.charts.MAX_BARS)
    let picks = 0;

    function triggered() {
        const context = window.dash_clientside.callback_context;
        const first = (context && context.triggered && context.triggered[0]) || {};
        const id = first.prop_id || "";
        const dot = id.lastIndexOf(".");
        try {
            return {id: JSON.parse(id.slice(0, dot)), prop: id.slice(dot + 1), value: first.value};
        } catch (error) {
            return null;
        }
    }

    /* What a chart's event picked: {range: [lo, hi]} on a histogram, {values: [...]} on bars; null for none. */
    function picked(event) {
        if (!event) {
            return null;
        }
        if (event.range && Array.isArray(event.range.x)) {
            return {range: [Number(event.range.x[0]), Number(event.range.x[1])]};
        }
        const points = Array.isArray(event.points) ? event.points : [];
        if (!points.length) {
            return null;
        }
        const spans = points.map(function (p) { return p.customdata; }).filter(Array.isArray);
        if (spans.length === points.length) {  // histogram bars, each carrying its bin's edges
            const lows = spans.map(function (s) { return Number(s[0]); });
            const highs = spans.map(function (s) { return Number(s[1]); });
            return {range: [Math.min.apply(null, lows), Math.max.apply(null, highs)]};
        }
        const values = [];
        points.forEach(function (p) {
            const value = String(p.customdata !== undefined ? p.customdata : p.x);
            if (values.indexOf(value) < 0 && values.length < MAX_VALUES) {
                values.push(value);
            }
        });
        return {values: values};
    }

    function pick() {
        const skip = window.dash_clientside.no_update;
        const event = triggered();
        const what = event && event.id && typeof event.id.column === "string" ? picked(event.value) : null;
        if (!what) {
            return skip;
        }
        picks += 1;  // a count, so the same pick again is a change the server sees
        return Object.assign({column: event.id.column, pick: picks}, what);
    }

    /* The selection and its neighbours while the charts are open; no update otherwise. */
    function selected(selection, neighbors, open) {
        const on = Array.isArray(open) ? open.length > 0 : Boolean(open);
        return on ? {selection: selection, neighbors: neighbors} : window.dash_clientside.no_update;
    }

    core.clientside("charts", {pick: pick, selected: selected});
})();
