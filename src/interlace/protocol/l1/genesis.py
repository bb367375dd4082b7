"""L1 genesis: prefunded accounts, the settlement modules, and pre-registered rollups.

With ``L1Genesis.settlement`` set, genesis also anchors settlement: the hub
settlement module learns the hub's address and each rollup's genesis block.
A rollup's genesis block does not commit to its L1Origin (the L1Block
predeploy's storage starts empty; block 1's attributes deposit fills it),
so the rollup anchors can sit in L1 genesis even though each rollup starts
from the L1 genesis block.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from interlace.primitives.header import BlockHeader
from interlace.primitives.types import U64, U256, Address, ChainId, Hash32
from interlace.protocol.bridge.format import MAINNET_NETWORK_ID
from interlace.protocol.bridge.module import (
    BRIDGE_ADDRESS,
    L1_EXIT_ROOT_MANAGER_ADDRESS,
    ExitRootManager,
    UnifiedBridge,
    configure_bridge,
)
from interlace.protocol.bridge.token import TokenFactory, token_family
from interlace.protocol.chain.block import ChainConfig, genesis_header
from interlace.protocol.chain.history import install_history
from interlace.protocol.chain.modules import (
    CallContext,
    CallEnv,
    ModuleMap,
    NativeModule,
    install_module,
)
from interlace.protocol.chain.state import WorldState
from interlace.protocol.l1.modules import (
    BatchInbox,
    DepositPortal,
    RollupKind,
    RollupRecord,
    RollupRegistry,
)
from interlace.protocol.proofs.verifier_module import ValidityVerifier, configure_verifier
from interlace.protocol.rollup.chain import RollupChain
from interlace.protocol.settlement.aggregate import HubSettlement
from interlace.protocol.settlement.aggregate import configure as configure_settlement
from interlace.protocol.settlement.confirmation import is_block_confirmed, settled_state_root
from interlace.protocol.settlement.dispute import DisputeGameFactory, configure_games
from interlace.protocol.settlement.outputs import Output, compute_output

L1_CHAIN_ID: Final = ChainId(900)
L1_CONFIG: Final = ChainConfig(L1_CHAIN_ID, block_hash_history=True)
"""The L1's chain parameters: every L1 keeps EIP-2935 block-hash history, which the
``ValidityVerifier`` reads to check a proven block's L1Origin."""


def l1_modules() -> ModuleMap:
    """The L1's native modules by address, and its ERC-20 tokens (``bridge.token``)."""
    modules: list[NativeModule] = [
        RollupRegistry(),
        BatchInbox(),
        DepositPortal(),
        HubSettlement(is_block_confirmed),
        ValidityVerifier(),
        DisputeGameFactory(),
        UnifiedBridge(settled_state_root),
        ExitRootManager(L1_EXIT_ROOT_MANAGER_ADDRESS),
        TokenFactory(),
    ]
    return ModuleMap({m.address: m for m in modules}, [token_family(BRIDGE_ADDRESS)])


@dataclass(frozen=True, slots=True)
class RollupAnchor:
    """A rollup's genesis as settlement starts from it."""

    chain_id: ChainId
    """The rollup."""
    block_hash: Hash32
    """Hash of its genesis block."""
    state_root: Hash32
    """Genesis state root."""
    message_root: Hash32
    """Genesis storage root of the messenger (the output root's message-passing root)."""


@dataclass(frozen=True, slots=True)
class SettlementGenesis:
    """What L1 genesis needs to settle the rollups through the hub."""

    hub: Address
    """The hub's signing address (aggregates must carry its signature)."""
    anchors: tuple[RollupAnchor, ...]
    """Every registered rollup's genesis."""
    bond: int = 10**16
    """Wei each dispute-game claim carries (optimistic rollups)."""
    split_depth: int = 5
    """Dispute games: deepest output-bisection level (2^split_depth blocks per game at most)."""
    max_depth: int = 10
    """Dispute games: deepest level (execution traces of 2^(max - split - 1) transactions)."""


@dataclass(frozen=True, slots=True)
class L1Genesis:
    """Everything block 0 of the L1 holds."""

    config: ChainConfig
    """Chain parameters."""
    alloc: Mapping[Address, int]
    """Prefunded balances in wei."""
    rollups: Sequence[RollupRecord]
    """Rollups registered at genesis."""
    timestamp: int = 0
    """Genesis timestamp."""
    settlement: SettlementGenesis | None = None
    """Anchor the settlement modules (None: no settlement)."""


def build_l1_genesis(genesis: L1Genesis) -> tuple[BlockHeader, WorldState]:
    """Genesis header and state: alloc, modules, and registry entries written by the registry."""
    state = WorldState()
    modules = l1_modules()
    for module in modules.values():
        install_module(state, module)
    if genesis.config.block_hash_history:
        install_history(state)
    configure_bridge(state, MAINNET_NETWORK_ID, [r.chain_id for r in genesis.rollups])
    for address, balance in genesis.alloc.items():
        state.add_balance(address, balance)
    registry = modules[RollupRegistry.address]
    env = CallEnv(genesis.config.chain_id, 0, genesis.timestamp)
    for record in genesis.rollups:
        ctx = CallContext(state, env, registry.address, record.admin, U256(0), 10**9)
        registry.call(
            ctx,
            "registerRollup",
            (
                record.chain_id,
                int(record.kind),
                record.sequencer,
                record.batcher,
                record.challenge_window,
            ),
        )
    if genesis.settlement is not None:
        configure_settlement(
            state,
            genesis.settlement.hub,
            {a.chain_id: a.block_hash for a in genesis.settlement.anchors},
        )
        kinds = {r.chain_id: r.kind for r in genesis.rollups}
        settlement = genesis.settlement
        configure_games(
            state,
            {
                a.chain_id: Output(U64(0), a.state_root, a.message_root, a.block_hash)
                for a in settlement.anchors
                if kinds.get(a.chain_id) == RollupKind.OPTIMISTIC
            },
            bond=settlement.bond,
            split_depth=settlement.split_depth,
            max_depth=settlement.max_depth,
        )
        configure_verifier(
            state,
            {
                a.chain_id: (a.block_hash, a.state_root)
                for a in genesis.settlement.anchors
                if kinds.get(a.chain_id) == RollupKind.VALIDITY
            },
        )
    return genesis_header(genesis.config, state, genesis.timestamp), state


def rollup_anchor(chain: RollupChain) -> RollupAnchor:
    """The settlement anchor of a rollup: its genesis block, state and message roots."""
    output = compute_output(chain.states[0], chain.blocks[0])
    return RollupAnchor(
        chain_id=chain.genesis.chain_id,
        block_hash=output.block_hash,
        state_root=output.state_root,
        message_root=output.message_passer_root,
    )
