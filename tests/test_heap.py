"""The command line's heap: freed memory is reused, and memory touched ahead on another
thread spares the next arrays their page faults. Each case runs in a fresh interpreter,
as the settings hold for the whole process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from dashboard import heap

pytestmark = pytest.mark.skipif(heap._glibc() is None, reason="glibc's allocator only")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# 48 MiB of new arrays, written through, after the heap was (or was not) prepared
SCRIPT = textwrap.dedent("""
    import json, resource, sys
    import numpy as np
    from dashboard import heap
    keep, touch = sys.argv[1] == "1", sys.argv[2] == "1"
    kept = heap.keep_freed_memory() if keep else False
    thread = heap.touch_ahead(96 << 20) if touch else None
    if thread is not None:
        thread.join()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    arrays = [np.empty(2 << 20) for _ in range(3)]  # 16 MiB each
    for a in arrays:
        a.fill(1.0)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    print(json.dumps({"kept": kept, "thread": thread is not None, "faults": faults}))
""")


def _run(keep: bool, touch: bool) -> dict:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(int(keep)), str(int(touch))],
                         cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "NUMPY_MADVISE_HUGEPAGE": "0"})
    return json.loads(out.stdout)


def test_memory_touched_ahead_spares_the_next_arrays_their_page_faults():
    cold = _run(keep=True, touch=False)
    warm = _run(keep=True, touch=True)
    assert cold["kept"]
    assert warm["kept"]
    assert warm["thread"]
    pages = 48 * 1024 * 1024 // os.sysconf("SC_PAGE_SIZE")
    assert cold["faults"] > 0.9 * pages  # each new page faulted on first write
    assert warm["faults"] < 0.1 * pages


def test_nothing_is_touched_ahead_unless_freed_memory_is_kept():
    # without keep_freed_memory the touched pages would go straight back to the kernel
    result = _run(keep=False, touch=True)
    assert not result["thread"]
    assert result["faults"] > 0.9 * 48 * 1024 * 1024 // os.sysconf("SC_PAGE_SIZE")


def test_available_memory_is_read_from_the_kernel():
    assert 0 < heap.available_memory() < os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


WAITING = textwrap.dedent("""
    import json, resource, threading
    from dashboard import heap
    heap.keep_freed_memory()
    go, asked = threading.Event(), []

    def after():
        asked.append(threading.current_thread().name)
        go.wait()

    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    thread = heap.touch_ahead(96 << 20, after=after)
    thread.join(0.5)  # what it waits for has not come: nothing is touched meanwhile
    waiting = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    alive = thread.is_alive()
    go.set()
    thread.join()
    touched = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    print(json.dumps({"asked": asked, "waiting": waiting, "alive": alive, "touched": touched}))
""")


def test_memory_is_touched_only_once_what_it_waits_for_has_come():
    # the map waits for the gazetteer's load, which keeps the other core busy until then
    out = subprocess.run([sys.executable, "-c", WAITING], cwd=ROOT, capture_output=True,
                         text=True, check=True, env={**os.environ, "NUMPY_MADVISE_HUGEPAGE": "0"})
    result = json.loads(out.stdout)
    pages = 96 * 1024 * 1024 // os.sysconf("SC_PAGE_SIZE")
    assert result["asked"] == ["routemap-touch-ahead"]  # waited on its own thread
    assert result["alive"]
    assert result["waiting"] < 0.05 * pages
    assert result["touched"] > 0.9 * pages


def test_a_map_touches_memory_after_the_gazetteer_has_loaded(monkeypatch):
    from concurrent.futures import Future

    from dashboard.maps import cli_map
    from loaders import gazetteer

    calls = []
    monkeypatch.setattr(heap, "touch_ahead", lambda nbytes, after=None: calls.append(
        (nbytes, after)))
    waited = []
    monkeypatch.setattr(gazetteer, "wait_for_preload", lambda timeout: waited.append(timeout))
    table: Future = Future()
    table.set_result(type("Parsed", (), {"rows_read": 1_000_000})())
    cli_map._touch_heap_for(table)
    [(nbytes, after)] = calls
    assert nbytes == 1_000_000 * cli_map.HEAP_PER_ROW
    assert not waited
    after()
    assert waited == [cli_map.PRELOAD_WAIT]


def test_waiting_for_the_gazetteer_ends_when_its_preload_has():
    script = ("from loaders.gazetteer import preload_gazetteer, wait_for_preload\n"
              "print(wait_for_preload(0))\n"
              "preload_gazetteer()\n"
              "print(wait_for_preload(60))\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
