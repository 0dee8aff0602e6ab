"""The benchmarks' comparison refuses a ratio it cannot tell from noise, and says what still
holds (bench/common.py)."""

import pytest

from bench.common import compare


def test_a_ratio_is_reported_when_the_difference_beats_the_baseline_spread() -> None:
    comparison = compare([0.020, 0.021, 0.022, 0.020, 0.021], [0.010, 0.010, 0.011, 0.010, 0.010])
    assert comparison.is_reliable
    assert comparison.ratio_text() == "2.10"
    assert comparison.bound is None and comparison.explain() == ""


def test_within_the_noise_no_ratio_but_the_range_it_lies_in() -> None:
    baseline = [0.040, 0.045, 0.050, 0.055, 0.060]  # median 50 ms, IQR 45-55 ms
    comparison = compare([0.052, 0.053, 0.054, 0.055, 0.056], baseline)
    assert not comparison.is_reliable
    assert comparison.ratio is None and comparison.ratio_text() == "unreliable"
    assert comparison.bound == pytest.approx(1.2)
    assert comparison.explain().endswith("it lies between 0.80 and 1.20")
