"""Embedding Projector for Dash: ``python app.py --logdir LOG_DIR [--host H] [--port P] [--threads N]``."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlparse

from dash import Dash, dcc, html
from flask import has_request_context, request

import serving
from callbacks import (
    bookmarks_panel,
    charts_panel,
    clusters_panel,
    common,
    compare_panel,
    data_panel,
    density_layer,
    edit_panel,
    ids,
    images,
    inputs,
    inspector_panel,
    jobs,
    plot,
    projections_panel,
    session,
    steps_panel,
    theme,
    url_state,
)
from callbacks.common import banner_layout
from projector import forksafe
from projector.cache import default_cache_dir
from projector.jobs import ABANDONED_S, MIN_ABANDONED_S, JobAdmission, JobBoard, JobLogs, JobSlots
from projector.shelf import BookmarkShelf
from projector.uploads import DEFAULT_MAX_REQUEST_MB, MB, max_upload_bytes
from projector.warmup import STEPS, WarmUp
from projector.workspace import Workspace

log = logging.getLogger("projector")
MAX_WAITING_PER_SLOT = 4  # queued layout jobs allowed per slot; beyond that a Run is refused with a message
HERE = Path(__file__).resolve().parent


@dataclass
class Config:
    """How the app is built: the logdir, the URL prefix it is served under, where results are cached."""

    logdir: str | Path
    url_prefix: str = "/"
    cache_dir: str | Path | None = None
    celery_broker: str | None = None  # e.g. redis://host:6379/0: run jobs on Celery workers
    warm_up: str = "all"  # start-up work in the background: "all", "data" (no UMAP compilation) or "none"
    max_request_mb: float = serving.DEFAULT_MAX_REQUEST_MB  # bigger requests (uploads) are refused with 413
    max_jobs: int = 0  # t-SNE/UMAP runs at once on this machine (0: one per core); more wait in a queue
    job_time_limit_s: int = 7200  # a Celery task running longer is stopped
    job_abandon_s: float = ABANDONED_S  # a job whose page has not said it is open for this long stops
    upload_quota_mb: float = serving.DEFAULT_UPLOAD_QUOTA_MB  # what one browser session may keep uploaded
    uploads_total_mb: float = serving.DEFAULT_UPLOADS_TOTAL_MB  # what every upload together may take

    def job_slots(self) -> int:
        return self.max_jobs or os.cpu_count() or 1

    def cache_root(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else default_cache_dir()

    def max_request_bytes(self) -> int:
        return serving.max_request_bytes(self.max_request_mb)


def make_private_dir(path: Path) -> None:
    """Create ``path`` readable by this user only (0700); warn when an existing one is open to others."""
    try:
        path.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        if not path.is_dir():
            raise SystemExit(f"Cache directory {path} is not a directory; give another --cache-dir.") from None
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning(
                "Cache directory %s is open to other users (mode %o): they can read uploads and layouts kept "
                "there. Run chmod 700 %s unless it is shared on purpose.",
                path,
                mode,
                path,
            )
    else:
        path.chmod(0o700)  # whatever the umask


def demo_logdir() -> Path:
    """The built-in demo logdir, written on first use into a private cache directory."""
    from projector.demo import ensure_demo_logdir

    make_private_dir(default_cache_dir())
    return ensure_demo_logdir()


def build_layout(workspace: Workspace, warmup: WarmUp, max_request: int = DEFAULT_MAX_REQUEST_MB * MB) -> html.Div:
    """The page: with the first view drawn once the server has warmed up, else saying what it is doing."""
    first = plot.first_view(workspace, warmup) if not asks_for_another_view() else None
    first = first or {"figure": None, "projection": None, "points": "0 points"}
    max_upload = max_upload_bytes(max_request)
    return html.Div(
        [
            html.Header(
                [
                    html.H1("Embedding Projector"),
                    html.Div(
                        [
                            html.Span(id=ids.POINT_COUNT, children=first["points"]),
                            html.Span(id=ids.SELECTION_COUNT, children="0 selected"),
                        ],
                        className="status-line",
                    ),
                    theme.layout(),
                ]
            ),
            banner_layout(),
            html.Main(
                [
                    html.Aside(
                        [
                            data_panel.layout(max_upload),
                            steps_panel.layout(),
                            compare_panel.layout(),
                            projections_panel.layout(),
                        ],
                        className="left",
                    ),
                    html.Div(
                        [
                            html.Div(
                                [plot.layout(warmup.status, first["figure"]), compare_panel.plot_layout()],
                                className="plot-row",
                            ),
                            charts_panel.layout(),
                        ],
                        className="plots",
                    ),
                    html.Aside(
                        [
                            inspector_panel.layout(),
                            clusters_panel.layout(),
                            edit_panel.layout(),
                            bookmarks_panel.layout(max_upload),
                        ],
                        className="right",
                    ),
                ]
            ),
            url_state.layout(),
            dcc.Store(id=ids.VIEW_STORE),
            dcc.Store(id=ids.SELECTION_STORE),
            dcc.Store(id=ids.NEIGHBORS_STORE),
            dcc.Store(id=ids.METADATA_EDITED),
            dcc.Store(id=ids.PROJECTION_STORE, data=first["projection"]),
            dcc.Store(id=ids.PROJECTION_DONE),
            jobs.layout(),
            session.layout(),
        ],
        className="app",
        **{"data-max-request-bytes": str(max_request), "data-max-upload-bytes": str(max_upload)},  # upload_limits.js
    )


def asks_for_another_view() -> bool:
    """Whether the page being laid out was opened by a link naming its run, tensor or projection."""
    if not has_request_context() or not request.referrer:
        return False
    return bool(set(parse_qs(urlparse(request.referrer).query)) & {"run", "tensor", "projection"})


def create_app(config: Config) -> Dash:
    """Build the Dash app for one logdir."""
    prefix = "/" + config.url_prefix.strip("/") + "/" if config.url_prefix.strip("/") else "/"
    app = Dash(
        __name__,
        title="Embedding Projector",
        assets_folder=str(HERE / "assets"),
        requests_pathname_prefix=prefix,
        routes_pathname_prefix=prefix,
        serve_locally=True,
        suppress_callback_exceptions=True,
        update_title=None,
        on_error=common.refuse,  # what no callback turned into a banner: a value the page never sends
    )
    serving.limit_requests(app.server, config.max_request_bytes())
    root = config.cache_root()
    make_private_dir(root)
    os.environ.setdefault("NUMBA_CACHE_DIR", str(root / "numba"))  # UMAP's compiled code outlives a restart
    workspace = Workspace(config.logdir, cache_root=root)
    workspace.uploads.set_quotas(config.upload_quota_mb, config.uploads_total_mb)
    if config.celery_broker:  # finished layouts also go through Redis: workers may be on other machines
        import redis

        workspace.results.remote = redis.Redis.from_url(config.celery_broker, socket_timeout=10)
    manager = job_manager(config)
    warmup = WarmUp(workspace, config.warm_up).start()
    app.layout = functools.partial(build_layout, workspace, warmup, config.max_request_bytes())
    data_panel.register(app, workspace)
    steps_panel.register(app, workspace)
    compare_panel.register(app, workspace)
    projections_panel.register(app, workspace)
    plot.register(app, workspace, warmup)
    inspector_panel.register(app, workspace)
    edit_panel.register(app, workspace)
    clusters_panel.register(app, workspace, manager)
    density_layer.register(app, workspace)
    charts_panel.register(app, workspace)
    images.register(app, workspace)
    slots = JobSlots(root / "slots", config.job_slots(), max_waiting=MAX_WAITING_PER_SLOT * config.job_slots())
    board = JobBoard(root / "flags", config.celery_broker, config.job_abandon_s)
    jobs.register(app, workspace, manager, board, slots, JobLogs(root / "job-logs"))
    session.install(app.server, prefix, root)
    inputs.install(app.server, prefix)
    url_state.register(app)
    theme.register(app)
    bookmarks_panel.register(app, workspace, BookmarkShelf(root / "bookmarks"))
    app.celery_app = getattr(manager, "handle", None) if config.celery_broker else None
    app.warmup = warmup
    return app


def job_manager(config: Config):
    """Where background jobs run: local processes (diskcache) or Celery workers (Redis)."""
    if not config.celery_broker:
        admission = JobAdmission(config.job_slots() * (1 + MAX_WAITING_PER_SLOT))  # what runs and what waits
        return jobs.TrackedDiskcacheManager(forksafe.Cache(str(config.cache_root() / "jobs")), admission=admission)
    try:
        from celery import Celery
    except ImportError:
        raise SystemExit("--celery-broker needs Celery: pip install 'celery[redis]'") from None
    from dash import CeleryManager

    celery_app = Celery("projector", broker=config.celery_broker, backend=config.celery_broker)
    celery_app.conf.task_time_limit = config.job_time_limit_s
    celery_app.conf.task_soft_time_limit = max(config.job_time_limit_s - 30, 1)
    return CeleryManager(celery_app)


def positive(kind: type, least: float = 0) -> Callable[[str], float]:
    """An argparse type: a number of ``kind`` above zero (and at least ``least``)."""

    def parse(text: str):
        value = kind(text)
        if value <= 0 or value < least:
            raise ValueError(text)
        return value

    parse.__name__ = f"positive {kind.__name__}" + (f" of at least {least:g}" if least else "")
    return parse


def whole(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


whole.__name__ = "whole number"


@dataclass(frozen=True)
class Option:
    """One setting: a command-line flag whose default comes from a ``PROJECTOR_*`` environment variable."""

    flag: str
    help: str
    default: Any = None
    type: Callable[[str], Any] | None = None
    choices: tuple[str, ...] | None = None
    environment: bool = True  # False: the command line only (where the server listens)

    @property
    def env(self) -> str | None:
        return "PROJECTOR_" + self.flag.removeprefix("--").upper().replace("-", "_") if self.environment else None

    def from_env(self) -> Any:
        """The default, or the environment variable's value when set and not empty (a bad one stops the
        program, naming it)."""
        text = os.environ.get(self.env) if self.env else None
        if not text:
            return self.default
        try:
            value = self.type(text) if self.type else text
        except ValueError:
            value = None
        if value is None or (self.choices and value not in self.choices):
            expected = (
                f"one of {', '.join(self.choices)}" if self.choices else f"a {getattr(self.type, '__name__', '')}"
            )
            raise SystemExit(f"{self.env}={text}: give {expected} (as for {self.flag})")
        return value


OPTIONS = [
    Option("--logdir", "TensorBoard logdir (default: a built-in demo of scikit-learn's digits)"),
    # Not from the environment: PROJECTOR_PORT is what Kubernetes and Docker links set for a service so named.
    Option("--host", "interface to listen on (default 127.0.0.1)", "127.0.0.1", environment=False),
    Option("--port", "port to listen on (default 8050)", 8050, int, environment=False),
    Option("--url-prefix", "path prefix when served behind a reverse proxy, e.g. /ml/projector/", "/"),
    Option("--cache-dir", "where finished layouts and job state are kept (default ~/.cache/embedding-projector)"),
    Option("--celery-broker", "run t-SNE/UMAP jobs on Celery workers via this Redis URL instead of local processes"),
    Option(
        "--warm-up",
        "start-up work done in the background before anyone asks: read the first tensor and compute its PCA "
        "(data), and compile UMAP (all, the default)",
        "all",
        choices=STEPS,
    ),
    Option(
        "--threads",
        f"requests served at once (default {serving.DEFAULT_THREADS})",
        serving.DEFAULT_THREADS,
        positive(int),
    ),
    Option(
        "--max-request-mb",
        "largest request, and so upload, the server takes; bigger ones are refused "
        f"(default {serving.DEFAULT_MAX_REQUEST_MB}; a file's upload is 4/3 of its size)",
        float(serving.DEFAULT_MAX_REQUEST_MB),
        positive(float),
    ),
    Option(
        "--upload-quota-mb",
        "uploaded tensors and metadata one browser session may keep, in MB stored; more are refused "
        f"(default {serving.DEFAULT_UPLOAD_QUOTA_MB:,})",
        float(serving.DEFAULT_UPLOAD_QUOTA_MB),
        positive(float),
    ),
    Option(
        "--uploads-total-mb",
        f"uploads every session together may keep, in MB stored (default {serving.DEFAULT_UPLOADS_TOTAL_MB:,})",
        float(serving.DEFAULT_UPLOADS_TOTAL_MB),
        positive(float),
    ),
    Option(
        "--max-jobs",
        "t-SNE/UMAP runs at once (default, or 0: one per core); more wait in a queue that shows their place",
        0,
        whole,
    ),
    Option(
        "--job-abandon-after",
        f"seconds a layout job runs on after its page is closed (default {ABANDONED_S:g}; at least "
        f"{MIN_ABANDONED_S:g}, as an open page says so every few seconds)",
        ABANDONED_S,
        positive(float, MIN_ABANDONED_S),
    ),
    Option(
        "--trusted-proxy",
        "address of the reverse proxy whose X-Forwarded-For/Host/Proto/Port headers are believed ('*': any)",
    ),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; each flag's default comes from its ``PROJECTOR_*`` environment variable, if set."""
    parser = argparse.ArgumentParser(description="Explore the embeddings of a TensorBoard logdir.")
    for option in OPTIONS:
        parser.add_argument(
            option.flag,
            type=option.type,
            choices=option.choices,
            default=option.from_env(),
            help=f"{option.help} [{option.env}]" if option.env else option.help,
        )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="Dash debug mode (reloader, dev tools) on Werkzeug's development server; loopback --host only",
    )
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> Config:
    """The app's configuration from parsed settings (the logdir checked, or the demo's when none is given)."""
    if args.logdir:
        logdir = Path(args.logdir)
        if not logdir.is_dir():
            raise SystemExit(f"--logdir (or PROJECTOR_LOGDIR) {args.logdir}: no such directory")
    else:
        logdir = demo_logdir()
        log.info("No --logdir given: showing the demo logdir %s", logdir)
    return Config(
        logdir=logdir,
        url_prefix=args.url_prefix,
        cache_dir=args.cache_dir,
        celery_broker=args.celery_broker,
        warm_up=args.warm_up,
        max_request_mb=args.max_request_mb,
        max_jobs=args.max_jobs,
        job_abandon_s=args.job_abandon_after,
        upload_quota_mb=args.upload_quota_mb,
        uploads_total_mb=args.uploads_total_mb,
    )


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    if args.debug:
        serving.check_debug_host(args.host)  # before any start-up work
    config = config_from_args(args)
    app = create_app(config)
    log.info("Serving %s on http://%s:%d%s", config.logdir, args.host, args.port, app.config.requests_pathname_prefix)
    serving.serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        max_bytes=config.max_request_bytes(),
        trusted_proxy=args.trusted_proxy,
        debug=args.debug,
    )


def config_from_env() -> Config:
    """The app's configuration from PROJECTOR_* variables alone (WSGI servers and Celery workers)."""
    return config_from_args(parse_args([]))


def __getattr__(name: str):
    """``app:server`` for WSGI servers and ``app:celery_app`` for Celery workers, built from PROJECTOR_*."""
    if name == "server":
        return create_app(config_from_env()).server
    if name == "celery_app":
        config = config_from_env()
        if not os.environ.get("PROJECTOR_WARM_UP"):  # imports and data warmed before the pool forks; UMAP's
            config = replace(config, warm_up="data")  # compilation, a minute, would hold the pool back instead
        if not config.celery_broker:
            raise RuntimeError("Set PROJECTOR_CELERY_BROKER (e.g. redis://localhost:6379/0) to run a Celery worker.")
        app = create_app(config)
        app.warmup.wait()  # before the pool forks, not during it: a library imported meanwhile (h5py) would
        return app.celery_app  # find its after-fork handler run without its before-fork one
    raise AttributeError(name)


if __name__ == "__main__":
    main()
