"""Intervals across replicates match scipy.stats' own tests and handle the edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.stats.intervals import (
    fieller_interval,
    mean_interval,
    paired_difference_interval,
    payback_interval,
    ratio_of_differences_interval,
    stays_nonnegative_from,
    welch_difference_interval,
)


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


@pytest.mark.parametrize("n_base, n_other", [(2, 2), (3, 7), (10, 10), (40, 25)])
def test_the_intervals_are_scipy_stats_own_to_the_last_digits_at_every_size_and_level(n_base, n_other):
    # computed from scipy.special's t quantile (what scipy.stats calls) without importing scipy.stats
    rng = np.random.default_rng(n_base * 100 + n_other)
    for level in (0.8, 0.95, 0.99):
        base, other = rng.normal(5.0, 2.0, n_base), rng.normal(6.0, 0.5, n_other)
        mean, half = mean_interval(other, level)
        low, high = stats.t.interval(level, n_other - 1, loc=other.mean(), scale=stats.sem(other))
        assert (mean - half, mean + half) == pytest.approx((low, high), rel=1e-12)
        diff, half, _ = welch_difference_interval(base, other, level)
        ci = stats.ttest_ind(other, base, equal_var=False).confidence_interval(level)
        assert (diff - half, diff + half) == pytest.approx((ci.low, ci.high), rel=1e-12)
        if n_base == n_other:
            diff, half, _ = paired_difference_interval(base, other, level)
            ci = stats.ttest_rel(other, base).confidence_interval(level)
            assert (diff - half, diff + half) == pytest.approx((ci.low, ci.high), rel=1e-12)


def test_a_welch_interval_with_one_constant_side_takes_the_other_sides_spread():
    base, other = np.array([3.0, 3.0, 3.0]), np.array([4.0, 6.0, 5.0, 7.0])
    diff, half, _ = welch_difference_interval(base, other)
    ci = stats.ttest_ind(other, base, equal_var=False).confidence_interval()
    assert (diff - half, diff + half) == pytest.approx((ci.low, ci.high), rel=1e-12)


# --------------------------------------------------------------------------- ratios and paybacks


def test_fiellers_interval_holds_the_ratios_whose_linear_test_is_not_rejected():
    rng = np.random.default_rng(3)
    spend = rng.normal(100.0, 10.0, 20)
    profit = 1.5 * spend + rng.normal(0.0, 20.0, 20)
    ratio, low, high, n = ratio_of_differences_interval(np.zeros(20), profit, np.zeros(20), spend, paired=True)
    assert n == 20 and ratio == pytest.approx(profit.mean() / spend.mean()) and low < ratio < high
    t = stats.t.ppf(0.975, 19)
    for edge in (low, high):  # at each end, profit - R * spend is exactly at the t bound
        z = profit - edge * spend
        assert abs(z.mean()) / stats.sem(z) == pytest.approx(t)
    inside = profit - 0.5 * (low + high) * spend
    assert abs(inside.mean()) / stats.sem(inside) < t


def test_fiellers_interval_covers_the_true_ratio_95_times_in_100():
    rng = np.random.default_rng(8)
    hits, trials = 0, 2000
    for _ in range(trials):
        spend = rng.normal(10.0, 6.0, 15)  # the extra spend is noisy against its size
        profit = 2.0 * 10.0 + 0.8 * (spend - 10.0) + rng.normal(0.0, 15.0, 15)
        _, low, high, _ = ratio_of_differences_interval(np.zeros(15), profit, np.zeros(15), spend, paired=True)
        hits += bool(low <= 2.0 <= high) if np.isfinite(low) else 1  # unbounded: covers everything
    assert 0.93 <= hits / trials <= 0.97


def test_a_ratio_over_spend_indistinguishable_from_zero_has_no_interval():
    rng = np.random.default_rng(1)
    spend = rng.normal(0.5, 10.0, 20)
    profit = rng.normal(50.0, 10.0, 20)
    ratio, low, high, _ = ratio_of_differences_interval(np.zeros(20), profit, np.zeros(20), spend, paired=True)
    assert np.isfinite(ratio) and math.isnan(low) and math.isnan(high)
    assert all(math.isnan(x) for x in fieller_interval(1.0, 0.1, 0.1, 1.0, 0.0, 10))


def test_pairing_removes_the_luck_the_two_alternatives_share():
    rng = np.random.default_rng(4)
    luck = rng.normal(0.0, 50.0, 20)  # the same buyers in both runs of a pair
    base_profit, base_spend = 200 + luck, 100 + 0.5 * luck
    other_spend = base_spend + 20 + rng.normal(0.0, 1.0, 20)
    other_profit = base_profit + 30 + rng.normal(0.0, 3.0, 20)
    _, low_p, high_p, _ = ratio_of_differences_interval(base_profit, other_profit, base_spend, other_spend, True)
    _, low_u, high_u, _ = ratio_of_differences_interval(base_profit, other_profit, base_spend, other_spend, False)
    assert low_p < 1.5 < high_p and high_p - low_p < 0.3
    assert not np.isfinite(low_u) or high_u - low_u > 3 * (high_p - low_p)


def test_a_constant_extra_spend_scales_the_profit_interval():
    profit = np.array([10.0, 12.0, 11.0, 13.0])
    ratio, low, high, _ = ratio_of_differences_interval(np.zeros(4), profit, np.zeros(4), np.full(4, 2.0), True)
    mean, half = mean_interval(profit)
    assert (ratio, low, high) == pytest.approx((mean / 2, (mean - half) / 2, (mean + half) / 2))


def test_payback_is_when_the_gap_stays_above_zero_and_its_interval_when_its_bounds_do():
    assert stays_nonnegative_from([-3, -1, 2, -0.5, 1, 4]) == 4
    assert stays_nonnegative_from([1, 2]) == 0 and stays_nonnegative_from([1, -2]) is None
    steps = np.arange(30)
    rng = np.random.default_rng(2)
    gaps = (steps - 10.0)[None, :] * 5 + rng.normal(0.0, 10.0, (20, 30))  # crosses zero near step 10
    payback, earliest, latest = payback_interval(gaps)
    assert earliest <= payback <= latest and 7 <= payback <= 13
    means, halves = gaps.mean(axis=0), stats.sem(gaps, axis=0) * stats.t.ppf(0.975, 19)
    assert (means[latest:] - halves[latest:] >= 0).all() and means[latest - 1] - halves[latest - 1] < 0
    assert (means[earliest:] + halves[earliest:] >= 0).all() and means[earliest - 1] + halves[earliest - 1] < 0
    never = payback_interval(np.full((5, 4), -1.0) + rng.normal(0, 0.1, (5, 4)))
    assert never == (None, None, None)
