/* The second plot (Compare with): the first plot's highlight and neighbours reach its server callbacks only
 * while something is compared, so a search or a click costs no extra request otherwise.
 */
(function () {
    "use strict";

    const core = window.projectorCore;

    function whileCompared(value, choice) {
        return choice ? value : window.dash_clientside.no_update;
    }

    core.clientside("projector", {whileCompared: whileCompared});
})();
