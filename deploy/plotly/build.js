// plotly.js's own bundle settings (its esbuild-config.js) on entry.js: the same shaders, CSS and aliases.
const path = require("path");
const esbuild = require("esbuild");
const { environmentPlugin } = require("esbuild-plugin-environment");
const { glsl } = require("esbuild-plugin-glsl");
const InlineCSSPlugin = require("esbuild-plugin-inline-css");
const { version } = require("plotly.js/package.json");

esbuild
    .build({
        entryPoints: [path.join(__dirname, "entry.js")],
        outfile: path.join(__dirname, "..", "..", "assets", "vendor", "plotly.min.js"),
        format: "iife",
        globalName: "Plotly",
        bundle: true,
        minify: true,
        target: "es2016",
        banner: { js: `/* plotly.js v${version} (MIT licence), the app's trace types only: deploy/plotly, make plotly */` },
        plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
        alias: { regl: "@plotly/regl", stream: "stream-browserify" },
        define: { global: "window", "define.amd": "false" },
        logLevel: "info",
    })
    .catch(() => process.exit(1));
