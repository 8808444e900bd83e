"""The HTTP API and web widget host: ``create_app(service, settings)`` and ``serve(settings, host, port)``."""

from __future__ import annotations

from metricqa.integrations.api.app import create_app, serve

__all__ = ["create_app", "serve"]
