"""A rollup's chain: genesis, block building from derivation inputs, and replay.

``RollupChain`` is what the sequencer and the verifier node both hold: the
canonical blocks with their states and receipts. The sequencer extends it
with ``build_next`` from its mempool; the verifier extends it with the same
function from batch data, so an honest sequencer's block and the derived
block are byte-identical.

A chain keeps every block but not every state, as a non-archive Ethereum
node does: the role that holds it calls ``release_states_below(floor)``
with the lowest block it may still read a state of or rewind to, and the
chain drops older states unless they are among the last ``KEEP_STATES``
below the head. Reading a released state, or rewinding to a block whose
state is gone, raises ``StatePruned``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from interlace.primitives.errors import MisuseError
from interlace.primitives.receipt import Receipt
from interlace.primitives.tx import Transaction
from interlace.primitives.types import U64, Address, ChainId, Hash32
from interlace.protocol.bridge.module import (
    BRIDGE_ADDRESS,
    L2_EXIT_ROOT_MANAGER_ADDRESS,
    ExitRootManager,
    UnifiedBridge,
    configure_bridge,
)
from interlace.protocol.bridge.token import token_family
from interlace.protocol.chain.block import (
    Block,
    BuiltBlock,
    ChainConfig,
    build_block,
    execute_block,
    genesis_header,
)
from interlace.protocol.chain.modules import ModuleMap, NativeModule, install_module
from interlace.protocol.chain.state import WorldState
from interlace.protocol.interop.messenger import (
    HubClient,
    Messenger,
    MessengerConfig,
    configure_messenger,
    dependencies_of,
    dependency_deposit,
    hub_update_deposit,
)
from interlace.protocol.rollup.derivation import L1Origin, attributes_deposit
from interlace.protocol.rollup.predeploys import L1Block, read_l1_origin

KEEP_STATES: Final = 256
"""States below the head a chain keeps whatever its role's floor (geth keeps 128).

Not needed for safety (each role's floor covers what it reads and where it
can rewind); it keeps recent states for RPC reads at recent blocks.
"""


class StatePruned(MisuseError):
    """A caller read, or rewound to, a block whose state the chain released."""


@dataclass(frozen=True, slots=True)
class RollupGenesis:
    """Block 0 of a rollup."""

    chain_id: ChainId
    """The rollup's chain id."""
    l1_origin: L1Origin
    """The L1 block the rollup starts from."""
    timestamp: int
    """Genesis timestamp."""
    alloc: Mapping[Address, int] = field(default_factory=dict)
    """Prefunded balances."""
    messenger: MessengerConfig | None = None
    """Trust mode, hub key and peers of the messenger (None: opt-out, no hub)."""
    network_id: int | None = None
    """The rollup's AggLayer network id (1 + its registration order); None leaves the
    bridge unconfigured, refusing every call."""


def rollup_modules() -> ModuleMap:
    """The predeploys every rollup runs, and its wrapped ERC-20 tokens (``bridge.token``)."""
    modules: list[NativeModule] = [
        L1Block(),
        Messenger(),
        HubClient(),
        UnifiedBridge(),
        ExitRootManager(L2_EXIT_ROOT_MANAGER_ADDRESS),
    ]
    return ModuleMap({m.address: m for m in modules}, [token_family(BRIDGE_ADDRESS)])


class RollupChain:
    """Canonical rollup blocks with states and receipts."""

    def __init__(self, genesis: RollupGenesis) -> None:
        self.genesis = genesis
        self.config = ChainConfig(genesis.chain_id)
        self.modules = rollup_modules()
        state = WorldState()
        for module in self.modules.values():
            install_module(state, module)
        for address, balance in genesis.alloc.items():
            state.add_balance(address, balance)
        if genesis.messenger is not None:
            configure_messenger(state, genesis.messenger)
        if genesis.network_id is not None:
            configure_bridge(state, genesis.network_id)
        header = genesis_header(self.config, state, genesis.timestamp)
        self.blocks: list[Block] = [Block(header, ())]
        self.states: dict[int, WorldState] = {0: state}
        """Post-state by block number, for ``states_from`` … head."""
        self.states_from = 0
        """Lowest block whose state is kept (every later one is too)."""
        self.receipts: list[tuple[Receipt, ...]] = [()]
        self.origins: list[L1Origin] = [genesis.l1_origin]

    @property
    def head(self) -> Block:
        """The head block."""
        return self.blocks[-1]

    @property
    def head_state(self) -> WorldState:
        """State after the head."""
        return self.states[self.head.number]

    def state_at(self, number: int) -> WorldState:
        """Post-state of canonical block ``number``; ``StatePruned`` if released."""
        state = self.states.get(number)
        if state is not None:
            return state
        if 0 <= number < self.states_from:
            raise StatePruned(
                f"state of block {number} is pruned (this chain keeps states from block "
                f"{self.states_from}; head is {self.head.number})"
            )
        raise ValueError(f"no block {number} (head is {self.head.number})")

    def release_states_below(self, floor: int) -> int:
        """Drop states below ``floor`` that are more than ``KEEP_STATES`` below the head.

        ``floor`` is the lowest block the caller may still read the state of or
        rewind to. Returns ``states_from`` after the release.
        """
        bound = min(floor, self.head.number - KEEP_STATES)
        for number in range(self.states_from, bound):
            del self.states[number]
        self.states_from = max(self.states_from, bound)
        return self.states_from

    def origin_at(self, number: int) -> L1Origin:
        """L1Origin of block ``number``."""
        return self.origins[number]

    def sequence_number(self, origin: L1Origin) -> int:
        """Sequence number the next block gets under ``origin``."""
        parent = self.origins[-1]
        if parent.hash == origin.hash:
            return read_l1_origin(self.head_state)[2] + 1 if self.head.number else 1
        return 0

    def build_next(
        self,
        origin: L1Origin,
        deposits: Sequence[Transaction],
        user_txs: Sequence[Transaction],
        timestamp: int,
        *,
        extra_data: bytes = b"",
        hub_updates: Sequence[bytes] = (),
    ) -> BuiltBlock:
        """Build (not append) the next block; the order is derivation's (see derivation.py)."""
        sequence = self.sequence_number(origin)
        candidates: list[Transaction] = [attributes_deposit(origin, sequence)]
        deps = dependencies_of(list(user_txs))
        if deps:
            candidates.append(dependency_deposit(self.head.hash, deps))
        candidates.extend(hub_update_deposit(h) for h in hub_updates)
        if sequence == 0:
            candidates.extend(deposits)
        candidates.extend(user_txs)
        return build_block(
            self.config,
            self.head.header,
            self.head_state,
            self.modules,
            candidates,
            timestamp=timestamp,
            extra_data=extra_data,
            prev_randao=Hash32(origin.hash),
            parent_hash=self.head.hash,
        )

    def append(self, built: BuiltBlock, origin: L1Origin) -> None:
        """Make a built block the new head."""
        self.head_state.release_read_cache()
        self.blocks.append(built.block)
        self.states[built.block.number] = built.state
        self.receipts.append(built.receipts)
        self.origins.append(origin)

    def replay(self, block: Block, origin: L1Origin, *, check_state_root: bool = True) -> None:
        """Re-execute a stored block on the head and append it (restart path).

        ``check_state_root=False``: the block is this node's own, signed with a state root it
        knew to be wrong (see ``execute_block``); its true state is kept."""
        state, receipts = execute_block(
            self.config,
            self.head.header,
            self.head_state,
            self.modules,
            block,
            parent_hash=self.head.hash,
            check_state_root=check_state_root,
        )
        self.head_state.release_read_cache()
        self.blocks.append(block)
        self.states[block.number] = state
        self.receipts.append(receipts)
        self.origins.append(origin)

    def rewind(self, number: int) -> list[Block]:
        """Drop every block above ``number``; return the dropped blocks, lowest first.

        Raises ``StatePruned`` (and changes nothing) if the state of ``number`` was released.
        """
        if number < self.states_from:
            raise StatePruned(
                f"cannot rewind to block {number}: its state is pruned (states kept from "
                f"block {self.states_from})"
            )
        dropped = self.blocks[number + 1 :]
        for block in dropped:
            self.states.pop(block.number, None)
        del self.blocks[number + 1 :]
        del self.receipts[number + 1 :]
        del self.origins[number + 1 :]
        return dropped

    def block_at(self, number: int) -> Block | None:
        """Canonical block at ``number``."""
        return self.blocks[number] if 0 <= number < len(self.blocks) else None

    def next_timestamp(self, block_time: int) -> U64:
        """Timestamp of the next block (parent + block time)."""
        return U64(self.head.header.timestamp + block_time)
