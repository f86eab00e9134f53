"""Start-up work in the background: what the first visitor of a server would otherwise wait for.

A server lists the logdir's runs, reads the tensor a visitor lands on (the first tensor of the first run:
importing TensorFlow when it is a checkpoint) and computes its PCA, colours and neighbour norms into the
workspace's caches, which every visitor shares. Then, if asked, it compiles UMAP's numba code. Start-up
itself is not delayed: the work runs in a thread, and a request that needs a value being computed waits
for it rather than computing it again (:class:`projector.cache.LRUCache`).

Job processes are forked from the server (Dash's ``DiskcacheManager``). A fork while the thread holds a
lock would leave the child waiting for ever, so a fork first waits for the warm-up to finish; the child
then inherits everything it compiled and loaded.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from projector.workspace import Workspace

log = logging.getLogger(__name__)

STEPS = ("all", "data", "none")  # all = data, then UMAP's compilation


class WarmUp:
    """The background warm-up of one workspace; ``status`` says what it is doing ("" once the data is ready)."""

    def __init__(self, workspace: Workspace, steps: str = "all") -> None:
        if steps not in STEPS:
            raise ValueError(f"warm-up steps must be one of {', '.join(STEPS)}; got {steps!r}")
        self.workspace = workspace
        self.steps = steps
        self.data_ready = threading.Event()
        self.key: str | None = None  # the tensor warmed up, once its data is ready
        self._status = "Starting up…"
        self._thread = threading.Thread(target=self._run, name="projector-warm-up", daemon=True)

    @property
    def status(self) -> str:
        return "" if self.data_ready.is_set() else self._status

    def start(self) -> WarmUp:
        if self.steps == "none":
            self.data_ready.set()
            return self
        os.register_at_fork(before=self.wait)
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> None:
        """Wait until every step has finished (from any thread but the warm-up's own)."""
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _say(self, text: str) -> None:
        self._status = text
        log.info("Warm-up: %s", text)

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            self._warm_data()
            log.info("Warm-up: the first view is ready (%.1f s)", time.perf_counter() - started)
        except Exception as error:  # noqa: BLE001 - a visitor's own request reports the problem properly
            log.warning("Warm-up stopped: %s", error)
        finally:
            self.data_ready.set()
        if self.steps == "all":
            started = time.perf_counter()
            try:
                from projector import umap

                umap.warm_up()
                log.info("Warm-up: UMAP compiled (%.1f s)", time.perf_counter() - started)
            except Exception as error:  # noqa: BLE001 - the first UMAP run compiles instead
                log.warning("Warm-up could not compile UMAP: %s", error)

    def _warm_data(self) -> None:
        self._say("Listing the runs of the logdir…")
        runs = self.workspace.runs()
        if not runs:
            return
        specs = self.workspace.listing(runs[0]).specs
        if not specs:
            return
        spec = specs[0]
        self._say(f"Reading {spec.label}" + (" (starting TensorFlow)…" if spec.checkpoint else "…"))
        data = self.workspace.dataset(spec.key)
        self._say(f"Computing the PCA of {data.n:,} points…")
        self.workspace.pca(data, None, False)
        self.workspace.color_encoding(data, self.workspace.default_color_column(data), None)
        self.workspace.neighbor_index(data).norms  # noqa: B018 - computed once, kept for every query
        self.key = spec.key
