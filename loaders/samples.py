"""The bundled sample datasets, reachable by name wherever a file is asked for.

``demo`` is the synthetic demo (geodata/samples/demo.csv, written by make_demo.py) and
``seed`` the routes named in the article the project grew from (geodata/samples/seed.csv).
Each CSV has a ``NAME.meta.json`` beside it with name, source, licence, synthetic flag
and description, which the dataset library and the SYNTHETIC banner read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from geodata import data_path

SAMPLES: dict[str, str] = {
    "demo": "Synthetic demo: 4,000 case records along South and Central Asian corridors",
    "seed": "Routes named in the seed article (IOM's initiative in Pakistan, IRIN)",
}


def _samples_dir() -> Path:
    """The folder of the samples inside the installed ``geodata`` package."""
    return data_path("samples")


def is_sample(name: object) -> bool:
    """True when ``name`` is the name of a bundled sample ("demo", "seed")."""
    return isinstance(name, str) and name in SAMPLES


def sample_path(name: str) -> Path | None:
    """Path of the sample's CSV, or None when ``name`` is no sample or its file is missing."""
    if not is_sample(name):
        return None
    path = _samples_dir() / f"{name}.csv"
    return path if path.is_file() else None


def source_path(source: object) -> tuple[object, str | None]:
    """A sample's name ("demo") as its CSV path; any other source as given. With the
    display name of the file (None for bytes and streams)."""
    if isinstance(source, str) and is_sample(source) and not Path(source).exists():
        path = sample_path(source)
        if path is not None:
            return path, path.name
    if isinstance(source, str | os.PathLike):
        return source, Path(source).name
    return source, None


def sample_meta(name: str) -> dict[str, Any]:
    """The sample's metadata (name, source, licence, synthetic, description).

    Falls back to a minimal record when the sidecar is missing or unreadable, so a
    damaged install still labels the demo as synthetic rather than as real data.
    """
    if not is_sample(name):
        raise KeyError(f"no bundled sample named {name!r}; choose from {', '.join(SAMPLES)}")
    fallback: dict[str, Any] = {
        "name": name,
        "source": "",
        "licence": "",
        "synthetic": name == "demo",
        "description": SAMPLES[name],
    }
    path = _samples_dir() / f"{name}.meta.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return fallback
    return {**fallback, **meta} if isinstance(meta, dict) else fallback
