"""The hub: light clients per rollup, dependency safety, hub blocks and their state."""
