"""Bundled gazetteer files (see SOURCES.md) and the samples."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def data_path(name: str) -> Path:
    """Path of a bundled file in this package, e.g. ``data_path("countries.parquet")``."""
    return Path(str(files(__package__).joinpath(name)))
