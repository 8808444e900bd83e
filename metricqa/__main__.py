"""``python -m metricqa``: the command line."""

from __future__ import annotations

from metricqa.cli import main

raise SystemExit(main())
