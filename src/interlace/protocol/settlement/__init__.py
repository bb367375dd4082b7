"""Settlement on L1: output roots, fault dispute games, hub aggregates and confirmation.

``outputs`` (the output root of an L2 block), ``dispute`` and ``trace`` (fault
dispute games and their one-step proof), ``aggregate`` (hub aggregates and the
``HubSettlement`` module, aggregated finalization) and ``confirmation`` (what
confirms a rollup block, read by L1 and by the hub).
"""
