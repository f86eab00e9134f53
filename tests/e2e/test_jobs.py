"""Layout jobs on a shared server: a bounded number run, the others queue and show their place; a job whose
page is gone stops; stopping the server stops its jobs; a job that dies or a cache that fails says so."""

from __future__ import annotations

import shutil
import time

import psutil
import pytest

from tests.e2e.pages import open_tsne, start_long_run, wait_text
from tests.logdirs import blobs, write_tf2_logdir

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("jobs") / "logdir"
    write_tf2_logdir(root / "large", blobs(8000, 2), metadata_rows=[f"q{i}" for i in range(8000)])
    write_tf2_logdir(root / "small", blobs(600, 3), metadata_rows=[f"p{i}" for i in range(600)])
    return root


def job_processes(server: psutil.Process) -> list[psutil.Process]:
    return [p for p in server.children(recursive=True) if p.is_running()]


def test_one_job_at_a_time_the_next_queued_and_a_closed_page_frees_its_slot(
    browser, running_app, logdir, artifacts, tmp_path
):
    extra = ("--max-jobs", "1", "--job-abandon-after", "10")
    running = running_app(logdir, "app-jobs.log", cache_dir=tmp_path, extra_args=extra, warm_up="data", private=True)
    try:
        first = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        open_tsne(first, running.url, "large", 8000)
        start_long_run(first)
        second = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        open_tsne(second, running.url, "large", 8000)
        second.fill("#tsne-iterations", "4000")  # other settings: not served from the first run's result
        second.press("#tsne-iterations", "Enter")
        second.click("#tsne-run")
        wait_text(second, "#tsne-status", "^queued: 1 layout ahead of this one$", timeout=120_000)
        second.screenshot(path=str(artifacts / "e2e-job-queued.png"))
        first.context.close()  # the first page is gone: its job stops, the queued one starts
        started = time.monotonic()
        wait_text(second, "#tsne-status", r"finding neighbours|iteration \d+", timeout=90_000)
        assert 5 < time.monotonic() - started < 45  # about --job-abandon-after, not at once
        assert "stopped" not in second.inner_text("#tsne-status")
    finally:
        running.stop()


def test_stopping_the_server_stops_its_jobs(browser, running_app, logdir, tmp_path):
    running = running_app(logdir, "app-jobs-stop.log", cache_dir=tmp_path, warm_up="data", private=True)
    try:
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        open_tsne(page, running.url, "large", 8000)
        start_long_run(page)
        server = psutil.Process(running.process.pid)
        jobs = job_processes(server)
        assert jobs, "a running t-SNE job is a child process of the server"
    finally:
        running.stop()  # SIGTERM, as a service manager stops it
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in jobs):
        time.sleep(0.2)
    survivors = [p.pid for p in jobs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not survivors, f"job processes outlived the server: {survivors}"


def test_a_killed_job_says_so_within_seconds(browser, running_app, logdir, artifacts, tmp_path):
    running = running_app(logdir, "app-jobs-killed.log", cache_dir=tmp_path, warm_up="data", private=True)
    try:
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        open_tsne(page, running.url, "large", 8000)
        start_long_run(page)
        for job in job_processes(psutil.Process(running.process.pid)):
            job.kill()  # as the out-of-memory killer does
        killed = time.monotonic()
        status = wait_text(page, "#tsne-status", "^failed: ", timeout=15_000)
        assert time.monotonic() - killed < 10
        assert "killed" in status and "killed" in page.inner_text("#error-banner")
        assert page.is_enabled("#tsne-run")
        page.screenshot(path=str(artifacts / "e2e-job-killed.png"))
    finally:
        running.stop()


def test_a_cache_that_cannot_be_written_still_shows_the_layout(browser, running_app, logdir, artifacts, tmp_path):
    running = running_app(logdir, "app-jobs-cache.log", cache_dir=tmp_path, warm_up="data", private=True)
    try:
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        open_tsne(page, running.url, "small", 600)
        shutil.rmtree(tmp_path / "results")
        (tmp_path / "results").write_text("")  # the layouts' directory can no longer be written
        page.fill("#tsne-iterations", "300")
        page.press("#tsne-iterations", "Enter")
        page.click("#tsne-run")
        wait_text(page, "#tsne-status", "done", timeout=120_000)
        wait_text(page, "#error-banner", "could not be saved in the server's cache")
        page.wait_for_function(
            "() => { const x = document.querySelector('#scatter .js-plotly-plot')._fullLayout.xaxis; "
            "return !!x && x.title.text === 't-SNE 1'; }"
        )
        page.screenshot(path=str(artifacts / "e2e-job-cache-failed.png"))
    finally:
        running.stop()
