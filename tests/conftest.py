"""Fixtures shared across test files."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole run."""
    from _browser import launch

    with launch() as b:
        yield b
