"""The reductions hold (issue 8, item 8): with switching costs and relational orientation at
0 and equal suppliers, shares converge to equal whatever the order of entry. An equal late
entrant ends at 1/n of the customers; without loyalty there is nothing for an incumbent to
keep and no novelty for an entrant to win on (drift of needs is felt as dissatisfaction,
not learnt as a lower expectation of the incumbent)."""

from __future__ import annotations

import numpy as np
import pytest
from support import small_scenario

from sim.observe.market import ObservedMarket

ENTRY, STEPS, SEEDS = 60, 180, 6


def late_entrant_share(strategy: str, sellers: int, seed: int, mechanisms: dict | None = None) -> float:
    """The late entrant's share of customers over the last year of the run."""
    scenario = small_scenario(
        [{"name": "Incumbent", "strategy": strategy, "count": sellers - 1, "adaptation_investment": 0.0},
         {"name": "Entrant", "strategy": strategy, "adaptation_investment": 0.0}],
        buyers=1000, steps=STEPS, seed=seed,
        segment={"relational_orientation": 0.0, "switching_cost": 0.0},
        mechanisms={"switching_costs": False, **(mechanisms or {})},
        events=[{"step": ENTRY, "kind": "supplier_entry", "supplier": "Entrant"}])
    market = ObservedMarket(scenario)
    market.run()
    frame = market.supplier_frame()
    last = frame[frame["step"] >= STEPS - 12].groupby("supplier", observed=True)["customers"].mean()
    return float(last["Entrant"] / last.sum())


@pytest.mark.parametrize("strategy", ["transactional", "basic"])
@pytest.mark.parametrize("sellers", [2, 3])
def test_an_equal_late_entrant_ends_at_an_equal_share(strategy, sellers):
    shares = np.array([late_entrant_share(strategy, sellers, seed) for seed in range(SEEDS)])
    half_width = 3 * shares.std(ddof=1) / np.sqrt(SEEDS)
    assert abs(shares.mean() - 1 / sellers) < max(half_width, 0.02), shares


def test_relationship_spending_earns_no_loyalty_premium_from_purely_transactional_buyers():
    """The relationship preset's incumbents keep no more than 1/n once what they deliver is
    equal too (adaptations and the key-account benefit add performance, which is not loyalty)
    and the entrant is known at once (the preset prospects little, so otherwise the last
    buyers hear of the entrant late)."""
    equal = {"adaptations": False, "key_accounts": False, "awareness_diffusion": False}
    shares = np.array([late_entrant_share("relationship", 2, seed, equal) for seed in range(SEEDS)])
    half_width = 3 * shares.std(ddof=1) / np.sqrt(SEEDS)
    assert abs(shares.mean() - 0.5) < max(half_width, 0.03), shares
