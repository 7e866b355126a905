"""Cached loads for the dashboard, keyed on content so a rerun never reloads a file.

``st.cache_data`` cannot hash a Dataset, and hashing a 200 MB upload on every rerun
would cost more than it saves, so each loader takes a short key (a sha256 digest, a
sample name, a library id with its checksum) and receives the heavy argument with a
leading underscore, which Streamlit leaves out of the key. The user's place fixes are
part of every key (:func:`aliases_key`): a fix saved in review reloads what it touches.
A Dataset pickles, so returning one from ``st.cache_data`` is safe (each caller gets
its own copy).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.maps.wording import distinct_labels
from dashboard.state import Facets, facets_of
from loaders.aliases import FILENAME as ALIASES_FILE
from loaders.library import Library
from loaders.load import load_dataset, table_as_loaded
from loaders.model import Dataset
from loaders.samples import SAMPLES, is_sample
from loaders.settings import routemap_home

PREVIEW_ROWS = 200


def digest(data: bytes) -> str:
    """sha256 of an upload: the cache key of everything derived from it."""
    return hashlib.sha256(data).hexdigest()


def aliases_key() -> str:
    """Changes whenever the user's place fixes change (digest of the aliases file)."""
    path = routemap_home() / ALIASES_FILE
    try:
        return digest(path.read_bytes())[:16]
    except FileNotFoundError:
        return "none"


def columns_key(columns: dict[str, Any] | None) -> str:
    """A stable string for a column-mapping override (dicts are not ordered keys)."""
    return json.dumps(columns or {}, sort_keys=True)


@st.cache_data(max_entries=4, show_spinner="Loading the sample...")
def _sample(name: str, aliases: str) -> Dataset:
    return load_dataset(name)


@st.cache_data(max_entries=6, show_spinner=False)
def _upload(key: str, _data: bytes, name: str, layout: str | None, columns: str,
            aliases: str) -> Dataset:
    # The bar is made and emptied in here: Streamlit replays a cached function's elements
    # on a hit and refuses calls on blocks made outside it.
    bar = st.progress(0.0, text="Reading and geocoding...")
    try:
        return load_dataset(
            _data, name=name, layout=layout, columns=json.loads(columns) or None,
            progress=lambda f: bar.progress(min(max(float(f), 0.0), 1.0),
                                            text="Geocoding places..."),
        )
    finally:
        bar.empty()


@st.cache_data(max_entries=6, show_spinner="Opening the saved dataset...")
def _library(dataset_id: str, cache_key: str) -> Dataset:
    return Library().open(dataset_id)


@st.cache_data(max_entries=8, show_spinner=False)
def _facets(key: str, _dataset: Dataset) -> Facets:
    return facets_of(_dataset)


@st.cache_data(max_entries=4, show_spinner=False)
def _preview(key: str, _data: bytes, name: str) -> tuple[pd.DataFrame, list[str]]:
    table = table_as_loaded(_data, name=name)  # a workbook's data sheet, not its notes
    head = table.data.slice(0, PREVIEW_ROWS).to_pandas()
    return head, list(table.data.column_names)


def load_sample(name: str) -> Dataset:
    """A bundled sample ("demo", "seed")."""
    return _sample(name, aliases_key())


def load_upload(data: bytes, name: str, *, layout: str | None = None,
                columns: dict[str, Any] | None = None) -> Dataset:
    """An uploaded file, loaded with the layout/column override and the current fixes.

    A progress bar shows while places are geocoded (only on a cache miss).
    """
    return _upload(digest(data), data, name, layout, columns_key(columns), aliases_key())


def preview(data: bytes, name: str) -> tuple[pd.DataFrame, list[str]]:
    """The first rows of an upload, as read (all strings), and all its column names."""
    return _preview(digest(data), data, name)


def dataset_key(dataset_id: str, library: Library | None = None) -> str:
    """What identifies the content of a sample or saved dataset now (with the fixes)."""
    if is_sample(dataset_id):
        return f"sample:{dataset_id}:{aliases_key()}"
    return "library:" + (library or Library()).entry(dataset_id).cache_key


def load_any(dataset_id: str, library: Library | None = None) -> Dataset:
    """A sample by name or a saved dataset by library id (raises LibraryError if gone)."""
    if is_sample(dataset_id):
        return load_sample(dataset_id)
    library = library or Library()
    return _library(dataset_id, library.entry(dataset_id).cache_key)


def facets(dataset: Dataset, key: str) -> Facets:
    """Facets of ``dataset``, cached on ``key`` (:func:`dataset_key` of where it came from)."""
    return _facets(key, dataset)


def dataset_choices(library: Library | None = None) -> dict[str, str]:
    """Dataset id -> label for the picker: the bundled samples, then the library.

    Every label is distinct. Streamlit's selectbox sends back the label the browser
    shows, so two datasets saved under one name (a corrected file uploaded again) read
    as the first of them: the picker reported a dataset change nobody made, and the
    map settings changed with it were lost in an exception.
    """
    choices = {name: f"{name}: {label}" for name, label in SAMPLES.items()}
    for e in (library or Library()).list():
        saved = f"saved {e.created[:10]}" if e.created else "saved"
        choices[e.id] = f"{e.name} ({saved}{', synthetic' if e.synthetic else ''})"
    return distinct_labels(choices)
