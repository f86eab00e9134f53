from __future__ import annotations

import logging
import os
import stat

import pytest

import app as projector_app
from projector.uploads import MB, max_upload_bytes


@pytest.fixture
def logdir(tmp_path):
    root = tmp_path / "logdir"
    root.mkdir()
    (root / "t.tsv").write_text("".join(f"{i}\t{i % 3}\t{i % 5}\n" for i in range(20)))
    (root / "projector_config.pbtxt").write_text('embeddings { tensor_name: "t" tensor_path: "t.tsv" }\n')
    return root


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_threads_and_request_limit_from_flags_environment_or_defaults(monkeypatch):
    monkeypatch.delenv("PROJECTOR_THREADS", raising=False)
    monkeypatch.delenv("PROJECTOR_MAX_REQUEST_MB", raising=False)
    args = projector_app.parse_args([])
    assert (args.threads, args.max_request_mb, args.debug) == (8, 100.0, False)
    monkeypatch.setenv("PROJECTOR_THREADS", "3")
    monkeypatch.setenv("PROJECTOR_MAX_REQUEST_MB", "2.5")
    args = projector_app.parse_args([])
    assert (args.threads, args.max_request_mb) == (3, 2.5)
    assert projector_app.parse_args(["--threads", "16"]).threads == 16


@pytest.mark.parametrize("argv", [["--threads", "0"], ["--threads", "many"], ["--max-request-mb", "-1"]])
def test_bad_numbers_are_refused(argv, capsys):
    with pytest.raises(SystemExit):
        projector_app.parse_args(argv)
    assert argv[0] in capsys.readouterr().err


def test_debug_is_refused_on_all_interfaces_before_any_work(tmp_path):
    missing = tmp_path / "no-such-logdir"  # the debug check comes first
    with pytest.raises(SystemExit, match="refused on --host 0.0.0.0"):
        projector_app.main(["--debug", "--host", "0.0.0.0", "--logdir", str(missing)])


def test_main_serves_with_waitress_unless_debug(monkeypatch, logdir, tmp_path):
    import waitress
    from dash import Dash

    served, ran = [], []
    monkeypatch.setattr(waitress, "serve", lambda app, **options: served.append((app, options)))
    monkeypatch.setattr(Dash, "run", lambda self, **options: ran.append(options))
    common = ["--logdir", str(logdir), "--cache-dir", str(tmp_path / "cache"), "--warm-up", "none"]
    projector_app.main([*common, "--host", "0.0.0.0", "--port", "8123", "--threads", "4", "--max-request-mb", "2"])
    ((server, options),) = served
    assert options == {"host": "0.0.0.0", "port": 8123, "threads": 4, "max_request_body_size": 2 * MB + 1}
    assert server.config["MAX_CONTENT_LENGTH"] == 2 * MB
    assert not ran

    projector_app.main([*common, "--debug"])
    assert ran == [{"host": "127.0.0.1", "port": 8050, "debug": True}]
    assert len(served) == 1


def test_the_cache_directory_is_created_private(logdir, tmp_path):
    cache = tmp_path / "a" / "cache"
    umask = os.umask(0o002)  # a umask that leaves new directories open to the group and others
    try:
        projector_app.create_app(projector_app.Config(logdir, cache_dir=cache, warm_up="none"))
    finally:
        os.umask(umask)
    assert mode(cache) == 0o700


def test_a_cache_directory_open_to_others_is_warned_about(logdir, tmp_path, caplog):
    cache = tmp_path / "shared"
    cache.mkdir()
    cache.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="projector"):
        projector_app.create_app(projector_app.Config(logdir, cache_dir=cache, warm_up="none"))
    assert "open to other users (mode 755)" in caplog.text
    assert mode(cache) == 0o755  # shared on purpose, perhaps: left as it is


def test_a_request_over_the_limit_is_refused_and_the_page_knows_the_limits(logdir, tmp_path):
    dash_app = projector_app.create_app(
        projector_app.Config(logdir, cache_dir=tmp_path / "cache", warm_up="none", max_request_mb=1)
    )
    client = dash_app.server.test_client()
    refused = client.post("/_dash-update-component", data=b"{" + b" " * MB + b"}", content_type="application/json")
    assert refused.status_code == 413
    assert "up to 1.0 MB" in refused.get_data(as_text=True)

    page = dash_app.layout()
    assert page.to_plotly_json()["props"]["data-max-request-bytes"] == str(MB)
    uploads = [c for c in walk(page) if type(c).__name__ == "Upload" and c.id in ("upload-vectors", "upload-metadata")]
    assert len(uploads) == 2
    assert {u.max_size for u in uploads} == {max_upload_bytes(MB)}


def test_every_flag_takes_its_default_from_the_environment(monkeypatch, logdir):
    monkeypatch.setenv("PROJECTOR_LOGDIR", str(logdir))
    monkeypatch.setenv("PROJECTOR_JOB_ABANDON_AFTER", "12")
    monkeypatch.setenv("PROJECTOR_WARM_UP", "none")
    monkeypatch.setenv("PROJECTOR_MAX_JOBS", "3")
    config = projector_app.config_from_env()
    assert (config.job_abandon_s, config.warm_up, config.max_jobs) == (12.0, "none", 3)
    assert projector_app.config_from_args(projector_app.parse_args(["--job-abandon-after", "20"])).job_abandon_s == 20
    monkeypatch.setenv("PROJECTOR_PORT", "tcp://10.0.0.7:80")  # Kubernetes' service variable: not ours
    monkeypatch.setenv("PROJECTOR_MAX_JOBS", "0")  # one per core
    monkeypatch.setenv("PROJECTOR_CACHE_DIR", "")  # empty: unset
    args = projector_app.parse_args([])
    assert (args.port, args.max_jobs, args.cache_dir) == (8050, 0, None)
    monkeypatch.setenv("PROJECTOR_WARM_UP", "some")
    with pytest.raises(SystemExit, match="PROJECTOR_WARM_UP=some: give one of all, data, none"):
        projector_app.parse_args([])


def test_a_job_outlives_its_closed_page_for_at_least_ten_seconds(capsys):
    with pytest.raises(SystemExit):
        projector_app.parse_args(["--job-abandon-after", "5"])
    assert "argument --job-abandon-after: invalid" in capsys.readouterr().err


def test_wsgi_configuration_reads_the_request_limit(monkeypatch, logdir):
    monkeypatch.setenv("PROJECTOR_LOGDIR", str(logdir))
    monkeypatch.setenv("PROJECTOR_MAX_REQUEST_MB", "5")
    assert projector_app.config_from_env().max_request_bytes() == 5 * MB
    monkeypatch.setenv("PROJECTOR_MAX_REQUEST_MB", "lots")
    with pytest.raises(SystemExit, match="PROJECTOR_MAX_REQUEST_MB=lots"):
        projector_app.config_from_env()


def walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child)
