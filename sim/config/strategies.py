"""Strategy presets: named bundles of supplier policy parameters.

A scenario refers to a preset by name, defines its own in ``[strategies.NAME]`` with
``based_on = "PRESET"`` and any fields to change, or overrides fields inline on a supplier.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sim.config.schema import param

#: Kotler's five levels of relationship, in order of intensity.
LEVELS = ("basic", "reactive", "accountable", "proactive", "partnership")
BASIC, REACTIVE, ACCOUNTABLE, PROACTIVE, PARTNERSHIP = range(5)


@dataclass
class Strategy:
    description: str = param("", "What this strategy stands for.")
    markup: float = param(0.25, "Price = unit cost x (1 + markup).", "fraction", 0.0, 100.0)
    acquisition_contacts: float = param(1.0, "Acquisition contacts per unaware buyer per step "
                                        "(advertising, sales calls); each costs "
                                        "behaviour.cost_per_contact.", "contacts", 0.0, 1e6)
    level: str = param("basic", "Kotler's level of relationship.", choices=LEVELS)
    treatment: str = param("all", "Which customers get the level, retention spend and "
                           "adaptations: all, or key accounts only (the rest get basic).",
                           choices=("all", "key_accounts"))
    key_account_managers: int = param(0, "Dedicated key-account managers.", "managers", 0, 1_000_000)
    accounts_per_manager: int = param(5, "Largest customers each manager takes on.", "accounts", 1,
                                      1_000_000)
    retention_spend: float = param(0.0, "Spend per treated customer per step on retention "
                                   "(loyalty programmes, service).", "money/step", 0.0, 1e6)
    retention_benefit: float = param(2.0, "Relationship benefit per unit of retention spend "
                                     "(a commitment driver).", "1/money", 0.0, 1e6)
    adaptation_investment: float = param(0.0, "Adaptation stock added per step to committed "
                                         "relationships.", "units/step", 0.0, 100.0)
    drops_unprofitable: bool = param(False, "Reviews customers and drops those of negative "
                                     "recent net value.")
    complacency: float = param(1.0, "Share of a buyer's need drift that goes unnoticed in "
                               "habitual (long-term, final) relationships.", "", 0.0, 1.0)
    serves_loyal_first: bool = param(False, "When capacity binds, serve loyal customers first "
                                     "(Kirman & Vriend).")
    # --- relationship economics: tenure-dependent prices (Klemperer's bargains then rip-offs)
    introductory_discount: float = param(0.0, "Price cut offered to prospects and to customers "
                                         "in their first introductory_steps steps (an "
                                         "introductory offer).", "fraction", 0.0, 1.0)
    introductory_steps: int = param(0, "Steps of tenure the introductory price lasts.", "steps",
                                    0, 10_000)


_TRANSACTIONAL = Strategy(
    description="Win on price: low markup (0.2), heavy acquisition (2 contacts a prospect), basic "
                "service, no key accounts, no adaptations, no retention spend.",
    markup=0.2, acquisition_contacts=2.0, level="basic", complacency=1.0)

_RELATIONSHIP = Strategy(
    description="Win on relationships: price premium (markup 0.35), light acquisition (0.5 "
                "contacts), retention spend, proactive service, key-account managers for the "
                "largest customers, adaptations, drops unprofitable customers.",
    markup=0.35, acquisition_contacts=0.5, level="proactive", key_account_managers=2,
    accounts_per_manager=5, retention_spend=0.05, adaptation_investment=0.02,
    drops_unprofitable=True, complacency=0.3, serves_loyal_first=True)


def _kotler(level: str) -> Strategy:
    # The ladder holds everything but the level equal, so comparing rungs isolates it.
    # A small adaptation budget lets every rung reach the long-term stage (which needs
    # adaptations), so the ladder differs in service alone.
    return Strategy(description=f"Kotler's {level} level, everything else held at a "
                                f"middle setting.", markup=0.25, acquisition_contacts=1.0,
                    level=level, adaptation_investment=0.01)


PRESETS: dict[str, Strategy] = {
    "transactional": _TRANSACTIONAL,
    "relationship": _RELATIONSHIP,
    **{level: _kotler(level) for level in LEVELS},
    "segmented": dataclasses.replace(
        _RELATIONSHIP, treatment="key_accounts", markup=0.25, acquisition_contacts=1.5,
        description="Relationship treatment (proactive, retention spend, adaptations) for key "
                    "accounts only; transactional treatment for everyone else; markup 0.25, 1.5 "
                    "contacts a prospect."),
    "key_account_management": dataclasses.replace(
        _RELATIONSHIP, treatment="key_accounts", level="partnership", markup=0.3,
        acquisition_contacts=1.0, key_account_managers=4, accounts_per_manager=5,
        retention_spend=0.2, adaptation_investment=0.03, drops_unprofitable=False,
        description="Key-account management: dedicated managers and partnership-level care "
                    "(joint problem solving, adaptations, retention spend) for the largest "
                    "accounts only; basic service for the rest; markup 0.3, 1 contact a prospect."),
    "bargains_then_ripoffs": dataclasses.replace(
        _TRANSACTIONAL, markup=0.5, introductory_discount=0.25, introductory_steps=6,
        description="Klemperer's bargains then rip-offs: a low introductory price (25% off for "
                    "prospects and a customer's first 6 steps) to win buyers, then a high "
                    "markup on the locked-in; basic service."),
}
