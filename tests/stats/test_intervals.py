"""Intervals across replicates match scipy.stats' own tests and handle the edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.stats.intervals import mean_interval, paired_difference_interval, welch_difference_interval


def test_the_mean_interval_is_students_t():
    values = np.array([3.0, 5.0, 4.0, 8.0, 6.0])
    mean, half = mean_interval(values)
    low, high = stats.t.interval(0.95, 4, loc=values.mean(), scale=stats.sem(values))
    assert (mean - half, mean + half) == pytest.approx((low, high))


def test_one_value_has_no_interval_and_equal_values_a_zero_one():
    assert math.isnan(mean_interval([2.0])[1]) and mean_interval([2.0, 2.0, 2.0]) == (2.0, 0.0)
    assert all(math.isnan(x) for x in mean_interval([]))


def test_paired_and_welch_intervals_agree_with_scipys_tests():
    base, other = np.array([1.0, 2.0, 3.0, 4.5]), np.array([2.0, 2.5, 5.0, 6.0])
    diff, half, n = paired_difference_interval(base, other)
    ci = stats.ttest_rel(other, base).confidence_interval()
    assert (diff - half, diff + half) == pytest.approx((ci.low, ci.high)) and n == 4
    diff, half, n = welch_difference_interval(base, other)
    ci = stats.ttest_ind(other, base, equal_var=False).confidence_interval()
    assert (diff - half, diff + half) == pytest.approx((ci.low, ci.high))
