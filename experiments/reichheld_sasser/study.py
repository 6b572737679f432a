"""Study (b): Reichheld & Sasser (1990) — profit gained per point of retention.

Intervention: the focal supplier (Partners 1, "you", relationship strategy) runs a more
effective retention programme — the same retention spend buys ten times the relationship
benefit (``retention_benefit`` 2 -> 20), a commitment driver — and changes nothing else:
same prices, service level, spend and rivals, same seeds (common random numbers). We measure
its annual retention (monthly retention to the 12th power) and its cumulative profit, and
scale the profit gain to +5 points of annual retention. Then each of Reichheld & Sasser's
sources of value with tenure is switched off in turn (in both arms), and its share of the
effect is the part of the profit gain that goes with it (the four overlap, so the shares
need not add up; with all four off what is left is base profit from the longer lives)."""

from __future__ import annotations

from pathlib import Path

from experiments.common import annual, b2b, keep_versus_win, paired, save_figure, save_table

HERE = Path(__file__).resolve().parent
#: Reichheld & Sasser's sources of a customer's growing value, as [mechanisms] switches;
#: base profit is what remains with all of them off.
SOURCES = {"growing purchases": "growing_purchases", "lower cost to serve": "habitual_cost_saving",
           "referrals": "referrals", "price premium": "price_premium"}


def effect(quick: bool, replicates: int, **overrides) -> dict:
    scenario = b2b(quick, **{"strategies.retained.based_on": "relationship",
                             "strategies.retained.retention_benefit": 20.0, **overrides})
    r = paired(scenario, "relationship,retained", replicates)
    before, after = annual(r["relationship"]["retention"]), annual(r["retained"]["retention"])
    gain = r["retained"]["relative_advantage"]
    points = 100 * (after - before)
    return {"annual_retention": before, "retention_points": points, "profit_gain": gain,
            "keep_versus_win": keep_versus_win(r["relationship"]),
            "profit_gain_per_5_points": 5 * gain / points if points > 0 else float("nan")}


def main(quick: bool = False) -> dict:
    # the small version writes beside the full one, never over the published figure
    out = HERE / "quick" if quick else HERE
    out.mkdir(exist_ok=True)
    replicates = 3 if quick else 10
    rows = [{"switched_off": "nothing", **effect(quick, replicates)}]
    for label, switch in SOURCES.items():
        rows.append({"switched_off": label, **effect(quick, replicates, **{f"mechanisms.{switch}": False})})
    rows.append({"switched_off": "all four", **effect(quick, replicates, **{
        f"mechanisms.{s}": False for s in SOURCES.values()})})
    full = rows[0]["profit_gain_per_5_points"]
    # a source's share: the part of the intervention's profit gain that goes when it is off
    # (the four overlap, so their shares need not add up; "all four" off leaves base profit)
    for row in rows:
        row["share_of_effect"] = 1 - row["profit_gain"] / rows[0]["profit_gain"]
    save_table(rows, out / "table.csv")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot()
    labels = [r["switched_off"] for r in rows]
    ax.barh(labels, [100 * r["profit_gain_per_5_points"] for r in rows], color="#4477aa")
    ax.axvspan(25, 85, color="#ddcc77", alpha=0.4, label="Reichheld & Sasser: +25% to +85%")
    ax.invert_yaxis()
    ax.set_xlabel("profit gained per +5 points of annual retention, %")
    ax.set_ylabel("mechanism switched off")
    ax.legend(loc="lower right", fontsize=8)
    save_figure(fig, out / "figure.png")
    return {"annual_retention": rows[0]["annual_retention"],
            "keep_versus_win": rows[0]["keep_versus_win"],
            "profit_gain_per_5_points": full,
            "shares": {r["switched_off"]: r["share_of_effect"] for r in rows[1:]}}


if __name__ == "__main__":
    print(main())
