"""What confirms a rollup block, read two ways: by L1 itself and by the hub.

A block is *confirmed* (DESIGN.md §4) when its validity proof was verified
or its fault-proof window passed unchallenged. Two readers of the same L1
facts must agree:

- **L1** (``is_block_confirmed``, the ``HubSettlement`` confirmation rule):
  while it settles an aggregate, each block must be confirmed in L1 state.
  A validity block must be proven (``ValidityVerifier``) with the same hash.
  An optimistic block carries a reference ``RLP(uint outputNumber)``: the
  output at that number resolved valid (``DisputeGameFactory``), and the
  aggregate's block at that number has the output's block hash, so the
  aggregate's parent links prove this block an ancestor of a valid output.
- **The hub** (``settlement_readers``): from logs in finalized L1 blocks it
  learns the same facts (``BlockProven``, ``GameResolved``) and raises
  blocks to CONFIRMED (``protocol.hub.settling``).
"""

from collections.abc import Mapping

from interlace.primitives.errors import InterlaceError
from interlace.primitives.receipt import Log
from interlace.primitives.rlp_codec import decode_rlp, read_u64
from interlace.primitives.tx import Transaction
from interlace.primitives.types import Hash32
from interlace.protocol.chain.state import WorldState
from interlace.protocol.hub.settling import FactKind, FactReader, SettlementFact
from interlace.protocol.l1.modules import RollupKind, read_rollup
from interlace.protocol.proofs.verifier_module import (
    VALIDITY_VERIFIER_ABI,
    VALIDITY_VERIFIER_ADDRESS,
    read_proven_block,
)
from interlace.protocol.settlement.aggregate import AggregateBlock

_BLOCK_PROVEN = VALIDITY_VERIFIER_ABI.event("BlockProven")


def is_block_confirmed(
    state: WorldState,
    block: AggregateBlock,
    blocks: Mapping[tuple[int, int], AggregateBlock],
) -> bool:
    """The L1 confirmation rule of ``HubSettlement`` (see the module docstring)."""
    rollup = read_rollup(state, block.chain_id)
    if rollup is None:
        return False
    if rollup.kind == RollupKind.VALIDITY:
        proven = read_proven_block(state, block.chain_id, block.number)
        return proven is not None and proven[0] == block.block_hash
    del blocks  # optimistic blocks: read with the dispute games (next)
    return False


def read_proven_fact(log: Log, _tx: Transaction) -> SettlementFact | None:
    """``BlockProven`` of the validity verifier → a PROVEN fact."""
    if (
        log.address != VALIDITY_VERIFIER_ADDRESS
        or not log.topics
        or log.topics[0] != _BLOCK_PROVEN.topic0
    ):
        return None
    chain_id, number, block_hash, _state_root = _BLOCK_PROVEN.decode_log(log.topics, log.data)
    return SettlementFact(FactKind.PROVEN, int(chain_id), int(number), Hash32(block_hash))


def settlement_readers() -> tuple[FactReader, ...]:
    """Readers of the confirmation logs the hub applies, besides settlement's own."""
    return (read_proven_fact,)


def read_output_reference(confirmation: bytes) -> int | None:
    """The output number an optimistic block's confirmation names (None if malformed)."""
    try:
        return read_u64(decode_rlp(confirmation))
    except InterlaceError:
        return None
