"""Interlace: an aggregation hub that makes many rollups feel like one chain.

The package is layered as DESIGN.md §6 describes: ``primitives`` (formats and
cryptography) under ``protocol`` (rules) under ``roles`` (sans-IO state
machines) under ``runtime`` (simulator and live) under ``api``/``cli``.
Imports only ever point down that list.
"""

__version__ = "0.1.0"
