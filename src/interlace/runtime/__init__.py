"""Runtimes that drive the sans-IO roles: the deterministic simulator and the live devnet."""
