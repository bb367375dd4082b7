"""The chain engine shared by L1 and every rollup: state, execution, blocks."""
