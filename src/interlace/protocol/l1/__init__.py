"""The L1 settlement chain's native modules: rollup registry, batch inbox, deposit portal."""
