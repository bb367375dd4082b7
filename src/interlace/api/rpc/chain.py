"""Read-only views of the chain a node holds, whatever role holds it.

``ChainView`` gives the RPC layer one shape over the L1 node (``L1Node``),
a sequencer (``Sequencer.chain``) and a verifier node (``VerifierNode.chain``,
the chain derived from L1): blocks, receipts, states, tags, the mempool.
It reads the role's in-memory state and never changes it.

``ChainIndex`` is the RPC layer's own index of transaction and block
hashes (roles keep blocks by number only). It follows the chain
incrementally: on every use it checks the indexed top against the node's
block at that height and drops what a reorg or a rewind replaced, so a hash
lookup never answers from a block that is no longer canonical.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field

from interlace.primitives.receipt import Receipt
from interlace.primitives.tx import Transaction
from interlace.primitives.types import Address, Hash32
from interlace.protocol.chain.block import Block, ChainConfig
from interlace.protocol.chain.mempool import Mempool
from interlace.protocol.chain.modules import NativeModule
from interlace.protocol.chain.state import WorldState
from interlace.protocol.rollup.chain import KEEP_STATES, RollupChain, StatePruned
from interlace.roles.base import Role
from interlace.roles.l1_node import L1Node
from interlace.roles.sequencer import Sequencer
from interlace.roles.verifier import VerifierNode


class ChainView(ABC):
    """One node's canonical chain, read-only (see the module docstring)."""

    kind: str
    """``l1``, ``sequencer`` or ``verifier``."""

    @property
    def chain_id(self) -> int:
        """EIP-155 chain id."""
        return int(self.config.chain_id)

    @property
    @abstractmethod
    def config(self) -> ChainConfig:
        """Static chain parameters."""

    @property
    @abstractmethod
    def modules(self) -> Mapping[Address, NativeModule]:
        """Native modules by address."""

    @abstractmethod
    def head(self) -> Block:
        """The head block."""

    @abstractmethod
    def block(self, number: int) -> Block | None:
        """Canonical block at ``number``."""

    @abstractmethod
    def receipts(self, number: int) -> tuple[Receipt, ...] | None:
        """Receipts of the canonical block at ``number``."""

    @abstractmethod
    def state(self, number: int) -> WorldState | None:
        """Post-state of block ``number`` if this node still keeps it."""

    @abstractmethod
    def kept_states(self) -> str:
        """Which states this node keeps, for the error on a pruned one."""

    def safe_number(self) -> int | None:
        """Highest safe block, or None if this node does not know it."""
        return None

    def finalized_number(self) -> int | None:
        """Highest finalized block, or None if this node does not know it."""
        return None

    def mempool(self) -> Mempool | None:
        """Pending transactions, if this node accepts any."""
        return None


class L1ChainView(ChainView):
    """The L1 node's chain."""

    kind = "l1"

    def __init__(self, role: L1Node) -> None:
        self.role = role

    @property
    def config(self) -> ChainConfig:
        return self.role.params.genesis.config

    @property
    def modules(self) -> Mapping[Address, NativeModule]:
        return self.role.modules

    def head(self) -> Block:
        return self.role.head

    def block(self, number: int) -> Block | None:
        return self.role.block_by_number(number)

    def receipts(self, number: int) -> tuple[Receipt, ...] | None:
        receipts = self.role.receipts
        return receipts[number] if 0 <= number < len(receipts) else None

    def state(self, number: int) -> WorldState | None:
        return self.role.states.get(number)

    def kept_states(self) -> str:
        return "the L1 node keeps the last 256 blocks' states"

    def safe_number(self) -> int | None:
        return self.role.safe_number

    def finalized_number(self) -> int | None:
        return self.role.finalized_number

    def mempool(self) -> Mempool | None:
        return self.role.mempool


class RollupChainView(ChainView):
    """A rollup chain held by a sequencer (unsafe head) or a verifier (derived, safe head)."""

    def __init__(self, role: Sequencer | VerifierNode) -> None:
        self.role = role
        self.kind = "sequencer" if isinstance(role, Sequencer) else "verifier"

    @property
    def chain(self) -> RollupChain:
        """The role's chain object."""
        return self.role.chain

    @property
    def config(self) -> ChainConfig:
        return self.chain.config

    @property
    def modules(self) -> Mapping[Address, NativeModule]:
        return self.chain.modules

    def head(self) -> Block:
        return self.chain.head

    def block(self, number: int) -> Block | None:
        return self.chain.block_at(number)

    def receipts(self, number: int) -> tuple[Receipt, ...] | None:
        receipts = self.chain.receipts
        return receipts[number] if 0 <= number < len(receipts) else None

    def state(self, number: int) -> WorldState | None:
        try:
            return self.chain.state_at(number)
        except StatePruned:
            return None

    def kept_states(self) -> str:
        return (
            f"a {self.kind} node keeps the last {KEEP_STATES} blocks' states, older ones only "
            "while it can still rewind to them"
        )

    def safe_number(self) -> int | None:
        role = self.role
        if isinstance(role, VerifierNode):
            return role.safe_head  # its whole chain is derived from L1
        return None  # a sequencer does not follow its own batches (docs/rpc.md)

    def finalized_number(self) -> int | None:
        role = self.role
        if not isinstance(role, VerifierNode):
            return None
        # OP's rule: finalized once the L1 block carrying its batch is finalized on L1.
        return role.carried_through(role.l1.finalized_number)

    def mempool(self) -> Mempool | None:
        return self.role.mempool if isinstance(self.role, Sequencer) else None


def chain_view_of(role: Role) -> ChainView | None:
    """The chain view of a role that holds a chain (None for the hub, relayer…)."""
    if isinstance(role, L1Node):
        return L1ChainView(role)
    if isinstance(role, Sequencer | VerifierNode):
        return RollupChainView(role)
    return None


@dataclass(frozen=True, slots=True)
class TxLocation:
    """Where a mined transaction is."""

    block: Block
    """Its block."""
    index: int
    """Its position in the block."""

    @property
    def transaction(self) -> Transaction:
        """The transaction itself."""
        return self.block.transactions[self.index]


@dataclass(slots=True)
class ChainIndex:
    """Transaction and block hashes of the canonical chain (see the module docstring)."""

    hashes: list[Hash32] = field(default_factory=list)
    """Indexed block hash by number."""
    blocks: dict[Hash32, int] = field(default_factory=dict)
    """Block hash → number."""
    transactions: dict[Hash32, tuple[int, int]] = field(default_factory=dict)
    """Transaction hash → (block number, index)."""
    block_transactions: list[tuple[Hash32, ...]] = field(default_factory=list)
    """Transaction hashes of each indexed block, by number (to drop them on a reorg)."""

    def sync(self, view: ChainView) -> None:
        """Catch up with ``view``: drop replaced blocks, add new ones."""
        head = view.head().number
        keep = min(len(self.hashes) - 1, head)
        while keep >= 0:
            block = view.block(keep)
            if block is not None and block.hash == self.hashes[keep]:
                break
            keep -= 1
        for number in range(len(self.hashes) - 1, keep, -1):
            self._drop(number)
        for number in range(keep + 1, head + 1):
            block = view.block(number)
            if block is None:
                break
            self._add(block)

    def _drop(self, number: int) -> None:
        old = self.hashes.pop()
        self.blocks.pop(old, None)
        for tx_hash in self.block_transactions.pop():
            if self.transactions.get(tx_hash, (-1, 0))[0] == number:
                del self.transactions[tx_hash]

    def _add(self, block: Block) -> None:
        self.hashes.append(block.hash)
        self.blocks[block.hash] = block.number
        self.block_transactions.append(tuple(tx.hash for tx in block.transactions))
        for index, tx in enumerate(block.transactions):
            self.transactions[tx.hash] = (block.number, index)

    def block_number(self, view: ChainView, block_hash: Hash32) -> int | None:
        """Number of the canonical block with ``block_hash``."""
        self.sync(view)
        return self.blocks.get(block_hash)

    def locate(self, view: ChainView, tx_hash: Hash32) -> TxLocation | None:
        """Where the canonical chain holds ``tx_hash``."""
        self.sync(view)
        found = self.transactions.get(tx_hash)
        if found is None:
            return None
        block = view.block(found[0])
        if block is None or block.transactions[found[1]].hash != tx_hash:
            return None
        return TxLocation(block, found[1])
