"""The Mesa face of the engine: ``RelationshipMarket`` (a ``mesa.Model``) and the ``Supplier``
and ``Buyer`` agents, views onto the engine's arrays."""
