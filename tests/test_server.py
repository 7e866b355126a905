"""``routemap serve``'s process: Streamlit's command line, and the work begun before a
visitor connects (the browser tests start the real server)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.cli import streamlit_options


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


def test_the_server_process_passes_its_arguments_to_streamlit() -> None:
    done = subprocess.run([sys.executable, "-m", "dashboard.server", "version"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Streamlit, version")


def test_the_warm_up_starts_only_once_streamlit_is_imported() -> None:
    """Started first, its thread imported streamlit while the main thread did, and a
    server exited at start: 'DeltaGeneratorSingleton instance already exists!'."""
    done = run(
        "import sys, threading\n"
        "seen = []\n"
        "start = threading.Thread.start\n"
        "def recording(self):\n"
        "    if self.name == 'routemap-warm-up':\n"
        "        seen.append('streamlit.web.cli' in sys.modules)\n"
        "    return start(self)\n"
        "threading.Thread.start = recording\n"
        "from dashboard import server\n"
        "sys.argv = ['server', 'version']\n"
        "try:\n"
        "    server.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(seen, file=sys.stderr)\n"
    )
    assert done.stderr.strip().splitlines()[-1] == "[True]"


def test_warm_up_imports_the_pages_modules_and_reads_the_gazetteer() -> None:
    done = run(
        "import sys\n"
        "from dashboard.server import warm_up\n"
        "assert 'folium' not in sys.modules\n"
        "warm_up(wait_s=0.1)  # no server here: it stops waiting and warms up anyway\n"
        "import loaders.gazetteer as g\n"
        "print('folium' in sys.modules, 'dashboard.views.map_cache' in sys.modules,\n"
        "      g._cached is not None)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"]


def test_streamlit_takes_the_private_offline_options_as_given() -> None:
    """Streamlit itself reads the options ``routemap serve`` passes: a misspelt one would
    be refused here, not silently ignored on a government network."""
    done = subprocess.run([sys.executable, "-m", "dashboard.server", "config", "show",
                           *streamlit_options("127.0.0.1", 8599)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    settings = dict(line.split(" = ", 1) for line in done.stdout.splitlines() if " = " in line)
    assert settings["address"] == '"127.0.0.1"'
    assert settings["gatherUsageStats"] == "false"  # no telemetry
    assert settings["showErrorDetails"] == '"none"'  # no data in error messages
    assert settings["showErrorLinks"] == '"false"'  # no links off the machine
    assert settings["enableStaticServing"] == "true"  # Leaflet served by the app
    assert settings["paddingTop"] == '"1rem"'


def test_stopping_routemap_serve_stops_the_server(tmp_path) -> None:
    """`kill PID` of `routemap serve` left its Streamlit child serving on the port."""
    import contextlib
    import os
    import signal
    import socket
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    routemap = Path(sys.executable).with_name("routemap")
    env = {**os.environ, "ROUTEMAP_HOME": str(tmp_path)}
    with subprocess.Popen([str(routemap), "serve", "--port", str(port)], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          start_new_session=True) as proc:
        try:
            url = f"http://127.0.0.1:{port}/_stcore/health"
            for _ in range(240):
                try:
                    with urllib.request.urlopen(url, timeout=1) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    time.sleep(0.25)
            else:
                raise AssertionError("routemap serve did not become healthy")
            proc.send_signal(signal.SIGTERM)  # the process started, not its group
            assert proc.wait(timeout=20) is not None
            time.sleep(0.5)
            with pytest.raises(urllib.error.URLError), urllib.request.urlopen(url, timeout=1):
                pass
        finally:
            # the whole group: with the old child-process server, the child outlived it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
