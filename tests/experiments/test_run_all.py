"""experiments/run_all.py --quick: the small versions write under NAME/quick/, never over the
published figures and tables."""

from support import ROOT

from experiments.run_all import main

FAST = ["ford_stages", "silent_defection", "complacency_entrant"]  # a second each


def test_the_quick_versions_never_write_over_the_published_figures():
    published = {p: p.read_bytes() for name in FAST for p in (ROOT / "experiments" / name).glob("*.*")
                 if p.suffix in (".png", ".csv")}
    assert len(published) == 2 * len(FAST)
    assert main(["--quick", *FAST]) == 0
    assert {p: p.read_bytes() for p in published} == published
    for name in FAST:
        quick = ROOT / "experiments" / name / "quick"
        assert (quick / "figure.png").stat().st_size > 0 and (quick / "table.csv").stat().st_size > 0
