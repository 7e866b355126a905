"""User aliases: place fixes made in review, kept and applied to every later load.

Stored as ``aliases.json`` in :func:`loaders.settings.routemap_home`. A fix maps the
normalised text (optionally with the normalised country written beside it) to a
target: a gazetteer key ("country:PAK", "city:1174872", "region:GCC") or an explicit
name with coordinates. Writes are atomic (temp file + ``os.replace``) under a file
lock, so two sessions saving at once never leave a half-written file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from filelock import FileLock

from loaders.errors import RoutemapError
from loaders.normalize import normalise
from loaders.settings import routemap_home

FILENAME = "aliases.json"
_SEP = "|"  # normalise() never leaves a "|" in a key, so it cannot clash with text
_TARGET_PREFIXES = ("country:", "city:", "region:")


class AliasError(RoutemapError):
    """An alias target is neither a gazetteer key nor a name with valid coordinates."""


@dataclass(frozen=True, slots=True)
class AliasTarget:
    """Where a user says a text points: ``key`` of a gazetteer place, or an explicit
    ``name`` with ``lat``/``lon`` (then ``key`` is empty and ``kind`` says what it is)."""

    key: str = ""
    name: str = ""
    lat: float = math.nan
    lon: float = math.nan
    kind: str = ""

    def __post_init__(self) -> None:
        if self.key:
            if not self.key.startswith(_TARGET_PREFIXES):
                raise AliasError(f"Unknown place key {self.key!r}: expected country:, city: "
                                 "or region:")
            return
        if not self.name.strip():
            raise AliasError("A place fix needs a gazetteer key or a name with coordinates.")
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise AliasError(f"Coordinates out of range for {self.name!r}: "
                             f"{self.lat}, {self.lon}.")

    @property
    def is_explicit(self) -> bool:
        return not self.key


def alias_key(text: str, country_hint: str = "") -> str:
    """The storage key of a fix: normalised text, plus "|" and the normalised hint."""
    key, hint = normalise(text), normalise(country_hint)
    return f"{key}{_SEP}{hint}" if hint else key


def _path(home: Path | None) -> Path:
    return (home if home is not None else routemap_home()) / FILENAME


def _lock(path: Path) -> FileLock:
    return FileLock(str(path) + ".lock", timeout=30)


def _read(path: Path) -> dict[str, AliasTarget]:
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text("utf-8"))
        out = {}
        for k, v in raw.get("aliases", {}).items():
            v = {f: v[f] for f in ("key", "name", "lat", "lon", "kind") if f in v}
            for f in ("lat", "lon"):
                v[f] = math.nan if v.get(f) is None else float(v[f])
            out[k] = AliasTarget(**v)
    except (ValueError, TypeError, AttributeError, AliasError) as e:
        raise AliasError(f"The place fixes file {path} is damaged ({e}); "
                         "fix or delete it.") from None
    return out


def _write(path: Path, aliases: dict[str, AliasTarget]) -> None:
    def plain(t: AliasTarget) -> dict:
        d = asdict(t)
        for f in ("lat", "lon"):
            d[f] = None if math.isnan(d[f]) else d[f]
        return {k: v for k, v in d.items() if v not in ("", None)}

    body = {"version": 1, "aliases": {k: plain(aliases[k]) for k in sorted(aliases)}}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".aliases-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(body, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_aliases(home: Path | None = None) -> dict[str, AliasTarget]:
    """All saved fixes, keyed by :func:`alias_key` ("karachi" or "hyderabad|pakistan")."""
    path = _path(home)
    with _lock(path):
        return _read(path)


def save_alias(text: str, target: AliasTarget | str, *, country_hint: str = "",
               home: Path | None = None) -> str:
    """Keep a fix: ``text`` (with ``country_hint`` if the fix holds only beside that
    country) now means ``target`` (an AliasTarget or a gazetteer key). Returns the key."""
    if isinstance(target, str):
        target = AliasTarget(key=target)
    key = alias_key(text, country_hint)
    if not key or key.startswith(_SEP):
        raise AliasError("A place fix needs the text it fixes.")
    path = _path(home)
    with _lock(path):
        aliases = _read(path)
        aliases[key] = target
        _write(path, aliases)
    return key


def remove_alias(text: str, *, country_hint: str = "", home: Path | None = None) -> bool:
    """Forget a fix. Returns whether there was one."""
    key = alias_key(text, country_hint)
    path = _path(home)
    with _lock(path):
        aliases = _read(path)
        if key not in aliases:
            return False
        del aliases[key]
        _write(path, aliases)
    return True
