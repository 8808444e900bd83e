"""One router per resource: ask, metrics, charts, health (FastAPI docs_src/bigger_applications)."""
