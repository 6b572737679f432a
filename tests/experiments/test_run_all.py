"""experiments/run_all.py --quick: the small versions write under NAME/quick/, never over the
published figures and tables."""

import re

from support import ROOT

from experiments.common import headline_lines
from experiments.run_all import main

FAST = ["ford_stages", "silent_defection", "complacency_entrant"]  # a second each


def test_the_quick_versions_never_write_over_the_published_figures():
    published = {p: p.read_bytes() for name in FAST for p in (ROOT / "experiments" / name).glob("*.*")
                 if p.suffix in (".png", ".csv", ".txt")}
    assert len(published) == 3 * len(FAST)  # figure, table, headline
    assert main(["--quick", *FAST]) == 0
    assert {p: p.read_bytes() for p in published} == published
    for name in FAST:
        quick = ROOT / "experiments" / name / "quick"
        assert (quick / "figure.png").stat().st_size > 0 and (quick / "table.csv").stat().st_size > 0
        assert (quick / "headline.txt").stat().st_size > 0


def test_the_summary_writes_each_headline_number_through_the_number_formatter(capsys):
    assert main(["--quick", "complacency_entrant"]) == 0
    out = capsys.readouterr().out
    assert "complacency_entrant (" in out
    # one number a line, percentages for the shares and rates, never a raw float's 16 digits
    assert re.search(r"^won_from_inattentive: \d+\.\d%$", out, re.M)
    assert re.search(r"^retention_adapting_basic: \d+\.\d%$", out, re.M)
    assert not re.search(r"\d\.\d{5,}", out)
    assert "{" not in out
    # and the same lines are kept beside the study's figure and table
    kept = (ROOT / "experiments" / "complacency_entrant" / "quick" / "headline.txt").read_text()
    assert kept.splitlines() == out[out.index("\n") + 1:].splitlines()


def test_an_unknown_headline_number_reads_as_the_formatter_writes_it():
    lines = headline_lines({"gain": float("nan"), "gain_half_width": 0.02, "share": 0.25,
                            "by_market": {"default": -0.6101706593593889}, "ratio": 4.923754363473895,
                            "interval": (-0.0764, 0.7499)},
                           {"gain": "relative", "share": "share", "by_market": "relative", "interval": "share"})
    assert lines == ["gain: –", "share: 25.0%", "by_market:", "  default: -61.0%", "ratio: 4.924",
                     "interval: -7.6% to 75.0%"]


def test_a_half_width_is_written_with_its_value():
    lines = headline_lines({"advantage_at_zero": -0.5308014605870262, "advantage_at_zero_half_width": 0.10084,
                            "difference_at_zero": -8894.69, "difference_at_zero_half_width": 1689.8},
                           {"advantage_at_*": "relative", "difference_at_*": "money"})
    assert lines == ["advantage_at_zero: -53.1% ± 10.1%", "difference_at_zero: -8,895 ± 1,690"]


def test_an_interval_that_is_not_symmetric_is_written_with_its_value_as_low_to_high():
    lines = headline_lines({"advantage_at_zero": -0.5308, "advantage_at_zero_low": -0.6555,
                            "advantage_at_zero_high": -0.4161, "gain": 0.05, "gain_low": float("nan"),
                            "gain_high": float("nan")}, {"advantage_at_*": "relative", "gain": "relative"})
    assert lines == ["advantage_at_zero: -53.1% (-65.5% to -41.6%)", "gain: 5.0% (no bounded 95% interval)"]


def test_a_range_over_runs_whose_ends_agree_reads_as_its_value_and_a_missing_end_says_so():
    lines = headline_lines({"loyalty_concentration": (0.9258, 0.9258), "exits_per_run": (3, 3),
                            "suppliers_per_buyer": (1.05712, 1.05738), "share": (0.35, 0.39),
                            "share_intervals": {"all four": (float("nan"), float("nan"))}},
                           {"loyalty_concentration": "score", "share*": "share"})
    assert lines == ["loyalty_concentration: 0.93", "exits_per_run: 3",
                     # the digits that tell the ends apart, never "1.057 to 1.057"
                     "suppliers_per_buyer: 1.0571 to 1.0574", "share: 35.0% to 39.0%",
                     "share_intervals:", "  all four: no bounded 95% interval"]
