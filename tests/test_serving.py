from __future__ import annotations

import pytest
from flask import Flask, request

import serving
from projector.uploads import MB


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.5", True), ("::1", True), ("[::1]", True), ("localhost", True)]
    + [("0.0.0.0", False), ("::", False), ("10.1.2.3", False), ("projector.example.org", False)],
)
def test_loopback_hosts(host, loopback):
    assert serving.is_loopback(host) is loopback


def test_debug_is_refused_on_a_host_other_machines_reach():
    serving.check_debug_host("127.0.0.1")
    with pytest.raises(SystemExit, match=r"refused on --host 0\.0\.0\.0.*--host 127\.0\.0\.1"):
        serving.check_debug_host("0.0.0.0")


def test_waitress_refuses_a_body_over_the_limit_and_trusts_only_the_named_proxy():
    options = serving.waitress_options("0.0.0.0", 8080, 4, 10 * MB, None)
    assert options == {"host": "0.0.0.0", "port": 8080, "threads": 4, "max_request_body_size": 10 * MB + 1}
    behind = serving.waitress_options("127.0.0.1", 8080, 4, 10 * MB, "127.0.0.1")
    assert behind["trusted_proxy"] == "127.0.0.1"
    assert behind["trusted_proxy_headers"] == {
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-forwarded-port",
    }
    assert "url_prefix" not in behind  # the app's routes carry the prefix: the proxy passes paths unchanged


def test_flask_refuses_a_request_over_the_limit_with_a_message():
    server = Flask(__name__)
    server.add_url_rule("/echo", "echo", lambda: str(len(request.get_data())), methods=["POST"])
    serving.limit_requests(server, 1 * MB)
    client = server.test_client()
    assert client.post("/echo", data=b"x" * MB).status_code == 200
    refused = client.post("/echo", data=b"x" * (MB + 1))
    assert refused.status_code == 413
    assert "up to 1.0 MB" in refused.get_data(as_text=True)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[tuple, dict]] = []

    def __call__(self, *args, **kwargs) -> None:
        self.calls.append((args, kwargs))


class FakeDash:
    def __init__(self) -> None:
        self.server = Flask(__name__)
        self.run = Recorder()


def test_serve_uses_waitress_unless_debug(monkeypatch):
    import waitress

    fake_waitress = Recorder()
    monkeypatch.setattr(waitress, "serve", fake_waitress)
    app = FakeDash()
    serving.serve(app, host="0.0.0.0", port=9000, threads=3, max_bytes=2 * MB)
    ((args, kwargs),) = fake_waitress.calls
    assert args == (app.server,) and kwargs["threads"] == 3 and kwargs["max_request_body_size"] == 2 * MB + 1
    assert not app.run.calls

    serving.serve(app, host="127.0.0.1", port=9000, debug=True)
    assert app.run.calls == [((), {"host": "127.0.0.1", "port": 9000, "debug": True})]
    assert len(fake_waitress.calls) == 1
    with pytest.raises(SystemExit, match="refused on --host 0.0.0.0"):
        serving.serve(app, host="0.0.0.0", port=9000, debug=True)


def test_the_upload_quotas_are_flags_with_environment_defaults(monkeypatch):
    import app as projector_app

    monkeypatch.delenv("PROJECTOR_UPLOAD_QUOTA_MB", raising=False)
    monkeypatch.delenv("PROJECTOR_UPLOADS_TOTAL_MB", raising=False)
    args = projector_app.parse_args([])
    assert (args.upload_quota_mb, args.uploads_total_mb) == (1024, 8192)
    assert (projector_app.Config(".").upload_quota_mb, projector_app.Config(".").uploads_total_mb) == (1024, 8192)
    monkeypatch.setenv("PROJECTOR_UPLOAD_QUOTA_MB", "0.5")
    args = projector_app.parse_args(["--uploads-total-mb", "20"])
    assert (args.upload_quota_mb, args.uploads_total_mb) == (0.5, 20)
    monkeypatch.setenv("PROJECTOR_UPLOADS_TOTAL_MB", "0")
    with pytest.raises(SystemExit, match="PROJECTOR_UPLOADS_TOTAL_MB=0: give a positive float"):
        projector_app.parse_args([])
