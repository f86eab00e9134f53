/* Inputs passed on only while they are used: the first plot's highlight and neighbours reach the second
 * plot's server callbacks while something is compared, the selection reaches the trails' while Trails is on,
 * so a search or a click costs no extra request otherwise.
 */
(function () {
    "use strict";

    const core = window.projectorCore;

    /* ``value`` while ``used`` (a choice, or a switch's checklist value) is set; else no update. */
    function whileUsed(value, used) {
        const on = Array.isArray(used) ? used.length > 0 : Boolean(used);
        return on ? value : window.dash_clientside.no_update;
    }

    core.clientside("projector", {whileUsed: whileUsed});
})();
