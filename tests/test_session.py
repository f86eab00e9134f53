"""Browser sessions: only cookies this server signed count, their flags, and what the page and caches see."""

from __future__ import annotations

import http.client
import json
import os
import re
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import waitress
from dash import Dash, Input, Output, dcc, html
from flask import Flask
from waitress import wasyncore

import serving
from callbacks import session
from projector.uploads import MB, UploadStore, owner_of

SIGNED = re.compile(r"^[0-9a-f]{32}\.[A-Za-z0-9_-]+$")


def flask_app(cache_root, path: str = "/") -> Flask:
    server = Flask(__name__)
    server.add_url_rule("/page", "page", session.ensure)
    server.add_url_rule("/who", "who", lambda: session.current() or "-")
    server.add_url_rule("/plain", "plain", lambda: "plain")
    session.install(server, path, cache_root)
    return server


def issued(response) -> dict[str, str] | None:
    """The session cookie a response sets, as its attributes (``value`` too), or None."""
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        if name == session.COOKIE:
            value, *flags = [part.strip() for part in rest.split(";")]
            return {"value": value, **{f.partition("=")[0].lower(): f.partition("=")[2] for f in flags}}
    return None


def test_a_session_is_a_signed_cookie_sent_once_httponly_and_lax(tmp_path):
    client = flask_app(tmp_path, "/ml/projector/").test_client()
    first = client.get("/page")
    cookie = issued(first)
    assert cookie["value"] == first.get_data(as_text=True) and SIGNED.match(cookie["value"])
    assert cookie["path"] == "/ml/projector/" and cookie["samesite"] == "Lax"
    assert "httponly" in cookie and "secure" not in cookie  # plain http
    assert first.headers["Cache-Control"] == "no-store"  # an answer that sets a session is nobody else's
    client.set_cookie(session.COOKIE, cookie["value"], path="/")
    again = client.get("/page")
    assert again.get_data(as_text=True) == cookie["value"] and issued(again) is None
    assert client.get("/who").get_data(as_text=True) == cookie["value"]


@pytest.mark.parametrize(
    "planted",
    ["a" * 32, "a" * 32 + ".forged", "a" * 32 + ".", "", "not a session", "é" * 40],
)
def test_a_cookie_this_server_did_not_sign_is_ignored_and_a_new_session_issued(tmp_path, planted):
    client = flask_app(tmp_path).test_client()
    client.set_cookie(session.COOKIE, planted)
    assert client.get("/who").get_data(as_text=True) == "-"
    made = issued(client.get("/page"))
    assert made is not None and made["value"] != planted and SIGNED.match(made["value"])
    assert session.of_cookies({session.COOKIE: planted}) is None


def test_a_cookie_signed_with_another_secret_is_refused(tmp_path):
    theirs = issued(flask_app(tmp_path / "elsewhere").test_client().get("/page"))["value"]
    client = flask_app(tmp_path / "here").test_client()
    client.set_cookie(session.COOKIE, theirs)
    assert client.get("/who").get_data(as_text=True) == "-"


def test_a_planted_cookie_beside_the_real_one_does_not_hide_it(tmp_path):
    server = flask_app(tmp_path)
    real = issued(server.test_client().get("/page"))["value"]
    both = f"{session.COOKIE}={'b' * 32}; {session.COOKIE}={real}"  # one set for a parent domain, say
    with server.test_request_context("/who", headers={"Cookie": both}):
        assert session.current() == real


def test_the_secret_is_kept_private_in_the_cache_dir_so_restarts_and_other_processes_agree(tmp_path):
    cookie = issued(flask_app(tmp_path).test_client().get("/page"))["value"]
    secret = tmp_path / session.SECRET_FILE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and len(secret.read_text().strip()) == 64
    later = flask_app(tmp_path).test_client()  # after a restart, or another worker process
    later.set_cookie(session.COOKIE, cookie)
    assert later.get("/who").get_data(as_text=True) == cookie
    assert session.of_cookies({session.COOKIE: cookie}) == cookie  # a background job (no request) agrees


def test_processes_starting_together_make_one_secret(tmp_path):
    path = tmp_path / session.SECRET_FILE
    barrier = threading.Barrier(8)

    def load(_):
        barrier.wait()
        return session.load_secret(path)

    with ThreadPoolExecutor(8) as pool:
        secrets = set(pool.map(load, range(8)))
    assert len(secrets) == 1 and os.listdir(tmp_path) == [session.SECRET_FILE]


def test_a_secret_open_to_others_is_reported_and_an_unusable_one_stops_the_server(tmp_path, caplog):
    path = tmp_path / session.SECRET_FILE
    path.write_text("x" * 64)
    path.chmod(0o644)
    assert session.load_secret(path) == "x" * 64
    assert "open to other users (mode 644): they can forge sessions" in caplog.text
    path.write_text("short")
    with pytest.raises(SystemExit, match="holds no usable session secret: delete it"):
        session.load_secret(path)


def test_a_cache_dir_that_cannot_be_written_gives_a_secret_for_this_process(tmp_path, monkeypatch, caplog):
    def read_only(*_args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", read_only)
    assert len(session.load_secret(tmp_path / session.SECRET_FILE)) == 64
    assert "Cannot keep the session secret" in caplog.text and "Permission denied" in caplog.text


# --- Secure: over https, also behind the trusted TLS-terminating proxy ------------------------------------


def test_the_cookie_is_secure_over_https_and_a_client_cannot_claim_https_itself(tmp_path):
    server = flask_app(tmp_path)
    assert "secure" in issued(server.test_client().get("/page", base_url="https://projector.example.org"))
    claimed = server.test_client().get("/page", headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in issued(claimed)  # the app itself believes no forwarded header


@pytest.mark.parametrize(("trusted_proxy", "secure"), [("127.0.0.1", True), (None, False)])
def test_behind_the_trusted_proxy_waitress_makes_the_request_https(tmp_path, trusted_proxy, secure):
    sockets: dict = {}
    server = waitress.create_server(
        flask_app(tmp_path), map=sockets, **serving.waitress_options("127.0.0.1", 0, 2, MB, trusted_proxy)
    )
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=sockets, count=1)
        server.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=10)
        connection.request("GET", "/page", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.7"})
        response = connection.getresponse()
        cookie = next(v for k, v in response.getheaders() if k.lower() == "set-cookie")
        connection.close()
    finally:
        stop.set()
        thread.join()
    assert cookie.startswith(f"{session.COOKIE}=") and ("; Secure" in cookie) is secure


# --- the page: no session id in its JSON, no private answer cached ---------------------------------------


def dash_app(cache_root, store: UploadStore) -> Dash:
    app = Dash(__name__, suppress_callback_exceptions=True)
    app.layout = lambda: html.Div([dcc.Input(id="name"), html.Div(id="listed"), session.layout()])

    @app.callback(Output("listed", "children"), Input("name", "value"), prevent_initial_call=True)
    def upload(name):
        owner = owner_of(session.ensure())
        if name:
            store.add_tensor(name, np.ones((3, 2)), owner)
        return ",".join(u.name for u in store.uploads(owner))

    session.install(app.server, "/", cache_root)
    return app


def call(client, name: str):
    body = {
        "output": "listed.children",
        "outputs": {"id": "listed", "property": "children"},
        "inputs": [{"id": "name", "property": "value", "value": name}],
        "changedPropIds": ["name.value"],
        "state": [],
    }
    return client.post("/_dash-update-component", json=body)


def listed(response) -> str:
    return json.loads(response.get_data(as_text=True))["response"]["listed"]["children"]


def test_the_layout_holds_no_session_id_and_private_answers_are_never_cached(tmp_path):
    app = dash_app(tmp_path, UploadStore(tmp_path / "uploads"))
    client = app.server.test_client()
    page = client.get("/_dash-layout")
    cookie = issued(page)["value"]
    text = page.get_data(as_text=True)
    assert cookie.split(".")[0] not in text and cookie not in text
    assert session.page_id(cookie) in text  # what the jobs tell sessions apart by
    assert page.headers["Cache-Control"] == "no-store"
    client.set_cookie(session.COOKIE, cookie)
    answer = call(client, "")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert "no-store" not in app.server.test_client().get("/_dash-dependencies").headers.get("Cache-Control", "")


def test_private_uploads_stay_with_the_session_that_made_them(tmp_path):
    app = dash_app(tmp_path, UploadStore(tmp_path / "uploads"))
    alice, bob = app.server.test_client(), app.server.test_client()
    alices = issued(alice.get("/_dash-layout"))["value"]
    alice.set_cookie(session.COOKIE, alices)
    assert listed(call(alice, "emb")) == "emb"
    assert listed(call(alice, "")) == "emb"  # the next request, the same session
    bob.set_cookie(session.COOKIE, alices.split(".")[0])  # Alice's id planted unsigned in Bob's browser
    assert listed(call(bob, "")) == ""
    assert listed(call(bob, "emb")) == "emb"  # named without regard to Alice's
