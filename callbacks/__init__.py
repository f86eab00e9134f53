"""Dash glue: one module per panel or concern, each exposing ``layout()`` and ``register(app, ...)``."""
