"""What confirms a rollup block, read two ways: by L1 itself and by the hub.

A block is *confirmed* (DESIGN.md §4) when its validity proof was verified
or its fault-proof window passed unchallenged. Two readers of the same L1
facts must agree:

- **L1** (``is_block_confirmed``, the ``HubSettlement`` confirmation rule):
  while it settles an aggregate, each block must be confirmed in L1 state.
  A validity block must be proven (``ValidityVerifier``) with the same hash;
  L1 may hold proofs of other versions at that height (its proven blocks
  are a tree), and the aggregate's version is the one that counts.
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
from interlace.protocol.settlement.aggregate import AggregateBlock, read_settled_hash
from interlace.protocol.settlement.dispute import (
    DISPUTE_GAME_ABI,
    DISPUTE_GAME_ADDRESS,
    GameStatus,
    read_resolved_output,
)

_BLOCK_PROVEN = VALIDITY_VERIFIER_ABI.event("BlockProven")
_GAME_RESOLVED = DISPUTE_GAME_ABI.event("GameResolved")


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
        return read_proven_block(state, block.chain_id, block.number, block.block_hash) is not None
    output_number = read_output_reference(block.confirmation)
    if output_number is None or output_number < block.number:
        return False
    resolved = read_resolved_output(state, block.chain_id, output_number)
    if resolved is None or resolved.status != GameStatus.DEFENDER_WINS:
        return False
    covered = blocks.get((block.chain_id, output_number))
    # The output's block is in this aggregate with the output's hash; the aggregate's
    # parent links (checked by the settlement rules) make ``block`` one of its ancestors.
    return covered is not None and covered.block_hash == resolved.block_hash


def settled_state_root(state: WorldState, chain_id: int, number: int) -> Hash32 | None:
    """The state root of block ``number`` of a rollup, if L1 settled the block (an aggregate
    holds it) and knows its state root: the proven claim's for a validity rollup, the
    output's of a game resolved valid for an optimistic one (so only output blocks have
    one). None otherwise. The bridge takes a local exit root only under such a root."""
    settled = read_settled_hash(state, chain_id, number)
    rollup = read_rollup(state, chain_id)
    if settled is None or rollup is None:
        return None
    if rollup.kind == RollupKind.VALIDITY:
        return read_proven_block(state, chain_id, number, settled)
    resolved = read_resolved_output(state, chain_id, number)
    if resolved is None or resolved.status != GameStatus.DEFENDER_WINS:
        return None
    return resolved.state_root if resolved.block_hash == settled else None


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


def read_game_fact(log: Log, _tx: Transaction) -> SettlementFact | None:
    """``GameResolved`` of the dispute-game factory → OUTPUT_VALID or OUTPUT_INVALID.

    CHALLENGER_WINS says the *proposal* was false (a proposer can lie about a
    valid block, or lose on time), never that the block is invalid.
    """
    if (
        log.address != DISPUTE_GAME_ADDRESS
        or not log.topics
        or log.topics[0] != _GAME_RESOLVED.topic0
    ):
        return None
    _game, chain_id, number, block_hash, status = _GAME_RESOLVED.decode_log(log.topics, log.data)
    kind = FactKind.OUTPUT_VALID if status == GameStatus.DEFENDER_WINS else FactKind.OUTPUT_INVALID
    return SettlementFact(kind, int(chain_id), int(number), Hash32(block_hash))


def settlement_readers() -> tuple[FactReader, ...]:
    """Readers of the confirmation logs the hub applies, besides settlement's own."""
    return (read_proven_fact, read_game_fact)


def read_output_reference(confirmation: bytes) -> int | None:
    """The output number an optimistic block's confirmation names (None if malformed)."""
    try:
        return read_u64(decode_rlp(confirmation))
    except InterlaceError:
        return None
