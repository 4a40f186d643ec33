"""Watch a content folder and rebuild the index after a burst of saves settles."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

log = logging.getLogger(__name__)
WATCHED_SUFFIXES = (".md", ".yaml", ".yml", ".jsonl")


class _Debouncer(FileSystemEventHandler):
    def __init__(self, action: Callable[[], None], delay: float):
        self.action = action
        self.delay = delay
        self.timer: threading.Timer | None = None
        self.lock = threading.Lock()
        self.running = threading.Lock()

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = [event.src_path, getattr(event, "dest_path", "")]
        if event.event_type in ("opened", "closed_no_write") or not any(
            str(p).endswith(WATCHED_SUFFIXES) for p in paths
        ):
            return
        with self.lock:
            if self.timer:
                self.timer.cancel()
            self.timer = threading.Timer(self.delay, self._fire)
            self.timer.daemon = True
            self.timer.start()

    def _fire(self) -> None:
        try:
            with self.running:
                self.action()
        except Exception:  # a bad save must not kill the watcher; the action reports its own errors
            log.exception("rebuild after content change failed")

    def cancel(self) -> None:
        with self.lock:
            if self.timer:
                self.timer.cancel()


class ContentWatcher:
    """Calls ``on_change`` once, ``debounce`` seconds after the last lesson or role file event."""

    def __init__(self, folder: Path, on_change: Callable[[], None], debounce: float = 0.3):
        self.folder = Path(folder)
        self.handler = _Debouncer(on_change, debounce)
        self.observer = Observer()
        self.observer.schedule(self.handler, str(self.folder), recursive=True)

    def start(self) -> "ContentWatcher":
        self.observer.start()
        return self

    def stop(self) -> None:
        self.handler.cancel()
        self.observer.stop()
        self.observer.join(timeout=5)
