"""Benchmark of the dashboard as a user meets it (DESIGN §10), not a test.

    .venv/bin/python tests/bench/bench_dashboard.py

Starts ``routemap serve`` on a free port (temporary ROUTEMAP_HOME) and drives Debian's
/usr/bin/chromium with Playwright, network off this machine aborted. Prints, side by
side in one run:

- cold start: from launching ``routemap serve`` to the first route map drawn (Leaflet
  paths inside the st_folium iframe);
- warm filter changes on the demo data (target < 0.5 s): a new minimum flow (flows,
  map and payload computed), then back to a value seen before (all from the cache),
  each from the key press to the redrawn map;
- the server-side steps of one uncached redraw, timed in this process: flows, folium
  map, component payload.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the browser tests' helpers

from _browser import MAP_IFRAME, ROUTEMAP, free_port, launch, offline_page


def paths(page) -> int:
    """Leaflet overlay paths in the (newest) map iframe; 0 while it is not drawn."""
    try:
        return page.frame_locator(MAP_IFRAME).first.locator(".leaflet-overlay-pane path").count()
    except Exception:  # the iframe is being replaced
        return 0


def wait_until(page, cond, timeout_s: float = 60.0, step_ms: int = 20) -> float:
    """Poll ``cond`` every ``step_ms``; return the seconds it took (inf on timeout)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        if cond():
            return time.perf_counter() - t0
        page.wait_for_timeout(step_ms)
    return float("inf")


def running(page) -> bool:
    return page.locator('[data-testid="stStatusWidget"]').count() > 0


def set_min_flow(page, value: int) -> float:
    """Type a minimum flow and press Enter; seconds until the new map is drawn."""
    box = page.get_by_label("Minimum cases on a corridor")
    before = paths(page)
    box.fill(str(value))
    t0 = time.perf_counter()
    box.press("Enter")
    wait_until(page, lambda: paths(page) not in (0, before) and not running(page))
    return time.perf_counter() - t0


def server_steps() -> dict[str, float]:
    """One uncached redraw's server-side steps, in this process (streamlit-free)."""
    from dashboard.maps.flow_map import flow_layers
    from dashboard.maps.flows import compute_flows
    from dashboard.state import ViewState
    from dashboard.views import map_cache
    from loaders.load import load_dataset

    ds = load_dataset("demo")
    countries = map_cache.countries()
    state = ViewState(min_flow=37)
    opts = map_cache.flow_map_options(state)
    warm = compute_flows(ds, state.to_flow_query(), countries=countries)
    map_cache.payload_of(opts.base_map(), flow_layers(warm, opts))  # imports, first renders
    t0 = time.perf_counter()
    result = compute_flows(ds, state.to_flow_query(), countries=countries)
    t1 = time.perf_counter()
    base, layers = opts.base_map(), flow_layers(result, opts)
    t2 = time.perf_counter()
    map_cache.payload_of(base, layers)
    t3 = time.perf_counter()
    return {"flows": t1 - t0, "folium map": t2 - t1, "payload": t3 - t2}


def main() -> None:
    port = free_port()
    outside: list[str] = []
    with tempfile.TemporaryDirectory() as home, launch() as browser, \
            offline_page(browser, outside, 1440, 1300) as page:
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(ROUTEMAP), "serve", "--port", str(port)],
                                env={**os.environ, "ROUTEMAP_HOME": home},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            healthy = False
            while time.perf_counter() - t0 < 90 and not healthy:
                try:
                    healthy = page.goto(f"{url}/_stcore/health").ok
                except Exception:
                    page.wait_for_timeout(100)
            t_health = time.perf_counter() - t0
            page.goto(url)
            wait_until(page, lambda: paths(page) > 20, timeout_s=90)
            t_cold = time.perf_counter() - t0
            page.get_by_text("Map settings").click()
            page.wait_for_timeout(300)
            miss = [set_min_flow(page, v) for v in (40, 60)]
            hit = [set_min_flow(page, v) for v in (40, 60)]
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
    steps = server_steps()
    print(f"{'cold start: serve -> healthy':45s} {t_health:6.2f} s")
    print(f"{'cold start: serve -> first route map drawn':45s} {t_cold:6.2f} s")
    print(f"{'warm filter change, new value (uncached)':45s} "
          + "  ".join(f"{t:5.2f} s" for t in miss))
    print(f"{'warm filter change, value seen (cached)':45s} "
          + "  ".join(f"{t:5.2f} s" for t in hit) + "   target < 0.5 s")
    print("server side of one uncached redraw:        "
          + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in steps.items()))
    print(f"requests off this machine: {len(outside)}"
          + (f" (e.g. {outside[0]})" if outside else ""))


if __name__ == "__main__":
    main()
