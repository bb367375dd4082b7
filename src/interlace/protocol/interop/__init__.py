"""Cross-rollup interaction: self-contained event proofs and the messaging predeploys."""
