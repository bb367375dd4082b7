"""Settlement on L1: hub aggregates and the ``HubSettlement`` module (aggregated finalization)."""
