"""The team server: waitress serves it, and a request or file over the size limit is refused with a message."""

from __future__ import annotations

import http.client
import urllib.request

import numpy as np
import pytest

from tests.e2e.pages import open_app, wait_points, wait_text

pytestmark = pytest.mark.e2e

PREFIX = "/team/projector/"


@pytest.fixture(scope="module")
def limited(running_app, clustered_logdir):
    extra = ("--max-request-mb", "1", "--threads", "4")
    running = running_app(clustered_logdir[0], "app-serving.log", prefix=PREFIX, extra_args=extra, warm_up="data")
    return running, running.log_path


def test_waitress_serves_not_the_development_server(limited):
    running, log = limited
    with urllib.request.urlopen(running.url, timeout=10) as response:
        assert response.headers["Server"] == "waitress"
    text = log.read_text()
    assert "waitress: Serving on" in text
    assert "development server" not in text


def test_a_request_over_the_limit_is_refused_before_its_body_is_read(limited):
    running, _ = limited
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    connection.putrequest("POST", PREFIX + "_dash-update-component")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(3 * 2**20 // 2))
    connection.endheaders()  # no body is sent: the answer comes from the headers alone
    response = connection.getresponse()
    assert response.status == 413
    connection.close()


def test_a_file_too_big_says_so_and_the_next_upload_works(page, limited, clustered_logdir, tmp_path, artifacts):
    running, _ = limited
    _, vectors, _ = clustered_logdir
    open_app(page, running.url, len(vectors))
    big = tmp_path / "big.tsv"
    big.write_text("0.123456\t0.654321\n" * 50_000)  # 879 KB: over the 720 KB a 1 MB request can carry
    page.set_input_files("#upload-vectors input[type=file]", str(big))
    text = wait_text(page, "#error-banner", "big.tsv is")
    assert "big.tsv is 879 KB; this server takes files up to 720 KB" in text
    assert "--max-request-mb" in text
    page.screenshot(path=str(artifacts / "e2e-serving-too-big.png"))

    small = tmp_path / "small.tsv"
    uploaded = np.random.default_rng(3).normal(size=(40, 3))
    small.write_text("".join("\t".join(f"{v:.5f}" for v in row) + "\n" for row in uploaded))
    page.set_input_files("#upload-vectors input[type=file]", str(small))
    wait_points(page, 40)
    wait_text(page, "#point-count", "^40 points$")
    assert "big.tsv" not in page.inner_text("#error-banner")


def test_a_callback_request_over_the_limit_is_refused_with_a_banner(page, limited, clustered_logdir):
    running, _ = limited
    open_app(page, running.url, len(clustered_logdir[1]))
    answered = []  # statuses of the callback requests that reached the server
    page.on("response", lambda r: answered.append(r.status) if "update-component" in r.url else None)
    post = """([url, body]) => fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                                        body: body === "blob" ? new Blob(["x".repeat(1536 * 1024)]) : body})
                                 .then((r) => r.status)"""
    url = running.url + "_dash-update-component"

    assert page.evaluate(post, [url, "x" * (2 * 2**20)]) == 413  # the page's guard: never sent
    assert wait_text(page, "#error-banner", "refused the request").count("limit of 1.0 MB per request") == 1
    assert 413 not in answered

    page.click("#banner-close")
    page.wait_for_selector("#error-banner", state="hidden")
    assert page.evaluate(post, [url, "blob"]) == 413  # a body the guard does not read: the server refuses it
    wait_text(page, "#error-banner", "refused the request")
    assert 413 in answered
