"""Ethereum- and OP-Stack-compatible formats and cryptography.

Everything here is pure: bytes in, typed values out, typed errors on bad
input. Nothing here knows about rollups, hubs or time.
"""
