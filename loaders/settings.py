"""Where routemap keeps what a user makes: the dataset library and the place fixes."""

from __future__ import annotations

import os
from pathlib import Path


def routemap_home() -> Path:
    """The data folder: ``$ROUTEMAP_HOME``, else ``$XDG_DATA_HOME/routemap``, else
    ``~/.local/share/routemap``. Created on demand."""
    env = os.environ.get("ROUTEMAP_HOME", "").strip()
    if env:
        home = Path(env).expanduser()
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "").strip()
        base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
        home = base / "routemap"
    home.mkdir(parents=True, exist_ok=True)
    return home
