"""Component IDs, every one the page has.

The first block is a public contract (tests and users' scripts rely on it, and status texts keep their forms:
"N points", "N matches", "N selected"); the IDs after it are the app's own and free to change.
"""

from __future__ import annotations

# --- Public: a contract. Change none of these. ---------------------------------------------------------
SCATTER = "scatter"
RUN_SELECT = "run-select"
TENSOR_SELECT = "tensor-select"
LABEL_BY = "label-by"
COLOR_BY = "color-by"
SPHERIZE = "spherize"
PROJECTION_TABS = "projection-tabs"
DIMENSION = "dimension"
PCA_X = "pca-x"
PCA_Y = "pca-y"
PCA_Z = "pca-z"
TSNE_PERPLEXITY = "tsne-perplexity"
TSNE_LEARNING_RATE = "tsne-learning-rate"
TSNE_ITERATIONS = "tsne-iterations"
TSNE_RUN = "tsne-run"
TSNE_STOP = "tsne-stop"
TSNE_STATUS = "tsne-status"
UMAP_NEIGHBORS = "umap-neighbors"
UMAP_MIN_DIST = "umap-min-dist"
UMAP_RUN = "umap-run"
CUSTOM_COLUMN = "custom-column"
CUSTOM_LEFT = "custom-left"
CUSTOM_RIGHT = "custom-right"
CUSTOM_UP = "custom-up"
CUSTOM_DOWN = "custom-down"
SEARCH_INPUT = "search-input"
SEARCH_COLUMN = "search-column"
SEARCH_REGEX = "search-regex"
SEARCH_STATUS = "search-status"
NEIGHBORS_K = "neighbors-k"
DISTANCE_METRIC = "distance-metric"
NEIGHBORS_LIST = "neighbors-list"
ISOLATE_SELECTION = "isolate-selection"
CLEAR_SELECTION = "clear-selection"
SHOW_ALL = "show-all"
POINT_COUNT = "point-count"
SELECTION_COUNT = "selection-count"
ERROR_BANNER = "error-banner"
BOOKMARK_SAVE = "bookmark-save"
BOOKMARK_DOWNLOAD = "bookmark-download"
BOOKMARK_UPLOAD = "bookmark-upload"
BOOKMARK_LIST = "bookmark-list"
EXPORT_CSV = "export-csv"
LABELS_TOGGLE = "labels-toggle"  # labels of the clicked point, its neighbours and matches on the plot
MATCH_LIST = "match-list"  # the first search matches, one child per match, clickable
EDIT_BY_COLUMN = "edit-by-column"  # Edit by: a metadata column, or the name of a new one
EDIT_BY_VALUE = "edit-by-value"  # the value the selected points get (Enter applies)
EDIT_BY_APPLY = "edit-by-apply"
TSNE_SUPERVISE_COLUMN = "tsne-supervise-column"  # the metadata column whose labels supervise t-SNE; "" = none
TSNE_SUPERVISE_WEIGHT = "tsne-supervise-weight"  # how much the labels weigh, 0–100 %
TSNE_RESUME = "tsne-resume"  # continue the stopped layout on screen
TSNE_PERTURB = "tsne-perturb"  # nudge the layout and go on optimising it
CATEGORICAL_COLORING = "categorical-coloring"  # colour a numeric column by category, as TensorBoard's switch
NIGHT_MODE = "night-mode"
BOOKMARK_DELETE = "bookmark-delete"  # drop the current bookmark from this browser's list
STEP_SLIDER = "step-slider"  # the training step shown (a dcc.Slider, one mark per step)
STEP_PLAY = "step-play"  # walks the steps, one after the other, and stops at the last
TRAILS_TOGGLE = "trails-toggle"  # each selected point's path over the steps, drawn on the plot
COMPARE_TENSOR = "compare-tensor"  # a second embedding of the same rows, drawn beside the first
SCATTER_COMPARE = "scatter-compare"  # the second dcc.Graph, linked to the first
CLUSTER_RUN = "cluster-run"  # find clusters (a background job) and name them
CLUSTER_LIST = "cluster-list"  # one child per cluster: name, size and share; clicking one selects it
DENSITY_TOGGLE = "density-toggle"  # a shaded density of the points under them (2D)
METADATA_CHARTS = "metadata-charts"  # one small chart per chosen metadata column; brushing selects
# --- End of the public IDs. -------------------------------------------------------------------------

# Internal: free to change.
STEP_ROW = "step-row"  # the slider's row, hidden for a tensor saved at fewer than two steps
STEP_TIMER = "step-timer"  # ticks while the steps play
TRAILS_STATUS = "trails-status"  # "Trails of N points over S steps", and what was left out
TRAILS_STORE = "trails-store"  # each trail's position at each step, for assets/trails.js
TRAILS_SHOWN = "trails-shown"  # whether trails are drawn (assets/trails.js)
LABELS_SHOWN = "labels-shown"  # whether they are shown (assets/labels.js)
IMAGES_TOGGLE = "images-toggle"  # images as points in 2D (when the tensor has a sprite)
IMAGES_ROW = "images-row"  # the switch's row, hidden without a sprite
IMAGES_INFO = "images-info"  # {tensor, view, indices, sprite, limit} for assets/images.js
IMAGES_SHOWN = "images-shown"  # whether images are asked for (assets/images.js)
EDIT_BY_STATUS = "edit-by-status"  # "N points now have column = value"
METADATA_EDITED = "metadata-edited"  # {tensor, column, revision} after an edit: columns and colours refresh
REFRESH_RUNS = "refresh-runs"  # the timer that lists the logdir's runs again (new checkpoints)
DIMENSIONALITY = "dimensionality"
COLOR_LEGEND = "color-legend"
PCA_VARIANCE = "pca-variance"
POINT_DETAILS = "point-details"
CLICK_MODE = "click-mode"
SPHERE_RADIUS = "sphere-radius"
BANNER_CLOSE = "banner-close"
BANNER_DATA = "banner-data"
BANNER_ACTION = "banner-action"
VIEW_STORE = "view-store"
SELECTION_STORE = "selection-store"
NEIGHBORS_STORE = "neighbors-store"
DOWNLOAD_METADATA = "download-metadata"
SEARCH_QUERY = "search-query"  # the search text to run (typing pauses and Enter write it)
STYLE_STORE = "scatter-style"  # base colours of the drawn view (projector.scatter.style_payload)
HIGHLIGHT_STORE = "scatter-highlight"  # highlighted trace positions (projector.scatter.highlight_payload)
LABELS_STORE = "scatter-labels"  # hover labels after a label-by change
FRAME_STORE = "scatter-frame"  # a streamed t-SNE layout
STYLED = "scatter-styled"  # the output of the browser's restyles (they update the plot directly)
WARMUP_STATUS = "warmup-status"  # what the server does at start-up, shown over the plot
WARMUP_POLL = "warmup-poll"
METADATA_DOWNLOAD = "metadata-download"
TSNE_SEED = "tsne-seed"
TSNE_TOKEN = "tsne-token"
UMAP_SEED = "umap-seed"
UMAP_ALIGNED = "umap-aligned"  # lay out every saved step in one aligned fit
UMAP_ALIGNED_ROW = "umap-aligned-row"
UMAP_STOP = "umap-stop"
UMAP_STATUS = "umap-status"
UMAP_TOKEN = "umap-token"
CUSTOM_LEFT_REGEX = "custom-left-regex"
CUSTOM_RIGHT_REGEX = "custom-right-regex"
CUSTOM_UP_REGEX = "custom-up-regex"
CUSTOM_DOWN_REGEX = "custom-down-regex"
CUSTOM_STATUS = "custom-status"
PCA_CONTROLS = "pca-controls"
TSNE_CONTROLS = "tsne-controls"
UMAP_CONTROLS = "umap-controls"
CUSTOM_CONTROLS = "custom-controls"
PROJECTION_STORE = "projection-store"
PROJECTION_DONE = "projection-done"
URL = "url"
SESSION = "session"  # the browser session's id (callbacks.session)
TSNE_PING = "tsne-ping"  # while a job runs, its page says every few seconds that it still waits for it
UMAP_PING = "umap-ping"
PROJECTION_REQUEST = "projection-request"  # what the projections panel asks the plot to draw
TSNE_START = "tsne-start"  # what the next t-SNE job continues from: {token, from, view, perturb}, or None
BOOKMARK_PREV = "bookmark-prev"
BOOKMARK_NEXT = "bookmark-next"
BOOKMARK_FILE = "bookmark-file"
CSV_FILE = "csv-file"
BOOKMARKS_STORE = "bookmarks-store"
BOOKMARK_CURSOR = "bookmark-cursor"
BOOKMARK_TITLE = "bookmark-title"  # pattern-matching type
BOOKMARK_OPEN = "bookmark-open"  # pattern-matching type
BOOKMARK_OPENING = "bookmark-opening"  # the bookmark being opened (projector.view.Opening), sent with its view
UPLOAD_VECTORS = "upload-vectors"
UPLOAD_METADATA = "upload-metadata"
UPLOAD_SHARE = "upload-share"  # "Share with team": list the open upload for every browser session
UPLOAD_SHARING = "upload-sharing"  # who sees the open upload
BOOKMARK_GO = "bookmark-go"  # the bookmark to open (an index); the cursor alone only marks one in the list
THEME_STORE = "theme-store"  # "dark" or "light", kept in the browser's localStorage (assets/night.js reads it)
MATCH_MORE = "match-more"  # "… and N more" below the match list
CHANGED_LIST = "changed-list"  # coloured by what moved since a step: the points that moved most, clickable
COMPARE_MATCH = "compare-match"  # the metadata column the compared rows are matched by (empty: the row number)
COMPARE_PLOT = "compare-plot"  # the second plot's column, hidden while nothing is compared
COMPARE_STATUS = "compare-status"  # what the second plot shows
COMPARE_COLOR = "compare-color"  # "Colour by neighbourhood change" (the second plot)
COMPARE_CHANGED = "compare-changed"  # the points whose neighbourhood changed most, clickable
COMPARE_NEIGHBORS = "compare-neighbors"  # the clicked point's neighbours in the second embedding
COMPARE_HIGHLIGHT = "compare-highlight"  # the highlight store's payload, passed on while something is compared
COMPARE_NEIGHBOURS_OF = "compare-neighbours-of"  # the neighbours store's, likewise (assets/passed_on.js)
TRAILS_SELECTION = "trails-selection"  # the selection store's, passed on while Trails is on
CLUSTER_SOURCE = "cluster-source"  # "vectors" or "layout" (the coordinates on screen)
CLUSTER_MIN_SIZE = "cluster-min-size"  # the smallest cluster, in points (blank: 1 % of the view)
CLUSTER_NAME_BY = "cluster-name-by"  # the metadata column clusters are named from
CLUSTER_STOP = "cluster-stop"
CLUSTER_STATUS = "cluster-status"  # what the last run found, or where a running one is
CLUSTER_STORE = "cluster-store"  # each point's cluster and each cluster's name, for assets/clusters.js
CLUSTER_PARAMS = "cluster-params"  # the last run's settings on this view (bookmarks re-create it)
CLUSTER_AGAIN = "cluster-again"  # a bookmark's cluster run to make again once its view is drawn
CLUSTERS_SHOWN = "clusters-shown"  # whether cluster names are drawn (assets/clusters.js)
CLUSTER_NOISE = "cluster-noise"  # "N points as noise" under the list
DENSITY_STORE = "density-store"  # the density image of the drawn 2D layout, for assets/density.js
DENSITY_DRAWN = "density-drawn"  # the projection store's record, passed on while the density is asked for
DENSITY_SHOWN = "density-shown"  # whether it is laid under the points (assets/density.js)
CHARTS_TOGGLE = "charts-toggle"  # opens the strip of metadata charts under the plot
CHART_COLUMNS = "chart-columns"  # the columns charted
CHARTS_VIEW = "charts-view"  # the view store's, passed on while the charts are open
CHARTS_SELECTION = "charts-selection"  # {selection, neighbors}, passed on while the charts are open
METADATA_CHART = "metadata-chart"  # pattern-matching type of one chart: {"type": METADATA_CHART, "column": name}
GROUP_PICK = "group-pick"  # rows picked by value or range of a column (a cluster, a chart's bars or brush)
LIST_PICK = "list-pick"  # the dataset row of the list entry last clicked (written by assets/lists.js)
CUSTOM_MATCHES = {side: f"custom-{side}-matches" for side in ("left", "right", "up", "down")}  # "N matches"

# The projection tabs' fields under the names projector.projection and bookmarks give them.
FORM_FIELDS = {
    "tsne": {
        "perplexity": TSNE_PERPLEXITY,
        "learning_rate": TSNE_LEARNING_RATE,
        "iterations": TSNE_ITERATIONS,
        "seed": TSNE_SEED,
        "supervise_column": TSNE_SUPERVISE_COLUMN,
        "supervise_weight": TSNE_SUPERVISE_WEIGHT,
    },
    "umap": {"n_neighbors": UMAP_NEIGHBORS, "min_dist": UMAP_MIN_DIST, "seed": UMAP_SEED, "aligned": UMAP_ALIGNED},
    "custom": {
        "column": CUSTOM_COLUMN,
        "left": CUSTOM_LEFT,
        "right": CUSTOM_RIGHT,
        "up": CUSTOM_UP,
        "down": CUSTOM_DOWN,
        "left_regex": CUSTOM_LEFT_REGEX,
        "right_regex": CUSTOM_RIGHT_REGEX,
        "up_regex": CUSTOM_UP_REGEX,
        "down_regex": CUSTOM_DOWN_REGEX,
    },
}
