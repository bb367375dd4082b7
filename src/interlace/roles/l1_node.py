"""The L1 node role: produces settlement-chain blocks on a fixed interval.

It holds the canonical chain, its states and receipts, a mempool fed by
``SubmitL1Transaction``, and the safe and finalized heads (fixed depths
behind the head). A fault message ``InjectReorg(k)`` replaces the last k
blocks with blocks that leave their transactions out (they did not make it
into the winning fork), never reaching below the finalized head. Every block
is persisted as it is made; a restart replays the stored blocks.
"""

from dataclasses import dataclass
from typing import Final

from interlace.primitives.errors import InterlaceError
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import decode_header, encode_header
from interlace.primitives.receipt import Receipt
from interlace.primitives.rlp_codec import decode_rlp, encode_rlp, read_bytes, read_list
from interlace.primitives.tx import decode_transaction
from interlace.primitives.types import Hash32
from interlace.protocol.chain.block import Block, block_env, build_block, execute_block
from interlace.protocol.chain.execution import BlockEnv
from interlace.protocol.chain.mempool import Mempool
from interlace.protocol.chain.state import WorldState
from interlace.protocol.l1.genesis import L1Genesis, build_l1_genesis, l1_modules
from interlace.roles.base import (
    Broadcast,
    Effect,
    Event,
    MessageReceived,
    NodeId,
    PersistBatch,
    Role,
    SendMessage,
    SetTimer,
    Started,
    StoreView,
    TimerFired,
    Timestamp,
)
from interlace.roles.messages import (
    L1_BLOCKS_TOPIC,
    InjectReorg,
    L1BlockPublished,
    L1SyncRequest,
    SubmitL1Transaction,
)
from interlace.roles.records import (
    L1BlockMade,
    L1Reorg,
    L1ReorgRefused,
    L1TxRejected,
)

_BLOCK_KEY: Final = b"l1/block/"
_KEEP_STATES: Final = 256


@dataclass(frozen=True, slots=True)
class L1Params:
    """Timing and finality of the L1."""

    genesis: L1Genesis
    """Block 0."""
    block_time: float = 2.0
    """Seconds between blocks."""
    safe_depth: int = 2
    """Blocks behind the head that count as safe."""
    finality_depth: int = 6
    """Blocks behind the head that count as finalized."""


def encode_stored_block(block: Block) -> bytes:
    """Storage form of a block: RLP[header, [raw txs]]."""
    return encode_rlp([encode_header(block.header), [tx.raw for tx in block.transactions]])


def decode_stored_block(raw: bytes) -> Block:
    """Inverse of ``encode_stored_block``."""
    header_raw, txs = read_list(decode_rlp(raw), 2, "stored block")
    header = decode_header(read_bytes(header_raw))
    return Block(header, tuple(decode_transaction(read_bytes(t)) for t in read_list(txs)))


class L1Node(Role):
    """See the module docstring."""

    def __init__(self, node_id: NodeId, params: L1Params, store: StoreView) -> None:
        self.node_id = node_id
        self.params = params
        self.modules = l1_modules()
        genesis_header, genesis_state = build_l1_genesis(params.genesis)
        self.blocks: list[Block] = [Block(genesis_header, ())]
        self.states: dict[int, WorldState] = {0: genesis_state}
        self.receipts: list[tuple[Receipt, ...]] = [()]
        self.mempool = Mempool()
        self.finalized_number = 0
        self.reorg_count = 0
        self._restore(store)

    # ---- queries (used by checkers, tests and RPC) ---------------------------

    @property
    def head(self) -> Block:
        """Current head block."""
        return self.blocks[-1]

    @property
    def head_state(self) -> WorldState:
        """State after the head block."""
        return self.states[self.head.number]

    @property
    def safe_number(self) -> int:
        """Highest safe block number."""
        return max(0, self.head.number - self.params.safe_depth)

    def block_by_number(self, number: int) -> Block | None:
        """Canonical block at ``number``."""
        return self.blocks[number] if 0 <= number < len(self.blocks) else None

    def is_canonical(self, number: int, block_hash: Hash32) -> bool:
        """True if ``block_hash`` is the canonical block at ``number``."""
        block = self.block_by_number(number)
        return block is not None and block.hash == block_hash

    def next_env(self, timestamp: int) -> BlockEnv:
        """Execution environment of the next block."""
        return block_env(self.params.genesis.config, self.head.header, timestamp)

    # ---- events --------------------------------------------------------------

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        if isinstance(event, Started):
            return [self._arm(now)]
        if isinstance(event, TimerFired) and event.tag == "block":
            return [*self._produce(now), self._arm(now)]
        if isinstance(event, MessageReceived):
            message = event.message
            if isinstance(message, SubmitL1Transaction):
                return self._accept(message.raw, now)
            if isinstance(message, InjectReorg):
                return self._reorg(message.depth, message.drop_transactions)
            if isinstance(message, L1SyncRequest):
                return self._resend(event.sender, message.from_number)
        return []

    def loops(self) -> tuple[str, ...]:
        return ("block",)

    def _arm(self, now: Timestamp) -> SetTimer:
        interval = self.params.block_time
        next_slot = (int(now / interval) + 1) * interval
        if next_slot <= now:  # ``now / interval`` rounded down below a whole slot
            next_slot += interval
        return SetTimer("block", Timestamp(next_slot))

    def _accept(self, raw: bytes, now: Timestamp) -> list[Effect]:
        try:
            tx = decode_transaction(raw)
            self.mempool.add(tx, self.head_state, self.next_env(int(now)))
        except InterlaceError as exc:
            return [L1TxRejected(error=type(exc).__name__, reason=str(exc))]
        return []

    def _produce(self, now: Timestamp) -> list[Effect]:
        built = build_block(
            self.params.genesis.config,
            self.head.header,
            self.head_state,
            self.modules,
            self.mempool.candidates(),
            timestamp=int(now),
            prev_randao=_randao(self.head),
            parent_hash=self.head.hash,
        )
        self._append(built.block, built.state, built.receipts)
        self.mempool.prune(built.state)
        return [
            PersistBatch(((_block_key(built.block.number), encode_stored_block(built.block)),)),
            self._announce(built.block, built.receipts, None),
            L1BlockMade(
                number=built.block.number,
                hash=built.block.hash.hex()[:16],
                txs=len(built.block.transactions),
            ),
        ]

    def _append(self, block: Block, state: WorldState, receipts: tuple[Receipt, ...]) -> None:
        self.head_state.release_read_cache()  # only the head's is copied into new states
        self.blocks.append(block)
        self.states[block.number] = state
        self.receipts.append(receipts)
        self.states.pop(block.number - _KEEP_STATES, None)
        self.finalized_number = max(
            self.finalized_number, block.number - self.params.finality_depth
        )

    def _announce(
        self, block: Block, receipts: tuple[Receipt, ...], reorged_from: int | None
    ) -> Broadcast:
        return Broadcast(
            L1_BLOCKS_TOPIC,
            L1BlockPublished(
                block, receipts, self.safe_number, self.finalized_number, reorged_from
            ),
        )

    def _reorg(self, depth: int, drop_transactions: bool) -> list[Effect]:
        head = self.head.number
        depth = min(depth, head - self.finalized_number)
        if depth <= 0:
            return [L1ReorgRefused(reason="would revert finalized blocks")]
        fork_point = head - depth
        old = self.blocks[fork_point + 1 :]
        del self.blocks[fork_point + 1 :]
        del self.receipts[fork_point + 1 :]
        effects: list[Effect] = [
            L1Reorg(
                depth=depth,
                fork_point=fork_point,
                txs=sum(len(b.transactions) for b in old),
                txs_lost=drop_transactions,
            )
        ]
        writes: list[tuple[bytes, bytes | None]] = []
        self.reorg_count += 1
        for index, replaced in enumerate(old):
            built = build_block(
                self.params.genesis.config,
                self.head.header,
                self.states[self.head.number],
                self.modules,
                (),
                timestamp=replaced.header.timestamp,
                extra_data=b"reorg-" + replaced.hash[:8],
                prev_randao=_randao(self.head),
                parent_hash=self.head.hash,
            )
            self._append(built.block, built.state, built.receipts)
            writes.append((_block_key(built.block.number), encode_stored_block(built.block)))
            effects.append(
                self._announce(built.block, built.receipts, fork_point + 1 if index == 0 else None)
            )
        self.mempool.prune(self.head_state)
        if not drop_transactions:
            env = self.next_env(self.head.header.timestamp)
            for tx in sorted(
                (tx for block in old for tx in block.transactions), key=lambda t: t.nonce
            ):
                try:
                    self.mempool.add(tx, self.head_state, env)
                except InterlaceError:
                    continue
        effects.insert(0, PersistBatch(tuple(writes)))
        return effects

    def _resend(self, to: NodeId, from_number: int) -> list[Effect]:
        return [
            SendMessage(
                to,
                L1BlockPublished(
                    block, self.receipts[block.number], self.safe_number, self.finalized_number
                ),
            )
            for block in self.blocks[max(from_number, 0) :]
        ]

    # ---- restart -------------------------------------------------------------

    def _restore(self, store: StoreView) -> None:
        config = self.params.genesis.config
        for _key, raw in store.iterate_prefix(_BLOCK_KEY):
            block = decode_stored_block(raw)
            state, receipts = execute_block(
                config,
                self.head.header,
                self.head_state,
                self.modules,
                block,
                parent_hash=self.head.hash,
            )
            self._append(block, state, receipts)


def _block_key(number: int) -> bytes:
    return _BLOCK_KEY + number.to_bytes(8, "big")


def _randao(parent: Block) -> Hash32:
    """Deterministic stand-in for RANDAO: keccak of the parent's hash (documented)."""
    return keccak256(parent.hash)
