"""Study (c) in its small version: basic pays with many small low-margin customers, a higher
level with few large high-margin ones, and margin changes the answer."""

from experiments.kotler_matrix.study import main
from sim.config.strategies import LEVELS


def test_the_most_profitable_level_depends_on_customers_and_margin():
    best = main(quick=True)
    assert best["many small customers, low margin"] == "basic"
    assert LEVELS.index(best["few large customers, high margin"]) >= LEVELS.index("accountable")
    assert best["few large customers, low margin"] != best["few large customers, high margin"]
