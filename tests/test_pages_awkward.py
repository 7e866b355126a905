"""Every awkward file that loads, saved to the library, through every map page (AppTest).

The awkward files (tests/data/awkward) are one-row, no-year, no-count, matrix, CTDC,
legs, coordinates, hostile and oddly encoded tables. A page that assumes a year range,
a count or a located place would raise on one of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from loaders.library import Library
from loaders.load import load_dataset

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
AWKWARD = Path(__file__).parent / "data" / "awkward"
LOADABLE = sorted(name for name, e in json.loads(
    (AWKWARD / "EXPECTED.json").read_text(encoding="utf-8"))["files"].items() if e["exit"] == 0)
PAGES = ["views/routes.py", "views/hotspots.py", "views/insights.py", "views/present.py"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    home = tmp_path_factory.mktemp("routemap_home")
    lib = Library(home)
    ids = {}
    for name in LOADABLE:
        data = (AWKWARD / name).read_bytes()
        ids[name] = lib.save(load_dataset(data, name=name, aliases=None), data, name,
                             name=name).id
    return home, ids


@pytest.mark.parametrize("name", LOADABLE)
def test_every_map_page_draws_an_awkward_dataset(saved, name, monkeypatch) -> None:
    home, ids = saved
    monkeypatch.setenv("ROUTEMAP_HOME", str(home))
    at = AppTest.from_file(APP, default_timeout=60)
    # every value shown (no suppression), at place level, through transit places
    at.query_params.update({"ds": ids[name], "level": "place", "k": "0", "role": "transit"})
    at.run()
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception[0].message[:500])
        assert at.query_params["ds"] == ids[name], page  # not fallen back to the demo
