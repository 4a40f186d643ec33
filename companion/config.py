"""Where Inflow keeps its data and which content it serves (platformdirs; INFLOW_HOME overrides)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

DEFAULT_PORT = 8765
REPO_CONTENT = Path(__file__).resolve().parent.parent / "content"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The data folder: ``--data-dir``, else ``$INFLOW_HOME/data``, else the platform's user data dir."""
    if explicit:
        return Path(explicit)
    home = os.environ.get("INFLOW_HOME")
    if home:
        return Path(home) / "data"
    return Path(platformdirs.user_data_dir("inflow", appauthor=False))


def content_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The lesson folder: ``--content``, else ``$INFLOW_HOME/content``, else the bundled starter content."""
    if explicit:
        return Path(explicit)
    home = os.environ.get("INFLOW_HOME")
    if home and (Path(home) / "content").is_dir():
        return Path(home) / "content"
    return REPO_CONTENT


@dataclass(frozen=True)
class Paths:
    """Files under one data folder."""

    root: Path

    @property
    def index(self) -> Path:
        return self.root / "index"

    @property
    def events(self) -> Path:
        return self.root / "events.db"

    @property
    def token(self) -> Path:
        return self.root / "token"

    @property
    def pairing(self) -> Path:
        return self.root / "pairing.json"
