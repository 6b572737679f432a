"""The processes of one step, one module per phase, each a function of
(state, scenario, rng, tick) that a test can call alone. :data:`sim.engine.market.PHASES` is the
order the model runs them in."""
