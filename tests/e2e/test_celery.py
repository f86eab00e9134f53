"""When a team outgrows one box: t-SNE runs on a Celery worker through Redis, streamed the same way. The
worker has a cache directory of its own, as on another machine: stop requests and finished layouts go
through Redis."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import numpy as np
import psutil
import pytest

from tests.e2e.launch import ROOT, free_port
from tests.e2e.pages import wait_points, wait_text
from tests.logdirs import write_tf2_logdir

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def celery_app_url(running_app, tmp_path_factory, artifacts):
    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server is needed (make test installs Debian's redis-server)"
    logdir = tmp_path_factory.mktemp("celery") / "logdir"
    vectors = np.random.default_rng(4).normal(size=(600, 12)).astype(np.float32)
    write_tf2_logdir(logdir, vectors, metadata_rows=[f"c{i}" for i in range(600)])
    cache = tmp_path_factory.mktemp("celery-cache")
    port = free_port()
    redis = subprocess.Popen(
        [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    broker = f"redis://127.0.0.1:{port}/0"
    env = {
        **os.environ,
        "PROJECTOR_LOGDIR": str(logdir),
        "PROJECTOR_CACHE_DIR": str(tmp_path_factory.mktemp("worker-cache")),  # not the web server's
        "PROJECTOR_CELERY_BROKER": broker,
        "NUMBA_CACHE_DIR": str(artifacts / "numba-cache"),  # UMAP's code, compiled once per suite as for the apps
    }
    worker_log = open(artifacts / "celery-worker.log", "w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "app:celery_app", "worker", "--concurrency", "1", "--loglevel", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    running = running_app(  # the web server runs no job itself: its warm-up need not compile UMAP
        logdir,
        "app-celery.log",
        cache_dir=cache,
        extra_args=("--celery-broker", broker),
        warm_up="data",
        private=True,  # stopped below, before the worker and Redis it talks to
    )
    deadline = time.monotonic() + 90
    while "ready" not in (artifacts / "celery-worker.log").read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    yield running.url, worker
    running.stop()
    for process in (worker, redis):
        process.terminate()
        process.wait(timeout=20)
    worker_log.close()


def test_tsne_streams_from_a_celery_worker(page, celery_app_url):
    page.goto(celery_app_url[0])
    wait_points(page, 600)
    page.click('#projection-tabs .tab:has-text("t-SNE")')
    page.get_by_text("2D", exact=True).click()
    page.fill("#tsne-iterations", "300")
    page.press("#tsne-iterations", "Enter")
    page.click("#tsne-run")
    seen = set()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = page.inner_text("#tsne-status")
        if "iteration" in status:
            seen.add(status)
        if "done" in status:
            break
        time.sleep(0.2)
    assert any("done" in s for s in seen), seen
    assert len(seen) >= 2, seen  # intermediate iterations were streamed before the end
    wait_text(page, "#point-count", "^600 points$")
    wait_points(page, 600)
    assert page.evaluate(
        "() => document.querySelector('#scatter .js-plotly-plot')._fullLayout.xaxis.title.text"
    ).startswith("t-SNE")  # the layout reached the web server through Redis


def test_umap_runs_on_a_celery_worker(page, celery_app_url):
    page.goto(celery_app_url[0])
    wait_points(page, 600)
    page.click('#projection-tabs .tab:has-text("UMAP")')
    page.get_by_text("2D", exact=True).click()
    page.click("#umap-run")
    status = wait_text(page, "#umap-status", "done|failed|lost", timeout=240_000)  # compiles on its first run
    assert status.startswith("done"), (status, page.inner_text("#error-banner"))
    page.wait_for_function(  # the layout reached the web server through Redis
        "() => document.querySelector('#scatter .js-plotly-plot')._fullLayout.xaxis.title.text === 'UMAP 1'"
    )
    wait_points(page, 600)


def test_stop_reaches_the_worker_and_a_lost_worker_is_reported(page, celery_app_url):
    url, worker = celery_app_url
    page.goto(url)
    wait_points(page, 600)
    page.click('#projection-tabs .tab:has-text("t-SNE")')
    page.fill("#tsne-iterations", "10000")
    page.press("#tsne-iterations", "Enter")
    page.click("#tsne-run")
    wait_text(page, "#tsne-status", r"iteration \d+", timeout=120_000)
    page.click("#tsne-stop")
    wait_text(page, "#tsne-status", "stopped", timeout=30_000)
    page.fill("#tsne-seed", "7")
    page.press("#tsne-seed", "Enter")
    page.click("#tsne-run")
    wait_text(page, "#tsne-status", r"^iteration \d+ of 10000$", timeout=120_000)  # the new job runs
    for process in [*psutil.Process(worker.pid).children(recursive=True), psutil.Process(worker.pid)]:
        process.kill()  # the machine running the job is gone, with every process on it
    lost = time.monotonic()
    wait_text(page, "#tsne-status", "^lost: ", timeout=20_000)
    assert time.monotonic() - lost < 10
    assert "is gone" in page.inner_text("#error-banner")
