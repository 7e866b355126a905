"""User aliases: kept across loads, atomic, locked, and checked."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import pytest

from loaders.aliases import (
    FILENAME,
    AliasError,
    AliasTarget,
    alias_key,
    load_aliases,
    remove_alias,
    save_alias,
)
from loaders.errors import RoutemapError
from loaders.settings import routemap_home


def test_routemap_home_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTEMAP_HOME", str(tmp_path / "lib"))
    assert routemap_home() == tmp_path / "lib"
    assert (tmp_path / "lib").is_dir()


def test_routemap_home_defaults_to_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("ROUTEMAP_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert routemap_home() == tmp_path / "routemap"


def test_round_trip(tmp_path):
    assert load_aliases(tmp_path) == {}
    key = save_alias("Khi", "city:1174872", home=tmp_path)
    save_alias("Old Town", AliasTarget(name="Old Town", lat=25.0, lon=67.0, kind="city"),
               country_hint="Pakistan", home=tmp_path)
    got = load_aliases(tmp_path)
    assert key == "khi"
    assert got["khi"] == AliasTarget(key="city:1174872")
    old = got["old town|pakistan"]
    assert old.is_explicit
    assert (old.name, old.lat, old.lon) == ("Old Town", 25.0, 67.0)
    assert math.isnan(got["khi"].lat)


def test_keys_are_normalised():
    assert alias_key(" The  U.A.E. ") == "uae"
    assert alias_key("Hyderabad", country_hint="PAKISTAN") == "hyderabad|pakistan"


def test_save_overwrites_and_remove_forgets(tmp_path):
    save_alias("Gulf", "region:GCC", home=tmp_path)
    save_alias("gulf", "region:MIDDLE_EAST", home=tmp_path)
    assert load_aliases(tmp_path)["gulf"].key == "region:MIDDLE_EAST"
    assert remove_alias("GULF", home=tmp_path) is True
    assert remove_alias("GULF", home=tmp_path) is False
    assert load_aliases(tmp_path) == {}


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    save_alias("Khi", "city:1174872", home=tmp_path)
    body = json.loads((tmp_path / FILENAME).read_text("utf-8"))
    assert body["aliases"]["khi"] == {"key": "city:1174872"}
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_concurrent_saves_all_kept(tmp_path):
    def work(i: int) -> None:
        save_alias(f"place {i}", f"country:{['PAK', 'IND', 'BGD'][i % 3]}", home=tmp_path)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(load_aliases(tmp_path)) == 12


def test_bad_targets_are_refused():
    with pytest.raises(AliasError, match="key"):
        AliasTarget(key="town:42")
    with pytest.raises(AliasError, match="out of range"):
        AliasTarget(name="Nowhere", lat=95.0, lon=0.0)
    with pytest.raises(AliasError, match="name with coordinates"):
        AliasTarget()


def test_empty_text_refused(tmp_path):
    with pytest.raises(AliasError):
        save_alias("  ", "country:PAK", home=tmp_path)


def test_damaged_file_is_a_clear_error(tmp_path: Path):
    (tmp_path / FILENAME).write_text("{not json", encoding="utf-8")
    with pytest.raises(RoutemapError, match="damaged"):
        load_aliases(tmp_path)
