"""What confirms a rollup block on L1, read two ways: by L1 itself and by the hub.

Filled in as the dispute-game and validity-verifier modules land.
"""

from interlace.protocol.hub.settling import FactReader


def settlement_readers() -> tuple[FactReader, ...]:
    """Readers of the confirmation logs the hub applies."""
    return ()
