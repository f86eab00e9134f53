"""Behind a real nginx running deploy/nginx.conf as documented: pages, search, a 50 MB upload and t-SNE work."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.launch import ROOT, free_port
from tests.e2e.pages import FINGERPRINT, GRAPH, open_app, wait_points, wait_text

NGINX_CONF = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
PREFIX = "/ml/projector/"
MB = 2**20

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (`make system-packages` installs it)"),
]


def server_block(listen_port: int, upstream_port: int) -> str:
    """deploy/nginx.conf with only its listen port and its upstream port changed."""
    text = NGINX_CONF.read_text()
    text, listens = re.subn(r"^(\s*listen\s+)\d+;", rf"\g<1>{listen_port};", text, flags=re.MULTILINE)
    text, passes = re.subn(r"(proxy_pass\s+http://127\.0\.0\.1:)\d+;", rf"\g<1>{upstream_port};", text)
    assert (listens, passes) == (1, 1), "deploy/nginx.conf: expected one `listen PORT;` and one proxy_pass to 127.0.0.1"
    return text


class RunningNginx:
    """nginx in the foreground on a free port, proxying to ``upstream_port`` with deploy/nginx.conf."""

    def __init__(self, upstream_port: int, workdir: Path, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{PREFIX}"
        log_path.write_text("")  # nginx appends to its error log
        workdir.mkdir(parents=True, exist_ok=True)
        temp_paths = "\n".join(
            f"    {kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        conf = workdir / "nginx.conf"
        conf.write_text(
            ("user root;\n" if os.geteuid() == 0 else "")  # root's workers would otherwise run as nobody
            + f"worker_processes 1;\npid {workdir / 'nginx.pid'};\nerror_log {log_path} info;\n"
            + "events { worker_connections 256; }\n"
            + f"http {{\n    access_log {workdir / 'access.log'};\n{temp_paths}\n\n"
            + server_block(self.port, upstream_port)
            + "}\n"
        )
        self.process = subprocess.Popen(
            [NGINX, "-p", str(workdir), "-c", str(conf), "-e", str(log_path), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited early:\n{log_path.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not listen within 20 s; see {log_path}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def proxied(running_app, clustered_logdir, artifacts, tmp_path_factory):
    app = running_app(
        clustered_logdir[0],
        "app-nginx.log",
        cache_dir=tmp_path_factory.mktemp("cache"),
        prefix=PREFIX,
        extra_args=("--trusted-proxy", "127.0.0.1"),
        warm_up="data",
    )
    nginx = RunningNginx(app.port, tmp_path_factory.mktemp("nginx"), artifacts / "nginx-error.log")
    yield nginx
    nginx.stop()


def test_the_app_gets_the_path_unchanged_and_every_forwarded_header(tmp_path, artifacts):
    seen: list[tuple[str, dict[str, str]]] = []

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    nginx = RunningNginx(upstream.server_address[1], tmp_path / "nginx", artifacts / "nginx-echo-error.log")
    try:
        with urllib.request.urlopen(nginx.url + "_dash-layout?x=1", timeout=10) as response:
            assert response.read() == b"ok"
        connection = http.client.HTTPConnection("127.0.0.1", nginx.port, timeout=10)
        connection.request("GET", PREFIX.rstrip("/"))
        redirect = connection.getresponse()
        assert redirect.status == 301 and redirect.headers["Location"].endswith(PREFIX)
        connection.close()
    finally:
        nginx.stop()
        upstream.shutdown()
    assert len(seen) == 1
    path, headers = seen[0]
    assert path == PREFIX + "_dash-layout?x=1"
    assert headers["host"] == "127.0.0.1"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == "127.0.0.1"
    assert headers["x-forwarded-port"] == str(nginx.port)


def test_page_search_and_tsne_through_nginx(page, proxied, clustered_logdir, artifacts):
    _, vectors, rows = clustered_logdir
    with urllib.request.urlopen(proxied.url, timeout=10) as response:
        assert response.headers["Server"].startswith("nginx")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_app(page, proxied.url, len(vectors))

    page.fill("#search-input", "cat")
    page.press("#search-input", "Enter")
    expected = sum("cat" in r[0] for r in rows)
    assert wait_text(page, "#search-status", r"\d+ matches") == f"{expected} matches"

    page.click('#projection-tabs .tab:has-text("t-SNE")')
    page.get_by_text("2D", exact=True).click()
    page.fill("#tsne-iterations", "300")
    page.press("#tsne-iterations", "Enter")
    page.click("#tsne-run")
    wait_text(page, "#tsne-status", "done", timeout=120_000)
    wait_points(page, len(vectors))
    assert page.evaluate(FINGERPRINT, GRAPH).startswith(f"scattergl:{len(vectors)}:")
    page.screenshot(path=str(artifacts / "e2e-nginx-tsne.png"))

    outside = [u for u in requested if not u.startswith(proxied.url) and not u.startswith("data:")]
    assert not outside, outside
    assert any("_dash-update-component" in u for u in requested)


def test_a_50_mb_upload_through_nginx(page, proxied, clustered_logdir, tmp_path):
    _, vectors, _ = clustered_logdir
    open_app(page, proxied.url, len(vectors))
    rows, dims = 41_000, 128  # 128 cells of 10 bytes ("0.1234567" and a tab or newline) a row: 50 MB
    values = np.random.default_rng(5).random((rows, dims))
    big = tmp_path / "big_vectors.tsv"
    np.savetxt(big, values, fmt="%.7f", delimiter="\t")
    assert big.stat().st_size >= 50 * MB
    page.set_input_files("#upload-vectors input[type=file]", str(big))
    wait_text(page, "#point-count", f"^{rows:,} points$", timeout=120_000)
    wait_points(page, rows)
    assert "(uploaded)" in page.inner_text("#run-select")
    assert "big_vectors" not in page.inner_text("#error-banner")
