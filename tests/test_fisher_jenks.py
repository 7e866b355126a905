"""Natural breaks: the same as mapclassify's, on every kind of input a map meets."""

from __future__ import annotations

import warnings

import mapclassify
import numpy as np
import pytest

from dashboard.maps.fisher_jenks import fisher_jenks_bins
from dashboard.maps.hotspot_map import classify


def mapclassify_fisher_jenks(values: np.ndarray, k: int) -> mapclassify.FisherJenks:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Numba not installed": its slow path is the reference
        return mapclassify.FisherJenks(values, k=k)


def samples(seed: int):
    """Counts as maps have them: heavy-tailed, few distinct values with many ties, and
    spread reals."""
    rng = np.random.default_rng(seed)
    for trial in range(60):
        n, k = int(rng.integers(5, 90)), int(rng.integers(2, 8))
        values = [np.round(rng.lognormal(2, 1.5, n)), rng.integers(0, 6, n).astype(float),
                  rng.random(n) * 1e6][trial % 3]
        if len(np.unique(values)) >= k:
            yield values, k


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_breaks_equal_mapclassifys(seed):
    compared = 0
    for values, k in samples(seed):
        expected = mapclassify_fisher_jenks(values, k).bins
        np.testing.assert_array_equal(fisher_jenks_bins(values, k), expected)
        compared += 1
    assert compared > 40


def test_classes_equal_mapclassifys_on_a_real_sized_input():
    values = np.round(np.random.default_rng(9).lognormal(3, 1.5, 400))
    yb, bins = classify(values, 5)
    reference = mapclassify_fisher_jenks(values, 5)
    np.testing.assert_array_equal(yb, reference.yb)
    assert bins == pytest.approx(list(reference.bins))


def test_the_last_bound_is_the_largest_value_and_bounds_rise():
    values = np.array([1, 1, 2, 3, 40, 41, 400, 9000], dtype=float)
    bins = fisher_jenks_bins(values, 4)
    assert bins[-1] == 9000
    assert np.all(np.diff(bins) > 0)


@pytest.mark.parametrize("scheme", ["fisher_jenks", "quantiles", "equal_interval"])
def test_every_scheme_gives_rising_bounds_that_hold_every_value(scheme):
    values = np.round(np.random.default_rng(4).lognormal(3, 1.5, 300))
    yb, bins = classify(values, 5, scheme)
    assert bins == sorted(bins)
    assert bins[-1] == values.max()
    assert set(yb) == set(range(5))
    for cls, upper in enumerate(bins):
        lower = bins[cls - 1] if cls else -np.inf
        assert np.all((values[yb == cls] > lower) & (values[yb == cls] <= upper))


def test_a_hotspot_map_with_natural_breaks_does_not_import_mapclassify():
    """Its import (scipy.stats, scikit-learn) took 0.75 s of a hotspot map."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from loaders.load import load_dataset\n"
            "from dashboard.maps.hotspot_map import compute_hotspots, hotspot_map\n"
            "hot = compute_hotspots(load_dataset('demo'))\n"
            "hotspot_map(hot).get_root().render()\n"
            "print('mapclassify' in sys.modules, len(hot.cells) > 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["False", "True"]
