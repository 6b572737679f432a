"""What a supplier charges a particular buyer: its list price, or its introductory price for
a prospect and for a customer still in its first ``introductory_steps`` steps (Klemperer
1987, 1995: bargains then rip-offs). Shared by choice (what a buyer weighs), economics (what
is invoiced) and learning (a price rise on a customer is opportunism)."""

from __future__ import annotations

import numpy as np

from sim.engine.state import MarketState, Stage


def introductory_pricing(state: MarketState) -> bool:
    """Whether any supplier offers an introductory price (else every price is the list price)."""
    return bool(np.any((state.introductory_discount > 0) & (state.introductory_steps > 0)))


def order_price(state: MarketState, buyers: np.ndarray, suppliers: np.ndarray) -> np.ndarray:
    """Unit price each (buyer, supplier) order is charged this step."""
    price = state.price[suppliers]
    if not introductory_pricing(state):
        return price
    flat = buyers * state.n_suppliers + suppliers
    stage = np.take(state.stage.ravel(), flat)
    live = (stage >= Stage.EARLY) & (stage <= Stage.FINAL)
    tenure = state.step - np.take(state.start_step.ravel(), flat).astype(np.int64)
    intro = ~live | (tenure < state.introductory_steps[suppliers])
    return price * (1.0 - state.introductory_discount[suppliers] * intro)


def offer_prices(state: MarketState, buyers: np.ndarray) -> np.ndarray:
    """Rows of prices (float32) every supplier offers the given buyers this step."""
    price = state.price.astype(np.float32)
    if not introductory_pricing(state):
        return np.broadcast_to(price, (len(buyers), state.n_suppliers))
    stage = np.take(state.stage, buyers, axis=0)
    live = (stage >= Stage.EARLY) & (stage <= Stage.FINAL)
    tenure = state.step - np.take(state.start_step, buyers, axis=0).astype(np.int64)
    intro = ~live | (tenure < state.introductory_steps[None, :])
    return price[None, :] * (1.0 - state.introductory_discount.astype(np.float32)[None, :] * intro)
