"""What starts a reload besides ``POST /api/admin/reload``: SIGHUP, and (``reload_watch_s`` > 0) a
thread polling the files the serving state was built from.

    install_sighup(live)                      # `metricqa serve` and `metricqa slack`
    watcher = start_watcher(live, settings)   # None when reload_watch_s is 0 (the default)

A signal handler only starts a thread: the reload itself never runs on the event loop.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from metricqa.core.settings import Settings
from metricqa.integrations.serving import LiveState

log = logging.getLogger("metricqa.reload")

Signature = tuple[tuple[str, int, int], ...]


def reload_in_background(live: LiveState, why: str) -> threading.Thread:
    log.info("reload requested (%s)", why)
    thread = threading.Thread(target=live.reload, name=f"reload-{why}", daemon=True)
    thread.start()
    return thread


def install_sighup(live: LiveState) -> bool:
    """Reload on SIGHUP instead of dying of it; False where the platform has no SIGHUP."""
    hup = getattr(signal, "SIGHUP", None)
    if hup is None:
        return False
    signal.signal(hup, lambda _signum, _frame: reload_in_background(live, "SIGHUP"))
    return True


def watched_paths(settings: Settings) -> list[Path]:
    """The catalog's YAML files, the API keys file, the Slack users file and the warehouse."""
    root = settings.resolved_catalog()
    catalog = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml")) if root.is_dir() else []
    files = [settings.api_keys_file, settings.slack_users_file, settings.resolved_warehouse()]
    return [*catalog, *(f for f in files if f is not None)]


def signature(settings: Settings) -> Signature:
    """Path, mtime and size of every watched file (a missing file counts as (-1, -1))."""
    out = []
    for path in watched_paths(settings):
        try:
            st = path.stat()
            out.append((str(path), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(path), -1, -1))
    return tuple(out)


class FileWatcher(threading.Thread):
    """Polls ``signature(settings)`` every ``interval_s``; a change starts one reload. A failed reload
    is not retried until the files change again."""

    def __init__(self, live: LiveState, settings: Settings, interval_s: float) -> None:
        super().__init__(name="reload-watcher", daemon=True)
        self.live, self.settings, self.interval_s = live, settings, interval_s
        self.seen = signature(settings)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            now = signature(self.settings)
            if now != self.seen:
                self.seen = now
                log.info("reload requested (a watched file changed)")
                self.live.reload()

    def stop(self) -> None:
        self.stopped.set()


def start_watcher(live: LiveState, settings: Settings) -> FileWatcher | None:
    if settings.reload_watch_s <= 0 or not live.reloadable:
        return None
    watcher = FileWatcher(live, settings, settings.reload_watch_s)
    watcher.start()
    return watcher
