"""`seqdoodle serve`: a JSON API and a live drawing page over trained runs.

`server` starts uvicorn, `engine` loads runs once and batches concurrent requests, `backends`
runs the models (ONNX or Keras), `requests` checks request bodies, `app` holds the FastAPI routes
and `page.html` the drawing page. See docs/serving.md.
"""

from __future__ import annotations

from seqdoodle._compat import lazy_exports

_EXPORTS = {
    "DEFAULT_HOST": "seqdoodle.serve.server",
    "DEFAULT_PORT": "seqdoodle.serve.server",
    "serve": "seqdoodle.serve.server",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
