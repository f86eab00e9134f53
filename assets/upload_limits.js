/* The server's size limits, said in the error banner instead of failing silently.
 *
 * The page's root carries `data-max-request-bytes` (the server refuses bigger requests with 413) and
 * `data-max-upload-bytes` (the largest file whose upload fits in one). A file picked or dropped on an upload
 * widget that is too big is dropped by the widget itself (its `max_size`), so the banner says why; a
 * callback request over the limit is not sent at all, and a 413 from the server is reported the same way.
 */
(function () {
    "use strict";

    const core = window.projectorCore;
    const KB = 1024;
    const MB = 1024 * 1024;
    const ADVICE = "Put the file in the logdir instead, or ask whoever runs the server to raise --max-request-mb.";
    let fileRefusal = null;  // what was said about the last file picked, if it was too big

    function limit(name) {
        const root = document.querySelector("[data-" + name + "]");
        const value = root ? Number(root.getAttribute("data-" + name)) : NaN;
        return Number.isFinite(value) && value > 0 ? value : null;
    }

    /* projector.uploads.format_mb */
    function formatSize(size) {
        if (size < MB) {
            return Math.round(size / KB).toLocaleString("en-US") + " KB";
        }
        const mb = size / MB;
        return mb < 10 ? mb.toFixed(1) + " MB" : Math.round(mb).toLocaleString("en-US") + " MB";
    }

    function showBanner(message) {
        const clientside = window.dash_clientside;
        if (!clientside || !clientside.set_props) {
            return;
        }
        const item = {type: "Li", namespace: "dash_html_components", props: {children: message, className: "banner-error"}};
        clientside.set_props(core.IDS.BANNER_ACTION, {
            children: message ? [{type: "Ul", namespace: "dash_html_components", props: {children: [item]}}] : [],
        });
    }

    function checkFiles(files) {
        const max = limit("max-upload-bytes");
        const big = max === null ? [] : Array.from(files || []).filter(function (file) { return file.size > max; });
        if (big.length) {
            const file = big[0];
            fileRefusal = file.name + " is " + formatSize(file.size) + "; this server takes files up to " +
                formatSize(max) + ". " + ADVICE;
            showBanner(fileRefusal);
        } else if (fileRefusal) {
            fileRefusal = null;
            showBanner(null);
        }
    }

    function requestRefused() {
        const max = limit("max-request-bytes");
        showBanner(fileRefusal || "The server refused the request: it is bigger than its limit of " +
            (max === null ? "its --max-request-mb" : formatSize(max)) + " per request. " + ADVICE);
        fileRefusal = null;
    }

    document.addEventListener("change", function (event) {
        if (event.target instanceof HTMLInputElement && event.target.type === "file") {
            checkFiles(event.target.files);
        }
    }, true);

    document.addEventListener("drop", function (event) {
        let el = event.target instanceof Element ? event.target : null;
        while (el && !el.querySelector(":scope > input[type=file]")) {
            el = el.parentElement;
        }
        if (el && event.dataTransfer) {
            checkFiles(event.dataTransfer.files);
        }
    }, true);

    const send = window.fetch;
    window.fetch = function (resource, init) {
        const url = typeof resource === "string" ? resource : (resource && resource.url) || "";
        if (url.indexOf("_dash-update-component") < 0) {
            return send.apply(this, arguments);
        }
        const max = limit("max-request-bytes");
        const body = init && init.body;
        if (max !== null && typeof body === "string" && body.length > max) {
            requestRefused();
            return Promise.resolve(new Response("", {status: 413, statusText: "Payload Too Large"}));
        }
        return send.apply(this, arguments).then(function (response) {
            if (response.status === 413) {
                requestRefused();
            }
            return response;
        });
    };
})();
