/* The search text to run, for the search-query store: at once on Enter, else after a pause in typing, so
 * a word typed letter by letter is searched once; unchanged text runs nothing.
 */
(function () {
    "use strict";

    const core = window.projectorCore;
    const SEARCH_PAUSE_MS = 300;
    let searchTurn = 0;  // the latest keystroke's turn: an earlier pause that ends after it runs nothing

    function searchQuery(value, nSubmit, current) {
        const noUpdate = window.dash_clientside.no_update;
        const triggered = (window.dash_clientside.callback_context.triggered || []).map(function (t) { return t.prop_id; });
        const text = value || "";
        const turn = ++searchTurn;
        if (triggered.some(function (id) { return id.endsWith(".n_submit"); })) {
            return text === (current || "") ? noUpdate : text;
        }
        return new Promise(function (resolve) {
            setTimeout(function () {
                resolve(turn === searchTurn && text !== (current || "") ? text : noUpdate);
            }, SEARCH_PAUSE_MS);
        });
    }

    core.clientside("projector", {searchQuery: searchQuery});
})();
