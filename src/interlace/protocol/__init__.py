"""Protocol rules: the chain engine, L1, rollups, the hub, interop, settlement and proofs.

The subpackages: ``chain`` (state, execution, blocks and the mempool, shared by
L1 and every rollup), ``l1`` (the settlement chain's native modules, genesis and
``L1View``), ``rollup`` (predeploys, batches, derivation and ``RollupChain``),
``hub`` (light clients, dependency safety, hub blocks and their state),
``interop`` (cross-rollup event proofs and the messenger), ``settlement``
(output roots, fault dispute games, hub aggregates and what confirms a block)
and ``proofs`` (validity proofs: witnesses and the L1 ``ValidityVerifier``).
Pure functions and small state objects over ``interlace.primitives``; no
time, no I/O. Roles in ``interlace.roles`` call into this package.
"""
