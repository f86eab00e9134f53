/* Lists you can walk. A click on an entry of the neighbours, matches or most-changed list (or Enter on it)
 * selects its point: the entry's dataset row goes to the list-pick store, which the server's select callback
 * takes like a click on the plot. Hovering an entry rings its point on the plot and names it. The ring is drawn
 * over the plot, not restyled into it: plotly.js rebuilds a whole trace for any restyle, even of one point,
 * while the ring costs one projection of one point per frame, and it follows the camera, zoom and pan while
 * the entry stays hovered.
 */
(function () {
    "use strict";

    const core = window.projectorCore;
    const IDS = core.IDS;
    const LIST_ENTRY = [IDS.NEIGHBORS_LIST, IDS.MATCH_LIST, IDS.CHANGED_LIST, IDS.COMPARE_CHANGED, IDS.COMPARE_NEIGHBORS].map(function (id) {
        return "#" + id + " [data-row]";
    }).join(", ");
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
        picks += 1;  // a count, so picking the same entry again is a change the server sees
        window.dash_clientside.set_props(IDS.LIST_PICK, {data: {row: row, pick: picks}});
    }

    /* The list entries of the clicked point are marked, so a walk through the matches shows where it is. */
    function markAnchor() {
        const highlight = core.wanted.highlight;
        const anchor = highlight && highlight.token ? highlight.anchor : null;
        document.querySelectorAll(LIST_ENTRY).forEach(function (entry) {
            const on = anchor !== null && anchor !== undefined && Number(entry.dataset.position) === anchor;
            if (entry.classList.contains("current") !== on) {
                entry.classList.toggle("current", on);
            }
        });
    }

    function ringElement() {
        const element = core.overlay(ring, "element", "scatter-hover", {"aria-hidden": "true"});
        if (!element.firstChild) {
            element.appendChild(document.createElement("span"));  // the hovered entry's name
        }
        return element;
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
        const highlight = core.wanted.highlight;
        const at = core.pointPixel(core.graph(), Number(entry.dataset.position), highlight && highlight.view);
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

    // The mark of the clicked point goes with the texts, before the restyle, and again after it.
    core.onPaint("texts", markAnchor);
    core.onPaint("restyled", markAnchor);
})();
