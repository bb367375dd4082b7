"""Rollup rules: predeploy modules, L1 attributes, batches and derivation from L1."""
