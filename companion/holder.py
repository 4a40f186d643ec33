"""The index version being served, swapped atomically when a new version is published."""

from __future__ import annotations

import logging
import threading
import time

from content_index.store import IndexStore, LessonIndex

log = logging.getLogger(__name__)


class IndexHolder:
    """Serves one LessonIndex; ``refresh`` loads a newly published version and swaps the reference.

    Requests read ``holder.index`` once and use that object throughout, so a swap never mixes versions
    within a request, and the old version stays alive until its last request ends.
    """

    def __init__(self, store: IndexStore, check_every: float = 1.0):
        self.store = store
        self.check_every = check_every
        self.lock = threading.Lock()
        self.checked = 0.0
        current = store.current_dir()
        if current is None:
            raise FileNotFoundError(f"no index published under {store.root}; run `inflow index build`")
        self._index = LessonIndex(current)

    @property
    def index(self) -> LessonIndex:
        """The current index, noticing (at most once a second) versions published by another process."""
        if time.monotonic() - self.checked > self.check_every:
            self.refresh()
        return self._index

    def refresh(self) -> bool:
        """Load the current published version if it differs from the one served; True if swapped."""
        if not self.lock.acquire(blocking=False):
            return False  # another thread is loading; keep serving the old version meanwhile
        try:
            self.checked = time.monotonic()
            current = self.store.current_dir()
            if current is None or current.name == self._index.version:
                return False
            self._index = LessonIndex(current)
            log.info("serving index version %s (%d lessons)", self._index.version, len(self._index))
            return True
        finally:
            self.lock.release()
