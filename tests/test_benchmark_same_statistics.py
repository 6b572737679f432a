"""benchmarks/same_statistics.py: two versions' outcomes are compared across seeds (Welch);
an outcome whose mean moved beyond 3 standard errors is named, draws of one distribution
are "STATISTICALLY SAME"."""

import numpy as np
import pandas as pd

from benchmarks.same_statistics import compare, verdict


def _outcomes(rng: np.random.Generator, share_mean: float) -> pd.DataFrame:
    rows = []
    for seed in range(20):
        for supplier in ("A", "B"):
            rows.append({"case": "market", "seed": seed, "supplier": supplier,
                         "market_share": rng.normal(share_mean if supplier == "A" else 0.5, 0.02),
                         "cumulative_profit": rng.normal(1000.0, 50.0), "retention_rate": rng.normal(0.95, 0.01),
                         "share_early": 0.2, "share_development": 0.3, "share_long_term": 0.3, "share_final": 0.2})
        rows.append({"case": "market", "seed": seed, "supplier": "(market)", "escalation_exits": rng.poisson(5.0)})
    return pd.DataFrame(rows)


def test_outcomes_of_one_distribution_are_statistically_the_same():
    table = compare(_outcomes(np.random.default_rng(1), 0.5), _outcomes(np.random.default_rng(2), 0.5))
    assert set(table["outcome"]) >= {"market_share", "cumulative_profit", "escalation_exits"}
    assert verdict(table).endswith("STATISTICALLY SAME")


def test_a_mean_moved_beyond_three_standard_errors_is_named():
    table = compare(_outcomes(np.random.default_rng(1), 0.5), _outcomes(np.random.default_rng(2), 0.55))
    text = verdict(table)
    assert "STATISTICALLY SAME" not in text
    assert "MOVED market, A, market_share" in text
    assert "MOVED market, B" not in text
