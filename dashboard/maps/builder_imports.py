"""Importing the map builders for one command-line run, at a fraction of the cost.

``routemap map`` imports folium, branca and our builders on every run (geopandas only
for a hotspot map or a country roll-up: a flow map's arcs and points are arrays): about
0.2 s here, on the critical path of a million-row map (the aggregation waits for it)
and a quarter of a small file's whole run. Two parts of that do nothing for a map
written to a file:

- **Template compiling.** folium and branca compile about fifty Jinja templates as
  their classes are defined (0.13 s). Jinja keeps compiled code only for templates
  read through a loader, so :func:`templates_kept` keeps the code compiled from each
  template's source in the user's cache folder, as Python keeps ``.pyc`` files. Only
  compiles on the importing thread while it imports are kept: those sources are the
  libraries' own constants, never text from a dataset.
- **requests**, which folium imports to fetch GeoJSON from a URL, which a map of a
  file never does (0.04 s with urllib3 and friends). It is loaded on first use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import sys
import tempfile
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType
from typing import Any

MAX_KEPT = 500  # far above the ~60 templates the builders define; bounds a damaged file
_one_block_at_a_time = threading.Lock()  # each block swaps the class's method back


def import_map_builders(kind: str) -> None:
    """Import what writing a ``kind`` map ("flows" or "hotspots") needs."""
    load_on_first_use("requests")
    with templates_kept():
        from dashboard.maps import exports, flow_map  # noqa: F401

        if kind == "hotspots":
            from dashboard.maps import hotspot_map  # noqa: F401


def load_on_first_use(name: str) -> None:
    """Make ``import name`` cheap until an attribute of the module is first used.

    A stand-in module takes its place; its first attribute lookup imports the real
    module and answers from it (PEP 562). The standard library's ``LazyLoader`` does not
    do here: on Python 3.11 the import statement itself reads the module's ``__spec__``,
    which loads it.
    """
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return
    stand_in = types.ModuleType(name, f"{name}, imported when first used")
    stand_in.__spec__ = spec

    def attribute_of_real_module(attr: str) -> Any:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attr)

    stand_in.__getattr__ = attribute_of_real_module  # type: ignore[method-assign]
    sys.modules[name] = stand_in


def cache_file() -> Path:
    """Where compiled templates are kept: ``$XDG_CACHE_HOME/routemap`` or
    ``~/.cache/routemap``, one file per Python and Jinja version."""
    import jinja2

    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "routemap" / (
        f"templates-{sys.implementation.cache_tag}-jinja{jinja2.__version__}.marshal")


@contextmanager
def templates_kept(path: Path | None = None) -> Iterator[dict[str, CodeType]]:
    """While in the block, Jinja templates compiled on this thread come from ``path``
    (default :func:`cache_file`) when compiled before; new ones are added on leaving.

    A missing, unreadable or damaged file only means compiling as usual.
    """
    from jinja2.environment import Environment

    path = path or cache_file()
    kept = _read(path)
    known = len(kept)
    owner = threading.get_ident()

    def compile_or_reuse(env: Environment, source, name=None, filename=None, raw=False,
                         defer_init=False):
        key = (_key(env, source, name, filename, defer_init)
               if not raw and threading.get_ident() == owner else None)
        if key is None:
            return compile_template(env, source, name, filename, raw, defer_init)
        code = kept.get(key)
        if code is None:
            code = kept[key] = compile_template(env, source, name, filename, raw, defer_init)
        return code

    with _one_block_at_a_time:
        compile_template = Environment.compile
        Environment.compile = compile_or_reuse
        try:
            yield kept
        finally:
            Environment.compile = compile_template
    if len(kept) > known:
        _write(path, kept)


def _key(env, source, name, filename, defer_init) -> str | None:
    """What the compiled code depends on, hashed; None where it may depend on more
    (a callable autoescape or finalize, extensions, async)."""
    if (not isinstance(source, str) or not isinstance(env.autoescape, bool)
            or env.finalize is not None or env.extensions or env.is_async):
        return None
    settings = (
        type(env).__module__, type(env).__qualname__,
        env.block_start_string, env.block_end_string, env.variable_start_string,
        env.variable_end_string, env.comment_start_string, env.comment_end_string,
        env.line_statement_prefix, env.line_comment_prefix, env.trim_blocks,
        env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
        env.optimized, env.autoescape, env.code_generator_class.__qualname__,
        # the compiler checks that each filter and test exists and how it is called
        sorted((k, str(getattr(f, "jinja_pass_arg", ""))) for k, f in env.filters.items()),
        sorted((k, str(getattr(f, "jinja_pass_arg", ""))) for k, f in env.tests.items()),
    )
    text = repr((settings, source, name, filename, defer_init))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def _read(path: Path) -> dict[str, CodeType]:
    try:
        with path.open("rb") as f:
            kept = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(kept, dict) or len(kept) > MAX_KEPT:
        return {}
    return {k: v for k, v in kept.items() if isinstance(k, str) and isinstance(v, CodeType)}


def _write(path: Path, kept: dict[str, CodeType]) -> None:
    """Replace the file in one step, so a run reading it meanwhile sees old or new."""
    if len(kept) > MAX_KEPT:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                marshal.dump(kept, f)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a cache that cannot be written costs only the compile next time
