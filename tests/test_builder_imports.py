"""The command line's cheaper import of the map builders: compiled templates kept
between runs, and requests loaded only when used."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import jinja2
import pytest
from jinja2.environment import Environment

from dashboard.maps import builder_imports
from dashboard.maps.builder_imports import load_on_first_use, templates_kept

ROUTEMAP = Path(sys.executable).with_name("routemap")
SOURCE = "<p>{{ name }} {{ count | default(0) }}</p>"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sources Jinja actually parses (a kept template is not parsed again)."""
    seen: list[str] = []
    parse = Environment._parse

    def spy(self, source, name, filename):
        seen.append(source)
        return parse(self, source, name, filename)

    monkeypatch.setattr(Environment, "_parse", spy)
    return seen


def test_a_template_compiled_once_is_reused_by_the_next_run(tmp_path, parses):
    cache = tmp_path / "templates.marshal"
    with templates_kept(cache):
        first = jinja2.Template(SOURCE).render(name="Lahore", count=3)
    assert cache.exists()
    assert parses == [SOURCE]
    with templates_kept(cache) as kept:
        again = jinja2.Template(SOURCE).render(name="Lahore", count=3)
    assert parses == [SOURCE], "compiled again instead of reused"
    assert again == first == "<p>Lahore 3</p>"
    assert len(kept) == 1


def test_settings_that_change_the_code_are_kept_apart(tmp_path):
    cache = tmp_path / "templates.marshal"
    with templates_kept(cache):
        plain = jinja2.Template("{{ x }}").render(x="<b>")
        escaped = jinja2.Template("{{ x }}", autoescape=True).render(x="<b>")
        stripped = jinja2.Template("{% if 1 %}\n{{ x }}{% endif %}", trim_blocks=True)
    with templates_kept(cache):
        assert jinja2.Template("{{ x }}", autoescape=True).render(x="<b>") == escaped
        assert jinja2.Template("{{ x }}").render(x="<b>") == plain
        assert (jinja2.Template("{% if 1 %}\n{{ x }}{% endif %}", trim_blocks=True).render(x=1)
                == stripped.render(x=1) == "1")
    assert (plain, escaped) == ("<b>", "&lt;b&gt;")


def test_templates_compiled_on_another_thread_are_never_kept(tmp_path):
    """Only the importing thread's templates (library constants) are kept: a page or
    map compiling a template with a dataset's text meanwhile must not reach the disk."""
    cache = tmp_path / "templates.marshal"
    rendered = []
    with templates_kept(cache) as kept:
        other = threading.Thread(
            target=lambda: rendered.append(jinja2.Template("Victim from {{ 'Quetta' }}").render()))
        other.start()
        other.join()
        jinja2.Template(SOURCE)
    assert rendered == ["Victim from Quetta"]
    assert len(kept) == 1
    assert b"Quetta" not in cache.read_bytes()


@pytest.mark.parametrize("content", [b"", b"not marshal data", b"\xe3\x00\x00"])
def test_a_damaged_cache_only_means_compiling_as_usual(tmp_path, parses, content):
    cache = tmp_path / "templates.marshal"
    cache.write_bytes(content)
    with templates_kept(cache):
        assert jinja2.Template(SOURCE).render(name="x") == "<p>x 0</p>"
    assert parses == [SOURCE]
    with templates_kept(cache) as kept:
        jinja2.Template(SOURCE)
    assert parses == [SOURCE]
    assert len(kept) == 1


def test_an_unwritable_cache_folder_is_no_error(tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("")
    with templates_kept(blocker / "templates.marshal"):
        assert jinja2.Template(SOURCE).render(name="x") == "<p>x 0</p>"


def test_the_method_is_given_back_after_the_block(tmp_path):
    before = Environment.compile
    with pytest.raises(ImportError), templates_kept(tmp_path / "t.marshal"):
        raise ImportError("a builder failed to import")
    assert Environment.compile is before


def test_the_cache_file_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = builder_imports.cache_file()
    assert path.parent == tmp_path / "routemap"
    assert jinja2.__version__ in path.name
    assert sys.implementation.cache_tag in path.name


def test_a_module_loaded_on_first_use_runs_only_when_used(tmp_path, monkeypatch):
    (tmp_path / "rm_lazy_probe.py").write_text(
        "import builtins\nbuiltins.rm_lazy_probe_ran = True\nANSWER = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "rm_lazy_probe", raising=False)
    import builtins

    try:
        load_on_first_use("rm_lazy_probe")
        import rm_lazy_probe

        assert not hasattr(builtins, "rm_lazy_probe_ran")
        assert rm_lazy_probe.ANSWER == 42
        assert builtins.rm_lazy_probe_ran
    finally:
        sys.modules.pop("rm_lazy_probe", None)
        if hasattr(builtins, "rm_lazy_probe_ran"):
            del builtins.rm_lazy_probe_ran


def test_the_map_command_keeps_its_templates_and_draws_the_same_map(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    pages = []
    for run in range(2):
        out = tmp_path / f"map{run}.html"
        done = subprocess.run([ROUTEMAP, "map", "demo", "-o", out], env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        pages.append(re.sub(r"_[0-9a-f]{32}", "_id", out.read_text()))  # folium's random ids
        if run == 0:
            kept = list((tmp_path / "cache" / "routemap").glob("templates-*.marshal"))
            assert len(kept) == 1
            assert kept[0].stat().st_size > 10_000
    assert pages[0] == pages[1]
    assert "L.geoJson" in pages[0] or "L.geoJSON" in pages[0]


def test_a_flow_map_from_the_command_line_imports_no_geometry_library(tmp_path):
    """geopandas, shapely and pyproj took 0.09 s of a million-row map's run and drew
    nothing a place-level flow map needs: its arcs and points are plain arrays."""
    probe = ("import sys\nfrom dashboard.cli import main\n"
             f"code = main(['map', 'demo', '-o', {str(tmp_path / 'm.html')!r}])\n"
             "print(code, sorted(m for m in ('geopandas', 'shapely', 'pyproj') "
             "if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=False, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.stdout.split("\n")[0] == "0 []", done.stdout + done.stderr
    assert (tmp_path / "m.html").stat().st_size > 100_000
