"""The dataset library (DESIGN §7): saved datasets that survive restarts and sessions.

Each dataset lives in ``routemap_home()/datasets/<id>/``::

    records.parquet  stops.parquet  places.parquet   the normalised tables
    original<.ext>                                   the file as uploaded
    manifest.json                                    name, source, licence, synthetic,
                                                     checksum, dates, report, layout,
                                                     column mapping, saved views

A save writes everything into ``datasets/.tmp-<id>/`` and then renames that folder to
``datasets/<id>/`` in one ``os.replace``: a reader sees a whole dataset or none. Saves,
renames, deletes and view updates hold a :class:`filelock.FileLock` on the library, so
two sessions never interleave, and whatever folder starting with ``.tmp-`` or ``.trash-``
is found while holding the lock is a crash's leftover and is removed. A shared
deployment can put the same interface in front of PostgreSQL/PostGIS later.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock, Timeout

from loaders.errors import RoutemapError
from loaders.model import ROLE_DTYPE, Dataset, DatasetMeta
from loaders.report import GuessedPlace, LoadReport, Problem, UnresolvedPlace
from loaders.settings import routemap_home

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
TABLES = ("records", "stops", "places")
FORMAT_VERSION = 1
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
_TMP, _TRASH = ".tmp-", ".trash-"
LOCK_TIMEOUT = 120.0  # seconds; a save of a million rows takes a few


class LibraryError(RoutemapError):
    """A library operation cannot be done: unknown id, bad name, damaged entry, busy lock."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What the manifest says about one saved dataset (the tables stay on disk)."""

    id: str
    name: str
    source: str
    licence: str
    synthetic: bool
    original_name: str
    checksum: str
    created: str
    updated: str
    layout: str
    columns: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    views: list[dict[str, Any]] = field(default_factory=list)
    path: Path | None = None

    @property
    def records(self) -> int:
        return int(self.report.get("records", 0))

    @property
    def rows(self) -> dict[str, int]:
        """Rows read/kept/rejected, as ``routemap check`` reports them."""
        r = self.report
        return {"read": int(r.get("rows_read", 0)), "kept": int(r.get("rows_kept", 0)),
                "rejected": int(r.get("rows_rejected", 0))}

    @property
    def cache_key(self) -> str:
        """Changes whenever what :meth:`Library.open` returns changes (name included)."""
        return f"{self.id}:{self.checksum}:{self.updated}:{self.name}"


def slugify(name: str) -> str:
    """A folder-safe, URL-safe stem of a dataset name ("Pakistan 2019" -> "pakistan-2019")."""
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return s[:40].strip("-") or "dataset"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise LibraryError("A dataset needs a name.")
    if len(name) > 200:
        raise LibraryError("A dataset name can be at most 200 characters.")
    return name


def report_to_dict(report: LoadReport) -> dict[str, Any]:
    """The whole report as plain JSON values (every field, so :func:`report_from_dict`
    rebuilds it exactly)."""
    return json.loads(json.dumps(asdict(report), default=str))


def report_from_dict(data: dict[str, Any]) -> LoadReport:
    """Inverse of :func:`report_to_dict`; unknown keys (from a newer version) are ignored."""
    known = set(LoadReport.__dataclass_fields__)
    kw = {k: v for k, v in data.items() if k in known}
    kw["problems"] = [Problem(**p) for p in data.get("problems", [])]
    kw["unresolved"] = [UnresolvedPlace(**u) for u in data.get("unresolved", [])]
    guessed_fields = set(GuessedPlace.__dataclass_fields__)
    kw["guessed"] = [GuessedPlace(**{k: v for k, v in g.items() if k in guessed_fields})
                     for g in data.get("guessed", [])]
    return LoadReport(**kw)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be opened
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _write_json(path: Path, body: dict[str, Any]) -> None:
    """Write ``body`` to ``path`` atomically (temp file in the same folder, then replace)."""
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        _write_bytes(tmp, json.dumps(body, ensure_ascii=False, indent=1,
                                     default=str).encode("utf-8"))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _validate_views(views: object) -> list[dict[str, Any]]:
    if not isinstance(views, list):
        raise LibraryError("Saved views must be a list of {name, state}.")
    out = []
    for v in views:
        if not (isinstance(v, dict) and isinstance(v.get("name"), str)
                and isinstance(v.get("state"), dict)):
            raise LibraryError("Each saved view needs a name and a state.")
        if not v["name"].strip():
            raise LibraryError("A saved view needs a name.")
        out.append({"name": v["name"].strip(), "state": json.loads(json.dumps(v["state"]))})
    return out


class Library:
    """Saved datasets under ``home/datasets`` (``home`` defaults to :func:`routemap_home`)."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = Path(home) if home is not None else routemap_home()
        self.root = self.home / "datasets"
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.root / ".lock"), timeout=LOCK_TIMEOUT)

    # ---- locking and leftovers -----------------------------------------------------

    @contextlib.contextmanager
    def _locked(self):
        try:
            with self._lock:
                self._sweep()
                yield
        except Timeout:
            raise LibraryError("The dataset library is busy (another session is saving); "
                               "try again in a moment.") from None

    def _sweep(self) -> None:
        """Remove what crashed saves and deletes left behind. Only call under the lock:
        then no other session can be writing one of these folders."""
        for p in self.root.iterdir():
            if p.is_dir() and p.name.startswith((_TMP, _TRASH)):
                log.info("removing leftover %s", p)
                shutil.rmtree(p, ignore_errors=True)

    # ---- reading -------------------------------------------------------------------

    def _dir(self, dataset_id: str) -> Path:
        if not isinstance(dataset_id, str) or not _ID.match(dataset_id):
            raise LibraryError(f"No saved dataset {dataset_id!r} in the library.")
        return self.root / dataset_id

    def _read_entry(self, folder: Path) -> Entry:
        """The entry of a complete dataset folder; LibraryError says what is missing."""
        try:
            m = json.loads((folder / MANIFEST).read_text("utf-8"))
        except FileNotFoundError:
            raise LibraryError(f"{folder.name}: no manifest (an unfinished save)") from None
        except (OSError, ValueError) as e:
            raise LibraryError(f"{folder.name}: unreadable manifest ({e})") from None
        missing = [t for t in TABLES if not (folder / f"{t}.parquet").is_file()]
        if missing:
            raise LibraryError(f"{folder.name}: missing table(s) {', '.join(missing)}")
        try:
            return Entry(
                id=folder.name, name=str(m["name"]), source=str(m.get("source", "")),
                licence=str(m.get("licence", "")), synthetic=bool(m.get("synthetic", False)),
                original_name=str(m.get("original_name", "")),
                checksum=str(m.get("checksum", "")), created=str(m.get("created", "")),
                updated=str(m.get("updated", "")), layout=str(m.get("layout", "")),
                columns=dict(m.get("columns") or {}), report=dict(m.get("report") or {}),
                description=str(m.get("description", "")),
                views=list(m.get("views") or []), path=folder,
            )
        except (KeyError, TypeError, ValueError) as e:
            raise LibraryError(f"{folder.name}: damaged manifest ({e})") from None

    def scan(self) -> tuple[list[Entry], list[str]]:
        """Complete datasets (newest first) and one line per folder skipped as incomplete.

        Folders being written by another session (``.tmp-``) are not looked at.
        """
        entries, skipped = [], []
        for p in sorted(self.root.iterdir()):
            if not p.is_dir() or p.name.startswith("."):
                continue
            try:
                entries.append(self._read_entry(p))
            except LibraryError as e:
                skipped.append(str(e))
        for s in skipped:
            log.warning("dataset library: skipped %s", s)
        entries.sort(key=lambda e: (e.created, e.id), reverse=True)
        return entries, skipped

    def list(self) -> list[Entry]:
        """Complete datasets, newest first (incomplete folders are skipped and logged)."""
        return self.scan()[0]

    def entry(self, dataset_id: str) -> Entry:
        folder = self._dir(dataset_id)
        if not folder.is_dir():
            raise LibraryError(f"No saved dataset {dataset_id!r} in the library.")
        return self._read_entry(folder)

    def __contains__(self, dataset_id: object) -> bool:
        try:
            self.entry(dataset_id)  # type: ignore[arg-type]
        except LibraryError:
            return False
        return True

    def open(self, dataset_id: str) -> Dataset:
        """The saved dataset with its report and metadata, as :func:`load_dataset` made it.

        Also sweeps leftovers of crashed saves, when the lock is free.
        """
        with contextlib.suppress(Timeout), self._lock.acquire(timeout=0):
            self._sweep()
        e = self.entry(dataset_id)
        assert e.path is not None
        try:
            tables = {t: pd.read_parquet(e.path / f"{t}.parquet") for t in TABLES}
        except (OSError, ValueError) as err:
            raise LibraryError(f"Saved dataset {e.name!r} cannot be read ({err}).") from None
        stops = tables["stops"]
        # parquet gives the role column back as it was saved; rebuilding it from text
        # (0.67 s of a 1M-route dataset's 0.88 s open) is only for files saved otherwise
        if "role" in stops and stops["role"].dtype != ROLE_DTYPE:
            stops["role"] = stops["role"].astype(str).astype(ROLE_DTYPE)
        meta = DatasetMeta(
            name=e.name, source=e.source, licence=e.licence, synthetic=e.synthetic,
            description=e.description,
            extra={"library_id": e.id, "checksum": e.checksum, "original_name": e.original_name},
        )
        return Dataset(records=tables["records"], stops=stops, places=tables["places"],
                       report=report_from_dict(e.report), meta=meta)

    def original(self, dataset_id: str) -> tuple[str, bytes]:
        """The uploaded file: (its original name, its bytes)."""
        e = self.entry(dataset_id)
        assert e.path is not None
        found = sorted(e.path.glob("original*"))
        if not found:
            raise LibraryError(f"Saved dataset {e.name!r} has no original file.")
        return e.original_name or found[0].name, found[0].read_bytes()

    # ---- writing -------------------------------------------------------------------

    def save(self, dataset: Dataset, original_bytes: bytes, original_name: str, *, name: str,
             source: str = "", licence: str = "", synthetic: bool = False) -> Entry:
        """Save a loaded dataset and the file it came from; returns its new entry.

        The id is the slug of ``name`` plus a random suffix, so two sessions saving the
        same name both succeed and links to a dataset survive a rename.
        """
        name = _clean_name(name)
        checksum = hashlib.sha256(original_bytes).hexdigest()
        suffix = "".join(Path(str(original_name)).suffixes[-2:]).lower()
        suffix = suffix if re.fullmatch(r"(\.[a-z0-9]{1,8}){1,2}", suffix) else ""
        now = _now()
        report = dataset.report
        with self._locked():
            dataset_id = f"{slugify(name)}-{secrets.token_hex(3)}"
            while (self.root / dataset_id).exists():
                dataset_id = f"{slugify(name)}-{secrets.token_hex(3)}"
            tmp = self.root / f"{_TMP}{dataset_id}"
            tmp.mkdir()
            try:
                for t in TABLES:
                    getattr(dataset, t).to_parquet(tmp / f"{t}.parquet", index=False)
                _write_bytes(tmp / f"original{suffix}", original_bytes)
                manifest = {
                    "format_version": FORMAT_VERSION, "id": dataset_id, "name": name,
                    "source": str(source), "licence": str(licence), "synthetic": bool(synthetic),
                    "description": dataset.meta.description,
                    "original_name": Path(str(original_name)).name, "checksum": checksum,
                    "created": now, "updated": now, "layout": report.layout,
                    "columns": report.columns, "report": report_to_dict(report), "views": [],
                }
                self._write_manifest(tmp, manifest)
                _fsync_dir(tmp)
                os.replace(tmp, self.root / dataset_id)
                _fsync_dir(self.root)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        return self.entry(dataset_id)

    def _write_manifest(self, folder: Path, manifest: dict[str, Any]) -> None:
        _write_json(folder / MANIFEST, manifest)

    def _update(self, dataset_id: str, **changes: Any) -> Entry:
        folder = self._dir(dataset_id)
        with self._locked():
            self.entry(dataset_id)  # raises if unknown or incomplete
            manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
            manifest.update(changes, updated=_now())
            self._write_manifest(folder, manifest)
        return self.entry(dataset_id)

    def rename(self, dataset_id: str, name: str) -> Entry:
        """Give a saved dataset a new display name (its id, and links to it, stay)."""
        return self._update(dataset_id, name=_clean_name(name))

    def delete(self, dataset_id: str) -> None:
        """Remove a saved dataset: it disappears from listings in one rename."""
        folder = self._dir(dataset_id)
        with self._locked():
            if not folder.is_dir():
                raise LibraryError(f"No saved dataset {dataset_id!r} in the library.")
            trash = self.root / f"{_TRASH}{dataset_id}-{secrets.token_hex(3)}"
            os.replace(folder, trash)
            shutil.rmtree(trash, ignore_errors=True)

    def saved_views(self, dataset_id: str) -> list[dict[str, Any]]:
        """The presenter's slides for this dataset: a list of {name, state}."""
        return _validate_views(self.entry(dataset_id).views)

    def save_views(self, dataset_id: str, views: list[dict[str, Any]]) -> Entry:
        """Replace the saved views of a dataset (each {name: str, state: dict})."""
        return self._update(dataset_id, views=_validate_views(views))

    # ---- saved views of the bundled samples ------------------------------------------
    # The samples ("demo", "seed") are not library datasets, but a presenter's slides on
    # them must survive a restart too: they live in ``home/views/<sample>.json``.

    def _sample_views_path(self, name: str) -> Path:
        from loaders.samples import is_sample  # lazy: samples imports nothing of ours

        if not is_sample(name):
            raise LibraryError(f"No bundled sample {name!r}.")
        return self.home / "views" / f"{name}.json"

    def sample_views(self, name: str) -> list[dict[str, Any]]:
        """The saved views (slides) of a bundled sample: a list of {name, state}."""
        path = self._sample_views_path(name)
        try:
            body = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as e:
            raise LibraryError(f"Saved views of {name!r} cannot be read ({e}).") from None
        return _validate_views(body.get("views") if isinstance(body, dict) else None)

    def save_sample_views(self, name: str, views: list[dict[str, Any]]) -> None:
        """Replace the saved views of a bundled sample (atomic, under the library lock)."""
        path = self._sample_views_path(name)
        clean = _validate_views(views)
        with self._locked():
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_json(path, {"format_version": FORMAT_VERSION, "sample": name,
                               "updated": _now(), "views": clean})
