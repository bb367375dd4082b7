"""The deterministic simulator: virtual time, a seeded network and fault injection."""
