// The trace types the app draws: the scatter (scatter3d, scattergl) and the metadata charts (bar); plotly.js's
// core brings scatter and the layout images.
const Plotly = require("plotly.js/lib/core");

Plotly.register([require("plotly.js/lib/scatter3d"), require("plotly.js/lib/scattergl"), require("plotly.js/lib/bar")]);

module.exports = Plotly;
