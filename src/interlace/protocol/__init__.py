"""Protocol rules: the chain engine, L1 settlement modules, rollup derivation and (later) the hub.

Pure functions and small state objects over ``interlace.primitives``; no
time, no I/O. Roles in ``interlace.roles`` call into this package.
"""
