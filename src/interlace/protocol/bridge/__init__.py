"""The unified bridge: AggLayer's LxLy formats, claim verification and per-chain accounting.

``format`` (global index, token identity, exits, exit roots, metadata), ``smt`` (the sparse
Merkle tree of balances and nullifiers), ``claim`` (what ``claimAsset`` checks) and
``accounting`` (the pessimistic check of a chain's certificate, and the hub's ledger that
builds one). Pure values and functions; no time, no I/O.
"""
